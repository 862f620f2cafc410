//! RedriveExecution through the running server: a failed execution continues from the state
//! that failed, an aborted one from the state it was stopped in, across a `kill -9` restart.

mod common;

use common::*;
use serde_json::{json, Value};
use std::time::Duration;

/// Fails at `Gate` until the execution is redriven, then goes on to `Done`.
fn gated() -> Value {
    json!({"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Assign": {"greeting": "hi"}, "Next": "Gate"},
        "Gate": {"Type": "Choice", "Choices": [
            {"Variable": "$$.Execution.RedriveCount", "NumericGreaterThan": 0, "Next": "Done"}]},
        "Done": {"Type": "Pass", "End": true,
                 "Parameters": {"g.$": "$greeting", "count.$": "$$.Execution.RedriveCount"}}}})
}

fn ids_are_contiguous(events: &[Value]) {
    let ids: Vec<u64> = events.iter().filter_map(|e| e["id"].as_u64()).collect();
    assert_eq!(
        ids,
        (1..=events.len() as u64).collect::<Vec<_>>(),
        "{events:?}"
    );
}

#[test]
fn a_failed_execution_is_redriven_from_the_failed_state() {
    let s = Server::start_in_memory();
    let sm = s.create_machine("gated", &gated());
    let arn = s.ok(
        "StartExecution",
        json!({"stateMachineArn": sm, "name": "one"}),
    )["executionArn"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let d = s.wait_done(&arn, Duration::from_secs(30));
    assert_eq!(d["status"], "FAILED");
    assert_eq!(d["error"], "States.NoChoiceMatched");
    assert_eq!(d["redriveStatus"], "REDRIVABLE");
    assert_eq!(d["redriveCount"], 0);
    let before = s.history(&arn).len() as u64;

    let r = s.ok("RedriveExecution", json!({"executionArn": arn}));
    assert!(r["redriveDate"].as_f64().is_some(), "{r}");
    let d = s.wait_done(&arn, Duration::from_secs(30));
    assert_eq!(d["status"], "SUCCEEDED", "{d}");
    assert_eq!(d["output"], "{\"g\":\"hi\",\"count\":1}");
    assert_eq!(d["redriveCount"], 1);
    assert!(d.get("redriveDate").is_some(), "{d}");
    assert!(d.get("stopDate").is_some());
    assert!(d.get("error").is_none(), "{d}");

    let events = s.history(&arn);
    ids_are_contiguous(&events);
    let redriven = &events[before as usize];
    assert_eq!(redriven["type"], "ExecutionRedriven");
    assert_eq!(redriven["previousEventId"], before);
    assert_eq!(redriven["executionRedrivenEventDetails"]["redriveCount"], 1);
    assert_eq!(events[before as usize + 1]["type"], "ChoiceStateEntered");
    assert_eq!(
        events.last().map(|e| e["type"].clone()),
        Some(json!("ExecutionSucceeded"))
    );

    let m = s.err(
        "RedriveExecution",
        json!({"executionArn": arn}),
        "ExecutionNotRedrivable",
    );
    assert_eq!(m, "Execution is SUCCEEDED and cannot be redriven");
    s.err(
        "RedriveExecution",
        json!({"executionArn": execution_arn("gated", "nope")}),
        "ExecutionDoesNotExist",
    );
    s.err(
        "RedriveExecution",
        json!({"executionArn": "arn:x"}),
        "InvalidArn",
    );
    s.err("RedriveExecution", json!({}), "ValidationException");

    // ListExecutions: redriveFilter, and redriveDate on redriven items.
    for name in ["two", "three"] {
        let other = s.ok(
            "StartExecution",
            json!({"stateMachineArn": sm, "name": name}),
        );
        s.wait_done(
            other["executionArn"].as_str().unwrap_or_default(),
            Duration::from_secs(30),
        );
    }
    let names = |filter: &str, max: u64| -> Vec<String> {
        let mut out = Vec::new();
        let mut token = Value::Null;
        loop {
            let mut req =
                json!({"stateMachineArn": sm, "redriveFilter": filter, "maxResults": max});
            if !token.is_null() {
                req["nextToken"] = token.clone();
            }
            let page = s.ok("ListExecutions", req);
            for e in page["executions"].as_array().cloned().unwrap_or_default() {
                if filter == "REDRIVEN" {
                    assert!(e.get("redriveDate").is_some(), "{e}");
                }
                out.push(e["name"].as_str().unwrap_or_default().to_string());
            }
            token = page["nextToken"].clone();
            if token.is_null() {
                return out;
            }
        }
    };
    assert_eq!(names("REDRIVEN", 1), ["one"]);
    assert_eq!(names("NOT_REDRIVEN", 1), ["three", "two"]);
    assert_eq!(names("NOT_REDRIVEN", 100), ["three", "two"]);
    s.err(
        "ListExecutions",
        json!({"stateMachineArn": sm, "redriveFilter": "SOMETIMES"}),
        "ValidationException",
    );
}

#[test]
fn a_running_execution_is_not_redriven() {
    let s = Server::start_in_memory();
    let def =
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": true}}});
    let sm = s.create_machine("waits", &def);
    let arn = s.ok("StartExecution", json!({"stateMachineArn": sm}))["executionArn"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let m = s.err(
        "RedriveExecution",
        json!({"executionArn": arn}),
        "ExecutionNotRedrivable",
    );
    assert_eq!(m, "Execution is RUNNING and cannot be redriven");
}

#[test]
fn an_aborted_execution_is_redriven_and_survives_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut s = Server::start(dir.path());
    let def = json!({"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Result": {"v": 1}, "Next": "Hold"},
        "Hold": {"Type": "Wait", "Seconds": 2, "Next": "Done"},
        "Done": {"Type": "Pass", "Parameters": {"v.$": "$.v", "n.$": "$$.Execution.RedriveCount"},
                 "End": true}}});
    let sm = s.create_machine("held", &def);
    let arn = s.ok(
        "StartExecution",
        json!({"stateMachineArn": sm, "name": "h"}),
    )["executionArn"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    s.ok(
        "StopExecution",
        json!({"executionArn": arn, "error": "Halt"}),
    );
    assert_eq!(
        s.wait_done(&arn, Duration::from_secs(30))["status"],
        "ABORTED"
    );
    s.ok("RedriveExecution", json!({"executionArn": arn}));
    let d = s.ok("DescribeExecution", json!({"executionArn": arn}));
    assert_eq!(d["status"], "RUNNING");
    assert_eq!(d["redriveStatus"], "NOT_REDRIVABLE");
    // The redriven execution waits at `Hold`: kill the server and let a new one finish it.
    s.kill9();
    let s = Server::start(dir.path());
    let d = s.wait_done(&arn, Duration::from_secs(30));
    assert_eq!(d["status"], "SUCCEEDED", "{d}");
    assert_eq!(d["output"], "{\"v\":1,\"n\":1}");
    let events = s.history(&arn);
    ids_are_contiguous(&events);
    let types: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    let redriven = types.iter().position(|t| *t == "ExecutionRedriven");
    assert_eq!(
        redriven.map(|i| &types[i..]),
        Some(
            &[
                "ExecutionRedriven",
                "WaitStateEntered",
                "WaitStateExited",
                "PassStateEntered",
                "PassStateExited",
                "ExecutionSucceeded"
            ][..]
        ),
        "{types:?}"
    );
}

