//! Retry and Catch: matching order and names, backoff, MaxDelaySeconds, jitter, timeouts.

mod common;
use common::*;
use engine::error_handling::error_equals_matches;
use engine::{ExecutionStatus, TaskInvocation, TaskOutcome};
use serde_json::{json, Value};

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn states_all_matches_everything_but_terminal_errors() {
    let all = names(&["States.ALL"]);
    assert!(error_equals_matches(&all, "Custom"));
    assert!(error_equals_matches(&all, "States.Timeout"));
    assert!(!error_equals_matches(&all, "States.Runtime"));
    assert!(!error_equals_matches(&all, "States.DataLimitExceeded"));
}

#[test]
fn task_failed_does_not_match_timeout() {
    let tf = names(&["States.TaskFailed"]);
    assert!(error_equals_matches(&tf, "Lambda.Unknown"));
    assert!(!error_equals_matches(&tf, "States.Timeout"));
    assert!(error_equals_matches(
        &names(&["States.Timeout"]),
        "States.Timeout"
    ));
}

#[test]
fn names_match_exactly_and_case_sensitively() {
    assert!(error_equals_matches(&names(&["A", "B"]), "B"));
    assert!(!error_equals_matches(&names(&["a"]), "A"));
}

fn failing_task(fields: Value) -> Value {
    let mut t =
        json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Done"});
    if let (Some(t), Some(f)) = (t.as_object_mut(), fields.as_object()) {
        for (k, v) in f {
            t.insert(k.clone(), v.clone());
        }
    }
    let mentioned = t.to_string();
    let mut states = serde_json::Map::new();
    states.insert("T".into(), t);
    states.insert("Done".into(), json!({"Type": "Pass", "End": true}));
    // AWS rejects unreachable states: add the catch targets only when referenced.
    if mentioned.contains("\"Handler\"") {
        states.insert("Handler".into(), json!({"Type": "Pass", "End": true}));
    }
    if mentioned.contains("\"Other\"") {
        states.insert(
            "Other".into(),
            json!({"Type": "Pass", "Result": "other", "End": true}),
        );
    }
    json!({"StartAt": "T", "States": states})
}

/// Fails the first `n` attempts with `error`, then succeeds; returns attempt times (ms).
fn run_flaky(
    def: &Value,
    n: usize,
    error: &str,
    random: f64,
) -> (engine::driver::Finished, Vec<i64>) {
    let mut calls = 0;
    let mut r = FnResolver(|_inv: &TaskInvocation| {
        calls += 1;
        if calls <= n {
            TaskOutcome::Failed {
                error: Some(error.to_string()),
                cause: Some("flaky".into()),
            }
        } else {
            TaskOutcome::Succeeded(json!("ok"))
        }
    });
    let f = run_with(def, json!({}), &mut r, Box::new(FixedRandom(random)));
    let times = f
        .history
        .iter()
        .filter(|e| e.event_type() == "TaskScheduled")
        .map(|e| e.timestamp.millis() - START.millis())
        .collect();
    (f, times)
}

#[test]
fn retry_backs_off_exponentially() {
    let def = failing_task(
        json!({"Retry": [{"ErrorEquals": ["E"], "IntervalSeconds": 2,
        "BackoffRate": 3, "MaxAttempts": 3}]}),
    );
    let (f, times) = run_flaky(&def, 3, "E", 0.0);
    assert_eq!(f.outcome.status, ExecutionStatus::Succeeded);
    assert_eq!(times, [0, 2_000, 8_000, 26_000]);
}

#[test]
fn retry_delay_is_capped_by_max_delay_seconds() {
    let def = failing_task(
        json!({"Retry": [{"ErrorEquals": ["E"], "IntervalSeconds": 2,
        "BackoffRate": 3, "MaxAttempts": 3, "MaxDelaySeconds": 5}]}),
    );
    let (_, times) = run_flaky(&def, 3, "E", 0.0);
    assert_eq!(times, [0, 2_000, 7_000, 12_000]);
}

