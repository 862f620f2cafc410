//! Running executions. Between two steps an execution is *parked*: its engine [`Execution`]
//! and what it waits for sit in one map keyed by ARN, with no tokio task, channel or timer of
//! its own, so executions waiting on callbacks, activities or long Waits cost only their state.
//! A message (a worker's answer, StopExecution, a due timer from the runtime's one timer task)
//! wakes it: a tokio task takes it out of the map, runs its steps until it waits again, and
//! parks it. The scheduler is tokio's small worker pool; executions that finish within
//! StartExecution (Pass-only machines) never leave the request's task.
//!
//! A Standard execution records each engine step (the event handed to the engine, the history
//! events, timer changes, the close) in one store write and performs the step's effects only
//! once that write is durable. A failing write is retried with backoff until the store takes
//! it (the engine is already past the step, so giving up would lose it); a StopExecution
//! waiting on such a step gets `InternalFailure` meanwhile, and a restart resumes from what the
//! store holds. On start-up every open execution is rebuilt by replaying its journal through
//! the deterministic engine, in the background while the server already serves: an API call on
//! an execution not yet resumed resumes it first (StopExecution) or waits for the recovery
//! (SendTask*, whose tokens only a replay knows).
//!
//! In a cluster (see [`crate::cluster`]) a step the store refuses with `LeaseLost` is not
//! retried: another node drives the execution now, and this one drops it without writing
//! (as for [`Control::Abandon`]).

use engine::{
    Effect, Event, Execution, ExecutionContext, ExecutionStatus, ExecutionType, NoIntegrations,
    Outcome, Program, SeededEntropy, Step, Timestamp,
};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;
use store::{Append, ExecutionClose, ExecutionRecord, JournalEntry, Store, StoreError, Write};
use tokio::sync::{oneshot, Notify, Semaphore};

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
    /// Boxed: queued messages are as large as the largest one.
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
    /// One of the execution's timers is due (sent by the runtime's timer task; ignored when the
    /// engine cancelled the timer meanwhile).
    Timer(u64),
}

/// An execution between two steps, with what it waits for.
struct Live {
    ex: Execution,
    pending: Pending,
    journal_seq: u64,
    durable: bool,
    /// StartSyncExecution (or a test) waiting for the outcome.
    done: Option<oneshot::Sender<Finished>>,
}

/// Where an execution of this runtime is.
enum Slot {
    /// Waiting for a message; nothing runs it.
    Parked(Box<Live>),
    /// A tokio task runs its steps; messages for it wait here.
    Busy(VecDeque<Control>),
}

/// Due timers of every execution, served by one tokio task.
#[derive(Default)]
struct Timers {
    /// `(fire_at ms, execution ARN, timer)`.
    due: BTreeSet<(i64, Arc<str>, u64)>,
    task_started: bool,
}

/// How an execution ended, for StartSyncExecution and tests.
#[derive(Debug, Clone)]
pub struct Finished {
    pub outcome: Outcome,
    pub stop_date: i64,
}

pub struct Runtime {
    pub store: Arc<dyn Store>,
    executions: Mutex<HashMap<Arc<str>, Slot>>,
    timers: Mutex<Timers>,
    timer_wake: Arc<Notify>,
    /// Open executions the background recovery has not resumed yet.
    recovering: Mutex<HashSet<String>>,
    recovered: AtomicBool,
    recovered_wake: Notify,
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

/// JSON text of a value. `Value::to_string` goes through `fmt::Write`, a few times slower.
pub fn json_text(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
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
    /// (A list, not a map: executions wait on a few tasks at most, and a parked execution's
    /// smallest map costs more memory than the list.)
    tasks: Vec<(engine::TaskInvocation, bool)>,
    pub(crate) outcome: Option<Outcome>,
    /// Tokens of waiting tasks that ended in the last step.
    ended_tokens: Vec<String>,
    /// `.sync` job tasks that ended in the last step (their jobs stop if still followed).
    ended_jobs: Vec<u64>,
    /// `(timer, fire_at)` of timers cancelled or fired in the last step, for the timer task.
    unscheduled: Vec<(u64, i64)>,
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
                        self.unscheduled.push((*timer, at));
                    }
                    removed.push(*timer);
                }
                Effect::InvokeTask(inv) => {
                    self.tasks.retain(|(t, _)| t.task != inv.task);
                    self.tasks.push((inv.clone(), false));
                }
                Effect::CancelTask { task } => {
                    self.end_task(*task);
                }
                Effect::Finish(o) => {
                    self.outcome = Some(o.clone());
                    let open: Vec<u64> = self.tasks.iter().map(|(t, _)| t.task).collect();
                    for t in open {
                        self.end_task(t);
                    }
                }
            }
        }
        (added, removed)
    }

    /// Gives back spare capacity while the execution is parked.
    fn shrink_to_fit(&mut self) {
        self.timer_at.shrink_to_fit();
        self.tasks.shrink_to_fit();
        self.ended_tokens = Vec::new();
        self.ended_jobs = Vec::new();
        self.unscheduled = Vec::new();
    }

    fn end_task(&mut self, task: u64) {
        let at = self.tasks.iter().position(|(t, _)| t.task == task);
        if let Some((inv, _)) = at.map(|i| self.tasks.remove(i)) {
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
                    self.unscheduled.push((*timer, at));
                }
                return vec![*timer];
            }
            Event::TaskStarted { task, .. } | Event::TaskSubmitted { task, .. } => {
                if let Some(t) = self.tasks.iter_mut().find(|(t, _)| t.task == *task) {
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
        output: o.output.as_deref().map(json_text),
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
            (e.id, json_text(&v))
        })
        .collect()
}

