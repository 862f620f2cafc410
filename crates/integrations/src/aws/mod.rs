//! AWS service integrations through the services' real APIs, signed with SigV4.
//!
//! - Optimized integrations (`arn:aws:states:::dynamodb:getItem`, `sqs:sendMessage`,
//!   `sns:publish`, `events:putEvents`, with `.waitForTaskToken`): the API response plus
//!   `SdkHttpMetadata`/`SdkResponseMetadata` as Step Functions' Java SDK v1 reports them; errors
//!   `DynamoDB.ConditionalCheckFailedException`, `SQS.AmazonSQSException` (unmodelled codes),
//!   cause `message (Service: AmazonSQS; Status Code: 400; Error Code: ...; Request ID: ...;
//!   Proxy: null)`.
//! - `arn:aws:states:::aws-sdk:SERVICE:ACTION`: JSON-protocol services by their `X-Amz-Target`,
//!   S3 object operations over REST; the bare API response; errors `DynamoDb.XxxException`
//!   (SDK v2 names; unmodelled: `DynamoDb.DynamoDbException`), cause `message (Service:
//!   DynamoDb, Status Code: 400, Request ID: ...)`.
//!
//! Endpoints: `[aws] endpoint` (every service, e.g. a local stand-in) or `[aws.endpoints]` per
//! service, else `https://SERVICE.REGION.amazonaws.com`.

pub mod casing;
pub mod s3;
pub mod sigv4;
pub mod sync_jobs;

