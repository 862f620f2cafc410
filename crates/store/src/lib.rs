//! Stepline's store: one [`Store`] trait over state machines, versions, aliases, activities,
//! tags, executions, their history events, their engine journal and their timers, with two
//! implementations: [`SqliteStore`] (durable, WAL, one writer thread with group commit) and
//! [`MemoryStore`].
//!
//! All writes go through [`Store::submit`]: a list of [`Write`]s applied atomically, with a
//! callback once they are durable. The SQLite store gathers the submissions of many executions
//! into one transaction, so durability costs one commit per batch, not one per transition.
//!
//! Payloads (definitions, inputs, events) are stored as the JSON text the API returns, so the
//! store needs no knowledge of their shape.

mod cached;
mod memory;
#[cfg(feature = "postgres")]
pub mod postgres;
mod sqlite;

pub use cached::CachedStore;
pub use memory::MemoryStore;
#[cfg(feature = "postgres")]
pub use postgres::{PostgresOptions, PostgresStore};
pub use sqlite::{SqliteOptions, SqliteStore};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum StoreError {
    #[error("storage error: {0}")]
    Backend(String),
    #[error("the store is closed")]
    Closed,
    /// A `CreateExecution` whose ARN is already taken.
    #[error("execution already exists: {0}")]
    ExecutionExists(String),
    /// A step of an execution whose lease this node no longer holds (another node took it
    /// over): the step was not written, and this node must stop driving the execution.
    #[error("lease lost: {0}")]
    LeaseLost(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A state machine (its latest revision).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateMachineRecord {
    pub arn: String,
    pub name: String,
    /// `STANDARD` or `EXPRESS`.
    pub machine_type: String,
    pub definition: String,
    pub role_arn: String,
    /// `loggingConfiguration` as JSON text.
    pub logging_configuration: String,
    /// `tracingConfiguration` as JSON text.
    pub tracing_configuration: String,
    /// Milliseconds since the epoch.
    pub creation_date: i64,
    pub update_date: Option<i64>,
    pub revision_id: String,
    pub description: Option<String>,
    /// The number the next published version gets (versions are never reused).
    pub next_version: u64,
}

/// A published, immutable version of a state machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionRecord {
    pub arn: String,
    pub state_machine_arn: String,
    pub version: u64,
    pub machine_type: String,
    pub definition: String,
    pub role_arn: String,
    pub logging_configuration: String,
    pub tracing_configuration: String,
    pub description: Option<String>,
    pub revision_id: String,
    pub creation_date: i64,
}

/// An alias: a name routing executions to one or two versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AliasRecord {
    pub arn: String,
    pub state_machine_arn: String,
    pub name: String,
    pub description: Option<String>,
    /// `routingConfiguration` as JSON text.
    pub routing_configuration: String,
    pub creation_date: i64,
    pub update_date: i64,
}

/// An activity: a name workers poll for tasks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityRecord {
    pub arn: String,
    pub name: String,
    /// Milliseconds since the epoch.
    pub creation_date: i64,
}

/// Which activities to list: oldest first (creation date, then ARN), as ListActivities pages.
#[derive(Debug, Clone, Default)]
pub struct ActivityFilter {
    /// Only activities after this `(creation date, ARN)` (the page after one ending there).
    pub after: Option<(i64, String)>,
    /// At most this many.
    pub limit: Option<usize>,
}

/// A Standard execution.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionRecord {
    pub arn: String,
    pub state_machine_arn: String,
    pub state_machine_name: String,
    pub version_arn: Option<String>,
    pub alias_arn: Option<String>,
    pub name: String,
    /// `RUNNING`, `SUCCEEDED`, `FAILED`, `TIMED_OUT`, `ABORTED`.
    pub status: String,
    pub input: String,
    pub output: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub start_date: i64,
    pub stop_date: Option<i64>,
    /// Seed of the execution's entropy: with the journal it makes a replay exact.
    pub seed: u64,
    pub role_arn: String,
    /// The definition the execution runs (DescribeStateMachineForExecution, replays).
    pub definition: String,
    /// Creation order, for newest-first listings.
    pub seq: i64,
    pub redrive_count: u64,
}

/// How an execution closed.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionClose {
    pub status: String,
    pub output: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub stop_date: i64,
}

/// One event handed to the engine, with the time it was handled at: replaying the journal
/// through the deterministic engine rebuilds the execution exactly.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalEntry {
    pub seq: u64,
    pub at: i64,
    /// The engine event, as JSON text (its format belongs to the server).
    pub event: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TimerRecord {
    pub execution_arn: String,
    pub timer_id: u64,
    pub fire_at: i64,
}

/// Everything one engine step of an execution records, written atomically.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Append {
    pub execution_arn: String,
    pub journal: Option<JournalEntry>,
    /// `(event id, event JSON text)`.
    pub events: Vec<(u64, String)>,
    /// `(timer id, fire at ms)`.
    pub timers_added: Vec<(u64, i64)>,
    pub timers_removed: Vec<u64>,
    pub close: Option<ExecutionClose>,
}

