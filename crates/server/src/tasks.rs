//! Performing task invocations: mocked responses of a test case (`StateMachineArn#TestCase`),
//! waits and nested executions ([`crate::waiting`]), and the integrations of `stepline.toml`
//! (local or HTTP Lambda functions, the HTTP Task, AWS services).
//!
//! Calls that do I/O run on tokio's blocking pool, never on the execution's task: the answer
//! comes back as an event delivered to the execution ([`Runtime::deliver`]), as a worker's
//! does. Nothing here is journaled: an invocation still open when the server stops is invoked
//! again after replay (at-least-once, as AWS documents for its integrations). A callback
//! (`.waitForTaskToken`) whose message went out before the stop is not sent again: its task
//! waits for its token as before. Which executions run a mocked test case is kept in the data
//! directory (`mocked-executions.jsonl`), so they keep their mocks across a restart.
//!
//! A `.waitForTaskToken` call is the exception: its `TaskSubmitted` must come before any answer
//! to the token, and a worker can answer as soon as the message is in the queue, before the
//! service's response reaches us. So the call is made in line, with the worker thread handed
//! over to tokio's other tasks meanwhile (`block_in_place`), and `TaskSubmitted` goes to the
//! inbox ahead of anything the channel holds.
use crate::runtime::Runtime;
use engine::{Event, NoIntegrations, TaskInvocation, TaskOutcome, TaskResolver};
use integrations::{Integrations, MockConfig, MockResolver, Performed};
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// How this server performs tasks, fixed at start-up.
#[derive(Default)]
pub struct Setup {
    /// From `stepline.toml`; `None`: no integrations (every Task fails as AWS fails a call to
    /// a resource that does not exist).
    pub integrations: Option<Integrations>,
    /// The MockConfigFile `StateMachineArn#TestCase` reads (Step Functions Local's
    /// `SFN_MOCK_CONFIG`).
    pub mock_config: Option<PathBuf>,
    /// Where to remember which executions run a test case, so they keep their mocks across
    /// a restart (the data directory; `None` in memory).
    pub state_dir: Option<PathBuf>,
}

/// The file under `state_dir` listing mocked executions, one JSON object a line.
const MOCKED_FILE: &str = "mocked-executions.jsonl";

/// Per-server task state: the integrations and the mocked executions.
#[derive(Default)]
pub struct Tasks {
    integrations: OnceLock<Arc<Integrations>>,
    mock_config: OnceLock<PathBuf>,
    /// Execution ARN → the mock resolver of its test case.
    mocks: Mutex<HashMap<String, MockResolver>>,
    /// `mocks.len()` + `restored.len()`, read without the lock on every invocation.
    mocked: AtomicUsize,
    /// Mocked executions from before a restart: ARN → (state machine name, test case); their
    /// resolvers are rebuilt on first use.
    restored: Mutex<HashMap<String, (String, String)>>,
    state_file: OnceLock<PathBuf>,
    /// `.sync` jobs being followed (see [`crate::sync_jobs`]).
    pub(crate) jobs: crate::sync_jobs::Jobs,
}

/// Why `StateMachineArn#TestCase` cannot start.
#[derive(Debug, Clone, PartialEq)]
pub struct MockError(pub String);

/// Marks the states a test case does not mock (the mock resolver's fallback).
struct Unmocked;

const UNMOCKED: &str = "\u{0}stepline.unmocked";

impl TaskResolver for Unmocked {
    fn invoke(&mut self, _: &TaskInvocation) -> TaskOutcome {
        TaskOutcome::Failed {
            error: Some(UNMOCKED.into()),
            cause: None,
        }
    }
}

impl Tasks {
    /// Installs the start-up setup (once; later calls are ignored). `open`: whether an
    /// execution is still open in the store (mocked executions that ended are forgotten).
    pub fn configure(&self, setup: Setup, open: impl Fn(&str) -> bool) {
        if let Some(i) = setup.integrations {
            let _ = self.integrations.set(Arc::new(i));
        }
        if let Some(p) = setup.mock_config {
            let _ = self.mock_config.set(p);
        }
        if let Some(dir) = setup.state_dir {
            let file = dir.join(MOCKED_FILE);
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            let mut restored = self.restored.lock().unwrap_or_else(|p| p.into_inner());
            for line in text.lines() {
                let v: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
                let get = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
                if let (Some(arn), Some(machine), Some(case)) =
                    (get("arn"), get("machine"), get("case"))
                {
                    if open(&arn) {
                        restored.insert(arn, (machine, case));
                    }
                }
            }
            // Rewritten with the open ones only, so the file does not grow without end.
            let kept: String = restored
                .iter()
                .map(|(arn, (machine, case))| {
                    format!(
                        "{}\n",
                        serde_json::json!({"arn": arn, "machine": machine, "case": case})
                    )
                })
                .collect();
            if !text.is_empty() || !kept.is_empty() {
                if let Err(e) = std::fs::write(&file, kept) {
                    eprintln!("stepline: cannot rewrite {}: {e}", file.display());
                }
            }
            self.mocked.fetch_add(restored.len(), Ordering::Relaxed);
            let _ = self.state_file.set(file);
        }
    }