use crate::http_client::{self, HttpError, Response, Url};
use casing::{lower_first, upper_first};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use sigv4::Credentials;
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `[aws]` in `stepline.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsConfig {
    /// Region of the calls (default: `$AWS_REGION`, `$AWS_DEFAULT_REGION`, `us-east-1`).
    pub region: Option<String>,
    /// Shared-credentials profile when the environment has no keys.
    pub profile: Option<String>,
    /// The shared-credentials file to read (default `$AWS_SHARED_CREDENTIALS_FILE`, else
    /// `~/.aws/credentials`); relative to `stepline.toml`'s folder.
    pub credentials_file: Option<std::path::PathBuf>,
    /// One endpoint for every service (a local stand-in such as moto or LocalStack).
    pub endpoint: Option<String>,
    /// Endpoints per service (`sqs`, `dynamodb`, `sns`, `events`, `s3`, ...).
    #[serde(default)]
    pub endpoints: BTreeMap<String, String>,
    /// Seconds before a call is abandoned (`States.Timeout` is the state's own business).
    #[serde(default = "default_call_timeout")]
    pub timeout: u64,
    /// Milliseconds between polls of a `.sync` job (ECS task, SageMaker training job).
    #[serde(default = "default_sync_poll_ms")]
    pub sync_poll_ms: u64,
}

fn default_sync_poll_ms() -> u64 {
    5000
}

fn default_call_timeout() -> u64 {
    60
}

impl Default for AwsConfig {
    fn default() -> Self {
        AwsConfig {
            region: None,
            profile: None,
            credentials_file: None,
            endpoint: None,
            endpoints: BTreeMap::new(),
            timeout: default_call_timeout(),
            sync_poll_ms: default_sync_poll_ms(),
        }
    }
}

/// How a service speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `X-Amz-Target: PREFIX.Action`, `application/x-amz-json-1.0` or `1.1`.
    Json {
        target_prefix: &'static str,
        version: &'static str,
    },
    /// Form-encoded `Action=...&Version=...`, XML answers.
    Query { version: &'static str },
    /// S3's REST-XML.
    RestXml,
}

/// A service as Step Functions names it (`sqs`, `dynamodb`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    /// The name in the resource ARN.
    pub name: &'static str,
    /// SigV4 signing name and endpoint prefix.
    pub signing_name: &'static str,
    pub protocol: Protocol,
    /// Error prefix of optimized integrations (Java SDK v1 style: `DynamoDB`, `SQS`).
    pub v1_prefix: &'static str,
    /// `Service:` in v1 causes (`AmazonDynamoDBv2`).
    pub v1_service: &'static str,
    /// Error prefix and `Service:` of aws-sdk integrations (SDK v2 client name: `DynamoDb`).
    pub v2_prefix: &'static str,
    /// Member names on the wire are camelCase (Step Functions' are PascalCase): converted at
    /// every depth by [`casing`], which lists the map members left alone.
    pub camel_wire: bool,
}

const fn json_service(
    name: &'static str,
    signing_name: &'static str,
    target_prefix: &'static str,
    version: &'static str,
    v2_prefix: &'static str,
) -> Service {
    Service {
        name,
        signing_name,
        protocol: Protocol::Json {
            target_prefix,
            version,
        },
        v1_prefix: v2_prefix,
        v1_service: v2_prefix,
        v2_prefix,
        camel_wire: false,
    }
}

/// The services this build can call.
pub const SERVICES: &[Service] = &[
    Service {
        v1_prefix: "DynamoDB",
        v1_service: "AmazonDynamoDBv2",
        ..json_service(
            "dynamodb",
            "dynamodb",
            "DynamoDB_20120810",
            "1.0",
            "DynamoDb",
        )
    },
    Service {
        v1_prefix: "SQS",
        v1_service: "AmazonSQS",
        ..json_service("sqs", "sqs", "AmazonSQS", "1.0", "Sqs")
    },
    Service {
        name: "sns",
        signing_name: "sns",
        protocol: Protocol::Query {
            version: "2010-03-31",
        },
        v1_prefix: "SNS",
        v1_service: "AmazonSNS",
        v2_prefix: "Sns",
        camel_wire: false,
    },
    Service {
        v1_prefix: "EventBridge",
        v1_service: "AmazonEventBridge",
        ..json_service("events", "events", "AWSEvents", "1.1", "EventBridge")
    },
    Service {
        name: "s3",
        signing_name: "s3",
        protocol: Protocol::RestXml,
        v1_prefix: "S3",
        v1_service: "Amazon S3",
        v2_prefix: "S3",
        camel_wire: false,
    },
    Service {
        camel_wire: true,
        ..json_service("sfn", "states", "AWSStepFunctions", "1.0", "Sfn")
    },
    json_service(
        "secretsmanager",
        "secretsmanager",
        "secretsmanager",
        "1.1",
        "SecretsManager",
    ),
    json_service("ssm", "ssm", "AmazonSSM", "1.1", "Ssm"),
    json_service("kinesis", "kinesis", "Kinesis_20131202", "1.1", "Kinesis"),
    json_service("kms", "kms", "TrentService", "1.1", "Kms"),
    Service {
        camel_wire: true,
        ..json_service(
            "cloudwatchlogs",
            "logs",
            "Logs_20140328",
            "1.1",
            "CloudWatchLogs",
        )
    },
    json_service(
        "firehose",
        "firehose",
        "Firehose_20150804",
        "1.1",
        "Firehose",
    ),
    Service {
        v1_prefix: "ECS",
        v1_service: "AmazonECS",
        camel_wire: true,
        ..json_service(
            "ecs",
            "ecs",
            "AmazonEC2ContainerServiceV20141113",
            "1.1",
            "Ecs",
        )
    },
    Service {
        v1_service: "AmazonSageMaker",
        ..json_service("sagemaker", "sagemaker", "SageMaker", "1.1", "SageMaker")
    },
    json_service("athena", "athena", "AmazonAthena", "1.1", "Athena"),
    json_service("glue", "glue", "AWSGlue", "1.1", "Glue"),
    Service {
        camel_wire: true,
        ..json_service(
            "codebuild",
            "codebuild",
            "CodeBuild_20161006",
            "1.1",
            "CodeBuild",
        )
    },
];

/// The service a resource names, `eventbridge` and `events` alike.
pub fn service(name: &str) -> Option<&'static Service> {
    let name = match name {
        "eventbridge" => "events",
        "states" | "stepfunctions" => "sfn",
        "logs" => "cloudwatchlogs",
        n => n,
    };
    SERVICES.iter().find(|s| s.name == name)
}

/// What a Task's resource asks of AWS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsCall<'a> {
    pub service: &'static Service,
    /// The API action, as in the ARN (`getItem`, `sendMessage`).
    pub action: &'a str,
    /// `aws-sdk:` form (bare response, SDK v2 error names).
    pub sdk: bool,
    /// `.waitForTaskToken`: the call submits; the answer comes by callback.
    pub wait_for_task_token: bool,
    /// `.sync` / `.sync:2`: only the jobs of [`sync_jobs`] are followed.
    pub sync: bool,
}

/// Parses `arn:PARTITION:states:::SERVICE:ACTION[.suffix]` and
/// `arn:PARTITION:states:::aws-sdk:SERVICE:ACTION[.suffix]` for the services this build knows.
pub fn classify(resource: &str) -> Option<AwsCall<'_>> {
    let rest = resource.strip_prefix("arn:")?;
    let (_partition, rest) = rest.split_once(':')?;
    let rest = rest.strip_prefix("states:::")?;
    let (sdk, rest) = match rest.strip_prefix("aws-sdk:") {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let (svc, action) = rest.split_once(':')?;
    let service = service(svc)?;
    let (action, suffix) = match action.split_once('.') {
        Some((a, s)) => (a, Some(s)),
        None => (action, None),
    };
    if action.is_empty() {
        return None;
    }
    if !sdk {
        // The optimized integrations this module performs; other optimized resources (Lambda,
        // nested executions...) belong elsewhere.
        let known = matches!(
            (service.name, action),
            (
                "dynamodb",
                "getItem" | "putItem" | "updateItem" | "deleteItem"
            ) | ("sqs", "sendMessage")
                | ("sns", "publish")
                | ("events", "putEvents")
                | ("ecs", "runTask")
                | ("sagemaker", "createTrainingJob")
        );
        if !known {
            return None;
        }
    }
    Some(AwsCall {
        service,
        action,
        sdk,
        wait_for_task_token: suffix == Some("waitForTaskToken"),
        sync: suffix.is_some_and(|s| s.starts_with("sync")),
    })
}

/// A failed call, as the task's error and cause.
#[derive(Debug, Clone, PartialEq)]
pub struct CallError {
    pub error: String,
    pub cause: String,
}

/// Calls AWS (or the configured stand-ins).
#[derive(Debug, Clone)]
pub struct AwsClient {
    pub config: AwsConfig,
    pub region: String,
    credentials: Option<Credentials>,
}

fn now_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A received answer, with what the metadata fields need.
pub struct Answer {
    pub response: Response,
    pub request_id: String,
}

impl AwsClient {
    pub fn new(config: &AwsConfig) -> AwsClient {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let region = config
            .region
            .clone()
            .or_else(|| var("AWS_REGION"))
            .or_else(|| var("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| "us-east-1".into());
        let credentials = match &config.credentials_file {
            Some(f) => std::fs::read_to_string(f).ok().and_then(|text| {
                Credentials::from_ini(&text, config.profile.as_deref().unwrap_or("default"))
            }),
            None => Credentials::from_environment(config.profile.as_deref()),
        };
        AwsClient {
            credentials,
            config: config.clone(),
            region,
        }
    }

    /// The credentials requests are signed with.
    pub fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }

    /// Where `service` is reached.
    pub fn endpoint(&self, service: &Service) -> String {
        self.config
            .endpoints
            .get(service.name)
            .or_else(|| self.config.endpoints.get(service.signing_name))
            .or(self.config.endpoint.as_ref())
            .cloned()
            .unwrap_or_else(|| {
                format!(
                    "https://{}.{}.amazonaws.com",
                    service.signing_name, self.region
                )
            })
    }

    /// Sends a signed request; `Err` only when no HTTP answer came.
    pub fn send(
        &self,
        service: &Service,
        method: &str,
        url: &Url,
        mut headers: Vec<(String, String)>,
        body: &[u8],
    ) -> Result<Answer, HttpError> {
        if let Some(c) = &self.credentials {
            sigv4::sign(
                c,
                &self.region,
                service.signing_name,
                method,
                url,
                &mut headers,
                body,
                now_seconds(),
            );
        }
        let response = http_client::send(
            method,
            url,
            &headers,
            body,
            Duration::from_secs(self.config.timeout.max(1)),
        )?;
        let request_id = ["x-amzn-RequestId", "x-amz-request-id", "x-amzn-request-id"]
            .iter()
            .find_map(|h| response.header(h))
            .map(str::to_string)
            .or_else(|| xml_text(&String::from_utf8_lossy(&response.body), "RequestId"))
            .unwrap_or_else(|| uuid_like(&response.body));
        Ok(Answer {
            response,
            request_id,
        })
    }

    /// Performs one integration call: the task's result, or its error and cause.
    pub fn call(&self, call: &AwsCall<'_>, parameters: &Value) -> Result<Value, CallError> {
        let service = call.service;
        let endpoint = self.endpoint(service);
        let client_error = |e: HttpError| {
            let prefix = if call.sdk {
                service.v2_prefix
            } else {
                service.v1_prefix
            };
            CallError {
                error: format!("{prefix}.SdkClientException"),
                cause: format!("Unable to execute HTTP request: {e}"),
            }
        };
        match service.protocol {
            Protocol::Json {
                target_prefix,
                version,
            } => {
                let url = Url::parse(&self.json_endpoint(service, parameters, &endpoint))
                    .map_err(client_error)?;
                // PascalCase as written in the workflow; camelCase services get their wire names.
                let body = casing::to_wire(service, parameters);
                let body = body.to_string();
                let headers = vec![
                    (
                        "Content-Type".to_string(),
                        format!("application/x-amz-json-{version}"),
                    ),
                    (
                        "X-Amz-Target".to_string(),
                        format!("{target_prefix}.{}", upper_first(call.action)),
                    ),
                ];
                let answer = self
                    .send(service, "POST", &url, headers, body.as_bytes())
                    .map_err(client_error)?;
                let r = &answer.response;
                let parsed: Value = if r.body.is_empty() {
                    json!({})
                } else {
                    serde_json::from_slice(&r.body).unwrap_or_else(|_| json!({}))
                };
                if r.status >= 300 {
                    let code = r
                        .header("x-amzn-query-error")
                        .and_then(|q| q.split(';').next())
                        .map(str::to_string)
                        .or_else(|| {
                            parsed
                                .get("__type")
                                .or_else(|| parsed.get("code"))
                                .and_then(Value::as_str)
                                .map(|t| t.rsplit('#').next().unwrap_or(t).to_string())
                        })
                        .or_else(|| {
                            r.header("x-amzn-ErrorType")
                                .map(|t| t.split(':').next().unwrap_or(t).to_string())
                        })
                        .unwrap_or_else(|| "InternalFailure".into());
                    let message = ["message", "Message", "errorMessage"]
                        .iter()
                        .find_map(|k| parsed.get(*k).and_then(Value::as_str))
                        .unwrap_or("")
                        .to_string();
                    return Err(error_of(
                        call,
                        r.status,
                        &code,
                        &message,
                        &answer.request_id,
                    ));
                }
                let mut out = casing::from_wire(service, parsed);
                if !call.sdk {
                    add_metadata(&mut out, service, &answer);
                }
                if let (false, "events", "putEvents") = (call.sdk, service.name, call.action) {
                    if out
                        .get("FailedEntryCount")
                        .and_then(Value::as_u64)
                        .unwrap_or(0)
                        > 0
                    {
                        let cause = json!({
                            "Entries": out.get("Entries").cloned().unwrap_or(json!([])),
                            "FailedEntryCount": out.get("FailedEntryCount").cloned().unwrap_or(json!(0)),
                        });
                        return Err(CallError {
                            error: "EventBridge.FailedEntry".into(),
                            cause: cause.to_string(),
                        });
                    }
                }
                Ok(out)
            }
            Protocol::Query { version } => self.query_call(call, parameters, &endpoint, version),
            Protocol::RestXml => s3::call(self, call, parameters, &endpoint),
        }
    }

    /// SQS calls go where the queue's URL points, as the AWS SDKs send them; a configured
    /// endpoint takes the place of AWS's own hosts (`https://sqs.REGION.amazonaws.com/...`),
    /// so workflows written for AWS run against a stand-in unchanged.
    fn json_endpoint(&self, service: &Service, parameters: &Value, endpoint: &str) -> String {
        let configured =
            self.config.endpoints.contains_key(service.name) || self.config.endpoint.is_some();
        if service.name == "sqs" {
            if let Some(u) = parameters.get("QueueUrl").and_then(Value::as_str) {
                if let Ok(parsed) = Url::parse(u) {
                    if !(configured && parsed.host.ends_with(".amazonaws.com")) {
                        return format!("{}://{}/", parsed.scheme, parsed.authority());
                    }
                }
            }
        }
        endpoint.to_string()
    }

    fn query_call(
        &self,
        call: &AwsCall<'_>,
        parameters: &Value,
        endpoint: &str,
        version: &str,
    ) -> Result<Value, CallError> {
        let service = call.service;
        let prefix = if call.sdk {
            service.v2_prefix
        } else {
            service.v1_prefix
        };
        let client_error = |e: HttpError| CallError {
            error: format!("{prefix}.SdkClientException"),
            cause: format!("Unable to execute HTTP request: {e}"),
        };
        let url = Url::parse(endpoint).map_err(client_error)?;
        let action = upper_first(call.action);
        let mut form = vec![
            ("Action".to_string(), action.clone()),
            ("Version".to_string(), version.to_string()),
        ];
        if let Value::Object(m) = parameters {
            for (k, v) in m {
                flatten_query(k, v, &mut form, service.name == "sns");
            }
        }
        let body: Vec<String> = form
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    http_client::percent_encode(k, false),
                    http_client::percent_encode(v, false)
                )
            })
            .collect();
        let body = body.join("&");
        let headers = vec![(
            "Content-Type".to_string(),
            "application/x-www-form-urlencoded; charset=utf-8".to_string(),
        )];
        let answer = self
            .send(service, "POST", &url, headers, body.as_bytes())
            .map_err(client_error)?;
        let text = String::from_utf8_lossy(&answer.response.body).into_owned();
        if answer.response.status >= 300 {
            let code = xml_text(&text, "Code").unwrap_or_else(|| "InternalFailure".into());
            let message = xml_text(&text, "Message").unwrap_or_default();
            return Err(error_of(
                call,
                answer.response.status,
                &code,
                &message,
                &answer.request_id,
            ));
        }
        let result = xml_element(&text, &format!("{action}Result")).unwrap_or_default();
        let mut out = xml_to_json(&result);
        if !out.is_object() {
            out = json!({});
        }
        if !call.sdk {
            add_metadata(&mut out, service, &answer);
        }
        Ok(out)
    }
}

