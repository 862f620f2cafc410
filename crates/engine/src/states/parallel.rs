//! `Parallel`: runs every branch on the same input; the result is the array of branch outputs.
//! One branch failing stops the others and fails the state with that branch's error.

use crate::execution::{ContextExtra, Execution, Fanout, Flow, ThreadId};
use crate::history::EventDetails;
use crate::program::{CState, ScopeId};
use std::sync::Arc;

impl Execution {
    pub(crate) fn run_parallel(
        &mut self,
        id: ThreadId,
        state: &CState,
        branches: &[ScopeId],
    ) -> Flow {
        let Some(raw) = self.thread(id).map(|t| Arc::clone(&t.input)) else {
            return Flow::Ended;
        };
        let outcome = (|| -> Result<_, crate::expr::EvalFail> {
            if state.jsonata {
                return Ok(match &state.arguments {
                    None => Arc::clone(&raw),
                    Some(t) => {
                        Arc::new(self.jeval(id, t, crate::jsonata_flow::StatesVar::input(&raw))?)
                    }
                });
            }
            let effective = self.apply_input_path(id, &state.input_path, &raw)?;
            Ok(self.apply_parameters(
                id,
                state.parameters.as_ref(),
                effective,
                ContextExtra::default(),
            )?)
        })();
        let effective = match outcome {
            Ok(v) => v,
            Err(e) => return self.fail_catchable(id, state, e),
        };
        self.push_thread_event(id, EventDetails::ParallelStateStarted, true);
        let n = branches.len();
        let fanout = Fanout {
            is_map: false,
            distributed: false,
            silent_children: false,
            body_scopes: branches.to_vec(),
            items: vec![effective; n],
            results: vec![None; n],
            next_to_start: 0,
            running: 0,
            limit: n.max(1),
            finished: 0,
            failed: 0,
            tolerated_count: None,
            tolerated_percentage: None,
            source: 0,
            last: 0,
            children: Vec::new(),
            failure: None,
        };
        self.begin_fanout(id, fanout)
    }
}

/// The event recorded when a Parallel state's branches failed (and no retry follows).
pub(crate) fn failed_event() -> EventDetails {
    EventDetails::ParallelStateFailed
}