#[test]
fn full_jitter_scales_delay_by_injected_randomness() {
    let def = failing_task(
        json!({"Retry": [{"ErrorEquals": ["E"], "IntervalSeconds": 4,
        "BackoffRate": 2, "MaxAttempts": 2, "JitterStrategy": "FULL"}]}),
    );
    let (_, times) = run_flaky(&def, 2, "E", 0.5);
    assert_eq!(times, [0, 2_000, 6_000]);
}

#[test]
fn retries_exhausted_then_fail() {
    let def = failing_task(json!({"Retry": [{"ErrorEquals": ["E"], "MaxAttempts": 2}]}));
    let (f, times) = run_flaky(&def, 10, "E", 0.0);
    assert_eq!(times.len(), 3);
    assert_eq!(f.outcome.error.as_deref(), Some("E"));
}

#[test]
fn max_attempts_zero_never_retries() {
    let def = failing_task(json!({"Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 0}]}));
    let (_, times) = run_flaky(&def, 1, "E", 0.0);
    assert_eq!(times.len(), 1);
}

#[test]
fn first_matching_retrier_applies() {
    let def = failing_task(json!({"Retry": [
        {"ErrorEquals": ["NotThis"], "MaxAttempts": 5, "IntervalSeconds": 100},
        {"ErrorEquals": ["States.ALL"], "MaxAttempts": 1, "IntervalSeconds": 1}]}));
    let (_, times) = run_flaky(&def, 1, "E", 0.0);
    assert_eq!(times, [0, 1_000]);
}

#[test]
fn catch_places_error_output_at_result_path() {
    let def = failing_task(json!({"Catch": [
        {"ErrorEquals": ["E"], "ResultPath": "$.err", "Next": "Handler"}]}));
    let (f, _) = run_flaky(&def, 1, "E", 0.0);
    assert_eq!(output(&f), json!({"err": {"Error": "E", "Cause": "flaky"}}));
}

#[test]
fn catchers_are_tried_in_order_with_states_all_last() {
    let def = failing_task(json!({"Catch": [
        {"ErrorEquals": ["Nope"], "Next": "Other"},
        {"ErrorEquals": ["States.TaskFailed"], "Next": "Handler"},
        {"ErrorEquals": ["States.ALL"], "Next": "Other"}]}));
    let (f, _) = run_flaky(&def, 1, "E", 0.0);
    assert_eq!(output(&f), json!({"Error": "E", "Cause": "flaky"}));
}

#[test]
fn retry_then_catch() {
    let def = failing_task(json!({
        "Retry": [{"ErrorEquals": ["E"], "MaxAttempts": 1}],
        "Catch": [{"ErrorEquals": ["E"], "Next": "Handler"}]}));
    let (f, times) = run_flaky(&def, 5, "E", 0.0);
    assert_eq!(times.len(), 2);
    assert_eq!(f.outcome.status, ExecutionStatus::Succeeded);
}

#[test]
fn task_timeout_is_states_timeout_not_task_failed() {
    let def = failing_task(json!({"TimeoutSeconds": 5, "Catch": [
        {"ErrorEquals": ["States.TaskFailed"], "Next": "Other"},
        {"ErrorEquals": ["States.Timeout"], "Next": "Handler"}]}));
    let mut r = FnResolver(|_: &TaskInvocation| TaskOutcome::Pending);
    let f = run_with(&def, json!({}), &mut r, Box::new(FixedRandom(0.0)));
    assert_eq!(output(&f), json!({"Error": "States.Timeout", "Cause": ""}));
    let timed_out = f
        .history
        .iter()
        .find(|e| e.event_type() == "TaskTimedOut")
        .expect("TaskTimedOut");
    assert_eq!(timed_out.timestamp.millis() - START.millis(), 5_000);
}

#[test]
fn parallel_retry_reruns_all_branches() {
    let def = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true,
        "Retry": [{"ErrorEquals": ["Boom"], "MaxAttempts": 2}],
        "Branches": [{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom"}}}]}}});
    let f = run(&def, json!({}));
    let starts = types(&f)
        .iter()
        .filter(|t| **t == "ParallelStateStarted")
        .count();
    assert_eq!(starts, 3);
    assert_eq!(f.outcome.error.as_deref(), Some("Boom"));
}
