//! Corpus cases for waiting tasks (AWS-recorded histories): the groups `activities` and
//! `callback`, the nested-execution cases of `services`, `error_handling` and `credentials`,
//! and the callback cases of `timeouts`. Each case's client interaction (from the LocalStack
//! test named in its `source`) is replayed against the real server and the history compared
//! with AWS's by conform.py's rule (`corpus::Matcher`),
//! skipping `$..SdkHttpMetadata` and `$..SdkResponseMetadata` as LocalStack's tests do. A
//! child's description carries `Redrive*` fields since AWS added redrive (November 2023); for
//! cases recorded before, ours are dropped before comparing.
//!
//! Cases that need SQS or SNS run only when such a service is reachable and the server is told
//! to use it: `STEPLINE_TEST_SQS_ENDPOINT` / `STEPLINE_TEST_SNS_ENDPOINT` (e.g. moto's URL, to
//! create the queue or topic) and `STEPLINE_TEST_SERVER_ARGS` (the server's flags pointing its
//! integrations there). Otherwise they are listed as skipped, with the reason.
//!
//! The `api_activities` group (Create/Describe/Delete/ListActivities calls and AWS's answers)
//! is replayed call by call.
//!
//! Skips with a message when the corpus is absent (`STEPLINE_CORPUS` overrides its place);
//! fails when a case listed in `tests/waiting_corpus_passing.txt` fails.

mod common;

use common::*;
use corpus::Matcher;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(120);
const WORKER: &str = "BASE_ID_ACTIVITY_CONSUMER";
/// The account of the recordings.
const AWS_ACCOUNT: &str = "111111111111";

/// The child state machines LocalStack's templates give (`BASE_PASS_RESULT`,
/// `BASE_RAISE_FAILURE`); the timing-out child is an activity task no worker takes, past its
/// `TimeoutSeconds` (LocalStack's is a Lambda sleeping 60 s: the parent sees the same
/// `States.Timeout` failure).
fn child_definition(id: &str, activity: &str) -> Value {
    if id.contains("delegate_failure") {
        json!({"StartAt": "FailState", "States": {"FailState": {"Type": "Fail",
            "Error": "SomeFailure", "Cause": "This state machines raises a 'SomeFailure' failure."}}})
    } else if id.contains("delegate_timeout") {
        json!({"StartAt": "Start", "States": {"Start": {"Type": "Task",
            "Resource": activity, "TimeoutSeconds": 1, "End": true}}})
    } else {
        json!({"StartAt": "State_1", "States": {"State_1": {"Type": "Pass",
            "Result": {"Arg1": "argument1"}, "End": true}}})
    }
}

/// What a case needs that may be absent here.
fn needs_service(case: &Value) -> Option<&'static str> {
    let needs: Vec<&str> = case["needs"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let id = case["id"].as_str().unwrap_or_default();
    let def = case["definition"].to_string();
    if needs.contains(&"sns") || def.contains(":::sns:") {
        Some("sns")
    } else if needs.contains(&"sqs") || def.contains(":::sqs:") || id.contains("sqs") {
        Some("sqs")
    } else {
        None
    }
}