    /// Remembers a mocked execution (best effort: without it, a restart loses its mocks).
    fn remember(&self, execution_arn: &str, machine: &str, case: &str) {
        let Some(file) = self.state_file.get() else {
            return;
        };
        let line = serde_json::json!({"arn": execution_arn, "machine": machine, "case": case});
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(file)
            .and_then(|mut f| {
                use std::io::Write;
                writeln!(f, "{line}")
            });
        if let Err(e) = written {
            eprintln!(
                "stepline: cannot record mocked execution in {}: {e}",
                file.display()
            );
        }
    }

    /// Prepares the mocked responses of `test_case` for the execution `execution_arn` of
    /// `state_machine_name`; call before the execution starts.
    pub fn mock(
        &self,
        execution_arn: &str,
        state_machine_name: &str,
        test_case: &str,
        running: impl Fn(&str) -> bool,
    ) -> Result<(), MockError> {
        let path = self
            .mock_config
            .get()
            .cloned()
            .or_else(integrations::default_mock_config_path)
            .ok_or_else(|| {
                MockError(format!(
                    "Test case '{test_case}' requested but no mock configuration file is set (--mock-config or SFN_MOCK_CONFIG)."
                ))
            })?;
        let config = MockConfig::load(&path).map_err(|e| MockError(e.to_string()))?;
        let resolver =
            MockResolver::with_fallback(&config, state_machine_name, test_case, Box::new(Unmocked))
                .map_err(|e| MockError(e.to_string()))?;
        self.remember(execution_arn, state_machine_name, test_case);
        let mut m = self.mocks.lock().unwrap_or_else(|p| p.into_inner());
        // Executions that ended no longer need theirs.
        m.retain(|arn, _| running(arn));
        m.insert(execution_arn.to_string(), resolver);
        self.recount(m.len());
        Ok(())
    }

    fn recount(&self, mocks: usize) {
        let restored = self.restored.lock().map(|r| r.len()).unwrap_or(0);
        self.mocked.store(mocks + restored, Ordering::Relaxed);
    }

    /// Rebuilds the resolver of a mocked execution from before a restart, its invocation
    /// counters advanced past the invocations its history shows answered (an invocation still
    /// open is invoked again and gets the response it got before).
    fn restore(&self, rt: &Runtime, execution_arn: &str) -> Option<MockResolver> {
        let (machine, case) = self
            .restored
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(execution_arn)?;
        let path = self
            .mock_config
            .get()
            .cloned()
            .or_else(integrations::default_mock_config_path)?;
        let config = MockConfig::load(&path).ok()?;
        let mut r =
            MockResolver::with_fallback(&config, &machine, &case, Box::new(Unmocked)).ok()?;
        let history = rt.store.history(execution_arn).unwrap_or_default();
        for (state, n) in answered_invocations(&history) {
            let inv = TaskInvocation {
                task: 0,
                resource: "".into(),
                parameters: Arc::new(serde_json::Value::Null),
                timeout_seconds: None,
                heartbeat_seconds: None,
                task_token: None,
                role_arn: None,
                state_name: state.as_str().into(),
            };
            for _ in 0..n {
                let _ = r.invoke(&inv);
            }
        }
        Some(r)
    }

    /// Forgets the mocks of an execution that did not start.
    pub fn unmock(&self, execution_arn: &str) {
        let mut m = self.mocks.lock().unwrap_or_else(|p| p.into_inner());
        m.remove(execution_arn);
        self.recount(m.len());
    }

    /// The mocked answer for `inv`, when its execution runs a test case that mocks its state.
    fn mocked(
        &self,
        rt: &Runtime,
        execution_arn: &str,
        inv: &TaskInvocation,
    ) -> Option<TaskOutcome> {
        if self.mocked.load(Ordering::Relaxed) == 0 {
            return None;
        }
        let mut m = self.mocks.lock().unwrap_or_else(|p| p.into_inner());
        if !m.contains_key(execution_arn) {
            let restored = self.restore(rt, execution_arn)?;
            m.insert(execution_arn.to_string(), restored);
        }
        let r = m.get_mut(execution_arn)?;
        match r.invoke(inv) {
            TaskOutcome::Failed { error: Some(e), .. } if e == UNMOCKED => None,
            o => Some(o),
        }
    }
}

