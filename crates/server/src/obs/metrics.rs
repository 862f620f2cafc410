//! Metrics in the Prometheus text exposition format (`GET /metrics`): CloudWatch's Step
//! Functions metric set labelled by state machine ARN, and the server's own.
//!
//! Every counter is an atomic; an execution resolves its state machine's handle once when it
//! begins, so a transition never takes a lock.

use engine::{EventDetails, HistoryEvent};
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

/// A histogram over fixed bucket bounds (seconds).
pub struct Histogram {
    bounds: &'static [f64],
    buckets: Vec<AtomicU64>,
    /// Sum in microseconds (integer, so it stays an atomic add).
    sum_micros: AtomicU64,
    count: AtomicU64,
}

/// ExecutionTime: from a Pass chain's milliseconds to a day-long wait.
const EXECUTION_TIME_BOUNDS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0,
    86400.0,
];
/// Store commits: a group commit with fsync is around a millisecond.
const COMMIT_BOUNDS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

impl Histogram {
    fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds,
            buckets: bounds.iter().map(|_| AtomicU64::new(0)).collect(),
            sum_micros: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, seconds: f64) {
        let seconds = seconds.max(0.0);
        if let Some(i) = self.bounds.iter().position(|b| seconds <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.sum_micros
            .fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        let sep = if labels.is_empty() { "" } else { "," };
        for (b, n) in self.bounds.iter().zip(&self.buckets) {
            cumulative += n.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{b}\"}} {cumulative}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {count}");
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {sum}");
        let _ = writeln!(out, "{name}_count{braces} {count}");
    }
}

/// The CloudWatch metrics of one state machine.
pub struct MachineMetrics {
    pub executions_started: AtomicU64,
    pub executions_succeeded: AtomicU64,
    pub executions_failed: AtomicU64,
    pub executions_aborted: AtomicU64,
    pub executions_timed_out: AtomicU64,
    pub executions_throttled: AtomicU64,
    pub executions_redriven: AtomicU64,
    pub execution_time: Histogram,
    pub state_transitions: AtomicU64,
    pub activities_scheduled: AtomicU64,
    pub activities_started: AtomicU64,
    pub activities_succeeded: AtomicU64,
    pub activities_failed: AtomicU64,
    pub activities_timed_out: AtomicU64,
    pub activities_heartbeat_timed_out: AtomicU64,
    pub lambda_functions_scheduled: AtomicU64,
    pub lambda_functions_started: AtomicU64,
    pub lambda_functions_succeeded: AtomicU64,
    pub lambda_functions_failed: AtomicU64,
    pub lambda_functions_timed_out: AtomicU64,
    pub service_integrations_scheduled: AtomicU64,
    pub service_integrations_started: AtomicU64,
    pub service_integrations_succeeded: AtomicU64,
    pub service_integrations_failed: AtomicU64,
    pub service_integrations_timed_out: AtomicU64,
}

impl Default for MachineMetrics {
    fn default() -> Self {
        MachineMetrics {
            executions_started: AtomicU64::new(0),
            executions_succeeded: AtomicU64::new(0),
            executions_failed: AtomicU64::new(0),
            executions_aborted: AtomicU64::new(0),
            executions_timed_out: AtomicU64::new(0),
            executions_throttled: AtomicU64::new(0),
            executions_redriven: AtomicU64::new(0),
            execution_time: Histogram::new(EXECUTION_TIME_BOUNDS),
            state_transitions: AtomicU64::new(0),
            activities_scheduled: AtomicU64::new(0),
            activities_started: AtomicU64::new(0),
            activities_succeeded: AtomicU64::new(0),
            activities_failed: AtomicU64::new(0),
            activities_timed_out: AtomicU64::new(0),
            activities_heartbeat_timed_out: AtomicU64::new(0),
            lambda_functions_scheduled: AtomicU64::new(0),
            lambda_functions_started: AtomicU64::new(0),
            lambda_functions_succeeded: AtomicU64::new(0),
            lambda_functions_failed: AtomicU64::new(0),
            lambda_functions_timed_out: AtomicU64::new(0),
            service_integrations_scheduled: AtomicU64::new(0),
            service_integrations_started: AtomicU64::new(0),
            service_integrations_succeeded: AtomicU64::new(0),
            service_integrations_failed: AtomicU64::new(0),
            service_integrations_timed_out: AtomicU64::new(0),
        }
    }
}

