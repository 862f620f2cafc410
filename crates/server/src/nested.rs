//! Nested executions: a Task on `arn:aws:states:::states:startExecution` (request-response,
//! `.sync`, `.sync:2`, `.waitForTaskToken`) is performed by the server itself: it starts the
//! child through StartExecution and answers the parent's task as AWS does.
//!
//! Durable without extra records: a child started by a task the journal shows as started is
//! not started again; a child name derived from the parent and the task makes a start retried
//! after a crash find the child it already created. A parent waiting on a child (`.sync`)
//! follows the child's status in the store, so the wait resumes after a restart, and stops
//! the child when the parent closes first (StopExecution propagates to children).

use crate::ops::{dispatch, Caller};
use crate::runtime::Runtime;
use crate::AppState;
use engine::{Event, TaskInvocation};
use serde_json::{json, Map, Value};
use std::sync::Arc;
use std::time::Duration;

/// How often a parent waiting on a child reads the child's status.
const FOLLOW_EVERY: Duration = Duration::from_millis(250);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    RequestResponse,
    Sync,
    SyncV2,
    WaitForTaskToken,
}

fn mode_of(resource: &str) -> Option<Mode> {
    let rest = resource.strip_prefix("arn:")?;
    let (_partition, rest) = rest.split_once(':')?;
    Some(match rest.strip_prefix("states:::states:startExecution")? {
        "" => Mode::RequestResponse,
        ".sync" => Mode::Sync,
        ".sync:2" => Mode::SyncV2,
        ".waitForTaskToken" => Mode::WaitForTaskToken,
        _ => return None,
    })
}

/// Whether a task starts a nested execution.
pub fn is_child(inv: &TaskInvocation) -> bool {
    mode_of(&inv.resource).is_some()
}

