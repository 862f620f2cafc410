//! The evaluator: jsonata-js's sequence semantics, tuple streams (`@`, `#`, `%`), closures
//! in an arena of frames, a trampoline for tail calls, and depth/time/stack guards.

use std::sync::Arc;
use std::time::Instant;

use crate::error::Err;
use crate::parser::TransformDef;
use crate::parser::{BinOp, GroupDef, Kind, Node, SortTerm, Stage};
use crate::value::{
    deep_equal, strict_equal, Arr, Ctx, Func, Map, Obj, PArg, Value, CONS, KEEP, OUTER, SEQ,
};

pub type R = Result<Option<Value>, Err>;

pub struct Frame {
    pub parent: Option<usize>,
    pub vars: Vec<(Arc<str>, Option<Value>)>,
}

type Tuple = Vec<(Arc<str>, Option<Value>)>;

const AT: &str = "@";

fn tuple_get<'t>(t: &'t Tuple, k: &str) -> Option<&'t Option<Value>> {
    t.iter().find(|(n, _)| &**n == k).map(|(_, v)| v)
}

fn tuple_set(t: &mut Tuple, k: &Arc<str>, v: Option<Value>) {
    if let Some(e) = t.iter_mut().find(|(n, _)| n == k) {
        e.1 = v;
    } else {
        t.push((k.clone(), v));
    }
}

fn tuple_at(t: &Tuple) -> Option<Value> {
    tuple_get(t, AT).cloned().flatten()
}

/// Either ordinary values or a tuple stream (only between path steps).
enum Out {
    V(Option<Value>),
    T(Vec<Tuple>),
}

#[derive(Clone, Copy)]
enum StepIn<'x> {
    One(&'x Option<Value>),
    Many(&'x [Value]),
}

impl StepIn<'_> {
    fn len(&self) -> usize {
        match self {
            StepIn::One(_) => 1,
            StepIn::Many(v) => v.len(),
        }
    }
    fn get(&self, i: usize) -> Option<Value> {
        match self {
            StepIn::One(v) => (*v).clone(),
            StepIn::Many(v) => v.get(i).cloned(),
        }
    }
}

pub struct Limits {
    pub max_depth: usize,
    pub deadline: Option<Instant>,
}

/// Internal: a sibling's evaluation was cut short (see `Eval::concurrently`); never escapes.
const ABORT: &str = "(abort)";

pub struct Eval {
    pub frames: Vec<Frame>,
    steps: u64,
    step_limit: u64,
    depth: usize,
    limits: Limits,
    tick: u32,
    pub now_millis: i64,
    rng: u64,
    /// count of closures created: frames above a mark may be released only when no
    /// closure was created since the mark
    captures: u64,
}

pub fn boolean(v: &Option<Value>) -> bool {
    match v {
        None => false,
        Some(v) => boolean_v(v),
    }
}

fn boolean_v(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => *n != 0.0,
        Value::String(s) => !s.is_empty(),
        Value::Array(a, _) => match a.len() {
            0 => false,
            1 => boolean_v(&a[0]),
            _ => a.iter().any(boolean_v),
        },
        Value::Object(o) => !o.is_empty(),
        Value::Func(_) => false,
    }
}

/// jsonata-js `isNumeric`: a number that is not NaN; infinite numbers are an error.
pub fn is_numeric(v: &Option<Value>) -> Result<bool, Err> {
    match v {
        Some(Value::Number(n)) => {
            if n.is_nan() {
                Ok(false)
            } else if !n.is_finite() {
                Err(Err::new("D1001").value_num(*n))
            } else {
                Ok(true)
            }
        }
        _ => Ok(false),
    }
}

/// jsonata-js `fn.append`.
pub fn append(a: Option<Value>, b: Option<Value>) -> Option<Value> {
    match (a, b) {
        (None, b) => b,
        (a, None) => a,
        (Some(a), Some(b)) => {
            let mut v: Vec<Value> = a.members().to_vec();
            v.extend_from_slice(b.members());
            // jsonata-js joins with Array.prototype.concat, whose result is a plain array
            // (not a sequence), whatever its operands were.
            Some(Value::Array(Arr::new(v), 0))
        }
    }
}

fn flatten_into(v: &Value, out: &mut Vec<Value>) -> Result<(), Err> {
    match v {
        Value::Array(a, _) => {
            crate::value::stack_check()?;
            for x in a.iter() {
                flatten_into(x, out)?;
            }
        }
        _ => out.push(v.clone()),
    }
    Ok(())
}

impl Eval {
    pub fn new(limits: Limits, now_millis: i64, seed: u64) -> Eval {
        Eval {
            frames: vec![Frame {
                parent: None,
                vars: Vec::new(),
            }],
            steps: 0,
            step_limit: u64::MAX,
            depth: 0,
            limits,
            tick: 0,
            now_millis,
            rng: seed ^ 0x9E37_79B9_7F4A_7C15,
            captures: 0,
        }
    }

    pub fn random(&mut self) -> f64 {
        // splitmix64
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn new_frame(&mut self, parent: usize) -> usize {
        self.frames.push(Frame {
            parent: Some(parent),
            vars: Vec::new(),
        });
        self.frames.len() - 1
    }

    pub fn bind(&mut self, env: usize, name: &Arc<str>, v: Option<Value>) {
        if let Some(f) = self.frames.get_mut(env) {
            if let Some(e) = f.vars.iter_mut().find(|(n, _)| n == name) {
                e.1 = v;
            } else {
                f.vars.push((name.clone(), v));
            }
        }
    }

    pub fn lookup(&self, env: usize, name: &str) -> Option<Value> {
        let mut cur = Some(env);
        while let Some(i) = cur {
            let Some(f) = self.frames.get(i) else { break };
            if let Some((_, v)) = f.vars.iter().rev().find(|(n, _)| &**n == name) {
                return v.clone();
            }
            cur = f.parent;
        }
        crate::functions::builtin(name)
    }

    fn is_bound(&self, env: usize, name: &str) -> bool {
        self.lookup(env, name).is_some()
    }

    pub fn captured(&mut self) {
        self.captures += 1;
    }

    fn release(&mut self, mark: usize, cap: u64) {
        if self.captures == cap && mark >= 1 && mark <= self.frames.len() {
            self.frames.truncate(mark);
        }
    }

    /// jsonata-js evaluates array-constructor items and object-constructor values with
    /// `Promise.all`: when several fail, the one that fails after the fewest evaluation steps
    /// is reported. Items run in order here; after a failure, later items may only run for
    /// fewer steps than the failing one took, which is all that can change the outcome.
    fn concurrently(
        &mut self,
        n: usize,
        mut f: impl FnMut(&mut Eval, usize) -> R,
    ) -> Result<Vec<Option<Value>>, Err> {
        let outer_limit = self.step_limit;
        let mut best: Option<(u64, Err)> = None;
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let start = self.steps;
            if let Some((cost, _)) = &best {
                self.step_limit = outer_limit.min(start + cost);
            }
            let r = f(self, i);
            self.step_limit = outer_limit;
            match r {
                Ok(v) => {
                    if best.is_none() {
                        out.push(v);
                    }
                }
                Err(e) => {
                    if self.steps > outer_limit {
                        return Err(e);
                    }
                    if e.code == ABORT {
                        continue;
                    }
                    let cost = self.steps - start;
                    if best.as_ref().is_none_or(|(c, _)| cost < *c) {
                        best = Some((cost, e));
                    }
                }
            }
        }
        match best {
            Some((_, e)) => Err(e),
            None => Ok(out),
        }
    }

