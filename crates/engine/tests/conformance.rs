//! Conformance runner: every self-contained `execution` case of the corpus recorded against AWS
//! (`../shared/corpus/localstack`, or `$STEPLINE_CORPUS/localstack`) runs through the library
//! API; status/output/error/cause must match exactly and the history modulo placeholders (the
//! rule of `conform.py`'s `smatch`). Prints both pass rates per group and fails when a case
//! listed in `tests/conformance_passing.txt` no longer passes. Set `STEPLINE_WRITE_PASSING=1`
//! to rewrite the list after an improvement.

use corpus::{parse_event_fields as parse_fields, Matcher};
use engine::driver::run_to_completion;
use engine::{ExecutionContext, ExecutionType, NoIntegrations, Program, SeededEntropy, Timestamp};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

struct CaseResult {
    exact: bool,
    history: Option<bool>,
}

fn run_case(m: &Matcher, case: &Value) -> CaseResult {
    let fail = |has_history: bool| CaseResult {
        exact: false,
        history: if has_history { Some(false) } else { None },
    };
    let history = case.get("history").and_then(Value::as_array);
    let has_history = history.is_some_and(|h| !h.is_empty());
    let text = match case.get("definition_text").and_then(Value::as_str) {
        Some(t) => t.to_string(),
        None => case
            .get("definition")
            .map(|d| d.to_string())
            .unwrap_or_default(),
    };
    let express = case.get("state_machine_type").and_then(Value::as_str) == Some("EXPRESS");
    let opts = asl::validate::ValidateOptions {
        machine_type: if express {
            asl::validate::MachineType::Express
        } else {
            asl::validate::MachineType::Standard
        },
        ..Default::default()
    };
    let Ok(machine) = asl::parse::parse_definition_with(&text, &opts) else {
        return fail(has_history);
    };
    let Ok(program) = Program::compile(&machine) else {
        return fail(has_history);
    };
    let input = match case.get("input") {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(v) => v.clone(),
    };
    let mut ctx =
        ExecutionContext::example("execution", "StateMachine", Timestamp(1_700_000_000_000));
    if express {
        ctx.execution_type = ExecutionType::Express;
    }
    let finished = run_to_completion(
        Arc::new(program),
        input,
        ctx,
        Box::new(SeededEntropy::new(7)),
        &mut NoIntegrations::new(),
        has_history,
    );
    let o = &finished.outcome;
    let got = o.to_describe_json();
    let exact = case
        .get("expected")
        .is_some_and(|e| m.smatch(e, &Value::Object(got)));
    let history = history.filter(|h| !h.is_empty()).map(|h| {
        let mut exp: Vec<Value> = h.iter().map(parse_fields).collect();
        corpus::current_aws_history(case, &mut exp);
        let act: Vec<Value> = finished
            .history
            .iter()
            .map(|e| parse_fields(&e.to_json()))
            .collect();
        m.smatch(&Value::Array(exp), &Value::Array(act))
    });
    CaseResult { exact, history }
}

#[test]
fn conformance_localstack_executions() {
    let dir = corpus::localstack_dir(env!("CARGO_MANIFEST_DIR"));
    let index_path = dir.join("index.json");
    let Ok(index_text) = std::fs::read_to_string(&index_path) else {
        println!(
            "SKIPPED: conformance corpus not found at {} (set STEPLINE_CORPUS)",
            dir.display()
        );
        return;
    };
    let index: Vec<Value> = serde_json::from_str(&index_text).expect("index.json is JSON");
    let m = Matcher::new();
    // group -> (exact ok, total, history ok, history total)
    let mut rates: BTreeMap<String, (usize, usize, usize, usize)> = BTreeMap::new();
    let mut passing: BTreeSet<String> = BTreeSet::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for e in &index {
        let kind = e.get("kind").and_then(Value::as_str);
        let needs_none = e
            .get("needs")
            .and_then(Value::as_array)
            .is_some_and(|n| n.is_empty());
        if kind != Some("execution") || !needs_none {
            continue;
        }
        let id = e
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let file = e.get("file").and_then(Value::as_str).unwrap_or("");
        let group = e
            .get("group")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let Ok(text) = std::fs::read_to_string(dir.join(file)) else {
            continue;
        };
        let Ok(case) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        let r = run_case(&m, &case);
        let g = rates.entry(group).or_default();
        g.1 += 1;
        if r.exact {
            g.0 += 1;
        }
        if let Some(h) = r.history {
            g.3 += 1;
            if h {
                g.2 += 1;
            }
        }
        // A case passes when its result matches and, when AWS recorded one, its history too.
        let key = format!("{id} [{file}]");
        if !seen.insert(key.clone()) {
            continue;
        }
        if r.exact && r.history.unwrap_or(true) {
            passing.insert(key);
        }
    }
    let (mut t_ok, mut t_all, mut h_ok, mut h_all) = (0, 0, 0, 0);
    for (g, (ok, all, hok, hall)) in &rates {
        println!("{g:24} exact {ok}/{all}  history {hok}/{hall}");
        t_ok += ok;
        t_all += all;
        h_ok += hok;
        h_all += hall;
    }
    println!(
        "total: exact {t_ok}/{t_all} = {:.1}%, history {h_ok}/{h_all} = {:.1}%",
        100.0 * t_ok as f64 / t_all.max(1) as f64,
        100.0 * h_ok as f64 / h_all.max(1) as f64
    );
    let list_path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/conformance_passing.txt");
    let Some(regressed) = corpus::ratchet(&list_path, &passing) else {
        return;
    };
    assert!(
        regressed.is_empty(),
        "{} listed cases no longer pass:\n{}",
        regressed.len(),
        regressed
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}
