//! RedriveExecution: a closed (FAILED, TIMED_OUT, ABORTED) Standard execution continues from
//! the top-level state that did not finish, with that state's input and the variables the
//! states before it assigned. The history goes on after the last recorded event with
//! `ExecutionRedriven`, then the state is entered anew.
//!
//! The point to continue from is read from the recorded history (the server keeps no journal
//! of a closed execution), so a redriven execution is rebuilt from the same history prefix on
//! every replay. A Parallel or Map state that failed runs again whole; AWS reruns only its
//! unsuccessful branches and iterations.

use crate::api::{Entropy, ExecutionContext, Step};
use crate::execution::{Block, Execution, Thread};
use crate::history::EventDetails;
use crate::program::{Program, StateIdx};
use crate::time::Timestamp;
use crate::vars::Vars;
use serde_json::{Map, Value};
use std::sync::Arc;

/// Where a redrive continues: a top-level state, its input and the variables it sees.
#[derive(Debug, Clone, PartialEq)]
pub struct RedrivePoint {
    /// The top-level state that did not finish.
    pub state_name: String,
    state: StateIdx,
    pub input: Value,
    pub variables: Map<String, Value>,
    /// The id of the last recorded event; the redrive's events follow it.
    pub last_event_id: u64,
}

/// Why an execution cannot be redriven (`ExecutionNotRedrivable`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct NotRedrivable(pub String);

fn text_json(v: Option<&Value>) -> Value {
    match v {
        Some(Value::String(s)) => serde_json::from_str(s).unwrap_or(Value::Null),
        Some(other) => other.clone(),
        None => Value::Null,
    }
}

/// Finds where to continue from in a closed execution's history (events as
/// `GetExecutionHistory` gives them, oldest first).
pub fn redrive_point(program: &Program, history: &[Value]) -> Result<RedrivePoint, NotRedrivable> {
    let top = program
        .scopes
        .first()
        .ok_or_else(|| NotRedrivable("The execution has no states to redrive".into()))?;
    let mut variables = Map::new();
    // The top-level state entered last and not yet exited: (name, index, input).
    let mut open: Option<(String, StateIdx, Value)> = None;
    let mut last_event_id = 0;
    for ev in history {
        last_event_id = last_event_id.max(ev.get("id").and_then(Value::as_u64).unwrap_or(0));
        if let Some(d) = ev.get("stateEnteredEventDetails") {
            let name = d.get("name").and_then(Value::as_str).unwrap_or_default();
            if let Some(idx) = top.states.iter().position(|s| &*s.name == name) {
                open = Some((name.to_string(), idx, text_json(d.get("input"))));
            }
        } else if let Some(d) = ev.get("stateExitedEventDetails") {
            let name = d.get("name").and_then(Value::as_str).unwrap_or_default();
            if !top.states.iter().any(|s| &*s.name == name) {
                continue;
            }
            if let Some(Value::Object(av)) = d.get("assignedVariables") {
                for (k, v) in av {
                    variables.insert(k.clone(), text_json(Some(v)));
                }
            }
            if open.as_ref().is_some_and(|(n, _, _)| n == name) {
                open = None;
            }
        }
    }
    let (state_name, state, input) = open.ok_or_else(|| {
        NotRedrivable("Execution cannot be redriven: no state failed or was left unfinished".into())
    })?;
    Ok(RedrivePoint {
        state_name,
        state,
        input,
        variables,
        last_event_id,
    })
}

impl Execution {
    /// Continues a closed execution from `point` at `now`: records `ExecutionRedriven` and
    /// runs until the execution waits or ends. `ctx.redrive_count` is the new count (≥ 1);
    /// `input` is the execution's original input (`$$.Execution.Input`).
    pub fn redrive(
        program: Arc<Program>,
        input: Value,
        ctx: ExecutionContext,
        entropy: Box<dyn Entropy>,
        point: &RedrivePoint,
        now: Timestamp,
    ) -> (Execution, Step) {
        let redrive_count = ctx.redrive_count;
        let mut ex = Execution::idle(
            program,
            ctx,
            entropy,
            Arc::new(input),
            point.last_event_id + 1,
        );
        ex.now = now;
        let redriven = ex.push_event(
            point.last_event_id,
            EventDetails::ExecutionRedriven { redrive_count },
        );
        ex.arm_execution_timeout();
        let mut vars = Vars::default();
        for (k, v) in &point.variables {
            let size = crate::execution::payload_size(v);
            vars.assign(k.clone(), v.clone(), size);
        }
        let root = ex.spawn(Thread {
            scope: 0,
            parent: None,
            state: point.state,
            input: Arc::new(point.input.clone()),
            source: redriven,
            last: redriven,
            entered_id: 0,
            entered_prev: 0,
            entered_time: now,
            attempts: Vec::new(),
            retry_count: 0,
            resume: false,
            vars,
            block: Block::Ready,
            fanout: None,
            iteration: None,
            map_name: None,
            pending: None,
            silent: false,
        });
        ex.schedule(root);
        let step = ex.run_and_take();
        (ex, step)
    }
}
