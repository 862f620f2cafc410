//! A minimal interpreter for the corpus cases made only of Pass, Choice, Succeed and Fail states
//! in JSONPath mode, so the `asl` evaluation API (paths, templates, intrinsics, Choice rules) can
//! be checked against AWS's recordings before the engine exists. Shared by the corpus tests.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use asl::choice::ChoiceRule;
use asl::error::StatesError;
use asl::jsonpath::JsonPath;
use asl::template::{PayloadTemplate, Scope, SeededEntropy};
use serde_json::{json, Value};

/// The corpus folder, or `None` (with a printed reason) when it is absent.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = match std::env::var("STEPLINE_CORPUS") {
        Ok(d) => PathBuf::from(d),
        Err(_) => PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/corpus"
        )),
    };
    let dir = dir.join("localstack");
    if dir.join("index.json").is_file() {
        Some(dir)
    } else {
        println!(
            "SKIP: corpus not found at {} (set STEPLINE_CORPUS to run the corpus tests)",
            dir.display()
        );
        None
    }
}

/// Every self-contained execution case of `group`: `(id, case JSON)`.
pub fn cases(dir: &std::path::Path, group: &str) -> Vec<(String, Value)> {
    let index: Value = match std::fs::read_to_string(dir.join("index.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
    {
        Some(v) => v,
        None => return Vec::new(),
    };
    let mut out = Vec::new();
    for entry in index.as_array().into_iter().flatten() {
        if entry["group"] != group || entry["kind"] != "execution" {
            continue;
        }
        if entry["needs"].as_array().is_some_and(|n| !n.is_empty()) {
            continue;
        }
        let (Some(id), Some(file)) = (entry["id"].as_str(), entry["file"].as_str()) else {
            continue;
        };
        let Some(case) = std::fs::read_to_string(dir.join(file))
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        else {
            continue;
        };
        out.push((id.to_string(), case));
    }
    out
}

/// How a case ended in the mini interpreter.
#[derive(Debug)]
pub enum Outcome {
    Succeeded(Value),
    Failed(StatesError),
    /// The definition uses something the mini interpreter does not run.
    Unsupported(String),
}

const PASS_FIELDS: &[&str] = &[
    "Type",
    "Comment",
    "Next",
    "End",
    "InputPath",
    "Parameters",
    "Result",
    "ResultPath",
    "OutputPath",
];

fn context(input: &Value, state: &str) -> Value {
    json!({
        "Execution": {
            "Id": "arn:<partition>:states:<region>:111111111111:execution:<ArnPart_0idx>:<ExecArnPart_0idx>",
            "Input": input,
            "Name": "<ExecArnPart_0idx>",
            "RoleArn": "snf_role_arn",
            "StartTime": "date",
            "RedriveCount": 0
        },
        "State": {"EnteredTime": "date", "Name": state, "RetryCount": 0},
        "StateMachine": {
            "Id": "arn:<partition>:states:<region>:111111111111:stateMachine:<ArnPart_0idx>",
            "Name": "<ArnPart_0idx>"
        }
    })
}

fn optional_path(state: &Value, field: &str) -> Result<Option<Option<JsonPath>>, String> {
    match state.get(field) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) => JsonPath::parse(s)
            .map(|p| Some(Some(p)))
            .map_err(|e| e.to_string()),
        Some(_) => Err(format!("{field} is not a string")),
    }
}

