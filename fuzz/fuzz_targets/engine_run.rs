//! Builds a state machine from fuzzer bytes (a small generator of Pass/Choice/Wait/Parallel/Map/
//! Fail/Succeed/Task chains with random fields, in JSONPath or JSONata; or, when the input starts
//! with `{`, the bytes as raw definition JSON), runs it to the end on the virtual clock and checks
//! the engine never panics and every run ends. Runs are STANDARD executions, so the 25,000-event
//! history limit bounds loops; a resolver answers tasks from the bytes too.
#![no_main]
use engine::driver::run_to_completion;
use engine::{
    ExecutionContext, ExecutionStatus, Program, SeededEntropy, TaskInvocation, TaskOutcome,
    TaskResolver, Timestamp,
};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// Reads choices from the fuzzer's bytes; zeros once exhausted.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }
    fn pick<'s>(&mut self, items: &[&'s str]) -> &'s str {
        items
            .get(self.byte() as usize % items.len().max(1))
            .copied()
            .unwrap_or("")
    }
    fn flag(&mut self) -> bool {
        self.byte() & 1 == 1
    }
}

const PATHS: &[&str] = &[
    "$", "$.a", "$.b", "$.a[0]", "$.a[*]", "$$.Execution.Input", "$$.State.Name",
    "$$.Map.Item.Index", "$.missing", "$.s", "$.n", "$$.State.RetryCount",
];
const JSONATA: &[&str] = &[
    "{% $states.input %}", "{% $states.input.a %}", "{% $states.input.n + 1 %}",
    "{% $states.result %}", "{% $states.context.State.Name %}", "{% $x %}",
    "{% $states.errorOutput %}", "{% $undefined %}", "{% $states.input.n > 2 %}",
    "{% $range(0, $states.input.n) %}", "{% $partition($states.input.a, 2) %}",
    "{% $hash('x', 'SHA-256') %}", "{% $random(3) %}", "{% $uuid() %}",
    "{% $parse($states.input.s) %}", "{% $eval('1') %}", "{% [1,2,3] %}", "{% 'x' %}",
    "{% 1/0 %}", "{% $string($states.input) %}", "{% $now() %}", "{% $x + 1 %}",
];
const INTRINSICS: &[&str] = &[
    "States.MathAdd($.n, 1)", "States.Array($.a, 1)", "States.StringToJson($.s)",
    "States.JsonToString($)", "States.Format('{} {}', $.n, $.s)", "States.UUID()",
    "States.ArrayRange(0, $.n, 1)", "States.Hash($.s, 'MD5')", "States.ArrayLength($.a)",
    "States.MathRandom(1, 9)", "$x", "$x.y",
];
const ERRORS: &[&str] = &[
    "States.ALL", "States.TaskFailed", "States.Timeout", "States.Runtime", "Custom",
    "States.DataLimitExceeded", "States.QueryEvaluationError", "States.BranchFailed",
    "States.HeartbeatTimeout", "States.NoChoiceMatched",
];

fn value(b: &mut Bytes, depth: u8) -> Value {
    match b.byte() % 9 {
        0 => Value::Null,
        1 => json!(b.flag()),
        2 => json!(b.byte() as i64 - 3),
        3 => json!(b.byte() as f64 / 7.0),
        4 => json!(b.pick(&["", "x", "{\"k\":1}", "[1,2]", "a,b", "2016-03-14T01:59:00Z"])),
        5 if depth < 3 => Value::Array((0..b.byte() % 4).map(|_| value(b, depth + 1)).collect()),
        6 if depth < 3 => {
            let mut m = Map::new();
            for _ in 0..b.byte() % 4 {
                let k = b.pick(&["a", "b", "n", "s", "x.$", "y.$", "z"]).to_string();
                let v = if k.ends_with(".$") {
                    let set = if b.flag() { PATHS } else { INTRINSICS };
                    json!(b.pick(set))
                } else {
                    value(b, depth + 1)
                };
                m.insert(k, v);
            }
            Value::Object(m)
        }
        7 => json!(b.pick(JSONATA)),
        _ => json!(b.pick(PATHS)),
    }
}

fn field(b: &mut Bytes, jsonata: bool) -> Value {
    if jsonata && b.flag() {
        json!(b.pick(JSONATA))
    } else {
        value(b, 0)
    }
}

fn assign(b: &mut Bytes, jsonata: bool) -> Value {
    let mut m = Map::new();
    for _ in 0..b.byte() % 3 {
        let name = b.pick(&["x", "y", "states", "1bad", "x"]);
        if jsonata {
            m.insert(name.to_string(), field(b, true));
        } else if b.flag() {
            m.insert(format!("{name}.$"), json!(b.pick(INTRINSICS)));
        } else {
            m.insert(name.to_string(), value(b, 1));
        }
    }
    Value::Object(m)
}

