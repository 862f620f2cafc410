//! The evaluator's value model: JSON values shared through `Arc` (never deep-copied while
//! navigating), sequences flagged like jsonata-js arrays, and function values.

use std::sync::Arc;

use indexmap::IndexMap;

use crate::error::Err;
use crate::number::{js_number_to_string, to_precision_15};
use crate::parser::{LambdaDef, RegexLit, TransformDef};
use crate::signature::Signature;

pub type Map = IndexMap<Arc<str>, Value>;

/// Array storage. Dropped iteratively so that deeply nested values built at run time
/// (e.g. by `$reduce`) cannot overflow the stack when freed.
#[derive(Debug, Default)]
pub struct Arr(pub Vec<Value>);

/// Object storage, dropped iteratively like [`Arr`].
#[derive(Debug, Default, Clone)]
pub struct Obj(pub Map);

impl Arr {
    #[allow(clippy::new_ret_no_self)]
    pub fn new(v: Vec<Value>) -> Arc<Arr> {
        Arc::new(Arr(v))
    }
}

impl Obj {
    #[allow(clippy::new_ret_no_self)]
    pub fn new(m: Map) -> Arc<Obj> {
        Arc::new(Obj(m))
    }
}

impl std::ops::Deref for Arr {
    type Target = Vec<Value>;
    fn deref(&self) -> &Vec<Value> {
        &self.0
    }
}

impl Obj {
    /// Field lookup; small objects (the common case) are scanned instead of hashed.
    pub fn field(&self, key: &str) -> Option<&Value> {
        if self.0.len() <= 8 {
            self.0.iter().find(|(k, _)| &***k == key).map(|(_, v)| v)
        } else {
            self.0.get(key)
        }
    }
}

impl std::ops::Deref for Obj {
    type Target = Map;
    fn deref(&self) -> &Map {
        &self.0
    }
}

fn is_container(v: &Value) -> bool {
    matches!(v, Value::Array(..) | Value::Object(_))
}

fn drain_into(stack: &mut Vec<Value>, v: Value) {
    match v {
        // shared children are not freed here: a plain decrement is enough
        Value::Array(a, _) if Arc::strong_count(&a) > 1 => drop(a),
        Value::Object(o) if Arc::strong_count(&o) > 1 => drop(o),
        Value::Array(a, _) => {
            if let Ok(mut inner) = Arc::try_unwrap(a) {
                stack.append(&mut inner.0);
            }
        }
        Value::Object(o) => {
            if let Ok(mut inner) = Arc::try_unwrap(o) {
                stack.extend(std::mem::take(&mut inner.0).into_values());
            }
        }
        _ => {}
    }
}

impl Drop for Arr {
    fn drop(&mut self) {
        if !self.0.iter().any(is_container) {
            return;
        }
        let mut stack = std::mem::take(&mut self.0);
        while let Some(v) = stack.pop() {
            drain_into(&mut stack, v);
        }
    }
}

impl Drop for Obj {
    fn drop(&mut self) {
        if !self.0.values().any(is_container) {
            return;
        }
        let mut stack: Vec<Value> = std::mem::take(&mut self.0).into_values().collect();
        while let Some(v) = stack.pop() {
            drain_into(&mut stack, v);
        }
    }
}

