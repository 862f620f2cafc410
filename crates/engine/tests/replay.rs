//! Replay runner: corpus `execution` cases whose only needs are service integrations
//! (Lambda, SNS, SQS, DynamoDB, aws-sdk, EventBridge) run with a resolver that plays back the
//! task results AWS recorded in the case's history, in order. This checks the engine's Task,
//! Retry, Catch, timeout and history logic against AWS on flows the self-contained cases do
//! not cover. Prints pass rates per group; fails when a case listed in
//! `tests/replay_passing.txt` regresses (`STEPLINE_WRITE_PASSING=1` rewrites the list).

use corpus::Matcher;
use engine::driver::run_to_completion;
use engine::{
    ExecutionContext, ExecutionType, Program, SeededEntropy, TaskInvocation, TaskOutcome,
    TaskResolver, Timestamp,
};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;

/// The recordings parsed JSON causes too: compare them parsed on both sides.
fn parse_fields(ev: &Value) -> Value {
    corpus::parse_event_fields_with(ev, &["cause"])
}

fn python_json(v: &Value) -> String {
    match v {
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(python_json).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, x)| format!("{}: {}", Value::String(k.clone()), python_json(x)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

fn text_of(v: Option<&Value>, python: bool) -> Option<String> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) if python => Some(python_json(other)),
        Some(other) => Some(other.to_string()),
    }
}

/// Plays back the task outcomes recorded in a history, in order.
struct Replay(VecDeque<TaskOutcome>);

impl Replay {
    fn from_history(history: &[Value]) -> Replay {
        let mut q = VecDeque::new();
        for ev in history {
            let ty = ev.get("type").and_then(Value::as_str).unwrap_or("");
            let details = ev
                .as_object()
                .and_then(|m| m.iter().find(|(k, _)| k.ends_with("EventDetails")))
                .map(|(_, d)| d.clone())
                .unwrap_or(Value::Null);
            match ty {
                "TaskSucceeded" | "LambdaFunctionSucceeded" => {
                    let out = match details.get("output") {
                        Some(Value::String(s)) => {
                            serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.clone()))
                        }
                        Some(v) => v.clone(),
                        None => Value::Null,
                    };
                    q.push_back(TaskOutcome::Succeeded(out));
                }
                "TaskFailed"
                | "LambdaFunctionFailed"
                | "TaskStartFailed"
                | "LambdaFunctionStartFailed"
                | "LambdaFunctionScheduleFailed" => {
                    // The recording parsed JSON causes; Lambda functions print them with
                    // Python's separators, service integrations compactly.
                    let python = ty.starts_with("Lambda");
                    q.push_back(TaskOutcome::Failed {
                        error: text_of(details.get("error"), python),
                        cause: text_of(details.get("cause"), python),
                    });
                }
                "TaskTimedOut" | "LambdaFunctionTimedOut" => q.push_back(TaskOutcome::Pending),
                _ => {}
            }
        }
        Replay(q)
    }
}

impl TaskResolver for Replay {
    fn invoke(&mut self, _inv: &TaskInvocation) -> TaskOutcome {
        self.0.pop_front().unwrap_or(TaskOutcome::Pending)
    }
}

const REPLAYABLE: &[&str] = &[
    "lambda",
    "sns",
    "sqs",
    "dynamodb",
    "events",
    "credentials",
    "logs",
];

fn replayable(needs: &[Value]) -> bool {
    !needs.is_empty()
        && needs.iter().all(|n| {
            n.as_str()
                .is_some_and(|n| REPLAYABLE.contains(&n) || n.starts_with("aws-sdk:"))
        })
}

