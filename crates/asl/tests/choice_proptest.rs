//! Property tests: Choice rules and templates never panic on arbitrary JSON, and escaped
//! `StringMatches` patterns match exactly their text.

use asl::choice::{ChoiceRule, StringPattern};
use asl::template::{PayloadTemplate, Scope, SeededEntropy};
use proptest::prelude::*;
use serde_json::{json, Value};

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        prop_oneof![
            Just("$.a".to_string()),
            Just("$.b.c".to_string()),
            Just("2012-10-09T19:00:55Z".to_string()),
            Just("States.Array($.a)".to_string()),
            "\\PC{0,5}"
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop::sample::select(vec![
                        "Variable",
                        "And",
                        "Or",
                        "Not",
                        "StringEquals",
                        "NumericLessThan",
                        "BooleanEquals",
                        "IsNull",
                        "IsPresent",
                        "TimestampEquals",
                        "StringMatches",
                        "StringEqualsPath",
                        "x.$",
                        "y",
                        "Next",
                    ]),
                    inner
                ),
                0..4
            )
            .prop_map(|kv| Value::Object(
                kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
            )),
        ]
    })
}

fn escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if matches!(c, '*' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

proptest! {
    #[test]
    fn choice_rules_never_panic(rule in arb_json(), input in arb_json()) {
        if let Ok(r) = ChoiceRule::parse(&rule) {
            let entropy = SeededEntropy::new(0);
            let input = json!({"a": input, "b": {"c": 1}});
            let _ = r.evaluate(&Scope::with_input(&input, &entropy));
        }
    }

    #[test]
    fn templates_never_panic(template in arb_json(), input in arb_json()) {
        if let Ok(t) = PayloadTemplate::compile(&template) {
            let entropy = SeededEntropy::new(0);
            let _ = t.evaluate(&Scope::with_input(&input, &entropy));
        }
    }

    #[test]
    fn escaped_patterns_match_exactly_their_text(s in "\\PC{0,12}", extra in "\\PC{1,3}") {
        let p = StringPattern::parse(&escape(&s));
        prop_assert!(p.matches(&s));
        let longer = format!("{s}{extra}");
        prop_assert!(!p.matches(&longer));
        let star = StringPattern::parse(&format!("*{}", escape(&s)));
        let prefixed = format!("{}{}", extra, s);
        prop_assert!(star.matches(&prefixed));
        prop_assert_eq!(star.matches(&longer), longer.ends_with(s.as_str()));
    }
}