fn inc(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

impl MachineMetrics {
    /// Counts one history event; returns whether it was a state transition (a state entered).
    pub fn note(&self, e: &HistoryEvent) -> bool {
        use EventDetails::*;
        match &e.details {
            StateEntered { .. } => {
                inc(&self.state_transitions);
                return true;
            }
            ExecutionRedriven { .. } => inc(&self.executions_redriven),
            ActivityScheduled { .. } => inc(&self.activities_scheduled),
            ActivityStarted { .. } => inc(&self.activities_started),
            ActivitySucceeded { .. } => inc(&self.activities_succeeded),
            ActivityFailed(_) | ActivityScheduleFailed(_) => inc(&self.activities_failed),
            ActivityTimedOut(ec) => {
                if ec.error.as_deref() == Some("States.HeartbeatTimeout") {
                    inc(&self.activities_heartbeat_timed_out)
                } else {
                    inc(&self.activities_timed_out)
                }
            }
            LambdaFunctionScheduled { .. } => inc(&self.lambda_functions_scheduled),
            LambdaFunctionStarted => inc(&self.lambda_functions_started),
            LambdaFunctionSucceeded { .. } => inc(&self.lambda_functions_succeeded),
            LambdaFunctionFailed(_)
            | LambdaFunctionScheduleFailed(_)
            | LambdaFunctionStartFailed(_) => inc(&self.lambda_functions_failed),
            LambdaFunctionTimedOut(_) => inc(&self.lambda_functions_timed_out),
            TaskScheduled { .. } => inc(&self.service_integrations_scheduled),
            TaskStarted(_) => inc(&self.service_integrations_started),
            TaskSucceeded { .. } => inc(&self.service_integrations_succeeded),
            TaskFailed(..) | TaskStartFailed(..) | TaskSubmitFailed(..) => {
                inc(&self.service_integrations_failed)
            }
            TaskTimedOut(..) => inc(&self.service_integrations_timed_out),
            _ => {}
        }
        false
    }

    /// Counts an execution's end.
    pub fn finished(&self, status: engine::ExecutionStatus, seconds: f64) {
        use engine::ExecutionStatus::*;
        match status {
            Succeeded => inc(&self.executions_succeeded),
            Failed => inc(&self.executions_failed),
            Aborted => inc(&self.executions_aborted),
            TimedOut => inc(&self.executions_timed_out),
            Running => return,
        }
        self.execution_time.observe(seconds);
    }
}

/// Every metric of the server.
pub struct Metrics {
    machines: RwLock<HashMap<String, Arc<MachineMetrics>>>,
    pub state_transitions: AtomicU64,
    pub store_commit: Histogram,
    pub commits_in_flight: AtomicI64,
    pub open_executions: AtomicI64,
    pub parked_timers: AtomicI64,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            machines: RwLock::new(HashMap::new()),
            state_transitions: AtomicU64::new(0),
            store_commit: Histogram::new(COMMIT_BOUNDS),
            commits_in_flight: AtomicI64::new(0),
            open_executions: AtomicI64::new(0),
            parked_timers: AtomicI64::new(0),
        }
    }
}

/// Times one store commit and counts it as queued while it waits (see
/// [`Metrics::commit_started`]).
pub struct CommitTimer<'a> {
    metrics: &'a Metrics,
    started: Instant,
}

