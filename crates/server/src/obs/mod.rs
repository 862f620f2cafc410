//! Observability: execution logs ([`logs`]), metrics ([`metrics`], `GET /metrics`), traces
//! ([`trace`], OTLP/HTTP) and the server's own logs (`tracing`, filtered by `RUST_LOG`).
//!
//! The runtime calls [`Obs::begin`] when an execution starts (or resumes), and
//! [`Obs::on_step`] after each step is durable; everything else happens here. With logging
//! OFF and traces off a step costs a few atomic additions: no event is serialised twice.

pub mod logs;
pub mod metrics;
pub mod trace;

use crate::AppState;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use engine::{Effect, Event, ExecutionStatus, Step, TaskInvocation};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use store::{ExecutionRecord, Store};

/// What to observe and where to send it.
#[derive(Debug, Clone)]
pub struct ObsConfig {
    /// Directory of execution log files (one per CloudWatch log group); `None`: stdout.
    pub log_dir: Option<PathBuf>,
    /// OTLP/HTTP endpoint (base URL, `http://` only); `None`: traces off.
    pub otlp_endpoint: Option<String>,
    /// `service.name` of the exported spans.
    pub service_name: String,
}

impl Default for ObsConfig {
    fn default() -> Self {
        ObsConfig {
            log_dir: None,
            otlp_endpoint: None,
            service_name: "stepline".into(),
        }
    }
}

impl ObsConfig {
    /// From `STEPLINE_EXECUTION_LOG_DIR` (`-`: stdout), `OTEL_EXPORTER_OTLP_ENDPOINT` (or
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) and `OTEL_SERVICE_NAME`.
    pub fn from_env() -> ObsConfig {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        ObsConfig {
            log_dir: var("STEPLINE_EXECUTION_LOG_DIR")
                .filter(|v| v != "-")
                .map(PathBuf::from),
            otlp_endpoint: var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
                .or_else(|| var("OTEL_EXPORTER_OTLP_ENDPOINT")),
            service_name: var("OTEL_SERVICE_NAME").unwrap_or_else(|| "stepline".into()),
        }
    }
}

/// The server's observability state (one per runtime).
pub struct Obs {
    pub metrics: metrics::Metrics,
    log_dir: Option<PathBuf>,
    logs: logs::Writer,
    tracer: Option<trace::Tracer>,
    /// Traced executions by ARN, for [`Obs::traceparent`]; used only when traces are on.
    traced: Mutex<HashMap<String, Arc<ExecObs>>>,
    /// Log targets by `loggingConfiguration` text: parsed once, not at every start.
    targets: RwLock<HashMap<String, Option<Arc<logs::Target>>>>,
}

/// One execution's observability: its metrics handle, log target and trace.
pub struct ExecObs {
    arn: String,
    machine: Arc<metrics::MachineMetrics>,
    log: Option<Arc<logs::Target>>,
    /// The constant end of this execution's log records.
    log_tail: String,
    trace: Option<Mutex<trace::ExecTrace>>,
    start_ms: i64,
    timers: AtomicI64,
    finished: AtomicBool,
}

impl ExecObs {
    /// Whether the engine must record history events for this execution (an Express
    /// execution records none otherwise).
    pub fn wants_history(&self) -> bool {
        self.log.is_some() || self.trace.is_some()
    }
}

impl Default for Obs {
    fn default() -> Self {
        Obs::new(ObsConfig::default())
    }
}

impl Obs {
    pub fn new(cfg: ObsConfig) -> Obs {
        let tracer = cfg
            .otlp_endpoint
            .as_deref()
            .and_then(|e| trace::Tracer::start(e, cfg.service_name.clone()));
        Obs {
            metrics: metrics::Metrics::default(),
            log_dir: cfg.log_dir,
            logs: logs::Writer::default(),
            tracer,
            traced: Mutex::new(HashMap::new()),
            targets: RwLock::new(HashMap::new()),
        }
    }

    pub fn tracing_enabled(&self) -> bool {
        self.tracer.is_some()
    }

    /// An execution begins: started now (`resumed_timers: None`), or rebuilt after a restart
    /// with that many timers parked. Reads its logging configuration (of its version, when it
    /// runs one) once.
    pub fn begin(
        &self,
        store: &dyn Store,
        rec: &ExecutionRecord,
        resumed_timers: Option<usize>,
    ) -> Arc<ExecObs> {
        let machine = self.metrics.machine(&rec.state_machine_arn);
        let logging = match &rec.version_arn {
            Some(v) => store
                .version(v)
                .ok()
                .flatten()
                .map(|v| v.logging_configuration),
            None => store
                .state_machine(&rec.state_machine_arn)
                .ok()
                .flatten()
                .map(|m| m.logging_configuration),
        };
        let log = logging.and_then(|t| self.target(t));
        let trace = self.tracer.as_ref().map(|_| {
            Mutex::new(trace::ExecTrace::new(
                &rec.arn,
                &rec.state_machine_arn,
                rec.start_date,
            ))
        });
        let timers = resumed_timers.unwrap_or(0) as i64;
        match resumed_timers {
            None => {
                machine.executions_started.fetch_add(1, Ordering::Relaxed);
            }
            Some(n) => {
                self.metrics
                    .parked_timers
                    .fetch_add(n as i64, Ordering::Relaxed);
            }
        }
        self.metrics.open_executions.fetch_add(1, Ordering::Relaxed);
        let log_tail = match &log {
            Some(_) => logs::record_tail(&rec.arn, rec.redrive_count),
            None => String::new(),
        };
        let eo = Arc::new(ExecObs {
            arn: rec.arn.clone(),
            machine,
            log,
            log_tail,
            trace,
            start_ms: rec.start_date,
            timers: AtomicI64::new(timers),
            finished: AtomicBool::new(false),
        });
        if eo.trace.is_some() {
            if let Ok(mut t) = self.traced.lock() {
                t.insert(rec.arn.clone(), eo.clone());
            }
        }
        eo
    }

