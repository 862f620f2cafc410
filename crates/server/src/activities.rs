//! Activities (Create/Describe/Delete/ListActivities, GetActivityTask) and the task-token
//! answers (SendTaskSuccess/Failure/Heartbeat) for activity and callback tasks.

use crate::ops::Caller;
use crate::protocol::*;
use crate::runtime::{commit, now_ms};
use crate::waiting::{Activity, TokenError};
use crate::AppState;
use engine::Event;
use serde_json::{json, Value};
use std::time::Duration;
use store::Write;

/// The store has no activity table: activities are kept as the tags of this pseudo-ARN
/// (key: the activity ARN, value: `{"name", "creationDate"}`), which every store persists.
const REGISTRY_ARN: &str = "stepline:registry:activities";

/// The longest GetActivityTask waits for a task (AWS: 60 s); overridable for tests with
/// `STEPLINE_ACTIVITY_POLL_SECONDS`.
fn poll_limit() -> Duration {
    let secs = std::env::var("STEPLINE_ACTIVITY_POLL_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(60);
    Duration::from_secs(secs.min(60))
}

/// Serialises changes to the activity list (each write replaces it whole).
static WRITE_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Answers the operations of this module; `None` for any other operation.
pub async fn dispatch(
    st: &AppState,
    caller: &Caller,
    op: &str,
    r: &Req<'_>,
) -> Option<ApiResult<Value>> {
    let res = match op {
        "CreateActivity" => create_activity(st, caller, r).await,
        "DescribeActivity" => describe_activity(st, r),
        "DeleteActivity" => delete_activity(st, r).await,
        "ListActivities" => list_activities(st, r),
        "GetActivityTask" => get_activity_task(st, r).await,
        "SendTaskSuccess" => send_task_success(st, r),
        "SendTaskFailure" => send_task_failure(st, r),
        "SendTaskHeartbeat" => send_task_heartbeat(st, r),
        _ => return None,
    };
    Some(res)
}

fn load(st: &AppState) -> ApiResult<()> {
    Ok(load_activities(&*st.store, &st.rt.waiting)?)
}

/// Reads the activity list from the store once.
pub fn load_activities(
    store: &dyn store::Store,
    waiting: &crate::waiting::Waiting,
) -> Result<(), store::StoreError> {
    if waiting.loaded.get().is_some() {
        return Ok(());
    }
    for (arn, v) in store.tags(REGISTRY_ARN)? {
        let v: Value = serde_json::from_str(&v).unwrap_or(Value::Null);
        let name = v.get("name").and_then(Value::as_str).unwrap_or_default();
        waiting.put_activity(Activity {
            name: name.to_string(),
            creation_ms: v.get("creationDate").and_then(Value::as_i64).unwrap_or(0),
            arn,
        });
    }
    let _ = waiting.loaded.set(());
    Ok(())
}

async fn persist(st: &AppState) -> ApiResult<()> {
    let tags = st
        .rt
        .waiting
        .activities()
        .into_iter()
        .map(|a| {
            let v = json!({"name": a.name, "creationDate": a.creation_ms}).to_string();
            (a.arn, v)
        })
        .collect();
    commit(
        &*st.store,
        vec![Write::SetTags {
            arn: REGISTRY_ARN.into(),
            tags,
        }],
    )
    .await?;
    Ok(())
}

fn not_found(arn: &str) -> ApiError {
    ApiError::new(
        "ActivityDoesNotExist",
        format!("Activity Does Not Exist: '{arn}'"),
    )
}

fn activity_arn<'a>(r: &Req<'a>) -> ApiResult<&'a str> {
    let arn = r.str_req("activityArn")?;
    let a = parse_arn(arn, "activityArn")?;
    if a.resource_type != "activity" || a.parts.len() != 1 {
        return Err(ApiError::invalid_arn(format!("Invalid ARN prefix: {arn}")));
    }
    Ok(arn)
}

async fn create_activity(st: &AppState, caller: &Caller, r: &Req<'_>) -> ApiResult<Value> {
    let name = r.str_req("name")?;
    check_name(name, "name")?;
    load(st)?;
    let arn = format!(
        "arn:aws:states:{}:{}:activity:{name}",
        caller.region, caller.account
    );
    let _g = WRITE_LOCK.lock().await;
    if let Some(a) = st.rt.waiting.activity(&arn) {
        return Ok(json!({"activityArn": a.arn, "creationDate": epoch(a.creation_ms)}));
    }
    let creation_ms = now_ms();
    st.rt.waiting.put_activity(Activity {
        arn: arn.clone(),
        name: name.to_string(),
        creation_ms,
    });
    if let Err(e) = persist(st).await {
        st.rt.waiting.remove_activity(&arn);
        return Err(e);
    }
    Ok(json!({"activityArn": arn, "creationDate": epoch(creation_ms)}))
}

fn describe_activity(st: &AppState, r: &Req<'_>) -> ApiResult<Value> {
    let arn = activity_arn(r)?;
    load(st)?;
    let a = st.rt.waiting.activity(arn).ok_or_else(|| not_found(arn))?;
    Ok(json!({
        "activityArn": a.arn,
        "name": a.name,
        "creationDate": epoch(a.creation_ms),
        "encryptionConfiguration": {"type": "AWS_OWNED_KEY"},
    }))
}

