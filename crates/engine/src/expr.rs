//! The engine's view of the language's expressions: reference paths, payload templates,
//! intrinsic calls and Choice rules from `asl`, compiled once by [`crate::program`] and
//! evaluated in the hot loop. Each also says whether it reads the Context object, so the
//! engine builds `$$` only for the expressions that need it.

use asl::choice::ChoiceRule;
use asl::error::StatesError;
use asl::intrinsics::{self, IntrinsicCall};
use asl::jsonpath::{JsonPath, Root};
use asl::template::{PayloadTemplate, Scope};
use serde_json::Value;

pub(crate) type EvalScope<'a> = Scope<'a>;

/// A compiled reference path (`InputPath`, `ItemsPath`, `SecondsPath`, `ResultPath`...).
#[derive(Debug, Clone)]
pub(crate) struct Path {
    path: JsonPath,
}

impl Path {
    pub fn compile(src: &str) -> Result<Path, String> {
        JsonPath::parse(src)
            .map(|path| Path { path })
            .map_err(|e| e.to_string())
    }

    pub fn source(&self) -> &str {
        self.path.as_str()
    }

    pub fn is_root(&self) -> bool {
        self.path.is_root_only() && *self.path.root() == Root::Input
    }

    pub fn needs_context(&self) -> bool {
        *self.path.root() == Root::Context
    }

    /// The value the path selects, or AWS's `Invalid path` runtime error.
    pub fn select(&self, scope: &EvalScope<'_>) -> Result<Value, StatesError> {
        self.path
            .evaluate_in(scope)
            .map(|c| c.into_owned())
            .map_err(|e| e.into_runtime())
    }

    /// `ResultPath`: `result` placed into `input` at this path.
    pub fn set(&self, input: Value, result: Value) -> Result<Value, StatesError> {
        self.path.set(input, result)
    }
}

fn mentions_context(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains("$$"),
        Value::Array(a) => a.iter().any(mentions_context),
        Value::Object(m) => m.values().any(mentions_context),
        _ => false,
    }
}

/// A compiled payload template (`Parameters`, `ResultSelector`, `ItemSelector`, `Assign`).
#[derive(Debug, Clone)]
pub(crate) struct Template {
    template: PayloadTemplate,
    needs_context: bool,
}

impl Template {
    pub fn compile(src: &Value) -> Result<Template, String> {
        Ok(Template {
            template: PayloadTemplate::compile(src).map_err(|e| e.message)?,
            needs_context: mentions_context(src),
        })
    }

    pub fn needs_context(&self) -> bool {
        self.needs_context
    }

    pub fn evaluate(&self, scope: &EvalScope<'_>) -> Result<Value, StatesError> {
        self.template.evaluate(scope)
    }
}

/// A compiled Choice rule (JSONPath mode).
#[derive(Debug, Clone)]
pub(crate) struct Condition {
    rule: ChoiceRule,
    needs_context: bool,
}

impl Condition {
    pub fn compile(src: &Value) -> Result<Condition, String> {
        Ok(Condition {
            rule: ChoiceRule::parse(src).map_err(|e| e.to_string())?,
            needs_context: mentions_context(src),
        })
    }

    pub fn needs_context(&self) -> bool {
        self.needs_context
    }

    pub fn evaluate(&self, scope: &EvalScope<'_>) -> Result<bool, StatesError> {
        self.rule.evaluate(scope)
    }
}

/// A Fail state's `ErrorPath`/`CausePath`: a path or an intrinsic function call.
#[derive(Debug, Clone)]
pub(crate) enum StringExpr {
    Path(Path),
    Call(Box<IntrinsicCall>, bool),
}

impl StringExpr {
    pub fn compile(src: &str) -> Result<StringExpr, String> {
        if intrinsics::is_intrinsic_call(src) {
            let call = intrinsics::parse(src).map_err(|e| e.to_string())?;
            Ok(StringExpr::Call(Box::new(call), src.contains("$$")))
        } else {
            Path::compile(src).map(StringExpr::Path)
        }
    }

    /// The path text, when this is a plain path (not an intrinsic call).
    pub fn path_source(&self) -> Option<&str> {
        match self {
            StringExpr::Path(p) => Some(p.source()),
            StringExpr::Call(..) => None,
        }
    }

    pub fn needs_context(&self) -> bool {
        match self {
            StringExpr::Path(p) => p.needs_context(),
            StringExpr::Call(_, ctx) => *ctx,
        }
    }

    pub fn evaluate(&self, scope: &EvalScope<'_>) -> Result<Value, StatesError> {
        match self {
            StringExpr::Path(p) => p.select(scope),
            StringExpr::Call(c, _) => c.evaluate(scope),
        }
    }
}

// ---- JSONata ------------------------------------------------------------------------

/// A JSONata evaluation that went wrong: where (`Output/FunctionResult`) and AWS's wording
/// of what happened (without the state prefix).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct JsonataFailure {
    /// The field (`Output/FunctionResult`); `None` for checks on the state input itself.
    pub location: Option<String>,
    pub detail: String,
}

impl JsonataFailure {
    pub fn new(location: &str, detail: String) -> JsonataFailure {
        JsonataFailure {
            location: Some(location.to_string()),
            detail,
        }
    }

    pub fn on_input(detail: String) -> JsonataFailure {
        JsonataFailure {
            location: None,
            detail,
        }
    }
}

/// Any evaluation failure in a state: a JSONPath-side `StatesError` or a JSONata failure.
#[derive(Debug, Clone)]
pub(crate) enum EvalFail {
    States(StatesError),
    Jsonata(JsonataFailure),
}

