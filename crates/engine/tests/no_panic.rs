//! Generated definitions and inputs never panic the engine, and every execution ends
//! (tasks fail at once without integrations; loops stop at the history limit).

mod common;
use common::*;
use engine::{ExecutionStatus, Program};
use proptest::prelude::*;
use serde_json::{json, Value};

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-5i64..50).prop_map(|n| json!(n)),
        (-5.0f64..5.0).prop_map(|f| json!(f)),
        "[a-z$.{}%' ]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[a-c]{1,2}", inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn arb_path() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("$".to_string()),
        "[a-c]{1,2}".prop_map(|k| format!("$.{k}")),
        "[a-c]{1,2}".prop_map(|k| format!("$.{k}[0]")),
        Just("$$.Execution.Input".to_string()),
        Just("$.a[*]".to_string()),
    ]
}

/// One state of kind `k` going to `next` (None: terminal).
fn state(k: u8, next: Option<String>, p: String, v: Value, jsonata: bool) -> Value {
    let mut s = match k % 9 {
        0 => json!({"Type": "Pass", "Result": v}),
        1 => json!({"Type": "Pass", "InputPath": p, "Parameters": {"x.$": p, "y": v}}),
        2 => json!({"Type": "Pass", "ResultPath": p, "OutputPath": "$"}),
        3 => json!({"Type": "Wait", "SecondsPath": p}),
        4 => json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                    "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2, "JitterStrategy": "FULL"}],
                    "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "End"}]}),
        5 => json!({"Type": "Map", "ItemsPath": p, "MaxConcurrency": 2,
                    "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}}),
        6 => json!({"Type": "Parallel", "Branches": [
                    {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}},
                    {"StartAt": "C", "States": {"C": {"Type": "Wait", "Seconds": 1, "End": true}}}]}),
        7 => json!({"Type": "Pass", "Assign": {"v.$": p}}),
        _ => json!({"Type": "Fail", "ErrorPath": p}),
    };
    if jsonata {
        s = json!({"Type": "Pass", "Output": format!("{{% $states.input.{} %}}", "a")});
    }
    if let Some(obj) = s.as_object_mut() {
        if obj.get("Type") != Some(&json!("Fail")) {
            match next {
                Some(n) => {
                    obj.insert("Next".into(), json!(n));
                }
                None => {
                    obj.insert("End".into(), json!(true));
                }
            }
        }
    }
    s
}

fn definition(kinds: &[(u8, String, Value, bool)], choice_loop: bool) -> Value {
    let mut states = serde_json::Map::new();
    let n = kinds.len();
    for (i, (k, p, v, j)) in kinds.iter().enumerate() {
        let next = if i + 1 < n {
            Some(format!("S{}", i + 1))
        } else {
            Some("End".to_string())
        };
        states.insert(format!("S{i}"), state(*k, next, p.clone(), v.clone(), *j));
    }
    if choice_loop {
        states.insert(
            "End".into(),
            json!({"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": true, "Next": "S0"}],
                   "Default": "Last"}),
        );
        states.insert("Last".into(), json!({"Type": "Succeed"}));
    } else {
        states.insert("End".into(), json!({"Type": "Succeed"}));
    }
    json!({"StartAt": "S0", "States": states})
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn generated_definitions_never_panic(
        kinds in prop::collection::vec((any::<u8>(), arb_path(), arb_json(), prop::bool::weighted(0.1)), 1..6),
        choice_loop in prop::bool::weighted(0.2),
        input in arb_json(),
    ) {
        let def = definition(&kinds, choice_loop);
        let Ok(machine) = asl::parse::parse_definition(&def.to_string()) else {
            return Ok(());
        };
        let Ok(program) = Program::compile(&machine) else {
            return Ok(());
        };
        let _ = program;
        let f = run(&def, input);
        prop_assert_ne!(f.outcome.status, ExecutionStatus::Running);
        // Every history is numbered 1..n with back-pointing previousEventIds.
        for (i, e) in f.history.iter().enumerate() {
            prop_assert_eq!(e.id, i as u64 + 1);
            prop_assert!(e.previous_event_id < e.id);
        }
    }
}
