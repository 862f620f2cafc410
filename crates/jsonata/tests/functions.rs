//! Hand-written tests of every built-in function family.

mod common;
use common::*;
use jsonata::{Bindings, Expression};
use serde_json::json;
use std::sync::Arc;

#[test]
fn string_functions() {
    is("$string(5)", json!("5"));
    is("$string(1/3)", json!("0.333333333333333"));
    is("$string({'a': [1, 2]})", json!("{\"a\":[1,2]}"));
    is("$string([1, 'a'], true)", json!("[\n  1,\n  \"a\"\n]"));
    is("$string('x')", json!("x"));
    is("$string(1e21)", json!("1e+21"));
    code("$string(1/0)", "D3001");
    is("$substring('hello', 1, 3)", json!("ell"));
    is("$substring('hello', -3)", json!("llo"));
    is("$substringBefore('a-b', '-')", json!("a"));
    is("$substringAfter('a-b', '-')", json!("b"));
    is("$substringAfter('ab', '-')", json!("ab"));
    is("$length('héllo')", json!(5));
    is("$uppercase('ab')", json!("AB"));
    is("$lowercase('AB')", json!("ab"));
    is("$trim('  a \n b  ')", json!("a b"));
    is("$pad('x', 3)", json!("x  "));
    is("$pad('x', -3, '#')", json!("##x"));
    is("$join(['a', 'b'], ',')", json!("a,b"));
    is("$join(orders.id)", json!("o1o2o3"));
    is("$split('a,b,c', ',')", json!(["a", "b", "c"]));
    is("$split('a,b,c', ',', 2)", json!(["a", "b"]));
    is("$contains('abc', 'b')", json!(true));
    is("$replace('aaa', 'a', 'b', 2)", json!("bba"));
    code("$replace('aaa', '', 'b')", "D3010");
    code("$split('a', ',', -1)", "D3020");
    undef("$uppercase(missing)");
}

#[test]
fn encoding_functions() {
    is("$base64encode('hello')", json!("aGVsbG8="));
    is("$base64decode('aGVsbG8=')", json!("hello"));
    is("$encodeUrlComponent('a b&c')", json!("a%20b%26c"));
    is(
        "$encodeUrl('http://x.com/a b?q=1')",
        json!("http://x.com/a%20b?q=1"),
    );
    is("$decodeUrlComponent('a%20b%26')", json!("a b&"));
    is("$decodeUrl('a%20b%26')", json!("a b%26"));
    code("$decodeUrlComponent('%E0%A4%A')", "D3140");
    code("$encodeUrl('\\uD800')", "D3140");
}

#[test]
fn numeric_functions() {
    is("$number('12.5')", json!(12.5));
    is("$number('0x1F')", json!(31));
    is("$number(true)", json!(1));
    code("$number('abc')", "D3030");
    is("$abs(-2)", json!(2));
    is("$floor(2.7)", json!(2));
    is("$ceil(2.1)", json!(3));
    is("$round(2.5)", json!(2));
    is("$round(3.5)", json!(4));
    is("$round(1.255, 2)", json!(1.26));
    is("$round(1250, -2)", json!(1200));
    is("$sqrt(16)", json!(4));
    code("$sqrt(-1)", "D3060");
    is("$power(2, 10)", json!(1024));
    code("$power(10, 1000)", "D3061");
    is("$formatBase(255, 16)", json!("ff"));
    is("$formatBase(255, 2)", json!("11111111"));
    code("$formatBase(1, 1)", "D3100");
    is("$formatNumber(1234.5, '#,##0.00')", json!("1,234.50"));
    is("$formatInteger(12, 'w')", json!("twelve"));
    is("$formatInteger(4, 'I')", json!("IV"));
    is("$parseInteger('twelve', 'w')", json!(12));
}

