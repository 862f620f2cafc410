//! Several `stepline serve` nodes on one PostgreSQL database.
//!
//! Work distribution: the node that takes a StartExecution owns the execution (its lease,
//! token 0, is written with it); a load balancer in front of the nodes shares new work. Each
//! node renews its leases every third of the lease time. When a node dies its leases expire
//! and the others claim the executions in small batches (`FOR UPDATE SKIP LOCKED`, so they
//! share the backlog) and replay each from its journal, as restart recovery does. A node
//! stopping cleanly releases its leases, and the release's NOTIFY makes the others claim at
//! once. Every step is fenced by the lease token: a node that lost a lease cannot commit (the
//! store answers [`store::StoreError::LeaseLost`]) and stops driving that execution.
//!
//! API calls on an execution another node drives go through the `inbox` table: the node
//! receiving the call posts it (NOTIFY wakes the others), the node that holds what the call
//! needs (the running execution, the task token) answers it with its own local dispatch, and
//! the first node posts that answer back to its client. GetActivityTask posts a poll that a
//! node with a queued task of that activity answers; the answer is reserved first and written
//! only once the task's `TaskStarted` is durable, so a task reaches at most one worker even
//! when a node dies in between (an undelivered task is offered again after the replay).
//! SendTask* is answered once the answer is durable, so a node dying right after loses none.

use crate::ops::Caller;
use crate::protocol::{ApiError, ApiResult};
use crate::waiting::{ActivityTask, TokenError, Waiting};
use crate::AppState;
use engine::Event;
use serde_json::{json, Map, Value};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use store::postgres::{Message, PostgresStore};
use tokio::sync::Notify;

/// Executions claimed per claim round: small, so nodes claiming a dead node's backlog
/// together each take a share.
const CLAIM_BATCH: usize = 64;
/// How often a node looks at the inbox and the leases without being woken.
const TICK: Duration = Duration::from_millis(100);
/// The reply of a poll a node took a task for, until that task's start is durable.
const RESERVED: &str = "reserved";
/// The reply of a poll whose task could not be handed over (its execution ended).
const NONE: &str = "none";

/// This node in a cluster.
pub struct Cluster {
    pg: Arc<PostgresStore>,
    st: OnceLock<AppState>,
    lease_ms: i64,
    /// Messages this node is answering (so a later look at the inbox does not take them
    /// again).
    busy: Mutex<HashSet<i64>>,
    /// Woken when some node answered a message (pollers and forwarders re-read theirs).
    replies: Notify,
    stopping: AtomicBool,
    stop: Notify,
    /// Set when the node starts stopping: calls waiting on other nodes give up, so the
    /// graceful shutdown does not wait for them.
    draining: AtomicBool,
    claimed: AtomicU64,
    forwarded: AtomicU64,
}

fn now() -> Instant {
    Instant::now()
}

/// Runs blocking store work off the async workers.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    tokio::task::spawn_blocking(f).await.ok()
}

/// `ApiError` names are static; the ones read back from another node are one of the few this
/// server produces, interned once.
fn intern(kind: &str) -> &'static str {
    static KINDS: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    let Ok(mut k) = KINDS.lock() else {
        return "InternalFailure";
    };
    if let Some(s) = k.iter().find(|s| **s == kind) {
        return s;
    }
    if k.len() > 256 {
        return "InternalFailure";
    }
    let s: &'static str = Box::leak(kind.to_string().into_boxed_str());
    k.push(s);
    s
}

fn reply_json(r: &ApiResult<Value>) -> String {
    match r {
        Ok(v) => json!({ "ok": v }).to_string(),
        Err(e) => json!({ "err": e.to_json() }).to_string(),
    }
}

fn reply_result(text: &str) -> ApiResult<Value> {
    let v: Value = serde_json::from_str(text)
        .map_err(|_| ApiError::internal("unreadable answer from another node"))?;
    if let Some(ok) = v.get("ok") {
        return Ok(ok.clone());
    }
    let e = v.get("err").cloned().unwrap_or(Value::Null);
    Err(ApiError::new(
        intern(e["__type"].as_str().unwrap_or("InternalFailure")),
        e["message"].as_str().unwrap_or_default(),
    ))
}

/// Takes a queued task of `activity` on this node without waiting.
fn take_local(w: &Waiting, activity: &str) -> Option<ActivityTask> {
    loop {
        match w.poll(activity) {
            Ok(t) if w.lookup(&t.token).is_ok() => return Some(t),
            Ok(_) => continue,
            Err((id, mut rx)) => {
                w.cancel_poll(activity, id);
                // A task handed over between the poll and the cancel is ours.
                return rx.try_recv().ok().filter(|t| w.lookup(&t.token).is_ok());
            }
        }
    }
}

