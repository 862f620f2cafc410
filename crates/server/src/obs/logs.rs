//! Execution logs: the records Step Functions writes to CloudWatch Logs, honouring each state
//! machine's `loggingConfiguration`, written as JSON lines to a file per log group (or stdout).
//!
//! A record is `{"id", "type", "details", "previous_event_id", "event_timestamp",
//! "execution_arn", "redrive_count"}`: the history event's `...EventDetails` member becomes
//! `details`, and the numbers are strings (event time in epoch milliseconds), as AWS writes them.
//! Which event types each level logs is AWS's table ("Log levels for Step Functions").
//! The lines are handed to one writer thread, so an execution never waits on a file.

use engine::HistoryEvent;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, OnceLock};

/// A `loggingConfiguration.level` that logs something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    All,
    Error,
    Fatal,
}

/// Execution-level failures: what `FATAL` logs (and `ERROR`, and `ALL`).
const FATAL_TYPES: &[&str] = &["ExecutionAborted", "ExecutionFailed", "ExecutionTimedOut"];

/// What `ERROR` logs besides the fatal types: every failure, abort and time-out event.
const ERROR_TYPES: &[&str] = &[
    "FailStateEntered",
    "LambdaFunctionFailed",
    "LambdaFunctionScheduleFailed",
    "LambdaFunctionStartFailed",
    "LambdaFunctionTimedOut",
    "MapStateAborted",
    "MapStateFailed",
    "MapIterationAborted",
    "MapIterationFailed",
    "MapRunAborted",
    "MapRunFailed",
    "ParallelStateAborted",
    "ParallelStateFailed",
    "TaskFailed",
    "TaskStartFailed",
    "TaskStateAborted",
    "TaskSubmitFailed",
    "TaskTimedOut",
    "WaitStateAborted",
    "ActivityFailed",
    "ActivityScheduleFailed",
    "ActivityTimedOut",
    // Newer than AWS's table (JSONata evaluation errors): a failure event, so logged as one.
    "EvaluationFailed",
];

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "ALL" => Some(Level::All),
            "ERROR" => Some(Level::Error),
            "FATAL" => Some(Level::Fatal),
            _ => None,
        }
    }

    /// Whether an event of type `ty` is logged at this level.
    pub fn includes(self, ty: &str) -> bool {
        match self {
            Level::All => true,
            Level::Error => FATAL_TYPES.contains(&ty) || ERROR_TYPES.contains(&ty),
            Level::Fatal => FATAL_TYPES.contains(&ty),
        }
    }
}

/// Where lines go.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Sink {
    Stdout,
    File(Arc<Path>),
}

/// One execution's logging: level, whether payloads are included, and where.
#[derive(Debug, Clone)]
pub struct Target {
    pub level: Level,
    pub include_execution_data: bool,
    pub sink: Sink,
}

/// The log group name of a CloudWatch Logs log group ARN
/// (`arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*]`); the text itself when it is no such ARN.
pub fn log_group_name(arn: &str) -> &str {
    let Some((_, rest)) = arn.split_once(":log-group:") else {
        return arn;
    };
    rest.strip_suffix(":*").unwrap_or(rest)
}

/// The file of a log group under `dir`: the name with every character outside
/// `[A-Za-z0-9._-]` replaced by `_` (so `/aws/vendedlogs/states/x` is
/// `_aws_vendedlogs_states_x.log`), which can never leave `dir`.
pub fn log_group_file(dir: &Path, group: &str) -> PathBuf {
    let mut name: String = group
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() || name.chars().all(|c| c == '.') {
        name = format!("_{name}");
    }
    dir.join(format!("{name}.log"))
}

impl Target {
    /// The target of a stored `loggingConfiguration` (JSON text); `None` when it logs nothing.
    /// `dir`: the directory of log files, `None` for stdout.
    pub fn from_configuration(text: &str, dir: Option<&Path>) -> Option<Target> {
        let v: Value = serde_json::from_str(text).ok()?;
        let level = Level::parse(v.get("level")?.as_str()?)?;
        let include_execution_data = v
            .get("includeExecutionData")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let group = v
            .get("destinations")
            .and_then(Value::as_array)
            .and_then(|d| d.first())
            .and_then(|d| d.pointer("/cloudWatchLogsLogGroup/logGroupArn"))
            .and_then(Value::as_str)
            .map(log_group_name)
            .unwrap_or("stepline");
        let sink = match dir {
            Some(dir) => Sink::File(Arc::from(log_group_file(dir, group))),
            None => Sink::Stdout,
        };
        Some(Target {
            level,
            include_execution_data,
            sink,
        })
    }
}

/// The fields that carry execution data, left out unless `includeExecutionData`.
const DATA_FIELDS: &[&str] = &["input", "inputDetails", "output", "outputDetails"];

