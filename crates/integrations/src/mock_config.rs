//! Step Functions Local's mock configuration file (`MockConfigFile.json`, `SFN_MOCK_CONFIG`).
//!
//! ```json
//! { "StateMachines":   { "<machine>": { "TestCases": { "<case>": { "<TaskState>": "<response>" } } } },
//!   "MockedResponses": { "<response>": { "0": {"Return": ...}, "1-2": {"Throw": {"Error", "Cause"}} } } }
//! ```
//!
//! Loading checks the file's structure and fails with the location of the first problem. Like
//! Step Functions Local, a test case is resolved only when it is run, and a mocked response only
//! when its state is invoked: a test case naming a response that does not exist, or a response
//! with no entry for an invocation number, fails that execution with `States.Runtime` instead of
//! rejecting the whole file (generated files often carry unused or empty entries).
//!
//! Stepline extension: a state machine entry may carry `"Expectations": { "<case>": {"Input",
//! "Status", "Output", "Error", "Cause"} }` next to `TestCases`, read by `stepline test`. It sits
//! outside `TestCases` so that a file keeps loading in LocalStack, whose schema ignores unknown
//! fields at that level but requires every test case entry to map a state name to a string.

use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::Path;

/// Why a mock configuration file cannot be used.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum MockConfigError {
    #[error("Failed to open mock configuration file '{path}'. Error: {message}")]
    Io { path: String, message: String },
    #[error("Malformed JSON in mock configuration file: {0}")]
    Json(String),
    #[error("Mock configuration file error at '{location}': {message}")]
    Invalid { location: String, message: String },
    #[error("No definitions for state machine '{0}' in the mock configuration file.")]
    UnknownStateMachine(String),
    #[error("No definitions for test case '{test_case}' and state machine '{state_machine}' in the mock configuration file.")]
    UnknownTestCase {
        state_machine: String,
        test_case: String,
    },
}

fn invalid(location: impl Into<String>, message: impl Into<String>) -> MockConfigError {
    MockConfigError::Invalid {
        location: location.into(),
        message: message.into(),
    }
}

/// A whole mock configuration file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MockConfig {
    /// In file order.
    pub state_machines: Vec<StateMachineMocks>,
    pub mocked_responses: HashMap<String, MockedResponse>,
}

/// One entry of `StateMachines`.
#[derive(Debug, Clone, PartialEq)]
pub struct StateMachineMocks {
    pub name: String,
    /// In file order.
    pub test_cases: Vec<TestCase>,
    /// Stepline's `Expectations` extension, by test case name.
    pub expectations: HashMap<String, Expectation>,
}

/// One test case: which Task states are mocked, and with which mocked response.
#[derive(Debug, Clone, PartialEq)]
pub struct TestCase {
    pub name: String,
    /// State name to mocked response name, in file order.
    pub states: Vec<(String, String)>,
}

/// One entry of `MockedResponses`: what each invocation of a mocked state answers.
#[derive(Debug, Clone, PartialEq)]
pub struct MockedResponse {
    pub name: String,
    /// Sorted by `first`; ranges never overlap.
    pub steps: Vec<ResponseStep>,
}

/// The answer for the invocations `first..=last` (a key `"3"` or `"0-2"`).
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseStep {
    pub first: u64,
    pub last: u64,
    pub outcome: MockOutcome,
}

/// `Return` (any JSON value) or `Throw` (`Error` and `Cause`).
#[derive(Debug, Clone, PartialEq)]
pub enum MockOutcome {
    Return(Value),
    Throw { error: String, cause: String },
}

/// What `stepline test` checks for one test case (every field optional).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Expectation {
    /// The execution input (default `{}`).
    pub input: Option<Value>,
    /// `SUCCEEDED`, `FAILED`, `TIMED_OUT` or `ABORTED`.
    pub status: Option<String>,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub cause: Option<String>,
}

impl MockedResponse {
    /// The answer for invocation number `n` (0-based), if the file has one.
    pub fn at(&self, n: u64) -> Option<&MockOutcome> {
        self.steps
            .iter()
            .find(|s| s.first <= n && n <= s.last)
            .map(|s| &s.outcome)
    }

    /// Invocation numbers below the last defined one that have no answer.
    pub fn gaps(&self) -> Vec<(u64, u64)> {
        let mut gaps = Vec::new();
        let mut next = 0u64;
        for s in &self.steps {
            if s.first > next {
                gaps.push((next, s.first - 1));
            }
            next = s.last.saturating_add(1);
        }
        gaps
    }
}

