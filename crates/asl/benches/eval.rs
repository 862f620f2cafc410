//! Evaluation benchmarks on a ~10 KB payload: JSONPath (definite, wildcard, filter, recursive
//! descent), an intrinsic call, a payload template and a Choice rule.

use asl::choice::ChoiceRule;
use asl::intrinsics;
use asl::jsonpath::JsonPath;
use asl::template::{PayloadTemplate, Scope, SeededEntropy};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use serde_json::{json, Value};

fn payload() -> Value {
    let items: Vec<Value> = (0..140)
        .map(|i| {
            json!({
                "id": i,
                "name": format!("item-{i}"),
                "price": f64::from(i) * 1.25,
                "tags": ["a", "b"],
                "inStock": i % 3 != 0
            })
        })
        .collect();
    json!({"order": {"id": "o-1", "customer": {"name": "Ada", "tier": "gold"}, "items": items}})
}

fn bench(c: &mut Criterion) {
    let doc = payload();
    let size = serde_json::to_string(&doc).map(|s| s.len()).unwrap_or(0);
    println!("payload size: {size} bytes");
    let ctx = json!({"Execution": {"Id": "arn:x"}});
    let entropy = SeededEntropy::new(1);
    let scope = Scope::new(&doc, &ctx, &entropy);

    let definite = JsonPath::parse("$.order.customer.tier").unwrap_or_else(|e| panic!("{e}"));
    c.bench_function("jsonpath definite", |b| {
        b.iter(|| definite.evaluate(black_box(&doc)).map(|v| v.is_string()))
    });
    let wildcard = JsonPath::parse("$.order.items[*].price").unwrap_or_else(|e| panic!("{e}"));
    c.bench_function("jsonpath wildcard", |b| {
        b.iter(|| wildcard.evaluate(black_box(&doc)).map(|v| v.is_array()))
    });
    let filter = JsonPath::parse("$.order.items[?(@.price > 50 && @.inStock)].id")
        .unwrap_or_else(|e| panic!("{e}"));
    c.bench_function("jsonpath filter", |b| {
        b.iter(|| filter.evaluate(black_box(&doc)).map(|v| v.is_array()))
    });
    let descent = JsonPath::parse("$..name").unwrap_or_else(|e| panic!("{e}"));
    c.bench_function("jsonpath recursive descent", |b| {
        b.iter(|| descent.evaluate(black_box(&doc)).map(|v| v.is_array()))
    });
    let call = intrinsics::parse(
        "States.Format('{} bought {} items', $.order.customer.name, States.ArrayLength($.order.items))",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    c.bench_function("intrinsic Format+ArrayLength", |b| {
        b.iter(|| call.evaluate(black_box(&scope)))
    });
    let to_string =
        intrinsics::parse("States.JsonToString($.order)").unwrap_or_else(|e| panic!("{e}"));
    c.bench_function("intrinsic JsonToString(10KB)", |b| {
        b.iter(|| to_string.evaluate(black_box(&scope)))
    });
    c.bench_function("baseline serde_json::to_string(10KB)", |b| {
        b.iter(|| serde_json::to_string(black_box(&doc)).map(|s| s.len()))
    });
    // Hash input is limited to 10,000 characters: hash the first 60 items (~4.4 KB).
    let hash =
        intrinsics::parse("States.Hash(States.JsonToString($.order.items[0:60]), 'SHA-256')")
            .unwrap_or_else(|e| panic!("{e}"));
    c.bench_function("intrinsic Hash(JsonToString(~4KB))", |b| {
        b.iter(|| hash.evaluate(black_box(&scope)).map(|v| v.is_string()))
    });
    let template = PayloadTemplate::compile(&json!({
        "orderId.$": "$.order.id",
        "exec.$": "$$.Execution.Id",
        "cheap.$": "$.order.items[?(@.price < 10)].name",
        "static": {"a": 1}
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    c.bench_function("template", |b| {
        b.iter(|| template.evaluate(black_box(&scope)))
    });
    let rule = ChoiceRule::parse(&json!({"And": [
        {"Variable": "$.order.customer.tier", "StringEquals": "gold"},
        {"Variable": "$.order.items[0].price", "NumericLessThan": 100}
    ]}))
    .unwrap_or_else(|e| panic!("{e}"));
    c.bench_function("choice rule", |b| {
        b.iter(|| rule.evaluate(black_box(&scope)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
