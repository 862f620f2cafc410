//! Conformance of the validator with AWS's recorded answers.
//!
//! Runs the `validation` cases of the LocalStack corpus (recorded against AWS) through
//! `asl::validate::validate`, and the `definition_error` cases whose `__type` is
//! `InvalidDefinition` through `asl::validate::invalid_definition_message`; compares exactly,
//! with the corpus placeholders (`<partition>`...) as wildcards. Fails when a case listed in
//! `tests/validation_passing.txt` no longer passes, and prints newly passing ids.
//!
//! The corpus is read from `$STEPLINE_CORPUS` or `../shared/corpus` next to the workspace; when
//! it is absent the test says so and passes.

use asl::validate::{invalid_definition_message, validate, MachineType, ValidateOptions};
use corpus::Matcher;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

struct Outcome {
    group: String,
    id: String,
    pass: bool,
    detail: String,
}

#[test]
fn validation_conformance() {
    let dir = corpus::localstack_dir(env!("CARGO_MANIFEST_DIR"));
    let Ok(index_text) = std::fs::read_to_string(dir.join("index.json")) else {
        println!(
            "SKIPPED: corpus not found at {} (set STEPLINE_CORPUS)",
            dir.display()
        );
        return;
    };
    let m = Matcher::new();
    let index: Vec<Value> = serde_json::from_str(&index_text).expect("index.json is JSON");
    let mut outcomes = Vec::new();
    let mut skipped_not_definition = 0usize;
    for entry in &index {
        let kind = entry["kind"].as_str().unwrap_or_default();
        if kind != "validation" && kind != "definition_error" {
            continue;
        }
        let file = entry["file"].as_str().unwrap_or_default();
        let Ok(text) = std::fs::read_to_string(dir.join(file)) else {
            continue;
        };
        let case: Value = serde_json::from_str(&text).expect("case is JSON");
        let id = entry["id"].as_str().unwrap_or_default().to_string();
        let group = entry["group"].as_str().unwrap_or_default().to_string();
        let request = &case["request"];
        let machine_type = match request["type"].as_str() {
            Some("EXPRESS") => MachineType::Express,
            _ => MachineType::Standard,
        };
        let opts = ValidateOptions {
            machine_type,
            ..ValidateOptions::default()
        };
        let expected = &case["expected"];
        if kind == "validation" {
            let definition = match &request["definition"] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let got = validate(&definition, &opts).to_json();
            let pass = m.smatch(expected, &got);
            outcomes.push(Outcome {
                group,
                id,
                pass,
                detail: format!("expected {expected}\n     got {got}"),
            });
        } else {
            if expected["__type"] != "InvalidDefinition" {
                skipped_not_definition += 1;
                continue;
            }
            let definition = match case.get("definition_text").and_then(Value::as_str) {
                Some(t) => t.to_string(),
                None => case["definition"].to_string(),
            };
            let result = validate(&definition, &opts);
            let errors: Vec<_> = result.errors().cloned().collect();
            let got = if errors.is_empty() {
                "(accepted)".to_string()
            } else {
                invalid_definition_message(&definition, &errors)
            };
            let pass = m.smatch(&expected["message"], &Value::String(got.clone()));
            outcomes.push(Outcome {
                group,
                id,
                pass,
                detail: format!("expected {}\n     got {got}", expected["message"]),
            });
        }
    }

    let mut per_group: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for o in &outcomes {
        let e = per_group.entry(o.group.as_str()).or_default();
        e.1 += 1;
        if o.pass {
            e.0 += 1;
        }
    }
    for (g, (ok, total)) in &per_group {
        println!("{g:24} {ok}/{total}");
    }
    let ok = outcomes.iter().filter(|o| o.pass).count();
    println!(
        "validation conformance: {ok}/{} pass; skipped (not InvalidDefinition, e.g. logging/API fields): {skipped_not_definition}",
        outcomes.len()
    );
    for o in outcomes.iter().filter(|o| !o.pass) {
        println!("FAIL {}\n     {}", o.id, o.detail);
    }

    let listed: BTreeSet<String> = include_str!("validation_passing.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    let passing: BTreeSet<&str> = outcomes
        .iter()
        .filter(|o| o.pass)
        .map(|o| o.id.as_str())
        .collect();
    for id in &passing {
        if !listed.contains(*id) {
            println!("NEWLY PASSING (add to tests/validation_passing.txt): {id}");
        }
    }
    let regressions: Vec<&String> = listed
        .iter()
        .filter(|id| !passing.contains(id.as_str()))
        .collect();
    assert!(
        regressions.is_empty(),
        "cases listed as passing now fail: {regressions:#?}"
    );
}
