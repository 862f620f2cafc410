//! Running executions: each one is a tokio task owning its engine [`Execution`]; the
//! scheduler is tokio's small worker pool. A Standard execution records each engine step
//! (the event handed to the engine, the history events, timer changes, the close) in one store
//! write and performs the step's effects only once that write is durable. On start-up every
//! open execution is rebuilt by replaying its journal through the deterministic engine.

use engine::{
    Effect, Event, Execution, ExecutionContext, ExecutionStatus, ExecutionType, NoIntegrations,
    Outcome, Program, SeededEntropy, Step, Timestamp,
};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use store::{Append, ExecutionClose, ExecutionRecord, JournalEntry, Store, StoreError, Write};
use tokio::sync::{mpsc, oneshot, Semaphore};

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A message to a running execution.
pub enum Control {
    Stop {
        error: Option<String>,
        cause: Option<String>,
        reply: oneshot::Sender<Result<i64, String>>,
    },
    /// A worker's or callback's answer to a waiting task (see [`crate::waiting`]).
    /// Boxed: the channel's slots are as large as its largest message.
    Deliver(Box<Event>),
    /// [`Control::Deliver`], answered once the step handling it is durable.
    DeliverAck {
        event: Box<Event>,
        reply: oneshot::Sender<Result<i64, String>>,
    },
    /// Another node owns the execution now (see [`crate::cluster`]): stop driving it here,
    /// writing nothing.
    Abandon,
    /// Answered once every message sent before it is handled and its step durable.
    Flush(oneshot::Sender<()>),
}

/// How an execution ended, for StartSyncExecution and tests.
#[derive(Debug, Clone)]
pub struct Finished {
    pub outcome: Outcome,
    pub stop_date: i64,
}

pub struct Runtime {
    pub store: Arc<dyn Store>,
    running: Mutex<HashMap<String, mpsc::UnboundedSender<Control>>>,
    programs: Mutex<HashMap<Arc<str>, Arc<Program>>>,
    seq: AtomicI64,
    seed: AtomicU64,
    /// Executions working at the same time (not waiting): back-pressure on starts and steps.
    permits: Arc<Semaphore>,
    pub region: String,
    pub account: String,
    /// Activity and callback tasks waiting for an answer.
    pub waiting: Arc<crate::waiting::Waiting>,
    /// Set when several nodes share a PostgreSQL store.
    pub cluster: std::sync::OnceLock<Arc<crate::cluster::Cluster>>,
    /// Integrations and mocked test cases (see [`crate::tasks`]).
    pub tasks: crate::tasks::Tasks,
    /// Execution logs, metrics and traces (see [`crate::obs`]).
    pub obs: Arc<crate::obs::Obs>,
}

/// The journal's encoding of engine events.
fn event_to_json(e: &Event) -> Value {
    match e {
        Event::TaskStarted { task, worker_name } => {
            json!({"k": "taskStarted", "task": task, "worker": worker_name})
        }
        Event::TaskSucceeded { task, output } => {
            json!({"k": "taskSucceeded", "task": task, "output": output})
        }
        Event::TaskFailed { task, error, cause } => {
            json!({"k": "taskFailed", "task": task, "error": error, "cause": cause})
        }
        Event::TaskSubmitted { task, output } => {
            json!({"k": "taskSubmitted", "task": task, "output": output})
        }
        Event::TaskHeartbeat { task } => json!({"k": "taskHeartbeat", "task": task}),
        Event::TimerFired { timer } => json!({"k": "timer", "timer": timer}),
        Event::Stop { error, cause } => json!({"k": "stop", "error": error, "cause": cause}),
    }
}

fn event_from_json(v: &Value) -> Option<Event> {
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let n = |k: &str| v.get(k).and_then(Value::as_u64);
    Some(match v.get("k")?.as_str()? {
        "taskStarted" => Event::TaskStarted {
            task: n("task")?,
            worker_name: s("worker"),
        },
        "taskSubmitted" => Event::TaskSubmitted {
            task: n("task")?,
            output: v.get("output")?.clone(),
        },
        "taskSucceeded" => Event::TaskSucceeded {
            task: n("task")?,
            output: v.get("output")?.clone(),
        },
        "taskFailed" => Event::TaskFailed {
            task: n("task")?,
            error: s("error"),
            cause: s("cause"),
        },
        "taskHeartbeat" => Event::TaskHeartbeat { task: n("task")? },
        "timer" => Event::TimerFired { timer: n("timer")? },
        "stop" => Event::Stop {
            error: s("error"),
            cause: s("cause"),
        },
        _ => return None,
    })
}

