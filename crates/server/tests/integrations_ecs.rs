//! End to end against moto's server (from PyPI): `arn:aws:states:::ecs:runTask` and
//! `arn:aws:states:::sagemaker:createTrainingJob`, request-response, `.sync` (submit,
//! `TaskSubmitted`, poll) and `.waitForTaskToken`, performed by a running `stepline-server`.
//!
//! What moto gives: an ECS task advances one status per DescribeTasks (RUNNING, DEACTIVATING,
//! STOPPING, DEPROVISIONING, STOPPED), its containers report exit code 0, and StopTask stops it
//! with the given reason; a training job is `Completed` at once, and StopTrainingJob is not
//! implemented. So a failing container or training job cannot be staged in moto (those
//! verdicts are unit-tested in `integrations::aws::sync_jobs`); failures here are API errors.
//! Setup and checks go through `aws-sdk:` calls in Step Functions' PascalCase, which also tests
//! the member name conversion for camelCase services (`integrations::aws::casing`).
//! Without moto (no network to install it) the tests say so loudly and pass.

mod common;
mod integrations_support;

use common::*;
use integrations_support::*;
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};

fn server_with(dir: &Path, moto: &Moto, poll_ms: u64) -> Server {
    let config = moto_aws_config(dir, moto, &format!("sync_poll_ms = {poll_ms}\n"));
    let cfg = dir.join("stepline.toml");
    std::fs::write(&cfg, config).expect("write stepline.toml");
    let data = dir.join("data");
    let args = [
        "--data-dir".to_string(),
        data.display().to_string(),
        "--config".to_string(),
        cfg.display().to_string(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Server::spawn(&args, Some(data))
}

fn suffix() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_string()
}

/// A cluster and a task definition of its own for one test.
fn ecs_setup(moto: &Moto) -> (String, String) {
    let sfx = suffix();
    let cluster = format!("c{sfx}");
    let family = format!("job{sfx}");
    // aws-sdk parameters and results in Step Functions' PascalCase; ECS gets its camelCase at
    // every depth, except inside map members such as `dockerLabels`, whose keys are the user's.
    aws_call(
        moto,
        "arn:aws:states:::aws-sdk:ecs:createCluster",
        json!({"ClusterName": cluster}),
    )
    .expect("create cluster");
    let registered = aws_call(
        moto,
        "arn:aws:states:::aws-sdk:ecs:registerTaskDefinition",
        json!({"Family": family, "ContainerDefinitions": [{"Name": "main", "Image": "busybox", "Memory": 128, "Essential": true,
                                                           "DockerLabels": {"team.Name": "blue"}}]}),
    )
    .expect("register task definition");
    let container = &registered["TaskDefinition"]["ContainerDefinitions"][0];
    assert_eq!(container["Name"], "main", "{registered}");
    assert_eq!(container["Memory"], 128, "{registered}");
    assert_eq!(
        container["DockerLabels"],
        json!({"team.Name": "blue"}),
        "{registered}"
    );
    assert_eq!(registered["TaskDefinition"]["Family"], family.as_str());
    (cluster, family)
}

fn start(server: &Server, name: &str, definition: &Value, input: Value) -> String {
    let arn = server.create_machine(name, definition);
    let e = server.ok(
        "StartExecution",
        json!({"stateMachineArn": arn, "input": input.to_string()}),
    );
    e["executionArn"]
        .as_str()
        .expect("execution arn")
        .to_string()
}

fn output(d: &Value) -> Value {
    serde_json::from_str(d["output"].as_str().unwrap_or("null")).unwrap_or_default()
}

fn types(h: &[Value]) -> Vec<String> {
    h.iter()
        .filter_map(|e| e["type"].as_str().map(str::to_string))
        .collect()
}

/// The `TaskSubmitted` outputs of a history, in order.
fn submitted(h: &[Value]) -> Vec<Value> {
    h.iter()
        .filter(|e| e["type"] == "TaskSubmitted")
        .map(|e| {
            serde_json::from_str(
                e["taskSubmittedEventDetails"]["output"]
                    .as_str()
                    .unwrap_or("null"),
            )
            .unwrap_or_default()
        })
        .collect()
}

fn describe_task(moto: &Moto, cluster: &str, task: &str) -> Value {
    let d = aws_call(
        moto,
        "arn:aws:states:::aws-sdk:ecs:describeTasks",
        json!({"Cluster": cluster, "Tasks": [task]}),
    )
    .expect("describe tasks");
    d["Tasks"][0].clone()
}

#[test]
fn ecs_run_task_request_response_sync_and_errors() {
    let Some(moto) = moto() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let server = server_with(dir.path(), moto, 50);
    let (cluster, family) = ecs_setup(moto);
    let definition = json!({
        "StartAt": "Run",
        "States": {
            "Run": {"Type": "Task", "Resource": "arn:aws:states:::ecs:runTask",
                    "Parameters": {"Cluster.$": "$.cluster", "TaskDefinition.$": "$.family", "LaunchType": "FARGATE"},
                    "ResultSelector": {"arn.$": "$.Tasks[0].TaskArn", "failures.$": "$.Failures", "last.$": "$.Tasks[0].LastStatus",
                                       "http.$": "$.SdkHttpMetadata.HttpStatusCode", "rid.$": "$.SdkResponseMetadata.RequestId"},
                    "ResultPath": "$.rr", "Next": "RunSync"},
            "RunSync": {"Type": "Task", "Resource": "arn:aws:states:::ecs:runTask.sync",
                        "Parameters": {"Cluster.$": "$.cluster", "TaskDefinition.$": "$.family", "LaunchType": "FARGATE",
                                       "Overrides": {"ContainerOverrides": [{"Name": "main", "Command": ["echo", "hi"]}]}},
                        "ResultPath": "$.sync", "Next": "Describe"},
            "Describe": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:ecs:describeTasks",
                         "Parameters": {"Cluster.$": "$.cluster", "Tasks.$": "States.Array($.sync.TaskArn)"},
                         "ResultPath": "$.described", "Next": "NoCluster"},
            "NoCluster": {"Type": "Task", "Resource": "arn:aws:states:::ecs:runTask.sync",
                          "Parameters": {"Cluster": "nosuch", "TaskDefinition.$": "$.family", "LaunchType": "FARGATE"},
                          "Catch": [{"ErrorEquals": ["ECS.ClusterNotFoundException"], "ResultPath": "$.caught", "Next": "Done"}],
                          "End": true},
            "Done": {"Type": "Succeed"}
        }
    });
    let exec = start(
        &server,
        "ecs",
        &definition,
        json!({"cluster": cluster, "family": family}),
    );
    let d = server.wait_done(&exec, Duration::from_secs(60));
    assert_eq!(d["status"], "SUCCEEDED", "{d}");
    let out = output(&d);
    // Request-response: RunTask's answer, PascalCase, with the SDK metadata.
    assert_eq!(out["rr"]["failures"], json!([]), "{out}");
    assert_eq!(out["rr"]["http"], 200, "{out}");
    assert!(out["rr"]["rid"].is_string(), "{out}");
    let rr_task = out["rr"]["arn"].as_str().expect("task arn").to_string();
    assert!(rr_task.contains(":task/"), "{out}");
    // Not waited for: moto has not advanced it (it advances per DescribeTasks).
    assert_eq!(out["rr"]["last"], "RUNNING", "{out}");
    // .sync: the described task once STOPPED.
    let sync = &out["sync"];
    assert_eq!(sync["LastStatus"], "STOPPED", "{out}");
    assert_eq!(sync["Containers"][0]["ExitCode"], 0, "{out}");
    assert_eq!(sync["Containers"][0]["Name"], "main", "{out}");
    assert!(sync.get("SdkHttpMetadata").is_none(), "{out}");
    // The override reached ECS in its wire form.
    assert_eq!(
        sync["Overrides"]["ContainerOverrides"][0]["Command"],
        json!(["echo", "hi"]),
        "{out}"
    );
    // aws-sdk: the bare answer, PascalCase at every depth, no SDK metadata.
    let described = &out["described"];
    assert_eq!(described["Failures"], json!([]), "{out}");
    assert_eq!(described["Tasks"][0]["TaskArn"], sync["TaskArn"], "{out}");
    assert_eq!(
        described["Tasks"][0]["Overrides"]["ContainerOverrides"][0]["Command"],
        json!(["echo", "hi"]),
        "{out}"
    );
    assert_eq!(
        described["Tasks"][0]["Containers"][0]["Name"], "main",
        "{out}"
    );
    assert!(described.get("SdkHttpMetadata").is_none(), "{out}");
    assert!(described.get("tasks").is_none(), "{out}");
    assert_eq!(out["caught"]["Error"], "ECS.ClusterNotFoundException");
    assert!(
        out["caught"]["Cause"].as_str().unwrap_or("").contains(
            "(Service: AmazonECS; Status Code: 400; Error Code: ClusterNotFoundException;"
        ),
        "{out}"
    );
    let h = server.history(&exec);
    let subs = submitted(&h);
    assert_eq!(subs.len(), 1, "only .sync submits: {:?}", types(&h));
    assert_eq!(subs[0]["Tasks"][0]["TaskArn"], sync["TaskArn"]);
    assert!(subs[0]["SdkHttpMetadata"].is_object(), "{}", subs[0]);
    // RunSync: TaskScheduled, TaskStarted, TaskSubmitted, TaskSucceeded.
    let t = types(&h);
    let sub_at = t
        .iter()
        .position(|x| x == "TaskSubmitted")
        .expect("submitted");
    assert_eq!(t[sub_at - 1], "TaskStarted", "{t:?}");
    assert_eq!(t[sub_at + 1], "TaskSucceeded", "{t:?}");
}

