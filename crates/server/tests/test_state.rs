//! TestState through the running server: raw HTTP (on the `sync-` host botocore uses), then
//! boto3 and the AWS CLI from the end-to-end virtualenv (`STEPLINE_E2E_VENV`, or
//! `target/e2e-venv` created from PyPI on first use).

mod common;

use common::*;
use serde_json::{json, Value};

use std::process::Command;

fn test_state(s: &Server, body: Value) -> Value {
    s.ok("TestState", body)
}

#[test]
fn test_state_over_http() {
    let s = Server::start_in_memory();
    let def = json!({"Type": "Pass", "Parameters": {"v.$": "$.a"}, "Next": "Later"}).to_string();
    let r = test_state(
        &s,
        json!({"definition": def, "input": "{\"a\": 3}", "inspectionLevel": "DEBUG"}),
    );
    assert_eq!(r["status"], "SUCCEEDED");
    assert_eq!(r["nextState"], "Later");
    // AWS sends payloads as JSON text.
    assert_eq!(r["output"], "{\"v\":3}");
    assert_eq!(r["inspectionData"]["afterParameters"], "{\"v\":3}");
    assert_eq!(r["inspectionData"]["input"], "{\"a\":3}");

    // The default Context object names an execution in the server's account and region.
    let def = json!({"Type": "Pass", "Parameters": {"id.$": "$$.Execution.Id"}, "End": true});
    let r = test_state(&s, json!({"definition": def.to_string(), "roleArn": ROLE}));
    let out: Value =
        serde_json::from_str(r["output"].as_str().unwrap_or("null")).unwrap_or_default();
    let id = out["id"].as_str().unwrap_or_default();
    assert!(
        id.starts_with(&format!("arn:aws:states:{REGION}:{ACCOUNT}:express:")),
        "{id}"
    );
    assert!(
        r.get("inspectionData").is_none(),
        "INFO shows no inspection data: {r}"
    );

    let task = json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "f"},
        "Retry": [{"ErrorEquals": ["E"], "MaxAttempts": 1}],
        "Catch": [{"ErrorEquals": ["E"], "Next": "Recover"}], "End": true})
    .to_string();
    let mock = json!({"errorOutput": {"error": "E", "cause": "c"}});
    let r = test_state(
        &s,
        json!({"definition": task, "mock": mock, "inspectionLevel": "TRACE"}),
    );
    assert_eq!(r["status"], "RETRIABLE");
    assert_eq!(
        r["inspectionData"]["errorDetails"],
        json!({"retryIndex": 0, "retryBackoffIntervalSeconds": 1})
    );
    let r = test_state(
        &s,
        json!({"definition": task, "mock": mock, "stateConfiguration": {"retrierRetryCount": 1}}),
    );
    assert_eq!(r["status"], "CAUGHT_ERROR");
    assert_eq!(r["nextState"], "Recover");
    // An unmocked Lambda task goes to the server's integrations (none configured here).
    let r = test_state(
        &s,
        json!({"definition": task, "stateConfiguration": {"retrierRetryCount": 1}}),
    );
    assert_eq!(r["status"], "FAILED");
    assert_eq!(r["error"], "Lambda.ResourceNotFoundException");
}

#[test]
fn test_state_errors_over_http() {
    let s = Server::start_in_memory();
    let pass = json!({"Type": "Pass", "End": true}).to_string();
    let m = s.err(
        "TestState",
        json!({"definition": pass, "inspectionLevel": "VERBOSE"}),
        "ValidationException",
    );
    assert!(m.contains("[INFO, DEBUG, TRACE]"), "{m}");
    let m = s.err(
        "TestState",
        json!({"definition": pass, "mock": {"result": "{}"}}),
        "ValidationException",
    );
    assert_eq!(
        m,
        "State type 'Pass' is not supported when a mock is specified"
    );
    let par = json!({"Type": "Parallel", "Branches": [], "End": true}).to_string();
    let m = s.err(
        "TestState",
        json!({"definition": par, "mock": {"result": "[]"}}),
        "InvalidDefinition",
    );
    assert!(
        m.contains("Value cannot be empty at /States/StateName/Branches"),
        "{m}"
    );
    s.err("TestState", json!({"input": "{}"}), "ValidationException");
    s.err(
        "TestState",
        json!({"definition": 5}),
        "SerializationException",
    );
    s.err(
        "TestState",
        json!({"definition": pass, "input": "{"}),
        "InvalidExecutionInput",
    );
    let machine =
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}).to_string();
    let m = s.err(
        "TestState",
        json!({"definition": machine, "stateName": "B"}),
        "ValidationException",
    );
    assert_eq!(m, "State not found in definition");
}

const BOTO3_SCRIPT: &str = r#"
import json, sys
import boto3
from botocore.config import Config
sfn = boto3.client("stepfunctions", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="test", aws_secret_access_key="test",
                   config=Config(inject_host_prefix=False))
r = sfn.test_state(
    definition=json.dumps({"Type": "Choice", "Choices": [
        {"Variable": "$.n", "NumericGreaterThan": 1, "Next": "Many"}], "Default": "Few"}),
    input=json.dumps({"n": 2}), inspectionLevel="DEBUG")
assert r["status"] == "SUCCEEDED", r
assert r["nextState"] == "Many", r
assert json.loads(r["inspectionData"]["afterInputPath"]) == {"n": 2}, r
r = sfn.test_state(
    definition=json.dumps({"Type": "Map", "ItemsPath": "$.xs", "End": True,
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}),
    input=json.dumps({"xs": [1, 2]}), inspectionLevel="TRACE",
    mock={"result": "[3, 4]"}, stateConfiguration={"mapIterationFailureCount": 0})
assert r["status"] == "SUCCEEDED", r
assert json.loads(r["output"]) == [3, 4], r
assert r["inspectionData"]["maxConcurrency"] == 0, r
try:
    sfn.test_state(definition=json.dumps({"Type": "Succeed"}), mock={"result": "{}"})
    raise SystemExit("a mock on Succeed must be refused")
except sfn.exceptions.ValidationException as e:
    assert "Succeed" in str(e), e
print("ok")
"#;

#[test]
fn test_state_with_boto3_and_the_aws_cli() {
    let venv = e2e_venv();
    let s = Server::start_in_memory();
    let endpoint = format!("http://127.0.0.1:{}", s.port);
    let out = Command::new(venv.join("bin/python"))
        .args(["-c", BOTO3_SCRIPT, &endpoint])
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "boto3 TestState failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let def = json!({"Type": "Fail", "Error": "Nope", "Cause": "because"}).to_string();
    let out = Command::new(venv.join("bin/aws"))
        .args([
            "--endpoint-url",
            &endpoint,
            "--output",
            "json",
            "stepfunctions",
            "test-state",
        ])
        .args(["--definition", &def, "--inspection-level", "TRACE"])
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_DEFAULT_REGION", REGION)
        .env("AWS_DISABLE_HOST_PREFIX_INJECTION", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_PAGER", "")
        .output()
        .expect("run aws");
    assert!(
        out.status.success(),
        "aws stepfunctions test-state failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).expect("aws printed JSON");
    assert_eq!(r["status"], "FAILED");
    assert_eq!(r["error"], "Nope");
    assert_eq!(r["cause"], "because");
    assert_eq!(r["inspectionData"]["input"], "{}");
}
