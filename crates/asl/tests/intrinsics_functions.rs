//! Every intrinsic function: results as AWS records them, limits, and each failure.

use std::collections::HashMap;

use asl::intrinsics::{self, java_random_next_int, IntrinsicArg, IntrinsicFunction};
use asl::template::{Scope, SeededEntropy};
use serde_json::{json, Value};

fn run_with(expr: &str, input: &Value, entropy: &SeededEntropy) -> Result<Value, (String, String)> {
    let call = intrinsics::parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
    let context = json!({"Execution": {"Name": "exec-1"}, "StateMachine": {"Id": "arn:sm", "Name": "my-machine-x"}});
    let scope = Scope::new(input, &context, entropy);
    call.evaluate(&scope).map_err(|e| (e.error, e.cause))
}

fn run(expr: &str, input: &Value) -> Result<Value, (String, String)> {
    run_with(expr, input, &SeededEntropy::new(3))
}

fn ok(expr: &str, input: Value) -> Value {
    run(expr, &input).unwrap_or_else(|e| panic!("{expr}: {e:?}"))
}

/// Asserts an `States.IntrinsicFailure` whose cause contains `fragment`.
fn fails(expr: &str, input: Value, fragment: &str) {
    match run(expr, &input) {
        Ok(v) => panic!("{expr} should fail, got {v}"),
        Err((error, cause)) => {
            assert_eq!(error, "States.IntrinsicFailure", "{expr}: {cause}");
            assert!(
                cause.contains(fragment),
                "{expr}: cause {cause:?} lacks {fragment:?}"
            );
        }
    }
}

// --- parsing ---

#[test]
fn parser_reads_every_argument_kind() {
    let c = intrinsics::parse("States.Array('s', 1, -2, 3.5, -0.25, true, false, null, $.p, $$.Execution.Id, $var.x, States.UUID())").unwrap();
    assert_eq!(c.function, IntrinsicFunction::Array);
    let kinds: Vec<&str> = c
        .args
        .iter()
        .map(|a| match a {
            IntrinsicArg::String(_) => "str",
            IntrinsicArg::Number(_) => "num",
            IntrinsicArg::Bool(_) => "bool",
            IntrinsicArg::Null => "null",
            IntrinsicArg::Path(_) => "path",
            IntrinsicArg::Call(_) => "call",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "str", "num", "num", "num", "num", "bool", "bool", "null", "path", "path", "path",
            "call"
        ]
    );
    assert_eq!(
        ok("States.Array(1, -2, 3.5, -0.25, true, null)", json!({})),
        json!([1, -2, 3.5, -0.25, true, null])
    );
}