#[test]
fn ecs_sync_api_error_fails_the_execution() {
    let Some(moto) = moto() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let server = server_with(dir.path(), moto, 50);
    let (cluster, _) = ecs_setup(moto);
    let definition = json!({
        "StartAt": "Run",
        "States": {
            "Run": {"Type": "Task", "Resource": "arn:aws:states:::ecs:runTask.sync",
                    "Parameters": {"Cluster.$": "$.cluster", "TaskDefinition": "nosuch"}, "End": true}
        }
    });
    let exec = start(&server, "ecsfail", &definition, json!({"cluster": cluster}));
    let d = server.wait_done(&exec, Duration::from_secs(30));
    assert_eq!(d["status"], "FAILED", "{d}");
    assert_eq!(d["error"], "ECS.ClientException", "{d}");
    let t = types(&server.history(&exec));
    assert!(!t.iter().any(|x| x == "TaskSubmitted"), "{t:?}");
    assert!(t.iter().any(|x| x == "TaskFailed"), "{t:?}");
}

#[test]
fn ecs_wait_for_task_token_records_the_run_task_answer() {
    let Some(moto) = moto() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let server = server_with(dir.path(), moto, 50);
    let (cluster, family) = ecs_setup(moto);
    let definition = json!({
        "StartAt": "Run",
        "States": {
            "Run": {"Type": "Task", "Resource": "arn:aws:states:::ecs:runTask.waitForTaskToken",
                    "Parameters": {"Cluster.$": "$.cluster", "TaskDefinition.$": "$.family", "LaunchType": "FARGATE",
                                   "Overrides": {"ContainerOverrides": [{"Name": "main",
                                       "Environment": [{"Name": "TASK_TOKEN", "Value.$": "$$.Task.Token"}]}]}},
                    "TimeoutSeconds": 60, "End": true}
        }
    });
    let exec = start(
        &server,
        "ecstoken",
        &definition,
        json!({"cluster": cluster, "family": family}),
    );
    // The worker inside the container would read TASK_TOKEN; here, from the task ECS holds.
    let deadline = Instant::now() + Duration::from_secs(30);
    let sub = loop {
        if let Some(s) = submitted(&server.history(&exec)).pop() {
            break s;
        }
        assert!(Instant::now() < deadline, "no TaskSubmitted");
        std::thread::sleep(Duration::from_millis(50));
    };
    let task_arn = sub["Tasks"][0]["TaskArn"].as_str().expect("task arn");
    assert!(sub["SdkResponseMetadata"]["RequestId"].is_string(), "{sub}");
    let described = describe_task(moto, &cluster, task_arn);
    let token = described["Overrides"]["ContainerOverrides"][0]["Environment"][0]["Value"]
        .as_str()
        .expect("the token reached ECS")
        .to_string();
    server.ok(
        "SendTaskSuccess",
        json!({"taskToken": token, "output": "{\"done\":1}"}),
    );
    let d = server.wait_done(&exec, Duration::from_secs(30));
    assert_eq!(d["status"], "SUCCEEDED", "{d}");
    assert_eq!(d["output"], "{\"done\":1}");
}