impl MockConfig {
    /// Reads and checks a mock configuration file.
    pub fn load(path: &Path) -> Result<MockConfig, MockConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| MockConfigError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        MockConfig::parse(&text)
    }

    /// Parses and checks mock configuration JSON text.
    pub fn parse(text: &str) -> Result<MockConfig, MockConfigError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| MockConfigError::Json(e.to_string()))?;
        MockConfig::from_value(&value)
    }

    /// Checks an already parsed mock configuration.
    pub fn from_value(value: &Value) -> Result<MockConfig, MockConfigError> {
        let root = value
            .as_object()
            .ok_or_else(|| invalid("$", "the mock configuration must be a JSON object"))?;
        let machines = match root.get("StateMachines") {
            Some(v) => object(v, "StateMachines")?,
            None => return Err(invalid("StateMachines", "Field required")),
        };
        let responses = match root.get("MockedResponses") {
            Some(v) => object(v, "MockedResponses")?,
            None => return Err(invalid("MockedResponses", "Field required")),
        };
        let mut config = MockConfig::default();
        for (name, v) in machines {
            config.state_machines.push(parse_state_machine(name, v)?);
        }
        for (name, v) in responses {
            let r = parse_mocked_response(name, v)?;
            config.mocked_responses.insert(name.clone(), r);
        }
        Ok(config)
    }

    pub fn state_machine(&self, name: &str) -> Option<&StateMachineMocks> {
        self.state_machines.iter().find(|m| m.name == name)
    }

    /// The test case `test_case` of `state_machine`, as `StartExecution` with
    /// `stateMachineArn#test_case` resolves it.
    pub fn test_case(
        &self,
        state_machine: &str,
        test_case: &str,
    ) -> Result<&TestCase, MockConfigError> {
        let m = self
            .state_machine(state_machine)
            .ok_or_else(|| MockConfigError::UnknownStateMachine(state_machine.to_string()))?;
        m.test_cases
            .iter()
            .find(|t| t.name == test_case)
            .ok_or_else(|| MockConfigError::UnknownTestCase {
                state_machine: state_machine.to_string(),
                test_case: test_case.to_string(),
            })
    }

    /// Problems that do not stop loading but will fail an execution that reaches them:
    /// unknown response names, missing invocation numbers, empty responses.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for m in &self.state_machines {
            for t in &m.test_cases {
                for (state, response) in &t.states {
                    if !self.mocked_responses.contains_key(response) {
                        out.push(format!(
                            "StateMachines.{}.TestCases.{}.{}: no mocked response named '{}'",
                            m.name, t.name, state, response
                        ));
                    }
                }
            }
            for name in m.expectations.keys() {
                if !m.test_cases.iter().any(|t| &t.name == name) {
                    out.push(format!(
                        "StateMachines.{}.Expectations.{}: no test case of that name",
                        m.name, name
                    ));
                }
            }
        }
        let mut names: Vec<&String> = self.mocked_responses.keys().collect();
        names.sort();
        for name in names {
            let Some(r) = self.mocked_responses.get(name) else {
                continue;
            };
            if r.steps.is_empty() {
                out.push(format!("MockedResponses.{name}: defines no invocation"));
            }
            for (a, b) in r.gaps() {
                let which = if a == b {
                    format!("invocation {a}")
                } else {
                    format!("invocations {a}-{b}")
                };
                out.push(format!("MockedResponses.{name}: no response for {which}"));
            }
        }
        out
    }
}

fn object<'a>(v: &'a Value, location: &str) -> Result<&'a Map<String, Value>, MockConfigError> {
    v.as_object()
        .ok_or_else(|| invalid(location, format!("expected an object, got {}", kind(v))))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn parse_state_machine(name: &str, v: &Value) -> Result<StateMachineMocks, MockConfigError> {
    let loc = format!("StateMachines.{name}");
    let o = object(v, &loc)?;
    let cases_loc = format!("{loc}.TestCases");
    let cases = match o.get("TestCases") {
        Some(c) => object(c, &cases_loc)?,
        None => return Err(invalid(cases_loc, "Field required")),
    };
    let mut test_cases = Vec::new();
    for (case, states) in cases {
        let case_loc = format!("{cases_loc}.{case}");
        let mut mapped = Vec::new();
        for (state, response) in object(states, &case_loc)? {
            let Some(r) = response.as_str() else {
                return Err(invalid(
                    format!("{case_loc}.{state}"),
                    format!(
                        "expected the name of a mocked response (a string), got {}",
                        kind(response)
                    ),
                ));
            };
            mapped.push((state.clone(), r.to_string()));
        }
        test_cases.push(TestCase {
            name: case.clone(),
            states: mapped,
        });
    }
    let mut expectations = HashMap::new();
    if let Some(e) = o.get("Expectations") {
        let e_loc = format!("{loc}.Expectations");
        for (case, exp) in object(e, &e_loc)? {
            expectations.insert(
                case.clone(),
                parse_expectation(exp, &format!("{e_loc}.{case}"))?,
            );
        }
    }
    Ok(StateMachineMocks {
        name: name.to_string(),
        test_cases,
        expectations,
    })
}

