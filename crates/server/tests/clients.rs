//! End to end with real clients: boto3 and the AWS CLI, installed from PyPI into a virtualenv
//! under `target/e2e-venv` on first use (so a fresh machine or CI needs only python3).
//!
//! The `sync-` host prefix botocore adds for StartSyncExecution is turned off with
//! `Config(inject_host_prefix=False)` (boto3) and `AWS_DISABLE_HOST_PREFIX_INJECTION=true`
//! (the AWS CLI, and any botocore client).

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn client_env(cmd: &mut Command) -> &mut Command {
    cmd.env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_DISABLE_HOST_PREFIX_INJECTION", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_PAGER", "")
}

#[test]
fn boto3_end_to_end() {
    let venv = e2e_venv();
    let s = Server::start_in_memory();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/boto3_e2e.py");
    let out = client_env(&mut Command::new(venv.join("bin/python")))
        .env_remove("AWS_DISABLE_HOST_PREFIX_INJECTION")
        .arg(script)
        .arg(format!("http://127.0.0.1:{}", s.port))
        .output()
        .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "boto3 checks failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("checks passed"), "{stdout}");
}

struct Cli<'a> {
    venv: &'a Path,
    endpoint: String,
}

impl Cli<'_> {
    fn run(&self, args: &[&str]) -> Result<Value, String> {
        let out = client_env(&mut Command::new(self.venv.join("bin/aws")))
            .args([
                "--endpoint-url",
                &self.endpoint,
                "--output",
                "json",
                "stepfunctions",
            ])
            .args(args)
            .output()
            .expect("run aws");
        if out.status.success() {
            let text = String::from_utf8_lossy(&out.stdout);
            Ok(if text.trim().is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).expect("aws printed JSON")
            })
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    fn ok(&self, args: &[&str]) -> Value {
        self.run(args)
            .unwrap_or_else(|e| panic!("aws {args:?} failed: {e}"))
    }
}

#[test]
fn aws_cli_end_to_end() {
    let venv = e2e_venv();
    let s = Server::start_in_memory();
    let cli = Cli {
        venv,
        endpoint: format!("http://127.0.0.1:{}", s.port),
    };
    let pass = r#"{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"ok":true},"End":true}}}"#;
    let wait = r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":600,"End":true}}}"#;
    let created = cli.ok(&[
        "create-state-machine",
        "--name",
        "cli",
        "--definition",
        pass,
        "--role-arn",
        ROLE,
    ]);
    let arn = created["stateMachineArn"].as_str().unwrap().to_string();
    assert_eq!(arn, machine_arn("cli"));
    let listed = cli.ok(&["list-state-machines"]);
    assert_eq!(listed["stateMachines"][0]["name"], "cli");

    let e = cli.ok(&[
        "start-execution",
        "--state-machine-arn",
        &arn,
        "--name",
        "x",
        "--input",
        "{\"a\":1}",
    ]);
    let exec = e["executionArn"].as_str().unwrap().to_string();
    let d = s.wait_done(&exec, std::time::Duration::from_secs(60));
    assert_eq!(d["status"], "SUCCEEDED");
    let d = cli.ok(&["describe-execution", "--execution-arn", &exec]);
    assert_eq!(d["output"], "{\"ok\":true}");
    let h = cli.ok(&[
        "get-execution-history",
        "--execution-arn",
        &exec,
        "--reverse-order",
    ]);
    assert_eq!(h["events"][0]["type"], "ExecutionSucceeded");
    let l = cli.ok(&[
        "list-executions",
        "--state-machine-arn",
        &arn,
        "--status-filter",
        "SUCCEEDED",
    ]);
    assert_eq!(l["executions"][0]["name"], "x");

    let err = cli
        .run(&[
            "start-execution",
            "--state-machine-arn",
            &arn,
            "--name",
            "x",
        ])
        .unwrap_err();
    assert!(err.contains("ExecutionAlreadyExists"), "{err}");
    let err = cli
        .run(&[
            "describe-state-machine",
            "--state-machine-arn",
            "not_a_valid_arn",
        ])
        .unwrap_err();
    assert!(
        err.contains("(InvalidArn)") && err.contains("Invalid ARN prefix"),
        "{err}"
    );

    let w = cli.ok(&[
        "create-state-machine",
        "--name",
        "cliwait",
        "--definition",
        wait,
        "--role-arn",
        ROLE,
    ]);
    let we = cli.ok(&[
        "start-execution",
        "--state-machine-arn",
        w["stateMachineArn"].as_str().unwrap(),
    ]);
    let warn = we["executionArn"].as_str().unwrap();
    cli.ok(&[
        "stop-execution",
        "--execution-arn",
        warn,
        "--cause",
        "enough",
    ]);
    assert_eq!(
        cli.ok(&["describe-execution", "--execution-arn", warn])["status"],
        "ABORTED"
    );

    // StartSyncExecution through the CLI: AWS_DISABLE_HOST_PREFIX_INJECTION=true keeps the host.
    let x = cli.ok(&[
        "create-state-machine",
        "--name",
        "cliexpress",
        "--type",
        "EXPRESS",
        "--definition",
        pass,
        "--role-arn",
        ROLE,
    ]);
    let r = cli.ok(&[
        "start-sync-execution",
        "--state-machine-arn",
        x["stateMachineArn"].as_str().unwrap(),
        "--input",
        "{}",
    ]);
    assert_eq!(r["status"], "SUCCEEDED");
    assert_eq!(r["output"], "{\"ok\":true}");

    // Versions and aliases.
    let v = cli.ok(&[
        "publish-state-machine-version",
        "--state-machine-arn",
        &arn,
        "--description",
        "one",
    ]);
    let v1 = v["stateMachineVersionArn"].as_str().unwrap().to_string();
    assert_eq!(v1, format!("{arn}:1"));
    let routing = format!("[{{\"stateMachineVersionArn\":\"{v1}\",\"weight\":100}}]");
    let a = cli.ok(&[
        "create-state-machine-alias",
        "--name",
        "live",
        "--routing-configuration",
        &routing,
    ]);
    let alias = a["stateMachineAliasArn"].as_str().unwrap().to_string();
    let ae = cli.ok(&["start-execution", "--state-machine-arn", &alias]);
    let d = s.wait_done(
        ae["executionArn"].as_str().unwrap(),
        std::time::Duration::from_secs(60),
    );
    assert_eq!(d["stateMachineAliasArn"], alias);
    let aliases = cli.ok(&["list-state-machine-aliases", "--state-machine-arn", &arn]);
    assert_eq!(
        aliases["stateMachineAliases"][0]["stateMachineAliasArn"],
        alias
    );

    cli.ok(&[
        "tag-resource",
        "--resource-arn",
        &arn,
        "--tags",
        "key=team,value=core",
    ]);
    let t = cli.ok(&["list-tags-for-resource", "--resource-arn", &arn]);
    assert_eq!(t["tags"][0]["value"], "core");
    cli.ok(&["delete-state-machine", "--state-machine-arn", &arn]);
    let err = cli
        .run(&["describe-state-machine", "--state-machine-arn", &arn])
        .unwrap_err();
    assert!(err.contains("StateMachineDoesNotExist"), "{err}");
}
