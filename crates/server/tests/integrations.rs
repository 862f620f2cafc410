//! End to end: task integrations performed by a running `stepline-server` configured with a
//! `stepline.toml`: Lambda functions as local commands and behind a Lambda Invoke API, the HTTP
//! Task against a local endpoint, AWS services against moto's server (from PyPI), mocked test
//! cases (`StateMachineArn#TestCase`), and a kill -9 during a running task.

mod common;
mod integrations_support;

use common::*;
use integrations_support::*;
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write file");
    p.display().to_string()
}

fn start(server: &Server, machine: &str, input: Value) -> Value {
    let arn = server.create_machine(machine, &definitions(machine));
    let e = server.ok(
        "StartExecution",
        json!({"stateMachineArn": arn, "input": input.to_string()}),
    );
    let exec = e["executionArn"]
        .as_str()
        .expect("execution arn")
        .to_string();
    let d = server.wait_done(&exec, Duration::from_secs(60));
    json!({"describe": d, "history": server.history(&exec)})
}

fn output(r: &Value) -> Value {
    serde_json::from_str(r["describe"]["output"].as_str().unwrap_or("null")).unwrap_or_default()
}

fn count(r: &Value, event_type: &str) -> usize {
    r["history"]
        .as_array()
        .map(|h| h.iter().filter(|e| e["type"] == event_type).count())
        .unwrap_or(0)
}

fn definitions(name: &str) -> Value {
    match name {
        "lambdas" => json!({
            "StartAt": "Double",
            "States": {
                "Double": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:double",
                           "ResultPath": "$.double", "Next": "Add"},
                "Add": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                        "Parameters": {"FunctionName": "add", "Payload": {"a": 2, "b.$": "$.double.n"}},
                        "ResultSelector": {"sum.$": "$.Payload.sum", "status.$": "$.StatusCode"},
                        "ResultPath": "$.add", "Next": "Boom"},
                "Boom": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                         "Parameters": {"FunctionName": "boom", "Payload": {}},
                         "Catch": [{"ErrorEquals": ["ValueError"], "ResultPath": "$.boom", "Next": "Flaky"}],
                         "End": true},
                "Flaky": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:flaky",
                          "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 1, "MaxAttempts": 2}],
                          "ResultPath": "$.flaky", "Next": "Missing"},
                "Missing": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                            "Parameters": {"FunctionName": "nosuch", "Payload": {}},
                            "Catch": [{"ErrorEquals": ["Lambda.ResourceNotFoundException"], "ResultPath": "$.missing", "Next": "Done"}],
                            "End": true},
                "Done": {"Type": "Succeed"}
            }
        }),
        "http" => json!({
            "StartAt": "Get",
            "States": {
                "Get": {"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
                        "Parameters": {"ApiEndpoint.$": "States.Format('{}/echo/items', $.base)", "Method": "GET",
                                       "QueryParameters": {"q": "a b", "n": 1},
                                       "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:123456789012:connection/Api/0b6e1c5f"}},
                        "ResultSelector": {"status.$": "$.StatusCode", "text.$": "$.StatusText", "body.$": "$.ResponseBody", "ct.$": "$.Headers.content-type"},
                        "ResultPath": "$.get", "Next": "Post"},
                "Post": {"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
                         "Parameters": {"ApiEndpoint.$": "States.Format('{}/echo/form', $.base)", "Method": "POST",
                                        "RequestBody": {"ids": [1, 2], "name": "x y"},
                                        "Transform": {"RequestBodyEncoding": "URL_ENCODED", "RequestEncodingOptions": {"ArrayFormat": "BRACKETS"}}},
                         "ResultSelector": {"body.$": "$.ResponseBody"},
                         "ResultPath": "$.post", "Next": "NotFound"},
                "NotFound": {"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
                             "Parameters": {"ApiEndpoint.$": "States.Format('{}/status/404', $.base)", "Method": "GET"},
                             "Catch": [{"ErrorEquals": ["States.Http.StatusCode.404"], "ResultPath": "$.notFound", "Next": "Unavailable"}],
                             "End": true},
                "Unavailable": {"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
                                "Parameters": {"ApiEndpoint.$": "States.Format('{}/status/503', $.base)", "Method": "GET"},
                                "Retry": [{"ErrorEquals": ["States.Http.StatusCode.503"], "IntervalSeconds": 1, "MaxAttempts": 1}],
                                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.unavailable", "Next": "Refused"}],
                                "End": true},
                "Refused": {"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
                            "Parameters": {"ApiEndpoint.$": "$.closed", "Method": "GET"},
                            "Catch": [{"ErrorEquals": ["States.Http.Socket"], "ResultPath": "$.refused", "Next": "Done"}],
                            "End": true},
                "Done": {"Type": "Succeed"}
            }
        }),
        "http_denied" => json!({
            "StartAt": "Get",
            "States": {
                "Get": {"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
                        "Parameters": {"ApiEndpoint": "http://169.254.169.254/latest/meta-data", "Method": "GET"},
                        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                        "End": true},
                "Caught": {"Type": "Succeed"}
            }
        }),
        "slow" => json!({
            "StartAt": "Slow",
            "States": {
                "Slow": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:slow", "End": true}
            }
        }),
        "mocked" => json!({
            "StartAt": "Call",
            "States": {
                "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                         "Parameters": {"FunctionName": "notConfigured", "Payload.$": "$"},
                         "Retry": [{"ErrorEquals": ["Lambda.TooManyRequestsException"], "IntervalSeconds": 1, "MaxAttempts": 1}],
                         "OutputPath": "$.Payload", "End": true}
            }
        }),
        "mocked_loop" => json!({
            "StartAt": "Call",
            "States": {
                "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                         "Parameters": {"FunctionName": "notConfigured", "Payload.$": "$"},
                         "ResultSelector": {"v.$": "$.Payload.v"}, "ResultPath": "$.last", "Next": "Check"},
                "Check": {"Type": "Choice", "Choices": [{"Variable": "$.looped", "IsPresent": true, "Next": "Done"}],
                          "Default": "Pause"},
                "Pause": {"Type": "Wait", "Seconds": 2, "Next": "Mark"},
                "Mark": {"Type": "Pass", "Result": true, "ResultPath": "$.looped", "Next": "Call"},
                "Done": {"Type": "Succeed"}
            }
        }),
        other => panic!("no definition {other}"),
    }
}

