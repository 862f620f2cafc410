//! The PostgreSQL store: several Stepline nodes sharing one database.
//!
//! The [`Store`] trait is synchronous and is called from tokio worker threads, so the store
//! owns a small tokio runtime of its own that drives `tokio-postgres` connections; callers
//! wait on a plain channel, which works from any thread (a nested `block_on` would not).
//!
//! Writes: one writer task takes every submission queued since its last commit and sends the
//! whole batch as one pipelined flight (`BEGIN`, every statement, `COMMIT`), so a batch costs
//! one network round trip and one commit however many submissions it carries. A submission
//! that fails (a taken execution ARN, say) aborts the transaction; its error is recorded and
//! the rest of the batch is sent again without it, so one failing submission never undoes the
//! others, as with SQLite's savepoints.
//!
//! Reads go to a few reader connections, each pipelining the queries of concurrent callers.

use crate::*;
use futures_util::future::{join_all, try_join_all};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Config, NoTls, Row, Statement};

/// How the PostgreSQL store batches and connects.
#[derive(Debug, Clone)]
pub struct PostgresOptions {
    /// Most submissions one transaction takes.
    pub max_batch: usize,
    /// Reader connections (each pipelines the reads of concurrent callers).
    pub readers: usize,
    /// Set when several nodes share the database: executions are then leased to one node at
    /// a time and every step is fenced by its lease. `None`: one node, no leases (as SQLite).
    pub node: Option<NodeOptions>,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        PostgresOptions {
            max_batch: 4096,
            readers: 2,
            node: None,
        }
    }
}

/// This node, when several share the database.
#[derive(Debug, Clone)]
pub struct NodeOptions {
    /// Unique among the live nodes (a host name and process id, say).
    pub id: String,
    /// How long a lease lasts without renewal, in milliseconds (measured on the database's
    /// clock, so nodes' clocks need not agree).
    pub lease_ms: i64,
}

/// An execution leased to this node. `token` grows with every claim of the execution, so
/// a node that lost the lease holds a smaller token and its writes are refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub execution_arn: String,
    pub token: i64,
}

/// An API call one node forwards to another (see [`PostgresStore::post_message`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: i64,
    pub kind: String,
    pub target: String,
    pub body: String,
}

/// The wake-up channel: payloads say what happened (`released`, or what the caller of
/// [`PostgresStore::notify`] sent).
pub const WAKE_CHANNEL: &str = "stepline_work";

/// Counters of the writer, to check the cost of durability.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostgresStats {
    /// Transactions committed or attempted (a retry after a failed submission counts again).
    pub batches: u64,
    /// Submissions taken.
    pub submissions: u64,
    /// Statements sent, `BEGIN` and `COMMIT` included.
    pub statements: u64,
    /// Times the writer waited on the server.
    pub round_trips: u64,
    /// Reads (and lease, inbox and notify calls) sent on the reader connections: one query
    /// each (concurrent ones share the connection's pipeline).
    pub reads: u64,
}

/// The schema, one migration per version; a database records the versions it has in
/// `schema_version`. Never edit a released migration: add one.
const MIGRATIONS: &[(i32, &str)] = &[
    (1, SCHEMA_V1),
    (2, SCHEMA_V2),
    (3, SCHEMA_V3),
    (4, SCHEMA_V4),
];

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: i32 = 4;

