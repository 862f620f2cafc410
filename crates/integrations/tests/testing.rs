//! Running test cases with expectations, and the coverage report.

use engine::{ExecutionStatus, NoIntegrations, Program};
use integrations::mock_config::MockConfig;
use integrations::testing::{json_eq, run_test_case, Coverage, Graph};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;

fn fixture(path: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(path),
    )
    .expect("fixture")
}

fn program(text: &str) -> Arc<Program> {
    let m = asl::parse::parse_definition(text).expect("definition");
    Arc::new(Program::compile(&m).expect("compiles"))
}

fn orders() -> (Arc<Program>, Value, MockConfig) {
    let text = fixture("orders/OrderFlow.asl.json");
    let def: Value = serde_json::from_str(&text).expect("json");
    let config = MockConfig::parse(&fixture("orders/MockConfigFile.json")).expect("config");
    (program(&text), def, config)
}

#[test]
fn graph_lists_states_transitions_catchers_and_retriers() {
    let (_, def, _) = orders();
    let g = Graph::of(&def);
    assert_eq!(
        g.states,
        [
            "ChargeCard",
            "IsBig",
            "Review",
            "Notify",
            "Declined",
            "Broken"
        ]
    );
    let t: Vec<(&str, &str)> = g
        .transitions
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(
        t,
        [
            ("ChargeCard", "IsBig"),
            ("IsBig", "Notify"),
            ("IsBig", "Review"),
            ("Review", "Notify")
        ]
    );
    assert_eq!(g.catchers.len(), 2);
    assert_eq!(g.catchers[1].3, "Broken");
    assert_eq!(
        g.retriers,
        [(
            "ChargeCard".to_string(),
            0,
            vec!["Lambda.TooManyRequestsException".to_string()]
        )]
    );
}

#[test]
fn graph_walks_parallel_and_map_bodies() {
    let def = json!({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Next": "M", "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Succeed"}}}]},
        "M": {"Type": "Map", "End": true, "Iterator": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}}}});
    let g = Graph::of(&def);
    assert_eq!(g.states, ["P", "A", "B", "M", "I"]);
    assert_eq!(g.transitions.len(), 2);
}

