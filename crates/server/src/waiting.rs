//! Tasks that wait on the outside world: activity tasks handed to workers polling
//! GetActivityTask, and `.waitForTaskToken` callbacks answered with SendTask*.
//!
//! Nothing here is written to the store: which tasks wait, and their tokens, are derived from
//! each execution's replayed state (the engine's invocations still open), so a restart rebuilds
//! this registry exactly. The journal records what workers did (started, heartbeats, results).

use engine::{Event, TaskInvocation};
use serde_json::Value;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// Tokens of tasks that ended (timed out, execution closed) remembered for AWS's
/// `TaskTimedOut` answer; older ones fall back to `TaskDoesNotExist`.
const EXPIRED_KEPT: usize = 100_000;

/// Whether a task invocation waits for a worker or a callback instead of being performed.
pub fn is_waiting(inv: &TaskInvocation) -> bool {
    inv.task_token.is_some() && (activity_of(inv).is_some() || is_callback(inv))
}

/// `.waitForTaskToken` on any service integration.
pub fn is_callback(inv: &TaskInvocation) -> bool {
    inv.resource.ends_with(".waitForTaskToken")
}

/// The activity ARN a Task's `Resource` names.
pub fn activity_of(inv: &TaskInvocation) -> Option<&str> {
    let r = &*inv.resource;
    let mut parts = r.splitn(7, ':');
    let ok = parts.next() == Some("arn")
        && parts.next().is_some()
        && parts.next() == Some("states")
        && parts.next().is_some_and(|s| !s.is_empty())
        && parts.next().is_some_and(|s| !s.is_empty())
        && parts.next() == Some("activity");
    ok.then_some(r)
}

/// A task handed to a poller.
#[derive(Debug, Clone)]
pub struct ActivityTask {
    pub token: String,
    pub input: Arc<Value>,
    pub execution_arn: String,
    pub task: u64,
}

#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub execution_arn: String,
    pub task: u64,
    pub activity: Option<String>,
    pub started: bool,
}

type Poller = (u64, oneshot::Sender<ActivityTask>);

#[derive(Default)]
struct Inner {
    tokens: HashMap<String, TokenInfo>,
    /// Activity tasks not yet taken, oldest first.
    queues: HashMap<String, VecDeque<ActivityTask>>,
    /// Pollers waiting, oldest first: the first to come is served first.
    pollers: HashMap<String, VecDeque<Poller>>,
    expired: HashSet<String>,
    expired_order: VecDeque<String>,
    next_poller: u64,
}

/// Why a token cannot be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Not a token this server issues.
    Invalid,
    /// The task ended (timed out, or its execution closed).
    TimedOut,
    /// Unknown.
    DoesNotExist,
}

#[derive(Default)]
pub struct Waiting {
    inner: Mutex<Inner>,
}