/// The longest GetActivityTask waits (as `activities.rs`).
fn poll_limit() -> Duration {
    let secs = std::env::var("STEPLINE_ACTIVITY_POLL_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(60);
    Duration::from_secs(secs.min(60))
}

impl Cluster {
    /// Joins the cluster: claims the executions no live node holds, then keeps claiming,
    /// renewing and answering the inbox until [`Cluster::shutdown`].
    pub fn start(st: AppState, pg: Arc<PostgresStore>, lease_ms: i64) -> Arc<Cluster> {
        let c = Arc::new(Cluster {
            pg,
            st: OnceLock::new(),
            lease_ms,
            busy: Mutex::new(HashSet::new()),
            replies: Notify::new(),
            stopping: AtomicBool::new(false),
            stop: Notify::new(),
            draining: AtomicBool::new(false),
            claimed: AtomicU64::new(0),
            forwarded: AtomicU64::new(0),
        });
        let _ = st.rt.cluster.set(c.clone());
        let _ = c.st.set(st);
        let me = c.clone();
        tokio::spawn(async move { me.run().await });
        c
    }

    fn st(&self) -> Option<&AppState> {
        self.st.get()
    }

    /// Executions this node claimed from others so far.
    pub fn claimed(&self) -> u64 {
        self.claimed.load(Ordering::Relaxed)
    }

    /// API calls this node forwarded to others so far.
    pub fn forwarded(&self) -> u64 {
        self.forwarded.load(Ordering::Relaxed)
    }

    /// The node stops taking calls: the ones waiting on other nodes withdraw and answer now.
    pub fn drain(&self) {
        self.draining.store(true, Ordering::SeqCst);
        self.replies.notify_waiters();
    }

    fn draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// Stops the loop and releases every lease this node holds, so the others take its
    /// executions over at once. The executions still in memory here can no longer commit.
    pub fn shutdown(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.stop.notify_waiters();
        // The last requests answered (SendTaskSuccess, say) handed events to executions
        // that commit them in a moment: let them, or the answers would be lost.
        std::thread::sleep(Duration::from_millis(300));
        let held: Vec<String> = self
            .pg
            .leases()
            .unwrap_or_default()
            .into_iter()
            .map(|l| l.execution_arn)
            .collect();
        // Released first: from here on no step of this node commits (a step being committed
        // right now keeps its row, and its lease runs out instead), so nothing this node
        // still does while its executions wind down (a parent stopping its child, say) lands.
        if let Err(e) = self.pg.release(&held) {
            eprintln!("stepline: releasing leases: {e}");
        }
        if let Some(st) = self.st() {
            for arn in &held {
                st.rt.abandon(arn);
            }
        }
    }

    async fn run(self: Arc<Self>) {
        let me = self.clone();
        let mut notes = match blocking(move || me.pg.listen()).await {
            Some(Ok(rx)) => Some(rx),
            _ => {
                eprintln!("stepline: cannot LISTEN; polling the inbox every {TICK:?}");
                None
            }
        };
        let renew_every = Duration::from_millis((self.lease_ms / 3).max(20) as u64);
        let mut last_renew = now();
        let mut claim_due = true;
        let mut last_claim = now();
        let mut last_inbox = now();
        loop {
            let mut inbox = false;
            tokio::select! {
                n = async {
                    match notes.as_mut() {
                        Some(rx) => rx.recv().await,
                        None => std::future::pending().await,
                    }
                } => match n {
                    Some(p) => self.note(&p, &mut inbox, &mut claim_due),
                    None => notes = None,
                },
                _ = tokio::time::sleep(TICK) => inbox = true,
                _ = self.stop.notified() => return,
            }
            if let Some(rx) = notes.as_mut() {
                while let Ok(p) = rx.try_recv() {
                    self.note(&p, &mut inbox, &mut claim_due);
                }
            }
            if self.stopping.load(Ordering::SeqCst) {
                return;
            }
            // Also when woken often by other news: polls no node could answer when posted
            // wait for a task queued since.
            if last_inbox.elapsed() >= TICK {
                inbox = true;
            }
            if inbox {
                last_inbox = now();
            }
            let renew = last_renew.elapsed() >= renew_every;
            if renew {
                last_renew = now();
            }
            if last_claim.elapsed() >= renew_every {
                claim_due = true;
            }
            let claim = claim_due;
            if claim {
                last_claim = now();
            }
            let me = self.clone();
            let more = blocking(move || me.work(inbox, renew, claim))
                .await
                .unwrap_or(false);
            // A full batch: there is more to claim, next time round.
            claim_due = more;
        }
    }

    fn note(&self, payload: &str, inbox: &mut bool, claim: &mut bool) {
        match payload {
            "inbox" => *inbox = true,
            "reply" => self.replies.notify_waiters(),
            _ => *claim = true,
        }
    }

    /// One round of blocking work; `true` when a claim took a full batch.
    fn work(self: &Arc<Self>, inbox: bool, renew: bool, claim: bool) -> bool {
        let Some(st) = self.st() else {
            return false;
        };
        if renew {
            match self.pg.renew_leases() {
                Ok(lost) => {
                    for arn in lost {
                        st.rt.abandon(&arn);
                    }
                }
                Err(e) => eprintln!("stepline: renewing leases: {e}"),
            }
        }
        let mut more = false;
        if claim && !self.stopping.load(Ordering::SeqCst) {
            match self.pg.claim_executions(CLAIM_BATCH) {
                Ok(claimed) => {
                    more = claimed.len() == CLAIM_BATCH;
                    for (rec, _) in claimed {
                        if st.rt.is_running(&rec.arn) {
                            // This node's own lease ran out before it renewed (a stalled
                            // machine) and it took the execution back: the new token is in
                            // place and the execution goes on here, no replay needed.
                            continue;
                        }
                        self.claimed.fetch_add(1, Ordering::Relaxed);
                        if let Err(e) = st.rt.resume(&rec) {
                            eprintln!("stepline: cannot take over {}: {e}", rec.arn);
                        }
                    }
                }
                Err(e) => eprintln!("stepline: claiming executions: {e}"),
            }
        }
        if inbox {
            match self.pg.open_messages() {
                Ok(messages) => {
                    for m in messages {
                        self.consider(st, m);
                    }
                }
                Err(e) => eprintln!("stepline: reading the inbox: {e}"),
            }
        }
        more
    }

    /// Answers `m` when this node holds what it needs.
    fn consider(self: &Arc<Self>, st: &AppState, m: Message) {
        let mine = match m.kind.as_str() {
            "op" => {
                st.rt.is_running(&m.target)
                    || (crate::waiting::well_formed_token(&m.target)
                        && st
                            .rt
                            .waiting
                            .lookup(&m.target)
                            .is_ok_and(|t| st.rt.is_running(&t.execution_arn)))
            }
            "poll" => true,
            _ => false,
        };
        if !mine {
            return;
        }
        {
            let Ok(mut busy) = self.busy.lock() else {
                return;
            };
            if !busy.insert(m.id) {
                return;
            }
        }
        if m.kind == "poll" {
            self.offer_task(st, m);
            return;
        }
        let me = self.clone();
        let st = st.clone();
        tokio::spawn(async move {
            let id = m.id;
            let r = match serde_json::from_str::<Value>(&m.body) {
                Ok(Value::Object(b)) => {
                    let caller = Caller {
                        region: b["region"].as_str().unwrap_or(&st.region).to_string(),
                        account: b["account"].as_str().unwrap_or(&st.account).to_string(),
                    };
                    let op = b["op"].as_str().unwrap_or_default();
                    let req = b["request"].as_object().cloned().unwrap_or_default();
                    // SendTask* answers once the answer is durable (see `activities.rs`): a
                    // node may die or hand the execution over right after.
                    crate::ops::dispatch(&st, &caller, op, &req).await
                }
                _ => Err(ApiError::internal("unreadable forwarded call")),
            };
            let text = reply_json(&r);
            let pg = me.pg.clone();
            blocking(move || pg.answer_message(id, &text)).await;
            if let Ok(mut b) = me.busy.lock() {
                b.remove(&id);
            }
        });
    }

    /// A poller somewhere waits on an activity: hand it a task queued here, if any.
    fn offer_task(self: &Arc<Self>, st: &AppState, m: Message) {
        let done = |me: &Cluster| {
            if let Ok(mut b) = me.busy.lock() {
                b.remove(&m.id);
            }
        };
        let w = &st.rt.waiting;
        let Some(task) = take_local(w, &m.target) else {
            return done(self);
        };
        match self.pg.answer_message(m.id, RESERVED) {
            Ok(true) => {}
            _ => {
                // Answered elsewhere or withdrawn: the task stays here for the next poller.
                w.requeue(&m.target, task);
                return done(self);
            }
        }
        let worker = serde_json::from_str::<Value>(&m.body)
            .ok()
            .and_then(|v| v["worker"].as_str().map(str::to_string));
        let me = self.clone();
        let st = st.clone();
        let id = m.id;
        tokio::spawn(async move {
            let reply = match hand_over(&st, &task, worker).await {
                Some(v) => v.to_string(),
                None => NONE.to_string(),
            };
            let pg = me.pg.clone();
            blocking(move || pg.finish_message(id, &reply)).await;
            if let Ok(mut b) = me.busy.lock() {
                b.remove(&id);
            }
        });
    }

    /// API calls that must reach another node; `None`: answer here as usual.
    pub async fn intercept(
        self: &Arc<Self>,
        st: &AppState,
        caller: &Caller,
        op: &str,
        body: &Map<String, Value>,
    ) -> Option<ApiResult<Value>> {
        match op {
            "StopExecution" => {
                let arn = body.get("executionArn")?.as_str()?.to_string();
                if st.rt.is_running(&arn) {
                    return None;
                }
                let store = st.store.clone();
                let a = arn.clone();
                let rec = blocking(move || store.execution(&a)).await?.ok()??;
                if rec.status != "RUNNING" {
                    return None;
                }
                // `None` (nobody drives it yet): answer from the record.
                self.forward(caller, op, &arn, body).await
            }
            "SendTaskSuccess" | "SendTaskFailure" | "SendTaskHeartbeat" => {
                let token = body.get("taskToken")?.as_str()?;
                match st.rt.waiting.lookup(token) {
                    Err(TokenError::DoesNotExist) => {}
                    // Known here from before another node took its execution over.
                    Ok(t) if !st.rt.is_running(&t.execution_arn) => {}
                    // Runs here (answered once the answer is durable: see `activities.rs`), or
                    // a token error answered here.
                    _ => return None,
                }
                let r = self.forward(caller, op, token, body).await;
                Some(r.unwrap_or_else(|| {
                    Err(ApiError::new(
                        "TaskDoesNotExist",
                        "Task Does Not Exist: 'Provided task does not exist anymore'",
                    ))
                }))
            }
            "GetActivityTask" => {
                // The checks (ARN, worker name, the activity exists: the activity table is
                // shared, so any node's create or delete shows at once) are the local ones.
                let mut probe = Map::new();
                probe.insert("activityArn".into(), body.get("activityArn")?.clone());
                if let Err(e) = crate::ops::dispatch(st, caller, "DescribeActivity", &probe).await {
                    return Some(Err(e));
                }
                let worker = match body.get("workerName") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(w)) => {
                        if let Err(e) = crate::protocol::check_len(w, "workerName", 1, 80) {
                            return Some(Err(e));
                        }
                        Some(w.clone())
                    }
                    Some(_) => return None,
                };
                let arn = body.get("activityArn")?.as_str()?.to_string();
                Some(Ok(self.get_activity_task(st, &arn, worker).await))
            }
            _ => None,
        }
    }

    /// Posts a call for the node that holds `target` and waits for its answer; `None` when
    /// none answered in time (the call was withdrawn).
    async fn forward(
        &self,
        caller: &Caller,
        op: &str,
        target: &str,
        body: &Map<String, Value>,
    ) -> Option<ApiResult<Value>> {
        self.forwarded.fetch_add(1, Ordering::Relaxed);
        let text =
            json!({"op": op, "region": caller.region, "account": caller.account, "request": body})
                .to_string();
        let pg = self.pg.clone();
        let target = target.to_string();
        let id = match blocking(move || pg.post_message("op", &target, &text)).await? {
            Ok(id) => id,
            Err(e) => return Some(Err(e.into())),
        };
        // Long enough for a dead owner's lease to expire and another node to take over.
        let deadline = now() + Duration::from_millis(3 * self.lease_ms as u64 + 10_000);
        loop {
            let woken = self.replies.notified();
            tokio::select! {
                _ = woken => {},
                _ = tokio::time::sleep(Duration::from_millis(250)) => {},
            }
            let pg = self.pg.clone();
            match blocking(move || pg.message_reply(id)).await? {
                Ok(Some(r)) => {
                    let pg = self.pg.clone();
                    blocking(move || pg.forget_message(id)).await;
                    return Some(reply_result(&r));
                }
                Ok(None) if now() < deadline && !self.draining() => {}
                Ok(None) => {
                    let pg = self.pg.clone();
                    if blocking(move || pg.cancel_message(id)).await? == Ok(true) {
                        if self.draining() {
                            // 500: SDKs retry it, on another node behind the balancer.
                            return Some(Err(ApiError::internal("the node is stopping")));
                        }
                        return None;
                    }
                }
                Err(e) => return Some(Err(e.into())),
            }
        }
    }

    /// GetActivityTask across nodes: a task queued here, else one another node hands over.
    async fn get_activity_task(
        self: &Arc<Self>,
        st: &AppState,
        activity: &str,
        worker: Option<String>,
    ) -> Value {
        let deadline = now() + poll_limit();
        let w = &st.rt.waiting;
        'post: loop {
            while let Some(t) = take_local(w, activity) {
                if let Some(v) = hand_over(st, &t, worker.clone()).await {
                    return v;
                }
            }
            if now() >= deadline || self.draining() {
                return json!({});
            }
            let pg = self.pg.clone();
            let (a, body) = (
                activity.to_string(),
                json!({ "worker": worker }).to_string(),
            );
            let Some(Ok(id)) = blocking(move || pg.post_message("poll", &a, &body)).await else {
                return json!({});
            };
            let mut rounds = 0u32;
            loop {
                let woken = self.replies.notified();
                let db = tokio::select! {
                    _ = woken => true,
                    _ = tokio::time::sleep(Duration::from_millis(50)) => {
                        rounds += 1;
                        rounds.is_multiple_of(10)
                    }
                };
                if let Some(t) = take_local(w, activity) {
                    let pg = self.pg.clone();
                    if blocking(move || pg.cancel_message(id)).await == Some(Ok(true)) {
                        match hand_over(st, &t, worker.clone()).await {
                            Some(v) => return v,
                            None => continue 'post,
                        }
                    }
                    // Another node is handing this poll a task: keep ours for the next one.
                    w.requeue(activity, t);
                }
                let late = now() >= deadline || self.draining();
                if !db && !late {
                    continue;
                }
                let pg = self.pg.clone();
                let reply = blocking(move || pg.message_reply(id)).await;
                match reply {
                    Some(Ok(None)) if late => {
                        let pg = self.pg.clone();
                        if blocking(move || pg.cancel_message(id)).await == Some(Ok(true)) {
                            return json!({});
                        }
                    }
                    Some(Ok(None)) => {}
                    Some(Ok(Some(r))) if r == RESERVED => {
                        // A node took a task for us and waits for its start to be durable;
                        // if that node died meanwhile the task was never handed over.
                        if now() >= deadline + Duration::from_millis(self.lease_ms as u64 * 3) {
                            return json!({});
                        }
                    }
                    Some(Ok(Some(r))) => {
                        let pg = self.pg.clone();
                        blocking(move || pg.forget_message(id)).await;
                        if r == NONE {
                            continue 'post;
                        }
                        return serde_json::from_str(&r).unwrap_or_else(|_| json!({}));
                    }
                    _ => return json!({}),
                }
            }
        }
    }
}

