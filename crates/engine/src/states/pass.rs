//! `Pass`: passes its input (or `Result`, or `Parameters`) to its output.

use crate::execution::{ContextExtra, Execution, Flow, ThreadId};
use crate::jsonata_flow::StatesVar;
use crate::program::CState;
use serde_json::Value;
use std::sync::Arc;

impl Execution {
    pub(crate) fn run_pass(
        &mut self,
        id: ThreadId,
        state: &CState,
        result: Option<&Arc<Value>>,
    ) -> Flow {
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
            let effective = self.apply_parameters(
                id,
                state.parameters.as_ref(),
                effective,
                ContextExtra::default(),
            )?;
            let result = match result {
                Some(r) => Arc::clone(r),
                None => effective,
            };
            let assign = self.eval_assign(id, state.assign.as_ref(), &result)?;
            let output = self.apply_result_path(&state.result_path, &raw, result)?;
            let output = self.apply_output_path(id, &state.output_path, &output)?;
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
