//! Workflow tests from a mock configuration file: run each test case on the engine's virtual
//! clock, check its `Expectations`, and measure which states, transitions, Catch and Retry
//! paths the test cases exercised.

use crate::mock_config::{Expectation, MockConfig, MockConfigError};
use crate::mock_resolver::MockResolver;
use engine::driver::run_to_completion;
use engine::history::{ErrorCause, StateKind};
use engine::{
    EventDetails, ExecutionContext, ExecutionStatus, HistoryEvent, Program, SeededEntropy,
    TaskResolver, Timestamp,
};
use serde_json::{json, Map, Value};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// Test executions start at this instant (2024-01-01T00:00:00Z) so that runs are reproducible.
pub const TEST_START_MILLIS: i64 = 1_704_067_200_000;

/// How one test case ran.
#[derive(Debug)]
pub struct CaseReport {
    pub state_machine: String,
    pub test_case: String,
    pub status: ExecutionStatus,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub cause: Option<String>,
    /// Whether the file declares `Expectations` for this case.
    pub has_expectations: bool,
    /// Each unmet expectation, worded for a person.
    pub failures: Vec<String>,
    /// Mocked states of the test case the execution never invoked.
    pub unused_mocks: Vec<String>,
    pub history: Vec<HistoryEvent>,
}

impl CaseReport {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Runs `test_case` of `state_machine` on `program`; unmocked states go to `fallback`.
pub fn run_test_case(
    program: Arc<Program>,
    config: &MockConfig,
    state_machine: &str,
    test_case: &str,
    fallback: Box<dyn TaskResolver + Send>,
) -> Result<CaseReport, MockConfigError> {
    let mut resolver = MockResolver::with_fallback(config, state_machine, test_case, fallback)?;
    let expectation = config
        .state_machine(state_machine)
        .and_then(|m| m.expectations.get(test_case));
    let input = expectation
        .and_then(|e| e.input.clone())
        .unwrap_or_else(|| Value::Object(Map::new()));
    let ctx = ExecutionContext::example(
        test_case,
        state_machine,
        Timestamp::from_millis(TEST_START_MILLIS),
    );
    let finished = run_to_completion(
        program,
        input,
        ctx,
        Box::new(SeededEntropy::new(0)),
        &mut resolver,
        true,
    );
    let o = finished.outcome;
    let output = o.output.map(|v| (*v).clone());
    let mut failures = Vec::new();
    if o.status == ExecutionStatus::Running {
        failures.push(
            "the execution did not finish: a task was left waiting (a callback or activity with no timeout)"
                .to_string(),
        );
    }
    if let Some(e) = expectation {
        check(e, o.status, &output, &o.error, &o.cause, &mut failures);
    }
    Ok(CaseReport {
        state_machine: state_machine.to_string(),
        test_case: test_case.to_string(),
        status: o.status,
        output,
        error: o.error,
        cause: o.cause,
        has_expectations: expectation.is_some(),
        failures,
        unused_mocks: resolver.unused_mocks(),
        history: finished.history,
    })
}

fn check(
    e: &Expectation,
    status: ExecutionStatus,
    output: &Option<Value>,
    error: &Option<String>,
    cause: &Option<String>,
    failures: &mut Vec<String>,
) {
    if let Some(s) = &e.status {
        if s != status.as_str() {
            failures.push(format!("status: expected {s}, got {}", status.as_str()));
        }
    }
    if let Some(want) = &e.output {
        match output {
            Some(got) if json_eq(want, got) => {}
            Some(got) => failures.push(format!("output: expected {want}, got {got}")),
            None => failures.push(format!("output: expected {want}, got no output")),
        }
    }
    for (field, want, got) in [("error", &e.error, error), ("cause", &e.cause, cause)] {
        if let Some(w) = want {
            if got.as_deref() != Some(w.as_str()) {
                failures.push(format!(
                    "{field}: expected {w:?}, got {}",
                    got.as_deref()
                        .map(|g| format!("{g:?}"))
                        .unwrap_or_else(|| "none".into())
                ));
            }
        }
    }
}

/// JSON equality with numbers compared by value (`1` equals `1.0`).
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Nesting deeper than this (Parallel in Map in Parallel...) is not walked for coverage.
const MAX_DEPTH: usize = 64;

/// The paths a definition offers, found statically.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Graph {
    /// Every state, nested ones included, in definition order.
    pub states: Vec<String>,
    /// `Next`, `Default` and Choice rule targets, deduplicated.
    pub transitions: Vec<(String, String)>,
    /// (state, catcher index, `ErrorEquals`, `Next`).
    pub catchers: Vec<(String, usize, Vec<String>, String)>,
    /// (state, retrier index, `ErrorEquals`).
    pub retriers: Vec<(String, usize, Vec<String>)>,
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

impl Graph {
    /// The graph of a definition (ASL JSON); unknown shapes contribute nothing.
    pub fn of(definition: &Value) -> Graph {
        let mut g = Graph::default();
        g.walk(definition, 0);
        g
    }

