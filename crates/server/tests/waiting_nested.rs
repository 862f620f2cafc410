//! Nested executions (`arn:aws:states:::states:startExecution[.sync|.sync:2|.waitForTaskToken]`)
//! against the real server, also across a `kill -9` restart.

mod common;

use common::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(120);

fn start(s: &Server, machine: &str, name: &str, input: Value) -> String {
    let v = s.ok(
        "StartExecution",
        json!({"stateMachineArn": machine, "name": name, "input": input.to_string()}),
    );
    v["executionArn"].as_str().expect("arn").to_string()
}

fn parent(resource: &str) -> Value {
    json!({"StartAt": "Child", "States": {"Child": {
        "Type": "Task", "Resource": resource,
        "Parameters": {"StateMachineArn.$": "$.sm", "Input.$": "$.in", "Name.$": "$.name"},
        "End": true}}})
}

fn child_machines(s: &Server) -> (String, String, String) {
    let ok = s.create_machine(
        "child-ok",
        &json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"got.$": "$"}, "End": true}}}),
    );
    let fail = s.create_machine(
        "child-fail",
        &json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "SomeFailure", "Cause": "bad child"}}}),
    );
    let slow = s.create_machine(
        "child-slow",
        &json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3, "Next": "P"},
                "P": {"Type": "Pass", "Result": {"slow": true}, "End": true}}}),
    );
    (ok, fail, slow)
}

fn output(d: &Value) -> Value {
    serde_json::from_str(d["output"].as_str().unwrap_or("null")).unwrap()
}

#[test]
fn sync_sync2_request_response_and_failure() {
    let s = Server::start_in_memory();
    let (ok, fail, _) = child_machines(&s);
    let p1 = s.create_machine(
        "p-sync",
        &parent("arn:aws:states:::states:startExecution.sync"),
    );
    let p2 = s.create_machine(
        "p-sync2",
        &parent("arn:aws:states:::states:startExecution.sync:2"),
    );
    let p0 = s.create_machine("p-rr", &parent("arn:aws:states:::states:startExecution"));

    let e = start(
        &s,
        &p1,
        "a",
        json!({"sm": ok, "in": {"k": 1}, "name": "c1"}),
    );
    let d = s.wait_done(&e, LONG);
    assert_eq!(d["status"], "SUCCEEDED", "{d}");
    let o = output(&d);
    assert_eq!(o["Status"], "SUCCEEDED");
    assert_eq!(o["Name"], "c1");
    assert_eq!(o["Output"], "{\"got\":{\"k\":1}}", ".sync: Output is text");
    assert_eq!(o["Input"], "{\"k\":1}");
    assert_eq!(o["ExecutionArn"], execution_arn("child-ok", "c1"));

    let e = start(
        &s,
        &p2,
        "b",
        json!({"sm": ok, "in": {"k": 2}, "name": "c2"}),
    );
    let o = output(&s.wait_done(&e, LONG));
    assert_eq!(
        o["Output"],
        json!({"got": {"k": 2}}),
        ".sync:2: Output is JSON"
    );

    let e = start(&s, &p0, "c", json!({"sm": ok, "in": null, "name": "c3"}));
    let o = output(&s.wait_done(&e, LONG));
    assert_eq!(o["ExecutionArn"], execution_arn("child-ok", "c3"));
    assert!(o["StartDate"].is_number());
    // The SDK's view of the response, as AWS records it.
    let meta = &o["SdkHttpMetadata"];
    assert_eq!(meta["HttpStatusCode"], 200);
    assert_eq!(
        o["SdkResponseMetadata"]["RequestId"],
        meta["HttpHeaders"]["x-amzn-RequestId"]
    );
    assert!(meta["HttpHeaders"]["Date"]
        .as_str()
        .is_some_and(|d| d.ends_with(" GMT")));
    let c = s.wait_done(&execution_arn("child-ok", "c3"), LONG);
    assert_eq!(c["input"], "{}", "a null Input starts the child with {{}}");

    let e = start(&s, &p1, "d", json!({"sm": fail, "in": {}, "name": "c4"}));
    let d = s.wait_done(&e, LONG);
    assert_eq!(d["status"], "FAILED");
    assert_eq!(d["error"], "States.TaskFailed");
    let cause: Value = serde_json::from_str(d["cause"].as_str().unwrap()).unwrap();
    assert_eq!(cause["Error"], "SomeFailure");
    assert_eq!(cause["Status"], "FAILED");

    let e = start(
        &s,
        &p1,
        "e",
        json!({"sm": "arn:aws:states:us-east-1:123456789012:stateMachine:nope", "in": {}, "name": "c5"}),
    );
    let d = s.wait_done(&e, LONG);
    assert_eq!(
        d["error"],
        "StepFunctions.StateMachineDoesNotExistException"
    );
}

