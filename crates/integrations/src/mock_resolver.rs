//! [`MockResolver`]: answers the Task states a test case mocks, passes the others on.

use crate::mock_config::{MockConfig, MockConfigError, MockOutcome, MockedResponse};
use crate::resource::{classify, ResourceKind};
use engine::{NoIntegrations, TaskInvocation, TaskOutcome, TaskResolver};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

/// Resolves the Task states of one test case from its mocked responses, for one execution.
///
/// Invocations are counted per state over the whole execution, retries, loops and Map
/// iterations included, as Step Functions Local counts them: the n-th invocation of a state
/// (0-based) gets the response keyed `"n"` (or the range holding n). States the test case does
/// not list go to the fallback resolver ("HybridPath" in AWS's example).
pub struct MockResolver {
    state_machine: String,
    test_case: String,
    /// State name → (mocked response name, the response when the file has it).
    mocks: HashMap<String, (String, Option<MockedResponse>)>,
    invocations: HashMap<String, u64>,
    fallback: Box<dyn TaskResolver + Send>,
}

impl std::fmt::Debug for MockResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockResolver")
            .field("state_machine", &self.state_machine)
            .field("test_case", &self.test_case)
            .field("invocations", &self.invocations)
            .finish_non_exhaustive()
    }
}

impl MockResolver {
    /// The resolver for `test_case` of `state_machine`; unmocked states fail as
    /// [`NoIntegrations`] does.
    pub fn new(
        config: &MockConfig,
        state_machine: &str,
        test_case: &str,
    ) -> Result<MockResolver, MockConfigError> {
        MockResolver::with_fallback(
            config,
            state_machine,
            test_case,
            Box::new(NoIntegrations::new()),
        )
    }

    /// Like [`MockResolver::new`], sending unmocked states to `fallback`.
    pub fn with_fallback(
        config: &MockConfig,
        state_machine: &str,
        test_case: &str,
        fallback: Box<dyn TaskResolver + Send>,
    ) -> Result<MockResolver, MockConfigError> {
        let case = config.test_case(state_machine, test_case)?;
        let mocks = case
            .states
            .iter()
            .map(|(state, response)| {
                (
                    state.clone(),
                    (
                        response.clone(),
                        config.mocked_responses.get(response).cloned(),
                    ),
                )
            })
            .collect();
        Ok(MockResolver {
            state_machine: state_machine.to_string(),
            test_case: test_case.to_string(),
            mocks,
            invocations: HashMap::new(),
            fallback,
        })
    }

    /// How many times each mocked state was invoked so far.
    pub fn invocation_counts(&self) -> &HashMap<String, u64> {
        &self.invocations
    }

    /// Mocked states of the test case that were never invoked, sorted.
    pub fn unused_mocks(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .mocks
            .keys()
            .filter(|s| !self.invocations.contains_key(*s))
            .cloned()
            .collect();
        v.sort();
        v
    }

    fn runtime_error(cause: String) -> TaskOutcome {
        TaskOutcome::Failed {
            error: Some("States.Runtime".into()),
            cause: Some(cause),
        }
    }
}

/// A mocked `Return` as the Task's result. The legacy Lambda ARN form yields the function's
/// return value, which a Lambda mock writes as the Invoke response's `Payload` (as in AWS's
/// example, `{"StatusCode": 200, "Payload": ...}`); Step Functions Local and LocalStack unwrap it.
/// Every other resource, `lambda:invoke` included, yields the value as written.
fn mocked_result(resource: &str, value: &Value) -> Value {
    if let ResourceKind::LambdaFunction { .. } = classify(resource) {
        if let Some(payload) = value.get("Payload") {
            return payload.clone();
        }
    }
    value.clone()
}

