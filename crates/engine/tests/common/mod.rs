//! Helpers shared by the hand-written engine tests.
#![allow(dead_code)]

use engine::driver::{run_to_completion, Finished};
use engine::{
    Entropy, ExecutionContext, Program, SeededEntropy, TaskInvocation, TaskOutcome, TaskResolver,
    Timestamp,
};
use serde_json::Value;
use std::sync::Arc;

pub const START: Timestamp = Timestamp(1_700_000_000_000);

/// A resolver answering every task with a closure.
pub struct FnResolver<F: FnMut(&TaskInvocation) -> TaskOutcome>(pub F);

impl<F: FnMut(&TaskInvocation) -> TaskOutcome> TaskResolver for FnResolver<F> {
    fn invoke(&mut self, inv: &TaskInvocation) -> TaskOutcome {
        (self.0)(inv)
    }
}

/// Entropy whose random numbers are fixed (for jitter tests).
pub struct FixedRandom(pub f64);

impl Entropy for FixedRandom {
    fn uuid(&mut self) -> String {
        "00000000-0000-4000-8000-000000000000".into()
    }
    fn random(&mut self) -> f64 {
        self.0
    }
}

pub fn program(def: &Value) -> Arc<Program> {
    let machine = asl::parse::parse_definition(&def.to_string()).expect("valid definition");
    Arc::new(Program::compile(&machine).expect("compiles"))
}

pub fn run_with(
    def: &Value,
    input: Value,
    resolver: &mut dyn TaskResolver,
    entropy: Box<dyn Entropy>,
) -> Finished {
    let ctx = ExecutionContext::example("exec-1", "Machine", START);
    run_to_completion(program(def), input, ctx, entropy, resolver, true)
}

pub fn run(def: &Value, input: Value) -> Finished {
    run_with(
        def,
        input,
        &mut engine::NoIntegrations::new(),
        Box::new(SeededEntropy::new(1)),
    )
}

/// `type` of every history event, in order.
pub fn types(f: &Finished) -> Vec<&'static str> {
    f.history.iter().map(|e| e.event_type()).collect()
}

/// `(id, previousEventId, type)` of every event.
pub fn chain(f: &Finished) -> Vec<(u64, u64, &'static str)> {
    f.history
        .iter()
        .map(|e| (e.id, e.previous_event_id, e.event_type()))
        .collect()
}

pub fn output(f: &Finished) -> Value {
    f.outcome
        .output
        .as_ref()
        .map(|o| (**o).clone())
        .unwrap_or(Value::Null)
}
