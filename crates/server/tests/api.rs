//! The API end to end over HTTP against a real `stepline-server` process.

mod common;

use common::*;
use serde_json::{json, Value};
use std::time::Duration;

const LONG: Duration = Duration::from_secs(60);

fn pass_machine() -> Value {
    json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"Arg1": "argument1"}, "End": true}}})
}

fn wait_machine(seconds: u64) -> Value {
    json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": seconds, "Next": "P"},
        "P": {"Type": "Pass", "End": true}}})
}

#[test]
fn state_machine_lifecycle() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let arn = s.create_machine("lifecycle", &pass_machine());
    assert_eq!(arn, machine_arn("lifecycle"));

    let d = s.ok("DescribeStateMachine", json!({"stateMachineArn": arn}));
    assert_eq!(d["name"], "lifecycle");
    assert_eq!(d["status"], "ACTIVE");
    assert_eq!(d["type"], "STANDARD");
    assert_eq!(d["roleArn"], ROLE);
    assert_eq!(d["loggingConfiguration"]["level"], "OFF");
    assert_eq!(d["tracingConfiguration"]["enabled"], false);
    assert_eq!(
        serde_json::from_str::<Value>(d["definition"].as_str().unwrap()).unwrap(),
        pass_machine()
    );

    // Identical re-creation is idempotent; a different one is refused.
    let again = s.ok(
        "CreateStateMachine",
        json!({"name": "lifecycle", "definition": pass_machine().to_string(), "roleArn": ROLE}),
    );
    assert_eq!(again["creationDate"], d["creationDate"]);
    let msg = s.err(
        "CreateStateMachine",
        json!({"name": "lifecycle", "definition": wait_machine(1).to_string(), "roleArn": ROLE}),
        "StateMachineAlreadyExists",
    );
    assert_eq!(msg, format!("State Machine Already Exists: '{arn}'"));

    // Update without anything to update.
    let msg = s.err(
        "UpdateStateMachine",
        json!({"stateMachineArn": arn}),
        "MissingRequiredParameter",
    );
    assert!(msg.starts_with("Either the definition, the role ARN"));
    let u = s.ok(
        "UpdateStateMachine",
        json!({"stateMachineArn": arn, "definition": wait_machine(0).to_string()}),
    );
    assert!(u["revisionId"].is_string() && u["updateDate"].is_number());
    let d = s.ok("DescribeStateMachine", json!({"stateMachineArn": arn}));
    assert!(d["definition"].as_str().unwrap().contains("Wait"));
    assert_eq!(d["revisionId"], u["revisionId"]);

    // Invalid definitions are refused with the validator's message.
    let msg = s.err(
        "CreateStateMachine",
        json!({"name": "bad", "definition": "{\"StartAt\": \"X\", \"States\": {}}", "roleArn": ROLE}),
        "InvalidDefinition",
    );
    assert!(
        msg.starts_with("Invalid State Machine Definition: '"),
        "{msg}"
    );

    // Pagination over state machines, sorted by ARN.
    for i in 0..5 {
        s.create_machine(&format!("page-{i}"), &pass_machine());
    }
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut req = json!({"maxResults": 2});
        if let Some(t) = &token {
            req["nextToken"] = json!(t);
        }
        let page = s.ok("ListStateMachines", req);
        let items = page["stateMachines"].as_array().unwrap();
        assert!(items.len() <= 2);
        names.extend(
            items
                .iter()
                .map(|m| m["name"].as_str().unwrap().to_string()),
        );
        match page["nextToken"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    assert_eq!(
        names,
        [
            "lifecycle",
            "page-0",
            "page-1",
            "page-2",
            "page-3",
            "page-4"
        ]
    );

    s.ok("DeleteStateMachine", json!({"stateMachineArn": arn}));
    let msg = s.err(
        "DescribeStateMachine",
        json!({"stateMachineArn": arn}),
        "StateMachineDoesNotExist",
    );
    assert_eq!(msg, format!("State Machine Does Not Exist: '{arn}'"));
    // Deleting what does not exist succeeds, as on AWS.
    s.ok("DeleteStateMachine", json!({"stateMachineArn": arn}));
}

