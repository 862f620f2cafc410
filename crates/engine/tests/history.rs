//! History shape: event types, ids, `previousEventId` chains and details, as AWS records them
//! (snapshots reviewed against AWS recordings of the same shapes).

mod common;
use common::*;
use engine::{Effect, Event, Execution, ExecutionContext, SeededEntropy, Timestamp};
use serde_json::{json, Value};

fn events(f: &engine::driver::Finished) -> Value {
    Value::Array(f.history.iter().map(|e| e.to_json()).collect())
}

#[test]
fn pass_chain_history() {
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.r", "Next": "B"},
        "B": {"Type": "Succeed"}}});
    insta::assert_json_snapshot!(events(&run(&def, json!({"in": true}))));
}

#[test]
fn inline_map_history_chains_iterations() {
    let def = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "MaxConcurrency": 1,
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}},
        "End": true}}});
    let f = run(&def, json!([1, 2]));
    // AWS: MapIterationSucceeded stays off the chain; the next iteration and
    // MapStateSucceeded/MapStateExited follow the previous iteration's last events.
    assert_eq!(
        chain(&f),
        [
            (1, 0, "ExecutionStarted"),
            (2, 0, "MapStateEntered"),
            (3, 2, "MapStateStarted"),
            (4, 3, "MapIterationStarted"),
            (5, 4, "PassStateEntered"),
            (6, 5, "PassStateExited"),
            (7, 6, "MapIterationSucceeded"),
            (8, 6, "MapIterationStarted"),
            (9, 8, "PassStateEntered"),
            (10, 9, "PassStateExited"),
            (11, 10, "MapIterationSucceeded"),
            (12, 11, "MapStateSucceeded"),
            (13, 11, "MapStateExited"),
            (14, 13, "ExecutionSucceeded"),
        ]
    );
    insta::assert_json_snapshot!(events(&f));
}

#[test]
fn parallel_failure_history() {
    let def = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true,
        "Branches": [{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "C"}}}]}}});
    let f = run(&def, json!({}));
    assert_eq!(
        chain(&f),
        [
            (1, 0, "ExecutionStarted"),
            (2, 0, "ParallelStateEntered"),
            (3, 2, "ParallelStateStarted"),
            (4, 3, "FailStateEntered"),
            (5, 4, "ParallelStateFailed"),
            (6, 5, "ExecutionFailed"),
        ]
    );
    insta::assert_json_snapshot!(events(&f));
}

#[test]
fn task_history_records_scheduled_started_succeeded() {
    let def = json!({"StartAt": "T", "States": {"T": {"Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSeconds": 30,
        "Parameters": {"FunctionName": "f", "Payload.$": "$"}, "End": true}}});
    let mut r = FnResolver(|_: &engine::TaskInvocation| {
        engine::TaskOutcome::Succeeded(json!({"Payload": 1}))
    });
    let f = run_with(&def, json!({"k": "v"}), &mut r, Box::new(FixedRandom(0.0)));
    insta::assert_json_snapshot!(events(&f));
}

#[test]
fn sans_io_start_and_handle() {
    let def = json!({"StartAt": "T", "States": {"T": {"Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage", "HeartbeatSeconds": 10,
        "TimeoutSeconds": 60, "Parameters": {"m.$": "$.m"}, "End": true}}});
    let ctx = ExecutionContext::example("e", "sm", Timestamp(0));
    let (mut ex, step) = Execution::start(
        program(&def),
        json!({"m": 1}),
        ctx,
        Box::new(SeededEntropy::new(3)),
    );
    let invoke = step.effects.iter().find_map(|e| match e {
        Effect::InvokeTask(inv) => Some(inv.clone()),
        _ => None,
    });
    let inv = invoke.expect("an InvokeTask effect");
    assert_eq!(*inv.parameters, json!({"m": 1}));
    assert_eq!(inv.heartbeat_seconds, Some(10));
    // Nothing finished yet: the engine waits for the task.
    assert!(!step.effects.iter().any(|e| matches!(e, Effect::Finish(_))));
    let step = ex.handle(
        Event::TaskStarted {
            task: inv.task,
            worker_name: None,
        },
        Timestamp(1_000),
    );
    let hb_timer = step.effects.iter().find_map(|e| match e {
        Effect::StartTimer { timer, fire_at } => Some((*timer, *fire_at)),
        _ => None,
    });
    let (timer, fire_at) = hb_timer.expect("heartbeat timer");
    assert_eq!(fire_at, Timestamp(11_000));
    // The heartbeat timer fires: the execution fails with States.Timeout (as AWS records it).
    let step = ex.handle(Event::TimerFired { timer }, fire_at);
    let types: Vec<_> = step.history.iter().map(|e| e.event_type()).collect();
    assert_eq!(types, ["TaskTimedOut", "ExecutionFailed"]);
    assert_eq!(
        ex.outcome().and_then(|o| o.error.as_deref()),
        Some("States.Timeout")
    );
    // Events after the close change nothing.
    let step = ex.handle(
        Event::TaskSucceeded {
            task: inv.task,
            output: json!(1),
        },
        Timestamp(20_000),
    );
    assert!(step.history.is_empty() && step.effects.is_empty());
}

