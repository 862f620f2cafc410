//! Traces: one OpenTelemetry trace per execution (a root span), a span per state and a span per
//! task invocation under its state, exported by OTLP/HTTP with the JSON encoding
//! (`POST {endpoint}/v1/traces`, `application/json`) from one exporter thread.
//!
//! A small exporter of our own rather than the `opentelemetry` crates: the wire format is a
//! page of JSON, and those crates would add minutes of compile time on small machines.
//! Spans are built from the history events of each step, so they carry the engine's times.

use engine::{EventDetails, HistoryEvent};
use std::borrow::Cow;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// OTLP span kinds.
const KIND_INTERNAL: u8 = 1;
const KIND_CLIENT: u8 = 3;

/// A finished span, ready to export.
#[derive(Debug, Clone)]
pub struct SpanData {
    pub trace_id: [u8; 16],
    pub span_id: [u8; 8],
    pub parent: Option<[u8; 8]>,
    pub name: String,
    pub kind: u8,
    pub start_ms: i64,
    pub end_ms: i64,
    pub attributes: Vec<(&'static str, Cow<'static, str>)>,
    /// `Some(message)` for an error status.
    pub error: Option<String>,
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    push_hex(&mut s, bytes);
    s
}

/// A JSON string literal.
fn push_str(out: &mut String, s: &str) {
    match serde_json::to_string(s) {
        Ok(q) => out.push_str(&q),
        Err(_) => out.push_str("\"\""),
    }
}

impl SpanData {
    /// Appends the span's OTLP/JSON object (ids in hex, times as decimal strings).
    fn write_otlp(&self, out: &mut String) {
        use std::fmt::Write as _;
        out.push_str("{\"traceId\":\"");
        push_hex(out, &self.trace_id);
        out.push_str("\",\"spanId\":\"");
        push_hex(out, &self.span_id);
        if let Some(p) = self.parent {
            out.push_str("\",\"parentSpanId\":\"");
            push_hex(out, &p);
        }
        out.push_str("\",\"name\":");
        push_str(out, &self.name);
        let start = self.start_ms.max(0) as u64;
        let end = self.end_ms.max(self.start_ms).max(0) as u64;
        let _ = write!(
            out,
            ",\"kind\":{},\"startTimeUnixNano\":\"{}\",\"endTimeUnixNano\":\"{}\",\"attributes\":[",
            self.kind,
            start * 1_000_000,
            end * 1_000_000
        );
        for (i, (k, v)) in self.attributes.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{{\"key\":\"{k}\",\"value\":{{\"stringValue\":");
            push_str(out, v);
            out.push_str("}}");
        }
        out.push_str("],\"status\":");
        match &self.error {
            Some(m) => {
                out.push_str("{\"code\":2,\"message\":");
                push_str(out, m);
                out.push_str("}}");
            }
            None => out.push_str("{\"code\":1}}"),
        }
    }
}

/// Spans as the comma-separated OTLP/JSON objects of a `spans` array.
pub fn encode(spans: &[SpanData]) -> String {
    let mut out = String::with_capacity(spans.len() * 400);
    for (i, s) in spans.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        s.write_otlp(&mut out);
    }
    out
}

/// The OTLP/JSON request body of encoded spans (see [`encode`]).
pub fn export_body(service_name: &str, encoded: &[String]) -> String {
    let mut out = String::with_capacity(256 + encoded.iter().map(String::len).sum::<usize>());
    out.push_str("{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":");
    push_str(&mut out, service_name);
    out.push_str("}}]},\"scopeSpans\":[{\"scope\":{\"name\":\"stepline\",\"version\":\"");
    out.push_str(env!("CARGO_PKG_VERSION"));
    out.push_str("\"},\"spans\":[");
    for (i, s) in encoded.iter().filter(|s| !s.is_empty()).enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(s);
    }
    out.push_str("]}]}]}");
    out
}

/// Sends finished spans to the exporter thread.
pub struct Tracer {
    tx: mpsc::Sender<String>,
}