/// `MessageAttributes` and other members in the query protocol's flattened form.
fn flatten_query(key: &str, v: &Value, out: &mut Vec<(String, String)>, sns: bool) {
    match v {
        Value::Object(m) if sns && key.ends_with("MessageAttributes") => {
            for (i, (name, attr)) in m.iter().enumerate() {
                let base = format!("{key}.entry.{}", i + 1);
                out.push((format!("{base}.Name"), name.clone()));
                flatten_query(&format!("{base}.Value"), attr, out, sns);
            }
        }
        // String maps (`Attributes`): `entry.N.key` / `entry.N.value`.
        Value::Object(m) if key.ends_with("Attributes") && m.values().all(Value::is_string) => {
            for (i, (k, x)) in m.iter().enumerate() {
                let base = format!("{key}.entry.{}", i + 1);
                out.push((format!("{base}.key"), k.clone()));
                flatten_query(&format!("{base}.value"), x, out, sns);
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                flatten_query(&format!("{key}.{k}"), x, out, sns);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                flatten_query(&format!("{key}.member.{}", i + 1), x, out, sns);
            }
        }
        Value::String(s) => out.push((key.to_string(), s.clone())),
        Value::Null => {}
        other => out.push((key.to_string(), other.to_string())),
    }
}

/// Whether a Java SDK models this error code as its own exception class.
fn modelled(service: &str, code: &str) -> bool {
    if matches!(
        code,
        "ValidationException" | "SerializationException" | "UnrecognizedClientException"
    ) {
        return false;
    }
    match service {
        "sqs" => matches!(
            code,
            "QueueDoesNotExist"
                | "AWS.SimpleQueueService.NonExistentQueue"
                | "InvalidMessageContents"
                | "UnsupportedOperation"
                | "AWS.SimpleQueueService.UnsupportedOperation"
                | "RequestThrottled"
                | "KmsAccessDenied"
        ),
        "sns" => matches!(
            code,
            "NotFound"
                | "InvalidParameter"
                | "InvalidParameterValue"
                | "AuthorizationError"
                | "InternalError"
                | "EndpointDisabled"
                | "KMSDisabled"
                | "Throttled"
        ),
        _ => code.ends_with("Exception") || matches!(code, "NoSuchKey" | "NoSuchBucket"),
    }
}

