//! Every definition AWS ran (the corpus `execution` and `sync_execution` cases) must pass the
//! validator: a false rejection would stop the engine from running a definition AWS runs.
//! Skips with a message when the corpus is absent.

use asl::validate::{validate, MachineType, ValidateOptions};
use serde_json::Value;
use std::path::PathBuf;

fn corpus_dir() -> PathBuf {
    match std::env::var("STEPLINE_CORPUS") {
        Ok(p) => PathBuf::from(p),
        Err(_) => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"),
    }
}

#[test]
fn definitions_aws_ran_are_valid() {
    let dir = corpus_dir().join("localstack");
    let Ok(index_text) = std::fs::read_to_string(dir.join("index.json")) else {
        println!(
            "SKIPPED: corpus not found at {} (set STEPLINE_CORPUS)",
            dir.display()
        );
        return;
    };
    let index: Vec<Value> = serde_json::from_str(&index_text).expect("index.json is JSON");
    let mut checked = 0usize;
    let mut rejected = Vec::new();
    for entry in &index {
        let kind = entry["kind"].as_str().unwrap_or_default();
        if kind != "execution" && kind != "sync_execution" {
            continue;
        }
        let Ok(text) =
            std::fs::read_to_string(dir.join(entry["file"].as_str().unwrap_or_default()))
        else {
            continue;
        };
        let case: Value = serde_json::from_str(&text).expect("case is JSON");
        let definition = match case.get("definition_text").and_then(Value::as_str) {
            Some(t) => t.to_string(),
            None => match &case["definition"] {
                Value::Null => continue,
                d => d.to_string(),
            },
        };
        let machine_type = match case["state_machine_type"].as_str() {
            Some("EXPRESS") => MachineType::Express,
            _ => MachineType::Standard,
        };
        let opts = ValidateOptions {
            machine_type,
            ..ValidateOptions::default()
        };
        checked += 1;
        let result = validate(&definition, &opts);
        if !result.is_ok() {
            rejected.push(format!("{}: {}", entry["id"], result.to_json()));
        }
    }
    println!(
        "checked {checked} definitions AWS ran; {} rejected",
        rejected.len()
    );
    for r in &rejected {
        println!("REJECTED {r}");
    }
    assert!(
        rejected.is_empty(),
        "{} definitions AWS ran were rejected",
        rejected.len()
    );
}

/// Every TestState definition AWS ran parses as a TestState definition (a lone state, or a
/// whole machine with `stateName`).
#[test]
fn test_state_definitions_aws_ran_parse() {
    let dir = corpus_dir().join("localstack");
    let Ok(index_text) = std::fs::read_to_string(dir.join("index.json")) else {
        println!(
            "SKIPPED: corpus not found at {} (set STEPLINE_CORPUS)",
            dir.display()
        );
        return;
    };
    let index: Vec<Value> = serde_json::from_str(&index_text).expect("index.json is JSON");
    let mut checked = 0usize;
    let mut rejected = Vec::new();
    for entry in &index {
        if entry["kind"] != "test_state" {
            continue;
        }
        let Ok(text) =
            std::fs::read_to_string(dir.join(entry["file"].as_str().unwrap_or_default()))
        else {
            continue;
        };
        let case: Value = serde_json::from_str(&text).expect("case is JSON");
        let request = &case["request"];
        let definition = match &request["definition"] {
            Value::String(s) => s.clone(),
            Value::Null => continue,
            d => d.to_string(),
        };
        // Cases where AWS rejected the definition itself carry no output.
        if case["expected"].get("status").is_none() {
            continue;
        }
        checked += 1;
        let name = request["stateName"].as_str();
        if let Err(e) =
            asl::parse::parse_test_state_definition(&definition, name, &ValidateOptions::default())
        {
            rejected.push(format!("{}: {e}", entry["id"]));
        }
    }
    println!(
        "checked {checked} TestState definitions; {} rejected",
        rejected.len()
    );
    for r in &rejected {
        println!("REJECTED {r}");
    }
    assert!(
        rejected.is_empty(),
        "{} TestState definitions were rejected",
        rejected.len()
    );
}
