//! One test per diagnostic the validator gives: code, message and location exactly.
//!
//! Messages marked (AWS) are AWS's recorded or measured wording; the others follow AWS's
//! schema-validator phrasing where AWS's exact text was not available.

use asl::validate::{
    invalid_definition_message, validate, Diagnostic, MachineType, ResultCode, ValidateOptions,
};
use serde_json::{json, Value};

fn run(def: &str, machine_type: MachineType) -> Vec<(String, String, Option<String>)> {
    let opts = ValidateOptions {
        machine_type,
        ..ValidateOptions::default()
    };
    validate(def, &opts)
        .diagnostics
        .into_iter()
        .map(|d| (d.code, d.message, d.location))
        .collect()
}

fn diags(def: Value) -> Vec<(String, String, Option<String>)> {
    run(&def.to_string(), MachineType::Standard)
}

fn d(code: &str, message: &str, location: &str) -> (String, String, Option<String>) {
    (code.into(), message.into(), Some(location.into()))
}

fn schema(message: &str, location: &str) -> (String, String, Option<String>) {
    d("SCHEMA_VALIDATION_FAILED", message, location)
}

/// A one-state machine around `state`.
fn one(state: Value) -> Value {
    json!({"StartAt": "S", "States": {"S": state}})
}

#[test]
fn valid_definition_is_ok() {
    let r = validate(
        &json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}).to_string(),
        &ValidateOptions::default(),
    );
    assert_eq!(r.result, ResultCode::Ok);
    assert_eq!(
        r.to_json(),
        json!({"result": "OK", "diagnostics": [], "truncated": false})
    );
}

#[test]
fn required_top_level_fields_aws() {
    assert_eq!(
        diags(json!({})),
        [schema("These fields are required: [States, StartAt]", "/")]
    );
    assert_eq!(
        diags(json!({"Comment": "x", "StartAt": "A"})),
        [schema("These fields are required: [States]", "/")]
    );
}

#[test]
fn unsupported_top_level_field() {
    let mut def = one(json!({"Type": "Succeed"}));
    def["Coment"] = json!("typo");
    assert_eq!(diags(def), [schema("Field 'Coment' is not supported", "/")]);
}

#[test]
fn invalid_json_has_no_location() {
    let r = run("{not json", MachineType::Standard);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].0, "INVALID_JSON_DESCRIPTION");
    assert_eq!(r[0].2, None);
}

#[test]
fn too_deep_json_is_reported_not_a_panic() {
    let deep = format!(
        "{{\"StartAt\":\"A\",\"States\":{{\"A\":{{\"Type\":\"Pass\",\"Result\":{}1{},\"End\":true}}}}}}",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let r = run(&deep, MachineType::Standard);
    assert_eq!(r[0].0, "TOO_DEEPLY_NESTED");
}

#[test]
fn definition_longer_than_one_mebibyte() {
    let big = format!(
        "{{\"StartAt\":\"A\",\"Comment\":\"{}\",\"States\":{{\"A\":{{\"Type\":\"Succeed\"}}}}}}",
        "x".repeat(1_048_576)
    );
    assert_eq!(
        run(&big, MachineType::Standard),
        [schema(
            "Member must have length less than or equal to 1048576",
            "/"
        )]
    );
    assert!(asl::validate::definition_length_error(&big).is_some());
    assert!(asl::validate::definition_length_error("{}").is_none());
}

#[test]
fn unsupported_field_per_state_type_aws() {
    assert_eq!(
        diags(one(
            json!({"Type": "Pass", "TimeoutSeconds": 5, "End": true})
        )),
        [schema(
            "Field 'TimeoutSeconds' is not supported",
            "/States/S"
        )]
    );
    assert_eq!(
        diags(one(json!({"Type": "Wait", "Seconds": 1, "End": true,
                         "Retry": [{"ErrorEquals": ["States.ALL"]}]}))),
        [schema("Field 'Retry' is not supported", "/States/S")]
    );
}

#[test]
fn jsonpath_field_in_jsonata_state_aws() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "X",
        "States": {"X": {"Type": "Pass", "End": true, "InputPath": "$.a", "Result": 1}}});
    assert_eq!(
        diags(def),
        [
            schema("The QueryLanguage is set to 'JSONata', but field 'InputPath' is only supported for the 'JSONPath' QueryLanguage", "/States/X"),
            schema("The QueryLanguage is set to 'JSONata', but field 'Result' is only supported for the 'JSONPath' QueryLanguage", "/States/X"),
        ]
    );
}