#[test]
fn aggregation_functions() {
    is("$sum(nums)", json!(6));
    is("$max(nums)", json!(3));
    is("$min(nums)", json!(1));
    is("$average(nums)", json!(2));
    is("$count(empty)", json!(0));
    is("$sum(empty)", json!(0));
    undef("$max(empty)");
    is("$sum(orders.items.(price * qty))", json!(47.5));
    is("$count(orders.items)", json!(4));
}

#[test]
fn boolean_functions() {
    is("$boolean('')", json!(false));
    is("$boolean([0, 1])", json!(true));
    is("$boolean({})", json!(false));
    is("$boolean(function(){1})", json!(false));
    is("$not(0)", json!(true));
    is("$exists(missing)", json!(false));
    is("$exists(nil)", json!(true));
}

#[test]
fn array_functions() {
    is("$append([1, 2], [3])", json!([1, 2, 3]));
    is("$append(1, 2)", json!([1, 2]));
    is("$reverse(nums)", json!([2, 1, 3]));
    is("$sort(nums)", json!([1, 2, 3]));
    is("$sort(['b', 'a'])", json!(["a", "b"]));
    is(
        "$sort(orders, function($a, $b){ $a.id < $b.id }).id",
        json!(["o3", "o2", "o1"]),
    );
    code("$sort([1, 'a'])", "D3070");
    is("$distinct([1, 2, 1, 'a', 'a'])", json!([1, 2, "a"]));
    is("$zip([1, 2, 3], ['a', 'b'])", json!([[1, "a"], [2, "b"]]));
    is("$count($shuffle(nums))", json!(3));
    is("$sort($shuffle([5, 4, 3, 2, 1]))", json!([1, 2, 3, 4, 5]));
}

#[test]
fn object_functions() {
    is("$keys({'a': 1, 'b': 2})", json!(["a", "b"]));
    is("$keys(orders)", json!(["id", "customer", "items"]));
    is("$lookup({'a': 1}, 'a')", json!(1));
    is("$spread({'a': 1, 'b': 2})", json!([{"a": 1}, {"b": 2}]));
    is(
        "$merge([{'a': 1}, {'b': 2}, {'a': 3}])",
        json!({"a": 3, "b": 2}),
    );
    is(
        "$each({'a': 1, 'b': 2}, function($v, $k){ $k & $v })",
        json!(["a1", "b2"]),
    );
    is(
        "$sift({'a': 1, 'b': 2}, function($v){ $v > 1 })",
        json!({"b": 2}),
    );
    is("$type(null)", json!("null"));
    is("$type([])", json!("array"));
    is("$type(function(){1})", json!("function"));
    is("$type(1)", json!("number"));
    let e = err("$error('boom')");
    assert_eq!((e.code.as_str(), e.message.as_str()), ("D3137", "boom"));
    let e = err("$assert(false, 'no')");
    assert_eq!((e.code.as_str(), e.message.as_str()), ("D3141", "no"));
    is("$clone({'a': [1]})", json!({"a": [1]}));
}

#[test]
fn higher_order_functions() {
    is("$map([1, 2, 3], function($v){ $v * 2 })", json!([2, 4, 6]));
    is("$map([1, 2], function($v, $i){ $i })", json!([0, 1]));
    is("$map([1, 2, 3], $string)", json!(["1", "2", "3"]));
    is(
        "$filter([1, 2, 3, 4], function($v){ $v % 2 = 0 })",
        json!([2, 4]),
    );
    is(
        "$reduce([1, 2, 3, 4], function($a, $b){ $a + $b })",
        json!(10),
    );
    is(
        "$reduce([1, 2, 3], function($a, $b){ $a + $b }, 10)",
        json!(16),
    );
    is("$single([1, 2, 3], function($v){ $v = 2 })", json!(2));
    code("$single([1, 2], function($v){ $v > 0 })", "D3138");
    code("$single([1, 2], function($v){ $v > 5 })", "D3139");
    code("$reduce([1], function($a){ $a })", "D3050");
}

