//! Children of a Parallel or Map state: starting them (within `MaxConcurrency`), collecting
//! their outcomes, and ending the state when all are done or one failed.
//!
//! Event chains follow AWS: a child's first event points at `ParallelStateStarted` /
//! `MapStateStarted` (or, for later Map iterations, at the previous iteration's last state
//! event); `MapIteration{Succeeded,Failed}` stay off the chain; `*StateSucceeded` points at the
//! last event any child recorded; `*StateFailed` at the failed child's last state event.

use crate::execution::{Block, Execution, Fanout, Flow, Thread, ThreadEnd, ThreadId, Work};
use crate::history::{ErrorCause, EventDetails, StateKind};
use crate::program::{CState, Program};
use crate::vars::Vars;
use serde_json::{Map, Value};
use std::sync::Arc;

impl Execution {
    /// Installs the fanout on thread `id` and starts the first children.
    pub(crate) fn begin_fanout(&mut self, id: ThreadId, mut f: Fanout) -> Flow {
        // A redrive keeps the children that succeeded before (`redrive.rs`).
        if self
            .redrive_children
            .as_ref()
            .is_some_and(|r| r.thread == id)
        {
            if let Some(r) = self.redrive_children.take() {
                for (i, output) in r.children {
                    if let Some(slot @ None) = f.results.get_mut(i) {
                        *slot = Some(Arc::new(output));
                        f.finished += 1;
                    }
                }
            }
        }
        let Some(t) = self.thread_mut(id) else {
            return Flow::Ended;
        };
        f.source = t.source;
        f.last = t.last;
        t.fanout = Some(Box::new(f));
        t.block = Block::Children;
        self.pump_fanout(id)
    }

    /// Starts the next child, or ends the state when the fanout is complete or failed.
    pub(crate) fn pump_fanout(&mut self, id: ThreadId) -> Flow {
        let program = Arc::clone(&self.program);
        let Some(t) = self.thread_mut(id) else {
            return Flow::Ended;
        };
        if !matches!(t.block, Block::Children) {
            return Flow::Blocked;
        }
        let (scope, idx) = (t.scope, t.state);
        let Some(state) = program.scopes.get(scope).and_then(|s| s.states.get(idx)) else {
            return Flow::Ended;
        };
        let Some(f) = t.fanout.as_mut() else {
            return Flow::Blocked;
        };
        let n = f.items.len();
        if let Some((ec, source)) = f.failure.take() {
            let distributed = f.distributed;
            t.fanout = None;
            t.block = Block::Ready;
            t.source = source;
            if distributed {
                self.push_thread_event(id, EventDetails::MapRunFailed(ec.clone()), true);
            }
            let failed = if matches!(state.kind, crate::history::StateKind::Map) {
                crate::states::map::failed_event()
            } else {
                crate::states::parallel::failed_event()
            };
            return self.state_failed(id, state, ec, Some(failed));
        }
        if f.finished >= n {
            let is_map = f.is_map;
            let distributed = f.distributed;
            let last = f.last;
            let results: Vec<Value> = f
                .results
                .drain(..)
                .map(|r| match r {
                    Some(a) => Arc::try_unwrap(a).unwrap_or_else(|a| (*a).clone()),
                    None => Value::Null,
                })
                .collect();
            t.fanout = None;
            t.block = Block::Ready;
            t.source = last;
            if distributed {
                self.push_thread_event(id, EventDetails::MapRunSucceeded, true);
            }
            let done = if is_map {
                EventDetails::MapStateSucceeded
            } else {
                EventDetails::ParallelStateSucceeded
            };
            self.push_thread_event(id, done, false);
            if distributed {
                // AWS chains `MapStateExited` to `MapRunStarted` (every recording since
                // November 2024; earlier ones chained it to `MapRunSucceeded`).
                if let Some(t) = self.thread_mut(id) {
                    t.source = last;
                }
            }
            return self.finish_with_result(id, state, Arc::new(Value::Array(results)));
        }
        let mut started = Vec::new();
        while let Some(child) = self.start_child(id, state, &program) {
            started.push(child);
        }
        // Children run in index order, before other ready work.
        for child in started.into_iter().rev() {
            self.push_work_front(Work::Run(child));
        }
        Flow::Blocked
    }

    /// Starts the next child of thread `id`'s fanout, if its concurrency allows.
    fn start_child(&mut self, id: ThreadId, state: &CState, program: &Program) -> Option<ThreadId> {
        let t = self.thread_mut(id)?;
        let vars = Vars::child_of(&t.vars);
        let f = t.fanout.as_mut()?;
        // Only a redrive's kept children hold a result before they started.
        while f.results.get(f.next_to_start).is_some_and(Option::is_some) {
            f.next_to_start += 1;
        }
        if f.running >= f.limit || f.next_to_start >= f.items.len() {
            return None;
        }
        let i = f.next_to_start;
        f.next_to_start += 1;
        f.running += 1;
        let body = if f.is_map {
            f.body_scopes.first().copied().unwrap_or(0)
        } else {
            f.body_scopes.get(i).copied().unwrap_or(0)
        };
        let input = f.items.get(i).cloned().unwrap_or_default();
        let source = f.source;
        let is_map = f.is_map;
        let silent = f.silent_children;
        let now = self.now;
        let start = program.scopes.get(body).map(|s| s.start).unwrap_or(0);
        let child = self.spawn(Thread {
            scope: body,
            parent: Some((id, i)),
            state: start,
            input,
            source,
            last: source,
            entered_id: 0,
            entered_prev: 0,
            entered_time: now,
            attempts: Vec::new(),
            retry_count: 0,
            resume: false,
            vars,
            block: Block::Ready,
            fanout: None,
            iteration: if is_map { Some(i as u64) } else { None },
            map_name: if is_map {
                Some(Arc::clone(&state.name))
            } else {
                None
            },
            pending: None,
            silent,
        });
        if let Some(f) = self.thread_mut(id).and_then(|t| t.fanout.as_mut()) {
            f.children.push(child);
        }
        if is_map {
            self.push_thread_event(
                child,
                EventDetails::MapIterationStarted {
                    name: Arc::clone(&state.name),
                    index: i as u64,
                },
                true,
            );
        }
        Some(child)
    }

