//! Observability against the real server: execution logs per `loggingConfiguration` (compared
//! with the corpus recorded against AWS, and by hand for each level), `GET /metrics` after a
//! known set of executions, and OTLP spans received by an in-process collector.

mod common;

use common::*;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(60);

fn log_group_arn(group: &str) -> String {
    format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}:*")
}

fn logging(level: &str, include: bool, group: &str) -> Value {
    json!({"level": level, "includeExecutionData": include,
           "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": log_group_arn(group)}}]})
}

fn create(s: &Server, name: &str, def: &Value, ty: &str, logging: Value) -> String {
    let v = s.ok(
        "CreateStateMachine",
        json!({"name": name, "definition": def.to_string(), "roleArn": ROLE, "type": ty,
               "loggingConfiguration": logging}),
    );
    v["stateMachineArn"].as_str().expect("arn").to_string()
}

fn start(s: &Server, machine: &str, name: &str, input: &Value) -> String {
    let v = s.ok(
        "StartExecution",
        json!({"stateMachineArn": machine, "name": name, "input": input.to_string()}),
    );
    v["executionArn"].as_str().expect("arn").to_string()
}

/// The records of one execution in a log file.
fn records(file: &Path, execution_arn: &str) -> Vec<Value> {
    let Ok(text) = std::fs::read_to_string(file) else {
        return Vec::new();
    };
    text.lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("each line is JSON"))
        .filter(|r| r["execution_arn"] == execution_arn)
        .collect()
}

