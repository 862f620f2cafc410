//! Input: a JSONata expression, a NUL byte, then a JSON input. Compile and evaluate with a time
//! limit: errors are fine, panics, hangs and stack overflows are not.
#![no_main]
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::time::Duration;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (expr, input) = text.split_once('\0').unwrap_or((text, "{\"a\":[1,2,{\"b\":\"x\"}],\"n\":3}"));
    let Ok(expr) = jsonata::Expression::compile(expr) else { return };
    let input = serde_json::from_str::<Value>(input).unwrap_or(Value::Null);
    let bindings = jsonata::Bindings::new()
        .now(0)
        .seed(1)
        .time_limit(Duration::from_millis(200));
    let _ = expr.evaluate(&input, &bindings);
});
