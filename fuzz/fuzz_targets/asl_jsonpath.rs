//! Input: a JSONPath, a NUL byte, then a JSON document. Parse the path, evaluate it, and use it
//! as a ResultPath: none of it may panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (path, doc) = text.split_once('\0').unwrap_or((text, "{\"a\":[1,{\"b\":2}],\"c\":\"x\"}"));
    let Ok(path) = asl::jsonpath::JsonPath::parse(path) else { return };
    let Ok(doc) = serde_json::from_str::<Value>(doc) else { return };
    let _ = path.evaluate(&doc);
    let _ = path.set(doc.clone(), Value::Null);
});