#[test]
fn jsonata_field_in_jsonpath_state_aws() {
    assert_eq!(
        diags(one(json!({"Type": "Pass", "Output": {"a": 1}, "End": true}))),
        [schema("The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for the 'JSONata' QueryLanguage", "/States/S")]
    );
}

#[test]
fn jsonpath_state_in_jsonata_machine_aws() {
    let def = json!({"StartAt": "Pass", "QueryLanguage": "JSONata",
        "States": {"Pass": {"Type": "Pass", "End": true, "QueryLanguage": "JSONPath"}}});
    assert_eq!(
        diags(def),
        [schema(
            "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
            "/States/Pass"
        )]
    );
}

#[test]
fn query_language_value_and_type_aws() {
    let mut def = one(json!({"Type": "Succeed"}));
    def["QueryLanguage"] = json!("jsonata");
    assert_eq!(
        diags(def),
        [schema(
            "Value should be one of the following: [JSONPath, JSONata]",
            "/QueryLanguage"
        )]
    );
    let mut def = one(json!({"Type": "Succeed"}));
    def["QueryLanguage"] = json!(5);
    assert_eq!(
        diags(def),
        [schema("Expected value of type [STRING]", "/QueryLanguage")]
    );
}

#[test]
fn item_processor_cannot_declare_query_language_aws() {
    let def = one(json!({"Type": "Map", "End": true,
        "ItemProcessor": {"QueryLanguage": "JSONata", "StartAt": "P",
                          "States": {"P": {"Type": "Pass", "End": true}}}}));
    assert_eq!(
        diags(def),
        [schema(
            "Field 'QueryLanguage' is not supported",
            "/States/S/ItemProcessor"
        )]
    );
}

#[test]
fn nested_states_use_the_machine_query_language_aws() {
    // A JSONata Map leaves its ItemProcessor states on the machine's JSONPath.
    let def = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "QueryLanguage": "JSONata",
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "Output": 1, "End": true}}},
        "End": true}}});
    assert_eq!(
        diags(def),
        [schema("The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for the 'JSONata' QueryLanguage", "/States/M/ItemProcessor/States/P")]
    );
}

#[test]
fn missing_transition_targets_aws() {
    let def = json!({"StartAt": "Nope", "States": {
        "A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Ghost",
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Ghost2"}]},
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": true, "Next": "Ghost3"}],
              "Default": "Ghost4"},
        "Z": {"Type": "Succeed"}}});
    let m = |t: &str, l: &str| {
        d(
            "MISSING_TRANSITION_TARGET",
            &format!("Missing 'Next' target: {t}"),
            l,
        )
    };
    let u = |s: &str| {
        d(
            "MISSING_TRANSITION_TARGET",
            &format!("State \"{s}\" is not reachable."),
            &format!("/States/{s}"),
        )
    };
    assert_eq!(
        diags(def),
        [
            m("Nope", "/StartAt"),
            m("Ghost", "/States/A/Next"),
            m("Ghost2", "/States/A/Catch[0]/Next"),
            m("Ghost3", "/States/C/Choices[0]/Next"),
            m("Ghost4", "/States/C/Default"),
            u("A"),
            u("C"),
            u("Z"),
        ]
    );
}

#[test]
fn unreachable_state_in_nested_body_aws() {
    let def = one(json!({"Type": "Parallel", "End": true,
        "Branches": [{"StartAt": "W", "States": {
            "W": {"Type": "Pass", "End": true}, "Ghost": {"Type": "Pass", "End": true}}}]}));
    assert_eq!(
        diags(def),
        [d(
            "MISSING_TRANSITION_TARGET",
            "State \"Ghost\" is not reachable.",
            "/States/S/Branches[0]/States/Ghost"
        )]
    );
}

#[test]
fn missing_end_state_aws() {
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"},
        "Unused": {"Type": "Pass", "Next": "A"}}});
    let r = validate(&def.to_string(), &ValidateOptions::default());
    assert_eq!(
        r.to_json()["diagnostics"],
        json!([{"code": "MISSING_END_STATE", "message": "Workflow has no terminal state",
                "severity": "ERROR"}])
    );
    let errors: Vec<Diagnostic> = r.errors().cloned().collect();
    assert_eq!(
        invalid_definition_message(&def.to_string(), &errors),
        "Invalid State Machine Definition: 'MISSING_END_STATE: Workflow has no terminal state at null'"
    );
}

