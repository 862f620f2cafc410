//! Property tests: generated definitions round-trip through JSON into the same model, and no
//! input — arbitrary JSON anywhere in a definition, arbitrary text — makes the parser or the
//! validator panic.

use asl::model::*;
use asl::parse::parse_definition;
use asl::validate::{validate, ValidateOptions};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// The type-specific part of a generated state.
#[derive(Debug, Clone)]
enum Spec {
    Pass {
        result: Option<i64>,
    },
    Wait {
        seconds: u64,
    },
    Task {
        timeout: Option<u64>,
        retry: Option<(u64, u64, f64)>,
    },
}

fn spec() -> impl Strategy<Value = Spec> {
    prop_oneof![
        proptest::option::of(any::<i64>()).prop_map(|result| Spec::Pass { result }),
        (0u64..99_999_999).prop_map(|seconds| Spec::Wait { seconds }),
        (
            proptest::option::of(1u64..99_999_999),
            proptest::option::of((1u64..100, 0u64..100, 1.0f64..10.0)),
        )
            .prop_map(|(timeout, retry)| Spec::Task { timeout, retry }),
    ]
}

#[derive(Debug, Clone)]
enum Last {
    End,
    Succeed,
    Fail(String, String),
}

fn last() -> impl Strategy<Value = Last> {
    prop_oneof![
        Just(Last::End),
        Just(Last::Succeed),
        ("[A-Za-z.]{1,12}", "[ -~]{0,20}").prop_map(|(e, c)| Last::Fail(e, c)),
    ]
}

fn state_json(spec: &Spec, next: Option<&str>) -> Value {
    let mut o = Map::new();
    match spec {
        Spec::Pass { result } => {
            o.insert("Type".into(), json!("Pass"));
            if let Some(r) = result {
                o.insert("Result".into(), json!(r));
            }
        }
        Spec::Wait { seconds } => {
            o.insert("Type".into(), json!("Wait"));
            o.insert("Seconds".into(), json!(seconds));
        }
        Spec::Task { timeout, retry } => {
            o.insert("Type".into(), json!("Task"));
            o.insert("Resource".into(), json!("arn:aws:states:::lambda:invoke"));
            if let Some(t) = timeout {
                o.insert("TimeoutSeconds".into(), json!(t));
            }
            if let Some((i, m, b)) = retry {
                o.insert(
                    "Retry".into(),
                    json!([{"ErrorEquals": ["States.ALL"], "IntervalSeconds": i,
                            "MaxAttempts": m, "BackoffRate": b}]),
                );
            }
        }
    }
    match next {
        Some(n) => o.insert("Next".into(), json!(n)),
        None => o.insert("End".into(), json!(true)),
    };
    Value::Object(o)
}

