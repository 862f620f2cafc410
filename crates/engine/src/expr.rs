//! The engine's view of the language's expressions: reference paths, payload templates and
//! Choice conditions, compiled once by [`crate::program`] and evaluated in the hot loop.
//!
//! TEMPORARY SHIM: a minimal evaluator (plain `$.a.b[0]` paths, `.$` template keys) used until
//! `asl::jsonpath` / `asl::template` / `asl::choice` land; the engine only sees this interface.

use crate::vars::Vars;
use asl::error::StatesError;
use serde_json::{Map, Value};

/// What an expression is evaluated against.
pub(crate) struct EvalScope<'a> {
    pub input: &'a Value,
    pub context: &'a Value,
    pub vars: &'a Vars,
}

#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(String),
    Index(i64),
}

#[derive(Debug, Clone, PartialEq)]
enum Root {
    Input,
    Context,
    Var(String),
}

/// A compiled reference path (`InputPath`, `ItemsPath`, `SecondsPath`, `Variable`...).
#[derive(Debug, Clone)]
pub(crate) struct Path {
    src: String,
    root: Root,
    segs: Vec<Seg>,
}

fn parse_segs(rest: &str) -> Result<Vec<Seg>, String> {
    let mut segs = Vec::new();
    let b = rest.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'.' => {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && b[j] != b'.' && b[j] != b'[' {
                    j += 1;
                }
                if j == start {
                    return Err(format!("Invalid path: {rest}"));
                }
                segs.push(Seg::Key(rest[start..j].to_string()));
                i = j;
            }
            b'[' => {
                let end = rest[i..].find(']').ok_or_else(|| format!("Invalid path: {rest}"))? + i;
                let inner = rest[i + 1..end].trim();
                if let Some(q) = inner.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
                    segs.push(Seg::Key(q.to_string()));
                } else {
                    let n: i64 = inner
                        .parse()
                        .map_err(|_| format!("Invalid path: {rest}"))?;
                    segs.push(Seg::Index(n));
                }
                i = end + 1;
            }
            _ => return Err(format!("Invalid path: {rest}")),
        }
    }
    Ok(segs)
}

impl Path {
    pub fn compile(src: &str) -> Result<Path, String> {
        let (root, rest) = if let Some(r) = src.strip_prefix("$$") {
            (Root::Context, r)
        } else if let Some(r) = src.strip_prefix('$') {
            if r.is_empty() || r.starts_with('.') || r.starts_with('[') {
                (Root::Input, r)
            } else {
                let end = r.find(['.', '[']).unwrap_or(r.len());
                (Root::Var(r[..end].to_string()), &r[end..])
            }
        } else {
            return Err(format!("Invalid path: {src}"));
        };
        Ok(Path {
            src: src.to_string(),
            root,
            segs: parse_segs(rest)?,
        })
    }

    pub fn source(&self) -> &str {
        &self.src
    }

    pub fn is_root(&self) -> bool {
        self.root == Root::Input && self.segs.is_empty()
    }

    pub fn needs_context(&self) -> bool {
        self.root == Root::Context
    }

    fn lookup<'v>(&self, scope: &'v EvalScope<'_>) -> Option<&'v Value> {
        let mut cur: &Value = match &self.root {
            Root::Input => scope.input,
            Root::Context => scope.context,
            Root::Var(name) => scope.vars.get(name)?,
        };
        for s in &self.segs {
            cur = match (s, cur) {
                (Seg::Key(k), Value::Object(m)) => m.get(k)?,
                (Seg::Index(i), Value::Array(a)) => {
                    let idx = if *i < 0 { a.len() as i64 + i } else { *i };
                    a.get(usize::try_from(idx).ok()?)?
                }
                _ => return None,
            };
        }
        Some(cur)
    }

    /// The value the path selects, or AWS's `Invalid path` runtime error.
    pub fn select(&self, scope: &EvalScope<'_>) -> Result<Value, StatesError> {
        self.lookup(scope).cloned().ok_or_else(|| {
            StatesError::runtime(format!(
                "Invalid path '{}' : No results for path: {}",
                self.src,
                self.bracketed()
            ))
        })
    }

    fn bracketed(&self) -> String {
        let mut s = String::from("$");
        for seg in &self.segs {
            match seg {
                Seg::Key(k) => s.push_str(&format!("['{k}']")),
                Seg::Index(i) => s.push_str(&format!("[{i}]")),
            }
        }
        s
    }