/// The error and cause Step Functions reports for an API error.
pub fn error_of(
    call: &AwsCall<'_>,
    status: u16,
    code: &str,
    message: &str,
    request_id: &str,
) -> CallError {
    let service = call.service;
    let class = match code {
        "AWS.SimpleQueueService.NonExistentQueue" => "QueueDoesNotExist".to_string(),
        "AWS.SimpleQueueService.UnsupportedOperation" => "UnsupportedOperation".to_string(),
        c => c.to_string(),
    };
    let class = if class.ends_with("Exception") {
        class
    } else {
        format!("{class}Exception")
    };
    if call.sdk {
        let name = if modelled(service.name, code) {
            class
        } else {
            format!("{}Exception", service.v2_prefix)
        };
        let extra = if service.name == "s3" {
            ", Extended Request ID: 0"
        } else {
            ""
        };
        CallError {
            error: format!("{}.{name}", service.v2_prefix),
            cause: format!(
                "{message} (Service: {}, Status Code: {status}, Request ID: {request_id}{extra})",
                service.v2_prefix
            ),
        }
    } else {
        let generic = match service.name {
            "dynamodb" => "AmazonDynamoDBException".to_string(),
            "events" => "AmazonEventBridgeException".to_string(),
            _ => format!("Amazon{}Exception", service.v1_prefix),
        };
        let name = if modelled(service.name, code) {
            class
        } else {
            generic
        };
        CallError {
            error: format!("{}.{name}", service.v1_prefix),
            cause: format!(
                "{message} (Service: {}; Status Code: {status}; Error Code: {code}; Request ID: {request_id}; Proxy: null)",
                service.v1_service
            ),
        }
    }
}

