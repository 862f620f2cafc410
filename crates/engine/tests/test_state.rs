//! TestState: the corpus cases recorded against AWS (`kind == "test_state"`, and the TestState
//! validation errors of the `test_state` group's `api` cases), then hand-written cases for each
//! state type, status and inspection level.
//!
//! The corpus runner prints pass rates per category and fails when a case listed in
//! `tests/test_state_passing.txt` no longer passes (`STEPLINE_WRITE_PASSING=1` rewrites it).

use corpus::Matcher;
use engine::{
    parse_test_state_request, test_state, ExecutionContext, NoIntegrations, SeededEntropy,
    TaskInvocation, TaskOutcome, TaskResolver, TestStateError, TestStateResult, Timestamp,
};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

const ROLE: &str = "arn:aws:iam::111111111111:role/sfn-test-role";

/// The default Context object's execution, in the account the recordings normalise to.
fn execution() -> ExecutionContext {
    let mut ctx = ExecutionContext::example("test-exec", "test-sm", Timestamp(1_700_000_000_000));
    ctx.execution_arn = "arn:aws:states:us-east-1:111111111111:express:test-sm:test-exec".into();
    ctx
}

/// A corpus request (parsed JSON members) as the API body botocore sends (JSON text members).
fn api_body(request: &Value) -> Map<String, Value> {
    let mut body = Map::new();
    let Some(req) = request.as_object() else {
        return body;
    };
    for (k, v) in req {
        let v = match (k.as_str(), v) {
            ("definition" | "input" | "variables" | "context", v) if !v.is_string() => {
                Value::String(v.to_string())
            }
            ("mock", Value::Object(m)) => {
                let mut m = m.clone();
                if let Some(r) = m.get_mut("result") {
                    if !r.is_string() {
                        *r = Value::String(r.to_string());
                    }
                }
                Value::Object(m)
            }
            ("roleArn", Value::String(s)) if !s.starts_with("arn:") => Value::String(ROLE.into()),
            (_, v) => v.clone(),
        };
        body.insert(k.clone(), v);
    }
    body
}

fn run_body(body: &Map<String, Value>) -> Result<TestStateResult, TestStateError> {
    run_with(body, &mut NoIntegrations::new())
}

fn run_with(
    body: &Map<String, Value>,
    resolver: &mut dyn TaskResolver,
) -> Result<TestStateResult, TestStateError> {
    let req = parse_test_state_request(body, execution())?;
    test_state(&req, resolver, Box::new(SeededEntropy::new(7)))
}

/// conform.py's `deep_parse`: JSON text holding an object or array is compared parsed.
fn deep_parse(v: &Value) -> Value {
    match v {
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(p @ (Value::Object(_) | Value::Array(_))) => deep_parse(&p),
            _ => v.clone(),
        },
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, x)| (k.clone(), deep_parse(x))).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(deep_parse).collect()),
        other => other.clone(),
    }
}

/// The response as the recordings hold it: `output` parsed, JSON text parsed throughout.
fn comparable(r: &TestStateResult) -> Value {
    let mut got = r.to_json();
    if let Some(o) = got.get_mut("output") {
        if let Some(p) = o
            .as_str()
            .and_then(|s| serde_json::from_str::<Value>(s).ok())
        {
            *o = p;
        }
    }
    deep_parse(&got)
}

/// The type of the state a corpus request tests, and whether it gives a mock.
fn tested_state(request: &Value) -> (String, bool) {
    let def = request.get("definition").cloned().unwrap_or(Value::Null);
    let def = match def {
        Value::String(s) => serde_json::from_str(&s).unwrap_or(Value::Null),
        v => v,
    };
    let ty = match def.get("States") {
        Some(states) => {
            let name = request
                .get("stateName")
                .and_then(Value::as_str)
                .or_else(|| def.get("StartAt").and_then(Value::as_str))
                .unwrap_or("");
            states
                .get(name)
                .and_then(|s| s.get("Type"))
                .and_then(Value::as_str)
                .unwrap_or("?")
        }
        None => def.get("Type").and_then(Value::as_str).unwrap_or("?"),
    };
    (ty.to_string(), request.get("mock").is_some())
}

