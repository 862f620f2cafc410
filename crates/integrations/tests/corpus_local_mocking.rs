//! Corpus runner for the `local_mocking` group: AWS-recorded executions that LocalStack's suite
//! replays with a Step Functions Local mock configuration file.
//!
//! Each case runs through a real mock configuration file (JSON text → `MockConfig::parse` →
//! `MockResolver`): for the Lambda cases the file LocalStack's test writes (restated below), for
//! the others one whose `Return`/`Throw` entries are the task results AWS recorded for each
//! state, in invocation order. Compared as LocalStack's test compares them: status, output,
//! error, cause and the whole history, skipping `$..SdkHttpMetadata`,
//! `$..SdkResponseMetadata` and `$..ExecutedVersion` (a mock does not produce them).
//! `.sync` and `.waitForTaskToken` tasks record `TaskSubmitted` with the submission's answer,
//! which the resolver makes up in the service's shape (`TaskOutcome::Submitted`).
//!
//! Prints pass rates; fails when a case listed in `tests/corpus_local_mocking_passing.txt`
//! regresses (`STEPLINE_WRITE_PASSING=1` rewrites the list). Skips when the corpus is absent.

use engine::driver::run_to_completion;
use engine::{ExecutionContext, ExecutionType, Program, SeededEntropy, Timestamp};
use integrations::mock_config::MockConfig;
use integrations::MockResolver;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::path::PathBuf;

mod common;
use common::*;
use std::sync::Arc;

/// Task state names of a definition, nested ones included.
fn task_states(def: &Value, out: &mut Vec<(String, String)>) {
    let Some(states) = def.get("States").and_then(Value::as_object) else {
        return;
    };
    for (name, s) in states {
        if s.get("Type").and_then(Value::as_str) == Some("Task") {
            let r = s.get("Resource").and_then(Value::as_str).unwrap_or("");
            out.push((name.clone(), r.to_string()));
        }
        for b in s
            .get("Branches")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            task_states(b, out);
        }
        for key in ["ItemProcessor", "Iterator"] {
            if let Some(p) = s.get(key) {
                task_states(p, out);
            }
        }
    }
}

fn lambda_ok(payload: Value) -> Value {
    json!({"Return": {"StatusCode": 200, "Payload": payload}})
}

/// The `MockedResponses` entry LocalStack's test writes for a state, where it is known.
fn localstack_mock(case: &str, state: &str) -> Option<Value> {
    let body = json!({"body": "string body"});
    Some(match (case, state) {
        (c, "step1") if c.ends_with("test_lambda_invoke") => json!({"0": lambda_ok(body)}),
        (c, "Start") if c.ends_with("test_lambda_service_invoke") => {
            json!({"0": lambda_ok(body)})
        }
        // Two Map runs of one item each: invocations 0 and 1 of the state.
        (c, "ProcessValue") if c.ends_with("test_map_state_lambda") => {
            json!({"0": lambda_ok(body.clone()), "1": lambda_ok(body)})
        }
        (c, "Branch1") if c.ends_with("test_parallel_state_lambda") => {
            json!({"0": lambda_ok(json!(["string-literal"]))})
        }
        (c, "Branch2") if c.ends_with("test_parallel_state_lambda") => {
            json!({"0": lambda_ok(json!("input-event-['string-literal']"))})
        }
        (c, "LambdaState") if c.ends_with("multiple_success_invocations") => json!({
            "0": lambda_ok(json!({"status": "running"})),
            "1": lambda_ok(json!({"status": "completed"}))
        }),
        _ => return None,
    })
}

/// A `MockedResponses` entry replaying what AWS recorded for `state`, in order.
fn recorded_mock(history: &[Value], state: &str) -> Value {
    let by_id: std::collections::HashMap<u64, &Value> = history
        .iter()
        .filter_map(|e| e.get("id").and_then(Value::as_u64).map(|id| (id, e)))
        .collect();
    let state_of = |e: &Value| -> Option<String> {
        let mut cur = e;
        for _ in 0..=history.len() {
            let d = details(cur);
            if cur
                .get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.ends_with("StateEntered"))
            {
                return d.get("name").and_then(Value::as_str).map(str::to_string);
            }
            cur = by_id.get(&cur.get("previousEventId")?.as_u64()?)?;
        }
        None
    };
    let mut steps = Map::new();
    for e in history {
        let ty = e.get("type").and_then(Value::as_str).unwrap_or("");
        let step = match ty {
            "TaskSucceeded" | "LambdaFunctionSucceeded" => {
                let out = parsed(details(e).get("output").unwrap_or(&Value::Null));
                if ty == "LambdaFunctionSucceeded" {
                    lambda_ok(out)
                } else {
                    json!({"Return": out})
                }
            }
            "TaskFailed" | "LambdaFunctionFailed" => {
                let d = details(e);
                let text = |k: &str| match d.get(k) {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Null) | None => String::new(),
                    Some(v) => v.to_string(),
                };
                json!({"Throw": {"Error": text("error"), "Cause": text("cause")}})
            }
            _ => continue,
        };
        if state_of(e).as_deref() == Some(state) {
            steps.insert(steps.len().to_string(), step);
        }
    }
    Value::Object(steps)
}

struct Verdict {
    outcome: bool,
    history: bool,
    note: String,
}