    /// Records that a running child was stopped because a sibling failed: the aborted state
    /// (Task, Wait, Map, Parallel) and, for Map, the aborted iteration.
    fn record_aborted(&mut self, child: ThreadId, prev: u64, program: &Program) {
        let Some(t) = self.thread(child) else { return };
        if t.silent {
            return;
        }
        let in_state = !matches!(t.block, Block::Ready);
        let kind = program
            .scopes
            .get(t.scope)
            .and_then(|s| s.states.get(t.state))
            .map(|s| s.kind);
        let iteration = t.iteration.zip(t.map_name.clone());
        let aborted = match kind {
            Some(StateKind::Task) => Some(EventDetails::TaskStateAborted),
            Some(StateKind::Wait) => Some(EventDetails::WaitStateAborted),
            Some(StateKind::Map) => Some(EventDetails::MapStateAborted),
            Some(StateKind::Parallel) => Some(EventDetails::ParallelStateAborted),
            _ => None,
        };
        if let (true, Some(details)) = (in_state, aborted) {
            self.push_event(prev, details);
        }
        if let Some((index, name)) = iteration {
            self.push_event(prev, EventDetails::MapIterationAborted { name, index });
        }
    }

    /// A child thread ended: record it in its parent's fanout.
    pub(crate) fn child_ended(
        &mut self,
        parent: ThreadId,
        slot: usize,
        child_id: ThreadId,
        child: Thread,
        end: ThreadEnd,
    ) {
        let child_id_source = child.source;
        let Some(f) = self.thread_mut(parent).and_then(|t| t.fanout.as_mut()) else {
            return;
        };
        f.children.retain(|c| *c != child_id);
        f.running = f.running.saturating_sub(1);
        f.finished += 1;
        f.source = f.source.max(child.source);
        f.last = f.last.max(child.last);
        let is_map = f.is_map;
        let iteration_events = f.is_map && !f.silent_children;
        let n = f.items.len();
        let name = child.map_name.clone();
        let index = child.iteration.unwrap_or(0);
        let mut abort = Vec::new();
        match end {
            ThreadEnd::Succeeded(out) => {
                if let Some(r) = f.results.get_mut(slot) {
                    *r = Some(out);
                }
                if iteration_events {
                    let eid = self.push_event(
                        child_id_source,
                        EventDetails::MapIterationSucceeded {
                            name: name.unwrap_or_else(|| Arc::from("")),
                            index,
                        },
                    );
                    if let Some(f) = self.thread_mut(parent).and_then(|t| t.fanout.as_mut()) {
                        f.last = f.last.max(eid);
                    }
                }
            }
            ThreadEnd::Failed(ec) => {
                if iteration_events {
                    let eid = self.push_event(
                        child_id_source,
                        EventDetails::MapIterationFailed {
                            name: name.unwrap_or_else(|| Arc::from("")),
                            index,
                        },
                    );
                    if let Some(f) = self.thread_mut(parent).and_then(|t| t.fanout.as_mut()) {
                        f.last = f.last.max(eid);
                    }
                }
                let Some(f) = self.thread_mut(parent).and_then(|t| t.fanout.as_mut()) else {
                    return;
                };
                let failed = f.failed + 1;
                let tolerated = is_map
                    && (f.tolerated_count.is_some_and(|c| failed as u64 <= c)
                        || f.tolerated_percentage
                            .is_some_and(|p| n > 0 && (failed as f64) * 100.0 / (n as f64) <= p));
                if tolerated {
                    f.failed = failed;
                    let mut err = Map::new();
                    err.insert(
                        "Error".into(),
                        Value::String(ec.error.clone().unwrap_or_default()),
                    );
                    err.insert(
                        "Cause".into(),
                        Value::String(ec.cause.clone().unwrap_or_default()),
                    );
                    if let Some(r) = f.results.get_mut(slot) {
                        *r = Some(Arc::new(Value::Object(err)));
                    }
                } else if f.failure.is_none() {
                    let ec = if is_map
                        && (f.tolerated_count.is_some() || f.tolerated_percentage.is_some())
                    {
                        ErrorCause {
                            error: Some("States.ExceedToleratedFailureThreshold".into()),
                            cause: Some(
                                "The specified tolerated failure threshold was exceeded".into(),
                            ),
                        }
                    } else {
                        ec
                    };
                    f.failure = Some((ec, child_id_source));
                    abort = std::mem::take(&mut f.children);
                }
            }
        }
        if let Some(f) = self.thread_mut(parent).and_then(|t| t.fanout.as_mut()) {
            f.children.retain(|c| !abort.contains(c));
        }
        if !abort.is_empty() {
            let program = Arc::clone(&self.program);
            for &c in &abort {
                self.record_aborted(c, child_id_source, &program);
            }
        }
        for c in abort {
            self.abort_thread(c);
        }
        self.push_work_front(Work::Fanout(parent));
    }
}
