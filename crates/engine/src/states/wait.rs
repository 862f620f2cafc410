//! `Wait`: pauses for `Seconds`/`SecondsPath` or until `Timestamp`/`TimestampPath`.

use crate::execution::{Block, ContextExtra, Execution, Flow, ThreadId, TimerPurpose};
use crate::expr::{EvalFail, JsonataFailure};
use crate::jsonata_flow::StatesVar;
use crate::program::{CState, WaitSpec};
use crate::time::Timestamp;
use asl::error::StatesError;
use serde_json::Value;
use std::sync::Arc;

/// Renders a value the way AWS quotes it in `... == value` messages (strings bare).
pub(crate) fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A strict ISO-8601 extended offset date-time: `T` separator and `Z` or `±hh:mm`.
pub(crate) fn parse_timestamp(text: &str) -> Option<Timestamp> {
    let b = text.as_bytes();
    if b.get(10) != Some(&b'T') {
        return None;
    }
    let has_offset = text.ends_with('Z')
        || text
            .len()
            .checked_sub(6)
            .and_then(|i| b.get(i))
            .is_some_and(|c| *c == b'+' || *c == b'-');
    if !has_offset {
        return None;
    }
    Timestamp::parse_rfc3339(text)
}

impl Execution {
    pub(crate) fn wait_until(
        &self,
        id: ThreadId,
        spec: &WaitSpec,
        input: &Value,
    ) -> Result<Timestamp, EvalFail> {
        let now = self.now;
        Ok(match spec {
            WaitSpec::SecondsJsonata(t) => {
                let v = self.jeval(id, t, StatesVar::input(input))?;
                match v.as_u64() {
                    Some(n) => now.plus_seconds(n),
                    None => {
                        return Err(JsonataFailure::new(
                            "Seconds",
                            format!(
                                "The Seconds field must be a non-negative integer: {}",
                                show(&v)
                            ),
                        )
                        .into())
                    }
                }
            }
            WaitSpec::TimestampJsonata(t) => {
                let v = self.jeval(id, t, StatesVar::input(input))?;
                match v.as_str().and_then(parse_timestamp) {
                    Some(ts) => ts,
                    None => {
                        return Err(JsonataFailure::new(
                            "Timestamp",
                            format!(
                                "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {}",
                                show(&v)
                            ),
                        )
                        .into())
                    }
                }
            }
            _ => self.wait_until_jsonpath(id, spec, input)?,
        })
    }

    fn wait_until_jsonpath(
        &self,
        id: ThreadId,
        spec: &WaitSpec,
        input: &Value,
    ) -> Result<Timestamp, StatesError> {
        let now = self.now;
        match spec {
            WaitSpec::Seconds(n) => Ok(now.plus_seconds(*n)),
            WaitSpec::Timestamp(t) => parse_timestamp(t).ok_or_else(|| {
                StatesError::runtime(format!(
                    "The Timestamp parameter does not reference a valid ISO-8601 extended offset date-time format string: {t}"
                ))
            }),
            WaitSpec::SecondsPath(p) => {
                let v = self
                    .eval(id, input, p.needs_context(), ContextExtra::default(), |s| {
                        p.select(s)
                    })
                    .map_err(|_| {
                        StatesError::runtime(format!(
                            "The SecondsPath parameter does not reference an input value: {}",
                            p.source()
                        ))
                    })?;
                let src = p.source();
                if let Some(n) = v.as_i64() {
                    if n < 0 {
                        return Err(StatesError::runtime(format!(
                            "The SecondsPath parameter references a negative value: {src} == {}",
                            show(&v)
                        )));
                    }
                    return Ok(now.plus_seconds(n.unsigned_abs()));
                }
                if let Some(n) = v.as_u64() {
                    return Ok(now.plus_seconds(n));
                }
                Err(StatesError::runtime(format!(
                    "The SecondsPath parameter cannot be parsed as a long value: {src} == {}",
                    show(&v)
                )))
            }
            WaitSpec::TimestampPath(p) => {
                let v = self
                    .eval(id, input, p.needs_context(), ContextExtra::default(), |s| {
                        p.select(s)
                    })
                    .map_err(|_| {
                        StatesError::runtime(format!(
                            "The TimestampPath parameter does not reference an input value: {}",
                            p.source()
                        ))
                    })?;
                v.as_str().and_then(parse_timestamp).ok_or_else(|| {
                    StatesError::runtime(format!(
                        "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {} == {}",
                        p.source(),
                        show(&v)
                    ))
                })
            }
            WaitSpec::SecondsJsonata(_) | WaitSpec::TimestampJsonata(_) => Ok(now),
        }
    }

    pub(crate) fn run_wait(&mut self, id: ThreadId, state: &CState, spec: &WaitSpec) -> Flow {
        let Some(raw) = self.thread(id).map(|t| Arc::clone(&t.input)) else {
            return Flow::Ended;
        };
        let outcome = (|| -> Result<_, EvalFail> {
            let effective = if state.jsonata {
                Arc::clone(&raw)
            } else {
                self.apply_input_path(id, &state.input_path, &raw)?
            };
            let until = self.wait_until(id, spec, &effective)?;
            Ok((effective, until))
        })();
        match outcome {
            Ok((effective, until)) => {
                let timer = self.start_timer(id, until);
                if let Some(t) = self.thread_mut(id) {
                    t.pending = Some(effective);
                    t.block = Block::Timer {
                        timer,
                        purpose: TimerPurpose::Wait,
                    };
                }
                Flow::Blocked
            }
            Err(e) => self.fail_uncatchable(id, state, e),
        }
    }

    /// The Wait state's timer fired: finish the state and continue.
    pub(crate) fn wait_elapsed(&mut self, id: ThreadId) {
        let program = Arc::clone(&self.program);
        let Some(t) = self.thread_mut(id) else { return };
        let effective = t.pending.take().unwrap_or_else(|| Arc::clone(&t.input));
        t.block = crate::execution::Block::Ready;
        let (scope, idx) = (t.scope, t.state);
        let Some(state) = program.scopes.get(scope).and_then(|s| s.states.get(idx)) else {
            return;
        };
        if state.jsonata {
            let raw = Arc::clone(&effective);
            let flow = self.jsonata_exit(
                id,
                state,
                StatesVar::input(&raw),
                crate::jsonata_flow::JsonataExit {
                    default_output: Arc::clone(&raw),
                    output: state.output.as_ref(),
                    assign: state.assign.as_ref(),
                    next: None,
                },
            );
            if flow == Flow::Continue {
                self.schedule(id);
            }
            return;
        }
        let outcome = (|| -> Result<_, asl::error::StatesError> {
            let assign = self.eval_assign(id, state.assign.as_ref(), &effective)?;
            let output = self.apply_output_path(id, &state.output_path, &effective)?;
            Ok((output, assign))
        })();
        let flow = match outcome {
            Ok((output, assign)) => {
                let assigned = self.commit_assign(id, assign);
                self.exit_state(id, state, output, assigned, None)
            }
            Err(e) => self.fail_uncatchable(id, state, e),
        };
        if flow == Flow::Continue {
            self.schedule(id);
        }
    }
}
