//! A virtual-clock driver: runs an execution to completion in one call, fast-forwarding Wait
//! states, retry intervals and timeouts (events carry the times they would have had).

use crate::api::*;
use crate::execution::Execution;
use crate::history::HistoryEvent;
use crate::program::Program;
use crate::resolver::TaskResolver;
use crate::time::Timestamp;
use serde_json::Value;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet, VecDeque};
use std::sync::Arc;

/// Where the driver's time comes from.
pub trait Clock {
    /// Returns once `at` has come (or at once, for a virtual clock) and gives the time then.
    fn wait_until(&mut self, at: Timestamp) -> Timestamp;
}

/// Time jumps straight to the next timer: a one-year Wait finishes at once, with history
/// timestamps as if the year had passed.
#[derive(Debug, Default, Clone, Copy)]
pub struct VirtualClock;

impl Clock for VirtualClock {
    fn wait_until(&mut self, at: Timestamp) -> Timestamp {
        at
    }
}

/// The result of a driven execution.
#[derive(Debug)]
pub struct Finished {
    pub outcome: Outcome,
    pub history: Vec<HistoryEvent>,
}

/// Pending work of the virtual world around one execution.
struct World<'r> {
    resolver: &'r mut dyn TaskResolver,
    record_history: bool,
    history: Vec<HistoryEvent>,
    timers: BinaryHeap<Reverse<(Timestamp, TimerId)>>,
    cancelled: HashSet<TimerId>,
    inbox: VecDeque<Event>,
    finished: Option<Outcome>,
}

impl World<'_> {
    fn absorb(&mut self, step: Step) {
        if self.record_history {
            self.history.extend(step.history);
        }
        for e in step.effects {
            match e {
                Effect::InvokeTask(inv) => {
                    self.inbox.push_back(Event::TaskStarted {
                        task: inv.task,
                        worker_name: None,
                    });
                    let events = self.resolver.invoke(&inv).into_events(inv.task);
                    self.inbox.extend(events);
                }
                Effect::StartTimer { timer, fire_at } => {
                    self.timers.push(Reverse((fire_at, timer)))
                }
                Effect::CancelTimer { timer } => {
                    self.cancelled.insert(timer);
                }
                Effect::CancelTask { .. } => {}
                Effect::Finish(o) => self.finished = Some(o),
            }
        }
    }
}

/// Runs `program` on `input` to the end on a [`VirtualClock`]. Tasks go to `resolver`; tasks
/// it leaves pending never complete (their timeouts still fire).
pub fn run_to_completion(
    program: Arc<Program>,
    input: Value,
    ctx: ExecutionContext,
    entropy: Box<dyn Entropy>,
    resolver: &mut dyn TaskResolver,
    record_history: bool,
) -> Finished {
    run_with_clock(
        program,
        input,
        ctx,
        entropy,
        resolver,
        record_history,
        &mut VirtualClock,
    )
}

/// Like [`run_to_completion`], taking time from `clock`.
pub fn run_with_clock(
    program: Arc<Program>,
    input: Value,
    ctx: ExecutionContext,
    entropy: Box<dyn Entropy>,
    resolver: &mut dyn TaskResolver,
    record_history: bool,
    clock: &mut dyn Clock,
) -> Finished {
    let now = ctx.start_time;
    let (ex, step) = Execution::start(program, input, ctx, entropy);
    drive_from(ex, step, now, resolver, record_history, clock)
}

/// Drives an execution that has already taken its first step (started, or redriven at
/// `now`) to the end, taking time from `clock`.
pub fn drive_from(
    mut ex: Execution,
    step: Step,
    mut now: Timestamp,
    resolver: &mut dyn TaskResolver,
    record_history: bool,
    clock: &mut dyn Clock,
) -> Finished {
    let mut w = World {
        resolver,
        record_history,
        history: Vec::new(),
        timers: BinaryHeap::new(),
        cancelled: HashSet::new(),
        inbox: VecDeque::new(),
        finished: None,
    };
    w.absorb(step);
    while w.finished.is_none() {
        let event = if let Some(e) = w.inbox.pop_front() {
            e
        } else if let Some(Reverse((at, timer))) = w.timers.pop() {
            if w.cancelled.remove(&timer) {
                continue;
            }
            if at > now {
                now = clock.wait_until(at).max(at);
            }
            Event::TimerFired { timer }
        } else {
            // Nothing can happen any more: a task left pending without a timeout.
            break;
        };
        let step = ex.handle(event, now);
        w.absorb(step);
    }
    let outcome = w.finished.unwrap_or(Outcome {
        status: ExecutionStatus::Running,
        output: None,
        error: None,
        cause: None,
    });
    Finished {
        outcome,
        history: w.history,
    }
}
