//! Waiting tasks as AWS records them. Heartbeat timeouts: the error is `States.Timeout`
//! (history, execution failure, Catch output); `States.HeartbeatTimeout` exists only in Retry
//! and Catch, where it matches a heartbeat timeout and nothing else. A callback failure that
//! names nothing is caught as nulls.

mod common;
use common::*;
use engine::{ExecutionStatus, TaskInvocation, TaskOutcome};
use serde_json::{json, Value};

/// A callback task nobody answers, with `fields` added, `Done`/`Handler`/`Other` to go to.
fn waiting_task(fields: Value) -> Value {
    let mut t = json!({"Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": "q", "MessageBody.$": "$$.Task.Token"}, "Next": "Done"});
    if let (Some(t), Some(f)) = (t.as_object_mut(), fields.as_object()) {
        for (k, v) in f {
            t.insert(k.clone(), v.clone());
        }
    }
    let mentioned = t.to_string();
    let mut states = serde_json::Map::new();
    states.insert("T".into(), t);
    states.insert("Done".into(), json!({"Type": "Pass", "End": true}));
    for name in ["Handler", "Other"] {
        if mentioned.contains(&format!("\"{name}\"")) {
            states.insert(
                name.into(),
                json!({"Type": "Pass", "Result": name, "ResultPath": "$.by", "End": true}),
            );
        }
    }
    json!({"StartAt": "T", "States": states})
}

fn never_answered(def: &Value) -> engine::driver::Finished {
    let mut r = FnResolver(|_: &TaskInvocation| TaskOutcome::Pending);
    run_with(def, json!({}), &mut r, Box::new(FixedRandom(0.0)))
}

#[test]
fn a_heartbeat_timeout_is_recorded_as_states_timeout() {
    let f = never_answered(&waiting_task(json!({"HeartbeatSeconds": 5})));
    assert_eq!(f.outcome.status, ExecutionStatus::Failed);
    assert_eq!(f.outcome.error.as_deref(), Some("States.Timeout"));
    let timed_out = f
        .history
        .iter()
        .find(|e| e.event_type() == "TaskTimedOut")
        .expect("TaskTimedOut")
        .to_json();
    assert_eq!(
        timed_out["taskTimedOutEventDetails"]["error"],
        "States.Timeout"
    );
}

#[test]
fn heartbeat_timeout_in_catch_matches_only_heartbeat_timeouts() {
    let catch = json!({"Catch": [
        {"ErrorEquals": ["States.HeartbeatTimeout"], "Next": "Handler"},
        {"ErrorEquals": ["States.Timeout"], "Next": "Other"}]});
    let mut hb = catch.clone();
    hb["HeartbeatSeconds"] = json!(5);
    let f = never_answered(&waiting_task(hb));
    assert_eq!(f.outcome.status, ExecutionStatus::Succeeded);
    assert_eq!(
        output(&f),
        json!({"Error": "States.Timeout", "Cause": "", "by": "Handler"})
    );
    // A task timeout is not a heartbeat timeout.
    let mut to = catch;
    to["TimeoutSeconds"] = json!(5);
    let f = never_answered(&waiting_task(to));
    assert_eq!(output(&f)["by"], "Other");
    // States.Timeout still matches a heartbeat timeout; States.TaskFailed does not.
    let f = never_answered(&waiting_task(json!({"HeartbeatSeconds": 5, "Catch": [
        {"ErrorEquals": ["States.TaskFailed"], "Next": "Other"},
        {"ErrorEquals": ["States.Timeout"], "Next": "Handler"}]})));
    assert_eq!(output(&f)["by"], "Handler");
}

#[test]
fn heartbeat_timeout_in_retry_retries_it() {
    let f = never_answered(&waiting_task(json!({"HeartbeatSeconds": 5,
        "Retry": [{"ErrorEquals": ["States.HeartbeatTimeout"], "MaxAttempts": 2,
                   "IntervalSeconds": 1}]})));
    let scheduled = types(&f).iter().filter(|t| **t == "TaskScheduled").count();
    assert_eq!(scheduled, 3, "the first attempt and two retries");
    assert_eq!(f.outcome.error.as_deref(), Some("States.Timeout"));
}

#[test]
fn a_failure_naming_nothing_is_caught_as_nulls() {
    let def = waiting_task(json!({"Catch": [
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "Done"}]}));
    // SendTaskFailure without error or cause (AWS: `{"Error": null, "Cause": null}`).
    let mut r = FnResolver(|_: &TaskInvocation| TaskOutcome::Failed {
        error: None,
        cause: None,
    });
    let f = run_with(&def, json!({}), &mut r, Box::new(FixedRandom(0.0)));
    assert_eq!(output(&f), json!({"err": {"Error": null, "Cause": null}}));
    // With an error but no cause, the cause is "".
    let mut r = FnResolver(|_: &TaskInvocation| TaskOutcome::Failed {
        error: Some("Rejected".into()),
        cause: None,
    });
    let f = run_with(&def, json!({}), &mut r, Box::new(FixedRandom(0.0)));
    assert_eq!(
        output(&f),
        json!({"err": {"Error": "Rejected", "Cause": ""}})
    );
}
