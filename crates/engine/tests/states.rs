//! One test (or more) per state type, independent of the corpus.

mod common;
use common::*;
use engine::{ExecutionStatus, TaskOutcome};
use serde_json::json;

#[test]
fn pass_result_goes_to_result_path() {
    let def = json!({"StartAt": "P", "States": {
        "P": {"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.r", "End": true}}});
    let f = run(&def, json!({"a": 1}));
    assert_eq!(f.outcome.status, ExecutionStatus::Succeeded);
    assert_eq!(output(&f), json!({"a": 1, "r": {"x": 1}}));
}

#[test]
fn pass_parameters_read_input_and_context() {
    let def = json!({"StartAt": "P", "States": {
        "P": {"Type": "Pass", "Parameters": {"v.$": "$.a", "name.$": "$$.Execution.Name",
              "state.$": "$$.State.Name", "lit": "x"}, "End": true}}});
    let f = run(&def, json!({"a": [1, 2]}));
    assert_eq!(
        output(&f),
        json!({"v": [1, 2], "name": "exec-1", "state": "P", "lit": "x"})
    );
}

#[test]
fn succeed_applies_input_and_output_paths() {
    let def = json!({"StartAt": "S", "States": {
        "S": {"Type": "Succeed", "InputPath": "$.a", "OutputPath": "$.b"}}});
    let f = run(&def, json!({"a": {"b": 7}}));
    assert_eq!(output(&f), json!(7));
    assert_eq!(
        types(&f),
        [
            "ExecutionStarted",
            "SucceedStateEntered",
            "SucceedStateExited",
            "ExecutionSucceeded"
        ]
    );
}

#[test]
fn fail_reports_error_and_cause() {
    let def = json!({"StartAt": "F", "States": {
        "F": {"Type": "Fail", "Error": "MyError", "Cause": "because"}}});
    let f = run(&def, json!({}));
    assert_eq!(f.outcome.status, ExecutionStatus::Failed);
    assert_eq!(f.outcome.error.as_deref(), Some("MyError"));
    assert_eq!(f.outcome.cause.as_deref(), Some("because"));
    assert_eq!(
        types(&f),
        ["ExecutionStarted", "FailStateEntered", "ExecutionFailed"]
    );
}

#[test]
fn fail_error_path_and_cause_path() {
    let def = json!({"StartAt": "F", "States": {
        "F": {"Type": "Fail", "ErrorPath": "$.e", "CausePath": "$$.State.Name"}}});
    let f = run(&def, json!({"e": "FromInput"}));
    assert_eq!(f.outcome.error.as_deref(), Some("FromInput"));
    assert_eq!(f.outcome.cause.as_deref(), Some("F"));
}

#[test]
fn fail_error_path_missing_is_runtime_error() {
    let def = json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "ErrorPath": "$.nope"}}});
    let f = run(&def, json!({"a": 1}));
    assert_eq!(f.outcome.error.as_deref(), Some("States.Runtime"));
    assert_eq!(
        f.outcome.cause.as_deref(),
        Some("An error occurred while executing the state 'F' (entered at the event id #2). The JSONPath '$.nope' specified for the field 'ErrorPath' could not be found in the input '{\"a\":1}'")
    );
}

#[test]
fn choice_takes_first_matching_rule_else_default() {
    let def = json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [
            {"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"},
            {"Variable": "$.n", "NumericGreaterThan": 5, "Next": "Medium"}],
            "Default": "Small"},
        "Big": {"Type": "Pass", "Result": "big", "End": true},
        "Medium": {"Type": "Pass", "Result": "medium", "End": true},
        "Small": {"Type": "Pass", "Result": "small", "End": true}}});
    assert_eq!(output(&run(&def, json!({"n": 20}))), json!("big"));
    assert_eq!(output(&run(&def, json!({"n": 7}))), json!("medium"));
    assert_eq!(output(&run(&def, json!({"n": 1}))), json!("small"));
}

#[test]
fn choice_without_match_or_default_fails() {
    let def = json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [
            {"Variable": "$.n", "NumericEquals": 1, "Next": "One"}]},
        "One": {"Type": "Succeed"}}});
    let f = run(&def, json!({"n": 2}));
    assert_eq!(f.outcome.status, ExecutionStatus::Failed);
    assert_eq!(f.outcome.error.as_deref(), Some("States.NoChoiceMatched"));
}

#[test]
fn wait_seconds_fast_forwards_the_clock() {
    let def =
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": true}}});
    let f = run(&def, json!({"k": 1}));
    assert_eq!(output(&f), json!({"k": 1}));
    let entered = f.history[1].timestamp;
    let exited = f.history[2].timestamp;
    assert_eq!(exited.millis() - entered.millis(), 3_600_000);
}

