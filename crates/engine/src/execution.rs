//! The execution: a tree of threads (the top level, Parallel branches, Map iterations) run by a
//! deterministic scheduler. `start` and `handle` are the only entry points; each returns the
//! history events recorded and the effects the caller must perform.

use crate::api::*;
use crate::expr::EvalScope;
use crate::history::{ErrorCause, EventDetails, HistoryEvent};
use crate::program::{Body, Program, ScopeId, StateIdx, Transition};
use crate::time::Timestamp;
use crate::vars::Vars;
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// How long an EXPRESS execution may run (AWS: five minutes).
pub const EXPRESS_MAX_SECONDS: u64 = 300;

/// AWS's payload limit (input, output, results): 256 KiB.
pub const MAX_PAYLOAD_BYTES: usize = 262_144;
/// AWS's history limit for STANDARD executions.
pub const MAX_HISTORY_EVENTS: u64 = 25_000;

pub(crate) type ThreadId = usize;

/// What a thread waits for.
#[derive(Debug)]
pub(crate) enum Block {
    /// Runnable: enter `state` (or resume it after a retry wait when `resume` is set).
    Ready,
    Task(TaskWait),
    Timer {
        timer: TimerId,
        purpose: TimerPurpose,
    },
    Children,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum TimerPurpose {
    Wait,
    Retry,
}

#[derive(Debug)]
pub(crate) struct TaskWait {
    pub task: TaskId,
    pub timeout_timer: Option<TimerId>,
    pub heartbeat_timer: Option<TimerId>,
    pub heartbeat_seconds: Option<u64>,
    pub started: bool,
    pub flavor: crate::states::task::Flavor,
}

/// Parallel/Map bookkeeping while children run.
#[derive(Debug)]
pub(crate) struct Fanout {
    pub is_map: bool,
    /// A distributed Map: the children are child executions (Map Run), silent here.
    pub distributed: bool,
    /// Children record no events in this history.
    pub silent_children: bool,
    pub body_scopes: Vec<ScopeId>,
    pub items: Vec<Arc<Value>>,
    pub results: Vec<Option<Arc<Value>>>,
    pub next_to_start: usize,
    pub running: usize,
    pub limit: usize,
    pub finished: usize,
    pub failed: usize,
    pub tolerated_count: Option<u64>,
    pub tolerated_percentage: Option<f64>,
    pub source: u64,
    pub last: u64,
    pub children: Vec<ThreadId>,
    /// The failure that stops the fanout, with the failed child's event chain position.
    pub failure: Option<(ErrorCause, u64)>,
}

#[derive(Debug)]
pub(crate) struct Thread {
    pub scope: ScopeId,
    pub parent: Option<(ThreadId, usize)>,
    pub state: StateIdx,
    /// The raw input of the current state.
    pub input: Arc<Value>,
    /// `previousEventId` for this thread's next event.
    pub source: u64,
    /// The last event this thread recorded.
    pub last: u64,
    pub entered_id: u64,
    /// `previousEventId` of the current state's `*StateEntered`.
    pub entered_prev: u64,
    pub entered_time: Timestamp,
    pub attempts: Vec<u64>,
    pub retry_count: u64,
    /// True when the current state is re-run after a retry (no new `*StateEntered`).
    pub resume: bool,
    pub vars: Vars,
    pub block: Block,
    pub fanout: Option<Box<Fanout>>,
    /// The Map iteration index this thread runs, for `MapIteration*` events.
    pub iteration: Option<u64>,
    /// The Map state's name, for `MapIteration*` events.
    pub map_name: Option<Arc<str>>,
    /// The effective input kept while the state waits (Wait, Task).
    pub pending: Option<Arc<Value>>,
    /// Runs in a child execution (distributed Map): records nothing in this history.
    pub silent: bool,
}

/// How a thread ended.
#[derive(Debug)]
pub(crate) enum ThreadEnd {
    Succeeded(Arc<Value>),
    Failed(ErrorCause),
}

/// One running execution of a [`Program`].
pub struct Execution {
    pub(crate) program: Arc<Program>,
    pub(crate) ctx: ExecutionContext,
    pub(crate) entropy: RefCell<Box<dyn Entropy>>,
    pub(crate) input: Arc<Value>,
    next_event_id: u64,
    pub(crate) threads: Vec<Option<Thread>>,
    free: Vec<ThreadId>,
    ready: VecDeque<Work>,
    pub(crate) tasks: HashMap<TaskId, ThreadId>,
    pub(crate) timers: HashMap<TimerId, ThreadId>,
    next_task: TaskId,
    next_timer: TimerId,
    execution_timer: Option<TimerId>,
    status: ExecutionStatus,
    pub(crate) now: Timestamp,
    out: Step,
    record_history: bool,
    outcome: Option<Outcome>,
    /// TestState's `context`: the Context object every evaluation sees, as given.
    pub(crate) context_override: Option<Value>,
    /// The failure being handled is a heartbeat timeout: recorded as `States.Timeout`, also
    /// matched by `States.HeartbeatTimeout` in Retry/Catch (see `state_failed`).
    pub(crate) heartbeat_timed_out: bool,
    /// A redrive's root thread and the children of its Parallel/Map that already succeeded
    /// (see `redrive.rs`), taken by the first fanout that thread begins.
    pub(crate) redrive_children: Option<Box<crate::redrive::KeptChildren>>,
}

impl Execution {
    /// Starts an execution: records `ExecutionStarted` and runs until the execution waits for
    /// something outside (a task, a timer) or ends.
    pub fn start(
        program: Arc<Program>,
        input: Value,
        ctx: ExecutionContext,
        entropy: Box<dyn Entropy>,
    ) -> (Execution, Step) {
        let now = ctx.start_time;
        let input = Arc::new(input);
        let mut ex = Execution::idle(program, ctx, entropy, input.clone(), 1);
        ex.push_event(
            0,
            EventDetails::ExecutionStarted {
                input: input.clone(),
                role_arn: ex.ctx.role_arn.clone(),
                state_machine_alias_arn: None,
                state_machine_version_arn: None,
            },
        );
        // Express executions run at most five minutes, whatever the machine's TimeoutSeconds.
        ex.arm_execution_timeout();
        let start = ex.program.scopes.first().map(|s| s.start).unwrap_or(0);
        let root = ex.spawn(Thread {
            scope: 0,
            parent: None,
            state: start,
            input,
            source: 0,
            last: 0,
            entered_id: 0,
            entered_prev: 0,
            entered_time: now,
            attempts: Vec::new(),
            retry_count: 0,
            resume: false,
            vars: Vars::default(),
            block: Block::Ready,
            fanout: None,
            iteration: None,
            map_name: None,
            pending: None,
            silent: false,
        });
        ex.ready.push_back(Work::Run(root));
        ex.run_ready();
        let step = std::mem::take(&mut ex.out);
        (ex, step)
    }