/// Polls until `n` records of the execution are in the file.
fn wait_records(file: &Path, execution_arn: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + LONG;
    loop {
        let r = records(file, execution_arn);
        if r.len() >= n || Instant::now() > deadline {
            return r;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The log record AWS writes for a history event (as GetExecutionHistory or the corpus
/// gives it): the `...EventDetails` member becomes `details`; numbers are strings.
fn expected_record(ev: &Value, execution_arn: &str, include_data: bool, timestamp: &str) -> Value {
    expected_record_of(ev, execution_arn, include_data, timestamp, 0)
}

fn expected_record_of(
    ev: &Value,
    execution_arn: &str,
    include_data: bool,
    timestamp: &str,
    redrive_count: u64,
) -> Value {
    let mut details = ev
        .as_object()
        .and_then(|m| m.iter().find(|(k, _)| k.ends_with("EventDetails")))
        .map(|(_, v)| v.clone())
        .unwrap_or(json!({}));
    if !include_data {
        if let Some(d) = details.as_object_mut() {
            for f in ["input", "inputDetails", "output", "outputDetails"] {
                d.remove(f);
            }
        }
    }
    json!({"id": ev["id"].to_string(), "type": ev["type"], "details": details,
           "previous_event_id": ev["previousEventId"].to_string(),
           "event_timestamp": timestamp, "execution_arn": execution_arn,
           "redrive_count": redrive_count.to_string()})
}

/// Parses the JSON-text payload fields of a record's details, as the corpus holds them.
fn parse_record(r: &Value) -> Value {
    let mut r = r.clone();
    let wrapped = json!({"xEventDetails": r["details"].clone()});
    r["details"] = corpus::parse_event_fields(&wrapped)["xEventDetails"].clone();
    r
}

/// AWS's table of which event types each level logs.
fn logged_at(level: &str, ty: &str) -> bool {
    let fatal = ["ExecutionAborted", "ExecutionFailed", "ExecutionTimedOut"];
    match level {
        "ALL" => true,
        "FATAL" => fatal.contains(&ty),
        "ERROR" => {
            fatal.contains(&ty)
                || ty.ends_with("Failed")
                || ty.ends_with("TimedOut")
                || ty.ends_with("Aborted")
                || ty == "FailStateEntered"
        }
        _ => false,
    }
}

#[test]
fn execution_logs_match_the_corpus_cases() {
    let dir = corpus::localstack_dir(env!("CARGO_MANIFEST_DIR"));
    let Ok(index) = std::fs::read_to_string(dir.join("index.json")) else {
        eprintln!(
            "SKIP: the corpus is absent ({}): no AWS log cases to compare",
            dir.display()
        );
        return;
    };
    let index: Vec<Value> = serde_json::from_str(&index).expect("index.json");
    let cases: Vec<Value> = index
        .iter()
        .filter(|c| c["group"] == "logs" && c["kind"] == "execution")
        .filter_map(|c| {
            let text = std::fs::read_to_string(dir.join(c["file"].as_str()?)).ok()?;
            serde_json::from_str(&text).ok()
        })
        .collect();
    assert!(!cases.is_empty(), "the corpus has no logs cases");
    let logs = tempfile::tempdir().expect("tempdir");
    let s = Server::spawn(
        &[
            "--in-memory",
            "--execution-log-dir",
            logs.path().to_str().expect("utf-8 path"),
        ],
        None,
    );
    let m = corpus::Matcher::new();
    let mut runs = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let id = case["id"].as_str().unwrap_or_default();
        // `...[pass_result.json5_ERROR_False]`: the level and includeExecutionData.
        let param = id
            .rsplit('[')
            .next()
            .unwrap_or_default()
            .trim_end_matches(']');
        let mut parts = param.rsplit('_');
        let include = parts.next() == Some("True");
        let level = parts.next().unwrap_or_default().to_string();
        let group = format!("corpus-{i}");
        let machine = create(
            &s,
            &format!("logs{i}"),
            &case["definition"],
            "STANDARD",
            logging(&level, include, &group),
        );
        let exec = start(&s, &machine, "e", &case["input"]);
        runs.push((case, level, include, group, exec));
    }
    let mut failures = Vec::new();
    let mut compared = 0;
    for (case, level, include, group, exec) in &runs {
        let id = case["id"].as_str().unwrap_or_default();
        let d = s.wait_done(exec, LONG);
        assert_eq!(d["status"], case["expected"]["status"], "{id}");
        let history = case["history"].as_array().cloned().unwrap_or_default();
        let expected: Vec<Value> = history
            .iter()
            .filter(|e| logged_at(level, e["type"].as_str().unwrap_or_default()))
            .map(|e| expected_record(e, exec, *include, "timestamp"))
            .collect();
        let file = logs.path().join(format!("{group}.log"));
        let actual = wait_records(&file, exec, expected.len());
        let actual: Vec<Value> = actual.iter().map(parse_record).collect();
        if !m.smatch(&json!(expected), &json!(actual)) {
            failures.push(format!(
                "{id}\n  expected {}\n  actual   {}",
                json!(expected),
                json!(actual)
            ));
        }
        compared += 1;
    }
    // The levels that log nothing for these executions: no line may appear late either. The
    // writer keeps order, so a record logged after every other would be there by now.
    std::thread::sleep(Duration::from_millis(200));
    for (case, level, _, group, exec) in &runs {
        let history = case["history"].as_array().cloned().unwrap_or_default();
        let n = history
            .iter()
            .filter(|e| logged_at(level, e["type"].as_str().unwrap_or_default()))
            .count();
        let file = logs.path().join(format!("{group}.log"));
        assert_eq!(records(&file, exec).len(), n, "{}", case["id"]);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!("{compared} corpus log cases match");
}

/// A Task that fails (no such Lambda function), caught, then a Pass: events at every level.
fn caught_failure() -> Value {
    json!({"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                 "Parameters": {"FunctionName": "nope", "Payload.$": "$"},
                 "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "Wait"}],
                 "Next": "Done"},
        "Wait": {"Type": "Wait", "Seconds": 0, "Next": "Done"},
        "Done": {"Type": "Pass", "End": true}}})
}

#[test]
fn each_level_logs_what_aws_logs() {
    let logs = tempfile::tempdir().expect("tempdir");
    let s = Server::spawn(
        &[
            "--in-memory",
            "--execution-log-dir",
            logs.path().to_str().expect("utf-8 path"),
        ],
        None,
    );
    let input = json!({"k": "v"});
    let fail =
        json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "c"}}});
    for (level, include, def) in [
        ("ALL", true, caught_failure()),
        ("ALL", false, caught_failure()),
        ("ERROR", true, caught_failure()),
        ("FATAL", true, caught_failure()),
        ("OFF", true, caught_failure()),
        ("ERROR", false, fail.clone()),
        ("FATAL", false, fail.clone()),
    ] {
        let group = format!("/aws/vendedlogs/states/{level}-{include}");
        let name = format!(
            "m-{level}-{include}-{}",
            def["StartAt"].as_str().unwrap_or("")
        );
        let machine = create(&s, &name, &def, "STANDARD", logging(level, include, &group));
        let exec = start(&s, &machine, "e", &input);
        s.wait_done(&exec, LONG);
        let history = s.history(&exec);
        let expected: Vec<Value> = history
            .iter()
            .filter(|e| logged_at(level, e["type"].as_str().unwrap_or_default()))
            .map(|e| {
                let ms = (e["timestamp"].as_f64().unwrap_or(0.0) * 1000.0).round() as i64;
                expected_record(e, &exec, include, &ms.to_string())
            })
            .collect();
        // `/aws/vendedlogs/states/ALL-true` → `_aws_vendedlogs_states_ALL-true.log`.
        let file = logs.path().join(format!("{}.log", group.replace('/', "_")));
        let actual = wait_records(&file, &exec, expected.len());
        assert_eq!(actual, expected, "{level} includeExecutionData={include}");
        let types: Vec<&str> = actual.iter().filter_map(|r| r["type"].as_str()).collect();
        match (level, def == fail) {
            ("ALL", _) => assert_eq!(types.len(), history.len()),
            ("ERROR", false) => assert_eq!(types, ["TaskFailed"]),
            ("ERROR", true) => assert_eq!(types, ["FailStateEntered", "ExecutionFailed"]),
            ("FATAL", false) | ("OFF", _) => assert!(types.is_empty(), "{types:?}"),
            ("FATAL", true) => assert_eq!(types, ["ExecutionFailed"]),
            _ => unreachable!(),
        }
        if level == "ALL" {
            let started = &actual[0]["details"];
            assert_eq!(started.get("input").is_some(), include, "{started}");
            assert_eq!(started["roleArn"], ROLE);
        }
    }
}

