//! The `callback` group's `api` cases (recorded against AWS), replayed against a real
//! `stepline-server` whose `[aws]` integrations point at moto's server:
//!
//! - `test_multiple_executions_and_heartbeat_notifications`: the case's `calls` (one
//!   CreateStateMachine, six StartExecution on an SQS `.waitForTaskToken` task with
//!   `HeartbeatSecondsPath`) are sent as recorded, while six workers each take one message from
//!   the queue, send ten SendTaskHeartbeat and a SendTaskSuccess carrying the message body — as
//!   the LocalStack test's workers did. Each history is compared with `execution_history_<i>`.
//! - `test_sqs_failure_in_wait_for_task_tok_no_error_field[SQS_PARALLEL_WAIT_FOR_TASK_TOKEN]`:
//!   `calls` is empty; the definition is LocalStack's `SQS_PARALLEL_WAIT_FOR_TASK_TOKEN` template
//!   (a Parallel around the SQS task, catching `States.ALL`), answered by a worker sending
//!   SendTaskFailure with the token alone. The history is compared with `get_execution_history`.
//!
//! Comparison uses `corpus::Matcher` (placeholders as wildcards; `SdkHttpMetadata` and
//! `SdkResponseMetadata` left out: they are the stand-in's transport headers). Prints
//! `callback api: N/2 pass` and fails when a case listed in `callback_api_corpus_passing.txt`
//! regresses (`STEPLINE_WRITE_PASSING=1` rewrites the list). Skips loudly without the corpus or
//! without moto.

mod common;
mod integrations_support;

use common::*;
use corpus::Matcher;
use integrations_support::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const MULTI: &str = "tests/aws/services/stepfunctions/v2/callback/test_callback.py::TestCallback::test_multiple_executions_and_heartbeat_notifications";
const PARALLEL: &str = "tests/aws/services/stepfunctions/v2/callback/test_callback.py::TestCallback::test_sqs_failure_in_wait_for_task_tok_no_error_field[SQS_PARALLEL_WAIT_FOR_TASK_TOKEN]";

/// The role the recordings show (`arn:<partition>:iam::111111111111:role/<resource:1>`).
const ROLE_111: &str = "arn:aws:iam::111111111111:role/StepFunctions";

/// Bare words LocalStack's transformers wrote over whole run-dependent values in these cases.
const WHOLE: &[&str] = &["sqs_queue_url"];

const SKIP: &[&str] = &["SdkHttpMetadata", "SdkResponseMetadata"];

fn strip(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for k in SKIP {
                m.remove(*k);
            }
            m.values_mut().for_each(strip);
        }
        Value::Array(a) => a.iter_mut().for_each(strip),
        _ => {}
    }
}

fn normalise(ev: &Value) -> Value {
    let mut ev = corpus::parse_event_fields_with(ev, &["cause"]);
    if let Value::Object(m) = &mut ev {
        m.remove("timestamp");
    }
    strip(&mut ev);
    ev
}

/// The first difference between AWS's history and ours, or `None` when they match.
fn compare(m: &Matcher, recorded: &Value, ours: &[Value]) -> Option<String> {
    let want: Vec<Value> = recorded["events"]
        .as_array()
        .map(|a| a.iter().map(normalise).collect())
        .unwrap_or_default();
    let got: Vec<Value> = ours.iter().map(normalise).collect();
    if want.len() == got.len() && want.iter().zip(&got).all(|(w, g)| m.smatch(w, g)) {
        return None;
    }
    let first = want
        .iter()
        .zip(&got)
        .position(|(w, g)| !m.smatch(w, g))
        .unwrap_or(want.len().min(got.len()));
    Some(format!(
        "history differs at event {} ({} vs {} events): expected {} got {}",
        first + 1,
        want.len(),
        got.len(),
        want.get(first).map(|v| v.to_string()).unwrap_or_default(),
        got.get(first).map(|v| v.to_string()).unwrap_or_default()
    ))
}

fn create_queue(moto: &Moto, name: &str) -> Result<String, String> {
    let q = aws_call(
        moto,
        "arn:aws:states:::aws-sdk:sqs:createQueue",
        json!({"QueueName": name}),
    )
    .map_err(|e| format!("{}: {}", e.error, e.cause))?;
    q["QueueUrl"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| "moto gave no QueueUrl".into())
}

