//! Lambda functions as local commands.
//!
//! A configured function is a command that reads the event as JSON on stdin and writes the
//! result as JSON on stdout. Results and failures take the shapes AWS records:
//!
//! - `arn:aws:lambda:...:function:NAME`: the result as is (`LambdaFunctionSucceeded`).
//! - `arn:aws:states:::lambda:invoke`: the Invoke response, `{"ExecutedVersion": "$LATEST",
//!   "Payload": result, "SdkHttpMetadata": {...}, "SdkResponseMetadata": {"RequestId"},
//!   "StatusCode": 200}`; the event is the `Payload` parameter. Request ids, dates and trace ids
//!   are generated; everything else is what AWS returns.
//! - A function error (exit status not 0 with `{"errorType", "errorMessage", ...}` on stdout):
//!   error = `errorType`, cause = that object as JSON text, as Lambda's runtimes report
//!   unhandled exceptions (for the legacy form the text as the command wrote it, for
//!   `lambda:invoke` re-serialised compactly, as AWS records each). Without `errorType`: `Lambda.Unknown`. No JSON at all:
//!   `Runtime.ExitError` ("Runtime exited with error: exit status N"). Exit 0 with stdout that
//!   is not JSON: `Runtime.MarshalError`.
//! - The function's own timeout: `Sandbox.Timedout` ("Task timed out after N.00 seconds").
//!   When the state's `TimeoutSeconds` is shorter, the command is stopped then and the task left
//!   to the engine's timer, which records `States.Timeout` as AWS does.

use crate::config::{LambdaConfig, LambdaFunctionConfig as FunctionConfig};
use crate::lambda_http::HttpInvokeEnd;
use crate::resource::{classify, function_name, invoked_function, ResourceKind};
use engine::{Entropy, NoIntegrations, SeededEntropy, TaskInvocation, TaskOutcome, TaskResolver};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub use crate::config::LambdaFunctionConfig;

/// Runs configured Lambda functions as local commands; every other resource (and functions
/// not configured) goes to the fallback.
pub struct LocalLambdaResolver {
    functions: BTreeMap<String, FunctionConfig>,
    region: String,
    /// `[lambda] endpoint`: where functions not listed are invoked.
    default_endpoint: Option<String>,
    credentials: Option<crate::aws::sigv4::Credentials>,
    /// Sent to Lambda endpoints as the W3C `traceparent` header.
    traceparent: Option<String>,
    fallback: Box<dyn TaskResolver + Send>,
    entropy: SeededEntropy,
}