    fn enter(&mut self) -> Result<(), Err> {
        self.steps += 1;
        if self.steps > self.step_limit {
            return Err(Err::new(ABORT));
        }
        self.depth += 1;
        if self.depth > self.limits.max_depth {
            return Err(Err::new("U1001"));
        }
        crate::value::stack_check()?;
        self.tick = self.tick.wrapping_add(1);
        if self.tick & 255 == 0 {
            if let Some(d) = self.limits.deadline {
                if Instant::now() > d {
                    return Err(Err::new("U1001")
                        .msg("Expression evaluation timeout: Check for infinite loop"));
                }
            }
        }
        Ok(())
    }

    pub fn eval(&mut self, node: &Node, input: &Option<Value>, env: usize) -> R {
        self.enter()?;
        let r = self.eval_inner(node, input, env);
        self.depth -= 1;
        let mut result = r?;
        if !node.predicate.is_empty() {
            for p in &node.predicate {
                result = self.filter(p, result, env)?;
            }
        }
        if !matches!(node.kind, Kind::Path(_)) {
            if let Some(g) = &node.group {
                result = Some(self.group(g, GroupIn::V(result), env)?);
            }
        }
        Ok(normalize(result, node.keep_array))
    }

    fn eval_inner(&mut self, node: &Node, input: &Option<Value>, env: usize) -> R {
        match &node.kind {
            Kind::Path(steps)
                if is_simple_field(node, steps) && !matches!(input, Some(Value::Array(..))) =>
            {
                // `name` on a single (non-array) item: the general path machinery would
                // build and then unwrap a one-item sequence; a direct lookup is equivalent.
                let Some(Kind::Name(n)) = steps.first().map(|s| &s.kind) else {
                    return Ok(None);
                };
                lookup_field(input.as_ref(), n)
            }
            Kind::Path(steps) => match self.path(node, steps, input, env, false)? {
                Out::V(v) => Ok(v),
                Out::T(_) => Ok(None),
            },
            Kind::Name(n) => lookup_field(input.as_ref(), n),
            Kind::Str(s) => Ok(Some(Value::String(s.clone()))),
            Kind::Num(n) => Ok(Some(Value::Number(*n))),
            Kind::Bool(b) => Ok(Some(Value::Bool(*b))),
            Kind::Null => Ok(Some(Value::Null)),
            Kind::Wildcard => Ok(Some(wildcard(input)?)),
            Kind::Descendant => descendants(input),
            Kind::Parent(_) => {
                let label = node.label.as_deref().unwrap_or("");
                Ok(self.lookup(env, label))
            }
            Kind::Var(name) => {
                if name.is_empty() {
                    Ok(match input {
                        Some(Value::Array(a, f)) if f & OUTER != 0 => a.first().cloned(),
                        other => other.clone(),
                    })
                } else {
                    Ok(self.lookup(env, name))
                }
            }
            Kind::Regex(re) => Ok(Some(Value::Func(Arc::new(Func::Regex(re.clone()))))),
            Kind::Binary(op, l, r) => self.binary(*op, l, r, node.pos, input, env),
            Kind::Neg(e) => {
                let v = self.eval(e, input, env)?;
                match v {
                    None => Ok(None),
                    Some(Value::Number(n)) if is_numeric(&Some(Value::Number(n)))? => {
                        Ok(Some(Value::Number(-n)))
                    }
                    other => Err(Err::new("D1002").pos(node.pos).token("-").value(other)),
                }
            }
            Kind::Array(items) => {
                let mut out: Vec<Value> = Vec::with_capacity(items.len());
                let vals =
                    self.concurrently(items.len(), |ev, i| ev.eval(&items[i], input, env))?;
                for (it, v) in items.iter().zip(vals) {
                    if let Some(v) = v {
                        if matches!(it.kind, Kind::Array(_)) {
                            out.push(v);
                        } else {
                            match v {
                                Value::Array(a, _) => out.extend(a.iter().cloned()),
                                v => out.push(v),
                            }
                        }
                    }
                }
                let flags = if node.cons_array { CONS } else { 0 };
                Ok(Some(Value::Array(Arr::new(out), flags)))
            }
            Kind::Object(g) => Ok(Some(self.group(g, GroupIn::V(input.clone()), env)?)),
            Kind::Cond(c, t, e) => {
                let cv = self.eval(c, input, env)?;
                if boolean(&cv) {
                    self.eval(t, input, env)
                } else if let Some(e) = e {
                    self.eval(e, input, env)
                } else {
                    Ok(None)
                }
            }
            Kind::Coalesce(a, b) => {
                let v = self.eval(a, input, env)?;
                if v.is_some() {
                    Ok(v)
                } else {
                    self.eval(b, input, env)
                }
            }
            Kind::Elvis(a, b) => {
                let v = self.eval(a, input, env)?;
                if boolean(&v) {
                    Ok(v)
                } else {
                    self.eval(b, input, env)
                }
            }
            Kind::Block(exprs) => {
                let frame = self.new_frame(env);
                let mut res = None;
                for e in exprs {
                    res = self.eval(e, input, frame)?;
                }
                Ok(res)
            }
            Kind::Bind(name, e) => {
                let v = self.eval(e, input, env)?;
                self.bind(env, name, v.clone());
                Ok(v)
            }
            Kind::Function(proc_, args) => self.call(node, proc_, args, input, env, None),
            Kind::Partial(proc_, args) => self.partial(node, proc_, args, input, env),
            Kind::Lambda(def) => {
                if !def.thunk {
                    self.captured();
                }
                Ok(Some(Value::Func(Arc::new(Func::Lambda {
                    def: def.clone(),
                    env,
                    input: input.clone(),
                    params: None,
                }))))
            }
            Kind::Apply(l, r) => {
                let lhs = self.eval(l, input, env)?;
                if let Kind::Function(proc_, args) = &r.kind {
                    let res = self.call(r, proc_, args, input, env, Some(lhs))?;
                    return Ok(match res {
                        Some(v) if r.keep_array && v.is_sequence() => {
                            let f = v.flags();
                            Some(v.with_flags(f | KEEP))
                        }
                        other => other,
                    });
                }
                let f = self.eval(r, input, env)?;
                match &f {
                    Some(Value::Func(_)) => {}
                    _ => return Err(Err::new("T2006").pos(node.pos).value(f)),
                }
                if let Some(Value::Func(_)) = &lhs {
                    let (Some(a), Some(b)) = (lhs, f) else {
                        return Ok(None);
                    };
                    return Ok(Some(Value::Func(Arc::new(Func::Chain(a, b)))));
                }
                let fv = f.unwrap_or(Value::Null);
                // jsonata-js applies `~>` functions with a null (not undefined) context
                self.apply(&fv, vec![lhs], &Some(Value::Null), env, node.pos, None)
            }
            Kind::Sort(_) => Ok(None),
            Kind::Transform(def) => {
                self.captured();
                Ok(Some(Value::Func(Arc::new(Func::Transform {
                    def: def.clone(),
                    env,
                }))))
            }
            Kind::Placeholder => Ok(None),
        }
    }

