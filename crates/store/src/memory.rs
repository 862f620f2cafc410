//! The in-memory store: `--in-memory` servers and tests.

use crate::*;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

#[derive(Default)]
struct Inner {
    machines: BTreeMap<String, StateMachineRecord>,
    versions: BTreeMap<String, VersionRecord>,
    aliases: BTreeMap<String, AliasRecord>,
    tags: HashMap<String, Vec<(String, String)>>,
    activities: HashMap<String, ActivityRecord>,
    executions: HashMap<String, ExecutionRecord>,
    /// seq -> arn, for ordered listings.
    by_seq: BTreeMap<i64, String>,
    history: HashMap<String, BTreeMap<u64, String>>,
    journal: HashMap<String, Vec<JournalEntry>>,
    timers: HashMap<String, BTreeMap<u64, i64>>,
}

#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Inner>> {
        self.inner
            .lock()
            .map_err(|_| StoreError::Backend("store lock poisoned".into()))
    }
}

impl Inner {
    /// Checks what could fail before changing anything, so a submission is all or nothing.
    fn check(&self, writes: &[Write]) -> Result<()> {
        let mut created = std::collections::HashSet::new();
        for w in writes {
            match w {
                Write::CreateExecution(e)
                    if self.executions.contains_key(&e.arn) || !created.insert(&e.arn) =>
                {
                    return Err(StoreError::ExecutionExists(e.arn.clone()));
                }
                Write::Append(a)
                    if !self.executions.contains_key(&a.execution_arn)
                        && !created.contains(&a.execution_arn) =>
                {
                    return Err(StoreError::Backend(format!(
                        "no execution {}",
                        a.execution_arn
                    )))
                }
                Write::RedriveExecution { arn, .. }
                    if self
                        .executions
                        .get(arn)
                        .is_none_or(|e| e.status == "RUNNING") =>
                {
                    return Err(StoreError::Backend(format!("no closed execution {arn}")))
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn apply(&mut self, w: Write) {
        match w {
            Write::PutStateMachine(r) => {
                self.machines.insert(r.arn.clone(), r);
            }
            Write::DeleteStateMachine(arn) => {
                self.machines.remove(&arn);
                let prefix = format!("{arn}:");
                self.versions.retain(|k, _| !k.starts_with(&prefix));
                self.aliases.retain(|k, _| !k.starts_with(&prefix));
                // With its versions' and aliases' tags, as the other stores.
                self.tags
                    .retain(|k, _| *k != arn && !k.starts_with(&prefix));
            }
            Write::PutVersion(r) => {
                self.versions.insert(r.arn.clone(), r);
            }
            Write::DeleteVersion(arn) => {
                self.versions.remove(&arn);
                self.tags.remove(&arn);
            }
            Write::PutAlias(r) => {
                self.aliases.insert(r.arn.clone(), r);
            }
            Write::DeleteAlias(arn) => {
                self.aliases.remove(&arn);
                self.tags.remove(&arn);
            }
            Write::SetTags { arn, tags } => {
                if tags.is_empty() {
                    self.tags.remove(&arn);
                } else {
                    self.tags.insert(arn, tags);
                }
            }
            Write::CreateActivity { activity, tags } => {
                if !self.activities.contains_key(&activity.arn) {
                    if tags.is_empty() {
                        self.tags.remove(&activity.arn);
                    } else {
                        self.tags.insert(activity.arn.clone(), tags);
                    }
                    self.activities.insert(activity.arn.clone(), activity);
                }
            }
            Write::DeleteActivity(arn) => {
                self.activities.remove(&arn);
                self.tags.remove(&arn);
            }
            Write::CreateExecution(e) => {
                self.by_seq.insert(e.seq, e.arn.clone());
                self.executions.insert(e.arn.clone(), e);
            }
            Write::RedriveExecution { arn, redrive_count } => {
                if let Some(e) = self.executions.get_mut(&arn) {
                    e.status = "RUNNING".into();
                    e.output = None;
                    e.error = None;
                    e.cause = None;
                    e.stop_date = None;
                    e.redrive_count = redrive_count;
                }
            }
            Write::Append(a) => {
                let h = self.history.entry(a.execution_arn.clone()).or_default();
                for (id, text) in a.events {
                    h.entry(id).or_insert(text);
                }
                if let Some(j) = a.journal {
                    let list = self.journal.entry(a.execution_arn.clone()).or_default();
                    if list.last().is_none_or(|l| l.seq < j.seq) {
                        list.push(j);
                    }
                }
                let t = self.timers.entry(a.execution_arn.clone()).or_default();
                for (id, at) in a.timers_added {
                    t.insert(id, at);
                }
                for id in a.timers_removed {
                    t.remove(&id);
                }
                if let Some(c) = a.close {
                    self.timers.remove(&a.execution_arn);
                    self.journal.remove(&a.execution_arn);
                    if let Some(e) = self.executions.get_mut(&a.execution_arn) {
                        e.status = c.status;
                        e.output = c.output;
                        e.error = c.error;
                        e.cause = c.cause;
                        e.stop_date = Some(c.stop_date);
                    }
                }
            }
        }
    }
}

impl Store for MemoryStore {
    fn submit(&self, writes: Vec<Write>, done: Done) {
        let r = self.lock().and_then(|mut inner| {
            inner.check(&writes)?;
            for w in writes {
                inner.apply(w);
            }
            Ok(())
        });
        done(r)
    }

    fn state_machine(&self, arn: &str) -> Result<Option<StateMachineRecord>> {
        Ok(self.lock()?.machines.get(arn).cloned())
    }

    fn state_machines(&self) -> Result<Vec<StateMachineRecord>> {
        Ok(self.lock()?.machines.values().cloned().collect())
    }

    fn version(&self, arn: &str) -> Result<Option<VersionRecord>> {
        Ok(self.lock()?.versions.get(arn).cloned())
    }

    fn versions(&self, state_machine_arn: &str) -> Result<Vec<VersionRecord>> {
        let inner = self.lock()?;
        let mut v: Vec<VersionRecord> = inner
            .versions
            .values()
            .filter(|v| v.state_machine_arn == state_machine_arn)
            .cloned()
            .collect();
        v.sort_by_key(|v| std::cmp::Reverse(v.version));
        Ok(v)
    }

    fn alias(&self, arn: &str) -> Result<Option<AliasRecord>> {
        Ok(self.lock()?.aliases.get(arn).cloned())
    }

    fn aliases(&self, state_machine_arn: &str) -> Result<Vec<AliasRecord>> {
        Ok(self
            .lock()?
            .aliases
            .values()
            .filter(|a| a.state_machine_arn == state_machine_arn)
            .cloned()
            .collect())
    }

    fn tags(&self, arn: &str) -> Result<Vec<(String, String)>> {
        Ok(self.lock()?.tags.get(arn).cloned().unwrap_or_default())
    }

    fn execution(&self, arn: &str) -> Result<Option<ExecutionRecord>> {
        Ok(self.lock()?.executions.get(arn).cloned())
    }

    fn executions(&self, filter: &ExecutionFilter) -> Result<Vec<ExecutionRecord>> {
        let inner = self.lock()?;
        Ok(inner
            .by_seq
            .values()
            .rev()
            .filter_map(|arn| inner.executions.get(arn))
            .filter(|e| matches_filter(e, filter))
            .take(filter.limit.unwrap_or(usize::MAX))
            .cloned()
            .collect())
    }

    fn open_executions(&self) -> Result<Vec<ExecutionRecord>> {
        let inner = self.lock()?;
        Ok(inner
            .by_seq
            .values()
            .filter_map(|arn| inner.executions.get(arn))
            .filter(|e| e.status == "RUNNING")
            .cloned()
            .collect())
    }

    fn history(&self, execution_arn: &str) -> Result<Vec<(u64, String)>> {
        Ok(self
            .lock()?
            .history
            .get(execution_arn)
            .map(|h| h.iter().map(|(k, v)| (*k, v.clone())).collect())
            .unwrap_or_default())
    }

    fn journal(&self, execution_arn: &str) -> Result<Vec<JournalEntry>> {
        Ok(self
            .lock()?
            .journal
            .get(execution_arn)
            .cloned()
            .unwrap_or_default())
    }

    fn timers(&self, execution_arn: &str) -> Result<Vec<TimerRecord>> {
        Ok(self
            .lock()?
            .timers
            .get(execution_arn)
            .map(|t| {
                t.iter()
                    .map(|(id, at)| TimerRecord {
                        execution_arn: execution_arn.to_string(),
                        timer_id: *id,
                        fire_at: *at,
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    fn activity(&self, arn: &str) -> Result<Option<ActivityRecord>> {
        Ok(self.lock()?.activities.get(arn).cloned())
    }

    fn activities(&self, filter: &ActivityFilter) -> Result<Vec<ActivityRecord>> {
        let mut all: Vec<ActivityRecord> = self
            .lock()?
            .activities
            .values()
            .filter(|a| activity_after(a, filter))
            .cloned()
            .collect();
        all.sort_by(|a, b| (a.creation_date, &a.arn).cmp(&(b.creation_date, &b.arn)));
        all.truncate(filter.limit.unwrap_or(usize::MAX));
        Ok(all)
    }

    fn max_execution_seq(&self) -> Result<i64> {
        Ok(self.lock()?.by_seq.keys().next_back().copied().unwrap_or(0))
    }
}