#[test]
fn test_state_corpus() {
    let dir = corpus::localstack_dir(env!("CARGO_MANIFEST_DIR"));
    let Ok(index_text) = std::fs::read_to_string(dir.join("index.json")) else {
        println!(
            "SKIPPED: conformance corpus not found at {} (set STEPLINE_CORPUS)",
            dir.display()
        );
        return;
    };
    let index: Vec<Value> = serde_json::from_str(&index_text).expect("index.json is JSON");
    let m = Matcher::new();
    // category -> (passed, run)
    let mut rates: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    let mut passing: BTreeSet<String> = BTreeSet::new();
    let mut failures: Vec<String> = Vec::new();
    for e in &index {
        let s = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let (kind, group, file, id) = (s("kind"), s("group"), s("file"), s("id"));
        let needs: Vec<String> = e
            .get("needs")
            .and_then(Value::as_array)
            .map(|n| {
                n.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let Some(case) = std::fs::read_to_string(dir.join(&file))
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        else {
            continue;
        };
        let key = format!("{id} [{file}]");
        if kind == "test_state" {
            let request = case.get("request").cloned().unwrap_or(Value::Null);
            let (ty, mocked) = tested_state(&request);
            let category = if needs.is_empty() {
                "self-contained"
            } else if mocked {
                "service mocked"
            } else if ty != "Task" {
                "service, state under test is no Task"
            } else {
                *skipped
                    .entry(format!("needs a real {} (unmocked Task)", needs.join("+")))
                    .or_default() += 1;
                continue;
            };
            let want = deep_parse(case.get("expected").unwrap_or(&Value::Null));
            let ok = match run_body(&api_body(&request)) {
                Ok(r) => {
                    let got = comparable(&r);
                    let ok = m.smatch(&want, &got);
                    if !ok {
                        failures.push(format!("{id}\n  want {want}\n  got  {got}"));
                    }
                    ok
                }
                Err(err) => {
                    failures.push(format!("{id}\n  want {want}\n  got  {}: {err}", err.kind()));
                    false
                }
            };
            let r = rates.entry(category).or_default();
            r.1 += 1;
            if ok {
                r.0 += 1;
                passing.insert(key);
            }
        } else if kind == "api" && group == "test_state" {
            // Each test_state call whose recorded answer is an AWS error (not a client-side
            // botocore check) must be refused with that error.
            let calls = case
                .get("calls")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let snapshot = case.get("snapshot").cloned().unwrap_or(Value::Null);
            let Some(expected) = expected_api_error(&snapshot) else {
                *skipped
                    .entry("api case without an AWS error".into())
                    .or_default() += 1;
                continue;
            };
            let Some(call) = calls
                .iter()
                .find(|c| c.get("op").and_then(Value::as_str) == Some("test_state"))
            else {
                continue;
            };
            let body = api_body(call.get("kwargs").unwrap_or(&Value::Null));
            let got = match run_body(&body) {
                Ok(r) => format!("no error: {}", r.to_json()),
                Err(e) => format!("{}: {e}", e.kind()),
            };
            let ok = got == expected;
            if !ok {
                failures.push(format!("{id}\n  want {expected}\n  got  {got}"));
            }
            let r = rates.entry("api validation errors").or_default();
            r.1 += 1;
            if ok {
                r.0 += 1;
                passing.insert(key);
            }
        }
    }
    for (cat, (ok, all)) in &rates {
        println!("{cat:40} {ok}/{all}");
    }
    for (why, n) in &skipped {
        println!("skipped {n:3}: {why}");
    }
    if std::env::var("STEPLINE_SHOW_FAILURES").is_ok() {
        for f in &failures {
            println!("FAIL {f}");
        }
    }
    let list_path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/test_state_passing.txt");
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

/// `"Kind: message"` of the AWS error a recorded api case got, when AWS (not botocore) gave it.
fn expected_api_error(snapshot: &Value) -> Option<String> {
    let obj = snapshot.as_object()?;
    for v in obj.values() {
        if let Some(err) = v.get("Error") {
            let code = err.get("Code")?.as_str()?;
            let msg = err.get("Message")?.as_str()?;
            return Some(format!("{code}: {msg}"));
        }
        if let Some(t) = v.get("exception_typename").and_then(Value::as_str) {
            let text = v.get("exception_value")?.as_str()?;
            let (_, msg) = text.split_once("operation: ")?;
            if t == "ParamValidationError" {
                return None;
            }
            return Some(format!("{t}: {msg}"));
        }
    }
    None
}

// ---- hand-written cases -------------------------------------------------------------------

fn body(v: Value) -> Map<String, Value> {
    let Value::Object(mut m) = v else {
        panic!("test body must be an object")
    };
    for k in ["definition", "input", "variables", "context"] {
        if let Some(x) = m.get_mut(k) {
            if !x.is_string() {
                *x = Value::String(x.to_string());
            }
        }
    }
    m
}

fn run(v: Value) -> Value {
    match run_body(&body(v)) {
        Ok(r) => comparable(&r),
        Err(e) => json!({"__type": e.kind(), "message": e.to_string()}),
    }
}

#[test]
fn pass_at_each_inspection_level() {
    let def = json!({"Type": "Pass", "InputPath": "$.a", "Parameters": {"x.$": "$.b"},
                     "ResultPath": "$.r", "OutputPath": "$.r", "Next": "After"});
    let input = json!({"a": {"b": 1}, "c": 2});
    let info = run(json!({"definition": def, "input": input, "inspectionLevel": "INFO"}));
    assert_eq!(
        info,
        json!({"status": "SUCCEEDED", "output": {"x": 1}, "nextState": "After"})
    );
    let no_level = run(json!({"definition": def, "input": input}));
    assert_eq!(no_level, info, "INFO is the default");
    for level in ["DEBUG", "TRACE"] {
        let r = run(json!({"definition": def, "input": input, "inspectionLevel": level}));
        assert_eq!(
            r["inspectionData"],
            json!({
                "input": {"a": {"b": 1}, "c": 2},
                "afterInputPath": {"b": 1},
                "afterParameters": {"x": 1},
                "afterResultSelector": {"x": 1},
                "afterResultPath": {"a": {"b": 1}, "c": 2, "r": {"x": 1}},
            }),
            "{level}"
        );
        assert_eq!(r["output"], json!({"x": 1}));
    }
}

#[test]
fn inspection_payloads_are_json_text() {
    let r = run_body(&body(json!({"definition": {"Type": "Pass", "End": true},
        "input": {"k": [1, 2]}, "inspectionLevel": "DEBUG"})))
    .unwrap();
    let j = r.to_json();
    assert_eq!(j["output"], json!("{\"k\":[1,2]}"));
    assert_eq!(j["inspectionData"]["input"], json!("{\"k\":[1,2]}"));
    assert!(j.get("nextState").is_none());
}

#[test]
fn choice_reports_next_state_or_no_match() {
    let def = json!({"Type": "Choice", "Choices": [
        {"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"}], "Default": "Small"});
    assert_eq!(
        run(json!({"definition": def, "input": {"n": 11}}))["nextState"],
        json!("Big")
    );
    assert_eq!(
        run(json!({"definition": def, "input": {"n": 1}}))["nextState"],
        json!("Small")
    );
    let no_default = json!({"Type": "Choice", "Choices": [
        {"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"}]});
    let r = run(json!({"definition": no_default, "input": {"n": 1}}));
    assert_eq!(r["status"], json!("FAILED"));
    assert_eq!(r["error"], json!("States.NoChoiceMatched"));
    let jsonata = json!({"Type": "Choice", "QueryLanguage": "JSONata", "Choices": [
        {"Condition": "{% $states.input.n > 10 %}", "Next": "Big", "Output": {"big": true}}],
        "Default": "Small"});
    let r = run(json!({"definition": jsonata, "input": {"n": 50}, "inspectionLevel": "DEBUG"}));
    assert_eq!(
        r,
        json!({"status": "SUCCEEDED", "output": {"big": true}, "nextState": "Big",
               "inspectionData": {"input": {"n": 50}}})
    );
}

#[test]
fn wait_succeed_and_fail() {
    let r = run(
        json!({"definition": {"Type": "Wait", "Seconds": 3600, "Next": "N"},
                       "input": {"a": 1}, "inspectionLevel": "DEBUG"}),
    );
    assert_eq!(
        r,
        json!({"status": "SUCCEEDED", "output": {"a": 1}, "nextState": "N",
               "inspectionData": {"input": {"a": 1}, "afterInputPath": {"a": 1}}})
    );
    let bad = run(
        json!({"definition": {"Type": "Wait", "SecondsPath": "$.s", "End": true},
                         "input": {"s": "soon"}}),
    );
    assert_eq!(bad["status"], json!("FAILED"));
    assert_eq!(bad["error"], json!("States.Runtime"));
    let r =
        run(json!({"definition": {"Type": "Succeed", "OutputPath": "$.a"}, "input": {"a": [1]}}));
    assert_eq!(r, json!({"status": "SUCCEEDED", "output": [1]}));
    let r = run(
        json!({"definition": {"Type": "Fail", "ErrorPath": "$.e", "CausePath": "$.c"},
                       "input": {"e": "E1", "c": "because"}}),
    );
    assert_eq!(
        r,
        json!({"status": "FAILED", "error": "E1", "cause": "because"})
    );
}

/// Answers every task with a fixed outcome and remembers what it was asked.
struct Fixed(TaskOutcome, Vec<TaskInvocation>);

impl TaskResolver for Fixed {
    fn invoke(&mut self, inv: &TaskInvocation) -> TaskOutcome {
        self.1.push(inv.clone());
        self.0.clone()
    }
}

#[test]
fn task_takes_its_result_from_the_resolver() {
    let def = json!({"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:f",
        "Parameters": {"p.$": "$.v"}, "ResultSelector": {"r.$": "$.out"}, "ResultPath": "$.res",
        "End": true});
    let mut resolver = Fixed(TaskOutcome::Succeeded(json!({"out": 5})), Vec::new());
    let r = run_with(
        &body(json!({"definition": def, "input": {"v": 1}, "inspectionLevel": "TRACE"})),
        &mut resolver,
    )
    .unwrap();
    assert_eq!(resolver.1.len(), 1);
    assert_eq!(*resolver.1[0].parameters, json!({"p": 1}));
    assert_eq!(
        comparable(&r),
        json!({"status": "SUCCEEDED", "output": {"v": 1, "res": {"r": 5}},
               "inspectionData": {"input": {"v": 1}, "afterInputPath": {"v": 1},
                   "afterParameters": {"p": 1}, "result": {"out": 5},
                   "afterResultSelector": {"r": 5}, "afterResultPath": {"v": 1, "res": {"r": 5}}}})
    );
    // Without a resolver that knows the function, the task fails as on AWS.
    let r = run(json!({"definition": def, "input": {"v": 1}}));
    assert_eq!(r["status"], json!("FAILED"));
    assert_eq!(r["error"], json!("Lambda.ResourceNotFoundException"));
}

#[test]
fn task_failure_statuses_retriable_caught_failed() {
    let def = json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "f"},
        "Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 2, "MaxAttempts": 2, "BackoffRate": 3}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "Handler"}],
        "End": true});
    let mock = json!({"errorOutput": {"error": "Boom", "cause": "it broke"}});
    let retriable = run(json!({"definition": def, "input": {"a": 1}, "mock": mock,
        "inspectionLevel": "DEBUG", "stateConfiguration": {"retrierRetryCount": 1}}));
    assert_eq!(retriable["status"], json!("RETRIABLE"));
    assert_eq!(
        retriable["inspectionData"]["errorDetails"],
        json!({"retryIndex": 0, "retryBackoffIntervalSeconds": 6})
    );
    assert!(retriable.get("output").is_none());
    let caught = run(json!({"definition": def, "input": {"a": 1}, "mock": mock,
        "inspectionLevel": "DEBUG", "stateConfiguration": {"retrierRetryCount": 2}}));
    assert_eq!(
        (&caught["status"], &caught["nextState"], &caught["output"]),
        (
            &json!("CAUGHT_ERROR"),
            &json!("Handler"),
            &json!({"a": 1, "err": {"Error": "Boom", "Cause": "it broke"}})
        )
    );
    assert_eq!(
        caught["inspectionData"]["errorDetails"],
        json!({"retryIndex": 0, "catchIndex": 0})
    );
    let no_catch =
        json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true});
    let failed = run(json!({"definition": no_catch, "mock": mock}));
    assert_eq!(
        failed,
        json!({"status": "FAILED", "error": "Boom", "cause": "it broke"})
    );
}

