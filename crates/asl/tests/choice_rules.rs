//! Choice rules: every operator and its `Path` form, type mismatches (false, as AWS records),
//! `StringMatches` escaping, timestamps, And/Or/Not, missing paths and parse errors.

use std::collections::HashMap;

use asl::choice::{parse_timestamp, ChoiceRule, StringPattern};
use asl::template::{Scope, SeededEntropy};
use serde_json::{json, Value};

fn check(rule: Value, input: Value) -> bool {
    let r = ChoiceRule::parse(&rule).unwrap_or_else(|e| panic!("{rule}: {e}"));
    let entropy = SeededEntropy::new(0);
    let ctx = json!({"Execution": {"Name": "n1"}});
    let mut vars = HashMap::new();
    vars.insert("limit".to_string(), json!(10));
    let scope = Scope::new(&input, &ctx, &entropy).with_variables(&vars);
    r.evaluate(&scope).unwrap_or_else(|e| panic!("{rule}: {e}"))
}

fn cmp(op: &str, literal: Value, variable: Value) -> bool {
    check(
        json!({"Variable": "$.v", op: literal, "Next": "X"}),
        json!({ "v": variable }),
    )
}

fn cmp_path(op: &str, variable: Value, other: Value) -> bool {
    check(
        json!({"Variable": "$.v", format!("{op}Path"): "$.o"}),
        json!({"v": variable, "o": other}),
    )
}

const SAMPLES: &[&str] = &[
    r#""""#,
    r#"" ""#,
    r#""HelloWorld""#,
    r#""2012-10-09T19:00:55Z""#,
    "0",
    "0.0",
    "1",
    "1.1",
    "true",
    "false",
    "null",
    "[]",
    r#"[""]"#,
    "{}",
    r#"{"A": 0}"#,
];

fn samples() -> Vec<Value> {
    SAMPLES
        .iter()
        .map(|s| serde_json::from_str(s).unwrap())
        .collect()
}

#[test]
fn string_comparisons() {
    assert!(cmp("StringEquals", json!("Hello"), json!("Hello")));
    assert!(!cmp("StringEquals", json!("     "), json!(" ")));
    assert!(!cmp("StringEquals", json!("\t\r\n"), json!("\t\n")));
    assert!(cmp("StringLessThan", json!("AB"), json!("A")));
    assert!(!cmp("StringLessThan", json!(""), json!("")));
    assert!(cmp("StringLessThanEquals", json!(""), json!("")));
    assert!(cmp("StringGreaterThan", json!("A"), json!("AB")));
    assert!(!cmp("StringGreaterThan", json!("A "), json!("A")));
    assert!(cmp("StringGreaterThanEquals", json!("A"), json!("AB")));
    assert!(!cmp("StringGreaterThanEquals", json!("AB"), json!("A")));
    assert!(cmp_path("StringEquals", json!("x"), json!("x")));
    assert!(cmp_path("StringLessThan", json!("a"), json!("b")));
    assert!(cmp_path("StringGreaterThan", json!("b"), json!("a")));
    assert!(cmp_path("StringLessThanEquals", json!("a"), json!("a")));
    assert!(cmp_path("StringGreaterThanEquals", json!("AB"), json!("A")));
    // Java orders strings by UTF-16 code units: U+1F600 is the surrogate pair D83D DE00, which
    // sorts before U+FF5E, unlike code-point order.
    assert!(cmp("StringLessThan", json!("\u{FF5E}"), json!("\u{1F600}")));
    // Non-strings never compare.
    for v in samples().into_iter().filter(|v| !v.is_string()) {
        assert!(!cmp("StringEquals", json!("HelloWorld"), v.clone()), "{v}");
        assert!(!cmp("StringLessThan", json!("zzz"), v.clone()), "{v}");
    }
}

