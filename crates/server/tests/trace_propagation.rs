//! Trace context to HTTP tasks and Lambda functions: with traces exported over OTLP, the HTTP
//! Task and a Lambda behind the Invoke API receive a W3C `traceparent` header that names the
//! task span the collector gets, in the execution's trace.

mod common;
mod integrations_support;

use common::*;
use integrations_support::*;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A minimal OTLP/HTTP (JSON) collector: every span it receives.
fn collector() -> (u16, Arc<Mutex<Vec<Value>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let got = Arc::new(Mutex::new(Vec::new()));
    let sink = got.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            let mut r = BufReader::new(conn);
            let (mut len, mut traces) = (0, false);
            let mut line = String::new();
            while r.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                let l = line.trim_end().to_ascii_lowercase();
                traces |= l.starts_with("post /v1/traces ");
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
            let _ = r
                .into_inner()
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
            let Ok(v) = serde_json::from_slice::<Value>(&body) else {
                continue;
            };
            if !traces {
                continue;
            }
            let mut spans = sink.lock().expect("lock");
            for rs in v["resourceSpans"].as_array().into_iter().flatten() {
                for ss in rs["scopeSpans"].as_array().into_iter().flatten() {
                    spans.extend(ss["spans"].as_array().cloned().unwrap_or_default());
                }
            }
        }
    });
    (port, got)
}

/// The `traceparent` the endpoint saw on requests to `path`.
fn traceparents(ep: &Endpoint, path: &str) -> Vec<String> {
    ep.seen
        .lock()
        .expect("lock")
        .iter()
        .filter(|s| s.target.split('?').next() == Some(path))
        .map(|s| s.headers.get("traceparent").cloned().unwrap_or_default())
        .collect()
}

#[test]
fn http_and_lambda_tasks_receive_the_task_span_as_traceparent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ep = endpoint();
    let (otlp, got) = collector();
    let url = &ep.url;
    let config = format!(
        "[lambda]\nendpoint = \"{url}\"\n\n[http]\nallow = [\"{url}/echo/\"]\ntimeout = 5\n"
    );
    let cfg = dir.path().join("stepline.toml");
    std::fs::write(&cfg, config).expect("write config");
    let endpoint_arg = format!("http://127.0.0.1:{otlp}");
    let s = Server::spawn(
        &[
            "--in-memory",
            "--config",
            cfg.to_str().expect("path"),
            "--otlp-endpoint",
            &endpoint_arg,
        ],
        None,
    );
    let own = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    let def = json!({"StartAt": "Get", "States": {
        "Get": {"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
                "Parameters": {"ApiEndpoint": format!("{url}/echo/traced"), "Method": "GET"},
                "ResultPath": null, "Next": "Add"},
        "Add": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "add", "Payload": {"a": 1, "b": 2}},
                "ResultSelector": {"sum.$": "$.Payload.sum"}, "ResultPath": "$.add", "Next": "Own"},
        // The state's own `traceparent` header is sent as it is.
        "Own": {"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
                "Parameters": {"ApiEndpoint": format!("{url}/echo/own"), "Method": "GET",
                               "Headers": {"traceparent": own}},
                "ResultPath": null, "End": true}}});
    let machine = s.create_machine("propagates", &def);
    let exec = s.ok(
        "StartExecution",
        json!({"stateMachineArn": machine, "input": "{}"}),
    )["executionArn"]
        .as_str()
        .expect("arn")
        .to_string();
    let d = s.wait_done(&exec, Duration::from_secs(30));
    assert_eq!(d["status"], "SUCCEEDED", "{d}");
    assert_eq!(d["output"], json!({"add": {"sum": 3}}).to_string());

    let deadline = Instant::now() + Duration::from_secs(30);
    let spans = loop {
        let spans = got.lock().expect("lock").clone();
        if spans.iter().any(|s| s.get("parentSpanId").is_none()) {
            break spans;
        }
        assert!(Instant::now() < deadline, "no root span: {spans:#?}");
        std::thread::sleep(Duration::from_millis(50));
    };
    let root = spans
        .iter()
        .find(|s| s.get("parentSpanId").is_none())
        .expect("root");
    let trace_id = root["traceId"].as_str().expect("trace id");
    let span_named = |n: &str| -> &Value {
        spans
            .iter()
            .find(|s| s["name"] == n)
            .unwrap_or_else(|| panic!("no span {n} in {spans:#?}"))
    };
    for (path, state, task) in [
        ("/echo/traced", "Get", "task http:invoke"),
        (
            "/2015-03-31/functions/add/invocations",
            "Add",
            "task lambda:invoke",
        ),
    ] {
        let seen = traceparents(&ep, path);
        assert_eq!(seen.len(), 1, "{path}: {seen:?}");
        let parts: Vec<&str> = seen[0].split('-').collect();
        assert_eq!(parts.len(), 4, "{path}: {}", seen[0]);
        assert_eq!((parts[0], parts[3]), ("00", "01"), "{}", seen[0]);
        assert_eq!(parts[1], trace_id, "{path}: the execution's trace");
        // The span it names is the task span under its state.
        let named = spans
            .iter()
            .find(|s| s["spanId"] == parts[2])
            .unwrap_or_else(|| panic!("{path}: no span {} in {spans:#?}", parts[2]));
        assert_eq!(named["name"], task, "{path}");
        let state_span = spans
            .iter()
            .find(|s| s["name"] == state && s["spanId"] == named["parentSpanId"]);
        assert!(state_span.is_some(), "{path}: {named}");
    }
    assert_eq!(traceparents(&ep, "/echo/own"), [own]);
    // Spans of the two calls differ.
    assert_ne!(
        span_named("task http:invoke")["spanId"],
        span_named("task lambda:invoke")["spanId"]
    );
}

#[test]
fn no_traceparent_when_traces_are_off() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ep = endpoint();
    let url = &ep.url;
    let cfg = dir.path().join("stepline.toml");
    std::fs::write(&cfg, format!("[http]\nallow = [\"{url}/echo/\"]\n")).expect("write");
    let s = Server::spawn(
        &["--in-memory", "--config", cfg.to_str().expect("path")],
        None,
    );
    let def = json!({"StartAt": "Get", "States": {
        "Get": {"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
                "Parameters": {"ApiEndpoint": format!("{url}/echo/plain"), "Method": "GET"},
                "End": true}}});
    let machine = s.create_machine("untraced", &def);
    let exec = s.ok(
        "StartExecution",
        json!({"stateMachineArn": machine, "input": "{}"}),
    )["executionArn"]
        .as_str()
        .expect("arn")
        .to_string();
    assert_eq!(
        s.wait_done(&exec, Duration::from_secs(30))["status"],
        "SUCCEEDED"
    );
    assert_eq!(traceparents(&ep, "/echo/plain"), [""]);
}
