//! Table-driven bad requests: each gets AWS's error (HTTP 400, `__type`, message) and changes
//! nothing.

mod common;

use common::*;
use serde_json::{json, Value};

const SM: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:seed";
const EXEC: &str = "arn:aws:states:us-east-1:123456789012:execution:seed:first";
const MISSING_SM: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:missing";
const PASS: &str = r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#;

enum Body {
    Json(Value),
    Raw(Vec<u8>),
}

struct Case {
    what: &'static str,
    /// `None`: no X-Amz-Target header.
    target: Option<String>,
    body: Body,
    kind: &'static str,
    /// Expected message (exact), when AWS's wording is known.
    message: Option<String>,
}

fn op(name: &str, body: Value, kind: &'static str, what: &'static str) -> Case {
    Case {
        what,
        target: Some(format!("AWSStepFunctions.{name}")),
        body: Body::Json(body),
        kind,
        message: None,
    }
}

fn raw(name: &str, body: &[u8], kind: &'static str, what: &'static str) -> Case {
    Case {
        what,
        target: Some(format!("AWSStepFunctions.{name}")),
        body: Body::Raw(body.to_vec()),
        kind,
        message: None,
    }
}

impl Case {
    fn msg(mut self, m: impl Into<String>) -> Case {
        self.message = Some(m.into());
        self
    }
}

fn create(name: Value) -> Value {
    json!({"name": name, "definition": PASS, "roleArn": ROLE})
}