/// Per Task state, how many of its invocations the history shows answered (succeeded,
/// failed, timed out): each answer's chain of `previousEventId`s leads back through its
/// scheduling to the state's `...StateEntered` event.
fn answered_invocations(history: &[(u64, String)]) -> HashMap<String, u64> {
    let events: HashMap<u64, serde_json::Value> = history
        .iter()
        .filter_map(|(id, text)| Some((*id, serde_json::from_str(text).ok()?)))
        .collect();
    let mut counts = HashMap::new();
    for ev in events.values() {
        let kind = ev.get("type").and_then(|t| t.as_str()).unwrap_or("");
        let answered = ["Succeeded", "Failed", "TimedOut"]
            .iter()
            .any(|end| kind.ends_with(end))
            && (kind.starts_with("Task")
                || kind.starts_with("LambdaFunction")
                || kind.starts_with("Activity"))
            && !kind.contains("State");
        if !answered {
            continue;
        }
        let mut prev = ev.get("previousEventId").and_then(|p| p.as_u64());
        // Bounded walk: a malformed history cannot loop.
        for _ in 0..64 {
            let Some(e) = prev.and_then(|p| events.get(&p)) else {
                break;
            };
            if e.get("type")
                .and_then(|t| t.as_str())
                .is_some_and(|t| t.ends_with("StateEntered"))
            {
                if let Some(name) = e
                    .get("stateEnteredEventDetails")
                    .and_then(|d| d.get("name"))
                    .and_then(|n| n.as_str())
                {
                    *counts.entry(name.to_string()).or_insert(0) += 1;
                }
                break;
            }
            prev = e.get("previousEventId").and_then(|p| p.as_u64());
        }
    }
    counts
}

fn outcome_event(task: u64, o: TaskOutcome) -> Vec<Event> {
    o.into_events(task)
}

fn performed_event(task: u64, p: Performed) -> Vec<Event> {
    match p {
        Performed::Outcome(o) => outcome_event(task, o),
        Performed::Submitted(output) => vec![Event::TaskSubmitted { task, output }],
    }
}

/// Performs one invocation of the execution `execution_arn`. Answers known at once go to
/// `inbox`; slow ones are delivered to the execution later. `started`: its `TaskStarted` was
/// already handled (a replayed invocation).
pub fn invoke(
    rt: &Arc<Runtime>,
    execution_arn: &str,
    inv: TaskInvocation,
    started: bool,
    inbox: &mut VecDeque<Event>,
    fallback: &mut NoIntegrations,
) {
    let task = inv.task;
    let started_event = || Event::TaskStarted {
        task,
        worker_name: None,
    };
    if let Some(o) = rt.tasks.mocked(rt, execution_arn, &inv) {
        if !started {
            inbox.push_back(started_event());
        }
        inbox.extend(outcome_event(task, o));
        return;
    }
    let integrations = rt.tasks.integrations.get().cloned();
    if crate::waiting::handles(&inv) {
        crate::waiting::invoke(rt, execution_arn, &inv, started, inbox);
        // A callback integration also sends its message (SQS, SNS, Lambda...) carrying the
        // token; once started, it went out before the restart.
        let sends = !started
            && crate::waiting::activity_of(&inv).is_none()
            && !crate::nested::is_child(&inv)
            && integrations.as_ref().is_some_and(|i| i.performs(&inv));
        if let (true, Some(i)) = (sends, integrations) {
            let multi_thread = tokio::runtime::Handle::try_current()
                .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
            if multi_thread {
                let traceparent = rt.obs.traceparent(execution_arn, &inv);
                let performed =
                    tokio::task::block_in_place(|| i.perform_traced(&inv, traceparent.as_deref()));
                inbox.extend(performed_event(task, performed));
            } else {
                spawn(rt, execution_arn, inv, i);
            }
        }
        return;
    }
    match integrations {
        Some(i) if crate::sync_jobs::handles(&inv, &i) => {
            crate::sync_jobs::invoke(rt, execution_arn, inv, started, i);
        }
        Some(i) if i.performs(&inv) => {
            if !started {
                inbox.push_back(started_event());
            }
            spawn(rt, execution_arn, inv, i);
        }
        Some(i) => {
            if !started {
                inbox.push_back(started_event());
            }
            inbox.extend(outcome_event(task, i.fallback(&inv)));
        }
        None => {
            if !started {
                inbox.push_back(started_event());
            }
            inbox.extend(outcome_event(task, fallback.invoke(&inv)));
        }
    }
}

/// Runs the call on the blocking pool and delivers its answer.
fn spawn(rt: &Arc<Runtime>, execution_arn: &str, inv: TaskInvocation, i: Arc<Integrations>) {
    // Taken now, while the task's span is the newest of its state.
    let traceparent = rt.obs.traceparent(execution_arn, &inv);
    let rt = rt.clone();
    let arn = execution_arn.to_string();
    tokio::spawn(async move {
        let task = inv.task;
        let performed =
            tokio::task::spawn_blocking(move || i.perform_traced(&inv, traceparent.as_deref()))
                .await;
        let events = match performed {
            Ok(p) => performed_event(task, p),
            Err(e) => vec![Event::TaskFailed {
                task,
                error: Some("States.Runtime".into()),
                cause: Some(format!("The integration call failed: {e}")),
            }],
        };
        for e in events {
            // An execution that ended (or stopped) meanwhile no longer listens.
            rt.deliver(&arn, e);
        }
    });
}
