//! TestState requests from arbitrary JSON: parsed, validated and run; never a panic.
#![no_main]

use engine::{parse_test_state_request, test_state, ExecutionContext, NoIntegrations, SeededEntropy, Timestamp};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(data) else { return };
    let ctx = ExecutionContext::example("e", "m", Timestamp(1_700_000_000_000));
    if let Ok(req) = parse_test_state_request(&body, ctx) {
        let _ = test_state(&req, &mut NoIntegrations::new(), Box::new(SeededEntropy::new(1)));
    }
});