#[test]
fn stopping_the_parent_stops_a_sync_child() {
    let s = Server::start_in_memory();
    let (_, _, slow) = child_machines(&s);
    let p = s.create_machine(
        "p-stop",
        &parent("arn:aws:states:::states:startExecution.sync"),
    );
    let e = start(&s, &p, "s", json!({"sm": slow, "in": {}, "name": "stopme"}));
    let child = execution_arn("child-slow", "stopme");
    let deadline = Instant::now() + LONG;
    while s
        .call("DescribeExecution", json!({"executionArn": child}))
        .0
        != 200
    {
        assert!(Instant::now() < deadline, "child never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    s.ok("StopExecution", json!({"executionArn": e}));
    assert_eq!(s.wait_done(&e, LONG)["status"], "ABORTED");
    assert_eq!(s.wait_done(&child, LONG)["status"], "ABORTED");
}

#[test]
fn a_sync_parent_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Server::start(dir.path());
    let (_, _, slow) = child_machines(&s);
    let p = s.create_machine(
        "p-dur",
        &parent("arn:aws:states:::states:startExecution.sync:2"),
    );
    let e = start(
        &s,
        &p,
        "k",
        json!({"sm": slow, "in": {}, "name": "durable-child"}),
    );
    let child = execution_arn("child-slow", "durable-child");
    let deadline = Instant::now() + LONG;
    while s
        .call("DescribeExecution", json!({"executionArn": child}))
        .0
        != 200
    {
        assert!(Instant::now() < deadline, "child never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    s.kill9();
    let s = Server::start(dir.path());
    let d = s.wait_done(&e, LONG);
    assert_eq!(d["status"], "SUCCEEDED", "{d}");
    assert_eq!(output(&d)["Output"], json!({"slow": true}));
    // One child, not two.
    let l = s.ok("ListExecutions", json!({"stateMachineArn": slow}));
    assert_eq!(l["executions"].as_array().unwrap().len(), 1);
}

#[test]
fn wait_for_task_token_child() {
    let s = Server::start_in_memory();
    let (ok, _, _) = child_machines(&s);
    let p = s.create_machine(
        "p-token",
        &json!({"StartAt": "Child", "States": {"Child": {
            "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.waitForTaskToken",
            "Parameters": {"StateMachineArn.$": "$.sm", "Name": "tok-child",
                           "Input": {"TaskToken.$": "$$.Task.Token",
                                     "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"}},
            "End": true}}}),
    );
    let e = start(&s, &p, "t", json!({"sm": ok}));
    let child = execution_arn("child-ok", "tok-child");
    let deadline = Instant::now() + LONG;
    while s
        .call("DescribeExecution", json!({"executionArn": child}))
        .0
        != 200
    {
        assert!(Instant::now() < deadline, "child never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    let c = s.wait_done(&child, LONG);
    let out = output(&c);
    assert_eq!(
        out["got"]["AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"],
        e.as_str()
    );
    let token = out["got"]["TaskToken"]
        .as_str()
        .expect("token in the child's input");
    let d = s.ok("DescribeExecution", json!({"executionArn": e}));
    assert_eq!(d["status"], "RUNNING", "waits for the token, not the child");
    s.ok(
        "SendTaskSuccess",
        json!({"taskToken": token, "output": "{\"via\":\"token\"}"}),
    );
    let d = s.wait_done(&e, LONG);
    assert_eq!(output(&d), json!({"via": "token"}));
}
