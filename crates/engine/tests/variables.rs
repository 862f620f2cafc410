//! Workflow variables (`Assign`) in both query languages, their scoping and limits, JSONata
//! fields given as expressions, `$states`, the Step Functions JSONata functions and
//! `States.QueryEvaluationError` causes.

mod common;
use common::*;
use engine::{ExecutionStatus, TaskOutcome};
use serde_json::{json, Value};

fn events(f: &engine::driver::Finished) -> Vec<Value> {
    f.history.iter().map(|e| e.to_json()).collect()
}

fn exited(f: &engine::driver::Finished, name: &str) -> Vec<Value> {
    events(f)
        .into_iter()
        .filter(|e| e["stateExitedEventDetails"]["name"] == json!(name))
        .map(|e| e["stateExitedEventDetails"].clone())
        .collect()
}

fn cause(f: &engine::driver::Finished) -> &str {
    f.outcome.cause.as_deref().unwrap_or("")
}

// ---- Assign: evaluation order and both query languages ----

#[test]
fn jsonata_assign_reads_values_from_before_the_state() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Assign": {"a": 1, "b": 2}, "Next": "Swap"},
        "Swap": {"Type": "Pass", "Assign": {"a": "{% $b %}", "b": "{% $a %}", "c": "{% $a + $b %}"},
                 "Output": "{% $a %}", "Next": "Show"},
        "Show": {"Type": "Pass", "Output": "{% [$states.input, $a, $b, $c] %}", "End": true}}});
    // Output is evaluated with the variables from before the state too.
    assert_eq!(output(&run(&def, json!({}))), json!([1, 2, 1, 3]));
}

#[test]
fn jsonpath_assign_paths_intrinsics_and_variable_references() {
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"x.$": "$.n", "lit": {"k": [1]}, "sum.$": "States.MathAdd($.n, 1)"},
              "Next": "B"},
        "B": {"Type": "Pass", "Assign": {"x.$": "States.MathAdd($x, 10)", "old.$": "$x"}, "Next": "C"},
        "C": {"Type": "Pass", "Parameters": {"x.$": "$x", "old.$": "$old", "lit.$": "$lit.k[0]", "sum.$": "$sum"},
              "End": true}}});
    let f = run(&def, json!({"n": 5}));
    assert_eq!(output(&f), json!({"x": 15, "old": 5, "lit": 1, "sum": 6}));
}

#[test]
fn jsonpath_assign_reads_the_state_result_not_its_output() {
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Result": {"r": 7}, "ResultPath": "$.res", "Assign": {"v.$": "$.r"}, "Next": "B"},
        "B": {"Type": "Pass", "Parameters": {"v.$": "$v", "in.$": "$"}, "End": true}}});
    let f = run(&def, json!({"a": 1}));
    assert_eq!(output(&f), json!({"v": 7, "in": {"a": 1, "res": {"r": 7}}}));
}

#[test]
fn assigned_variables_are_recorded_on_state_exited_sorted_as_json_text() {
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"z": "s", "a": {"k": [1, 2]}, "n": null}, "Next": "B"},
        "B": {"Type": "Pass", "End": true}}});
    let f = run(&def, json!({}));
    let a = &exited(&f, "A")[0];
    assert_eq!(
        a["assignedVariables"],
        json!({"a": "{\"k\":[1,2]}", "n": "null", "z": "\"s\""})
    );
    assert_eq!(a["assignedVariablesDetails"], json!({"truncated": false}));
    let keys: Vec<&String> = a["assignedVariables"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["a", "n", "z"]);
    let b = &exited(&f, "B")[0];
    assert!(b.get("assignedVariables").is_none());
    assert!(b.get("assignedVariablesDetails").is_none());
}

#[test]
fn empty_assign_records_nothing() {
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {}, "End": true}}});
    let f = run(&def, json!({}));
    assert!(exited(&f, "A")[0].get("assignedVariables").is_none());
}