/// `SdkHttpMetadata` and `SdkResponseMetadata`, as the optimized integrations add them.
fn add_metadata(out: &mut Value, service: &Service, answer: &Answer) {
    let Value::Object(m) = out else { return };
    let r = &answer.response;
    let content_type =
        r.header("Content-Type")
            .map(str::to_string)
            .unwrap_or_else(|| match service.protocol {
                Protocol::Json { version, .. } => format!("application/x-amz-json-{version}"),
                _ => "text/xml".into(),
            });
    let date = r
        .header("Date")
        .map(str::to_string)
        .unwrap_or_else(|| http_date(now_seconds()));
    let len = r.body.len().to_string();
    let mut all = Map::new();
    let mut flat = Map::new();
    let mut put = |k: &str, v: String| {
        all.insert(k.to_string(), json!([v.clone()]));
        flat.insert(k.to_string(), Value::String(v));
    };
    put("x-amzn-RequestId", answer.request_id.clone());
    put("connection", "keep-alive".into());
    put("Content-Length", len);
    put("Date", date);
    put("Content-Type", content_type);
    if service.name == "dynamodb" {
        if let Some(crc) = r.header("x-amz-crc32") {
            put("x-amz-crc32", crc.to_string());
        }
    }
    m.insert(
        "SdkHttpMetadata".into(),
        json!({"AllHttpHeaders": all, "HttpHeaders": flat, "HttpStatusCode": r.status}),
    );
    m.insert(
        "SdkResponseMetadata".into(),
        json!({"RequestId": answer.request_id}),
    );
}