/// One change to the store.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    /// Creates or replaces a state machine.
    PutStateMachine(StateMachineRecord),
    /// Deletes a state machine with its versions, aliases and tags (executions stay).
    DeleteStateMachine(String),
    PutVersion(VersionRecord),
    DeleteVersion(String),
    PutAlias(AliasRecord),
    DeleteAlias(String),
    /// Replaces all tags of a resource.
    SetTags {
        arn: String,
        tags: Vec<(String, String)>,
    },
    /// Creates an execution; fails with [`StoreError::ExecutionExists`] when its ARN is taken.
    CreateExecution(ExecutionRecord),
    Append(Append),
    /// RedriveExecution: reopens a closed execution (`RUNNING`, no output, error, cause or
    /// stop date) with its new redrive count; an `Append` with the redrive's first step
    /// follows in the same submission.
    RedriveExecution {
        arn: String,
        redrive_count: u64,
    },
    /// CreateActivity: creates the activity with `tags` unless one with its ARN exists; an
    /// existing one is kept as it is, tags included (AWS's idempotency: same name, same
    /// activity, whatever the tags).
    CreateActivity {
        activity: ActivityRecord,
        tags: Vec<(String, String)>,
    },
    /// Deletes an activity and its tags (nothing when there is none).
    DeleteActivity(String),
}

/// Called once a submission is durable (or failed).
pub type Done = Box<dyn FnOnce(Result<()>) + Send>;

/// Which executions to list.
#[derive(Debug, Clone, Default)]
pub struct ExecutionFilter {
    /// A state machine ARN (all its executions) or a version/alias ARN (theirs only).
    pub state_machine_arn: Option<String>,
    pub status: Option<String>,
    /// Only executions created before this `seq` (the page after one ending there).
    pub before_seq: Option<i64>,
    /// At most this many (newest first).
    pub limit: Option<usize>,
}

pub trait Store: Send + Sync {
    /// Applies `writes` atomically, then calls `done`. Submissions are applied in order.
    fn submit(&self, writes: Vec<Write>, done: Done);

    /// [`Store::submit`] and wait.
    fn write(&self, writes: Vec<Write>) -> Result<()> {
        let (tx, rx) = std::sync::mpsc::channel();
        self.submit(
            writes,
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        );
        rx.recv().unwrap_or(Err(StoreError::Closed))
    }

    fn state_machine(&self, arn: &str) -> Result<Option<StateMachineRecord>>;
    /// All state machines, by ARN.
    fn state_machines(&self) -> Result<Vec<StateMachineRecord>>;
    fn version(&self, arn: &str) -> Result<Option<VersionRecord>>;
    /// The versions of a state machine, newest first.
    fn versions(&self, state_machine_arn: &str) -> Result<Vec<VersionRecord>>;
    fn alias(&self, arn: &str) -> Result<Option<AliasRecord>>;
    /// The aliases of a state machine, by ARN.
    fn aliases(&self, state_machine_arn: &str) -> Result<Vec<AliasRecord>>;
    /// Tags in the order they were first set.
    fn tags(&self, arn: &str) -> Result<Vec<(String, String)>>;
    fn execution(&self, arn: &str) -> Result<Option<ExecutionRecord>>;
    /// Executions, newest first.
    fn executions(&self, filter: &ExecutionFilter) -> Result<Vec<ExecutionRecord>>;
    /// Executions still `RUNNING`, oldest first.
    fn open_executions(&self) -> Result<Vec<ExecutionRecord>>;
    /// History events `(id, JSON text)` in id order.
    fn history(&self, execution_arn: &str) -> Result<Vec<(u64, String)>>;
    fn journal(&self, execution_arn: &str) -> Result<Vec<JournalEntry>>;
    fn timers(&self, execution_arn: &str) -> Result<Vec<TimerRecord>>;
    fn activity(&self, arn: &str) -> Result<Option<ActivityRecord>>;
    /// Activities, oldest first (creation date, then ARN).
    fn activities(&self, filter: &ActivityFilter) -> Result<Vec<ActivityRecord>>;
    /// Largest execution `seq` stored (0 when none), so new ones sort after.
    fn max_execution_seq(&self) -> Result<i64>;
}

/// Is `a` past the page boundary of `f`?
pub(crate) fn activity_after(a: &ActivityRecord, f: &ActivityFilter) -> bool {
    match &f.after {
        None => true,
        Some((date, arn)) => (a.creation_date, a.arn.as_str()) > (*date, arn.as_str()),
    }
}

/// Does an execution belong to the listing of `filter_arn`?
pub(crate) fn matches_filter(e: &ExecutionRecord, f: &ExecutionFilter) -> bool {
    if let Some(s) = &f.status {
        if &e.status != s {
            return false;
        }
    }
    if f.before_seq.is_some_and(|b| e.seq >= b) {
        return false;
    }
    match &f.state_machine_arn {
        None => true,
        Some(a) => {
            &e.state_machine_arn == a
                || e.version_arn.as_deref() == Some(a)
                || e.alias_arn.as_deref() == Some(a)
        }
    }
}