fn lambda_config(dir: &Path, endpoint: &str) -> String {
    let double = write(
        dir,
        "double.py",
        "import json, sys\ne = json.load(sys.stdin)\nprint(json.dumps({'n': e['n'] * 2}))\n",
    );
    let flaky = write(
        dir,
        "flaky.py",
        "import json, os, sys\np = os.path.join(os.path.dirname(__file__), 'flaky.count')\nn = int(open(p).read()) if os.path.exists(p) else 0\nopen(p, 'w').write(str(n + 1))\nif n == 0:\n    print(json.dumps({'errorType': 'Flaky', 'errorMessage': 'first call fails'}))\n    sys.exit(1)\nprint(json.dumps({'attempt': n + 1}))\n",
    );
    let slow = write(
        dir,
        "slow.py",
        "import json, os, sys, time\np = os.path.join(os.path.dirname(__file__), 'slow.calls')\nopen(p, 'a').write('call\\n')\ntime.sleep(2)\nprint(json.dumps({'ok': True}))\n",
    );
    let creds = credentials_file(dir).display().to_string();
    format!(
        r#"
[aws]
region = "us-east-1"
profile = "moto"
credentials_file = "{creds}"

[lambda]
endpoint = "{endpoint}"

[lambda.functions.double]
command = ["python3", "{double}"]

[lambda.functions.flaky]
command = ["python3", "{flaky}"]

[lambda.functions.slow]
command = ["python3", "{slow}"]
timeout = 30

[lambda.functions.add]
endpoint = "{endpoint}"

[lambda.functions.boom]
endpoint = "{endpoint}"

[http]
allow = ["{endpoint}/echo/", "{endpoint}/status/", "http://127.0.0.1:1/"]
timeout = 5

[http.connections.Api]
headers = {{ Authorization = "Bearer secret-token" }}
"#
    )
}

