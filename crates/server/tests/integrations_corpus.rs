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
    if let Some(t) = input["TableName"].as_str() {
        let _ = aws_call(
            moto,
            "arn:aws:states:::aws-sdk:dynamodb:createTable",
            json!({"TableName": t, "BillingMode": "PAY_PER_REQUEST",
                   "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                   "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}]}),
        );
    }
    if let Some(u) = input["QueueUrl"].as_str() {
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
    let creds = credentials_file(tmp.path());
    let cfg = tmp.path().join("stepline.toml");
    std::fs::write(
        &cfg,
        format!(
            "[aws]\nendpoint = \"{}\"\nregion = \"us-east-1\"\nprofile = \"moto\"\ncredentials_file = \"{}\"\n",
            moto.endpoint,
            creds.display()
        ),
    )
    .expect("write config");
    let server = Server::spawn(
        &["--in-memory", "--config", cfg.to_str().unwrap_or("")],
        None,
    );
    let m = Matcher::new().with_whole(WHOLE);
    let mut passing = BTreeSet::new();
    let mut total = 0;
    for entry in index.iter().filter(|e| {
        e["group"] == "services"
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
    if std::env::var("STEPLINE_WRITE_PASSING").is_ok() {
        let text: String = passing.iter().map(|id| format!("{id}\n")).collect();
        std::fs::write(&list_path, text).expect("write passing list");
        return;
    }
    let listed: BTreeSet<String> = std::fs::read_to_string(&list_path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    let regressed: Vec<&String> = listed.difference(&passing).collect();
    assert!(
        regressed.is_empty(),
        "cases that passed before fail now: {regressed:?}"
    );
}
