//! Retry and Catch: what happens when a Task, Parallel or Map state fails.

use crate::execution::{Block, Execution, Flow, ThreadEnd, ThreadId, TimerPurpose};
use crate::expr::EvalFail;
use crate::history::{ErrorCause, EventDetails};
use crate::program::{CRetrier, CState};
use serde_json::{Map, Value};
use std::sync::Arc;

pub const STATES_ALL: &str = "States.ALL";
pub const STATES_TASK_FAILED: &str = "States.TaskFailed";
pub const STATES_TIMEOUT: &str = "States.Timeout";
pub const STATES_HEARTBEAT_TIMEOUT: &str = "States.HeartbeatTimeout";
pub const STATES_RUNTIME: &str = "States.Runtime";
pub const STATES_DATA_LIMIT_EXCEEDED: &str = "States.DataLimitExceeded";

/// Whether a retrier's or catcher's `ErrorEquals` matches `error`.
///
/// `States.ALL` matches every error but `States.Runtime` (AWS's recordings show it catching
/// `States.DataLimitExceeded` from a task result); `States.TaskFailed` matches the same set
/// minus `States.Timeout`. Other names match exactly (case-sensitive).
pub fn error_equals_matches(error_equals: &[String], error: &str) -> bool {
    let terminal = error == STATES_RUNTIME;
    error_equals.iter().any(|name| match name.as_str() {
        STATES_ALL => !terminal,
        STATES_TASK_FAILED => !terminal && error != STATES_TIMEOUT,
        other => other == error,
    })
}

/// The wait before retry number `attempt` (0-based) of a retrier, in milliseconds:
/// `IntervalSeconds × BackoffRate^attempt`, capped by `MaxDelaySeconds`, then scaled by
/// `random` in `[0, 1)` under `JitterStrategy: FULL`.
pub(crate) fn retry_delay_millis(r: &CRetrier, attempt: u64, random: f64) -> i64 {
    let exp = i32::try_from(attempt).unwrap_or(i32::MAX);
    let mut secs = r.interval_seconds as f64 * r.backoff_rate.powi(exp);
    if let Some(max) = r.max_delay_seconds {
        secs = secs.min(max as f64);
    }
    // A year bounds any wait AWS would honour (the execution limit) and keeps the cast sane.
    secs = secs.clamp(0.0, 31_622_400.0);
    if r.jitter_full {
        secs *= random;
    }
    (secs * 1000.0).round() as i64
}