#[test]
fn choice_rule_and_default_assign() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [
                {"Condition": "{% $states.input.n > 1 %}", "Assign": {"which": "rule"}, "Next": "D"}],
              "Default": "D", "Assign": {"which": "default"}},
        "D": {"Type": "Pass", "Output": "{% $which %}", "End": true}}});
    assert_eq!(output(&run(&def, json!({"n": 5}))), json!("rule"));
    assert_eq!(output(&run(&def, json!({"n": 0}))), json!("default"));
}

#[test]
fn undefined_variable_is_a_query_evaluation_error() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {
        "P": {"Type": "Pass", "Assign": {"x": "{% $nope %}"}, "End": true}}});
    let f = run(&def, json!({}));
    assert_eq!(
        f.outcome.error.as_deref(),
        Some("States.QueryEvaluationError")
    );
    assert_eq!(
        cause(&f),
        "An error occurred while executing the state 'P' (entered at the event id #2). The JSONata expression '$nope' specified for the field 'Assign/x' returned nothing (undefined)."
    );
}

#[test]
fn jsonpath_reference_to_an_unassigned_variable_fails() {
    let def = json!({"StartAt": "P", "States": {
        "P": {"Type": "Pass", "Parameters": {"v.$": "$nope"}, "End": true}}});
    let f = run(&def, json!({}));
    assert_eq!(f.outcome.status, ExecutionStatus::Failed);
    assert_eq!(f.outcome.error.as_deref(), Some("States.Runtime"));
}

// ---- Scoping ----

#[test]
fn map_iterations_read_outer_variables_and_cannot_assign_them() {
    let def = json!({"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Assign": {"x": 42, "items": [1, 2]}, "Next": "M"},
        "M": {"Type": "Map", "ItemsPath": "$items", "MaxConcurrency": 1,
              "ItemProcessor": {"StartAt": "I", "States": {
                  "I": {"Type": "Pass", "Assign": {"x.$": "States.MathAdd($x, 1)", "inner": true},
                        "Next": "J"},
                  "J": {"Type": "Pass", "Parameters": {"x.$": "$x"}, "End": true}}},
              "Next": "After"},
        "After": {"Type": "Pass", "Parameters": {"out.$": "$", "x.$": "$x"}, "End": true}}});
    let f = run(&def, json!({}));
    // Each iteration starts from the outer x (42), its own assignment stays in the iteration.
    assert_eq!(output(&f), json!({"out": [{"x": 43}, {"x": 43}], "x": 42}));
    // The iteration's variable is invisible afterwards.
    let leak = json!({"StartAt": "M", "States": {
        "M": {"Type": "Map", "ItemsPath": "$.xs",
              "ItemProcessor": {"StartAt": "I", "States": {
                  "I": {"Type": "Pass", "Assign": {"inner": 1}, "End": true}}},
              "Next": "After"},
        "After": {"Type": "Pass", "Parameters": {"v.$": "$inner"}, "End": true}}});
    let f = run(&leak, json!({"xs": [1]}));
    assert_eq!(f.outcome.error.as_deref(), Some("States.Runtime"));
}

#[test]
fn parallel_branches_read_outer_variables_and_keep_assignments_to_themselves() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Assign": {"x": 1}, "Next": "P"},
        "P": {"Type": "Parallel", "Branches": [
                {"StartAt": "A", "States": {
                    "A": {"Type": "Pass", "Assign": {"x": 100}, "Next": "A2"},
                    "A2": {"Type": "Pass", "Output": "{% $x %}", "End": true}}},
                {"StartAt": "B", "States": {
                    "B": {"Type": "Pass", "Output": "{% $x %}", "End": true}}}],
              "Assign": {"fromResult": "{% $states.result %}"},
              "Next": "After"},
        "After": {"Type": "Pass", "Output": {"x": "{% $x %}", "r": "{% $fromResult %}"}, "End": true}}});
    let f = run(&def, json!({}));
    // Branch A's assignment neither reaches branch B nor the outer scope.
    assert_eq!(output(&f), json!({"x": 1, "r": [100, 1]}));
}

#[test]
fn map_item_selector_and_items_read_variables() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Assign": {"xs": [1, 2, 3], "k": 10}, "Next": "M"},
        "M": {"Type": "Map", "Items": "{% $xs %}",
              "ItemSelector": "{% $states.context.Map.Item.Value * $k %}",
              "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}},
              "End": true}}});
    assert_eq!(output(&run(&def, json!({}))), json!([10, 20, 30]));
}