#[test]
fn jsonata_task_with_mock_and_variables() {
    let def = json!({"Type": "Task", "QueryLanguage": "JSONata",
        "Resource": "arn:aws:states:::dynamodb:getItem",
        "Arguments": {"Key": "{% $states.input.k & $suffix %}"},
        "Assign": {"seen": "{% $states.result.Item %}"},
        "Output": {"item": "{% $states.result.Item %}", "who": "{% $suffix %}"},
        "Next": "Done"});
    let r = run(
        json!({"definition": def, "input": {"k": "id-"}, "variables": {"suffix": "7"},
        "mock": {"result": "{\"Item\": {\"n\": 1}}"}, "inspectionLevel": "TRACE"}),
    );
    assert_eq!(
        r,
        json!({"status": "SUCCEEDED", "output": {"item": {"n": 1}, "who": "7"}, "nextState": "Done",
               "inspectionData": {"input": {"k": "id-"}, "afterArguments": {"Key": "id-7"},
                   "result": {"Item": {"n": 1}}, "variables": {"suffix": "7", "seen": {"n": 1}}}})
    );
}

#[test]
fn state_name_picks_a_state_of_a_whole_machine() {
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "B"},
        "B": {"Type": "Pass", "Parameters": {"x.$": "$x"}, "End": true}}});
    let r = run(json!({"definition": def, "stateName": "B", "variables": {"x": 41}}));
    assert_eq!(r, json!({"status": "SUCCEEDED", "output": {"x": 41}}));
    let r = run(json!({"definition": def, "stateName": "A"}));
    assert_eq!(
        r,
        json!({"status": "SUCCEEDED", "output": {}, "nextState": "B"})
    );
    let r = run(json!({"definition": def, "stateName": "Z"}));
    assert_eq!(
        r,
        json!({"__type": "ValidationException", "message": "State not found in definition"})
    );
}