/// What an execution waits for outside the engine.
#[derive(Default)]
pub(crate) struct Pending {
    /// `(fire_at, timer)`.
    timers: BTreeSet<(i64, u64)>,
    timer_at: HashMap<u64, i64>,
    /// Tasks invoked and not yet answered; `true` once `TaskStarted` was handled.
    tasks: HashMap<u64, (engine::TaskInvocation, bool)>,
    pub(crate) outcome: Option<Outcome>,
    /// Tokens of waiting tasks that ended in the last step.
    ended_tokens: Vec<String>,
    /// `.sync` job tasks that ended in the last step (their jobs stop if still followed).
    ended_jobs: Vec<u64>,
    pub(crate) obs: Option<Arc<crate::obs::ExecObs>>,
}

impl Pending {
    /// Notes a step's effects; returns the timer changes to record.
    pub(crate) fn note(&mut self, effects: &[Effect]) -> (Vec<(u64, i64)>, Vec<u64>) {
        let (mut added, mut removed) = (Vec::new(), Vec::new());
        for e in effects {
            match e {
                Effect::StartTimer { timer, fire_at } => {
                    self.timers.insert((fire_at.millis(), *timer));
                    self.timer_at.insert(*timer, fire_at.millis());
                    added.push((*timer, fire_at.millis()));
                }
                Effect::CancelTimer { timer } => {
                    if let Some(at) = self.timer_at.remove(timer) {
                        self.timers.remove(&(at, *timer));
                    }
                    removed.push(*timer);
                }
                Effect::InvokeTask(inv) => {
                    self.tasks.insert(inv.task, (inv.clone(), false));
                }
                Effect::CancelTask { task } => {
                    self.end_task(*task);
                }
                Effect::Finish(o) => {
                    self.outcome = Some(o.clone());
                    let open: Vec<u64> = self.tasks.keys().copied().collect();
                    for t in open {
                        self.end_task(t);
                    }
                }
            }
        }
        (added, removed)
    }

    fn end_task(&mut self, task: u64) {
        if let Some((inv, _)) = self.tasks.remove(&task) {
            if crate::sync_jobs::is_job_resource(&inv.resource) {
                self.ended_jobs.push(task);
            }
            if let Some(t) = inv.task_token {
                self.ended_tokens.push(t);
            }
        }
    }

    /// Notes an event handed to the engine.
    fn handled(&mut self, e: &Event) -> Vec<u64> {
        match e {
            Event::TimerFired { timer } => {
                if let Some(at) = self.timer_at.remove(timer) {
                    self.timers.remove(&(at, *timer));
                }
                return vec![*timer];
            }
            Event::TaskStarted { task, .. } | Event::TaskSubmitted { task, .. } => {
                if let Some(t) = self.tasks.get_mut(task) {
                    t.1 = true;
                }
            }
            Event::TaskSucceeded { task, .. } | Event::TaskFailed { task, .. } => {
                self.end_task(*task);
            }
            _ => {}
        }
        Vec::new()
    }
}

/// Performs task invocations (see [`crate::tasks`]): answers known at once go to `inbox`.
fn invoke_tasks(
    resolver: &mut NoIntegrations,
    invocations: Vec<(engine::TaskInvocation, bool)>,
    inbox: &mut VecDeque<Event>,
    waiting: (&Arc<Runtime>, &str),
) {
    for (inv, started) in invocations {
        crate::tasks::invoke(waiting.0, waiting.1, inv, started, inbox, resolver);
    }
}

pub(crate) fn close_of(o: &Outcome, stop_date: i64) -> ExecutionClose {
    ExecutionClose {
        status: o.status.as_str().to_string(),
        output: o.output.as_ref().map(|v| v.to_string()),
        error: o.error.clone(),
        cause: o.cause.clone(),
        stop_date,
    }
}