// ---- Limits ----

#[test]
fn a_variable_over_256_kib_exceeds_the_data_limit() {
    // Doubled in the state, so the execution input stays under its own 256 KiB limit.
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {
        "P": {"Type": "Pass", "Assign": {"big": "{% $states.input.s & $states.input.s %}"},
              "Output": "{% $length($states.input.s) %}", "End": true}}});
    let f = run(&def, json!({"s": "x".repeat(131_072)}));
    assert_eq!(f.outcome.error.as_deref(), Some("States.DataLimitExceeded"));
    assert!(cause(&f).contains("'big'"), "{}", cause(&f));
    // Exactly at the limit (the JSON text counts, quotes included) is fine.
    let f = run(&def, json!({"s": "x".repeat(131_071)}));
    assert_eq!(f.outcome.status, ExecutionStatus::Succeeded);
}

#[test]
fn one_assign_over_256_kib_in_total_exceeds_the_data_limit() {
    let half = "x".repeat(140_000);
    let def = json!({"StartAt": "P", "States": {
        "P": {"Type": "Pass", "Assign": {"a.$": "$.s", "b.$": "$.s"}, "End": true}}});
    let f = run(&def, json!({"s": half}));
    assert_eq!(f.outcome.error.as_deref(), Some("States.DataLimitExceeded"));
}

#[test]
fn all_variables_over_10_mib_exceed_the_data_limit() {
    // 41 distinct variables of ~250 KiB each: over 10 MiB; replacing one is not growth.
    let chunk = "x".repeat(250_000);
    let mut states = serde_json::Map::new();
    for i in 0..45 {
        let next = if i + 1 == 45 {
            json!({"End": true})
        } else {
            json!({"Next": format!("S{}", i + 1)})
        };
        let mut s = json!({"Type": "Pass", "Assign": {format!("v{i}.$"): "$.s"}});
        s.as_object_mut()
            .unwrap()
            .extend(next.as_object().unwrap().clone());
        states.insert(format!("S{i}"), s);
    }
    let def = json!({"StartAt": "S0", "States": states});
    let f = run(&def, json!({"s": chunk}));
    assert_eq!(f.outcome.error.as_deref(), Some("States.DataLimitExceeded"));
    let n = types(&f)
        .iter()
        .filter(|t| **t == "PassStateExited")
        .count();
    assert_eq!(n, 41, "10 MiB / 250,002 bytes = 41 variables fit");

    let mut states = serde_json::Map::new();
    for i in 0..45 {
        let next = if i + 1 == 45 {
            json!({"End": true})
        } else {
            json!({"Next": format!("S{}", i + 1)})
        };
        let mut s = json!({"Type": "Pass", "Assign": {"same.$": "$.s"}});
        s.as_object_mut()
            .unwrap()
            .extend(next.as_object().unwrap().clone());
        states.insert(format!("S{i}"), s);
    }
    let def = json!({"StartAt": "S0", "States": states});
    assert_eq!(
        run(&def, json!({"s": "x".repeat(250_000)})).outcome.status,
        ExecutionStatus::Succeeded
    );
}

// ---- JSONata fields as expressions ----

#[test]
fn task_timeout_and_heartbeat_seconds_as_expressions() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
              "Arguments": {"FunctionName": "f"},
              "TimeoutSeconds": "{% $states.input.t %}", "End": true}}});
    let mut pending = FnResolver(|_: &engine::TaskInvocation| TaskOutcome::Pending);
    let f = run_with(
        &def,
        json!({"t": 30}),
        &mut pending,
        Box::new(FixedRandom(0.0)),
    );
    assert_eq!(f.outcome.error.as_deref(), Some("States.Timeout"));
    let last = f.history.last().unwrap().timestamp.0;
    assert!(
        last - START.0 >= 30_000,
        "timed out after the evaluated 30 s"
    );

    let def = json!({"QueryLanguage": "JSONata", "StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
              "Arguments": {"FunctionName": "f"},
              "HeartbeatSeconds": "{% $states.input.h %}", "End": true}}});
    let f = run_with(
        &def,
        json!({"h": 5}),
        &mut pending,
        Box::new(FixedRandom(0.0)),
    );
    // A heartbeat timeout, recorded as AWS records it.
    assert_eq!(f.outcome.error.as_deref(), Some("States.Timeout"));
}