/// One message's body from the queue, polled as the LocalStack workers did (`MaxNumberOfMessages=1`,
/// retried); the message stays invisible to the other workers afterwards.
fn receive_body(moto: &Moto, queue_url: &str) -> Result<String, String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let m = aws_call(
            moto,
            "arn:aws:states:::aws-sdk:sqs:receiveMessage",
            json!({"QueueUrl": queue_url, "MaxNumberOfMessages": 1, "WaitTimeSeconds": 1}),
        )
        .map_err(|e| e.cause)?;
        if let Some(b) = m["Messages"][0]["Body"].as_str() {
            return Ok(b.to_string());
        }
        if Instant::now() > deadline {
            return Err("no message arrived on the queue".into());
        }
    }
}

fn token_of(body: &str) -> Result<String, String> {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|b| b["TaskToken"].as_str().map(str::to_string))
        .ok_or_else(|| format!("no TaskToken in message {body}"))
}

/// `create_state_machine` → `CreateStateMachine`.
fn op_name(snake: &str) -> String {
    snake
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Replays the recorded `calls` with this run's names (the queue on moto, our state machine),
/// runs six heartbeat-then-success workers, and compares each execution's history.
fn run_multi(
    server: &Server,
    moto: &Moto,
    case: &Value,
    m: &Matcher,
) -> Result<Vec<String>, String> {
    let queue_url = create_queue(moto, "cbapi-multi")?;
    let mut machine_arn: Option<String> = None;
    let mut executions = Vec::new();
    for call in case["calls"].as_array().ok_or("no calls")? {
        let op = op_name(call["op"].as_str().unwrap_or(""));
        let mut req = call["kwargs"].clone();
        if req.get("roleArn").is_some() {
            req["roleArn"] = json!(ROLE_111);
        }
        if req.get("stateMachineArn").is_some() {
            req["stateMachineArn"] = json!(machine_arn.clone().ok_or("no machine yet")?);
        }
        if let Some(text) = req["input"].as_str() {
            let mut input: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
            if input.get("QueueUrl").is_some() {
                input["QueueUrl"] = json!(queue_url);
            }
            req["input"] = json!(input.to_string());
        }
        let (status, v) = server.call(&op, req);
        if status != 200 {
            return Err(format!("{op} answered {status}: {v}"));
        }
        match op.as_str() {
            "CreateStateMachine" => machine_arn = v["stateMachineArn"].as_str().map(str::to_string),
            "StartExecution" => executions.push(
                v["executionArn"]
                    .as_str()
                    .ok_or("no execution ARN")?
                    .to_string(),
            ),
            _ => {}
        }
    }
    let workers: Vec<Result<(), String>> = std::thread::scope(|s| {
        let handles: Vec<_> = executions
            .iter()
            .map(|_| {
                let queue_url = &queue_url;
                s.spawn(move || -> Result<(), String> {
                    let body = receive_body(moto, queue_url)?;
                    let token = token_of(&body)?;
                    for _ in 0..10 {
                        server.ok("SendTaskHeartbeat", json!({"taskToken": token}));
                    }
                    server.ok(
                        "SendTaskSuccess",
                        json!({"taskToken": token, "output": body}),
                    );
                    Ok(())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("worker panicked".into())))
            .collect()
    });
    workers.into_iter().collect::<Result<Vec<()>, String>>()?;
    let mut notes = Vec::new();
    for (i, exec) in executions.iter().enumerate() {
        server.wait_done(exec, Duration::from_secs(60));
        let key = format!("execution_history_{i}");
        let recorded = case["snapshot"].get(&key).ok_or(format!("no {key}"))?;
        if let Some(d) = compare(m, recorded, &server.history(exec)) {
            notes.push(format!("{key}: {d}"));
        }
    }
    if executions.len() != 6 {
        notes.push(format!(
            "{} executions started (6 recorded)",
            executions.len()
        ));
    }
    Ok(notes)
}

/// LocalStack's `SQS_PARALLEL_WAIT_FOR_TASK_TOKEN` template (tests/aws/services/stepfunctions/
/// templates/callbacks/statemachines/sqs_parallel_wait_for_task_token.json5).
fn parallel_definition() -> Value {
    json!({
        "Comment": "SQS_PARALLEL_WAIT_FOR_TASK_TOKEN",
        "StartAt": "ParallelJob",
        "States": {
            "ParallelJob": {
                "Type": "Parallel",
                "Branches": [{
                    "StartAt": "SendMessageWithWait",
                    "States": {
                        "SendMessageWithWait": {
                            "Type": "Task",
                            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                            "Parameters": {
                                "QueueUrl.$": "$.QueueUrl",
                                "MessageBody": {"Context.$": "$", "TaskToken.$": "$$.Task.Token"}
                            },
                            "End": true
                        }
                    }
                }],
                "Catch": [
                    {"ErrorEquals": ["States.Runtime"], "ResultPath": "$.states_runtime_error", "Next": "CaughtRuntimeError"},
                    {"ErrorEquals": ["States.ALL"], "ResultPath": "$.states_all_error", "Next": "CaughtStatesALL"}
                ],
                "End": true
            },
            "CaughtRuntimeError": {"Type": "Pass", "End": true},
            "CaughtStatesALL": {"Type": "Pass", "End": true}
        }
    })
}

/// The test's client: one execution; a worker answers the queued token with SendTaskFailure
/// carrying neither `error` nor `cause`.
fn run_parallel(
    server: &Server,
    moto: &Moto,
    case: &Value,
    m: &Matcher,
) -> Result<Vec<String>, String> {
    let queue_url = create_queue(moto, "cbapi-parallel")?;
    let v = server.ok(
        "CreateStateMachine",
        json!({"name": "cbapi-parallel", "definition": parallel_definition().to_string(), "roleArn": ROLE_111}),
    );
    let arn = v["stateMachineArn"]
        .as_str()
        .ok_or("no state machine ARN")?;
    let e = server.ok(
        "StartExecution",
        json!({"stateMachineArn": arn,
               "input": json!({"QueueUrl": queue_url, "Message": "test_message_txt"}).to_string()}),
    );
    let exec = e["executionArn"].as_str().ok_or("no execution ARN")?;
    let token = token_of(&receive_body(moto, &queue_url)?)?;
    server.ok("SendTaskFailure", json!({"taskToken": token}));
    server.wait_done(exec, Duration::from_secs(60));
    let recorded = &case["snapshot"]["get_execution_history"];
    Ok(compare(m, recorded, &server.history(exec))
        .into_iter()
        .collect())
}

#[test]
fn corpus_callback_api_against_moto() {
    let dir = corpus::localstack_dir(env!("CARGO_MANIFEST_DIR"));
    let Ok(index) = std::fs::read_to_string(dir.join("index.json")) else {
        println!(
            "\n*** SKIPPED: corpus not found at {}: the callback api cases did not run ***\n",
            dir.display()
        );
        return;
    };
    let Some(moto) = moto() else { return };
    let index: Vec<Value> = serde_json::from_str(&index).expect("index.json");
    let tmp = tempfile::tempdir().expect("tempdir");
    let cfg = write_moto_config(tmp.path(), moto);
    let server = Server::spawn(
        &["--in-memory", "--config", cfg.to_str().unwrap_or("")],
        None,
    );
    let m = Matcher::new().with_whole(WHOLE);
    let mut passing = BTreeSet::new();
    let mut total = 0;
    for id in [MULTI, PARALLEL] {
        let Some(file) = index
            .iter()
            .find(|e| e["id"] == id && e["kind"] == "api")
            .and_then(|e| e["file"].as_str())
        else {
            println!("MISSING {id}: not in index.json");
            continue;
        };
        total += 1;
        let case: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(file)).expect("case file"))
                .expect("case json");
        let r = if id == MULTI {
            run_multi(&server, moto, &case, &m)
        } else {
            run_parallel(&server, moto, &case, &m)
        };
        match r {
            Ok(notes) if notes.is_empty() => {
                passing.insert(id.to_string());
            }
            Ok(notes) => println!("FAIL {id}: {}", notes.join("; ")),
            Err(e) => println!("ERROR {id}: {e}"),
        }
    }
    println!("callback api: {}/{total} pass", passing.len());
    let list_path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/callback_api_corpus_passing.txt");
    let Some(regressed) = corpus::ratchet(&list_path, &passing) else {
        return;
    };
    assert!(
        regressed.is_empty(),
        "cases that passed before fail now: {regressed:?}"
    );
}
