//! `TestState`: one state evaluated on its own, with AWS's `status` (SUCCEEDED, FAILED,
//! RETRIABLE, CAUGHT_ERROR), `nextState` and `inspectionData`.
//!
//! The state runs through the same data-flow steps as in an execution (`crate::dataflow`,
//! `crate::jsonata_flow`), inside an [`Execution`] that holds only this state. A Task's result
//! comes from the request's `mock` or from the host's [`TaskResolver`]; a Map or Parallel
//! state's result can only come from a mock, as on AWS. Retry and Catch are not run: the
//! response says what would happen (`RETRIABLE` with the backoff, `CAUGHT_ERROR` with the
//! catcher's output), with `stateConfiguration.retrierRetryCount` standing for the retries
//! already made.

use crate::api::{Entropy, ExecutionContext, TaskInvocation};
use crate::error_handling::{error_equals_matches, retry_delay_millis, STATES_RUNTIME};
use crate::execution::{Block, ContextExtra, Execution, Thread, ThreadId};
use crate::expr::{EvalFail, JsonataFailure};
use crate::jsonata_flow::StatesVar;
use crate::program::{Body, CState, Cond, MapSpec, Program, StateIdx, Transition};
use crate::resolver::{TaskOutcome, TaskResolver};
use crate::vars::Vars;
use asl::error::StatesError;
use asl::model::StateMachine;
use serde_json::{Map, Value};
use std::sync::Arc;

/// `inspectionLevel`: how much of the data flow the response shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InspectionLevel {
    /// Only the outcome.
    #[default]
    Info,
    /// The outcome and each data-flow step.
    Debug,
    /// As DEBUG, plus an HTTP Task's request and response.
    Trace,
}

impl InspectionLevel {
    pub fn from_name(name: &str) -> Option<InspectionLevel> {
        match name {
            "INFO" => Some(InspectionLevel::Info),
            "DEBUG" => Some(InspectionLevel::Debug),
            "TRACE" => Some(InspectionLevel::Trace),
            _ => None,
        }
    }
}

/// `status` of a TestState response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestStateStatus {
    Succeeded,
    Failed,
    /// The state failed and a retrier would retry it.
    Retriable,
    /// The state failed and a catcher took the error.
    CaughtError,
}

impl TestStateStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TestStateStatus::Succeeded => "SUCCEEDED",
            TestStateStatus::Failed => "FAILED",
            TestStateStatus::Retriable => "RETRIABLE",
            TestStateStatus::CaughtError => "CAUGHT_ERROR",
        }
    }
}

/// `mock`: what the Task (or the whole Map/Parallel) returns instead of running.
#[derive(Debug, Clone, PartialEq)]
pub enum TestStateMock {
    /// `mock.result`, parsed.
    Result(Value),
    /// `mock.errorOutput`.
    Error {
        error: Option<String>,
        cause: Option<String>,
    },
}

/// `stateConfiguration`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StateConfiguration {
    /// Retries already made: picks RETRIABLE or FAILED and the backoff.
    pub retrier_retry_count: Option<u64>,
    /// The ItemProcessor state the mocked Map error stands for.
    pub error_caused_by_state: Option<String>,
    /// How many Map iterations failed, against `ToleratedFailure*`.
    pub map_iteration_failure_count: Option<u64>,
    /// The items an `ItemReader` would have read, parsed.
    pub map_item_reader_data: Option<Value>,
}

/// A TestState request, its definition already parsed
/// (`asl::parse::parse_test_state_definition`).
#[derive(Debug, Clone)]
pub struct TestStateRequest {
    pub machine: StateMachine,
    /// The state to test (`stateName`, or the lone state's name).
    pub state_name: String,
    pub input: Value,
    /// `variables`: the workflow variables the state sees.
    pub variables: Map<String, Value>,
    /// `context`: the Context object, as given (validated here).
    pub context: Option<Value>,
    pub mock: Option<TestStateMock>,
    pub state_configuration: StateConfiguration,
    pub inspection_level: InspectionLevel,
    /// `revealSecrets`: only HTTP Task requests/responses hold secrets; kept for them.
    pub reveal_secrets: bool,
    /// Names, ARNs, role and time of the default Context object (`roleArn` empty: null).
    pub execution: ExecutionContext,
}

/// Why the request is refused: the API error and its message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TestStateError {
    #[error("{0}")]
    InvalidDefinition(String),
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    InvalidExecutionInput(String),
    /// A member of the wrong JSON type (`SerializationException`).
    #[error("{0}")]
    Serialization(String),
}

impl TestStateError {
    /// The API error name (`__type`).
    pub fn kind(&self) -> &'static str {
        match self {
            TestStateError::InvalidDefinition(_) => "InvalidDefinition",
            TestStateError::Validation(_) => "ValidationException",
            TestStateError::InvalidExecutionInput(_) => "InvalidExecutionInput",
            TestStateError::Serialization(_) => "SerializationException",
        }
    }
}

fn constraint(value: Option<&str>, field: &str, constraint: &str) -> TestStateError {
    let value = match value {
        Some(v) => format!("Value '{v}'"),
        None => "Value null".to_string(),
    };
    TestStateError::Validation(format!(
        "1 validation error detected: {value} at '{field}' failed to satisfy constraint: {constraint}"
    ))
}

fn wrong_type(field: &str, expected: &str) -> TestStateError {
    TestStateError::Serialization(format!(
        "Start of structure or map found where not expected, or wrong type for '{field}': expected {expected}"
    ))
}

fn str_member<'a>(
    m: &'a Map<String, Value>,
    field: &str,
) -> Result<Option<&'a str>, TestStateError> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(wrong_type(field, "a string")),
    }
}

fn obj_member<'a>(
    m: &'a Map<String, Value>,
    field: &str,
) -> Result<Option<&'a Map<String, Value>>, TestStateError> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(_) => Err(wrong_type(field, "a structure")),
    }
}