#[test]
fn executions_start_describe_history_list_stop() {
    let s = Server::start_in_memory();
    let arn = s.create_machine("exec", &pass_machine());
    let start = s.ok(
        "StartExecution",
        json!({"stateMachineArn": arn, "name": "first", "input": "{\"a\": 1}"}),
    );
    let exec = start["executionArn"].as_str().unwrap().to_string();
    assert_eq!(exec, execution_arn("exec", "first"));
    let d = s.wait_done(&exec, LONG);
    assert_eq!(d["status"], "SUCCEEDED");
    assert_eq!(d["output"], "{\"Arg1\":\"argument1\"}");
    assert_eq!(d["input"], "{\"a\": 1}");
    assert_eq!(d["redriveStatus"], "NOT_REDRIVABLE");
    assert_eq!(
        d["redriveStatusReason"],
        "Execution is SUCCEEDED and cannot be redriven"
    );

    // A closed execution's name cannot be reused.
    let msg = s.err(
        "StartExecution",
        json!({"stateMachineArn": arn, "name": "first", "input": "{\"a\": 1}"}),
        "ExecutionAlreadyExists",
    );
    assert_eq!(msg, format!("Execution Already Exists: '{exec}'"));

    let h = s.history(&exec);
    let types: Vec<&str> = h.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    let rev = s.ok(
        "GetExecutionHistory",
        json!({"executionArn": exec, "reverseOrder": true, "maxResults": 1}),
    );
    assert_eq!(rev["events"][0]["type"], "ExecutionSucceeded");
    let page2 = s.ok(
        "GetExecutionHistory",
        json!({"executionArn": exec, "reverseOrder": true, "maxResults": 1, "nextToken": rev["nextToken"]}),
    );
    assert_eq!(page2["events"][0]["type"], "PassStateExited");
    let no_data = s.ok(
        "GetExecutionHistory",
        json!({"executionArn": exec, "includeExecutionData": false}),
    );
    assert!(no_data["events"][0]["executionStartedEventDetails"]
        .get("input")
        .is_none());
    assert!(h[0]["executionStartedEventDetails"].get("input").is_some());

    // A waiting execution: idempotent start while running, then stop.
    let warn = s.create_machine("waiter", &wait_machine(600));
    let req = json!({"stateMachineArn": warn, "name": "w1", "input": "{}"});
    let a = s.ok("StartExecution", req.clone());
    let b = s.ok("StartExecution", req);
    assert_eq!(a, b, "same name and input while running: same answer");
    s.err(
        "StartExecution",
        json!({"stateMachineArn": warn, "name": "w1", "input": "{\"other\": 1}"}),
        "ExecutionAlreadyExists",
    );
    let w1 = a["executionArn"].as_str().unwrap();
    let running = s.ok(
        "ListExecutions",
        json!({"stateMachineArn": warn, "statusFilter": "RUNNING"}),
    );
    assert_eq!(running["executions"].as_array().unwrap().len(), 1);
    let stop = s.ok(
        "StopExecution",
        json!({"executionArn": w1, "error": "MyError", "cause": "because"}),
    );
    assert!(stop["stopDate"].is_number());
    let d = s.ok("DescribeExecution", json!({"executionArn": w1}));
    assert_eq!(d["status"], "ABORTED");
    assert_eq!(d["error"], "MyError");
    assert_eq!(d["redriveStatus"], "REDRIVABLE");
    let h = s.history(w1);
    assert_eq!(h.last().unwrap()["type"], "ExecutionAborted");
    assert_eq!(
        h.last().unwrap()["executionAbortedEventDetails"]["cause"],
        "because"
    );

    // Listing: newest first, status filter, pagination.
    for i in 0..4 {
        s.ok(
            "StartExecution",
            json!({"stateMachineArn": arn, "name": format!("n{i}")}),
        );
    }
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut req = json!({"stateMachineArn": arn, "maxResults": 2});
        if let Some(t) = &token {
            req["nextToken"] = json!(t);
        }
        let page = s.ok("ListExecutions", req);
        seen.extend(
            page["executions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["name"].as_str().unwrap().to_string()),
        );
        match page["nextToken"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, ["n3", "n2", "n1", "n0", "first"]);
    let aborted = s.ok(
        "ListExecutions",
        json!({"stateMachineArn": warn, "statusFilter": "ABORTED"}),
    );
    assert_eq!(aborted["executions"][0]["name"], "w1");
    let msg = s.err(
        "ListExecutions",
        json!({"stateMachineArn": arn, "statusFilter": "succeeded"}),
        "ValidationException",
    );
    assert_eq!(msg, "1 validation error detected: Value 'succeeded' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]");

    let dfe = s.ok(
        "DescribeStateMachineForExecution",
        json!({"executionArn": exec}),
    );
    assert_eq!(dfe["stateMachineArn"], arn);
    assert_eq!(dfe["name"], "exec");
    assert!(dfe["definition"].as_str().unwrap().contains("argument1"));
}

#[test]
fn failing_and_timed_out_executions() {
    let s = Server::start_in_memory();
    let fail = s.create_machine(
        "fails",
        &json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "bad"}}}),
    );
    let e = s.ok("StartExecution", json!({"stateMachineArn": fail}));
    let d = s.wait_done(e["executionArn"].as_str().unwrap(), LONG);
    assert_eq!(d["status"], "FAILED");
    assert_eq!(d["error"], "Boom");
    assert_eq!(d["cause"], "bad");

    let slow = s.create_machine(
        "slow",
        &json!({"TimeoutSeconds": 1, "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 30, "End": true}}}),
    );
    let e = s.ok("StartExecution", json!({"stateMachineArn": slow}));
    let d = s.wait_done(e["executionArn"].as_str().unwrap(), LONG);
    assert_eq!(d["status"], "TIMED_OUT");

    // A task without integrations fails as AWS fails a missing resource.
    let task = s.create_machine(
        "task",
        &json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "Parameters": {"QueueUrl": "q", "MessageBody": "m"}, "End": true}}}),
    );
    let e = s.ok("StartExecution", json!({"stateMachineArn": task}));
    let d = s.wait_done(e["executionArn"].as_str().unwrap(), LONG);
    assert_eq!(d["status"], "FAILED");
}