impl Drop for CommitTimer<'_> {
    fn drop(&mut self) {
        self.metrics
            .commits_in_flight
            .fetch_sub(1, Ordering::Relaxed);
        self.metrics
            .store_commit
            .observe(self.started.elapsed().as_secs_f64());
    }
}

impl Metrics {
    /// The handle of a state machine's metrics (created on first use).
    pub fn machine(&self, state_machine_arn: &str) -> Arc<MachineMetrics> {
        if let Ok(m) = self.machines.read() {
            if let Some(h) = m.get(state_machine_arn) {
                return h.clone();
            }
        }
        match self.machines.write() {
            Ok(mut m) => m.entry(state_machine_arn.to_string()).or_default().clone(),
            Err(_) => Arc::new(MachineMetrics::default()),
        }
    }

    /// Starts timing a store commit; the commit counts as queued until the guard drops.
    pub fn commit_started(&self) -> CommitTimer<'_> {
        self.commits_in_flight.fetch_add(1, Ordering::Relaxed);
        CommitTimer {
            metrics: self,
            started: Instant::now(),
        }
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        let machines: Vec<(String, Arc<MachineMetrics>)> = match self.machines.read() {
            Ok(m) => {
                let mut v: Vec<_> = m.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                v.sort_by(|a, b| a.0.cmp(&b.0));
                v
            }
            Err(_) => Vec::new(),
        };
        type Field = fn(&MachineMetrics) -> &AtomicU64;
        let counters: &[(&str, &str, Field)] = &[
            ("executions_started", "ExecutionsStarted", |m| {
                &m.executions_started
            }),
            ("executions_succeeded", "ExecutionsSucceeded", |m| {
                &m.executions_succeeded
            }),
            ("executions_failed", "ExecutionsFailed", |m| {
                &m.executions_failed
            }),
            ("executions_aborted", "ExecutionsAborted", |m| {
                &m.executions_aborted
            }),
            ("executions_timed_out", "ExecutionsTimedOut", |m| {
                &m.executions_timed_out
            }),
            ("executions_throttled", "ExecutionThrottled", |m| {
                &m.executions_throttled
            }),
            ("executions_redriven", "ExecutionsRedriven", |m| {
                &m.executions_redriven
            }),
            (
                "state_machine_transitions",
                "state transitions (states entered)",
                |m| &m.state_transitions,
            ),
            ("activities_scheduled", "ActivitiesScheduled", |m| {
                &m.activities_scheduled
            }),
            ("activities_started", "ActivitiesStarted", |m| {
                &m.activities_started
            }),
            ("activities_succeeded", "ActivitiesSucceeded", |m| {
                &m.activities_succeeded
            }),
            ("activities_failed", "ActivitiesFailed", |m| {
                &m.activities_failed
            }),
            ("activities_timed_out", "ActivitiesTimedOut", |m| {
                &m.activities_timed_out
            }),
            (
                "activities_heartbeat_timed_out",
                "ActivitiesHeartbeatTimedOut",
                |m| &m.activities_heartbeat_timed_out,
            ),
            (
                "lambda_functions_scheduled",
                "LambdaFunctionsScheduled",
                |m| &m.lambda_functions_scheduled,
            ),
            ("lambda_functions_started", "LambdaFunctionsStarted", |m| {
                &m.lambda_functions_started
            }),
            (
                "lambda_functions_succeeded",
                "LambdaFunctionsSucceeded",
                |m| &m.lambda_functions_succeeded,
            ),
            ("lambda_functions_failed", "LambdaFunctionsFailed", |m| {
                &m.lambda_functions_failed
            }),
            (
                "lambda_functions_timed_out",
                "LambdaFunctionsTimedOut",
                |m| &m.lambda_functions_timed_out,
            ),
            (
                "service_integrations_scheduled",
                "ServiceIntegrationsScheduled",
                |m| &m.service_integrations_scheduled,
            ),
            (
                "service_integrations_started",
                "ServiceIntegrationsStarted",
                |m| &m.service_integrations_started,
            ),
            (
                "service_integrations_succeeded",
                "ServiceIntegrationsSucceeded",
                |m| &m.service_integrations_succeeded,
            ),
            (
                "service_integrations_failed",
                "ServiceIntegrationsFailed",
                |m| &m.service_integrations_failed,
            ),
            (
                "service_integrations_timed_out",
                "ServiceIntegrationsTimedOut",
                |m| &m.service_integrations_timed_out,
            ),
        ];
        for (name, help, field) in counters {
            let _ = writeln!(out, "# HELP stepline_{name}_total CloudWatch {help}.");
            let _ = writeln!(out, "# TYPE stepline_{name}_total counter");
            for (arn, m) in &machines {
                let _ = writeln!(
                    out,
                    "stepline_{name}_total{{state_machine_arn=\"{}\"}} {}",
                    escape(arn),
                    field(m).load(Ordering::Relaxed)
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP stepline_execution_time_seconds CloudWatch ExecutionTime: start to end of each finished execution."
        );
        let _ = writeln!(out, "# TYPE stepline_execution_time_seconds histogram");
        for (arn, m) in &machines {
            m.execution_time.render(
                &mut out,
                "stepline_execution_time_seconds",
                &format!("state_machine_arn=\"{}\"", escape(arn)),
            );
        }
        let gauge = |out: &mut String, name: &str, help: &str, kind: &str, v: i64| {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} {kind}");
            let _ = writeln!(out, "{name} {v}");
        };
        gauge(
            &mut out,
            "stepline_state_transitions_total",
            "States entered, all state machines.",
            "counter",
            self.state_transitions.load(Ordering::Relaxed) as i64,
        );
        gauge(
            &mut out,
            "stepline_store_commit_queue_depth",
            "Store commits submitted and not yet durable.",
            "gauge",
            self.commits_in_flight.load(Ordering::Relaxed),
        );
        gauge(
            &mut out,
            "stepline_open_executions",
            "Executions running on this server.",
            "gauge",
            self.open_executions.load(Ordering::Relaxed),
        );
        gauge(
            &mut out,
            "stepline_parked_timers",
            "Timers (Wait states, retry back-offs, task time-outs) waiting to fire.",
            "gauge",
            self.parked_timers.load(Ordering::Relaxed),
        );
        let _ = writeln!(
            out,
            "# HELP stepline_store_commit_seconds Latency of a step's store commit (queue wait included)."
        );
        let _ = writeln!(out, "# TYPE stepline_store_commit_seconds histogram");
        self.store_commit
            .render(&mut out, "stepline_store_commit_seconds", "");
        out
    }
}

/// A label value as the exposition format quotes it.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let h = Histogram::new(&[0.1, 1.0]);
        h.observe(0.05);
        h.observe(0.5);
        h.observe(5.0);
        let mut out = String::new();
        h.render(&mut out, "x", "a=\"b\"");
        assert!(out.contains("x_bucket{a=\"b\",le=\"0.1\"} 1\n"), "{out}");
        assert!(out.contains("x_bucket{a=\"b\",le=\"1\"} 2\n"), "{out}");
        assert!(out.contains("x_bucket{a=\"b\",le=\"+Inf\"} 3\n"), "{out}");
        assert!(out.contains("x_count{a=\"b\"} 3\n"), "{out}");
    }

    #[test]
    fn labels_are_escaped() {
        assert_eq!(escape("a\"b\\c"), "a\\\"b\\\\c");
    }

    #[test]
    fn commit_timer_counts_while_alive() {
        let m = Metrics::default();
        let t = m.commit_started();
        assert_eq!(m.commits_in_flight.load(Ordering::Relaxed), 1);
        drop(t);
        assert_eq!(m.commits_in_flight.load(Ordering::Relaxed), 0);
        assert_eq!(m.store_commit.count(), 1);
    }
}
