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

/// The history event types after the first `TaskFailed`, with their `previousEventId`s.
fn after_failure(f: &engine::driver::Finished) -> Vec<(String, u64, u64)> {
    let events: Vec<Value> = f.history.iter().map(|e| e.to_json()).collect();
    let start = events
        .iter()
        .position(|e| e["type"] == "TaskFailed")
        .expect("a TaskFailed event");
    events[start..]
        .iter()
        .take(3)
        .map(|e| {
            (
                e["type"].as_str().unwrap_or("").to_string(),
                e["id"].as_u64().unwrap_or(0),
                e["previousEventId"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

#[test]
fn a_waiting_task_failing_a_parallel_branch_is_also_recorded_aborted() {
    let fail = || {
        FnResolver(|_: &TaskInvocation| TaskOutcome::Failed {
            error: None,
            cause: None,
        })
    };
    let mut branch = waiting_task(json!({"End": true}));
    if let Some(s) = branch["States"].as_object_mut() {
        s.remove("Done");
    }
    if let Some(t) = branch["States"]["T"].as_object_mut() {
        t.remove("Next");
    }
    let parallel = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel",
        "Branches": [branch.clone()], "End": true}}});
    let f = run_with(
        &parallel,
        json!({}),
        &mut fail(),
        Box::new(FixedRandom(0.0)),
    );
    let seq = after_failure(&f);
    // AWS's recording: TaskFailed (n), TaskStateAborted (prev n), ParallelStateFailed (prev n).
    let n = seq[0].1;
    assert_eq!(
        seq,
        vec![
            ("TaskFailed".to_string(), n, n - 1),
            ("TaskStateAborted".to_string(), n + 1, n),
            ("ParallelStateFailed".to_string(), n + 2, n),
        ]
    );
    // A Map iteration's failure is not (AWS: TaskTimedOut then MapIterationFailed).
    let map = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items",
        "ItemProcessor": branch, "End": true}}});
    let f = run_with(
        &map,
        json!({"items": [1]}),
        &mut fail(),
        Box::new(FixedRandom(0.0)),
    );
    assert_eq!(after_failure(&f)[1].0, "MapIterationFailed");
}