    // ------------------------------------------------------------------ paths

    fn path(
        &mut self,
        node: &Node,
        steps: &[Node],
        input: &Option<Value>,
        env: usize,
        want_tuples: bool,
    ) -> Result<Out, Err> {
        let Some(first) = steps.first() else {
            return Ok(Out::V(None));
        };
        enum Owned {
            One(Option<Value>),
            Many(Arc<Arr>),
        }
        let mut cur = match input {
            Some(Value::Array(a, _)) if !matches!(first.kind, Kind::Var(_)) => {
                Owned::Many(a.clone())
            }
            _ => Owned::One(input.clone()),
        };
        let mut result: Option<Value> = None;
        let mut is_tuple = false;
        let mut tuples: Option<Vec<Tuple>> = None;
        let last = steps.len() - 1;
        for (ii, step) in steps.iter().enumerate() {
            if step.tuple {
                is_tuple = true;
            }
            let in_seq = match &cur {
                Owned::One(v) => StepIn::One(v),
                Owned::Many(a) => StepIn::Many(a.as_slice()),
            };
            if ii == 0 && step.cons_array {
                let seq_input = match in_seq {
                    StepIn::One(v) => v.clone(),
                    StepIn::Many(v) => Some(Value::seq(v.to_vec())),
                };
                result = self.eval(step, &seq_input, env)?;
            } else if is_tuple {
                tuples = Some(self.tuple_step(step, in_seq, tuples.take(), env)?);
            } else {
                result = Some(self.step(step, in_seq, env, ii == last)?);
            }
            if !is_tuple {
                match &result {
                    None => break,
                    Some(Value::Array(a, _)) if a.is_empty() => break,
                    _ => {}
                }
            }
            if step.focus.is_none() && !is_tuple {
                cur = match &result {
                    Some(Value::Array(a, _)) => Owned::Many(a.clone()),
                    _ => Owned::Many(Arr::new(Vec::new())),
                };
            }
        }
        if is_tuple {
            let ts = tuples.unwrap_or_default();
            if node.tuple && want_tuples {
                return Ok(Out::T(ts));
            }
            if let Some(g) = &node.group {
                return Ok(Out::V(Some(self.group(g, GroupIn::T(ts), env)?)));
            }
            let vals: Vec<Value> = ts.iter().filter_map(tuple_at).collect();
            let mut r = Value::seq(vals);
            if node.keep_singleton_array {
                r = r.with_flags(SEQ | KEEP);
            }
            return Ok(Out::V(Some(r)));
        }
        if node.keep_singleton_array {
            if let Some(r) = result.take() {
                let f = r.flags();
                let r = if r.is_array() && f & CONS != 0 && f & SEQ == 0 {
                    Value::Array(Arr::new(vec![r]), SEQ | KEEP)
                } else if r.is_array() {
                    r.with_flags(f | KEEP)
                } else {
                    r
                };
                result = Some(r);
            }
        }
        if let Some(g) = &node.group {
            result = Some(self.group(g, GroupIn::V(result), env)?);
        }
        Ok(Out::V(result))
    }

    fn step(&mut self, step: &Node, input: StepIn, env: usize, last: bool) -> Result<Value, Err> {
        if let Kind::Sort(terms) = &step.kind {
            let items: Vec<Value> = (0..input.len()).filter_map(|i| input.get(i)).collect();
            let mut r = self.sort_values(terms, items, step.pos, env)?;
            for st in &step.stages {
                if let Stage::Filter(p) = st {
                    r = self.filter(p, r, env)?;
                }
            }
            return Ok(r.unwrap_or_else(|| Value::seq(vec![])));
        }
        let mut results: Vec<Value> = Vec::new();
        for i in 0..input.len() {
            let item = input.get(i);
            let mut res = self.eval(step, &item, env)?;
            for st in &step.stages {
                if let Stage::Filter(p) = st {
                    res = self.filter(p, res, env)?;
                }
            }
            if let Some(r) = res {
                results.push(r);
            }
        }
        if last && results.len() == 1 && results[0].is_array() && !results[0].is_sequence() {
            return Ok(results.swap_remove(0));
        }
        let mut out = Vec::with_capacity(results.len());
        for r in results {
            match r {
                Value::Array(a, f) if f & CONS == 0 => out.extend(a.iter().cloned()),
                v => out.push(v),
            }
        }
        Ok(Value::seq(out))
    }

    fn tuple_frame(&mut self, env: usize, t: &Tuple) -> usize {
        let f = self.new_frame(env);
        for (k, v) in t {
            if &**k != AT {
                self.bind(f, k, v.clone());
            }
        }
        f
    }

    fn eval_for_tuples(
        &mut self,
        node: &Node,
        input: &Option<Value>,
        env: usize,
    ) -> Result<Out, Err> {
        if !node.tuple || !matches!(node.kind, Kind::Path(_) | Kind::Block(_)) {
            return Ok(Out::V(self.eval(node, input, env)?));
        }
        self.enter()?;
        let r = self.eval_tuple_inner(node, input, env);
        self.depth -= 1;
        match r? {
            Out::V(mut v) => {
                for p in &node.predicate {
                    v = self.filter(p, v, env)?;
                }
                Ok(Out::V(normalize(v, node.keep_array)))
            }
            Out::T(mut ts) => {
                for p in &node.predicate {
                    ts = self.filter_tuples(p, ts, env)?;
                }
                Ok(Out::T(ts))
            }
        }
    }

    fn eval_tuple_inner(
        &mut self,
        node: &Node,
        input: &Option<Value>,
        env: usize,
    ) -> Result<Out, Err> {
        match &node.kind {
            Kind::Path(steps) => self.path(node, steps, input, env, true),
            Kind::Block(exprs) => {
                let frame = self.new_frame(env);
                let mut res = Out::V(None);
                let n = exprs.len();
                for (i, e) in exprs.iter().enumerate() {
                    if i + 1 == n {
                        res = self.eval_for_tuples(e, input, frame)?;
                    } else {
                        self.eval(e, input, frame)?;
                    }
                }
                Ok(res)
            }
            _ => Ok(Out::V(self.eval_inner(node, input, env)?)),
        }
    }