fn server_with(dir: &Path, config: &str, extra: &[&str]) -> Server {
    let cfg = write(dir, "stepline.toml", config);
    let data = dir.join("data");
    let mut args = vec![
        "--data-dir".to_string(),
        data.display().to_string(),
        "--config".to_string(),
        cfg,
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Server::spawn(&args, Some(data))
}

#[test]
fn lambda_functions_local_and_over_http() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ep = endpoint();
    let server = server_with(dir.path(), &lambda_config(dir.path(), &ep.url), &[]);
    let r = start(&server, "lambdas", json!({"n": 5}));
    assert_eq!(r["describe"]["status"], "SUCCEEDED", "{r}");
    let out = output(&r);
    assert_eq!(out["double"], json!({"n": 10}));
    assert_eq!(out["add"], json!({"sum": 12, "status": 200}));
    assert_eq!(out["boom"]["Error"], "ValueError");
    let cause: Value =
        serde_json::from_str(out["boom"]["Cause"].as_str().unwrap_or("")).unwrap_or_default();
    assert_eq!(cause["errorMessage"], "bad input");
    assert_eq!(out["flaky"], json!({"attempt": 2}));
    assert_eq!(out["missing"]["Error"], "Lambda.ResourceNotFoundException");
    assert!(
        out["missing"]["Cause"]
            .as_str()
            .unwrap_or("")
            .contains("Function not found"),
        "{out}"
    );
    // The legacy ARN form is recorded as LambdaFunction* events, lambda:invoke as Task*.
    assert_eq!(
        count(&r, "LambdaFunctionScheduled"),
        3,
        "double, flaky twice"
    );
    assert_eq!(count(&r, "LambdaFunctionFailed"), 1);
    assert_eq!(count(&r, "TaskFailed"), 2, "boom and missing");
    let seen = ep.seen.lock().expect("seen").clone();
    let add = seen
        .iter()
        .find(|s| s.target.contains("/functions/add/"))
        .expect("add was invoked over HTTP");
    assert_eq!(add.method, "POST");
    // Signed with the [aws] credentials, for the lambda service.
    let auth = add
        .headers
        .get("authorization")
        .cloned()
        .unwrap_or_default();
    assert!(
        auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDTEST/")
            && auth.contains("/us-east-1/lambda/aws4_request"),
        "{auth}"
    );
    assert_eq!(
        serde_json::from_str::<Value>(&add.body).unwrap_or_default(),
        json!({"a": 2, "b": 10})
    );
}