#[test]
fn loops_inside_a_map_need_no_terminal_state_aws() {
    let def = one(
        json!({"Type": "Map", "End": true, "ItemProcessor": {"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}}}}),
    );
    assert_eq!(diags(def), []);
}

#[test]
fn next_and_end_rules() {
    assert_eq!(
        diags(one(json!({"Type": "Pass", "Next": "S", "End": true}))),
        [schema(
            "There should only be one of the following fields: [Next, End]",
            "/States/S"
        )]
    );
    assert_eq!(
        diags(one(json!({"Type": "Pass"}))),
        [
            schema(
                "Exactly one of these fields is required: [Next, End]",
                "/States/S"
            ),
            (
                "MISSING_END_STATE".to_string(),
                "Workflow has no terminal state".to_string(),
                None
            ),
        ]
    );
}

#[test]
fn choice_without_rules() {
    assert_eq!(
        diags(one(json!({"Type": "Choice", "Default": "T"}))).first(),
        Some(&schema("These fields are required: [Choices]", "/States/S"))
    );
    assert_eq!(
        diags(one(
            json!({"Type": "Choice", "Choices": [], "Default": "S"})
        ))
        .first(),
        Some(&schema("Value cannot be empty", "/States/S/Choices"))
    );
}

#[test]
fn choice_rule_shape() {
    let def = json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [
            {"Variable": "$.x", "NumericEquals": "one", "Next": "T"},
            {"Variable": "x", "IsNull": true, "Next": "T"},
            {"Variable": "$.t", "TimestampEquals": "2016-13-01T00:00:00Z", "Next": "T"},
            {"Not": {"Variable": "$.x", "StringEquals": "a", "Next": "T"}, "Next": "T"}],
            "Default": "T"},
        "T": {"Type": "Succeed"}}});
    assert_eq!(
        diags(def),
        [
            schema(
                "Expected value of type [NUMBER]",
                "/States/C/Choices[0]/NumericEquals"
            ),
            schema(
                "The value for the field 'Variable' must be a valid JSONPath",
                "/States/C/Choices[1]/Variable"
            ),
            schema(
                "String does not match RFC3339 timestamp",
                "/States/C/Choices[2]/TimestampEquals"
            ),
            schema("Field 'Next' is not supported", "/States/C/Choices[3]/Not"),
        ]
    );
}

#[test]
fn duplicate_state_names_across_scopes() {
    let def = json!({"StartAt": "M", "States": {
        "M": {"Type": "Map", "Next": "Final",
              "ItemProcessor": {"StartAt": "Final", "States": {"Final": {"Type": "Succeed"}}}},
        "Final": {"Type": "Succeed"}}});
    assert_eq!(
        diags(def),
        [d(
            "DUPLICATE_STATE_NAME",
            "Duplicate State name: Final",
            "/States/Final"
        )]
    );
}

#[test]
fn state_name_longer_than_80_characters() {
    let name = "n".repeat(81);
    let def = json!({"StartAt": name.clone(), "States": {name.clone(): {"Type": "Succeed"}}});
    assert_eq!(
        diags(def),
        [d(
            "INVALID_STATE_NAME",
            &format!("State name '{name}' exceeds the maximum length of 80 characters"),
            &format!("/States/{name}")
        )]
    );
}

#[test]
fn invalid_paths() {
    assert_eq!(
        diags(one(
            json!({"Type": "Pass", "InputPath": "$.a[", "End": true})
        )),
        [schema(
            "The value for the field 'InputPath' must be a valid JSONPath",
            "/States/S/InputPath"
        )]
    );
    assert_eq!(
        diags(one(
            json!({"Type": "Pass", "ResultPath": "$..a", "End": true})
        )),
        [schema(
            "Value is not a Reference Path",
            "/States/S/ResultPath"
        )]
    );
    assert_eq!(
        diags(one(
            json!({"Type": "Pass", "ResultPath": null, "OutputPath": null, "InputPath": null, "End": true})
        )),
        []
    );
}