#[test]
fn wait_seconds_as_expression_advances_the_clock() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": "{% $states.input.s * 2 %}", "End": true}}});
    let f = run(&def, json!({"s": 50}));
    assert_eq!(f.outcome.status, ExecutionStatus::Succeeded);
    let entered = f
        .history
        .iter()
        .find(|e| e.event_type() == "WaitStateEntered")
        .unwrap();
    let exited = f
        .history
        .iter()
        .find(|e| e.event_type() == "WaitStateExited")
        .unwrap();
    assert_eq!(exited.timestamp.0 - entered.timestamp.0, 100_000);
}

#[test]
fn wait_seconds_expression_of_wrong_type_is_a_query_evaluation_error() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": "{% 'soon' %}", "End": true}}});
    let f = run(&def, json!({}));
    assert_eq!(
        f.outcome.error.as_deref(),
        Some("States.QueryEvaluationError")
    );
    assert!(types(&f).contains(&"EvaluationFailed"));
}

#[test]
fn fail_error_and_cause_as_expressions() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "F", "States": {
        "F": {"Type": "Fail", "Error": "{% 'Err.' & $states.input.kind %}",
              "Cause": "{% $string($states.input.n + 1) %}"}}});
    let f = run(&def, json!({"kind": "Bad", "n": 1}));
    assert_eq!(f.outcome.error.as_deref(), Some("Err.Bad"));
    assert_eq!(f.outcome.cause.as_deref(), Some("2"));
}

#[test]
fn expressions_anywhere_in_a_template_and_partial_strings_stay_literal() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {
        "P": {"Type": "Pass", "Output": {
            "deep": {"list": [1, "{% $states.input.a %}", {"x": "{% $states.input.a * 2 %}"}]},
            "literal": "prefix {% $states.input.a %}",
            "keys.$": "stay as written"}, "End": true}}});
    let f = run(&def, json!({"a": 3}));
    assert_eq!(
        output(&f),
        json!({"deep": {"list": [1, 3, {"x": 6}]}, "literal": "prefix {% $states.input.a %}",
               "keys.$": "stay as written"})
    );
}

#[test]
fn states_context_and_result_and_input() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
              "Arguments": {"FunctionName": "f", "Payload": "{% $states.context.State.Name %}"},
              "Output": {"in": "{% $states.input %}", "res": "{% $states.result %}",
                         "exec": "{% $states.context.Execution.Name %}",
                         "sm": "{% $states.context.StateMachine.Name %}",
                         "retry": "{% $states.context.State.RetryCount %}"},
              "End": true}}});
    let mut seen = Value::Null;
    let mut r = FnResolver(|inv: &engine::TaskInvocation| {
        seen = (*inv.parameters).clone();
        TaskOutcome::Succeeded(json!({"ok": true}))
    });
    let f = run_with(&def, json!({"q": 1}), &mut r, Box::new(FixedRandom(0.0)));
    assert_eq!(seen, json!({"FunctionName": "f", "Payload": "T"}));
    assert_eq!(
        output(&f),
        json!({"in": {"q": 1}, "res": {"ok": true}, "exec": "exec-1", "sm": "Machine", "retry": 0})
    );
}

#[test]
fn states_result_is_not_available_in_arguments() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
              "Arguments": {"FunctionName": "f", "Payload": "{% $states.result %}"}, "End": true}}});
    let f = run(&def, json!({}));
    assert_eq!(
        f.outcome.error.as_deref(),
        Some("States.QueryEvaluationError")
    );
}

#[test]
fn condition_must_be_boolean() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.n %}", "Next": "D"}],
              "Default": "D"},
        "D": {"Type": "Succeed"}}});
    let f = run(&def, json!({"n": 1}));
    assert_eq!(
        f.outcome.error.as_deref(),
        Some("States.QueryEvaluationError")
    );
    assert!(
        cause(&f).contains("'Condition'") || cause(&f).contains("Condition"),
        "{}",
        cause(&f)
    );
}

