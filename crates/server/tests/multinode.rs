//! Three `stepline-server` processes on one PostgreSQL database: Standard executions (Waits,
//! Maps, callbacks, activities) started round-robin through all three, activity workers and
//! callback answers on any node, one node `kill -9`ed mid-run and another stopped and
//! restarted. Every execution finishes with its output, no history event is recorded twice,
//! no activity task reaches two workers, StopExecution works from a node that does not own
//! the execution.
//!
//! Skips loudly when no PostgreSQL can be had (see `crates/store/tests/pg`).
//! `STEPLINE_MULTINODE_EXECUTIONS` sets the number of executions (default 2000).

mod common;
#[path = "../../store/tests/pg/mod.rs"]
mod pg;

use common::{execution_arn, machine_arn, Server, ACCOUNT, REGION, ROLE};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

const LEASE_MS: &str = "1500";
const MACHINES: [&str; 4] = ["mn-map", "mn-wait", "mn-callback", "mn-activity"];

fn activity_arn() -> String {
    format!("arn:aws:states:{REGION}:{ACCOUNT}:activity:mn-work")
}

fn machines() -> Vec<(&'static str, Value)> {
    vec![
        (
            "mn-map",
            json!({"StartAt": "M", "States": {
                "M": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2, "End": true,
                      "Iterator": {"StartAt": "IW", "States": {
                          "IW": {"Type": "Wait", "Seconds": 1, "Next": "IP"},
                          "IP": {"Type": "Pass", "Parameters": {"x.$": "$"}, "End": true}}}}}}),
        ),
        (
            "mn-wait",
            json!({"StartAt": "W", "States": {
                "W": {"Type": "Wait", "Seconds": 1, "Next": "P"},
                "P": {"Type": "Pass", "Result": "done", "ResultPath": "$.r", "End": true}}}),
        ),
        (
            "mn-callback",
            json!({"StartAt": "CB", "States": {
                "CB": {"Type": "Task",
                       "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                       "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/1/q",
                                      "MessageBody": {"Token.$": "$$.Task.Token", "i.$": "$.i"}},
                       "ResultPath": "$.cb", "End": true}}}),
        ),
        (
            "mn-activity",
            // A task whose worker never heard of it (the node answering the worker died
            // after the task's start was durable) times out on its heartbeat and runs again:
            // a new task, never the same one twice.
            json!({"StartAt": "A", "States": {
                "A": {"Type": "Task", "Resource": activity_arn(),
                      "Parameters": {"i.$": "$.i"}, "HeartbeatSeconds": 4,
                      "Retry": [{"ErrorEquals": ["States.HeartbeatTimeout", "States.Timeout"],
                                 "IntervalSeconds": 1, "MaxAttempts": 5}],
                      "ResultPath": "$.a", "End": true}}}),
        ),
        (
            "mn-long",
            json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": true}}}),
        ),
    ]
}

/// Which machine execution `i` runs, its input and the output it must end with.
fn plan(i: u64) -> (&'static str, Value, Value) {
    match i % 4 {
        0 => (
            "mn-map",
            json!({"items": [i, i + 1, i + 2]}),
            json!([{"x": i}, {"x": i + 1}, {"x": i + 2}]),
        ),
        1 => ("mn-wait", json!({"i": i}), json!({"i": i, "r": "done"})),
        2 => (
            "mn-callback",
            json!({"i": i}),
            json!({"i": i, "cb": {"echo": i}}),
        ),
        _ => (
            "mn-activity",
            json!({"i": i}),
            json!({"i": i, "a": {"double": 2 * i}}),
        ),
    }
}

/// One request that may fail (the node may have been killed).
fn call(port: u16, op: &str, body: &Value) -> Result<(u16, Value), String> {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut s =
        TcpStream::connect_timeout(&addr, Duration::from_secs(5)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(90))).ok();
    let body = body.to_string();
    let req = format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: AWSStepFunctions.{op}\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&resp);
    let status: u16 = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("no status line: {text}"))?;
    let b = text.split("\r\n\r\n").nth(1).unwrap_or("");
    Ok((
        status,
        serde_json::from_str(b).unwrap_or(Value::String(b.into())),
    ))
}

/// The ports of the nodes up, for clients to spread their calls over.
#[derive(Default)]
struct Nodes {
    ports: RwLock<Vec<u16>>,
}

impl Nodes {
    fn pick(&self, k: usize) -> u16 {
        let p = self.ports.read().unwrap();
        p[k % p.len()]
    }

