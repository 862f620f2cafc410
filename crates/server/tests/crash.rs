//! Crash test: many Standard executions (Waits, Parallels, Maps) on a file store, `kill -9` of
//! the server mid-flight, restart: every execution finishes with the output it would have had,
//! none is lost, none records an event twice.
//!
//! `STEPLINE_CRASH_EXECUTIONS` sets the number of executions (default 1000).

mod common;

use common::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn parallel_machine() -> Value {
    json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 1, "Next": "P1"},
        "P1": {"Type": "Pass", "Parameters": {"i.$": "$.i", "tag": "a"}, "Next": "Par"},
        "Par": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "B1W", "States": {
                "B1W": {"Type": "Wait", "Seconds": 1, "Next": "B1P"},
                "B1P": {"Type": "Pass", "Parameters": {"b1.$": "$.i"}, "End": true}}},
            {"StartAt": "B2P", "States": {
                "B2P": {"Type": "Pass", "Parameters": {"b2.$": "$.tag"}, "Next": "B2W"},
                "B2W": {"Type": "Wait", "Seconds": 1, "End": true}}}]}}})
}

fn map_machine() -> Value {
    json!({"StartAt": "M", "States": {
        "M": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2, "End": true,
              "Iterator": {"StartAt": "IW", "States": {
                  "IW": {"Type": "Wait", "Seconds": 1, "Next": "IP"},
                  "IP": {"Type": "Pass", "Parameters": {"x.$": "$"}, "End": true}}}}}})
}

fn wait_machine() -> Value {
    json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 2, "Next": "P"},
        "P": {"Type": "Pass", "Result": "done", "ResultPath": "$.r", "End": true}}})
}

/// Which machine execution `i` runs, its input and the output it must end with.
fn plan(i: u64) -> (&'static str, Value, Value) {
    match i % 3 {
        0 => (
            "crash-parallel",
            json!({"i": i}),
            json!([{"b1": i}, {"b2": "a"}]),
        ),
        1 => (
            "crash-map",
            json!({"items": [i, i + 1, i + 2, i + 3]}),
            json!([{"x": i}, {"x": i + 1}, {"x": i + 2}, {"x": i + 3}]),
        ),
        _ => ("crash-wait", json!({"i": i}), json!({"i": i, "r": "done"})),
    }
}

fn running(s: &Server) -> usize {
    ["crash-parallel", "crash-map", "crash-wait"]
        .iter()
        .map(|m| {
            let mut n = 0;
            let mut token: Option<String> = None;
            loop {
                let mut req = json!({"stateMachineArn": machine_arn(m), "statusFilter": "RUNNING", "maxResults": 1000});
                if let Some(t) = &token {
                    req["nextToken"] = json!(t);
                }
                let v = s.ok("ListExecutions", req);
                n += v["executions"].as_array().map_or(0, Vec::len);
                match v["nextToken"].as_str() {
                    Some(t) => token = Some(t.to_string()),
                    None => return n,
                }
            }
        })
        .sum()
}

fn event_types(events: &[Value]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for e in events {
        *m.entry(e["type"].as_str().unwrap_or("?").to_string())
            .or_default() += 1;
    }
    m
}

#[test]
fn kill_9_mid_flight_then_every_execution_finishes_once() {
    let total: u64 = std::env::var("STEPLINE_CRASH_EXECUTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    s.create_machine("crash-parallel", &parallel_machine());
    s.create_machine("crash-map", &map_machine());
    s.create_machine("crash-wait", &wait_machine());

    let t0 = Instant::now();
    let server = Arc::new(s);
    let next = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let s = server.clone();
            let next = next.clone();
            std::thread::spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as u64;
                if i >= total {
                    return;
                }
                let (m, input, _) = plan(i);
                s.ok(
                    "StartExecution",
                    json!({"stateMachineArn": machine_arn(m), "name": format!("e{i}"), "input": input.to_string()}),
                );
            })
        })
        .collect();
    for t in threads {
        t.join().expect("starter thread");
    }
    let mut s = Arc::into_inner(server).expect("sole owner");
    eprintln!("started {total} executions in {:?}", t0.elapsed());
    // Let some timers fire so the crash lands between steps of live executions.
    std::thread::sleep(Duration::from_millis(300));
    let open = running(&s);
    s.kill9();
    eprintln!("killed with {open} executions running");
    assert!(open > 0, "the crash must land while executions run");

    let t1 = Instant::now();
    let s = Server::start(dir.path());
    eprintln!("restarted in {:?}", t1.elapsed());
    let deadline = Instant::now() + Duration::from_secs(240);
    while running(&s) > 0 {
        assert!(
            Instant::now() < deadline,
            "executions still running after restart"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    eprintln!("all finished {:?} after restart", t1.elapsed());

    // Control executions that never crashed give the expected history shape per machine.
    let mut control: BTreeMap<&str, BTreeMap<String, usize>> = BTreeMap::new();
    for i in 0..3u64 {
        let (m, input, _) = plan(i);
        let name = format!("control{i}");
        s.ok(
            "StartExecution",
            json!({"stateMachineArn": machine_arn(m), "name": name, "input": input.to_string()}),
        );
        let arn = execution_arn(m, &name);
        assert_eq!(
            s.wait_done(&arn, Duration::from_secs(60))["status"],
            "SUCCEEDED"
        );
        control.insert(m, event_types(&s.history(&arn)));
    }

    let mut problems = Vec::new();
    for i in 0..total {
        let (m, _, expected) = plan(i);
        let arn = execution_arn(m, &format!("e{i}"));
        let d = s.ok("DescribeExecution", json!({"executionArn": arn}));
        let output: Value = d["output"]
            .as_str()
            .and_then(|o| serde_json::from_str(o).ok())
            .unwrap_or(Value::Null);
        if d["status"] != "SUCCEEDED" || output != expected {
            problems.push(format!("{arn}: {} {output}", d["status"]));
            continue;
        }
        let events = s.history(&arn);
        let ids: Vec<u64> = events.iter().filter_map(|e| e["id"].as_u64()).collect();
        if ids != (1..=events.len() as u64).collect::<Vec<_>>() {
            problems.push(format!("{arn}: event ids {ids:?}"));
        }
        if Some(&event_types(&events)) != control.get(m) {
            problems.push(format!("{arn}: events {:?}", event_types(&events)));
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {total} executions wrong:\n{}",
        problems.len(),
        problems
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