    /// An execution with no thread that runs nothing by itself; its events are numbered from
    /// `next_event_id`. TestState (`crate::test_state`) and RedriveExecution (`crate::redrive`)
    /// place their own thread in it.
    pub(crate) fn idle(
        program: Arc<Program>,
        ctx: ExecutionContext,
        entropy: Box<dyn Entropy>,
        input: Arc<Value>,
        next_event_id: u64,
    ) -> Execution {
        let now = ctx.start_time;
        Execution {
            program,
            ctx,
            entropy: RefCell::new(entropy),
            input,
            next_event_id,
            threads: Vec::new(),
            free: Vec::new(),
            ready: VecDeque::new(),
            tasks: HashMap::new(),
            timers: HashMap::new(),
            next_task: 1,
            next_timer: 1,
            execution_timer: None,
            status: ExecutionStatus::Running,
            now,
            out: Step::default(),
            record_history: true,
            outcome: None,
            heartbeat_timed_out: false,
            redrive_children: None,
            context_override: None,
        }
    }

    /// Runs the ready threads and hands back what they recorded and asked for.
    pub(crate) fn run_and_take(&mut self) -> Step {
        self.run_ready();
        std::mem::take(&mut self.out)
    }

    /// Arms the execution's own timeout (`TimeoutSeconds`, five minutes for Express) from now.
    pub(crate) fn arm_execution_timeout(&mut self) {
        let timeout = match self.ctx.execution_type {
            ExecutionType::Express => Some(
                self.program
                    .timeout_seconds
                    .map_or(EXPRESS_MAX_SECONDS, |t| t.min(EXPRESS_MAX_SECONDS)),
            ),
            _ => self.program.timeout_seconds,
        };
        if let Some(t) = timeout {
            let timer = self.new_timer_id();
            self.execution_timer = Some(timer);
            self.out.effects.push(Effect::StartTimer {
                timer,
                fire_at: self.now.plus_seconds(t),
            });
        }
    }