    /// A call on node `k` (round-robin over the nodes up), moving on to the next node when
    /// one does not answer (it was killed) for up to a minute.
    fn call(&self, k: usize, op: &str, body: &Value) -> (u16, Value) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut k = k;
        loop {
            match call(self.pick(k), op, body) {
                Ok(r) => return r,
                Err(e) => {
                    assert!(Instant::now() < deadline, "{op}: no node answers: {e}");
                    k += 1;
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        }
    }

    fn ok(&self, k: usize, op: &str, body: &Value) -> Value {
        let (status, v) = self.call(k, op, body);
        assert_eq!(status, 200, "{op} {body}: {v}");
        v
    }

    fn history(&self, k: usize, arn: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut req = json!({"executionArn": arn, "maxResults": 1000});
            if let Some(t) = &token {
                req["nextToken"] = json!(t);
            }
            let v = self.ok(k, "GetExecutionHistory", &req);
            out.extend(v["events"].as_array().cloned().unwrap_or_default());
            match v["nextToken"].as_str() {
                Some(t) => token = Some(t.to_string()),
                None => return out,
            }
        }
    }

    fn running(&self, k: usize) -> usize {
        MACHINES
            .iter()
            .map(|m| {
                let mut n = 0;
                let mut token: Option<String> = None;
                loop {
                    let mut req = json!({"stateMachineArn": machine_arn(m), "statusFilter": "RUNNING", "maxResults": 1000});
                    if let Some(t) = &token {
                        req["nextToken"] = json!(t);
                    }
                    let v = self.ok(k, "ListExecutions", &req);
                    n += v["executions"].as_array().map_or(0, Vec::len);
                    match v["nextToken"].as_str() {
                        Some(t) => token = Some(t.to_string()),
                        None => return n,
                    }
                }
            })
            .sum()
    }
}

fn event_types(events: &[Value]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for e in events {
        *m.entry(e["type"].as_str().unwrap_or("?").to_string())
            .or_default() += 1;
    }
    m
}

/// The token of the newest `.waitForTaskToken` task of an execution.
fn callback_token(events: &[Value]) -> Option<String> {
    events
        .iter()
        .rev()
        .filter(|e| e["type"] == "TaskScheduled")
        .find_map(|e| {
            let p: Value =
                serde_json::from_str(e["taskScheduledEventDetails"]["parameters"].as_str()?)
                    .ok()?;
            p["MessageBody"]["Token"].as_str().map(str::to_string)
        })
}

fn node(db: &pg::TestDb, id: &str) -> Server {
    Server::spawn(
        &["--store", &db.url, "--lease-ms", LEASE_MS, "--node-id", id],
        None,
    )
}

/// Shared state of the clients.
struct Clients {
    nodes: Nodes,
    done: AtomicBool,
    /// Activity task tokens handed to workers, with how often each was handed.
    tokens: Mutex<HashMap<String, usize>>,
    /// Callback executions to answer: `(arn, i, last answer)`.
    callbacks: Mutex<VecDeque<(String, u64, Option<Instant>)>>,
}

fn worker(c: &Clients, k: usize) {
    let name = format!("w{k}");
    let mut n = k;
    while !c.done.load(Ordering::Relaxed) {
        n += 1;
        let port = c.nodes.pick(n);
        let Ok((200, v)) = call(
            port,
            "GetActivityTask",
            &json!({"activityArn": activity_arn(), "workerName": name}),
        ) else {
            std::thread::sleep(Duration::from_millis(50));
            continue;
        };
        let Some(token) = v["taskToken"].as_str() else {
            continue;
        };
        *c.tokens
            .lock()
            .unwrap()
            .entry(token.to_string())
            .or_default() += 1;
        let input: Value = serde_json::from_str(v["input"].as_str().unwrap_or("{}")).unwrap();
        let i = input["i"].as_u64().expect("input.i");
        let out = json!({"double": 2 * i}).to_string();
        // Answer through another node than the one that gave the task; a 500 (the node
        // was stopping, or lost the execution before the answer was written) is retried, as
        // the AWS SDKs do.
        for attempt in 1..=5 {
            let (status, _) = c.nodes.call(
                n + attempt,
                "SendTaskSuccess",
                &json!({"taskToken": token, "output": out}),
            );
            if status < 500 {
                break;
            }
        }
    }
}

