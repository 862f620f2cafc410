//! Property tests: the JSONPath parser never panics, normalized paths round-trip, evaluation
//! never panics, and `set` then `evaluate` gives back what was set.

use asl::jsonpath::JsonPath;
use proptest::prelude::*;
use serde_json::Value;

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        "[a-c ]{0,3}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[a-c]{1,2}", inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn arb_segment() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-c]{1,2}".prop_map(|n| format!(".{n}")),
        "[a-c ,:]{1,3}".prop_map(|n| format!("['{n}']")),
        (-3i64..4).prop_map(|i| format!("[{i}]")),
        Just("[*]".to_string()),
        Just(".*".to_string()),
        "[a-c]{1,2}".prop_map(|n| format!("..{n}")),
        (0i64..3, 0i64..4).prop_map(|(a, b)| format!("[{a}:{b}]")),
        Just("[:2]".to_string()),
        Just("[-2:]".to_string()),
        ("[a-c]", "[a-c]").prop_map(|(a, b)| format!("['{a}','{b}']")),
        ("[a-c]", -2i64..3).prop_map(|(n, v)| format!("[?(@.{n} > {v})]")),
        "[a-c]".prop_map(|n| format!("[?(@.{n})]")),
        "[a-c]".prop_map(|n| format!("[?(@.{n} == 'a' || !@.b)]")),
    ]
}

fn arb_path() -> impl Strategy<Value = String> {
    prop::collection::vec(arb_segment(), 0..5).prop_map(|s| format!("${}", s.concat()))
}

fn arb_reference_path() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            "[a-c]{1,2}".prop_map(|n| format!(".{n}")),
            "[a-c ]{1,2}".prop_map(|n| format!("['{n}']")),
        ],
        0..4,
    )
    .prop_map(|s| format!("${}", s.concat()))
}

proptest! {
    #[test]
    fn parse_never_panics(s in "\\PC{0,40}") {
        let _ = JsonPath::parse(&s);
    }

    #[test]
    fn parse_never_panics_on_path_like_text(s in "\\$[\\$a-z.\\[\\]'\"*?@()=<>!&|,:0-9\\- ]{0,30}") {
        if let Ok(p) = JsonPath::parse(&s) {
            let _ = p.evaluate(&Value::Null);
        }
    }

    #[test]
    fn normalized_paths_round_trip(path in arb_path()) {
        let p = JsonPath::parse(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let n = p.normalized();
        // Filters normalize to `[?]`, which is not a path; everything else must re-parse.
        if !n.contains("[?]") {
            let again = JsonPath::parse(&n).unwrap_or_else(|e| panic!("{n}: {e}"));
            prop_assert_eq!(again.normalized(), n);
            prop_assert_eq!(again.is_definite(), p.is_definite());
        }
    }

    #[test]
    fn evaluation_never_panics(path in arb_path(), doc in arb_json()) {
        let p = JsonPath::parse(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        match p.evaluate(&doc) {
            Ok(v) => {
                if !p.is_definite() {
                    prop_assert!(v.is_array(), "indefinite paths give arrays");
                }
            }
            Err(e) => prop_assert!(p.is_definite(), "only definite paths fail: {}", e),
        }
    }

    #[test]
    fn set_then_evaluate_gives_the_value(path in arb_reference_path(), doc in arb_json(), v in arb_json()) {
        let p = JsonPath::parse(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        if let Ok(out) = p.set(doc, v.clone()) {
            let got = p.evaluate(&out).map(|c| c.into_owned());
            prop_assert_eq!(got.ok(), Some(v));
        }
    }
}
