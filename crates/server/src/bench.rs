//! `stepline bench`: load against a running server over loopback HTTP (keep-alive
//! connections), in two workloads:
//!
//! - `standard`: StartExecution of a 3-state Pass STANDARD machine from many connections at
//!   once; reports executions/s and state transitions/s (3 per execution), then checks every
//!   execution SUCCEEDED.
//! - `express-sync`: StartSyncExecution of a 3-state Pass EXPRESS machine; reports requests/s
//!   and latency percentiles.
//! - `callbacks`: `--requests` STANDARD executions each waiting on a `.waitForTaskToken`
//!   callback, then completed by SendTaskSuccess from 8 connections; reports completions/s.
//! - `park`: `--requests` executions left waiting on callbacks (measure the server's memory).

use serde_json::{json, Value};
use std::process::ExitCode;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(clap::Args, Clone)]
pub struct Args {
    /// Server endpoint.
    #[arg(long, default_value = "http://127.0.0.1:8083")]
    pub endpoint: String,
    /// `standard`, `express-sync`, `all` (both), `callbacks` or `park`.
    #[arg(long, default_value = "all")]
    pub workload: String,
    /// Requests per workload.
    #[arg(long, default_value_t = 20_000)]
    pub requests: usize,
    /// Concurrent connections.
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// `loggingConfiguration.level` of the benchmark's state machines (log group
    /// `stepline-bench`, execution data included): measures execution logging.
    #[arg(long, default_value = "OFF", value_parser = ["OFF", "ALL", "ERROR", "FATAL"])]
    pub log_level: String,
}

/// One keep-alive HTTP/1.1 connection speaking AWS JSON 1.0.
struct Conn {
    stream: TcpStream,
    host: String,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(host: &str) -> std::io::Result<Conn> {
        let stream = TcpStream::connect(host).await?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            host: host.to_string(),
            buf: Vec::with_capacity(8192),
        })
    }

    async fn call(&mut self, op: &str, body: &str) -> std::io::Result<(u16, Value)> {
        let req = format!(
            "POST / HTTP/1.1\r\nHost: {}\r\nX-Amz-Target: AWSStepFunctions.{op}\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\n\r\n{body}",
            self.host,
            body.len()
        );
        self.stream.write_all(req.as_bytes()).await?;
        self.buf.clear();
        let mut chunk = [0u8; 8192];
        loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buf[..end]).to_string();
                let status = head
                    .split(' ')
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                let len = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(0);
                while self.buf.len() < end + 4 + len {
                    let n = self.stream.read(&mut chunk).await?;
                    if n == 0 {
                        return Err(std::io::ErrorKind::UnexpectedEof.into());
                    }
                    self.buf.extend_from_slice(&chunk[..n]);
                }
                let body = &self.buf[end + 4..end + 4 + len];
                let v = serde_json::from_slice(body).unwrap_or(Value::Null);
                return Ok((status, v));
            }
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

const ROLE: &str = "arn:aws:iam::123456789012:role/StepFunctions";

fn three_pass() -> String {
    json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Result": {"a": 1}, "ResultPath": "$.a", "Next": "B"},
        "B": {"Type": "Pass", "Next": "C"},
        "C": {"Type": "Pass", "End": true}}})
    .to_string()
}

async fn create(
    host: &str,
    name: &str,
    machine_type: &str,
    log_level: &str,
) -> anyhow::Result<String> {
    let mut c = Conn::open(host).await?;
    let mut body =
        json!({"name": name, "definition": three_pass(), "roleArn": ROLE, "type": machine_type});
    if log_level != "OFF" {
        body["loggingConfiguration"] = json!({"level": log_level, "includeExecutionData": true,
            "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn":
                "arn:aws:logs:us-east-1:123456789012:log-group:stepline-bench:*"}}]});
    }
    let (status, v) = c.call("CreateStateMachine", &body.to_string()).await?;
    anyhow::ensure!(status == 200, "CreateStateMachine: {v}");
    Ok(v["stateMachineArn"]
        .as_str()
        .unwrap_or_default()
        .to_string())
}