impl TaskResolver for MockResolver {
    fn invoke(&mut self, inv: &TaskInvocation) -> TaskOutcome {
        let state = &*inv.state_name;
        let Some((response_name, response)) = self.mocks.get(state) else {
            return self.fallback.invoke(inv);
        };
        let counter = self.invocations.entry(state.to_string()).or_insert(0);
        let n = *counter;
        *counter += 1;
        let Some(response) = response else {
            return MockResolver::runtime_error(format!(
                "No definitions for mocked response '{response_name}' in the mock configuration file (state '{state}', test case '{}' of state machine '{}').",
                self.test_case, self.state_machine
            ));
        };
        let outcome = match response.at(n) {
            Some(MockOutcome::Return(v)) => TaskOutcome::Succeeded(mocked_result(&inv.resource, v)),
            Some(MockOutcome::Throw { error, cause }) => TaskOutcome::Failed {
                error: Some(error.clone()),
                cause: Some(cause.clone()),
            },
            None => {
                return MockResolver::runtime_error(format!(
                    "No mocked response definition for state '{state}' and invocation number '{n}' in mocked response '{response_name}'."
                ))
            }
        };
        let seed = format!("{}/{}/{state}/{n}", self.state_machine, self.test_case);
        match submit_response(inv, &outcome, &seed) {
            Some(output) => TaskOutcome::Submitted {
                output,
                then: Box::new(outcome),
            },
            None => outcome,
        }
    }
}

