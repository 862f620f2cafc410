//! A JSONata 2.x evaluator with jsonata-js 2.x semantics: compile once, evaluate many times.
//!
//! ```
//! use jsonata::{Bindings, Expression};
//! let expr = Expression::compile("$sum(items.price)").unwrap();
//! let input = serde_json::json!({"items": [{"price": 2}, {"price": 3}]});
//! let out = expr.evaluate(&input, &Bindings::new()).unwrap();
//! assert_eq!(out, Some(serde_json::json!(5)));
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

mod datetime;
mod error;
mod eval;
pub mod format;
mod functions;
mod number;
mod parser;
mod signature;
mod value;

pub use error::Error;

use value::{CustomDef, Func, Value};

/// A host function callable from expressions (`$name(...)`). Arguments arrive as JSON
/// (`None` for undefined; function arguments are not representable and arrive as `None`).
pub type CustomFunction = Arc<
    dyn Fn(
            &mut CallContext<'_>,
            &[Option<serde_json::Value>],
        ) -> Result<Option<serde_json::Value>, Error>
        + Send
        + Sync,
>;

/// What a custom function can see of the running evaluation.
pub struct CallContext<'a> {
    ev: &'a mut eval::Eval,
}

impl CallContext<'_> {
    /// The evaluation's clock: the same instant `$now()` and `$millis()` report.
    pub fn now_millis(&self) -> i64 {
        self.ev.now_millis
    }
    /// The evaluation's random source (deterministic when a seed was given).
    pub fn random(&mut self) -> f64 {
        self.ev.random()
    }
}

/// Default bound on nested evaluation steps (jsonata-js has none; its JS stack gives out
/// around here).
pub const DEFAULT_MAX_DEPTH: usize = 20_000;
/// Default native stack the evaluator may use before failing with `U1001`. Safe on 2 MiB
/// threads; raise it (with [`Bindings::stack_limit`]) when evaluating on a bigger stack.
pub const DEFAULT_STACK_LIMIT: usize = 1024 * 1024;

/// Variables, functions, clock, random seed and limits for one evaluation.
#[derive(Clone, Default)]
pub struct Bindings {
    vars: Vec<(String, serde_json::Value)>,
    functions: Vec<Arc<CustomDef>>,
    now_millis: Option<i64>,
    seed: Option<u64>,
    max_depth: Option<usize>,
    time_limit: Option<Duration>,
    stack_limit: Option<usize>,
}

impl Bindings {
    pub fn new() -> Bindings {
        Bindings::default()
    }
    /// Bind `$name` to a JSON value.
    pub fn var(mut self, name: &str, value: serde_json::Value) -> Bindings {
        self.vars.push((name.to_string(), value));
        self
    }
    /// Bind `$name` to a host function; `signature` uses JSONata's syntax (`"<s-n?:s>"`).
    pub fn function(
        mut self,
        name: &str,
        signature: Option<&str>,
        f: CustomFunction,
    ) -> Result<Bindings, Error> {
        self.functions.push(custom_def(name, signature, f)?);
        Ok(self)
    }
    /// Fix the clock: `$now()`/`$millis()` report this instant (milliseconds since the epoch).
    pub fn now(mut self, millis: i64) -> Bindings {
        self.now_millis = Some(millis);
        self
    }
    /// Seed `$random()`/`$shuffle()` so an evaluation is reproducible.
    pub fn seed(mut self, seed: u64) -> Bindings {
        self.seed = Some(seed);
        self
    }
    /// Fail with `U1001` beyond this many nested evaluation steps.
    pub fn max_depth(mut self, depth: usize) -> Bindings {
        self.max_depth = Some(depth);
        self
    }
    /// Fail with `U1001` ("Expression evaluation timeout") after this long.
    pub fn time_limit(mut self, limit: Duration) -> Bindings {
        self.time_limit = Some(limit);
        self
    }
    /// Native stack (bytes) the evaluation may use; see [`DEFAULT_STACK_LIMIT`].
    pub fn stack_limit(mut self, bytes: usize) -> Bindings {
        self.stack_limit = Some(bytes);
        self
    }
}

fn custom_def(
    name: &str,
    signature: Option<&str>,
    f: CustomFunction,
) -> Result<Arc<CustomDef>, Error> {
    let sig = match signature {
        Some(s) => Some(signature::Signature::parse(s).map_err(error::Err::into_public)?),
        None => None,
    };
    let arity = sig.as_ref().map(|s| s.param_count()).unwrap_or(1);
    Ok(Arc::new(CustomDef {
        name: name.to_string(),
        signature: sig,
        arity,
        f,
    }))
}

pub(crate) fn call_custom(ev: &mut eval::Eval, c: &CustomDef, args: &[Option<Value>]) -> eval::R {
    let mut jargs = Vec::with_capacity(args.len());
    for a in args {
        jargs.push(match a {
            Some(v) => value::to_json(v)?,
            None => None,
        });
    }
    let mut ctx = CallContext { ev };
    match (c.f)(&mut ctx, &jargs) {
        Ok(r) => Ok(r.as_ref().map(value::from_json)),
        Err(e) => {
            let mut err = error::Err::new("D3137").msg(e.message);
            err.code = std::borrow::Cow::Owned(e.code);
            err.position = e.position;
            err.token = e.token;
            Err(err)
        }
    }
}

