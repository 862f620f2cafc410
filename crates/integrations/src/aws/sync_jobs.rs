//! Jobs a Task runs and, with `.sync`, waits for: `arn:aws:states:::ecs:runTask` and
//! `arn:aws:states:::sagemaker:createTrainingJob` (request-response, `.sync`,
//! `.waitForTaskToken`).
//!
//! - Request-response: the API's answer (PascalCase members, as the optimized integrations
//!   report them) with `SdkHttpMetadata`/`SdkResponseMetadata`. A RunTask answer with
//!   `Failures` succeeds, as AWS documents.
//! - `.waitForTaskToken`: the answer is the `TaskSubmitted` output; a RunTask answer with
//!   `Failures` fails the task with `AmazonECS.Unknown` (AWS's documented name).
//! - `.sync`: submit ([`submit`]), record `TaskSubmitted` with the answer, then [`poll`]
//!   (DescribeTasks / DescribeTrainingJob) until the job ends. ECS: the task `STOPPED` with
//!   every container's exit code 0 succeeds with the described task; otherwise
//!   `States.TaskFailed`, cause the described task as JSON (what workflows parse with
//!   `States.StringToJson($.Cause)` to read `StoppedReason`/`Containers[].ExitCode`).
//!   SageMaker: `Completed` succeeds with the DescribeTrainingJob answer; `Failed`/`Stopped`
//!   fail with `States.TaskFailed`, cause the answer as JSON. The job is identified from the
//!   `TaskSubmitted` output ([`resume`]), so polling resumes after a restart without a second
//!   submit; [`stop`] (StopTask / StopTrainingJob) ends a job whose task ended first.
//!
//! API errors are the optimized integrations' (`ECS.ClusterNotFoundException`,
//! `ECS.AmazonECSException` for codes the SDK does not model, `SageMaker.AmazonSageMakerException`).

use super::{lower_first, upper_first, AwsCall, AwsClient, CallError};
use serde_json::{json, Map, Value};

/// What a resource runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// `ecs:runTask`.
    EcsTask,
    /// `sagemaker:createTrainingJob`.
    SageMakerTraining,
}

/// A submitted job, as far as polling and stopping need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncJob {
    pub kind: JobKind,
    /// ECS: the cluster the tasks run in (`None`: the default cluster).
    pub cluster: Option<String>,
    /// ECS: the task ARNs; SageMaker: the training job's name.
    pub ids: Vec<String>,
}

/// The job kind of an optimized (not `aws-sdk:`) call.
pub fn job_kind(call: &AwsCall<'_>) -> Option<JobKind> {
    if call.sdk {
        return None;
    }
    match (call.service.name, call.action) {
        ("ecs", "runTask") => Some(JobKind::EcsTask),
        ("sagemaker", "createTrainingJob") => Some(JobKind::SageMakerTraining),
        _ => None,
    }
}

/// The metadata members the optimized integrations add; kept as written when renaming.
const METADATA: [&str; 2] = ["SdkHttpMetadata", "SdkResponseMetadata"];

/// ECS speaks camelCase on the wire, Step Functions PascalCase: every member name, at any
/// depth (RunTask's request and answer hold no maps with user-chosen keys).
fn rename_keys(v: &Value, f: fn(&str) -> String) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(k, x)| {
                    if METADATA.contains(&k.as_str()) {
                        (k.clone(), x.clone())
                    } else {
                        (f(k), rename_keys(x, f))
                    }
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|x| rename_keys(x, f)).collect()),
        other => other.clone(),
    }
}

fn call_of(client_call: &AwsCall<'_>, action: &'static str) -> AwsCall<'static> {
    AwsCall {
        service: client_call.service,
        action,
        sdk: false,
        wait_for_task_token: false,
        sync: false,
    }
}

/// One API call of `kind`'s service, in Step Functions' member case.
fn api(
    client: &AwsClient,
    call: &AwsCall<'_>,
    kind: JobKind,
    params: &Value,
) -> Result<Value, CallError> {
    match kind {
        JobKind::EcsTask => {
            let out = client.call(call, &rename_keys(params, lower_first))?;
            Ok(rename_keys(&out, upper_first))
        }
        JobKind::SageMakerTraining => client.call(call, params),
    }
}