/// One log record (a JSON object) for a history event.
pub fn record(
    e: &HistoryEvent,
    execution_arn: &str,
    redrive_count: u64,
    include_execution_data: bool,
) -> Value {
    let mut details = details_value(e);
    if !include_execution_data {
        if let Value::Object(d) = &mut details {
            for f in DATA_FIELDS {
                d.shift_remove(*f);
            }
        }
    }
    let mut m = Map::new();
    m.insert("id".into(), Value::String(e.id.to_string()));
    m.insert("type".into(), Value::String(e.event_type().into()));
    m.insert("details".into(), details);
    m.insert(
        "previous_event_id".into(),
        Value::String(e.previous_event_id.to_string()),
    );
    m.insert(
        "event_timestamp".into(),
        Value::String(e.timestamp.millis().to_string()),
    );
    m.insert(
        "execution_arn".into(),
        Value::String(execution_arn.to_string()),
    );
    m.insert(
        "redrive_count".into(),
        Value::String(redrive_count.to_string()),
    );
    Value::Object(m)
}

fn details_value(e: &HistoryEvent) -> Value {
    match e.to_json() {
        Value::Object(m) => m
            .into_iter()
            .find(|(k, _)| k.ends_with("EventDetails"))
            .map(|(_, v)| v)
            .unwrap_or_else(|| Value::Object(Map::new())),
        _ => Value::Object(Map::new()),
    }
}

/// The `...EventDetails` member of an event serialised as `GetExecutionHistory` writes it
/// (`{"timestamp","type","id","previousEventId"[,member]}`, in that order), as text.
fn details_text(event_json: &str) -> &str {
    let after_ids = event_json.find("\"previousEventId\":").unwrap_or(0);
    match event_json[after_ids..].find("EventDetails\":") {
        Some(i) => {
            let start = after_ids + i + "EventDetails\":".len();
            event_json[start..].strip_suffix('}').unwrap_or("{}")
        }
        None => "{}",
    }
}

/// [`record`] as one line of text, appended to `out`. `tail`: the record's constant end
/// (see [`record_tail`]). With execution data the event is serialised straight to text, no
/// intermediate `Value`: this runs for every event of every logged execution.
pub fn write_record(out: &mut String, e: &HistoryEvent, tail: &str, include_execution_data: bool) {
    use std::fmt::Write as _;
    let _ = write!(
        out,
        "{{\"id\":\"{}\",\"type\":\"{}\",\"details\":",
        e.id,
        e.event_type()
    );
    if include_execution_data {
        match serde_json::to_string(e) {
            Ok(text) => out.push_str(details_text(&text)),
            Err(_) => out.push_str("{}"),
        }
    } else {
        let mut d = details_value(e);
        if let Value::Object(m) = &mut d {
            for f in DATA_FIELDS {
                m.shift_remove(*f);
            }
        }
        out.push_str(&d.to_string());
    }
    let _ = writeln!(
        out,
        ",\"previous_event_id\":\"{}\",\"event_timestamp\":\"{}\",{tail}",
        e.previous_event_id,
        e.timestamp.millis()
    );
}

/// The end of every record of one execution: `"execution_arn":...,"redrive_count":"N"}`.
pub fn record_tail(execution_arn: &str, redrive_count: u64) -> String {
    format!(
        "\"execution_arn\":{},\"redrive_count\":\"{redrive_count}\"}}",
        Value::String(execution_arn.to_string())
    )
}

/// Hands lines to the writer thread (started on the first line).
#[derive(Default)]
pub struct Writer {
    tx: OnceLock<Option<mpsc::Sender<(Sink, String)>>>,
}

impl Writer {
    /// Writes `lines` (each ending in a newline) to `sink`.
    pub fn write(&self, sink: &Sink, lines: String) {
        let tx = self.tx.get_or_init(|| {
            let (tx, rx) = mpsc::channel();
            std::thread::Builder::new()
                .name("stepline-execution-logs".into())
                .spawn(move || write_loop(rx))
                .ok()
                .map(|_| tx)
        });
        if let Some(tx) = tx {
            let _ = tx.send((sink.clone(), lines));
        }
    }
}

/// How long the writer lets lines gather before writing them. While lines keep coming the
/// writer sleeps rather than waits on the channel, so a sender never has to wake it (a futex
/// wake per step costs more than the record itself); it blocks only once idle.
const LINGER: std::time::Duration = std::time::Duration::from_millis(20);
const MAX_BUFFERED: usize = 256 * 1024;

