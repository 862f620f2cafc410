//! Benchmark (ignored by default): executions parked on `.waitForTaskToken` callbacks,
//! completed by SendTaskSuccess from 8 concurrent clients, in process (the operations as the
//! HTTP handler calls them, on SQLite with `--sync normal`), and the process's RSS with many
//! executions parked.
//!
//! `cargo test -p server --release --test waiting_bench -- --ignored --nocapture`
//! Sizes: `STEPLINE_BENCH_CALLBACKS` (10000), `STEPLINE_BENCH_PARKED` (100000).

use serde_json::{json, Map, Value};
use server::ops::{dispatch, Caller};
use server::AppState;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn size(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn call(st: &AppState, op: &str, body: Value) -> Value {
    let caller = Caller {
        region: "us-east-1".into(),
        account: "123456789012".into(),
    };
    let Value::Object(m) = body else {
        return Value::Null;
    };
    let m: Map<String, Value> = m;
    dispatch(st, &caller, op, &m)
        .await
        .unwrap_or_else(|e| panic!("{op}: {e}"))
}

async fn park(st: &AppState, machine: &str, n: usize) -> Duration {
    let t = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for chunk in 0..8 {
        let st = st.clone();
        let machine = machine.to_string();
        set.spawn(async move {
            for i in (chunk..n).step_by(8) {
                call(
                    &st,
                    "StartExecution",
                    json!({"stateMachineArn": machine, "input": format!("{{\"i\":{i}}}")}),
                )
                .await;
            }
        });
    }
    while set.join_next().await.is_some() {}
    let deadline = Instant::now() + Duration::from_secs(600);
    while st.rt.waiting.waiting_count() < n {
        assert!(Instant::now() < deadline, "not all parked");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    t.elapsed()
}

#[test]
#[ignore]
fn callbacks_bench() {
    let callbacks = size("STEPLINE_BENCH_CALLBACKS", 10_000);
    let parked = size("STEPLINE_BENCH_PARKED", 100_000);
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = store::SqliteStore::open(
            dir.path().join("bench.db"),
            store::SqliteOptions {
                fsync_each_commit: false,
                ..Default::default()
            },
        )
        .unwrap();
        let (st, _) = AppState::new(Arc::new(store), "us-east-1", "123456789012").unwrap();
        let def = json!({"StartAt": "Wait", "States": {"Wait": {
            "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": "q", "MessageBody": {"Token.$": "$$.Task.Token"}},
            "End": true}}});
        let machine = call(
            &st,
            "CreateStateMachine",
            json!({"name": "bench", "definition": def.to_string(),
                   "roleArn": "arn:aws:iam::123456789012:role/r"}),
        )
        .await["stateMachineArn"]
            .as_str()
            .unwrap()
            .to_string();
        let base = rss_mib();
        let took = park(&st, &machine, callbacks).await;
        println!(
            "{callbacks} executions parked on callbacks in {took:?} ({:.0}/s)",
            callbacks as f64 / took.as_secs_f64()
        );
        let tokens = st.rt.waiting.tokens();
        let t = Instant::now();
        let mut set = tokio::task::JoinSet::new();
        for c in 0..8 {
            let st = st.clone();
            let mine: Vec<String> = tokens
                .iter()
                .skip(c)
                .step_by(8)
                .map(|(t, _)| t.clone())
                .collect();
            set.spawn(async move {
                for tok in mine {
                    call(
                        &st,
                        "SendTaskSuccess",
                        json!({"taskToken": tok, "output": "{\"ok\":true}"}),
                    )
                    .await;
                }
            });
        }
        while set.join_next().await.is_some() {}
        let sent = t.elapsed();
        // The runtime lets go of an execution once its close is durable; polling that count
        // (not the store's list of open executions, which costs more than what it measures).
        let deadline = Instant::now() + Duration::from_secs(600);
        while st.rt.live_count() > 0 {
            assert!(
                Instant::now() < deadline,
                "{} still running",
                st.rt.live_count()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let done = t.elapsed();
        assert_eq!(st.store.open_executions().unwrap().len(), 0);
        println!(
            "{callbacks} SendTaskSuccess from 8 clients: sent in {sent:?}, all executions closed after {done:?} => {:.0} completions/s",
            callbacks as f64 / done.as_secs_f64()
        );
        let took = park(&st, &machine, parked).await;
        println!(
            "{parked} executions parked in {took:?}; RSS {:.0} MiB (was {base:.0} MiB before any execution)",
            rss_mib()
        );
    });
}
