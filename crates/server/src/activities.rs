//! Activities (Create/Describe/Delete/ListActivities, GetActivityTask) and the task-token
//! answers (SendTaskSuccess/Failure/Heartbeat) for activity and callback tasks.

use crate::ops::Caller;
use crate::protocol::*;
use crate::runtime::{commit, now_ms};
use crate::waiting::TokenError;
use crate::AppState;
use engine::Event;
use serde_json::{json, Value};
use std::time::Duration;
use store::{ActivityFilter, ActivityRecord, Write};

/// Where activities were kept before the store had an activity table: the tags of this
/// pseudo-ARN (key: the activity ARN, value: `{"name", "creationDate"}`). Moved to the table
/// on start by [`migrate_registry`].
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
        "SendTaskSuccess" => send_task_success(st, r).await,
        "SendTaskFailure" => send_task_failure(st, r).await,
        "SendTaskHeartbeat" => send_task_heartbeat(st, r).await,
        _ => return None,
    };
    Some(res)
}

/// Moves the activities of a data directory or database from before the activity table
/// (see [`REGISTRY_ARN`]) into it, once: the registry is emptied in the same submission.
/// Returns how many were moved. Idempotent, so nodes starting together may both run it.
pub fn migrate_registry(store: &dyn store::Store) -> Result<usize, store::StoreError> {
    let registry = store.tags(REGISTRY_ARN)?;
    if registry.is_empty() {
        return Ok(0);
    }
    let n = registry.len();
    let mut writes: Vec<Write> = registry
        .into_iter()
        .map(|(arn, v)| {
            let v: Value = serde_json::from_str(&v).unwrap_or(Value::Null);
            let name = match v.get("name").and_then(Value::as_str) {
                Some(n) => n.to_string(),
                None => arn.rsplit(':').next().unwrap_or_default().to_string(),
            };
            Write::CreateActivity {
                activity: ActivityRecord {
                    arn,
                    name,
                    creation_date: v.get("creationDate").and_then(Value::as_i64).unwrap_or(0),
                },
                tags: Vec::new(),
            }
        })
        .collect();
    writes.push(Write::SetTags {
        arn: REGISTRY_ARN.into(),
        tags: Vec::new(),
    });
    store.write(writes)?;
    Ok(n)
}

/// Does the activity exist? A store that cannot be read says yes: the task waits rather than
/// fails.
pub fn exists(store: &dyn store::Store, arn: &str) -> bool {
    store.activity(arn).map_or(true, |a| a.is_some())
}

fn describe(a: &ActivityRecord) -> Value {
    json!({"activityArn": a.arn, "name": a.name, "creationDate": epoch(a.creation_date)})
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
    let tags = crate::ops::parse_tags(r)?;
    let arn = format!(
        "arn:aws:states:{}:{}:activity:{name}",
        caller.region, caller.account
    );
    if tags.len() > 50 {
        return Err(crate::ops::too_many_tags(&arn));
    }
    // The same name again is the same activity (AWS: tags of the repeat are ignored); the
    // store decides, so two nodes creating it together get one.
    let activity = ActivityRecord {
        arn: arn.clone(),
        name: name.to_string(),
        creation_date: now_ms(),
    };
    commit(&*st.store, vec![Write::CreateActivity { activity, tags }]).await?;
    let a = st
        .store
        .activity(&arn)?
        .ok_or_else(|| ApiError::internal("the activity was deleted as it was created"))?;
    Ok(json!({"activityArn": a.arn, "creationDate": epoch(a.creation_date)}))
}

fn describe_activity(st: &AppState, r: &Req<'_>) -> ApiResult<Value> {
    let arn = activity_arn(r)?;
    let a = st.store.activity(arn)?.ok_or_else(|| not_found(arn))?;
    let mut out = describe(&a);
    out["encryptionConfiguration"] = json!({"type": "AWS_OWNED_KEY"});
    Ok(out)
}