    fn target(&self, logging: String) -> Option<Arc<logs::Target>> {
        if let Some(t) = self
            .targets
            .read()
            .ok()
            .and_then(|m| m.get(&logging).cloned())
        {
            return t;
        }
        let t = logs::Target::from_configuration(&logging, self.log_dir.as_deref()).map(Arc::new);
        if let Ok(mut m) = self.targets.write() {
            if m.len() > 10_000 {
                m.clear();
            }
            m.insert(logging, t.clone());
        }
        t
    }

    /// A step is durable (`event`: what the engine handled; `None` for the first step).
    pub fn on_step(&self, eo: &ExecObs, event: Option<&Event>, step: &Step) {
        let mut transitions = 0;
        let mut lines = String::new();
        for e in &step.history {
            if eo.machine.note(e) {
                transitions += 1;
            }
            if let Some(log) = &eo.log {
                if log.level.includes(e.event_type()) {
                    logs::write_record(&mut lines, e, &eo.log_tail, log.include_execution_data);
                }
            }
        }
        if let (Some(log), false) = (&eo.log, lines.is_empty()) {
            self.logs.write(&log.sink, lines);
        }
        if transitions > 0 {
            self.metrics
                .state_transitions
                .fetch_add(transitions, Ordering::Relaxed);
        }
        let mut timers = 0i64;
        if let Some(Event::TimerFired { .. }) = event {
            timers -= 1;
        }
        let mut finished = None;
        for e in &step.effects {
            match e {
                Effect::StartTimer { .. } => timers += 1,
                Effect::CancelTimer { .. } => timers -= 1,
                Effect::Finish(o) => finished = Some(o.status),
                _ => {}
            }
        }
        if timers != 0 {
            eo.timers.fetch_add(timers, Ordering::Relaxed);
            self.metrics
                .parked_timers
                .fetch_add(timers, Ordering::Relaxed);
        }
        if let (Some(t), Some(tracer)) = (&eo.trace, &self.tracer) {
            let mut spans = Vec::new();
            if let Ok(mut t) = t.lock() {
                t.on_events(&step.history, &mut spans);
                if let Some(status) = finished {
                    t.end(crate::runtime::now_ms(), status.as_str(), None, &mut spans);
                }
            }
            if !spans.is_empty() {
                tracer.send(trace::encode(&spans));
            }
        }
        if let Some(status) = finished {
            self.finish(eo, status);
        }
    }

    fn finish(&self, eo: &ExecObs, status: ExecutionStatus) {
        if eo.finished.swap(true, Ordering::Relaxed) {
            return;
        }
        let seconds = (crate::runtime::now_ms() - eo.start_ms) as f64 / 1000.0;
        eo.machine.finished(status, seconds);
        self.metrics.open_executions.fetch_sub(1, Ordering::Relaxed);
        let left = eo.timers.swap(0, Ordering::Relaxed);
        if left != 0 {
            self.metrics
                .parked_timers
                .fetch_sub(left, Ordering::Relaxed);
        }
        if eo.trace.is_some() {
            if let Ok(mut t) = self.traced.lock() {
                t.remove(&eo.arn);
            }
        }
    }

    /// A start [`Obs::begin`] saw that the store refused (nothing started): counted neither as
    /// started nor as open.
    pub fn discard_start(&self, eo: &ExecObs) {
        if eo.finished.swap(true, Ordering::Relaxed) {
            return;
        }
        eo.machine
            .executions_started
            .fetch_sub(1, Ordering::Relaxed);
        self.metrics.open_executions.fetch_sub(1, Ordering::Relaxed);
        if eo.trace.is_some() {
            if let Ok(mut t) = self.traced.lock() {
                t.remove(&eo.arn);
            }
        }
    }

    /// The W3C `traceparent` header for a task invocation of a running execution: task
    /// integrations that call out over HTTP (HTTP tasks, Lambda) send it so the callee's spans
    /// join the execution's trace. `None` when traces are off or the execution is unknown.
    pub fn traceparent(&self, execution_arn: &str, inv: &TaskInvocation) -> Option<String> {
        self.tracer.as_ref()?;
        let eo = self.traced.lock().ok()?.get(execution_arn).cloned()?;
        let t = eo.trace.as_ref()?.lock().ok()?;
        Some(t.traceparent(&inv.state_name))
    }
}

/// `GET /metrics`.
pub async fn metrics_handler(State(st): State<AppState>) -> Response {
    let mut r = (StatusCode::OK, st.rt.obs.metrics.render()).into_response();
    r.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    r
}

/// One debug line per request: operation, status, latency.
pub async fn request_log(req: Request, next: Next) -> Response {
    if !tracing::enabled!(target: "stepline::request", tracing::Level::DEBUG) {
        return next.run(req).await;
    }
    let op = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .map(|t| t.strip_prefix("AWSStepFunctions.").unwrap_or(t).to_string())
        .unwrap_or_else(|| format!("{} {}", req.method(), req.uri().path()));
    let started = std::time::Instant::now();
    let resp = next.run(req).await;
    tracing::debug!(
        target: "stepline::request",
        op = %op,
        status = resp.status().as_u16(),
        latency_us = started.elapsed().as_micros() as u64,
        "request"
    );
    resp
}

/// Installs the server-log subscriber (stderr; filter from `RUST_LOG`, default `info`).
/// A second call (tests starting several servers in one process) is a no-op.
pub fn init_server_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
