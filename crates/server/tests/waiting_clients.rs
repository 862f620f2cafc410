//! Waiting tasks through boto3 (`tests/e2e/boto3_waiting.py`): a live run, and a run split
//! around a `kill -9` restart of the server. Uses the virtualenv of `tests/clients.rs`
//! (`STEPLINE_E2E_VENV`, or `target/e2e-venv` created from PyPI on first use).

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn venv() -> PathBuf {
    let dir = std::env::var_os("STEPLINE_E2E_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/e2e-venv"));
    let python = dir.join("bin/python");
    let ready = |p: &Path| {
        Command::new(p)
            .args(["-c", "import boto3"])
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    if !ready(&python) {
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&dir)
            .status()
            .expect("python3 -m venv");
        assert!(made.success(), "python3 -m venv {} failed", dir.display());
        let pip = Command::new(dir.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", "boto3"])
            .status()
            .expect("run pip");
        assert!(
            pip.success(),
            "pip install boto3 failed (set STEPLINE_E2E_VENV)"
        );
    }
    dir
}

fn run(port: u16, args: &[&str]) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/boto3_waiting.py");
    let out = Command::new(venv().join("bin/python"))
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