pub(crate) fn http_date(epoch_seconds: i64) -> String {
    chrono::DateTime::from_timestamp(epoch_seconds, 0)
        .map(|d| d.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
        .unwrap_or_default()
}

/// A request id when the service sent none: derived from the body, so it is stable for one
/// answer.
fn uuid_like(body: &[u8]) -> String {
    let h = sigv4::sha256_hex(body);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// The text of the first `<tag>...</tag>` (entities decoded).
pub fn xml_text(xml: &str, tag: &str) -> Option<String> {
    xml_element(xml, tag).map(|s| xml_unescape(s.trim()))
}

/// The inner XML of the first `<tag>` element.
pub fn xml_element(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}");
    let mut from = 0;
    while let Some(i) = xml[from..].find(&open) {
        let start = from + i;
        let after = &xml[start + open.len()..];
        let next = after.chars().next()?;
        if next == '>' || next.is_whitespace() || next == '/' {
            let gt = after.find('>')?;
            if after[..gt].ends_with('/') {
                return Some(String::new());
            }
            let inner_start = start + open.len() + gt + 1;
            let close = format!("</{tag}>");
            let end = xml[inner_start..].find(&close)?;
            return Some(xml[inner_start..inner_start + end].to_string());
        }
        from = start + open.len();
    }
    None
}

fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#xD;", "\r")
        .replace("&#xA;", "\n")
        .replace("&amp;", "&")
}

