//! The corpus group `activities` (AWS-recorded histories): each case's client interaction
//! (from the LocalStack test named in its `source`) is replayed against the real server and
//! the history compared with AWS's, placeholders and timestamps aside.
//!
//! Skips with a message when the corpus is absent (`STEPLINE_CORPUS` overrides its place);
//! fails when a case listed in `tests/waiting_corpus_passing.txt` fails.

mod common;

use common::*;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(120);
const WORKER: &str = "BASE_ID_ACTIVITY_CONSUMER";

fn corpus() -> PathBuf {
    std::env::var_os("STEPLINE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/corpus"
            ))
        })
}

/// Placeholders for what differs between runs; JSON text parsed (AWS's recorded histories
/// show object-valued input/output parsed).
fn normalize(v: &Value, activity: &str) -> Value {
    match v {
        Value::String(s) => {
            let s = s
                .replace(activity, "activity_arn")
                .replace(ROLE, "snf_role_arn");
            match serde_json::from_str::<Value>(&s) {
                Ok(p @ (Value::Object(_) | Value::Array(_))) => normalize(&p, activity),
                _ => Value::String(s),
            }
        }
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| k.as_str() != "timestamp")
                .map(|(k, v)| (k.clone(), normalize(v, activity)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|x| normalize(x, activity)).collect()),
        other => other.clone(),
    }
}

fn take(s: &Server, activity: &str, worker: Option<&str>) -> (String, String) {
    let deadline = Instant::now() + LONG;
    loop {
        let mut req = json!({"activityArn": activity});
        if let Some(w) = worker {
            req["workerName"] = json!(w);
        }
        let v = s.ok("GetActivityTask", req);
        if let Some(t) = v["taskToken"].as_str() {
            return (t.to_string(), v["input"].as_str().unwrap_or("").to_string());
        }
        assert!(Instant::now() < deadline, "no activity task");
    }
}

/// Runs one case; `Err` says how it differs from AWS.
fn run_case(s: &Server, id: &str, case: &Value, n: usize) -> Result<(), String> {
    let act_name = format!("corpus-act-{n}");
    let activity = s.ok("CreateActivity", json!({"name": act_name}))["activityArn"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let recorded_arn = case["definition"]["States"]
        .as_object()
        .and_then(|m| m.values().next())
        .and_then(|st| st["Resource"].as_str())
        .unwrap_or_default()
        .to_string();
    let def = case["definition"]
        .to_string()
        .replace(&recorded_arn, &activity);
    let machine = s.create_machine(
        &format!("corpus-m-{n}"),
        &serde_json::from_str(&def).unwrap(),
    );
    if id.contains("on_deleted") {
        s.ok("DeleteActivity", json!({"activityArn": activity}));
    }
    let exec = s.ok(
        "StartExecution",
        json!({"stateMachineArn": machine, "input": case["input"].to_string()}),
    )["executionArn"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if !id.contains("on_deleted") {
        let worker = (!id.contains("no_worker_name")).then_some(WORKER);
        let (token, input) = take(s, &activity, worker);
        if id.contains("task_failure") {
            s.ok(
                "SendTaskFailure",
                json!({"taskToken": token, "error": "Programmatic Error", "cause": input}),
            );
        } else if id.contains("with_heartbeat") {
            s.ok("SendTaskHeartbeat", json!({"taskToken": token}));
            s.ok(
                "SendTaskSuccess",
                json!({"taskToken": token, "output": input}),
            );
        } else if !id.contains("start_timeout") {
            s.ok(
                "SendTaskSuccess",
                json!({"taskToken": token, "output": input}),
            );
        }
    }
    s.wait_done(&exec, LONG);
    let got: Vec<Value> = s
        .history(&exec)
        .iter()
        .map(|e| normalize(e, &activity))
        .collect();
    let want: Vec<Value> = case["history"]
        .as_array()
        .map(|h| h.iter().map(|e| normalize(e, &recorded_arn)).collect())
        .unwrap_or_default();
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "history differs:\n  AWS: {}\n  got: {}",
            Value::Array(want),
            Value::Array(got)
        ))
    }
}

#[test]
fn activities_corpus() {
    let dir = corpus().join("localstack/activities");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        println!("SKIPPED: corpus folder {} is absent", dir.display());
        return;
    };
    let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    let listed: Vec<String> = include_str!("waiting_corpus_passing.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    let s = Server::start_in_memory();
    let (mut passed, mut regressions) = (Vec::new(), Vec::new());
    for (n, f) in files.iter().enumerate() {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        let Ok(case) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        let id = case["id"].as_str().unwrap_or_default().to_string();
        match run_case(&s, &id, &case, n) {
            Ok(()) => passed.push(id),
            Err(e) => {
                println!("FAIL {id}: {e}");
                if listed.contains(&id) {
                    regressions.push(id);
                }
            }
        }
    }
    println!(
        "activities: {}/{} cases match AWS's history",
        passed.len(),
        files.len()
    );
    for id in &passed {
        if !listed.contains(id) {
            println!("newly passing: {id}");
        }
    }
    assert!(regressions.is_empty(), "regressions: {regressions:?}");
}
