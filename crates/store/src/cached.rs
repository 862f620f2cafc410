//! A read cache over another store for the records every StartExecution reads (state
//! machines and versions), so the hot path does not go to SQLite and parse JSON each time,
//! and for the activities every activity Task checks before it is scheduled.

use crate::*;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

type Cache<T> = Arc<Mutex<HashMap<String, Option<T>>>>;

pub struct CachedStore {
    inner: Arc<dyn Store>,
    caches: Caches,
}

impl CachedStore {
    pub fn new(inner: Arc<dyn Store>) -> Self {
        CachedStore {
            inner,
            caches: Caches::default(),
        }
    }
}

/// The cache entries a write makes stale.
#[derive(Default)]
struct Stale {
    machines: Vec<String>,
    versions: Vec<String>,
    all_versions: bool,
    activities: Vec<String>,
}

impl Stale {
    fn of(writes: &[Write]) -> Stale {
        let mut s = Stale::default();
        for w in writes {
            match w {
                Write::PutStateMachine(r) => s.machines.push(r.arn.clone()),
                Write::DeleteStateMachine(arn) => {
                    s.machines.push(arn.clone());
                    s.all_versions = true;
                }
                Write::PutVersion(r) => s.versions.push(r.arn.clone()),
                Write::DeleteVersion(arn) => s.versions.push(arn.clone()),
                Write::CreateActivity { activity, .. } => s.activities.push(activity.arn.clone()),
                Write::DeleteActivity(arn) => s.activities.push(arn.clone()),
                _ => {}
            }
        }
        s
    }

    fn is_empty(&self) -> bool {
        self.machines.is_empty()
            && self.versions.is_empty()
            && !self.all_versions
            && self.activities.is_empty()
    }
}

#[derive(Clone, Default)]
struct Caches {
    machines: Cache<StateMachineRecord>,
    versions: Cache<VersionRecord>,
    activities: Cache<ActivityRecord>,
}

impl Caches {
    fn forget(&self, which: &Stale) {
        if let Ok(mut m) = self.machines.lock() {
            for a in &which.machines {
                m.remove(a);
            }
        }
        if let Ok(mut v) = self.versions.lock() {
            if which.all_versions {
                v.clear();
            }
            for a in &which.versions {
                v.remove(a);
            }
        }
        if let Ok(mut c) = self.activities.lock() {
            for a in &which.activities {
                c.remove(a);
            }
        }
    }
}

fn cached<T: Clone>(
    cache: &Cache<T>,
    key: &str,
    load: impl FnOnce() -> Result<Option<T>>,
) -> Result<Option<T>> {
    if let Ok(c) = cache.lock() {
        if let Some(v) = c.get(key) {
            return Ok(v.clone());
        }
    }
    let v = load()?;
    if let Ok(mut c) = cache.lock() {
        if c.len() > 100_000 {
            c.clear();
        }
        c.insert(key.to_string(), v.clone());
    }
    Ok(v)
}

impl Store for CachedStore {
    fn submit(&self, writes: Vec<Write>, done: Done) {
        let which = Stale::of(&writes);
        if which.is_empty() {
            return self.inner.submit(writes, done);
        }
        // Forget before (no reader keeps the old record) and after the commit (a reader that
        // loaded the old record in between does not keep it either).
        self.caches.forget(&which);
        let caches = self.caches.clone();
        self.inner.submit(
            writes,
            Box::new(move |r| {
                caches.forget(&which);
                done(r)
            }),
        )
    }

    fn state_machine(&self, arn: &str) -> Result<Option<StateMachineRecord>> {
        cached(&self.caches.machines, arn, || self.inner.state_machine(arn))
    }

    fn state_machines(&self) -> Result<Vec<StateMachineRecord>> {
        self.inner.state_machines()
    }

    fn version(&self, arn: &str) -> Result<Option<VersionRecord>> {
        cached(&self.caches.versions, arn, || self.inner.version(arn))
    }

    fn versions(&self, state_machine_arn: &str) -> Result<Vec<VersionRecord>> {
        self.inner.versions(state_machine_arn)
    }

    fn alias(&self, arn: &str) -> Result<Option<AliasRecord>> {
        self.inner.alias(arn)
    }

    fn aliases(&self, state_machine_arn: &str) -> Result<Vec<AliasRecord>> {
        self.inner.aliases(state_machine_arn)
    }

    fn tags(&self, arn: &str) -> Result<Vec<(String, String)>> {
        self.inner.tags(arn)
    }

    fn execution(&self, arn: &str) -> Result<Option<ExecutionRecord>> {
        self.inner.execution(arn)
    }

    fn executions(&self, filter: &ExecutionFilter) -> Result<Vec<ExecutionRecord>> {
        self.inner.executions(filter)
    }

    fn open_executions(&self) -> Result<Vec<ExecutionRecord>> {
        self.inner.open_executions()
    }

    fn history(&self, execution_arn: &str) -> Result<Vec<(u64, String)>> {
        self.inner.history(execution_arn)
    }

    fn journal(&self, execution_arn: &str) -> Result<Vec<JournalEntry>> {
        self.inner.journal(execution_arn)
    }

    fn timers(&self, execution_arn: &str) -> Result<Vec<TimerRecord>> {
        self.inner.timers(execution_arn)
    }

    fn activity(&self, arn: &str) -> Result<Option<ActivityRecord>> {
        cached(&self.caches.activities, arn, || self.inner.activity(arn))
    }

    fn activities(&self, filter: &ActivityFilter) -> Result<Vec<ActivityRecord>> {
        self.inner.activities(filter)
    }

    fn max_execution_seq(&self) -> Result<i64> {
        self.inner.max_execution_seq()
    }
}