#[test]
fn http_task_against_a_local_endpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ep = endpoint();
    let server = server_with(dir.path(), &lambda_config(dir.path(), &ep.url), &[]);
    let r = start(
        &server,
        "http",
        json!({"base": ep.url, "closed": "http://127.0.0.1:1/nothing"}),
    );
    assert_eq!(r["describe"]["status"], "SUCCEEDED", "{r}");
    let out = output(&r);
    assert_eq!(out["get"]["status"], 200);
    assert_eq!(out["get"]["text"], "OK");
    assert_eq!(out["get"]["ct"], json!(["application/json"]));
    assert_eq!(out["get"]["body"]["method"], "GET");
    assert_eq!(out["get"]["body"]["query"], "q=a%20b&n=1");
    assert_eq!(out["get"]["body"]["authorization"], "Bearer secret-token");
    assert_eq!(
        out["post"]["body"]["body"],
        "ids%5B%5D=1&ids%5B%5D=2&name=x%20y"
    );
    assert_eq!(
        out["post"]["body"]["contentType"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(out["notFound"]["Error"], "States.Http.StatusCode.404");
    let cause: Value =
        serde_json::from_str(out["notFound"]["Cause"].as_str().unwrap_or("")).unwrap_or_default();
    assert_eq!(cause["StatusCode"], 404);
    assert_eq!(out["unavailable"]["Error"], "States.Http.StatusCode.503");
    assert_eq!(out["refused"]["Error"], "States.Http.Socket");
    let calls_503 = ep
        .seen
        .lock()
        .expect("seen")
        .iter()
        .filter(|s| s.target == "/status/503")
        .count();
    assert_eq!(calls_503, 2, "one retry");

    // Outside the allow-list: States.Runtime, which no Catch handles.
    let r = start(&server, "http_denied", json!({}));
    assert_eq!(r["describe"]["status"], "FAILED", "{r}");
    assert_eq!(r["describe"]["error"], "States.Runtime");
    assert!(r["describe"]["cause"]
        .as_str()
        .unwrap_or("")
        .contains("[http] allow"));
}

#[test]
fn kill_9_during_a_running_task_invokes_it_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ep = endpoint();
    let config = lambda_config(dir.path(), &ep.url);
    let mut server = server_with(dir.path(), &config, &[]);
    let arn = server.create_machine("slow", &definitions("slow"));
    let e = server.ok(
        "StartExecution",
        json!({"stateMachineArn": arn, "input": "{}"}),
    );
    let exec = e["executionArn"].as_str().expect("arn").to_string();
    let calls = dir.path().join("slow.calls");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !calls.exists() {
        assert!(Instant::now() < deadline, "the function never ran");
        std::thread::sleep(Duration::from_millis(20));
    }
    server.kill9();
    let server = server_with(dir.path(), &config, &[]);
    let d = server.wait_done(&exec, Duration::from_secs(60));
    assert_eq!(d["status"], "SUCCEEDED", "{d}");
    assert_eq!(d["output"], "{\"ok\":true}");
    let n = std::fs::read_to_string(&calls)
        .unwrap_or_default()
        .lines()
        .count();
    assert!(
        n >= 2,
        "invoked again after the restart (at-least-once): {n}"
    );
    let h = server.history(&exec);
    let scheduled = h
        .iter()
        .filter(|e| e["type"] == "LambdaFunctionScheduled")
        .count();
    assert_eq!(scheduled, 1, "one attempt in the history: {h:?}");
}

#[test]
fn test_case_suffix_answers_with_mocked_responses() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mock = write(
        dir.path(),
        "MockConfigFile.json",
        &json!({
            "StateMachines": {"mocked": {"TestCases": {
                "HappyPath": {"Call": "Ok"},
                "Throttled": {"Call": "ThrottledThenOk"}
            }}},
            "MockedResponses": {
                "Ok": {"0": {"Return": {"StatusCode": 200, "Payload": {"greeting": "hi"}}}},
                "ThrottledThenOk": {
                    "0": {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "slow down"}},
                    "1": {"Return": {"StatusCode": 200, "Payload": {"greeting": "finally"}}}
                }
            }
        })
        .to_string(),
    );
    let server = server_with(dir.path(), "", &["--mock-config", &mock]);
    let arn = server.create_machine("mocked", &definitions("mocked"));
    let run = |suffix: &str| {
        let e = server.ok(
            "StartExecution",
            json!({"stateMachineArn": format!("{arn}{suffix}"), "input": "{}"}),
        );
        let exec = e["executionArn"].as_str().expect("arn").to_string();
        assert!(!exec.contains('#'), "the test case is not part of the ARN");
        server.wait_done(&exec, Duration::from_secs(30))
    };
    let d = run("#HappyPath");
    assert_eq!(d["status"], "SUCCEEDED", "{d}");
    assert_eq!(d["output"], "{\"greeting\":\"hi\"}");
    let d = run("#Throttled");
    assert_eq!(d["status"], "SUCCEEDED", "{d}");
    assert_eq!(d["output"], "{\"greeting\":\"finally\"}");
    // Without a test case the function is not configured here: as AWS, not found.
    let d = run("");
    assert_eq!(d["status"], "FAILED");
    assert_eq!(d["error"], "Lambda.ResourceNotFoundException");
    let msg = server.err(
        "StartExecution",
        json!({"stateMachineArn": format!("{arn}#NoSuchCase"), "input": "{}"}),
        "ValidationException",
    );
    assert!(msg.contains("NoSuchCase"), "{msg}");
}