#[test]
fn string_matches() {
    let m = |pattern: &str, s: &str| cmp("StringMatches", json!(pattern), json!(s));
    assert!(m("*.log", "a.log"));
    assert!(m("*.log", ".log"));
    assert!(!m("*.log", "a.log.txt"));
    assert!(m("log-*-*.txt", "log-1-2.txt"));
    assert!(m("a*b*c", "abc"));
    assert!(!m("a*b*c", "acb"));
    assert!(m("*", ""));
    assert!(m("exact", "exact"));
    assert!(!m("exact", "exactly"));
    assert!(m(r"a\*b", "a*b"));
    assert!(!m(r"a\*b", "axb"));
    assert!(m(r"a\\b", r"a\b"));
    assert!(m(r"a\\*", r"a\anything"));
    assert!(!cmp("StringMatches", json!("*"), json!(1)));
    let p = StringPattern::parse(r"x\*y*");
    assert!(p.matches("x*yz") && !p.matches("xzy"));
}

#[test]
fn numeric_comparisons() {
    assert!(cmp("NumericEquals", json!(1), json!(1.0)));
    assert!(cmp("NumericEquals", json!(0), json!(0.0)));
    assert!(!cmp("NumericEquals", json!(1), json!(1.1)));
    assert!(cmp("NumericLessThan", json!(1), json!(0)));
    assert!(!cmp("NumericLessThan", json!(0), json!(0.0)));
    assert!(cmp("NumericGreaterThan", json!(0), json!(1)));
    assert!(!cmp("NumericGreaterThan", json!(1), json!(1)));
    assert!(cmp("NumericLessThanEquals", json!(0), json!(0.0)));
    assert!(!cmp("NumericLessThanEquals", json!(0), json!(1)));
    assert!(cmp("NumericGreaterThanEquals", json!(1), json!(1)));
    assert!(cmp("NumericGreaterThanEquals", json!(-1.5), json!(-1)));
    assert!(cmp(
        "NumericEquals",
        json!(9007199254740993i64),
        json!(9007199254740993i64)
    ));
    assert!(!cmp(
        "NumericEquals",
        json!(9007199254740992i64),
        json!(9007199254740993i64)
    ));
    assert!(cmp_path("NumericEquals", json!(2.22), json!(2.22)));
    assert!(cmp_path("NumericLessThan", json!(0), json!(1)));
    assert!(cmp_path("NumericGreaterThan", json!(1), json!(0)));
    assert!(cmp_path("NumericLessThanEquals", json!(1), json!(1)));
    assert!(cmp_path("NumericGreaterThanEquals", json!(0.0), json!(0)));
    for v in samples().into_iter().filter(|v| !v.is_number()) {
        assert!(!cmp("NumericEquals", json!(0), v.clone()), "{v}");
        assert!(!cmp_path("NumericEquals", v.clone(), json!(1)), "{v}");
        assert!(
            !cmp("NumericGreaterThanEquals", json!(-100), v.clone()),
            "{v}"
        );
    }
}

#[test]
fn boolean_equals() {
    assert!(cmp("BooleanEquals", json!(true), json!(true)));
    assert!(cmp("BooleanEquals", json!(false), json!(false)));
    assert!(!cmp("BooleanEquals", json!(true), json!(false)));
    assert!(cmp_path("BooleanEquals", json!(false), json!(false)));
    assert!(!cmp_path("BooleanEquals", json!(false), json!(true)));
    for v in samples().into_iter().filter(|v| !v.is_boolean()) {
        assert!(!cmp("BooleanEquals", json!(true), v.clone()), "{v}");
        assert!(!cmp("BooleanEquals", json!(false), v.clone()), "{v}");
        assert!(!cmp_path("BooleanEquals", v.clone(), json!(true)), "{v}");
    }
}

