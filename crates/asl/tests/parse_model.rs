//! The parser builds the typed model with locations, defaults and query languages.

use asl::model::*;
use asl::parse::parse_definition;
use serde_json::json;

fn parse(v: serde_json::Value) -> StateMachine {
    match parse_definition(&v.to_string()) {
        Ok(m) => m,
        Err(e) => panic!("unexpected error: {e}"),
    }
}

#[test]
fn top_level_fields_and_order() {
    let m = parse(json!({
        "Comment": "c", "Version": "1.0", "TimeoutSeconds": 30, "StartAt": "B",
        "States": {
            "B": {"Type": "Pass", "Next": "A"},
            "A": {"Type": "Succeed"}
        }
    }));
    assert_eq!(m.start_at, "B");
    assert_eq!(m.comment.as_deref(), Some("c"));
    assert_eq!(m.version.as_deref(), Some("1.0"));
    assert_eq!(m.timeout_seconds, Some(30));
    let names: Vec<&str> = m.states.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["B", "A"]);
    assert_eq!(m.states.index_of("A"), Some(1));
    assert_eq!(m.start_index(), Some(0));
    let b = m.states.get("B").unwrap();
    assert_eq!(b.location, "/States/B");
    assert_eq!(b.next.as_deref(), Some("A"));
    assert!(!b.is_terminal());
    assert!(m.states.get("A").unwrap().is_terminal());
}

#[test]
fn task_retry_defaults_and_catch() {
    let m = parse(json!({
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "TimeoutSeconds": 10, "HeartbeatSeconds": 5,
                "ResultPath": null, "InputPath": "$.a", "Parameters": {"x.$": "$.y"},
                "Retry": [{"ErrorEquals": ["E0"]},
                          {"ErrorEquals": ["E"], "IntervalSeconds": 4, "MaxAttempts": 0,
                           "BackoffRate": 1.5, "MaxDelaySeconds": 9, "JitterStrategy": "FULL"}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F", "ResultPath": "$.err"}],
                "End": true
            },
            "F": {"Type": "Fail", "Error": "E", "Cause": "C"}
        }
    }));
    let t = m.states.get("T").unwrap();
    assert_eq!(t.result_path, Some(IoPath::Null));
    assert_eq!(t.input_path, Some(IoPath::Path("$.a".into())));
    assert_eq!(t.parameters, Some(json!({"x.$": "$.y"})));
    let StateKind::Task(task) = &t.kind else {
        panic!("not a task")
    };
    assert_eq!(task.resource, "arn:aws:states:::lambda:invoke");
    assert_eq!(task.timeout_seconds, Some(MaybeExpr::Literal(10)));
    assert_eq!(task.heartbeat_seconds, Some(MaybeExpr::Literal(5)));
    let r0 = &t.retry[0];
    assert_eq!(
        (r0.interval_seconds, r0.max_attempts, r0.backoff_rate),
        (1, 3, 2.0)
    );
    assert_eq!(r0.jitter_strategy, JitterStrategy::None);
    assert_eq!(r0.location, "/States/T/Retry/0");
    let r1 = &t.retry[1];
    assert_eq!(
        (r1.interval_seconds, r1.max_attempts, r1.backoff_rate),
        (4, 0, 1.5)
    );
    assert_eq!(r1.max_delay_seconds, Some(9));
    assert_eq!(r1.jitter_strategy, JitterStrategy::Full);
    assert_eq!(t.catch[0].next, "F");
    assert_eq!(t.catch[0].result_path, Some(IoPath::Path("$.err".into())));
    assert_eq!(t.catch[0].location, "/States/T/Catch/0");
    let StateKind::Fail(f) = &m.states.get("F").unwrap().kind else {
        panic!("not fail")
    };
    assert_eq!(
        (f.error.as_deref(), f.cause.as_deref()),
        (Some("E"), Some("C"))
    );
}

