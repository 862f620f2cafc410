//! Activities and task-token callbacks against the real server over HTTP, also across a
//! `kill -9` restart.

mod common;

use common::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(120);

fn activity_arn(name: &str) -> String {
    format!("arn:aws:states:{REGION}:{ACCOUNT}:activity:{name}")
}

fn types(h: &[Value]) -> Vec<String> {
    h.iter()
        .map(|e| e["type"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Polls the history until an event of `ty` appears; returns it.
fn wait_event(s: &Server, exec: &str, ty: &str) -> Value {
    let deadline = Instant::now() + LONG;
    loop {
        if let Some(e) = s.history(exec).into_iter().find(|e| e["type"] == ty) {
            return e;
        }
        assert!(Instant::now() < deadline, "no {ty} in {exec}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The token a `.waitForTaskToken` task was given, from its TaskScheduled parameters.
fn scheduled_token(s: &Server, exec: &str) -> String {
    let e = wait_event(s, exec, "TaskScheduled");
    let params: Value = serde_json::from_str(
        e["taskScheduledEventDetails"]["parameters"]
            .as_str()
            .unwrap_or("{}"),
    )
    .unwrap_or(Value::Null);
    params["MessageBody"]["Token"]
        .as_str()
        .expect("token in parameters")
        .to_string()
}

fn start(s: &Server, machine: &str, name: &str, input: Value) -> String {
    let v = s.ok(
        "StartExecution",
        json!({"stateMachineArn": machine, "name": name, "input": input.to_string()}),
    );
    v["executionArn"].as_str().expect("arn").to_string()
}

fn activity_machine(activity: &str, extra: Value) -> Value {
    let mut task = json!({"Type": "Task", "Resource": activity, "End": true});
    if let (Some(t), Some(x)) = (task.as_object_mut(), extra.as_object()) {
        for (k, v) in x {
            t.insert(k.clone(), v.clone());
        }
    }
    json!({"StartAt": "Work", "States": {"Work": task}})
}

fn callback_machine(extra: Value) -> Value {
    let mut task = json!({
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/1/q",
                       "MessageBody": {"Token.$": "$$.Task.Token", "In.$": "$"}},
        "End": true
    });
    if let (Some(t), Some(x)) = (task.as_object_mut(), extra.as_object()) {
        for (k, v) in x {
            t.insert(k.clone(), v.clone());
        }
    }
    json!({"StartAt": "Wait", "States": {"Wait": task}})
}

/// GetActivityTask until a task comes (each poll may end empty on a loaded machine).
fn take_task(s: &Server, activity: &str, worker: &str) -> (String, Value) {
    let deadline = Instant::now() + LONG;
    loop {
        let v = s.ok(
            "GetActivityTask",
            json!({"activityArn": activity, "workerName": worker}),
        );
        if let Some(t) = v["taskToken"].as_str() {
            let input = serde_json::from_str(v["input"].as_str().unwrap_or("null")).unwrap();
            return (t.to_string(), input);
        }
        assert!(Instant::now() < deadline, "no task for {activity}");
    }
}

#[test]
fn activity_api() {
    let s = Server::start_in_memory();
    let a = s.ok("CreateActivity", json!({"name": "act-1"}));
    assert_eq!(a["activityArn"], activity_arn("act-1"));
    let again = s.ok("CreateActivity", json!({"name": "act-1"}));
    assert_eq!(again["activityArn"], a["activityArn"]);
    assert_eq!(again["creationDate"], a["creationDate"], "idempotent");
    s.ok("CreateActivity", json!({"name": "act-2"}));
    let d = s.ok(
        "DescribeActivity",
        json!({"activityArn": activity_arn("act-1")}),
    );
    assert_eq!(d["name"], "act-1");
    assert_eq!(d["encryptionConfiguration"]["type"], "AWS_OWNED_KEY");
    let l = s.ok("ListActivities", json!({}));
    let names: Vec<&str> = l["activities"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert_eq!(names, ["act-1", "act-2"]);
    let page = s.ok("ListActivities", json!({"maxResults": 1}));
    assert_eq!(page["activities"].as_array().unwrap().len(), 1);
    assert!(page["nextToken"].is_string());
    s.ok(
        "DeleteActivity",
        json!({"activityArn": activity_arn("act-1")}),
    );
    s.ok(
        "DeleteActivity",
        json!({"activityArn": activity_arn("act-1")}),
    );
    let m = s.err(
        "DescribeActivity",
        json!({"activityArn": activity_arn("act-1")}),
        "ActivityDoesNotExist",
    );
    assert_eq!(
        m,
        format!("Activity Does Not Exist: '{}'", activity_arn("act-1"))
    );
    let m = s.err(
        "DescribeActivity",
        json!({"activityArn": "no_an_activity_arn"}),
        "InvalidArn",
    );
    assert_eq!(m, "Invalid Arn: 'Invalid ARN prefix: no_an_activity_arn'");
    let m = s.err("CreateActivity", json!({"name": "a/b"}), "InvalidName");
    assert_eq!(m, "Invalid Name: 'a/b'");
    s.err(
        "GetActivityTask",
        json!({"activityArn": activity_arn("act-1")}),
        "ActivityDoesNotExist",
    );
}

#[test]
fn activity_worker_success_heartbeat_and_failure() {
    let s = Server::start_in_memory();
    let act = s.ok("CreateActivity", json!({"name": "worker-act"}))["activityArn"]
        .as_str()
        .unwrap()
        .to_string();
    let m = s.create_machine(
        "act-m",
        &activity_machine(
            &act,
            json!({"TimeoutSeconds": 600, "HeartbeatSeconds": 300}),
        ),
    );
    let e1 = start(&s, &m, "e1", json!({"n": 1}));
    let e2 = start(&s, &m, "e2", json!({"n": 2}));
    // Oldest task first, each to one poller.
    let (t1, in1) = take_task(&s, &act, "w1");
    let (t2, in2) = take_task(&s, &act, "w2");
    assert_ne!(t1, t2);
    assert_eq!(in1, json!({"n": 1}));
    assert_eq!(in2, json!({"n": 2}));
    s.ok("SendTaskHeartbeat", json!({"taskToken": t1}));
    s.ok(
        "SendTaskSuccess",
        json!({"taskToken": t1, "output": "{\"done\":1}"}),
    );
    let d = s.wait_done(&e1, LONG);
    assert_eq!(d["status"], "SUCCEEDED");
    assert_eq!(d["output"], "{\"done\":1}");
    assert_eq!(
        types(&s.history(&e1)),
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "ActivityScheduled",
            "ActivityStarted",
            "ActivitySucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert_eq!(
        s.history(&e1)[3]["activityStartedEventDetails"]["workerName"],
        "w1"
    );
    let sched = &s.history(&e1)[2]["activityScheduledEventDetails"];
    assert_eq!(sched["resource"], act.as_str());
    assert_eq!(sched["timeoutInSeconds"], 600);
    assert_eq!(sched["heartbeatInSeconds"], 300);
    // The token answered once.
    s.err(
        "SendTaskSuccess",
        json!({"taskToken": t1, "output": "{}"}),
        "TaskTimedOut",
    );
    s.ok(
        "SendTaskFailure",
        json!({"taskToken": t2, "error": "Boom", "cause": "bad"}),
    );
    let d = s.wait_done(&e2, LONG);
    assert_eq!(d["status"], "FAILED");
    assert_eq!(d["error"], "Boom");
    assert_eq!(d["cause"], "bad");
    assert!(types(&s.history(&e2)).contains(&"ActivityFailed".to_string()));
}

#[test]
fn a_waiting_poller_gets_the_next_task() {
    let s = Server::start_in_memory();
    let act = s.ok("CreateActivity", json!({"name": "lp"}))["activityArn"]
        .as_str()
        .unwrap()
        .to_string();
    let m = s.create_machine("lp-m", &activity_machine(&act, json!({})));
    // A poller waiting before the task exists gets it.
    std::thread::scope(|sc| {
        let poller = sc.spawn(|| s.ok("GetActivityTask", json!({"activityArn": act})));
        std::thread::sleep(Duration::from_millis(500));
        let e = start(&s, &m, "lp1", json!({"x": true}));
        let got = poller.join().unwrap();
        let token = got["taskToken"]
            .as_str()
            .expect("the waiting poller got it");
        assert_eq!(got["input"], "{\"x\":true}");
        s.ok(
            "SendTaskSuccess",
            json!({"taskToken": token, "output": "1"}),
        );
        assert_eq!(s.wait_done(&e, LONG)["output"], "1");
    });
}

#[test]
fn activity_timeouts() {
    let s = Server::start_in_memory();
    let act = s.ok("CreateActivity", json!({"name": "to"}))["activityArn"]
        .as_str()
        .unwrap()
        .to_string();
    // Never taken: TimeoutSeconds runs from scheduling.
    let m = s.create_machine(
        "to-m",
        &activity_machine(&act, json!({"TimeoutSeconds": 1})),
    );
    let e = start(&s, &m, "t1", json!({}));
    let d = s.wait_done(&e, LONG);
    assert_eq!(d["status"], "FAILED");
    assert_eq!(d["error"], "States.Timeout");
    let h = s.history(&e);
    assert!(types(&h).contains(&"ActivityTimedOut".to_string()));
    // Taken, no heartbeat: a heartbeat timeout (recorded as States.Timeout, as AWS does); the
    // token then answers TaskTimedOut.
    let m = s.create_machine(
        "hb-m",
        &activity_machine(&act, json!({"HeartbeatSeconds": 1})),
    );
    let e = start(&s, &m, "h1", json!({}));
    let (t, _) = take_task(&s, &act, "slow");
    let d = s.wait_done(&e, LONG);
    assert_eq!(d["error"], "States.Timeout");
    s.err(
        "SendTaskSuccess",
        json!({"taskToken": t, "output": "{}"}),
        "TaskTimedOut",
    );
}

#[test]
fn callbacks() {
    let s = Server::start_in_memory();
    let m = s.create_machine("cb", &callback_machine(json!({})));
    // Success.
    let e = start(&s, &m, "ok", json!({"a": 1}));
    let t = scheduled_token(&s, &e);
    wait_event(&s, &e, "TaskStarted");
    s.err(
        "SendTaskSuccess",
        json!({"taskToken": t, "output": "{not json"}),
        "InvalidOutput",
    );
    s.ok(
        "SendTaskSuccess",
        json!({"taskToken": t, "output": "{\"r\":2}"}),
    );
    let d = s.wait_done(&e, LONG);
    assert_eq!(d["status"], "SUCCEEDED");
    assert_eq!(d["output"], "{\"r\":2}");
    assert_eq!(
        types(&s.history(&e)),
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
    // Failure.
    let e = start(&s, &m, "fail", json!({}));
    let t = scheduled_token(&s, &e);
    s.ok(
        "SendTaskFailure",
        json!({"taskToken": t, "error": "Nope", "cause": "why"}),
    );
    let d = s.wait_done(&e, LONG);
    assert_eq!(d["status"], "FAILED");
    assert_eq!(d["error"], "Nope");
    assert!(types(&s.history(&e)).contains(&"TaskFailed".to_string()));
    // Errors on tokens.
    s.err(
        "SendTaskSuccess",
        json!({"taskToken": "garbage", "output": "{}"}),
        "InvalidToken",
    );
    s.err(
        "SendTaskHeartbeat",
        json!({"taskToken": "00000000-0000-4000-8000-000000000000"}),
        "TaskDoesNotExist",
    );
}

#[test]
fn callback_heartbeats_keep_the_task_alive_then_it_times_out() {
    let s = Server::start_in_memory();
    let m = s.create_machine("cbh", &callback_machine(json!({"HeartbeatSeconds": 2})));
    let e = start(&s, &m, "hb", json!({}));
    let t = scheduled_token(&s, &e);
    // Beats more often than every 2 s for ~5 s: still running.
    for _ in 0..10 {
        s.ok("SendTaskHeartbeat", json!({"taskToken": t}));
        std::thread::sleep(Duration::from_millis(500));
    }
    let d = s.ok("DescribeExecution", json!({"executionArn": e}));
    assert_eq!(d["status"], "RUNNING", "heartbeats restart the clock");
    let d = s.wait_done(&e, LONG);
    assert_eq!(d["status"], "FAILED");
    assert_eq!(d["error"], "States.Timeout");
    let h = s.history(&e);
    let timed_out = h
        .iter()
        .find(|e| e["type"] == "TaskTimedOut")
        .expect("TaskTimedOut");
    assert_eq!(
        timed_out["taskTimedOutEventDetails"]["error"],
        "States.Timeout"
    );
    s.err("SendTaskHeartbeat", json!({"taskToken": t}), "TaskTimedOut");
}

#[test]
fn tokens_and_activity_tasks_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Server::start(dir.path());
    let act = s.ok("CreateActivity", json!({"name": "durable"}))["activityArn"]
        .as_str()
        .unwrap()
        .to_string();
    let am = s.create_machine("dur-act", &activity_machine(&act, json!({})));
    let cm = s.create_machine("dur-cb", &callback_machine(json!({})));
    let hm = s.create_machine("dur-hb", &callback_machine(json!({"HeartbeatSeconds": 3})));
    let taken = start(&s, &am, "taken", json!({"q": 2}));
    let (taken_token, _) = take_task(&s, &act, "w");
    let queued = start(&s, &am, "queued", json!({"q": 1}));
    wait_event(&s, &queued, "ActivityScheduled");
    wait_event(&s, &taken, "ActivityStarted");
    let cb = start(&s, &cm, "cb", json!({}));
    let cb_token = scheduled_token(&s, &cb);
    wait_event(&s, &cb, "TaskStarted");
    let hb = start(&s, &hm, "hb", json!({}));
    scheduled_token(&s, &hb);
    wait_event(&s, &hb, "TaskStarted");
    s.kill9();

    let s = Server::start(dir.path());
    // The activity is still there, the queued task is still delivered, the taken one is not
    // delivered again, and every token still answers.
    s.ok("DescribeActivity", json!({"activityArn": act}));
    let (t, input) = take_task(&s, &act, "w2");
    assert_eq!(input, json!({"q": 1}), "the queued task, not the taken one");
    s.ok(
        "SendTaskSuccess",
        json!({"taskToken": t, "output": "\"a\""}),
    );
    s.ok(
        "SendTaskSuccess",
        json!({"taskToken": taken_token, "output": "\"b\""}),
    );
    s.ok(
        "SendTaskSuccess",
        json!({"taskToken": cb_token, "output": "\"c\""}),
    );
    assert_eq!(s.wait_done(&queued, LONG)["output"], "\"a\"");
    assert_eq!(s.wait_done(&taken, LONG)["output"], "\"b\"");
    assert_eq!(s.wait_done(&cb, LONG)["output"], "\"c\"");
    // The heartbeat timeout still fires after the restart.
    let d = s.wait_done(&hb, LONG);
    assert_eq!(d["error"], "States.Timeout");
    for e in [&queued, &taken, &cb, &hb] {
        let ids: Vec<u64> = s
            .history(e)
            .iter()
            .filter_map(|e| e["id"].as_u64())
            .collect();
        assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>(), "{e}");
    }
}

#[test]
fn a_task_on_a_missing_activity_fails_the_execution() {
    let s = Server::start_in_memory();
    let m = s.create_machine(
        "missing-act",
        &activity_machine(&activity_arn("never-created"), json!({})),
    );
    let e = start(&s, &m, "x", json!({}));
    let d = s.wait_done(&e, LONG);
    assert_eq!(d["status"], "FAILED");
    assert_eq!(d["error"], "States.Runtime");
    // As AWS words and records it: the execution fails before anything is scheduled.
    assert_eq!(
        d["cause"],
        format!(
            "An error occurred while executing the state 'Work' (entered at the event id #2). The activity {} does not exist.",
            activity_arn("never-created")
        )
    );
    assert_eq!(
        types(&s.history(&e)),
        ["ExecutionStarted", "TaskStateEntered", "ExecutionFailed"]
    );
}
