//! Rough transitions/s for a chain of 100 Pass states, with history recorded.
//! `cargo run --release -p engine --example throughput`

use engine::driver::run_to_completion;
use engine::{ExecutionContext, NoIntegrations, Program, SeededEntropy, Timestamp};
use serde_json::{json, Map, Value};
use std::sync::Arc;
use std::time::Instant;

fn main() {
    let mut states = Map::new();
    for i in 0..100 {
        let mut s = Map::new();
        s.insert("Type".into(), json!("Pass"));
        if i == 99 {
            s.insert("End".into(), json!(true));
        } else {
            s.insert("Next".into(), json!(format!("S{}", i + 1)));
        }
        states.insert(format!("S{i}"), Value::Object(s));
    }
    let def = json!({"StartAt": "S0", "States": states}).to_string();
    let machine = asl::parse::parse_definition(&def).expect("valid definition");
    let program = Arc::new(Program::compile(&machine).expect("compiles"));
    let runs = 2000;
    let start = Instant::now();
    let mut events = 0;
    for _ in 0..runs {
        let ctx = ExecutionContext::example("e", "sm", Timestamp(0));
        let f = run_to_completion(
            Arc::clone(&program),
            json!({"a": 1, "b": [1, 2, 3]}),
            ctx,
            Box::new(SeededEntropy::new(1)),
            &mut NoIntegrations::new(),
            true,
        );
        events += f.history.len();
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{:.0} Pass transitions/s ({} events recorded)",
        (runs * 100) as f64 / secs,
        events
    );
}
