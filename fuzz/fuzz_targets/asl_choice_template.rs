//! Choice rules and payload templates compiled from arbitrary JSON and evaluated.
#![no_main]

use asl::choice::ChoiceRule;
use asl::template::{PayloadTemplate, Scope, SeededEntropy};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

fuzz_target!(|data: &[u8]| {
    let Ok(v) = serde_json::from_slice::<Value>(data) else { return };
    let input = json!({"a": [1, 2, 3], "s": "2012-10-09T19:00:55Z", "o": {"k": 1}, "n": 5});
    let entropy = SeededEntropy::new(1);
    let scope = Scope::with_input(&input, &entropy);
    if let Ok(rule) = ChoiceRule::parse(&v) {
        let _ = rule.evaluate(&scope);
    }
    if let Ok(t) = PayloadTemplate::compile(&v) {
        let _ = t.evaluate(&scope);
    }
});
