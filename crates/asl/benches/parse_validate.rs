//! Parse + validate a 200-state definition (JSONPath Pass/Task/Choice/Wait states with
//! templates, intrinsic calls, Retry/Catch), and validation alone.

use asl::parse::parse_definition;
use asl::validate::{validate, ValidateOptions};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use serde_json::{json, Map};

fn definition() -> String {
    let mut states = Map::new();
    for i in 0..200 {
        let next = format!("S{}", i + 1);
        let state = match i % 4 {
            0 => {
                json!({"Type": "Pass", "Parameters": {"a.$": "$.x", "b.$": "States.Format('{}', $.y)"},
                        "ResultPath": "$.r", "Next": next})
            }
            1 => json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                        "Parameters": {"FunctionName": "f", "Payload.$": "$"},
                        "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}],
                        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": next.clone()}], "Next": next}),
            2 => json!({"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 1,
                        "Next": next.clone()}], "Default": next}),
            _ => json!({"Type": "Wait", "Seconds": 1, "Next": next}),
        };
        states.insert(format!("S{i}"), state);
    }
    states.insert("S200".into(), json!({"Type": "Succeed"}));
    json!({"StartAt": "S0", "States": states}).to_string()
}

fn bench(c: &mut Criterion) {
    let text = definition();
    println!("definition size: {} bytes", text.len());
    c.bench_function("parse+validate 200 states", |b| {
        b.iter(|| parse_definition(black_box(&text)).map(|m| m.states.len()))
    });
    let opts = ValidateOptions::default();
    c.bench_function("validate 200 states", |b| {
        b.iter(|| validate(black_box(&text), &opts).is_ok())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