/// An input document converted once to the evaluator's representation, for evaluating
/// several expressions (or one expression many times) over the same document without
/// converting it again. Cheap to clone; shareable across threads.
#[derive(Clone, Debug)]
pub struct Input(Option<Value>);

impl Input {
    pub fn new(doc: &serde_json::Value) -> Input {
        Input(Some(wrap_input(value::from_json(doc))))
    }
    /// No input document at all (JSONata's *undefined*).
    pub fn undefined() -> Input {
        Input(None)
    }
}

fn wrap_input(v: Value) -> Value {
    match v {
        // a JSON array input is one item: wrap it so paths do not map over it
        a @ Value::Array(..) => Value::Array(value::Arr::new(vec![a]), value::SEQ | value::OUTER),
        other => other,
    }
}

/// A compiled JSONata expression. Cheap to clone and shareable across threads.
#[derive(Clone)]
pub struct Expression {
    ast: Arc<parser::Node>,
    functions: Vec<Arc<CustomDef>>,
}

impl std::fmt::Debug for Expression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Expression").finish_non_exhaustive()
    }
}

impl Expression {
    /// Parse an expression. Syntax errors carry jsonata-js's `S0xxx` codes.
    pub fn compile(source: &str) -> Result<Expression, Error> {
        Expression::compile_with_stack_limit(source, DEFAULT_STACK_LIMIT)
    }

    /// [`Expression::compile`] allowing the parser `bytes` of native stack (for callers on
    /// threads with stacks bigger than the 2 MiB [`DEFAULT_STACK_LIMIT`] is sized for).
    pub fn compile_with_stack_limit(source: &str, bytes: usize) -> Result<Expression, Error> {
        let ast = parser::parse_with_budget(source, bytes).map_err(error::Err::into_public)?;
        Ok(Expression {
            ast: Arc::new(ast),
            functions: Vec::new(),
        })
    }

    /// Register a host function for every evaluation of this expression.
    pub fn register_function(
        &mut self,
        name: &str,
        signature: Option<&str>,
        f: CustomFunction,
    ) -> Result<(), Error> {
        self.functions.push(custom_def(name, signature, f)?);
        Ok(())
    }

    /// Evaluate against `input`. `Ok(None)` is JSONata's *undefined*.
    pub fn evaluate(
        &self,
        input: &serde_json::Value,
        bindings: &Bindings,
    ) -> Result<Option<serde_json::Value>, Error> {
        self.evaluate_opt(Some(input), bindings)
    }

    /// Evaluate with an optional input (`None`: no input document at all).
    pub fn evaluate_opt(
        &self,
        input: Option<&serde_json::Value>,
        bindings: &Bindings,
    ) -> Result<Option<serde_json::Value>, Error> {
        let input = match input {
            Some(v) => Input::new(v),
            None => Input::undefined(),
        };
        self.evaluate_input(&input, bindings)
    }

    /// Evaluate over a pre-converted [`Input`].
    pub fn evaluate_input(
        &self,
        input: &Input,
        bindings: &Bindings,
    ) -> Result<Option<serde_json::Value>, Error> {
        let now = bindings.now_millis.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0)
        });
        let seed = bindings.seed.unwrap_or_else(|| {
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0);
            t ^ (std::ptr::addr_of!(t) as u64)
        });
        let limits = eval::Limits {
            max_depth: bindings.max_depth.unwrap_or(DEFAULT_MAX_DEPTH),
            deadline: bindings.time_limit.map(|d| Instant::now() + d),
        };
        let mut ev = eval::Eval::new(limits, now, seed);
        for f in self.functions.iter().chain(bindings.functions.iter()) {
            let name: Arc<str> = Arc::from(f.name.as_str());
            ev.bind(
                0,
                &name,
                Some(Value::Func(Arc::new(Func::Custom(f.clone())))),
            );
        }
        for (k, v) in &bindings.vars {
            let name: Arc<str> = Arc::from(k.as_str());
            ev.bind(0, &name, Some(value::from_json(v)));
        }
        let input = input.0.clone();
        // `$$` is the document itself, bound before an array input is wrapped
        let root = match &input {
            Some(Value::Array(a, f)) if f & value::OUTER != 0 => a.first().cloned(),
            other => other.clone(),
        };
        ev.bind(0, &Arc::from("$"), root);
        let prev_floor =
            value::set_stack_budget(bindings.stack_limit.unwrap_or(DEFAULT_STACK_LIMIT));
        let r = ev.eval(&self.ast, &input, 0);
        let out = match r {
            Err(e) => Err(e),
            Ok(None) => Ok(None),
            Ok(Some(v)) => value::to_json(&v),
        };
        value::restore_stack_floor(prev_floor);
        out.map_err(error::Err::into_public)
    }
}