/// Serialises a step's history events, adding what the engine's `ExecutionContext` cannot
/// carry (the version and alias ARNs of `ExecutionStarted`).
pub(crate) fn events_json(step: &Step, rec: Option<&ExecutionRecord>) -> Vec<(u64, String)> {
    step.history
        .iter()
        .map(|e| {
            let needs_arns = rec.is_some_and(|r| r.alias_arn.is_some() || r.version_arn.is_some())
                && e.event_type() == "ExecutionStarted";
            if !needs_arns {
                // The common case: straight to text, no intermediate `Value`.
                return (e.id, serde_json::to_string(e).unwrap_or_default());
            }
            let mut v = e.to_json();
            if let (Some(rec), Some(d)) = (
                rec,
                v.get_mut("executionStartedEventDetails")
                    .and_then(Value::as_object_mut),
            ) {
                if let Some(a) = &rec.alias_arn {
                    d.insert("stateMachineAliasArn".into(), Value::String(a.clone()));
                }
                if let Some(a) = &rec.version_arn {
                    d.insert("stateMachineVersionArn".into(), Value::String(a.clone()));
                }
            }
            (e.id, v.to_string())
        })
        .collect()
}

/// Waits for a store submission.
pub async fn commit(store: &dyn Store, writes: Vec<Write>) -> Result<(), StoreError> {
    let (tx, rx) = oneshot::channel();
    store.submit(
        writes,
        Box::new(move |r| {
            let _ = tx.send(r);
        }),
    );
    rx.await.unwrap_or(Err(StoreError::Closed))
}

/// What StartExecution needs to begin one.
pub struct NewExecution {
    pub record: ExecutionRecord,
    pub program: Arc<Program>,
    pub input: Value,
    pub express: bool,
}

impl Runtime {
    pub fn new(store: Arc<dyn Store>, region: String, account: String) -> Result<Self, StoreError> {
        let seq = store.max_execution_seq()?;
        Ok(Runtime {
            store,
            running: Mutex::new(HashMap::new()),
            programs: Mutex::new(HashMap::new()),
            seq: AtomicI64::new(seq),
            seed: AtomicU64::new(now_ms() as u64 ^ 0x5DEE_CE66_D1CE_4E5B),
            permits: Arc::new(Semaphore::new(512)),
            region,
            account,
            waiting: Arc::new(crate::waiting::Waiting::default()),
            cluster: std::sync::OnceLock::new(),
            tasks: Default::default(),
            obs: Arc::new(crate::obs::Obs::default()),
        })
    }

    pub fn next_seq(&self) -> i64 {
        self.seq.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// A fresh seed for an execution's entropy (recorded, so replays see the same UUIDs).
    pub fn next_seed(&self) -> u64 {
        let mut e = SeededEntropy::new(
            self.seed
                .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed),
        );
        (engine::Entropy::random(&mut e) * (u64::MAX as f64)) as u64
    }

    /// Compiles a definition once; executions of the same definition share the program.
    ///
    /// `key` names the definition's revision (a state machine ARN with its revision id, a
    /// version ARN); `None` keys by the text itself.
    pub fn program(
        &self,
        key: Option<&str>,
        definition: &str,
        machine_type: &str,
    ) -> Result<Arc<Program>, String> {
        let key = match key {
            Some(k) => format!("{machine_type}#{k}"),
            None => format!("{machine_type}\u{0}{definition}"),
        };
        if let Ok(p) = self.programs.lock() {
            if let Some(p) = p.get(key.as_str()) {
                return Ok(p.clone());
            }
        }
        let key: Arc<str> = Arc::from(key);
        let mt = asl::parse::machine_type_from_name(machine_type).unwrap_or_default();
        let opts = asl::validate::ValidateOptions {
            machine_type: mt,
            ..Default::default()
        };
        let machine =
            asl::parse::parse_definition_with(definition, &opts).map_err(|e| e.message)?;
        let program = Arc::new(Program::compile(&machine).map_err(|e| e.to_string())?);
        if let Ok(mut p) = self.programs.lock() {
            if p.len() > 10_000 {
                p.clear();
            }
            p.insert(key, program.clone());
        }
        Ok(program)
    }