// Keys compare bytewise (`COLLATE "C"`), as in the SQLite and memory stores, so listings
// sort the same on every backend whatever the database's locale.
const SCHEMA_V1: &str = r#"
CREATE TABLE state_machines (arn TEXT COLLATE "C" PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE versions (arn TEXT COLLATE "C" PRIMARY KEY, sm_arn TEXT COLLATE "C" NOT NULL, version BIGINT NOT NULL, body TEXT NOT NULL);
CREATE INDEX versions_sm ON versions (sm_arn, version);
CREATE TABLE aliases (arn TEXT COLLATE "C" PRIMARY KEY, sm_arn TEXT COLLATE "C" NOT NULL, body TEXT NOT NULL);
CREATE INDEX aliases_sm ON aliases (sm_arn);
CREATE TABLE tags (arn TEXT COLLATE "C" NOT NULL, pos BIGINT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (arn, pos));
CREATE TABLE executions (
  arn TEXT COLLATE "C" PRIMARY KEY, sm_arn TEXT COLLATE "C" NOT NULL, sm_name TEXT NOT NULL,
  version_arn TEXT, alias_arn TEXT, name TEXT NOT NULL, status TEXT NOT NULL, input TEXT NOT NULL,
  output TEXT, error TEXT, cause TEXT, start_date BIGINT NOT NULL, stop_date BIGINT,
  seed BIGINT NOT NULL, role_arn TEXT NOT NULL, definition TEXT NOT NULL, seq BIGINT NOT NULL,
  redrive_count BIGINT NOT NULL);
CREATE INDEX executions_seq ON executions (seq);
CREATE INDEX executions_sm ON executions (sm_arn, seq);
CREATE INDEX executions_open ON executions (seq) WHERE status = 'RUNNING';
CREATE TABLE history (exec_arn TEXT COLLATE "C" NOT NULL, id BIGINT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (exec_arn, id));
CREATE TABLE journal (exec_arn TEXT COLLATE "C" NOT NULL, seq BIGINT NOT NULL, at BIGINT NOT NULL, event TEXT NOT NULL, PRIMARY KEY (exec_arn, seq));
CREATE TABLE timers (exec_arn TEXT COLLATE "C" NOT NULL, id BIGINT NOT NULL, fire_at BIGINT NOT NULL, PRIMARY KEY (exec_arn, id));

-- One engine step in one statement: fewer messages per batch, and the existence check and
-- the writes cannot drift apart.
CREATE FUNCTION stepline_append(
  p_arn TEXT, p_ids BIGINT[], p_bodies TEXT[], p_jseq BIGINT, p_jat BIGINT, p_jevent TEXT,
  p_tids BIGINT[], p_tat BIGINT[], p_removed BIGINT[], p_status TEXT, p_output TEXT,
  p_error TEXT, p_cause TEXT, p_stop BIGINT) RETURNS VOID LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM executions WHERE arn = p_arn;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'P0002', MESSAGE = 'no execution ' || p_arn;
  END IF;
  IF cardinality(p_ids) > 0 THEN
    -- An event id is recorded once, even if a step is submitted again.
    INSERT INTO history (exec_arn, id, body)
      SELECT p_arn, t.i, t.b FROM unnest(p_ids, p_bodies) AS t(i, b)
      ON CONFLICT DO NOTHING;
  END IF;
  IF p_jseq IS NOT NULL THEN
    INSERT INTO journal (exec_arn, seq, at, event) VALUES (p_arn, p_jseq, p_jat, p_jevent)
      ON CONFLICT DO NOTHING;
  END IF;
  IF cardinality(p_tids) > 0 THEN
    INSERT INTO timers (exec_arn, id, fire_at)
      SELECT p_arn, t.i, t.f FROM unnest(p_tids, p_tat) AS t(i, f)
      ON CONFLICT (exec_arn, id) DO UPDATE SET fire_at = EXCLUDED.fire_at;
  END IF;
  IF cardinality(p_removed) > 0 THEN
    DELETE FROM timers WHERE exec_arn = p_arn AND id = ANY (p_removed);
  END IF;
  IF p_status IS NOT NULL THEN
    UPDATE executions SET status = p_status, output = p_output, error = p_error,
      cause = p_cause, stop_date = p_stop WHERE arn = p_arn;
    -- A closed execution is never replayed: its journal and timers are garbage.
    DELETE FROM journal WHERE exec_arn = p_arn;
    DELETE FROM timers WHERE exec_arn = p_arn;
  END IF;
END
$$;
"#;

// Leases, for several nodes. Executions created before have `lease_expires = 0`: any node
// may claim them.
const SCHEMA_V2: &str = r#"
CREATE FUNCTION stepline_now() RETURNS BIGINT LANGUAGE sql VOLATILE AS
  $$ SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint $$;
-- Creation gives token 0; every claim takes a larger one.
CREATE SEQUENCE stepline_lease_token START 1;
ALTER TABLE executions ADD COLUMN owner TEXT, ADD COLUMN lease_token BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN lease_expires BIGINT NOT NULL DEFAULT 0;
CREATE INDEX executions_lease ON executions (lease_expires) WHERE status = 'RUNNING';

DROP FUNCTION stepline_append(TEXT, BIGINT[], TEXT[], BIGINT, BIGINT, TEXT, BIGINT[], BIGINT[],
  BIGINT[], TEXT, TEXT, TEXT, TEXT, BIGINT);
-- p_token NULL: unfenced (one node). Otherwise the step commits only while the execution's
-- lease still carries that token; the row lock held to commit makes a claim by another node
-- wait (or skip the row) until this step is in, so the new owner replays it.
CREATE FUNCTION stepline_append(
  p_arn TEXT, p_ids BIGINT[], p_bodies TEXT[], p_jseq BIGINT, p_jat BIGINT, p_jevent TEXT,
  p_tids BIGINT[], p_tat BIGINT[], p_removed BIGINT[], p_status TEXT, p_output TEXT,
  p_error TEXT, p_cause TEXT, p_stop BIGINT, p_token BIGINT) RETURNS VOID LANGUAGE plpgsql AS $$
BEGIN
  IF p_token IS NULL THEN
    PERFORM 1 FROM executions WHERE arn = p_arn;
    IF NOT FOUND THEN
      RAISE EXCEPTION USING ERRCODE = 'P0002', MESSAGE = 'no execution ' || p_arn;
    END IF;
  ELSE
    PERFORM 1 FROM executions WHERE arn = p_arn AND lease_token = p_token FOR NO KEY UPDATE;
    IF NOT FOUND THEN
      RAISE EXCEPTION USING ERRCODE = 'SL001', MESSAGE = 'lease lost: ' || p_arn;
    END IF;
  END IF;
  IF cardinality(p_ids) > 0 THEN
    INSERT INTO history (exec_arn, id, body)
      SELECT p_arn, t.i, t.b FROM unnest(p_ids, p_bodies) AS t(i, b)
      ON CONFLICT DO NOTHING;
  END IF;
  IF p_jseq IS NOT NULL THEN
    INSERT INTO journal (exec_arn, seq, at, event) VALUES (p_arn, p_jseq, p_jat, p_jevent)
      ON CONFLICT DO NOTHING;
  END IF;
  IF cardinality(p_tids) > 0 THEN
    INSERT INTO timers (exec_arn, id, fire_at)
      SELECT p_arn, t.i, t.f FROM unnest(p_tids, p_tat) AS t(i, f)
      ON CONFLICT (exec_arn, id) DO UPDATE SET fire_at = EXCLUDED.fire_at;
  END IF;
  IF cardinality(p_removed) > 0 THEN
    DELETE FROM timers WHERE exec_arn = p_arn AND id = ANY (p_removed);
  END IF;
  IF p_status IS NOT NULL THEN
    UPDATE executions SET status = p_status, output = p_output, error = p_error,
      cause = p_cause, stop_date = p_stop, owner = NULL WHERE arn = p_arn;
    DELETE FROM journal WHERE exec_arn = p_arn;
    DELETE FROM timers WHERE exec_arn = p_arn;
  END IF;
END
$$;
"#;

// Several nodes: execution `seq` numbers from one sequence (taken by the INSERT itself, so
// no extra round trip), and the inbox of API calls one node forwards to the node that owns
// the execution (or knows the task token, or has an activity task for a poller).
const SCHEMA_V3: &str = r#"
CREATE SEQUENCE stepline_exec_seq;
SELECT setval('stepline_exec_seq', (SELECT COALESCE(MAX(seq), 0) + 1 FROM executions), false);
CREATE TABLE inbox (
  id BIGSERIAL PRIMARY KEY, kind TEXT NOT NULL, target TEXT NOT NULL, body TEXT NOT NULL,
  reply TEXT, created BIGINT NOT NULL DEFAULT stepline_now());
CREATE INDEX inbox_open ON inbox (id) WHERE reply IS NULL;
"#;

// Activities in a table of their own (they were the tags of a pseudo-ARN before, which the
// server moves here on start).
const SCHEMA_V4: &str = r#"
CREATE TABLE activities (arn TEXT COLLATE "C" PRIMARY KEY, name TEXT NOT NULL, creation_date BIGINT NOT NULL);
CREATE INDEX activities_order ON activities (creation_date, arn);
"#;

/// The SQLSTATE `stepline_append` raises when the lease token is stale.
const LEASE_LOST: &str = "SL001";

/// Serialises concurrent migrations of nodes starting together (any constant works, as long
/// as every node uses the same).
const MIGRATION_LOCK: i64 = 0x5354_4550_4c49_4e45;

const EXEC_COLS: &str = "arn, sm_arn, sm_name, version_arn, alias_arn, name, status, input, output, error, cause, start_date, stop_date, seed, role_arn, definition, seq, redrive_count";

macro_rules! statements {
    ($($name:ident = $sql:expr;)*) => {
        /// The statements of one connection, prepared together when it opens.
        struct Stmts { $($name: Statement,)* }

        impl Stmts {
            async fn prepare(c: &Client) -> Result<Stmts> {
                let sqls: Vec<String> = vec![$(String::from($sql)),*];
                let mut v = try_join_all(sqls.iter().map(|s| c.prepare(s)))
                    .await
                    .map_err(pg)?
                    .into_iter();
                Ok(Stmts {
                    $($name: v
                        .next()
                        .ok_or_else(|| StoreError::Backend("statement missing".into()))?,)*
                })
            }
        }
    };
}

statements! {
    put_sm = "INSERT INTO state_machines (arn, body) VALUES ($1, $2) ON CONFLICT (arn) DO UPDATE SET body = EXCLUDED.body";
    del_sm = "WITH m AS (DELETE FROM state_machines WHERE arn = $1), v AS (DELETE FROM versions WHERE sm_arn = $1), a AS (DELETE FROM aliases WHERE sm_arn = $1) DELETE FROM tags WHERE arn = $1 OR starts_with(arn, $2)";
    put_version = "INSERT INTO versions (arn, sm_arn, version, body) VALUES ($1, $2, $3, $4) ON CONFLICT (arn) DO UPDATE SET sm_arn = EXCLUDED.sm_arn, version = EXCLUDED.version, body = EXCLUDED.body";
    del_version = "WITH d AS (DELETE FROM versions WHERE arn = $1) DELETE FROM tags WHERE arn = $1";
    put_alias = "INSERT INTO aliases (arn, sm_arn, body) VALUES ($1, $2, $3) ON CONFLICT (arn) DO UPDATE SET sm_arn = EXCLUDED.sm_arn, body = EXCLUDED.body";
    del_alias = "WITH d AS (DELETE FROM aliases WHERE arn = $1) DELETE FROM tags WHERE arn = $1";
    del_tags = "DELETE FROM tags WHERE arn = $1";
    ins_tags = "INSERT INTO tags (arn, pos, key, value) SELECT $1, t.n - 1, t.k, t.v FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS t(k, v, n)";
    // Tags left on the ARN of an activity that does not exist (none should be) go first, so
    // a new activity has exactly the tags it was created with.
    clear_activity_tags = "DELETE FROM tags WHERE arn = $1 AND NOT EXISTS (SELECT 1 FROM activities WHERE arn = $1)";
    // Tags only when the activity is new: an existing one keeps its own.
    create_activity = "WITH a AS (INSERT INTO activities (arn, name, creation_date) VALUES ($1, $2, $3) ON CONFLICT (arn) DO NOTHING RETURNING arn) INSERT INTO tags (arn, pos, key, value) SELECT a.arn, t.n - 1, t.k, t.v FROM a, unnest($4::text[], $5::text[]) WITH ORDINALITY AS t(k, v, n)";
    del_activity = "WITH d AS (DELETE FROM activities WHERE arn = $1) DELETE FROM tags WHERE arn = $1";
    get_activity = "SELECT arn, name, creation_date FROM activities WHERE arn = $1";
    list_activities = "SELECT arn, name, creation_date FROM activities WHERE $1::bigint IS NULL OR (creation_date, arn) > ($1, $2::text) ORDER BY creation_date, arn LIMIT $3";
    create_exec = format!("INSERT INTO executions ({EXEC_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)");
    create_exec_leased = format!("INSERT INTO executions ({EXEC_COLS}, owner, lease_token, lease_expires) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, nextval('stepline_exec_seq'), $17, $18, 0, stepline_now() + $19)");
    // No closed execution to reopen fails the statement (the cast of the message), so the
    // submission rolls back as on the other stores.
    redrive_exec = "WITH u AS (UPDATE executions SET status = 'RUNNING', output = NULL, error = NULL, cause = NULL, stop_date = NULL, redrive_count = $2 WHERE arn = $1 AND status <> 'RUNNING' RETURNING 1) SELECT CAST(CASE WHEN count(*) = 0 THEN 'no closed execution ' || $1::text ELSE '0' END AS INT) FROM u";
    redrive_exec_leased = "WITH u AS (UPDATE executions SET status = 'RUNNING', output = NULL, error = NULL, cause = NULL, stop_date = NULL, redrive_count = $2, owner = $3, lease_token = 0, lease_expires = stepline_now() + $4 WHERE arn = $1 AND status <> 'RUNNING' RETURNING 1) SELECT CAST(CASE WHEN count(*) = 0 THEN 'no closed execution ' || $1::text ELSE '0' END AS INT) FROM u";
    append = "SELECT stepline_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";
    claim = format!("UPDATE executions SET owner = $1, lease_token = nextval('stepline_lease_token'), lease_expires = stepline_now() + $2 WHERE arn IN (SELECT arn FROM executions WHERE status = 'RUNNING' AND lease_expires < stepline_now() ORDER BY lease_expires, seq LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING {EXEC_COLS}, lease_token");
    renew = "UPDATE executions SET lease_expires = stepline_now() + $3 WHERE arn IN (SELECT e.arn FROM executions e JOIN unnest($1::text[], $2::bigint[]) AS l(arn, token) ON e.arn = l.arn AND e.lease_token = l.token WHERE e.status = 'RUNNING' FOR NO KEY UPDATE OF e SKIP LOCKED)";
    lost = "SELECT l.arn FROM unnest($1::text[], $2::bigint[]) AS l(arn, token) LEFT JOIN executions e ON e.arn = l.arn WHERE e.arn IS NULL OR e.lease_token <> l.token OR e.status <> 'RUNNING'";
    // SKIP LOCKED: the writer's batch locks rows in its own order, so waiting could
    // deadlock; a row being committed right now keeps its lease until it expires.
    release = "WITH r AS (UPDATE executions SET owner = NULL, lease_expires = 0 WHERE arn IN (SELECT e.arn FROM executions e JOIN unnest($1::text[], $2::bigint[]) AS l(arn, token) ON e.arn = l.arn AND e.lease_token = l.token WHERE e.status = 'RUNNING' FOR NO KEY UPDATE OF e SKIP LOCKED) RETURNING 1) SELECT pg_notify('stepline_work', 'released') FROM (SELECT count(*) AS n FROM r) AS c WHERE c.n > 0";
    notify = "SELECT pg_notify('stepline_work', $1)";
    post = "WITH m AS (INSERT INTO inbox (kind, target, body) VALUES ($1, $2, $3) RETURNING id) SELECT m.id, pg_notify('stepline_work', 'inbox') FROM m";
    open_messages = "SELECT id, kind, target, body FROM inbox WHERE reply IS NULL ORDER BY id";
    answer = "WITH u AS (UPDATE inbox SET reply = $2 WHERE id = $1 AND reply IS NULL RETURNING 1) SELECT pg_notify('stepline_work', 'reply') FROM u";
    finish = "WITH u AS (UPDATE inbox SET reply = $2 WHERE id = $1 RETURNING 1) SELECT pg_notify('stepline_work', 'reply') FROM u";
    reply_of = "SELECT reply FROM inbox WHERE id = $1";
    cancel = "DELETE FROM inbox WHERE id = $1 AND reply IS NULL";
    forget = "DELETE FROM inbox WHERE id = $1 OR created < stepline_now() - 600000";
    get_sm = "SELECT body FROM state_machines WHERE arn = $1";
    list_sm = "SELECT body FROM state_machines ORDER BY arn";
    get_version = "SELECT body FROM versions WHERE arn = $1";
    list_versions = "SELECT body FROM versions WHERE sm_arn = $1 ORDER BY version DESC";
    get_alias = "SELECT body FROM aliases WHERE arn = $1";
    list_aliases = "SELECT body FROM aliases WHERE sm_arn = $1 ORDER BY arn";
    get_tags = "SELECT key, value FROM tags WHERE arn = $1 ORDER BY pos";
    get_exec = format!("SELECT {EXEC_COLS} FROM executions WHERE arn = $1");
    list_exec_sm = format!("SELECT {EXEC_COLS} FROM executions WHERE sm_arn = $1 AND ($2::text IS NULL OR status = $2) ORDER BY seq DESC");
    list_exec = format!("SELECT {EXEC_COLS} FROM executions WHERE ($1::text IS NULL OR status = $1) ORDER BY seq DESC");
    open_exec = format!("SELECT {EXEC_COLS} FROM executions WHERE status = 'RUNNING' ORDER BY seq");
    get_history = "SELECT id, body FROM history WHERE exec_arn = $1 ORDER BY id";
    get_journal = "SELECT seq, at, event FROM journal WHERE exec_arn = $1 ORDER BY seq";
    get_timers = "SELECT id, fire_at FROM timers WHERE exec_arn = $1 ORDER BY id";
    max_seq = "SELECT COALESCE(MAX(seq), 0)::bigint FROM executions";
}

fn pg(e: tokio_postgres::Error) -> StoreError {
    StoreError::Backend(pg_message(&e))
}

/// The server's own message when there is one (`duplicate key value ...`), not the
/// driver's wrapping of it.
fn pg_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(d) => d.message().to_string(),
        None => e.to_string(),
    }
}

