//! RedriveExecution in the engine: where a closed execution continues, and the continued run.

use engine::driver::{drive_from, run_to_completion, VirtualClock};
use engine::{
    redrive_point, Execution, ExecutionContext, ExecutionStatus, Program, SeededEntropy,
    TaskInvocation, TaskOutcome, TaskResolver, Timestamp,
};
use serde_json::{json, Value};
use std::sync::Arc;

/// Fails the first `fail` invocations, then returns `{"n": <invocations so far>}`.
struct Flaky {
    fail: usize,
    calls: usize,
}

impl TaskResolver for Flaky {
    fn invoke(&mut self, _inv: &TaskInvocation) -> TaskOutcome {
        self.calls += 1;
        if self.calls <= self.fail {
            TaskOutcome::Failed {
                error: Some("Boom".into()),
                cause: Some("first try".into()),
            }
        } else {
            TaskOutcome::Succeeded(json!({"n": self.calls}))
        }
    }
}

fn program(def: &Value) -> Arc<Program> {
    let machine = asl::parse::parse_definition(&def.to_string()).expect("valid definition");
    Arc::new(Program::compile(&machine).expect("compiles"))
}

fn ctx(redrive_count: u64) -> ExecutionContext {
    let mut c = ExecutionContext::example("e", "m", Timestamp(1_700_000_000_000));
    c.redrive_count = redrive_count;
    c
}

fn machine() -> Value {
    json!({"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Assign": {"x": 7}, "Result": {"seed": 1}, "Next": "Work"},
        "Work": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:f",
                 "ResultPath": "$.r", "Next": "Done"},
        "Done": {"Type": "Pass", "Parameters": {"x.$": "$x", "r.$": "$.r", "seed.$": "$.seed",
                 "redrives.$": "$$.Execution.RedriveCount"}, "End": true}}})
}

#[test]
fn a_failed_execution_continues_from_the_failed_state() {
    let p = program(&machine());
    let mut flaky = Flaky { fail: 1, calls: 0 };
    let first = run_to_completion(
        Arc::clone(&p),
        json!({}),
        ctx(0),
        Box::new(SeededEntropy::new(1)),
        &mut flaky,
        true,
    );
    assert_eq!(first.outcome.status, ExecutionStatus::Failed);
    let history: Vec<Value> = first.history.iter().map(|e| e.to_json()).collect();
    let point = redrive_point(&p, &history).expect("redrivable");
    assert_eq!(point.state_name, "Work");
    assert_eq!(point.input, json!({"seed": 1}));
    assert_eq!(
        point.variables,
        json!({"x": 7}).as_object().cloned().unwrap_or_default()
    );
    let last = history.len() as u64;
    assert_eq!(point.last_event_id, last);

    let now = Timestamp(1_700_000_600_000);
    let (ex, step) = Execution::redrive(
        Arc::clone(&p),
        json!({}),
        ctx(1),
        Box::new(SeededEntropy::new(2)),
        &point,
        now,
    );
    let done = drive_from(ex, step, now, &mut flaky, true, &mut VirtualClock);
    assert_eq!(done.outcome.status, ExecutionStatus::Succeeded);
    assert_eq!(
        done.outcome.output.as_deref(),
        Some(&json!({"x": 7, "r": {"n": 2}, "seed": 1, "redrives": 1}))
    );
    let events: Vec<Value> = done.history.iter().map(|e| e.to_json()).collect();
    assert_eq!(events[0]["type"], "ExecutionRedriven");
    assert_eq!(events[0]["id"], last + 1);
    assert_eq!(events[0]["previousEventId"], last);
    assert_eq!(
        events[0]["executionRedrivenEventDetails"]["redriveCount"],
        1
    );
    assert_eq!(events[1]["type"], "TaskStateEntered");
    assert_eq!(events[1]["previousEventId"], last + 1);
    assert_eq!(events[1]["stateEnteredEventDetails"]["name"], "Work");
    let ids: Vec<u64> = events.iter().filter_map(|e| e["id"].as_u64()).collect();
    assert_eq!(
        ids,
        ((last + 1)..=(last + events.len() as u64)).collect::<Vec<_>>()
    );
}

#[test]
fn a_succeeded_execution_has_nothing_to_redrive() {
    let p = program(&machine());
    let done = run_to_completion(
        Arc::clone(&p),
        json!({}),
        ctx(0),
        Box::new(SeededEntropy::new(1)),
        &mut Flaky { fail: 0, calls: 0 },
        true,
    );
    assert_eq!(done.outcome.status, ExecutionStatus::Succeeded);
    let history: Vec<Value> = done.history.iter().map(|e| e.to_json()).collect();
    assert!(redrive_point(&p, &history).is_err());
    assert!(redrive_point(&p, &[]).is_err());
}

/// Records every invocation's parameters; fails those equal to `bad` while `bad_left` > 0.
struct Picky {
    bad: Value,
    bad_left: usize,
    seen: Vec<Value>,
}

impl TaskResolver for Picky {
    fn invoke(&mut self, inv: &TaskInvocation) -> TaskOutcome {
        self.seen.push((*inv.parameters).clone());
        if *inv.parameters == self.bad && self.bad_left > 0 {
            self.bad_left -= 1;
            return TaskOutcome::Failed {
                error: Some("Boom".into()),
                cause: Some("bad item".into()),
            };
        }
        TaskOutcome::Succeeded(json!({"done": *inv.parameters}))
    }
}

fn entered(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| e["stateEnteredEventDetails"]["name"].as_str())
        .map(str::to_string)
        .collect()
}

