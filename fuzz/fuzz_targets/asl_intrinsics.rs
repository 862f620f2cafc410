//! Input: an intrinsic call, a NUL byte, then a JSON input. Parse the call and evaluate it.
#![no_main]
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (call, input) = text.split_once('\0').unwrap_or((text, "{\"a\":[1,2,3],\"s\":\"x,y\"}"));
    let Ok(call) = asl::intrinsics::parse(call) else { return };
    let Ok(input) = serde_json::from_str::<Value>(input) else { return };
    let entropy = asl::template::SeededEntropy::new(7);
    let scope = asl::template::Scope::with_input(&input, &entropy);
    let _ = call.evaluate(&scope);
});