#[test]
fn aws_services_against_moto() {
    let Some(moto) = moto() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let server = server_with(dir.path(), &moto_aws_config(dir.path(), moto, ""), &[]);
    let sfx = uuid_suffix();
    let table = format!("t{sfx}");
    let queue = format!("q{sfx}");
    let bucket = format!("b{sfx}");
    aws_call(
        moto,
        "arn:aws:states:::aws-sdk:dynamodb:createTable",
        json!({
            "TableName": table, "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}]
        }),
    )
    .expect("create table");
    let q = aws_call(
        moto,
        "arn:aws:states:::aws-sdk:sqs:createQueue",
        json!({"QueueName": queue}),
    )
    .expect("create queue");
    let queue_url = q["QueueUrl"].as_str().expect("queue url").to_string();
    let topic = aws_call(
        moto,
        "arn:aws:states:::aws-sdk:sns:createTopic",
        json!({"Name": format!("topic{sfx}")}),
    )
    .expect("create topic");
    let topic_arn = topic["TopicArn"].as_str().expect("topic arn").to_string();
    aws_call(
        moto,
        "arn:aws:states:::aws-sdk:s3:createBucket",
        json!({"Bucket": bucket}),
    )
    .expect("bucket");

    let definition = json!({
        "StartAt": "Put",
        "States": {
            "Put": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
                    "Parameters": {"TableName.$": "$.table", "Item": {"id": {"S": "k1"}, "v": {"S": "one"}}},
                    "ResultPath": null, "Next": "PutAgain"},
            "PutAgain": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
                         "Parameters": {"TableName.$": "$.table", "Item": {"id": {"S": "k1"}},
                                        "ConditionExpression": "attribute_not_exists(id)"},
                         "Catch": [{"ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"], "ResultPath": "$.conditional", "Next": "Update"}],
                         "End": true},
            "Update": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:updateItem",
                       "Parameters": {"TableName.$": "$.table", "Key": {"id": {"S": "k1"}},
                                      "UpdateExpression": "SET v = :v", "ExpressionAttributeValues": {":v": {"S": "two"}},
                                      "ReturnValues": "UPDATED_NEW"},
                       "ResultSelector": {"attributes.$": "$.Attributes"}, "ResultPath": "$.update", "Next": "Get"},
            "Get": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem",
                    "Parameters": {"TableName.$": "$.table", "Key": {"id": {"S": "k1"}}},
                    "ResultPath": "$.get", "Next": "SdkGet"},
            "SdkGet": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:dynamodb:getItem",
                       "Parameters": {"TableName.$": "$.table", "Key": {"id": {"S": "k1"}}},
                       "ResultPath": "$.sdkGet", "Next": "Delete"},
            "Delete": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:deleteItem",
                       "Parameters": {"TableName.$": "$.table", "Key": {"id": {"S": "k1"}}},
                       "ResultPath": null, "Next": "Send"},
            "Send": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                     "Parameters": {"QueueUrl.$": "$.queueUrl", "MessageBody": {"hello": "world"}},
                     "ResultPath": "$.send", "Next": "SendNowhere"},
            "SendNowhere": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                            "Parameters": {"QueueUrl.$": "States.Format('{}-missing', $.queueUrl)", "MessageBody": "x"},
                            "Retry": [{"ErrorEquals": ["SQS.QueueDoesNotExistException"], "IntervalSeconds": 1, "MaxAttempts": 1}],
                            "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.nowhere", "Next": "Publish"}],
                            "End": true},
            "Publish": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
                        "Parameters": {"TopicArn.$": "$.topicArn", "Message": {"m": 1},
                                       "MessageAttributes": {"kind": {"DataType": "String", "StringValue": "test"}}},
                        "ResultPath": "$.publish", "Next": "PublishNowhere"},
            "PublishNowhere": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
                               "Parameters": {"TopicArn": "arn:aws:sns:us-east-1:123456789012:nosuch", "Message": "x"},
                               "Catch": [{"ErrorEquals": ["SNS.NotFoundException"], "ResultPath": "$.noTopic", "Next": "Events"}],
                               "End": true},
            "Events": {"Type": "Task", "Resource": "arn:aws:states:::events:putEvents",
                       "Parameters": {"Entries": [{"Source": "stepline.test", "DetailType": "t", "Detail": {"a": 1}}]},
                       "ResultSelector": {"failed.$": "$.FailedEntryCount"}, "ResultPath": "$.events", "Next": "S3Put"},
            "S3Put": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
                      "Parameters": {"Bucket.$": "$.bucket", "Key": "dir/file.json", "Body": {"Dict": "Value"}},
                      "ResultPath": "$.s3put", "Next": "S3Get"},
            "S3Get": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
                      "Parameters": {"Bucket.$": "$.bucket", "Key": "dir/file.json"},
                      "ResultSelector": {"body.$": "$.Body", "length.$": "$.ContentLength"},
                      "ResultPath": "$.s3get", "Next": "S3Missing"},
            "S3Missing": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
                          "Parameters": {"Bucket.$": "$.bucket", "Key": "nothing-here"},
                          "Catch": [{"ErrorEquals": ["S3.NoSuchKeyException"], "ResultPath": "$.s3missing", "Next": "Done"}],
                          "End": true},
            "Done": {"Type": "Succeed"}
        }
    });
    let arn = server.create_machine("services", &definition);
    let input =
        json!({"table": table, "queueUrl": queue_url, "topicArn": topic_arn, "bucket": bucket});
    let e = server.ok(
        "StartExecution",
        json!({"stateMachineArn": arn, "input": input.to_string()}),
    );
    let exec = e["executionArn"].as_str().expect("arn").to_string();
    let d = server.wait_done(&exec, Duration::from_secs(60));
    let history = server.history(&exec);
    assert_eq!(d["status"], "SUCCEEDED", "{d} {history:?}");
    let out: Value = serde_json::from_str(d["output"].as_str().unwrap_or("{}")).unwrap_or_default();
    assert_eq!(
        out["conditional"]["Error"], "DynamoDB.ConditionalCheckFailedException",
        "{out}"
    );
    assert!(out["conditional"]["Cause"].as_str().unwrap_or("").contains("(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ConditionalCheckFailedException"), "{out}");
    assert_eq!(out["update"]["attributes"], json!({"v": {"S": "two"}}));
    assert_eq!(
        out["get"]["Item"],
        json!({"id": {"S": "k1"}, "v": {"S": "two"}})
    );
    assert_eq!(out["get"]["SdkHttpMetadata"]["HttpStatusCode"], 200);
    assert!(out["get"]["SdkResponseMetadata"]["RequestId"].is_string());
    assert_eq!(
        out["sdkGet"],
        json!({"Item": {"id": {"S": "k1"}, "v": {"S": "two"}}}),
        "aws-sdk: the bare response"
    );
    // MD5 of the JSON text sent: {"hello":"world"}.
    assert_eq!(
        out["send"]["MD5OfMessageBody"],
        "fbc24bcc7a1794758fc1327fcfebdaf6"
    );
    assert!(out["send"]["MessageId"].is_string());
    assert_eq!(
        out["nowhere"]["Error"], "SQS.QueueDoesNotExistException",
        "{out}"
    );
    let nowhere_attempts = history
        .iter()
        .filter(|e| {
            e["type"] == "TaskStateEntered"
                && e["stateEnteredEventDetails"]["name"] == "SendNowhere"
        })
        .count();
    assert_eq!(nowhere_attempts, 1);
    let nowhere_scheduled = history
        .iter()
        .filter(|e| {
            e["type"] == "TaskScheduled"
                && e["taskScheduledEventDetails"]["parameters"]
                    .as_str()
                    .unwrap_or("")
                    .contains("-missing")
        })
        .count();
    assert_eq!(nowhere_scheduled, 2, "one retry");
    assert!(out["publish"]["MessageId"].is_string(), "{out}");
    assert_eq!(out["noTopic"]["Error"], "SNS.NotFoundException", "{out}");
    assert_eq!(out["events"]["failed"], 0);
    assert_eq!(out["s3put"]["ChecksumCRC32"], "hnEfWw==");
    assert_eq!(
        out["s3get"],
        json!({"body": "{\"Dict\":\"Value\"}", "length": 16})
    );
    assert_eq!(out["s3missing"]["Error"], "S3.NoSuchKeyException", "{out}");
    // The message really is in the queue, as JSON text.
    let m = aws_call(
        moto,
        "arn:aws:states:::aws-sdk:sqs:receiveMessage",
        json!({"QueueUrl": queue_url, "MaxNumberOfMessages": 1}),
    )
    .expect("receive");
    assert_eq!(m["Messages"][0]["Body"], "{\"hello\":\"world\"}");
}