impl Execution {
    /// A Task/Parallel/Map state failed with `ec`: retry, catch, or fail the thread.
    /// `failed_event` (`ParallelStateFailed`/`MapStateFailed`) is recorded when no retry follows.
    pub(crate) fn state_failed(
        &mut self,
        id: ThreadId,
        state: &CState,
        ec: ErrorCause,
        failed_event: Option<EventDetails>,
    ) -> Flow {
        let name = ec.error.clone().unwrap_or_default();
        // AWS records a heartbeat timeout as States.Timeout; `States.HeartbeatTimeout` exists
        // only in Retry and Catch, where it matches just that case.
        let heartbeat = std::mem::take(&mut self.heartbeat_timed_out);
        let matches = |error_equals: &[String]| {
            error_equals_matches(error_equals, &name)
                || (heartbeat && error_equals.iter().any(|n| n == STATES_HEARTBEAT_TIMEOUT))
        };
        // AWS never retries or catches States.Runtime, not even when named explicitly.
        let retry: &[crate::program::CRetrier] = if name == STATES_RUNTIME {
            &[]
        } else {
            &state.retry
        };
        for (i, r) in retry.iter().enumerate() {
            if !matches(&r.error_equals) {
                continue;
            }
            let attempt = self
                .thread(id)
                .and_then(|t| t.attempts.get(i).copied())
                .unwrap_or(0);
            if attempt < r.max_attempts {
                let random = if r.jitter_full {
                    self.entropy.borrow_mut().random()
                } else {
                    0.0
                };
                let delay = retry_delay_millis(r, attempt, random);
                let fire_at = self.now.plus_millis(delay);
                let timer = self.start_timer(id, fire_at);
                if let Some(t) = self.thread_mut(id) {
                    if let Some(a) = t.attempts.get_mut(i) {
                        *a += 1;
                    }
                    t.retry_count += 1;
                    t.block = Block::Timer {
                        timer,
                        purpose: TimerPurpose::Retry,
                    };
                }
                return Flow::Blocked;
            }
            break;
        }
        if let Some(details) = failed_event {
            self.push_thread_event(id, details, true);
        }
        let Some(catcher) = state
            .catch
            .iter()
            .filter(|_| name != STATES_RUNTIME)
            .find(|c| matches(&c.error_equals))
        else {
            self.end_thread(id, ThreadEnd::Failed(ec));
            return Flow::Ended;
        };
        let mut error_output = Map::new();
        // A failure that names nothing (SendTaskFailure without error or cause) is caught as
        // `{"Error": null, "Cause": null}`; a missing part of one that does is "" (AWS's
        // recordings of both).
        let text = |v: Option<String>| match (v, &ec.error, &ec.cause) {
            (None, None, None) => Value::Null,
            (v, _, _) => Value::String(v.unwrap_or_default()),
        };
        let (error, cause) = (text(ec.error.clone()), text(ec.cause.clone()));
        error_output.insert("Error".into(), error);
        error_output.insert("Cause".into(), cause);
        let error_output = Arc::new(Value::Object(error_output));
        let raw = match self.thread(id) {
            Some(t) => Arc::clone(&t.input),
            None => return Flow::Ended,
        };
        if state.jsonata {
            let sv = crate::jsonata_flow::StatesVar {
                error_output: Some(&error_output),
                ..crate::jsonata_flow::StatesVar::input(&raw)
            };
            return self.jsonata_exit(
                id,
                state,
                sv,
                crate::jsonata_flow::JsonataExit {
                    default_output: Arc::clone(&error_output),
                    output: catcher.output.as_ref(),
                    assign: catcher.assign.as_ref(),
                    next: Some(catcher.next),
                },
            );
        }
        let output =
            match self.apply_result_path(&catcher.result_path, &raw, Arc::clone(&error_output)) {
                Ok(o) => o,
                Err(e) => return self.fail_uncatchable(id, state, e),
            };
        let assigned = match self.eval_assign(id, catcher.assign.as_ref(), &error_output) {
            Ok(a) => self.commit_assign(id, a),
            Err(e) => return self.fail_uncatchable(id, state, e),
        };
        self.exit_state(id, state, output, assigned, Some(catcher.next))
    }

    /// A failure no Retry/Catch applies to (Pass, Choice, Wait... or a catcher's own error).
    pub(crate) fn fail_uncatchable(
        &mut self,
        id: ThreadId,
        state: &CState,
        e: impl Into<EvalFail>,
    ) -> Flow {
        let e = match e.into() {
            EvalFail::States(e) => e,
            EvalFail::Jsonata(f) => return self.fail_jsonata(id, state, f),
        };
        let ec = self.error_in_state(id, state, e);
        self.end_thread(id, ThreadEnd::Failed(ec));
        Flow::Ended
    }

    /// Converts an evaluation error into the error/cause AWS records, adding the
    /// "An error occurred while executing the state ..." context to runtime errors.
    pub(crate) fn error_in_state(
        &self,
        id: ThreadId,
        state: &CState,
        e: asl::error::StatesError,
    ) -> ErrorCause {
        let entered = self.thread(id).map(|t| t.entered_id).unwrap_or(0);
        let e = if e.error == STATES_RUNTIME || e.error == "States.QueryEvaluationError" {
            e.in_state(&state.name, entered)
        } else {
            e
        };
        ErrorCause {
            error: Some(e.error),
            cause: Some(e.cause),
        }
    }

    /// An evaluation error in a state that has Retry/Catch.
    pub(crate) fn fail_catchable(
        &mut self,
        id: ThreadId,
        state: &CState,
        e: impl Into<EvalFail>,
    ) -> Flow {
        let e = match e.into() {
            EvalFail::States(e) => e,
            EvalFail::Jsonata(f) => return self.fail_jsonata(id, state, f),
        };
        let ec = self.error_in_state(id, state, e);
        self.state_failed(id, state, ec, None)
    }
}