#[test]
fn map_item_processor_nested_locations() {
    let m = parse(json!({
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2,
                "ItemSelector": {"v.$": "$$.Map.Item.Value"},
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                    "StartAt": "Inner",
                    "States": {"Inner": {"Type": "Pass", "End": true}}
                },
                "Label": "lbl", "ToleratedFailurePercentage": 10,
                "End": true
            }
        }
    }));
    let StateKind::Map(map) = &m.states.get("M").unwrap().kind else {
        panic!("not map")
    };
    assert_eq!(map.processor_config.mode, MapMode::Distributed);
    assert_eq!(
        map.processor_config.execution_type,
        Some(ExecutionType::Express)
    );
    assert!(!map.legacy_iterator);
    assert_eq!(map.items_path.as_deref(), Some("$.items"));
    assert_eq!(map.max_concurrency, Some(MaybeExpr::Literal(2)));
    assert_eq!(
        map.tolerated_failure_percentage,
        Some(MaybeExpr::Literal(10.0))
    );
    assert_eq!(map.label.as_deref(), Some("lbl"));
    assert_eq!(map.item_selector, Some(json!({"v.$": "$$.Map.Item.Value"})));
    assert_eq!(map.item_processor.location, "/States/M/ItemProcessor");
    assert_eq!(
        map.item_processor.states.get("Inner").unwrap().location,
        "/States/M/ItemProcessor/States/Inner"
    );
}

#[test]
fn legacy_iterator_and_parameters() {
    let m = parse(json!({
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map", "Parameters": {"a.$": "$"},
                "Iterator": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}},
                "End": true
            }
        }
    }));
    let s = m.states.get("M").unwrap();
    assert_eq!(s.parameters, None);
    let StateKind::Map(map) = &s.kind else {
        panic!("not map")
    };
    assert!(map.legacy_iterator && map.legacy_parameters);
    assert_eq!(map.item_selector, Some(json!({"a.$": "$"})));
    assert_eq!(map.processor_config.mode, MapMode::Inline);
    assert_eq!(map.item_processor.location, "/States/M/Iterator");
}

#[test]
fn parallel_branches_and_choice_rules() {
    let m = parse(json!({
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}},
                    {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}}
                ],
                "Next": "C"
            },
            "C": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.x", "NumericEquals": 1, "Next": "W"}],
                "Default": "W"
            },
            "W": {"Type": "Wait", "Seconds": 3, "End": true}
        }
    }));
    let StateKind::Parallel(p) = &m.states.get("P").unwrap().kind else {
        panic!()
    };
    assert_eq!(p.branches.len(), 2);
    assert_eq!(p.branches[1].location, "/States/P/Branches/1");
    assert_eq!(
        p.branches[1].states.get("B").unwrap().location,
        "/States/P/Branches/1/States/B"
    );
    let StateKind::Choice(c) = &m.states.get("C").unwrap().kind else {
        panic!()
    };
    assert_eq!(c.default.as_deref(), Some("W"));
    assert_eq!(c.choices[0].next, "W");
    assert_eq!(c.choices[0].location, "/States/C/Choices/0");
    assert_eq!(
        c.choices[0].condition,
        ChoiceCondition::JsonPath(json!({"Variable": "$.x", "NumericEquals": 1, "Next": "W"}))
    );
    let StateKind::Wait(w) = &m.states.get("W").unwrap().kind else {
        panic!()
    };
    assert_eq!(w.wait, WaitFor::Seconds(MaybeExpr::Literal(3)));
}

#[test]
fn jsonata_fields_and_effective_query_language() {
    let m = parse(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "Choices": [{"Condition": "{% $states.input.x = 1 %}", "Next": "T",
                             "Output": {"a": 1}, "Assign": {"v": 2}}],
                "Default": "T"
            },
            "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                  "Arguments": {"FunctionName": "f"}, "Output": "{% $states.result %}",
                  "TimeoutSeconds": "{% 5 %}", "End": true}
        }
    }));
    assert_eq!(m.query_language, Some(QueryLanguage::Jsonata));
    let c = m.states.get("C").unwrap();
    assert_eq!(m.query_language_of(c), QueryLanguage::Jsonata);
    let StateKind::Choice(ch) = &c.kind else {
        panic!()
    };
    assert_eq!(
        ch.choices[0].condition,
        ChoiceCondition::Jsonata(json!("{% $states.input.x = 1 %}"))
    );
    assert_eq!(ch.choices[0].output, Some(json!({"a": 1})));
    assert_eq!(ch.choices[0].assign, Some(json!({"v": 2})));
    let t = m.states.get("T").unwrap();
    assert_eq!(t.output, Some(json!("{% $states.result %}")));
    let StateKind::Task(task) = &t.kind else {
        panic!()
    };
    assert_eq!(
        task.timeout_seconds,
        Some(MaybeExpr::Jsonata("{% 5 %}".into()))
    );
}

