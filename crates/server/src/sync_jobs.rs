//! `.sync` jobs of the AWS integrations (`ecs:runTask.sync`, `sagemaker:createTrainingJob.sync`):
//! submitted, recorded as `TaskSubmitted` (with the service's answer), then polled until they
//! end, which ends the task (`TaskSucceeded`/`TaskFailed`).
//!
//! Each job is followed by one tokio task that sleeps between polls; the calls themselves run
//! on the blocking pool, so neither the execution nor a tokio worker waits on AWS.
//!
//! Durable through the journal: after a restart (or a takeover by another node), a task whose
//! `TaskSubmitted` is journaled resumes polling the job named in that answer; one that crashed
//! before is submitted again (at-least-once, as AWS documents for its integrations).
//!
//! When the task ends first (the execution stops, fails or times out, or the task times out),
//! the runtime reports it ([`Jobs::ended`]) and the job is stopped (StopTask /
//! StopTrainingJob), as Step Functions does.
use crate::runtime::Runtime;
use engine::{Event, TaskInvocation, TaskOutcome};
use integrations::Integrations;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// The jobs being followed: `(execution ARN, task)` → the signal that the task ended.
#[derive(Default)]
pub struct Jobs {
    open: Mutex<HashMap<(String, u64), Arc<Notify>>>,
    /// `open.len()`, read without the lock when tasks end.
    count: AtomicUsize,
}

impl Jobs {
    fn register(&self, arn: &str, task: u64) -> Arc<Notify> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let n = open
            .entry((arn.to_string(), task))
            .or_insert_with(|| Arc::new(Notify::new()))
            .clone();
        self.count.store(open.len(), Ordering::Relaxed);
        n
    }

    fn take(&self, arn: &str, task: u64) -> Option<Arc<Notify>> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.remove(&(arn.to_string(), task));
        self.count.store(open.len(), Ordering::Relaxed);
        n
    }

    /// The task ended without its job (stopped, failed, timed out): its job is stopped.
    pub fn ended(&self, arn: &str, task: u64) {
        if self.count.load(Ordering::Relaxed) == 0 {
            return;
        }
        if let Some(n) = self.take(arn, task) {
            // A stored permit: the follower sees it even when it is busy polling now.
            n.notify_one();
        }
    }
}

/// Whether a resource names a job this module follows (the runtime reports such tasks' ends).
pub fn is_job_resource(resource: &str) -> bool {
    resource.ends_with(".sync")
        && (resource.contains(":states:::ecs:runTask")
            || resource.contains(":states:::sagemaker:createTrainingJob"))
}

/// Whether `i` performs `inv` as a followed `.sync` job.
pub fn handles(inv: &TaskInvocation, i: &Integrations) -> bool {
    i.sync_job(inv).is_some()
}

/// Starts following `inv`'s job. `started`: the task's `TaskStarted` or `TaskSubmitted` was
/// already handled (a replayed invocation).
pub fn invoke(
    rt: &Arc<Runtime>,
    execution_arn: &str,
    inv: TaskInvocation,
    started: bool,
    i: Arc<Integrations>,
) {
    // Registered before the submit, so an end during it is not missed.
    let ended = rt.tasks.jobs.register(execution_arn, inv.task);
    let rt = rt.clone();
    let arn = execution_arn.to_string();
    tokio::spawn(async move { follow(rt, arn, Arc::new(inv), started, i, ended).await });
}

/// The `TaskSubmitted` output the journal holds for `task`.
fn submitted_output(rt: &Runtime, arn: &str, task: u64) -> Option<Value> {
    let journal = rt.store.journal(arn).ok()?;
    journal.iter().rev().find_map(|j| {
        let v: Value = serde_json::from_str(&j.event).ok()?;
        (v.get("k")?.as_str()? == "taskSubmitted" && v.get("task")?.as_u64()? == task)
            .then(|| v.get("output").cloned())
            .flatten()
    })
}

fn runtime_failure(task: u64, e: impl std::fmt::Display) -> Event {
    Event::TaskFailed {
        task,
        error: Some("States.Runtime".into()),
        cause: Some(format!("The integration call failed: {e}")),
    }
}

