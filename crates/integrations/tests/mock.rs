//! MockConfigFile loading, validation and MockResolver behaviour, including AWS's documentation
//! example run unchanged.

use engine::driver::{run_to_completion, Finished};
use engine::{
    EventDetails, ExecutionContext, ExecutionStatus, Program, SeededEntropy, TaskInvocation,
    TaskOutcome, TaskResolver, Timestamp,
};
use integrations::mock_config::{MockConfig, MockConfigError, MockOutcome};
use integrations::{mock_resolver_from_file, MockResolver};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn program(definition: &str) -> Arc<Program> {
    let machine = asl::parse::parse_definition(definition).expect("valid definition");
    Arc::new(Program::compile(&machine).expect("compiles"))
}

fn run_with(definition: &str, resolver: &mut dyn TaskResolver, input: Value) -> Finished {
    let ctx = ExecutionContext::example("t", "M", Timestamp::from_millis(1_700_000_000_000));
    run_to_completion(
        program(definition),
        input,
        ctx,
        Box::new(SeededEntropy::new(1)),
        resolver,
        true,
    )
}

fn run(definition: &str, config: &str, case: &str, input: Value) -> Finished {
    let config = MockConfig::parse(config).expect("valid mock config");
    let mut r = MockResolver::new(&config, "M", case).expect("test case exists");
    run_with(definition, &mut r, input)
}

fn task_results(f: &Finished) -> Vec<Value> {
    f.history
        .iter()
        .filter_map(|e| match &e.details {
            EventDetails::TaskSucceeded { output, .. }
            | EventDetails::LambdaFunctionSucceeded { output } => Some(json!({"ok": **output})),
            EventDetails::TaskFailed(_, ec) | EventDetails::LambdaFunctionFailed(ec) => {
                Some(json!({"error": ec.error, "cause": ec.cause}))
            }
            _ => None,
        })
        .collect()
}

fn doc_config() -> MockConfig {
    MockConfig::load(&fixtures().join("aws-doc/MockConfigFile.json")).expect("doc example loads")
}

fn doc_definition() -> String {
    std::fs::read_to_string(fixtures().join("aws-doc/LambdaSQSIntegration.asl.json"))
        .expect("fixture")
}

fn doc_run(case: &str, fallback: Box<dyn TaskResolver + Send>) -> Finished {
    let mut r = MockResolver::with_fallback(&doc_config(), "LambdaSQSIntegration", case, fallback)
        .expect("test case");
    run_with(&doc_definition(), &mut r, json!({}))
}

const SQS_MOCK: &str = r#"{"MD5OfMessageBody":"3bcb6e8e-7h85-4375-b0bc-1a59812c6e51","MessageId":"3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"}"#;

#[test]
fn doc_example_loads_with_its_three_cases_and_four_responses() {
    let c = doc_config();
    let m = c.state_machine("LambdaSQSIntegration").expect("machine");
    let names: Vec<&str> = m.test_cases.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["HappyPath", "RetryPath", "HybridPath"]);
    assert_eq!(c.mocked_responses.len(), 4);
    let retry = &c.mocked_responses["MockedLambdaRetry"];
    assert_eq!(
        retry
            .steps
            .iter()
            .map(|s| (s.first, s.last))
            .collect::<Vec<_>>(),
        [(0, 0), (1, 2), (3, 3)]
    );
    assert!(
        matches!(retry.at(2), Some(MockOutcome::Throw { error, .. }) if error == "Lambda.TimeoutException")
    );
    assert!(matches!(retry.at(3), Some(MockOutcome::Return(_))));
    assert_eq!(retry.at(4), None);
    assert!(c.warnings().is_empty(), "{:?}", c.warnings());
}