fn count_member(m: &Map<String, Value>, field: &str) -> Result<Option<u64>, TestStateError> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(v) if v >= 0 => Ok(Some(v as u64)),
            Some(v) => Err(constraint(
                Some(&v.to_string()),
                &format!("stateConfiguration.{field}"),
                "Member must have value greater than or equal to 0",
            )),
            None => Err(wrong_type(field, "an integer")),
        },
        Some(_) => Err(wrong_type(field, "an integer")),
    }
}

/// Parses a TestState request body (AWS JSON 1.0) into a [`TestStateRequest`], with AWS's
/// validation errors. `execution` names the default Context object's execution; its
/// `role_arn` is replaced by the request's `roleArn` (empty when absent).
pub fn parse_request(
    body: &Map<String, Value>,
    mut execution: ExecutionContext,
) -> Result<TestStateRequest, TestStateError> {
    let definition = str_member(body, "definition")?
        .ok_or_else(|| constraint(None, "definition", "Member must not be null"))?;
    if let Some(m) = asl::validate::definition_length_error(definition) {
        return Err(TestStateError::Validation(m));
    }
    let state_name = str_member(body, "stateName")?;
    if let Some(n) = state_name {
        if n.is_empty() || n.chars().count() > 80 {
            let c = if n.is_empty() {
                "Member must have length greater than or equal to 1"
            } else {
                "Member must have length less than or equal to 80"
            };
            return Err(constraint(Some(n), "stateName", c));
        }
    }
    let inspection_level = match str_member(body, "inspectionLevel")? {
        None => InspectionLevel::Info,
        Some(l) => InspectionLevel::from_name(l).ok_or_else(|| {
            constraint(
                Some(l),
                "inspectionLevel",
                "Member must satisfy enum value set: [INFO, DEBUG, TRACE]",
            )
        })?,
    };
    let reveal_secrets = match body.get("revealSecrets") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(wrong_type("revealSecrets", "a boolean")),
    };
    execution.role_arn = str_member(body, "roleArn")?.unwrap_or_default().to_string();
    let input = match str_member(body, "input")? {
        None => Value::Object(Map::new()),
        Some(t) => serde_json::from_str(t).map_err(|e| {
            TestStateError::InvalidExecutionInput(format!(
                "Invalid State Machine Execution Input: '{e}'"
            ))
        })?,
    };
    let variables = match str_member(body, "variables")? {
        None => Map::new(),
        Some(t) => match serde_json::from_str::<Value>(t) {
            Ok(Value::Object(m)) => m,
            _ => {
                return Err(TestStateError::Validation(
                    "Variables must be a valid JSON object".into(),
                ))
            }
        },
    };
    let context = match str_member(body, "context")? {
        None => None,
        Some(t) => Some(serde_json::from_str::<Value>(t).map_err(|e| {
            TestStateError::Validation(format!("Invalid Context object provided: {e}"))
        })?),
    };
    let mock = match obj_member(body, "mock")? {
        None => None,
        Some(m) => {
            if let Some(mode) = str_member(m, "fieldValidationMode")? {
                if !matches!(mode, "STRICT" | "PRESENT" | "NONE") {
                    return Err(constraint(
                        Some(mode),
                        "mock.fieldValidationMode",
                        "Member must satisfy enum value set: [STRICT, PRESENT, NONE]",
                    ));
                }
            }
            let result = str_member(m, "result")?;
            let error = obj_member(m, "errorOutput")?;
            match (result, error) {
                (Some(_), Some(_)) => {
                    return Err(TestStateError::Validation(
                        "A test mock should have only one of the following fields: [result, errorOutput].".into(),
                    ))
                }
                (Some(r), None) => Some(TestStateMock::Result(
                    serde_json::from_str(r).map_err(|_| {
                        TestStateError::Validation("Mocked result must be valid JSON".into())
                    })?,
                )),
                (None, Some(e)) => Some(TestStateMock::Error {
                    error: str_member(e, "error")?.map(str::to_string),
                    cause: str_member(e, "cause")?.map(str::to_string),
                }),
                (None, None) => None,
            }
        }
    };
    let state_configuration = match obj_member(body, "stateConfiguration")? {
        None => StateConfiguration::default(),
        Some(c) => StateConfiguration {
            retrier_retry_count: count_member(c, "retrierRetryCount")?,
            error_caused_by_state: str_member(c, "errorCausedByState")?.map(str::to_string),
            map_iteration_failure_count: count_member(c, "mapIterationFailureCount")?,
            map_item_reader_data: match str_member(c, "mapItemReaderData")? {
                None => None,
                Some(t) => Some(serde_json::from_str(t).map_err(|_| {
                    TestStateError::Validation("Map item reader data must be valid JSON".into())
                })?),
            },
        },
    };
    let opts = asl::validate::ValidateOptions::default();
    let (mut machine, state_name) = asl::parse::parse_test_state_definition(
        definition, state_name, &opts,
    )
    .map_err(|e| match e {
        asl::parse::TestStateDefinitionError::InvalidDefinition(d) => {
            TestStateError::InvalidDefinition(d.message)
        }
        asl::parse::TestStateDefinitionError::StateNotFound => {
            TestStateError::Validation("State not found in definition".into())
        }
    })?;
    add_missing_targets(&mut machine, definition, &opts);
    Ok(TestStateRequest {
        machine,
        state_name,
        input,
        variables,
        context,
        mock,
        state_configuration,
        inspection_level,
        reveal_secrets,
        execution,
    })
}

/// The TestState response.
#[derive(Debug, Clone, PartialEq)]
pub struct TestStateResult {
    pub status: TestStateStatus,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub next_state: Option<String>,
    /// `inspectionData` in AWS's shape (payloads as JSON text); `None` at INFO.
    pub inspection_data: Option<Map<String, Value>>,
}

