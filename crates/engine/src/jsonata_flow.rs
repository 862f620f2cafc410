//! JSONata states: `$states` (input, context, result, errorOutput), `{% %}` evaluation with
//! the workflow variables bound, and AWS's `States.QueryEvaluationError` reporting
//! (`EvaluationFailed` then the failure).

use crate::execution::{ContextExtra, Execution, Flow, ThreadEnd, ThreadId};
use crate::expr::{JTemplate, JsonataFailure};
use crate::history::{ErrorCause, EventDetails, StateKind};
use crate::jsonata_functions::step_functions;
use crate::program::{AssignSpec, CState, StateIdx};
use serde_json::{Map, Value};
use std::sync::Arc;

pub(crate) const QUERY_EVALUATION_ERROR: &str = "States.QueryEvaluationError";

/// How a JSONata state ends: its `Output` (or the default), `Assign`, and next state
/// (`None`: the state's own `Next`/`End`).
pub(crate) struct JsonataExit<'a> {
    pub default_output: Arc<Value>,
    pub output: Option<&'a JTemplate>,
    pub assign: Option<&'a AssignSpec>,
    pub next: Option<StateIdx>,
}

/// What `$states` holds for one evaluation.
#[derive(Clone, Copy, Default)]
pub(crate) struct StatesVar<'a> {
    pub input: Option<&'a Value>,
    pub result: Option<&'a Value>,
    pub error_output: Option<&'a Value>,
    pub extra: ContextExtra<'a>,
}

impl<'a> StatesVar<'a> {
    pub fn input(input: &'a Value) -> Self {
        StatesVar {
            input: Some(input),
            ..Default::default()
        }
    }
}

impl Execution {
    /// Evaluates a JSONata template for thread `id` with `$states` and the variables bound.
    pub(crate) fn jeval(
        &self,
        id: ThreadId,
        t: &JTemplate,
        sv: StatesVar<'_>,
    ) -> Result<Value, JsonataFailure> {
        if let JTemplate::Literal(v) = t {
            return Ok(v.clone());
        }
        let null = Value::Null;
        let seed = (self.entropy.borrow_mut().random() * (u64::MAX as f64)) as u64;
        let mut bindings = jsonata::Bindings::new().now(self.now.millis()).seed(seed);
        for (name, f) in step_functions() {
            if t.mentions(name) {
                bindings = match bindings.clone().function(name, None, Arc::clone(f)) {
                    Ok(b) => b,
                    Err(_) => bindings,
                };
            }
        }
        // Only what the expressions mention is built and bound: `$states.context` and the
        // variables are rebuilt for every evaluation otherwise.
        if t.mentions("states") {
            let mut states = Map::new();
            states.insert("input".into(), sv.input.unwrap_or(&null).clone());
            states.insert("context".into(), self.context_object(id, sv.extra));
            if let Some(r) = sv.result {
                states.insert("result".into(), r.clone());
            }
            if let Some(e) = sv.error_output {
                states.insert("errorOutput".into(), e.clone());
            }
            bindings = bindings.var("states", Value::Object(states));
        }
        if let Some(th) = self.thread(id) {
            let mut vars = Vec::new();
            t.visit_refs(&mut |name| {
                if name != "states" {
                    if let Some(v) = th.vars.get(name) {
                        vars.push((name, v.clone()));
                    }
                }
            });
            for (k, v) in vars {
                bindings = bindings.var(k, v);
            }
        }
        t.evaluate(sv.input.unwrap_or(&null), &bindings)
    }

    /// Evaluates a JSONata `Assign` block (values evaluated, nothing stored yet).
    pub(crate) fn jeval_assign(
        &self,
        id: ThreadId,
        assign: Option<&AssignSpec>,
        sv: StatesVar<'_>,
    ) -> Result<Option<Map<String, Value>>, JsonataFailure> {
        match assign {
            Some(AssignSpec::Jsonata(t)) => match self.jeval(id, t, sv)? {
                Value::Object(m) => Ok(Some(m)),
                _ => Ok(None),
            },
            _ => Ok(None),
        }
    }

    /// A JSONata evaluation failed: record `EvaluationFailed` and fail the state.
    pub(crate) fn fail_jsonata(&mut self, id: ThreadId, state: &CState, f: JsonataFailure) -> Flow {
        let entered = self.thread(id).map(|t| t.entered_id).unwrap_or(0);
        let cause = asl::error::state_context_cause(&state.name, entered, &f.detail);
        let ec = ErrorCause {
            error: Some(QUERY_EVALUATION_ERROR.into()),
            cause: Some(cause.clone()),
        };
        if !self.thread(id).is_some_and(|t| t.silent) {
            // AWS chains EvaluationFailed of a data field (Output, Arguments, Items...) or of
            // the input check to the event before `*StateEntered`, and that of a control field
            // (Timestamp, Seconds...) to the state's latest event.
            let data_field = f.location.as_deref().is_none_or(|l| {
                ["Output", "Arguments", "Items", "ItemSelector", "Assign"]
                    .iter()
                    .any(|field| l.starts_with(field))
            });
            let prev = match self.thread(id) {
                Some(t) if data_field => t.entered_prev,
                Some(t) => t.source,
                None => 0,
            };
            let eid = self.push_event(
                prev,
                EventDetails::EvaluationFailed {
                    error: Some(QUERY_EVALUATION_ERROR.into()),
                    cause: Some(cause),
                    location: f.location,
                    state: state.name.to_string(),
                },
            );
            if let Some(t) = self.thread_mut(id) {
                t.source = eid;
                t.last = eid;
            }
        }
        match state.kind {
            StateKind::Map => self.state_failed(id, state, ec, Some(EventDetails::MapStateFailed)),
            StateKind::Parallel => {
                self.state_failed(id, state, ec, Some(EventDetails::ParallelStateFailed))
            }
            StateKind::Task => self.state_failed(id, state, ec, None),
            _ => {
                self.end_thread(id, ThreadEnd::Failed(ec));
                Flow::Ended
            }
        }
    }

    /// Ends a JSONata state: `Assign` and `Output` (default `default_output`), then exit.
    pub(crate) fn jsonata_exit(
        &mut self,
        id: ThreadId,
        state: &CState,
        sv: StatesVar<'_>,
        exit: JsonataExit<'_>,
    ) -> Flow {
        let JsonataExit {
            default_output,
            output,
            assign,
            next,
        } = exit;
        let assigned = match self.jeval_assign(id, assign, sv) {
            Ok(a) => a,
            Err(f) => return self.fail_jsonata(id, state, f),
        };
        if let Some(map) = &assigned {
            if let Err(e) = self.check_assign_limits(id, map) {
                return self.fail_uncatchable(id, state, e);
            }
        }
        let output = match output {
            None => default_output,
            Some(t) => match self.jeval(id, t, sv) {
                Ok(v) => Arc::new(v),
                Err(f) => return self.fail_jsonata(id, state, f),
            },
        };
        let assigned = self.commit_assign(id, assigned);
        self.exit_state(id, state, output, assigned, next)
    }
}