#[test]
fn sqs_wait_for_task_token_against_moto() {
    let Some(moto) = moto() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let server = server_with(dir.path(), &moto_aws_config(dir.path(), moto, ""), &[]);
    let queue = format!("cb{}", uuid_suffix());
    let q = aws_call(
        moto,
        "arn:aws:states:::aws-sdk:sqs:createQueue",
        json!({"QueueName": queue}),
    )
    .expect("create queue");
    let queue_url = q["QueueUrl"].as_str().expect("queue url").to_string();
    let definition = json!({
        "StartAt": "Wait",
        "States": {
            "Wait": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                     "Parameters": {"QueueUrl.$": "$.queueUrl", "MessageBody": {"token.$": "$$.Task.Token", "job": 7}},
                     "TimeoutSeconds": 60, "End": true}
        }
    });
    let arn = server.create_machine("callback", &definition);
    let e = server.ok(
        "StartExecution",
        json!({"stateMachineArn": arn, "input": json!({"queueUrl": queue_url}).to_string()}),
    );
    let exec = e["executionArn"].as_str().expect("arn").to_string();
    // A worker: reads the message from the queue, answers with its token.
    let deadline = Instant::now() + Duration::from_secs(30);
    let body = loop {
        let m = aws_call(
            moto,
            "arn:aws:states:::aws-sdk:sqs:receiveMessage",
            json!({"QueueUrl": queue_url, "WaitTimeSeconds": 1}),
        )
        .expect("receive");
        if let Some(b) = m["Messages"][0]["Body"].as_str() {
            break serde_json::from_str::<Value>(b).expect("JSON body");
        }
        assert!(Instant::now() < deadline, "no message arrived");
    };
    assert_eq!(body["job"], 7);
    // Answered at once: TaskSubmitted is still recorded first.
    let token = body["token"].as_str().expect("token");
    server.ok(
        "SendTaskSuccess",
        json!({"taskToken": token, "output": "{\"done\":true}"}),
    );
    let d = server.wait_done(&exec, Duration::from_secs(30));
    assert_eq!(d["status"], "SUCCEEDED", "{d}");
    assert_eq!(d["output"], "{\"done\":true}");
    let h = server.history(&exec);
    let types: Vec<&str> = h.iter().filter_map(|e| e["type"].as_str()).collect();
    let at = |t: &str| types.iter().position(|x| *x == t).unwrap_or(usize::MAX);
    assert!(
        at("TaskStarted") < at("TaskSubmitted") && at("TaskSubmitted") < at("TaskSucceeded"),
        "{types:?}"
    );
    let submitted = h
        .iter()
        .find(|e| e["type"] == "TaskSubmitted")
        .expect("TaskSubmitted");
    let sub: Value = serde_json::from_str(
        submitted["taskSubmittedEventDetails"]["output"]
            .as_str()
            .unwrap_or("{}"),
    )
    .unwrap_or_default();
    assert!(
        sub["MessageId"].is_string() && sub["MD5OfMessageBody"].is_string(),
        "{sub}"
    );
}