/// One POST to a service speaking the AWS JSON protocol (SQS) or the query protocol (SNS).
fn post(endpoint: &str, headers: &[(&str, &str)], body: &str) -> Result<String, String> {
    let hostport = endpoint
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let mut s = TcpStream::connect(&hostport).map_err(|e| format!("{endpoint}: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok();
    let mut req = format!(
        "POST / HTTP/1.1\r\nHost: {hostport}\r\nContent-Length: {}\r\nConnection: close\r\nAuthorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/x/aws4_request, SignedHeaders=host, Signature=0\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).map_err(|e| e.to_string())?;
    Ok(resp.split("\r\n\r\n").nth(1).unwrap_or("").to_string())
}

/// Creates what an SQS or SNS case sends to; `None` (with the reason) when not configured.
fn make_target(service: &str, n: usize) -> Result<String, String> {
    let var = format!("STEPLINE_TEST_{}_ENDPOINT", service.to_uppercase());
    let endpoint = std::env::var(&var).map_err(|_| {
        format!("needs {service}: set {var} and STEPLINE_TEST_SERVER_ARGS to run it")
    })?;
    if service == "sqs" {
        let body = json!({"QueueName": format!("waiting-corpus-{n}-{}", std::process::id())});
        let text = post(
            &endpoint,
            &[
                ("X-Amz-Target", "AmazonSQS.CreateQueue"),
                ("Content-Type", "application/x-amz-json-1.0"),
            ],
            &body.to_string(),
        )?;
        let v: Value = serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))?;
        v["QueueUrl"]
            .as_str()
            .map(str::to_string)
            .ok_or(format!("CreateQueue: {text}"))
    } else {
        let body = format!(
            "Action=CreateTopic&Name=waiting-corpus-{n}-{}&Version=2010-03-31",
            std::process::id()
        );
        let text = post(
            &endpoint,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            &body,
        )?;
        let arn = text
            .split("<TopicArn>")
            .nth(1)
            .and_then(|r| r.split("</TopicArn>").next())
            .ok_or(format!("CreateTopic: {text}"))?;
        Ok(arn.to_string())
    }
}

/// Our history made comparable: JSON text parsed, timestamps and SDK metadata dropped, our
/// names and account written as the recording writes them.
fn ours(ev: &Value, renames: &[(String, String)], before_redrive: bool) -> Value {
    let mut v = corpus::parse_event_fields_with(ev, &["cause"]);
    if before_redrive {
        drop_redrive(&mut v);
    }
    fn walk(v: &mut Value, renames: &[(String, String)]) {
        match v {
            Value::String(s) => {
                for (from, to) in renames {
                    if s.contains(from.as_str()) {
                        *s = s.replace(from.as_str(), to);
                    }
                }
            }
            Value::Object(m) => {
                m.remove("timestamp");
                m.remove("SdkHttpMetadata");
                m.remove("SdkResponseMetadata");
                m.values_mut().for_each(|x| walk(x, renames));
            }
            Value::Array(a) => a.iter_mut().for_each(|x| walk(x, renames)),
            _ => {}
        }
    }
    walk(&mut v, renames);
    v
}

/// A nested execution's description lost the fields AWS added with redrive (November 2023),
/// for recordings made before.
fn drop_redrive(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|k, _| !k.starts_with("Redrive"));
            m.values_mut().for_each(drop_redrive);
        }
        Value::Array(a) => a.iter_mut().for_each(drop_redrive),
        _ => {}
    }
}

