//! Member names between Step Functions and a service's wire.
//!
//! Step Functions takes AWS SDK integration parameters in PascalCase and reports results in
//! PascalCase, "even if the native service API is in camelCase" (AWS: *Learning to use AWS
//! service SDK integrations*). Most JSON-protocol services this build calls name their members
//! in PascalCase on the wire already (DynamoDB `TableName`, SQS `QueueUrl`, EventBridge
//! `Entries`, Secrets Manager `SecretId`, SSM `Name`, Kinesis `StreamName`, KMS `KeyId`,
//! Firehose `DeliveryStreamName`, SageMaker `TrainingJobName`, Athena `QueryString`, Glue
//! `JobName`): their members pass as written. Four use camelCase (ECS `cluster`, CloudWatch
//! Logs `logGroupName`, CodeBuild `projectName`, Step Functions `stateMachineArn`); for them
//! every structure member, at every depth and inside lists, changes case on the way out
//! (first letter lower-cased) and back (first letter upper-cased).
//!
//! The rest of a name is kept: the wire names of these services are camelCase words
//! (`clusterArn` ↔ `ClusterArn`, `taskRoleArn` ↔ `TaskRoleArn`), so changing the first letter
//! is a round trip. (AWS's own PascalCase comes from the Java SDK v2 member names, which also
//! rewrite all-capital names: DynamoDB's `BOOL` attribute value is `Bool` in aws-sdk tasks.
//! That affects PascalCase services only and is not reproduced here.)
//!
//! Without the services' models, the members whose values are maps keyed by user data are
//! listed per service in [`OPAQUE`]: their keys (tag names, Docker labels, log driver options)
//! and values pass unchanged in both directions. Everything else that is a JSON object is
//! taken to be a structure. None of these services has a free-form JSON document member;
//! JSON payloads (`input`, `output`) travel as strings, which are never touched.

use super::Service;
use serde_json::{Map, Value};

/// Wire names (camelCase) of map-typed members whose keys are user data, per service, from
/// the services' API references. All of them map strings to strings or to lists of strings,
/// so their whole value is left alone. A list of `{key, value}` structures (ECS, CodeBuild and
/// Step Functions `tags`) is not a map and is converted.
pub const OPAQUE: &[(&str, &[&str])] = &[
    (
        "ecs",
        &[
            // ContainerDefinition.dockerLabels
            "dockerLabels",
            // LogConfiguration.options, FirelensConfiguration.options
            "options",
            // DockerVolumeConfiguration.driverOpts / .labels
            "driverOpts",
            "labels",
        ],
    ),
    (
        "cloudwatchlogs",
        &[
            // CreateLogGroup/TagLogGroup/TagResource/ListTags* `tags` is a map here.
            "tags",
            // MetricTransformation.dimensions
            "dimensions",
            // GetLogRecord's answer
            "logRecord",
            // PutLogEvents' Entity
            "keyAttributes",
            "attributes",
        ],
    ),
    (
        "codebuild",
        &[
            // TestReportSummary.statusCounts: status → count (tags are a list here).
            "statusCounts",
        ],
    ),
    (
        "sfn",
        &[
            // DescribeStateMachine(ForExecution): state name → variable names.
            "variableReferences",
        ],
    ),
];

fn opaque_members(service: &str) -> &'static [&'static str] {
    OPAQUE
        .iter()
        .find(|(s, _)| *s == service)
        .map(|(_, m)| *m)
        .unwrap_or(&[])
}

pub(crate) fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

pub(crate) fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Parameters as `service` takes them: members without a value are left out (the SDKs send
/// none for a null), and for camelCase services ([`Service::camel_wire`]) every structure
/// member is renamed.
pub fn to_wire(service: &Service, parameters: &Value) -> Value {
    if service.camel_wire {
        rename(parameters, lower_first, opaque_members(service.name))
    } else {
        match parameters {
            Value::Object(m) => Value::Object(
                m.iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
            v => v.clone(),
        }
    }
}

/// An answer of `service` in Step Functions' PascalCase.
pub fn from_wire(service: &Service, answer: Value) -> Value {
    if service.camel_wire {
        rename_owned(answer, opaque_members(service.name))
    } else {
        answer
    }
}

/// `opaque` is matched against the wire name (the output of `f` going out, the input of the
/// rename coming back), so one list serves both directions. Null members are dropped at every
/// depth of a structure, as the SDK leaves unset members out.
fn rename(v: &Value, f: fn(&str) -> String, opaque: &[&str]) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(k, x)| {
                    let name = f(k);
                    let value = if opaque.contains(&name.as_str()) {
                        x.clone()
                    } else {
                        rename(x, f, opaque)
                    };
                    (name, value)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|x| rename(x, f, opaque)).collect()),
        other => other.clone(),
    }
}

