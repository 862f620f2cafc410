//! The JSONPath data-flow steps, each on its own and in AWS's order:
//! InputPath → Parameters → task → ResultSelector → ResultPath → OutputPath.

mod common;
use common::*;
use engine::{ExecutionStatus, TaskInvocation, TaskOutcome};
use serde_json::{json, Value};

fn task_def(fields: Value) -> Value {
    let mut t = json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true});
    if let (Some(t), Some(f)) = (t.as_object_mut(), fields.as_object()) {
        for (k, v) in f {
            t.insert(k.clone(), v.clone());
        }
    }
    json!({"StartAt": "T", "States": {"T": t}})
}

/// Runs a Task whose integration returns `result` and records what it received.
fn run_task(fields: Value, input: Value, result: Value) -> (Value, Value) {
    let mut received = Value::Null;
    let mut r = FnResolver(|inv: &TaskInvocation| {
        received = (*inv.parameters).clone();
        TaskOutcome::Succeeded(result.clone())
    });
    let f = run_with(&task_def(fields), input, &mut r, Box::new(FixedRandom(0.0)));
    assert_eq!(
        f.outcome.status,
        ExecutionStatus::Succeeded,
        "{:?}",
        f.outcome
    );
    (received, output(&f))
}

#[test]
fn input_path_selects_what_the_task_receives() {
    let (got, _) = run_task(
        json!({"InputPath": "$.a"}),
        json!({"a": {"x": 1}, "b": 2}),
        json!(0),
    );
    assert_eq!(got, json!({"x": 1}));
}

#[test]
fn input_path_null_gives_empty_object() {
    let (got, _) = run_task(json!({"InputPath": null}), json!({"a": 1}), json!(0));
    assert_eq!(got, json!({}));
}

#[test]
fn parameters_apply_after_input_path() {
    let (got, _) = run_task(
        json!({"InputPath": "$.a", "Parameters": {"y.$": "$.x", "c": true}}),
        json!({"a": {"x": 1}}),
        json!(0),
    );
    assert_eq!(got, json!({"y": 1, "c": true}));
}

#[test]
fn result_selector_shapes_the_raw_result() {
    let (_, out) = run_task(
        json!({"ResultSelector": {"v.$": "$.Payload.v"}}),
        json!({"in": 1}),
        json!({"Payload": {"v": 9}, "StatusCode": 200}),
    );
    assert_eq!(out, json!({"v": 9}));
}

#[test]
fn result_path_merges_into_raw_input_not_filtered_input() {
    let (_, out) = run_task(
        json!({"InputPath": "$.a", "ResultPath": "$.r"}),
        json!({"a": 1, "b": 2}),
        json!("res"),
    );
    assert_eq!(out, json!({"a": 1, "b": 2, "r": "res"}));
}

#[test]
fn result_path_null_discards_the_result() {
    let (_, out) = run_task(json!({"ResultPath": null}), json!({"a": 1}), json!("res"));
    assert_eq!(out, json!({"a": 1}));
}

#[test]
fn output_path_filters_last() {
    let (_, out) = run_task(
        json!({"ResultSelector": {"v.$": "$.x"}, "ResultPath": "$.r", "OutputPath": "$.r.v"}),
        json!({"a": 1}),
        json!({"x": [1, 2]}),
    );
    assert_eq!(out, json!([1, 2]));
}

#[test]
fn all_steps_in_order() {
    let (got, out) = run_task(
        json!({
            "InputPath": "$.req",
            "Parameters": {"id.$": "$.id"},
            "ResultSelector": {"name.$": "$.n"},
            "ResultPath": "$.res",
            "OutputPath": "$.res"
        }),
        json!({"req": {"id": 3}, "keep": true}),
        json!({"n": "three", "junk": 0}),
    );
    assert_eq!(got, json!({"id": 3}));
    assert_eq!(out, json!({"name": "three"}));
}

#[test]
fn missing_input_path_is_a_runtime_error_with_state_context() {
    let def = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "InputPath": "$.nope", "End": true}}});
    let f = run(&def, json!({"a": 0}));
    assert_eq!(f.outcome.error.as_deref(), Some("States.Runtime"));
    assert_eq!(
        f.outcome.cause.as_deref(),
        Some("An error occurred while executing the state 'P' (entered at the event id #2). Invalid path '$.nope' : No results for path: $['nope']")
    );
}