/// The answer without the SDK's view of the HTTP exchange (what `.sync` outputs report).
fn without_metadata(mut v: Value) -> Value {
    if let Value::Object(m) = &mut v {
        for k in METADATA {
            m.remove(k);
        }
    }
    v
}

/// A RunTask answer's non-empty `Failures`, as the `.sync`/`.waitForTaskToken` error.
fn run_task_failures(answer: &Value) -> Option<CallError> {
    let failures = answer.get("Failures").and_then(Value::as_array)?;
    if failures.is_empty() {
        return None;
    }
    Some(CallError {
        error: "AmazonECS.Unknown".into(),
        cause: json!({"Failures": failures}).to_string(),
    })
}

/// Performs a request-response or `.waitForTaskToken` call: the answer.
pub fn call(
    client: &AwsClient,
    call: &AwsCall<'_>,
    kind: JobKind,
    params: &Value,
) -> Result<Value, CallError> {
    let answer = api(client, call, kind, params)?;
    if call.wait_for_task_token && kind == JobKind::EcsTask {
        if let Some(e) = run_task_failures(&answer) {
            return Err(e);
        }
    }
    Ok(answer)
}

/// Submits a `.sync` job: the answer (for `TaskSubmitted`) and the job to follow.
pub fn submit(
    client: &AwsClient,
    call: &AwsCall<'_>,
    kind: JobKind,
    params: &Value,
) -> Result<(Value, SyncJob), CallError> {
    let answer = api(client, call, kind, params)?;
    if kind == JobKind::EcsTask {
        if let Some(e) = run_task_failures(&answer) {
            return Err(e);
        }
    }
    match resume(kind, params, &answer) {
        Some(job) => Ok((answer, job)),
        None => Err(CallError {
            error: "States.TaskFailed".into(),
            cause: format!("The service's answer names no job to wait for: {answer}"),
        }),
    }
}

/// The job a `.sync` task submitted, from its parameters and its `TaskSubmitted` output
/// (after a restart, polling resumes with it).
pub fn resume(kind: JobKind, params: &Value, submitted: &Value) -> Option<SyncJob> {
    match kind {
        JobKind::EcsTask => {
            let tasks = submitted.get("Tasks").and_then(Value::as_array)?;
            let ids: Vec<String> = tasks
                .iter()
                .filter_map(|t| t.get("TaskArn").and_then(Value::as_str))
                .map(str::to_string)
                .collect();
            if ids.is_empty() {
                return None;
            }
            let cluster = tasks
                .first()
                .and_then(|t| t.get("ClusterArn"))
                .or_else(|| params.get("Cluster"))
                .and_then(Value::as_str)
                .map(str::to_string);
            Some(SyncJob { kind, cluster, ids })
        }
        JobKind::SageMakerTraining => {
            let name = params.get("TrainingJobName").and_then(Value::as_str)?;
            Some(SyncJob {
                kind,
                cluster: None,
                ids: vec![name.to_string()],
            })
        }
    }
}

/// What one poll found.
#[derive(Debug, Clone, PartialEq)]
pub enum Polled {
    Running,
    Succeeded(Value),
    Failed(CallError),
}

/// Asks once whether the job ended.
pub fn poll(client: &AwsClient, service: &AwsCall<'_>, job: &SyncJob) -> Polled {
    let outcome = match job.kind {
        JobKind::EcsTask => {
            let mut p = json!({"Tasks": job.ids});
            if let Some(c) = &job.cluster {
                p["Cluster"] = json!(c);
            }
            let call = call_of(service, "describeTasks");
            api(client, &call, job.kind, &p).map(|d| ecs_outcome(&d, job))
        }
        JobKind::SageMakerTraining => {
            let call = call_of(service, "describeTrainingJob");
            let p = json!({"TrainingJobName": job.ids.first()});
            api(client, &call, job.kind, &p).map(|d| training_outcome(without_metadata(d)))
        }
    };
    match outcome {
        Ok(p) => p,
        // No answer (connection refused, timeout): asked again at the next poll, as a blip
        // must not fail a job that may run for hours.
        Err(e) if e.error.ends_with(".SdkClientException") => Polled::Running,
        Err(e) => Polled::Failed(e),
    }
}

