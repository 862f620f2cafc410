//! Compile and evaluate the official suite's successful cases (no error expected, no time or
//! depth limit). `benches/jsonata_js_bench.js` runs the same cases on jsonata-js for comparison.
//! Skips with a message when the suite is absent (see tests/suite.rs for the location rules).

use std::path::PathBuf;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use jsonata::{Bindings, Expression, Input};
use serde_json::Value;

struct Case {
    expr: String,
    data: Option<Value>,
    bindings: Bindings,
}

fn suite_dir() -> PathBuf {
    if let Ok(p) = std::env::var("STEPLINE_JSONATA_SUITE") {
        return PathBuf::from(p);
    }
    if let Ok(p) = std::env::var("STEPLINE_CORPUS") {
        return PathBuf::from(p).join("jsonata-suite");
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/jsonata-suite")
}

fn load() -> Vec<Case> {
    let root = suite_dir();
    let mut out = Vec::new();
    let Ok(groups) = std::fs::read_dir(root.join("groups")) else {
        return out;
    };
    let mut groups: Vec<PathBuf> = groups.flatten().map(|e| e.path()).collect();
    groups.sort();
    for g in groups {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&g)
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "json"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        for f in files {
            let Ok(text) = std::fs::read_to_string(&f) else {
                continue;
            };
            let Ok(v) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            let cases = match v {
                Value::Array(a) => a,
                o => vec![o],
            };
            for c in cases {
                if !(c.get("result").is_some() || c.get("undefinedResult").is_some())
                    || c.get("timelimit").is_some()
                    || c.get("depth").is_some()
                {
                    continue;
                }
                let expr = match (c.get("expr"), c.get("expr-file")) {
                    (Some(Value::String(e)), _) => e.clone(),
                    (_, Some(Value::String(file))) => match std::fs::read_to_string(g.join(file)) {
                        Ok(e) => e,
                        Err(_) => continue,
                    },
                    _ => continue,
                };
                let data = if let Some(d) = c.get("data") {
                    Some(d.clone())
                } else if let Some(Value::String(ds)) = c.get("dataset") {
                    std::fs::read_to_string(root.join("datasets").join(format!("{ds}.json")))
                        .ok()
                        .and_then(|t| serde_json::from_str(&t).ok())
                } else {
                    None
                };
                let mut bindings = Bindings::new().now(1_700_000_000_000).seed(1);
                if let Some(Value::Object(o)) = c.get("bindings") {
                    for (k, v) in o {
                        bindings = bindings.var(k, v.clone());
                    }
                }
                out.push(Case {
                    expr,
                    data,
                    bindings,
                });
            }
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let cases = load();
    if cases.is_empty() {
        println!(
            "SKIPPED: JSONata test suite not found at {}",
            suite_dir().display()
        );
        return;
    }
    let compiled: Vec<Expression> = cases
        .iter()
        .filter_map(|k| Expression::compile(&k.expr).ok())
        .collect();
    assert_eq!(compiled.len(), cases.len());
    let mut g = c.benchmark_group("suite");
    g.throughput(Throughput::Elements(cases.len() as u64));
    g.sample_size(10);
    g.measurement_time(std::time::Duration::from_secs(10));
    g.bench_function("compile", |b| {
        b.iter(|| {
            for k in &cases {
                black_box(Expression::compile(black_box(&k.expr)).ok());
            }
        })
    });
    // jsonata-js is handed already-parsed JavaScript objects; the like for like is an input
    // already in the evaluator's representation (`Input`). The result is still converted
    // to serde_json.
    let inputs: Vec<Input> = cases
        .iter()
        .map(|k| {
            k.data
                .as_ref()
                .map(Input::new)
                .unwrap_or_else(Input::undefined)
        })
        .collect();
    g.bench_function("evaluate", |b| {
        b.iter(|| {
            for ((e, k), i) in compiled.iter().zip(&cases).zip(&inputs) {
                black_box(e.evaluate_input(i, &k.bindings).ok());
            }
        })
    });
    g.bench_function("evaluate_from_serde_json", |b| {
        b.iter(|| {
            for (e, k) in compiled.iter().zip(&cases) {
                black_box(e.evaluate_opt(k.data.as_ref(), &k.bindings).ok());
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
