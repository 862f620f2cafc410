//! Recognition of Task `Resource` ARNs.
//!
//! AWS accepts Lambda function ARNs, activity ARNs, `aws-sdk:<service>:<action>` integrations
//! and the optimized integrations of its documented table, each with the integration patterns
//! that service supports. An optimized service with an action or pattern it does not offer
//! (e.g. `arn:aws:states:::dynamodb:query`) is "not recognized".

/// The integration pattern a resource ARN asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pattern {
    /// Request-response (no suffix).
    RequestResponse,
    /// `.sync` or `.sync:2`.
    Sync,
    /// `.waitForTaskToken`.
    WaitForTaskToken,
    /// An activity (`arn:...:states:<region>:<account>:activity:<name>`).
    Activity,
}

/// What a Task `Resource` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Recognized {
    /// An ARN AWS accepts, with its pattern.
    Yes(Pattern),
    /// Not a resource AWS knows.
    No,
}

const RR: u8 = 1;
const SYNC: u8 = 2;
const WFTT: u8 = 4;

/// Optimized integrations: (service, action, patterns supported).
const OPTIMIZED: &[(&str, &str, u8)] = &[
    ("lambda", "invoke", RR | WFTT),
    ("dynamodb", "getItem", RR),
    ("dynamodb", "putItem", RR),
    ("dynamodb", "updateItem", RR),
    ("dynamodb", "deleteItem", RR),
    ("sqs", "sendMessage", RR | WFTT),
    ("sns", "publish", RR | WFTT),
    ("events", "putEvents", RR | WFTT),
    ("states", "startExecution", RR | SYNC | WFTT),
    ("apigateway", "invoke", RR | WFTT),
    ("http", "invoke", RR),
    ("ecs", "runTask", RR | SYNC | WFTT),
    ("batch", "submitJob", RR | SYNC),
    ("glue", "startJobRun", RR | SYNC),
    ("databrew", "startJobRun", RR | SYNC),
    ("codebuild", "startBuild", RR | SYNC),
    ("codebuild", "stopBuild", RR),
    ("codebuild", "batchDeleteBuilds", RR),
    ("codebuild", "batchGetReports", RR),
    ("codebuild", "startBuildBatch", RR | SYNC),
    ("codebuild", "stopBuildBatch", RR),
    ("codebuild", "retryBuildBatch", RR | SYNC),
    ("codebuild", "retryBuild", RR | SYNC),
    ("codebuild", "deleteBuildBatch", RR),
    ("athena", "startQueryExecution", RR | SYNC),
    ("athena", "stopQueryExecution", RR),
    ("athena", "getQueryExecution", RR),
    ("athena", "getQueryResults", RR),
    ("athena", "startQueryExecution", RR | SYNC),
    ("bedrock", "invokeModel", RR),
    ("bedrock", "createModelCustomizationJob", RR | SYNC),
    ("mediaconvert", "createJob", RR | SYNC),
    ("sagemaker", "createTrainingJob", RR | SYNC),
    ("sagemaker", "createTransformJob", RR | SYNC),
    ("sagemaker", "createProcessingJob", RR | SYNC),
    ("sagemaker", "createHyperParameterTuningJob", RR | SYNC),
    ("sagemaker", "createLabelingJob", RR | SYNC),
    ("sagemaker", "createModel", RR),
    ("sagemaker", "createEndpoint", RR),
    ("sagemaker", "createEndpointConfig", RR),
    ("sagemaker", "updateEndpoint", RR),
    ("elasticmapreduce", "createCluster", RR | SYNC),
    ("elasticmapreduce", "terminateCluster", RR | SYNC),
    ("elasticmapreduce", "addStep", RR | SYNC),
    ("elasticmapreduce", "cancelStep", RR),
    ("elasticmapreduce", "setClusterTerminationProtection", RR),
    ("elasticmapreduce", "modifyInstanceFleetByName", RR),
    ("elasticmapreduce", "modifyInstanceGroupByName", RR),
    ("emr-containers", "startJobRun", RR | SYNC),
    ("emr-containers", "createVirtualCluster", RR),
    ("emr-containers", "deleteVirtualCluster", RR | SYNC),
    ("emr-serverless", "createApplication", RR | SYNC),
    ("emr-serverless", "startApplication", RR | SYNC),
    ("emr-serverless", "stopApplication", RR | SYNC),
    ("emr-serverless", "deleteApplication", RR | SYNC),
    ("emr-serverless", "startJobRun", RR | SYNC),
    ("emr-serverless", "cancelJobRun", RR | SYNC),
    ("eks", "createCluster", RR | SYNC),
    ("eks", "deleteCluster", RR | SYNC),
    ("eks", "createFargateProfile", RR | SYNC),
    ("eks", "deleteFargateProfile", RR | SYNC),
    ("eks", "createNodegroup", RR | SYNC),
    ("eks", "deleteNodegroup", RR | SYNC),
    ("eks", "runJob", RR | SYNC),
    ("eks", "call", RR),
];