fn run_case(case: &Value, m: &Matcher) -> Result<Verdict, String> {
    let id = case["id"].as_str().unwrap_or("");
    let def = &case["definition"];
    let history = case["history"].as_array().cloned().unwrap_or_default();
    let test_case = case["mock_test_case"].as_str().unwrap_or("TestCaseName");
    let sm = "MockedStateMachine";
    let mut tasks = Vec::new();
    task_states(def, &mut tasks);
    let mut mapping = Map::new();
    let mut responses = Map::new();
    for (state, _) in &tasks {
        let r = localstack_mock(id, state).unwrap_or_else(|| recorded_mock(&history, state));
        let name = format!("{state}Response");
        mapping.insert(state.clone(), Value::String(name.clone()));
        responses.insert(name, r);
    }
    let file = json!({
        "StateMachines": {sm: {"TestCases": {test_case: mapping}}},
        "MockedResponses": responses,
    });
    let config = MockConfig::parse(&file.to_string()).map_err(|e| e.to_string())?;
    let mut resolver = MockResolver::new(&config, sm, test_case).map_err(|e| e.to_string())?;
    let machine = asl::parse::parse_definition(&def.to_string()).map_err(|e| e.message)?;
    let program = Arc::new(Program::compile(&machine).map_err(|e| e.message)?);
    let mut ctx = ExecutionContext::example("exec", sm, Timestamp::from_millis(1_700_000_000_000));
    if case["state_machine_type"] == "EXPRESS" {
        ctx.execution_type = ExecutionType::Express;
    }
    let f = run_to_completion(
        program,
        case["input"].clone(),
        ctx,
        Box::new(SeededEntropy::new(7)),
        &mut resolver,
        true,
    );
    let exp = &case["expected"];
    let mut names = Vec::new();
    if let Some(first) = history.first() {
        renames(
            &case["input"],
            &parsed(&details(first)["input"]),
            &mut names,
        );
    }
    let mut notes = Vec::new();
    let mut outcome = exp["status"].as_str() == Some(f.outcome.status.as_str());
    if !outcome {
        notes.push(format!(
            "status {} (expected {})",
            f.outcome.status.as_str(),
            exp["status"]
        ));
    }
    if let Some(want) = exp.get("output") {
        let mut got = f.outcome.output.as_deref().cloned().unwrap_or(Value::Null);
        rename(&mut got, &names);
        let mut want = parsed(want);
        strip(&mut got);
        strip(&mut want);
        if !m.smatch(&want, &got) {
            outcome = false;
            notes.push(format!("output {got} (expected {want})"));
        }
    }
    for (k, got) in [("error", &f.outcome.error), ("cause", &f.outcome.cause)] {
        if let Some(want) = exp.get(k) {
            let got = got
                .as_deref()
                .map(|s| parsed(&Value::String(s.to_string())));
            if !got.as_ref().is_some_and(|g| m.smatch(&parsed(want), g)) {
                outcome = false;
                notes.push(format!("{k} {got:?} (expected {want})"));
            }
        }
    }
    let mut want: Vec<Value> = history.iter().map(normalise_event).collect();
    corpus::current_aws_history(case, &mut want);
    let got: Vec<Value> = f
        .history
        .iter()
        .map(|e| {
            let mut v = normalise_event(&e.to_json());
            rename(&mut v, &names);
            v
        })
        .collect();
    let history_ok = history_matches(m, &want, &got);
    if !history_ok {
        let first = want
            .iter()
            .zip(&got)
            .position(|(w, g)| !m.smatch(w, g))
            .unwrap_or(want.len().min(got.len()));
        notes.push(format!(
            "history differs at event {} ({} vs {} events): expected {} got {}",
            first + 1,
            want.len(),
            got.len(),
            want.get(first).map(|v| v.to_string()).unwrap_or_default(),
            got.get(first).map(|v| v.to_string()).unwrap_or_default()
        ));
    }
    Ok(Verdict {
        outcome,
        history: history_ok,
        note: notes.join("; "),
    })
}

#[test]
fn corpus_local_mocking() {
    let dir = corpus_dir();
    let Ok(index) = std::fs::read_to_string(dir.join("index.json")) else {
        println!(
            "corpus not found at {}: skipping the local_mocking corpus runner",
            dir.display()
        );
        return;
    };
    let index: Vec<Value> = serde_json::from_str(&index).expect("index.json");
    let m = matcher();
    let mut passing = BTreeSet::new();
    let (mut total, mut outcome_ok) = (0, 0);
    for entry in index.iter().filter(|e| e["group"] == "local_mocking") {
        total += 1;
        let id = entry["id"].as_str().unwrap_or("").to_string();
        let text = std::fs::read_to_string(dir.join(entry["file"].as_str().unwrap_or("")))
            .expect("case file");
        let case: Value = serde_json::from_str(&text).expect("case json");
        match run_case(&case, &m) {
            Ok(v) => {
                if v.outcome {
                    outcome_ok += 1;
                }
                if v.outcome && v.history {
                    passing.insert(id.clone());
                } else {
                    println!("FAIL {id}: {}", v.note);
                }
            }
            Err(e) => println!("ERROR {id}: {e}"),
        }
    }
    println!(
        "local_mocking: {}/{total} pass (outcome and history); {outcome_ok}/{total} outcome only",
        passing.len()
    );
    let list_path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus_local_mocking_passing.txt");
    let Some(regressed) = corpus::ratchet(&list_path, &passing) else {
        return;
    };
    assert!(regressed.is_empty(), "regressed: {regressed:?}");
}
