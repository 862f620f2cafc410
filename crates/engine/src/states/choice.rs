//! `Choice`: picks the `Next` state of the first matching rule, else `Default`.

use crate::execution::{ContextExtra, Execution, Flow, ThreadId};
use crate::expr::{Condition, Template};
use crate::program::{CState, StateIdx};
use asl::error::StatesError;
use std::sync::Arc;

impl Execution {
    pub(crate) fn run_choice(
        &mut self,
        id: ThreadId,
        state: &CState,
        rules: &[(Condition, StateIdx, Option<Template>)],
        default: Option<StateIdx>,
    ) -> Flow {
        let Some(raw) = self.thread(id).map(|t| Arc::clone(&t.input)) else {
            return Flow::Ended;
        };
        let outcome = (|| {
            let effective = self.apply_input_path(id, &state.input_path, &raw)?;
            let mut chosen = None;
            for (cond, next, assign) in rules {
                let hit = self.eval(
                    id,
                    &effective,
                    cond.needs_context(),
                    ContextExtra::default(),
                    |s| cond.evaluate(s),
                )?;
                if hit {
                    chosen = Some((*next, assign.as_ref()));
                    break;
                }
            }
            let (next, rule_assign) = match chosen {
                Some(c) => c,
                None => match default {
                    Some(d) => (d, None),
                    None => {
                        return Err(StatesError::new(
                            asl::error::STATES_NO_CHOICE_MATCHED,
                            format!(
                                "No Choice Rules matched and no Default was specified for the state '{}'",
                                state.name
                            ),
                        ))
                    }
                },
            };
            let mut assign = self.eval_assign(id, state.assign.as_ref(), &effective)?;
            if let Some(more) = self.eval_assign(id, rule_assign, &effective)? {
                match &mut assign {
                    Some(a) => a.extend(more),
                    None => assign = Some(more),
                }
            }
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
}