/// Runs `total` calls from `connections` connections; returns each call's latency.
async fn load(
    host: &str,
    op: &'static str,
    total: usize,
    connections: usize,
    body: impl Fn(usize) -> String + Send + Sync + 'static,
) -> anyhow::Result<(Duration, Vec<Duration>, usize)> {
    let body = std::sync::Arc::new(body);
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections.max(1) {
        let host = host.to_string();
        let body = body.clone();
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(&host).await?;
            let mut lat = Vec::new();
            let mut errors = 0;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= total {
                    return Ok::<_, std::io::Error>((lat, errors));
                }
                let b = body(i);
                let t = Instant::now();
                let (status, _) = conn.call(op, &b).await?;
                lat.push(t.elapsed());
                if status != 200 {
                    errors += 1;
                }
            }
        }));
    }
    let mut all = Vec::with_capacity(total);
    let mut errors = 0;
    for t in tasks {
        let (lat, e) = t.await??;
        all.extend(lat);
        errors += e;
    }
    let elapsed = started.elapsed();
    all.sort();
    Ok((elapsed, all, errors))
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn run(args: Args) -> anyhow::Result<()> {
    let host = args
        .endpoint
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let run_id = uuid::Uuid::new_v4().simple().to_string();
    let run_id = &run_id[..8];
    if args.workload == "standard" || args.workload == "all" {
        let arn = create(
            &host,
            &format!("bench-std-{run_id}"),
            "STANDARD",
            &args.log_level,
        )
        .await?;
        let arn2 = arn.clone();
        let (elapsed, lat, errors) = load(
            &host,
            "StartExecution",
            args.requests,
            args.connections,
            move |i| {
                json!({"stateMachineArn": arn2, "name": format!("e{i}"), "input": "{\"n\": 1}"})
                    .to_string()
            },
        )
        .await?;
        let secs = elapsed.as_secs_f64();
        let eps = args.requests as f64 / secs;
        println!(
            "standard: {} executions in {:.2}s = {:.0} executions/s = {:.0} state transitions/s (3 per execution); StartExecution p50 {:?} p99 {:?}; {errors} errors",
            args.requests, secs, eps, eps * 3.0, pct(&lat, 0.5), pct(&lat, 0.99)
        );
        let mut c = Conn::open(&host).await?;
        let (_, v) = c
            .call(
                "ListExecutions",
                &json!({"stateMachineArn": arn, "statusFilter": "SUCCEEDED", "maxResults": 1000})
                    .to_string(),
            )
            .await?;
        let listed = v["executions"].as_array().map_or(0, Vec::len);
        anyhow::ensure!(
            listed == args.requests.min(1000),
            "expected every execution SUCCEEDED, listed {listed}"
        );
    }
    if args.workload == "express-sync" || args.workload == "all" {
        let arn = create(
            &host,
            &format!("bench-exp-{run_id}"),
            "EXPRESS",
            &args.log_level,
        )
        .await?;
        let body = json!({"stateMachineArn": arn, "input": "{\"n\": 1}"}).to_string();
        let (elapsed, lat, errors) = load(
            &host,
            "StartSyncExecution",
            args.requests,
            args.connections,
            move |_| body.clone(),
        )
        .await?;
        let secs = elapsed.as_secs_f64();
        println!(
            "express-sync: {} StartSyncExecution in {:.2}s = {:.0}/s; latency p50 {:?} p90 {:?} p99 {:?}; {errors} errors",
            args.requests,
            secs,
            args.requests as f64 / secs,
            pct(&lat, 0.5),
            pct(&lat, 0.9),
            pct(&lat, 0.99)
        );
        // Latency unloaded: one connection, one request at a time.
        let arn1 = arn.clone();
        let n = (args.requests / 10).clamp(100, 5000);
        let (_, lat, _) = load(&host, "StartSyncExecution", n, 1, move |_| {
            json!({"stateMachineArn": arn1, "input": "{\"n\": 1}"}).to_string()
        })
        .await?;
        println!(
            "express-sync (1 connection): p50 {:?} p90 {:?} p99 {:?}",
            pct(&lat, 0.5),
            pct(&lat, 0.9),
            pct(&lat, 0.99)
        );
    }
    if args.workload == "callbacks" || args.workload == "park" {
        callbacks(&host, run_id, &args).await?;
    }
    Ok(())
}