/// Recognizes a Task `Resource`.
pub(crate) fn recognize(resource: &str) -> Recognized {
    let parts: Vec<&str> = resource.splitn(6, ':').collect();
    let [arn, partition, service, region, account, rest] = parts.as_slice() else {
        return Recognized::No;
    };
    if *arn != "arn" || partition.is_empty() {
        return Recognized::No;
    }
    match *service {
        "lambda" => {
            if !region.is_empty() && !account.is_empty() && rest.starts_with("function:") {
                Recognized::Yes(Pattern::RequestResponse)
            } else {
                Recognized::No
            }
        }
        "states" if !region.is_empty() && !account.is_empty() => {
            if rest
                .strip_prefix("activity:")
                .is_some_and(|n| !n.is_empty())
            {
                Recognized::Yes(Pattern::Activity)
            } else {
                Recognized::No
            }
        }
        "states" if region.is_empty() && account.is_empty() => integration(rest),
        _ => Recognized::No,
    }
}

fn integration(rest: &str) -> Recognized {
    let (service, action) = match rest.split_once(':') {
        Some(sa) => sa,
        None => return Recognized::No,
    };
    if service == "aws-sdk" {
        // aws-sdk:<service>:<action>[.waitForTaskToken]; `.sync` is not offered for SDK calls.
        let Some((svc, act)) = action.split_once(':') else {
            return Recognized::No;
        };
        if svc.is_empty() || act.is_empty() {
            return Recognized::No;
        }
        return match act.split_once('.') {
            None => Recognized::Yes(Pattern::RequestResponse),
            Some((a, "waitForTaskToken")) if !a.is_empty() => {
                Recognized::Yes(Pattern::WaitForTaskToken)
            }
            _ => Recognized::No,
        };
    }
    let (action, pattern, bit) = match action.split_once('.') {
        None => (action, Pattern::RequestResponse, RR),
        Some((a, "sync")) | Some((a, "sync:2")) => (a, Pattern::Sync, SYNC),
        Some((a, "waitForTaskToken")) => (a, Pattern::WaitForTaskToken, WFTT),
        Some(_) => return Recognized::No,
    };
    let known_service = OPTIMIZED.iter().any(|(s, _, _)| *s == service);
    if !known_service {
        // Services outside the documented table (e.g. the S3 ItemReader/ResultWriter
        // resources some definitions use on Tasks) are left for AWS to judge at run time.
        return Recognized::Yes(pattern);
    }
    let supported = OPTIMIZED
        .iter()
        .any(|(s, a, p)| *s == service && *a == action && p & bit != 0);
    if supported {
        Recognized::Yes(pattern)
    } else {
        Recognized::No
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognizes_aws_resources() {
        use Pattern::*;
        for (r, p) in [
            ("arn:aws:states:::lambda:invoke", RequestResponse),
            (
                "arn:aws:states:::lambda:invoke.waitForTaskToken",
                WaitForTaskToken,
            ),
            ("arn:aws:states:::states:startExecution.sync:2", Sync),
            (
                "arn:aws:states:::aws-sdk:s3:listBuckets.waitForTaskToken",
                WaitForTaskToken,
            ),
            ("arn:aws:states:::aws-sdk:dynamodb:query", RequestResponse),
            (
                "arn:aws:lambda:us-east-1:111111111111:function:f",
                RequestResponse,
            ),
            ("arn:aws:states:us-east-1:111111111111:activity:a", Activity),
            ("arn:aws-cn:states:::sqs:sendMessage", RequestResponse),
        ] {
            assert_eq!(recognize(r), Recognized::Yes(p), "{r}");
        }
        for r in [
            "arn:aws:states:::dynamodb:query",
            "arn:aws:states:::lambda:invoke.sync",
            "arn:aws:states:::aws-sdk:s3:getObject.sync",
            "arn:aws:states:::sns:publish.bogus",
            "not-an-arn",
            "arn:aws:s3:::bucket",
        ] {
            assert_eq!(recognize(r), Recognized::No, "{r}");
        }
    }
}