#[test]
fn doc_example_happy_path() {
    let f = doc_run("HappyPath", Box::new(engine::NoIntegrations::new()));
    assert_eq!(f.outcome.status, ExecutionStatus::Succeeded);
    let sqs: Value = serde_json::from_str(SQS_MOCK).expect("json");
    assert_eq!(f.outcome.output.as_deref(), Some(&sqs));
    // lambda:invoke yields the mocked Invoke response as written, StatusCode and all.
    assert_eq!(
        task_results(&f),
        [
            json!({"ok": {"StatusCode": 200, "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}}),
            json!({"ok": sqs}),
        ]
    );
}

#[test]
fn doc_example_retry_path_consumes_one_response_per_attempt() {
    let f = doc_run("RetryPath", Box::new(engine::NoIntegrations::new()));
    assert_eq!(f.outcome.status, ExecutionStatus::Succeeded);
    let r = task_results(&f);
    assert_eq!(r.len(), 5);
    assert_eq!(
        r[0],
        json!({"error": "Lambda.ResourceNotReadyException", "cause": "Lambda resource is not ready."})
    );
    assert_eq!(
        r[1],
        json!({"error": "Lambda.TimeoutException", "cause": "Lambda timed out."})
    );
    assert_eq!(r[2], r[1]);
    assert_eq!(r[3]["ok"]["Payload"]["body"], "Hello from Lambda!");
}

struct Recording(Vec<String>);

impl TaskResolver for Recording {
    fn invoke(&mut self, inv: &TaskInvocation) -> TaskOutcome {
        self.0.push(inv.state_name.to_string());
        TaskOutcome::Succeeded(json!({"real": inv.state_name.to_string()}))
    }
}

#[test]
fn doc_example_hybrid_path_calls_the_fallback_for_unmocked_states() {
    let f = doc_run("HybridPath", Box::new(Recording(Vec::new())));
    assert_eq!(f.outcome.status, ExecutionStatus::Succeeded);
    assert_eq!(
        f.outcome.output.as_deref(),
        Some(&json!({"real": "SQSState"}))
    );
    // Without a fallback integration the unmocked SQS call fails the execution.
    let f = doc_run("HybridPath", Box::new(engine::NoIntegrations::new()));
    assert_eq!(f.outcome.status, ExecutionStatus::Failed);
}

const ONE_TASK: &str = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f","Payload.$":"$"},"End":true}}}"#;

#[test]
fn an_invocation_without_a_response_fails_with_states_runtime() {
    let config = r#"{"StateMachines":{"M":{"TestCases":{"C":{"T":"R"}}}},
        "MockedResponses":{"R":{"1":{"Return":1}}}}"#;
    let f = run(ONE_TASK, config, "C", json!({}));
    assert_eq!(f.outcome.status, ExecutionStatus::Failed);
    assert_eq!(f.outcome.error.as_deref(), Some("States.Runtime"));
    let cause = f.outcome.cause.unwrap_or_default();
    assert!(cause.contains("'T'") && cause.contains("'0'"), "{cause}");
}

#[test]
fn states_runtime_from_a_missing_response_is_not_caught() {
    let def = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f"},
        "Catch":[{"ErrorEquals":["States.ALL"],"Next":"H"}],"End":true},"H":{"Type":"Pass","End":true}}}"#;
    let config =
        r#"{"StateMachines":{"M":{"TestCases":{"C":{"T":"R"}}}},"MockedResponses":{"R":{}}}"#;
    let f = run(def, config, "C", json!({}));
    assert_eq!(f.outcome.status, ExecutionStatus::Failed);
    assert_eq!(f.outcome.error.as_deref(), Some("States.Runtime"));
}

#[test]
fn a_test_case_naming_an_unknown_response_fails_when_the_state_runs() {
    let config = r#"{"StateMachines":{"M":{"TestCases":{"C":{"T":"Nope"}}}},"MockedResponses":{}}"#;
    let parsed = MockConfig::parse(config).expect("loads: resolved lazily as SFN Local does");
    assert_eq!(
        parsed.warnings(),
        ["StateMachines.M.TestCases.C.T: no mocked response named 'Nope'"]
    );
    let f = run(ONE_TASK, config, "C", json!({}));
    assert_eq!(f.outcome.error.as_deref(), Some("States.Runtime"));
    assert!(f.outcome.cause.unwrap_or_default().contains("'Nope'"));
}

