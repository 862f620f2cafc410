//! Starts the real `stepline-server` binary on a free port and talks HTTP to it.
#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const REGION: &str = "us-east-1";
pub const ACCOUNT: &str = "123456789012";
pub const ROLE: &str = "arn:aws:iam::123456789012:role/StepFunctions";

pub struct Server {
    child: Option<Child>,
    pub port: u16,
    pub data_dir: Option<PathBuf>,
}

impl Server {
    /// A server on an SQLite store in `data_dir`.
    pub fn start(data_dir: &Path) -> Server {
        Self::spawn(
            &["--data-dir", data_dir.to_str().unwrap_or(".")],
            Some(data_dir.into()),
        )
    }

    pub fn start_in_memory() -> Server {
        Self::spawn(&["--in-memory"], None)
    }

    pub fn spawn(extra: &[&str], data_dir: Option<PathBuf>) -> Server {
        let started = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_stepline-server"))
            .args(["--port", "0", "--account", ACCOUNT, "--region", REGION])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start stepline-server");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut port = None;
        for line in lines.by_ref() {
            let line = line.expect("read stdout");
            if let Some(addr) = line.strip_prefix("stepline: listening on http://") {
                port = addr.rsplit(':').next().and_then(|p| p.parse().ok());
                break;
            }
        }
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let port = port.expect("the server printed where it listens");
        eprintln!("server ready on port {port} after {:?}", started.elapsed());
        Server {
            child: Some(child),
            port,
            data_dir,
        }
    }

    /// One request; returns the HTTP status and the JSON body.
    pub fn raw(&self, headers: &[(&str, &str)], body: &[u8]) -> (u16, Value) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(120))).ok();
        let mut req = format!(
            "POST / HTTP/1.1\r\nHost: sync-localhost:{}\r\nContent-Length: {}\r\nConnection: close\r\n",
            self.port,
            body.len()
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes()).expect("send");
        s.write_all(body).expect("send body");
        let mut resp = Vec::new();
        s.read_to_end(&mut resp).expect("read");
        let text = String::from_utf8_lossy(&resp);
        let status: u16 = text
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .expect("status line");
        let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
        let v = serde_json::from_str(body).unwrap_or(Value::String(body.to_string()));
        (status, v)
    }

    pub fn call(&self, op: &str, body: Value) -> (u16, Value) {
        let target = format!("AWSStepFunctions.{op}");
        self.raw(
            &[
                ("X-Amz-Target", &target),
                ("Content-Type", "application/x-amz-json-1.0"),
            ],
            body.to_string().as_bytes(),
        )
    }

    /// A call that must succeed.
    pub fn ok(&self, op: &str, body: Value) -> Value {
        let (status, v) = self.call(op, body);
        assert_eq!(status, 200, "{op} failed: {v}");
        v
    }

    /// A call that must fail with `kind`; returns the message.
    pub fn err(&self, op: &str, body: Value, kind: &str) -> String {
        let (status, v) = self.call(op, body);
        assert_eq!(status, 400, "{op} should fail with {kind}: {v}");
        assert_eq!(v["__type"], kind, "{op}: {v}");
        v["message"].as_str().unwrap_or_default().to_string()
    }

    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM, then wait for a clean exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut c = self.child.take().expect("running");
        let _ = Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(s)) = c.try_wait() {
                return s;
            }
            assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn create_machine(&self, name: &str, definition: &Value) -> String {
        let v = self.ok(
            "CreateStateMachine",
            serde_json::json!({"name": name, "definition": definition.to_string(), "roleArn": ROLE}),
        );
        v["stateMachineArn"].as_str().expect("arn").to_string()
    }

    /// Polls DescribeExecution until the execution is no longer RUNNING.
    pub fn wait_done(&self, execution_arn: &str, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let d = self.ok(
                "DescribeExecution",
                serde_json::json!({"executionArn": execution_arn}),
            );
            if d["status"] != "RUNNING" {
                return d;
            }
            assert!(
                Instant::now() < deadline,
                "{execution_arn} still running after {timeout:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Every history event, following nextToken.
    pub fn history(&self, execution_arn: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut req = serde_json::json!({"executionArn": execution_arn, "maxResults": 1000});
            if let Some(t) = &token {
                req["nextToken"] = Value::String(t.clone());
            }
            let v = self.ok("GetExecutionHistory", req);
            out.extend(v["events"].as_array().cloned().unwrap_or_default());
            match v["nextToken"].as_str() {
                Some(t) => token = Some(t.to_string()),
                None => return out,
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

pub fn machine_arn(name: &str) -> String {
    format!("arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}")
}

pub fn execution_arn(machine: &str, name: &str) -> String {
    format!("arn:aws:states:{REGION}:{ACCOUNT}:execution:{machine}:{name}")
}

/// The virtualenv with boto3 and awscli (`STEPLINE_E2E_VENV`, or `target/e2e-venv` created from
/// PyPI once per test run when missing).
pub fn e2e_venv() -> &'static Path {
    static VENV: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    VENV.get_or_init(|| {
        let dir = std::env::var_os("STEPLINE_E2E_VENV")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/e2e-venv"));
        let python = dir.join("bin/python");
        let ready = |p: &Path| {
            Command::new(p)
                .args(["-c", "import boto3, awscli"])
                .status()
                .map(|s| s.success())
                .unwrap_or(false)
        };
        if !ready(&python) {
            let made = Command::new("python3")
                .args(["-m", "venv"])
                .arg(&dir)
                .status()
                .unwrap_or_else(|e| panic!("the client tests need python3 (with venv): {e}"));
            assert!(made.success(), "python3 -m venv {} failed", dir.display());
            let pip = Command::new(dir.join("bin/pip"))
                .args(["install", "--quiet", "--disable-pip-version-check", "boto3", "awscli"])
                .status()
                .expect("run pip");
            assert!(
                pip.success(),
                "pip install boto3 awscli failed: the client tests need PyPI (or a ready virtualenv in STEPLINE_E2E_VENV)"
            );
            assert!(ready(&python), "boto3/awscli missing after pip install");
        }
        dir
    })
}