#[test]
fn timestamp_comparisons() {
    let a = json!("2012-10-09T19:00:55Z");
    let b = json!("2012-10-09T19:00:56Z");
    assert!(cmp("TimestampEquals", a.clone(), a.clone()));
    assert!(!cmp("TimestampEquals", a.clone(), b.clone()));
    assert!(cmp("TimestampLessThan", b.clone(), a.clone()));
    assert!(!cmp("TimestampLessThan", a.clone(), a.clone()));
    assert!(cmp("TimestampGreaterThan", a.clone(), b.clone()));
    assert!(cmp("TimestampLessThanEquals", a.clone(), a.clone()));
    assert!(cmp("TimestampGreaterThanEquals", a.clone(), a.clone()));
    assert!(!cmp("TimestampGreaterThanEquals", b.clone(), a.clone()));
    // Offsets are instants: 20:00:55+01:00 is 19:00:55Z.
    assert!(cmp(
        "TimestampEquals",
        a.clone(),
        json!("2012-10-09T20:00:55+01:00")
    ));
    assert!(cmp(
        "TimestampLessThan",
        a.clone(),
        json!("2012-10-09T19:00:54.999999999Z")
    ));
    assert!(cmp_path("TimestampEquals", a.clone(), a.clone()));
    assert!(cmp_path("TimestampLessThan", a.clone(), b.clone()));
    assert!(cmp_path("TimestampGreaterThan", b.clone(), a.clone()));
    assert!(cmp_path("TimestampLessThanEquals", a.clone(), a.clone()));
    assert!(!cmp_path(
        "TimestampGreaterThanEquals",
        a.clone(),
        b.clone()
    ));
    // Not a timestamp: false, never an error.
    for v in [
        json!("2012-10-09T19:00:55"),
        json!("2023-02-24"),
        json!(1),
        Value::Null,
    ] {
        assert!(!cmp("TimestampEquals", a.clone(), v.clone()), "{v}");
        assert!(!cmp("TimestampLessThan", b.clone(), v.clone()), "{v}");
    }
}

#[test]
fn timestamp_parsing_follows_aws() {
    for ok in [
        "2016-03-05T21:29:29.243167252Z",
        "2016-03-05T21:29:29Z",
        "2016-03-05t21:29:29z",
        "2016-03-05T21:29Z",
        "2016-03-05T21:29:29.5+05:30",
        "2016-03-05T21:29:29-08:00",
        "2016-02-29T00:00:00Z",
    ] {
        assert!(parse_timestamp(ok).is_some(), "{ok}");
    }
    // The invalid inputs AWS recorded for Wait, and other malformed forms.
    for bad in [
        "2016-13-05T21:29:29Z",
        "2016-12-05T25:29:29Z",
        "2016-12-05T21:29:29",
        "05-12-2016T21:29:29Z",
        "2016-12-05 21:29:29Z",
        "2015-02-29T00:00:00Z",
        "2016-03-05T21:29:29.1234567890Z",
        "2016-03-05T21:29:29+0100",
        "2016-03-05",
        "",
    ] {
        assert!(parse_timestamp(bad).is_none(), "{bad}");
    }
    assert!(parse_timestamp("1970-01-01T00:00:01Z").unwrap().0 == 1_000_000_000);
}

#[test]
fn type_tests() {
    for v in samples() {
        let is_ts = v.as_str().is_some_and(|s| parse_timestamp(s).is_some());
        for (op, expect) in [
            ("IsNull", v.is_null()),
            ("IsPresent", true),
            ("IsNumeric", v.is_number()),
            ("IsString", v.is_string()),
            ("IsBoolean", v.is_boolean()),
            ("IsTimestamp", is_ts),
        ] {
            assert_eq!(cmp(op, json!(true), v.clone()), expect, "{op} true on {v}");
            assert_eq!(
                cmp(op, json!(false), v.clone()),
                !expect,
                "{op} false on {v}"
            );
        }
    }
}

#[test]
fn is_present_on_missing_paths() {
    assert!(!check(
        json!({"Variable": "$.nope", "IsPresent": true}),
        json!({})
    ));
    assert!(check(
        json!({"Variable": "$.nope", "IsPresent": false}),
        json!({})
    ));
    assert!(!check(
        json!({"Variable": "$.a.b.c", "IsPresent": true}),
        json!({"a": 1})
    ));
}