fn json_err(e: serde_json::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

struct Conn {
    client: Client,
    st: Stmts,
}

/// One connection, opened again when it was lost.
struct Slot {
    config: Config,
    conn: tokio::sync::Mutex<Option<Arc<Conn>>>,
}

impl Slot {
    fn new(config: Config) -> Arc<Slot> {
        Arc::new(Slot {
            config,
            conn: tokio::sync::Mutex::new(None),
        })
    }

    async fn get(&self) -> Result<Arc<Conn>> {
        let mut g = self.conn.lock().await;
        if let Some(c) = g.as_ref() {
            if !c.client.is_closed() {
                return Ok(c.clone());
            }
        }
        let client = connect(&self.config).await?;
        let st = Stmts::prepare(&client).await?;
        let c = Arc::new(Conn { client, st });
        *g = Some(c.clone());
        Ok(c)
    }
}

async fn connect(config: &Config) -> Result<Client> {
    let (client, connection) = config.connect(NoTls).await.map_err(pg)?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            eprintln!("stepline: PostgreSQL connection lost: {e}");
        }
    });
    Ok(client)
}

/// Brings the database to [`SCHEMA_VERSION`]. Nodes starting together take turns on an
/// advisory lock, so each migration runs once.
async fn migrate(config: &Config) -> Result<i32> {
    let mut client = connect(config).await?;
    let tx = client.transaction().await.map_err(pg)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(pg)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_version (version INT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    )
    .await
    .map_err(pg)?;
    let current: i32 = tx
        .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
        .await
        .and_then(|r| r.try_get(0))
        .map_err(pg)?;
    if current > SCHEMA_VERSION {
        return Err(StoreError::Backend(format!(
            "the database has schema version {current}; this build knows up to {SCHEMA_VERSION}"
        )));
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        tx.batch_execute(sql).await.map_err(pg)?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES ($1)",
            &[version],
        )
        .await
        .map_err(pg)?;
    }
    tx.commit().await.map_err(pg)?;
    Ok(SCHEMA_VERSION)
}