impl TestStateResult {
    /// The response body as AWS sends it (`output` as JSON text).
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        if let Some(o) = &self.output {
            out.insert("output".into(), Value::String(o.to_string()));
        }
        if let Some(e) = &self.error {
            out.insert("error".into(), Value::String(e.clone()));
        }
        if let Some(c) = &self.cause {
            out.insert("cause".into(), Value::String(c.clone()));
        }
        if let Some(d) = &self.inspection_data {
            out.insert("inspectionData".into(), Value::Object(d.clone()));
        }
        if let Some(n) = &self.next_state {
            out.insert("nextState".into(), Value::String(n.clone()));
        }
        out.insert("status".into(), Value::String(self.status.as_str().into()));
        Value::Object(out)
    }
}

const MAP_OR_PARALLEL_NEEDS_MOCK: &str = "TestState API does not support Map or Parallel states. Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]";
const THRESHOLD_ERROR: &str = "States.ExceedToleratedFailureThreshold";
const THRESHOLD_CAUSE: &str = "The specified tolerated failure threshold was exceeded";

/// A lone state's `Next`, `Default` and catcher targets name states that are not there: each
/// gets a `Succeed` stand-in so the state compiles; TestState only reports the name.
fn add_missing_targets(
    machine: &mut StateMachine,
    definition: &str,
    opts: &asl::validate::ValidateOptions,
) {
    let Ok(value) = serde_json::from_str::<Value>(definition) else {
        return;
    };
    if value.get("States").is_some() {
        return;
    }
    let mut targets: Vec<&str> = Vec::new();
    for key in ["Next", "Default"] {
        targets.extend(value.get(key).and_then(Value::as_str));
    }
    for list in ["Choices", "Catch"] {
        if let Some(items) = value.get(list).and_then(Value::as_array) {
            targets.extend(items.iter().filter_map(|i| i.get("Next")?.as_str()));
        }
    }
    let mut states: Vec<asl::model::State> = machine.root.states.iter().cloned().collect();
    for t in targets {
        if states.iter().any(|s| s.name == t) {
            continue;
        }
        let mut stub_states = Map::new();
        let mut stub = Map::new();
        stub.insert("Type".into(), Value::String("Succeed".into()));
        stub_states.insert(t.to_string(), Value::Object(stub));
        let mut root = Map::new();
        root.insert("StartAt".into(), Value::String(t.to_string()));
        root.insert("States".into(), Value::Object(stub_states));
        let text = Value::Object(root).to_string();
        if let Ok(m) = asl::parse::parse_definition_with(&text, opts) {
            states.extend(m.root.states.get(t).cloned());
        }
    }
    machine.root.states = asl::model::States::new(states);
}

/// Runs TestState. Unmocked Tasks are performed by `resolver`.
pub fn test_state(
    req: &TestStateRequest,
    resolver: &mut dyn TaskResolver,
    entropy: Box<dyn Entropy>,
) -> Result<TestStateResult, TestStateError> {
    let program =
        Program::compile(&req.machine).map_err(|e| TestStateError::InvalidDefinition(e.message))?;
    let program = Arc::new(program);
    let at = program
        .scopes
        .iter()
        .enumerate()
        .find_map(|(s, scope)| {
            scope
                .states
                .iter()
                .position(|st| *st.name == *req.state_name)
                .map(|i| (s, i))
        })
        .ok_or_else(|| TestStateError::Validation("State not found in definition".into()))?;
    let state = program
        .scopes
        .get(at.0)
        .and_then(|s| s.states.get(at.1))
        .ok_or_else(|| TestStateError::Validation("State not found in definition".into()))?;
    check_mock(req, state)?;
    if let Some(c) = &req.context {
        check_context(c, state)?;
    }
    let context = match &req.context {
        Some(c) => c.clone(),
        None => default_context(req, state),
    };
    let mut vars = Vars::default();
    for (k, v) in &req.variables {
        let size = crate::execution::payload_size(v);
        vars.assign(k.clone(), v.clone(), size);
    }
    let input = Arc::new(req.input.clone());
    let mut ex = Execution::idle(
        Arc::clone(&program),
        req.execution.clone(),
        entropy,
        Arc::clone(&input),
        1,
    );
    ex.set_record_history(false);
    ex.context_override = Some(context);
    let now = req.execution.start_time;
    let id = ex.spawn(Thread {
        scope: at.0,
        parent: None,
        state: at.1,
        input: Arc::clone(&input),
        source: 0,
        last: 0,
        entered_id: 0,
        entered_prev: 0,
        entered_time: now,
        attempts: Vec::new(),
        retry_count: 0,
        resume: false,
        vars,
        block: Block::Ready,
        fanout: None,
        iteration: None,
        map_name: None,
        pending: None,
        silent: true,
    });
    let mut run = Run {
        ex,
        id,
        req,
        program: &program,
        scope: at.0,
        insp: Map::new(),
        assigned: None,
    };
    let mut result = run.state(state, input, resolver)?;
    if req.inspection_level != InspectionLevel::Info {
        let mut vars = req.variables.clone();
        if let Some(a) = run.assigned.take() {
            vars.extend(a);
        }
        if !vars.is_empty() {
            run.insp
                .insert("variables".into(), text(&Value::Object(vars)));
        }
        result.inspection_data = Some(run.insp);
    }
    Ok(result)
}

