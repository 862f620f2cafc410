//! Task resolution: what a Task's `Resource` does is up to the host (server, CLI, tests).

use crate::api::{Event, TaskId, TaskInvocation};
use serde_json::Value;

/// What an integration answered for a task invocation.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskOutcome {
    Succeeded(Value),
    Failed {
        error: Option<String>,
        cause: Option<String>,
    },
    /// The integration accepted the work and answered (a `.sync` job started, a
    /// `.waitForTaskToken` message sent): `TaskSubmitted` with that answer, then `then`
    /// (usually `Succeeded`/`Failed` for the job's or callback's end, or `Pending`).
    Submitted {
        output: Value,
        then: Box<TaskOutcome>,
    },
    /// The task runs on; its result will be delivered later (callbacks, activities).
    Pending,
}

impl TaskOutcome {
    /// The engine events reporting this outcome for `task`, in order (`TaskStarted` is the
    /// host's to send before them).
    pub fn into_events(self, task: TaskId) -> Vec<Event> {
        let mut out = Vec::new();
        let mut next = Some(self);
        while let Some(o) = next.take() {
            match o {
                TaskOutcome::Succeeded(output) => out.push(Event::TaskSucceeded { task, output }),
                TaskOutcome::Failed { error, cause } => {
                    out.push(Event::TaskFailed { task, error, cause })
                }
                TaskOutcome::Submitted { output, then } => {
                    out.push(Event::TaskSubmitted { task, output });
                    next = Some(*then);
                }
                TaskOutcome::Pending => {}
            }
        }
        out
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_submission_comes_before_the_end() {
        let o = TaskOutcome::Submitted {
            output: json!({"MessageId": "m"}),
            then: Box::new(TaskOutcome::Succeeded(json!(1))),
        };
        let events = o.into_events(7);
        assert!(matches!(
            events.as_slice(),
            [
                Event::TaskSubmitted { task: 7, .. },
                Event::TaskSucceeded { task: 7, .. }
            ]
        ));
        let waiting = TaskOutcome::Submitted {
            output: json!({}),
            then: Box::new(TaskOutcome::Pending),
        };
        assert_eq!(waiting.into_events(1).len(), 1);
        assert!(TaskOutcome::Pending.into_events(1).is_empty());
    }
}
