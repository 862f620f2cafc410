//! Payload templates (`Parameters`, `ResultSelector`, `ItemSelector`) and the evaluation [`Scope`].
//!
//! A template is compiled once ([`PayloadTemplate::compile`]) and evaluated per execution step
//! ([`PayloadTemplate::evaluate`]). Keys ending in `.$` take a path (`$.x`, `$$.x`, `$var`) or an
//! intrinsic call and lose the `.$` suffix in the output; everything else is copied as is, at any
//! depth (objects inside arrays included). Pass `Result` is a literal and needs no template.

use serde_json::{Map, Value};

use crate::error::StatesError;
use crate::intrinsics::{self, IntrinsicCall};
use crate::jsonpath::{JsonPath, PathError};

/// Deepest template accepted (definitions are parsed with serde's own depth limit; this guards
/// values built in code).
const MAX_TEMPLATE_DEPTH: usize = 512;

/// A template that cannot be compiled; `pointer` is the JSON pointer (relative to the template)
/// of the object holding the faulty field, as AWS reports it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at {pointer}")]
pub struct TemplateError {
    /// AWS's wording, e.g. `The value for the field 'x.$' must be a valid JSONPath or a valid intrinsic function call`.
    pub message: String,
    /// JSON pointer of the object containing the field, relative to the template root (`""` = root).
    pub pointer: String,
}

/// A compiled payload template.
#[derive(Debug, Clone, PartialEq)]
pub struct PayloadTemplate {
    root: Node,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    /// A subtree without any `.$` key: copied as is.
    Literal(Value),
    Object(Vec<(String, Node)>),
    Array(Vec<Node>),
    Path {
        field: String,
        path: JsonPath,
    },
    Intrinsic {
        field: String,
        call: IntrinsicCall,
    },
}

impl PayloadTemplate {
    /// Compiles a template, checking every `.$` value (it must be a string holding a valid
    /// JSONPath or intrinsic call).
    pub fn compile(template: &Value) -> Result<PayloadTemplate, TemplateError> {
        let mut pointer = String::new();
        Ok(PayloadTemplate {
            root: compile_node(template, &mut pointer, 0)?,
        })
    }

    /// `true` when the template has no `.$` field (it evaluates to itself).
    pub fn is_literal(&self) -> bool {
        matches!(self.root, Node::Literal(_))
    }

    /// `true` when some field reads the Context object (`$$...`), so callers can skip building it.
    pub fn reads_context(&self) -> bool {
        node_reads_context(&self.root)
    }

    /// Builds the payload in `scope`.
    ///
    /// A path that finds nothing fails with `States.Runtime` and AWS's cause
    /// `The JSONPath '$.x' specified for the field 'k.$' could not be found in the input '<input JSON>'`
    /// (wrap it with [`StatesError::in_state`]); intrinsic failures are `States.IntrinsicFailure`.
    pub fn evaluate(&self, scope: &Scope<'_>) -> Result<Value, StatesError> {
        eval_node(&self.root, scope)
    }
}

fn node_reads_context(n: &Node) -> bool {
    match n {
        Node::Literal(_) => false,
        Node::Object(fields) => fields.iter().any(|(_, n)| node_reads_context(n)),
        Node::Array(items) => items.iter().any(node_reads_context),
        Node::Path { path, .. } => *path.root() == crate::jsonpath::Root::Context,
        Node::Intrinsic { call, .. } => call.reads_context(),
    }
}

/// The cause AWS gives when a `.$` path of a payload template finds nothing.
pub fn path_not_found_cause(path: &str, field: &str, input: &Value) -> String {
    format!(
        "The JSONPath '{path}' specified for the field '{field}' could not be found in the input '{}'",
        serde_json::to_string(input).unwrap_or_default()
    )
}

/// The bucket order of a `java.util.HashMap<String, _>` holding `keys` (inserted in the given
/// order): AWS builds some objects in such maps, and their iteration order is what users see.
/// Returns, for each key, its sort key; a stable sort by it gives the map's iteration order.
pub(crate) fn java_hashmap_buckets<'k>(keys: impl ExactSizeIterator<Item = &'k str>) -> Vec<usize> {
    let n = keys.len();
    let mut cap: usize = 16;
    // HashMap doubles its table when its size exceeds 3/4 of the capacity.
    while n > cap / 4 * 3 {
        cap = cap.saturating_mul(2);
    }
    keys.map(|k| {
        let mut h: u32 = 0;
        for u in k.encode_utf16() {
            h = h.wrapping_mul(31).wrapping_add(u32::from(u));
        }
        ((h ^ (h >> 16)) as usize) & (cap - 1)
    })
    .collect()
}