    /// Gives back spare capacity. For hosts that keep many executions waiting between steps
    /// (callbacks, activities, long Waits): their buffers sized for a busy step stay unused.
    pub fn shrink_to_fit(&mut self) {
        while matches!(self.threads.last(), Some(None)) {
            let last = self.threads.len() - 1;
            self.threads.pop();
            self.free.retain(|&f| f != last);
        }
        self.threads.shrink_to_fit();
        for t in self.threads.iter_mut().flatten() {
            t.attempts.shrink_to_fit();
        }
        self.free.shrink_to_fit();
        self.ready.shrink_to_fit();
        self.tasks.shrink_to_fit();
        self.timers.shrink_to_fit();
        self.out = Step::default();
    }

    /// Turns history recording off (EXPRESS executions keep none); events are still numbered.
    pub fn set_record_history(&mut self, on: bool) {
        self.record_history = on;
    }

    pub fn status(&self) -> ExecutionStatus {
        self.status
    }

    /// How the execution closed, once it has.
    pub fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }

    /// Handles one event at time `now`.
    pub fn handle(&mut self, event: Event, now: Timestamp) -> Step {
        if now > self.now {
            self.now = now;
        }
        if self.status == ExecutionStatus::Running {
            match event {
                Event::TaskStarted { task, worker_name } => self.on_task_started(task, worker_name),
                Event::TaskSubmitted { task, output } => self.on_task_submitted(task, output),
                Event::TaskSucceeded { task, output } => self.on_task_succeeded(task, output),
                Event::TaskFailed { task, error, cause } => {
                    self.on_task_failed(task, ErrorCause { error, cause })
                }
                Event::TaskHeartbeat { task } => self.on_task_heartbeat(task),
                Event::TimerFired { timer } => self.on_timer(timer),
                Event::Stop { error, cause } => {
                    self.close(ExecutionStatus::Aborted, None, ErrorCause { error, cause });
                }
            }
            self.run_ready();
        }
        std::mem::take(&mut self.out)
    }

    // ---- scheduling -------------------------------------------------------------------

    pub(crate) fn spawn(&mut self, t: Thread) -> ThreadId {
        if let Some(id) = self.free.pop() {
            if let Some(slot) = self.threads.get_mut(id) {
                *slot = Some(t);
                return id;
            }
        }
        self.threads.push(Some(t));
        self.threads.len() - 1
    }

    pub(crate) fn thread(&self, id: ThreadId) -> Option<&Thread> {
        self.threads.get(id).and_then(|t| t.as_ref())
    }

    pub(crate) fn thread_mut(&mut self, id: ThreadId) -> Option<&mut Thread> {
        self.threads.get_mut(id).and_then(|t| t.as_mut())
    }

    /// Queues a runnable thread behind the others.
    pub(crate) fn schedule(&mut self, id: ThreadId) {
        self.ready.push_back(Work::Run(id));
    }

    pub(crate) fn push_work_front(&mut self, w: Work) {
        self.ready.push_front(w);
    }

    fn run_ready(&mut self) {
        while self.status == ExecutionStatus::Running {
            let Some(w) = self.ready.pop_front() else {
                break;
            };
            match w {
                Work::Run(id) => self.run_thread(id),
                Work::Fanout(id) => {
                    if self.pump_fanout(id) == Flow::Continue {
                        self.run_thread(id);
                    }
                }
            }
        }
    }