#[test]
fn invalid_intrinsic_calls_aws() {
    // AWS refuses `\"` inside an intrinsic string literal (recorded).
    let def = one(json!({"Type": "Pass", "End": true, "Parameters": {
        "ok.$": "States.Format('{}', $.a)",
        "nested": {"parsed.$": "States.StringToJson('{\"text\":\"An \\\"escaped\\\" quote\"}')"}}}));
    // Located at the object holding the field, as AWS locates `Field 'X' is not supported`.
    assert_eq!(
        diags(def),
        [schema("The value for the field 'parsed.$' must be a valid JSONPath or a valid intrinsic function call", "/States/S/Parameters/nested")]
    );
    assert_eq!(
        diags(one(
            json!({"Type": "Pass", "End": true, "Parameters": {"x.$": "States.Nope(1)"}})
        )),
        [schema("The value for the field 'x.$' must be a valid JSONPath or a valid intrinsic function call", "/States/S/Parameters")]
    );
}

#[test]
fn wait_fields_aws() {
    assert_eq!(
        diags(one(
            json!({"Type": "Wait", "Timestamp": "2016-13-05T21:29:29Z", "End": true})
        )),
        [schema(
            "String does not match RFC3339 timestamp",
            "/States/S/Timestamp"
        )]
    );
    assert_eq!(
        diags(one(
            json!({"Type": "Wait", "Seconds": 10_000_000_000_u64, "End": true})
        )),
        [schema("Maximum value is 99999999", "/States/S/Seconds")]
    );
    assert_eq!(
        diags(one(
            json!({"Type": "Wait", "Seconds": 1, "Timestamp": "2016-03-14T01:59:00Z", "End": true})
        )),
        [schema(
            "There should only be one of the following fields: [Seconds, SecondsPath, Timestamp, TimestampPath]",
            "/States/S"
        )]
    );
    assert_eq!(
        diags(one(json!({"Type": "Wait", "End": true}))),
        [schema(
            "Exactly one of these fields is required: [Seconds, SecondsPath, Timestamp, TimestampPath]",
            "/States/S"
        )]
    );
}

#[test]
fn retry_rules() {
    let def = one(
        json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
        "Retry": [
            {"ErrorEquals": ["States.ALL", "E"], "IntervalSeconds": 0, "BackoffRate": 0.5},
            {"ErrorEquals": ["E"], "MaxAttempts": -1, "JitterStrategy": "SOME"}]}),
    );
    assert_eq!(
        diags(def),
        [
            schema(
                "States.ALL must appear alone in the ErrorEquals array",
                "/States/S/Retry[0]/ErrorEquals"
            ),
            schema(
                "A Retrier with States.ALL must be the last Retrier",
                "/States/S/Retry[0]"
            ),
            schema("Minimum value is 1", "/States/S/Retry[0]/IntervalSeconds"),
            schema("Minimum value is 1.0", "/States/S/Retry[0]/BackoffRate"),
            schema("Minimum value is 0", "/States/S/Retry[1]/MaxAttempts"),
            schema(
                "Value should be one of the following: [FULL, NONE]",
                "/States/S/Retry[1]/JitterStrategy"
            ),
        ]
    );
}

#[test]
fn catch_rules() {
    let def = json!({"StartAt": "S", "States": {
        "S": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F"}, {"Next": "F"}]},
        "F": {"Type": "Fail"}}});
    assert_eq!(
        diags(def),
        [
            schema(
                "A Catcher with States.ALL must be the last Catcher",
                "/States/S/Catch[0]"
            ),
            schema(
                "These fields are required: [ErrorEquals]",
                "/States/S/Catch[1]"
            ),
        ]
    );
}

#[test]
fn timeouts_and_heartbeats() {
    assert_eq!(
        diags(one(
            json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "TimeoutSeconds": 0, "End": true})
        )),
        [schema("Minimum value is 1", "/States/S/TimeoutSeconds")]
    );
    assert_eq!(
        diags(one(
            json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "TimeoutSeconds": 10, "HeartbeatSeconds": 10, "End": true})
        )),
        [schema(
            "HeartbeatSeconds must be smaller than TimeoutSeconds",
            "/States/S/HeartbeatSeconds"
        )]
    );
    assert_eq!(
        diags(one(json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "TimeoutSeconds": 10, "TimeoutSecondsPath": "$.t", "End": true}))),
        [schema(
            "There should only be one of the following fields: [TimeoutSeconds, TimeoutSecondsPath]",
            "/States/S/TimeoutSeconds"
        )]
    );
}