thread_local! {
    static STACK_FLOOR: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

fn stack_addr() -> usize {
    let probe = 0u8;
    std::ptr::addr_of!(probe) as usize
}

/// Record how far down the native stack this thread's evaluation may go; returns the
/// previous floor for [`restore_stack_floor`] (evaluations may nest on one thread).
pub fn set_stack_budget(bytes: usize) -> usize {
    let floor = stack_addr().saturating_sub(bytes);
    STACK_FLOOR.with(|f| f.replace(floor))
}

/// Set a budget only when no evaluation on this thread has one; `Some(previous)` if set.
pub fn set_stack_budget_if_unset(bytes: usize) -> Option<usize> {
    if STACK_FLOOR.with(|f| f.get()) != 0 {
        return None;
    }
    Some(set_stack_budget(bytes))
}

pub fn restore_stack_floor(prev: usize) {
    STACK_FLOOR.with(|f| f.set(prev));
}

/// `U1001` once the native stack is used beyond the evaluation's budget: every recursive
/// walk over values checks this, so hostile nesting ends in an error, never a crash.
pub fn stack_check() -> Result<(), Err> {
    if stack_addr() < STACK_FLOOR.with(|f| f.get()) {
        return Err(Err::new("U1001"));
    }
    Ok(())
}

/// Array flags, as jsonata-js marks its arrays.
pub const SEQ: u8 = 1;
pub const KEEP: u8 = 2;
pub const CONS: u8 = 4;
pub const OUTER: u8 = 8;

#[derive(Clone, Debug)]
pub enum Value {
    Null,
    Bool(bool),
    Number(f64),
    String(Arc<str>),
    Array(Arc<Arr>, u8),
    Object(Arc<Obj>),
    Func(Arc<Func>),
}

pub type BuiltinFn =
    fn(&mut crate::eval::Eval, &[Option<Value>], &Ctx) -> Result<Option<Value>, Err>;

/// What a native function sees besides its arguments.
pub struct Ctx {
    pub input: Option<Value>,
    pub env: usize,
}

pub struct Builtin {
    pub name: &'static str,
    pub signature: Option<Signature>,
    pub arity: usize,
    pub f: BuiltinFn,
}

impl std::fmt::Debug for Builtin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "builtin ${}", self.name)
    }
}

#[derive(Debug, Clone)]
pub enum PArg {
    Hole,
    Val(Option<Value>),
}

pub struct CustomDef {
    pub name: String,
    pub signature: Option<Signature>,
    pub arity: usize,
    pub f: crate::CustomFunction,
}

impl std::fmt::Debug for CustomDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "custom ${}", self.name)
    }
}

#[derive(Debug)]
pub enum Func {
    Lambda {
        def: Arc<LambdaDef>,
        env: usize,
        input: Option<Value>,
        /// parameters still unbound after partial application (None: all of def.params)
        params: Option<Vec<Arc<str>>>,
    },
    Builtin(&'static Builtin),
    Custom(Arc<CustomDef>),
    Partial {
        func: Value,
        args: Vec<PArg>,
    },
    Regex(Arc<RegexLit>),
    RegexNext {
        re: Arc<RegexLit>,
        s: Arc<str>,
        from: usize,
    },
    Transform {
        def: Arc<TransformDef>,
        env: usize,
    },
    Chain(Value, Value),
}

impl Func {
    pub fn signature(&self) -> Option<&Signature> {
        match self {
            Func::Lambda {
                def, params: None, ..
            } => def.signature.as_ref(),
            Func::Builtin(b) => b.signature.as_ref(),
            Func::Custom(c) => c.signature.as_ref(),
            _ => None,
        }
    }
    pub fn arity(&self) -> usize {
        match self {
            Func::Lambda { def, params, .. } => match params {
                Some(p) => p.len(),
                None => def.params.len(),
            },
            Func::Builtin(b) => b.arity,
            Func::Custom(c) => c.arity,
            Func::Partial { args, .. } => args.iter().filter(|a| matches!(a, PArg::Hole)).count(),
            Func::Regex(_) => 1,
            Func::RegexNext { .. } => 0,
            Func::Transform { .. } => 1,
            Func::Chain(..) => 1,
        }
    }
}

impl Value {
    pub fn string(s: &str) -> Value {
        Value::String(Arc::from(s))
    }
    pub fn seq(v: Vec<Value>) -> Value {
        Value::Array(Arr::new(v), SEQ)
    }
    pub fn array(v: Vec<Value>) -> Value {
        Value::Array(Arr::new(v), 0)
    }
    pub fn is_array(&self) -> bool {
        matches!(self, Value::Array(..))
    }
    pub fn is_sequence(&self) -> bool {
        matches!(self, Value::Array(_, f) if f & SEQ != 0)
    }
    pub fn flags(&self) -> u8 {
        match self {
            Value::Array(_, f) => *f,
            _ => 0,
        }
    }
    pub fn with_flags(self, flags: u8) -> Value {
        match self {
            Value::Array(a, _) => Value::Array(a, flags),
            v => v,
        }
    }
    pub fn is_function(&self) -> bool {
        matches!(self, Value::Func(_))
    }
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }
    pub fn type_symbol(v: &Option<Value>) -> char {
        match v {
            None => 'm',
            Some(Value::Func(_)) => 'f',
            Some(Value::String(_)) => 's',
            Some(Value::Number(_)) => 'n',
            Some(Value::Bool(_)) => 'b',
            Some(Value::Null) => 'l',
            Some(Value::Array(..)) => 'a',
            Some(Value::Object(_)) => 'o',
        }
    }
    pub fn members(&self) -> &[Value] {
        match self {
            Value::Array(a, _) => a.as_slice(),
            _ => std::slice::from_ref(self),
        }
    }
}