    /// Runs one thread until it blocks or ends.
    fn run_thread(&mut self, id: ThreadId) {
        let program = Arc::clone(&self.program);
        loop {
            if self.status != ExecutionStatus::Running {
                return;
            }
            let Some(t) = self.thread(id) else { return };
            if !matches!(t.block, Block::Ready) {
                return;
            }
            let Some(state) = program
                .scopes
                .get(t.scope)
                .and_then(|s| s.states.get(t.state))
            else {
                let ec = runtime_error("The state machine refers to a state that does not exist");
                self.end_thread(id, ThreadEnd::Failed(ec));
                return;
            };
            let resume = t.resume;
            if !resume {
                self.enter_state(id, state);
                if self.status != ExecutionStatus::Running {
                    return;
                }
            }
            let flow = match &state.body {
                Body::Pass { result } => self.run_pass(id, state, result.as_ref()),
                Body::Succeed => self.run_succeed(id, state),
                Body::Fail { error, cause } => self.run_fail(id, state, error, cause),
                Body::Choice { rules, default } => self.run_choice(id, state, rules, *default),
                Body::Wait(spec) => self.run_wait(id, state, spec),
                Body::Task(spec) => self.run_task(id, state, spec),
                Body::Parallel { branches } => self.run_parallel(id, state, branches),
                Body::Map(spec) => self.run_map(id, state, spec),
            };
            match flow {
                Flow::Continue => continue,
                Flow::Blocked | Flow::Ended => return,
            }
        }
    }

    fn enter_state(&mut self, id: ThreadId, state: &crate::program::CState) {
        let now = self.now;
        let Some(t) = self.thread(id) else { return };
        let input = Arc::clone(&t.input);
        let entered_prev = t.source;
        let retriers = state.retry.len();
        let eid = self.push_thread_event(
            id,
            EventDetails::StateEntered {
                kind: state.kind,
                name: Arc::clone(&state.name),
                input,
            },
            true,
        );
        if let Some(t) = self.thread_mut(id) {
            t.entered_id = eid;
            t.entered_prev = entered_prev;
            t.entered_time = now;
            t.retry_count = 0;
            t.attempts.clear();
            t.attempts.resize(retriers, 0);
        }
    }

    // ---- history ----------------------------------------------------------------------

    pub(crate) fn push_event(&mut self, previous: u64, details: EventDetails) -> u64 {
        let id = self.next_event_id;
        self.next_event_id += 1;
        if self.record_history {
            self.out.history.push(HistoryEvent {
                id,
                previous_event_id: previous,
                timestamp: self.now,
                details,
            });
        }
        id
    }

    /// Records an event on a thread's chain: `previousEventId` is the thread's source, which
    /// then moves to this event unless `advance` is false (AWS keeps e.g. `MapIterationSucceeded`
    /// off the chain).
    pub(crate) fn push_thread_event(
        &mut self,
        id: ThreadId,
        details: EventDetails,
        advance: bool,
    ) -> u64 {
        let (prev, silent) = self
            .thread(id)
            .map(|t| (t.source, t.silent))
            .unwrap_or((0, false));
        if silent {
            return 0;
        }
        let eid = self.push_event(prev, details);
        if let Some(t) = self.thread_mut(id) {
            t.last = eid;
            if advance {
                t.source = eid;
            }
        }
        if self.next_event_id > MAX_HISTORY_EVENTS + 1
            && self.ctx.execution_type == ExecutionType::Standard
            && self.status == ExecutionStatus::Running
        {
            self.close(
                ExecutionStatus::Failed,
                None,
                ErrorCause {
                    error: Some("States.Runtime".into()),
                    cause: Some(format!(
                        "The execution reached the maximum number of history events ({MAX_HISTORY_EVENTS})."
                    )),
                },
            );
        }
        eid
    }

    // ---- ids and effects --------------------------------------------------------------

    pub(crate) fn new_timer_id(&mut self) -> TimerId {
        let t = self.next_timer;
        self.next_timer += 1;
        t
    }

    pub(crate) fn new_task_id(&mut self) -> TaskId {
        let t = self.next_task;
        self.next_task += 1;
        t
    }

    pub(crate) fn start_timer(&mut self, id: ThreadId, fire_at: Timestamp) -> TimerId {
        let timer = self.new_timer_id();
        self.timers.insert(timer, id);
        self.out.effects.push(Effect::StartTimer { timer, fire_at });
        timer
    }