/// Simple XML (elements and text, no attributes kept) as JSON: leaf elements become strings,
/// repeated names arrays.
pub fn xml_to_json(xml: &str) -> Value {
    xml_to_json_at(xml, 0)
}

/// Nesting beyond this is kept as text (a hostile endpoint cannot exhaust the stack).
const MAX_XML_DEPTH: usize = 64;

fn xml_to_json_at(xml: &str, depth: usize) -> Value {
    if depth > MAX_XML_DEPTH {
        return Value::String(xml.to_string());
    }
    let mut m = Map::new();
    let mut rest = xml.trim();
    let mut any = false;
    while let Some(lt) = rest.find('<') {
        let after = &rest[lt + 1..];
        if after.starts_with('/') || after.starts_with('?') || after.starts_with('!') {
            rest = after.find('>').map_or("", |g| &after[g + 1..]);
            continue;
        }
        let Some(gt) = after.find('>') else { break };
        let tag_text = &after[..gt];
        let name = tag_text
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or("")
            .to_string();
        if name.is_empty() {
            break;
        }
        any = true;
        let (value, consumed) = if tag_text.ends_with('/') {
            (Value::String(String::new()), gt + 1)
        } else {
            let inner_start = gt + 1;
            let close = format!("</{name}>");
            match after[inner_start..].find(&close) {
                Some(end) => {
                    let inner = &after[inner_start..inner_start + end];
                    let v = if inner.trim_start().starts_with('<') {
                        xml_to_json_at(inner, depth + 1)
                    } else {
                        Value::String(xml_unescape(inner))
                    };
                    (v, inner_start + end + close.len())
                }
                None => break,
            }
        };
        match m.get_mut(&name) {
            Some(Value::Array(a)) => a.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
            None => {
                m.insert(name, value);
            }
        }
        rest = &after[consumed..];
    }
    if any {
        Value::Object(m)
    } else {
        Value::String(xml_unescape(xml))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources() {
        let c = classify("arn:aws:states:::dynamodb:getItem").expect("known");
        assert_eq!(
            (c.service.name, c.action, c.sdk),
            ("dynamodb", "getItem", false)
        );
        let c = classify("arn:aws:states:::sqs:sendMessage.waitForTaskToken").expect("known");
        assert!(c.wait_for_task_token);
        let c = classify("arn:aws:states:::aws-sdk:s3:getObject").expect("known");
        assert!(c.sdk);
        assert!(classify("arn:aws:states:::dynamodb:query").is_none());
        assert!(classify("arn:aws:states:::aws-sdk:nosuch:x").is_none());
        assert!(classify("arn:aws:states:::lambda:invoke").is_none());
    }

    #[test]
    fn error_names() {
        let c = classify("arn:aws:states:::sqs:sendMessage").expect("known");
        let e = error_of(
            &c,
            400,
            "MissingParameter",
            "The request must contain the parameter MessageBody.",
            "r1",
        );
        assert_eq!(e.error, "SQS.AmazonSQSException");
        assert_eq!(e.cause, "The request must contain the parameter MessageBody. (Service: AmazonSQS; Status Code: 400; Error Code: MissingParameter; Request ID: r1; Proxy: null)");
        let e = error_of(&c, 400, "AWS.SimpleQueueService.NonExistentQueue", "m", "r");
        assert_eq!(e.error, "SQS.QueueDoesNotExistException");
        let c = classify("arn:aws:states:::aws-sdk:dynamodb:putItem").expect("known");
        assert_eq!(
            error_of(&c, 400, "ValidationException", "m", "r").error,
            "DynamoDb.DynamoDbException"
        );
        assert_eq!(
            error_of(
                &c,
                400,
                "ResourceNotFoundException",
                "Requested resource not found",
                "r"
            )
            .cause,
            "Requested resource not found (Service: DynamoDb, Status Code: 400, Request ID: r)"
        );
        let c = classify("arn:aws:states:::dynamodb:putItem").expect("known");
        assert_eq!(
            error_of(&c, 400, "ConditionalCheckFailedException", "m", "r").error,
            "DynamoDB.ConditionalCheckFailedException"
        );
        let c = classify("arn:aws:states:::sns:publish").expect("known");
        assert_eq!(
            error_of(&c, 404, "NotFound", "Topic does not exist", "r").error,
            "SNS.NotFoundException"
        );
    }

    #[test]
    fn xml() {
        let x = "<PublishResponse xmlns=\"x\"><PublishResult><MessageId>m-1</MessageId></PublishResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>";
        let r = xml_element(x, "PublishResult").expect("result");
        assert_eq!(xml_to_json(&r), json!({"MessageId": "m-1"}));
        assert_eq!(xml_text(x, "RequestId").as_deref(), Some("r"));
        assert_eq!(
            xml_to_json("<a>1</a><a>2</a><b/>"),
            json!({"a": ["1", "2"], "b": ""})
        );
    }

    #[test]
    fn query_flattening() {
        let mut out = Vec::new();
        flatten_query(
            "MessageAttributes",
            &json!({"k": {"DataType": "String", "StringValue": "v"}}),
            &mut out,
            true,
        );
        assert_eq!(
            out,
            vec![
                (
                    "MessageAttributes.entry.1.Name".to_string(),
                    "k".to_string()
                ),
                (
                    "MessageAttributes.entry.1.Value.DataType".to_string(),
                    "String".to_string()
                ),
                (
                    "MessageAttributes.entry.1.Value.StringValue".to_string(),
                    "v".to_string()
                ),
            ]
        );
    }
}