#[test]
fn express_sync_execution() {
    let s = Server::start_in_memory();
    let std_arn = s.create_machine("std", &pass_machine());
    let msg = s.err(
        "StartSyncExecution",
        json!({"stateMachineArn": std_arn, "input": "{}"}),
        "StateMachineTypeNotSupported",
    );
    assert_eq!(
        msg,
        "This operation is not supported by this type of state machine"
    );
    let v = s.ok(
        "CreateStateMachine",
        json!({"name": "exp", "type": "EXPRESS", "roleArn": ROLE, "definition": json!({
            "StartAt": "A", "States": {
                "A": {"Type": "Pass", "Parameters": {"n.$": "$.n"}, "Next": "W"},
                "W": {"Type": "Wait", "Seconds": 1, "Next": "C"},
                "C": {"Type": "Pass", "Result": "done", "ResultPath": "$.r", "End": true}}}).to_string()}),
    );
    let arn = v["stateMachineArn"].as_str().unwrap();
    let r = s.ok(
        "StartSyncExecution",
        json!({"stateMachineArn": arn, "input": "{\"n\": 7}", "name": "sync1"}),
    );
    assert_eq!(r["status"], "SUCCEEDED");
    assert_eq!(r["output"], "{\"n\":7,\"r\":\"done\"}");
    assert_eq!(r["name"], "sync1");
    assert!(r["executionArn"].as_str().unwrap().starts_with(&format!(
        "arn:aws:states:{REGION}:{ACCOUNT}:express:exp:sync1:"
    )));
    assert!(r["stopDate"].as_f64().unwrap() - r["startDate"].as_f64().unwrap() >= 0.9);
    assert!(r["billingDetails"]["billedDurationInMilliseconds"].is_number());

    let failing = s.ok(
        "CreateStateMachine",
        json!({"name": "expfail", "type": "EXPRESS", "roleArn": ROLE, "definition": json!({
            "StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "C"}}}).to_string()}),
    );
    let r = s.ok(
        "StartSyncExecution",
        json!({"stateMachineArn": failing["stateMachineArn"]}),
    );
    assert_eq!(r["status"], "FAILED");
    assert_eq!(r["error"], "E");
    assert!(r.get("output").is_none());

    // Express executions are not described (AWS keeps no history for them).
    let async_start = s.ok("StartExecution", json!({"stateMachineArn": arn}));
    let msg = s.err(
        "DescribeExecution",
        json!({"executionArn": async_start["executionArn"]}),
        "InvalidArn",
    );
    assert_eq!(
        msg,
        "Invalid Arn: 'Resource type not valid in this context: express'"
    );
}

#[test]
fn versions_and_aliases() {
    let s = Server::start_in_memory();
    let v = s.ok(
        "CreateStateMachine",
        json!({"name": "ver", "roleArn": ROLE, "definition": pass_machine().to_string(),
               "publish": true, "versionDescription": "first"}),
    );
    let arn = v["stateMachineArn"].as_str().unwrap().to_string();
    let v1 = v["stateMachineVersionArn"].as_str().unwrap().to_string();
    assert_eq!(v1, format!("{arn}:1"));
    let d = s.ok("DescribeStateMachine", json!({"stateMachineArn": v1}));
    assert_eq!(d["description"], "first");
    assert_eq!(d["stateMachineArn"], v1);

    // Publishing an unchanged revision returns the same version.
    let p = s.ok(
        "PublishStateMachineVersion",
        json!({"stateMachineArn": arn}),
    );
    assert_eq!(p["stateMachineVersionArn"], v1);
    let u = s.ok(
        "UpdateStateMachine",
        json!({"stateMachineArn": arn, "definition": json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 2, "End": true}}}).to_string(), "publish": true}),
    );
    let v2 = u["stateMachineVersionArn"].as_str().unwrap().to_string();
    assert_eq!(v2, format!("{arn}:2"));
    let list = s.ok("ListStateMachineVersions", json!({"stateMachineArn": arn}));
    let listed: Vec<&str> = list["stateMachineVersions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["stateMachineVersionArn"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [v2.as_str(), v1.as_str()]);
    let msg = s.err(
        "PublishStateMachineVersion",
        json!({"stateMachineArn": arn, "revisionId": "nope"}),
        "ConflictException",
    );
    assert!(msg.contains("revision nope"));

    // Executions of a version run that version's definition.
    let e = s.ok("StartExecution", json!({"stateMachineArn": v1}));
    let d = s.wait_done(e["executionArn"].as_str().unwrap(), LONG);
    assert_eq!(d["output"], "{\"Arg1\":\"argument1\"}");
    assert_eq!(d["stateMachineVersionArn"], v1);
    // As AWS: the machine's ARN, the version's definition and revision.
    let dfe = s.ok(
        "DescribeStateMachineForExecution",
        json!({"executionArn": e["executionArn"]}),
    );
    assert_eq!(dfe["stateMachineArn"], arn);
    assert!(dfe["definition"].as_str().unwrap().contains("argument1"));
    assert!(dfe["revisionId"].is_string());

    // Aliases route to versions.
    let a = s.ok(
        "CreateStateMachineAlias",
        json!({"name": "prod", "routingConfiguration": [{"stateMachineVersionArn": v2, "weight": 100}]}),
    );
    let alias = a["stateMachineAliasArn"].as_str().unwrap().to_string();
    assert_eq!(alias, format!("{arn}:prod"));
    let e = s.ok("StartExecution", json!({"stateMachineArn": alias}));
    let d = s.wait_done(e["executionArn"].as_str().unwrap(), LONG);
    assert_eq!(d["output"], "2");
    assert_eq!(d["stateMachineAliasArn"], alias);
    assert_eq!(d["stateMachineVersionArn"], v2);
    let h = s.history(e["executionArn"].as_str().unwrap());
    assert_eq!(
        h[0]["executionStartedEventDetails"]["stateMachineAliasArn"],
        alias
    );
    let by_alias = s.ok("ListExecutions", json!({"stateMachineArn": alias}));
    assert_eq!(by_alias["executions"].as_array().unwrap().len(), 1);

    let msg = s.err(
        "CreateStateMachineAlias",
        json!({"name": "bad", "routingConfiguration": [{"stateMachineVersionArn": v1, "weight": 50}]}),
        "ValidationException",
    );
    assert_eq!(
        msg,
        "Sum of routing configuration weights must equal 100. Received: [50]"
    );
    s.err(
        "CreateStateMachineAlias",
        json!({"name": "a/b", "routingConfiguration": [{"stateMachineVersionArn": v1, "weight": 100}]}),
        "ValidationException",
    );
    let msg = s.err(
        "DeleteStateMachineVersion",
        json!({"stateMachineVersionArn": v2}),
        "ConflictException",
    );
    assert!(msg.contains(&alias));
    s.ok(
        "UpdateStateMachineAlias",
        json!({"stateMachineAliasArn": alias, "description": "d",
               "routingConfiguration": [{"stateMachineVersionArn": v1, "weight": 60}, {"stateMachineVersionArn": v2, "weight": 40}]}),
    );
    let da = s.ok(
        "DescribeStateMachineAlias",
        json!({"stateMachineAliasArn": alias}),
    );
    assert_eq!(da["description"], "d");
    assert_eq!(da["routingConfiguration"].as_array().unwrap().len(), 2);
    let la = s.ok("ListStateMachineAliases", json!({"stateMachineArn": arn}));
    assert_eq!(la["stateMachineAliases"][0]["stateMachineAliasArn"], alias);
    s.ok(
        "DeleteStateMachineAlias",
        json!({"stateMachineAliasArn": alias}),
    );
    s.err(
        "DescribeStateMachineAlias",
        json!({"stateMachineAliasArn": alias}),
        "ResourceNotFound",
    );
    s.ok(
        "DeleteStateMachineVersion",
        json!({"stateMachineVersionArn": v2}),
    );
    s.err(
        "DescribeStateMachine",
        json!({"stateMachineArn": v2}),
        "StateMachineDoesNotExist",
    );
    // Version numbers are never reused.
    let u = s.ok(
        "UpdateStateMachine",
        json!({"stateMachineArn": arn, "roleArn": "arn:aws:iam::123456789012:role/Other", "publish": true}),
    );
    assert_eq!(u["stateMachineVersionArn"], format!("{arn}:3"));
}

#[test]
fn tags_and_validation() {
    let s = Server::start_in_memory();
    let v = s.ok(
        "CreateStateMachine",
        json!({"name": "tagged", "roleArn": ROLE, "definition": pass_machine().to_string(),
               "tags": [{"key": "team", "value": "a"}]}),
    );
    let arn = v["stateMachineArn"].as_str().unwrap();
    s.ok(
        "TagResource",
        json!({"resourceArn": arn, "tags": [{"key": "env", "value": "dev"}, {"key": "team", "value": "b"}]}),
    );
    let t = s.ok("ListTagsForResource", json!({"resourceArn": arn}));
    assert_eq!(
        t["tags"],
        json!([{"key": "team", "value": "b"}, {"key": "env", "value": "dev"}])
    );
    s.ok(
        "UntagResource",
        json!({"resourceArn": arn, "tagKeys": ["team"]}),
    );
    let t = s.ok("ListTagsForResource", json!({"resourceArn": arn}));
    assert_eq!(t["tags"], json!([{"key": "env", "value": "dev"}]));
    s.err(
        "ListTagsForResource",
        json!({"resourceArn": machine_arn("nothing")}),
        "ResourceNotFound",
    );

    let ok = s.ok(
        "ValidateStateMachineDefinition",
        json!({"definition": pass_machine().to_string()}),
    );
    assert_eq!(ok["result"], "OK");
    let bad = s.ok(
        "ValidateStateMachineDefinition",
        json!({"definition": "{\"StartAt\": \"Nope\", \"States\": {\"A\": {\"Type\": \"Pass\", \"End\": true}}}"}),
    );
    assert_eq!(bad["result"], "FAIL");
    assert!(!bad["diagnostics"].as_array().unwrap().is_empty());
}

#[test]
fn sigv4_region_names_the_arns_and_any_host_works() {
    let s = Server::start_in_memory();
    let body =
        json!({"name": "regional", "roleArn": ROLE, "definition": pass_machine().to_string()});
    let (status, v) = s.raw(
        &[
            ("X-Amz-Target", "AWSStepFunctions.CreateStateMachine"),
            ("Content-Type", "application/x-amz-json-1.0"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-3/states/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"),
            ("X-Amz-Date", "20260101T000000Z"),
        ],
        body.to_string().as_bytes(),
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v["stateMachineArn"],
        format!("arn:aws:states:eu-west-3:{ACCOUNT}:stateMachine:regional")
    );
}

#[test]
fn durable_across_graceful_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Server::start(dir.path());
    let arn = s.create_machine("keep", &wait_machine(1));
    let e = s.ok(
        "StartExecution",
        json!({"stateMachineArn": arn, "name": "k"}),
    );
    let exec = e["executionArn"].as_str().unwrap().to_string();
    let status = s.terminate();
    assert!(status.success(), "SIGTERM exits cleanly: {status:?}");
    let s = Server::start(dir.path());
    assert_eq!(
        s.ok("DescribeStateMachine", json!({"stateMachineArn": arn}))["name"],
        "keep"
    );
    let d = s.wait_done(&exec, LONG);
    assert_eq!(d["status"], "SUCCEEDED");
    let ids: Vec<u64> = s
        .history(&exec)
        .iter()
        .map(|e| e["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>());
}