#[test]
fn expectations_pass_and_fail_with_reasons() {
    let (p, _, config) = orders();
    for case in ["HappyPath", "RetryThenOk", "Declined"] {
        let r = run_test_case(
            p.clone(),
            &config,
            "OrderFlow",
            case,
            Box::new(NoIntegrations::new()),
        )
        .expect("runs");
        assert!(r.passed(), "{case}: {:?}", r.failures);
        assert!(r.has_expectations);
    }
    // The same file with wrong expectations.
    let text = fixture("orders/MockConfigFile.json")
        .replace(
            "\"Output\": {\"charged\": true, \"amount\": 20}\n        },\n        \"RetryThenOk\"",
            "\"Output\": {\"charged\": false}\n        },\n        \"RetryThenOk\"",
        )
        .replace("\"Error\": \"OrderDeclined\"", "\"Error\": \"Other\"");
    let config = MockConfig::parse(&text).expect("config");
    let r = run_test_case(
        p.clone(),
        &config,
        "OrderFlow",
        "HappyPath",
        Box::new(NoIntegrations::new()),
    )
    .expect("runs");
    assert_eq!(
        r.failures,
        [r#"output: expected {"charged":false}, got {"charged":true,"amount":20}"#]
    );
    let r = run_test_case(
        p,
        &config,
        "OrderFlow",
        "Declined",
        Box::new(NoIntegrations::new()),
    )
    .expect("runs");
    assert_eq!(r.status, ExecutionStatus::Failed);
    assert_eq!(
        r.failures,
        [r#"error: expected "Other", got "OrderDeclined""#]
    );
}

#[test]
fn a_status_mismatch_and_unused_mocks_are_reported() {
    let def = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sns:publish","Parameters":{"TopicArn":"t","Message":"m"},"End":true}}}"#;
    let config = MockConfig::parse(
        r#"{"StateMachines":{"M":{"TestCases":{"C":{"T":"Boom","Never":"Boom"}},"Expectations":{"C":{"Status":"SUCCEEDED"}}}},
            "MockedResponses":{"Boom":{"0":{"Throw":{"Error":"SNS.InvalidParameterException","Cause":"bad"}}}}}"#,
    )
    .expect("config");
    let r = run_test_case(
        program(def),
        &config,
        "M",
        "C",
        Box::new(NoIntegrations::new()),
    )
    .expect("runs");
    assert_eq!(r.failures, ["status: expected SUCCEEDED, got FAILED"]);
    assert_eq!(r.unused_mocks, ["Never"]);
    assert_eq!(r.error.as_deref(), Some("SNS.InvalidParameterException"));
}

#[test]
fn the_input_expectation_is_the_execution_input() {
    let def = r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#;
    let config = MockConfig::parse(
        r#"{"StateMachines":{"M":{"TestCases":{"C":{}},"Expectations":{"C":{"Input":{"a":[1,2.0]},"Output":{"a":[1.0,2]}}}}},"MockedResponses":{}}"#,
    )
    .expect("config");
    let r = run_test_case(
        program(def),
        &config,
        "M",
        "C",
        Box::new(NoIntegrations::new()),
    )
    .expect("runs");
    assert!(r.passed(), "{:?}", r.failures);
    assert_eq!(r.output, Some(json!({"a": [1, 2.0]})));
}

#[test]
fn coverage_counts_states_transitions_catch_and_retry_paths() {
    let (p, def, config) = orders();
    let mut cov = Coverage::new(&def);
    let happy = run_test_case(
        p.clone(),
        &config,
        "OrderFlow",
        "HappyPath",
        Box::new(NoIntegrations::new()),
    )
    .expect("runs");
    cov.add(&happy.history);
    let j = cov.to_json();
    assert_eq!(j["states"]["covered"], 3);
    assert_eq!(j["transitions"]["covered"], 2);
    assert_eq!(j["catch"]["covered"], 0);
    assert_eq!(j["retry"]["covered"], 0);
    for case in ["RetryThenOk", "Declined"] {
        let r = run_test_case(
            p.clone(),
            &config,
            "OrderFlow",
            case,
            Box::new(NoIntegrations::new()),
        )
        .expect("runs");
        cov.add(&r.history);
    }
    let j = cov.to_json();
    assert_eq!(j["runs"], 3);
    assert_eq!(
        j["states"],
        json!({"covered": 4, "total": 6, "missing": ["Review", "Broken"]})
    );
    assert_eq!(
        j["transitions"]["missing"],
        json!([{"from": "IsBig", "to": "Review"}, {"from": "Review", "to": "Notify"}])
    );
    assert_eq!(j["catch"]["covered"], 1);
    assert_eq!(
        j["catch"]["missing"],
        json!([{"state": "ChargeCard", "catcher": 1, "errorEquals": ["States.ALL"], "next": "Broken"}])
    );
    assert_eq!(j["retry"], json!({"covered": 1, "total": 1, "missing": []}));
    let text = cov.render();
    assert!(text.contains("states       4/6 (66%)"), "{text}");
    assert!(
        text.contains("catch ChargeCard.Catch[1] States.ALL -> Broken"),
        "{text}"
    );
    assert!(text.contains("transition IsBig -> Review"), "{text}");
}

#[test]
fn a_catch_on_the_second_catcher_is_attributed_to_it() {
    let (p, def, _) = orders();
    let config = MockConfig::parse(
        r#"{"StateMachines":{"OrderFlow":{"TestCases":{"C":{"ChargeCard":"X"}}}},
            "MockedResponses":{"X":{"0":{"Throw":{"Error":"Lambda.ServiceException","Cause":"c"}}}}}"#,
    )
    .expect("config");
    let r = run_test_case(
        p,
        &config,
        "OrderFlow",
        "C",
        Box::new(NoIntegrations::new()),
    )
    .expect("runs");
    assert_eq!(r.error.as_deref(), Some("OrderFailed"));
    let mut cov = Coverage::new(&def);
    cov.add(&r.history);
    let j = cov.to_json();
    assert_eq!(j["catch"]["missing"][0]["catcher"], 0);
    assert_eq!(
        j["retry"]["covered"], 0,
        "the retrier does not match this error"
    );
}

#[test]
fn json_eq_compares_numbers_by_value() {
    assert!(json_eq(&json!({"a": 1}), &json!({"a": 1.0})));
    assert!(!json_eq(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
    assert!(!json_eq(&json!([1, 2]), &json!([2, 1])));
}

#[test]
fn a_parallel_retry_is_attributed_to_the_parallel_state() {
    let text = r#"{"StartAt":"P","States":{"P":{"Type":"Parallel","Retry":[{"ErrorEquals":["Boom"],"IntervalSeconds":1}],"End":true,
        "Branches":[{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sns:publish","Parameters":{"TopicArn":"t","Message":"m"},
        "Retry":[{"ErrorEquals":["Other"]}],"End":true}}}]}}}"#;
    let config = MockConfig::parse(
        r#"{"StateMachines":{"M":{"TestCases":{"C":{"T":"R"}}}},"MockedResponses":{"R":{
            "0":{"Throw":{"Error":"Boom","Cause":"x"}},"1":{"Return":{"MessageId":"1"}}}}}"#,
    )
    .expect("config");
    let r = run_test_case(
        program(text),
        &config,
        "M",
        "C",
        Box::new(NoIntegrations::new()),
    )
    .expect("runs");
    assert_eq!(r.status, ExecutionStatus::Succeeded);
    let mut cov = Coverage::new(&serde_json::from_str(text).expect("json"));
    cov.add(&r.history);
    let j = cov.to_json();
    assert_eq!(j["retry"]["covered"], 1);
    assert_eq!(
        j["retry"]["missing"],
        json!([{"state": "T", "retrier": 0, "errorEquals": ["Other"]}])
    );
}