async fn follow(
    rt: Arc<Runtime>,
    arn: String,
    inv: Arc<TaskInvocation>,
    started: bool,
    i: Arc<Integrations>,
    ended: Arc<Notify>,
) {
    let task = inv.task;
    let recorded = if started {
        submitted_output(&rt, &arn, task).and_then(|out| i.resume_job(&inv, &out))
    } else {
        None
    };
    let job = match recorded {
        Some(job) => job,
        None => {
            let (i2, inv2) = (i.clone(), inv.clone());
            match tokio::task::spawn_blocking(move || i2.submit_job(&inv2)).await {
                Ok(Ok((output, job))) => {
                    rt.deliver(&arn, Event::TaskSubmitted { task, output });
                    job
                }
                Ok(Err(outcome)) => {
                    rt.tasks.jobs.take(&arn, task);
                    if !started {
                        rt.deliver(
                            &arn,
                            Event::TaskStarted {
                                task,
                                worker_name: None,
                            },
                        );
                    }
                    for e in outcome.into_events(task) {
                        rt.deliver(&arn, e);
                    }
                    return;
                }
                Err(e) => {
                    rt.tasks.jobs.take(&arn, task);
                    rt.deliver(&arn, runtime_failure(task, e));
                    return;
                }
            }
        }
    };
    let stop = |why: &'static str| {
        let (i, inv, job) = (i.clone(), inv.clone(), job.clone());
        tokio::task::spawn_blocking(move || {
            if let Err(e) = i.stop_job(&inv, &job, why) {
                eprintln!("stepline: cannot stop {:?} {:?}: {e}", job.kind, job.ids);
            }
        })
    };
    let every = i.sync_poll_interval();
    loop {
        tokio::select! {
            _ = ended.notified() => {
                let _ = stop("The Step Functions task ended before the job (execution closed or task timed out)").await;
                return;
            }
            _ = tokio::time::sleep(every) => {}
        }
        if !rt.is_running(&arn) {
            rt.tasks.jobs.take(&arn, task);
            // Closed without the end reaching us: stop the job. Still open: another node took
            // it over, or this one is shutting down; the next owner follows the job.
            let closed = rt
                .store
                .execution(&arn)
                .ok()
                .flatten()
                .is_some_and(|r| r.status != "RUNNING");
            if closed {
                let _ = stop("The Step Functions execution closed before the job").await;
            }
            return;
        }
        let (i2, inv2, job2) = (i.clone(), inv.clone(), job.clone());
        let polled = tokio::task::spawn_blocking(move || i2.poll_job(&inv2, &job2)).await;
        let outcome: TaskOutcome = match polled {
            Ok(None) => continue,
            Ok(Some(o)) => o,
            Err(e) => {
                rt.tasks.jobs.take(&arn, task);
                rt.deliver(&arn, runtime_failure(task, e));
                return;
            }
        };
        // Forgotten first: the task's end that follows is not a reason to stop the job.
        rt.tasks.jobs.take(&arn, task);
        for e in outcome.into_events(task) {
            rt.deliver(&arn, e);
        }
        return;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_resources() {
        assert!(is_job_resource("arn:aws:states:::ecs:runTask.sync"));
        assert!(is_job_resource(
            "arn:aws:states:::sagemaker:createTrainingJob.sync"
        ));
        assert!(!is_job_resource("arn:aws:states:::ecs:runTask"));
        assert!(!is_job_resource(
            "arn:aws:states:::ecs:runTask.waitForTaskToken"
        ));
        assert!(!is_job_resource(
            "arn:aws:states:::states:startExecution.sync"
        ));
    }

    #[test]
    fn an_end_reaches_the_follower_once() {
        let jobs = Jobs::default();
        let n = jobs.register("arn", 3);
        jobs.ended("arn", 4);
        assert_eq!(jobs.count.load(Ordering::Relaxed), 1);
        jobs.ended("arn", 3);
        assert_eq!(jobs.count.load(Ordering::Relaxed), 0);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime");
        let got = rt.block_on(async {
            tokio::time::timeout(std::time::Duration::from_secs(1), n.notified())
                .await
                .is_ok()
        });
        assert!(got, "the stored permit wakes the follower");
    }
}