    fn edge(&mut self, from: &str, to: Option<&Value>) {
        if let Some(to) = to.and_then(Value::as_str) {
            let e = (from.to_string(), to.to_string());
            if !self.transitions.contains(&e) {
                self.transitions.push(e);
            }
        }
    }

    fn walk(&mut self, machine: &Value, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let Some(states) = machine.get("States").and_then(Value::as_object) else {
            return;
        };
        for (name, s) in states {
            self.states.push(name.clone());
            self.edge(name, s.get("Next"));
            self.edge(name, s.get("Default"));
            if let Some(choices) = s.get("Choices").and_then(Value::as_array) {
                for c in choices {
                    self.edge(name, c.get("Next"));
                }
            }
            if let Some(catchers) = s.get("Catch").and_then(Value::as_array) {
                for (i, c) in catchers.iter().enumerate() {
                    if let Some(next) = c.get("Next").and_then(Value::as_str) {
                        self.catchers.push((
                            name.clone(),
                            i,
                            strings(c.get("ErrorEquals")),
                            next.to_string(),
                        ));
                    }
                }
            }
            if let Some(retriers) = s.get("Retry").and_then(Value::as_array) {
                for (i, r) in retriers.iter().enumerate() {
                    self.retriers
                        .push((name.clone(), i, strings(r.get("ErrorEquals"))));
                }
            }
            if let Some(branches) = s.get("Branches").and_then(Value::as_array) {
                for b in branches {
                    self.walk(b, depth + 1);
                }
            }
            for key in ["ItemProcessor", "Iterator"] {
                if let Some(p) = s.get(key) {
                    self.walk(p, depth + 1);
                }
            }
        }
    }
}

/// Whether an `ErrorEquals` list matches `error` as the engine's rules do.
fn error_matches(error_equals: &[String], error: &str) -> bool {
    error_equals.iter().any(|e| {
        e == error
            || (e == "States.ALL" && error != "States.Runtime")
            || (e == "States.TaskFailed"
                && !matches!(
                    error,
                    "States.Timeout" | "States.Runtime" | "States.HeartbeatTimeout"
                ))
    })
}

/// The error a task-level failure event carries, when the event is one.
fn task_failure(d: &EventDetails) -> Option<&ErrorCause> {
    use EventDetails::*;
    match d {
        TaskFailed(_, ec)
        | TaskTimedOut(_, ec)
        | TaskStartFailed(_, ec)
        | TaskSubmitFailed(_, ec)
        | LambdaFunctionFailed(ec)
        | LambdaFunctionTimedOut(ec)
        | LambdaFunctionScheduleFailed(ec)
        | LambdaFunctionStartFailed(ec)
        | ActivityFailed(ec)
        | ActivityTimedOut(ec)
        | ActivityScheduleFailed(ec) => Some(ec),
        _ => None,
    }
}

fn is_state_failure(d: &EventDetails) -> bool {
    matches!(
        d,
        EventDetails::ParallelStateFailed | EventDetails::MapStateFailed
    ) || task_failure(d).is_some()
}

fn is_schedule(d: &EventDetails) -> bool {
    matches!(
        d,
        EventDetails::TaskScheduled { .. }
            | EventDetails::LambdaFunctionScheduled { .. }
            | EventDetails::ActivityScheduled { .. }
    )
}

/// What test cases exercised, against what the definition offers.
#[derive(Debug, Clone)]
pub struct Coverage {
    pub graph: Graph,
    pub runs: usize,
    pub states: BTreeSet<String>,
    pub transitions: BTreeSet<(String, String)>,
    /// (state, catcher index).
    pub catchers: BTreeSet<(String, usize)>,
    /// (state, retrier index). Task retries, and Parallel/Map retries after a branch's
    /// task failed.
    pub retriers: BTreeSet<(String, usize)>,
}

fn ratio(done: usize, total: usize) -> String {
    match (done * 100).checked_div(total) {
        Some(pct) => format!("{done}/{total} ({pct}%)"),
        None => "0/0".to_string(),
    }
}

impl Coverage {
    pub fn new(definition: &Value) -> Coverage {
        Coverage {
            graph: Graph::of(definition),
            runs: 0,
            states: BTreeSet::new(),
            transitions: BTreeSet::new(),
            catchers: BTreeSet::new(),
            retriers: BTreeSet::new(),
        }
    }

