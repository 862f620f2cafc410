//! The durable store: SQLite in WAL mode. One writer thread owns the write connection and
//! commits the submissions waiting in its queue together (group commit); each submission runs
//! in its own savepoint so a failing one does not undo the others.

use crate::*;
use rusqlite::{params, Connection, OptionalExtension, Row};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Mutex;
use std::thread::JoinHandle;

/// How the SQLite store trades durability for speed.
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// `synchronous=FULL` (fsync at each commit: survives power loss) instead of `NORMAL`
    /// (survives a process crash, `kill -9`; the last commits may be lost on power loss).
    pub fsync_each_commit: bool,
    /// Most submissions one transaction takes.
    pub max_batch: usize,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            fsync_each_commit: true,
            max_batch: 4096,
        }
    }
}

type Job = (Vec<Write>, Done);

pub struct SqliteStore {
    path: PathBuf,
    tx: Mutex<Option<SyncSender<Job>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    reader: Mutex<Connection>,
}

fn err(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn json_err(e: serde_json::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// The schema, one step per version; a database records the last step it has in
/// `PRAGMA user_version`. Never edit a released step: add one. (Step 1 is the schema of
/// databases from before versioning, whose `user_version` is 0: it only creates what is
/// missing.)
const MIGRATIONS: &[(i64, &str)] = &[(1, SCHEMA), (2, SCHEMA_V2)];

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS state_machines (arn TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS versions (arn TEXT PRIMARY KEY, sm_arn TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS versions_sm ON versions (sm_arn, version);
CREATE TABLE IF NOT EXISTS aliases (arn TEXT PRIMARY KEY, sm_arn TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS aliases_sm ON aliases (sm_arn);
CREATE TABLE IF NOT EXISTS tags (arn TEXT NOT NULL, pos INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (arn, pos));
-- Executions refer to their definition by hash: thousands of executions share one text.
CREATE TABLE IF NOT EXISTS definitions (hash TEXT PRIMARY KEY, body TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS executions (
  arn TEXT PRIMARY KEY, sm_arn TEXT NOT NULL, sm_name TEXT NOT NULL, version_arn TEXT, alias_arn TEXT,
  name TEXT NOT NULL, status TEXT NOT NULL, input TEXT NOT NULL, output TEXT, error TEXT, cause TEXT,
  start_date INTEGER NOT NULL, stop_date INTEGER, seed INTEGER NOT NULL, role_arn TEXT NOT NULL,
  def_hash TEXT NOT NULL, seq INTEGER NOT NULL, redrive_count INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS executions_sm ON executions (sm_arn, seq);
CREATE INDEX IF NOT EXISTS executions_open ON executions (status) WHERE status = 'RUNNING';
-- One row per engine step: its events as lines of `id<TAB>json` (JSON text holds no raw
-- tab or newline), so a step costs one insert whatever its number of events. A rowid table:
-- rows of kilobytes are appended at its end and only the small key goes into the index
-- (databases made before keep their WITHOUT ROWID table; the statements suit both).
CREATE TABLE IF NOT EXISTS history (exec_arn TEXT NOT NULL, first_id INTEGER NOT NULL, last_id INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (exec_arn, first_id));
CREATE TABLE IF NOT EXISTS journal (exec_arn TEXT NOT NULL, seq INTEGER NOT NULL, at INTEGER NOT NULL, event TEXT NOT NULL, PRIMARY KEY (exec_arn, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS timers (exec_arn TEXT NOT NULL, id INTEGER NOT NULL, fire_at INTEGER NOT NULL, PRIMARY KEY (exec_arn, id)) WITHOUT ROWID;
";

const SCHEMA_V2: &str = "
CREATE TABLE activities (arn TEXT PRIMARY KEY, name TEXT NOT NULL, creation_date INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX activities_order ON activities (creation_date, arn);
";

/// Brings the database to the newest schema version, each step in its own transaction.
fn migrate(conn: &mut Connection) -> Result<()> {
    let current: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(err)?;
    let newest = MIGRATIONS.last().map_or(0, |m| m.0);
    if current > newest {
        return Err(StoreError::Backend(format!(
            "the database has schema version {current}; this build knows up to {newest}"
        )));
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        let tx = conn.transaction().map_err(err)?;
        tx.execute_batch(sql).map_err(err)?;
        tx.pragma_update(None, "user_version", version)
            .map_err(err)?;
        tx.commit().map_err(err)?;
    }
    Ok(())
}

/// A literal, not a `format!` per execution: the statement cache looks statements up by text.
const INSERT_EXECUTION: &str = "INSERT OR IGNORE INTO executions (arn, sm_arn, sm_name, version_arn, alias_arn, name, status, input, output, error, cause, start_date, stop_date, seed, role_arn, def_hash, seq, redrive_count) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)";

/// Executions with their definition text.
const EXEC_SELECT: &str = "SELECT e.arn, e.sm_arn, e.sm_name, e.version_arn, e.alias_arn, e.name, e.status, e.input, e.output, e.error, e.cause, e.start_date, e.stop_date, e.seed, e.role_arn, d.body, e.seq, e.redrive_count FROM executions e JOIN definitions d ON d.hash = e.def_hash";

fn definition_hash(text: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn exec_from_row(r: &Row<'_>) -> rusqlite::Result<ExecutionRecord> {
    Ok(ExecutionRecord {
        arn: r.get(0)?,
        state_machine_arn: r.get(1)?,
        state_machine_name: r.get(2)?,
        version_arn: r.get(3)?,
        alias_arn: r.get(4)?,
        name: r.get(5)?,
        status: r.get(6)?,
        input: r.get(7)?,
        output: r.get(8)?,
        error: r.get(9)?,
        cause: r.get(10)?,
        start_date: r.get(11)?,
        stop_date: r.get(12)?,
        seed: r.get::<_, i64>(13)? as u64,
        role_arn: r.get(14)?,
        definition: r.get(15)?,
        seq: r.get(16)?,
        redrive_count: r.get::<_, i64>(17)? as u64,
    })
}

fn activity_from_row(r: &Row<'_>) -> rusqlite::Result<ActivityRecord> {
    Ok(ActivityRecord {
        arn: r.get(0)?,
        name: r.get(1)?,
        creation_date: r.get(2)?,
    })
}

fn open(path: &Path, opts: &SqliteOptions) -> Result<Connection> {
    let conn = Connection::open(path).map_err(err)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))
        .map_err(err)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(err)?;
    let sync = if opts.fsync_each_commit {
        "FULL"
    } else {
        "NORMAL"
    };
    conn.pragma_update(None, "synchronous", sync).map_err(err)?;
    Ok(conn)
}

impl SqliteStore {
    /// Opens (or creates) the database file at `path`.
    pub fn open(path: impl AsRef<Path>, opts: SqliteOptions) -> Result<SqliteStore> {
        let path = path.as_ref().to_path_buf();
        let mut writer = open(&path, &opts)?;
        migrate(&mut writer)?;
        let reader = open(&path, &opts)?;
        let (tx, rx) = sync_channel::<Job>(65_536);
        let max_batch = opts.max_batch.max(1);
        let handle = std::thread::Builder::new()
            .name("stepline-store-writer".into())
            .spawn(move || writer_loop(writer, rx, max_batch))
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        Ok(SqliteStore {
            path,
            tx: Mutex::new(Some(tx)),
            writer: Mutex::new(Some(handle)),
            reader: Mutex::new(reader),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stops the writer after the submissions already queued are committed.
    pub fn close(&self) {
        if let Ok(mut tx) = self.tx.lock() {
            tx.take();
        }
        if let Ok(mut w) = self.writer.lock() {
            if let Some(h) = w.take() {
                let _ = h.join();
            }
        }
    }

    fn read<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        let conn = self
            .reader
            .lock()
            .map_err(|_| StoreError::Backend("reader lock poisoned".into()))?;
        f(&conn).map_err(err)
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        self.close();
    }
}

/// Definitions the database holds, by text: most executions run one of a few definitions,
/// so their hash and `INSERT OR IGNORE` are skipped. Only committed rows are remembered.
#[derive(Default)]
struct KnownDefinitions {
    committed: HashMap<String, String>,
    /// Inserted by the transaction in progress.
    tentative: Vec<(String, String)>,
}

impl KnownDefinitions {
    const MAX: usize = 1024;

    fn hash_of(&self, text: &str) -> Option<&str> {
        self.committed.get(text).map(String::as_str)
    }

    fn committed(&mut self) {
        if self.committed.len() + self.tentative.len() > Self::MAX {
            self.committed.clear();
        }
        self.committed.extend(self.tentative.drain(..));
    }
}

fn writer_loop(mut conn: Connection, rx: Receiver<Job>, max_batch: usize) {
    let mut known = KnownDefinitions::default();
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let results = commit_batch(&mut conn, &batch, &mut known);
        for ((_, done), r) in batch.into_iter().zip(results) {
            done(r);
        }
    }
}

fn savepoint(tx: &Connection, sql: &str) -> Result<()> {
    tx.prepare_cached(sql)
        .map_err(err)?
        .execute([])
        .map(drop)
        .map_err(err)
}

/// Applies every job in one transaction; returns each job's result once committed.
fn commit_batch(
    conn: &mut Connection,
    batch: &[Job],
    known: &mut KnownDefinitions,
) -> Vec<Result<()>> {
    // BEGIN/COMMIT as cached statements: `Connection::transaction` parses them every batch.
    let tx: &Connection = conn;
    if let Err(e) = savepoint(tx, "BEGIN") {
        return batch.iter().map(|_| Err(e.clone())).collect();
    }
    let mut results = Vec::with_capacity(batch.len());
    for (writes, _) in batch {
        let r = (|| -> Result<()> {
            savepoint(tx, "SAVEPOINT job")?;
            let before = known.tentative.len();
            let applied = apply_job(tx, writes, known);
            match applied {
                Ok(()) => savepoint(tx, "RELEASE job"),
                Err(e) => {
                    known.tentative.truncate(before);
                    savepoint(tx, "ROLLBACK TO job")?;
                    savepoint(tx, "RELEASE job")?;
                    Err(e)
                }
            }
        })();
        results.push(r);
    }
    match savepoint(tx, "COMMIT") {
        Ok(()) => {
            known.committed();
            results
        }
        Err(e) => {
            if !tx.is_autocommit() {
                let _ = savepoint(tx, "ROLLBACK");
            }
            known.tentative.clear();
            batch.iter().map(|_| Err(e.clone())).collect()
        }
    }
}

fn apply(tx: &Connection, w: &Write, known: &mut KnownDefinitions) -> Result<()> {
    match w {
        Write::PutStateMachine(r) => {
            let body = serde_json::to_string(r).map_err(json_err)?;
            tx.execute(
                "INSERT OR REPLACE INTO state_machines (arn, body) VALUES (?1, ?2)",
                params![r.arn, body],
            )
            .map_err(err)?;
        }
        Write::DeleteStateMachine(arn) => {
            // Its versions' and aliases' ARNs: `{arn}:...`, the range [`{arn}:`, `{arn};`)
            // (LIKE would take `_` as a wildcard and ignore case).
            let (from, to) = (format!("{arn}:"), format!("{arn};"));
            tx.execute("DELETE FROM state_machines WHERE arn = ?1", params![arn])
                .map_err(err)?;
            tx.execute("DELETE FROM versions WHERE sm_arn = ?1", params![arn])
                .map_err(err)?;
            tx.execute("DELETE FROM aliases WHERE sm_arn = ?1", params![arn])
                .map_err(err)?;
            tx.execute(
                "DELETE FROM tags WHERE arn = ?1 OR (arn >= ?2 AND arn < ?3)",
                params![arn, from, to],
            )
            .map_err(err)?;
        }
        Write::PutVersion(r) => {
            let body = serde_json::to_string(r).map_err(json_err)?;
            tx.execute(
                "INSERT OR REPLACE INTO versions (arn, sm_arn, version, body) VALUES (?1, ?2, ?3, ?4)",
                params![r.arn, r.state_machine_arn, r.version as i64, body],
            )
            .map_err(err)?;
        }
        Write::DeleteVersion(arn) | Write::DeleteAlias(arn) => {
            let table = if matches!(w, Write::DeleteVersion(_)) {
                "versions"
            } else {
                "aliases"
            };
            tx.execute(&format!("DELETE FROM {table} WHERE arn = ?1"), params![arn])
                .map_err(err)?;
            tx.execute("DELETE FROM tags WHERE arn = ?1", params![arn])
                .map_err(err)?;
        }
        Write::PutAlias(r) => {
            let body = serde_json::to_string(r).map_err(json_err)?;
            tx.execute(
                "INSERT OR REPLACE INTO aliases (arn, sm_arn, body) VALUES (?1, ?2, ?3)",
                params![r.arn, r.state_machine_arn, body],
            )
            .map_err(err)?;
        }
        Write::SetTags { arn, tags } => {
            tx.execute("DELETE FROM tags WHERE arn = ?1", params![arn])
                .map_err(err)?;
            let mut st = tx
                .prepare_cached("INSERT INTO tags (arn, pos, key, value) VALUES (?1, ?2, ?3, ?4)")
                .map_err(err)?;
            for (i, (k, v)) in tags.iter().enumerate() {
                st.execute(params![arn, i as i64, k, v]).map_err(err)?;
            }
        }
        Write::CreateActivity { activity, tags } => {
            let n = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO activities (arn, name, creation_date) VALUES (?1, ?2, ?3)",
                )
                .map_err(err)?
                .execute(params![activity.arn, activity.name, activity.creation_date])
                .map_err(err)?;
            if n == 1 {
                apply(
                    tx,
                    &Write::SetTags {
                        arn: activity.arn.clone(),
                        tags: tags.clone(),
                    },
                    known,
                )?;
            }
        }
        Write::DeleteActivity(arn) => {
            tx.prepare_cached("DELETE FROM activities WHERE arn = ?1")
                .map_err(err)?
                .execute(params![arn])
                .map_err(err)?;
            tx.execute("DELETE FROM tags WHERE arn = ?1", params![arn])
                .map_err(err)?;
        }
        Write::CreateExecution(e) => insert_execution(tx, e, None, known)?,
        Write::Append(a) => append(tx, a)?,
        Write::RedriveExecution { arn, redrive_count } => {
            let n = tx
                .prepare_cached(
                    "UPDATE executions SET status = 'RUNNING', output = NULL, error = NULL, cause = NULL, stop_date = NULL, redrive_count = ?2 WHERE arn = ?1 AND status <> 'RUNNING'",
                )
                .map_err(err)?
                .execute(params![arn, *redrive_count as i64])
                .map_err(err)?;
            if n == 0 {
                return Err(StoreError::Backend(format!("no closed execution {arn}")));
            }
        }
    }
    Ok(())
}

/// Inserts an execution, closed already when `close` is given.
fn insert_execution(
    tx: &Connection,
    e: &ExecutionRecord,
    close: Option<&ExecutionClose>,
    known: &mut KnownDefinitions,
) -> Result<()> {
    let hash = match known.hash_of(&e.definition) {
        Some(h) => h.to_string(),
        None => {
            let hash = definition_hash(&e.definition);
            tx.prepare_cached("INSERT OR IGNORE INTO definitions (hash, body) VALUES (?1, ?2)")
                .map_err(err)?
                .execute(params![hash, e.definition])
                .map_err(err)?;
            known.tentative.push((e.definition.clone(), hash.clone()));
            hash
        }
    };
    let mut st = tx.prepare_cached(INSERT_EXECUTION).map_err(err)?;
    let n = st
        .execute(params![
            e.arn,
            e.state_machine_arn,
            e.state_machine_name,
            e.version_arn,
            e.alias_arn,
            e.name,
            close.map_or(&e.status, |c| &c.status),
            e.input,
            close.map_or(e.output.as_ref(), |c| c.output.as_ref()),
            close.map_or(e.error.as_ref(), |c| c.error.as_ref()),
            close.map_or(e.cause.as_ref(), |c| c.cause.as_ref()),
            e.start_date,
            close.map_or(e.stop_date, |c| Some(c.stop_date)),
            e.seed as i64,
            e.role_arn,
            hash,
            e.seq,
            e.redrive_count as i64
        ])
        .map_err(err)?;
    if n == 0 {
        return Err(StoreError::ExecutionExists(e.arn.clone()));
    }
    Ok(())
}

/// Applies one submission. A new execution followed by its first step (what StartExecution
/// writes; for short executions it is the whole run) takes the fast path: the execution row
/// is inserted in its final state and there is no earlier history, journal or timer to look at.
fn apply_job(tx: &Connection, writes: &[Write], known: &mut KnownDefinitions) -> Result<()> {
    let mut i = 0;
    while let Some(w) = writes.get(i) {
        if let (Write::CreateExecution(e), Some(Write::Append(a))) = (w, writes.get(i + 1)) {
            if a.execution_arn == e.arn && a.journal.is_none() && a.timers_removed.is_empty() {
                insert_execution(tx, e, a.close.as_ref(), known)?;
                insert_history(tx, &e.arn, a.events.iter())?;
                if a.close.is_none() {
                    insert_timers(tx, &e.arn, &a.timers_added)?;
                }
                i += 2;
                continue;
            }
        }
        apply(tx, w, known)?;
        i += 1;
    }
    Ok(())
}

/// One history row holding a step's events.
fn insert_history<'a>(
    tx: &Connection,
    arn: &str,
    events: impl Iterator<Item = &'a (u64, String)>,
) -> Result<()> {
    let fresh: Vec<&(u64, String)> = events.collect();
    if let (Some(first), Some(last)) = (fresh.first(), fresh.last()) {
        let mut body = String::with_capacity(fresh.iter().map(|(_, t)| t.len() + 24).sum());
        for (id, text) in &fresh {
            body.push_str(&id.to_string());
            body.push('\t');
            body.push_str(text);
            body.push('\n');
        }
        tx.prepare_cached(
            "INSERT INTO history (exec_arn, first_id, last_id, body) VALUES (?1, ?2, ?3, ?4)",
        )
        .map_err(err)?
        .execute(params![arn, first.0 as i64, last.0 as i64, body])
        .map_err(err)?;
    }
    Ok(())
}

fn insert_timers(tx: &Connection, arn: &str, timers: &[(u64, i64)]) -> Result<()> {
    if !timers.is_empty() {
        let mut st = tx
            .prepare_cached(
                "INSERT OR REPLACE INTO timers (exec_arn, id, fire_at) VALUES (?1, ?2, ?3)",
            )
            .map_err(err)?;
        for (id, at) in timers {
            st.execute(params![arn, *id as i64, at]).map_err(err)?;
        }
    }
    Ok(())
}

fn append(tx: &Connection, a: &Append) -> Result<()> {
    let arn = &a.execution_arn;
    if !a.events.is_empty() {
        // Event ids grow within an execution: an id up to the last recorded one is already
        // there (a re-submitted step) and is not recorded twice.
        let recorded: i64 = tx
            .prepare_cached("SELECT COALESCE(MAX(last_id), 0) FROM history WHERE exec_arn = ?1")
            .map_err(err)?
            .query_row(params![arn], |r| r.get(0))
            .map_err(err)?;
        let fresh: Vec<&(u64, String)> = a
            .events
            .iter()
            .filter(|(id, _)| *id as i64 > recorded)
            .collect();
        insert_history(tx, arn, fresh.into_iter())?;
    }
    if let Some(j) = &a.journal {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO journal (exec_arn, seq, at, event) VALUES (?1, ?2, ?3, ?4)",
        )
        .map_err(err)?
        .execute(params![arn, j.seq as i64, j.at, j.event])
        .map_err(err)?;
    }
    insert_timers(tx, arn, &a.timers_added)?;
    if !a.timers_removed.is_empty() {
        let mut st = tx
            .prepare_cached("DELETE FROM timers WHERE exec_arn = ?1 AND id = ?2")
            .map_err(err)?;
        for id in &a.timers_removed {
            st.execute(params![arn, *id as i64]).map_err(err)?;
        }
    }
    if let Some(c) = &a.close {
        let n = tx
            .prepare_cached(
                "UPDATE executions SET status = ?2, output = ?3, error = ?4, cause = ?5, stop_date = ?6 WHERE arn = ?1",
            )
            .map_err(err)?
            .execute(params![arn, c.status, c.output, c.error, c.cause, c.stop_date])
            .map_err(err)?;
        if n == 0 {
            return Err(StoreError::Backend(format!("no execution {arn}")));
        }
        // A closed execution is never replayed: its journal and timers are garbage.
        tx.prepare_cached("DELETE FROM journal WHERE exec_arn = ?1")
            .map_err(err)?
            .execute(params![arn])
            .map_err(err)?;
        tx.prepare_cached("DELETE FROM timers WHERE exec_arn = ?1")
            .map_err(err)?
            .execute(params![arn])
            .map_err(err)?;
    }
    Ok(())
}

fn body<T: serde::de::DeserializeOwned>(text: String) -> rusqlite::Result<T> {
    serde_json::from_str(&text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

impl Store for SqliteStore {
    fn submit(&self, writes: Vec<Write>, done: Done) {
        let tx = match self.tx.lock() {
            Ok(g) => g.clone(),
            Err(_) => None,
        };
        match tx {
            Some(tx) => {
                if let Err(std::sync::mpsc::SendError((_, done))) = tx.send((writes, done)) {
                    done(Err(StoreError::Closed));
                }
            }
            None => done(Err(StoreError::Closed)),
        }
    }

    fn state_machine(&self, arn: &str) -> Result<Option<StateMachineRecord>> {
        self.read(|c| {
            let t: Option<String> = c
                .prepare_cached("SELECT body FROM state_machines WHERE arn = ?1")?
                .query_row(params![arn], |r| r.get(0))
                .optional()?;
            t.map(body).transpose()
        })
    }

    fn state_machines(&self) -> Result<Vec<StateMachineRecord>> {
        self.read(|c| {
            let mut st = c.prepare_cached("SELECT body FROM state_machines ORDER BY arn")?;
            let rows = st.query_map([], |r| r.get::<_, String>(0))?;
            rows.map(|r| r.and_then(body)).collect()
        })
    }

    fn version(&self, arn: &str) -> Result<Option<VersionRecord>> {
        self.read(|c| {
            let t: Option<String> = c
                .prepare_cached("SELECT body FROM versions WHERE arn = ?1")?
                .query_row(params![arn], |r| r.get(0))
                .optional()?;
            t.map(body).transpose()
        })
    }

    fn versions(&self, state_machine_arn: &str) -> Result<Vec<VersionRecord>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT body FROM versions WHERE sm_arn = ?1 ORDER BY version DESC",
            )?;
            let rows = st.query_map(params![state_machine_arn], |r| r.get::<_, String>(0))?;
            rows.map(|r| r.and_then(body)).collect()
        })
    }

    fn alias(&self, arn: &str) -> Result<Option<AliasRecord>> {
        self.read(|c| {
            let t: Option<String> = c
                .prepare_cached("SELECT body FROM aliases WHERE arn = ?1")?
                .query_row(params![arn], |r| r.get(0))
                .optional()?;
            t.map(body).transpose()
        })
    }

    fn aliases(&self, state_machine_arn: &str) -> Result<Vec<AliasRecord>> {
        self.read(|c| {
            let mut st =
                c.prepare_cached("SELECT body FROM aliases WHERE sm_arn = ?1 ORDER BY arn")?;
            let rows = st.query_map(params![state_machine_arn], |r| r.get::<_, String>(0))?;
            rows.map(|r| r.and_then(body)).collect()
        })
    }

    fn tags(&self, arn: &str) -> Result<Vec<(String, String)>> {
        self.read(|c| {
            let mut st =
                c.prepare_cached("SELECT key, value FROM tags WHERE arn = ?1 ORDER BY pos")?;
            let rows = st.query_map(params![arn], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })
    }

    fn execution(&self, arn: &str) -> Result<Option<ExecutionRecord>> {
        self.read(|c| {
            c.prepare_cached(&format!("{EXEC_SELECT} WHERE e.arn = ?1"))?
                .query_row(params![arn], exec_from_row)
                .optional()
        })
    }

    fn executions(&self, filter: &ExecutionFilter) -> Result<Vec<ExecutionRecord>> {
        // A version/alias ARN extends its state machine's ARN by `:suffix`.
        let sm = filter.state_machine_arn.as_deref().map(sm_of);
        let qualifier = filter
            .state_machine_arn
            .as_deref()
            .filter(|a| Some(*a) != sm);
        let limit = filter.limit.map_or(-1, |l| l.min(i64::MAX as usize) as i64);
        self.read(|c| {
            let mut st = c.prepare_cached(&format!(
                "{EXEC_SELECT} WHERE (?1 IS NULL OR e.sm_arn = ?1) \
                 AND (?2 IS NULL OR e.version_arn = ?2 OR e.alias_arn = ?2) \
                 AND (?3 IS NULL OR e.status = ?3) AND (?4 IS NULL OR e.seq < ?4) \
                 ORDER BY e.seq DESC LIMIT ?5"
            ))?;
            let rows = st.query_map(
                params![sm, qualifier, filter.status, filter.before_seq, limit],
                exec_from_row,
            )?;
            rows.collect()
        })
    }

    fn open_executions(&self) -> Result<Vec<ExecutionRecord>> {
        self.read(|c| {
            let mut st = c.prepare_cached(&format!(
                "{EXEC_SELECT} WHERE e.status = 'RUNNING' ORDER BY e.seq"
            ))?;
            let rows = st.query_map([], exec_from_row)?;
            rows.collect()
        })
    }

    fn history(&self, execution_arn: &str) -> Result<Vec<(u64, String)>> {
        self.read(|c| {
            let mut st =
                c.prepare_cached("SELECT body FROM history WHERE exec_arn = ?1 ORDER BY first_id")?;
            let rows = st.query_map(params![execution_arn], |r| r.get::<_, String>(0))?;
            let mut out = Vec::new();
            for body in rows {
                for line in body?.lines() {
                    if let Some((id, text)) = line.split_once('\t') {
                        if let Ok(id) = id.parse::<u64>() {
                            out.push((id, text.to_string()));
                        }
                    }
                }
            }
            Ok(out)
        })
    }

    fn journal(&self, execution_arn: &str) -> Result<Vec<JournalEntry>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT seq, at, event FROM journal WHERE exec_arn = ?1 ORDER BY seq",
            )?;
            let rows = st.query_map(params![execution_arn], |r| {
                Ok(JournalEntry {
                    seq: r.get::<_, i64>(0)? as u64,
                    at: r.get(1)?,
                    event: r.get(2)?,
                })
            })?;
            rows.collect()
        })
    }

    fn timers(&self, execution_arn: &str) -> Result<Vec<TimerRecord>> {
        self.read(|c| {
            let mut st =
                c.prepare_cached("SELECT id, fire_at FROM timers WHERE exec_arn = ?1 ORDER BY id")?;
            let rows = st.query_map(params![execution_arn], |r| {
                Ok(TimerRecord {
                    execution_arn: execution_arn.to_string(),
                    timer_id: r.get::<_, i64>(0)? as u64,
                    fire_at: r.get(1)?,
                })
            })?;
            rows.collect()
        })
    }

    fn activity(&self, arn: &str) -> Result<Option<ActivityRecord>> {
        self.read(|c| {
            c.prepare_cached("SELECT arn, name, creation_date FROM activities WHERE arn = ?1")?
                .query_row(params![arn], activity_from_row)
                .optional()
        })
    }

    fn activities(&self, filter: &ActivityFilter) -> Result<Vec<ActivityRecord>> {
        let (date, arn) = match &filter.after {
            Some((d, a)) => (Some(*d), Some(a.as_str())),
            None => (None, None),
        };
        let limit = filter.limit.map_or(-1, |l| l.min(i64::MAX as usize) as i64);
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT arn, name, creation_date FROM activities \
                 WHERE ?1 IS NULL OR creation_date > ?1 OR (creation_date = ?1 AND arn > ?2) \
                 ORDER BY creation_date, arn LIMIT ?3",
            )?;
            let rows = st.query_map(params![date, arn, limit], activity_from_row)?;
            rows.collect()
        })
    }

    fn max_execution_seq(&self) -> Result<i64> {
        self.read(|c| {
            c.query_row("SELECT COALESCE(MAX(seq), 0) FROM executions", [], |r| {
                r.get(0)
            })
        })
    }
}

/// The state machine ARN a version or alias ARN belongs to
/// (`arn:aws:states:r:a:stateMachine:name[:suffix]`).
fn sm_of(arn: &str) -> &str {
    let mut colons = arn.match_indices(':').map(|(i, _)| i);
    match colons.nth(6) {
        Some(i) => &arn[..i],
        None => arn,
    }
}
