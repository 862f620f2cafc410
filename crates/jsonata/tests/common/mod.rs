#![allow(dead_code)]

use jsonata::{Bindings, Error, Expression};
use serde_json::{json, Value};

pub fn sample() -> Value {
    json!({
        "name": "Shop",
        "orders": [
            {"id": "o1", "customer": "ann", "items": [
                {"sku": "A", "price": 10, "qty": 2, "tags": ["x", "y"]},
                {"sku": "B", "price": 5.5, "qty": 1, "tags": ["y"]}
            ]},
            {"id": "o2", "customer": "bob", "items": [
                {"sku": "C", "price": 3, "qty": 4, "tags": []}
            ]},
            {"id": "o3", "customer": "ann", "items": [
                {"sku": "A", "price": 10, "qty": 1, "tags": ["z"]}
            ]}
        ],
        "nested": {"a": {"b": {"c": 42}}},
        "nums": [3, 1, 2],
        "empty": [],
        "nil": null,
        "flag": true
    })
}

/// Evaluate against the sample document.
pub fn ev(expr: &str) -> Option<Value> {
    ev_on(expr, &sample())
}

pub fn ev_on(expr: &str, input: &Value) -> Option<Value> {
    match Expression::compile(expr)
        .and_then(|e| e.evaluate(input, &Bindings::new().now(1_700_000_000_000).seed(7)))
    {
        Ok(v) => v,
        Err(e) => panic!("{expr}: unexpected error {e}"),
    }
}

pub fn ev_none(expr: &str) -> Option<Value> {
    match Expression::compile(expr).and_then(|e| e.evaluate_opt(None, &Bindings::new())) {
        Ok(v) => v,
        Err(e) => panic!("{expr}: unexpected error {e}"),
    }
}

pub fn err(expr: &str) -> Error {
    err_on(expr, &sample())
}

pub fn err_on(expr: &str, input: &Value) -> Error {
    match Expression::compile(expr).and_then(|e| e.evaluate(input, &Bindings::new())) {
        Ok(v) => panic!("{expr}: expected an error, got {v:?}"),
        Err(e) => e,
    }
}

pub fn is(expr: &str, want: Value) {
    assert_eq!(ev(expr), Some(want), "{expr}");
}

pub fn undef(expr: &str) {
    assert_eq!(ev(expr), None, "{expr}");
}

pub fn code(expr: &str, c: &str) {
    let e = err(expr);
    assert_eq!(e.code, c, "{expr}: {e}");
}