    fn tuple_step(
        &mut self,
        step: &Node,
        input: StepIn,
        tuples: Option<Vec<Tuple>>,
        env: usize,
    ) -> Result<Vec<Tuple>, Err> {
        if let Kind::Sort(terms) = &step.kind {
            let mut result = match tuples {
                Some(ts) => self.sort_tuples(terms, ts, step.pos, env)?,
                None => {
                    let items: Vec<Value> = (0..input.len()).filter_map(|i| input.get(i)).collect();
                    let sorted = self.sort_values(terms, items, step.pos, env)?;
                    let mut out = Vec::new();
                    if let Some(s) = sorted {
                        for (i, v) in s.members().iter().enumerate() {
                            let mut t: Tuple = vec![(Arc::from(AT), Some(v.clone()))];
                            if let Some(ix) = &step.index {
                                tuple_set(&mut t, ix, Some(Value::Number(i as f64)));
                            }
                            out.push(t);
                        }
                    }
                    out
                }
            };
            result = self.stages(&step.stages, result, env)?;
            return Ok(result);
        }
        let tuples = match tuples {
            Some(t) => t,
            None => (0..input.len())
                .map(|i| vec![(Arc::<str>::from(AT), input.get(i))])
                .collect(),
        };
        let mut result: Vec<Tuple> = Vec::new();
        for t in &tuples {
            let frame = self.tuple_frame(env, t);
            let at = tuple_at(t);
            let res = self.eval_for_tuples(step, &at, frame)?;
            match res {
                Out::T(ts) => {
                    for r in ts {
                        let mut nt = t.clone();
                        for (k, v) in r {
                            tuple_set(&mut nt, &k, v);
                        }
                        result.push(nt);
                    }
                }
                Out::V(None) => {}
                Out::V(Some(v)) => {
                    for (bb, item) in v.members().iter().enumerate() {
                        let mut nt = t.clone();
                        if let Some(f) = &step.focus {
                            tuple_set(&mut nt, f, Some(item.clone()));
                        } else {
                            tuple_set(&mut nt, &Arc::from(AT), Some(item.clone()));
                        }
                        if let Some(ix) = &step.index {
                            tuple_set(&mut nt, ix, Some(Value::Number(bb as f64)));
                        }
                        if let Some(l) = &step.label {
                            tuple_set(&mut nt, l, at.clone());
                        }
                        result.push(nt);
                    }
                }
            }
        }
        self.stages(&step.stages, result, env)
    }

    fn stages(
        &mut self,
        stages: &[Stage],
        mut ts: Vec<Tuple>,
        env: usize,
    ) -> Result<Vec<Tuple>, Err> {
        for st in stages {
            match st {
                Stage::Filter(p) => ts = self.filter_tuples(p, ts, env)?,
                Stage::Index(name) => {
                    for (i, t) in ts.iter_mut().enumerate() {
                        tuple_set(t, name, Some(Value::Number(i as f64)));
                    }
                }
            }
        }
        Ok(ts)
    }

    fn filter_tuples(
        &mut self,
        pred: &Node,
        ts: Vec<Tuple>,
        env: usize,
    ) -> Result<Vec<Tuple>, Err> {
        if let Kind::Num(n) = pred.kind {
            let mut idx = n.floor();
            if idx < 0.0 {
                idx += ts.len() as f64;
            }
            if idx >= 0.0 {
                if let Some(t) = ts.into_iter().nth(idx as usize) {
                    return Ok(vec![t]);
                }
            }
            return Ok(Vec::new());
        }
        let len = ts.len();
        let mut out = Vec::new();
        for (index, t) in ts.into_iter().enumerate() {
            let frame = self.tuple_frame(env, &t);
            let ctx = tuple_at(&t);
            let res = self.eval(pred, &ctx, frame)?;
            if predicate_selects(&res, index, len)? {
                out.push(t);
            }
        }
        Ok(out)
    }

