//! Waiting tasks through boto3 (`tests/e2e/boto3_waiting.py`): a live run, and a run split
//! around a `kill -9` restart of the server. Uses the virtualenv of `tests/clients.rs`
//! (`STEPLINE_E2E_VENV`, or `target/e2e-venv` created from PyPI on first use).

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

fn run(port: u16, args: &[&str]) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/boto3_waiting.py");
    let out = Command::new(e2e_venv().join("bin/python"))
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .arg(script)
        .arg(format!("http://127.0.0.1:{port}"))
        .args(args)
        .output()
        .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "boto3_waiting.py {args:?} failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("all checks passed"), "{stdout}");
}

#[test]
fn boto3_waiting_tasks() {
    // Idle workers' long polls end in 5 s instead of 60 once every task is served.
    std::env::set_var("STEPLINE_ACTIVITY_POLL_SECONDS", "5");
    let s = Server::start_in_memory();
    run(s.port, &["live"]);
}

#[test]
fn boto3_waiting_tasks_across_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let state = state.to_str().unwrap_or("state.json");
    let data = dir.path().join("data");
    let mut s = Server::start(&data);
    run(s.port, &["before", state]);
    s.kill9();
    let s = Server::start(&data);
    run(s.port, &["after", state]);
}
