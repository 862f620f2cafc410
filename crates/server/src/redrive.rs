//! `RedriveExecution`: a closed Standard execution (FAILED, TIMED_OUT, ABORTED) continues
//! from the top-level state that did not finish (`engine::redrive`).
//!
//! The redrive is one durable step: the record reopens (`Write::RedriveExecution`) and the
//! redrive's events are appended with a journal marker that heads the new journal. A replay
//! after a restart finds the marker, rebuilds the redrive from the history recorded before it
//! and replays the journal after it.

use crate::protocol::{epoch, ApiError, ApiResult, Req};
use crate::runtime::{close_of, commit, events_json, now_ms, Pending, Runtime};
use crate::AppState;
use engine::{Execution, Program, SeededEntropy, Step, Timestamp};
use serde_json::{json, Value};
use std::sync::Arc;
use store::{Append, ExecutionRecord, JournalEntry, Write};

/// AWS redrives executions that closed at most 14 days ago.
const REDRIVE_WINDOW_MS: i64 = 14 * 24 * 3600 * 1000;

/// The journal marker of a redrive: the id of the last event recorded before it.
fn marker_json(last_event_id: u64) -> String {
    json!({"k": "redrive", "lastEventId": last_event_id}).to_string()
}

/// Whether a journal event is a redrive marker (not an engine event).
pub fn is_marker(v: &Value) -> bool {
    v.get("k").and_then(Value::as_str) == Some("redrive")
}

/// `(last event id before the redrive, redrive time)` when `j` is a redrive marker.
pub fn marker(j: &JournalEntry) -> Option<(u64, i64)> {
    let v: Value = serde_json::from_str(&j.event).ok()?;
    if !is_marker(&v) {
        return None;
    }
    Some((v.get("lastEventId")?.as_u64()?, j.at))
}

/// The entropy of redrive number `count`: fresh task tokens and UUIDs, reproducible.
fn seed(rec: &ExecutionRecord, count: u64) -> u64 {
    rec.seed ^ count.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The redrive's first step, from the history recorded up to `last_event_id`.
fn redrive_step(
    rt: &Runtime,
    rec: &ExecutionRecord,
    program: Arc<Program>,
    input: Value,
    last_event_id: u64,
    at: i64,
) -> Result<(Execution, Step), String> {
    let history: Vec<Value> = rt
        .store
        .history(&rec.arn)
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|(id, _)| *id <= last_event_id)
        .filter_map(|(_, text)| serde_json::from_str(&text).ok())
        .collect();
    let point = engine::redrive_point(&program, &history).map_err(|e| e.to_string())?;
    let ctx = rt.context(rec, false);
    Ok(Execution::redrive(
        program,
        input,
        ctx,
        Box::new(SeededEntropy::new(seed(rec, rec.redrive_count))),
        &point,
        Timestamp::from_millis(at),
    ))
}

/// Rebuilds a redriven execution for a replay (`marker` from the head of its journal).
pub fn rebuild(
    rt: &Runtime,
    rec: &ExecutionRecord,
    program: Arc<Program>,
    input: Value,
    marker: (u64, i64),
) -> Result<(Execution, Step), String> {
    redrive_step(rt, rec, program, input, marker.0, marker.1)
}

/// Why a redrive was refused.
pub enum RedriveRefused {
    NotRedrivable(String),
    Internal(String),
}

/// Redrives `rec` (closed); returns the redrive date.
pub async fn redrive(rt: &Arc<Runtime>, rec: &ExecutionRecord) -> Result<i64, RedriveRefused> {
    let not = |m: String| RedriveRefused::NotRedrivable(m);
    let internal = |m: String| RedriveRefused::Internal(m);
    let program = rt
        .program(None, &rec.definition, "STANDARD")
        .map_err(internal)?;
    let input: Value = serde_json::from_str(&rec.input).map_err(|e| internal(e.to_string()))?;
    let history = rt
        .store
        .history(&rec.arn)
        .map_err(|e| internal(e.to_string()))?;
    let last_event_id = history.iter().map(|(id, _)| *id).max().unwrap_or(0);
    if last_event_id >= engine::MAX_HISTORY_EVENTS - 1 {
        return Err(not(format!(
            "Execution cannot be redriven: its history has reached {last_event_id} events"
        )));
    }
    let mut reopened = rec.clone();
    reopened.redrive_count = rec.redrive_count + 1;
    reopened.status = "RUNNING".into();
    let at = now_ms();
    let (ex, step) = redrive_step(rt, &reopened, program, input, last_event_id, at).map_err(not)?;
    let mut pending = Pending::default();
    let (added, _) = pending.note(&step.effects);
    let close = pending.outcome.as_ref().map(|o| close_of(o, at));
    let eo = rt.obs.begin(&*rt.store, &reopened, Some(0));
    pending.obs = Some(eo.clone());
    commit(
        &*rt.store,
        vec![
            Write::RedriveExecution {
                arn: rec.arn.clone(),
                redrive_count: reopened.redrive_count,
            },
            Write::Append(Append {
                execution_arn: rec.arn.clone(),
                journal: Some(JournalEntry {
                    seq: 1,
                    at,
                    event: marker_json(last_event_id),
                }),
                events: events_json(&step, None),
                timers_added: added,
                timers_removed: Vec::new(),
                close: close.clone(),
            }),
        ],
    )
    .await
    .map_err(|e| {
        // Another redrive reopened it first.
        if e.to_string().contains("no closed execution") {
            not("Execution is RUNNING and cannot be redriven".into())
        } else {
            internal(e.to_string())
        }
    })?;
    rt.obs.on_step(&eo, None, &step);
    if close.is_none() {
        rt.spawn(rec.arn.clone(), ex, pending, 1, true, None);
    }
    Ok(at)
}

/// `redriveDate` of DescribeExecution: when the last redrive happened.
pub fn redrive_date(st: &AppState, rec: &ExecutionRecord) -> Option<i64> {
    if rec.redrive_count == 0 {
        return None;
    }
    let history = st.store.history(&rec.arn).ok()?;
    history.iter().rev().find_map(|(_, text)| {
        let v: Value = serde_json::from_str(text).ok()?;
        if v.get("type")?.as_str()? != "ExecutionRedriven" {
            return None;
        }
        Some((v.get("timestamp")?.as_f64()? * 1000.0).round() as i64)
    })
}

/// The API operation.
pub async fn redrive_execution(st: &AppState, r: &Req<'_>) -> ApiResult<Value> {
    if let Some(t) = r.str_opt("clientToken")? {
        crate::protocol::check_len(t, "clientToken", 1, 64)?;
    }
    let rec = crate::ops::get_execution(st, r)?;
    let refuse = |m: String| ApiError::new("ExecutionNotRedrivable", m);
    match rec.status.as_str() {
        "FAILED" | "TIMED_OUT" | "ABORTED" => {}
        s => return Err(refuse(format!("Execution is {s} and cannot be redriven"))),
    }
    if st.rt.is_running(&rec.arn) {
        return Err(refuse("Execution is RUNNING and cannot be redriven".into()));
    }
    if rec
        .stop_date
        .is_some_and(|s| now_ms() - s > REDRIVE_WINDOW_MS)
    {
        return Err(refuse(
            "Execution cannot be redriven: it closed more than 14 days ago".into(),
        ));
    }
    match redrive(&st.rt, &rec).await {
        Ok(at) => Ok(json!({"redriveDate": epoch(at)})),
        Err(RedriveRefused::NotRedrivable(m)) => Err(refuse(m)),
        Err(RedriveRefused::Internal(m)) => Err(ApiError::internal(m)),
    }
}
