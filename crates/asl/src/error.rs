//! Runtime errors raised while evaluating paths, templates, intrinsics and Choice rules.
//!
//! A [`StatesError`] is what the engine turns into a failed state (catchable by `Catch` unless the
//! name says otherwise) or a failed execution. Names and causes are worded exactly as AWS records
//! them in execution histories.

/// `States.Runtime`: invalid path on a payload, bad intrinsic argument types... (not catchable by `States.ALL`).
pub const STATES_RUNTIME: &str = "States.Runtime";
/// `States.IntrinsicFailure`: an intrinsic function failed on its arguments.
pub const STATES_INTRINSIC_FAILURE: &str = "States.IntrinsicFailure";
/// `States.ParameterPathFailure`: a `Parameters` path found nothing.
pub const STATES_PARAMETER_PATH_FAILURE: &str = "States.ParameterPathFailure";
/// `States.ResultPathMatchFailure`: `ResultPath` cannot be applied to the state input.
pub const STATES_RESULT_PATH_MATCH_FAILURE: &str = "States.ResultPathMatchFailure";
/// `States.NoChoiceMatched`: no Choice rule matched and no `Default`.
pub const STATES_NO_CHOICE_MATCHED: &str = "States.NoChoiceMatched";

/// A runtime failure with AWS's error name and cause.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}: {cause}")]
pub struct StatesError {
    /// The error name, e.g. `States.Runtime`.
    pub error: String,
    /// The human-readable cause, worded as AWS words it.
    pub cause: String,
}

impl StatesError {
    /// Any error name and cause.
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        StatesError {
            error: error.into(),
            cause: cause.into(),
        }
    }

    /// `States.Runtime` with the given cause.
    pub fn runtime(cause: impl Into<String>) -> Self {
        Self::new(STATES_RUNTIME, cause)
    }

    /// `States.IntrinsicFailure` with the given cause.
    pub fn intrinsic_failure(cause: impl Into<String>) -> Self {
        Self::new(STATES_INTRINSIC_FAILURE, cause)
    }

    /// `States.ParameterPathFailure` with the given cause.
    pub fn parameter_path_failure(cause: impl Into<String>) -> Self {
        Self::new(STATES_PARAMETER_PATH_FAILURE, cause)
    }

    /// `States.ResultPathMatchFailure` with the given cause.
    pub fn result_path_match_failure(cause: impl Into<String>) -> Self {
        Self::new(STATES_RESULT_PATH_MATCH_FAILURE, cause)
    }

    /// Prefixes the cause with the state context AWS adds to runtime failures:
    /// `An error occurred while executing the state 'X' (entered at the event id #N). <cause>`.
    ///
    /// The state name and the event id belong to the engine, so evaluation errors carry only the
    /// path/function-specific part and the engine wraps them with this.
    pub fn in_state(mut self, state_name: &str, entered_event_id: u64) -> Self {
        self.cause = state_context_cause(state_name, entered_event_id, &self.cause);
        self
    }
}

/// `An error occurred while executing the state '<state>' (entered at the event id #<id>). <detail>`
pub fn state_context_cause(state_name: &str, entered_event_id: u64, detail: &str) -> String {
    format!(
        "An error occurred while executing the state '{state_name}' (entered at the event id #{entered_event_id}). {detail}"
    )
}