#[test]
fn invocations_are_counted_per_state_across_loop_iterations() {
    // A repeat-until loop: the same state is entered again (not retried) and must get "1".
    let def = r#"{"StartAt":"T","States":{
        "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f"},"ResultSelector":{"s.$":"$.Payload.status"},"Next":"C"},
        "C":{"Type":"Choice","Choices":[{"Variable":"$.s","StringEquals":"done","Next":"E"}],"Default":"T"},
        "E":{"Type":"Succeed"}}}"#;
    let config = r#"{"StateMachines":{"M":{"TestCases":{"Loop":{"T":"R"}}}},"MockedResponses":{"R":{
        "0-1":{"Return":{"StatusCode":200,"Payload":{"status":"running"}}},
        "2":{"Return":{"StatusCode":200,"Payload":{"status":"done"}}}}}}"#;
    let f = run(def, config, "Loop", json!({}));
    assert_eq!(f.outcome.status, ExecutionStatus::Succeeded);
    assert_eq!(f.outcome.output.as_deref(), Some(&json!({"s": "done"})));
    assert_eq!(task_results(&f).len(), 3);
}

#[test]
fn map_iterations_share_the_state_counter() {
    let def = r#"{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":1,"ItemsPath":"$.items",
        "ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","Parameters":{"QueueUrl":"q","MessageBody.$":"$"},"End":true}}},"End":true}}}"#;
    let config = r#"{"StateMachines":{"M":{"TestCases":{"C":{"T":"R"}}}},"MockedResponses":{"R":{
        "0":{"Return":"first"},"1":{"Return":"second"},"2":{"Return":"third"}}}}"#;
    let f = run(def, config, "C", json!({"items": [1, 2, 3]}));
    assert_eq!(f.outcome.status, ExecutionStatus::Succeeded);
    assert_eq!(
        f.outcome.output.as_deref(),
        Some(&json!(["first", "second", "third"]))
    );
}

#[test]
fn legacy_lambda_arn_yields_the_mocked_payload() {
    let def = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:f","End":true}}}"#;
    let config = r#"{"StateMachines":{"M":{"TestCases":{"C":{"T":"R"},"Raw":{"T":"Plain"}}}},"MockedResponses":{
        "R":{"0":{"Return":{"StatusCode":200,"Payload":{"body":"string body"}}}},
        "Plain":{"0":{"Return":[1,2]}}}}"#;
    let f = run(def, config, "C", json!({}));
    assert_eq!(
        f.outcome.output.as_deref(),
        Some(&json!({"body": "string body"}))
    );
    assert!(f
        .history
        .iter()
        .any(|e| matches!(e.details, EventDetails::LambdaFunctionSucceeded { .. })));
    // A Return that is not an Invoke response is the result as written.
    let f = run(def, config, "Raw", json!({}));
    assert_eq!(f.outcome.output.as_deref(), Some(&json!([1, 2])));
}

#[test]
fn throw_is_caught_by_its_error_name() {
    let def = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:getItem","Parameters":{"TableName":"t","Key":{}},
        "Catch":[{"ErrorEquals":["DynamoDB.ResourceNotFoundException"],"Next":"H"}],"End":true},"H":{"Type":"Pass","End":true}}}"#;
    let config = r#"{"StateMachines":{"M":{"TestCases":{"C":{"T":"R"}}}},"MockedResponses":{"R":{
        "0":{"Throw":{"Error":"DynamoDB.ResourceNotFoundException","Cause":"no table"}}}}}"#;
    let f = run(def, config, "C", json!({}));
    assert_eq!(f.outcome.status, ExecutionStatus::Succeeded);
    assert_eq!(
        f.outcome.output.as_deref(),
        Some(&json!({"Error": "DynamoDB.ResourceNotFoundException", "Cause": "no table"}))
    );
}