impl std::fmt::Debug for LocalLambdaResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalLambdaResolver")
            .field("functions", &self.functions.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// How one run of a command ended.
#[derive(Debug)]
enum RunEnd {
    Exited {
        status: ExitStatus,
        stdout: Vec<u8>,
    },
    /// The deadline passed; the process was killed.
    Deadline,
    /// The command could not be started.
    SpawnFailed(String),
}

impl LocalLambdaResolver {
    /// Functions from `[lambda]`; unknown functions fail as [`NoIntegrations`] does.
    pub fn new(config: &LambdaConfig) -> Self {
        let fallback = NoIntegrations {
            region: config.region.clone(),
            account: config.account.clone(),
        };
        LocalLambdaResolver::with_fallback(config, Box::new(fallback))
    }

    /// Like [`LocalLambdaResolver::new`], sending other resources to `fallback`.
    pub fn with_fallback(config: &LambdaConfig, fallback: Box<dyn TaskResolver + Send>) -> Self {
        let remote =
            config.endpoint.is_some() || config.functions.values().any(|f| f.endpoint.is_some());
        LocalLambdaResolver {
            functions: config.functions.clone(),
            region: config.region.clone(),
            default_endpoint: config.endpoint.clone(),
            credentials: if remote {
                crate::aws::sigv4::Credentials::from_environment(None)
            } else {
                None
            },
            traceparent: None,
            fallback,
            entropy: SeededEntropy::new(now_millis() as u64),
        }
    }

    /// The trace context of the next invocations (see [`crate::lambda_http::invoke_traced`]).
    pub fn set_traceparent(&mut self, traceparent: Option<String>) {
        self.traceparent = traceparent;
    }

    /// Signs requests to Lambda endpoints with these credentials (default: the environment's).
    pub fn set_credentials(&mut self, credentials: Option<crate::aws::sigv4::Credentials>) {
        if credentials.is_some() {
            self.credentials = credentials;
        }
    }

    fn function(&self, function: &str) -> Option<&FunctionConfig> {
        self.functions
            .get(function)
            .or_else(|| self.functions.get(function_name(function)))
    }

    fn run(&self, f: &FunctionConfig, name: &str, event: &[u8], limit: Duration) -> RunEnd {
        let Some((program, args)) = f.command.split_first() else {
            return RunEnd::SpawnFailed("empty command".into());
        };
        let mut cmd = Command::new(program);
        cmd.args(args)
            .envs(&f.env)
            .env("AWS_LAMBDA_FUNCTION_NAME", name)
            .env("AWS_REGION", &self.region)
            .env("AWS_LAMBDA_FUNCTION_TIMEOUT", f.timeout.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(dir) = &f.cwd {
            cmd.current_dir(dir);
        }
        // Its own process group, so that a timeout also stops what the command started
        // (`sh -c "sleep 60"` leaves `sleep` holding the pipes otherwise).
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => return RunEnd::SpawnFailed(format!("{program}: {e}")),
        };
        // Pipes are drained on their own threads so that a chatty command cannot block on a
        // full pipe while we wait for it.
        let writer = child.stdin.take().map(|mut stdin| {
            let event = event.to_vec();
            std::thread::spawn(move || {
                let _ = stdin.write_all(&event);
            })
        });
        let reader = |pipe: Option<Box<dyn Read + Send>>| {
            pipe.map(|mut p| {
                std::thread::spawn(move || {
                    let mut buf = Vec::new();
                    let _ = p.read_to_end(&mut buf);
                    buf
                })
            })
        };
        let out = reader(
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        );
        let err = reader(
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        );
        let start = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if start.elapsed() >= limit => {
                    stop(&mut child);
                    break None;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(2)),
                Err(_) => {
                    stop(&mut child);
                    break None;
                }
            }
        };
        let Some(status) = status else {
            // The pipe threads end when the last holder of the pipes is gone; not waited for.
            return RunEnd::Deadline;
        };
        if let Some(w) = writer {
            let _ = w.join();
        }
        let stdout = out.and_then(|h| h.join().ok()).unwrap_or_default();
        // stderr is the function's log stream; like CloudWatch Logs it is not part of the result.
        let _ = err.map(|h| h.join());
        RunEnd::Exited { status, stdout }
    }

    fn function_error(error: &str, cause: String) -> TaskOutcome {
        TaskOutcome::Failed {
            error: Some(error.to_string()),
            cause: Some(cause),
        }
    }

    /// A runtime-reported error payload: `{"errorType", "errorMessage"}`.
    fn runtime_error(error_type: &str, message: String) -> TaskOutcome {
        let payload = json!({"errorType": error_type, "errorMessage": message});
        LocalLambdaResolver::function_error(error_type, payload.to_string())
    }

    /// The Invoke response `lambda:invoke` returns.
    fn invoke_response(&mut self, payload: Value, payload_len: usize) -> Value {
        let request_id = self.entropy.uuid();
        let date = http_date(now_millis() / 1000);
        let trace = format!(
            "Root=1-{:08x}-{}",
            now_millis() / 1000,
            self.entropy.uuid().replace('-', "").get(..24).unwrap_or("")
        );
        let len = payload_len.to_string();
        json!({
            "ExecutedVersion": "$LATEST",
            "Payload": payload,
            "SdkHttpMetadata": {
                "AllHttpHeaders": {
                    "X-Amz-Executed-Version": ["$LATEST"],
                    "x-amzn-Remapped-Content-Length": ["0"],
                    "Connection": ["keep-alive"],
                    "x-amzn-RequestId": [request_id],
                    "Content-Length": [len],
                    "Date": [date],
                    "X-Amzn-Trace-Id": [trace],
                    "Content-Type": ["application/json"]
                },
                "HttpHeaders": {
                    "Connection": "keep-alive",
                    "Content-Length": len,
                    "Content-Type": "application/json",
                    "Date": date,
                    "X-Amz-Executed-Version": "$LATEST",
                    "x-amzn-Remapped-Content-Length": "0",
                    "x-amzn-RequestId": request_id,
                    "X-Amzn-Trace-Id": trace
                },
                "HttpStatusCode": 200
            },
            "SdkResponseMetadata": {"RequestId": request_id},
            "StatusCode": 200
        })
    }
}