/// Runs a definition made of Pass/Choice/Succeed/Fail states on `input`.
pub fn run(definition: &Value, input: &Value) -> Outcome {
    if definition.get("QueryLanguage").is_some() {
        return Outcome::Unsupported("QueryLanguage".into());
    }
    let entropy = SeededEntropy::new(7);
    let exec_input = input.clone();
    let Some(mut name) = definition["StartAt"].as_str().map(str::to_string) else {
        return Outcome::Unsupported("no StartAt".into());
    };
    let mut data = input.clone();
    let mut event_id: u64 = 2;
    for _ in 0..100 {
        let state = &definition["States"][&name];
        if state.get("QueryLanguage").is_some() {
            return Outcome::Unsupported("QueryLanguage".into());
        }
        let ctx = context(&exec_input, &name);
        let ty = state["Type"].as_str().unwrap_or("");
        let fail = |e: StatesError, name: &str, id: u64| Outcome::Failed(e.in_state(name, id));
        // InputPath
        let input_path = match optional_path(state, "InputPath") {
            Ok(p) => p,
            Err(e) => return Outcome::Unsupported(e),
        };
        let effective = match &input_path {
            None => data.clone(),
            Some(None) => json!({}),
            Some(Some(p)) => {
                let scope = Scope::new(&data, &ctx, &entropy);
                match p.evaluate_in(&scope) {
                    Ok(v) => v.into_owned(),
                    Err(e) => return fail(e.into_runtime(), &name, event_id),
                }
            }
        };
        let next: Option<String>;
        let output: Value;
        match ty {
            "Pass" => {
                if let Some(obj) = state.as_object() {
                    if let Some(k) = obj.keys().find(|k| !PASS_FIELDS.contains(&k.as_str())) {
                        return Outcome::Unsupported(format!("Pass field {k}"));
                    }
                }
                let result = if let Some(t) = state.get("Parameters") {
                    let tpl = match PayloadTemplate::compile(t) {
                        Ok(t) => t,
                        Err(e) => return Outcome::Unsupported(format!("template: {e}")),
                    };
                    let scope = Scope::new(&effective, &ctx, &entropy);
                    match tpl.evaluate(&scope) {
                        Ok(v) => v,
                        Err(e) => return fail(e, &name, event_id),
                    }
                } else if let Some(r) = state.get("Result") {
                    r.clone()
                } else {
                    effective.clone()
                };
                let with_result = match optional_path(state, "ResultPath") {
                    Err(e) => return Outcome::Unsupported(e),
                    Ok(None) => result,
                    Ok(Some(None)) => data.clone(),
                    Ok(Some(Some(p))) => match p.set(data.clone(), result) {
                        Ok(v) => v,
                        Err(e) => return fail(e, &name, event_id),
                    },
                };
                output = match apply_output_path(state, with_result, &ctx, &entropy) {
                    Ok(v) => v,
                    Err(Ok(e)) => return fail(e, &name, event_id),
                    Err(Err(u)) => return Outcome::Unsupported(u),
                };
                next = state["Next"].as_str().map(str::to_string);
            }
            "Choice" => {
                let mut chosen = None;
                for rule in state["Choices"].as_array().into_iter().flatten() {
                    let parsed = match ChoiceRule::parse(rule) {
                        Ok(r) => r,
                        Err(e) => return Outcome::Unsupported(format!("rule: {e}")),
                    };
                    let scope = Scope::new(&effective, &ctx, &entropy);
                    match parsed.evaluate(&scope) {
                        Ok(true) => {
                            chosen = rule["Next"].as_str().map(str::to_string);
                            break;
                        }
                        Ok(false) => {}
                        Err(e) => return fail(e, &name, event_id),
                    }
                }
                let target = match chosen.or_else(|| state["Default"].as_str().map(str::to_string))
                {
                    Some(t) => t,
                    None => {
                        return Outcome::Failed(StatesError::new(
                            "States.NoChoiceMatched",
                            "No Matches!".to_string(),
                        ))
                    }
                };
                output = match apply_output_path(state, effective, &ctx, &entropy) {
                    Ok(v) => v,
                    Err(Ok(e)) => return fail(e, &name, event_id),
                    Err(Err(u)) => return Outcome::Unsupported(u),
                };
                next = Some(target);
            }
            "Succeed" => {
                return match apply_output_path(state, effective, &ctx, &entropy) {
                    Ok(v) => Outcome::Succeeded(v),
                    Err(Ok(e)) => fail(e, &name, event_id),
                    Err(Err(u)) => Outcome::Unsupported(u),
                };
            }
            "Fail" => {
                if state.get("ErrorPath").is_some() || state.get("CausePath").is_some() {
                    return Outcome::Unsupported("Fail paths".into());
                }
                return Outcome::Failed(StatesError::new(
                    state["Error"].as_str().unwrap_or(""),
                    state["Cause"].as_str().unwrap_or(""),
                ));
            }
            other => return Outcome::Unsupported(format!("state type {other}")),
        }
        data = output;
        match next {
            Some(n) => {
                name = n;
                event_id += 2;
            }
            None => return Outcome::Succeeded(data),
        }
    }
    Outcome::Unsupported("too many transitions".into())
}

