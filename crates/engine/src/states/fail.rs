//! `Fail`: ends its body with `Error`/`Cause` (or `ErrorPath`/`CausePath`).

use crate::execution::{ContextExtra, Execution, Flow, ThreadEnd, ThreadId};
use crate::history::ErrorCause;
use crate::jsonata_flow::StatesVar;
use crate::program::{CState, FailField};
use asl::error::StatesError;
use serde_json::Value;
use std::sync::Arc;

impl Execution {
    pub(crate) fn fail_field(
        &self,
        id: ThreadId,
        input: &Value,
        field: &FailField,
        name: &str,
    ) -> Result<Option<String>, StatesError> {
        Ok(match field {
            FailField::Absent => None,
            FailField::Literal(s) => Some(s.clone()),
            FailField::Jsonata(_) => None,
            FailField::Path(expr) => {
                let v = self
                    .eval(
                        id,
                        input,
                        expr.needs_context(),
                        ContextExtra::default(),
                        |s| expr.evaluate(s),
                    )
                    .map_err(|e| match expr.path_source() {
                        Some(p) if e.error == asl::error::STATES_RUNTIME => StatesError::runtime(
                            asl::template::path_not_found_cause(p, name, input),
                        ),
                        _ => e,
                    })?;
                Some(match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                })
            }
        })
    }

    pub(crate) fn run_fail(
        &mut self,
        id: ThreadId,
        state: &CState,
        error: &FailField,
        cause: &FailField,
    ) -> Flow {
        let Some(raw) = self.thread(id).map(|t| Arc::clone(&t.input)) else {
            return Flow::Ended;
        };
        if state.jsonata {
            let mut ec = ErrorCause::default();
            for (field, slot) in [(error, &mut ec.error), (cause, &mut ec.cause)] {
                *slot = match field {
                    FailField::Jsonata(t) => match self.jeval(id, t, StatesVar::input(&raw)) {
                        Ok(Value::String(s)) => Some(s),
                        Ok(other) => Some(other.to_string()),
                        Err(f) => return self.fail_jsonata(id, state, f),
                    },
                    FailField::Literal(s) => Some(s.clone()),
                    _ => None,
                };
            }
            self.end_thread(id, ThreadEnd::Failed(ec));
            return Flow::Ended;
        }
        let outcome = (|| {
            Ok::<_, StatesError>(ErrorCause {
                error: self.fail_field(id, &raw, error, "ErrorPath")?,
                cause: self.fail_field(id, &raw, cause, "CausePath")?,
            })
        })();
        match outcome {
            Ok(ec) => {
                self.end_thread(id, ThreadEnd::Failed(ec));
                Flow::Ended
            }
            Err(e) => self.fail_uncatchable(id, state, e),
        }
    }
}