impl TaskResolver for LocalLambdaResolver {
    fn invoke(&mut self, inv: &TaskInvocation) -> TaskOutcome {
        let kind = classify(&inv.resource);
        let Some(function) = invoked_function(&inv.resource, &inv.parameters) else {
            return self.fallback.invoke(inv);
        };
        let f = match (self.function(function).cloned(), &self.default_endpoint) {
            (Some(f), _) => f,
            (None, Some(e)) => FunctionConfig {
                command: Vec::new(),
                endpoint: Some(e.clone()),
                function_name: Some(function.to_string()),
                env: BTreeMap::new(),
                timeout: crate::config::MAX_LAMBDA_TIMEOUT_SECONDS,
                cwd: None,
            },
            (None, None) => return self.fallback.invoke(inv),
        };
        let name = function_name(function).to_string();
        let event = match kind {
            // No payload (absent or null): the function gets `{}`, as AWS recorded.
            ResourceKind::LambdaInvoke { .. } => match inv.parameters.get("Payload") {
                None | Some(Value::Null) => Value::Object(Map::new()),
                Some(p) => p.clone(),
            },
            _ => (*inv.parameters).clone(),
        };
        // A string `Payload` is the request body itself, as Lambda's Invoke API takes it
        // (`"Payload": "{\"a\":1}"` sends the object).
        let event_text = match (&kind, &event) {
            (ResourceKind::LambdaInvoke { .. }, Value::String(s)) => s.clone(),
            _ => event.to_string(),
        };
        let function_limit = Duration::from_secs(f.timeout);
        let (limit, state_binds) = match inv.timeout_seconds {
            Some(t) if Duration::from_secs(t) < function_limit => (Duration::from_secs(t), true),
            _ => (function_limit, false),
        };
        let request_id = self.entropy.uuid();
        let (ok, stdout) = if let Some(endpoint) = &f.endpoint {
            let remote = f.function_name.as_deref().unwrap_or(&name);
            match crate::lambda_http::invoke_traced(
                endpoint,
                remote,
                &event_text,
                limit,
                self.credentials.as_ref(),
                &self.region,
                self.traceparent.as_deref(),
            ) {
                HttpInvokeEnd::Returned { payload } => (true, payload.into_bytes()),
                HttpInvokeEnd::FunctionError { payload } => (false, payload.into_bytes()),
                HttpInvokeEnd::ServiceError { error, cause } => {
                    if state_binds
                        && error == "Lambda.SdkClientException"
                        && cause.contains("timed out")
                    {
                        return TaskOutcome::Pending;
                    }
                    return LocalLambdaResolver::function_error(&error, cause);
                }
            }
        } else {
            match self.run(&f, &name, event_text.as_bytes(), limit) {
                RunEnd::Exited { status, stdout } => {
                    if !status.success() && !looks_like_object(&stdout) {
                        let how = match status.code() {
                            Some(code) => format!("exit status {code}"),
                            None => "signal: killed".to_string(),
                        };
                        return LocalLambdaResolver::runtime_error(
                            "Runtime.ExitError",
                            format!(
                                "RequestId: {request_id} Error: Runtime exited with error: {how}"
                            ),
                        );
                    }
                    (status.success(), stdout)
                }
                RunEnd::Deadline if state_binds => return TaskOutcome::Pending,
                RunEnd::Deadline => {
                    return LocalLambdaResolver::runtime_error(
                        "Sandbox.Timedout",
                        format!(
                            "RequestId: {request_id} Error: Task timed out after {}.00 seconds",
                            f.timeout
                        ),
                    )
                }
                RunEnd::SpawnFailed(e) => {
                    return LocalLambdaResolver::runtime_error(
                        "Runtime.InvalidEntrypoint",
                        format!("RequestId: {request_id} Error: {e}"),
                    )
                }
            }
        };
        let text = String::from_utf8_lossy(&stdout);
        let trimmed = text.trim();
        if !ok {
            // The legacy form records the error payload as the runtime wrote it (Python's
            // `", "` separators and all); `lambda:invoke` records it re-serialised, compact.
            let legacy = matches!(kind, ResourceKind::LambdaFunction { .. });
            return match serde_json::from_str::<Value>(trimmed) {
                Ok(Value::Object(o)) => {
                    let error_type = o
                        .get("errorType")
                        .and_then(Value::as_str)
                        .map(str::to_string);
                    let payload = if legacy {
                        trimmed.to_string()
                    } else {
                        Value::Object(o).to_string()
                    };
                    match error_type {
                        Some(t) => LocalLambdaResolver::function_error(&t, payload),
                        None => LocalLambdaResolver::function_error(
                            "Lambda.Unknown",
                            format!(
                                "The cause could not be determined because Lambda did not return an error type. Returned payload: {payload}"
                            ),
                        ),
                    }
                }
                _ => LocalLambdaResolver::runtime_error(
                    "Lambda.Unknown",
                    format!("The cause could not be determined because Lambda did not return an error type. Returned payload: {trimmed}"),
                ),
            };
        }
        let result = if trimmed.is_empty() {
            Value::Null
        } else {
            match serde_json::from_str::<Value>(trimmed) {
                Ok(v) => v,
                Err(e) => {
                    return LocalLambdaResolver::runtime_error(
                        "Runtime.MarshalError",
                        format!("Unable to marshal response: {e}"),
                    )
                }
            }
        };
        match kind {
            ResourceKind::LambdaInvoke {
                wait_for_task_token: true,
            } => TaskOutcome::Pending,
            ResourceKind::LambdaInvoke { .. } => {
                let len = if trimmed.is_empty() { 4 } else { trimmed.len() };
                TaskOutcome::Succeeded(self.invoke_response(result, len))
            }
            _ => TaskOutcome::Succeeded(result),
        }
    }
}

/// Whether a failed command wrote a JSON object (a function error) rather than nothing usable.
fn looks_like_object(stdout: &[u8]) -> bool {
    matches!(
        serde_json::from_slice::<Value>(String::from_utf8_lossy(stdout).trim().as_bytes()),
        Ok(Value::Object(_))
    )
}

/// Kills a command that ran out of time, with the processes it started.
fn stop(child: &mut std::process::Child) {
    #[cfg(unix)]
    {
        // The child leads its own process group (see `run`): signal the whole group.
        let _ = Command::new("kill")
            .arg("-KILL")
            .arg("--")
            .arg(format!("-{}", child.id()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(0))
        .unwrap_or(0)
}

/// `Wed, 25 Nov 2026 21:50:00 GMT`.
fn http_date(epoch_seconds: i64) -> String {
    chrono::DateTime::from_timestamp(epoch_seconds, 0)
        .map(|d| d.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
        .unwrap_or_default()
}