fn uuid_suffix() -> String {
    format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    )
}

/// Measurement, not a check (`cargo test -p server --test integrations --release -- --ignored
/// --nocapture integration_latency`): StartSyncExecution round trips of an Express workflow
/// whose one Task is an HTTP Task or a Lambda function over HTTP, against a Pass-only baseline.
#[test]
#[ignore]
fn integration_latency() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ep = endpoint();
    let server = server_with(dir.path(), &lambda_config(dir.path(), &ep.url), &[]);
    let machines = [
        (
            "pass",
            json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}),
        ),
        (
            "http_task",
            json!({"StartAt": "H", "States": {"H": {"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
            "Parameters": {"ApiEndpoint": format!("{}/echo/x", ep.url), "Method": "GET"}, "End": true}}}),
        ),
        (
            "lambda_http",
            json!({"StartAt": "L", "States": {"L": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "add", "Payload": {"a": 1, "b": 2}}, "End": true}}}),
        ),
    ];
    for (name, def) in machines {
        let v = server.ok(
            "CreateStateMachine",
            json!({"name": name, "definition": def.to_string(), "roleArn": ROLE, "type": "EXPRESS"}),
        );
        let arn = v["stateMachineArn"].as_str().expect("arn").to_string();
        let n = 300;
        let started = Instant::now();
        for _ in 0..n {
            let r = server.ok(
                "StartSyncExecution",
                json!({"stateMachineArn": arn, "input": "{}"}),
            );
            assert_eq!(r["status"], "SUCCEEDED", "{r}");
        }
        let per = started.elapsed() / n;
        println!("{name}: {n} sync executions, {per:?} each");
    }
}