    /// Adds what one execution's history exercised.
    pub fn add(&mut self, history: &[HistoryEvent]) {
        self.runs += 1;
        let by_id: HashMap<u64, &HistoryEvent> = history.iter().map(|e| (e.id, e)).collect();
        let mut successors: HashMap<u64, Vec<&HistoryEvent>> = HashMap::new();
        for e in history {
            successors.entry(e.previous_event_id).or_default().push(e);
        }
        for e in history {
            match &e.details {
                EventDetails::StateEntered { name, .. } => {
                    self.states.insert(name.to_string());
                    let Some(prev) = by_id.get(&e.previous_event_id) else {
                        continue;
                    };
                    let EventDetails::StateExited { name: from, .. } = &prev.details else {
                        continue;
                    };
                    let failed = by_id
                        .get(&prev.previous_event_id)
                        .filter(|q| is_state_failure(&q.details));
                    match failed {
                        Some(q) => {
                            let error = task_failure(&q.details).and_then(|ec| ec.error.as_deref());
                            let catcher =
                                self.graph.catchers.iter().find(|(s, _, errors, next)| {
                                    **s == **from
                                        && **next == **name
                                        && match error {
                                            Some(err) => error_matches(errors, err),
                                            None => true,
                                        }
                                });
                            if let Some((s, i, _, _)) = catcher {
                                self.catchers.insert((s.clone(), *i));
                            }
                        }
                        None => {
                            self.transitions
                                .insert((from.to_string(), name.to_string()));
                        }
                    }
                }
                d => {
                    let Some(ec) = task_failure(d) else { continue };
                    // A retry follows the failure directly: a Task schedules again; a
                    // Parallel or Map whose branch failed starts again.
                    let retried = successors.get(&e.id).and_then(|next| {
                        next.iter().find_map(|n| match n.details {
                            _ if is_schedule(&n.details) => Some(None),
                            EventDetails::ParallelStateStarted => Some(Some(StateKind::Parallel)),
                            EventDetails::MapStateStarted { .. } => Some(Some(StateKind::Map)),
                            _ => None,
                        })
                    });
                    let Some(kind) = retried else {
                        continue;
                    };
                    let Some(state) = entered_state(&by_id, e, kind) else {
                        continue;
                    };
                    let error = ec.error.as_deref().unwrap_or("");
                    if let Some((s, i, _)) = self
                        .graph
                        .retriers
                        .iter()
                        .find(|(s, _, errors)| *s == state && error_matches(errors, error))
                    {
                        self.retriers.insert((s.clone(), *i));
                    }
                }
            }
        }
    }

