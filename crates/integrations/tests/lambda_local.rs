//! Lambda functions as local commands: configuration, success and error shapes, timeouts.
//! The functions are small Python scripts written to a temporary folder.

use engine::driver::{run_to_completion, Finished};
use engine::{
    EventDetails, ExecutionContext, ExecutionStatus, Program, SeededEntropy, TaskResolver,
    Timestamp,
};
use integrations::config::{Config, ConfigError};
use integrations::LocalLambdaResolver;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

static DIRS: AtomicUsize = AtomicUsize::new(0);

/// A fresh folder holding `files`, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn with(files: &[(&str, &str)]) -> TempDir {
        let n = DIRS.fetch_add(1, Ordering::SeqCst);
        let dir =
            std::env::temp_dir().join(format!("stepline-lambda-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        for (name, text) in files {
            std::fs::write(dir.join(name), text).expect("write");
        }
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const HANDLERS: &str = r#"
import json, sys, os, time
event = json.load(sys.stdin)
mode = os.environ.get("MODE", "echo")
if mode == "echo":
    print(json.dumps(event))
elif mode == "greet":
    print(json.dumps({"greeting": os.environ["GREETING"], "name": event.get("name"), "fn": os.environ["AWS_LAMBDA_FUNCTION_NAME"]}))
elif mode == "raise":
    print(json.dumps({"errorMessage": "Some exception was raised.", "errorType": "Exception", "stackTrace": []}))
    sys.exit(1)
elif mode == "untyped":
    print(json.dumps({"errorMessage": "no type"}))
    sys.exit(1)
elif mode == "crash":
    sys.stderr.write("boom\n")
    sys.exit(3)
elif mode == "garbage":
    print("this is not json")
elif mode == "nothing":
    pass
elif mode == "sleep":
    time.sleep(float(event.get("seconds", 5)))
    print("{}")
"#;

fn config(dir: &TempDir, extra: &str) -> Config {
    let text = format!(
        r#"
[lambda]
region = "eu-west-1"

[lambda.functions.echo]
command = ["python3", "handler.py"]

[lambda.functions.greet]
command = ["python3", "handler.py"]
env = {{ MODE = "greet", GREETING = "hello" }}

[lambda.functions.raise]
command = ["python3", "handler.py"]
env = {{ MODE = "raise" }}

[lambda.functions.untyped]
command = ["python3", "handler.py"]
env = {{ MODE = "untyped" }}

[lambda.functions.crash]
command = ["python3", "handler.py"]
env = {{ MODE = "crash" }}

[lambda.functions.garbage]
command = ["python3", "handler.py"]
env = {{ MODE = "garbage" }}

[lambda.functions.nothing]
command = ["python3", "handler.py"]
env = {{ MODE = "nothing" }}

[lambda.functions.sleepy]
command = ["python3", "handler.py"]
env = {{ MODE = "sleep" }}
timeout = 1

[lambda.functions.missing]
command = ["/no/such/program"]
{extra}
"#
    );
    let path = dir.0.join("stepline.toml");
    std::fs::write(&path, text).expect("write config");
    Config::load(&path).expect("valid config")
}

fn run(definition: &str, resolver: &mut dyn TaskResolver, input: Value) -> Finished {
    let machine = asl::parse::parse_definition(definition).expect("definition");
    let program = Arc::new(Program::compile(&machine).expect("compiles"));
    let ctx = ExecutionContext::example("t", "M", Timestamp::from_millis(1_700_000_000_000));
    run_to_completion(
        program,
        input,
        ctx,
        Box::new(SeededEntropy::new(3)),
        resolver,
        true,
    )
}

fn legacy(function: &str) -> String {
    format!(
        r#"{{"StartAt":"S","States":{{"S":{{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:{function}","End":true}}}}}}"#
    )
}

fn service(extra: &str) -> String {
    format!(
        r#"{{"StartAt":"S","States":{{"S":{{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{{"FunctionName.$":"$.FunctionName","Payload.$":"$.Payload"}}{extra},"End":true}}}}}}"#
    )
}

fn setup() -> (TempDir, LocalLambdaResolver) {
    let dir = TempDir::with(&[("handler.py", HANDLERS)]);
    let c = config(&dir, "");
    let r = LocalLambdaResolver::new(&c.lambda);
    (dir, r)
}

#[test]
fn legacy_arn_returns_the_function_result_as_is() {
    let (_d, mut r) = setup();
    let f = run(&legacy("echo"), &mut r, json!({"body": "string body"}));
    assert_eq!(f.outcome.status, ExecutionStatus::Succeeded);
    assert_eq!(
        f.outcome.output.as_deref(),
        Some(&json!({"body": "string body"}))
    );
    let types: Vec<&str> = f.history.iter().map(|e| e.event_type()).collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "LambdaFunctionScheduled",
            "LambdaFunctionStarted",
            "LambdaFunctionSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
}

#[test]
fn env_and_function_name_reach_the_command() {
    let (_d, mut r) = setup();
    let f = run(&legacy("greet:prod"), &mut r, json!({"name": "Ada"}));
    assert_eq!(
        f.outcome.output.as_deref(),
        Some(&json!({"greeting": "hello", "name": "Ada", "fn": "greet"}))
    );
}

#[test]
fn lambda_invoke_returns_the_invoke_response() {
    let (_d, mut r) = setup();
    let f = run(
        &service(""),
        &mut r,
        json!({"FunctionName": "arn:aws:lambda:eu-west-1:111111111111:function:echo", "Payload": {"body": "string body"}}),
    );
    assert_eq!(f.outcome.status, ExecutionStatus::Succeeded);
    let out = f.outcome.output.as_deref().cloned().unwrap_or_default();
    let keys: Vec<&String> = out
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert_eq!(
        keys,
        [
            "ExecutedVersion",
            "Payload",
            "SdkHttpMetadata",
            "SdkResponseMetadata",
            "StatusCode"
        ]
    );
    assert_eq!(out["ExecutedVersion"], "$LATEST");
    assert_eq!(out["Payload"], json!({"body": "string body"}));
    assert_eq!(out["StatusCode"], 200);
    let meta = &out["SdkHttpMetadata"];
    assert_eq!(meta["HttpStatusCode"], 200);
    // Python's json.dumps writes `{"body": "string body"}`: 23 bytes, as AWS recorded.
    assert_eq!(meta["HttpHeaders"]["Content-Length"], "23");
    assert_eq!(meta["AllHttpHeaders"]["Content-Length"], json!(["23"]));
    assert_eq!(meta["HttpHeaders"]["X-Amz-Executed-Version"], "$LATEST");
    let rid = out["SdkResponseMetadata"]["RequestId"]
        .as_str()
        .unwrap_or("");
    assert_eq!(rid.len(), 36);
    assert_eq!(meta["HttpHeaders"]["x-amzn-RequestId"], rid);
    let date = meta["HttpHeaders"]["Date"].as_str().unwrap_or("");
    assert!(date.ends_with(" GMT") && date.len() == 29, "{date}");
    assert!(f.history.iter().any(|e| e.event_type() == "TaskSucceeded"));
}

#[test]
fn function_error_reports_error_type_and_payload_as_cause() {
    let (_d, mut r) = setup();
    let f = run(&legacy("raise"), &mut r, json!({}));
    assert_eq!(f.outcome.status, ExecutionStatus::Failed);
    assert_eq!(f.outcome.error.as_deref(), Some("Exception"));
    let cause: Value =
        serde_json::from_str(f.outcome.cause.as_deref().unwrap_or("")).expect("json");
    assert_eq!(
        cause,
        json!({"errorMessage": "Some exception was raised.", "errorType": "Exception", "stackTrace": []})
    );
    assert!(f
        .history
        .iter()
        .any(|e| matches!(&e.details, EventDetails::LambdaFunctionFailed(ec) if ec.error.as_deref() == Some("Exception"))));
    // The legacy form keeps the payload text as written (Python's separators).
    let f = run(&legacy("raise"), &mut r, json!({}));
    assert_eq!(
        f.outcome.cause.as_deref(),
        Some(
            r#"{"errorMessage": "Some exception was raised.", "errorType": "Exception", "stackTrace": []}"#
        )
    );
    // Through lambda:invoke: a TaskFailed with the same error, the cause compact.
    let f = run(
        &service(""),
        &mut r,
        json!({"FunctionName": "raise", "Payload": null}),
    );
    assert_eq!(f.outcome.error.as_deref(), Some("Exception"));
    assert_eq!(
        f.outcome.cause.as_deref(),
        Some(
            r#"{"errorMessage":"Some exception was raised.","errorType":"Exception","stackTrace":[]}"#
        )
    );
    assert!(f.history.iter().any(|e| e.event_type() == "TaskFailed"));
}

#[test]
fn an_error_without_type_is_lambda_unknown() {
    let (_d, mut r) = setup();
    let f = run(&legacy("untyped"), &mut r, json!({}));
    assert_eq!(f.outcome.error.as_deref(), Some("Lambda.Unknown"));
    assert_eq!(
        f.outcome.cause.as_deref(),
        Some("The cause could not be determined because Lambda did not return an error type. Returned payload: {\"errorMessage\": \"no type\"}")
    );
}

#[test]
fn a_crash_is_runtime_exit_error() {
    let (_d, mut r) = setup();
    let f = run(&legacy("crash"), &mut r, json!({}));
    assert_eq!(f.outcome.error.as_deref(), Some("Runtime.ExitError"));
    let cause: Value =
        serde_json::from_str(f.outcome.cause.as_deref().unwrap_or("")).expect("json");
    assert_eq!(cause["errorType"], "Runtime.ExitError");
    let msg = cause["errorMessage"].as_str().unwrap_or("");
    assert!(
        msg.starts_with("RequestId: ")
            && msg.ends_with(" Error: Runtime exited with error: exit status 3"),
        "{msg}"
    );
}

#[test]
fn non_json_output_is_a_marshal_error_and_empty_output_is_null() {
    let (_d, mut r) = setup();
    let f = run(&legacy("garbage"), &mut r, json!({}));
    assert_eq!(f.outcome.error.as_deref(), Some("Runtime.MarshalError"));
    let f = run(&legacy("nothing"), &mut r, json!({}));
    assert_eq!(f.outcome.status, ExecutionStatus::Succeeded);
    assert_eq!(f.outcome.output.as_deref(), Some(&Value::Null));
}

#[test]
fn the_function_timeout_is_sandbox_timedout() {
    let (_d, mut r) = setup();
    let f = run(&legacy("sleepy"), &mut r, json!({"seconds": 5}));
    assert_eq!(f.outcome.error.as_deref(), Some("Sandbox.Timedout"));
    let cause: Value =
        serde_json::from_str(f.outcome.cause.as_deref().unwrap_or("")).expect("json");
    assert!(cause["errorMessage"]
        .as_str()
        .unwrap_or("")
        .ends_with("Error: Task timed out after 1.00 seconds"));
}

#[test]
fn a_shorter_state_timeout_becomes_states_timeout() {
    let dir = TempDir::with(&[("handler.py", HANDLERS)]);
    let c = config(
        &dir,
        "[lambda.functions.slow]\ncommand = [\"python3\", \"handler.py\"]\nenv = { MODE = \"sleep\" }\ntimeout = 30\n",
    );
    let mut r = LocalLambdaResolver::new(&c.lambda);
    let def = r#"{"StartAt":"S","States":{"S":{"Type":"Task","TimeoutSeconds":1,"Resource":"arn:aws:lambda:us-east-1:111111111111:function:slow","End":true}}}"#;
    let started = std::time::Instant::now();
    let f = run(def, &mut r, json!({"seconds": 10}));
    assert!(
        started.elapsed().as_secs() < 8,
        "the command was not stopped"
    );
    assert_eq!(f.outcome.status, ExecutionStatus::Failed);
    assert_eq!(f.outcome.error.as_deref(), Some("States.Timeout"));
    assert!(f
        .history
        .iter()
        .any(|e| e.event_type() == "LambdaFunctionTimedOut"));
}

#[test]
fn a_command_that_cannot_start_fails_the_task() {
    let (_d, mut r) = setup();
    let f = run(&legacy("missing"), &mut r, json!({}));
    assert_eq!(
        f.outcome.error.as_deref(),
        Some("Runtime.InvalidEntrypoint")
    );
}

#[test]
fn unconfigured_functions_and_other_resources_go_to_the_fallback() {
    let (_d, mut r) = setup();
    let f = run(&legacy("unknown"), &mut r, json!({}));
    assert_eq!(
        f.outcome.error.as_deref(),
        Some("Lambda.ResourceNotFoundException")
    );
    // The fallback is built with the configured region and account.
    assert!(f
        .outcome
        .cause
        .unwrap_or_default()
        .contains("arn:aws:lambda:eu-west-1:111111111111:function:unknown"));
    let def = r#"{"StartAt":"S","States":{"S":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","Parameters":{"QueueUrl":"q","MessageBody":"m"},"End":true}}}"#;
    let f = run(def, &mut r, json!({}));
    assert_eq!(f.outcome.error.as_deref(), Some("States.Runtime"));
}

#[test]
fn retry_and_catch_apply_to_function_errors() {
    let (_d, mut r) = setup();
    let def = r#"{"StartAt":"S","States":{"S":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"raise","Payload":{}},
        "Retry":[{"ErrorEquals":["Exception"],"MaxAttempts":2,"IntervalSeconds":1}],
        "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"H"}],"End":true},"H":{"Type":"Pass","End":true}}}"#;
    let f = run(def, &mut r, json!({}));
    assert_eq!(f.outcome.status, ExecutionStatus::Succeeded);
    let attempts = f
        .history
        .iter()
        .filter(|e| e.event_type() == "TaskFailed")
        .count();
    assert_eq!(attempts, 3);
    assert_eq!(
        f.outcome
            .output
            .as_deref()
            .map(|o| o["err"]["Error"].clone()),
        Some(json!("Exception"))
    );
}

#[test]
fn configuration_errors_are_reported() {
    let base = Path::new("/tmp");
    let bad = |text: &str| Config::parse(text, base).map(|_| ()).expect_err("rejected");
    assert_eq!(
        bad("[lambda.functions.f]\ncommand = []\n"),
        ConfigError::Invalid {
            location: "lambda.functions.f.command".into(),
            message: "expected a non-empty list of non-empty strings".into()
        }
    );
    assert!(matches!(
        bad("[lambda.functions.f]\ncommand = [\"x\"]\ntimeout = 901\n"),
        ConfigError::Invalid { location, .. } if location == "lambda.functions.f.timeout"
    ));
    assert!(
        matches!(bad("[lambda.functions.f]\ncommand = [\"x\"]\ncomand = 1\n"), ConfigError::Toml(m) if m.contains("comand"))
    );
    assert!(matches!(bad("[lambda\n"), ConfigError::Toml(_)));
    // Defaults, and cwd relative to the file's folder.
    let c = Config::parse(
        "[server]\nport = 1\n[lambda.functions.f]\ncommand = [\"x\"]\ncwd = \"fns\"\n",
        base,
    )
    .expect("valid");
    assert_eq!(c.lambda.region, "us-east-1");
    let f = &c.lambda.functions["f"];
    assert_eq!(f.timeout, 3);
    assert_eq!(f.cwd.as_deref(), Some(Path::new("/tmp/fns")));
    assert!(matches!(
        Config::load(Path::new("/no/such/stepline.toml")),
        Err(ConfigError::Io { .. })
    ));
}

#[test]
fn a_timeout_also_stops_processes_the_command_started() {
    let dir = TempDir::with(&[]);
    let c = config(
        &dir,
        "[lambda.functions.shell]\ncommand = [\"sh\", \"-c\", \"sleep 30; echo {}\"]\ntimeout = 1\n",
    );
    let mut r = LocalLambdaResolver::new(&c.lambda);
    let started = std::time::Instant::now();
    let f = run(&legacy("shell"), &mut r, json!({}));
    assert!(
        started.elapsed().as_secs() < 10,
        "waited for the grandchild"
    );
    assert_eq!(f.outcome.error.as_deref(), Some("Sandbox.Timedout"));
}

#[test]
fn lambda_invoke_payload_strings_are_the_body_and_null_is_empty() {
    let (_d, mut r) = setup();
    // `"Payload": "0.0"` sends the JSON number 0.0, as Lambda's Invoke API takes the string
    // as the request body.
    let f = run(
        &service(""),
        &mut r,
        json!({"FunctionName": "echo", "Payload": "0.0"}),
    );
    assert_eq!(
        f.outcome.output.as_deref().map(|o| o["Payload"].clone()),
        Some(json!(0.0))
    );
    let f = run(
        &service(""),
        &mut r,
        json!({"FunctionName": "echo", "Payload": "{\"a\": [1]}"}),
    );
    assert_eq!(
        f.outcome.output.as_deref().map(|o| o["Payload"].clone()),
        Some(json!({"a": [1]}))
    );
    // No payload: the function gets {}.
    let f = run(
        &service(""),
        &mut r,
        json!({"FunctionName": "echo", "Payload": null}),
    );
    assert_eq!(
        f.outcome.output.as_deref().map(|o| o["Payload"].clone()),
        Some(json!({}))
    );
}
