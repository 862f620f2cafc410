//! JSONata states: `$states`, Arguments/Output/Assign, Items, Condition, error reporting.

mod common;
use common::*;
use engine::{ExecutionStatus, TaskInvocation, TaskOutcome};
use serde_json::json;

#[test]
fn pass_output_reads_states_input() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {
        "P": {"Type": "Pass", "Output": {"sum": "{% $states.input.a + $states.input.b %}", "k": 1}, "End": true}}});
    assert_eq!(
        output(&run(&def, json!({"a": 2, "b": 3}))),
        json!({"sum": 5, "k": 1})
    );
}

#[test]
fn task_arguments_and_result_in_output_and_assign() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
              "Arguments": {"FunctionName": "f", "Payload": "{% $states.input.x %}"},
              "Assign": {"seen": "{% $states.result.v %}"},
              "Output": "{% $states.result.v * 10 %}", "Next": "U"},
        "U": {"Type": "Pass", "Output": "{% [$states.input, $seen] %}", "End": true}}});
    let mut got = json!(null);
    let mut r = FnResolver(|inv: &TaskInvocation| {
        got = (*inv.parameters).clone();
        TaskOutcome::Succeeded(json!({"v": 4}))
    });
    let f = run_with(&def, json!({"x": 7}), &mut r, Box::new(FixedRandom(0.0)));
    assert_eq!(got, json!({"FunctionName": "f", "Payload": 7}));
    assert_eq!(output(&f), json!([40, 4]));
}

#[test]
fn choice_condition_and_rule_output() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [
            {"Condition": "{% $states.input.n > 1 %}", "Next": "Done", "Output": "big"}],
            "Default": "Done", "Output": "small"},
        "Done": {"Type": "Succeed"}}});
    assert_eq!(output(&run(&def, json!({"n": 5}))), json!("big"));
    assert_eq!(output(&run(&def, json!({"n": 0}))), json!("small"));
}

#[test]
fn map_items_and_item_selector_see_map_item_context() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "M", "States": {
        "M": {"Type": "Map", "Items": "{% $states.input.xs %}",
              "ItemSelector": {"i": "{% $states.context.Map.Item.Index %}", "v": "{% $states.context.Map.Item.Value %}"},
              "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}},
              "End": true}}});
    let f = run(&def, json!({"xs": ["a", "b"]}));
    assert_eq!(output(&f), json!([{"i": 0, "v": "a"}, {"i": 1, "v": "b"}]));
}

#[test]
fn undefined_output_is_query_evaluation_error_with_evaluation_failed_event() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {
        "P": {"Type": "Pass", "Output": "{% $nothing %}", "End": true}}});
    let f = run(&def, json!({}));
    assert_eq!(
        f.outcome.error.as_deref(),
        Some("States.QueryEvaluationError")
    );
    assert_eq!(
        f.outcome.cause.as_deref(),
        Some("An error occurred while executing the state 'P' (entered at the event id #2). The JSONata expression '$nothing' specified for the field 'Output' returned nothing (undefined).")
    );
    assert_eq!(
        chain(&f),
        [
            (1, 0, "ExecutionStarted"),
            (2, 0, "PassStateEntered"),
            (3, 0, "EvaluationFailed"),
            (4, 3, "ExecutionFailed")
        ]
    );
}

#[test]
fn items_must_be_an_array() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "M", "States": {
        "M": {"Type": "Map", "Items": "{% 1 %}",
              "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}},
              "End": true}}});
    let f = run(&def, json!({}));
    assert!(f.outcome.cause.as_deref().unwrap_or("").ends_with(
        "The JSONata expression '1' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'number' for value: 1"
    ));
    assert!(types(&f).contains(&"MapStateFailed"));
}

#[test]
fn catch_output_defaults_to_error_output() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
              "Arguments": {"FunctionName": "f"},
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H",
                         "Assign": {"err": "{% $states.errorOutput.Error %}"}}],
              "End": true},
        "H": {"Type": "Pass", "Output": "{% [$states.input.Error, $err] %}", "End": true}}});
    let f = run(&def, json!({}));
    assert_eq!(f.outcome.status, ExecutionStatus::Succeeded);
    assert_eq!(
        output(&f),
        json!([
            "Lambda.ResourceNotFoundException",
            "Lambda.ResourceNotFoundException"
        ])
    );
}

#[test]
fn step_functions_functions() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {
        "P": {"Type": "Pass", "Output": {
            "p": "{% $partition([1,2,3], 2) %}",
            "r": "{% $range(1, 5, 2) %}",
            "j": "{% $parse('{\"a\": [1]}') %}",
            "h": "{% $hash('abc', 'SHA-256') %}"}, "End": true}}});
    let f = run(&def, json!({}));
    assert_eq!(
        output(&f),
        json!({"p": [[1, 2], [3]], "r": [1, 3, 5], "j": {"a": [1]},
               "h": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"})
    );
}

#[test]
fn wait_timestamp_expression_must_be_iso8601() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "W", "States": {
        "W": {"Type": "Wait", "Timestamp": "{% $states.input.t %}", "End": true}}});
    let f = run(&def, json!({"t": "2016-12-05T21:29:29"}));
    assert_eq!(
        f.outcome.error.as_deref(),
        Some("States.QueryEvaluationError")
    );
    let ok = run(&def, json!({"t": "2023-11-15T00:00:00Z"}));
    assert_eq!(ok.outcome.status, ExecutionStatus::Succeeded);
}
