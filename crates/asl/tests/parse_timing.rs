//! Rough timing of parse + validate on a 200-state definition (run with `--ignored
//! --nocapture`; a criterion bench needs `criterion` in asl's dev-dependencies).

use asl::parse::parse_definition;
use serde_json::{json, Map};
use std::time::Instant;

#[test]
#[ignore]
fn parse_validate_200_states() {
    let mut states = Map::new();
    for i in 0..200 {
        let next = format!("S{}", i + 1);
        let state = match i % 4 {
            0 => {
                json!({"Type": "Pass", "Parameters": {"a.$": "$.x", "b.$": "States.Format('{}', $.y)"}, "ResultPath": "$.r", "Next": next})
            }
            1 => {
                json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f", "Payload.$": "$"}, "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}], "Catch": [{"ErrorEquals": ["States.ALL"], "Next": next.clone()}], "Next": next})
            }
            2 => {
                json!({"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 1, "Next": next.clone()}], "Default": next})
            }
            _ => json!({"Type": "Wait", "Seconds": 1, "Next": next}),
        };
        states.insert(format!("S{i}"), state);
    }
    states.insert("S200".into(), json!({"Type": "Succeed"}));
    let text = json!({"StartAt": "S0", "States": states}).to_string();
    let runs = 200;
    let start = Instant::now();
    for _ in 0..runs {
        let m = parse_definition(&text).expect("valid");
        assert_eq!(m.states.len(), 201);
    }
    let per = start.elapsed() / runs;
    println!(
        "parse+validate of a 200-state definition ({} bytes): {per:?} per run",
        text.len()
    );
}
