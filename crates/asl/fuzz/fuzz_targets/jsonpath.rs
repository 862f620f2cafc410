//! JSONPath: parse arbitrary text; evaluate and `set` what parses on a fixed document.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(path) = asl::jsonpath::JsonPath::parse(text) else { return };
    let doc = json!({"a": [1, {"b": "x", "c": [true, null]}, 2.5], "b": {"c": {"d": "e"}}, "n": null});
    let _ = path.evaluate(&doc);
    let _ = path.normalized();
    let _ = path.set(doc, json!(1));
});