#[test]
fn wait_timestamp_path_waits_until_that_time() {
    let def = json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "TimestampPath": "$.t", "End": true}}});
    let f = run(&def, json!({"t": "2023-11-15T00:00:00Z"}));
    assert_eq!(f.outcome.status, ExecutionStatus::Succeeded);
    assert_eq!(f.history[2].timestamp.millis(), 1_700_006_400_000);
}

#[test]
fn wait_seconds_path_rejects_negative_and_fractional_values() {
    let def = json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "SecondsPath": "$.s", "End": true}}});
    let f = run(&def, json!({"s": -1}));
    assert_eq!(f.outcome.cause.as_deref(), Some("An error occurred while executing the state 'W' (entered at the event id #2). The SecondsPath parameter references a negative value: $.s == -1"));
    let f = run(&def, json!({"s": 1.5}));
    assert_eq!(f.outcome.cause.as_deref(), Some("An error occurred while executing the state 'W' (entered at the event id #2). The SecondsPath parameter cannot be parsed as a long value: $.s == 1.5"));
}

#[test]
fn wait_timestamp_path_needs_iso8601_with_offset() {
    let def = json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "TimestampPath": "$.t", "End": true}}});
    let f = run(&def, json!({"t": "2016-03-05T21:29:29"}));
    assert_eq!(f.outcome.error.as_deref(), Some("States.Runtime"));
    assert!(f.outcome.cause.as_deref().unwrap_or("").ends_with(
        "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: $.t == 2016-03-05T21:29:29"
    ));
}

#[test]
fn task_without_integration_fails_like_a_missing_lambda() {
    let def = json!({"StartAt": "T", "States": {"T": {"Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"}, "End": true}}});
    let f = run(&def, json!({}));
    assert_eq!(
        f.outcome.error.as_deref(),
        Some("Lambda.ResourceNotFoundException")
    );
    assert_eq!(
        types(&f),
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskFailed",
            "ExecutionFailed"
        ]
    );
}

#[test]
fn task_passes_parameters_and_token_to_the_integration() {
    let def = json!({"StartAt": "T", "States": {"T": {"Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"Body.$": "$.m", "Token.$": "$$.Task.Token"}, "End": true}}});
    let mut seen = None;
    let mut r = FnResolver(|inv: &engine::TaskInvocation| {
        seen = Some(((*inv.parameters).clone(), inv.task_token.clone()));
        TaskOutcome::Succeeded(json!({"ok": true}))
    });
    let f = run_with(&def, json!({"m": "hi"}), &mut r, Box::new(FixedRandom(0.0)));
    let (params, token) = seen.expect("task invoked");
    let token = token.expect("token for .waitForTaskToken");
    assert_eq!(params, json!({"Body": "hi", "Token": token}));
    assert_eq!(output(&f), json!({"ok": true}));
}

#[test]
fn parallel_outputs_branch_results_in_order() {
    let def = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": "a", "End": true}}},
        {"StartAt": "B", "States": {"B": {"Type": "Wait", "Seconds": 5, "Next": "B2"},
                                     "B2": {"Type": "Pass", "Result": "b", "End": true}}},
        {"StartAt": "C", "States": {"C": {"Type": "Pass", "End": true}}}]}}});
    let f = run(&def, json!({"in": 1}));
    assert_eq!(output(&f), json!(["a", "b", {"in": 1}]));
}

#[test]
fn parallel_branch_failure_fails_the_state_with_its_error() {
    let def = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 100, "End": true}}},
        {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "c"}}}]}}});
    let f = run(&def, json!({}));
    assert_eq!(f.outcome.error.as_deref(), Some("Boom"));
    // The waiting branch was stopped: it never exits.
    assert!(!types(&f).contains(&"WaitStateExited"));
    assert!(types(&f).contains(&"ParallelStateFailed"));
}

#[test]
fn map_runs_item_processor_per_item_with_item_selector() {
    let def = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.xs",
        "ItemSelector": {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value", "k.$": "$.k"},
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}},
        "End": true}}});
    let f = run(&def, json!({"xs": ["a", "b"], "k": 0}));
    assert_eq!(
        output(&f),
        json!([{"i": 0, "v": "a", "k": 0}, {"i": 1, "v": "b", "k": 0}])
    );
}

#[test]
fn map_over_no_items_outputs_empty_array() {
    let def = json!({"StartAt": "M", "States": {"M": {"Type": "Map",
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}},
        "End": true}}});
    let f = run(&def, json!([]));
    assert_eq!(output(&f), json!([]));
    assert_eq!(
        types(&f),
        [
            "ExecutionStarted",
            "MapStateEntered",
            "MapStateStarted",
            "MapStateSucceeded",
            "MapStateExited",
            "ExecutionSucceeded"
        ]
    );
}

