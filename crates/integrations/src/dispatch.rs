//! [`Integrations`]: every integration this host performs, behind one shared, thread-safe
//! value, for a server that runs each call on a worker thread.

use crate::aws::sync_jobs::{self, JobKind, Polled, SyncJob};
use crate::aws::{self, AwsClient, CallError};
use crate::config::Config;
use crate::lambda_local::LocalLambdaResolver;
use crate::resource::{classify, invoked_function, ResourceKind};
use engine::{NoIntegrations, TaskInvocation, TaskOutcome, TaskResolver};
use serde_json::Value;

/// What performing a task produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Performed {
    /// The task's end (or `Pending` when its answer comes some other way).
    Outcome(TaskOutcome),
    /// A `.waitForTaskToken` call went out: its response, for `TaskSubmitted`; the task waits
    /// for its token.
    Submitted(Value),
}

/// The integrations configured in `stepline.toml`.
#[derive(Debug)]
pub struct Integrations {
    config: Config,
    aws: Option<AwsClient>,
    fallback: NoIntegrations,
}

impl Integrations {
    pub fn new(mut config: Config, region: &str, account: &str) -> Integrations {
        let aws = config.aws.as_ref().map(AwsClient::new);
        // `[aws.endpoints] lambda`: functions not configured locally are invoked there.
        if config.lambda.endpoint.is_none() {
            config.lambda.endpoint = config
                .aws
                .as_ref()
                .and_then(|a| a.endpoints.get("lambda").cloned());
        }
        Integrations {
            config,
            aws,
            fallback: NoIntegrations {
                region: region.to_string(),
                account: account.to_string(),
            },
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Whether this value performs `inv` (with I/O: call it off the async executor);
    /// `false`: it is not configured here, and [`Integrations::fallback`] answers at once.
    pub fn performs(&self, inv: &TaskInvocation) -> bool {
        let r = &*inv.resource;
        match classify(r) {
            ResourceKind::LambdaFunction { .. } | ResourceKind::LambdaInvoke { .. } => {
                let lambda = &self.config.lambda;
                lambda.endpoint.is_some()
                    || invoked_function(r, &inv.parameters).is_some_and(|f| {
                        lambda.functions.contains_key(f)
                            || lambda
                                .functions
                                .contains_key(crate::resource::function_name(f))
                    })
            }
            ResourceKind::Other => {
                is_http_task(r) || (self.aws.is_some() && aws::classify(r).is_some())
            }
        }
    }

    /// What a host without the integration answers (AWS's "resource does not exist").
    pub fn fallback(&self, inv: &TaskInvocation) -> TaskOutcome {
        self.fallback.clone().invoke(inv)
    }

    /// Performs `inv`; blocks for the call's duration.
    pub fn perform(&self, inv: &TaskInvocation) -> Performed {
        self.perform_traced(inv, None)
    }

    /// [`Integrations::perform`], sending `traceparent` (the W3C trace context of the task's
    /// span) with the calls that go out over HTTP: the HTTP Task and Lambda endpoints.
    pub fn perform_traced(&self, inv: &TaskInvocation, traceparent: Option<&str>) -> Performed {
        let r = &*inv.resource;
        let callback = r.ends_with(".waitForTaskToken");
        if is_http_task(r) {
            let region = self.aws.as_ref().map_or("us-east-1", |a| a.region.as_str());
            return Performed::Outcome(
                match crate::http_task::invoke_traced(
                    &self.config.http,
                    region,
                    &inv.parameters,
                    traceparent,
                ) {
                    Ok(v) => TaskOutcome::Succeeded(v),
                    Err(e) => TaskOutcome::Failed {
                        error: Some(e.error),
                        cause: Some(e.cause),
                    },
                },
            );
        }
        if let (Some(client), Some(call)) = (&self.aws, aws::classify(r)) {
            if let Some(kind) = sync_jobs::job_kind(&call) {
                return self.perform_job(client, &call, kind, inv);
            }
            if call.sync {
                return Performed::Outcome(TaskOutcome::Failed {
                    error: Some("States.Runtime".into()),
                    cause: Some(format!(
                        "The resource '{r}' (.sync) is not supported by this server's AWS integrations."
                    )),
                });
            }
            let params = optimized_parameters(&call, &inv.parameters);
            return match client.call(&call, &params) {
                Ok(v) if callback => Performed::Submitted(v),
                Ok(v) => Performed::Outcome(TaskOutcome::Succeeded(v)),
                Err(e) => Performed::Outcome(TaskOutcome::Failed {
                    error: Some(e.error),
                    cause: Some(e.cause),
                }),
            };
        }
        if matches!(
            classify(r),
            ResourceKind::LambdaFunction { .. } | ResourceKind::LambdaInvoke { .. }
        ) {
            let mut lambda = LocalLambdaResolver::with_fallback(
                &self.config.lambda,
                Box::new(self.fallback.clone()),
            );
            lambda.set_credentials(self.aws.as_ref().and_then(|a| a.credentials().cloned()));
            lambda.set_traceparent(traceparent.map(str::to_string));
            return Performed::Outcome(lambda.invoke(inv));
        }
        Performed::Outcome(self.fallback(inv))
    }
}

fn failed(e: CallError) -> TaskOutcome {
    TaskOutcome::Failed {
        error: Some(e.error),
        cause: Some(e.cause),
    }
}

/// `.sync` jobs (ECS tasks, SageMaker training jobs): a server submits, records
/// `TaskSubmitted`, then polls off its executions' paths; [`Integrations::perform`] does all of
/// it in line (for hosts without a scheduler).
impl Integrations {
    fn perform_job(
        &self,
        client: &AwsClient,
        call: &aws::AwsCall<'_>,
        kind: JobKind,
        inv: &TaskInvocation,
    ) -> Performed {
        if !call.sync {
            return match sync_jobs::call(client, call, kind, &inv.parameters) {
                Ok(v) if call.wait_for_task_token => Performed::Submitted(v),
                Ok(v) => Performed::Outcome(TaskOutcome::Succeeded(v)),
                Err(e) => Performed::Outcome(failed(e)),
            };
        }
        if !inv.resource.ends_with(".sync") {
            return Performed::Outcome(TaskOutcome::Failed {
                error: Some("States.Runtime".into()),
                cause: Some(format!(
                    "The resource '{}' is not supported: {} jobs run with '.sync'.",
                    inv.resource, call.service.name
                )),
            });
        }
        let (output, job) = match self.submit_job(inv) {
            Ok(s) => s,
            Err(o) => return Performed::Outcome(o),
        };
        let then = loop {
            std::thread::sleep(self.sync_poll_interval());
            if let Some(o) = self.poll_job(inv, &job) {
                break o;
            }
        };
        Performed::Outcome(TaskOutcome::Submitted {
            output,
            then: Box::new(then),
        })
    }

    /// The kind of `.sync` job `inv` runs, when this host follows it.
    pub fn sync_job(&self, inv: &TaskInvocation) -> Option<JobKind> {
        self.aws.as_ref()?;
        let call = aws::classify(&inv.resource)?;
        if inv.resource.ends_with(".sync") {
            sync_jobs::job_kind(&call)
        } else {
            None
        }
    }

    /// Time between polls of a `.sync` job (`[aws] sync_poll_ms`).
    pub fn sync_poll_interval(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.aws.as_ref().map_or(5000, |a| a.config.sync_poll_ms))
    }

    fn job_call<'a>(
        &'a self,
        inv: &'a TaskInvocation,
    ) -> Option<(&'a AwsClient, aws::AwsCall<'a>, JobKind)> {
        let client = self.aws.as_ref()?;
        let call = aws::classify(&inv.resource)?;
        let kind = sync_jobs::job_kind(&call)?;
        Some((client, call, kind))
    }