    /// `ResultPath`: `result` placed into `input` at this path.
    pub fn set(&self, mut input: Value, result: Value) -> Result<Value, StatesError> {
        if self.segs.is_empty() {
            return Ok(result);
        }
        let mut cur = &mut input;
        let n = self.segs.len();
        for (i, seg) in self.segs.iter().enumerate() {
            let last = i + 1 == n;
            match seg {
                Seg::Key(k) => {
                    if cur.is_null() {
                        *cur = Value::Object(Map::new());
                    }
                    let Value::Object(m) = cur else {
                        return Err(StatesError::result_path_match_failure(format!(
                            "Unable to apply ResultPath \"{}\" to input",
                            self.src
                        )));
                    };
                    if last {
                        m.insert(k.clone(), result);
                        return Ok(input);
                    }
                    cur = m.entry(k.clone()).or_insert(Value::Null);
                }
                Seg::Index(idx) => {
                    let Value::Array(a) = cur else {
                        return Err(StatesError::result_path_match_failure(format!(
                            "Unable to apply ResultPath \"{}\" to input",
                            self.src
                        )));
                    };
                    let Some(slot) = usize::try_from(*idx).ok().and_then(|u| a.get_mut(u)) else {
                        return Err(StatesError::result_path_match_failure(format!(
                            "Unable to apply ResultPath \"{}\" to input",
                            self.src
                        )));
                    };
                    if last {
                        *slot = result;
                        return Ok(input);
                    }
                    cur = slot;
                }
            }
        }
        Ok(input)
    }
}

/// A compiled payload template (`Parameters`, `ResultSelector`, `ItemSelector`, `Assign`).
#[derive(Debug, Clone)]
pub(crate) struct Template {
    src: Value,
    needs_context: bool,
}

fn mentions_context(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains("$$"),
        Value::Array(a) => a.iter().any(mentions_context),
        Value::Object(m) => m.values().any(mentions_context),
        _ => false,
    }
}

impl Template {
    pub fn compile(src: &Value) -> Result<Template, String> {
        Ok(Template {
            needs_context: mentions_context(src),
            src: src.clone(),
        })
    }

    pub fn needs_context(&self) -> bool {
        self.needs_context
    }

    pub fn evaluate(&self, scope: &EvalScope<'_>) -> Result<Value, StatesError> {
        eval_template(&self.src, scope)
    }
}

fn eval_template(v: &Value, scope: &EvalScope<'_>) -> Result<Value, StatesError> {
    match v {
        Value::Object(m) => {
            let mut out = Map::with_capacity(m.len());
            for (k, val) in m {
                if let (Some(key), Value::String(p)) = (k.strip_suffix(".$"), val) {
                    let path = Path::compile(p).map_err(StatesError::runtime)?;
                    out.insert(key.to_string(), path.select(scope)?);
                } else {
                    out.insert(k.clone(), eval_template(val, scope)?);
                }
            }
            Ok(Value::Object(out))
        }
        Value::Array(a) => a
            .iter()
            .map(|x| eval_template(x, scope))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        other => Ok(other.clone()),
    }
}

/// A compiled Choice rule condition (JSONPath mode).
#[derive(Debug, Clone)]
pub(crate) struct Condition {
    src: Value,
}

impl Condition {
    pub fn compile(src: &Value) -> Result<Condition, String> {
        Ok(Condition { src: src.clone() })
    }

    pub fn needs_context(&self) -> bool {
        mentions_context(&self.src)
    }

    pub fn evaluate(&self, _scope: &EvalScope<'_>) -> Result<bool, StatesError> {
        Err(StatesError::runtime("Choice rules are not supported yet"))
    }
}

/// A Fail state's `ErrorPath`/`CausePath`: a path or an intrinsic function.
#[derive(Debug, Clone)]
pub(crate) struct StringExpr {
    path: Path,
}

impl StringExpr {
    pub fn compile(src: &str) -> Result<StringExpr, String> {
        Ok(StringExpr {
            path: Path::compile(src)?,
        })
    }

    pub fn needs_context(&self) -> bool {
        self.path.needs_context()
    }

    pub fn evaluate(&self, scope: &EvalScope<'_>) -> Result<Value, StatesError> {
        self.path.select(scope)
    }
}
