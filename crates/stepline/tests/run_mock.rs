//! `stepline run --mock FILE --test-case NAME`: Task states answer from a Step Functions Local
//! mock configuration file, as Step Functions Local's `StateMachineArn#TestCase` does.

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../integrations/tests/fixtures/aws-doc")
        .join(name)
}

fn run(case: &str) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_stepline"))
        .arg("run")
        .arg(fixture("LambdaSQSIntegration.asl.json"))
        .arg("--mock")
        .arg(fixture("MockConfigFile.json"))
        .arg("--test-case")
        .arg(case)
        .output()
        .expect("the stepline binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn happy_path_answers_from_the_mocked_responses() {
    let (code, stdout, stderr) = run("HappyPath");
    assert_eq!(code, 0, "stderr: {stderr}");
    let result: Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(result["status"], "SUCCEEDED");
    // The last state is the mocked SQS sendMessage: its Return is the execution's output.
    assert_eq!(
        result["output"]["MessageId"],
        "3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"
    );
}

#[test]
fn unknown_test_case_cannot_start() {
    let (code, stdout, stderr) = run("NoSuchCase");
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(stderr.contains("NoSuchCase"), "stderr: {stderr}");
}

#[test]
fn mock_without_test_case_is_a_usage_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_stepline"))
        .arg("run")
        .arg(fixture("LambdaSQSIntegration.asl.json"))
        .arg("--mock")
        .arg(fixture("MockConfigFile.json"))
        .output()
        .expect("the stepline binary runs");
    assert_eq!(out.status.code(), Some(2));
}