#[allow(clippy::result_large_err)]
fn apply_output_path(
    state: &Value,
    value: Value,
    ctx: &Value,
    entropy: &SeededEntropy,
) -> Result<Value, Result<StatesError, String>> {
    match optional_path(state, "OutputPath") {
        Err(e) => Err(Err(e)),
        Ok(None) => Ok(value),
        Ok(Some(None)) => Ok(json!({})),
        Ok(Some(Some(p))) => {
            let scope = Scope::new(&value, ctx, entropy);
            match p.evaluate_in(&scope) {
                Ok(v) => Ok(v.into_owned()),
                Err(e) => Err(Ok(e.into_runtime())),
            }
        }
    }
}

const BARE_PLACEHOLDERS: &[&str] = &[
    "RandomNumberGenerated",
    "date",
    "time",
    "start-date",
    "stop-date",
    "start-time",
    "entered-time",
    "creation-date",
];

/// AWS's recorded value (with placeholders) against ours.
pub fn matches_expected(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::String(e), a) if BARE_PLACEHOLDERS.contains(&e.as_str()) => !a.is_null(),
        (Value::String(e), Value::String(a)) => string_matches(e, a),
        (Value::Object(e), Value::Object(a)) => {
            e.len() == a.len()
                && e.iter()
                    .zip(a.iter())
                    .all(|((ek, ev), (ak, av))| ek == ak && matches_expected(ev, av))
        }
        (Value::Array(e), Value::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(x, y)| matches_expected(x, y))
        }
        (e, a) => e == a,
    }
}

/// Exact match, except that a `<token>` placeholder in the recording (e.g. `<json-input:1>`)
/// stands for any non-empty run of characters. (Our own Context object holds the ARN
/// placeholders literally, so they match themselves.)
fn string_matches(e: &str, a: &str) -> bool {
    if e == a {
        return true;
    }
    let mut pieces: Vec<&str> = Vec::new();
    let mut rest = e;
    while let Some(open) = rest.find("<json-input") {
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        pieces.push(&rest[..open]);
        rest = &rest[open + close + 1..];
    }
    if pieces.is_empty() {
        return false;
    }
    pieces.push(rest);
    let Some((first, others)) = pieces.split_first() else {
        return false;
    };
    let Some(mut tail) = a.strip_prefix(first) else {
        return false;
    };
    let Some((last, middle)) = others.split_last() else {
        return false;
    };
    for p in middle {
        match tail.get(1..).and_then(|t| t.find(p)) {
            Some(i) => tail = &tail[i + 1 + p.len()..],
            None => return false,
        }
    }
    tail.len() > last.len() && tail.ends_with(last)
}

/// Reads a checked-in list of case ids (one a line, `#` comments).
pub fn read_list(path: &str) -> BTreeSet<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// Runs every case of `group`, prints the pass rate and the newly passing ids, and returns the
/// listed ids that no longer pass.
pub fn check_group(group: &str, passing_list: &str) -> Vec<String> {
    let Some(dir) = corpus_dir() else {
        return Vec::new();
    };
    let listed = read_list(passing_list);
    let cases = cases(&dir, group);
    let mut passed = BTreeSet::new();
    let mut unsupported = 0usize;
    for (id, case) in &cases {
        let outcome = run(&case["definition"], &case["input"]);
        let exp = &case["expected"];
        let ok = match (&outcome, exp["status"].as_str()) {
            (Outcome::Succeeded(out), Some("SUCCEEDED")) => matches_expected(&exp["output"], out),
            (Outcome::Failed(e), Some("FAILED")) => {
                exp["error"].as_str() == Some(e.error.as_str())
                    && matches_expected(&exp["cause"], &Value::String(e.cause.clone()))
            }
            (Outcome::Unsupported(_), _) => {
                unsupported += 1;
                false
            }
            _ => false,
        };
        if ok {
            passed.insert(id.clone());
        } else if std::env::var("STEPLINE_VERBOSE").is_ok() {
            println!("FAIL {id}: got {outcome:?}, expected {exp}");
        }
    }
    println!(
        "corpus group {group}: {}/{} passed ({unsupported} use features the mini interpreter does not run)",
        passed.len(),
        cases.len()
    );
    for id in passed.difference(&listed) {
        println!("NEWLY PASSING (add to {passing_list}): {id}");
    }
    // Only ids of this group count: one list may serve several groups.
    let ids: BTreeSet<&String> = cases.iter().map(|(id, _)| id).collect();
    listed
        .difference(&passed)
        .filter(|id| ids.contains(id))
        .cloned()
        .collect()
}