/// Runs `fut` on the store's runtime and waits for it on a plain channel: unlike
/// `block_on`, this works on a tokio worker thread too (it blocks that thread, as a SQLite
/// read does).
fn run_on<T: Send + 'static>(
    handle: &tokio::runtime::Handle,
    fut: impl Future<Output = Result<T>> + Send + 'static,
) -> Result<T> {
    let (tx, rx) = std::sync::mpsc::channel();
    handle.spawn(async move {
        let _ = tx.send(fut.await);
    });
    rx.recv().unwrap_or(Err(StoreError::Closed))
}

type Job = (Vec<Write>, Done);

#[derive(Default)]
struct Counters {
    batches: AtomicU64,
    submissions: AtomicU64,
    statements: AtomicU64,
    round_trips: AtomicU64,
    reads: AtomicU64,
}

/// The leases this node holds, by execution ARN.
struct Fencing {
    node: NodeOptions,
    leases: Mutex<HashMap<String, i64>>,
}

impl Fencing {
    fn token(&self, arn: &str) -> Option<i64> {
        self.leases.lock().ok()?.get(arn).copied()
    }

    fn set(&self, arn: &str, token: Option<i64>) {
        if let Ok(mut l) = self.leases.lock() {
            match token {
                Some(t) => l.insert(arn.to_string(), t),
                None => l.remove(arn),
            };
        }
    }

    /// A batch committed: the executions its live jobs created are leased to this node,
    /// the ones they closed are no longer.
    fn committed(&self, batch: &[Vec<Write>], results: &[Option<Result<()>>]) {
        for (writes, _) in batch.iter().zip(results).filter(|(_, r)| r.is_none()) {
            for w in writes {
                match w {
                    Write::CreateExecution(e) => self.set(&e.arn, Some(0)),
                    Write::RedriveExecution { arn, .. } => self.set(arn, Some(0)),
                    Write::Append(a) if a.close.is_some() => self.set(&a.execution_arn, None),
                    _ => {}
                }
            }
        }
    }
}