fn callback_responder(c: &Clients) {
    let mut n = 0;
    while !c.done.load(Ordering::Relaxed) {
        let next = c.callbacks.lock().unwrap().pop_front();
        let Some((arn, i, last)) = next else {
            std::thread::sleep(Duration::from_millis(50));
            continue;
        };
        n += 1;
        // An answer may be lost with the node that took it: answer again after a while.
        if last.is_some_and(|t| t.elapsed() < Duration::from_secs(3)) {
            c.callbacks.lock().unwrap().push_back((arn, i, last));
            std::thread::sleep(Duration::from_millis(2));
            continue;
        }
        let d = c
            .nodes
            .ok(n, "DescribeExecution", &json!({"executionArn": arn}));
        if d["status"] != "RUNNING" {
            continue;
        }
        let events = c.nodes.history(n, &arn);
        let Some(token) = callback_token(&events) else {
            c.callbacks.lock().unwrap().push_back((arn, i, None));
            continue;
        };
        let out = json!({"echo": i}).to_string();
        c.nodes.call(
            n + 1,
            "SendTaskSuccess",
            &json!({"taskToken": token, "output": out}),
        );
        c.callbacks
            .lock()
            .unwrap()
            .push_back((arn, i, Some(Instant::now())));
    }
}

fn start(c: &Clients, k: usize, m: &str, name: &str, input: &Value) {
    let (status, v) = c.nodes.call(
        k,
        "StartExecution",
        &json!({"stateMachineArn": machine_arn(m), "name": name, "input": input.to_string()}),
    );
    // A retry of a start that reached a node killed before it answered.
    let ok = status == 200 || v["__type"] == "ExecutionAlreadyExists";
    assert!(ok, "StartExecution {name}: {v}");
}

