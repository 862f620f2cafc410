use asl::intrinsics::{self, IntrinsicArg, IntrinsicFunction};
use asl::jsonpath::{JsonPath, Root};

#[test]
fn parses_roots() {
    assert_eq!(JsonPath::parse("$").unwrap().root(), &Root::Input);
    assert_eq!(
        JsonPath::parse("$$.Execution.Id").unwrap().root(),
        &Root::Context
    );
    assert_eq!(
        JsonPath::parse("$myVar.field").unwrap().root(),
        &Root::Variable("myVar".into())
    );
}

#[test]
fn parses_forms_and_normalizes() {
    let cases = [
        ("$.a.b", "$['a']['b']"),
        ("$['a']['b c']", "$['a']['b c']"),
        ("$.a[0]", "$['a'][0]"),
        ("$.a[-1]", "$['a'][-1]"),
        ("$.a[1:3]", "$['a'][1:3]"),
        ("$.a[:2]", "$['a'][:2]"),
        ("$.a[*]", "$['a'][*]"),
        ("$.a.*", "$['a'][*]"),
        ("$..b", "$..['b']"),
        ("$['a','b']", "$['a','b']"),
        ("$.a[0,2]", "$['a'][0,2]"),
        ("$.a[?(@.x > 1)]", "$['a'][?]"),
        ("$.int-literal", "$['int-literal']"),
        ("$.a.length()", "$['a'].length()"),
    ];
    for (text, norm) in cases {
        let p = JsonPath::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(p.normalized(), norm, "{text}");
    }
}

#[test]
fn rejects_bad_paths() {
    for bad in [
        "",
        "a",
        "$.",
        "$[",
        "$['a'",
        "$.a[?(@.x >)]",
        "$..",
        "$.a.foo()",
    ] {
        assert!(JsonPath::parse(bad).is_err(), "{bad} should be rejected");
    }
}

#[test]
fn parses_intrinsics() {
    let c = intrinsics::parse(
        "States.Format('a \\'{}\\' \\{', $.x, States.Array(1, -2.5, true, null))",
    )
    .unwrap();
    assert_eq!(c.function, IntrinsicFunction::Format);
    assert_eq!(c.args.len(), 3);
    match &c.args[0] {
        IntrinsicArg::String(s) => assert_eq!(s.value, "a '{}' {"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(&c.args[2], IntrinsicArg::Call(inner) if inner.args.len() == 4));
    assert!(intrinsics::parse("States.StringToJson('{\"text\":\"An \\\"x\\\" here\"}')").is_err());
    assert!(intrinsics::parse("States.Nope()").is_err());
    assert!(intrinsics::parse("States.Array($.a[?(@.x == 'a,)')], $['a,b'])").is_ok());
}
