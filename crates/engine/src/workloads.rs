//! The benchmark workloads of the engine and JSONata issues, shared by the criterion benches,
//! the `throughput` example and `stepline bench`: a chain of 100 Pass states, a Choice loop
//! counting to 10,000 with `States.MathAdd`, the same loop in JSONata (`Condition` and an
//! `Assign` counter), a Map over 10,000 items and a Parallel of 10 branches × 10 Pass states.

use crate::api::{ExecutionContext, ExecutionType, SeededEntropy};
use crate::driver::run_to_completion;
use crate::program::Program;
use crate::resolver::NoIntegrations;
use crate::time::Timestamp;
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// One benchmark: a definition and its input.
#[derive(Debug, Clone)]
pub struct Workload {
    /// Short name, as `stepline bench --workload` takes it.
    pub name: &'static str,
    pub definition: Value,
    pub input: Value,
}

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

/// Every workload, in the issues' order.
pub fn all() -> Vec<Workload> {
    let branches: Vec<Value> = (0..10).map(|b| chain(10, &format!("B{b}x"))).collect();
    vec![
        Workload {
            name: "pass_chain_100",
            definition: chain(100, "S"),
            input: json!({"a": 1, "b": [1, 2, 3]}),
        },
        Workload {
            name: "choice_loop_10000",
            definition: json!({"StartAt": "Init", "States": {
                "Init": {"Type": "Pass", "Result": {"i": 0}, "Next": "Check"},
                "Check": {"Type": "Choice", "Choices": [
                    {"Variable": "$.i", "NumericGreaterThanEquals": 10000, "Next": "Done"}],
                    "Default": "Inc"},
                "Inc": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)"}, "Next": "Check"},
                "Done": {"Type": "Succeed"}}}),
            input: json!({}),
        },
        Workload {
            name: "jsonata_choice_loop_10000",
            definition: json!({"QueryLanguage": "JSONata", "StartAt": "Init", "States": {
                "Init": {"Type": "Pass", "Assign": {"i": 0}, "Next": "Check"},
                "Check": {"Type": "Choice", "Choices": [
                    {"Condition": "{% $i >= 10000 %}", "Next": "Done"}],
                    "Default": "Inc"},
                "Inc": {"Type": "Pass", "Assign": {"i": "{% $i + 1 %}"}, "Next": "Check"},
                "Done": {"Type": "Succeed", "Output": "{% $i %}"}}}),
            input: json!({}),
        },
        Workload {
            name: "map_10000",
            definition: json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
                "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}}}}),
            input: Value::Array((0..10_000).map(|i| json!(i)).collect()),
        },
        Workload {
            name: "parallel_10x10",
            definition: json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true,
                "Branches": branches}}}),
            input: json!({}),
        },
    ]
}

impl Workload {
    /// Parses and compiles the definition.
    pub fn program(&self) -> Result<Arc<Program>, String> {
        let machine = asl::parse::parse_definition(&self.definition.to_string())
            .map_err(|e| e.to_string())?;
        Program::compile(&machine)
            .map(Arc::new)
            .map_err(|e| e.to_string())
    }

    /// Runs one EXPRESS execution (no 25,000-event cap; the loops and the Map exceed it) with
    /// history recorded, and returns its state transitions (`*StateEntered` events).
    pub fn run(&self, program: &Arc<Program>) -> usize {
        let mut ctx = ExecutionContext::example("bench", "Bench", Timestamp(0));
        ctx.execution_type = ExecutionType::Express;
        let f = run_to_completion(
            Arc::clone(program),
            self.input.clone(),
            ctx,
            Box::new(SeededEntropy::new(1)),
            &mut NoIntegrations::new(),
            true,
        );
        f.history
            .iter()
            .filter(|e| e.event_type().ends_with("StateEntered"))
            .count()
    }
}