pub struct PostgresStore {
    fencing: Option<Arc<Fencing>>,
    runtime: Mutex<Option<tokio::runtime::Runtime>>,
    handle: tokio::runtime::Handle,
    tx: Mutex<Option<mpsc::UnboundedSender<Job>>>,
    /// Disconnects when the writer task has finished.
    writer_done: Mutex<Option<std::sync::mpsc::Receiver<()>>>,
    readers: Vec<Arc<Slot>>,
    next_reader: AtomicUsize,
    counters: Arc<Counters>,
    config: Config,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host:port/db` or `host=... user=...`), brings the
    /// schema up to date and starts the writer.
    pub fn open(url: &str, opts: PostgresOptions) -> Result<PostgresStore> {
        let mut config: Config = url
            .parse()
            .map_err(|e: tokio_postgres::Error| StoreError::Backend(e.to_string()))?;
        config.application_name("stepline");
        if config.get_connect_timeout().is_none() {
            // A reconnect must not hang the store on an unreachable host.
            config.connect_timeout(std::time::Duration::from_secs(10));
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("stepline-postgres")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let handle = runtime.handle().clone();
        let writer = Slot::new(config.clone());
        let readers: Vec<Arc<Slot>> = (0..opts.readers.max(1))
            .map(|_| Slot::new(config.clone()))
            .collect();
        {
            let config = config.clone();
            let writer = writer.clone();
            let readers = readers.clone();
            run_on(&handle, async move {
                migrate(&config).await?;
                writer.get().await?;
                try_join_all(readers.iter().map(|r| r.get())).await?;
                Ok(())
            })?;
        }
        let (tx, rx) = mpsc::unbounded_channel::<Job>();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let counters = Arc::new(Counters::default());
        let max_batch = opts.max_batch.max(1);
        let c = counters.clone();
        let fencing = opts.node.map(|node| {
            Arc::new(Fencing {
                node,
                leases: Mutex::new(HashMap::new()),
            })
        });
        let f = fencing.clone();
        handle.spawn(async move {
            writer_loop(writer, rx, max_batch, &c, f.as_deref()).await;
            drop(done_tx);
        });
        Ok(PostgresStore {
            fencing,
            runtime: Mutex::new(Some(runtime)),
            handle,
            tx: Mutex::new(Some(tx)),
            writer_done: Mutex::new(Some(done_rx)),
            readers,
            next_reader: AtomicUsize::new(0),
            counters,
            config,
        })
    }

    /// Stops the writer after the submissions already queued are committed, then closes the
    /// connections. Later calls fail with [`StoreError::Closed`].
    pub fn close(&self) {
        if let Ok(mut tx) = self.tx.lock() {
            tx.take();
        }
        let done = self.writer_done.lock().ok().and_then(|mut d| d.take());
        if let Some(done) = done {
            let _ = done.recv();
        }
        let runtime = self.runtime.lock().ok().and_then(|mut r| r.take());
        if let Some(rt) = runtime {
            // Not a blocking shutdown: the store may be dropped on a tokio worker thread.
            rt.shutdown_background();
        }
    }

    /// The writer's counters so far.
    pub fn stats(&self) -> PostgresStats {
        let c = &self.counters;
        PostgresStats {
            batches: c.batches.load(Ordering::Relaxed),
            submissions: c.submissions.load(Ordering::Relaxed),
            statements: c.statements.load(Ordering::Relaxed),
            round_trips: c.round_trips.load(Ordering::Relaxed),
            reads: c.reads.load(Ordering::Relaxed),
        }
    }

    /// The versions recorded in the database's `schema_version` table, in order.
    pub fn schema_versions(&self) -> Result<Vec<i32>> {
        self.read(|c| async move {
            let rows = c
                .client
                .query("SELECT version FROM schema_version ORDER BY version", &[])
                .await
                .map_err(pg)?;
            rows.iter()
                .map(|r| r.try_get(0).map_err(pg))
                .collect::<Result<Vec<i32>>>()
        })
    }

    /// The database name the store is connected to.
    pub fn database(&self) -> Option<&str> {
        self.config.get_dbname()
    }

    fn fencing(&self) -> Result<Arc<Fencing>> {
        self.fencing.clone().ok_or_else(|| {
            StoreError::Backend("leases need PostgresOptions::node (several nodes)".into())
        })
    }

    /// Claims up to `limit` running executions whose lease has expired (their node died or
    /// let them go), oldest first, for this node. Nodes claiming together never get the
    /// same one (`FOR UPDATE SKIP LOCKED`); an execution a node is committing a step of is
    /// skipped until that step is in, so the new owner's replay includes it.
    pub fn claim_executions(&self, limit: usize) -> Result<Vec<(ExecutionRecord, Lease)>> {
        let f = self.fencing()?;
        let id = f.node.id.clone();
        let ms = f.node.lease_ms;
        let limit = limit as i64;
        let mut claimed = self.read(move |c| async move {
            let rows = c
                .client
                .query(&c.st.claim, &[&id, &ms, &limit])
                .await
                .map_err(pg)?;
            rows.iter()
                .map(|r| {
                    let e = exec_from_row(r)?;
                    let token: i64 = r.try_get(18).map_err(pg)?;
                    let lease = Lease {
                        execution_arn: e.arn.clone(),
                        token,
                    };
                    Ok((e, lease))
                })
                .collect::<Result<Vec<_>>>()
        })?;
        claimed.sort_by_key(|(e, _)| e.seq);
        for (_, l) in &claimed {
            f.set(&l.execution_arn, Some(l.token));
        }
        Ok(claimed)
    }

    /// Extends every lease this node holds by `lease_ms`; returns the executions whose
    /// lease it no longer holds (taken over, or closed), which it must stop driving.
    pub fn renew_leases(&self) -> Result<Vec<String>> {
        let f = self.fencing()?;
        let held = self.leases()?;
        if held.is_empty() {
            return Ok(Vec::new());
        }
        let arns: Vec<String> = held.iter().map(|l| l.execution_arn.clone()).collect();
        let tokens: Vec<i64> = held.iter().map(|l| l.token).collect();
        let ms = f.node.lease_ms;
        let lost = self.read(move |c| async move {
            // Pipelined: one round trip. A lease whose row is being committed right now is
            // skipped, not lost: the next renewal extends it.
            let (renewed, lost) = futures_util::future::join(
                c.client.execute(&c.st.renew, &[&arns, &tokens, &ms]),
                c.client.query(&c.st.lost, &[&arns, &tokens]),
            )
            .await;
            renewed.map_err(pg)?;
            lost.map_err(pg)?
                .iter()
                .map(|r| r.try_get::<_, String>(0).map_err(pg))
                .collect::<Result<Vec<String>>>()
        })?;
        for arn in &lost {
            if let Some(l) = held.iter().find(|l| &l.execution_arn == arn) {
                // Only if no newer claim by this node replaced it meanwhile.
                if f.token(arn) == Some(l.token) {
                    f.set(arn, None);
                }
            }
        }
        Ok(lost)
    }

    /// Gives leases up now (a node stopping cleanly), so others claim them at once, and
    /// wakes the listening nodes.
    pub fn release(&self, arns: &[String]) -> Result<()> {
        let f = self.fencing()?;
        let mut names = Vec::new();
        let mut tokens = Vec::new();
        for arn in arns {
            if let Some(t) = f.token(arn) {
                f.set(arn, None);
                names.push(arn.clone());
                tokens.push(t);
            }
        }
        if names.is_empty() {
            return Ok(());
        }
        self.read(move |c| async move {
            c.client
                .execute(&c.st.release, &[&names, &tokens])
                .await
                .map(|_| ())
                .map_err(pg)
        })
    }

    /// The leases this node holds.
    pub fn leases(&self) -> Result<Vec<Lease>> {
        let f = self.fencing()?;
        let l = f
            .leases
            .lock()
            .map_err(|_| StoreError::Backend("lease table poisoned".into()))?;
        let mut v: Vec<Lease> = l
            .iter()
            .map(|(a, t)| Lease {
                execution_arn: a.clone(),
                token: *t,
            })
            .collect();
        v.sort_by(|a, b| a.execution_arn.cmp(&b.execution_arn));
        Ok(v)
    }

    /// Sends `payload` to every node listening on [`WAKE_CHANNEL`] (itself included).
    pub fn notify(&self, payload: &str) -> Result<()> {
        let payload = payload.to_string();
        self.read(move |c| async move {
            c.client
                .execute(&c.st.notify, &[&payload])
                .await
                .map(|_| ())
                .map_err(pg)
        })
    }

    /// Listens on [`WAKE_CHANNEL`] on a connection of its own; the receiver gets each
    /// notification's payload (`tokio` receiver: `recv().await`, or `blocking_recv()` off
    /// the runtime). Dropping the receiver closes the connection.
    pub fn listen(&self) -> Result<mpsc::UnboundedReceiver<String>> {
        use futures_util::StreamExt;
        let config = self.config.clone();
        let (tx, rx) = mpsc::unbounded_channel();
        run_on(&self.handle, async move {
            let (client, mut connection) = config.connect(NoTls).await.map_err(pg)?;
            let notes = tx.clone();
            tokio::spawn(async move {
                let mut messages =
                    futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                while let Some(m) = messages.next().await {
                    match m {
                        Ok(tokio_postgres::AsyncMessage::Notification(n)) => {
                            if notes.send(n.payload().to_string()).is_err() {
                                break;
                            }
                        }
                        Ok(_) => {}
                        Err(e) => {
                            eprintln!("stepline: PostgreSQL listener lost: {e}");
                            break;
                        }
                    }
                }
            });
            client
                .batch_execute(&format!("LISTEN {WAKE_CHANNEL}"))
                .await
                .map_err(pg)?;
            tokio::spawn(async move {
                tx.closed().await;
                drop(client);
            });
            Ok(())
        })?;
        Ok(rx)
    }

    /// Posts an API call for another node (`kind` says which; `target` names what the
    /// answering node must hold: an execution ARN, a task token, an activity ARN) and wakes
    /// the listening nodes; returns the message id. One round trip.
    pub fn post_message(&self, kind: &str, target: &str, body: &str) -> Result<i64> {
        let (kind, target, body) = (kind.to_string(), target.to_string(), body.to_string());
        self.read(move |c| async move {
            c.client
                .query_one(&c.st.post, &[&kind, &target, &body])
                .await
                .and_then(|r| r.try_get(0))
                .map_err(pg)
        })
    }

    /// The messages no node has answered yet, oldest first.
    pub fn open_messages(&self) -> Result<Vec<Message>> {
        self.read(move |c| async move {
            let rows = c.client.query(&c.st.open_messages, &[]).await.map_err(pg)?;
            rows.iter()
                .map(|r| {
                    Ok(Message {
                        id: r.try_get(0).map_err(pg)?,
                        kind: r.try_get(1).map_err(pg)?,
                        target: r.try_get(2).map_err(pg)?,
                        body: r.try_get(3).map_err(pg)?,
                    })
                })
                .collect()
        })
    }

    /// Answers a message; `false` when it was answered or withdrawn already (exactly one
    /// answer is ever recorded).
    pub fn answer_message(&self, id: i64, reply: &str) -> Result<bool> {
        let reply = reply.to_string();
        self.read(move |c| async move {
            c.client
                .query(&c.st.answer, &[&id, &reply])
                .await
                .map(|rows| rows.len() == 1)
                .map_err(pg)
        })
    }

    /// Replaces the answer of a message this node answered (a reservation by the final
    /// answer), and wakes the nodes waiting for answers.
    pub fn finish_message(&self, id: i64, reply: &str) -> Result<()> {
        let reply = reply.to_string();
        self.read(move |c| async move {
            c.client
                .query(&c.st.finish, &[&id, &reply])
                .await
                .map(|_| ())
                .map_err(pg)
        })
    }

    /// The answer to a message: `Ok(None)` while unanswered, `Err` when it is gone.
    pub fn message_reply(&self, id: i64) -> Result<Option<String>> {
        self.read(move |c| async move {
            match c
                .client
                .query_opt(&c.st.reply_of, &[&id])
                .await
                .map_err(pg)?
            {
                Some(r) => r.try_get(0).map_err(pg),
                None => Err(StoreError::Backend(format!("message {id} is gone"))),
            }
        })
    }

    /// Withdraws an unanswered message; `false` when an answer came first.
    pub fn cancel_message(&self, id: i64) -> Result<bool> {
        self.read(move |c| async move {
            c.client
                .execute(&c.st.cancel, &[&id])
                .await
                .map(|n| n == 1)
                .map_err(pg)
        })
    }

    /// Deletes a message once its answer was read (and any left by a node that died
    /// waiting, after ten minutes).
    pub fn forget_message(&self, id: i64) -> Result<()> {
        self.read(move |c| async move {
            c.client
                .execute(&c.st.forget, &[&id])
                .await
                .map(|_| ())
                .map_err(pg)
        })
    }

    /// This node's id, when several share the database.
    pub fn node_id(&self) -> Option<&str> {
        self.fencing.as_ref().map(|f| f.node.id.as_str())
    }

    fn read<T, F, Fut>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(Arc<Conn>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T>> + Send,
    {
        self.counters.reads.fetch_add(1, Ordering::Relaxed);
        let n = self.next_reader.fetch_add(1, Ordering::Relaxed);
        let slot = match self.readers.get(n % self.readers.len().max(1)) {
            Some(s) => s.clone(),
            None => return Err(StoreError::Closed),
        };
        if self.runtime.lock().map(|r| r.is_none()).unwrap_or(true) {
            return Err(StoreError::Closed);
        }
        run_on(&self.handle, async move { f(slot.get().await?).await })
    }

    fn read_bodies<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        which: fn(&Stmts) -> &Statement,
        arg: Option<String>,
    ) -> Result<Vec<T>> {
        self.read(move |c| async move {
            let rows = match &arg {
                Some(a) => c.client.query(which(&c.st), &[a]).await,
                None => c.client.query(which(&c.st), &[]).await,
            }
            .map_err(pg)?;
            rows.iter().map(body).collect()
        })
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        self.close();
    }
}

fn body<T: serde::de::DeserializeOwned>(r: &Row) -> Result<T> {
    let text: &str = r.try_get(0).map_err(pg)?;
    serde_json::from_str(text).map_err(json_err)
}

fn activity_from_row(r: &Row) -> Result<ActivityRecord> {
    Ok(ActivityRecord {
        arn: r.try_get(0).map_err(pg)?,
        name: r.try_get(1).map_err(pg)?,
        creation_date: r.try_get(2).map_err(pg)?,
    })
}

fn exec_from_row(r: &Row) -> Result<ExecutionRecord> {
    (|| -> std::result::Result<ExecutionRecord, tokio_postgres::Error> {
        Ok(ExecutionRecord {
            arn: r.try_get(0)?,
            state_machine_arn: r.try_get(1)?,
            state_machine_name: r.try_get(2)?,
            version_arn: r.try_get(3)?,
            alias_arn: r.try_get(4)?,
            name: r.try_get(5)?,
            status: r.try_get(6)?,
            input: r.try_get(7)?,
            output: r.try_get(8)?,
            error: r.try_get(9)?,
            cause: r.try_get(10)?,
            start_date: r.try_get(11)?,
            stop_date: r.try_get(12)?,
            // u64 values are stored as the BIGINT with the same bits.
            seed: r.try_get::<_, i64>(13)? as u64,
            role_arn: r.try_get(14)?,
            definition: r.try_get(15)?,
            seq: r.try_get(16)?,
            redrive_count: r.try_get::<_, i64>(17)? as u64,
        })
    })()
    .map_err(pg)
}

type StmtFuture<'a> =
    Pin<Box<dyn Future<Output = std::result::Result<u64, tokio_postgres::Error>> + Send + 'a>>;

fn exec<'a>(
    c: &'a Conn,
    st: &'a Statement,
    params: Vec<Box<dyn ToSql + Sync + Send + 'a>>,
) -> StmtFuture<'a> {
    Box::pin(async move {
        let refs: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|p| &**p as &(dyn ToSql + Sync)).collect();
        c.client.execute(st, &refs).await
    })
}

fn simple<'a>(c: &'a Conn, sql: &'static str) -> StmtFuture<'a> {
    Box::pin(async move { c.client.batch_execute(sql).await.map(|_| 0) })
}

/// What fences the writes of a node sharing the database.
#[derive(Clone, Copy)]
struct Fence<'f, 'a> {
    fencing: &'a Fencing,
    created: &'f HashSet<&'a str>,
}

/// The statements of one write, in order.
fn statements_of<'a>(
    c: &'a Conn,
    w: &'a Write,
    fence: Option<Fence<'_, 'a>>,
    out: &mut Vec<StmtFuture<'a>>,
) -> Result<()> {
    let st = &c.st;
    match w {
        Write::PutStateMachine(r) => {
            let body = serde_json::to_string(r).map_err(json_err)?;
            out.push(exec(c, &st.put_sm, vec![Box::new(&r.arn), Box::new(body)]));
        }
        Write::DeleteStateMachine(arn) => {
            let prefix = format!("{arn}:");
            out.push(exec(c, &st.del_sm, vec![Box::new(arn), Box::new(prefix)]));
        }
        Write::PutVersion(r) => {
            let body = serde_json::to_string(r).map_err(json_err)?;
            out.push(exec(
                c,
                &st.put_version,
                vec![
                    Box::new(&r.arn),
                    Box::new(&r.state_machine_arn),
                    Box::new(r.version as i64),
                    Box::new(body),
                ],
            ));
        }
        Write::DeleteVersion(arn) => out.push(exec(c, &st.del_version, vec![Box::new(arn)])),
        Write::PutAlias(r) => {
            let body = serde_json::to_string(r).map_err(json_err)?;
            out.push(exec(
                c,
                &st.put_alias,
                vec![
                    Box::new(&r.arn),
                    Box::new(&r.state_machine_arn),
                    Box::new(body),
                ],
            ));
        }
        Write::DeleteAlias(arn) => out.push(exec(c, &st.del_alias, vec![Box::new(arn)])),
        Write::SetTags { arn, tags } => {
            out.push(exec(c, &st.del_tags, vec![Box::new(arn)]));
            if !tags.is_empty() {
                let keys: Vec<&str> = tags.iter().map(|(k, _)| k.as_str()).collect();
                let values: Vec<&str> = tags.iter().map(|(_, v)| v.as_str()).collect();
                out.push(exec(
                    c,
                    &st.ins_tags,
                    vec![Box::new(arn), Box::new(keys), Box::new(values)],
                ));
            }
        }
        Write::CreateActivity { activity, tags } => {
            out.push(exec(
                c,
                &st.clear_activity_tags,
                vec![Box::new(&activity.arn)],
            ));
            let keys: Vec<&str> = tags.iter().map(|(k, _)| k.as_str()).collect();
            let values: Vec<&str> = tags.iter().map(|(_, v)| v.as_str()).collect();
            out.push(exec(
                c,
                &st.create_activity,
                vec![
                    Box::new(&activity.arn),
                    Box::new(&activity.name),
                    Box::new(activity.creation_date),
                    Box::new(keys),
                    Box::new(values),
                ],
            ));
        }
        Write::DeleteActivity(arn) => out.push(exec(c, &st.del_activity, vec![Box::new(arn)])),
        Write::CreateExecution(e) => {
            let mut params = exec_params(e);
            let statement = match fence {
                Some(f) => {
                    // Nodes share one sequence: `seq` orders executions across them.
                    params.remove(16);
                    params.push(Box::new(f.fencing.node.id.as_str()));
                    params.push(Box::new(f.fencing.node.lease_ms));
                    &st.create_exec_leased
                }
                None => &st.create_exec,
            };
            out.push(exec(c, statement, params));
        }
        Write::RedriveExecution { arn, redrive_count } => {
            let count = *redrive_count as i64;
            match fence {
                Some(f) => out.push(exec(
                    c,
                    &st.redrive_exec_leased,
                    vec![
                        Box::new(arn),
                        Box::new(count),
                        Box::new(f.fencing.node.id.as_str()),
                        Box::new(f.fencing.node.lease_ms),
                    ],
                )),
                None => out.push(exec(
                    c,
                    &st.redrive_exec,
                    vec![Box::new(arn), Box::new(count)],
                )),
            }
        }
        Write::Append(a) => {
            let token = match fence {
                None => None,
                Some(f) => match f.fencing.token(&a.execution_arn) {
                    Some(t) => Some(t),
                    None if f.created.contains(a.execution_arn.as_str()) => Some(0),
                    None => {
                        return Err(StoreError::LeaseLost(format!(
                            "no lease on {} held by node {}",
                            a.execution_arn, f.fencing.node.id
                        )))
                    }
                },
            };
            out.push(exec(c, &st.append, append_params(a, token)));
        }
    }
    Ok(())
}

fn exec_params(e: &ExecutionRecord) -> Vec<Box<dyn ToSql + Sync + Send + '_>> {
    vec![
        Box::new(&e.arn),
        Box::new(&e.state_machine_arn),
        Box::new(&e.state_machine_name),
        Box::new(&e.version_arn),
        Box::new(&e.alias_arn),
        Box::new(&e.name),
        Box::new(&e.status),
        Box::new(&e.input),
        Box::new(&e.output),
        Box::new(&e.error),
        Box::new(&e.cause),
        Box::new(e.start_date),
        Box::new(e.stop_date),
        Box::new(e.seed as i64),
        Box::new(&e.role_arn),
        Box::new(&e.definition),
        Box::new(e.seq),
        Box::new(e.redrive_count as i64),
    ]
}

fn append_params(a: &Append, token: Option<i64>) -> Vec<Box<dyn ToSql + Sync + Send + '_>> {
    let ids: Vec<i64> = a.events.iter().map(|(id, _)| *id as i64).collect();
    let bodies: Vec<&str> = a.events.iter().map(|(_, b)| b.as_str()).collect();
    // One upsert may not touch a row twice: the last setting of a timer wins, as it would
    // applied one by one.
    let mut timers: Vec<(i64, i64)> = Vec::with_capacity(a.timers_added.len());
    for (id, at) in &a.timers_added {
        let id = *id as i64;
        match timers.iter_mut().find(|(i, _)| *i == id) {
            Some(t) => t.1 = *at,
            None => timers.push((id, *at)),
        }
    }
    let tids: Vec<i64> = timers.iter().map(|t| t.0).collect();
    let tat: Vec<i64> = timers.iter().map(|t| t.1).collect();
    let removed: Vec<i64> = a.timers_removed.iter().map(|id| *id as i64).collect();
    let j = a.journal.as_ref();
    let close = a.close.as_ref();
    vec![
        Box::new(&a.execution_arn),
        Box::new(ids),
        Box::new(bodies),
        Box::new(j.map(|j| j.seq as i64)),
        Box::new(j.map(|j| j.at)),
        Box::new(j.map(|j| j.event.as_str())),
        Box::new(tids),
        Box::new(tat),
        Box::new(removed),
        Box::new(close.map(|c| c.status.as_str())),
        Box::new(close.and_then(|c| c.output.as_deref())),
        Box::new(close.and_then(|c| c.error.as_deref())),
        Box::new(close.and_then(|c| c.cause.as_deref())),
        Box::new(close.map(|c| c.stop_date)),
        Box::new(token),
    ]
}

async fn writer_loop(
    slot: Arc<Slot>,
    mut rx: mpsc::UnboundedReceiver<Job>,
    max_batch: usize,
    counters: &Counters,
    fencing: Option<&Fencing>,
) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        counters
            .submissions
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        // The callbacks are not `Sync`: keep them out of the future that borrows the writes.
        let (writes, dones): (Vec<Vec<Write>>, Vec<Done>) = batch.into_iter().unzip();
        let results = commit_batch(&slot, &writes, counters, fencing).await;
        for (done, r) in dones.into_iter().zip(results) {
            done(r);
        }
    }
}

/// Which submission and write a statement of the flight belongs to.
struct Owner {
    job: usize,
    write: usize,
}

/// Commits the jobs of `batch` in one transaction; returns each job's result once known.
async fn commit_batch(
    slot: &Slot,
    batch: &[Vec<Write>],
    counters: &Counters,
    fencing: Option<&Fencing>,
) -> Vec<Result<()>> {
    let mut results: Vec<Option<Result<()>>> = vec![None; batch.len()];
    loop {
        let c = match slot.get().await {
            Ok(c) => c,
            Err(e) => return finish(results, Err(e)),
        };
        let mut flight: Vec<StmtFuture<'_>> = vec![simple(&c, "BEGIN")];
        let mut owners: Vec<Option<Owner>> = vec![None];
        // Executions created earlier in this flight: their creator holds their lease
        // (token 0) once it commits.
        let mut created: HashSet<&str> = HashSet::new();
        for (job, writes) in batch.iter().enumerate() {
            if results[job].is_some() {
                continue;
            }
            let start = flight.len();
            let mut built = Ok(());
            let mut mine = Vec::new();
            for (wi, w) in writes.iter().enumerate() {
                let before = flight.len();
                let fence = fencing.map(|f| Fence {
                    fencing: f,
                    created: &created,
                });
                built = statements_of(&c, w, fence, &mut flight);
                if built.is_err() {
                    break;
                }
                owners.extend((before..flight.len()).map(|_| Some(Owner { job, write: wi })));
                if let Write::CreateExecution(e) = w {
                    created.insert(&e.arn);
                    mine.push(e.arn.as_str());
                }
                // A redriven execution is leased to this node like a new one.
                if let Write::RedriveExecution { arn, .. } = w {
                    created.insert(arn);
                    mine.push(arn.as_str());
                }
            }
            if let Err(e) = built {
                flight.truncate(start);
                owners.truncate(start);
                for arn in mine {
                    created.remove(arn);
                }
                results[job] = Some(Err(e));
            }
        }
        if flight.len() == 1 {
            return finish(results, Ok(()));
        }
        flight.push(simple(&c, "COMMIT"));
        owners.push(None);
        counters.batches.fetch_add(1, Ordering::Relaxed);
        counters
            .statements
            .fetch_add(flight.len() as u64, Ordering::Relaxed);
        counters.round_trips.fetch_add(1, Ordering::Relaxed);
        // Futures first polled together are sent together: the whole transaction is one
        // flight, and the server answers in order.
        let answers = join_all(flight).await;
        // The first statement that failed on its own (the ones after it only report the
        // aborted transaction) names the failing submission; `COMMIT` then rolled back.
        let culprit = answers.iter().zip(&owners).find_map(|(a, o)| match (a, o) {
            (Err(e), Some(o)) if e.code() != Some(&SqlState::IN_FAILED_SQL_TRANSACTION) => {
                Some((e, o))
            }
            _ => None,
        });
        if let Some((e, o)) = culprit {
            let err = match batch.get(o.job).and_then(|w| w.get(o.write)) {
                Some(Write::CreateExecution(r))
                    if e.code() == Some(&SqlState::UNIQUE_VIOLATION) =>
                {
                    StoreError::ExecutionExists(r.arn.clone())
                }
                Some(Write::Append(a)) if e.code().map(SqlState::code) == Some(LEASE_LOST) => {
                    // Another node took the execution over: this node must stop driving it.
                    if let Some(f) = fencing {
                        f.set(&a.execution_arn, None);
                    }
                    StoreError::LeaseLost(a.execution_arn.clone())
                }
                _ => StoreError::Backend(pg_message(e)),
            };
            results[o.job] = Some(Err(err));
            continue;
        }
        let failure = answers.into_iter().find_map(|a| a.err());
        if let (None, Some(f)) = (&failure, fencing) {
            f.committed(batch, &results);
        }
        return finish(
            results,
            match failure {
                None => Ok(()),
                Some(e) => Err(pg(e)),
            },
        );
    }
}

/// Gives `outcome` to every job whose result is not known yet.
fn finish(results: Vec<Option<Result<()>>>, outcome: Result<()>) -> Vec<Result<()>> {
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| outcome.clone()))
        .collect()
}

impl Store for PostgresStore {
    fn submit(&self, writes: Vec<Write>, done: Done) {
        let tx = match self.tx.lock() {
            Ok(g) => g.clone(),
            Err(_) => None,
        };
        match tx {
            Some(tx) => {
                if let Err(mpsc::error::SendError((_, done))) = tx.send((writes, done)) {
                    done(Err(StoreError::Closed));
                }
            }
            None => done(Err(StoreError::Closed)),
        }
    }

    fn state_machine(&self, arn: &str) -> Result<Option<StateMachineRecord>> {
        Ok(self
            .read_bodies(|s| &s.get_sm, Some(arn.to_string()))?
            .pop())
    }

    fn state_machines(&self) -> Result<Vec<StateMachineRecord>> {
        self.read_bodies(|s| &s.list_sm, None)
    }

    fn version(&self, arn: &str) -> Result<Option<VersionRecord>> {
        Ok(self
            .read_bodies(|s| &s.get_version, Some(arn.to_string()))?
            .pop())
    }

    fn versions(&self, state_machine_arn: &str) -> Result<Vec<VersionRecord>> {
        self.read_bodies(|s| &s.list_versions, Some(state_machine_arn.to_string()))
    }

    fn alias(&self, arn: &str) -> Result<Option<AliasRecord>> {
        Ok(self
            .read_bodies(|s| &s.get_alias, Some(arn.to_string()))?
            .pop())
    }

    fn aliases(&self, state_machine_arn: &str) -> Result<Vec<AliasRecord>> {
        self.read_bodies(|s| &s.list_aliases, Some(state_machine_arn.to_string()))
    }

    fn tags(&self, arn: &str) -> Result<Vec<(String, String)>> {
        let arn = arn.to_string();
        self.read(move |c| async move {
            let rows = c.client.query(&c.st.get_tags, &[&arn]).await.map_err(pg)?;
            rows.iter()
                .map(|r| Ok((r.try_get(0).map_err(pg)?, r.try_get(1).map_err(pg)?)))
                .collect()
        })
    }

    fn execution(&self, arn: &str) -> Result<Option<ExecutionRecord>> {
        let arn = arn.to_string();
        self.read(move |c| async move {
            let row = c
                .client
                .query_opt(&c.st.get_exec, &[&arn])
                .await
                .map_err(pg)?;
            row.as_ref().map(exec_from_row).transpose()
        })
    }

    fn executions(&self, filter: &ExecutionFilter) -> Result<Vec<ExecutionRecord>> {
        let f = filter.clone();
        let all = self.read(move |c| async move {
            let rows = match &f.state_machine_arn {
                // A version/alias ARN extends its state machine's ARN by `:suffix`.
                Some(a) => {
                    let sm = sm_of(a);
                    c.client.query(&c.st.list_exec_sm, &[&sm, &f.status]).await
                }
                None => c.client.query(&c.st.list_exec, &[&f.status]).await,
            }
            .map_err(pg)?;
            rows.iter().map(exec_from_row).collect::<Result<Vec<_>>>()
        })?;
        Ok(all
            .into_iter()
            .filter(|e| matches_filter(e, filter))
            .take(filter.limit.unwrap_or(usize::MAX))
            .collect())
    }

    fn open_executions(&self) -> Result<Vec<ExecutionRecord>> {
        self.read(move |c| async move {
            let rows = c.client.query(&c.st.open_exec, &[]).await.map_err(pg)?;
            rows.iter().map(exec_from_row).collect()
        })
    }

    fn history(&self, execution_arn: &str) -> Result<Vec<(u64, String)>> {
        let arn = execution_arn.to_string();
        self.read(move |c| async move {
            let rows = c
                .client
                .query(&c.st.get_history, &[&arn])
                .await
                .map_err(pg)?;
            rows.iter()
                .map(|r| {
                    Ok((
                        r.try_get::<_, i64>(0).map_err(pg)? as u64,
                        r.try_get(1).map_err(pg)?,
                    ))
                })
                .collect()
        })
    }

    fn journal(&self, execution_arn: &str) -> Result<Vec<JournalEntry>> {
        let arn = execution_arn.to_string();
        self.read(move |c| async move {
            let rows = c
                .client
                .query(&c.st.get_journal, &[&arn])
                .await
                .map_err(pg)?;
            rows.iter()
                .map(|r| {
                    Ok(JournalEntry {
                        seq: r.try_get::<_, i64>(0).map_err(pg)? as u64,
                        at: r.try_get(1).map_err(pg)?,
                        event: r.try_get(2).map_err(pg)?,
                    })
                })
                .collect()
        })
    }

    fn timers(&self, execution_arn: &str) -> Result<Vec<TimerRecord>> {
        let arn = execution_arn.to_string();
        self.read(move |c| async move {
            let rows = c
                .client
                .query(&c.st.get_timers, &[&arn])
                .await
                .map_err(pg)?;
            rows.iter()
                .map(|r| {
                    Ok(TimerRecord {
                        execution_arn: arn.clone(),
                        timer_id: r.try_get::<_, i64>(0).map_err(pg)? as u64,
                        fire_at: r.try_get(1).map_err(pg)?,
                    })
                })
                .collect()
        })
    }

    fn activity(&self, arn: &str) -> Result<Option<ActivityRecord>> {
        let arn = arn.to_string();
        self.read(move |c| async move {
            let row = c
                .client
                .query_opt(&c.st.get_activity, &[&arn])
                .await
                .map_err(pg)?;
            row.as_ref().map(activity_from_row).transpose()
        })
    }

    fn activities(&self, filter: &ActivityFilter) -> Result<Vec<ActivityRecord>> {
        let (date, arn) = match &filter.after {
            Some((d, a)) => (Some(*d), Some(a.clone())),
            None => (None, None),
        };
        let limit: Option<i64> = filter.limit.map(|l| l.min(i64::MAX as usize) as i64);
        self.read(move |c| async move {
            let rows = c
                .client
                .query(&c.st.list_activities, &[&date, &arn, &limit])
                .await
                .map_err(pg)?;
            rows.iter().map(activity_from_row).collect()
        })
    }

    fn max_execution_seq(&self) -> Result<i64> {
        self.read(move |c| async move {
            c.client
                .query_one(&c.st.max_seq, &[])
                .await
                .and_then(|r| r.try_get(0))
                .map_err(pg)
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