#[test]
fn express_executions_log_without_a_recorded_history() {
    let logs = tempfile::tempdir().expect("tempdir");
    let s = Server::spawn(
        &[
            "--in-memory",
            "--execution-log-dir",
            logs.path().to_str().expect("utf-8 path"),
        ],
        None,
    );
    let def = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 1, "End": true}}});
    let machine = create(&s, "x", &def, "EXPRESS", logging("ALL", true, "express"));
    let v = s.ok(
        "StartSyncExecution",
        json!({"stateMachineArn": machine, "name": "e", "input": "{}"}),
    );
    assert_eq!(v["status"], "SUCCEEDED", "{v}");
    let exec = v["executionArn"].as_str().expect("arn");
    let r = wait_records(&logs.path().join("express.log"), exec, 4);
    let types: Vec<&str> = r.iter().filter_map(|r| r["type"].as_str()).collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert_eq!(r[3]["details"]["output"], "1");
}

/// `GET path` on the server; (status, content type, body).
fn get(port: u16, path: &str) -> (u16, String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut resp = String::new();
    s.read_to_string(&mut resp).expect("read");
    let (head, body) = resp.split_once("\r\n\r\n").unwrap_or((&resp, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let ctype = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type:")
                .map(|v| v.trim().to_string())
        })
        .unwrap_or_default();
    (status, ctype, body.to_string())
}

/// The value of one sample (`name{labels}` exactly as exposed); `None` when absent.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

fn by_machine(name: &str, machine: &str) -> String {
    format!("stepline_{name}{{state_machine_arn=\"{machine}\"}}")
}