#[test]
fn sagemaker_training_job_request_response_and_sync() {
    let Some(moto) = moto() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let server = server_with(dir.path(), moto, 50);
    let job = |name: &str| {
        json!({"TrainingJobName": name,
               "AlgorithmSpecification": {"TrainingImage": "img", "TrainingInputMode": "File"},
               "RoleArn": "arn:aws:iam::123456789012:role/sm",
               "OutputDataConfig": {"S3OutputPath": "s3://bucket/out"},
               "ResourceConfig": {"InstanceType": "ml.m4.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 5},
               "StoppingCondition": {"MaxRuntimeInSeconds": 60}})
    };
    let sfx = suffix();
    let (a, b) = (format!("a{sfx}"), format!("b{sfx}"));
    let definition = json!({
        "StartAt": "Create",
        "States": {
            "Create": {"Type": "Task", "Resource": "arn:aws:states:::sagemaker:createTrainingJob",
                       "Parameters": job(&a), "ResultPath": "$.rr", "Next": "Train"},
            "Train": {"Type": "Task", "Resource": "arn:aws:states:::sagemaker:createTrainingJob.sync",
                      "Parameters": job(&b), "ResultPath": "$.sync", "Next": "Describe"},
            "Describe": {"Type": "Task", "Resource": "arn:aws:states:::sagemaker:createTrainingJob.sync",
                         "Parameters": {"TrainingJobName": "missing-fields"},
                         "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.caught", "Next": "Done"}],
                         "End": true},
            "Done": {"Type": "Succeed"}
        }
    });
    let exec = start(&server, "train", &definition, json!({}));
    let d = server.wait_done(&exec, Duration::from_secs(60));
    assert_eq!(d["status"], "SUCCEEDED", "{d}");
    let out = output(&d);
    assert_eq!(
        out["rr"]["TrainingJobArn"],
        format!("arn:aws:sagemaker:us-east-1:123456789012:training-job/{a}"),
        "{out}"
    );
    assert_eq!(out["rr"]["SdkHttpMetadata"]["HttpStatusCode"], 200, "{out}");
    // .sync: DescribeTrainingJob's answer once Completed (moto completes at once).
    assert_eq!(out["sync"]["TrainingJobStatus"], "Completed", "{out}");
    assert_eq!(out["sync"]["TrainingJobName"], b, "{out}");
    assert!(out["sync"].get("SdkHttpMetadata").is_none(), "{out}");
    // AWS answers ValidationException (400), moto an InternalFailure (500): neither is a
    // modelled exception, so the optimized integration's generic name either way.
    assert_eq!(
        out["caught"]["Error"], "SageMaker.AmazonSageMakerException",
        "{out}"
    );
    assert!(
        out["caught"]["Cause"]
            .as_str()
            .unwrap_or("")
            .contains("(Service: AmazonSageMaker; Status Code: "),
        "{out}"
    );
    let h = server.history(&exec);
    let subs = submitted(&h);
    assert_eq!(subs.len(), 1, "{:?}", types(&h));
    assert_eq!(
        subs[0]["TrainingJobArn"],
        format!("arn:aws:sagemaker:us-east-1:123456789012:training-job/{b}")
    );
}