fn cases() -> Vec<Case> {
    let big_definition = format!(
        r#"{{"Comment":"{}","StartAt":"P","States":{{"P":{{"Type":"Pass","End":true}}}}}}"#,
        "x".repeat(1_048_600)
    );
    let big_input = json!({"pad": "y".repeat(262_200)}).to_string();
    let long_arn = format!("{SM}{}", "z".repeat(300));
    vec![
        // Malformed bodies.
        raw("ListStateMachines", b"{", "SerializationException", "truncated JSON"),
        raw("CreateStateMachine", b"{\"name\": }", "SerializationException", "bad JSON value"),
        raw("ListStateMachines", b"not json", "SerializationException", "not JSON"),
        raw("ListStateMachines", b"[1, 2]", "SerializationException", "array body"),
        raw("ListStateMachines", b"\"text\"", "SerializationException", "string body"),
        raw("ListStateMachines", b"42", "SerializationException", "number body"),
        raw("ListStateMachines", b"null", "SerializationException", "null body"),
        raw("StartExecution", b"{\"stateMachineArn\": \"a\"", "SerializationException", "unterminated object"),
        raw("ListStateMachines", &[0xff, 0xfe, 0x00], "SerializationException", "binary body"),
        // Unknown operations.
        op("Nope", json!({}), "UnknownOperationException", "unknown operation"),
        Case {
            what: "no target header",
            target: None,
            body: Body::Json(json!({})),
            kind: "UnknownOperationException",
            message: None,
        },
        Case {
            what: "another service's target",
            target: Some("DynamoDB_20120810.ListTables".into()),
            body: Body::Json(json!({})),
            kind: "UnknownOperationException",
            message: None,
        },
        op("createStateMachine", create(json!("lower")), "UnknownOperationException", "operation names are case-sensitive"),
        // Wrong types.
        op("CreateStateMachine", create(json!(1)), "SerializationException", "name is a number"),
        op("CreateStateMachine", json!({"name": "t1", "definition": {"StartAt": "P"}, "roleArn": ROLE}), "SerializationException", "definition is an object"),
        op("CreateStateMachine", json!({"name": "t2", "definition": PASS, "roleArn": true}), "SerializationException", "roleArn is a boolean"),
        op("CreateStateMachine", json!({"name": "t3", "definition": PASS, "roleArn": ROLE, "tags": "x"}), "SerializationException", "tags is a string"),
        op("CreateStateMachine", json!({"name": "t4", "definition": PASS, "roleArn": ROLE, "tags": ["x"]}), "SerializationException", "tag is a string"),
        op("CreateStateMachine", json!({"name": "t5", "definition": PASS, "roleArn": ROLE, "publish": "yes"}), "SerializationException", "publish is a string"),
        op("StartExecution", json!({"stateMachineArn": SM, "input": {"a": 1}}), "SerializationException", "input is an object"),
        op("ListStateMachines", json!({"maxResults": "10"}), "SerializationException", "maxResults is a string"),
        op("ListStateMachines", json!({"maxResults": 1.5}), "SerializationException", "maxResults is a fraction"),
        op("GetExecutionHistory", json!({"executionArn": EXEC, "reverseOrder": "true"}), "SerializationException", "reverseOrder is a string"),
        op("DescribeStateMachine", json!({"stateMachineArn": ["a"]}), "SerializationException", "ARN is a list"),
        // Missing members.
        op("CreateStateMachine", json!({"definition": PASS, "roleArn": ROLE}), "ValidationException", "no name")
            .msg("1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null"),
        op("CreateStateMachine", json!({"name": "nodef", "roleArn": ROLE}), "ValidationException", "no definition"),
        op("CreateStateMachine", json!({"name": "norole", "definition": PASS}), "ValidationException", "no roleArn"),
        op("StartExecution", json!({}), "ValidationException", "no stateMachineArn"),
        op("DescribeExecution", json!({}), "ValidationException", "no executionArn"),
        op("UntagResource", json!({"resourceArn": SM}), "ValidationException", "no tagKeys"),
        op("UpdateStateMachine", json!({"stateMachineArn": SM}), "MissingRequiredParameter", "nothing to update"),
        // Names.
        op("CreateStateMachine", create(json!("a b")), "InvalidName", "space in name").msg("Invalid Name: 'a b'"),
        op("CreateStateMachine", create(json!("a/b")), "InvalidName", "slash in name"),
        op("CreateStateMachine", create(json!("a\u{1}b")), "InvalidName", "control character in name"),
        op("CreateStateMachine", create(json!("")), "ValidationException", "empty name"),
        op("CreateStateMachine", create(json!("n".repeat(81))), "ValidationException", "81-character name"),
        op("StartExecution", json!({"stateMachineArn": SM, "name": "bad:name"}), "InvalidName", "colon in execution name"),
        op("StartExecution", json!({"stateMachineArn": SM, "name": "e".repeat(81)}), "ValidationException", "81-character execution name"),
        // ARNs.
        op("DescribeStateMachine", json!({"stateMachineArn": "not_a_valid_arn"}), "InvalidArn", "not an ARN")
            .msg("Invalid Arn: 'Invalid ARN prefix: not_a_valid_arn'"),
        op("DescribeExecution", json!({"executionArn": "invalid_state_machine_arn"}), "InvalidArn", "execution: not an ARN")
            .msg("Invalid Arn: 'Invalid ARN prefix: invalid_state_machine_arn'"),
        op("ListExecutions", json!({"stateMachineArn": "invalid_state_machine_arn"}), "InvalidArn", "list executions: not an ARN"),
        op("GetExecutionHistory", json!({"executionArn": "invalid_state_machine_arn"}), "InvalidArn", "history: not an ARN"),
        op("StopExecution", json!({"executionArn": "x"}), "InvalidArn", "stop: not an ARN"),
        op("DescribeStateMachine", json!({"stateMachineArn": EXEC}), "InvalidArn", "execution ARN for a state machine")
            .msg("Invalid Arn: 'Resource type not valid in this context: execution'"),
        op("DescribeExecution", json!({"executionArn": SM}), "InvalidArn", "state machine ARN for an execution"),
        op("DescribeStateMachine", json!({"stateMachineArn": "arn:aws:lambda:us-east-1:123456789012:function:f"}), "InvalidArn", "another service's ARN"),
        op("StartExecution", json!({"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:"}), "InvalidArn", "empty name in ARN"),
        op("DescribeStateMachine", json!({"stateMachineArn": long_arn}), "ValidationException", "ARN over 256 characters"),
        op("DescribeStateMachineAlias", json!({"stateMachineAliasArn": SM}), "InvalidArn", "machine ARN for an alias"),
        op("TagResource", json!({"resourceArn": EXEC, "tags": [{"key": "k", "value": "v"}]}), "InvalidArn", "tagging an execution"),
        // Things that do not exist.
        op("StartExecution", json!({"stateMachineArn": MISSING_SM}), "StateMachineDoesNotExist", "start on a missing machine")
            .msg(format!("State Machine Does Not Exist: '{MISSING_SM}'")),
        op("DescribeExecution", json!({"executionArn": format!("{EXEC}x")}), "ExecutionDoesNotExist", "missing execution")
            .msg(format!("Execution Does Not Exist: '{EXEC}x'")),
        op("UpdateStateMachine", json!({"stateMachineArn": MISSING_SM, "roleArn": ROLE}), "StateMachineDoesNotExist", "update a missing machine"),
        op("ListExecutions", json!({"stateMachineArn": MISSING_SM}), "StateMachineDoesNotExist", "list a missing machine's executions"),
        op("TagResource", json!({"resourceArn": MISSING_SM, "tags": [{"key": "k", "value": "v"}]}), "ResourceNotFound", "tag a missing machine"),
        op("StartExecution", json!({"stateMachineArn": format!("{SM}:7")}), "StateMachineDoesNotExist", "missing version"),
        op("CreateStateMachineAlias", json!({"name": "al", "routingConfiguration": [{"stateMachineVersionArn": format!("{SM}:9"), "weight": 100}]}), "ResourceNotFound", "alias to a missing version"),
        // Sizes and constraints.
        op("CreateStateMachine", json!({"name": "huge", "definition": big_definition, "roleArn": ROLE}), "ValidationException", "definition over 1 MiB"),
        op("StartExecution", json!({"stateMachineArn": SM, "input": big_input}), "ValidationException", "input over 256 KiB"),
        raw("ListStateMachines", &vec![b' '; 5 * 1024 * 1024], "ValidationException", "body over the size limit"),
        op("ListStateMachines", json!({"maxResults": 1001}), "ValidationException", "maxResults 1001")
            .msg("1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000"),
        op("ListStateMachines", json!({"maxResults": -1}), "ValidationException", "negative maxResults"),
        op("ListStateMachines", json!({"nextToken": "t".repeat(1025)}), "ValidationException", "nextToken too long"),
        op("ListStateMachines", json!({"nextToken": "garbage"}), "InvalidToken", "unknown nextToken"),
        op("ListExecutions", json!({"stateMachineArn": SM, "statusFilter": "succeeded"}), "ValidationException", "status filter in lower case"),
        op("CreateStateMachine", json!({"name": "typ", "definition": PASS, "roleArn": ROLE, "type": "STANDARDX"}), "ValidationException", "unknown type"),
        op("CreateStateMachine", json!({"name": "lg", "definition": PASS, "roleArn": ROLE, "loggingConfiguration": {"level": "LOUD"}}), "ValidationException", "unknown log level"),
        op("CreateStateMachine", json!({"name": "vd", "definition": PASS, "roleArn": ROLE, "versionDescription": "d"}), "ValidationException", "version description without publish"),
        op("StopExecution", json!({"executionArn": EXEC, "error": "e".repeat(257)}), "ValidationException", "error over 256 characters"),
        op("TagResource", json!({"resourceArn": SM, "tags": [{"key": "k".repeat(129), "value": "v"}]}), "ValidationException", "tag key over 128 characters"),
        op("CreateStateMachineAlias", json!({"name": "half", "routingConfiguration": [{"stateMachineVersionArn": format!("{SM}:1"), "weight": 50}]}), "ValidationException", "weights not summing to 100")
            .msg("Sum of routing configuration weights must equal 100. Received: [50]"),
        op("CreateStateMachineAlias", json!({"name": "dup", "routingConfiguration": [{"stateMachineVersionArn": format!("{SM}:1"), "weight": 50}, {"stateMachineVersionArn": format!("{SM}:1"), "weight": 50}]}), "ValidationException", "the same version twice")
            .msg(format!("Routing configuration must contain distinct state machine version ARNs. Received: [{SM}:1, {SM}:1]")),
        op("CreateStateMachineAlias", json!({"name": "w101", "routingConfiguration": [{"stateMachineVersionArn": format!("{SM}:1"), "weight": 101}]}), "ValidationException", "weight over 100")
            .msg("1 validation error detected: Value '101' at 'routingConfiguration.1.member.weight' failed to satisfy constraint: Member must have value less than or equal to 100"),
        op("UpdateStateMachineAlias", json!({"stateMachineAliasArn": format!("{SM}:nope"), "description": "d"}), "ResourceNotFound", "update a missing alias")
            .msg("Request references a resource that does not exist."),
        op("CreateStateMachineAlias", json!({"name": "123", "routingConfiguration": [{"stateMachineVersionArn": format!("{SM}:1"), "weight": 100}]}), "ValidationException", "all-digit alias name")
            .msg(r"1 validation error detected: Value '123' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^(?=.*[a-zA-Z_\-\.])[a-zA-Z0-9_\-\.]+$"),
        // Definitions and inputs.
        op("CreateStateMachine", json!({"name": "emptydef", "definition": "{}", "roleArn": ROLE}), "InvalidDefinition", "empty definition object"),
        op("CreateStateMachine", json!({"name": "notjson", "definition": "xx", "roleArn": ROLE}), "InvalidDefinition", "definition not JSON"),
        op("UpdateStateMachine", json!({"stateMachineArn": SM, "definition": "{\"StartAt\": \"Q\", \"States\": {}}"}), "InvalidDefinition", "update with an invalid definition"),
        op("StartExecution", json!({"stateMachineArn": SM, "input": "{bad"}), "InvalidExecutionInput", "input not JSON"),
        op("StartExecution", json!({"stateMachineArn": SM, "name": "first", "input": "{}"}), "ExecutionAlreadyExists", "reused name of a closed execution")
            .msg(format!("Execution Already Exists: '{EXEC}'")),
        op("StartSyncExecution", json!({"stateMachineArn": SM}), "StateMachineTypeNotSupported", "sync execution of a STANDARD machine"),
        op("ValidateStateMachineDefinition", json!({"definition": PASS, "severity": "LOUD"}), "ValidationException", "unknown severity"),
    ]
}

