//! A read cache over another store for the records every StartExecution reads (state
//! machines and versions), so the hot path does not go to SQLite and parse JSON each time.

use crate::*;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

type Cache<T> = Arc<Mutex<HashMap<String, Option<T>>>>;

pub struct CachedStore {
    inner: Arc<dyn Store>,
    machines: Cache<StateMachineRecord>,
    versions: Cache<VersionRecord>,
}

impl CachedStore {
    pub fn new(inner: Arc<dyn Store>) -> Self {
        CachedStore {
            inner,
            machines: Arc::default(),
            versions: Arc::default(),
        }
    }
}

/// The cache entries a write makes stale.
fn stale(writes: &[Write]) -> (Vec<String>, Vec<String>, bool) {
    let (mut machines, mut versions, mut all_versions) = (Vec::new(), Vec::new(), false);
    for w in writes {
        match w {
            Write::PutStateMachine(r) => machines.push(r.arn.clone()),
            Write::DeleteStateMachine(arn) => {
                machines.push(arn.clone());
                all_versions = true;
            }
            Write::PutVersion(r) => versions.push(r.arn.clone()),
            Write::DeleteVersion(arn) => versions.push(arn.clone()),
            _ => {}
        }
    }
    (machines, versions, all_versions)
}

fn forget(
    machines: &Cache<StateMachineRecord>,
    versions: &Cache<VersionRecord>,
    which: &(Vec<String>, Vec<String>, bool),
) {
    if let Ok(mut m) = machines.lock() {
        for a in &which.0 {
            m.remove(a);
        }
    }
    if let Ok(mut v) = versions.lock() {
        if which.2 {
            v.clear();
        }
        for a in &which.1 {
            v.remove(a);
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
        let which = stale(&writes);
        if which.0.is_empty() && which.1.is_empty() && !which.2 {
            return self.inner.submit(writes, done);
        }
        // Forget before (no reader keeps the old record) and after the commit (a reader that
        // loaded the old record in between does not keep it either).
        forget(&self.machines, &self.versions, &which);
        let (m, v) = (self.machines.clone(), self.versions.clone());
        self.inner.submit(
            writes,
            Box::new(move |r| {
                forget(&m, &v, &which);
                done(r)
            }),
        )
    }

    fn state_machine(&self, arn: &str) -> Result<Option<StateMachineRecord>> {
        cached(&self.machines, arn, || self.inner.state_machine(arn))
    }

    fn state_machines(&self) -> Result<Vec<StateMachineRecord>> {
        self.inner.state_machines()
    }

    fn version(&self, arn: &str) -> Result<Option<VersionRecord>> {
        cached(&self.versions, arn, || self.inner.version(arn))
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

    fn max_execution_seq(&self) -> Result<i64> {
        self.inner.max_execution_seq()
    }
}