async fn delete_activity(st: &AppState, r: &Req<'_>) -> ApiResult<Value> {
    let arn = activity_arn(r)?;
    load(st)?;
    let _g = WRITE_LOCK.lock().await;
    if st.rt.waiting.remove_activity(arn) {
        persist(st).await?;
    }
    Ok(json!({}))
}

fn list_activities(st: &AppState, r: &Req<'_>) -> ApiResult<Value> {
    let max = r.max_results()?;
    let token = r.next_token(1024)?;
    load(st)?;
    let mut all = st.rt.waiting.activities();
    all.sort_by(|a, b| (a.creation_ms, &a.arn).cmp(&(b.creation_ms, &b.arn)));
    let (page, next) = paginate(all, token, max, 100)?;
    let items: Vec<Value> = page
        .into_iter()
        .map(
            |a| json!({"activityArn": a.arn, "name": a.name, "creationDate": epoch(a.creation_ms)}),
        )
        .collect();
    let mut out = json!({ "activities": items });
    if let Some(n) = next {
        out["nextToken"] = json!(n);
    }
    Ok(out)
}

async fn get_activity_task(st: &AppState, r: &Req<'_>) -> ApiResult<Value> {
    let arn = activity_arn(r)?;
    let worker = r.str_opt("workerName")?;
    if let Some(w) = worker {
        check_len(w, "workerName", 1, 80)?;
    }
    load(st)?;
    if st.rt.waiting.activity(arn).is_none() {
        return Err(not_found(arn));
    }
    let deadline = tokio::time::Instant::now() + poll_limit();
    loop {
        let task = match st.rt.waiting.poll(arn) {
            Ok(t) => t,
            Err((id, mut rx)) => {
                tokio::select! {
                    t = &mut rx => match t {
                        Ok(t) => t,
                        Err(_) => return Ok(json!({})),
                    },
                    _ = tokio::time::sleep_until(deadline) => {
                        st.rt.waiting.cancel_poll(arn, id);
                        // A task handed over between the timeout and the cancel is still ours.
                        match rx.try_recv() {
                            Ok(t) => t,
                            Err(_) => return Ok(json!({})),
                        }
                    }
                }
            }
        };
        // The execution may have ended while the task was queued.
        if st.rt.waiting.lookup(&task.token).is_err() {
            continue;
        }
        st.rt.waiting.mark_started(&task.token);
        let started = Event::TaskStarted {
            task: task.task,
            worker_name: worker.map(str::to_string),
        };
        if !st.rt.deliver(&task.execution_arn, started) {
            st.rt.waiting.forget(&task.token);
            continue;
        }
        return Ok(json!({"taskToken": task.token, "input": task.input.to_string()}));
    }
}

fn token_error(e: TokenError) -> ApiError {
    match e {
        TokenError::Invalid => ApiError::new("InvalidToken", "Invalid Token: 'Invalid token'"),
        TokenError::TimedOut => ApiError::new(
            "TaskTimedOut",
            "Task Timed Out: 'Provided task does not exist anymore'",
        ),
        TokenError::DoesNotExist => ApiError::new(
            "TaskDoesNotExist",
            "Task Does Not Exist: 'Provided task does not exist anymore'",
        ),
    }
}

fn task_token<'a>(r: &Req<'a>) -> ApiResult<&'a str> {
    let t = r.str_req("taskToken")?;
    check_len(t, "taskToken", 1, 2048)?;
    Ok(t)
}

/// Hands `event` (built from the task's id) to the execution owning `token`; `last` when it
/// ends the task (the token answers no more).
fn answer(
    st: &AppState,
    token: &str,
    last: bool,
    event: impl FnOnce(u64) -> Event,
) -> ApiResult<Value> {
    let info = st.rt.waiting.lookup(token).map_err(token_error)?;
    if !st.rt.deliver(&info.execution_arn, event(info.task)) {
        st.rt.waiting.forget(token);
        return Err(token_error(TokenError::TimedOut));
    }
    if last {
        st.rt.waiting.forget(token);
    }
    Ok(json!({}))
}

fn send_task_success(st: &AppState, r: &Req<'_>) -> ApiResult<Value> {
    let token = task_token(r)?;
    let text = r.str_req("output")?;
    check_len(text, "output", 0, 256 * 1024)?;
    let output: Value = serde_json::from_str(text).map_err(|_| {
        ApiError::new(
            "InvalidOutput",
            format!("Invalid Output: '{text}' is not valid JSON"),
        )
    })?;
    answer(st, token, true, |task| Event::TaskSucceeded {
        task,
        output,
    })
}

fn send_task_failure(st: &AppState, r: &Req<'_>) -> ApiResult<Value> {
    let token = task_token(r)?;
    let error = r.str_opt("error")?;
    let cause = r.str_opt("cause")?;
    if let Some(e) = error {
        check_len(e, "error", 0, 256)?;
    }
    if let Some(c) = cause {
        check_len(c, "cause", 0, 32768)?;
    }
    let (error, cause) = (error.map(str::to_string), cause.map(str::to_string));
    answer(st, token, true, |task| Event::TaskFailed {
        task,
        error,
        cause,
    })
}

fn send_task_heartbeat(st: &AppState, r: &Req<'_>) -> ApiResult<Value> {
    let token = task_token(r)?;
    answer(st, token, false, |task| Event::TaskHeartbeat { task })
}