/// What the service answered when a `.sync` or `.waitForTaskToken` task was submitted, for
/// its `TaskSubmitted` event: a mocked response is the job's or the callback's end, so the
/// submission's answer is made up in the service's shape (`seed` makes its ids stable).
/// `startExecution` gives `{ExecutionArn, StartDate}` (from the mocked description when it
/// has them), SQS `sendMessage` `{MD5OfMessageBody, MessageId}`, SNS `publish`
/// `{MessageId}`; another service's answer is unknown, so it is the mocked result itself (as
/// LocalStack records it), and a mocked failure is taken as the submission's. `None` for
/// request-response tasks.
fn submit_response(inv: &TaskInvocation, outcome: &TaskOutcome, seed: &str) -> Option<Value> {
    let resource = &*inv.resource;
    let rest = resource.strip_prefix("arn:")?.split_once(':')?.1;
    let (service, action) = rest.strip_prefix("states:::")?.split_once(':')?;
    let action = [".sync:2", ".sync", ".waitForTaskToken"]
        .iter()
        .find_map(|p| action.strip_suffix(p))?;
    let param = |k: &str| inv.parameters.get(k);
    let message_id = || Value::String(uuid_from(&format!("{seed}/MessageId")));
    let output = match (service, action) {
        ("states", "startExecution") => {
            let described = match outcome {
                TaskOutcome::Succeeded(v) => v.as_object(),
                _ => None,
            };
            let mut out = serde_json::Map::new();
            let arn = described
                .and_then(|d| d.get("ExecutionArn"))
                .cloned()
                .or_else(|| {
                    let machine = param("StateMachineArn")?.as_str()?;
                    let name = param("Name")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .unwrap_or_else(|| uuid_from(seed));
                    Some(Value::String(format!(
                        "{}:{name}",
                        machine.replacen(":stateMachine:", ":execution:", 1)
                    )))
                });
            if let Some(arn) = arn {
                out.insert("ExecutionArn".into(), arn);
            }
            if let Some(d) = described.and_then(|d| d.get("StartDate")) {
                out.insert("StartDate".into(), d.clone());
            }
            Value::Object(out)
        }
        ("sqs", "sendMessage") => {
            let body = match param("MessageBody") {
                Some(Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
                None => String::new(),
            };
            serde_json::json!({"MD5OfMessageBody": md5_hex(body.as_bytes()), "MessageId": message_id()})
        }
        ("sns", "publish") => serde_json::json!({"MessageId": message_id()}),
        _ => match outcome {
            TaskOutcome::Succeeded(v) => v.clone(),
            _ => return None,
        },
    };
    Some(output)
}

fn md5_hex(bytes: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A version-4-shaped UUID derived from `seed`: the same mock run gives the same ids.
fn uuid_from(seed: &str) -> String {
    use md5::{Digest, Md5};
    let mut b: [u8; 16] = Md5::digest(seed.as_bytes()).into();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// The mock resolver for `test_case` of `state_machine_name` in the file at `path`, for
/// `stepline run --mock FILE --test-case NAME` and `StartExecution` with `arn#TestCase`.
pub fn mock_resolver_from_file(
    path: &Path,
    state_machine_name: &str,
    test_case: &str,
) -> Result<MockResolver, MockConfigError> {
    let config = MockConfig::load(path)?;
    MockResolver::new(&config, state_machine_name, test_case)
}

/// Splits a `StartExecution` state machine ARN carrying a test case, as Step Functions Local
/// accepts it: `arn:aws:states:us-east-1:123456789012:stateMachine:LambdaSQSIntegration#HappyPath`
/// → (the ARN without the suffix, `LambdaSQSIntegration`, `HappyPath`). `None` when there is no
/// `#` suffix (or it is empty): an ordinary execution.
pub fn split_test_case_arn(state_machine_arn: &str) -> Option<(&str, &str, &str)> {
    let (arn, test_case) = state_machine_arn.rsplit_once('#')?;
    if test_case.is_empty() {
        return None;
    }
    let name = arn.rsplit(':').next().unwrap_or(arn);
    Some((arn, name, test_case))
}

/// Where Step Functions Local looks for the mock configuration file: `$SFN_MOCK_CONFIG`, else
/// `MockConfigFile.json` in the working folder when it exists.
pub fn default_mock_config_path() -> Option<std::path::PathBuf> {
    if let Some(p) = std::env::var_os("SFN_MOCK_CONFIG").filter(|p| !p.is_empty()) {
        return Some(p.into());
    }
    let p = std::path::PathBuf::from("MockConfigFile.json");
    p.is_file().then_some(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Arc;

    fn invocation(resource: &str, parameters: Value) -> TaskInvocation {
        TaskInvocation {
            task: 1,
            resource: Arc::from(resource),
            parameters: Arc::new(parameters),
            timeout_seconds: None,
            heartbeat_seconds: None,
            task_token: None,
            role_arn: None,
            state_name: Arc::from("S"),
        }
    }

    #[test]
    fn submissions_take_the_services_shape() {
        let done = TaskOutcome::Succeeded(json!("done"));
        let sqs = invocation(
            "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            json!({"QueueUrl": "q", "MessageBody": "hello"}),
        );
        let out = submit_response(&sqs, &done, "seed").unwrap();
        // md5("hello")
        assert_eq!(out["MD5OfMessageBody"], "5d41402abc4b2a76b9719d911017c592");
        let id = out["MessageId"].as_str().unwrap();
        assert_eq!((id.len(), &id[14..15]), (36, "4"));
        assert_eq!(submit_response(&sqs, &done, "seed").unwrap(), out, "stable");
        assert_ne!(submit_response(&sqs, &done, "other").unwrap(), out);

        let sync = invocation(
            "arn:aws:states:::states:startExecution.sync:2",
            json!({"StateMachineArn": "arn:aws:states:us-east-1:1:stateMachine:Child", "Name": "n"}),
        );
        let described = TaskOutcome::Succeeded(
            json!({"ExecutionArn": "arn:x", "StartDate": 5, "Status": "SUCCEEDED"}),
        );
        assert_eq!(
            submit_response(&sync, &described, "s"),
            Some(json!({"ExecutionArn": "arn:x", "StartDate": 5}))
        );
        let failed = TaskOutcome::Failed {
            error: Some("E".into()),
            cause: None,
        };
        assert_eq!(
            submit_response(&sync, &failed, "s"),
            Some(json!({"ExecutionArn": "arn:aws:states:us-east-1:1:execution:Child:n"}))
        );
        // Request-response tasks submit nothing; an unknown service's failure neither.
        let plain = invocation("arn:aws:states:::sqs:sendMessage", json!({}));
        assert_eq!(submit_response(&plain, &done, "s"), None);
        let batch = invocation("arn:aws:states:::batch:submitJob.sync", json!({}));
        assert_eq!(submit_response(&batch, &failed, "s"), None);
        assert_eq!(submit_response(&batch, &done, "s"), Some(json!("done")));
    }

    #[test]
    fn test_case_arns() {
        assert_eq!(
            split_test_case_arn(
                "arn:aws:states:us-east-1:123456789012:stateMachine:LambdaSQSIntegration#HappyPath"
            ),
            Some((
                "arn:aws:states:us-east-1:123456789012:stateMachine:LambdaSQSIntegration",
                "LambdaSQSIntegration",
                "HappyPath"
            ))
        );
        assert_eq!(
            split_test_case_arn("arn:aws:states:us-east-1:1:stateMachine:M"),
            None
        );
        assert_eq!(
            split_test_case_arn("arn:aws:states:us-east-1:1:stateMachine:M#"),
            None
        );
    }
}