#[test]
fn parser_string_escapes() {
    let c = intrinsics::parse(r"States.Format('it\'s \{\} a \\ b')").unwrap();
    match &c.args[0] {
        IntrinsicArg::String(s) => {
            assert_eq!(s.value, r"it's {} a \ b");
            assert_eq!(s.raw, r"it\'s \{\} a \\ b");
        }
        other => panic!("{other:?}"),
    }
    // AWS rejects `\"` inside an intrinsic string (recorded as an invalid definition).
    assert!(intrinsics::parse(r#"States.StringToJson('{"text":"An \"x\" here"}')"#).is_err());
    assert!(intrinsics::parse(r#"States.Format('He said, \"Hello, {}!\"', 'x')"#).is_err());
    // Unescaped braces and double quotes are fine.
    assert!(intrinsics::parse(r#"States.StringToJson('{"a": "b"}')"#).is_ok());
}

#[test]
fn parser_rejects_malformed_calls() {
    for bad in [
        "States.Nope()",
        "States.Format",
        "States.Format('a'",
        "States.Format('a',)",
        "States.Format('a' 'b')",
        "States.Array(abc)",
        "States.Array('unterminated)",
        "States.Array(1.)",
        "States.Array($.)",
        "States.Array() extra",
        "Format('x')",
    ] {
        assert!(intrinsics::parse(bad).is_err(), "{bad} should be rejected");
    }
}

#[test]
fn parser_paths_may_hold_commas_and_parentheses() {
    let c = intrinsics::parse("States.Array($['a,b'], $.l[?(@.x == ')')], $.z)").unwrap();
    assert_eq!(c.args.len(), 3);
}

#[test]
fn nesting_is_limited_to_ten() {
    let mut expr = "States.Array()".to_string();
    for _ in 0..9 {
        expr = format!("States.Array({expr})");
    }
    assert!(
        intrinsics::parse(&expr).is_ok(),
        "10 nested calls are allowed"
    );
    let eleven = format!("States.Array({expr})");
    assert!(intrinsics::parse(&eleven).is_err());
    // Deep garbage must not overflow the stack either.
    let deep = "States.Array(".repeat(10_000);
    assert!(intrinsics::parse(&deep).is_err());
}

#[test]
fn arity_is_checked() {
    assert!(intrinsics::parse("States.UUID(1)")
        .unwrap()
        .check_arity()
        .is_err());
    assert!(intrinsics::parse("States.Hash('a')")
        .unwrap()
        .check_arity()
        .is_err());
    assert!(intrinsics::parse("States.MathRandom(1, 2)")
        .unwrap()
        .check_arity()
        .is_ok());
    assert!(intrinsics::parse("States.MathRandom(1, 2, 3)")
        .unwrap()
        .check_arity()
        .is_ok());
    fails("States.ArrayLength()", json!({}), "States.ArrayLength");
    fails("States.Format()", json!({}), "States.Format");
}

// --- functions ---

#[test]
fn format() {
    let f = "States.Format('Formatting arguments fst={} and snd={}.', $.fst, $.snd)";
    assert_eq!(
        ok(f, json!({"fst": "", "snd": " "})),
        json!("Formatting arguments fst= and snd= .")
    );
    assert_eq!(
        ok(f, json!({"fst": null, "snd": 1.1})),
        json!("Formatting arguments fst=null and snd=1.1.")
    );
    assert_eq!(
        ok(f, json!({"fst": 1, "snd": true})),
        json!("Formatting arguments fst=1 and snd=true.")
    );
    assert_eq!(
        ok(
            f,
            json!({"fst": {"Arg1": 1, "Arg2": []}, "snd": ["a", {"b": null}]})
        ),
        json!("Formatting arguments fst={Arg1=1, Arg2=[]} and snd=[a, {b=null}].")
    );
    assert_eq!(
        ok(
            "States.Format('{} and {}', $$.Execution.Name, $$.StateMachine)",
            json!({})
        ),
        json!("exec-1 and {Id=arn:sm, Name=my-machine-x}")
    );
    assert_eq!(
        ok(r"States.Format('\{\} {} \\ it\'s', 'x')", json!({})),
        json!(r"{} x \ it's")
    );
    assert_eq!(
        ok("States.Format('no placeholders')", json!({})),
        json!("no placeholders")
    );
    // A template read from the payload has no escapes.
    assert_eq!(
        ok("States.Format($.t, 'x')", json!({"t": "C:\\dir\\{}"})),
        json!("C:\\dir\\x")
    );
    assert_eq!(
        ok("States.Format('{}', $.n)", json!({"n": 1e20})),
        json!("1.0E20")
    );
    assert_eq!(
        ok("States.Format('{}', $.n)", json!({"n": 100.0})),
        json!("100.0")
    );
    assert_eq!(
        ok("States.Format('{}', $.n)", json!({"n": 0.0001})),
        json!("1.0E-4")
    );
}

#[test]
fn format_errors() {
    fails("States.Format('{} {}', 'a')", json!({}), "does not match");
    fails("States.Format('{}', 'a', 'b')", json!({}), "does not match");
    fails(
        "States.Format($.t, 'a')",
        json!({"t": 5}),
        "must be a string",
    );
}

#[test]
fn string_to_json() {
    let f = "States.StringToJson($.s)";
    for (s, expect) in [
        ("", Value::Null),
        (" ", Value::Null),
        ("null", Value::Null),
        ("-0", json!(0)),
        ("1", json!(1)),
        ("1.1", json!(1.1)),
        ("true", json!(true)),
        ("\"HelloWorld\"", json!("HelloWorld")),
        ("[1, 2, \"HelloWorld\"]", json!([1, 2, "HelloWorld"])),
        (
            "{\"Arg1\": 1, \"Arg2\": []}",
            json!({"Arg1": 1, "Arg2": []}),
        ),
    ] {
        assert_eq!(ok(f, json!({ "s": s })), expect, "{s:?}");
    }
    fails(f, json!({"s": "{not json"}), "not a valid JSON");
    fails(f, json!({"s": 5}), "expected a string");
}

#[test]
fn json_to_string() {
    let f = "States.JsonToString($.v)";
    for (v, expect) in [
        (Value::Null, "null"),
        (json!(0), "0"),
        (json!(1.1), "1.1"),
        (json!(true), "true"),
        (json!("HelloWorld"), "\"HelloWorld\""),
        (json!([1, 2, "HelloWorld"]), "[1,2,\"HelloWorld\"]"),
        (json!({"Arg1": 1, "Arg2": []}), "{\"Arg1\":1,\"Arg2\":[]}"),
        (
            json!({"k\"": "a\nb", "big": 1e20, "small": 0.0001, "neg": -2.5}),
            "{\"k\\\"\":\"a\\nb\",\"big\":1.0E20,\"small\":1.0E-4,\"neg\":-2.5}",
        ),
    ] {
        assert_eq!(ok(f, json!({ "v": v })), json!(expect));
    }
}

#[test]
fn array() {
    assert_eq!(ok("States.Array()", json!({})), json!([]));
    assert_eq!(
        ok("States.Array($.a, $.b)", json!({"a": {"x": []}, "b": null})),
        json!([{"x": []}, null])
    );
}

#[test]
fn array_partition() {
    let f = "States.ArrayPartition($.a, $.n)";
    assert_eq!(ok(f, json!({"a": [], "n": 3})), json!([]));
    assert_eq!(ok(f, json!({"a": [0, 1, 2], "n": 2})), json!([[0, 1], [2]]));
    assert_eq!(
        ok(f, json!({"a": [0, 1, 2, 3], "n": 4})),
        json!([[0, 1, 2, 3]])
    );
    assert_eq!(ok(f, json!({"a": [0, 1], "n": 5})), json!([[0, 1]]));
    assert_eq!(
        ok(f, json!({"a": [0, 1, 2], "n": 1})),
        json!([[0], [1], [2]])
    );
    fails(f, json!({"a": [1], "n": 0}), "greater than 0");
    fails(f, json!({"a": [1], "n": -1}), "greater than 0");
    fails(f, json!({"a": [1], "n": 1.5}), "must be an integer");
    fails(f, json!({"a": "x", "n": 1}), "expected an array");
}

#[test]
fn array_contains() {
    let f = "States.ArrayContains($.a, $.v)";
    assert_eq!(
        ok(f, json!({"a": [1, "x", {"k": 1}], "v": "x"})),
        json!(true)
    );
    assert_eq!(
        ok(f, json!({"a": [1, "x", {"k": 1}], "v": {"k": 1}})),
        json!(true)
    );
    assert_eq!(ok(f, json!({"a": [1, 2], "v": 3})), json!(false));
    fails(f, json!({"a": {}, "v": 3}), "expected an array");
}

#[test]
fn array_range() {
    let f = "States.ArrayRange($.a, $.b, $.c)";
    assert_eq!(ok(f, json!({"a": 0, "b": 9, "c": 3})), json!([0, 3, 6, 9]));
    assert_eq!(ok(f, json!({"a": 0, "b": 10, "c": 3})), json!([0, 3, 6, 9]));
    assert_eq!(ok(f, json!({"a": 1, "b": 9, "c": 9})), json!([1]));
    assert_eq!(
        ok(f, json!({"a": 1, "b": 9, "c": 2})),
        json!([1, 3, 5, 7, 9])
    );
    assert_eq!(ok(f, json!({"a": 5, "b": 1, "c": -2})), json!([5, 3, 1]));
    assert_eq!(ok(f, json!({"a": 5, "b": 1, "c": 2})), json!([]));
    assert_eq!(
        ok(f, json!({"a": 1, "b": 1000, "c": 1}))
            .as_array()
            .map(Vec::len),
        Some(1000)
    );
    fails(f, json!({"a": 0, "b": 1000, "c": 1}), "maximum of 1000");
    fails(f, json!({"a": 0, "b": 5, "c": 0}), "step");
    fails(f, json!({"a": "0", "b": 5, "c": 1}), "must be an integer");
}

#[test]
fn array_get_item() {
    let f = "States.ArrayGetItem($.a, $.i)";
    assert_eq!(
        ok(f, json!({"a": [1, 2, 3, 4, 5, 6, 7, 8, 9], "i": 5})),
        json!(6)
    );
    fails(f, json!({"a": [1], "i": 1}), "out of bounds");
    fails(f, json!({"a": [1], "i": -1}), "out of bounds");
    // AWS-documented nesting example.
    assert_eq!(
        ok(
            "States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), 0)",
            json!({})
        ),
        json!("my")
    );
}

#[test]
fn array_length() {
    assert_eq!(
        ok("States.ArrayLength($.a)", json!({"a": [1, 2, 3]})),
        json!(3)
    );
    assert_eq!(ok("States.ArrayLength($.a)", json!({"a": []})), json!(0));
    fails(
        "States.ArrayLength($.a)",
        json!({"a": "abc"}),
        "expected an array",
    );
}

#[test]
fn array_unique() {
    assert_eq!(
        ok(
            "States.ArrayUnique($.a)",
            json!({"a": [1, 2, 3, 3, 3, 3, 3, 3, 4, "1", {"x": 1}, {"x": 1}]})
        ),
        json!([1, 2, 3, 4, "1", {"x": 1}])
    );
    fails(
        "States.ArrayUnique($.a)",
        json!({"a": null}),
        "expected an array",
    );
}

#[test]
fn base64() {
    assert_eq!(
        ok("States.Base64Encode($.s)", json!({"s": "Data to encode"})),
        json!("RGF0YSB0byBlbmNvZGU=")
    );
    assert_eq!(ok("States.Base64Encode($.s)", json!({"s": ""})), json!(""));
    assert_eq!(
        ok(
            "States.Base64Decode($.s)",
            json!({"s": "RGF0YSB0byBlbmNvZGU="})
        ),
        json!("Data to encode")
    );
    assert_eq!(ok("States.Base64Decode($.s)", json!({"s": ""})), json!(""));
    // Like Java's decoder, padding is optional.
    assert_eq!(
        ok(
            "States.Base64Decode($.s)",
            json!({"s": "RGF0YSB0byBlbmNvZGU"})
        ),
        json!("Data to encode")
    );
    let long = "a".repeat(10_001);
    assert!(run(
        "States.Base64Encode($.s)",
        &json!({"s": "a".repeat(10_000)})
    )
    .is_ok());
    fails(
        "States.Base64Encode($.s)",
        json!({ "s": long }),
        "maximum of 10000",
    );
    fails(
        "States.Base64Decode($.s)",
        json!({ "s": long }),
        "maximum of 10000",
    );
    fails(
        "States.Base64Decode($.s)",
        json!({"s": "@@@"}),
        "not valid Base64",
    );
    fails(
        "States.Base64Encode($.s)",
        json!({"s": 1}),
        "expected a string",
    );
}

#[test]
fn hash() {
    let f = "States.Hash($.d, $.a)";
    for (algo, digest) in [
        ("MD5", "812f45842bc6d66ee14572ce20db8e86"),
        ("SHA-1", "aaff4a450a104cd177d28d18d74485e8cae074b7"),
        ("SHA-256", "b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3"),
        ("SHA-384", "d28a7d5cf25a74f11a50a18452b75e04bb3d70c9dd0510d6123aa008c756511b87525bdc835ebb27e1fb9e9374a15562"),
        ("SHA-512", "6ce4adb348546d4f449c4d25aad9a7c9cb711d9e91982d3f0b29ca2f3f47d4ce2deba23bf2954f0f1d593fc50283731a533d30d425402d4f91316d871303aac4"),
    ] {
        assert_eq!(ok(f, json!({"d": "input data", "a": algo})), json!(digest), "{algo}");
    }
    fails(f, json!({"d": "x", "a": "SHA-3"}), "not supported");
    fails(
        f,
        json!({"d": "a".repeat(10_001), "a": "MD5"}),
        "maximum of 10000",
    );
    fails(f, json!({"d": null, "a": "MD5"}), "must not be null");
}

#[test]
fn json_merge() {
    // AWS-recorded order: the result follows Java HashMap iteration order.
    let merged = ok(
        "States.JsonMerge($.a, $.b, false)",
        json!({"a": {"constant_in_literal": "false"}, "b": {"constant_input_field": "constant_value"}}),
    );
    assert_eq!(
        serde_json::to_string(&merged).unwrap(),
        r#"{"constant_input_field":"constant_value","constant_in_literal":"false"}"#
    );
    // AWS documentation example: shallow, the second object wins.
    let merged = ok(
        "States.JsonMerge($.json1, $.json2, false)",
        json!({"json1": {"a": {"a1": 1, "a2": 2}, "b": 2}, "json2": {"a": {"a3": 1, "a4": 2}, "c": 3}}),
    );
    assert_eq!(
        serde_json::to_string(&merged).unwrap(),
        r#"{"a":{"a3":1,"a4":2},"b":2,"c":3}"#
    );
    fails(
        "States.JsonMerge($.a, $.a, true)",
        json!({"a": {}}),
        "deep merging is not supported",
    );
    fails(
        "States.JsonMerge($.a, $.a, 'false')",
        json!({"a": {}}),
        "must be a boolean",
    );
    fails(
        "States.JsonMerge($.a, $.b, false)",
        json!({"a": {}, "b": [1]}),
        "expected an object",
    );
}

#[test]
fn math_random() {
    let f = "States.MathRandom($.a, $.b)";
    let entropy = SeededEntropy::new(11);
    for _ in 0..200 {
        let v = run_with(f, &json!({"a": 0, "b": 3}), &entropy).unwrap();
        let n = v.as_i64().unwrap();
        assert!((0..3).contains(&n), "{n}");
    }
    // Same injected entropy, same numbers: the engine stays deterministic.
    let a = run_with(f, &json!({"a": 0, "b": 1000}), &SeededEntropy::new(5)).unwrap();
    let b = run_with(f, &json!({"a": 0, "b": 1000}), &SeededEntropy::new(5)).unwrap();
    assert_eq!(a, b);
    // With a seed the result is Java's `new Random(seed).nextInt(end - start) + start`.
    let seeded = ok("States.MathRandom(10, 20, 42)", json!({}));
    assert_eq!(seeded, json!(10 + i64::from(java_random_next_int(42, 10))));
    fails(f, json!({"a": 5, "b": 5}), "must be greater than the start");
    fails(f, json!({"a": "1", "b": 5}), "must be a number");
    fails(
        f,
        json!({"a": -2147483648i64, "b": 2147483647}),
        "too large",
    );
    fails(f, json!({"a": 0, "b": 2147483648i64}), "outside the range");
    fails(
        f,
        json!({"a": i64::MIN, "b": i64::MAX}),
        "outside the range",
    );
    let v = ok("States.MathRandom(0.2, 1.4)", json!({}));
    assert_eq!(v, json!(0), "0.2 and 1.4 round to the range [0, 1)");
}

#[test]
fn java_random_matches_the_jvm() {
    // new Random(42).nextInt() == -1170105035, so nextInt(1 << 30) takes its top 30 bits.
    assert_eq!(java_random_next_int(42, 1 << 30), 781_215_565);
    for bound in [1, 7, 10, 1000, i32::MAX] {
        let v = java_random_next_int(12345, bound);
        assert!((0..bound).contains(&v));
    }
}

#[test]
fn math_add() {
    let f = "States.MathAdd($.a, $.b)";
    assert_eq!(ok(f, json!({"a": 111, "b": -1})), json!(110));
    assert_eq!(ok("States.MathAdd(-5, 2)", json!({})), json!(-3));
    assert_eq!(
        ok(f, json!({"a": 2147483647, "b": 2147483647})),
        json!(4294967294i64)
    );
    fails(f, json!({"a": 2147483648i64, "b": 1}), "outside the range");
    // AWS rounds non-integers to the nearest integer (recorded: MathAdd(..., 4.3) succeeds).
    assert_eq!(ok(f, json!({"a": 1.5, "b": 1})), json!(3));
    assert_eq!(ok(f, json!({"a": 4.3, "b": 1})), json!(5));
    assert_eq!(ok(f, json!({"a": -1.5, "b": 0})), json!(-1));
    fails(f, json!({"a": "1", "b": 1}), "must be a number");
    fails(f, json!({"a": null, "b": 1}), "must be a number");
}

#[test]
fn string_split() {
    let f = "States.StringSplit($.s, $.d)";
    for (s, d, expect) in [
        (" ", ",", json!([" "])),
        (" , ", ",", json!([" ", " "])),
        (", , ,", ",", json!([" ", " "])),
        (",,,,", ",", json!([])),
        ("1,2,3,4,5", ",", json!(["1", "2", "3", "4", "5"])),
        (
            "This.is+a,test=string",
            ".+,=",
            json!(["This", "is", "a", "test", "string"]),
        ),
        (
            "split on T and \nnew line",
            "T\n",
            json!(["split on ", " and ", "new line"]),
        ),
    ] {
        assert_eq!(ok(f, json!({"s": s, "d": d})), expect, "{s:?}");
    }
    assert_eq!(
        ok("States.StringSplit('Hello\nWorld', '\n')", json!({})),
        json!(["Hello", "World"])
    );
    fails(f, json!({"s": 1, "d": ","}), "expected a string");
}

#[test]
fn uuid() {
    let v = ok("States.UUID()", json!({}));
    let s = v.as_str().unwrap();
    assert_eq!(s.len(), 36);
    let parts: Vec<&str> = s.split('-').collect();
    assert_eq!(
        parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
        [8, 4, 4, 4, 12]
    );
    assert!(parts[2].starts_with('4'), "version 4: {s}");
    assert!(
        matches!(parts[3].chars().next(), Some('8' | '9' | 'a' | 'b')),
        "variant: {s}"
    );
    let e = SeededEntropy::new(9);
    let a = run_with("States.UUID()", &json!({}), &e).unwrap();
    let b = run_with("States.UUID()", &json!({}), &e).unwrap();
    assert_ne!(a, b);
    assert_eq!(
        run_with("States.UUID()", &json!({}), &SeededEntropy::new(9)).unwrap(),
        a
    );
}

#[test]
fn path_arguments_read_variables_and_report_missing_paths() {
    let entropy = SeededEntropy::new(1);
    let input = json!({"a": 1});
    let ctx = json!({});
    let mut vars = HashMap::new();
    vars.insert("v".to_string(), json!({"list": [1, 2]}));
    let scope = Scope::new(&input, &ctx, &entropy).with_variables(&vars);
    let call = intrinsics::parse("States.ArrayLength($v.list)").unwrap();
    assert_eq!(call.evaluate(&scope).unwrap(), json!(2));
    let missing = intrinsics::parse("States.Array($.nope)").unwrap();
    let e = missing.evaluate(&scope).unwrap_err();
    assert_eq!(e.error, "States.Runtime");
    assert_eq!(
        e.cause,
        "Invalid path '$.nope' : No results for path: $['nope']"
    );
}