/// AWS emits a template's static fields first, in template order, then the `.$` fields in Java
/// `HashMap` order (recorded in 40 corpus histories, e.g. `{"FunctionName.$", "Payload"}` gives
/// `{"Payload", "FunctionName"}`).
fn aws_field_order(fields: Vec<(String, Node)>) -> Vec<(String, Node)> {
    let (statics, mut dynamics): (Vec<_>, Vec<_>) = fields
        .into_iter()
        .partition(|(_, n)| !matches!(n, Node::Path { .. } | Node::Intrinsic { .. }));
    if dynamics.len() > 1 {
        let buckets = java_hashmap_buckets(dynamics.iter().map(|(k, _)| k.as_str()));
        let mut keyed: Vec<(usize, (String, Node))> = buckets.into_iter().zip(dynamics).collect();
        keyed.sort_by_key(|(b, _)| *b);
        dynamics = keyed.into_iter().map(|(_, f)| f).collect();
    }
    let mut out = statics;
    out.extend(dynamics);
    out
}

fn has_dynamic(v: &Value, depth: usize) -> bool {
    if depth > MAX_TEMPLATE_DEPTH {
        return true; // let compile_node report the depth error
    }
    match v {
        Value::Object(m) => m
            .iter()
            .any(|(k, x)| k.ends_with(".$") || has_dynamic(x, depth + 1)),
        Value::Array(a) => a.iter().any(|x| has_dynamic(x, depth + 1)),
        _ => false,
    }
}

fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn compile_node(v: &Value, pointer: &mut String, depth: usize) -> Result<Node, TemplateError> {
    if depth > MAX_TEMPLATE_DEPTH {
        return Err(TemplateError {
            message: "The template is nested too deeply".to_string(),
            pointer: pointer.clone(),
        });
    }
    if !has_dynamic(v, depth) {
        return Ok(Node::Literal(v.clone()));
    }
    match v {
        Value::Object(m) => {
            let mut fields = Vec::with_capacity(m.len());
            for (k, x) in m {
                if let Some(name) = k.strip_suffix(".$") {
                    let invalid = || {
                        TemplateError {
                        message: format!(
                            "The value for the field '{k}' must be a valid JSONPath or a valid intrinsic function call"
                        ),
                        pointer: pointer.clone(),
                    }
                    };
                    let Value::String(text) = x else {
                        return Err(invalid());
                    };
                    let node = if intrinsics::is_intrinsic_call(text) {
                        Node::Intrinsic {
                            field: k.clone(),
                            call: intrinsics::parse(text).map_err(|_| invalid())?,
                        }
                    } else {
                        Node::Path {
                            field: k.clone(),
                            path: JsonPath::parse(text).map_err(|_| invalid())?,
                        }
                    };
                    fields.push((name.to_string(), node));
                } else {
                    let len = pointer.len();
                    pointer.push('/');
                    pointer.push_str(&escape_pointer(k));
                    let node = compile_node(x, pointer, depth + 1)?;
                    pointer.truncate(len);
                    fields.push((k.clone(), node));
                }
            }
            Ok(Node::Object(aws_field_order(fields)))
        }
        Value::Array(a) => {
            let mut items = Vec::with_capacity(a.len());
            for (i, x) in a.iter().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                items.push(compile_node(x, pointer, depth + 1)?);
                pointer.truncate(len);
            }
            Ok(Node::Array(items))
        }
        other => Ok(Node::Literal(other.clone())),
    }
}

fn eval_node(node: &Node, scope: &Scope<'_>) -> Result<Value, StatesError> {
    match node {
        Node::Literal(v) => Ok(v.clone()),
        Node::Object(fields) => {
            let mut m = Map::with_capacity(fields.len());
            for (k, n) in fields {
                m.insert(k.clone(), eval_node(n, scope)?);
            }
            Ok(Value::Object(m))
        }
        Node::Array(items) => items
            .iter()
            .map(|n| eval_node(n, scope))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        Node::Path { field, path } => path
            .evaluate_in(scope)
            .map(|c| c.into_owned())
            .map_err(|e| missing_path(scope, field, path, e)),
        Node::Intrinsic { field, call } => call
            .evaluate_with(scope, &|p: &JsonPath, e: PathError| {
                missing_path(scope, field, p, e)
            }),
    }
}