fn callback_machine() -> String {
    json!({"StartAt": "Wait", "States": {"Wait": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": "q", "MessageBody": {"Token.$": "$$.Task.Token"}},
        "End": true}}})
    .to_string()
}

/// The task token of a callback execution, from its `TaskScheduled` event.
async fn token_of(c: &mut Conn, arn: &str) -> anyhow::Result<String> {
    for _ in 0..500 {
        let (_, v) = c
            .call(
                "GetExecutionHistory",
                &json!({"executionArn": arn}).to_string(),
            )
            .await?;
        let token = v["events"].as_array().and_then(|events| {
            events.iter().find_map(|e| {
                let params = e["taskScheduledEventDetails"]["parameters"].as_str()?;
                let params: Value = serde_json::from_str(params).ok()?;
                params["MessageBody"]["Token"].as_str().map(str::to_string)
            })
        });
        if let Some(t) = token {
            return Ok(t);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    anyhow::bail!("no task token for {arn}")
}

/// Executions waiting on callbacks; with `callbacks`, completes them from 8 connections.
async fn callbacks(host: &str, run_id: &str, args: &Args) -> anyhow::Result<()> {
    let mut c = Conn::open(host).await?;
    let body = json!({"name": format!("bench-cb-{run_id}"), "definition": callback_machine(),
        "roleArn": ROLE, "type": "STANDARD"});
    let (status, v) = c.call("CreateStateMachine", &body.to_string()).await?;
    anyhow::ensure!(status == 200, "CreateStateMachine: {v}");
    let machine = v["stateMachineArn"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let m = machine.clone();
    let (elapsed, _, errors) = load(
        host,
        "StartExecution",
        args.requests,
        args.connections,
        move |i| json!({"stateMachineArn": m, "name": format!("c{i}")}).to_string(),
    )
    .await?;
    println!(
        "callbacks: {} executions parked in {:.2}s ({:.0}/s); {errors} errors",
        args.requests,
        elapsed.as_secs_f64(),
        args.requests as f64 / elapsed.as_secs_f64()
    );
    if args.workload == "park" {
        return Ok(());
    }
    let prefix = machine.replacen(":stateMachine:", ":execution:", 1);
    let mut tokens = Vec::with_capacity(args.requests);
    for i in 0..args.requests {
        tokens.push(token_of(&mut c, &format!("{prefix}:c{i}")).await?);
    }
    let tokens = std::sync::Arc::new(tokens);
    let t = tokens.clone();
    let (sent, _, errors) = load(host, "SendTaskSuccess", args.requests, 8, move |i| {
        json!({"taskToken": t[i], "output": "{\"ok\":true}"}).to_string()
    })
    .await?;
    let started = Instant::now() - sent;
    loop {
        let (_, v) = c
            .call(
                "ListExecutions",
                &json!({"stateMachineArn": machine, "statusFilter": "RUNNING", "maxResults": 1})
                    .to_string(),
            )
            .await?;
        if v["executions"].as_array().is_none_or(Vec::is_empty) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let done = started.elapsed();
    println!(
        "callbacks: {} SendTaskSuccess from 8 connections sent in {:.2}s, all closed after {:.2}s = {:.0} completions/s; {errors} errors",
        args.requests,
        sent.as_secs_f64(),
        done.as_secs_f64(),
        args.requests as f64 / done.as_secs_f64()
    );
    Ok(())
}

pub fn main(args: Args) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("stepline bench: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("stepline bench: {e}");
            ExitCode::from(1)
        }
    }
}