    pub(crate) fn cancel_timer(&mut self, timer: TimerId) {
        if self.timers.remove(&timer).is_some() {
            self.out.effects.push(Effect::CancelTimer { timer });
        }
    }

    pub(crate) fn effect(&mut self, e: Effect) {
        self.out.effects.push(e);
    }

    // ---- Context object and evaluation -------------------------------------------------

    /// The Context object (`$$`) as the current state of thread `id` sees it.
    pub(crate) fn context_object(&self, id: ThreadId, extra: ContextExtra<'_>) -> Value {
        if let Some(c) = &self.context_override {
            return c.clone();
        }
        let mut execution = Map::new();
        execution.insert("Id".into(), Value::String(self.ctx.execution_arn.clone()));
        execution.insert("Input".into(), (*self.input).clone());
        execution.insert(
            "StartTime".into(),
            Value::String(self.ctx.start_time.to_iso8601()),
        );
        execution.insert("Name".into(), Value::String(self.ctx.name.clone()));
        execution.insert("RoleArn".into(), Value::String(self.ctx.role_arn.clone()));
        execution.insert("RedriveCount".into(), Value::from(self.ctx.redrive_count));
        let mut root = Map::new();
        root.insert("Execution".into(), Value::Object(execution));
        let mut sm = Map::new();
        sm.insert(
            "Id".into(),
            Value::String(self.ctx.state_machine_arn.clone()),
        );
        sm.insert(
            "Name".into(),
            Value::String(self.ctx.state_machine_name.clone()),
        );
        if let Some(t) = self.thread(id) {
            let current = self
                .program
                .scopes
                .get(t.scope)
                .and_then(|s| s.states.get(t.state));
            let name = current.map(|s| s.name.to_string()).unwrap_or_default();
            let mut state = Map::new();
            state.insert(
                "EnteredTime".into(),
                Value::String(t.entered_time.to_iso8601()),
            );
            state.insert("Name".into(), Value::String(name));
            // Only states that can retry (Task, Parallel, Map) carry RetryCount.
            if current.is_some_and(|s| {
                matches!(s.body, Body::Task(_) | Body::Parallel { .. } | Body::Map(_))
            }) {
                state.insert("RetryCount".into(), Value::from(t.retry_count));
            }
            root.insert("State".into(), Value::Object(state));
        }
        root.insert("StateMachine".into(), Value::Object(sm));
        if let Some(token) = extra.task_token {
            let mut task = Map::new();
            task.insert("Token".into(), Value::String(token.to_string()));
            root.insert("Task".into(), Value::Object(task));
        }
        if let Some((index, value)) = extra.map_item {
            let mut item = Map::new();
            item.insert("Index".into(), Value::from(index));
            item.insert("Value".into(), value.clone());
            let mut map = Map::new();
            map.insert("Item".into(), Value::Object(item));
            root.insert("Map".into(), Value::Object(map));
        }
        Value::Object(root)
    }