fn retry_catch(b: &mut Bytes, s: &mut Map<String, Value>, next: &str) {
    if b.flag() {
        s.insert(
            "Retry".into(),
            json!([{"ErrorEquals": [b.pick(ERRORS)], "MaxAttempts": b.byte() % 4,
                    "IntervalSeconds": b.byte() % 3 + 1, "BackoffRate": 1.5,
                    "MaxDelaySeconds": b.byte() as u32 + 1,
                    "JitterStrategy": b.pick(&["FULL", "NONE"])}]),
        );
    }
    if b.flag() {
        s.insert(
            "Catch".into(),
            json!([{"ErrorEquals": [b.pick(ERRORS), "States.ALL"], "Next": next}]),
        );
    }
}

/// A chain of up to 6 states; `depth` bounds nesting of Parallel/Map.
fn machine(b: &mut Bytes, depth: u8) -> Value {
    let n = (b.byte() % 6 + 1) as usize;
    let jsonata_top = b.byte() % 3 == 0;
    let mut states = Map::new();
    for i in 0..n {
        let name = format!("S{i}");
        let next = if i + 1 < n {
            format!("S{}", i + 1)
        } else {
            format!("S{}", b.byte() as usize % n)
        };
        let jsonata = if b.byte() % 5 == 0 { !jsonata_top } else { jsonata_top };
        let mut s = Map::new();
        if jsonata != jsonata_top {
            s.insert(
                "QueryLanguage".into(),
                json!(if jsonata { "JSONata" } else { "JSONPath" }),
            );
        }
        let last = i + 1 == n;
        let kind = b.byte() % 9;
        let mut terminal = false;
        match kind {
            0 | 1 => {
                s.insert("Type".into(), json!("Pass"));
                if jsonata {
                    if b.flag() {
                        s.insert("Output".into(), field(b, true));
                    }
                } else {
                    if b.flag() {
                        s.insert("Result".into(), value(b, 0));
                    }
                    if b.flag() {
                        s.insert("Parameters".into(), value(b, 1));
                    }
                    for key in ["InputPath", "ResultPath", "OutputPath"] {
                        if b.flag() {
                            s.insert(key.into(), json!(b.pick(PATHS)));
                        }
                    }
                }
            }
            2 => {
                s.insert("Type".into(), json!("Choice"));
                let target = format!("S{}", b.byte() as usize % n);
                let rule = if jsonata {
                    json!({"Condition": b.pick(JSONATA), "Next": target})
                } else {
                    let op = b.pick(&[
                        "NumericLessThan", "StringEquals", "IsPresent", "BooleanEquals",
                        "NumericEqualsPath", "IsNumeric", "TimestampLessThan",
                    ]);
                    let arg = match op {
                        "IsPresent" | "IsNumeric" | "BooleanEquals" => json!(b.flag()),
                        "NumericEqualsPath" => json!(b.pick(PATHS)),
                        _ => value(b, 2),
                    };
                    let rule = json!({"Variable": b.pick(PATHS), op: arg, "Next": target});
                    if b.flag() {
                        json!({"Not": rule, "Next": format!("S{}", b.byte() as usize % n)})
                    } else {
                        rule
                    }
                };
                s.insert("Choices".into(), json!([rule]));
                if b.flag() {
                    s.insert("Default".into(), json!(next));
                }
                terminal = true;
                s.insert("__choice_next".into(), Value::Null);
            }
            3 => {
                s.insert("Type".into(), json!("Wait"));
                match (jsonata, b.byte() % 3) {
                    (true, 0) => s.insert("Seconds".into(), field(b, true)),
                    (true, _) => s.insert("Timestamp".into(), field(b, true)),
                    (false, 0) => s.insert("Seconds".into(), json!(b.byte() as u64 * 1000)),
                    (false, 1) => s.insert("SecondsPath".into(), json!(b.pick(PATHS))),
                    (false, _) => s.insert("TimestampPath".into(), json!(b.pick(PATHS))),
                };
            }
            4 => {
                s.insert("Type".into(), json!("Task"));
                s.insert(
                    "Resource".into(),
                    json!(b.pick(&[
                        "arn:aws:states:::lambda:invoke",
                        "arn:aws:lambda:us-east-1:111111111111:function:f",
                        "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                        "arn:aws:states:us-east-1:111111111111:activity:a",
                    ])),
                );
                if jsonata {
                    if b.flag() {
                        s.insert("Arguments".into(), field(b, true));
                    }
                    if b.flag() {
                        s.insert("TimeoutSeconds".into(), field(b, true));
                    }
                } else {
                    if b.flag() {
                        s.insert("Parameters".into(), value(b, 1));
                    }
                    if b.flag() {
                        s.insert("ResultSelector".into(), value(b, 1));
                    }
                    if b.flag() {
                        s.insert("TimeoutSecondsPath".into(), json!(b.pick(PATHS)));
                    } else if b.flag() {
                        s.insert("TimeoutSeconds".into(), json!(b.byte() % 10 + 1));
                        s.insert("HeartbeatSeconds".into(), json!(b.byte() % 10 + 1));
                    }
                }
                retry_catch(b, &mut s, &next);
            }
            5 if depth < 2 => {
                s.insert("Type".into(), json!("Parallel"));
                let branches: Vec<Value> =
                    (0..b.byte() % 3 + 1).map(|_| machine(b, depth + 1)).collect();
                s.insert("Branches".into(), json!(branches));
                retry_catch(b, &mut s, &next);
            }
            6 if depth < 2 => {
                s.insert("Type".into(), json!("Map"));
                s.insert("ItemProcessor".into(), machine(b, depth + 1));
                if jsonata {
                    if b.flag() {
                        s.insert("Items".into(), field(b, true));
                    }
                    if b.flag() {
                        s.insert("ItemSelector".into(), field(b, true));
                    }
                } else {
                    if b.flag() {
                        s.insert("ItemsPath".into(), json!(b.pick(PATHS)));
                    }
                    if b.flag() {
                        s.insert("ItemSelector".into(), value(b, 1));
                    }
                }
                if b.flag() {
                    s.insert("MaxConcurrency".into(), json!(b.byte() % 4));
                }
                if b.flag() {
                    s.insert("ToleratedFailurePercentage".into(), json!(b.byte() % 101));
                }
                retry_catch(b, &mut s, &next);
            }
            7 => {
                s.insert("Type".into(), json!("Fail"));
                terminal = true;
                if jsonata {
                    s.insert("Error".into(), field(b, true));
                    s.insert("Cause".into(), field(b, true));
                } else if b.flag() {
                    s.insert("ErrorPath".into(), json!(b.pick(PATHS)));
                } else {
                    s.insert("Error".into(), json!(b.pick(ERRORS)));
                }
            }
            _ => {
                s.insert("Type".into(), json!("Succeed"));
                terminal = true;
            }
        }
        if b.flag() && !matches!(kind, 7) {
            s.insert("Assign".into(), assign(b, jsonata));
        }
        if s.remove("__choice_next").is_none() && !terminal {
            if last && b.flag() {
                s.insert("End".into(), json!(true));
            } else {
                s.insert("Next".into(), json!(next));
            }
        }
        states.insert(name, Value::Object(s));
    }
    let mut m = json!({"StartAt": "S0", "States": states});
    if jsonata_top {
        m["QueryLanguage"] = json!("JSONata");
    }
    if depth == 0 && b.flag() {
        m["TimeoutSeconds"] = json!(b.byte() as u64 * 100 + 1);
    }
    m
}