    pub fn filter(&mut self, pred: &Node, input: Option<Value>, env: usize) -> R {
        let Some(input) = input else {
            // jsonata-js still evaluates the predicate once, against an undefined context
            // (so its errors surface); the undefined item it may keep is dropped here.
            if !matches!(pred.kind, Kind::Num(_)) {
                self.eval(pred, &None, env)?;
            }
            return Ok(Some(Value::seq(vec![])));
        };
        let items: &[Value] = input.members();
        if let Kind::Num(n) = pred.kind {
            let mut idx = n.floor();
            if idx < 0.0 {
                idx += items.len() as f64;
            }
            let mut out = Vec::new();
            if idx >= 0.0 {
                if let Some(item) = items.get(idx as usize) {
                    if item.is_array() {
                        return Ok(Some(item.clone()));
                    }
                    out.push(item.clone());
                }
            }
            return Ok(Some(Value::seq(out)));
        }
        let len = items.len();
        let mut out = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let ctx = Some(item.clone());
            let res = self.eval(pred, &ctx, env)?;
            if predicate_selects(&res, index, len)? {
                out.push(item.clone());
            }
        }
        Ok(Some(Value::seq(out)))
    }

    // ------------------------------------------------------------------ grouping

    fn group(&mut self, g: &GroupDef, input: GroupIn, env: usize) -> Result<Value, Err> {
        struct Entry {
            data: GroupData,
            expr_index: usize,
        }
        enum GroupData {
            V(Option<Value>),
            T(Vec<Tuple>),
        }
        let mut groups: indexmap::IndexMap<Arc<str>, Entry> = indexmap::IndexMap::new();
        match input {
            GroupIn::V(v) => {
                let items: Vec<Option<Value>> = match &v {
                    Some(Value::Array(a, _)) if !a.is_empty() => {
                        a.iter().cloned().map(Some).collect()
                    }
                    Some(Value::Array(..)) | None => vec![None],
                    Some(x) => vec![Some(x.clone())],
                };
                for item in items {
                    for (pi, (k, _)) in g.pairs.iter().enumerate() {
                        let key = self.eval(k, &item, env)?;
                        let key = match key {
                            None => continue,
                            Some(Value::String(s)) => s,
                            other => return Err(Err::new("T1003").pos(g.pos).value(other)),
                        };
                        if let Some(e) = groups.get_mut(&key) {
                            if e.expr_index != pi {
                                return Err(Err::new("D1009")
                                    .pos(g.pos)
                                    .value(Some(Value::String(key))));
                            }
                            if let GroupData::V(d) = &mut e.data {
                                *d = append(d.take(), item.clone());
                            }
                        } else {
                            groups.insert(
                                key,
                                Entry {
                                    data: GroupData::V(item.clone()),
                                    expr_index: pi,
                                },
                            );
                        }
                    }
                }
            }
            GroupIn::T(ts) => {
                let ts = if ts.is_empty() { vec![Vec::new()] } else { ts };
                for t in ts {
                    let frame = self.tuple_frame(env, &t);
                    let at = tuple_at(&t);
                    for (pi, (k, _)) in g.pairs.iter().enumerate() {
                        let key = self.eval(k, &at, frame)?;
                        let key = match key {
                            None => continue,
                            Some(Value::String(s)) => s,
                            other => return Err(Err::new("T1003").pos(g.pos).value(other)),
                        };
                        if let Some(e) = groups.get_mut(&key) {
                            if e.expr_index != pi {
                                return Err(Err::new("D1009")
                                    .pos(g.pos)
                                    .value(Some(Value::String(key))));
                            }
                            if let GroupData::T(d) = &mut e.data {
                                d.push(t.clone());
                            }
                        } else {
                            groups.insert(
                                key,
                                Entry {
                                    data: GroupData::T(vec![t.clone()]),
                                    expr_index: pi,
                                },
                            );
                        }
                    }
                }
            }
        }
        let entries: Vec<(Arc<str>, Entry)> = groups.into_iter().collect();
        let vals = self.concurrently(entries.len(), |ev, i| {
            let (_, e) = &entries[i];
            let expr = &g.pairs[e.expr_index].1;
            match &e.data {
                GroupData::V(d) => ev.eval(expr, d, env),
                GroupData::T(ts) => {
                    // reduceTupleStream: merge the tuples, appending values per binding
                    let mut merged: Tuple = Vec::new();
                    for (i, t) in ts.iter().enumerate() {
                        if i == 0 {
                            merged = t.clone();
                        } else {
                            for (k, v) in t {
                                let cur = tuple_get(&merged, k).cloned().flatten();
                                tuple_set(&mut merged, k, append(cur, v.clone()));
                            }
                        }
                    }
                    let ctx = tuple_at(&merged);
                    merged.retain(|(k, _)| &**k != AT);
                    let frame = ev.tuple_frame(env, &merged);
                    ev.eval(expr, &ctx, frame)
                }
            }
        })?;
        let mut result = Map::with_capacity(entries.len());
        for ((key, _), v) in entries.into_iter().zip(vals) {
            if let Some(v) = v {
                result.insert(key, v);
            }
        }
        Ok(Value::Object(Obj::new(result)))
    }

    // ------------------------------------------------------------------ sorting

    fn sort_key_cmp(
        &mut self,
        terms: &[SortTerm],
        a: (&Option<Value>, usize),
        b: (&Option<Value>, usize),
        pos: usize,
    ) -> Result<bool, Err> {
        for term in terms {
            let aa = self.eval(&term.expr, a.0, a.1)?;
            let bb = self.eval(&term.expr, b.0, b.1)?;
            let comp: i32 = match (&aa, &bb) {
                (None, None) => 0,
                (None, _) => 1,
                (_, None) => -1,
                (Some(x), Some(y)) => {
                    let okx = matches!(x, Value::String(_) | Value::Number(_));
                    let oky = matches!(y, Value::String(_) | Value::Number(_));
                    if !okx || !oky {
                        return Err(Err::new("T2008").pos(pos).value(if !okx { aa } else { bb }));
                    }
                    match (x, y) {
                        (Value::Number(p), Value::Number(q)) => {
                            if p == q {
                                0
                            } else if p < q {
                                -1
                            } else {
                                1
                            }
                        }
                        (Value::String(p), Value::String(q)) => {
                            match crate::functions::js_str_cmp(p, q) {
                                std::cmp::Ordering::Equal => 0,
                                std::cmp::Ordering::Less => -1,
                                std::cmp::Ordering::Greater => 1,
                            }
                        }
                        _ => return Err(Err::new("T2007").pos(pos).value(aa).value2(bb)),
                    }
                }
            };
            if comp == 0 {
                continue;
            }
            // undefined sorts last regardless of direction
            let comp = if term.descending && aa.is_some() && bb.is_some() {
                -comp
            } else {
                comp
            };
            return Ok(comp == 1);
        }
        Ok(false)
    }

    fn sort_values(&mut self, terms: &[SortTerm], items: Vec<Value>, pos: usize, env: usize) -> R {
        if items.len() <= 1 {
            return Ok(Some(Value::seq(items)));
        }
        let sorted = merge_sort(
            items,
            &mut |a: &Value, b: &Value, ev: &mut Eval| {
                ev.sort_key_cmp(terms, (&Some(a.clone()), env), (&Some(b.clone()), env), pos)
            },
            self,
        )?;
        Ok(Some(Value::seq(sorted)))
    }

    fn sort_tuples(
        &mut self,
        terms: &[SortTerm],
        ts: Vec<Tuple>,
        pos: usize,
        env: usize,
    ) -> Result<Vec<Tuple>, Err> {
        if ts.len() <= 1 {
            return Ok(ts);
        }
        merge_sort(
            ts,
            &mut |a: &Tuple, b: &Tuple, ev: &mut Eval| {
                let fa = ev.tuple_frame(env, a);
                let fb = ev.tuple_frame(env, b);
                ev.sort_key_cmp(terms, (&tuple_at(a), fa), (&tuple_at(b), fb), pos)
            },
            self,
        )
    }

    // ------------------------------------------------------------------ operators

    fn binary(
        &mut self,
        op: BinOp,
        l: &Node,
        r: &Node,
        pos: usize,
        input: &Option<Value>,
        env: usize,
    ) -> R {
        let lhs = self.eval(l, input, env)?;
        if matches!(op, BinOp::And | BinOp::Or) {
            let lb = boolean(&lhs);
            return Ok(Some(Value::Bool(match op {
                BinOp::And => {
                    lb && {
                        let rv = self.eval(r, input, env)?;
                        boolean(&rv)
                    }
                }
                _ => {
                    lb || {
                        let rv = self.eval(r, input, env)?;
                        boolean(&rv)
                    }
                }
            })));
        }
        let rhs = self.eval(r, input, env)?;
        let sym = op.symbol();
        let wrap = |e: Err| e.pos(pos).token(sym);
        match op {
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod => {
                let ln = is_numeric(&lhs).map_err(wrap)?;
                if lhs.is_some() && !ln {
                    return Err(wrap(Err::new("T2001").value(lhs)));
                }
                let rn = is_numeric(&rhs).map_err(wrap)?;
                if rhs.is_some() && !rn {
                    return Err(wrap(Err::new("T2002").value(rhs)));
                }
                let (Some(Value::Number(a)), Some(Value::Number(b))) = (&lhs, &rhs) else {
                    return Ok(None);
                };
                let v = match op {
                    BinOp::Add => a + b,
                    BinOp::Sub => a - b,
                    BinOp::Mul => a * b,
                    BinOp::Div => a / b,
                    _ => a % b,
                };
                Ok(Some(Value::Number(v)))
            }
            BinOp::Eq | BinOp::Ne => {
                let (Some(a), Some(b)) = (&lhs, &rhs) else {
                    return Ok(Some(Value::Bool(false)));
                };
                let eq = deep_equal(a, b);
                Ok(Some(Value::Bool(if op == BinOp::Eq { eq } else { !eq })))
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let comparable = |v: &Option<Value>| {
                    matches!(v, None | Some(Value::String(_)) | Some(Value::Number(_)))
                };
                if !comparable(&lhs) || !comparable(&rhs) {
                    let bad = if matches!(lhs, Some(Value::String(_)) | Some(Value::Number(_))) {
                        rhs
                    } else {
                        lhs
                    };
                    return Err(wrap(Err::new("T2010").value(bad)));
                }
                let (Some(a), Some(b)) = (&lhs, &rhs) else {
                    return Ok(None);
                };
                let ord = match (a, b) {
                    (Value::Number(x), Value::Number(y)) => x.partial_cmp(y),
                    (Value::String(x), Value::String(y)) => {
                        Some(crate::functions::js_str_cmp(x, y))
                    }
                    _ => {
                        return Err(wrap(
                            Err::new("T2009").value(lhs.clone()).value2(rhs.clone()),
                        ))
                    }
                };
                use std::cmp::Ordering::*;
                let res = match (op, ord) {
                    (_, None) => false,
                    (BinOp::Lt, Some(o)) => o == Less,
                    (BinOp::Le, Some(o)) => o != Greater,
                    (BinOp::Gt, Some(o)) => o == Greater,
                    (_, Some(o)) => o != Less,
                };
                Ok(Some(Value::Bool(res)))
            }
            BinOp::Concat => {
                let mut s = String::new();
                if let Some(a) = &lhs {
                    s.push_str(&crate::functions::to_string(a).map_err(wrap)?);
                }
                if let Some(b) = &rhs {
                    s.push_str(&crate::functions::to_string(b).map_err(wrap)?);
                }
                Ok(Some(Value::String(Arc::from(s))))
            }
            BinOp::Range => {
                let int = |v: &Option<Value>| matches!(v, Some(Value::Number(n)) if n.fract() == 0.0 && n.is_finite());
                if lhs.is_some() && !int(&lhs) {
                    return Err(wrap(Err::new("T2003").value(lhs)));
                }
                if rhs.is_some() && !int(&rhs) {
                    return Err(wrap(Err::new("T2004").value(rhs)));
                }
                let (Some(Value::Number(a)), Some(Value::Number(b))) = (&lhs, &rhs) else {
                    return Ok(None);
                };
                if a > b {
                    return Ok(None);
                }
                let size = b - a + 1.0;
                if size > 1e7 {
                    return Err(wrap(Err::new("D2014").value_num(size)));
                }
                let (a, n) = (*a as i64, size as i64);
                let v: Vec<Value> = (0..n).map(|i| Value::Number((a + i) as f64)).collect();
                Ok(Some(Value::seq(v)))
            }
            BinOp::In => {
                let (Some(a), Some(b)) = (&lhs, &rhs) else {
                    return Ok(Some(Value::Bool(false)));
                };
                Ok(Some(Value::Bool(
                    b.members().iter().any(|x| strict_equal(x, a)),
                )))
            }
            BinOp::And | BinOp::Or => Ok(None),
        }
    }

    // ------------------------------------------------------------------ functions

    fn proc_name(proc_: &Node) -> Option<String> {
        match &proc_.kind {
            Kind::Path(steps) => match steps.first().map(|s| &s.kind) {
                Some(Kind::Name(n)) => Some(n.to_string()),
                _ => None,
            },
            Kind::Var(v) => Some(v.to_string()),
            _ => None,
        }
    }

    fn call(
        &mut self,
        node: &Node,
        proc_: &Node,
        args: &[Node],
        input: &Option<Value>,
        env: usize,
        applyto: Option<Option<Value>>,
    ) -> R {
        let f = self.eval(proc_, input, env)?;
        let name = Self::proc_name(proc_);
        if f.is_none() {
            if let (Kind::Path(_), Some(n)) = (&proc_.kind, &name) {
                if self.is_bound(env, n) {
                    return Err(Err::new("T1005").pos(node.pos).token(n.clone()));
                }
            }
        }
        let mut argv = Vec::with_capacity(args.len() + 1);
        if let Some(c) = applyto {
            argv.push(c);
        }
        for a in args {
            argv.push(self.eval(a, input, env)?);
        }
        let f = match f {
            Some(f) => f,
            None => {
                return Err(Err::new("T1006")
                    .pos(node.pos)
                    .token(name.unwrap_or_default()))
            }
        };
        self.apply(&f, argv, input, env, node.pos, name.as_deref())
    }

    fn partial(
        &mut self,
        node: &Node,
        proc_: &Node,
        args: &[Option<Node>],
        input: &Option<Value>,
        env: usize,
    ) -> R {
        let mut pargs = Vec::with_capacity(args.len());
        for a in args {
            match a {
                None => pargs.push(PArg::Hole),
                Some(a) => pargs.push(PArg::Val(self.eval(a, input, env)?)),
            }
        }
        let f = self.eval(proc_, input, env)?;
        let name = Self::proc_name(proc_);
        match f {
            Some(f @ Value::Func(_)) => {
                self.captured();
                Ok(Some(Value::Func(Arc::new(Func::Partial {
                    func: f,
                    args: pargs,
                }))))
            }
            None if matches!(proc_.kind, Kind::Path(_))
                && name.as_deref().is_some_and(|n| self.is_bound(env, n)) =>
            {
                Err(Err::new("T1007")
                    .pos(node.pos)
                    .token(name.unwrap_or_default()))
            }
            _ => Err(Err::new("T1008")
                .pos(node.pos)
                .token(name.unwrap_or_default())),
        }
    }

    /// Apply a function value, running the tail-call trampoline.
    pub fn apply(
        &mut self,
        f: &Value,
        args: Vec<Option<Value>>,
        input: &Option<Value>,
        env: usize,
        pos: usize,
        token: Option<&str>,
    ) -> R {
        let mark = self.frames.len();
        let cap = self.captures;
        let fix = |e: Err| {
            let mut e = e;
            if e.position.is_none() {
                e.position = Some(pos);
            }
            if e.token.is_none() {
                if let Some(t) = token {
                    e.token = Some(t.to_string());
                }
            }
            e
        };
        let mut result = self.apply_inner(f, args, input, env).map_err(fix)?;
        loop {
            let thunk = match &result {
                Some(Value::Func(func)) => match &**func {
                    Func::Lambda {
                        def,
                        env: tenv,
                        input: tinput,
                        ..
                    } if def.thunk => Some((def.clone(), *tenv, tinput.clone())),
                    _ => None,
                },
                _ => None,
            };
            let Some((def, tenv, tinput)) = thunk else {
                break;
            };
            let Kind::Function(proc_, targs) = &def.body.kind else {
                break;
            };
            let next = self.eval(proc_, &tinput, tenv)?;
            let name = Self::proc_name(proc_);
            let mut argv = Vec::with_capacity(targs.len());
            for a in targs {
                argv.push(self.eval(a, &tinput, tenv)?);
            }
            let next = match next {
                Some(n) => n,
                None => {
                    if let (Kind::Path(_), Some(n)) = (&proc_.kind, &name) {
                        if self.is_bound(tenv, n) {
                            return Err(Err::new("T1005").pos(def.body.pos).token(n.clone()));
                        }
                    }
                    return Err(Err::new("T1006")
                        .pos(def.body.pos)
                        .token(name.unwrap_or_default()));
                }
            };
            // The finished call's frame is no longer reachable unless a closure captured it.
            if self.captures == cap {
                self.frames.truncate(mark.max(1));
            }
            let bpos = def.body.pos;
            let fix2 = |e: Err| {
                let mut e = e;
                if e.position.is_none() {
                    e.position = Some(bpos);
                }
                if e.token.is_none() {
                    if let Some(t) = &name {
                        e.token = Some(t.clone());
                    }
                }
                e
            };
            result = self.apply_inner(&next, argv, input, env).map_err(fix2)?;
        }
        self.release(mark, cap);
        Ok(result)
    }

    pub fn apply_inner(
        &mut self,
        f: &Value,
        args: Vec<Option<Value>>,
        input: &Option<Value>,
        env: usize,
    ) -> R {
        let Value::Func(func) = f else {
            return Err(Err::new("T1006"));
        };
        let args = match func.signature() {
            Some(sig) => sig.validate(&args, input)?,
            None => args,
        };
        match &**func {
            Func::Lambda {
                def,
                env: cenv,
                input: cinput,
                params,
            } => {
                let frame = self.new_frame(*cenv);
                let names: &[Arc<str>] = match params {
                    Some(p) => p,
                    None => &def.params,
                };
                for (i, p) in names.iter().enumerate() {
                    let v = args.get(i).cloned().flatten();
                    self.bind(frame, p, v);
                }
                self.eval(&def.body, cinput, frame)
            }
            Func::Builtin(b) => {
                let ctx = Ctx {
                    input: input.clone(),
                    env,
                };
                (b.f)(self, &args, &ctx)
            }
            Func::Custom(c) => crate::call_custom(self, c, &args),
            Func::Partial {
                func: inner,
                args: pargs,
            } => {
                let mut it = args.into_iter();
                let mut full = Vec::with_capacity(pargs.len());
                for p in pargs {
                    match p {
                        PArg::Hole => full.push(it.next().flatten()),
                        PArg::Val(v) => full.push(v.clone()),
                    }
                }
                if let Value::Func(inner_f) = inner {
                    if let Func::Lambda {
                        def,
                        env: cenv,
                        input: cinput,
                        params,
                    } = &**inner_f
                    {
                        // partially applied lambdas lose their signature, as in jsonata-js
                        let frame = self.new_frame(*cenv);
                        let names: &[Arc<str>] = match params {
                            Some(p) => p,
                            None => &def.params,
                        };
                        for (i, p) in names.iter().enumerate() {
                            let v = full.get(i).cloned().flatten();
                            self.bind(frame, p, v);
                        }
                        return self.eval(&def.body, cinput, frame);
                    }
                }
                self.apply_inner(inner, full, input, env)
            }
            Func::Regex(re) => {
                let s = match args.first() {
                    Some(Some(Value::String(s))) => s.clone(),
                    _ => return Ok(None),
                };
                crate::functions::regex_exec(re, &s, 0)
            }
            Func::RegexNext { re, s, from } => crate::functions::regex_next(re, s, *from),
            Func::Transform { def, env: tenv } => {
                self.transform(def, *tenv, args.into_iter().next().flatten())
            }
            Func::Chain(a, b) => {
                let x = args.into_iter().next().flatten();
                let r1 = self.apply(a, vec![x], &Some(Value::Null), env, 0, None)?;
                self.apply(b, vec![r1], &Some(Value::Null), env, 0, None)
            }
        }
    }

    fn transform(&mut self, def: &TransformDef, env: usize, obj: Option<Value>) -> R {
        let Some(obj) = obj else { return Ok(None) };
        match self.lookup(env, "clone") {
            Some(Value::Func(_)) => {}
            _ => return Err(Err::new("T2013").pos(def.pos)),
        }
        // Copy-on-write update: walk the matches, updating in a deep copy of the input.
        let mut root = deep_copy(&obj)?;
        let matches = self.eval(&def.pattern, &Some(root.clone()), env)?;
        let Some(matches) = matches else {
            return Ok(Some(root));
        };
        let targets: Vec<Value> = matches.members().to_vec();
        for m in targets {
            let update = self.eval(&def.update, &Some(m.clone()), env)?;
            let mut new_m = m.clone();
            if let Some(u) = update {
                let Value::Object(uo) = &u else {
                    return Err(Err::new("T2011").pos(def.update.pos).value(Some(u)));
                };
                if let Value::Object(mo) = &new_m {
                    let mut nm = mo.0.clone();
                    for (k, v) in uo.iter() {
                        nm.insert(k.clone(), v.clone());
                    }
                    new_m = Value::Object(Obj::new(nm));
                }
            }
            if let Some(d) = &def.delete {
                let dels = self.eval(d, &Some(m.clone()), env)?;
                if let Some(dv) = dels {
                    let names: Vec<Value> = dv.members().to_vec();
                    if !names.iter().all(|n| matches!(n, Value::String(_))) {
                        return Err(Err::new("T2012")
                            .pos(def.delete.as_ref().map(|d| d.pos).unwrap_or(def.pos))
                            .value(Some(dv)));
                    }
                    if let Value::Object(mo) = &new_m {
                        let mut nm = mo.0.clone();
                        for n in names {
                            if let Value::String(s) = n {
                                nm.shift_remove(&*s);
                            }
                        }
                        new_m = Value::Object(Obj::new(nm));
                    }
                }
            }
            if let (Value::Object(old), Value::Object(new)) = (&m, &new_m) {
                if !Arc::ptr_eq(old, new) {
                    root = replace_object(&root, old, new)?;
                }
            }
        }
        Ok(Some(root))
    }
}