    /// Submits `inv`'s job (blocks for the call): the answer for `TaskSubmitted` and the job,
    /// or how the task ends at once.
    pub fn submit_job(&self, inv: &TaskInvocation) -> Result<(Value, SyncJob), TaskOutcome> {
        let Some((client, call, kind)) = self.job_call(inv) else {
            return Err(self.fallback(inv));
        };
        sync_jobs::submit(client, &call, kind, &inv.parameters).map_err(failed)
    }

    /// The job `inv` submitted, from its `TaskSubmitted` output.
    pub fn resume_job(&self, inv: &TaskInvocation, submitted: &Value) -> Option<SyncJob> {
        let (_, _, kind) = self.job_call(inv)?;
        sync_jobs::resume(kind, &inv.parameters, submitted)
    }

    /// Polls once (blocks for the call): `None` while the job runs.
    pub fn poll_job(&self, inv: &TaskInvocation, job: &SyncJob) -> Option<TaskOutcome> {
        let (client, call, _) = self.job_call(inv)?;
        match sync_jobs::poll(client, &call, job) {
            Polled::Running => None,
            Polled::Succeeded(v) => Some(TaskOutcome::Succeeded(v)),
            Polled::Failed(e) => Some(failed(e)),
        }
    }

    /// Stops a job whose task ended first (blocks for the call).
    pub fn stop_job(
        &self,
        inv: &TaskInvocation,
        job: &SyncJob,
        reason: &str,
    ) -> Result<(), String> {
        let Some((client, call, _)) = self.job_call(inv) else {
            return Ok(());
        };
        sync_jobs::stop(client, &call, job, reason).map_err(|e| format!("{}: {}", e.error, e.cause))
    }
}

impl TaskResolver for Integrations {
    fn invoke(&mut self, inv: &TaskInvocation) -> TaskOutcome {
        match self.perform(inv) {
            Performed::Outcome(o) => o,
            Performed::Submitted(_) => TaskOutcome::Pending,
        }
    }
}

fn is_http_task(resource: &str) -> bool {
    resource
        .strip_prefix("arn:")
        .and_then(|r| r.split_once(':'))
        .is_some_and(|(_, rest)| rest == "states:::http:invoke")
}

/// What the optimized integrations send for values the APIs take as text: a JSON
/// `MessageBody`/`Message`/`Detail` is serialised, as Step Functions does.
fn optimized_parameters(call: &aws::AwsCall<'_>, parameters: &Value) -> Value {
    if call.sdk {
        return parameters.clone();
    }
    let text = |v: &mut Value| {
        if !v.is_string() && !v.is_null() {
            *v = Value::String(v.to_string());
        }
    };
    let mut p = parameters.clone();
    match (call.service.name, call.action) {
        ("sqs", "sendMessage") => {
            if let Some(v) = p.get_mut("MessageBody") {
                text(v);
            }
        }
        ("sns", "publish") => {
            if let Some(v) = p.get_mut("Message") {
                text(v);
            }
        }
        ("events", "putEvents") => {
            if let Some(Value::Array(entries)) = p.get_mut("Entries") {
                for e in entries {
                    if let Some(v) = e.get_mut("Detail") {
                        text(v);
                    }
                }
            }
        }
        _ => {}
    }
    p
}