#[test]
fn three_nodes_share_the_work_and_survive_a_kill_and_a_restart() {
    let Some(db) = pg::TestDb::create("multinode") else {
        return;
    };
    let total: u64 = std::env::var("STEPLINE_MULTINODE_EXECUTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    // Short long-polls, so workers move off a node being stopped quickly.
    std::env::set_var("STEPLINE_ACTIVITY_POLL_SECONDS", "2");
    let mut servers = [node(&db, "n0"), node(&db, "n1"), node(&db, "n2")];
    let c = Arc::new(Clients {
        nodes: Nodes::default(),
        done: AtomicBool::new(false),
        tokens: Mutex::default(),
        callbacks: Mutex::default(),
    });
    *c.nodes.ports.write().unwrap() = servers.iter().map(|s| s.port).collect();
    for (name, def) in machines() {
        c.nodes.ok(
            0,
            "CreateStateMachine",
            &json!({"name": name, "definition": def.to_string(), "roleArn": ROLE}),
        );
    }
    c.nodes.ok(0, "CreateActivity", &json!({"name": "mn-work"}));
    // Other nodes see new activities within a second.
    std::thread::sleep(Duration::from_millis(1_200));

    // StopExecution on a node that does not drive the execution.
    for j in 0..6usize {
        let name = format!("long{j}");
        start(&c, j, "mn-long", &name, &json!({}));
        let arn = execution_arn("mn-long", &name);
        let v = c.nodes.ok(
            j + 1,
            "StopExecution",
            &json!({"executionArn": arn, "error": "E", "cause": "stopped elsewhere"}),
        );
        assert!(v["stopDate"].is_number(), "{v}");
        let d = c
            .nodes
            .ok(j + 2, "DescribeExecution", &json!({"executionArn": arn}));
        assert_eq!(d["status"], "ABORTED", "{d}");
        assert_eq!(d["error"], "E");
    }

    let t0 = Instant::now();
    let mut helpers = Vec::new();
    for k in 0..6 {
        let c = c.clone();
        helpers.push(std::thread::spawn(move || worker(&c, k)));
    }
    {
        let c = c.clone();
        helpers.push(std::thread::spawn(move || callback_responder(&c)));
    }
    let next = Arc::new(AtomicUsize::new(0));
    let starters: Vec<_> = (0..6)
        .map(|_| {
            let c = c.clone();
            let next = next.clone();
            std::thread::spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as u64;
                if i >= total {
                    return;
                }
                let (m, input, _) = plan(i);
                let name = format!("e{i}");
                start(&c, i as usize, m, &name, &input);
                if m == "mn-callback" {
                    c.callbacks
                        .lock()
                        .unwrap()
                        .push_back((execution_arn(m, &name), i, None));
                }
            })
        })
        .collect();

    // A quarter in: kill -9 node 1. Halfway: stop node 2 and start it again.
    while (next.load(Ordering::Relaxed) as u64) < total / 4 {
        std::thread::sleep(Duration::from_millis(20));
    }
    let open = c.nodes.running(0);
    servers[1].kill9();
    c.nodes
        .ports
        .write()
        .unwrap()
        .retain(|p| *p != servers[1].port);
    eprintln!(
        "killed node 1 after {:?} with {open} executions running",
        t0.elapsed()
    );
    assert!(open > 0, "the kill must land while executions run");
    while (next.load(Ordering::Relaxed) as u64) < total / 2 {
        std::thread::sleep(Duration::from_millis(20));
    }
    c.nodes
        .ports
        .write()
        .unwrap()
        .retain(|p| *p != servers[2].port);
    let t_stop = Instant::now();
    let status = servers[2].terminate();
    assert!(status.success(), "node 2 stops cleanly: {status}");
    eprintln!(
        "stopped node 2 at {:?} in {:?}",
        t_stop - t0,
        t_stop.elapsed()
    );
    servers[2] = node(&db, "n2-again");
    c.nodes.ports.write().unwrap().push(servers[2].port);
    eprintln!(
        "restarted node 2 after {:?}, {} of {total} started",
        t0.elapsed(),
        next.load(Ordering::Relaxed).min(total as usize)
    );
    for s in starters {
        s.join().expect("starter");
    }
    eprintln!("started {total} executions in {:?}", t0.elapsed());

    let deadline = Instant::now() + Duration::from_secs(150);
    loop {
        let n = c.nodes.running(0);
        if n == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{n} executions still running after {:?}",
            t0.elapsed()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    eprintln!("all finished after {:?}", t0.elapsed());

    // Executions that never met a failure give each machine's history shape.
    let mut control: BTreeMap<&str, BTreeMap<String, usize>> = BTreeMap::new();
    for i in 0..4u64 {
        let (m, input, expected) = plan(i);
        let name = format!("control{i}");
        start(&c, i as usize, m, &name, &input);
        let arn = execution_arn(m, &name);
        if m == "mn-callback" {
            c.callbacks
                .lock()
                .unwrap()
                .push_back((arn.clone(), i, None));
        }
        let until = Instant::now() + Duration::from_secs(60);
        let d = loop {
            let d = c.nodes.ok(
                i as usize,
                "DescribeExecution",
                &json!({"executionArn": arn}),
            );
            if d["status"] != "RUNNING" {
                break d;
            }
            assert!(Instant::now() < until, "control {m} still running");
            std::thread::sleep(Duration::from_millis(50));
        };
        assert_eq!(d["status"], "SUCCEEDED", "{d}");
        let out: Value = serde_json::from_str(d["output"].as_str().unwrap_or("null")).unwrap();
        assert_eq!(out, expected);
        control.insert(m, event_types(&c.nodes.history(i as usize + 1, &arn)));
    }
    c.done.store(true, Ordering::Relaxed);
    for h in helpers {
        h.join().expect("client thread");
    }

    let mut problems = Vec::new();
    let mut retried = 0;
    for i in 0..total {
        let (m, _, expected) = plan(i);
        let arn = execution_arn(m, &format!("e{i}"));
        let k = i as usize;
        let d = c
            .nodes
            .ok(k, "DescribeExecution", &json!({"executionArn": arn}));
        let output: Value = d["output"]
            .as_str()
            .and_then(|o| serde_json::from_str(o).ok())
            .unwrap_or(Value::Null);
        if d["status"] != "SUCCEEDED" || output != expected {
            problems.push(format!("{arn}: {} {output}", d["status"]));
            continue;
        }
        // Read through another node than the one describing it.
        let events = c.nodes.history(k + 1, &arn);
        let ids: Vec<u64> = events.iter().filter_map(|e| e["id"].as_u64()).collect();
        if ids != (1..=events.len() as u64).collect::<Vec<_>>() {
            problems.push(format!("{arn}: event ids {ids:?}"));
        }
        let types = event_types(&events);
        if types.contains_key("ActivityTimedOut") {
            // A task lost with a killed node ran again (a new task): checked by ids above.
            retried += 1;
            continue;
        }
        if Some(&types) != control.get(m) {
            problems.push(format!("{arn}: events {types:?}"));
        }
    }
    let tokens = c.tokens.lock().unwrap();
    let twice: Vec<&String> = tokens
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(t, _)| t)
        .collect();
    eprintln!(
        "{} activity tasks handed out, {retried} executions ran a lost activity task again",
        tokens.len()
    );
    assert!(
        twice.is_empty(),
        "activity tasks handed out twice: {twice:?}"
    );
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