/// Turn a JSON document into a value. Object keys and strings are copied once here; the
/// evaluator never copies them again.
pub fn from_json(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(0.0)),
        serde_json::Value::String(s) => Value::String(Arc::from(s.as_str())),
        serde_json::Value::Array(a) => Value::Array(Arr::new(a.iter().map(from_json).collect()), 0),
        serde_json::Value::Object(o) => {
            let mut m = Map::with_capacity(o.len());
            for (k, v) in o {
                m.insert(Arc::from(k.as_str()), from_json(v));
            }
            Value::Object(Obj::new(m))
        }
    }
}

const MAX_OUTPUT_DEPTH: usize = 100_000;

fn num_to_json(n: f64) -> Result<serde_json::Value, Err> {
    if !n.is_finite() {
        return Err(Err::new("D1001").value_num(n));
    }
    if n.fract() == 0.0 && n.abs() < 9.007_199_254_740_992e15 {
        return Ok(serde_json::Value::from(n as i64));
    }
    Ok(serde_json::Number::from_f64(n)
        .map(serde_json::Value::Number)
        .unwrap_or(serde_json::Value::Null))
}

fn to_json_d(v: &Value, depth: usize) -> Result<Option<serde_json::Value>, Err> {
    if depth > MAX_OUTPUT_DEPTH {
        return Err(Err::new("U1001"));
    }
    stack_check()?;
    Ok(Some(match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(n) => num_to_json(*n)?,
        Value::String(s) => serde_json::Value::String(s.to_string()),
        Value::Array(a, _) => {
            let mut out = Vec::with_capacity(a.len());
            for x in a.iter() {
                // functions inside arrays serialise as null, as JSON.stringify does
                out.push(to_json_d(x, depth + 1)?.unwrap_or(serde_json::Value::Null));
            }
            serde_json::Value::Array(out)
        }
        Value::Object(o) => {
            let mut m = serde_json::Map::with_capacity(o.len());
            for (k, x) in o.iter() {
                if let Some(j) = to_json_d(x, depth + 1)? {
                    m.insert(k.to_string(), j);
                }
            }
            serde_json::Value::Object(m)
        }
        Value::Func(_) => return Ok(None),
    }))
}

/// Convert a result to JSON. Functions have no JSON form: at the top level they give
/// `None`, inside objects they are dropped and inside arrays they become `null`.
pub fn to_json(v: &Value) -> Result<Option<serde_json::Value>, Err> {
    to_json_d(v, 0)
}

fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn stringify_into(
    out: &mut String,
    v: &Value,
    pretty: bool,
    indent: usize,
    depth: usize,
) -> Result<(), Err> {
    if depth > MAX_OUTPUT_DEPTH {
        return Err(Err::new("U1001"));
    }
    stack_check()?;
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if !n.is_finite() {
                return Err(Err::new("D1001").value_num(*n));
            }
            // integers print exactly; other numbers are rounded to 15 significant digits
            let v = if n.fract() == 0.0 {
                *n
            } else {
                to_precision_15(*n)
            };
            out.push_str(&js_number_to_string(v));
        }
        Value::String(s) => write_json_string(out, s),
        Value::Func(_) => out.push_str("\"\""),
        Value::Array(a, _) => {
            if a.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if pretty {
                    out.push('\n');
                    out.push_str(&" ".repeat(indent + 2));
                }
                stringify_into(out, x, pretty, indent + 2, depth + 1)?;
            }
            if pretty {
                out.push('\n');
                out.push_str(&" ".repeat(indent));
            }
            out.push(']');
        }
        Value::Object(o) => {
            if o.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push('{');
            for (i, (k, x)) in o.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if pretty {
                    out.push('\n');
                    out.push_str(&" ".repeat(indent + 2));
                }
                write_json_string(out, k);
                out.push(':');
                if pretty {
                    out.push(' ');
                }
                stringify_into(out, x, pretty, indent + 2, depth + 1)?;
            }
            if pretty {
                out.push('\n');
                out.push_str(&" ".repeat(indent));
            }
            out.push('}');
        }
    }
    Ok(())
}

/// `JSON.stringify` with jsonata-js's replacer (15 significant digits, functions as "").
pub fn stringify(v: &Value, pretty: bool) -> Result<String, Err> {
    let mut s = String::new();
    stringify_into(&mut s, v, pretty, 0, 0)?;
    Ok(s)
}

/// Deep equality used by `=` and `!=` (jsonata-js `isDeepEqual`).
pub fn deep_equal(a: &Value, b: &Value) -> bool {
    if stack_check().is_err() {
        // too deep to compare without risking the stack: only identical values are equal
        return same_ref(a, b);
    }
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Array(x, _), Value::Array(y, _)) => {
            Arc::ptr_eq(x, y)
                || (x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| deep_equal(p, q)))
        }
        (Value::Object(x), Value::Object(y)) => {
            Arc::ptr_eq(x, y)
                || (x.len() == y.len()
                    && x.iter()
                        .all(|(k, v)| y.get(k).is_some_and(|w| deep_equal(v, w))))
        }
        (Value::Func(x), Value::Func(y)) => Arc::ptr_eq(x, y),
        _ => false,
    }
}

fn same_ref(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(x, _), Value::Array(y, _)) => Arc::ptr_eq(x, y),
        (Value::Object(x), Value::Object(y)) => Arc::ptr_eq(x, y),
        _ => false,
    }
}

/// JavaScript `===`: primitives by value, containers by identity.
pub fn strict_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(x, _), Value::Array(y, _)) => Arc::ptr_eq(x, y),
        (Value::Object(x), Value::Object(y)) => Arc::ptr_eq(x, y),
        _ => deep_equal(a, b),
    }
}

/// Rust strings cannot hold lone UTF-16 surrogates, which JavaScript strings can. A lone
/// surrogate written as an escape is kept as a code point of plane 16's private use area
/// (U+10F800 + offset) so that functions that reject it (`$encodeUrl`) still can.
pub fn char_from_utf16_unit(cp: u32) -> char {
    if (0xD800..0xE000).contains(&cp) {
        return char::from_u32(LONE_SURROGATE_BASE + (cp - 0xD800)).unwrap_or('\u{FFFD}');
    }
    char::from_u32(cp).unwrap_or('\u{FFFD}')
}

pub const LONE_SURROGATE_BASE: u32 = 0x10F800;

pub fn is_lone_surrogate(c: char) -> bool {
    (LONE_SURROGATE_BASE..=LONE_SURROGATE_BASE + 0x7FF).contains(&(c as u32))
}