/// Sends due timers to their executions; sleeps until the next one or until an earlier one
/// is scheduled. Ends with the runtime.
async fn timer_task(rt: Weak<Runtime>, wake: Arc<Notify>) {
    loop {
        let Some(strong) = rt.upgrade() else { return };
        let now = now_ms();
        let (due, next) = strong.due_timers(now);
        for (arn, timer) in due {
            let _ = strong.send(&arn, Control::Timer(timer));
        }
        drop(strong);
        match next {
            Some(at) => {
                let sleep = tokio::time::sleep(Duration::from_millis((at - now).max(0) as u64));
                tokio::select! {
                    _ = wake.notified() => {}
                    _ = sleep => {}
                }
            }
            None => wake.notified().await,
        }
    }
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

/// Backoff of a store write that failed: first retry, longest wait.
const RETRY_FIRST: Duration = Duration::from_millis(10);
const RETRY_MAX: Duration = Duration::from_secs(5);
/// Failed attempts after which the API caller waiting on a step (StopExecution) is answered
/// `InternalFailure` while the step is still retried.
const FAILURES_BEFORE_ANSWER: u32 = 4;

impl Runtime {
    pub fn new(store: Arc<dyn Store>, region: String, account: String) -> Result<Self, StoreError> {
        let seq = store.max_execution_seq()?;
        Ok(Runtime {
            store,
            executions: Mutex::new(HashMap::new()),
            timers: Mutex::new(Timers::default()),
            timer_wake: Arc::new(Notify::new()),
            recovering: Mutex::new(HashSet::new()),
            recovered: AtomicBool::new(true),
            recovered_wake: Notify::new(),
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

    fn slots(&self) -> MutexGuard<'_, HashMap<Arc<str>, Slot>> {
        self.executions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether the execution runs (or is parked) in this runtime.
    pub fn is_running(&self, arn: &str) -> bool {
        self.slots().contains_key(arn)
    }

    /// How many executions this runtime holds (running or parked).
    pub fn live_count(&self) -> usize {
        self.slots().len()
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
        pending.unscheduled.clear();
        let finished = pending.outcome.clone().map(|o| Finished {
            outcome: o,
            stop_date: now_ms(),
        });
        if !express {
            let events = events_json(&step, Some(&record));
            let close = finished.as_ref().map(|f| close_of(&f.outcome, f.stop_date));
            // Nothing is started until this is durable. A failing store answers the caller
            // `InternalFailure` at once, with nothing started: AWS SDKs retry that answer with
            // backoff, and a retried StartExecution of the same name is idempotent.
            let _timer = self.obs.metrics.commit_started();
            let created = commit(
                &*self.store,
                vec![
                    Write::CreateExecution(record),
                    Write::Append(Append {
                        execution_arn: exec_arn.clone(),
                        journal: None,
                        events,
                        timers_added: added,
                        timers_removed: Vec::new(),
                        close,
                    }),
                ],
            )
            .await;
            if let Err(e) = created {
                self.obs.discard_start(&eo);
                return Err(e);
            }
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

    /// Hands a new or resumed execution to the runtime: parked at once when it waits only for
    /// messages and timers, run by a task first when it has tasks to (re)invoke.
    pub(crate) fn spawn(
        self: &Arc<Self>,
        arn: String,
        ex: Execution,
        pending: Pending,
        journal_seq: u64,
        durable: bool,
        done: Option<oneshot::Sender<Finished>>,
    ) {
        let mut pending = pending;
        pending.unscheduled.clear();
        let arn: Arc<str> = Arc::from(arn);
        // Tokens answer as soon as the execution is known to run (before its task is
        // scheduled), so a callback right after a restart finds its task.
        for (inv, started) in &pending.tasks {
            if crate::waiting::is_waiting(inv) {
                self.waiting.register(&arn, inv, *started);
            }
        }
        let timers: Vec<(u64, i64)> = pending.timers.iter().map(|(at, t)| (*t, *at)).collect();
        let invoke = !pending.tasks.is_empty();
        let mut live = Box::new(Live {
            ex,
            pending,
            journal_seq,
            durable,
            done,
        });
        if invoke {
            self.slots()
                .insert(arn.clone(), Slot::Busy(VecDeque::new()));
            tokio::spawn(self.clone().drive(arn.clone(), live, None, true));
        } else {
            live.ex.shrink_to_fit();
            live.pending.shrink_to_fit();
            self.slots().insert(arn.clone(), Slot::Parked(live));
        }
        self.schedule_timers(&arn, &timers);
    }

    /// Hands a message to an execution of this runtime, waking it when parked; gives the
    /// message back when the execution is not here.
    fn send(self: &Arc<Self>, arn: &str, c: Control) -> Result<(), Control> {
        let mut slots = self.slots();
        let Some(key) = slots.get_key_value(arn).map(|(k, _)| k.clone()) else {
            return Err(c);
        };
        let Some(slot) = slots.get_mut(arn) else {
            return Err(c);
        };
        match (slot, c) {
            (Slot::Busy(queue), c) => queue.push_back(c),
            // Parked: every step it took is durable.
            (Slot::Parked(_), Control::Flush(reply)) => {
                let _ = reply.send(());
            }
            (Slot::Parked(_), Control::Abandon) => {
                if let Some(Slot::Parked(live)) = slots.remove(arn) {
                    drop(slots);
                    self.unschedule_all(&key, &live.pending);
                }
            }
            (slot @ Slot::Parked(_), c) => {
                if let Slot::Parked(live) = std::mem::replace(slot, Slot::Busy(VecDeque::new())) {
                    drop(slots);
                    tokio::spawn(self.clone().drive(key, live, Some(c), false));
                }
            }
        }
        Ok(())
    }

    /// Takes a closed or abandoned execution's timers off the schedule.
    fn unschedule_all(&self, arn: &Arc<str>, pending: &Pending) {
        let timers: Vec<(u64, i64)> = pending.timers.iter().map(|(at, t)| (*t, *at)).collect();
        self.unschedule_timers(arn, &timers);
        self.unschedule_timers(arn, &pending.unscheduled);
    }

    /// The next message of a running execution, or parks it (`None`) when there is none.
    fn next_or_park(&self, arn: &Arc<str>, mut live: Box<Live>) -> Option<(Control, Box<Live>)> {
        let mut slots = self.slots();
        if let Some(Slot::Busy(queue)) = slots.get_mut(arn) {
            if let Some(c) = queue.pop_front() {
                return Some((c, live));
            }
        }
        // Nobody waits for a Standard execution StartExecution answered already.
        if live.done.as_ref().is_some_and(|d| d.is_closed()) {
            live.done = None;
        }
        live.ex.shrink_to_fit();
        live.pending.shrink_to_fit();
        slots.insert(arn.clone(), Slot::Parked(live));
        None
    }

    /// Sends StopExecution to a running execution; `None` when it is not running here.
    pub async fn stop(
        self: &Arc<Self>,
        arn: &str,
        error: Option<String>,
        cause: Option<String>,
    ) -> Option<Result<i64, String>> {
        self.resume_now(arn);
        let (reply, rx) = oneshot::channel();
        self.send(
            arn,
            Control::Stop {
                error,
                cause,
                reply,
            },
        )
        .ok()?;
        rx.await.ok()
    }

    /// Hands an answer to a waiting task to its execution; `false` when it does not run here.
    pub fn deliver(self: &Arc<Self>, arn: &str, event: Event) -> bool {
        self.resume_now(arn);
        self.send(arn, Control::Deliver(Box::new(event))).is_ok()
    }

    /// [`Runtime::deliver`], resolving once the step handling `event` is durable;
    /// `None` when the execution does not run here or stopped before.
    pub async fn deliver_durable(
        self: &Arc<Self>,
        arn: &str,
        event: Event,
    ) -> Option<Result<i64, String>> {
        self.resume_now(arn);
        let (reply, rx) = oneshot::channel();
        self.send(
            arn,
            Control::DeliverAck {
                event: Box::new(event),
                reply,
            },
        )
        .ok()?;
        rx.await.ok()
    }

    /// Waits until the events handed to an execution so far are durable; `false` when it
    /// stopped running here first (closed, or taken over).
    pub async fn flush(self: &Arc<Self>, arn: &str) -> bool {
        let (reply, rx) = oneshot::channel();
        if self.send(arn, Control::Flush(reply)).is_err() {
            return false;
        }
        rx.await.is_ok()
    }

    /// Stops driving an execution here without writing (its lease went to another node).
    pub fn abandon(self: &Arc<Self>, arn: &str) {
        // Not resumed by a recovery still running either.
        self.take_recovering(arn);
        let _ = self.send(arn, Control::Abandon);
    }

    /// Registers timers with the timer task (started with the first timer).
    fn schedule_timers(self: &Arc<Self>, arn: &Arc<str>, added: &[(u64, i64)]) {
        if added.is_empty() {
            return;
        }
        let mut t = self.timers.lock().unwrap_or_else(|p| p.into_inner());
        let first = t.due.first().map(|d| d.0);
        for (timer, at) in added {
            t.due.insert((*at, arn.clone(), *timer));
        }
        if !t.task_started {
            t.task_started = true;
            tokio::spawn(timer_task(Arc::downgrade(self), self.timer_wake.clone()));
        }
        let earlier = t.due.first().map(|d| d.0) != first;
        drop(t);
        if earlier {
            self.timer_wake.notify_one();
        }
    }

    fn unschedule_timers(&self, arn: &Arc<str>, removed: &[(u64, i64)]) {
        if removed.is_empty() {
            return;
        }
        let mut t = self.timers.lock().unwrap_or_else(|p| p.into_inner());
        for (timer, at) in removed {
            t.due.remove(&(*at, arn.clone(), *timer));
        }
    }

    /// Timers due by `now`, taken off the schedule; and when the next one is due.
    fn due_timers(&self, now: i64) -> (Vec<(Arc<str>, u64)>, Option<i64>) {
        let mut t = self.timers.lock().unwrap_or_else(|p| p.into_inner());
        let mut due = Vec::new();
        while t.due.first().is_some_and(|d| d.0 <= now) {
            if let Some((_, arn, timer)) = t.due.pop_first() {
                due.push((arn, timer));
            }
        }
        (due, t.due.first().map(|d| d.0))
    }

    /// Records one step, retrying with backoff while the store fails: the engine is past the
    /// step and its effects wait for the record, so giving up would lose it. Errs only when
    /// the store is closed (the server stops; a restart resumes from the journal) or the
    /// execution's lease went to another node.
    async fn record_step(
        &self,
        arn: &str,
        append: impl Fn() -> Append,
        reply: &mut Option<oneshot::Sender<Result<i64, String>>>,
    ) -> Result<(), StoreError> {
        let mut failures = 0u32;
        let mut delay = RETRY_FIRST;
        loop {
            match commit(&*self.store, vec![Write::Append(append())]).await {
                Ok(()) => return Ok(()),
                // Closed: the server stops. LeaseLost: another node drives the execution now
                // (see `crate::cluster`); retrying cannot succeed.
                Err(e @ (StoreError::Closed | StoreError::LeaseLost(_))) => return Err(e),
                Err(e) => {
                    failures += 1;
                    if failures == 1 || failures.is_multiple_of(50) {
                        eprintln!(
                            "stepline: execution {arn}: cannot record a step ({e}); retrying"
                        );
                    }
                    if failures == FAILURES_BEFORE_ANSWER {
                        if let Some(r) = reply.take() {
                            let _ = r.send(Err(format!("the execution's store fails: {e}")));
                        }
                    }
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(RETRY_MAX);
                }
            }
        }
    }

    /// Runs an execution's steps until it waits again (then parks it) or closes.
    /// `first` is the message that woke it; `invoke` re-invokes its open tasks (new and
    /// resumed executions).
    async fn drive(
        self: Arc<Self>,
        arn: Arc<str>,
        mut live: Box<Live>,
        mut first: Option<Control>,
        invoke: bool,
    ) {
        let mut resolver = NoIntegrations {
            region: self.region.clone(),
            account: self.account.clone(),
        };
        let mut inbox = VecDeque::new();
        if invoke {
            let tasks = live.pending.tasks.clone();
            invoke_tasks(&mut resolver, tasks, &mut inbox, (&self, &arn));
        }
        loop {
            if let Some(o) = &live.pending.outcome {
                let finished = Finished {
                    outcome: o.clone(),
                    stop_date: now_ms(),
                };
                // Messages still queued (a StopExecution racing the close) are dropped: their
                // callers read the closed execution from the store.
                self.slots().remove(&arn);
                self.unschedule_all(&arn, &live.pending);
                if let Some(d) = live.done.take() {
                    let _ = d.send(finished);
                }
                return;
            }
            let mut reply = None;
            let event = if let Some(e) = inbox.pop_front() {
                e
            } else {
                let c = match first.take() {
                    Some(c) => c,
                    None => match self.next_or_park(&arn, live) {
                        Some((c, l)) => {
                            live = l;
                            c
                        }
                        None => return,
                    },
                };
                match c {
                    Control::Stop {
                        error,
                        cause,
                        reply: r,
                    } => {
                        reply = Some(r);
                        Event::Stop { error, cause }
                    }
                    Control::Deliver(e) => *e,
                    Control::DeliverAck { event, reply: r } => {
                        reply = Some(r);
                        *event
                    }
                    Control::Flush(r) => {
                        // Every message before it was handled and its step recorded.
                        let _ = r.send(());
                        continue;
                    }
                    Control::Abandon => {
                        // Writing nothing: the node holding the lease replays the journal.
                        self.slots().remove(&arn);
                        self.unschedule_all(&arn, &live.pending);
                        eprintln!("stepline: execution {arn} paused: lease lost to another node");
                        return;
                    }
                    Control::Timer(timer) => {
                        if !live.pending.timer_at.contains_key(&timer) {
                            continue;
                        }
                        Event::TimerFired { timer }
                    }
                }
            };
            let _permit = self.permits.acquire().await.ok();
            let at = now_ms();
            let Live {
                ex,
                pending,
                journal_seq,
                durable,
                ..
            } = &mut *live;
            let step = ex.handle(event.clone(), Timestamp::from_millis(at));
            let mut removed = pending.handled(&event);
            let (added, cancelled) = pending.note(&step.effects);
            removed.extend(cancelled);
            if *durable {
                *journal_seq += 1;
                let close = pending.outcome.as_ref().map(|o| close_of(o, at));
                let journal = JournalEntry {
                    seq: *journal_seq,
                    at,
                    event: json_text(&event_to_json(&event)),
                };
                // Built again only when a write is retried (the history text is the costly
                // part, and the first attempt takes it).
                let append = || Append {
                    execution_arn: arn.to_string(),
                    journal: Some(journal.clone()),
                    events: events_json(&step, None),
                    timers_added: added.clone(),
                    timers_removed: removed.clone(),
                    close: close.clone(),
                };
                let recorded = {
                    let _timer = self.obs.metrics.commit_started();
                    self.record_step(&arn, append, &mut reply).await
                };
                if let Err(e) = recorded {
                    // The store closed under us (the server is stopping; the journal resumes
                    // the execution at the next start), or another node took the execution
                    // over: stop driving it here. A caller waiting on the step gets no answer.
                    self.slots().remove(&arn);
                    self.unschedule_all(&arn, pending);
                    if matches!(e, StoreError::LeaseLost(_)) {
                        eprintln!("stepline: execution {arn} paused: {e}");
                    }
                    return;
                }
            }
            if let Some(eo) = &pending.obs {
                self.obs.on_step(eo, Some(&event), &step);
            }
            self.schedule_timers(&arn, &added);
            self.unschedule_timers(&arn, &pending.unscheduled);
            pending.unscheduled.clear();
            for t in pending.ended_tokens.drain(..) {
                self.waiting.forget(&t);
            }
            for t in pending.ended_jobs.drain(..) {
                self.tasks.jobs.ended(&arn, t);
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
            invoke_tasks(&mut resolver, invocations, &mut inbox, (&self, &arn));
        }
    }

    /// Rebuilds every open Standard execution from its journal and lets it continue.
    /// Returns how many were resumed.
    pub fn recover(self: &Arc<Self>) -> Result<usize, StoreError> {
        let open = self.store.open_executions()?;
        Ok(open.iter().filter(|rec| self.resume_logged(rec)).count())
    }

    /// Starts [`Runtime::recover`] in the background (the server serves meanwhile); returns
    /// how many open executions it resumes. Must run inside a tokio runtime.
    pub fn recover_in_background(self: &Arc<Self>) -> Result<usize, StoreError> {
        let open = self.store.open_executions()?;
        let n = open.len();
        if n == 0 {
            return Ok(0);
        }
        self.recovered.store(false, Ordering::SeqCst);
        self.recovering
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(open.iter().map(|r| r.arn.clone()));
        let rt = self.clone();
        tokio::task::spawn_blocking(move || {
            for rec in open {
                if rt.take_recovering(&rec.arn) {
                    rt.resume_logged(&rec);
                }
            }
            rt.recovered.store(true, Ordering::SeqCst);
            rt.recovered_wake.notify_waiters();
        });
        Ok(n)
    }

    /// Whether every open execution found at start-up runs again.
    pub fn is_recovered(&self) -> bool {
        self.recovered.load(Ordering::SeqCst)
    }

    /// Waits until the background recovery is over.
    pub async fn recovered(&self) {
        loop {
            let notified = self.recovered_wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_recovered() {
                return;
            }
            notified.await;
        }
    }

    fn take_recovering(&self, arn: &str) -> bool {
        self.recovering
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(arn)
    }

    /// Resumes an execution the background recovery has not reached yet, so a message for it
    /// finds it.
    fn resume_now(self: &Arc<Self>, arn: &str) {
        if self.is_recovered() || !self.take_recovering(arn) {
            return;
        }
        match self.store.execution(arn) {
            Ok(Some(rec)) if rec.status == "RUNNING" => {
                self.resume_logged(&rec);
            }
            Ok(_) => {}
            Err(e) => eprintln!("stepline: cannot resume {arn}: {e}"),
        }
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

    /// [`Runtime::resume`], reporting a failure on stderr.
    fn resume_logged(self: &Arc<Self>, rec: &ExecutionRecord) -> bool {
        self.resume(rec).unwrap_or_else(|e| {
            eprintln!("stepline: cannot resume {}: {e}", rec.arn);
            false
        })
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

    /// A store whose next `failures` submissions fail, as a full disk would.
    struct FlakyStore {
        inner: store::MemoryStore,
        failures: std::sync::atomic::AtomicUsize,
        /// Appends refused as a PostgreSQL store refuses a node whose lease another took.
        lease_lost: AtomicBool,
        refused: std::sync::atomic::AtomicUsize,
    }

    impl FlakyStore {
        fn new(failures: usize) -> FlakyStore {
            FlakyStore {
                inner: store::MemoryStore::new(),
                failures: failures.into(),
                lease_lost: false.into(),
                refused: 0.into(),
            }
        }
    }

    impl Store for FlakyStore {
        fn submit(&self, writes: Vec<Write>, done: store::Done) {
            if self.lease_lost.load(Ordering::SeqCst) {
                self.refused.fetch_add(1, Ordering::SeqCst);
                return done(Err(StoreError::LeaseLost("taken over".into())));
            }
            let fail = self
                .failures
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            if fail {
                done(Err(StoreError::Backend("disk full".into())));
            } else {
                self.inner.submit(writes, done)
            }
        }
        fn state_machine(&self, a: &str) -> store::Result<Option<store::StateMachineRecord>> {
            self.inner.state_machine(a)
        }
        fn state_machines(&self) -> store::Result<Vec<store::StateMachineRecord>> {
            self.inner.state_machines()
        }
        fn version(&self, a: &str) -> store::Result<Option<store::VersionRecord>> {
            self.inner.version(a)
        }
        fn versions(&self, a: &str) -> store::Result<Vec<store::VersionRecord>> {
            self.inner.versions(a)
        }
        fn alias(&self, a: &str) -> store::Result<Option<store::AliasRecord>> {
            self.inner.alias(a)
        }
        fn aliases(&self, a: &str) -> store::Result<Vec<store::AliasRecord>> {
            self.inner.aliases(a)
        }
        fn tags(&self, a: &str) -> store::Result<Vec<(String, String)>> {
            self.inner.tags(a)
        }
        fn activity(&self, a: &str) -> store::Result<Option<store::ActivityRecord>> {
            self.inner.activity(a)
        }
        fn activities(
            &self,
            f: &store::ActivityFilter,
        ) -> store::Result<Vec<store::ActivityRecord>> {
            self.inner.activities(f)
        }
        fn execution(&self, a: &str) -> store::Result<Option<ExecutionRecord>> {
            self.inner.execution(a)
        }
        fn executions(&self, f: &store::ExecutionFilter) -> store::Result<Vec<ExecutionRecord>> {
            self.inner.executions(f)
        }
        fn open_executions(&self) -> store::Result<Vec<ExecutionRecord>> {
            self.inner.open_executions()
        }
        fn history(&self, a: &str) -> store::Result<Vec<(u64, String)>> {
            self.inner.history(a)
        }
        fn journal(&self, a: &str) -> store::Result<Vec<JournalEntry>> {
            self.inner.journal(a)
        }
        fn timers(&self, a: &str) -> store::Result<Vec<store::TimerRecord>> {
            self.inner.timers(a)
        }
        fn max_execution_seq(&self) -> store::Result<i64> {
            self.inner.max_execution_seq()
        }
    }

    const WAIT_THEN_PASS: &str = r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"Next":"P"},"P":{"Type":"Pass","Result":"ok","ResultPath":"$.r","End":true}}}"#;

    fn multi_thread() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap()
    }

    /// A start the store cannot record fails at once with nothing started (the caller retries);
    /// a later step's write that fails for a while is retried (five failures: long enough
    /// for a StopExecution waiting on it to be answered `InternalFailure`) and the execution
    /// finishes, recording each event once.
    #[test]
    fn failing_store_writes_are_retried_until_they_succeed() {
        let flaky = Arc::new(FlakyStore::new(1));
        let store: Arc<dyn Store> = flaky.clone();
        let rec = record(WAIT_THEN_PASS);
        multi_thread().block_on(async {
            let rt = Arc::new(Runtime::new(store.clone(), "us-east-1".into(), "1".into()).unwrap());
            let program = rt.program(None, WAIT_THEN_PASS, "STANDARD").unwrap();
            let new = || NewExecution {
                record: rec.clone(),
                program: program.clone(),
                input: json!({"v": 1}),
                express: false,
            };
            assert!(matches!(rt.start(new()).await, Err(StoreError::Backend(_))));
            assert!(!rt.is_running(&rec.arn));
            let open = || rt.obs.metrics.open_executions.load(Ordering::SeqCst);
            assert_eq!(open(), 0, "a start the store refused is not open");
            assert!(store.execution(&rec.arn).unwrap().is_none());
            let (finished, waiter) = rt.start(new()).await.expect("started");
            assert!(finished.is_none());
            assert_eq!(flaky.failures.load(Ordering::SeqCst), 0);
            flaky.failures.store(5, Ordering::SeqCst);
            let f = tokio::time::timeout(Duration::from_secs(30), waiter.unwrap())
                .await
                .expect("finished")
                .unwrap();
            assert_eq!(f.outcome.status, ExecutionStatus::Succeeded);
            assert_eq!(flaky.failures.load(Ordering::SeqCst), 0);
            assert!(!rt.is_running(&rec.arn));
            assert_eq!(open(), 0);
        });
        let e = store.execution(&rec.arn).unwrap().unwrap();
        assert_eq!(e.status, "SUCCEEDED");
        let ids: Vec<u64> = store
            .history(&rec.arn)
            .unwrap()
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(ids, (1..=6).collect::<Vec<_>>());
    }

    /// A StopExecution whose step cannot be recorded is answered `InternalFailure` (the
    /// caller learns the store fails) while the step is still retried.
    #[test]
    fn a_stop_on_a_failing_store_answers_an_error_and_still_applies() {
        let flaky = Arc::new(FlakyStore::new(0));
        let store: Arc<dyn Store> = flaky.clone();
        let def = r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":600,"End":true}}}"#;
        let rec = record(def);
        multi_thread().block_on(async {
            let rt = Arc::new(Runtime::new(store.clone(), "us-east-1".into(), "1".into()).unwrap());
            let program = rt.program(None, def, "STANDARD").unwrap();
            let (_, waiter) = rt
                .start(NewExecution {
                    record: rec.clone(),
                    program,
                    input: json!({}),
                    express: false,
                })
                .await
                .unwrap();
            flaky
                .failures
                .store(FAILURES_BEFORE_ANSWER as usize + 1, Ordering::SeqCst);
            let answer = rt.stop(&rec.arn, None, None).await;
            assert!(matches!(answer, Some(Err(_))), "{answer:?}");
            let f = tokio::time::timeout(Duration::from_secs(30), waiter.unwrap())
                .await
                .expect("stopped")
                .unwrap();
            assert_eq!(f.outcome.status, ExecutionStatus::Aborted);
        });
        assert_eq!(
            store.execution(&rec.arn).unwrap().unwrap().status,
            "ABORTED"
        );
    }

    /// Cluster controls on parked executions: a flush answers at once (every step of a parked
    /// execution is durable), an abandoned execution leaves the runtime without a write, and a
    /// step the store refuses with `LeaseLost` is not retried: the execution is dropped here.
    #[test]
    fn abandon_and_lease_lost_drop_the_execution_without_writing() {
        let flaky = Arc::new(FlakyStore::new(0));
        let store: Arc<dyn Store> = flaky.clone();
        let long = r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":600,"End":true}}}"#;
        let mut a = record(long);
        a.arn.push_str("-a");
        let b = record(WAIT_THEN_PASS);
        multi_thread().block_on(async {
            let rt = Arc::new(Runtime::new(store.clone(), "us-east-1".into(), "1".into()).unwrap());
            let mut waiters = Vec::new();
            for (rec, def) in [(&a, long), (&b, WAIT_THEN_PASS)] {
                let (_, w) = rt
                    .start(NewExecution {
                        record: rec.clone(),
                        program: rt.program(None, def, "STANDARD").unwrap(),
                        input: json!({}),
                        express: false,
                    })
                    .await
                    .unwrap();
                waiters.push(w.unwrap());
            }
            assert!(rt.flush(&a.arn).await);
            rt.abandon(&a.arn);
            assert!(!rt.is_running(&a.arn));
            assert!(!rt.flush(&a.arn).await);
            assert!(rt.stop(&a.arn, None, None).await.is_none());

            flaky.lease_lost.store(true, Ordering::SeqCst);
            let b_waiter = waiters.pop().unwrap();
            let dropped = tokio::time::timeout(Duration::from_secs(30), b_waiter)
                .await
                .expect("dropped");
            assert!(dropped.is_err(), "no outcome: {dropped:?}");
            assert!(!rt.is_running(&b.arn));
            assert_eq!(rt.live_count(), 0);
        });
        assert_eq!(flaky.refused.load(Ordering::SeqCst), 1, "not retried");
        for rec in [&a, &b] {
            let e = store.execution(&rec.arn).unwrap().unwrap();
            assert_eq!(e.status, "RUNNING");
            assert_eq!(store.history(&rec.arn).unwrap().len(), 2);
        }
    }

    /// While the background recovery runs, a StopExecution for an execution it has not reached
    /// resumes that execution first, so the stop applies.
    #[test]
    fn a_stop_during_recovery_resumes_its_execution_first() {
        let store: Arc<dyn Store> = Arc::new(store::MemoryStore::new());
        let def = r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":600,"End":true}}}"#;
        let recs: Vec<ExecutionRecord> = (0..200)
            .map(|i| {
                let mut r = record(def);
                r.arn = format!("{}-{i}", r.arn);
                r.seq = i + 1;
                r
            })
            .collect();
        multi_thread().block_on(async {
            let rt = Arc::new(Runtime::new(store.clone(), "us-east-1".into(), "1".into()).unwrap());
            let program = rt.program(None, def, "STANDARD").unwrap();
            for r in &recs {
                rt.start(NewExecution {
                    record: r.clone(),
                    program: program.clone(),
                    input: json!({}),
                    express: false,
                })
                .await
                .unwrap();
            }
        });
        multi_thread().block_on(async {
            let rt = Arc::new(Runtime::new(store.clone(), "us-east-1".into(), "1".into()).unwrap());
            assert_eq!(rt.recover_in_background().unwrap(), 200);
            let last = &recs[199].arn;
            let at = rt.stop(last, None, Some("stopped".into())).await;
            assert!(matches!(at, Some(Ok(_))), "{at:?}");
            rt.recovered().await;
            assert!(rt.is_recovered());
            assert_eq!(rt.live_count(), 199);
        });
        assert_eq!(
            store.execution(&recs[199].arn).unwrap().unwrap().status,
            "ABORTED"
        );
    }
}