/// Which states take a mock, and the shape a Map's or Parallel's mocked result must have.
fn check_mock(req: &TestStateRequest, state: &CState) -> Result<(), TestStateError> {
    let kind = match &state.body {
        Body::Pass { .. } => Some("Pass"),
        Body::Succeed => Some("Succeed"),
        Body::Fail { .. } => Some("Fail"),
        Body::Choice { .. } => Some("Choice"),
        Body::Wait(_) => Some("Wait"),
        _ => None,
    };
    match (&req.mock, kind) {
        (Some(_), Some(kind)) => {
            return Err(TestStateError::Validation(format!(
                "State type '{kind}' is not supported when a mock is specified"
            )))
        }
        (None, None) => match &state.body {
            Body::Map(_) | Body::Parallel { .. } => {
                return Err(TestStateError::InvalidDefinition(
                    MAP_OR_PARALLEL_NEEDS_MOCK.into(),
                ))
            }
            Body::Task(spec) => {
                let r = &*spec.resource;
                if r.contains(".sync")
                    || r.contains(".waitForTaskToken")
                    || r.contains(":activity:")
                {
                    return Err(TestStateError::Validation(
                        "TestState API does not support Activity tasks, .sync or .waitForTaskToken service integration patterns unless a mock is specified".into(),
                    ));
                }
            }
            _ => {}
        },
        _ => {}
    }
    if let (Some(TestStateMock::Result(v)), Body::Map(_)) = (&req.mock, &state.body) {
        let writer = req
            .machine
            .find_state(&req.state_name)
            .is_some_and(|(s, _)| match &s.kind {
                asl::model::StateKind::Map(m) => m.result_writer.is_some(),
                _ => false,
            });
        if writer && !v.is_object() {
            return Err(TestStateError::Validation(
                "Mocked result must be a JSON object.".into(),
            ));
        }
        if !writer && !v.is_array() {
            return Err(TestStateError::Validation(
                "Mocked result must be an array.".into(),
            ));
        }
    }
    if let (Some(TestStateMock::Result(v)), Body::Parallel { .. }) = (&req.mock, &state.body) {
        if !v.is_array() {
            return Err(TestStateError::Validation(
                "Mocked result must be an array.".into(),
            ));
        }
    }
    Ok(())
}

/// AWS's checks on a given Context object.
fn check_context(c: &Value, state: &CState) -> Result<(), TestStateError> {
    let bad =
        |m: String| TestStateError::Validation(format!("Invalid Context object provided: {m}"));
    let Value::Object(root) = c else {
        return Err(bad("Context object must be a JSON object".into()));
    };
    let allowed: &[(&str, &[&str])] = &[
        (
            "Execution",
            &[
                "Id",
                "Input",
                "Name",
                "RoleArn",
                "StartTime",
                "RedriveCount",
                "RedriveTime",
            ],
        ),
        ("State", &["EnteredTime", "Name", "RetryCount"]),
        ("StateMachine", &["Id", "Name"]),
        ("Task", &["Token"]),
    ];
    for (k, v) in root {
        if k == "Map" {
            return Err(bad(
                "'Map' field is not supported when mocking a Context object".into(),
            ));
        }
        let Some((_, fields)) = allowed.iter().find(|(name, _)| name == k) else {
            return Err(bad(format!("Field '{k}' is not allowed")));
        };
        if let Value::Object(m) = v {
            for (f, fv) in m {
                if !fields.contains(&f.as_str()) {
                    return Err(bad(format!("Field '{f}' is not allowed")));
                }
                let must_be_string = !matches!(f.as_str(), "Input" | "RetryCount" | "RedriveCount");
                if must_be_string && !fv.is_string() {
                    return Err(bad(format!("{k}.{f} must be a string")));
                }
            }
        }
    }
    if root.contains_key("Task") {
        let waits = match &state.body {
            Body::Task(spec) => {
                spec.resource.contains(".sync") || spec.resource.contains(".waitForTaskToken")
            }
            _ => false,
        };
        if !waits {
            return Err(bad("Context object contains 'Task' when state is not a Task state with a '.sync' or '.waitForTaskToken' service integration pattern".into()));
        }
    }
    Ok(())
}

/// The Context object AWS builds when the request gives none: an Express-like execution,
/// the state named `StateName`.
fn default_context(req: &TestStateRequest, state: &CState) -> Value {
    let ctx = &req.execution;
    let start = Value::String(ctx.start_time.to_iso8601());
    let role = if ctx.role_arn.is_empty() {
        Value::Null
    } else {
        Value::String(ctx.role_arn.clone())
    };
    let mut execution = Map::new();
    execution.insert("Id".into(), Value::String(ctx.execution_arn.clone()));
    execution.insert("Input".into(), req.input.clone());
    execution.insert("Name".into(), Value::String(ctx.name.clone()));
    execution.insert("RoleArn".into(), role);
    execution.insert("StartTime".into(), start.clone());
    let mut sm = Map::new();
    sm.insert("Id".into(), Value::String(ctx.state_machine_arn.clone()));
    sm.insert("Name".into(), Value::String(ctx.state_machine_name.clone()));
    let mut st = Map::new();
    st.insert(
        "Name".into(),
        Value::String(asl::parse::TEST_STATE_NAME.into()),
    );
    st.insert("EnteredTime".into(), start);
    if matches!(
        state.body,
        Body::Task(_) | Body::Parallel { .. } | Body::Map(_)
    ) {
        st.insert(
            "RetryCount".into(),
            Value::from(req.state_configuration.retrier_retry_count.unwrap_or(0)),
        );
    }
    let mut root = Map::new();
    root.insert("Execution".into(), Value::Object(execution));
    root.insert("StateMachine".into(), Value::Object(sm));
    root.insert("State".into(), Value::Object(st));
    Value::Object(root)
}

/// A payload in `inspectionData`: JSON text.
fn text(v: &Value) -> Value {
    Value::String(v.to_string())
}

/// The error a state ended with, before Retry/Catch.
struct Failure {
    error: Option<String>,
    cause: Option<String>,
}

impl From<StatesError> for Failure {
    fn from(e: StatesError) -> Self {
        Failure {
            error: Some(e.error),
            cause: Some(e.cause),
        }
    }
}