/// Answers tasks from the remaining bytes.
struct ByteResolver(Vec<u8>, usize);

impl TaskResolver for ByteResolver {
    fn invoke(&mut self, _inv: &TaskInvocation) -> TaskOutcome {
        let b = self.0.get(self.1 % self.0.len().max(1)).copied().unwrap_or(0);
        self.1 += 1;
        match b % 4 {
            0 => TaskOutcome::Succeeded(json!({"a": [1, 2], "n": b})),
            1 => TaskOutcome::Failed {
                error: Some("Custom".into()),
                cause: Some("boom".into()),
            },
            2 => TaskOutcome::Pending,
            _ => TaskOutcome::Succeeded(json!(b)),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let text;
    let input;
    let mut tail = data.to_vec();
    if data.first() == Some(&b'{') {
        text = String::from_utf8_lossy(data).into_owned();
        input = json!({"a": [1, 2, 3], "n": 2, "s": "{\"k\":1}"});
    } else {
        let mut b = Bytes(data);
        let def = machine(&mut b, 0);
        input = value(&mut b, 0);
        tail = b.0.to_vec();
        text = def.to_string();
    }
    let Ok(machine) = asl::parse::parse_definition(&text) else { return };
    let Ok(program) = Program::compile(&machine) else { return };
    let ctx = ExecutionContext::example("fuzz", "Fuzz", Timestamp(1_700_000_000_000));
    let mut resolver = ByteResolver(tail, 0);
    let f = run_to_completion(
        Arc::new(program),
        input,
        ctx,
        Box::new(SeededEntropy::new(3)),
        &mut resolver,
        true,
    );
    for (i, e) in f.history.iter().enumerate() {
        assert_eq!(e.id, i as u64 + 1, "event ids are consecutive");
        assert!(e.previous_event_id < e.id, "previousEventId points back");
        let _ = serde_json::to_string(e);
    }
    if f.outcome.status == ExecutionStatus::Running {
        // Only a task left pending with no timeout can leave an execution running.
        assert!(f
            .history
            .iter()
            .any(|e| e.event_type().ends_with("Started") || e.event_type() == "TaskSubmitted"));
    }
});