const BOTO3_REDRIVE: &str = r#"
import json, sys, time
import boto3
from botocore.config import Config
sfn = boto3.client("stepfunctions", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="test", aws_secret_access_key="test",
                   config=Config(inject_host_prefix=False))
arn = sfn.start_execution(stateMachineArn=sys.argv[2], name="boto")["executionArn"]
def done():
    for _ in range(600):
        d = sfn.describe_execution(executionArn=arn)
        if d["status"] != "RUNNING":
            return d
        time.sleep(0.05)
    raise SystemExit("still running")
assert done()["status"] == "FAILED"
r = sfn.redrive_execution(executionArn=arn)
assert "redriveDate" in r, r
d = done()
assert d["status"] == "SUCCEEDED", d
assert d["redriveCount"] == 1, d
assert "redriveDate" in d, d
try:
    sfn.redrive_execution(executionArn=arn)
    raise SystemExit("a succeeded execution must not be redriven")
except sfn.exceptions.ExecutionNotRedrivable:
    pass
print("ok")
"#;

#[test]
fn redrive_with_boto3() {
    let venv = e2e_venv();
    let s = Server::start_in_memory();
    let sm = s.create_machine("gated-boto", &gated());
    let out = std::process::Command::new(venv.join("bin/python"))
        .args([
            "-c",
            BOTO3_REDRIVE,
            &format!("http://127.0.0.1:{}", s.port),
            &sm,
        ])
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "boto3 redrive failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