#[test]
fn nested_states_inherit_top_level_query_language() {
    let m = parse(json!({
        "StartAt": "Map", "QueryLanguage": "JSONPath",
        "States": {"Map": {"Type": "Map", "QueryLanguage": "JSONata",
            "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Pass",
                "States": {"Pass": {"Type": "Pass", "End": true}}}, "End": true}}
    }));
    let map = m.states.get("Map").unwrap();
    assert_eq!(m.query_language_of(map), QueryLanguage::Jsonata);
    let StateKind::Map(mm) = &map.kind else {
        panic!()
    };
    let inner = mm.item_processor.states.get("Pass").unwrap();
    assert_eq!(
        effective_query_language(m.query_language, inner),
        QueryLanguage::JsonPath
    );
}

#[test]
fn invalid_definition_is_an_error_not_a_panic() {
    let e = parse_definition("{}").unwrap_err();
    assert_eq!(
        e.message,
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are required: [States, StartAt] at /'"
    );
    assert!(parse_definition("not json").is_err());
    let deep = "[".repeat(100_000);
    assert!(parse_definition(&deep).is_err());
}

#[test]
fn find_state_searches_nested_bodies() {
    let m = parse(json!({
        "StartAt": "M",
        "States": {"M": {"Type": "Map", "End": true, "ItemProcessor": {"StartAt": "P",
            "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
                {"StartAt": "Deep", "States": {"Deep": {"Type": "Succeed"}}}]}}}}}
    }));
    let (state, body) = m.find_state("Deep").unwrap();
    assert_eq!(
        state.location,
        "/States/M/ItemProcessor/States/P/Branches/0/States/Deep"
    );
    assert_eq!(body.location, "/States/M/ItemProcessor/States/P/Branches/0");
    assert!(m.find_state("Nope").is_none());
}

#[test]
fn test_state_definitions() {
    use asl::parse::{parse_test_state_definition, TEST_STATE_NAME};
    use asl::validate::ValidateOptions;
    let opts = ValidateOptions::default();
    // A lone state may name a Next state that does not exist.
    let lone = json!({"Type": "Pass", "Result": 1, "Next": "Elsewhere"}).to_string();
    let (m, name) = parse_test_state_definition(&lone, None, &opts).unwrap();
    assert_eq!(name, TEST_STATE_NAME);
    assert_eq!(
        m.states.get(TEST_STATE_NAME).unwrap().next.as_deref(),
        Some("Elsewhere")
    );
    // ... but its own fields are still validated.
    let bad = json!({"Type": "Pass", "TimeoutSeconds": 1, "End": true}).to_string();
    let e = parse_test_state_definition(&bad, None, &opts).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Field 'TimeoutSeconds' is not supported at /States/StateName'"
    );
    // AWS's recorded answer for a lone Parallel without branches.
    let empty = json!({"Type": "Parallel", "Branches": [], "End": true}).to_string();
    assert_eq!(
        parse_test_state_definition(&empty, None, &opts).unwrap_err().to_string(),
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Value cannot be empty at /States/StateName/Branches'"
    );
    // A whole machine: the named state (nested ones too) or StartAt.
    let whole = json!({"StartAt": "A", "States": {"A": {"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "In", "States": {"In": {"Type": "Succeed"}}}}}})
    .to_string();
    assert_eq!(
        parse_test_state_definition(&whole, None, &opts).unwrap().1,
        "A"
    );
    assert_eq!(
        parse_test_state_definition(&whole, Some("In"), &opts)
            .unwrap()
            .1,
        "In"
    );
    assert_eq!(
        parse_test_state_definition(&whole, Some("Zz"), &opts).unwrap_err(),
        asl::parse::TestStateDefinitionError::StateNotFound
    );
}

#[test]
fn parse_with_a_jsonata_parser_refuses_bad_expressions() {
    use asl::parse::parse_definition_with_jsonata;
    use asl::validate::ValidateOptions;
    let parse = |e: &str| e.contains("((").then(|| "Expected \")\"".to_string());
    let ok = json!({"QueryLanguage": "JSONata", "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Output": "{% 1 + 1 %}", "End": true}}});
    assert!(
        parse_definition_with_jsonata(&ok.to_string(), &ValidateOptions::default(), &parse).is_ok()
    );
    let bad = json!({"QueryLanguage": "JSONata", "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Output": "{% ((1 %}", "End": true}}});
    let e = parse_definition_with_jsonata(&bad.to_string(), &ValidateOptions::default(), &parse)
        .unwrap_err();
    assert_eq!(
        e.message,
        "Invalid State Machine Definition: 'INVALID_JSONATA_EXPRESSION: Expected \")\" at /States/P/Output'"
    );
}