/// (result matches, history matches when recorded)
fn run_case(m: &Matcher, case: &Value) -> (bool, Option<bool>) {
    let history = case
        .get("history")
        .and_then(Value::as_array)
        .filter(|h| !h.is_empty());
    let fail = (false, history.map(|_| false));
    let text = match case.get("definition_text").and_then(Value::as_str) {
        Some(t) => t.to_string(),
        None => case
            .get("definition")
            .map(|d| d.to_string())
            .unwrap_or_default(),
    };
    let express = case.get("state_machine_type").and_then(Value::as_str) == Some("EXPRESS");
    let Ok(machine) = asl::parse::parse_definition(&text) else {
        return fail;
    };
    let Ok(program) = Program::compile(&machine) else {
        return fail;
    };
    let Some(recorded) = history else { return fail };
    let input = match case.get("input") {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(v) => v.clone(),
    };
    let mut ctx =
        ExecutionContext::example("execution", "StateMachine", Timestamp(1_700_000_000_000));
    if express {
        ctx.execution_type = ExecutionType::Express;
    }
    let mut replay = Replay::from_history(recorded);
    let finished = run_to_completion(
        Arc::new(program),
        input,
        ctx,
        Box::new(SeededEntropy::new(7)),
        &mut replay,
        true,
    );
    let o = &finished.outcome;
    let got = o.to_describe_json();
    let exact = case
        .get("expected")
        .is_some_and(|e| m.smatch(e, &Value::Object(got.clone())));
    let exp: Vec<Value> = recorded.iter().map(parse_fields).collect();
    let act: Vec<Value> = finished
        .history
        .iter()
        .map(|e| parse_fields(&e.to_json()))
        .collect();
    let hist_ok = m.smatch(&Value::Array(exp.clone()), &Value::Array(act.clone()));
    if std::env::var("STEPLINE_REPLAY_VERBOSE").is_ok() {
        if !exact {
            println!(
                "  result: expected {} got {}",
                case.get("expected").cloned().unwrap_or_default(),
                Value::Object(got.clone())
            );
        }
        if !hist_ok {
            for i in 0..exp.len().max(act.len()) {
                let (a, b) = (exp.get(i), act.get(i));
                if !matches!((a, b), (Some(a), Some(b)) if m.smatch(a, b)) {
                    let cut = |v: Option<&Value>| {
                        v.map(|v| v.to_string().chars().take(400).collect::<String>())
                    };
                    println!(
                        "  event {i}: expected {:?}\n            got {:?}",
                        cut(a),
                        cut(b)
                    );
                    break;
                }
            }
        }
    }
    (exact, Some(hist_ok))
}

#[test]
fn replay_recorded_task_results() {
    let dir = corpus::localstack_dir(env!("CARGO_MANIFEST_DIR"));
    let Ok(index_text) = std::fs::read_to_string(dir.join("index.json")) else {
        println!(
            "SKIPPED: corpus not found at {} (set STEPLINE_CORPUS)",
            dir.display()
        );
        return;
    };
    let index: Vec<Value> = serde_json::from_str(&index_text).expect("index.json is JSON");
    let m = Matcher::new();
    let mut rates: BTreeMap<String, (usize, usize, usize, usize)> = BTreeMap::new();
    let mut passing: BTreeSet<String> = BTreeSet::new();
    for e in &index {
        let needs = e
            .get("needs")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if e.get("kind").and_then(Value::as_str) != Some("execution") || !replayable(&needs) {
            continue;
        }
        let id = e.get("id").and_then(Value::as_str).unwrap_or("");
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
        if std::env::var("STEPLINE_REPLAY_VERBOSE").is_ok() {
            println!("CASE {file}");
        }
        let (exact, hist) = run_case(&m, &case);
        let g = rates.entry(group).or_default();
        g.1 += 1;
        g.0 += usize::from(exact);
        if let Some(h) = hist {
            g.3 += 1;
            g.2 += usize::from(h);
        }
        if std::env::var("STEPLINE_REPLAY_VERBOSE").is_ok() && !(exact && hist.unwrap_or(true)) {
            println!("FAIL {file} exact={exact} history={hist:?}");
        }
        if exact && hist.unwrap_or(true) {
            passing.insert(format!("{id} [{file}]"));
        }
    }
    let (mut ok, mut all, mut hok, mut hall) = (0, 0, 0, 0);
    for (g, (a, b, c, d)) in &rates {
        println!("{g:24} exact {a}/{b}  history {c}/{d}");
        ok += a;
        all += b;
        hok += c;
        hall += d;
    }
    println!("replay total: exact {ok}/{all}, history {hok}/{hall}");
    let list_path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/replay_passing.txt");
    let Some(regressed) = corpus::ratchet(&list_path, &passing) else {
        return;
    };
    assert!(
        regressed.is_empty(),
        "listed replay cases no longer pass: {regressed:#?}"
    );
}