#[test]
fn map_and_parallel_need_a_mock() {
    let map = json!({"Type": "Map", "ItemsPath": "$.xs", "ToleratedFailureCount": 1,
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
        "Catch": [{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "Over"}],
        "End": true});
    let r = run(json!({"definition": map, "input": {"xs": [1, 2, 3]}}));
    assert_eq!(r["__type"], json!("InvalidDefinition"));
    let ok = run(
        json!({"definition": map, "input": {"xs": [1, 2, 3]}, "inspectionLevel": "DEBUG",
        "mock": {"result": "[10, 20, 30]"}, "stateConfiguration": {"mapIterationFailureCount": 1}}),
    );
    assert_eq!(
        ok,
        json!({"status": "SUCCEEDED", "output": [10, 20, 30],
               "inspectionData": {"input": {"xs": [1, 2, 3]}, "afterInputPath": {"xs": [1, 2, 3]},
                   "afterItemsPath": [1, 2, 3], "maxConcurrency": 0, "toleratedFailureCount": 1,
                   "afterResultSelector": [10, 20, 30], "afterResultPath": [10, 20, 30]}})
    );
    let over = run(json!({"definition": map, "input": {"xs": [1, 2, 3]},
        "mock": {"result": "[10, 20, 30]"}, "stateConfiguration": {"mapIterationFailureCount": 2}}));
    assert_eq!(over["status"], json!("CAUGHT_ERROR"));
    assert_eq!(
        over["error"],
        json!("States.ExceedToleratedFailureThreshold")
    );
    assert_eq!(over["nextState"], json!("Over"));
    let too_many = run(json!({"definition": map, "input": {"xs": [1]},
        "mock": {"result": "[10]"}, "stateConfiguration": {"mapIterationFailureCount": 2}}));
    assert_eq!(too_many["__type"], json!("ValidationException"));
    let not_array = run(json!({"definition": map, "input": {"xs": [1]}, "mock": {"result": "{}"}}));
    assert_eq!(
        not_array,
        json!({"__type": "ValidationException", "message": "Mocked result must be an array."})
    );
    let par = json!({"Type": "Parallel", "ResultPath": "$.p", "End": true, "Branches": [
        {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}}]});
    assert_eq!(
        run(json!({"definition": par}))["__type"],
        json!("InvalidDefinition")
    );
    let r = run(json!({"definition": par, "input": {"a": 1}, "mock": {"result": "[{\"b\": 2}]"}}));
    assert_eq!(
        r,
        json!({"status": "SUCCEEDED", "output": {"a": 1, "p": [{"b": 2}]}})
    );
}