/// The matches of a transform pattern are objects inside the (copied) input; replace the
/// one identical to `old` with `new`, rebuilding the path to it.
fn replace_object(v: &Value, old: &Arc<Obj>, new: &Arc<Obj>) -> Result<Value, Err> {
    crate::value::stack_check()?;
    Ok(match v {
        Value::Object(o) => {
            if Arc::ptr_eq(o, old) {
                return Ok(Value::Object(new.clone()));
            }
            let mut changed = false;
            let mut m = Map::with_capacity(o.len());
            for (k, x) in o.iter() {
                let nx = replace_object(x, old, new)?;
                if !same(&nx, x) {
                    changed = true;
                }
                m.insert(k.clone(), nx);
            }
            if changed {
                Value::Object(Obj::new(m))
            } else {
                v.clone()
            }
        }
        Value::Array(a, f) => {
            let mut changed = false;
            let mut out = Vec::with_capacity(a.len());
            for x in a.iter() {
                let nx = replace_object(x, old, new)?;
                if !same(&nx, x) {
                    changed = true;
                }
                out.push(nx);
            }
            if changed {
                Value::Array(Arr::new(out), *f)
            } else {
                v.clone()
            }
        }
        _ => v.clone(),
    })
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => Arc::ptr_eq(x, y),
        (Value::Array(x, _), Value::Array(y, _)) => Arc::ptr_eq(x, y),
        _ => true,
    }
}