/// A stable child name for a task given no `Name`: the same after a restart.
fn derived_name(parent: &str, task: u64) -> String {
    let fnv = |seed: u64| {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
        for b in parent.bytes().chain(task.to_le_bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h
    };
    let (a, b) = (fnv(1), fnv(2));
    let hex = format!("{a:016x}{b:016x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn caller_of(parent_arn: &str, rt: &Runtime) -> Caller {
    let parts: Vec<&str> = parent_arn.split(':').collect();
    Caller {
        region: parts.get(3).map_or(rt.region.clone(), |s| s.to_string()),
        account: parts.get(4).map_or(rt.account.clone(), |s| s.to_string()),
    }
}

fn ms(v: i64) -> Value {
    json!(v)
}

/// The child's DescribeExecution as the `.sync` integrations return it.
fn describe(rec: &store::ExecutionRecord, parsed: bool) -> Value {
    let text = |t: &str| -> Value {
        if parsed {
            serde_json::from_str(t).unwrap_or(Value::Null)
        } else {
            Value::String(t.to_string())
        }
    };
    let mut m = Map::new();
    if let Some(c) = &rec.cause {
        m.insert("Cause".into(), json!(c));
    }
    if let Some(e) = &rec.error {
        m.insert("Error".into(), json!(e));
    }
    m.insert("ExecutionArn".into(), json!(rec.arn));
    m.insert("Input".into(), text(&rec.input));
    m.insert("InputDetails".into(), json!({"Included": true}));
    m.insert("Name".into(), json!(rec.name));
    if let Some(o) = &rec.output {
        m.insert("Output".into(), text(o));
        m.insert("OutputDetails".into(), json!({"Included": true}));
    }
    // As DescribeExecution gives them (AWS added them with redrive, November 2023).
    m.insert("RedriveCount".into(), json!(rec.redrive_count));
    match rec.status.as_str() {
        "RUNNING" | "SUCCEEDED" => {
            m.insert("RedriveStatus".into(), json!("NOT_REDRIVABLE"));
            m.insert(
                "RedriveStatusReason".into(),
                json!(format!(
                    "Execution is {} and cannot be redriven",
                    rec.status
                )),
            );
        }
        _ => {
            m.insert("RedriveStatus".into(), json!("REDRIVABLE"));
        }
    }
    m.insert("StartDate".into(), ms(rec.start_date));
    m.insert("StateMachineArn".into(), json!(rec.state_machine_arn));
    m.insert("Status".into(), json!(rec.status));
    if let Some(s) = rec.stop_date {
        m.insert("StopDate".into(), ms(s));
    }
    Value::Object(m)
}

/// Performs a nested-execution task (its token, if any, is registered by the caller).
pub fn invoke(rt: &Arc<Runtime>, parent_arn: &str, inv: &TaskInvocation, started: bool) {
    let Some(mode) = mode_of(&inv.resource) else {
        return;
    };
    let rt = rt.clone();
    let parent = parent_arn.to_string();
    let inv = inv.clone();
    tokio::spawn(async move {
        let task = inv.task;
        match run(&rt, &parent, &inv, mode, started).await {
            Ok(Some(output)) => {
                rt.deliver(&parent, Event::TaskSucceeded { task, output });
            }
            Ok(None) => {}
            Err((error, cause)) => {
                rt.deliver(
                    &parent,
                    Event::TaskFailed {
                        task,
                        error: Some(error),
                        cause: Some(cause),
                    },
                );
            }
        }
    });
}

async fn run(
    rt: &Arc<Runtime>,
    parent: &str,
    inv: &TaskInvocation,
    mode: Mode,
    started: bool,
) -> Result<Option<Value>, (String, String)> {
    let p = inv.parameters.as_object();
    let get = |k: &str| p.and_then(|m| m.get(k));
    let machine = get("StateMachineArn")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let name = get("Name")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| derived_name(parent, inv.task));
    let input = match get("Input") {
        None | Some(Value::Null) => "{}".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    };
    let caller = caller_of(parent, rt);
    let st = AppState {
        store: rt.store.clone(),
        rt: rt.clone(),
        region: rt.region.clone(),
        account: rt.account.clone(),
    };
    let child_arn = match machine.split(':').collect::<Vec<_>>().as_slice() {
        [_, _, _, region, account, "stateMachine", m, ..] => {
            format!("arn:aws:states:{region}:{account}:execution:{m}:{name}")
        }
        _ => String::new(),
    };
    let mut start_date = None;
    if !started {
        let mut body = Map::new();
        body.insert("stateMachineArn".into(), json!(machine));
        body.insert("name".into(), json!(name));
        body.insert("input".into(), json!(input));
        match dispatch(&st, &caller, "StartExecution", &body).await {
            Ok(v) => {
                start_date = v
                    .get("startDate")
                    .and_then(Value::as_f64)
                    .map(|d| (d * 1000.0) as i64);
            }
            // Started before a crash: the same child.
            Err(e) if e.kind == "ExecutionAlreadyExists" && !child_arn.is_empty() => {}
            Err(e) => {
                // As AWS words a failed service call (the task counts as started).
                return Err((
                    format!(
                        "StepFunctions.{}Exception",
                        e.kind.trim_end_matches("Exception")
                    ),
                    format!(
                        "{} (Service: AWSStepFunctions; Status Code: 400; Error Code: {}; Request ID: {}; Proxy: null)",
                        e.message,
                        e.kind,
                        uuid::Uuid::new_v4()
                    ),
                ));
            }
        }
    }
    let start = || -> i64 {
        start_date.unwrap_or_else(|| {
            st.store
                .execution(&child_arn)
                .ok()
                .flatten()
                .map_or(0, |r| r.start_date)
        })
    };
    if !started {
        // `.sync` and `.waitForTaskToken` record the StartExecution answer (`TaskSubmitted`,
        // which also counts as started); request-response ends with it.
        let event = match mode {
            Mode::RequestResponse => Event::TaskStarted {
                task: inv.task,
                worker_name: None,
            },
            _ => Event::TaskSubmitted {
                task: inv.task,
                output: start_answer(&child_arn, start()),
            },
        };
        rt.deliver(parent, event);
    }
    match mode {
        Mode::WaitForTaskToken => Ok(None),
        Mode::RequestResponse => Ok(Some(start_answer(&child_arn, start()))),
        Mode::Sync | Mode::SyncV2 => follow(rt, parent, &child_arn, mode == Mode::SyncV2).await,
    }
}

/// StartExecution's answer as the integration gives it: `{ExecutionArn, StartDate}` with the
/// SDK's view of the HTTP response (`SdkHttpMetadata`, `SdkResponseMetadata`), as AWS records it.
fn start_answer(child_arn: &str, start_ms: i64) -> Value {
    let request_id = uuid::Uuid::new_v4().to_string();
    let body = json!({"executionArn": child_arn, "startDate": start_ms as f64 / 1000.0});
    let length = body.to_string().len().to_string();
    let date = http_date(crate::runtime::now_ms());
    let content_type = "application/x-amz-json-1.0";
    json!({
        "ExecutionArn": child_arn,
        "SdkHttpMetadata": {
            "AllHttpHeaders": {
                "x-amzn-RequestId": [request_id],
                "connection": ["keep-alive"],
                "Content-Length": [length],
                "Date": [date],
                "Content-Type": [content_type],
            },
            "HttpHeaders": {
                "connection": "keep-alive",
                "Content-Length": length,
                "Content-Type": content_type,
                "Date": date,
                "x-amzn-RequestId": request_id,
            },
            "HttpStatusCode": 200,
        },
        "SdkResponseMetadata": {"RequestId": request_id},
        "StartDate": ms(start_ms),
    })
}

/// An HTTP `Date` header (RFC 7231 IMF-fixdate) for a Unix time in milliseconds.
fn http_date(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[days.rem_euclid(7) as usize],
        MONTHS[(month - 1).clamp(0, 11) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Waits for the child to close; stops it when the parent closes first.
async fn follow(
    rt: &Arc<Runtime>,
    parent: &str,
    child: &str,
    parsed: bool,
) -> Result<Option<Value>, (String, String)> {
    loop {
        let rec = match rt.store.execution(child) {
            Ok(Some(r)) => r,
            Ok(None) => return Ok(None),
            Err(_) => {
                tokio::time::sleep(FOLLOW_EVERY).await;
                continue;
            }
        };
        if rec.status != "RUNNING" {
            let d = describe(&rec, parsed);
            return if rec.status == "SUCCEEDED" {
                Ok(Some(d))
            } else {
                let error = match rec.status.as_str() {
                    "TIMED_OUT" => "States.Timeout",
                    _ => "States.TaskFailed",
                };
                Err((error.to_string(), d.to_string()))
            };
        }
        if !rt.is_running(parent) {
            // The parent closed (stopped, failed, timed out): the child stops with it.
            let _ = rt
                .stop(
                    child,
                    None,
                    Some(format!("The parent execution {parent} closed")),
                )
                .await;
            return Ok(None);
        }
        tokio::time::sleep(FOLLOW_EVERY).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates() {
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(
            http_date(1_764_113_298_000),
            "Tue, 25 Nov 2025 23:28:18 GMT"
        );
        assert_eq!(http_date(951_782_400_000), "Tue, 29 Feb 2000 00:00:00 GMT");
    }
}