impl From<JsonataFailure> for Failure {
    fn from(f: JsonataFailure) -> Self {
        Failure {
            error: Some(crate::jsonata_flow::QUERY_EVALUATION_ERROR.into()),
            cause: Some(f.detail),
        }
    }
}

impl From<EvalFail> for Failure {
    fn from(e: EvalFail) -> Self {
        match e {
            EvalFail::States(e) => e.into(),
            EvalFail::Jsonata(f) => f.into(),
        }
    }
}

/// What the state's work produced before the result steps.
enum Work {
    Result(Arc<Value>),
    Failed(Failure),
}

struct Run<'a> {
    ex: Execution,
    id: ThreadId,
    req: &'a TestStateRequest,
    program: &'a Program,
    scope: usize,
    insp: Map<String, Value>,
    /// Variables the state's (or catcher's) `Assign` set.
    assigned: Option<Map<String, Value>>,
}

impl Run<'_> {
    fn note(&mut self, key: &str, v: &Value) {
        self.insp.insert(key.into(), text(v));
    }

    fn name_of(&self, idx: StateIdx) -> Option<String> {
        self.program
            .scopes
            .get(self.scope)
            .and_then(|s| s.states.get(idx))
            .map(|s| s.name.to_string())
    }

    fn next_of(&self, state: &CState) -> Option<String> {
        match state.transition {
            Transition::Next(n) => self.name_of(n),
            Transition::End => None,
        }
    }

    fn succeeded(&self, output: Value, next: Option<String>) -> TestStateResult {
        TestStateResult {
            status: TestStateStatus::Succeeded,
            output: Some(output),
            error: None,
            cause: None,
            next_state: next,
            inspection_data: None,
        }
    }

    fn failed(&self, f: Failure) -> TestStateResult {
        TestStateResult {
            status: TestStateStatus::Failed,
            output: None,
            error: f.error,
            cause: f.cause,
            next_state: None,
            inspection_data: None,
        }
    }

    fn state(
        &mut self,
        state: &CState,
        raw: Arc<Value>,
        resolver: &mut dyn TaskResolver,
    ) -> Result<TestStateResult, TestStateError> {
        self.note("input", &raw);
        Ok(match &state.body {
            Body::Pass { result } => self.pass(state, raw, result.as_ref()),
            Body::Succeed | Body::Wait(_) => self.passthrough(state, raw),
            Body::Fail { error, cause } => self.fail(state, raw, error, cause),
            Body::Choice { rules, default } => self.choice(state, raw, rules, *default),
            Body::Task(_) => self.task(state, raw, resolver),
            Body::Parallel { .. } => self.parallel(state, raw),
            Body::Map(spec) => self.map(state, raw, spec)?,
        })
    }

    /// A JSONata state's end: `Assign` and `Output` over `$states`.
    fn jsonata_end(
        &mut self,
        state: &CState,
        sv: StatesVar<'_>,
        default_output: &Value,
    ) -> Result<Value, Failure> {
        let assigned = self.ex.jeval_assign(self.id, state.assign.as_ref(), sv)?;
        if let Some(m) = &assigned {
            self.ex.check_assign_limits(self.id, m)?;
        }
        let output = match &state.output {
            Some(t) => self.ex.jeval(self.id, t, sv)?,
            None => default_output.clone(),
        };
        self.assigned = assigned;
        Ok(output)
    }

    fn pass(
        &mut self,
        state: &CState,
        raw: Arc<Value>,
        result: Option<&Arc<Value>>,
    ) -> TestStateResult {
        let next = self.next_of(state);
        if state.jsonata {
            return match self.jsonata_end(state, StatesVar::input(&raw), &raw) {
                Ok(out) => self.succeeded(out, next),
                Err(f) => self.failed(f),
            };
        }
        let id = self.id;
        let outcome = (|| -> Result<Arc<Value>, StatesError> {
            let after_input = self.ex.apply_input_path(id, &state.input_path, &raw)?;
            let effective = self.ex.apply_parameters(
                id,
                state.parameters.as_ref(),
                Arc::clone(&after_input),
                ContextExtra::default(),
            )?;
            // AWS shows either the input steps or the fixed `Result`, never both.
            let result = match result {
                Some(r) => {
                    self.insp.insert("result".into(), text(r));
                    Arc::clone(r)
                }
                None => {
                    self.insp
                        .insert("afterInputPath".into(), text(&after_input));
                    self.insp.insert("afterParameters".into(), text(&effective));
                    effective
                }
            };
            self.insp
                .insert("afterResultSelector".into(), text(&result));
            let assign = self.ex.eval_assign(id, state.assign.as_ref(), &result)?;
            let output = self
                .ex
                .apply_result_path(&state.result_path, &raw, result)?;
            self.insp.insert("afterResultPath".into(), text(&output));
            let output = self.ex.apply_output_path(id, &state.output_path, &output)?;
            self.assigned = assign;
            Ok(output)
        })();
        match outcome {
            Ok(out) => self.succeeded((*out).clone(), next),
            Err(e) => self.failed(e.into()),
        }
    }

    /// Succeed and Wait: the input filtered (a Wait's time is checked, not waited for).
    fn passthrough(&mut self, state: &CState, raw: Arc<Value>) -> TestStateResult {
        let next = self.next_of(state);
        let id = self.id;
        if state.jsonata {
            if let Body::Wait(spec) = &state.body {
                if let Err(e) = self.ex.wait_until(id, spec, &raw) {
                    return self.failed(e.into());
                }
            }
            return match self.jsonata_end(state, StatesVar::input(&raw), &raw) {
                Ok(out) => self.succeeded(out, next),
                Err(f) => self.failed(f),
            };
        }
        let outcome = (|| -> Result<Arc<Value>, Failure> {
            let effective = self.ex.apply_input_path(id, &state.input_path, &raw)?;
            self.note("afterInputPath", &effective);
            if let Body::Wait(spec) = &state.body {
                self.ex.wait_until(id, spec, &effective)?;
            }
            let assign = self.ex.eval_assign(id, state.assign.as_ref(), &effective)?;
            let output = self
                .ex
                .apply_output_path(id, &state.output_path, &effective)?;
            self.assigned = assign;
            Ok(output)
        })();
        match outcome {
            Ok(out) => self.succeeded((*out).clone(), next),
            Err(f) => self.failed(f),
        }
    }

    fn fail(
        &mut self,
        state: &CState,
        raw: Arc<Value>,
        error: &crate::program::FailField,
        cause: &crate::program::FailField,
    ) -> TestStateResult {
        use crate::program::FailField;
        let id = self.id;
        if state.jsonata {
            let mut out = [None, None];
            for (field, slot) in [error, cause].into_iter().zip(out.iter_mut()) {
                *slot = match field {
                    FailField::Jsonata(t) => match self.ex.jeval(id, t, StatesVar::input(&raw)) {
                        Ok(Value::String(s)) => Some(s),
                        Ok(other) => Some(other.to_string()),
                        Err(f) => return self.failed(f.into()),
                    },
                    FailField::Literal(s) => Some(s.clone()),
                    _ => None,
                };
            }
            let [error, cause] = out;
            return self.failed(Failure { error, cause });
        }
        self.note("afterInputPath", &raw);
        let outcome = (|| {
            Ok::<_, StatesError>(Failure {
                error: self.ex.fail_field(id, &raw, error, "ErrorPath")?,
                cause: self.ex.fail_field(id, &raw, cause, "CausePath")?,
            })
        })();
        match outcome {
            Ok(f) => self.failed(f),
            Err(e) => self.failed(e.into()),
        }
    }

    fn choice(
        &mut self,
        state: &CState,
        raw: Arc<Value>,
        rules: &[crate::program::CRule],
        default: Option<StateIdx>,
    ) -> TestStateResult {
        let id = self.id;
        let no_match = || Failure {
            error: Some(asl::error::STATES_NO_CHOICE_MATCHED.into()),
            cause: Some(format!(
                "No Choice Rules matched and no Default was specified for the state '{}'",
                state.name
            )),
        };
        if state.jsonata {
            let sv = StatesVar::input(&raw);
            let mut chosen = None;
            for rule in rules {
                let Cond::Jsonata(t) = &rule.cond else {
                    continue;
                };
                match self.ex.jeval(id, t, sv) {
                    Ok(Value::Bool(true)) => {
                        chosen = Some(rule);
                        break;
                    }
                    Ok(Value::Bool(false)) => {}
                    Ok(v) => {
                        let (src, location) = t.describe().unwrap_or(("", "Condition"));
                        return self.failed(Failure {
                            error: Some(crate::jsonata_flow::QUERY_EVALUATION_ERROR.into()),
                            cause: Some(format!(
                                "The JSONata expression '{src}' specified for the field '{location}' returned an unexpected result type. Expected 'boolean', but was '{}' for value: {}",
                                crate::expr::jsonata_type_name(&v),
                                v
                            )),
                        });
                    }
                    Err(f) => return self.failed(f.into()),
                }
            }
            let (next, output, assign) = match chosen {
                Some(rule) => (
                    rule.next,
                    rule.output.as_ref().or(state.output.as_ref()),
                    rule.assign.as_ref().or(state.assign.as_ref()),
                ),
                None => match default {
                    Some(d) => (d, state.output.as_ref(), state.assign.as_ref()),
                    None => return self.failed(no_match()),
                },
            };
            let outcome = (|| -> Result<Value, Failure> {
                let assigned = self.ex.jeval_assign(id, assign, sv)?;
                let out = match output {
                    Some(t) => self.ex.jeval(id, t, sv)?,
                    None => (*raw).clone(),
                };
                self.assigned = assigned;
                Ok(out)
            })();
            let next = self.name_of(next);
            return match outcome {
                Ok(out) => self.succeeded(out, next),
                Err(f) => self.failed(f),
            };
        }
        let outcome = (|| -> Result<(Arc<Value>, StateIdx), Failure> {
            let effective = self.ex.apply_input_path(id, &state.input_path, &raw)?;
            self.note("afterInputPath", &effective);
            let mut chosen = None;
            for rule in rules {
                let Cond::Path(cond) = &rule.cond else {
                    continue;
                };
                let hit = self.ex.eval(
                    id,
                    &effective,
                    cond.needs_context(),
                    ContextExtra::default(),
                    |s| cond.evaluate(s),
                )?;
                if hit {
                    chosen = Some(rule);
                    break;
                }
            }
            let (next, assign) = match chosen {
                Some(rule) => (rule.next, rule.assign.as_ref().or(state.assign.as_ref())),
                None => match default {
                    Some(d) => (d, state.assign.as_ref()),
                    None => return Err(no_match()),
                },
            };
            let assign = self.ex.eval_assign(id, assign, &effective)?;
            let output = self
                .ex
                .apply_output_path(id, &state.output_path, &effective)?;
            self.assigned = assign;
            Ok((output, next))
        })();
        match outcome {
            Ok((out, next)) => {
                let next = self.name_of(next);
                self.succeeded((*out).clone(), next)
            }
            Err(f) => self.failed(f),
        }
    }

    fn mocked(&self) -> Option<Work> {
        Some(match self.req.mock.as_ref()? {
            TestStateMock::Result(v) => Work::Result(Arc::new(v.clone())),
            TestStateMock::Error { error, cause } => Work::Failed(Failure {
                error: error.clone(),
                cause: cause.clone(),
            }),
        })
    }

    fn task(
        &mut self,
        state: &CState,
        raw: Arc<Value>,
        resolver: &mut dyn TaskResolver,
    ) -> TestStateResult {
        let Body::Task(spec) = &state.body else {
            return self.failed(StatesError::runtime("not a Task state").into());
        };
        let id = self.id;
        let token = self
            .ex
            .context_override
            .as_ref()
            .and_then(|c| c.pointer("/Task/Token"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let parameters = (|| -> Result<Arc<Value>, Failure> {
            let extra = ContextExtra {
                task_token: token.as_deref(),
                map_item: None,
            };
            if state.jsonata {
                let args = match &state.arguments {
                    None => Arc::clone(&raw),
                    Some(t) => {
                        let sv = StatesVar {
                            extra,
                            ..StatesVar::input(&raw)
                        };
                        Arc::new(self.ex.jeval(id, t, sv)?)
                    }
                };
                self.note("afterArguments", &args);
                return Ok(args);
            }
            let effective = self.ex.apply_input_path(id, &state.input_path, &raw)?;
            self.note("afterInputPath", &effective);
            let params =
                self.ex
                    .apply_parameters(id, state.parameters.as_ref(), effective, extra)?;
            self.note("afterParameters", &params);
            Ok(params)
        })();
        let work = match parameters {
            Err(f) => Work::Failed(f),
            Ok(parameters) => match self.mocked() {
                Some(w) => w,
                None => {
                    let role = match (&spec.credentials, &spec.credentials_jsonata) {
                        (Some(t), _) => self
                            .ex
                            .eval(id, &raw, t.needs_context(), ContextExtra::default(), |s| {
                                t.evaluate(s)
                            })
                            .ok(),
                        (None, Some(t)) => self.ex.jeval(id, t, StatesVar::input(&raw)).ok(),
                        (None, None) => None,
                    }
                    .and_then(|v| v.get("RoleArn").and_then(Value::as_str).map(str::to_string));
                    let inv = TaskInvocation {
                        task: 1,
                        resource: Arc::clone(&spec.resource),
                        parameters,
                        timeout_seconds: None,
                        heartbeat_seconds: None,
                        task_token: token.clone(),
                        role_arn: role,
                        state_name: Arc::clone(&state.name),
                    };
                    let mut outcome = resolver.invoke(&inv);
                    // TestState reports the task's end, not the submission before it.
                    while let TaskOutcome::Submitted { then, .. } = outcome {
                        outcome = *then;
                    }
                    match outcome {
                        TaskOutcome::Succeeded(v) => Work::Result(Arc::new(v)),
                        TaskOutcome::Failed { error, cause } => {
                            Work::Failed(Failure { error, cause })
                        }
                        TaskOutcome::Pending | TaskOutcome::Submitted { .. } => Work::Failed(Failure {
                            error: Some("States.Runtime".into()),
                            cause: Some(format!(
                                "The task '{}' did not return a result; TestState needs a mock for it.",
                                spec.resource
                            )),
                        }),
                    }
                }
            },
        };
        self.finish(state, raw, work, true)
    }

    fn parallel(&mut self, state: &CState, raw: Arc<Value>) -> TestStateResult {
        let work = match self.mocked() {
            Some(w) => w,
            None => Work::Failed(StatesError::runtime(MAP_OR_PARALLEL_NEEDS_MOCK).into()),
        };
        // A Parallel's input steps feed its branches, which TestState does not run.
        if !state.jsonata {
            if let Err(e) = self.ex.apply_input_path(self.id, &state.input_path, &raw) {
                return self.handle_error(state, &raw, e.into());
            }
        }
        self.finish(state, raw, work, false)
    }

    fn map(
        &mut self,
        state: &CState,
        raw: Arc<Value>,
        spec: &MapSpec,
    ) -> Result<TestStateResult, TestStateError> {
        let id = self.id;
        let cfg = &self.req.state_configuration;
        let items = (|| -> Result<Option<usize>, Failure> {
            let effective = if state.jsonata {
                Arc::clone(&raw)
            } else {
                let e = self.ex.apply_input_path(id, &state.input_path, &raw)?;
                self.note("afterInputPath", &e);
                e
            };
            let items = match &cfg.map_item_reader_data {
                Some(data) => Arc::new(data.clone()),
                None if self.has_item_reader() => return Ok(None),
                None => self.ex.map_items(id, state, spec, &effective)?,
            };
            let Value::Array(list) = &*items else {
                let src = spec.items_path.as_ref().map(|p| p.source()).unwrap_or("$");
                let shown = if src.starts_with("$$") {
                    &src[1..]
                } else {
                    src
                };
                return Err(StatesError::runtime(format!(
                    "Reference path \"{shown}\" must point to array."
                ))
                .into());
            };
            if !state.jsonata && cfg.map_item_reader_data.is_none() {
                self.note("afterItemsPath", &items);
            }
            let max = self.ex.map_number(
                id,
                &spec.max_concurrency,
                &effective,
                "MaxConcurrency",
                true,
            )?;
            self.insp.insert(
                "maxConcurrency".into(),
                Value::from(max.map_or(0, |m| m as u64)),
            );
            let count = self.ex.map_number(
                id,
                &spec.tolerated_failure_count,
                &effective,
                "ToleratedFailureCount",
                true,
            )?;
            let pct = self.ex.map_number(
                id,
                &spec.tolerated_failure_percentage,
                &effective,
                "ToleratedFailurePercentage",
                false,
            )?;
            if let Some(c) = count {
                self.insp
                    .insert("toleratedFailureCount".into(), Value::from(c as u64));
            }
            if let Some(p) = pct {
                self.insp
                    .insert("toleratedFailurePercentage".into(), Value::from(p));
            }
            let failed = cfg.map_iteration_failure_count.unwrap_or(0);
            let n = list.len();
            let over_count = count.is_some_and(|c| failed as f64 > c);
            let over_pct = pct.is_some_and(|p| n > 0 && failed as f64 * 100.0 / n as f64 > p);
            if failed as usize > n {
                return Ok(Some(usize::MAX));
            }
            if over_count || over_pct {
                return Err(Failure {
                    error: Some(THRESHOLD_ERROR.into()),
                    cause: Some(THRESHOLD_CAUSE.into()),
                });
            }
            Ok(Some(n))
        })();
        let work = match items {
            Ok(Some(usize::MAX)) => {
                return Err(TestStateError::Validation(
                    "Map iteration failure count must be less than or equal to the number of Map iterations".into(),
                ))
            }
            Ok(_) => match self.mocked() {
                Some(w) => w,
                None => Work::Failed(StatesError::runtime(MAP_OR_PARALLEL_NEEDS_MOCK).into()),
            },
            Err(f) => Work::Failed(f),
        };
        Ok(self.finish(state, raw, work, false))
    }

    fn has_item_reader(&self) -> bool {
        self.req
            .machine
            .find_state(&self.req.state_name)
            .is_some_and(|(s, _)| match &s.kind {
                asl::model::StateKind::Map(m) => m.item_reader.is_some(),
                _ => false,
            })
    }

    /// ResultSelector → ResultPath → OutputPath (or JSONata `Output`) over the result, or
    /// Retry/Catch over the failure.
    fn finish(
        &mut self,
        state: &CState,
        raw: Arc<Value>,
        work: Work,
        show_result: bool,
    ) -> TestStateResult {
        let result = match work {
            Work::Failed(f) => return self.handle_error(state, &raw, f),
            Work::Result(r) => r,
        };
        if show_result {
            self.note("result", &result);
        }
        let id = self.id;
        let next = self.next_of(state);
        if state.jsonata {
            let sv = StatesVar {
                result: Some(&result),
                ..StatesVar::input(&raw)
            };
            return match self.jsonata_end(state, sv, &result) {
                Ok(out) => self.succeeded(out, next),
                Err(f) => self.handle_error(state, &raw, f),
            };
        }
        let outcome = (|| -> Result<Arc<Value>, StatesError> {
            let assign = self.ex.eval_assign(id, state.assign.as_ref(), &result)?;
            let selected =
                self.ex
                    .apply_result_selector(id, state.result_selector.as_ref(), result)?;
            self.note("afterResultSelector", &selected);
            let output = self
                .ex
                .apply_result_path(&state.result_path, &raw, selected)?;
            self.note("afterResultPath", &output);
            let output = self.ex.apply_output_path(id, &state.output_path, &output)?;
            self.assigned = assign;
            Ok(output)
        })();
        match outcome {
            Ok(out) => self.succeeded((*out).clone(), next),
            Err(e) => self.handle_error(state, &raw, e.into()),
        }
    }

    /// What Retry and Catch would do with a Task/Map/Parallel failure (`States.Runtime` is
    /// never retried or caught).
    fn handle_error(&mut self, state: &CState, raw: &Arc<Value>, f: Failure) -> TestStateResult {
        let name = f.error.clone().unwrap_or_default();
        if name == STATES_RUNTIME {
            return self.failed(f);
        }
        let mut details = Map::new();
        let done = self
            .req
            .state_configuration
            .retrier_retry_count
            .unwrap_or(0);
        if let Some((i, r)) = state
            .retry
            .iter()
            .enumerate()
            .find(|(_, r)| error_equals_matches(&r.error_equals, &name))
        {
            details.insert("retryIndex".into(), Value::from(i));
            if done < r.max_attempts {
                let random = if r.jitter_full {
                    self.ex.entropy.borrow_mut().random()
                } else {
                    0.0
                };
                let ms = retry_delay_millis(r, done, random);
                let secs = if ms % 1000 == 0 {
                    Value::from(ms / 1000)
                } else {
                    Value::from(ms as f64 / 1000.0)
                };
                details.insert("retryBackoffIntervalSeconds".into(), secs);
                self.insp
                    .insert("errorDetails".into(), Value::Object(details));
                return TestStateResult {
                    status: TestStateStatus::Retriable,
                    ..self.failed(f)
                };
            }
        }
        let Some((i, catcher)) = state
            .catch
            .iter()
            .enumerate()
            .find(|(_, c)| error_equals_matches(&c.error_equals, &name))
        else {
            if !details.is_empty() {
                self.insp
                    .insert("errorDetails".into(), Value::Object(details));
            }
            return self.failed(f);
        };
        details.insert("catchIndex".into(), Value::from(i));
        self.insp
            .insert("errorDetails".into(), Value::Object(details));
        let mut eo = Map::new();
        eo.insert(
            "Error".into(),
            Value::String(f.error.clone().unwrap_or_default()),
        );
        eo.insert(
            "Cause".into(),
            Value::String(f.cause.clone().unwrap_or_default()),
        );
        let error_output = Arc::new(Value::Object(eo));
        let id = self.id;
        let output = if state.jsonata {
            let sv = StatesVar {
                error_output: Some(&error_output),
                ..StatesVar::input(raw)
            };
            (|| -> Result<Value, Failure> {
                let assigned = self.ex.jeval_assign(id, catcher.assign.as_ref(), sv)?;
                let out = match &catcher.output {
                    Some(t) => self.ex.jeval(id, t, sv)?,
                    None => (*error_output).clone(),
                };
                self.assigned = assigned;
                Ok(out)
            })()
        } else {
            (|| -> Result<Value, Failure> {
                let out = self.ex.apply_result_path(
                    &catcher.result_path,
                    raw,
                    Arc::clone(&error_output),
                )?;
                self.assigned = self
                    .ex
                    .eval_assign(id, catcher.assign.as_ref(), &error_output)?;
                Ok((*out).clone())
            })()
        };
        match output {
            Ok(out) => TestStateResult {
                status: TestStateStatus::CaughtError,
                output: Some(out),
                error: f.error,
                cause: f.cause,
                next_state: self.name_of(catcher.next),
                inspection_data: None,
            },
            Err(e) => self.failed(e),
        }
    }
}