/// Marks a task taken here started and waits until its `TaskStarted` is durable; the
/// GetActivityTask answer, or `None` when its execution no longer runs here.
async fn hand_over(st: &AppState, t: &ActivityTask, worker: Option<String>) -> Option<Value> {
    st.rt.waiting.mark_started(&t.token);
    let started = Event::TaskStarted {
        task: t.task,
        worker_name: worker,
    };
    match st.rt.deliver_durable(&t.execution_arn, started).await {
        Some(Ok(_)) => Some(json!({"taskToken": t.token, "input": t.input.to_string()})),
        _ => {
            st.rt.waiting.forget(&t.token);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_cross_nodes_unchanged() {
        let ok: ApiResult<Value> = Ok(json!({"stopDate": 1.5}));
        let back = reply_result(&reply_json(&ok)).unwrap();
        assert_eq!(back, json!({"stopDate": 1.5}));
        let err: ApiResult<Value> = Err(ApiError::new("TaskTimedOut", "Task Timed Out: 'x'"));
        let back = reply_result(&reply_json(&err)).unwrap_err();
        assert_eq!(
            (back.kind, back.message.as_str()),
            ("TaskTimedOut", "Task Timed Out: 'x'")
        );
        // The same name interned twice is one string.
        assert!(std::ptr::eq(intern("TaskTimedOut"), intern("TaskTimedOut")));
        assert_eq!(
            reply_result("not json").unwrap_err().kind,
            "InternalFailure"
        );
    }
}