#[test]
fn unrecognized_resource_aws() {
    assert_eq!(
        diags(one(json!({"Type": "Task", "Resource": "arn:aws:states:::dynamodb:query", "End": true}))),
        [schema("The resource provided arn:aws:states:::dynamodb:query is not recognized. The value is not a valid resource ARN, or the resource is not available in this region.", "/States/S/Resource")]
    );
}

#[test]
fn express_integration_patterns_aws() {
    let wftt = one(json!({"Type": "Task", "End": true,
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken"}));
    assert_eq!(run(&wftt.to_string(), MachineType::Standard), []);
    let r = run(&wftt.to_string(), MachineType::Express);
    assert_eq!(
        r,
        [schema(
            "Express state machine does not support '.waitForTaskToken' service integration ",
            "/States/S/Resource"
        )]
    );
    let sync = one(json!({"Type": "Task", "End": true,
        "Resource": "arn:aws:states:::states:startExecution.sync"}));
    assert_eq!(
        run(&sync.to_string(), MachineType::Express),
        [schema(
            "Express state machine does not support '.sync' service integration",
            "/States/S/Resource"
        )]
    );
}

#[test]
fn express_activity_aws() {
    let def = one(json!({"Type": "Task", "End": true,
        "Resource": "arn:aws:states:us-east-1:111111111111:activity:a"}));
    assert_eq!(run(&def.to_string(), MachineType::Standard), []);
    assert_eq!(
        run(&def.to_string(), MachineType::Express),
        [schema(
            "Express state machine does not support Activity ARN",
            "/States/S/Resource"
        )]
    );
}

#[test]
fn credentials_need_role_arn_aws() {
    let def = json!({"StartAt": "S", "QueryLanguage": "JSONata", "States": {"S": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Arguments": "{% $state.input %}", "Credentials": {"InvalidField": "invalid"}, "End": true}}});
    assert_eq!(
        diags(def),
        [schema(
            "The field 'RoleArn' is required but was missing",
            "/States/S/Credentials"
        )]
    );
}

#[test]
fn map_label_messages_aws() {
    let text = r#"{"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}, "Label": "label_\u009a", "End": true}}}"#;
    let r = validate(text, &ValidateOptions::default());
    let errors: Vec<Diagnostic> = r.errors().cloned().collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].code, "INVALID_LABEL_NAME");
    assert_eq!(errors[0].location.as_deref(), Some("/States/M/Label"));
    assert_eq!(
        invalid_definition_message(text, &errors),
        format!(
            "Error=ValueError Args=[\"Label contains invalid character: '\\\\x9a'\"] in definition '{text}'."
        )
    );
    let empty = text.replace("label_\\u009a", "");
    let r = validate(&empty, &ValidateOptions::default());
    let errors: Vec<Diagnostic> = r.errors().cloned().collect();
    assert_eq!(
        invalid_definition_message(&empty, &errors),
        format!("Error=ValueError Args=['Label cannot be empty'] in definition '{empty}'.")
    );
}

#[test]
fn joined_message_for_several_errors() {
    let def = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "pass3"},
        "pass2": {"Type": "Pass", "End": true}}});
    let r = validate(&def.to_string(), &ValidateOptions::default());
    let errors: Vec<Diagnostic> = r.errors().cloned().collect();
    assert_eq!(
        invalid_definition_message(&def.to_string(), &errors),
        "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: pass3 at /States/A/Next, MISSING_TRANSITION_TARGET: State \"pass2\" is not reachable. at /States/pass2'"
    );
}

#[test]
fn max_results_truncates() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "X", "States": {"X": {
        "Type": "Pass", "End": true, "InputPath": "$.a", "OutputPath": "$.b", "ResultPath": "$.c"}}});
    let opts = ValidateOptions {
        max_results: 1,
        ..ValidateOptions::default()
    };
    let r = validate(&def.to_string(), &opts);
    assert_eq!(r.result, ResultCode::Fail);
    assert_eq!(r.diagnostics.len(), 1);
    assert!(r.truncated);
}

