//! Task resolution: what a Task's `Resource` does is up to the host (server, CLI, tests).

use crate::api::TaskInvocation;
use serde_json::Value;

/// What an integration answered for a task invocation.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskOutcome {
    Succeeded(Value),
    Failed {
        error: Option<String>,
        cause: Option<String>,
    },
    /// The task runs on; its result will be delivered later (callbacks, activities).
    Pending,
}

/// Performs tasks for the [`crate::driver`].
pub trait TaskResolver {
    fn invoke(&mut self, invocation: &TaskInvocation) -> TaskOutcome;
}

/// No integrations: every Task fails as AWS fails a call to a resource that does not exist.
#[derive(Debug, Default, Clone)]
pub struct NoIntegrations {
    pub region: String,
    pub account: String,
}

impl NoIntegrations {
    pub fn new() -> Self {
        NoIntegrations {
            region: "us-east-1".into(),
            account: "111111111111".into(),
        }
    }
}

impl TaskResolver for NoIntegrations {
    fn invoke(&mut self, inv: &TaskInvocation) -> TaskOutcome {
        let resource = &*inv.resource;
        if resource.starts_with("arn:aws:states:::lambda:invoke")
            || resource.starts_with("arn:aws:lambda:")
        {
            let name = if resource.starts_with("arn:aws:lambda:") {
                resource.rsplit(':').next().unwrap_or_default().to_string()
            } else {
                inv.parameters
                    .get("FunctionName")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            let arn = if name.starts_with("arn:") {
                name
            } else {
                format!(
                    "arn:aws:lambda:{}:{}:function:{}",
                    self.region, self.account, name
                )
            };
            return TaskOutcome::Failed {
                error: Some("Lambda.ResourceNotFoundException".into()),
                cause: Some(format!(
                    "Function not found: {arn}:$LATEST (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: 00000000-0000-0000-0000-000000000000; Proxy: null)"
                )),
            };
        }
        TaskOutcome::Failed {
            error: Some("States.Runtime".into()),
            cause: Some(format!(
                "No integration is configured for the resource '{resource}'."
            )),
        }
    }
}