/// `http://host:port/path` → (`host:port`, `/path/v1/traces`); `None` for anything else
/// (https needs a TLS stack: put a collector on loopback in front).
pub fn traces_url(endpoint: &str) -> Option<(String, String)> {
    let rest = endpoint.strip_prefix("http://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
        None => (rest, ""),
    };
    if authority.is_empty() {
        return None;
    }
    let path = if path.ends_with("/v1/traces") {
        path.to_string()
    } else {
        format!("{path}/v1/traces")
    };
    let authority = if authority.contains(':') {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    Some((authority, path))
}

impl Tracer {
    /// Starts the exporter; `None` when the endpoint is not an `http://` URL.
    pub fn start(endpoint: &str, service_name: String) -> Option<Tracer> {
        let Some((authority, path)) = traces_url(endpoint) else {
            tracing::warn!("OTLP endpoint {endpoint} is not an http:// URL: traces are off");
            return None;
        };
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("stepline-otlp".into())
            .spawn(move || export_loop(rx, &authority, &path, &service_name))
            .ok()?;
        Some(Tracer { tx })
    }

    /// Sends spans encoded by [`encode`] (one message per step: encoding happens where the
    /// spans were made, and the exporter only concatenates).
    pub fn send(&self, encoded: String) {
        let _ = self.tx.send(encoded);
    }
}

/// Sends what gathered every 200 ms. The exporter sleeps between batches rather than waits
/// on the channel, so ending a span never wakes a thread; it blocks only once idle.
fn export_loop(rx: mpsc::Receiver<String>, authority: &str, path: &str, service: &str) {
    let mut batch = Vec::with_capacity(512);
    while let Ok(first) = rx.recv() {
        batch.push(first);
        let mut open = true;
        while open && !batch.is_empty() {
            std::thread::sleep(Duration::from_millis(200));
            loop {
                match rx.try_recv() {
                    Ok(s) => batch.push(s),
                    Err(mpsc::TryRecvError::Empty) => break,
                    Err(mpsc::TryRecvError::Disconnected) => {
                        open = false;
                        break;
                    }
                }
            }
            for chunk in batch.chunks(1024) {
                let body = export_body(service, chunk);
                if let Err(e) = post(authority, path, &body) {
                    tracing::debug!("OTLP export failed: {e}");
                }
            }
            batch.clear();
            // One more round: spans that came during the post are sent without a wake-up.
            match rx.try_recv() {
                Ok(s) => batch.push(s),
                Err(mpsc::TryRecvError::Empty) => {}
                Err(mpsc::TryRecvError::Disconnected) => open = false,
            }
        }
        if !open {
            return;
        }
    }
}

fn post(authority: &str, path: &str, body: &str) -> std::io::Result<()> {
    let mut s = TcpStream::connect(authority)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    s.set_write_timeout(Some(Duration::from_secs(10)))?;
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes())?;
    s.write_all(body.as_bytes())?;
    let mut status = [0u8; 12];
    s.read_exact(&mut status)?;
    let code = std::str::from_utf8(&status[9..12]).unwrap_or("000");
    if !code.starts_with('2') {
        return Err(std::io::Error::other(format!("collector answered {code}")));
    }
    Ok(())
}

/// A span not yet ended.
#[derive(Debug, Clone)]
struct Open {
    id: [u8; 8],
    parent: [u8; 8],
    name: String,
    kind: u8,
    start_ms: i64,
    attributes: Vec<(&'static str, Cow<'static, str>)>,
    /// Map and Parallel states: the parents of the states inside them.
    container: bool,
    /// Task states: the parents of their task invocations.
    task_state: bool,
}

/// The spans of one execution.
pub struct ExecTrace {
    pub trace_id: [u8; 16],
    root: Open,
    states: Vec<Open>,
    /// Open task invocations, with the id of their state's span.
    tasks: Vec<(Open, [u8; 8])>,
    next: u64,
    ended: bool,
}

