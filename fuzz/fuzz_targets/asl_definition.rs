//! Parse and validate arbitrary definition text: must never panic or overflow the stack.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = asl::parse::parse_definition(text);
    let result = asl::validate::validate(text, &asl::validate::ValidateOptions::default());
    let diagnostics: Vec<_> = result.errors().cloned().collect();
    let _ = asl::validate::invalid_definition_message(text, &diagnostics);
});
