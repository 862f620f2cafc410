//! Property tests: the intrinsic parser never panics, string literals round-trip through their
//! escapes, and evaluation never panics on arbitrary payloads.

use asl::intrinsics;
use asl::template::{Scope, SeededEntropy};
use proptest::prelude::*;
use serde_json::{json, Value};

fn escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if matches!(c, '\'' | '\\' | '{' | '}') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e9f64..1e9).prop_map(Value::from),
        "\\PC{0,6}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[a-c]", inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn arb_int_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((any::<String>(), inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

const FUNCTIONS: &[&str] = &[
    "Format",
    "StringToJson",
    "JsonToString",
    "Array",
    "ArrayPartition",
    "ArrayContains",
    "ArrayRange",
    "ArrayGetItem",
    "ArrayLength",
    "ArrayUnique",
    "Base64Encode",
    "Base64Decode",
    "Hash",
    "JsonMerge",
    "MathRandom",
    "MathAdd",
    "StringSplit",
    "UUID",
];

fn arb_arg() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("$.a".to_string()),
        Just("$.b".to_string()),
        Just("$.c[0]".to_string()),
        Just("$$".to_string()),
        (-5i64..20).prop_map(|n| n.to_string()),
        Just("1.5".to_string()),
        Just("true".to_string()),
        Just("false".to_string()),
        Just("null".to_string()),
        "[a-z{} ,]{0,5}".prop_map(|s| format!("'{}'", escape(&s))),
        Just("'SHA-256'".to_string()),
    ]
}

fn arb_call() -> impl Strategy<Value = String> {
    let leaf = (
        prop::sample::select(FUNCTIONS),
        prop::collection::vec(arb_arg(), 0..4),
    )
        .prop_map(|(f, args)| format!("States.{f}({})", args.join(", ")));
    leaf.prop_recursive(3, 8, 3, |inner| {
        (
            prop::sample::select(FUNCTIONS),
            prop::collection::vec(prop_oneof![arb_arg(), inner], 0..4),
        )
            .prop_map(|(f, args)| format!("States.{f}({})", args.join(", ")))
    })
}

proptest! {
    #[test]
    fn parse_never_panics(s in "\\PC{0,50}") {
        let _ = intrinsics::parse(&s);
    }

    #[test]
    fn parse_never_panics_on_call_like_text(s in "States\\.[A-Za-z]{0,12}\\([$.a-z0-9'\\\\{}(), \\-]{0,30}\\)?") {
        let _ = intrinsics::parse(&s);
    }

    #[test]
    fn string_literals_round_trip(s in "\\PC{0,20}") {
        let expr = format!("States.Array('{}')", escape(&s));
        let call = intrinsics::parse(&expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
        let entropy = SeededEntropy::new(0);
        let input = json!({});
        let out = call.evaluate(&Scope::with_input(&input, &entropy));
        prop_assert_eq!(out.ok(), Some(json!([s])));
    }

    #[test]
    fn format_literal_text_round_trips(s in "\\PC{0,20}") {
        let expr = format!("States.Format('{}')", escape(&s));
        let call = intrinsics::parse(&expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
        let entropy = SeededEntropy::new(0);
        let input = json!({});
        let out = call.evaluate(&Scope::with_input(&input, &entropy));
        prop_assert_eq!(out.ok(), Some(json!(s)));
    }

    #[test]
    fn json_to_string_matches_serde_without_decimals(v in arb_int_json()) {
        let entropy = SeededEntropy::new(0);
        let input = json!({ "v": v });
        let call = intrinsics::parse("States.JsonToString($.v)").unwrap_or_else(|e| panic!("{e}"));
        let out = call.evaluate(&Scope::with_input(&input, &entropy));
        prop_assert_eq!(out.ok(), Some(Value::String(serde_json::to_string(&input["v"]).unwrap_or_default())));
    }

    #[test]
    fn evaluation_never_panics(expr in arb_call(), a in arb_json(), b in arb_json(), c in arb_json()) {
        if let Ok(call) = intrinsics::parse(&expr) {
            let entropy = SeededEntropy::new(1);
            let input = json!({"a": a, "b": b, "c": c});
            let _ = call.evaluate(&Scope::with_input(&input, &entropy));
        }
    }
}