impl From<StatesError> for EvalFail {
    fn from(e: StatesError) -> Self {
        EvalFail::States(e)
    }
}

impl From<JsonataFailure> for EvalFail {
    fn from(e: JsonataFailure) -> Self {
        EvalFail::Jsonata(e)
    }
}

/// A JSON value whose strings may be `{% expression %}`: `Output`, `Arguments`, `Assign`
/// values, `Items`, `Condition`, numeric fields... compiled once.
#[derive(Debug, Clone)]
pub(crate) enum JTemplate {
    Literal(Value),
    Expr {
        src: String,
        expr: Box<jsonata::Expression>,
        location: String,
        /// Every `$name` the expression mentions: only these variables need binding.
        refs: Vec<String>,
    },
    Object(Vec<(String, JTemplate)>),
    Array(Vec<JTemplate>),
}

/// The expression inside `{% ... %}`, when the whole string is one.
pub(crate) fn jsonata_source(s: &str) -> Option<&str> {
    let inner = s.strip_prefix("{%")?.strip_suffix("%}")?;
    Some(inner.trim())
}

fn has_expr(v: &Value) -> bool {
    match v {
        Value::String(s) => jsonata_source(s).is_some(),
        Value::Array(a) => a.iter().any(has_expr),
        Value::Object(m) => m.values().any(has_expr),
        _ => false,
    }
}

impl JTemplate {
    pub fn compile(v: &Value, location: &str) -> Result<JTemplate, String> {
        if !has_expr(v) {
            return Ok(JTemplate::Literal(v.clone()));
        }
        Ok(match v {
            Value::String(s) => {
                let src = jsonata_source(s).unwrap_or_default().to_string();
                let expr = jsonata::Expression::compile(&src).map_err(|e| {
                    format!(
                        "The JSONata expression '{src}' specified for the field '{location}' is invalid: {}: {}",
                        e.code, e.message
                    )
                })?;
                JTemplate::Expr {
                    refs: dollar_names(&src),
                    src,
                    expr: Box::new(expr),
                    location: location.to_string(),
                }
            }
            Value::Array(a) => JTemplate::Array(
                a.iter()
                    .enumerate()
                    .map(|(i, x)| JTemplate::compile(x, &format!("{location}/{i}")))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(m) => JTemplate::Object(
                m.iter()
                    .map(|(k, x)| {
                        Ok((
                            k.clone(),
                            JTemplate::compile(x, &format!("{location}/{k}"))?,
                        ))
                    })
                    .collect::<Result<_, String>>()?,
            ),
            other => JTemplate::Literal(other.clone()),
        })
    }

    /// Evaluates against `$states` and the workflow variables in `bindings`.
    pub fn evaluate(
        &self,
        input: &Value,
        bindings: &jsonata::Bindings,
    ) -> Result<Value, JsonataFailure> {
        match self {
            JTemplate::Literal(v) => Ok(v.clone()),
            JTemplate::Expr {
                src,
                expr,
                location,
                ..
            } => match expr.evaluate(input, bindings) {
                Ok(Some(v)) => Ok(v),
                Ok(None) => Err(JsonataFailure::new(
                    location,
                    format!(
                        "The JSONata expression '{src}' specified for the field '{location}' returned nothing (undefined)."
                    ),
                )),
                Err(e) => Err(JsonataFailure::new(
                    location,
                    format!(
                        "The JSONata expression '{src}' specified for the field '{location}' threw an error during evaluation. {}: {}",
                        e.code, e.message
                    ),
                )),
            },
            JTemplate::Object(fields) => {
                let mut out = serde_json::Map::with_capacity(fields.len());
                for (k, t) in fields {
                    out.insert(k.clone(), t.evaluate(input, bindings)?);
                }
                Ok(Value::Object(out))
            }
            JTemplate::Array(items) => items
                .iter()
                .map(|t| t.evaluate(input, bindings))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
        }
    }

    /// Calls `f` on every `$name` any expression of the template mentions.
    pub fn visit_refs<'a>(&'a self, f: &mut dyn FnMut(&'a str)) {
        match self {
            JTemplate::Literal(_) => {}
            JTemplate::Expr { refs, .. } => refs.iter().for_each(|r| f(r)),
            JTemplate::Object(fields) => fields.iter().for_each(|(_, t)| t.visit_refs(f)),
            JTemplate::Array(items) => items.iter().for_each(|t| t.visit_refs(f)),
        }
    }

    /// Whether any expression of the template mentions `$name`.
    pub fn mentions(&self, name: &str) -> bool {
        let mut found = false;
        self.visit_refs(&mut |r| found |= r == name);
        found
    }

    /// The expression text and field location, for type errors on the result.
    pub fn describe(&self) -> Option<(&str, &str)> {
        match self {
            JTemplate::Expr { src, location, .. } => Some((src, location)),
            _ => None,
        }
    }
}

/// The distinct `$name`s in a JSONata source (a superset of the variables it can read:
/// JSONata has no dynamic variable lookup, and `$eval` is unavailable).
fn dollar_names(src: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = src;
    while let Some(i) = rest.find('$') {
        rest = &rest[i + 1..];
        let end = rest
            .char_indices()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
            .map_or(rest.len(), |(j, _)| j);
        let name = &rest[..end];
        if !name.is_empty() && !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
        rest = &rest[end..];
    }
    out
}

/// JSONata's name for a JSON value's type, as AWS's type errors print it.
pub(crate) fn jsonata_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