#[test]
fn a_redriven_parallel_reruns_only_its_failed_branch() {
    let def = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true,
        "Branches": [
            {"StartAt": "A", "States": {
                "A": {"Type": "Pass", "Result": "a", "Next": "A2"},
                "A2": {"Type": "Pass", "End": true}}},
            {"StartAt": "T", "States": {"T": {"Type": "Task",
                "Resource": "arn:aws:lambda:us-east-1:111111111111:function:f", "End": true}}},
            {"StartAt": "C", "States": {"C": {"Type": "Pass", "Result": "c", "End": true}}}]}}});
    let p = program(&def);
    let mut flaky = Flaky { fail: 1, calls: 0 };
    let first = run_to_completion(
        Arc::clone(&p),
        json!({"in": 1}),
        ctx(0),
        Box::new(SeededEntropy::new(1)),
        &mut flaky,
        true,
    );
    assert_eq!(first.outcome.status, ExecutionStatus::Failed);
    let history: Vec<Value> = first.history.iter().map(|e| e.to_json()).collect();
    let point = redrive_point(&p, &history).expect("redrivable");
    assert_eq!(point.state_name, "P");
    assert_eq!(point.input, json!({"in": 1}));
    // Branches run in order until they wait: A and C finished while T's task was out.
    assert_eq!(
        point.completed_children,
        vec![(0, json!("a")), (2, json!("c"))]
    );
    let now = Timestamp(1_700_000_900_000);
    let (ex, step) = Execution::redrive(
        Arc::clone(&p),
        json!({"in": 1}),
        ctx(1),
        Box::new(SeededEntropy::new(3)),
        &point,
        now,
    );
    let done = drive_from(ex, step, now, &mut flaky, true, &mut VirtualClock);
    assert_eq!(done.outcome.status, ExecutionStatus::Succeeded);
    assert_eq!(
        done.outcome.output.as_deref(),
        Some(&json!(["a", {"n": 2}, "c"]))
    );
    let events: Vec<Value> = done.history.iter().map(|e| e.to_json()).collect();
    let names = entered(&events);
    assert!(names.contains(&"T".to_string()), "{names:?}");
    assert!(!names.contains(&"A".to_string()), "{names:?}");
    assert!(!names.contains(&"A2".to_string()), "{names:?}");
    assert!(!names.contains(&"C".to_string()), "{names:?}");
}

#[test]
fn a_redriven_map_reruns_only_its_failed_iterations() {
    let def = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "MaxConcurrency": 1,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:f",
                  "End": true}}}}}});
    let p = program(&def);
    let mut picky = Picky {
        bad: json!(2),
        bad_left: 1,
        seen: Vec::new(),
    };
    let first = run_to_completion(
        Arc::clone(&p),
        json!([1, 2, 3]),
        ctx(0),
        Box::new(SeededEntropy::new(1)),
        &mut picky,
        true,
    );
    assert_eq!(first.outcome.status, ExecutionStatus::Failed);
    assert_eq!(picky.seen, vec![json!(1), json!(2)]);
    let history: Vec<Value> = first.history.iter().map(|e| e.to_json()).collect();
    let point = redrive_point(&p, &history).expect("redrivable");
    assert_eq!(point.state_name, "M");
    assert_eq!(point.completed_children, vec![(0, json!({"done": 1}))]);
    let now = Timestamp(1_700_000_900_000);
    let (ex, step) = Execution::redrive(
        Arc::clone(&p),
        json!([1, 2, 3]),
        ctx(1),
        Box::new(SeededEntropy::new(3)),
        &point,
        now,
    );
    picky.seen.clear();
    let done = drive_from(ex, step, now, &mut picky, true, &mut VirtualClock);
    assert_eq!(done.outcome.status, ExecutionStatus::Succeeded);
    assert_eq!(
        done.outcome.output.as_deref(),
        Some(&json!([{"done": 1}, {"done": 2}, {"done": 3}]))
    );
    assert_eq!(picky.seen, vec![json!(2), json!(3)]);
    let events: Vec<Value> = done.history.iter().map(|e| e.to_json()).collect();
    let started: Vec<u64> = events
        .iter()
        .filter_map(|e| e["mapIterationStartedEventDetails"]["index"].as_u64())
        .collect();
    assert_eq!(started, vec![1, 2]);
}

#[test]
fn a_redriven_distributed_map_runs_its_map_run_again() {
    let def = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "MaxConcurrency": 1,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:f",
                  "End": true}}}}}});
    let p = program(&def);
    let mut picky = Picky {
        bad: json!(2),
        bad_left: 1,
        seen: Vec::new(),
    };
    let first = run_to_completion(
        Arc::clone(&p),
        json!([1, 2]),
        ctx(0),
        Box::new(SeededEntropy::new(1)),
        &mut picky,
        true,
    );
    assert_eq!(first.outcome.status, ExecutionStatus::Failed);
    let history: Vec<Value> = first.history.iter().map(|e| e.to_json()).collect();
    let point = redrive_point(&p, &history).expect("redrivable");
    assert!(point.completed_children.is_empty());
    let now = Timestamp(1_700_000_900_000);
    let (ex, step) = Execution::redrive(
        Arc::clone(&p),
        json!([1, 2]),
        ctx(1),
        Box::new(SeededEntropy::new(3)),
        &point,
        now,
    );
    picky.seen.clear();
    let done = drive_from(ex, step, now, &mut picky, true, &mut VirtualClock);
    assert_eq!(done.outcome.status, ExecutionStatus::Succeeded);
    assert_eq!(picky.seen, vec![json!(1), json!(2)]);
}