    pub(crate) fn context(&self, rec: &ExecutionRecord, express: bool) -> ExecutionContext {
        ExecutionContext {
            name: rec.name.clone(),
            execution_arn: rec.arn.clone(),
            state_machine_arn: rec.state_machine_arn.clone(),
            state_machine_name: rec.state_machine_name.clone(),
            role_arn: rec.role_arn.clone(),
            start_time: Timestamp::from_millis(rec.start_date),
            region: self.region.clone(),
            execution_type: if express {
                ExecutionType::Express
            } else {
                ExecutionType::Standard
            },
            redrive_count: rec.redrive_count,
        }
    }

    pub fn is_running(&self, arn: &str) -> bool {
        self.running
            .lock()
            .map(|r| r.contains_key(arn))
            .unwrap_or(false)
    }

    /// Starts an execution. Standard: returns once its creation and first step are durable.
    /// Returns the outcome when the first step already finished it.
    pub async fn start(
        self: &Arc<Self>,
        new: NewExecution,
    ) -> Result<(Option<Finished>, Option<oneshot::Receiver<Finished>>), StoreError> {
        let permit = self.permits.clone().acquire_owned().await.ok();
        let NewExecution {
            record,
            program,
            input,
            express,
        } = new;
        let ctx = self.context(&record, express);
        let exec_arn = record.arn.clone();
        let eo = self.obs.begin(&*self.store, &record, None);
        let (mut ex, step) = Execution::start(
            program,
            input,
            ctx,
            crate::waiting::live_entropy(self, record.seed),
        );
        if express && !eo.wants_history() {
            ex.set_record_history(false);
        }
        let mut pending = Pending {
            obs: Some(eo.clone()),
            ..Default::default()
        };
        let (added, _) = pending.note(&step.effects);
        let finished = pending.outcome.clone().map(|o| Finished {
            outcome: o,
            stop_date: now_ms(),
        });
        if !express {
            let events = events_json(&step, Some(&record));
            let arn = record.arn.clone();
            let close = finished.as_ref().map(|f| close_of(&f.outcome, f.stop_date));
            let _timer = self.obs.metrics.commit_started();
            commit(
                &*self.store,
                vec![
                    Write::CreateExecution(record),
                    Write::Append(Append {
                        execution_arn: arn,
                        journal: None,
                        events,
                        timers_added: added,
                        timers_removed: Vec::new(),
                        close,
                    }),
                ],
            )
            .await?;
        }
        self.obs.on_step(&eo, None, &step);
        drop(permit);
        if finished.is_some() {
            return Ok((finished, None));
        }
        let (done_tx, done_rx) = oneshot::channel();
        self.spawn(exec_arn, ex, pending, 0, !express, Some(done_tx));
        Ok((None, Some(done_rx)))
    }

    pub(crate) fn spawn(
        self: &Arc<Self>,
        arn: String,
        ex: Execution,
        pending: Pending,
        journal_seq: u64,
        durable: bool,
        done: Option<oneshot::Sender<Finished>>,
    ) {
        let (tx, rx) = mpsc::unbounded_channel();
        if let Ok(mut r) = self.running.lock() {
            r.insert(arn.clone(), tx);
        }
        // Tokens answer as soon as the execution is known to run (before its task is
        // scheduled), so a callback right after a restart finds its task.
        for (inv, started) in pending.tasks.values() {
            if crate::waiting::is_waiting(inv) {
                self.waiting.register(&arn, inv, *started);
            }
        }
        let rt = self.clone();
        tokio::spawn(async move {
            let result = rt.drive(&arn, ex, pending, journal_seq, durable, rx).await;
            if let Ok(mut r) = rt.running.lock() {
                r.remove(&arn);
            }
            match result {
                Ok(f) => {
                    if let Some(d) = done {
                        let _ = d.send(f);
                    }
                }
                Err(e) => eprintln!("stepline: execution {arn} paused: {e}"),
            }
        });
    }

    /// Sends StopExecution to a running execution; `None` when it is not running here.
    pub async fn stop(
        &self,
        arn: &str,
        error: Option<String>,
        cause: Option<String>,
    ) -> Option<Result<i64, String>> {
        let tx = self.running.lock().ok()?.get(arn).cloned()?;
        let (reply, rx) = oneshot::channel();
        tx.send(Control::Stop {
            error,
            cause,
            reply,
        })
        .ok()?;
        rx.await.ok()
    }

