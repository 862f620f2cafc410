//! Differential test against jsonata-js. `difftest/run.sh` installs `jsonata@2` from npm,
//! generates expression/input pairs with `difftest/generate.js` (evaluated by jsonata-js) and
//! runs this test with `STEPLINE_JSONATA_DIFF=<file.jsonl>`. Without the variable the test
//! does nothing (it needs Node.js and the npm package).

use std::collections::BTreeMap;

use jsonata::{Bindings, Expression, Input};
use serde_json::Value;

fn num_close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            num_close(x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y.iter())
                    .all(|((k1, v1), (k2, v2))| k1 == k2 && same(v1, v2))
        }
        _ => a == b,
    }
}

fn has_non_finite(v: &Value) -> bool {
    match v {
        Value::Object(o) => o.contains_key("nonFinite") || o.values().any(has_non_finite),
        Value::Array(a) => a.iter().any(has_non_finite),
        _ => false,
    }
}

#[test]
fn differential_against_jsonata_js() {
    let Ok(path) = std::env::var("STEPLINE_JSONATA_DIFF") else {
        println!("SKIPPED: set STEPLINE_JSONATA_DIFF (see difftest/run.sh)");
        return;
    };
    let text = std::fs::read_to_string(&path).expect("read cases");
    let lines: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let docs: Vec<Input> = lines
        .iter()
        .find_map(|l| l.get("docs").and_then(Value::as_array).cloned())
        .expect("docs line")
        .iter()
        .map(Input::new)
        .collect();
    let bindings = Bindings::new()
        .now(0)
        .seed(1)
        .time_limit(std::time::Duration::from_secs(5));
    let mut total = 0usize;
    let mut skipped = 0usize;
    let mut agree = 0usize;
    let mut categories: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for l in &lines {
        let Some(expr) = l.get("expr").and_then(Value::as_str) else {
            continue;
        };
        if l.get("error").and_then(Value::as_str) == Some("SKIP") {
            // the reference ran over its time/depth/size box: nothing to compare
            skipped += 1;
            continue;
        }
        total += 1;
        let doc = &docs[l.get("doc").and_then(Value::as_u64).unwrap_or(0) as usize];
        let ours = Expression::compile(expr).and_then(|e| e.evaluate_input(doc, &bindings));
        let verdict: Result<(), String> = match (l.get("error").and_then(Value::as_str), &ours) {
            (Some(code), Err(e)) if code == e.code => Ok(()),
            (Some(code), Err(e)) if code.starts_with("JS:") => Err(format!(
                "reference threw a JavaScript error vs ours {}: {code}",
                e.code
            )),
            (Some(code), Err(e)) => Err(format!("error code {code} vs ours {}", e.code)),
            (Some(code), Ok(v)) if code.starts_with("JS:") => Err(format!(
                "reference threw a JavaScript error vs ours {v:?}: {code}"
            )),
            (Some(code), Ok(v)) => Err(format!("reference error {code} vs ours {v:?}")),
            (None, Err(e)) => {
                if l.get("result").is_some_and(has_non_finite) && e.code == "D1001" {
                    Err("non-finite number in result (JS prints null)".into())
                } else {
                    Err(format!("reference ok vs ours error {}", e.code))
                }
            }
            (None, Ok(v)) => match (l.get("undefined").is_some(), v, l.get("result")) {
                (true, None, _) => Ok(()),
                (false, Some(v), Some(r)) if same(v, r) => Ok(()),
                (_, v, r) => Err(format!("result {r:?} vs ours {v:?}")),
            },
        };
        match verdict {
            Ok(()) => agree += 1,
            Err(why) => {
                let cat: String = why
                    .split_once(" vs ")
                    .map(|p| p.0)
                    .unwrap_or(&why)
                    .chars()
                    .take(40)
                    .collect();
                categories
                    .entry(cat)
                    .or_default()
                    .push(format!("{expr}  =>  {why}"));
            }
        }
    }
    println!(
        "differential: {agree}/{total} agree ({skipped} skipped: reference over its time box)"
    );
    for (cat, items) in &categories {
        println!("{:5}  {cat}", items.len());
        for i in items.iter().take(6) {
            let short: String = i.chars().take(300).collect();
            println!("         {short}");
        }
    }
    let limit: usize = std::env::var("STEPLINE_JSONATA_DIFF_ALLOWED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    assert!(total - agree <= limit, "{} disagreements", total - agree);
}
