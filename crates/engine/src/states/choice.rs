//! `Choice`: picks the `Next` state of the first matching rule, else `Default`.

use crate::execution::{ContextExtra, Execution, Flow, ThreadId};
use crate::jsonata_flow::StatesVar;
use crate::program::{CRule, CState, Cond, StateIdx};
use asl::error::StatesError;
use serde_json::Value;
use std::sync::Arc;

fn no_match(state: &CState) -> StatesError {
    StatesError::new(
        asl::error::STATES_NO_CHOICE_MATCHED,
        format!(
            "No Choice Rules matched and no Default was specified for the state '{}'",
            state.name
        ),
    )
}

impl Execution {
    pub(crate) fn run_choice(
        &mut self,
        id: ThreadId,
        state: &CState,
        rules: &[CRule],
        default: Option<StateIdx>,
    ) -> Flow {
        let Some(raw) = self.thread(id).map(|t| Arc::clone(&t.input)) else {
            return Flow::Ended;
        };
        if state.jsonata {
            return self.run_choice_jsonata(id, state, rules, default, raw);
        }
        let outcome = (|| -> Result<_, asl::error::StatesError> {
            let effective = self.apply_input_path(id, &state.input_path, &raw)?;
            let mut chosen = None;
            for rule in rules {
                let Cond::Path(cond) = &rule.cond else {
                    continue;
                };
                let hit = self.eval(
                    id,
                    &effective,
                    cond.needs_context(),
                    ContextExtra::default(),
                    |s| cond.evaluate(s),
                )?;
                if hit {
                    chosen = Some(rule);
                    break;
                }
            }
            // The matched rule's Assign applies; the state's own when Default is taken.
            let (next, assign) = match chosen {
                Some(rule) => (rule.next, rule.assign.as_ref().or(state.assign.as_ref())),
                None => match default {
                    Some(d) => (d, state.assign.as_ref()),
                    None => return Err(no_match(state)),
                },
            };
            let assign = self.eval_assign(id, assign, &effective)?;
            let output = self.apply_output_path(id, &state.output_path, &effective)?;
            Ok((output, assign, next))
        })();
        match outcome {
            Ok((output, assign, next)) => {
                let assigned = self.commit_assign(id, assign);
                self.exit_state(id, state, output, assigned, Some(next))
            }
            Err(e) => self.fail_uncatchable(id, state, e),
        }
    }

    fn run_choice_jsonata(
        &mut self,
        id: ThreadId,
        state: &CState,
        rules: &[CRule],
        default: Option<StateIdx>,
        raw: Arc<Value>,
    ) -> Flow {
        let sv = StatesVar::input(&raw);
        let mut chosen = None;
        for rule in rules {
            let Cond::Jsonata(t) = &rule.cond else {
                continue;
            };
            match self.jeval(id, t, sv) {
                Ok(Value::Bool(true)) => {
                    chosen = Some(rule);
                    break;
                }
                Ok(Value::Bool(false)) => {}
                Ok(v) => {
                    let (src, location) = t.describe().unwrap_or(("", "Condition"));
                    let f = crate::expr::JsonataFailure::new(
                        location,
                        format!(
                            "The JSONata expression '{src}' specified for the field '{location}' returned an unexpected result type. Expected 'boolean', but was '{}' for value: {}",
                            crate::expr::jsonata_type_name(&v),
                            v
                        ),
                    );
                    return self.fail_jsonata(id, state, f);
                }
                Err(f) => return self.fail_jsonata(id, state, f),
            }
        }
        let (next, output, assign) = match chosen {
            Some(rule) => (
                rule.next,
                rule.output.as_ref().or(state.output.as_ref()),
                rule.assign.as_ref().or(state.assign.as_ref()),
            ),
            None => match default {
                Some(d) => (d, state.output.as_ref(), state.assign.as_ref()),
                None => return self.fail_uncatchable(id, state, no_match(state)),
            },
        };
        self.jsonata_exit(
            id,
            state,
            sv,
            crate::jsonata_flow::JsonataExit {
                default_output: Arc::clone(&raw),
                output,
                assign,
                next: Some(next),
            },
        )
    }
}