    /// The coverage as JSON: totals and what was not exercised.
    pub fn to_json(&self) -> Value {
        let missing_states: Vec<&String> = self
            .graph
            .states
            .iter()
            .filter(|s| !self.states.contains(*s))
            .collect();
        let missing_transitions: Vec<Value> = self
            .graph
            .transitions
            .iter()
            .filter(|t| !self.transitions.contains(*t))
            .map(|(a, b)| json!({"from": a, "to": b}))
            .collect();
        let missing_catch: Vec<Value> = self
            .graph
            .catchers
            .iter()
            .filter(|(s, i, _, _)| !self.catchers.contains(&(s.clone(), *i)))
            .map(|(s, i, e, n)| json!({"state": s, "catcher": i, "errorEquals": e, "next": n}))
            .collect();
        let missing_retry: Vec<Value> = self
            .graph
            .retriers
            .iter()
            .filter(|(s, i, _)| !self.retriers.contains(&(s.clone(), *i)))
            .map(|(s, i, e)| json!({"state": s, "retrier": i, "errorEquals": e}))
            .collect();
        json!({
            "runs": self.runs,
            "states": {"covered": self.graph.states.len() - missing_states.len(), "total": self.graph.states.len(), "missing": missing_states},
            "transitions": {"covered": self.graph.transitions.len() - missing_transitions.len(), "total": self.graph.transitions.len(), "missing": missing_transitions},
            "catch": {"covered": self.graph.catchers.len() - missing_catch.len(), "total": self.graph.catchers.len(), "missing": missing_catch},
            "retry": {"covered": self.graph.retriers.len() - missing_retry.len(), "total": self.graph.retriers.len(), "missing": missing_retry},
        })
    }

    /// The coverage as text for a terminal.
    pub fn render(&self) -> String {
        let g = &self.graph;
        let mut out = String::new();
        let states = g.states.iter().filter(|s| self.states.contains(*s)).count();
        let trans = g
            .transitions
            .iter()
            .filter(|t| self.transitions.contains(*t))
            .count();
        let catch = g
            .catchers
            .iter()
            .filter(|(s, i, _, _)| self.catchers.contains(&(s.clone(), *i)))
            .count();
        let retry = g
            .retriers
            .iter()
            .filter(|(s, i, _)| self.retriers.contains(&(s.clone(), *i)))
            .count();
        out.push_str(&format!(
            "  states       {}\n",
            ratio(states, g.states.len())
        ));
        out.push_str(&format!(
            "  transitions  {}\n",
            ratio(trans, g.transitions.len())
        ));
        out.push_str(&format!(
            "  catch paths  {}\n",
            ratio(catch, g.catchers.len())
        ));
        out.push_str(&format!(
            "  retry paths  {}\n",
            ratio(retry, g.retriers.len())
        ));
        let mut missing = Vec::new();
        for s in g.states.iter().filter(|s| !self.states.contains(*s)) {
            missing.push(format!("state {s}"));
        }
        for (a, b) in g
            .transitions
            .iter()
            .filter(|t| !self.transitions.contains(*t))
        {
            missing.push(format!("transition {a} -> {b}"));
        }
        for (s, i, e, n) in g
            .catchers
            .iter()
            .filter(|(s, i, _, _)| !self.catchers.contains(&(s.clone(), *i)))
        {
            missing.push(format!("catch {s}.Catch[{i}] {} -> {n}", e.join(",")));
        }
        for (s, i, e) in g
            .retriers
            .iter()
            .filter(|(s, i, _)| !self.retriers.contains(&(s.clone(), *i)))
        {
            missing.push(format!("retry {s}.Retry[{i}] {}", e.join(",")));
        }
        if !missing.is_empty() {
            out.push_str("  not exercised:\n");
            for m in missing {
                out.push_str(&format!("    {m}\n"));
            }
        }
        out
    }
}

/// The state whose `*StateEntered` begins the chain `e` is on (the nearest one of `kind`,
/// when given: the Parallel or Map around a failed branch).
fn entered_state(
    by_id: &HashMap<u64, &HistoryEvent>,
    e: &HistoryEvent,
    kind: Option<StateKind>,
) -> Option<String> {
    let mut cur = e;
    // The chain never holds more events than the history; the bound only guards bad input.
    for _ in 0..=by_id.len() {
        if let EventDetails::StateEntered { name, kind: k, .. } = &cur.details {
            if kind.is_none() || kind == Some(*k) {
                return Some(name.to_string());
            }
        }
        cur = by_id.get(&cur.previous_event_id)?;
    }
    None
}
