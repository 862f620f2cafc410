//! The corpus's `services` executions on SQS, SNS, DynamoDB, EventBridge and S3 (recorded
//! against AWS), run through a real `stepline-server` whose `[aws]` integrations point at moto's
//! server. Each case's resources are made as the LocalStack test made them (the queue, topic,
//! table, bucket and object its input names); the history is compared with AWS's recording using
//! `corpus::Matcher` (placeholders as wildcards; transport metadata — `SdkHttpMetadata`,
//! `SdkResponseMetadata` — left out, since those are the stand-in's headers, not the
//! integration's).
//!
//! Reports the pass rate and fails when a case listed in `integrations_corpus_passing.txt`
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
use std::time::Duration;

const NEEDS: &[&str] = &[
    "aws-sdk:secretsmanager",
    "sqs",
    "sns",
    "dynamodb",
    "aws-sdk:dynamodb",
    "aws-sdk:s3",
    "events",
];

/// Values LocalStack's transformers wrote over whole run-dependent values in these cases.
const WHOLE: &[&str] = &[
    "x-amzn-RequestId",
    "RequestId",
    "table-name",
    "bucket-name",
    "file-key",
    "<test-table>",
    "sqs_queue_url",
    // A doubly-bracketed token some callback recordings carry.
    "<<task_token>:1>",
];

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

fn parsed(v: &Value) -> Value {
    match v {
        Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| v.clone()),
        other => other.clone(),
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

/// Our input's strings where the recording shows others (names LocalStack replaced), so our
/// history can be read with the recording's names.
fn renames(ours: &Value, recorded: &Value, out: &mut Vec<(String, String)>) {
    match (ours, recorded) {
        (Value::String(a), Value::String(b)) if a != b && !a.is_empty() => {
            out.push((a.clone(), b.clone()))
        }
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                if let Some(w) = b.get(k) {
                    renames(v, w, out);
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => a.iter().zip(b).for_each(|(x, y)| renames(x, y, out)),
        _ => {}
    }
}

fn rename(v: &mut Value, names: &[(String, String)]) {
    match v {
        Value::String(s) => {
            for (from, to) in names {
                if s.contains(from.as_str()) {
                    *s = s.replace(from.as_str(), to);
                }
            }
        }
        Value::Object(m) => m.values_mut().for_each(|x| rename(x, names)),
        Value::Array(a) => a.iter_mut().for_each(|x| rename(x, names)),
        _ => {}
    }
}

/// Creates what the case's input names on moto; returns the input to run with.
fn set_up(moto: &Moto, case: &Value) -> Result<Value, String> {
    let id = case["id"].as_str().unwrap_or("");
    let mut input = case["input"].clone();
    let err = |e: integrations::aws::CallError| format!("{}: {}", e.error, e.cause);
    // Resources a case names as missing stay missing.
    let missing = |name: &str| name.contains("no_such") || name.contains("no-such");
    if let Some(t) = input["TableName"].as_str().filter(|t| !missing(t)) {
        let _ = aws_call(
            moto,
            "arn:aws:states:::aws-sdk:dynamodb:createTable",
            json!({"TableName": t, "BillingMode": "PAY_PER_REQUEST",
                   "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                   "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}]}),
        );
    }
    if let Some(u) = input["QueueUrl"].as_str().filter(|u| !missing(u)) {
        let name = u.rsplit('/').next().unwrap_or("q").to_string();
        let q = aws_call(
            moto,
            "arn:aws:states:::aws-sdk:sqs:createQueue",
            json!({"QueueName": name}),
        )
        .map_err(err)?;
        input["QueueUrl"] = q["QueueUrl"].clone();
    }
    if let Some(arn) = input["TopicArn"].as_str() {
        let name = arn.rsplit(':').next().unwrap_or("topic").to_string();
        if id.contains("error_topic_arn") {
            input["TopicArn"] = json!("arn:aws:sns:us-east-1:123456789012:no-such-topic");
        } else {
            let mut req = json!({"Name": name});
            if name.ends_with(".fifo") {
                req["Attributes"] = json!({"FifoTopic": "true"});
            }
            let t = aws_call(moto, "arn:aws:states:::aws-sdk:sns:createTopic", req).map_err(err)?;
            input["TopicArn"] = t["TopicArn"].clone();
        }
    }
    if let Some(b) = input["Bucket"].as_str() {
        let _ = aws_call(
            moto,
            "arn:aws:states:::aws-sdk:s3:createBucket",
            json!({"Bucket": b}),
        );
        // getObject cases read the object the test put: its body is what AWS returned.
        let body = case["history"]
            .as_array()
            .and_then(|h| h.iter().find(|e| e["type"] == "TaskSucceeded"))
            .map(|e| parsed(&e["taskSucceededEventDetails"]["output"]))
            .and_then(|o| o["Body"].as_str().map(str::to_string));
        if let (Some(body), Some(key)) = (body, input["Key"].as_str()) {
            aws_call(
                moto,
                "arn:aws:states:::aws-sdk:s3:putObject",
                json!({"Bucket": b, "Key": key, "Body": body}),
            )
            .map_err(err)?;
        }
    }
    Ok(input)
}

