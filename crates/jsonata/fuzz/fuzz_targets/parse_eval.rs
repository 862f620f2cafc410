//! Parse and evaluate arbitrary text: the first line is the expression, the rest (if it is
//! JSON) the input document. Any panic, abort or stack overflow is a bug.
//!   cd crates/jsonata/fuzz && cargo +nightly fuzz run parse_eval -- -max_total_time=600
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (expr, doc) = text.split_once('\n').unwrap_or((text, ""));
    let input: Option<serde_json::Value> = serde_json::from_str(doc).ok();
    let bindings = jsonata::Bindings::new()
        .now(0)
        .seed(1)
        .time_limit(std::time::Duration::from_millis(200));
    if let Ok(e) = jsonata::Expression::compile(expr) {
        let _ = e.evaluate_opt(input.as_ref(), &bindings);
    }
});