    /// Evaluates `f` with thread `id`'s scope over `input`; builds `$$` only when needed.
    pub(crate) fn eval<T>(
        &self,
        id: ThreadId,
        input: &Value,
        needs_context: bool,
        extra: ContextExtra<'_>,
        f: impl FnOnce(&EvalScope<'_>) -> T,
    ) -> T {
        let empty = Vars::default();
        let vars = self.thread(id).map(|t| &t.vars).unwrap_or(&empty);
        let context = if needs_context {
            self.context_object(id, extra)
        } else {
            Value::Null
        };
        let entropy = EntropyAdapter(&self.entropy);
        let scope = EvalScope::new(input, &context, &entropy).with_variables(vars);
        f(&scope)
    }

    // ---- transitions ------------------------------------------------------------------

    /// Ends the current state successfully: records `*StateExited` and moves to the next state
    /// (or ends the thread).
    pub(crate) fn exit_state(
        &mut self,
        id: ThreadId,
        state: &crate::program::CState,
        output: Arc<Value>,
        assigned: Option<Vec<(String, String)>>,
        next: Option<StateIdx>,
    ) -> Flow {
        // An output that is the state's own input (same allocation) was checked on the way in.
        let unchanged = self
            .thread(id)
            .is_some_and(|t| Arc::ptr_eq(&t.input, &output));
        if !unchanged && !self.check_size(id, state, &output) {
            return Flow::Ended;
        }
        self.push_thread_event(
            id,
            EventDetails::StateExited {
                kind: state.kind,
                name: Arc::clone(&state.name),
                output: Arc::clone(&output),
                assigned_variables: assigned,
            },
            true,
        );
        if self.status != ExecutionStatus::Running {
            return Flow::Ended;
        }
        let next = match next {
            Some(n) => Some(n),
            None => match state.transition {
                Transition::Next(n) => Some(n),
                Transition::End => None,
            },
        };
        match next {
            Some(n) => {
                if let Some(t) = self.thread_mut(id) {
                    t.state = n;
                    t.input = output;
                    t.resume = false;
                    t.block = Block::Ready;
                }
                Flow::Continue
            }
            None => {
                self.end_thread(id, ThreadEnd::Succeeded(output));
                Flow::Ended
            }
        }
    }

    /// `States.DataLimitExceeded` when a state's output is over 256 KiB.
    fn check_size(&mut self, id: ThreadId, state: &crate::program::CState, output: &Value) -> bool {
        if payload_size(output) <= MAX_PAYLOAD_BYTES {
            return true;
        }
        let ec = ErrorCause {
            error: Some("States.DataLimitExceeded".into()),
            cause: Some(format!(
                "The state/task '{}' returned a result with a size exceeding the maximum number of bytes service limit.",
                state.name
            )),
        };
        self.end_thread(id, ThreadEnd::Failed(ec));
        false
    }

    /// Ends a thread; the top-level thread closes the execution, a child reports to its parent.
    pub(crate) fn end_thread(&mut self, id: ThreadId, end: ThreadEnd) {
        let Some(t) = self.threads.get_mut(id).and_then(|t| t.take()) else {
            return;
        };
        self.free.push(id);
        match t.parent {
            None => {
                let prev = t.source;
                match end {
                    ThreadEnd::Succeeded(output) => {
                        if payload_size(&output) > MAX_PAYLOAD_BYTES {
                            let ec = ErrorCause {
                                error: Some("States.DataLimitExceeded".into()),
                                cause: Some("The execution output exceeds the maximum number of bytes service limit.".into()),
                            };
                            self.push_event(prev, EventDetails::ExecutionFailed(ec.clone()));
                            self.close(ExecutionStatus::Failed, None, ec);
                            return;
                        }
                        self.push_event(
                            prev,
                            EventDetails::ExecutionSucceeded {
                                output: Arc::clone(&output),
                            },
                        );
                        self.close(
                            ExecutionStatus::Succeeded,
                            Some(output),
                            ErrorCause::default(),
                        );
                    }
                    ThreadEnd::Failed(ec) => {
                        self.push_event(prev, EventDetails::ExecutionFailed(ec.clone()));
                        self.close(ExecutionStatus::Failed, None, ec);
                    }
                }
            }
            Some((parent, slot)) => self.child_ended(parent, slot, id, t, end),
        }
    }

    /// Aborts a thread and everything under it (a sibling branch failed); no events.
    pub(crate) fn abort_thread(&mut self, id: ThreadId) {
        let Some(t) = self.threads.get_mut(id).and_then(|t| t.take()) else {
            return;
        };
        self.free.push(id);
        match t.block {
            Block::Task(w) => {
                self.tasks.remove(&w.task);
                self.effect(Effect::CancelTask { task: w.task });
                if let Some(x) = w.timeout_timer {
                    self.cancel_timer(x);
                }
                if let Some(x) = w.heartbeat_timer {
                    self.cancel_timer(x);
                }
            }
            Block::Timer { timer, .. } => self.cancel_timer(timer),
            _ => {}
        }
        if let Some(f) = t.fanout {
            for c in f.children {
                self.abort_thread(c);
            }
        }
        self.ready
            .retain(|w| !matches!(w, Work::Run(r) | Work::Fanout(r) if *r == id));
    }

    /// Closes the execution with its terminal status.
    pub(crate) fn close(
        &mut self,
        status: ExecutionStatus,
        output: Option<Arc<Value>>,
        ec: ErrorCause,
    ) {
        if self.status != ExecutionStatus::Running {
            return;
        }
        if status == ExecutionStatus::Aborted {
            let prev = self.next_event_id.saturating_sub(1);
            self.push_event(prev, EventDetails::ExecutionAborted(ec.clone()));
        }
        self.status = status;
        let outcome = Outcome {
            status,
            output,
            error: ec.error,
            cause: ec.cause,
        };
        self.outcome = Some(outcome.clone());
        self.ready.clear();
        self.out.effects.push(Effect::Finish(outcome));
    }

    fn on_timer(&mut self, timer: TimerId) {
        if Some(timer) == self.execution_timer {
            let prev = self.next_event_id.saturating_sub(1);
            let ec = ErrorCause {
                error: Some("States.Timeout".into()),
                cause: None,
            };
            self.push_event(prev, EventDetails::ExecutionTimedOut(ec.clone()));
            self.close(ExecutionStatus::TimedOut, None, ec);
            return;
        }
        let Some(id) = self.timers.remove(&timer) else {
            return;
        };
        let purpose = match self.thread(id).map(|t| &t.block) {
            Some(Block::Timer { timer: t, purpose }) if *t == timer => Some(*purpose),
            Some(Block::Task(w)) => {
                if w.timeout_timer == Some(timer) {
                    self.on_task_timeout(id, false);
                } else if w.heartbeat_timer == Some(timer) {
                    self.on_task_timeout(id, true);
                }
                None
            }
            _ => None,
        };
        match purpose {
            Some(TimerPurpose::Wait) => self.wait_elapsed(id),
            Some(TimerPurpose::Retry) => {
                if let Some(t) = self.thread_mut(id) {
                    t.block = Block::Ready;
                    t.resume = true;
                }
                self.schedule(id);
            }
            None => {}
        }
    }
}

/// Lends the execution's entropy to `asl` evaluation (`States.UUID`, `States.MathRandom`).
struct EntropyAdapter<'a>(&'a RefCell<Box<dyn Entropy>>);