#[test]
fn resolver_reports_unused_mocks_and_counts() {
    let config = MockConfig::parse(
        r#"{"StateMachines":{"M":{"TestCases":{"C":{"T":"R","Other":"R"}}}},"MockedResponses":{"R":{"0":{"Return":1}}}}"#,
    )
    .expect("config");
    let mut r = MockResolver::new(&config, "M", "C").expect("case");
    let f = run_with(ONE_TASK, &mut r, json!({}));
    assert_eq!(f.outcome.status, ExecutionStatus::Succeeded);
    assert_eq!(r.invocation_counts().get("T"), Some(&1));
    assert_eq!(r.unused_mocks(), ["Other"]);
}

#[test]
fn unknown_machine_and_test_case_are_errors() {
    let c = doc_config();
    assert_eq!(
        MockResolver::new(&c, "Nope", "HappyPath").map(|_| ()),
        Err(MockConfigError::UnknownStateMachine("Nope".into()))
    );
    let e = MockResolver::new(&c, "LambdaSQSIntegration", "Sad")
        .map(|_| ())
        .expect_err("unknown case");
    assert_eq!(
        e.to_string(),
        "No definitions for test case 'Sad' and state machine 'LambdaSQSIntegration' in the mock configuration file."
    );
}

#[test]
fn mock_resolver_from_file_reads_the_file() {
    let path = fixtures().join("aws-doc/MockConfigFile.json");
    let mut r = mock_resolver_from_file(&path, "LambdaSQSIntegration", "HappyPath").expect("ok");
    let f = run_with(&doc_definition(), &mut r, json!({}));
    assert_eq!(f.outcome.status, ExecutionStatus::Succeeded);
    let missing = mock_resolver_from_file(Path::new("/no/such/file.json"), "M", "C")
        .map(|_| ())
        .expect_err("missing file");
    assert!(matches!(missing, MockConfigError::Io { .. }));
    assert!(missing
        .to_string()
        .starts_with("Failed to open mock configuration file '/no/such/file.json'."));
}

fn load_err(text: &str) -> String {
    MockConfig::parse(text)
        .map(|_| ())
        .expect_err("should be rejected")
        .to_string()
}