async fn delete_activity(st: &AppState, r: &Req<'_>) -> ApiResult<Value> {
    let arn = activity_arn(r)?;
    commit(&*st.store, vec![Write::DeleteActivity(arn.to_string())]).await?;
    Ok(json!({}))
}

const PAGE_PREFIX: &str = "stepline:activity:";

/// A ListActivities `nextToken`: the page ends after this `(creation date, ARN)`.
fn page_token(a: &ActivityRecord) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(format!("{PAGE_PREFIX}{}:{}", a.creation_date, a.arn))
}

fn page_after(token: &str) -> ApiResult<(i64, String)> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| {
            let rest = s.strip_prefix(PAGE_PREFIX)?;
            let (date, arn) = rest.split_once(':')?;
            Some((date.parse::<i64>().ok()?, arn.to_string()))
        })
        .ok_or_else(|| ApiError::new("InvalidToken", format!("Invalid Token: '{token}'")))
}

fn list_activities(st: &AppState, r: &Req<'_>) -> ApiResult<Value> {
    let max = r.max_results()?;
    let token = r.next_token(1024)?;
    let max = if max == 0 { 100 } else { max };
    let after = token.map(page_after).transpose()?;
    let mut page = st.store.activities(&ActivityFilter {
        after,
        limit: Some(max.saturating_add(1)),
    })?;
    let more = page.len() > max;
    page.truncate(max);
    let items: Vec<Value> = page.iter().map(describe).collect();
    let mut out = json!({ "activities": items });
    if let Some(last) = page.last().filter(|_| more) {
        out["nextToken"] = json!(page_token(last));
    }
    Ok(out)
}

async fn get_activity_task(st: &AppState, r: &Req<'_>) -> ApiResult<Value> {
    let arn = activity_arn(r)?;
    let worker = r.str_opt("workerName")?;
    if let Some(w) = worker {
        check_len(w, "workerName", 1, 80)?;
    }
    if st.store.activity(arn)?.is_none() {
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
        // Handed over once its start is durable: after a crash an unstarted task is offered
        // again, and one a worker holds is not.
        if st
            .rt
            .deliver_durable(&task.execution_arn, started)
            .await
            .is_none()
        {
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

/// Hands `event` (built from the task's id) to the execution owning `token` and answers once
/// the step handling it is durable, so a worker told "done" never loses its answer to a
/// crash; `last` when it ends the task (the token answers no more).
async fn answer(
    st: &AppState,
    token: &str,
    last: bool,
    event: impl FnOnce(u64) -> Event,
) -> ApiResult<Value> {
    let info = st.rt.waiting.lookup(token).map_err(token_error)?;
    let arn = info.execution_arn;
    if !st.rt.is_running(&arn) {
        st.rt.waiting.forget(token);
        return Err(token_error(TokenError::TimedOut));
    }
    if st
        .rt
        .deliver_durable(&arn, event(info.task))
        .await
        .is_none()
    {
        // The execution ended before it took the answer (the task timed out, say), or the
        // step could not be written (a store failure, a lease lost to another node).
        if st
            .store
            .execution(&arn)?
            .is_some_and(|e| e.status == "RUNNING")
        {
            return Err(ApiError::internal(
                "the answer could not be recorded; send it again",
            ));
        }
        st.rt.waiting.forget(token);
        return Err(token_error(TokenError::TimedOut));
    }
    if last {
        st.rt.waiting.forget(token);
    }
    Ok(json!({}))
}

async fn send_task_success(st: &AppState, r: &Req<'_>) -> ApiResult<Value> {
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
    .await
}

async fn send_task_failure(st: &AppState, r: &Req<'_>) -> ApiResult<Value> {
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
    .await
}

async fn send_task_heartbeat(st: &AppState, r: &Req<'_>) -> ApiResult<Value> {
    let token = task_token(r)?;
    answer(st, token, false, |task| Event::TaskHeartbeat { task }).await
}
