//! The ASL interpreter as a deterministic, sans-I/O state machine.
//!
//! [`Execution::start`] and [`Execution::handle`] take events (start, task results, timers,
//! stop) and return the history events to record and the [`Effect`]s to perform. Time, UUIDs
//! and random numbers come from outside, so a run replays exactly from its inputs.
//! [`driver::run_to_completion`] runs an execution on a virtual clock.

pub mod api;
mod dataflow;
pub mod driver;
pub mod error_handling;
mod execution;
mod expr;
mod fanout;
pub mod history;
mod jsonata_flow;
mod jsonata_functions;
pub mod program;
pub mod redrive;
pub mod resolver;
mod states;
pub mod test_state;
pub mod time;
mod vars;
pub mod workloads;

pub use api::*;
pub use execution::{Execution, EXPRESS_MAX_SECONDS, MAX_HISTORY_EVENTS, MAX_PAYLOAD_BYTES};
pub use history::{EventDetails, HistoryEvent};
pub use program::{CompileError, Program};
pub use redrive::{redrive_point, NotRedrivable, RedrivePoint};
pub use resolver::{NoIntegrations, TaskOutcome, TaskResolver};
pub use test_state::{
    parse_request as parse_test_state_request, test_state, InspectionLevel, StateConfiguration,
    TestStateError, TestStateMock, TestStateRequest, TestStateResult, TestStateStatus,
};
pub use time::Timestamp;