#[test]
fn malformed_files_are_rejected_with_their_location() {
    let cases: &[(&str, &str)] = &[
        ("[]", "at '$': the mock configuration must be a JSON object"),
        (r#"{"MockedResponses":{}}"#, "at 'StateMachines': Field required"),
        (r#"{"StateMachines":{}}"#, "at 'MockedResponses': Field required"),
        (r#"{"StateMachines":[],"MockedResponses":{}}"#, "at 'StateMachines': expected an object, got an array"),
        (r#"{"StateMachines":{"M":{}},"MockedResponses":{}}"#, "at 'StateMachines.M.TestCases': Field required"),
        (r#"{"StateMachines":{"M":{"TestCases":{"C":{"S":1}}}},"MockedResponses":{}}"#,
            "at 'StateMachines.M.TestCases.C.S': expected the name of a mocked response (a string), got a number"),
        (r#"{"StateMachines":{},"MockedResponses":{"R":{"x":{"Return":1}}}}"#, "invalid invocation range 'x'"),
        (r#"{"StateMachines":{},"MockedResponses":{"R":{"1-2-3":{"Return":1}}}}"#, "invalid invocation range '1-2-3'"),
        (r#"{"StateMachines":{},"MockedResponses":{"R":{"2-1":{"Return":1}}}}"#, "the end is before the start"),
        (r#"{"StateMachines":{},"MockedResponses":{"R":{"-1":{"Return":1}}}}"#, "invalid invocation range '-1'"),
        (r#"{"StateMachines":{},"MockedResponses":{"R":{"0":{"Return":1,"Throw":{"Error":"a","Cause":"b"}}}}}"#,
            "at 'MockedResponses.R.\"0\"': Response cannot contain both 'Return' and 'Throw'"),
        (r#"{"StateMachines":{},"MockedResponses":{"R":{"0":{}}}}"#, "Response must contain one of 'Return' or 'Throw'"),
        (r#"{"StateMachines":{},"MockedResponses":{"R":{"0":{"Throw":{"Error":"E"}}}}}"#,
            "at 'MockedResponses.R.\"0\".Throw.Cause': Field required"),
        (r#"{"StateMachines":{},"MockedResponses":{"R":{"0":{"Throw":{"Error":5,"Cause":"c"}}}}}"#,
            "at 'MockedResponses.R.\"0\".Throw.Error': expected a string, got a number"),
        (r#"{"StateMachines":{},"MockedResponses":{"R":{"0-2":{"Return":1},"2":{"Return":2}}}}"#,
            "invocation range '2' overlaps the range '0-2'"),
        (r#"{"StateMachines":{},"MockedResponses":{"R":{"0":{"Return":1,"Extra":2}}}}"#, "MockedResponses.R.\"0\".Extra"),
        (r#"{"StateMachines":{},"MockedResponses":{"R":{"99999999999999999999999":{"Return":1}}}}"#, "too large"),
        (r#"{"StateMachines":{"M":{"TestCases":{},"Expectations":{"C":{"Status":"DONE"}}}},"MockedResponses":{}}"#,
            "at 'StateMachines.M.Expectations.C.Status': expected one of SUCCEEDED"),
        (r#"{"StateMachines":{"M":{"TestCases":{},"Expectations":{"C":{"Outptu":1}}}},"MockedResponses":{}}"#,
            "StateMachines.M.Expectations.C.Outptu': unknown field"),
    ];
    for (text, want) in cases {
        let got = load_err(text);
        assert!(
            got.contains(want),
            "for {text}\n  got:  {got}\n  want: {want}"
        );
    }
    assert!(load_err("{not json").starts_with("Malformed JSON in mock configuration file:"));
}

#[test]
fn gaps_and_empty_responses_load_with_warnings() {
    let c = MockConfig::parse(
        r#"{"StateMachines":{"M":{"TestCases":{"C":{"T":"R"}},"Expectations":{"Ghost":{}}}},
            "MockedResponses":{"R":{"1":{"Return":1},"4-5":{"Return":2}},"E":{}}}"#,
    )
    .expect("loads");
    assert_eq!(
        c.warnings(),
        [
            "StateMachines.M.Expectations.Ghost: no test case of that name",
            "MockedResponses.E: defines no invocation",
            "MockedResponses.R: no response for invocation 0",
            "MockedResponses.R: no response for invocations 2-3",
        ]
    );
    // Whitespace around numbers is accepted, as LocalStack's parser strips it.
    let c = MockConfig::parse(
        r#"{"StateMachines":{},"MockedResponses":{"R":{" 0 - 1 ":{"Return":1}}}}"#,
    )
    .expect("loads");
    assert_eq!(c.mocked_responses["R"].steps[0].last, 1);
}

#[test]
fn return_may_be_any_json_value() {
    for v in ["null", "\"text\"", "42", "[1]", "true"] {
        let config = format!(
            r#"{{"StateMachines":{{"M":{{"TestCases":{{"C":{{"T":"R"}}}}}}}},"MockedResponses":{{"R":{{"0":{{"Return":{v}}}}}}}}}"#
        );
        let f = run(ONE_TASK, &config, "C", json!({}));
        let want: Value = serde_json::from_str(v).expect("json");
        assert_eq!(f.outcome.output.as_deref(), Some(&want), "{v}");
    }
}
