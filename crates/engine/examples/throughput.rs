//! Rough transitions/s of the workloads, with history recorded:
//! a chain of 100 Pass states, a Choice loop counting to 10,000 with `States.MathAdd`,
//! a Map over 10,000 items, and a Parallel of 10 branches × 10 Pass states.
//! `cargo run --release -p engine --example throughput`

use engine::driver::run_to_completion;
use engine::{ExecutionContext, NoIntegrations, Program, SeededEntropy, Timestamp};
use serde_json::{json, Map, Value};
use std::sync::Arc;
use std::time::Instant;

fn chain(n: usize, prefix: &str) -> Value {
    let mut states = Map::new();
    for i in 0..n {
        let mut s = Map::new();
        s.insert("Type".into(), json!("Pass"));
        if i + 1 == n {
            s.insert("End".into(), json!(true));
        } else {
            s.insert("Next".into(), json!(format!("{prefix}{}", i + 1)));
        }
        states.insert(format!("{prefix}{i}"), Value::Object(s));
    }
    json!({"StartAt": format!("{prefix}0"), "States": states})
}

fn measure(name: &str, def: &Value, input: Value, runs: usize) {
    // EXPRESS: no 25,000-event history cap (the loop and the Map exceed it), history still kept.
    let mut ctx = ExecutionContext::example("e", "sm", Timestamp(0));
    ctx.execution_type = engine::ExecutionType::Express;
    let machine = asl::parse::parse_definition(&def.to_string()).expect("valid definition");
    let program = Arc::new(Program::compile(&machine).expect("compiles"));
    let start = Instant::now();
    let mut transitions = 0usize;
    for _ in 0..runs {
        let f = run_to_completion(
            Arc::clone(&program),
            input.clone(),
            ctx.clone(),
            Box::new(SeededEntropy::new(1)),
            &mut NoIntegrations::new(),
            true,
        );
        transitions += f
            .history
            .iter()
            .filter(|e| e.event_type().ends_with("StateEntered"))
            .count();
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{name:28} {:>12.0} state transitions/s ({transitions} in {secs:.3}s)",
        transitions as f64 / secs
    );
}

fn main() {
    measure(
        "pass chain 100",
        &chain(100, "S"),
        json!({"a": 1, "b": [1, 2, 3]}),
        2000,
    );
    let choice_loop = json!({"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Result": {"i": 0}, "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [
            {"Variable": "$.i", "NumericGreaterThanEquals": 10000, "Next": "Done"}],
            "Default": "Inc"},
        "Inc": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)"}, "Next": "Check"},
        "Done": {"Type": "Succeed"}}});
    measure("choice loop to 10,000", &choice_loop, json!({}), 5);
    let items: Vec<Value> = (0..10_000).map(|i| json!(i)).collect();
    let map = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}}}});
    measure("map 10,000 items", &map, Value::Array(items), 2);
    let branches: Vec<Value> = (0..10).map(|b| chain(10, &format!("B{b}x"))).collect();
    let parallel = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true,
        "Branches": branches}}});
    measure("parallel 10x10", &parallel, json!({}), 500);
}