#[test]
fn date_time_functions_use_the_injected_clock() {
    is("$millis()", json!(1_700_000_000_000i64));
    is("$now()", json!("2023-11-14T22:13:20.000Z"));
    is("$fromMillis(0)", json!("1970-01-01T00:00:00.000Z"));
    is("$toMillis('1970-01-01T00:00:01.000Z')", json!(1000));
    is("$fromMillis(0, '[Y0001]-[M01]-[D01]')", json!("1970-01-01"));
    is("$now('[Y0001]')", json!("2023"));
    code("$toMillis('not a date')", "D3110");
}

#[test]
fn eval_function() {
    is("$eval('1 + 2')", json!(3));
    is("$eval('$sum(nums)')", json!(6));
    is("$eval('a', {'a': 5})", json!(5));
    code("$eval('[1,')", "D3120");
    code("$eval('1 + \"a\"')", "D3121");
}

#[test]
fn random_is_seeded() {
    let e = Expression::compile("[$random(), $random()]").unwrap();
    let a = e.evaluate(&json!(null), &Bindings::new().seed(42)).unwrap();
    let b = e.evaluate(&json!(null), &Bindings::new().seed(42)).unwrap();
    let c = e.evaluate(&json!(null), &Bindings::new().seed(43)).unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
    let v = a.unwrap();
    for x in v.as_array().unwrap() {
        let x = x.as_f64().unwrap();
        assert!((0.0..1.0).contains(&x));
    }
}

#[test]
fn custom_functions() {
    let double: jsonata::CustomFunction = Arc::new(|_ctx, args| {
        Ok(args
            .first()
            .cloned()
            .flatten()
            .and_then(|v| v.as_f64())
            .map(|n| json!(n * 2.0)))
    });
    let stamp: jsonata::CustomFunction = Arc::new(|ctx, _args| Ok(Some(json!(ctx.now_millis()))));
    let b = Bindings::new()
        .now(1234)
        .function("double", Some("<n:n>"), double)
        .unwrap()
        .function("stamp", None, stamp)
        .unwrap();
    let e = Expression::compile("[$double(21), $map([1, 2], $double), $stamp()]").unwrap();
    assert_eq!(
        e.evaluate(&json!({}), &b).unwrap(),
        Some(json!([42, 2, 4, 1234]))
    );
    let e = Expression::compile("$double('x')").unwrap();
    assert_eq!(e.evaluate(&json!({}), &b).unwrap_err().code, "T0410");
    let fail: jsonata::CustomFunction = Arc::new(|_ctx, _args| {
        Err(jsonata::Error {
            code: "States.Custom".into(),
            position: None,
            message: "nope".into(),
            token: None,
            value: None,
        })
    });
    let mut e = Expression::compile("$fail()").unwrap();
    e.register_function("fail", None, fail).unwrap();
    let err = e.evaluate(&json!({}), &Bindings::new()).unwrap_err();
    assert_eq!(
        (err.code.as_str(), err.message.as_str()),
        ("States.Custom", "nope")
    );
}

#[test]
fn bindings_override_and_supply_variables() {
    let e = Expression::compile("$x + $y").unwrap();
    let b = Bindings::new().var("x", json!(1)).var("y", json!(2));
    assert_eq!(e.evaluate(&json!({}), &b).unwrap(), Some(json!(3)));
    let e = Expression::compile("$sum").unwrap();
    assert_eq!(
        e.evaluate(&json!({}), &Bindings::new().var("sum", json!(7)))
            .unwrap(),
        Some(json!(7))
    );
}

#[test]
fn compiled_expressions_are_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Expression>();
    assert_send_sync::<Bindings>();
    assert_send_sync::<jsonata::Input>();
    let e = Arc::new(Expression::compile("$sum(a) * 2").unwrap());
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let e = e.clone();
            std::thread::spawn(move || e.evaluate(&json!({"a": [i, 1]}), &Bindings::new()).unwrap())
        })
        .collect();
    let got: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(
        got,
        vec![
            Some(json!(2)),
            Some(json!(4)),
            Some(json!(6)),
            Some(json!(8))
        ]
    );
}