#[test]
fn context_object_given_or_default() {
    let def = json!({"Type": "Pass", "Parameters": {"ctx.$": "$$"}, "End": true});
    let r = run(json!({"definition": def, "input": {"a": 1}, "roleArn": ROLE}));
    let ctx = &r["output"]["ctx"];
    assert_eq!(ctx["Execution"]["Input"], json!({"a": 1}));
    assert_eq!(ctx["Execution"]["RoleArn"], json!(ROLE));
    assert_eq!(ctx["State"]["Name"], json!("StateName"));
    let given = json!({"Execution": {"Name": "mine"}, "State": {"Name": "S"}});
    let r = run(json!({"definition": def, "context": given}));
    assert_eq!(r["output"]["ctx"], given);
    let r = run(json!({"definition": def, "context": {"Pokedex": {}}}));
    assert_eq!(
        r["message"],
        json!("Invalid Context object provided: Field 'Pokedex' is not allowed")
    );
}

#[test]
fn request_validation_errors() {
    let pass = json!({"Type": "Pass", "End": true});
    let cases = [
        (
            json!({"definition": pass, "inspectionLevel": "LOUD"}),
            "ValidationException",
        ),
        (
            json!({"definition": pass, "mock": {"result": "{}"}}),
            "ValidationException",
        ),
        (
            json!({"definition": pass, "input": "{not json"}),
            "InvalidExecutionInput",
        ),
        (json!({"definition": {"Type": "Nope"}}), "InvalidDefinition"),
        (json!({"definition": "[1"}), "InvalidDefinition"),
        (
            json!({"definition": pass, "stateName": ""}),
            "ValidationException",
        ),
        (
            json!({"definition": pass, "revealSecrets": "yes"}),
            "SerializationException",
        ),
        (json!({"input": "{}"}), "ValidationException"),
        (
            json!({"definition": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true},
                "mock": {"result": "{}", "errorOutput": {"error": "E"}}}),
            "ValidationException",
        ),
        (
            json!({"definition": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true},
                "mock": {"result": "not json"}}),
            "ValidationException",
        ),
    ];
    for (req, kind) in cases {
        let got = run(req.clone());
        assert_eq!(got["__type"], json!(kind), "{req} gave {got}");
    }
}