    /// Hands an answer to a waiting task to its execution; `false` when it does not run here.
    pub fn deliver(&self, arn: &str, event: Event) -> bool {
        let Some(tx) = self.running.lock().ok().and_then(|r| r.get(arn).cloned()) else {
            return false;
        };
        tx.send(Control::Deliver(Box::new(event))).is_ok()
    }

    /// [`Runtime::deliver`], resolving once the step handling `event` is durable;
    /// `None` when the execution does not run here or stopped before.
    pub async fn deliver_durable(&self, arn: &str, event: Event) -> Option<Result<i64, String>> {
        let tx = self.running.lock().ok()?.get(arn).cloned()?;
        let (reply, rx) = oneshot::channel();
        tx.send(Control::DeliverAck {
            event: Box::new(event),
            reply,
        })
        .ok()?;
        rx.await.ok()
    }

    /// Waits until the events handed to an execution so far are durable; `false` when it
    /// stopped running here first (closed, or taken over).
    pub async fn flush(&self, arn: &str) -> bool {
        let Some(tx) = self.running.lock().ok().and_then(|r| r.get(arn).cloned()) else {
            return false;
        };
        let (reply, rx) = oneshot::channel();
        if tx.send(Control::Flush(reply)).is_err() {
            return false;
        }
        rx.await.is_ok()
    }

    /// Stops driving an execution here without writing (its lease went to another node).
    pub fn abandon(&self, arn: &str) {
        if let Some(tx) = self.running.lock().ok().and_then(|r| r.get(arn).cloned()) {
            let _ = tx.send(Control::Abandon);
        }
    }

    async fn drive(
        self: &Arc<Self>,
        arn: &str,
        mut ex: Execution,
        mut pending: Pending,
        mut journal_seq: u64,
        durable: bool,
        mut rx: mpsc::UnboundedReceiver<Control>,
    ) -> Result<Finished, String> {
        let mut resolver = NoIntegrations {
            region: self.region.clone(),
            account: self.account.clone(),
        };
        let mut inbox = VecDeque::new();
        let tasks: Vec<_> = pending.tasks.values().cloned().collect();
        invoke_tasks(&mut resolver, tasks, &mut inbox, (self, arn));
        let mut rx_open = true;
        loop {
            if let Some(o) = &pending.outcome {
                return Ok(Finished {
                    outcome: o.clone(),
                    stop_date: now_ms(),
                });
            }
            let mut reply = None;
            let event = if let Some(e) = inbox.pop_front() {
                e
            } else {
                let next = pending.timers.iter().next().copied();
                let sleep = async {
                    match next {
                        Some((at, _)) => {
                            let wait = (at - now_ms()).max(0) as u64;
                            tokio::time::sleep(std::time::Duration::from_millis(wait)).await
                        }
                        None => std::future::pending::<()>().await,
                    }
                };
                tokio::select! {
                    c = rx.recv(), if rx_open => match c {
                        Some(Control::Stop { error, cause, reply: r }) => {
                            reply = Some(r);
                            Event::Stop { error, cause }
                        }
                        Some(Control::Deliver(e)) => *e,
                        Some(Control::DeliverAck { event, reply: r }) => {
                            reply = Some(r);
                            *event
                        }
                        Some(Control::Abandon) => return Err("lease lost to another node".into()),
                        Some(Control::Flush(r)) => {
                            let _ = r.send(());
                            continue;
                        }
                        None => { rx_open = false; continue; }
                    },
                    _ = sleep => match next {
                        Some((_, timer)) => Event::TimerFired { timer },
                        None => continue,
                    },
                }
            };
            let _permit = self.permits.acquire().await.ok();
            let at = now_ms();
            let step = ex.handle(event.clone(), Timestamp::from_millis(at));
            let mut removed = pending.handled(&event);
            let (added, cancelled) = pending.note(&step.effects);
            removed.extend(cancelled);
            let close = pending.outcome.as_ref().map(|o| close_of(o, at));
            if durable {
                journal_seq += 1;
                let append = Append {
                    execution_arn: arn.to_string(),
                    journal: Some(JournalEntry {
                        seq: journal_seq,
                        at,
                        event: event_to_json(&event).to_string(),
                    }),
                    events: events_json(&step, None),
                    timers_added: added,
                    timers_removed: removed,
                    close,
                };
                let _timer = self.obs.metrics.commit_started();
                commit(&*self.store, vec![Write::Append(append)])
                    .await
                    .map_err(|e| e.to_string())?;
            }
            if let Some(eo) = &pending.obs {
                self.obs.on_step(eo, Some(&event), &step);
            }
            for t in pending.ended_tokens.drain(..) {
                self.waiting.forget(&t);
            }
            for t in pending.ended_jobs.drain(..) {
                self.tasks.jobs.ended(arn, t);
            }
            if let Some(r) = reply {
                let _ = r.send(Ok(at));
            }
            let invocations: Vec<_> = step
                .effects
                .iter()
                .filter_map(|e| match e {
                    Effect::InvokeTask(inv) => Some((inv.clone(), false)),
                    _ => None,
                })
                .collect();
            invoke_tasks(&mut resolver, invocations, &mut inbox, (self, arn));
        }
    }