#[test]
fn metrics_count_a_known_set_of_executions() {
    let s = Server::start_in_memory();
    let pass = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "End": true}}});
    let fail = json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}});
    let wait =
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": true}}});
    let a = s.create_machine("ok", &pass);
    let b = s.create_machine("bad", &fail);
    let c = s.create_machine("slow", &wait);
    let d = s.create_machine("task", &caught_failure());
    for i in 0..3 {
        let e = start(&s, &a, &format!("a{i}"), &json!({}));
        s.wait_done(&e, LONG);
    }
    for i in 0..2 {
        let e = start(&s, &b, &format!("b{i}"), &json!({}));
        s.wait_done(&e, LONG);
    }
    let e = start(&s, &d, "d", &json!({}));
    s.wait_done(&e, LONG);
    let slow = start(&s, &c, "c", &json!({}));

    let metrics = |done: &dyn Fn(&str) -> bool| {
        let deadline = Instant::now() + LONG;
        loop {
            let (status, ctype, body) = get(s.port, "/metrics");
            assert_eq!(status, 200);
            assert!(ctype.starts_with("text/plain"), "{ctype}");
            if done(&body) || Instant::now() > deadline {
                return body;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let text = metrics(&|t| sample(t, "stepline_parked_timers") == Some(1.0));
    assert_eq!(
        sample(&text, "stepline_open_executions"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(sample(&text, "stepline_parked_timers"), Some(1.0), "{text}");

    s.ok("StopExecution", json!({"executionArn": slow}));
    let text = metrics(&|t| sample(t, &by_machine("executions_aborted_total", &c)) == Some(1.0));
    let n = |name: &str, m: &str| sample(&text, &by_machine(name, m));
    assert_eq!(n("executions_started_total", &a), Some(3.0), "{text}");
    assert_eq!(n("executions_succeeded_total", &a), Some(3.0));
    assert_eq!(n("executions_failed_total", &a), Some(0.0));
    assert_eq!(n("executions_started_total", &b), Some(2.0));
    assert_eq!(n("executions_failed_total", &b), Some(2.0));
    assert_eq!(n("executions_succeeded_total", &b), Some(0.0));
    assert_eq!(n("executions_started_total", &c), Some(1.0));
    assert_eq!(n("executions_aborted_total", &c), Some(1.0));
    assert_eq!(n("state_machine_transitions_total", &a), Some(6.0));
    assert_eq!(n("state_machine_transitions_total", &b), Some(2.0));
    assert_eq!(n("state_machine_transitions_total", &d), Some(3.0));
    assert_eq!(n("service_integrations_scheduled_total", &d), Some(1.0));
    assert_eq!(n("service_integrations_failed_total", &d), Some(1.0));
    assert_eq!(n("service_integrations_succeeded_total", &d), Some(0.0));
    assert_eq!(
        sample(
            &text,
            &format!("stepline_execution_time_seconds_count{{state_machine_arn=\"{a}\"}}")
        ),
        Some(3.0)
    );
    assert_eq!(
        sample(&text, "stepline_state_transitions_total"),
        Some(6.0 + 2.0 + 3.0 + 1.0)
    );
    assert_eq!(sample(&text, "stepline_open_executions"), Some(0.0));
    assert_eq!(sample(&text, "stepline_parked_timers"), Some(0.0));
    assert_eq!(
        sample(&text, "stepline_store_commit_queue_depth"),
        Some(0.0)
    );
    // Every step of every Standard execution was committed and timed.
    let commits = sample(&text, "stepline_store_commit_seconds_count").unwrap_or(0.0);
    assert!(commits >= 7.0, "{text}");

    // The API still answers on every path, and the console on `/`.
    let (status, v) = s.raw(
        &[("X-Amz-Target", "AWSStepFunctions.ListStateMachines")],
        b"{}",
    );
    assert_eq!(status, 200);
    assert_eq!(v["stateMachines"].as_array().map(Vec::len), Some(4));
    let (status, ctype, _) = get(s.port, "/");
    assert_eq!(status, 200);
    assert!(ctype.starts_with("text/html"), "{ctype}");
}

/// A minimal OTLP/HTTP collector: every request body, parsed.
fn collector() -> (u16, Arc<Mutex<Vec<Value>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let got = Arc::new(Mutex::new(Vec::new()));
    let sink = got.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            let mut r = BufReader::new(conn);
            let mut len = 0;
            let mut line = String::new();
            let mut path_ok = false;
            while r.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                let l = line.trim_end().to_ascii_lowercase();
                if l.starts_with("post /v1/traces ") {
                    path_ok = true;
                }
                if let Some(v) = l.strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                if l.is_empty() {
                    break;
                }
                line.clear();
            }
            let mut body = vec![0; len];
            if r.read_exact(&mut body).is_err() {
                continue;
            }
            let mut conn = r.into_inner();
            let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
            if path_ok {
                if let Ok(v) = serde_json::from_slice::<Value>(&body) {
                    sink.lock().expect("lock").push(v);
                }
            }
        }
    });
    (port, got)
}

fn spans(got: &Mutex<Vec<Value>>) -> Vec<Value> {
    let got = got.lock().expect("lock");
    let mut out = Vec::new();
    for req in got.iter() {
        for rs in req["resourceSpans"].as_array().into_iter().flatten() {
            assert_eq!(
                rs["resource"]["attributes"][0]["value"]["stringValue"],
                "stepline"
            );
            for ss in rs["scopeSpans"].as_array().into_iter().flatten() {
                out.extend(ss["spans"].as_array().cloned().unwrap_or_default());
            }
        }
    }
    out
}