/// Ends the execution (StopExecution) or the task (TimeoutSeconds) while its ECS task runs:
/// the ECS task is stopped.
#[test]
fn ecs_task_stopped_when_execution_stops_or_task_times_out() {
    let Some(moto) = moto() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    // Polls far apart: the ECS task is still running when the Step Functions task ends.
    let server = server_with(dir.path(), moto, 60_000);
    let (cluster, family) = ecs_setup(moto);
    let definition = |timeout: u64| {
        json!({
            "StartAt": "Run",
            "States": {
                "Run": {"Type": "Task", "Resource": "arn:aws:states:::ecs:runTask.sync",
                        "Parameters": {"Cluster.$": "$.cluster", "TaskDefinition.$": "$.family", "LaunchType": "FARGATE"},
                        "TimeoutSeconds": timeout, "End": true}
            }
        })
    };
    let input = json!({"cluster": cluster, "family": family});
    let submitted_task = |exec: &str| {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(s) = submitted(&server.history(exec)).pop() {
                return s["Tasks"][0]["TaskArn"]
                    .as_str()
                    .expect("task arn")
                    .to_string();
            }
            assert!(Instant::now() < deadline, "no TaskSubmitted");
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let stopped_reason = |task: &str| {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            // StopTask sets moto's task STOPPED at once; a describe before it only advances it.
            let t = describe_task(moto, &cluster, task);
            if let Some(r) = t["StoppedReason"].as_str().filter(|r| !r.is_empty()) {
                return r.to_string();
            }
            assert!(
                Instant::now() < deadline,
                "the ECS task was not stopped: {t}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    };

    let exec = start(&server, "ecsstop", &definition(300), input.clone());
    let task = submitted_task(&exec);
    server.ok("StopExecution", json!({"executionArn": exec}));
    assert_eq!(
        server.wait_done(&exec, Duration::from_secs(10))["status"],
        "ABORTED"
    );
    assert!(
        stopped_reason(&task).contains("Step Functions"),
        "stopped by us"
    );

    let exec = start(&server, "ecstimeout", &definition(1), input);
    let task = submitted_task(&exec);
    let d = server.wait_done(&exec, Duration::from_secs(30));
    assert_eq!(d["status"], "FAILED", "{d}");
    assert_eq!(d["error"], "States.Timeout", "{d}");
    assert!(stopped_reason(&task).contains("Step Functions"));
}

/// kill -9 while a `.sync` ECS task runs: after the restart, polling resumes with the task the
/// journal's `TaskSubmitted` names; RunTask is not called again.
#[test]
fn ecs_sync_resumes_polling_after_kill_9() {
    let Some(moto) = moto() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = server_with(dir.path(), moto, 1000);
    let (cluster, family) = ecs_setup(moto);
    let definition = json!({
        "StartAt": "Run",
        "States": {
            "Run": {"Type": "Task", "Resource": "arn:aws:states:::ecs:runTask.sync",
                    "Parameters": {"Cluster.$": "$.cluster", "TaskDefinition.$": "$.family", "LaunchType": "FARGATE"}, "End": true}
        }
    });
    let exec = start(
        &server,
        "ecsrestart",
        &definition,
        json!({"cluster": cluster, "family": family}),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while submitted(&server.history(&exec)).is_empty() {
        assert!(Instant::now() < deadline, "no TaskSubmitted");
        std::thread::sleep(Duration::from_millis(20));
    }
    server.kill9();
    let server = server_with(dir.path(), moto, 200);
    let d = server.wait_done(&exec, Duration::from_secs(60));
    assert_eq!(d["status"], "SUCCEEDED", "{d}");
    let out = output(&d);
    let h = server.history(&exec);
    let subs = submitted(&h);
    assert_eq!(subs.len(), 1, "{:?}", types(&h));
    assert_eq!(out["TaskArn"], subs[0]["Tasks"][0]["TaskArn"], "{out}");
    assert_eq!(out["LastStatus"], "STOPPED", "{out}");
    let listed = aws_call(
        moto,
        "arn:aws:states:::aws-sdk:ecs:listTasks",
        json!({"Cluster": cluster}),
    )
    .expect("list tasks");
    assert_eq!(
        listed["TaskArns"].as_array().map(Vec::len),
        Some(1),
        "one RunTask: {listed}"
    );
}

/// The conversion is per service: CloudWatch Logs is camelCase on the wire too, and its `tags`
/// is a map (ECS's a list of structures) whose keys must reach it as written.
#[test]
fn aws_sdk_camel_case_service_keeps_map_keys() {
    let Some(moto) = moto() else { return };
    let group = format!("/stepline/{}", suffix());
    aws_call(
        moto,
        "arn:aws:states:::aws-sdk:cloudwatchlogs:createLogGroup",
        json!({"LogGroupName": group, "Tags": {"team.Name": "blue", "owner": "me"}}),
    )
    .expect("create log group");
    let described = aws_call(
        moto,
        "arn:aws:states:::aws-sdk:cloudwatchlogs:describeLogGroups",
        json!({"LogGroupNamePrefix": group}),
    )
    .expect("describe log groups");
    assert_eq!(
        described["LogGroups"][0]["LogGroupName"],
        group.as_str(),
        "{described}"
    );
    let tags = aws_call(
        moto,
        "arn:aws:states:::aws-sdk:cloudwatchlogs:listTagsLogGroup",
        json!({"LogGroupName": group}),
    )
    .expect("list tags");
    assert_eq!(tags, json!({"Tags": {"team.Name": "blue", "owner": "me"}}));
}