/// Engine tokens are version-4 UUIDs.
pub fn well_formed_token(t: &str) -> bool {
    t.len() == 36
        && t.char_indices().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

impl Waiting {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a waiting task (idempotent: replays and resumes register again). An activity
    /// task not yet started goes to the oldest poller waiting, or to its activity's queue.
    pub fn register(&self, execution_arn: &str, inv: &TaskInvocation, started: bool) {
        let Some(token) = inv.task_token.clone() else {
            return;
        };
        let activity = activity_of(inv).map(str::to_string);
        let mut g = self.lock();
        if g.tokens.contains_key(&token) {
            return;
        }
        g.tokens.insert(
            token.clone(),
            TokenInfo {
                execution_arn: execution_arn.to_string(),
                task: inv.task,
                activity: activity.clone(),
                started,
            },
        );
        let Some(activity) = activity else {
            return;
        };
        if started {
            return;
        }
        let mut task = ActivityTask {
            token,
            input: inv.parameters.clone(),
            execution_arn: execution_arn.to_string(),
            task: inv.task,
        };
        if let Some(pollers) = g.pollers.get_mut(&activity) {
            while let Some((_, tx)) = pollers.pop_front() {
                match tx.send(task) {
                    Ok(()) => return,
                    Err(back) => task = back,
                }
            }
        }
        g.queues.entry(activity).or_default().push_back(task);
    }

    /// Takes the oldest queued task of an activity, or enqueues a poller for the next one.
    pub fn poll(
        &self,
        activity: &str,
    ) -> Result<ActivityTask, (u64, oneshot::Receiver<ActivityTask>)> {
        let mut g = self.lock();
        while let Some(t) = g.queues.get_mut(activity).and_then(VecDeque::pop_front) {
            // Skip tasks that ended while queued.
            if g.tokens.contains_key(&t.token) {
                return Ok(t);
            }
        }
        let (tx, rx) = oneshot::channel();
        g.next_poller += 1;
        let id = g.next_poller;
        g.pollers
            .entry(activity.to_string())
            .or_default()
            .push_back((id, tx));
        Err((id, rx))
    }

    /// Forgets a poller that gave up (its long poll ended empty).
    pub fn cancel_poll(&self, activity: &str, id: u64) {
        let mut g = self.lock();
        if let Some(p) = g.pollers.get_mut(activity) {
            p.retain(|(i, _)| *i != id);
        }
    }

    /// Puts a task taken by a poller that could not be answered back at the queue's head.
    pub fn requeue(&self, activity: &str, task: ActivityTask) {
        self.lock()
            .queues
            .entry(activity.to_string())
            .or_default()
            .push_front(task);
    }

    pub fn mark_started(&self, token: &str) {
        if let Some(t) = self.lock().tokens.get_mut(token) {
            t.started = true;
        }
    }

    /// Who a token belongs to.
    pub fn lookup(&self, token: &str) -> Result<TokenInfo, TokenError> {
        if !well_formed_token(token) {
            return Err(TokenError::Invalid);
        }
        let g = self.lock();
        if let Some(t) = g.tokens.get(token) {
            return Ok(t.clone());
        }
        if g.expired.contains(token) {
            Err(TokenError::TimedOut)
        } else {
            Err(TokenError::DoesNotExist)
        }
    }

    /// The task of `token` ended: its token no longer answers.
    pub fn forget(&self, token: &str) {
        let mut g = self.lock();
        g.tokens.remove(token);
        if g.expired.insert(token.to_string()) {
            g.expired_order.push_back(token.to_string());
        }
        while g.expired_order.len() > EXPIRED_KEPT {
            if let Some(old) = g.expired_order.pop_front() {
                g.expired.remove(&old);
            }
        }
    }

    /// Every token waiting, with its execution (benchmarks, diagnostics).
    pub fn tokens(&self) -> Vec<(String, String)> {
        self.lock()
            .tokens
            .iter()
            .map(|(t, i)| (t.clone(), i.execution_arn.clone()))
            .collect()
    }

    pub fn waiting_count(&self) -> usize {
        self.lock().tokens.len()
    }
}

/// Whether the server performs this task itself (waits, nested executions).
pub fn handles(inv: &TaskInvocation) -> bool {
    is_waiting(inv) || crate::nested::is_child(inv)
}

/// Performs a task [`handles`] accepts: registers its token; a callback integration counts as
/// started at once (the message carrying the token is sent), an activity when a worker takes
/// it; a nested execution is started.
pub fn invoke(
    rt: &Arc<crate::runtime::Runtime>,
    execution_arn: &str,
    inv: &TaskInvocation,
    started: bool,
    inbox: &mut VecDeque<Event>,
) {
    let child = crate::nested::is_child(inv);
    if let Some(activity) = activity_of(inv) {
        // A live execution fails before scheduling a task on a missing activity (the engine
        // asks `LiveEntropy`); one replayed after a restart cannot ask, so an activity deleted
        // meanwhile is caught here, after ActivityScheduled.
        let known = crate::activities::exists(&*rt.store, activity);
        if !known && !started {
            inbox.push_back(Event::TaskFailed {
                task: inv.task,
                error: Some("States.Runtime".into()),
                cause: Some(format!(
                    "An error occurred while executing the state '{}'. The activity {activity} does not exist.",
                    inv.state_name
                )),
            });
            return;
        }
    }
    if is_waiting(inv) {
        let callback = activity_of(inv).is_none();
        rt.waiting.register(execution_arn, inv, started || callback);
        if callback && !started && !child {
            inbox.push_back(Event::TaskStarted {
                task: inv.task,
                worker_name: None,
            });
        }
    }
    if child {
        crate::nested::invoke(rt, execution_arn, inv, started);
    }
}

/// A live execution's entropy: its recorded seed, and the activity list of this server (so a
/// Task on an activity that does not exist fails as AWS fails it, before scheduling).
struct LiveEntropy {
    seeded: engine::SeededEntropy,
    store: Arc<dyn store::Store>,
}

impl engine::Entropy for LiveEntropy {
    fn uuid(&mut self) -> String {
        self.seeded.uuid()
    }

    fn random(&mut self) -> f64 {
        self.seeded.random()
    }

    fn activity_exists(&mut self, arn: &str) -> bool {
        crate::activities::exists(&*self.store, arn)
    }
}

/// The entropy of an execution started now from `seed`. (A replay uses the bare seed: an
/// execution still open passed every activity check it made.)
pub fn live_entropy(rt: &crate::runtime::Runtime, seed: u64) -> Box<dyn engine::Entropy> {
    Box::new(LiveEntropy {
        seeded: engine::SeededEntropy::new(seed),
        store: rt.store.clone(),
    })
}