/// A random trace id without a system call per execution: a process-wide seed (one UUID)
/// stepped by a counter and mixed.
fn new_trace_id() -> [u8; 16] {
    static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let seed = *SEED.get_or_init(|| uuid::Uuid::new_v4().as_u64_pair().0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let hi = splitmix(seed ^ n.wrapping_mul(0xD1B5_4A32_D192_ED03));
    let lo = splitmix(hi ^ seed.rotate_left(17));
    let mut id = [0u8; 16];
    id[..8].copy_from_slice(&hi.to_be_bytes());
    id[8..].copy_from_slice(&lo.to_be_bytes());
    if id == [0; 16] {
        id[15] = 1;
    }
    id
}

fn kind_name(kind: engine::history::StateKind) -> &'static str {
    use engine::history::StateKind::*;
    match kind {
        Pass => "Pass",
        Task => "Task",
        Choice => "Choice",
        Wait => "Wait",
        Succeed => "Succeed",
        Fail => "Fail",
        Parallel => "Parallel",
        Map => "Map",
    }
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl ExecTrace {
    pub fn new(execution_arn: &str, state_machine_arn: &str, start_ms: i64) -> ExecTrace {
        let trace_id = new_trace_id();
        let mut t = ExecTrace {
            trace_id,
            root: Open {
                id: [0; 8],
                parent: [0; 8],
                name: format!(
                    "execution {}",
                    state_machine_arn.rsplit(':').next().unwrap_or_default()
                ),
                kind: KIND_INTERNAL,
                start_ms,
                attributes: vec![
                    (
                        "aws.stepfunctions.execution_arn",
                        execution_arn.to_string().into(),
                    ),
                    (
                        "aws.stepfunctions.state_machine_arn",
                        state_machine_arn.to_string().into(),
                    ),
                ],
                container: true,
                task_state: false,
            },
            states: Vec::new(),
            tasks: Vec::new(),
            next: 0,
            ended: false,
        };
        t.root.id = t.span_id();
        t
    }

    fn span_id(&mut self) -> [u8; 8] {
        let seed = u64::from_le_bytes(self.trace_id[..8].try_into().unwrap_or([1; 8]));
        self.next += 1;
        let id = splitmix(seed ^ self.next);
        // Zero is an invalid span id.
        (if id == 0 { 1 } else { id }).to_be_bytes()
    }

    fn finish(&self, o: Open, end_ms: i64, error: Option<String>) -> SpanData {
        SpanData {
            trace_id: self.trace_id,
            span_id: o.id,
            parent: (o.parent != [0; 8]).then_some(o.parent),
            name: o.name,
            kind: o.kind,
            start_ms: o.start_ms,
            end_ms,
            attributes: o.attributes,
            error,
        }
    }

    /// The `traceparent` header for a task invocation of the Task state `state_name`: the
    /// newest open task span of that state, else the state, else the execution.
    pub fn traceparent(&self, state_name: &str) -> String {
        let state = self
            .states
            .iter()
            .rev()
            .find(|s| s.task_state && s.name == state_name);
        let span = state
            .and_then(|s| self.tasks.iter().rev().find(|(_, p)| *p == s.id))
            .map(|(t, _)| t.id)
            .or(state.map(|s| s.id))
            .unwrap_or(self.root.id);
        format!("00-{}-{}-01", hex(&self.trace_id), hex(&span))
    }

    /// Turns a step's history events into spans; returns the spans that ended.
    pub fn on_events(&mut self, events: &[HistoryEvent], out: &mut Vec<SpanData>) {
        for e in events {
            if self.ended {
                return;
            }
            let at = e.timestamp.millis();
            use EventDetails::*;
            match &e.details {
                StateEntered { kind, name, .. } => {
                    let parent = self
                        .states
                        .iter()
                        .rev()
                        .find(|s| s.container)
                        .map(|s| s.id)
                        .unwrap_or(self.root.id);
                    let id = self.span_id();
                    let container = matches!(
                        kind,
                        engine::history::StateKind::Map | engine::history::StateKind::Parallel
                    );
                    self.states.push(Open {
                        id,
                        parent,
                        name: name.to_string(),
                        kind: KIND_INTERNAL,
                        start_ms: at,
                        attributes: vec![("aws.stepfunctions.state.type", kind_name(*kind).into())],
                        container,
                        task_state: matches!(kind, engine::history::StateKind::Task),
                    });
                }
                StateExited { name, .. } => {
                    if let Some(i) = self.states.iter().rposition(|s| *s.name == **name) {
                        let s = self.states.remove(i);
                        self.end_tasks_of(s.id, at, None, out);
                        out.push(self.finish(s, at, None));
                    }
                }
                TaskScheduled { resource, .. } => {
                    let r = format!("{}:{}", resource.resource_type, resource.resource);
                    self.task(format!("task {r}"), r, at);
                }
                LambdaFunctionScheduled { resource, .. } => {
                    self.task(format!("lambda {resource}"), resource.clone(), at)
                }
                ActivityScheduled { resource, .. } => {
                    self.task(format!("activity {resource}"), resource.clone(), at)
                }
                TaskSucceeded { .. }
                | LambdaFunctionSucceeded { .. }
                | ActivitySucceeded { .. } => self.end_task(at, None, out),
                TaskFailed(_, ec)
                | TaskTimedOut(_, ec)
                | TaskStartFailed(_, ec)
                | TaskSubmitFailed(_, ec)
                | LambdaFunctionFailed(ec)
                | LambdaFunctionTimedOut(ec)
                | LambdaFunctionStartFailed(ec)
                | LambdaFunctionScheduleFailed(ec)
                | ActivityFailed(ec)
                | ActivityTimedOut(ec)
                | ActivityScheduleFailed(ec) => {
                    let msg = ec.error.clone().unwrap_or_else(|| "failed".into());
                    self.end_task(at, Some(msg), out)
                }
                ExecutionSucceeded { .. } => self.end_all(at, None, "SUCCEEDED", out),
                ExecutionFailed(ec) | ExecutionAborted(ec) | ExecutionTimedOut(ec) => {
                    let status = match &e.details {
                        ExecutionFailed(_) => "FAILED",
                        ExecutionAborted(_) => "ABORTED",
                        _ => "TIMED_OUT",
                    };
                    let msg = ec.error.clone().unwrap_or_else(|| status.into());
                    self.end_all(at, Some(msg), status, out)
                }
                _ => {}
            }
        }
    }

    fn task(&mut self, name: String, resource: String, at: i64) {
        let Some(state) = self
            .states
            .iter()
            .rev()
            .find(|s| s.task_state)
            .map(|s| s.id)
        else {
            return;
        };
        let id = self.span_id();
        self.tasks.push((
            Open {
                id,
                parent: state,
                name,
                kind: KIND_CLIENT,
                start_ms: at,
                attributes: vec![("aws.stepfunctions.resource", resource.into())],
                container: false,
                task_state: false,
            },
            state,
        ));
    }

    fn end_task(&mut self, at: i64, error: Option<String>, out: &mut Vec<SpanData>) {
        if let Some((t, _)) = self.tasks.pop() {
            out.push(self.finish(t, at, error));
        }
    }

    fn end_tasks_of(
        &mut self,
        state: [u8; 8],
        at: i64,
        error: Option<String>,
        out: &mut Vec<SpanData>,
    ) {
        let mut i = 0;
        while i < self.tasks.len() {
            if self.tasks[i].1 == state {
                let (t, _) = self.tasks.remove(i);
                out.push(self.finish(t, at, error.clone()));
            } else {
                i += 1;
            }
        }
    }

    /// The execution ended: every open span ends with it.
    fn end_all(&mut self, at: i64, error: Option<String>, status: &str, out: &mut Vec<SpanData>) {
        for (t, _) in std::mem::take(&mut self.tasks) {
            out.push(self.finish(t, at, error.clone()));
        }
        for s in std::mem::take(&mut self.states).into_iter().rev() {
            out.push(self.finish(s, at, error.clone()));
        }
        let mut root = self.root.clone();
        root.attributes.push((
            "aws.stepfunctions.execution.status",
            status.to_string().into(),
        ));
        out.push(self.finish(root, at, error));
        self.ended = true;
    }

    /// Ends the root span of an execution that ended without a history (an Express execution
    /// whose history is not recorded never gets here; see `Obs::wants_history`).
    pub fn end(&mut self, at: i64, status: &str, error: Option<String>, out: &mut Vec<SpanData>) {
        if !self.ended {
            self.end_all(at, error, status, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_map_to_the_traces_path() {
        assert_eq!(
            traces_url("http://127.0.0.1:4318"),
            Some(("127.0.0.1:4318".into(), "/v1/traces".into()))
        );
        assert_eq!(
            traces_url("http://collector/otlp/"),
            Some(("collector:80".into(), "/otlp/v1/traces".into()))
        );
        assert_eq!(
            traces_url("http://h:1/v1/traces"),
            Some(("h:1".into(), "/v1/traces".into()))
        );
        assert_eq!(traces_url("https://h:1"), None);
        assert_eq!(traces_url("http://"), None);
    }

    #[test]
    fn export_body_is_otlp_json() {
        let s = SpanData {
            trace_id: [0xab; 16],
            span_id: [1; 8],
            parent: Some([2; 8]),
            name: "n\"q".into(),
            kind: KIND_CLIENT,
            start_ms: 5,
            end_ms: 7,
            attributes: vec![("a", "v\\".into())],
            error: Some("E".into()),
        };
        let body = export_body(
            "svc",
            &[
                encode(std::slice::from_ref(&s)),
                String::new(),
                encode(&[s]),
            ],
        );
        let v: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        let span = &v["resourceSpans"][0]["scopeSpans"][0]["spans"][1];
        assert_eq!(
            v["resourceSpans"][0]["resource"]["attributes"][0]["value"]["stringValue"],
            "svc"
        );
        assert_eq!(span["traceId"], "ab".repeat(16));
        assert_eq!(span["spanId"], "0101010101010101");
        assert_eq!(span["parentSpanId"], "0202020202020202");
        assert_eq!(span["name"], "n\"q");
        assert_eq!(span["kind"], 3);
        assert_eq!(span["startTimeUnixNano"], "5000000");
        assert_eq!(span["endTimeUnixNano"], "7000000");
        assert_eq!(span["attributes"][0]["value"]["stringValue"], "v\\");
        assert_eq!(span["status"]["code"], 2);
        assert_eq!(span["status"]["message"], "E");
        assert_ne!(new_trace_id(), new_trace_id());
    }

    #[test]
    fn span_ids_are_distinct_and_traceparent_is_w3c() {
        let mut t = ExecTrace::new("arn:e", "arn:aws:states:r:1:stateMachine:m", 0);
        let a = t.span_id();
        let b = t.span_id();
        assert_ne!(a, b);
        let tp = t.traceparent("X");
        let parts: Vec<&str> = tp.split('-').collect();
        assert_eq!(parts.len(), 4);
        assert_eq!(parts[0], "00");
        assert_eq!(parts[1].len(), 32);
        assert_eq!(parts[2], hex(&t.root.id));
        assert_eq!(parts[3], "01");
    }
}