/// Everything a bad request could have changed.
fn snapshot(s: &Server) -> Value {
    json!({
        "machines": s.ok("ListStateMachines", json!({})),
        "seed": s.ok("DescribeStateMachine", json!({"stateMachineArn": SM})),
        "versions": s.ok("ListStateMachineVersions", json!({"stateMachineArn": SM})),
        "aliases": s.ok("ListStateMachineAliases", json!({"stateMachineArn": SM})),
        "tags": s.ok("ListTagsForResource", json!({"resourceArn": SM})),
        "executions": s.ok("ListExecutions", json!({"stateMachineArn": SM})),
        "history": s.ok("GetExecutionHistory", json!({"executionArn": EXEC})),
    })
}

#[test]
fn bad_requests_get_aws_errors_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let v = s.ok(
        "CreateStateMachine",
        json!({"name": "seed", "definition": PASS, "roleArn": ROLE, "publish": true,
               "tags": [{"key": "team", "value": "core"}]}),
    );
    assert_eq!(v["stateMachineArn"], SM);
    s.ok(
        "StartExecution",
        json!({"stateMachineArn": SM, "name": "first"}),
    );
    s.wait_done(EXEC, std::time::Duration::from_secs(60));
    let before = snapshot(&s);

    let cases = cases();
    assert!(cases.len() >= 50, "{} cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        let mut headers = vec![("Content-Type", "application/x-amz-json-1.0")];
        if let Some(t) = &c.target {
            headers.push(("X-Amz-Target", t));
        }
        let body = match &c.body {
            Body::Json(v) => v.to_string().into_bytes(),
            Body::Raw(b) => b.clone(),
        };
        let (status, v) = s.raw(&headers, &body);
        let ok_kind = status == 400 && v["__type"] == c.kind && v["message"].is_string();
        let ok_msg = c
            .message
            .as_ref()
            .is_none_or(|m| v["message"].as_str() == Some(m));
        if !(ok_kind && ok_msg) {
            failures.push(format!("{}: expected {} got {status} {v}", c.what, c.kind));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(snapshot(&s), before, "bad requests changed nothing");
    println!("{} bad-request cases passed", cases.len());
}