/// Every member of a set of valid requests replaced by odd values: the answer is a result or
/// an error, never a panic.
#[test]
fn odd_members_never_panic() {
    let bases = [
        body(
            json!({"definition": {"Type": "Pass", "Parameters": {"a.$": "$.x"}, "End": true},
            "input": {"x": 1}, "inspectionLevel": "TRACE"}),
        ),
        body(
            json!({"definition": {"Type": "Map", "ItemsPath": "$.xs", "MaxConcurrencyPath": "$.m",
            "ToleratedFailurePercentagePath": "$.p", "ItemProcessor": {"StartAt": "P",
            "States": {"P": {"Type": "Pass", "End": true}}}, "End": true},
            "input": {"xs": [1], "m": "x", "p": -5}, "mock": {"result": "[1]"},
            "stateConfiguration": {"mapIterationFailureCount": 1}}),
        ),
        body(
            json!({"definition": {"Type": "Task", "QueryLanguage": "JSONata",
            "Resource": "arn:aws:states:::lambda:invoke", "Arguments": "{% $states.input.a.b %}",
            "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 99, "BackoffRate": 10,
                       "IntervalSeconds": 99999999, "JitterStrategy": "FULL"}],
            "End": true}, "mock": {"errorOutput": {"error": "E"}},
            "stateConfiguration": {"retrierRetryCount": 98}}),
        ),
        body(
            json!({"definition": {"Type": "Wait", "TimestampPath": "$.t", "End": true},
            "input": {"t": "not a time"}, "context": {"Execution": {"Input": 5}}}),
        ),
    ];
    let odd = [
        json!(null),
        json!(0),
        json!(-1),
        json!(1e308),
        json!(""),
        json!("{"),
        json!("[]"),
        json!("{}"),
        json!("\"x\""),
        json!("null"),
        json!({"a": 1}),
        json!([1]),
        json!(true),
        json!("[".repeat(5000)),
        json!({"result": "{}", "errorOutput": {"error": 5}}),
        json!({"retrierRetryCount": u64::MAX, "mapIterationFailureCount": -3}),
    ];
    let mut runs = 0;
    for base in &bases {
        for key in [
            "definition",
            "input",
            "variables",
            "context",
            "mock",
            "stateConfiguration",
            "inspectionLevel",
            "stateName",
            "revealSecrets",
            "roleArn",
        ] {
            for v in &odd {
                let mut b = base.clone();
                b.insert(key.into(), v.clone());
                let _ = run_body(&b);
                runs += 1;
            }
        }
    }
    assert_eq!(runs, bases.len() * 10 * odd.len());
}