    /// Rebuilds every open Standard execution from its journal and lets it continue.
    /// Returns how many were resumed.
    pub fn recover(self: &Arc<Self>) -> Result<usize, StoreError> {
        let open = self.store.open_executions()?;
        let mut n = 0;
        for rec in open {
            match self.resume(&rec) {
                Ok(true) => n += 1,
                Ok(false) => {}
                Err(e) => eprintln!("stepline: cannot resume {}: {e}", rec.arn),
            }
        }
        Ok(n)
    }

    /// Rebuilds one open Standard execution from its journal and lets it continue (restart
    /// recovery, and a node taking over another's execution). `false` when the replay
    /// found it finished.
    pub fn resume(self: &Arc<Self>, rec: &ExecutionRecord) -> Result<bool, String> {
        match self.replay(rec)? {
            Some((ex, mut pending, seq)) => {
                for t in pending.ended_tokens.drain(..) {
                    self.waiting.forget(&t);
                }
                // Ended before the restart: nothing follows them here.
                pending.ended_jobs.clear();
                self.spawn(rec.arn.clone(), ex, pending, seq, true, None);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Replays one execution. `None` when the replay found it finished (then the close is
    /// written now).
    fn replay(&self, rec: &ExecutionRecord) -> Result<Option<(Execution, Pending, u64)>, String> {
        let program = self.program(None, &rec.definition, "STANDARD")?;
        let input: Value = serde_json::from_str(&rec.input).map_err(|e| e.to_string())?;
        let ctx = self.context(rec, false);
        let journal = self.store.journal(&rec.arn).map_err(|e| e.to_string())?;
        // A redriven execution continues from its redrive, whose marker heads the journal.
        let (mut ex, step) = match journal.first().and_then(crate::redrive::marker) {
            Some(marker) => crate::redrive::rebuild(self, rec, program, input, marker)?,
            None => Execution::start(program, input, ctx, Box::new(SeededEntropy::new(rec.seed))),
        };
        let mut pending = Pending::default();
        pending.note(&step.effects);
        let mut produced = events_json(&step, Some(rec));
        let mut seq = 0;
        for j in &journal {
            let v: Value = serde_json::from_str(&j.event).map_err(|e| e.to_string())?;
            if crate::redrive::is_marker(&v) {
                seq = j.seq;
                continue;
            }
            let event = event_from_json(&v).ok_or("unreadable journal entry")?;
            let step = ex.handle(event.clone(), Timestamp::from_millis(j.at));
            pending.handled(&event);
            pending.note(&step.effects);
            produced.extend(events_json(&step, None));
            seq = j.seq;
        }
        // Steps are written whole, so the replay reproduces exactly the recorded events; any
        // event missing from the store (none expected) is written, never one twice.
        let recorded: HashSet<u64> = self
            .store
            .history(&rec.arn)
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let missing: Vec<(u64, String)> = produced
            .into_iter()
            .filter(|(id, _)| !recorded.contains(id))
            .collect();
        let close = pending.outcome.as_ref().map(|o| close_of(o, now_ms()));
        if !missing.is_empty() || close.is_some() {
            self.store
                .write(vec![Write::Append(Append {
                    execution_arn: rec.arn.clone(),
                    events: missing,
                    close: close.clone(),
                    ..Default::default()
                })])
                .map_err(|e| e.to_string())?;
        }
        if close.is_some() {
            return Ok(None);
        }
        debug_assert_eq!(ex.status(), ExecutionStatus::Running);
        pending.obs = Some(
            self.obs
                .begin(&*self.store, rec, Some(pending.timers.len())),
        );
        Ok(Some((ex, pending, seq)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_events_round_trip() {
        let events = vec![
            Event::TaskStarted {
                task: 3,
                worker_name: None,
            },
            Event::TaskSucceeded {
                task: 3,
                output: json!({"a": [1, "x"]}),
            },
            Event::TaskFailed {
                task: 4,
                error: Some("E".into()),
                cause: None,
            },
            Event::TaskHeartbeat { task: 5 },
            Event::TimerFired { timer: 9 },
            Event::Stop {
                error: None,
                cause: Some("c".into()),
            },
        ];
        for e in events {
            let text = event_to_json(&e).to_string();
            let back = event_from_json(&serde_json::from_str(&text).unwrap()).unwrap();
            assert_eq!(format!("{e:?}"), format!("{back:?}"));
        }
        assert!(event_from_json(&json!({"k": "nope"})).is_none());
        assert!(event_from_json(&json!({"k": "timer"})).is_none());
    }

    fn record(definition: &str) -> ExecutionRecord {
        ExecutionRecord {
            arn: "arn:aws:states:us-east-1:123456789012:execution:m:e".into(),
            state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:m".into(),
            state_machine_name: "m".into(),
            version_arn: None,
            alias_arn: None,
            name: "e".into(),
            status: "RUNNING".into(),
            input: "{\"v\": 1}".into(),
            output: None,
            error: None,
            cause: None,
            start_date: now_ms(),
            stop_date: None,
            seed: 42,
            role_arn: "arn:aws:iam::123456789012:role/r".into(),
            definition: definition.into(),
            seq: 1,
            redrive_count: 0,
        }
    }

    /// A runtime dropped mid-execution (as by a crash: its tokio runtime and every task on
    /// it are gone) leaves a store from which a new runtime rebuilds the execution and
    /// finishes it, recording each event once.
    #[test]
    fn a_new_runtime_resumes_from_the_store() {
        let store: Arc<dyn Store> = Arc::new(store::MemoryStore::new());
        let def = r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"Next":"P"},"P":{"Type":"Pass","Result":"ok","ResultPath":"$.r","End":true}}}"#;
        let rec = record(def);
        let first = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        first.block_on(async {
            let rt = Arc::new(Runtime::new(store.clone(), "us-east-1".into(), "1".into()).unwrap());
            let program = rt.program(None, def, "STANDARD").unwrap();
            let (finished, _waiter) = rt
                .start(NewExecution {
                    record: rec.clone(),
                    program,
                    input: json!({"v": 1}),
                    express: false,
                })
                .await
                .unwrap();
            assert!(finished.is_none(), "waits first");
        });
        drop(first);
        assert_eq!(
            store.timers(&rec.arn).unwrap().len(),
            1,
            "the timer is durable"
        );
        assert_eq!(store.history(&rec.arn).unwrap().len(), 2);
        assert_eq!(
            store.execution(&rec.arn).unwrap().unwrap().status,
            "RUNNING"
        );

        let second = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        second.block_on(async {
            let rt = Arc::new(Runtime::new(store.clone(), "us-east-1".into(), "1".into()).unwrap());
            assert_eq!(rt.recover().unwrap(), 1);
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            loop {
                let e = store.execution(&rec.arn).unwrap().unwrap();
                if e.status != "RUNNING" {
                    assert_eq!(e.status, "SUCCEEDED");
                    assert_eq!(e.output.as_deref(), Some("{\"v\":1,\"r\":\"ok\"}"));
                    break;
                }
                assert!(std::time::Instant::now() < deadline, "not resumed");
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        });
        let ids: Vec<u64> = store
            .history(&rec.arn)
            .unwrap()
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(ids, (1..=6).collect::<Vec<_>>());
    }
}