#[test]
fn jsonata_expressions_checked_with_a_parser() {
    // A stand-in parser: refuses empty expressions with jsonata's wording.
    let parse = |e: &str| {
        e.trim()
            .is_empty()
            .then(|| "Unexpected end of expression".to_string())
    };
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Condition": "{% %}", "Next": "P"}], "Default": "P"},
        "P": {"Type": "Pass", "Output": {"ok": "{% 1 %}", "v": ["x", "{%  %}"]}, "End": true}}});
    let r =
        asl::validate::validate_with_jsonata(&def.to_string(), &ValidateOptions::default(), &parse);
    let got: Vec<_> = r
        .diagnostics
        .into_iter()
        .map(|d| (d.code, d.message, d.location))
        .collect();
    assert_eq!(
        got,
        [
            d(
                "INVALID_JSONATA_EXPRESSION",
                "Unexpected end of expression",
                "/States/C/Choices[0]/Condition"
            ),
            d(
                "INVALID_JSONATA_EXPRESSION",
                "Unexpected end of expression",
                "/States/P/Output/v[1]"
            ),
        ]
    );
    // Without a parser, expressions are not judged.
    assert_eq!(diags(def), []);
}

#[test]
fn nested_locations_use_brackets_and_verbatim_names_aws() {
    // AWS's answer for a Choice without rules two Parallels deep (reported by a CDK user).
    let def = json!({"StartAt": "Run Providers", "States": {"Run Providers": {
        "Type": "Parallel", "End": true, "Branches": [{"StartAt": "Error Handler", "States": {
            "Error Handler": {"Type": "Parallel", "End": true, "Branches": [{
                "StartAt": "Choose provider", "States": {
                    "Choose provider": {"Type": "Choice", "Default": "Done"},
                    "Done": {"Type": "Succeed"}}}]}}}]}}});
    let r = validate(&def.to_string(), &ValidateOptions::default());
    let errors: Vec<Diagnostic> = r.errors().cloned().collect();
    assert_eq!(
        invalid_definition_message(&def.to_string(), &errors),
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are required: [Choices] at /States/Run Providers/Branches[0]/States/Error Handler/Branches[0]/States/Choose provider'"
    );
}

#[test]
fn warnings_only_when_asked_for() {
    let def = json!({"StartAt": "P", "States": {
        "P": {"Type": "Pass", "Parameters": {"a": "$.x", "b": "literal"},
              "Result": {"c.$": "$.y"}, "Next": "F"},
        "F": {"Type": "Fail", "Cause": "$.cause"}}})
    .to_string();
    let plain = validate(&def, &ValidateOptions::default());
    assert_eq!(
        plain.to_json(),
        json!({"result": "OK", "diagnostics": [], "truncated": false})
    );
    let opts = ValidateOptions {
        severity: asl::validate::Severity::Warning,
        ..ValidateOptions::default()
    };
    let r = validate(&def, &opts);
    assert_eq!(r.result, ResultCode::Ok);
    let got: Vec<_> = r
        .diagnostics
        .iter()
        .map(|d| (d.severity, d.code.as_str(), d.location.as_deref()))
        .collect();
    use asl::validate::Severity::Warning;
    assert_eq!(
        got,
        [
            (Warning, "NO_DOLLAR", Some("/States/P/Parameters")),
            (Warning, "PASS_RESULT_IS_STATIC", Some("/States/P/Result")),
            (Warning, "NO_PATH", Some("/States/F/Cause")),
        ]
    );
}

#[test]
fn unsupported_jsonata_references_aws() {
    let pass = |output: &str| {
        json!({"QueryLanguage": "JSONata", "StartAt": "Main", "States": {
            "Main": {"Type": "Pass", "Output": output, "End": true}}})
    };
    assert_eq!(
        diags(pass("{% $$ %}")),
        [d(
            "UNSUPPORTED_JSONATA_EXPRESSION",
            "Reference to '$$' is not supported.",
            "/States/Main/Output"
        )]
    );
    assert_eq!(
        diags(pass("{% $states.errorOutput %}")),
        [d(
            "UNSUPPORTED_JSONATA_EXPRESSION",
            "Field '$states.errorOutput' does not exist.",
            "/States/Main/Output"
        )]
    );
    assert_eq!(diags(pass("{% '$$' & $states.input %}")), []);
    // A catcher's Output and Assign may read the error output.
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "Main", "States": {
        "Main": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Handled",
                 "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handled",
                            "Output": "{% $states.errorOutput %}",
                            "Assign": {"e": "{% $states.errorOutput.Error %}"}}]},
        "Handled": {"Type": "Pass", "End": true}}});
    assert_eq!(diags(def), []);
}
