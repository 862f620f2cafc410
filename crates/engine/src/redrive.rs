//! RedriveExecution: a closed (FAILED, TIMED_OUT, ABORTED) Standard execution continues from
//! the top-level state that did not finish, with that state's input and the variables the
//! states before it assigned. The history goes on after the last recorded event with
//! `ExecutionRedriven`, then the state is entered anew.
//!
//! The point to continue from is read from the recorded history (the server keeps no journal
//! of a closed execution), so a redriven execution is rebuilt from the same history prefix on
//! every replay. In a Parallel or inline Map state that failed, only the branches and
//! iterations that failed or were aborted run again (as AWS documents for RedriveExecution); the
//! others keep the output their last state recorded. A failed branch or iteration runs again
//! from its start, and a Distributed Map's Map Run runs again whole (its child executions leave
//! no events in this history).

use crate::api::{Entropy, ExecutionContext, Step};
use crate::execution::{Block, Execution, Thread};
use crate::history::EventDetails;
use crate::program::{Body, CState, Program, StateIdx, Transition};
use crate::time::Timestamp;
use crate::vars::Vars;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
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
    /// For a Parallel or inline Map state: the branches / iterations that succeeded, by index,
    /// with their output. The redrive runs only the others.
    pub completed_children: Vec<(usize, Value)>,
}

/// The children of a redrive's Parallel/Map that already succeeded, for the fanout that the
/// redrive's root thread begins first.
pub(crate) struct KeptChildren {
    pub thread: crate::execution::ThreadId,
    pub children: Vec<(usize, Value)>,
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
    // The top-level state entered last and not yet exited: (name, index, input, position).
    let mut open: Option<(String, StateIdx, Value, usize)> = None;
    let mut last_event_id = 0;
    for (pos, ev) in history.iter().enumerate() {
        last_event_id = last_event_id.max(ev.get("id").and_then(Value::as_u64).unwrap_or(0));
        if let Some(d) = ev.get("stateEnteredEventDetails") {
            let name = d.get("name").and_then(Value::as_str).unwrap_or_default();
            if let Some(idx) = top.states.iter().position(|s| &*s.name == name) {
                open = Some((name.to_string(), idx, text_json(d.get("input")), pos));
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
            if open.as_ref().is_some_and(|(n, _, _, _)| n == name) {
                open = None;
            }
        }
    }
    let (state_name, state, input, pos) = open.ok_or_else(|| {
        NotRedrivable("Execution cannot be redriven: no state failed or was left unfinished".into())
    })?;
    let completed_children = top
        .states
        .get(state)
        .map(|s| completed_children(program, s, history.get(pos..).unwrap_or_default()))
        .unwrap_or_default();
    Ok(RedrivePoint {
        state_name,
        state,
        input,
        variables,
        last_event_id,
        completed_children,
    })
}

fn details<'a>(ev: &'a Value, key: &str) -> Option<&'a Map<String, Value>> {
    ev.get(key).and_then(Value::as_object)
}

fn detail_name(d: &Map<String, Value>) -> &str {
    d.get("name").and_then(Value::as_str).unwrap_or_default()
}

/// The branches / iterations of `state` that succeeded in `events` (the history from the
/// state's last `StateEntered` on), with their outputs. A child counts once its last state
/// exited; it no longer counts when it starts again (a Retry of the whole state).
fn completed_children(program: &Program, state: &CState, events: &[Value]) -> Vec<(usize, Value)> {
    let mut done: BTreeMap<usize, Value> = BTreeMap::new();
    match &state.body {
        Body::Map(spec) if !spec.distributed => {
            let by_id: HashMap<u64, &Value> = events
                .iter()
                .filter_map(|e| Some((e.get("id")?.as_u64()?, e)))
                .collect();
            for ev in events {
                let index = |d: &Map<String, Value>| {
                    d.get("index")
                        .and_then(Value::as_u64)
                        .and_then(|i| usize::try_from(i).ok())
                };
                if let Some(d) = details(ev, "mapIterationStartedEventDetails") {
                    if detail_name(d) == &*state.name {
                        if let Some(i) = index(d) {
                            done.remove(&i);
                        }
                    }
                } else if let Some(d) = details(ev, "mapIterationSucceededEventDetails") {
                    if detail_name(d) != &*state.name {
                        continue;
                    }
                    // `MapIterationSucceeded` follows the iteration's last `StateExited`.
                    let output = ev
                        .get("previousEventId")
                        .and_then(Value::as_u64)
                        .and_then(|p| by_id.get(&p))
                        .and_then(|e| details(e, "stateExitedEventDetails"))
                        .and_then(|x| x.get("output"));
                    if let (Some(i), Some(o)) = (index(d), output) {
                        done.insert(i, text_json(Some(o)));
                    }
                }
            }
        }
        Body::Parallel { branches } => {
            // State names are unique in a definition: a branch's start state and its last
            // states (End or Succeed) name the branch.
            let ends: Vec<(usize, &str, Vec<&str>)> = branches
                .iter()
                .enumerate()
                .filter_map(|(b, &scope)| {
                    let sc = program.scopes.get(scope)?;
                    let start = &*sc.states.get(sc.start)?.name;
                    let last = sc
                        .states
                        .iter()
                        .filter(|s| {
                            matches!(s.body, Body::Succeed)
                                || (s.transition == Transition::End
                                    && !matches!(s.body, Body::Choice { .. } | Body::Fail { .. }))
                        })
                        .map(|s| &*s.name)
                        .collect();
                    Some((b, start, last))
                })
                .collect();
            for ev in events {
                if let Some(d) = details(ev, "stateEnteredEventDetails") {
                    let name = detail_name(d);
                    for (b, start, _) in &ends {
                        if *start == name {
                            done.remove(b);
                        }
                    }
                } else if let Some(d) = details(ev, "stateExitedEventDetails") {
                    let name = detail_name(d);
                    let Some(o) = d.get("output") else { continue };
                    for (b, _, last) in &ends {
                        if last.contains(&name) {
                            done.insert(*b, text_json(Some(o)));
                        }
                    }
                }
            }
        }
        _ => {}
    }
    done.into_iter().collect()
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
        if !point.completed_children.is_empty() {
            ex.redrive_children = Some(Box::new(KeptChildren {
                thread: root,
                children: point.completed_children.clone(),
            }));
        }
        ex.schedule(root);
        let step = ex.run_and_take();
        (ex, step)
    }
}