fn missing_path(scope: &Scope<'_>, field: &str, path: &JsonPath, _e: PathError) -> StatesError {
    let input = path.root_value(scope).unwrap_or(&Value::Null);
    StatesError::runtime(path_not_found_cause(path.as_str(), field, input))
}

/// Workflow variables (`Assign`) visible to a JSONPath `$name` reference.
pub trait Variables {
    /// The value of variable `name`, if it is defined in this scope.
    fn get(&self, name: &str) -> Option<&Value>;
}

/// No variables at all.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoVariables;

impl Variables for NoVariables {
    fn get(&self, _name: &str) -> Option<&Value> {
        None
    }
}

impl Variables for serde_json::Map<String, Value> {
    fn get(&self, name: &str) -> Option<&Value> {
        serde_json::Map::get(self, name)
    }
}

impl Variables for std::collections::HashMap<String, Value> {
    fn get(&self, name: &str) -> Option<&Value> {
        std::collections::HashMap::get(self, name)
    }
}

impl Variables for std::collections::BTreeMap<String, Value> {
    fn get(&self, name: &str) -> Option<&Value> {
        std::collections::BTreeMap::get(self, name)
    }
}

/// The source of randomness for `States.MathRandom` (unseeded) and `States.UUID`.
///
/// Injected by the caller so that the engine stays deterministic (replay, tests). Methods take
/// `&self`: implementations use interior mutability.
pub trait Entropy {
    /// A uniformly distributed number in `[0, 1)`.
    fn next_f64(&self) -> f64;
    /// 16 random bytes (for a version 4 UUID).
    fn next_bytes16(&self) -> [u8; 16];
}

/// A deterministic [`Entropy`] (SplitMix64) seeded by the caller.
#[derive(Debug, Clone)]
pub struct SeededEntropy {
    state: std::cell::Cell<u64>,
}

impl SeededEntropy {
    /// A generator that always produces the same sequence for the same seed.
    pub fn new(seed: u64) -> Self {
        SeededEntropy {
            state: std::cell::Cell::new(seed),
        }
    }

    fn next_u64(&self) -> u64 {
        let s = self.state.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        self.state.set(s);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Default for SeededEntropy {
    fn default() -> Self {
        Self::new(0)
    }
}

impl Entropy for SeededEntropy {
    fn next_f64(&self) -> f64 {
        // 53 random mantissa bits: uniform in [0, 1).
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn next_bytes16(&self) -> [u8; 16] {
        let a = self.next_u64().to_le_bytes();
        let b = self.next_u64().to_le_bytes();
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&a);
        out[8..].copy_from_slice(&b);
        out
    }
}

/// Everything a JSONPath, a template, an intrinsic call or a Choice rule can read.
#[derive(Clone, Copy)]
pub struct Scope<'a> {
    /// The effective input (`$`).
    pub input: &'a Value,
    /// The Context object (`$$`).
    pub context: &'a Value,
    /// Workflow variables (`$name`).
    pub variables: &'a dyn Variables,
    /// Randomness for `States.MathRandom` / `States.UUID`.
    pub entropy: &'a dyn Entropy,
}

static NO_VARIABLES: NoVariables = NoVariables;
static NULL: Value = Value::Null;

impl<'a> Scope<'a> {
    /// A scope with the given input and context, no variables, and `entropy` for random functions.
    pub fn new(input: &'a Value, context: &'a Value, entropy: &'a dyn Entropy) -> Self {
        Scope {
            input,
            context,
            variables: &NO_VARIABLES,
            entropy,
        }
    }

    /// A scope with only an input: context `null`, no variables.
    pub fn with_input(input: &'a Value, entropy: &'a dyn Entropy) -> Self {
        Self::new(input, &NULL, entropy)
    }

    /// The same scope reading variables from `variables`.
    pub fn with_variables(mut self, variables: &'a dyn Variables) -> Self {
        self.variables = variables;
        self
    }

    /// The same scope with another input (e.g. Choice rules evaluate against the effective input).
    pub fn with_input_value(mut self, input: &'a Value) -> Self {
        self.input = input;
        self
    }
}
