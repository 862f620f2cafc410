//! `Succeed`: ends its body successfully with its (filtered) input.

use crate::execution::{Execution, Flow, ThreadId};
use crate::jsonata_flow::StatesVar;
use crate::program::CState;
use std::sync::Arc;

impl Execution {
    pub(crate) fn run_succeed(&mut self, id: ThreadId, state: &CState) -> Flow {
        let Some(raw) = self.thread(id).map(|t| Arc::clone(&t.input)) else {
            return Flow::Ended;
        };
        if state.jsonata {
            let sv = StatesVar::input(&raw);
            return self.jsonata_exit(
                id,
                state,
                sv,
                crate::jsonata_flow::JsonataExit {
                    default_output: Arc::clone(&raw),
                    output: state.output.as_ref(),
                    assign: state.assign.as_ref(),
                    next: None,
                },
            );
        }
        let outcome = (|| -> Result<_, asl::error::StatesError> {
            let effective = self.apply_input_path(id, &state.input_path, &raw)?;
            let assign = self.eval_assign(id, state.assign.as_ref(), &effective)?;
            let output = self.apply_output_path(id, &state.output_path, &effective)?;
            Ok((output, assign))
        })();
        match outcome {
            Ok((output, assign)) => {
                let assigned = self.commit_assign(id, assign);
                self.exit_state(id, state, output, assigned, None)
            }
            Err(e) => self.fail_uncatchable(id, state, e),
        }
    }
}