#[test]
fn map_max_concurrency_path_must_be_an_integer() {
    let def = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.xs",
        "MaxConcurrencyPath": "$.mc",
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}},
        "End": true}}});
    let f = run(&def, json!({"xs": [1], "mc": "NoNumber"}));
    assert_eq!(f.outcome.cause.as_deref(), Some("An error occurred while executing the state 'M' (entered at the event id #2). The MaxConcurrencyPath field refers to value \"NoNumber\" which is not a valid integer: $.mc"));
    let f = run(&def, json!({"xs": [1, 2], "mc": 1}));
    assert_eq!(output(&f), json!([1, 2]));
}

#[test]
fn map_iteration_failure_fails_the_map() {
    let def = json!({"StartAt": "M", "States": {"M": {"Type": "Map",
        "ItemProcessor": {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}},
        "End": true}}});
    let f = run(&def, json!([1, 2]));
    assert_eq!(f.outcome.error.as_deref(), Some("E"));
    let t = types(&f);
    assert!(t.contains(&"MapIterationFailed") && t.contains(&"MapStateFailed"));
}

#[test]
fn payload_over_256_kib_is_data_limit_exceeded() {
    let big = "a".repeat(262_145);
    let def = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"s": big}, "End": true}}});
    let f = run(&def, json!({}));
    assert_eq!(f.outcome.error.as_deref(), Some("States.DataLimitExceeded"));
    assert_eq!(
        types(&f),
        ["ExecutionStarted", "PassStateEntered", "ExecutionFailed"]
    );
}

#[test]
fn state_machine_timeout_times_out_the_execution() {
    let def = json!({"StartAt": "W", "TimeoutSeconds": 10,
        "States": {"W": {"Type": "Wait", "Seconds": 100, "End": true}}});
    let f = run(&def, json!({}));
    assert_eq!(f.outcome.status, ExecutionStatus::TimedOut);
    assert_eq!(types(&f).last(), Some(&"ExecutionTimedOut"));
}

#[test]
fn assign_sets_variables_visible_to_later_states() {
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"x.$": "$.v", "y": "lit"}, "Next": "B"},
        "B": {"Type": "Pass", "Parameters": {"x.$": "$x", "y.$": "$y"}, "End": true}}});
    let f = run(&def, json!({"v": 5}));
    assert_eq!(output(&f), json!({"x": 5, "y": "lit"}));
}

#[test]
fn express_executions_time_out_after_five_minutes() {
    let def = json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 301, "End": true}}});
    let run_as = |ty: engine::ExecutionType, def: &serde_json::Value| {
        let mut ctx = engine::ExecutionContext::example("exec-1", "Machine", START);
        ctx.execution_type = ty;
        engine::driver::run_to_completion(
            program(def),
            json!({}),
            ctx,
            Box::new(engine::SeededEntropy::new(1)),
            &mut engine::NoIntegrations::new(),
            true,
        )
    };
    let f = run_as(engine::ExecutionType::Express, &def);
    assert_eq!(f.outcome.status, ExecutionStatus::TimedOut);
    assert_eq!(f.outcome.error.as_deref(), Some("States.Timeout"));
    let last = f.history.last().unwrap();
    assert_eq!(last.event_type(), "ExecutionTimedOut");
    assert_eq!(last.timestamp.0 - START.0, 300_000);
    // A shorter machine TimeoutSeconds still applies; STANDARD has no such limit.
    let short = json!({"TimeoutSeconds": 10, "StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 301, "End": true}}});
    let f = run_as(engine::ExecutionType::Express, &short);
    assert_eq!(f.history.last().unwrap().timestamp.0 - START.0, 10_000);
    let f = run_as(engine::ExecutionType::Standard, &def);
    assert_eq!(f.outcome.status, ExecutionStatus::Succeeded);
}

#[test]
fn start_execution_tasks_describe_their_child() {
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
              "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:111111111111:stateMachine:Child",
                             "Input": {"k.$": "$.v"}, "Name": "kid"}, "End": true},
    }});
    let mut child = None;
    let mut r = FnResolver(|inv: &engine::TaskInvocation| {
        child = inv.child();
        TaskOutcome::Succeeded(json!({}))
    });
    run_with(&def, json!({"v": 1}), &mut r, Box::new(FixedRandom(0.0)));
    assert_eq!(
        child,
        Some(engine::ChildExecution {
            mode: engine::ChildMode::SyncV2,
            state_machine_arn: Some(
                "arn:aws:states:us-east-1:111111111111:stateMachine:Child".into()
            ),
            input: Some(json!({"k": 1})),
            name: Some("kid".into()),
        })
    );
    let mut other = Some(engine::ChildExecution {
        mode: engine::ChildMode::Sync,
        state_machine_arn: None,
        input: None,
        name: None,
    });
    let lambda = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
              "Parameters": {"FunctionName": "f"}, "End": true}}});
    let mut r = FnResolver(|inv: &engine::TaskInvocation| {
        other = inv.child();
        TaskOutcome::Succeeded(json!({}))
    });
    run_with(&lambda, json!({}), &mut r, Box::new(FixedRandom(0.0)));
    assert_eq!(other, None);
}