fn run_case(
    server: &Server,
    moto: &Moto,
    case: &Value,
    n: usize,
    m: &Matcher,
) -> Result<Vec<String>, String> {
    let input = set_up(moto, case)?;
    let name = format!("case{n}");
    let v = server.ok(
        "CreateStateMachine",
        json!({"name": name, "definition": case["definition"].to_string(),
               "roleArn": "arn:aws:iam::111111111111:role/StepFunctions",
               "type": case["state_machine_type"].as_str().unwrap_or("STANDARD")}),
    );
    let arn = v["stateMachineArn"]
        .as_str()
        .ok_or("no state machine ARN")?;
    let e = server.ok(
        "StartExecution",
        json!({"stateMachineArn": arn, "input": input.to_string()}),
    );
    let exec = e["executionArn"]
        .as_str()
        .ok_or("no execution ARN")?
        .to_string();
    let d = server.wait_done(&exec, Duration::from_secs(60));
    let history = case["history"].as_array().cloned().unwrap_or_default();
    let mut names = Vec::new();
    if let Some(first) = history.first() {
        renames(
            &input,
            &parsed(&first["executionStartedEventDetails"]["input"]),
            &mut names,
        );
    }
    let mut notes = Vec::new();
    let exp = &case["expected"];
    if exp["status"] != d["status"] {
        notes.push(format!(
            "status {} (expected {})",
            d["status"], exp["status"]
        ));
    }
    for (k, got) in [
        ("output", &d["output"]),
        ("error", &d["error"]),
        ("cause", &d["cause"]),
    ] {
        if let Some(want) = exp.get(k) {
            let mut got = parsed(got);
            rename(&mut got, &names);
            strip(&mut got);
            let mut want = parsed(want);
            strip(&mut want);
            if !m.smatch(&want, &got) {
                notes.push(format!("{k} {got} (expected {want})"));
            }
        }
    }
    let want: Vec<Value> = history.iter().map(normalise).collect();
    let got: Vec<Value> = server
        .history(&exec)
        .iter()
        .map(|e| {
            let mut v = normalise(e);
            rename(&mut v, &names);
            v
        })
        .collect();
    if want.len() != got.len() || !want.iter().zip(&got).all(|(w, g)| m.smatch(w, g)) {
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
    Ok(notes)
}

#[test]
fn corpus_services_against_moto() {
    let dir = corpus::localstack_dir(env!("CARGO_MANIFEST_DIR"));
    let Ok(index) = std::fs::read_to_string(dir.join("index.json")) else {
        println!(
            "corpus not found at {}: skipping the services corpus runner",
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
    for entry in index.iter().filter(|e| {
        (e["group"] == "services" || e["group"] == "error_handling")
            && e["kind"] == "execution"
            && e["needs"].as_array().is_some_and(|n| {
                !n.is_empty() && n.iter().all(|x| NEEDS.contains(&x.as_str().unwrap_or("")))
            })
    }) {
        let id = entry["id"].as_str().unwrap_or("").to_string();
        let text = std::fs::read_to_string(dir.join(entry["file"].as_str().unwrap_or("")))
            .expect("case file");
        let case: Value = serde_json::from_str(&text).expect("case json");
        total += 1;
        match run_case(&server, moto, &case, total, &m) {
            Ok(notes) if notes.is_empty() => {
                passing.insert(id);
            }
            Ok(notes) => println!("FAIL {id}: {}", notes.join("; ")),
            Err(e) => println!("ERROR {id}: {e}"),
        }
    }
    println!("services (moto): {}/{total} pass", passing.len());
    let list_path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/integrations_corpus_passing.txt");
    let Some(regressed) = corpus::ratchet(&list_path, &passing) else {
        return;
    };
    assert!(
        regressed.is_empty(),
        "cases that passed before fail now: {regressed:?}"
    );
}

/// The terminal task event AWS recorded: what the test's worker answered.
fn recorded_answer(case: &Value) -> Option<Value> {
    case["history"]
        .as_array()?
        .iter()
        .rev()
        .find_map(|e| match e["type"].as_str()? {
            "TaskSucceeded" => {
                Some(json!({"success": parsed(&e["taskSucceededEventDetails"]["output"])}))
            }
            "TaskFailed" => Some(json!({"failure": e["taskFailedEventDetails"].clone()})),
            _ => None,
        })
}

/// A worker as the LocalStack test ran it: reads the message carrying the token from the queue
/// (for SNS, a queue subscribed to the topic), sends a heartbeat, then answers as AWS recorded.
fn work(server: &Server, moto: &Moto, queue_url: &str, case: &Value) -> Result<(), String> {
    let Some(answer) = recorded_answer(case) else {
        return Ok(()); // The task timed out: nobody answered.
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let token = loop {
        let m = aws_call(
            moto,
            "arn:aws:states:::aws-sdk:sqs:receiveMessage",
            json!({"QueueUrl": queue_url, "WaitTimeSeconds": 1}),
        )
        .map_err(|e| e.cause)?;
        if let Some(b) = m["Messages"][0]["Body"].as_str() {
            let body = parsed(&Value::String(b.to_string()));
            // SNS delivers an envelope whose `Message` is the published text.
            let body = match body.get("Message").and_then(Value::as_str) {
                Some(inner) if body.get("TopicArn").is_some() => parsed(&json!(inner)),
                _ => body,
            };
            if let Some(t) = body["TaskToken"].as_str() {
                break t.to_string();
            }
        }
        if std::time::Instant::now() > deadline {
            return Err("no message with a task token arrived".into());
        }
    };
    server.ok("SendTaskHeartbeat", json!({"taskToken": token}));
    if let Some(output) = answer.get("success") {
        server.ok(
            "SendTaskSuccess",
            json!({"taskToken": token, "output": output.to_string()}),
        );
    } else {
        let f = &answer["failure"];
        let mut req = json!({"taskToken": token});
        for k in ["error", "cause"] {
            if let Some(v) = f.get(k) {
                req[k] = v.clone();
            }
        }
        server.ok("SendTaskFailure", req);
    }
    Ok(())
}

fn run_callback_case(
    server: &Server,
    moto: &Moto,
    case: &Value,
    n: usize,
) -> Result<Vec<String>, String> {
    let mut input = case["input"].clone();
    let id = case["id"].as_str().unwrap_or("");
    let err = |e: integrations::aws::CallError| format!("{}: {}", e.error, e.cause);
    let queue_name = format!("cbq{n}");
    let q = aws_call(
        moto,
        "arn:aws:states:::aws-sdk:sqs:createQueue",
        json!({"QueueName": queue_name}),
    )
    .map_err(err)?;
    let queue_url = q["QueueUrl"].as_str().unwrap_or("").to_string();
    if input.get("QueueUrl").is_some() {
        input["QueueUrl"] = json!(queue_url);
    }
    if input.get("TopicArn").is_some() {
        let t = aws_call(
            moto,
            "arn:aws:states:::aws-sdk:sns:createTopic",
            json!({"Name": format!("cbt{n}")}),
        )
        .map_err(err)?;
        let topic = t["TopicArn"].as_str().unwrap_or("").to_string();
        let attrs = aws_call(
            moto,
            "arn:aws:states:::aws-sdk:sqs:getQueueAttributes",
            json!({"QueueUrl": queue_url, "AttributeNames": ["QueueArn"]}),
        )
        .map_err(err)?;
        aws_call(
            moto,
            "arn:aws:states:::aws-sdk:sns:subscribe",
            json!({"TopicArn": topic, "Protocol": "sqs", "Endpoint": attrs["Attributes"]["QueueArn"]}),
        )
        .map_err(err)?;
        input["TopicArn"] = json!(topic);
    }
    let v = server.ok(
        "CreateStateMachine",
        json!({"name": format!("callback{n}"), "definition": case["definition"].to_string(),
               "roleArn": "arn:aws:iam::111111111111:role/StepFunctions"}),
    );
    let arn = v["stateMachineArn"]
        .as_str()
        .ok_or("no state machine ARN")?;
    let e = server.ok(
        "StartExecution",
        json!({"stateMachineArn": arn, "input": input.to_string()}),
    );
    let exec = e["executionArn"]
        .as_str()
        .ok_or("no execution ARN")?
        .to_string();
    work(server, moto, &queue_url, case)?;
    let d = server.wait_done(&exec, Duration::from_secs(60));
    let history = case["history"].as_array().cloned().unwrap_or_default();
    let mut names = Vec::new();
    if let Some(first) = history.first() {
        renames(
            &input,
            &parsed(&first["executionStartedEventDetails"]["input"]),
            &mut names,
        );
    }
    let m = Matcher::new().with_whole(WHOLE);
    let mut notes = Vec::new();
    if case["expected"]["status"] != d["status"] {
        notes.push(format!(
            "status {} (expected {})",
            d["status"], case["expected"]["status"]
        ));
    }
    let want: Vec<Value> = history.iter().map(normalise).collect();
    let got: Vec<Value> = server
        .history(&exec)
        .iter()
        .map(|e| {
            let mut v = normalise(e);
            rename(&mut v, &names);
            v
        })
        .collect();
    if want.len() != got.len() || !want.iter().zip(&got).all(|(w, g)| m.smatch(w, g)) {
        let first = want
            .iter()
            .zip(&got)
            .position(|(w, g)| !m.smatch(w, g))
            .unwrap_or(want.len().min(got.len()));
        notes.push(format!(
            "{id}: history differs at event {} ({} vs {} events): expected {} got {}",
            first + 1,
            want.len(),
            got.len(),
            want.get(first).map(|v| v.to_string()).unwrap_or_default(),
            got.get(first).map(|v| v.to_string()).unwrap_or_default()
        ));
    }
    Ok(notes)
}

/// The `callback` group's SQS and SNS `.waitForTaskToken` executions, each with a worker
/// answering through the queue (in parallel: two of them wait out a 5 s timeout).
#[test]
fn corpus_callbacks_against_moto() {
    let dir = corpus::localstack_dir(env!("CARGO_MANIFEST_DIR"));
    let Ok(index) = std::fs::read_to_string(dir.join("index.json")) else {
        println!(
            "corpus not found at {}: skipping the callback corpus runner",
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
    let cases: Vec<(String, Value)> = index
        .iter()
        .filter(|e| {
            (e["group"] == "callback" || e["group"] == "error_handling")
                && e["kind"] == "execution"
                && e["needs"].as_array().is_some_and(|n| {
                    n.iter().any(|x| x == "sqs" || x == "sns")
                        && n.iter().any(|x| x == "callback")
                        && n.iter()
                            .all(|x| matches!(x.as_str(), Some("callback" | "sqs" | "sns")))
                })
        })
        .filter_map(|e| {
            let text = std::fs::read_to_string(dir.join(e["file"].as_str()?)).ok()?;
            Some((
                e["id"].as_str()?.to_string(),
                serde_json::from_str(&text).ok()?,
            ))
        })
        .collect();
    let total = cases.len();
    let results: Vec<(String, Result<Vec<String>, String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = cases
            .iter()
            .enumerate()
            .map(|(n, (id, case))| {
                let server = &server;
                s.spawn(move || (id.clone(), run_callback_case(server, moto, case, n)))
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    let mut passing = BTreeSet::new();
    for (id, r) in results {
        match r {
            Ok(notes) if notes.is_empty() => {
                passing.insert(id);
            }
            Ok(notes) => println!("FAIL {id}: {}", notes.join("; ")),
            Err(e) => println!("ERROR {id}: {e}"),
        }
    }
    println!("callback sqs/sns (moto): {}/{total} pass", passing.len());
    let list_path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/integrations_corpus_callback_passing.txt");
    let Some(regressed) = corpus::ratchet(&list_path, &passing) else {
        return;
    };
    assert!(
        regressed.is_empty(),
        "cases that passed before fail now: {regressed:?}"
    );
}