// ---- Functions ----

#[test]
fn random_with_a_seed_repeats_and_uuid_is_v4() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {
        "P": {"Type": "Pass", "Output": {
            "same": "{% $random(42) = $random(42) %}",
            "range": "{% $random() >= 0 and $random() < 1 %}",
            "u": "{% $uuid() %}",
            "differ": "{% $uuid() != $uuid() %}"}, "End": true}}});
    let f = run(&def, json!({}));
    let out = output(&f);
    assert_eq!(out["same"], json!(true));
    assert_eq!(out["range"], json!(true));
    assert_eq!(out["differ"], json!(true));
    let re =
        regex::Regex::new("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
            .unwrap();
    assert!(re.is_match(out["u"].as_str().unwrap()), "{}", out["u"]);
    // Seeded values are the same in every execution.
    let seeded = json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {
        "P": {"Type": "Pass", "Output": "{% $random(7) %}", "End": true}}});
    let a = output(&run_with(
        &seeded,
        json!({}),
        &mut engine::NoIntegrations::new(),
        Box::new(FixedRandom(0.1)),
    ));
    let b = output(&run_with(
        &seeded,
        json!({}),
        &mut engine::NoIntegrations::new(),
        Box::new(FixedRandom(0.9)),
    ));
    assert_eq!(a, b);
}

#[test]
fn range_partition_hash_parse_errors() {
    let def = |e: &str| {
        json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {
        "P": {"Type": "Pass", "Output": format!("{{% {e} %}}"), "End": true}}})
    };
    let f = run(&def("$partition([1,2,3], 0)"), json!({}));
    assert_eq!(
        f.outcome.error.as_deref(),
        Some("States.QueryEvaluationError")
    );
    let f = run(&def("$parse('{not json')"), json!({}));
    assert_eq!(
        f.outcome.error.as_deref(),
        Some("States.QueryEvaluationError")
    );
    let f = run(&def("$hash('a', 'CRC32')"), json!({}));
    assert_eq!(
        f.outcome.error.as_deref(),
        Some("States.QueryEvaluationError")
    );
    assert_eq!(
        output(&run(&def("$range(0, 10, 5)"), json!({}))),
        json!([0, 5, 10])
    );
    assert_eq!(
        output(&run(&def("$hash('abc', 'MD5')"), json!({}))),
        json!("900150983cd24fb0d6963f7d28e17f72")
    );
}

#[test]
fn eval_is_not_available() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {
        "P": {"Type": "Pass", "Output": "{% $eval('1 + 1') %}", "End": true}}});
    let f = run(&def, json!({}));
    assert_eq!(
        f.outcome.error.as_deref(),
        Some("States.QueryEvaluationError")
    );
    assert!(cause(&f).ends_with(
        "The JSONata expression '$eval('1 + 1')' specified for the field 'Output' threw an error during evaluation. T1006: Attempted to invoke a non-function"
    ), "{}", cause(&f));
}

// ---- Mixed query languages ----

#[test]
fn jsonpath_machine_with_jsonata_states_shares_variables() {
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Parameters": {"v.$": "$.n"}, "Assign": {"n.$": "$.v"}, "Next": "B"},
        "B": {"Type": "Pass", "QueryLanguage": "JSONata",
              "Output": {"sum": "{% $states.input.v + $n %}"}, "Assign": {"m": "{% $n * 10 %}"},
              "Next": "C"},
        "C": {"Type": "Pass", "Parameters": {"sum.$": "$.sum", "m.$": "$m"}, "End": true}}});
    let f = run(&def, json!({"n": 2}));
    assert_eq!(output(&f), json!({"sum": 4, "m": 20}));
}

#[test]
fn jsonata_machine_cannot_have_jsonpath_states() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
        "A": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": true}}});
    let err = asl::parse::parse_definition(&def.to_string()).unwrap_err();
    assert!(err.to_string().contains(
        "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine"
    ));
}
