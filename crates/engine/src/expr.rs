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