impl asl::template::Entropy for EntropyAdapter<'_> {
    fn next_f64(&self) -> f64 {
        self.0.borrow_mut().random()
    }

    fn next_bytes16(&self) -> [u8; 16] {
        let mut e = self.0.borrow_mut();
        let a = (e.random() * (u64::MAX as f64)) as u64;
        let b = (e.random() * (u64::MAX as f64)) as u64;
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&a.to_le_bytes());
        out[8..].copy_from_slice(&b.to_le_bytes());
        out
    }
}

/// A unit of scheduler work.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Work {
    /// Run a thread until it blocks.
    Run(ThreadId),
    /// Let a Parallel/Map thread start children or finish.
    Fanout(ThreadId),
}

/// Extra Context object fields some evaluations see.
#[derive(Clone, Copy, Default)]
pub(crate) struct ContextExtra<'a> {
    pub task_token: Option<&'a str>,
    pub map_item: Option<(u64, &'a Value)>,
}

/// What a state handler did to its thread.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Flow {
    /// Moved to the next state; keep running.
    Continue,
    /// Waiting for a task, timer or children.
    Blocked,
    /// The thread (or the execution) ended.
    Ended,
}

pub(crate) fn runtime_error(cause: impl Into<String>) -> ErrorCause {
    ErrorCause {
        error: Some("States.Runtime".into()),
        cause: Some(cause.into()),
    }
}

/// Size of a payload as AWS counts it (UTF-8 bytes of its JSON text).
pub(crate) fn payload_size(v: &Value) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    // Small scalars cannot exceed the limit; skip the walk on the hot path.
    match v {
        Value::Null | Value::Bool(_) | Value::Number(_) => return 0,
        Value::String(s) if s.len() < 1024 => return s.len(),
        _ => {}
    }
    let mut c = Counter(0);
    let _ = serde_json::to_writer(&mut c, v);
    c.0
}