const STATUSES: [&str; 4] = ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"];

fn parse_expectation(v: &Value, loc: &str) -> Result<Expectation, MockConfigError> {
    let o = object(v, loc)?;
    let mut e = Expectation::default();
    for (k, v) in o {
        match k.as_str() {
            "Input" => e.input = Some(v.clone()),
            "Output" => e.output = Some(v.clone()),
            "Status" => {
                let s = v.as_str().filter(|s| STATUSES.contains(s)).ok_or_else(|| {
                    invalid(
                        format!("{loc}.Status"),
                        "expected one of SUCCEEDED, FAILED, TIMED_OUT, ABORTED",
                    )
                })?;
                e.status = Some(s.to_string());
            }
            "Error" | "Cause" => {
                let s = v.as_str().ok_or_else(|| {
                    invalid(
                        format!("{loc}.{k}"),
                        format!("expected a string, got {}", kind(v)),
                    )
                })?;
                if k == "Error" {
                    e.error = Some(s.to_string());
                } else {
                    e.cause = Some(s.to_string());
                }
            }
            other => {
                return Err(invalid(
                    format!("{loc}.{other}"),
                    "unknown field (expected Input, Status, Output, Error or Cause)",
                ))
            }
        }
    }
    Ok(e)
}

/// `"3"` → (3, 3); `"0-2"` → (0, 2).
fn parse_range(key: &str, loc: &str) -> Result<(u64, u64), MockConfigError> {
    let number = |s: &str| -> Result<u64, MockConfigError> {
        let s = s.trim();
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(
                loc,
                format!("invalid invocation range '{key}': expected a non-negative integer (e.g. \"0\") or an inclusive range (e.g. \"1-2\")"),
            ));
        }
        s.parse::<u64>()
            .map_err(|_| invalid(loc, format!("invocation number '{s}' is too large")))
    };
    let mut parts = key.split('-');
    let (first, last) = match (parts.next(), parts.next(), parts.next()) {
        (Some(a), None, None) => {
            let n = number(a)?;
            (n, n)
        }
        (Some(a), Some(b), None) => (number(a)?, number(b)?),
        _ => {
            return Err(invalid(
                loc,
                format!("invalid invocation range '{key}': expected one integer (e.g. \"0\") or an inclusive range (e.g. \"1-2\")"),
            ))
        }
    };
    if last < first {
        return Err(invalid(
            loc,
            format!("invalid invocation range '{key}': the end is before the start"),
        ));
    }
    Ok((first, last))
}

fn parse_mocked_response(name: &str, v: &Value) -> Result<MockedResponse, MockConfigError> {
    let loc = format!("MockedResponses.{name}");
    let mut steps: Vec<ResponseStep> = Vec::new();
    for (key, step) in object(v, &loc)? {
        let step_loc = format!("{loc}.\"{key}\"");
        let (first, last) = parse_range(key, &step_loc)?;
        let o = object(step, &step_loc)?;
        let outcome = match (o.get("Return"), o.get("Throw")) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    step_loc,
                    "Response cannot contain both 'Return' and 'Throw'",
                ))
            }
            (None, None) => {
                return Err(invalid(
                    step_loc,
                    "Response must contain one of 'Return' or 'Throw'",
                ))
            }
            (Some(r), None) => MockOutcome::Return(r.clone()),
            (None, Some(t)) => {
                let t_loc = format!("{step_loc}.Throw");
                let t = object(t, &t_loc)?;
                let field = |f: &str| -> Result<String, MockConfigError> {
                    match t.get(f) {
                        Some(Value::String(s)) => Ok(s.clone()),
                        Some(other) => Err(invalid(
                            format!("{t_loc}.{f}"),
                            format!("expected a string, got {}", kind(other)),
                        )),
                        None => Err(invalid(format!("{t_loc}.{f}"), "Field required")),
                    }
                };
                MockOutcome::Throw {
                    error: field("Error")?,
                    cause: field("Cause")?,
                }
            }
        };
        if let Some(other) = o.keys().find(|k| *k != "Return" && *k != "Throw") {
            return Err(invalid(
                format!("{step_loc}.{other}"),
                "unknown field (a response holds exactly one of 'Return' or 'Throw')",
            ));
        }
        if let Some(s) = steps.iter().find(|s| s.first <= last && first <= s.last) {
            return Err(invalid(
                step_loc,
                format!(
                    "invocation range '{key}' overlaps the range {}",
                    if s.first == s.last {
                        format!("'{}'", s.first)
                    } else {
                        format!("'{}-{}'", s.first, s.last)
                    }
                ),
            ));
        }
        steps.push(ResponseStep {
            first,
            last,
            outcome,
        });
    }
    steps.sort_by_key(|s| s.first);
    Ok(MockedResponse {
        name: name.to_string(),
        steps,
    })
}
