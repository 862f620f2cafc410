//! Hostile inputs end in errors (U1001 and friends), never a crash or a hang. These tests run
//! on the default 2 MiB test threads with the default limits.

use std::time::{Duration, Instant};

use jsonata::{Bindings, Expression};
use serde_json::json;

fn run(expr: &str, b: &Bindings) -> Result<Option<serde_json::Value>, jsonata::Error> {
    Expression::compile(expr).and_then(|e| e.evaluate(&json!({}), b))
}

#[test]
fn deeply_nested_expressions_are_rejected() {
    for (open, close) in [
        ("(", ")"),
        ("[", "]"),
        ("{'a':", "}"),
        ("-", ""),
        ("$f(", ")"),
    ] {
        let src = format!("{}1{}", open.repeat(100_000), close.repeat(100_000));
        let e = Expression::compile(&src).unwrap_err();
        assert_eq!(e.code, "U1001", "{open}");
    }
    let chain = format!("a{}", ".a".repeat(200_000));
    assert!(Expression::compile(&chain).is_err());
    let sum = format!("1{}", "+1".repeat(200_000));
    assert!(Expression::compile(&sum).is_err());
}

#[test]
fn moderately_nested_expressions_work() {
    // on a big stack with a matching budget, nesting up to the parser's depth limit works
    let h = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(|| {
            let src = format!("{}1{}", "(".repeat(400), ")".repeat(400));
            let e = Expression::compile_with_stack_limit(&src, 200 << 20).unwrap();
            e.evaluate(&json!({}), &Bindings::new().stack_limit(200 << 20))
                .unwrap()
        })
        .unwrap();
    assert_eq!(h.join().unwrap(), Some(json!(1)));
    let src = format!("{}1{}", "(".repeat(8), ")".repeat(8));
    assert_eq!(run(&src, &Bindings::new()).unwrap(), Some(json!(1)));
}

#[test]
fn runaway_recursion_is_u1001() {
    let e = run(
        "($f := function($n){ 1 + $f($n + 1) }; $f(0))",
        &Bindings::new(),
    )
    .unwrap_err();
    assert_eq!(e.code, "U1001");
    let e = run(
        "($f := function($n){ 1 + $f($n + 1) }; $f(0))",
        &Bindings::new().max_depth(50),
    )
    .unwrap_err();
    assert_eq!(e.code, "U1001");
    assert!(e.message.starts_with("Stack overflow error"));
}

#[test]
fn infinite_loops_time_out() {
    let start = Instant::now();
    let e = run(
        "($f := function(){ $f() }; $f())",
        &Bindings::new().time_limit(Duration::from_millis(200)),
    )
    .unwrap_err();
    assert_eq!(e.code, "U1001");
    assert_eq!(
        e.message,
        "Expression evaluation timeout: Check for infinite loop"
    );
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn deep_values_built_at_run_time_do_not_crash() {
    // 100,000 nested objects: serialising fails cleanly, and freeing them must not recurse
    let r = run(
        "$reduce([1..100000], function($acc, $x){ {'a': $acc} }, {})",
        &Bindings::new(),
    );
    assert_eq!(r.unwrap_err().code, "U1001");
    let r = run(
        "$string($reduce([1..100000], function($acc, $x){ [[$acc]] }, []))",
        &Bindings::new(),
    );
    assert_eq!(r.unwrap_err().code, "U1001");
    let r = run(
        "$count($reduce([1..100000], function($acc, $x){ {'a': $acc} }, {}).**)",
        &Bindings::new(),
    );
    assert_eq!(r.unwrap_err().code, "U1001");
    // a moderately deep value is fine
    let r = run(
        "$reduce([1..50], function($acc, $x){ {'a': $acc} }, {}) ~> $string ~> $length",
        &Bindings::new(),
    );
    assert_eq!(r.unwrap(), Some(json!(302)));
}

#[test]
fn huge_ranges_are_refused() {
    assert_eq!(
        run("[1..100000000]", &Bindings::new()).unwrap_err().code,
        "D2014"
    );
}

#[test]
fn garbage_never_panics() {
    let samples = [
        "",
        " ",
        "$",
        "$$",
        "%",
        "@",
        "#",
        "..",
        "[..]",
        "{:}",
        "(;)",
        "|",
        "||",
        "|a|b|",
        "?:",
        "??",
        "~>",
        "function",
        "function(",
        "function($x)<",
        "function($x)<a<",
        "λ($x){",
        "/",
        "/a",
        "`",
        "'",
        "\"\\u12",
        "a[",
        "a{",
        "a^(",
        "a@",
        "a#",
        "a@$x@$y",
        "$[",
        "1..2",
        "%.%.%",
        "**.%",
        "a.%.%.%",
        "[1,2]#$i.%",
        "$sort(*, ?)",
        "$f(?)(?)",
        "$eval('$eval(\"1\")')",
        "{'a':1}.(%)",
        "$x:=",
        "($x:=1;$x:=",
    ];
    for s in samples {
        let _ = run(s, &Bindings::new());
    }
    // every prefix of a rich expression
    let rich = "Account.Order[0].Product{`Product Name`: $sum(Price)}^(>$).%.{'a': [1..3]} ~> |$|{'b': /x/i}, ['c']| ? $f(?, 2) : λ($x)<n-:n>{$x}";
    for i in 0..=rich.len() {
        if rich.is_char_boundary(i) {
            let _ = run(&rich[..i], &Bindings::new());
        }
    }
}