/// A DescribeTasks answer judged: every task `STOPPED`, then success when every container
/// exited 0.
pub fn ecs_outcome(described: &Value, job: &SyncJob) -> Polled {
    let tasks: Vec<&Value> = described
        .get("Tasks")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    if tasks.is_empty() {
        // ECS forgets stopped tasks after about an hour; nothing left to wait for.
        let failures = described.get("Failures").cloned().unwrap_or(json!([]));
        return Polled::Failed(CallError {
            error: "States.TaskFailed".into(),
            cause: json!({"Failures": failures, "Tasks": job.ids}).to_string(),
        });
    }
    if tasks
        .iter()
        .any(|t| t.get("LastStatus").and_then(Value::as_str) != Some("STOPPED"))
    {
        return Polled::Running;
    }
    let ok = tasks.iter().all(|t| {
        t.get("Containers")
            .and_then(Value::as_array)
            .is_some_and(|cs| {
                cs.iter()
                    .all(|c| c.get("ExitCode").and_then(Value::as_i64) == Some(0))
            })
    });
    let result = if tasks.len() == 1 {
        tasks[0].clone()
    } else {
        json!({"Tasks": tasks})
    };
    if ok {
        Polled::Succeeded(result)
    } else {
        Polled::Failed(CallError {
            error: "States.TaskFailed".into(),
            cause: result.to_string(),
        })
    }
}

/// A DescribeTrainingJob answer judged by `TrainingJobStatus`.
pub fn training_outcome(described: Value) -> Polled {
    match described.get("TrainingJobStatus").and_then(Value::as_str) {
        Some("Completed") => Polled::Succeeded(described),
        Some("Failed") | Some("Stopped") => Polled::Failed(CallError {
            error: "States.TaskFailed".into(),
            cause: described.to_string(),
        }),
        _ => Polled::Running,
    }
}