#[test]
fn mocked_execution_keeps_its_test_case_across_kill_9() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mock = write(
        dir.path(),
        "MockConfigFile.json",
        &json!({
            "StateMachines": {"mocked_loop": {"TestCases": {"Loop": {"Call": "Twice"}}}},
            "MockedResponses": {"Twice": {
                "0": {"Return": {"StatusCode": 200, "Payload": {"v": "first"}}},
                "1": {"Return": {"StatusCode": 200, "Payload": {"v": "second"}}}
            }}
        })
        .to_string(),
    );
    let mut server = server_with(dir.path(), "", &["--mock-config", &mock]);
    let arn = server.create_machine("mocked_loop", &definitions("mocked_loop"));
    let e = server.ok(
        "StartExecution",
        json!({"stateMachineArn": format!("{arn}#Loop"), "input": "{}"}),
    );
    let exec = e["executionArn"].as_str().expect("arn").to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !server
        .history(&exec)
        .iter()
        .any(|e| e["type"] == "WaitStateEntered")
    {
        assert!(Instant::now() < deadline, "never reached the Wait state");
        std::thread::sleep(Duration::from_millis(20));
    }
    server.kill9();
    let server = server_with(dir.path(), "", &["--mock-config", &mock]);
    let d = server.wait_done(&exec, Duration::from_secs(30));
    assert_eq!(d["status"], "SUCCEEDED", "{d}");
    let out: Value = serde_json::from_str(d["output"].as_str().unwrap_or("{}")).unwrap_or_default();
    // The second invocation after the restart gets the second response.
    assert_eq!(out["last"]["v"], "second", "{out}");
}
