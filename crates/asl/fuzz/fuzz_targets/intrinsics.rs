//! Intrinsic functions: parse arbitrary text; evaluate what parses on a fixed payload.
#![no_main]

use asl::template::{Scope, SeededEntropy};
use libfuzzer_sys::fuzz_target;
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(call) = asl::intrinsics::parse(text) else { return };
    let input = json!({"a": [1, 2, 3], "s": "a,b", "o": {"k": 1}, "n": 5, "f": 1.5, "z": null});
    let ctx = json!({"Execution": {"Id": "arn:x"}});
    let entropy = SeededEntropy::new(1);
    let _ = call.evaluate(&Scope::new(&input, &ctx, &entropy));
});