#[test]
fn stop_aborts_the_execution() {
    let def =
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10, "End": true}}});
    let ctx = ExecutionContext::example("e", "sm", Timestamp(0));
    let (mut ex, _) = Execution::start(
        program(&def),
        json!({}),
        ctx,
        Box::new(SeededEntropy::new(3)),
    );
    let step = ex.handle(
        Event::Stop {
            error: Some("Err".into()),
            cause: None,
        },
        Timestamp(5),
    );
    assert_eq!(
        step.history.last().map(|e| e.event_type()),
        Some("ExecutionAborted")
    );
    assert_eq!(ex.status(), engine::ExecutionStatus::Aborted);
}

#[test]
fn map_iterations_start_together_and_siblings_are_aborted() {
    // Events 1-20 are the shape AWS records for a Map of 4 task iterations that all time out
    // (iterations start together, chained to MapStateStarted). After the first failure the
    // siblings are aborted at once here; on AWS their simultaneous timeouts race with it.
    let def = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "T", "States": {"T": {"Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSeconds": 5, "End": true}}}}}});
    let mut r = FnResolver(|_: &engine::TaskInvocation| engine::TaskOutcome::Pending);
    let f = run_with(
        &def,
        json!([1, 2, 3, 4]),
        &mut r,
        Box::new(FixedRandom(0.0)),
    );
    assert_eq!(f.outcome.error.as_deref(), Some("States.Timeout"));
    let c = chain(&f);
    assert_eq!(
        &c[..24],
        &[
            (1, 0, "ExecutionStarted"),
            (2, 0, "MapStateEntered"),
            (3, 2, "MapStateStarted"),
            (4, 3, "MapIterationStarted"),
            (5, 3, "MapIterationStarted"),
            (6, 3, "MapIterationStarted"),
            (7, 3, "MapIterationStarted"),
            (8, 4, "TaskStateEntered"),
            (9, 8, "TaskScheduled"),
            (10, 5, "TaskStateEntered"),
            (11, 10, "TaskScheduled"),
            (12, 6, "TaskStateEntered"),
            (13, 12, "TaskScheduled"),
            (14, 7, "TaskStateEntered"),
            (15, 14, "TaskScheduled"),
            (16, 9, "TaskStarted"),
            (17, 11, "TaskStarted"),
            (18, 13, "TaskStarted"),
            (19, 15, "TaskStarted"),
            (20, 16, "TaskTimedOut"),
            (21, 20, "MapIterationFailed"),
            (22, 20, "TaskStateAborted"),
            (23, 20, "MapIterationAborted"),
            (24, 20, "TaskStateAborted"),
        ][..]
    );
    assert_eq!(c.last().map(|e| e.2), Some("ExecutionFailed"));
}

#[test]
fn sync_task_records_submitted_and_activity_records_worker() {
    let def = json!({"StartAt": "T", "States": {"T": {"Type": "Task",
        "Resource": "arn:aws:states:::ecs:runTask.sync", "Next": "A"},
        "A": {"Type": "Task", "Resource": "arn:aws:states:us-east-1:111111111111:activity:act", "End": true}}});
    let ctx = ExecutionContext::example("e", "sm", Timestamp(0));
    let (mut ex, step) = Execution::start(
        program(&def),
        json!({}),
        ctx,
        Box::new(SeededEntropy::new(3)),
    );
    let task_of = |s: &engine::Step| {
        s.effects.iter().find_map(|e| match e {
            Effect::InvokeTask(inv) => Some(inv.clone()),
            _ => None,
        })
    };
    let t1 = task_of(&step).expect("first task");
    ex.handle(
        Event::TaskStarted {
            task: t1.task,
            worker_name: None,
        },
        Timestamp(1),
    );
    ex.handle(
        Event::TaskSubmitted {
            task: t1.task,
            output: json!({"TaskArn": "x"}),
        },
        Timestamp(2),
    );
    let step = ex.handle(
        Event::TaskSucceeded {
            task: t1.task,
            output: json!({"done": 1}),
        },
        Timestamp(3),
    );
    let t2 = task_of(&step).expect("activity task");
    assert!(t2.task_token.is_some(), "activities get a task token");
    let step2 = ex.handle(
        Event::TaskStarted {
            task: t2.task,
            worker_name: Some("w1".into()),
        },
        Timestamp(4),
    );
    let started = step2
        .history
        .first()
        .map(|e| e.to_json())
        .unwrap_or_default();
    assert_eq!(started["type"], "ActivityStarted");
    assert_eq!(started["activityStartedEventDetails"]["workerName"], "w1");
    let types: Vec<_> = step.history.iter().map(|e| e.event_type()).collect();
    assert_eq!(
        types,
        [
            "TaskSucceeded",
            "TaskStateExited",
            "TaskStateEntered",
            "ActivityScheduled"
        ]
    );
}