/// Whether AWS recorded the case before it added redrive (`recorded`: "DD-MM-YYYY, ...").
fn recorded_before_redrive(case: &Value) -> bool {
    let date = case["recorded"].as_str().unwrap_or_default();
    let mut parts = date.split([',', ' ']).next().unwrap_or_default().split('-');
    let (Some(d), Some(m), Some(y)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let n = |s: &str| s.parse::<u32>().unwrap_or(0);
    (n(y), n(m), n(d)) < (2023, 11, 15)
}

fn theirs(ev: &Value) -> Value {
    let mut v = corpus::parse_event_fields_with(ev, &["cause"]);
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.remove("timestamp");
                m.remove("SdkHttpMetadata");
                m.remove("SdkResponseMetadata");
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
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

/// The task token of the first task scheduled, read as the client reads it from the message
/// the task sent (the message is the scheduled parameters).
fn scheduled_token(s: &Server, exec: &str) -> Option<String> {
    let deadline = Instant::now() + LONG;
    loop {
        for e in s.history(exec) {
            if e["type"] == "TaskScheduled" {
                let p = parsed(&e["taskScheduledEventDetails"]["parameters"]);
                let text = p.to_string();
                // The token is wherever the workflow put it: any UUID-looking string.
                let token = text
                    .split('"')
                    .find(|t| t.len() == 36 && t.chars().filter(|c| *c == '-').count() == 4);
                return token.map(str::to_string);
            }
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn parsed(v: &Value) -> Value {
    match v {
        Value::String(t) => serde_json::from_str(t).unwrap_or(v.clone()),
        o => o.clone(),
    }
}

/// Runs one execution case; `Err` says how it differs from AWS.
fn run_case(s: &Server, case: &Value, n: usize, m: &Matcher) -> Result<(), String> {
    let id = case["id"].as_str().unwrap_or_default();
    let mut def = case["definition"].to_string();
    let mut input = case["input"].to_string();
    let mut renames: Vec<(String, String)> = vec![
        (ROLE.to_string(), "snf_role_arn".to_string()),
        (ACCOUNT.to_string(), AWS_ACCOUNT.to_string()),
    ];
    // The activity of the `activities` cases: ours replaces the recorded one.
    let mut activity = None;
    if case["group"] == "activities" {
        let recorded = case["definition"]["States"]
            .as_object()
            .and_then(|m| m.values().next())
            .and_then(|st| st["Resource"].as_str())
            .unwrap_or_default()
            .to_string();
        let arn = s.ok("CreateActivity", json!({"name": format!("corpus-act-{n}")}))["activityArn"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        def = def.replace(&recorded, &arn);
        renames.insert(0, (arn.clone(), "activity_arn".into()));
        activity = Some(arn);
    }
    // Nested executions: the child LocalStack's test creates first.
    if def.contains(":::states:startExecution") {
        let idle = s.ok(
            "CreateActivity",
            json!({"name": format!("corpus-idle-{n}")}),
        )["activityArn"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let child = s.create_machine(&format!("corpus-child-{n}"), &child_definition(id, &idle));
        if let Some(recorded) = case["input"]["StateMachineArn"].as_str() {
            // A missing machine stays missing (only the account changes).
            let target = if recorded.contains("NoSuchArn") {
                recorded.replace(AWS_ACCOUNT, ACCOUNT)
            } else {
                child.clone()
            };
            input = input.replace(recorded, &target);
        }
    }
    // The role the test passes for `Credentials` (captured as `{}` when the corpus was made).
    if case["input"]["CredentialsRoleArn"].is_object() {
        let mut v: Value = serde_json::from_str(&input).map_err(|e| e.to_string())?;
        v["CredentialsRoleArn"] = json!(format!("arn:aws:iam::{ACCOUNT}:role/trusted"));
        input = v.to_string();
    }
    if let Some(service) = needs_service(case) {
        let target = make_target(service, n)?;
        let recorded = if service == "sqs" {
            case["input"]["QueueUrl"].as_str()
        } else {
            case["input"]["TopicArn"].as_str()
        };
        if let Some(r) = recorded {
            input = input.replace(r, &target);
        }
    }
    let machine = s.create_machine(
        &format!("corpus-m-{n}"),
        &serde_json::from_str(&def).map_err(|e| e.to_string())?,
    );
    if id.contains("on_deleted") {
        if let Some(a) = &activity {
            s.ok("DeleteActivity", json!({"activityArn": a}));
        }
    }
    let exec = s.ok(
        "StartExecution",
        json!({"stateMachineArn": machine, "input": input}),
    )["executionArn"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if let Some(a) = activity.as_deref().filter(|_| !id.contains("on_deleted")) {
        let worker = (!id.contains("no_worker_name")).then_some(WORKER);
        let (token, input) = take(s, a, worker);
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
    if needs_service(case).is_some() && !id.contains("timeout") {
        // The consumer of the message: heartbeats, then success with the message, or an empty
        // failure (as each LocalStack test's consumer thread does).
        let token = scheduled_token(s, &exec).ok_or("no task token was sent")?;
        let message = s
            .history(&exec)
            .into_iter()
            .find(|e| e["type"] == "TaskScheduled")
            .map(|e| parsed(&e["taskScheduledEventDetails"]["parameters"]))
            .unwrap_or(Value::Null);
        let body = match &message["MessageBody"] {
            Value::Null => message["Message"].clone(),
            b => b.clone(),
        };
        if id.contains("no_error_field") {
            s.ok("SendTaskFailure", json!({"taskToken": token}));
        } else if id.contains("sns") {
            s.ok(
                "SendTaskSuccess",
                json!({"taskToken": token, "output": "{}"}),
            );
        } else {
            let beats = if id.contains("multiple_heartbeat") {
                10
            } else {
                1
            };
            for _ in 0..beats {
                s.ok("SendTaskHeartbeat", json!({"taskToken": token}));
            }
            let output = if id.contains("with_heartbeat") {
                body["Message"].to_string()
            } else {
                body.to_string()
            };
            s.ok(
                "SendTaskSuccess",
                json!({"taskToken": token, "output": output}),
            );
        }
    }
    s.wait_done(&exec, LONG);
    let old = recorded_before_redrive(case);
    let got: Vec<Value> = s
        .history(&exec)
        .iter()
        .map(|e| ours(e, &renames, old))
        .collect();
    let want: Vec<Value> = case["history"]
        .as_array()
        .map(|h| h.iter().map(theirs).collect())
        .unwrap_or_default();
    if m.smatch(&Value::Array(want.clone()), &Value::Array(got.clone())) {
        return Ok(());
    }
    let at = want
        .iter()
        .zip(&got)
        .position(|(w, g)| !m.smatch(w, g))
        .unwrap_or(want.len().min(got.len()));
    Err(format!(
        "history differs at event {} ({} vs {} events):\n  AWS: {}\n  got: {}",
        at + 1,
        want.len(),
        got.len(),
        want.get(at).map(Value::to_string).unwrap_or_default(),
        got.get(at).map(Value::to_string).unwrap_or_default()
    ))
}

fn in_scope(entry: &Value) -> bool {
    let group = entry["group"].as_str().unwrap_or_default();
    let needs = entry["needs"].to_string();
    match group {
        "activities" | "callback" => true,
        "services" | "error_handling" | "credentials" => needs.contains("\"nested\""),
        // Heartbeat timeouts of SQS callbacks (skipped without SQS).
        "timeouts" => needs.contains("\"callback\""),
        _ => false,
    }
}

#[test]
fn waiting_corpus() {
    let dir = corpus::localstack_dir(env!("CARGO_MANIFEST_DIR"));
    let Ok(index) = std::fs::read_to_string(dir.join("index.json")) else {
        println!("SKIPPED: corpus not found at {}", dir.display());
        return;
    };
    let index: Vec<Value> = serde_json::from_str(&index).expect("index.json");
    let listed: Vec<String> = include_str!("waiting_corpus_passing.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    let extra: Vec<String> = std::env::var("STEPLINE_TEST_SERVER_ARGS")
        .map(|a| a.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default();
    let mut args: Vec<&str> = vec!["--in-memory"];
    args.extend(extra.iter().map(String::as_str));
    let s = Server::spawn(&args, None);
    let m = Matcher::new();
    let cases: Vec<(usize, Value)> = index
        .iter()
        .filter(|e| in_scope(e))
        .enumerate()
        .filter_map(|(n, e)| {
            let text = std::fs::read_to_string(dir.join(e["file"].as_str()?)).ok()?;
            let mut case: Value = serde_json::from_str(&text).ok()?;
            case["group"] = e["group"].clone();
            case["needs"] = e["needs"].clone();
            Some((n, case))
        })
        .collect();
    // Cases run side by side: most of the time is spent waiting for timeouts.
    let results: Vec<(String, String, Result<(), String>)> = std::thread::scope(|sc| {
        let handles: Vec<_> = cases
            .iter()
            .map(|(n, case)| {
                let (s, m) = (&s, &m);
                sc.spawn(move || {
                    let id = case["id"].as_str().unwrap_or_default().to_string();
                    let group = case["group"].as_str().unwrap_or_default().to_string();
                    let r = if case["kind"] != "execution" {
                        // The two `api` cases are SQS interactions too (several executions
                        // answered by SQS consumers, a Parallel of SQS callbacks).
                        Err("SKIPPED: needs sqs (an api interaction over SQS messages)".into())
                    } else {
                        match needs_service(case) {
                            Some(svc)
                                if std::env::var(format!(
                                    "STEPLINE_TEST_{}_ENDPOINT",
                                    svc.to_uppercase()
                                ))
                                .is_err() =>
                            {
                                Err(format!(
                                    "SKIPPED: needs {svc}: set STEPLINE_TEST_{}_ENDPOINT and STEPLINE_TEST_SERVER_ARGS to run it",
                                    svc.to_uppercase()
                                ))
                            }
                            _ => run_case(s, case, *n, m),
                        }
                    };
                    (group, id, r)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("case thread"))
            .collect()
    });
    let mut regressions = Vec::new();
    let mut per_group: std::collections::BTreeMap<String, (usize, usize, usize)> =
        Default::default();
    for (group, id, r) in &results {
        let g = per_group.entry(group.clone()).or_default();
        g.1 += 1;
        match r {
            Ok(()) => {
                g.0 += 1;
                if !listed.contains(id) {
                    println!("newly passing: {id}");
                }
            }
            Err(e) if e.starts_with("SKIPPED") => {
                g.2 += 1;
                println!("{e}: {id}");
            }
            Err(e) => println!("FAIL {id}: {e}"),
        }
        if r.is_err() && listed.contains(id) {
            regressions.push(id.clone());
        }
    }
    for (group, (pass, total, skipped)) in &per_group {
        println!(
            "{group}: {pass}/{total} match AWS's history ({skipped} skipped: service not configured)"
        );
    }
    assert!(regressions.is_empty(), "regressions: {regressions:?}");
}

/// `create_activity` → `CreateActivity`.
fn operation(op: &str) -> String {
    op.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Runs one `api_activities` case: its calls in order, each answer compared with what AWS
/// answered (the snapshot holds the last calls' answers, in order).
fn run_api_case(case: &Value, m: &Matcher) -> Result<(), String> {
    let s = Server::start_in_memory();
    let calls = case["calls"].as_array().cloned().unwrap_or_default();
    let mut answers = Vec::new();
    let (mut arns, mut names) = (Vec::<String>::new(), Vec::<String>::new());
    for c in &calls {
        let op = operation(c["op"].as_str().unwrap_or_default());
        let kwargs: Value =
            serde_json::from_str(&c["kwargs"].to_string().replace(AWS_ACCOUNT, ACCOUNT))
                .map_err(|e| e.to_string())?;
        let (status, body) = s.call(&op, kwargs.clone());
        if op == "CreateActivity" && status == 200 {
            if let (Some(a), Some(n)) = (body["activityArn"].as_str(), kwargs["name"].as_str()) {
                if !arns.iter().any(|x| x == a) {
                    arns.push(a.to_string());
                    names.push(n.to_string());
                }
            }
        }
        answers.push((op, status, body));
    }
    // Our names as the recording writes them.
    let mut renames = Vec::new();
    for (i, (a, n)) in arns.iter().zip(&names).enumerate() {
        let suffix = if arns.len() > 1 {
            format!("_{i}")
        } else {
            String::new()
        };
        renames.push((a.clone(), format!("activity_arn{suffix}")));
        renames.push((n.clone(), format!("activity_name{suffix}")));
    }
    let snapshot = case["snapshot"].as_object().cloned().unwrap_or_default();
    let skip = answers.len().saturating_sub(snapshot.len());
    for ((key, want), (op, status, body)) in snapshot.iter().zip(answers.iter().skip(skip)) {
        let body = ours(body, &renames, false);
        let got = if want.get("exception_typename").is_some() {
            let ty = body["__type"].as_str().unwrap_or_default();
            let msg = body["message"].as_str().unwrap_or_default();
            Some((
                want.clone(),
                json!({"exception_typename": ty,
                       "exception_value": format!("An error occurred ({ty}) when calling the {op} operation: {msg}")}),
            ))
        } else if want.get("Error").is_some() {
            let mut w = want.clone();
            if let Some(o) = w.as_object_mut() {
                o.remove("ResponseMetadata");
            }
            Some((
                w,
                json!({"Error": {"Code": body["__type"], "Message": body["message"]},
                       "message": body["message"]}),
            ))
        } else {
            let mut w = want.clone();
            if let Some(o) = w.as_object_mut() {
                o.remove("ResponseMetadata");
            }
            if *status != 200 {
                return Err(format!("{key}: {op} failed: {body}"));
            }
            Some((w, body))
        };
        if let Some((w, g)) = got {
            if !m.smatch(&w, &g) {
                return Err(format!("{key} ({op}):\n  AWS: {w}\n  got: {g}"));
            }
        }
    }
    Ok(())
}

#[test]
fn api_activities_corpus() {
    let dir = corpus::localstack_dir(env!("CARGO_MANIFEST_DIR"));
    let Ok(index) = std::fs::read_to_string(dir.join("index.json")) else {
        println!("SKIPPED: corpus not found at {}", dir.display());
        return;
    };
    let index: Vec<Value> = serde_json::from_str(&index).expect("index.json");
    let listed: Vec<&str> = include_str!("waiting_corpus_passing.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let m = Matcher::new().with_whole(&["activity_arn", "activity_name"]);
    let (mut pass, mut total, mut regressions) = (0, 0, Vec::new());
    let mut seen = std::collections::HashSet::new();
    // Several index entries share one file (their ids collided when the corpus was made).
    for e in index
        .iter()
        .filter(|e| e["group"] == "api_activities" && seen.insert(e["file"].to_string()))
    {
        let Some(text) = e["file"]
            .as_str()
            .and_then(|f| std::fs::read_to_string(dir.join(f)).ok())
        else {
            continue;
        };
        let Ok(case) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        total += 1;
        let id = case["id"].as_str().unwrap_or_default().to_string();
        match run_api_case(&case, &m) {
            Ok(()) => {
                pass += 1;
                if !listed.contains(&id.as_str()) {
                    println!("newly passing: {id}");
                }
            }
            Err(err) => {
                println!("FAIL {id}: {err}");
                if listed.contains(&id.as_str()) {
                    regressions.push(id);
                }
            }
        }
    }
    println!("api_activities: {pass}/{total} match AWS's answers");
    assert!(regressions.is_empty(), "regressions: {regressions:?}");
}