fn write_loop(rx: mpsc::Receiver<(Sink, String)>) {
    let mut files = Files::new();
    let mut stdout_buf: Vec<u8> = Vec::new();
    while let Ok(first) = rx.recv() {
        write(first, &mut files, &mut stdout_buf);
        loop {
            std::thread::sleep(LINGER);
            let mut got = 0;
            let mut closed = false;
            loop {
                match rx.try_recv() {
                    Ok(m) => {
                        write(m, &mut files, &mut stdout_buf);
                        got += 1;
                    }
                    Err(mpsc::TryRecvError::Empty) => break,
                    Err(mpsc::TryRecvError::Disconnected) => {
                        closed = true;
                        break;
                    }
                }
            }
            if !stdout_buf.is_empty() {
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(&stdout_buf);
                let _ = out.flush();
                stdout_buf.clear();
            }
            if got == 0 || closed {
                break;
            }
        }
        flush_files(&mut files);
    }
}

type Files = HashMap<Arc<Path>, Option<std::io::BufWriter<std::fs::File>>>;

fn write((sink, lines): (Sink, String), files: &mut Files, stdout_buf: &mut Vec<u8>) {
    match sink {
        Sink::Stdout => stdout_buf.extend_from_slice(lines.as_bytes()),
        Sink::File(path) => {
            let f = files.entry(path.clone()).or_insert_with(|| open(&path));
            if let Some(f) = f {
                let _ = f.write_all(lines.as_bytes());
            }
        }
    }
}

fn flush_files(files: &mut Files) {
    for f in files.values_mut().flatten() {
        let _ = f.flush();
    }
}

fn open(path: &Path) -> Option<std::io::BufWriter<std::fs::File>> {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    match std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        Ok(f) => Some(std::io::BufWriter::with_capacity(MAX_BUFFERED, f)),
        Err(e) => {
            tracing::warn!("cannot open execution log {}: {e}", path.display());
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_the_aws_table() {
        assert!(Level::All.includes("PassStateEntered"));
        assert!(!Level::Error.includes("PassStateEntered"));
        assert!(Level::Error.includes("FailStateEntered"));
        assert!(Level::Error.includes("ExecutionFailed"));
        assert!(!Level::Fatal.includes("FailStateEntered"));
        assert!(Level::Fatal.includes("ExecutionTimedOut"));
        assert!(!Level::Fatal.includes("ExecutionSucceeded"));
        assert_eq!(Level::parse("OFF"), None);
    }

    #[test]
    fn log_groups_map_to_files_inside_the_directory() {
        let arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/x:*";
        assert_eq!(log_group_name(arn), "/aws/vendedlogs/states/x");
        let dir = Path::new("/d");
        assert_eq!(
            log_group_file(dir, log_group_name(arn)),
            Path::new("/d/_aws_vendedlogs_states_x.log")
        );
        assert_eq!(log_group_file(dir, ".."), Path::new("/d/_...log"));
        assert_eq!(
            log_group_file(dir, "../../etc"),
            Path::new("/d/.._.._etc.log")
        );
    }

    #[test]
    fn the_text_record_is_the_value_record() {
        use engine::history::{ErrorCause, StateKind};
        use engine::{EventDetails, Timestamp};
        let p = |v: Value| -> engine::history::Payload { std::sync::Arc::new(v) };
        let events = [
            EventDetails::StateEntered {
                kind: StateKind::Pass,
                name: "A \\\"q\\\"".into(),
                input: p(serde_json::json!({"EventDetails\":": "}"})),
            },
            EventDetails::ExecutionFailed(ErrorCause {
                error: Some("E".into()),
                cause: Some("c}".into()),
            }),
            EventDetails::ParallelStateStarted,
        ];
        for (i, d) in events.into_iter().enumerate() {
            let e = HistoryEvent {
                id: i as u64 + 2,
                previous_event_id: i as u64,
                timestamp: Timestamp::from_millis(1_700_000_000_123),
                details: d,
            };
            for include in [true, false] {
                let mut line = String::new();
                write_record(&mut line, &e, &record_tail("arn:x\"y", 1), include);
                let parsed: Value = serde_json::from_str(line.trim_end()).expect("JSON line");
                assert_eq!(parsed, record(&e, "arn:x\"y", 1, include), "{line}");
            }
        }
    }

    #[test]
    fn off_and_garbage_configurations_log_nothing() {
        assert!(Target::from_configuration(r#"{"level":"OFF"}"#, None).is_none());
        assert!(Target::from_configuration("not json", None).is_none());
        let t = Target::from_configuration(
            r#"{"level":"ERROR","includeExecutionData":true,"destinations":[{"cloudWatchLogsLogGroup":{"logGroupArn":"arn:aws:logs:us-east-1:1:log-group:g:*"}}]}"#,
            Some(Path::new("/d")),
        )
        .unwrap();
        assert_eq!(t.level, Level::Error);
        assert!(t.include_execution_data);
        assert_eq!(t.sink, Sink::File(Arc::from(Path::new("/d/g.log"))));
    }
}