/// Stops a job whose task ended before it (execution stopped or failed, task timed out);
/// best effort, as the job may have ended meanwhile.
pub fn stop(
    client: &AwsClient,
    service: &AwsCall<'_>,
    job: &SyncJob,
    reason: &str,
) -> Result<(), CallError> {
    match job.kind {
        JobKind::EcsTask => {
            let call = call_of(service, "stopTask");
            for id in &job.ids {
                let mut p = Map::new();
                p.insert("Task".into(), json!(id));
                p.insert("Reason".into(), json!(reason));
                if let Some(c) = &job.cluster {
                    p.insert("Cluster".into(), json!(c));
                }
                api(client, &call, job.kind, &Value::Object(p))?;
            }
            Ok(())
        }
        JobKind::SageMakerTraining => {
            let call = call_of(service, "stopTrainingJob");
            let p = json!({"TrainingJobName": job.ids.first()});
            api(client, &call, job.kind, &p).map(|_| ())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ecs_job() -> SyncJob {
        SyncJob {
            kind: JobKind::EcsTask,
            cluster: Some("c".into()),
            ids: vec!["arn:t1".into()],
        }
    }

    #[test]
    fn ecs_member_names_change_case_at_every_depth() {
        let p = json!({"Cluster": "c", "Overrides": {"ContainerOverrides": [{"Name": "main", "Environment": [{"Name": "A", "Value": "1"}]}]}, "Group": null});
        assert_eq!(
            rename_keys(&p, lower_first),
            json!({"cluster": "c", "overrides": {"containerOverrides": [{"name": "main", "environment": [{"name": "A", "value": "1"}]}]}})
        );
        let a = json!({"tasks": [{"taskArn": "t", "containers": [{"exitCode": 0}]}], "SdkHttpMetadata": {"HttpHeaders": {"x-amzn-RequestId": "r"}}});
        assert_eq!(
            rename_keys(&a, upper_first),
            json!({"Tasks": [{"TaskArn": "t", "Containers": [{"ExitCode": 0}]}], "SdkHttpMetadata": {"HttpHeaders": {"x-amzn-RequestId": "r"}}})
        );
    }

    #[test]
    fn ecs_task_judged_when_stopped() {
        let job = ecs_job();
        let running =
            json!({"Tasks": [{"LastStatus": "RUNNING", "Containers": [{"ExitCode": 0}]}]});
        assert_eq!(ecs_outcome(&running, &job), Polled::Running);
        let ok = json!({"Tasks": [{"LastStatus": "STOPPED", "Containers": [{"ExitCode": 0}, {"ExitCode": 0}]}]});
        assert_eq!(
            ecs_outcome(&ok, &job),
            Polled::Succeeded(
                json!({"LastStatus": "STOPPED", "Containers": [{"ExitCode": 0}, {"ExitCode": 0}]})
            )
        );
        let bad = json!({"Tasks": [{"LastStatus": "STOPPED", "StoppedReason": "Essential container in task exited", "Containers": [{"ExitCode": 0}, {"ExitCode": 2}]}]});
        match ecs_outcome(&bad, &job) {
            Polled::Failed(e) => {
                assert_eq!(e.error, "States.TaskFailed");
                let cause: Value = serde_json::from_str(&e.cause).expect("JSON cause");
                assert_eq!(cause["Containers"][1]["ExitCode"], 2);
            }
            other => panic!("{other:?}"),
        }
        // A container that never ran has no exit code.
        let never = json!({"Tasks": [{"LastStatus": "STOPPED", "Containers": [{"Reason": "CannotPullContainerError"}]}]});
        assert!(matches!(ecs_outcome(&never, &job), Polled::Failed(_)));
        let gone = json!({"Tasks": [], "Failures": [{"Arn": "arn:t1", "Reason": "MISSING"}]});
        assert!(matches!(ecs_outcome(&gone, &job), Polled::Failed(_)));
    }

    #[test]
    fn training_job_judged_by_status() {
        assert_eq!(
            training_outcome(json!({"TrainingJobStatus": "InProgress"})),
            Polled::Running
        );
        assert_eq!(
            training_outcome(json!({"TrainingJobStatus": "Stopping"})),
            Polled::Running
        );
        assert!(matches!(
            training_outcome(json!({"TrainingJobStatus": "Completed"})),
            Polled::Succeeded(_)
        ));
        for s in ["Failed", "Stopped"] {
            match training_outcome(json!({"TrainingJobStatus": s, "FailureReason": "x"})) {
                Polled::Failed(e) => {
                    assert_eq!(e.error, "States.TaskFailed");
                    assert!(e.cause.contains("\"FailureReason\":\"x\""), "{}", e.cause);
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn jobs_resume_from_the_submitted_answer() {
        let submitted =
            json!({"Tasks": [{"TaskArn": "arn:t1", "ClusterArn": "arn:c"}], "Failures": []});
        assert_eq!(
            resume(JobKind::EcsTask, &json!({"Cluster": "c"}), &submitted),
            Some(SyncJob {
                kind: JobKind::EcsTask,
                cluster: Some("arn:c".into()),
                ids: vec!["arn:t1".into()]
            })
        );
        assert_eq!(
            resume(JobKind::EcsTask, &json!({}), &json!({"Tasks": []})),
            None
        );
        assert_eq!(
            resume(
                JobKind::SageMakerTraining,
                &json!({"TrainingJobName": "j"}),
                &json!({"TrainingJobArn": "arn:j"})
            )
            .map(|j| j.ids),
            Some(vec!["j".to_string()])
        );
        assert!(run_task_failures(&json!({"Failures": []})).is_none());
        assert_eq!(
            run_task_failures(&json!({"Failures": [{"Reason": "RESOURCE:MEMORY"}]}))
                .map(|e| e.error),
            Some("AmazonECS.Unknown".to_string())
        );
    }
}
