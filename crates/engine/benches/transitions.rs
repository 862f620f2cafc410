//! Criterion benchmarks of the workloads, history recorded (EXPRESS: no 25,000-event
//! cap): a chain of 100 Pass states, a Choice loop counting to 10,000 with `States.MathAdd`,
//! a Map over 10,000 items, and a Parallel of 10 branches × 10 Pass states.
//! Throughput is reported in state transitions.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use engine::driver::run_to_completion;
use engine::{ExecutionContext, ExecutionType, NoIntegrations, Program, SeededEntropy, Timestamp};
use serde_json::{json, Map, Value};
use std::sync::Arc;

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

fn compile(def: &Value) -> Arc<Program> {
    let machine = asl::parse::parse_definition(&def.to_string()).expect("valid definition");
    Arc::new(Program::compile(&machine).expect("compiles"))
}

fn run(program: &Arc<Program>, input: &Value) -> usize {
    let mut ctx = ExecutionContext::example("e", "sm", Timestamp(0));
    ctx.execution_type = ExecutionType::Express;
    let f = run_to_completion(
        Arc::clone(program),
        input.clone(),
        ctx,
        Box::new(SeededEntropy::new(1)),
        &mut NoIntegrations::new(),
        true,
    );
    f.history.len()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("transitions");
    g.sample_size(10);

    let pass = compile(&chain(100, "S"));
    let input = json!({"a": 1, "b": [1, 2, 3]});
    g.throughput(Throughput::Elements(100));
    g.bench_function("pass_chain_100", |b| b.iter(|| run(&pass, &input)));

    let choice = compile(&json!({"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Result": {"i": 0}, "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [
            {"Variable": "$.i", "NumericGreaterThanEquals": 10000, "Next": "Done"}],
            "Default": "Inc"},
        "Inc": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)"}, "Next": "Check"},
        "Done": {"Type": "Succeed"}}}));
    g.throughput(Throughput::Elements(20_003));
    g.bench_function("choice_loop_10000", |b| b.iter(|| run(&choice, &json!({}))));

    let map = compile(
        &json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}}}}),
    );
    let items = Value::Array((0..10_000).map(|i| json!(i)).collect());
    g.throughput(Throughput::Elements(10_001));
    g.bench_function("map_10000", |b| b.iter(|| run(&map, &items)));

    let branches: Vec<Value> = (0..10).map(|b| chain(10, &format!("B{b}x"))).collect();
    let parallel = compile(&json!({"StartAt": "P", "States": {"P": {"Type": "Parallel",
        "End": true, "Branches": branches}}}));
    g.throughput(Throughput::Elements(101));
    g.bench_function("parallel_10x10", |b| b.iter(|| run(&parallel, &json!({}))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