/// A deep copy gives every object in the transform's input its own identity, so matched
/// objects can be located by pointer.
pub fn deep_copy(v: &Value) -> Result<Value, Err> {
    crate::value::stack_check()?;
    Ok(match v {
        Value::Object(o) => {
            let mut m = Map::with_capacity(o.len());
            for (k, x) in o.iter() {
                m.insert(k.clone(), deep_copy(x)?);
            }
            Value::Object(Obj::new(m))
        }
        Value::Array(a, _) => {
            let mut out = Vec::with_capacity(a.len());
            for x in a.iter() {
                out.push(deep_copy(x)?);
            }
            Value::Array(Arr::new(out), 0)
        }
        other => other.clone(),
    })
}

enum GroupIn {
    V(Option<Value>),
    T(Vec<Tuple>),
}

fn predicate_selects(res: &Option<Value>, index: usize, len: usize) -> Result<bool, Err> {
    let hit = |n: f64| -> bool {
        let mut ii = n.floor();
        if ii < 0.0 {
            ii += len as f64;
        }
        ii == index as f64
    };
    match res {
        Some(Value::Number(n)) => {
            is_numeric(res)?;
            if n.is_nan() {
                return Ok(false);
            }
            Ok(hit(*n))
        }
        Some(Value::Array(a, _)) if a.iter().all(|x| matches!(x, Value::Number(_))) => {
            Ok(a.iter().any(|x| matches!(x, Value::Number(n) if hit(*n))))
        }
        other => Ok(boolean(other)),
    }
}