#[test]
fn spans_reach_an_otlp_collector_with_their_structure() {
    let (port, got) = collector();
    let endpoint = format!("http://127.0.0.1:{port}");
    let s = Server::spawn(&["--in-memory", "--otlp-endpoint", &endpoint], None);
    let def = json!({"StartAt": "First", "States": {
        "First": {"Type": "Pass", "Next": "Fork"},
        "Fork": {"Type": "Parallel", "Next": "Call", "Branches": [
            {"StartAt": "Inner", "States": {"Inner": {"Type": "Pass", "End": true}}}]},
        "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                 "Parameters": {"FunctionName": "nope"},
                 "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}], "End": true},
        "Done": {"Type": "Succeed"}}});
    let machine = s.create_machine("traced", &def);
    let exec = start(&s, &machine, "e", &json!({}));
    assert_eq!(s.wait_done(&exec, LONG)["status"], "SUCCEEDED");
    let deadline = Instant::now() + LONG;
    let all = loop {
        let all = spans(&got);
        if all.iter().any(|s| s.get("parentSpanId").is_none()) || Instant::now() > deadline {
            break all;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let roots: Vec<&Value> = all
        .iter()
        .filter(|s| s.get("parentSpanId").is_none())
        .collect();
    assert_eq!(roots.len(), 1, "{all:#?}");
    let root = roots[0];
    assert_eq!(root["name"], "execution traced");
    let trace_id = root["traceId"].as_str().expect("traceId");
    assert_eq!(trace_id.len(), 32);
    assert!(all.iter().all(|s| s["traceId"] == trace_id));
    let named = |n: &str| -> &Value {
        all.iter()
            .find(|s| s["name"] == n)
            .unwrap_or_else(|| panic!("no span {n} in {all:#?}"))
    };
    let id = |s: &Value| s["spanId"].as_str().unwrap_or_default().to_string();
    let parent = |s: &Value| s["parentSpanId"].as_str().unwrap_or_default().to_string();
    for top in ["First", "Fork", "Call", "Done"] {
        assert_eq!(parent(named(top)), id(root), "{top}");
    }
    assert_eq!(parent(named("Inner")), id(named("Fork")));
    let task = named("task lambda:invoke");
    assert_eq!(parent(task), id(named("Call")));
    assert_eq!(task["kind"], 3);
    assert_eq!(task["status"]["code"], 2, "the call failed: {task}");
    assert_eq!(all.len(), 7, "{all:#?}");
    for s in &all {
        let start: u64 = s["startTimeUnixNano"]
            .as_str()
            .unwrap_or("0")
            .parse()
            .unwrap_or(0);
        let end: u64 = s["endTimeUnixNano"]
            .as_str()
            .unwrap_or("0")
            .parse()
            .unwrap_or(0);
        assert!(start > 0 && end >= start, "{s}");
    }
}

/// In process: the `traceparent` a task integration would send names the task's open span,
/// and that span reaches the collector under its Task state.
#[test]
fn traceparent_names_the_task_span_of_an_invocation() {
    let (port, got) = collector();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let cfg = server::obs::ObsConfig {
            otlp_endpoint: Some(format!("http://127.0.0.1:{port}")),
            ..Default::default()
        };
        let (st, _) =
            server::AppState::with_obs(Arc::new(store::MemoryStore::new()), REGION, ACCOUNT, cfg)
                .expect("state");
        let caller = server::ops::Caller {
            region: REGION.into(),
            account: ACCOUNT.into(),
        };
        let call = |op: &'static str, body: Value| {
            let st = st.clone();
            let caller = server::ops::Caller {
                region: caller.region.clone(),
                account: caller.account.clone(),
            };
            async move {
                let map = body.as_object().cloned().unwrap_or_default();
                server::ops::dispatch(&st, &caller, op, &map)
                    .await
                    .unwrap_or_else(|e| panic!("{op}: {}", e.to_json()))
            }
        };
        let activity = call("CreateActivity", json!({"name": "act"})).await["activityArn"]
            .as_str()
            .expect("activity")
            .to_string();
        let def = json!({"StartAt": "Work", "States": {
            "Work": {"Type": "Task", "Resource": activity, "End": true}}});
        let machine = call(
            "CreateStateMachine",
            json!({"name": "w", "definition": def.to_string(), "roleArn": ROLE}),
        )
        .await["stateMachineArn"]
            .as_str()
            .expect("machine")
            .to_string();
        let exec = call(
            "StartExecution",
            json!({"stateMachineArn": machine, "input": "{}"}),
        )
        .await["executionArn"]
            .as_str()
            .expect("execution")
            .to_string();
        let inv = engine::TaskInvocation {
            task: 0,
            resource: activity.as_str().into(),
            parameters: Arc::new(json!({})),
            timeout_seconds: None,
            heartbeat_seconds: None,
            task_token: None,
            role_arn: None,
            state_name: "Work".into(),
        };
        let tp = st.rt.obs.traceparent(&exec, &inv).expect("traced");
        assert!(st.rt.obs.traceparent("arn:nope", &inv).is_none());
        let parts: Vec<String> = tp.split('-').map(str::to_string).collect();
        assert_eq!(parts.len(), 4, "{tp}");
        let task = call("GetActivityTask", json!({"activityArn": activity})).await;
        let token = task["taskToken"].as_str().expect("token").to_string();
        call(
            "SendTaskSuccess",
            json!({"taskToken": token, "output": "{}"}),
        )
        .await;
        let deadline = Instant::now() + LONG;
        let all = loop {
            let all = spans(&got);
            if all.iter().any(|s| s.get("parentSpanId").is_none()) || Instant::now() > deadline {
                break all;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert!(
            st.rt.obs.traceparent(&exec, &inv).is_none(),
            "a finished execution is forgotten"
        );
        let span = all
            .iter()
            .find(|s| s["spanId"] == parts[2].as_str())
            .unwrap_or_else(|| panic!("no span {tp} in {all:#?}"));
        assert_eq!(span["traceId"], parts[1].as_str());
        assert_eq!(span["name"], format!("activity {activity}"));
        assert_eq!(span["status"]["code"], 1);
        let work = all
            .iter()
            .find(|s| s["name"] == "Work")
            .expect("state span");
        assert_eq!(span["parentSpanId"], work["spanId"]);
        // The activity's CloudWatch metrics, from the same history events.
        let text = st.rt.obs.metrics.render();
        for (name, n) in [
            ("activities_scheduled_total", 1.0),
            ("activities_started_total", 1.0),
            ("activities_succeeded_total", 1.0),
            ("activities_failed_total", 0.0),
            ("executions_succeeded_total", 1.0),
        ] {
            assert_eq!(
                sample(&text, &by_machine(name, &machine)),
                Some(n),
                "{name}: {text}"
            );
        }
    });
}

/// A redriven execution goes on logging, its records carrying the redrive count.
#[test]
fn redriven_executions_log_with_their_redrive_count() {
    let logs = tempfile::tempdir().expect("tempdir");
    let s = Server::spawn(
        &[
            "--in-memory",
            "--execution-log-dir",
            logs.path().to_str().expect("utf-8 path"),
        ],
        None,
    );
    // Fails at Gate until redriven (as in tests/redrive.rs).
    let def = json!({"StartAt": "Gate", "States": {
        "Gate": {"Type": "Choice", "Choices": [
            {"Variable": "$$.Execution.RedriveCount", "NumericGreaterThan": 0, "Next": "Done"}]},
        "Done": {"Type": "Pass", "End": true}}});
    let machine = create(
        &s,
        "gated",
        &def,
        "STANDARD",
        logging("ALL", true, "redrive"),
    );
    let exec = start(&s, &machine, "e", &json!({}));
    assert_eq!(s.wait_done(&exec, LONG)["status"], "FAILED");
    let before = s.history(&exec).len();
    s.ok("RedriveExecution", json!({"executionArn": exec}));
    assert_eq!(s.wait_done(&exec, LONG)["status"], "SUCCEEDED");
    let history = s.history(&exec);
    let expected: Vec<Value> = history
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let ms = (e["timestamp"].as_f64().unwrap_or(0.0) * 1000.0).round() as i64;
            let redrives = u64::from(i >= before);
            expected_record_of(e, &exec, true, &ms.to_string(), redrives)
        })
        .collect();
    let actual = wait_records(&logs.path().join("redrive.log"), &exec, expected.len());
    assert_eq!(actual, expected);
    assert_eq!(actual[before]["type"], "ExecutionRedriven");
    let succeeded = by_machine("executions_succeeded_total", &machine);
    let deadline = Instant::now() + LONG;
    let text = loop {
        let (_, _, text) = get(s.port, "/metrics");
        if sample(&text, &succeeded) == Some(1.0) || Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let n = |name: &str| sample(&text, &by_machine(name, &machine));
    assert_eq!(n("executions_started_total"), Some(1.0), "{text}");
    assert_eq!(n("executions_redriven_total"), Some(1.0), "{text}");
    assert_eq!(n("executions_failed_total"), Some(1.0), "{text}");
    assert_eq!(n("executions_succeeded_total"), Some(1.0), "{text}");
}