#[test]
fn combinators() {
    let input = json!({"n": 5, "s": "x"});
    let gt = |n: i64| json!({"Variable": "$.n", "NumericGreaterThan": n});
    assert!(check(
        json!({"And": [gt(1), gt(4)], "Next": "X"}),
        input.clone()
    ));
    assert!(!check(json!({"And": [gt(1), gt(5)]}), input.clone()));
    assert!(check(json!({"Or": [gt(10), gt(4)]}), input.clone()));
    assert!(!check(json!({"Or": [gt(10), gt(5)]}), input.clone()));
    assert!(check(json!({"Not": gt(5)}), input.clone()));
    assert!(!check(json!({"Not": gt(4)}), input.clone()));
    assert!(check(
        json!({"And": [{"Not": {"Variable": "$.s", "StringEquals": "y"}}, {"Or": [gt(100), {"Variable": "$.s", "IsString": true}]}]}),
        input.clone()
    ));
    // Short-circuit: the missing path after a decided And/Or is never read.
    assert!(!check(
        json!({"And": [gt(100), {"Variable": "$.missing", "NumericEquals": 1}]}),
        input.clone()
    ));
    assert!(check(
        json!({"Or": [gt(1), {"Variable": "$.missing", "NumericEquals": 1}]}),
        input
    ));
}

#[test]
fn context_and_variable_paths() {
    assert!(check(
        json!({"Variable": "$$.Execution.Name", "StringEquals": "n1"}),
        json!({})
    ));
    assert!(check(
        json!({"Variable": "$.n", "NumericLessThanPath": "$limit"}),
        json!({"n": 3})
    ));
    assert!(check(
        json!({"Variable": "$limit", "NumericEquals": 10}),
        json!({})
    ));
}

#[test]
fn missing_variable_is_a_runtime_error() {
    let rule = ChoiceRule::parse(&json!({"Variable": "$.x", "StringEquals": "a"})).unwrap();
    let e = SeededEntropy::new(0);
    let input = json!({});
    let err = rule.evaluate(&Scope::with_input(&input, &e)).unwrap_err();
    assert_eq!(err.error, "States.Runtime");
    assert_eq!(
        err.cause,
        "Invalid path '$.x': The choice state's condition path references an invalid value."
    );
    let rule = ChoiceRule::parse(&json!({"Variable": "$.a", "StringEqualsPath": "$.b"})).unwrap();
    let input = json!({"a": "x"});
    let err = rule.evaluate(&Scope::with_input(&input, &e)).unwrap_err();
    assert_eq!(
        err.cause,
        "Invalid path '$.b': The choice state's condition path references an invalid value."
    );
}

#[test]
fn parse_errors() {
    for (rule, pointer) in [
        (json!({"Variable": "$.a"}), ""),
        (json!({"StringEquals": "a"}), ""),
        (json!({"Variable": "a", "StringEquals": "a"}), ""),
        (json!({"Variable": "$.a", "StringEquals": 1}), ""),
        (json!({"Variable": "$.a", "NumericEquals": "1"}), ""),
        (json!({"Variable": "$.a", "BooleanEquals": "true"}), ""),
        (json!({"Variable": "$.a", "IsNull": "yes"}), ""),
        (
            json!({"Variable": "$.a", "TimestampEquals": "2016-12-05"}),
            "",
        ),
        (json!({"Variable": "$.a", "StringEqualsPath": "nope"}), ""),
        (json!({"Variable": "$.a", "StringMatchesPath": "$.b"}), ""),
        (json!({"Variable": "$.a", "IsNullPath": "$.b"}), ""),
        (
            json!({"Variable": "$.a", "StringEquals": "a", "NumericEquals": 1}),
            "",
        ),
        (json!({"Variable": "$.a", "Unknown": 1}), ""),
        (json!({"And": []}), "/And"),
        (json!({"And": {}}), ""),
        (json!({"Or": [{"Variable": "$.a"}]}), "/Or/0"),
        (
            json!({"Not": {"Not": {"Variable": "$.a", "Next": "X", "IsNull": true}}}),
            "/Not/Not",
        ),
        (
            json!({"Variable": "$.a", "And": [{"Variable": "$.a", "IsNull": true}]}),
            "",
        ),
        (json!("rule"), ""),
    ] {
        match ChoiceRule::parse(&rule) {
            Ok(r) => panic!("{rule} should be rejected, got {r:?}"),
            Err(e) => assert_eq!(e.pointer, pointer, "{rule}: {}", e.message),
        }
    }
}

#[test]
fn deep_nesting_is_rejected_not_overflowed() {
    let mut rule = json!({"Variable": "$.a", "IsNull": true});
    for _ in 0..100 {
        rule = json!({ "Not": rule });
    }
    assert!(ChoiceRule::parse(&rule).is_err());
}