/// The answer direction takes the parsed body by value: no copy of the leaves.
fn rename_owned(v: Value, opaque: &[&str]) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::with_capacity(m.len());
            for (k, x) in m {
                let x = if opaque.contains(&k.as_str()) {
                    x
                } else {
                    rename_owned(x, opaque)
                };
                out.insert(upper_first(&k), x);
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.into_iter().map(|x| rename_owned(x, opaque)).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::super::service;
    use super::*;
    use serde_json::json;

    fn to_wire(name: &str, p: &Value) -> Value {
        super::to_wire(service(name).expect("known service"), p)
    }

    fn from_wire(name: &str, a: Value) -> Value {
        super::from_wire(service(name).expect("known service"), a)
    }

    fn camel_wire(name: &str) -> bool {
        service(name).expect("known service").camel_wire
    }

    #[test]
    fn wire_case_per_service() {
        for s in ["ecs", "cloudwatchlogs", "codebuild", "sfn"] {
            assert!(camel_wire(s), "{s}");
        }
        // Every camelCase service has its list of map members, and only those.
        for s in super::super::SERVICES {
            assert_eq!(
                s.camel_wire,
                OPAQUE.iter().any(|(n, _)| *n == s.name),
                "{}",
                s.name
            );
        }
        for s in [
            "dynamodb",
            "sqs",
            "events",
            "secretsmanager",
            "ssm",
            "kinesis",
            "kms",
            "firehose",
            "sagemaker",
            "athena",
            "glue",
        ] {
            assert!(!camel_wire(s), "{s}");
        }
    }

    #[test]
    fn structures_at_every_depth_and_lists_of_structures() {
        let p = json!({
            "Cluster": "c",
            "LaunchType": "FARGATE",
            "Overrides": {"ContainerOverrides": [
                {"Name": "main", "Command": ["Echo", "Hi"],
                 "Environment": [{"Name": "TASK_TOKEN", "Value": "Tok"}]}
            ]},
            "Tags": [{"Key": "Team", "Value": "Blue"}],
            "Group": null,
            "NetworkConfiguration": {"AwsvpcConfiguration": {"Subnets": ["subnet-1"], "AssignPublicIp": "ENABLED"}}
        });
        let wire = to_wire("ecs", &p);
        assert_eq!(
            wire,
            json!({
                "cluster": "c",
                "launchType": "FARGATE",
                "overrides": {"containerOverrides": [
                    {"name": "main", "command": ["Echo", "Hi"],
                     "environment": [{"name": "TASK_TOKEN", "value": "Tok"}]}
                ]},
                "tags": [{"key": "Team", "value": "Blue"}],
                "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"], "assignPublicIp": "ENABLED"}}
            })
        );
        // Back again: the same document, minus the null member the SDK would not send.
        let mut expected = p.clone();
        if let Value::Object(m) = &mut expected {
            m.remove("Group");
        }
        assert_eq!(from_wire("ecs", wire), expected);
    }

    #[test]
    fn map_members_keep_user_keys() {
        let p = json!({
            "Family": "f",
            "ContainerDefinitions": [{
                "Name": "main",
                "DockerLabels": {"com.example.Team": "Blue", "Owner": "me"},
                "LogConfiguration": {"LogDriver": "awslogs", "Options": {"awslogs-group": "/g", "Mode": "non-blocking"}}
            }]
        });
        let wire = to_wire("ecs", &p);
        assert_eq!(
            wire["containerDefinitions"][0]["dockerLabels"],
            json!({"com.example.Team": "Blue", "Owner": "me"})
        );
        assert_eq!(
            wire["containerDefinitions"][0]["logConfiguration"],
            json!({"logDriver": "awslogs", "options": {"awslogs-group": "/g", "Mode": "non-blocking"}})
        );
        assert_eq!(from_wire("ecs", wire), p);

        // Logs' `tags` is a map (ECS's is a list of structures).
        let p = json!({"LogGroupName": "/g", "Tags": {"Team": "Blue", "cost": "1"}});
        let wire = to_wire("cloudwatchlogs", &p);
        assert_eq!(
            wire,
            json!({"logGroupName": "/g", "tags": {"Team": "Blue", "cost": "1"}})
        );
        let answer = json!({"tags": {"team": "blue"}, "nextToken": "n"});
        assert_eq!(
            from_wire("cloudwatchlogs", answer),
            json!({"Tags": {"team": "blue"}, "NextToken": "n"})
        );

        let answer =
            json!({"stateMachineArn": "a", "variableReferences": {"firstState": ["x", "yZ"]}});
        assert_eq!(
            from_wire("sfn", answer),
            json!({"StateMachineArn": "a", "VariableReferences": {"firstState": ["x", "yZ"]}})
        );
    }

    #[test]
    fn pascal_services_pass_as_written() {
        // DynamoDB attribute maps and all-capital names are the user's and the model's.
        let p = json!({"TableName": "t", "Item": {"id": {"S": "1"}, "ok": {"BOOL": true}}, "ReturnValues": null});
        assert_eq!(
            to_wire("dynamodb", &p),
            json!({"TableName": "t", "Item": {"id": {"S": "1"}, "ok": {"BOOL": true}}})
        );
        let answer = json!({"Item": {"data": {"S": "x"}}, "TaskARN": "arn"});
        assert_eq!(from_wire("dynamodb", answer.clone()), answer);
        // Strings holding JSON are never looked into.
        let p = json!({"Entries": [{"Detail": "{\"orderId\": 1}", "DetailType": "t"}]});
        assert_eq!(to_wire("events", &p), p);
    }

    #[test]
    fn acronyms_change_only_their_first_letter() {
        // `clusterArn` ↔ `ClusterArn`; a name written with a capitalised acronym keeps it.
        let answer =
            json!({"tasks": [{"clusterArn": "c", "taskArn": "t", "taskDefinitionArn": "d"}]});
        let pascal = from_wire("ecs", answer.clone());
        assert_eq!(
            pascal,
            json!({"Tasks": [{"ClusterArn": "c", "TaskArn": "t", "TaskDefinitionArn": "d"}]})
        );
        assert_eq!(to_wire("ecs", &pascal), answer);
        assert_eq!(
            to_wire("sfn", &json!({"TaskARN": "x"})),
            json!({"taskARN": "x"})
        );
        // Scalars and top-level lists are left alone.
        assert_eq!(to_wire("sfn", &json!("Input")), json!("Input"));
        assert_eq!(
            from_wire("sfn", json!([{"executionArn": "e"}])),
            json!([{"ExecutionArn": "e"}])
        );
    }
}