fn is_simple_field(node: &Node, steps: &[Node]) -> bool {
    let [s] = steps else { return false };
    matches!(s.kind, Kind::Name(_))
        && !node.keep_singleton_array
        && !node.tuple
        && node.group.is_none()
        && s.stages.is_empty()
        && s.predicate.is_empty()
        && s.group.is_none()
        && !s.keep_array
        && !s.tuple
        && s.focus.is_none()
        && s.index.is_none()
        && s.label.is_none()
}

fn normalize(result: Option<Value>, keep_array: bool) -> Option<Value> {
    match result {
        Some(Value::Array(a, f)) if f & SEQ != 0 => {
            let f = if keep_array { f | KEEP } else { f };
            match a.len() {
                0 => None,
                1 if f & KEEP == 0 => Some(a[0].clone()),
                _ => Some(Value::Array(a, f)),
            }
        }
        other => other,
    }
}

pub fn lookup_field(input: Option<&Value>, key: &str) -> Result<Option<Value>, Err> {
    match input {
        Some(Value::Array(a, _)) => {
            crate::value::stack_check()?;
            let mut out = Vec::new();
            for item in a.iter() {
                match lookup_field(Some(item), key)? {
                    None => {}
                    Some(Value::Array(inner, _)) => out.extend(inner.iter().cloned()),
                    Some(v) => out.push(v),
                }
            }
            Ok(Some(Value::seq(out)))
        }
        Some(Value::Object(o)) => Ok(o.field(key).cloned()),
        _ => Ok(None),
    }
}

fn wildcard(input: &Option<Value>) -> Result<Value, Err> {
    let mut out = Vec::new();
    let input = match input {
        Some(Value::Array(a, f)) if f & OUTER != 0 && !a.is_empty() => Some(a[0].clone()),
        other => other.clone(),
    };
    match &input {
        Some(Value::Object(o)) => {
            for v in o.values() {
                match v {
                    Value::Array(..) => flatten_into(v, &mut out)?,
                    v => out.push(v.clone()),
                }
            }
        }
        Some(Value::Array(a, _)) => {
            for v in a.iter() {
                flatten_into(v, &mut out)?;
            }
        }
        _ => {}
    }
    Ok(Value::seq(out))
}

fn descendants(input: &Option<Value>) -> Result<Option<Value>, Err> {
    let Some(input) = input.as_ref() else {
        return Ok(None);
    };
    let mut out = Vec::new();
    fn rec(v: &Value, out: &mut Vec<Value>) -> Result<(), Err> {
        crate::value::stack_check()?;
        match v {
            Value::Array(a, _) => {
                for x in a.iter() {
                    rec(x, out)?;
                }
            }
            Value::Object(o) => {
                out.push(v.clone());
                for x in o.values() {
                    rec(x, out)?;
                }
            }
            other => out.push(other.clone()),
        }
        Ok(())
    }
    rec(input, &mut out)?;
    if out.len() == 1 {
        Ok(out.pop())
    } else {
        Ok(Some(Value::seq(out)))
    }
}

/// Stable merge sort with a fallible "swap" comparator (jsonata-js `$sort`).
pub fn merge_sort<T: Clone>(
    items: Vec<T>,
    swap: &mut dyn FnMut(&T, &T, &mut Eval) -> Result<bool, Err>,
    ev: &mut Eval,
) -> Result<Vec<T>, Err> {
    if items.len() <= 1 {
        return Ok(items);
    }
    let mut items = items;
    let right = items.split_off(items.len() / 2);
    let left = merge_sort(items, swap, ev)?;
    let right = merge_sort(right, swap, ev)?;
    let mut out = Vec::with_capacity(left.len() + right.len());
    let (mut i, mut j) = (0, 0);
    while i < left.len() && j < right.len() {
        if swap(&left[i], &right[j], ev)? {
            out.push(right[j].clone());
            j += 1;
        } else {
            out.push(left[i].clone());
            i += 1;
        }
    }
    out.extend_from_slice(&left[i..]);
    out.extend_from_slice(&right[j..]);
    Ok(out)
}