proptest! {
    #![proptest_config(ProptestConfig::default())]

    #[test]
    fn generated_definitions_round_trip(specs in proptest::collection::vec(spec(), 0..8), last in last(), comment in proptest::option::of("[ -~]{0,30}")) {
        let names: Vec<String> = (0..=specs.len()).map(|i| format!("S{i}")).collect();
        let mut states = Map::new();
        for (i, s) in specs.iter().enumerate() {
            states.insert(names[i].clone(), state_json(s, Some(&names[i + 1])));
        }
        let last_name = &names[specs.len()];
        let last_json = match &last {
            Last::End => json!({"Type": "Pass", "End": true}),
            Last::Succeed => json!({"Type": "Succeed"}),
            Last::Fail(e, c) => json!({"Type": "Fail", "Error": e, "Cause": c}),
        };
        states.insert(last_name.clone(), last_json);
        let mut def = json!({"StartAt": "S0", "States": states});
        if let Some(c) = &comment {
            def["Comment"] = json!(c);
        }
        let m = parse_definition(&def.to_string()).map_err(|e| TestCaseError::fail(e.message))?;

        prop_assert_eq!(&m.start_at, "S0");
        prop_assert_eq!(&m.comment, &comment);
        prop_assert_eq!(m.states.len(), specs.len() + 1);
        for (i, s) in specs.iter().enumerate() {
            let st = m.states.at(i).ok_or_else(|| TestCaseError::fail("missing state"))?;
            prop_assert_eq!(&st.name, &names[i]);
            prop_assert_eq!(&st.location, &format!("/States/{}", names[i]));
            prop_assert_eq!(st.next.as_deref(), Some(names[i + 1].as_str()));
            prop_assert!(!st.end);
            match (s, &st.kind) {
                (Spec::Pass { result }, StateKind::Pass(p)) => {
                    prop_assert_eq!(&p.result, &result.map(|r| json!(r)));
                }
                (Spec::Wait { seconds }, StateKind::Wait(w)) => {
                    prop_assert_eq!(&w.wait, &WaitFor::Seconds(MaybeExpr::Literal(*seconds)));
                }
                (Spec::Task { timeout, retry }, StateKind::Task(t)) => {
                    prop_assert_eq!(&t.resource, "arn:aws:states:::lambda:invoke");
                    prop_assert_eq!(&t.timeout_seconds, &timeout.map(MaybeExpr::Literal));
                    match retry {
                        Some((i, mx, b)) => {
                            prop_assert_eq!(st.retry.len(), 1);
                            prop_assert_eq!(st.retry[0].interval_seconds, *i);
                            prop_assert_eq!(st.retry[0].max_attempts, *mx);
                            prop_assert_eq!(st.retry[0].backoff_rate, *b);
                            prop_assert_eq!(&st.retry[0].error_equals, &vec!["States.ALL".to_string()]);
                        }
                        None => prop_assert!(st.retry.is_empty()),
                    }
                }
                (s, k) => prop_assert!(false, "spec {:?} built {:?}", s, k),
            }
        }
        let lst = m.states.get(last_name).ok_or_else(|| TestCaseError::fail("missing last"))?;
        prop_assert!(lst.is_terminal());
        match (&last, &lst.kind) {
            (Last::End, StateKind::Pass(_)) => prop_assert!(lst.end),
            (Last::Succeed, StateKind::Succeed) => {}
            (Last::Fail(e, c), StateKind::Fail(f)) => {
                prop_assert_eq!(f.error.as_deref(), Some(e.as_str()));
                prop_assert_eq!(f.cause.as_deref(), Some(c.as_str()));
            }
            (l, k) => prop_assert!(false, "last {:?} built {:?}", l, k),
        }
    }
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1e6f64..1e6).prop_map(|f| json!(f)),
        prop_oneof![
            "[ -~]{0,12}",
            Just("$".to_string()),
            Just("$.a[".to_string()),
            Just("States.Format('{}', $.x)".to_string()),
            Just("{% $states.input %}".to_string()),
            Just("arn:aws:states:::lambda:invoke".to_string()),
            Just("2016-03-14T01:59:00Z".to_string()),
            Just("S".to_string()),
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::vec(
                (
                    prop_oneof![
                        "[A-Za-z.$]{1,10}",
                        Just("Type".to_string()),
                        Just("Next".to_string()),
                        Just("End".to_string()),
                        Just("States".to_string()),
                        Just("StartAt".to_string()),
                        Just("Choices".to_string()),
                        Just("Branches".to_string()),
                        Just("ItemProcessor".to_string()),
                        Just("Retry".to_string()),
                        Just("Catch".to_string()),
                        Just("x.$".to_string()),
                    ],
                    inner
                ),
                0..6
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

const FIELDS: &[&str] = &[
    "Type",
    "Next",
    "End",
    "Resource",
    "Parameters",
    "ResultPath",
    "InputPath",
    "Retry",
    "Catch",
    "Choices",
    "Default",
    "Branches",
    "ItemProcessor",
    "Iterator",
    "Seconds",
    "Timestamp",
    "TimeoutSeconds",
    "HeartbeatSeconds",
    "Credentials",
    "Label",
    "ItemReader",
    "ResultWriter",
    "ItemBatcher",
    "MaxConcurrency",
    "QueryLanguage",
    "Assign",
    "Output",
    "Arguments",
];

proptest! {
    #![proptest_config(ProptestConfig::default())]

    #[test]
    fn arbitrary_json_never_panics(v in arb_json()) {
        let text = v.to_string();
        let valid = validate(&text, &ValidateOptions::default()).is_ok();
        prop_assert_eq!(parse_definition(&text).is_ok(), valid);
    }

    #[test]
    fn arbitrary_field_values_never_panic(
        ty in prop_oneof![Just("Task"), Just("Pass"), Just("Choice"), Just("Map"),
                          Just("Parallel"), Just("Wait"), Just("Fail"), Just("Succeed")],
        fields in proptest::collection::vec((0..FIELDS.len(), arb_json()), 0..6),
    ) {
        let mut state = Map::new();
        state.insert("Type".into(), json!(ty));
        for (i, v) in fields {
            state.insert(FIELDS[i].to_string(), v);
        }
        let def = json!({"StartAt": "S", "States": {"S": state}}).to_string();
        let valid = validate(&def, &ValidateOptions::default()).is_ok();
        // Whatever the validator accepts, the model builder must be able to build.
        prop_assert_eq!(parse_definition(&def).is_ok(), valid);
        let _ = asl::parse::parse_test_state_definition(
            &Value::Object(state).to_string(), None, &ValidateOptions::default());
    }

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,64}") {
        let _ = validate(&s, &ValidateOptions::default());
        let _ = parse_definition(&s);
    }
}
