//! Parsing a definition's JSON text into the [`crate::model`].
//!
//! [`parse_definition`] first runs the static validator, so the model is only ever built from a
//! definition AWS would accept; the builder below therefore trusts shapes the validator checked,
//! yet still never panics (a shape it does not expect becomes a diagnostic).

use crate::model::*;
use crate::validate::{
    invalid_definition_message, validate_parsed, validate_state, Diagnostic, JsonataParse,
    MachineType, ValidateOptions,
};
use serde_json::{Map, Value};
use std::fmt;

/// A definition AWS would reject: the diagnostics, and the exact `InvalidDefinition` message
/// CreateStateMachine gives for them.
#[derive(Debug, Clone, PartialEq)]
pub struct DefinitionError {
    /// All ERROR diagnostics, in the order the validator found them.
    pub diagnostics: Vec<Diagnostic>,
    /// The `message` of AWS's `{"__type": "InvalidDefinition", "message": ...}`.
    pub message: String,
}

impl fmt::Display for DefinitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DefinitionError {}

/// Parses and validates a STANDARD state machine definition.
pub fn parse_definition(text: &str) -> Result<StateMachine, DefinitionError> {
    parse_definition_with(text, &ValidateOptions::default())
}

/// Parses and validates a definition for the given machine type (EXPRESS forbids `.sync` and
/// `.waitForTaskToken` integrations).
pub fn parse_definition_with(
    text: &str,
    opts: &ValidateOptions,
) -> Result<StateMachine, DefinitionError> {
    parse_checked(text, opts, None)
}

/// [`parse_definition_with`], also refusing JSONata expressions that `jsonata_parse` cannot
/// parse (`INVALID_JSONATA_EXPRESSION`, see [`crate::validate::validate_with_jsonata`]).
pub fn parse_definition_with_jsonata(
    text: &str,
    opts: &ValidateOptions,
    jsonata_parse: JsonataParse<'_>,
) -> Result<StateMachine, DefinitionError> {
    parse_checked(text, opts, Some(jsonata_parse))
}

fn parse_checked(
    text: &str,
    opts: &ValidateOptions,
    jsonata_parse: Option<JsonataParse<'_>>,
) -> Result<StateMachine, DefinitionError> {
    let (result, value) = validate_parsed(text, opts, jsonata_parse);
    let errors: Vec<Diagnostic> = result.errors().cloned().collect();
    let value = match value {
        Some(v) if errors.is_empty() => v,
        _ => {
            let message = invalid_definition_message(text, &errors);
            return Err(DefinitionError {
                diagnostics: errors,
                message,
            });
        }
    };
    build_machine(&value).map_err(|d| DefinitionError {
        message: invalid_definition_message(text, std::slice::from_ref(&d)),
        diagnostics: vec![d],
    })
}

/// The state name a lone TestState definition is given in the model built for it (and in
/// AWS's diagnostics, e.g. `at /States/StateName/Branches`).
pub const TEST_STATE_NAME: &str = "StateName";

/// Why a TestState `definition` cannot be tested.
#[derive(Debug, Clone, PartialEq)]
pub enum TestStateDefinitionError {
    /// `InvalidDefinition`: the definition (or lone state) is not valid.
    InvalidDefinition(DefinitionError),
    /// `ValidationException: State not found in definition` (the `stateName` names no state).
    StateNotFound,
}

impl fmt::Display for TestStateDefinitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TestStateDefinitionError::InvalidDefinition(e) => e.fmt(f),
            TestStateDefinitionError::StateNotFound => f.write_str("State not found in definition"),
        }
    }
}

impl std::error::Error for TestStateDefinitionError {}

impl From<DefinitionError> for TestStateDefinitionError {
    fn from(e: DefinitionError) -> Self {
        TestStateDefinitionError::InvalidDefinition(e)
    }
}

/// Parses the `definition` of a TestState request.
///
/// TestState takes either a whole state machine (then the state to test is `state_name`, or
/// `StartAt`) or a single state (`{"Type": ...}`), which is wrapped into a one-state machine
/// under [`TEST_STATE_NAME`] (or `state_name`). Returns the machine and the name of the state to
/// test. A lone state's `Next` may name a state that does not exist: TestState only reports it.
pub fn parse_test_state_definition(
    text: &str,
    state_name: Option<&str>,
    opts: &ValidateOptions,
) -> Result<(StateMachine, String), TestStateDefinitionError> {
    let value: Value = serde_json::from_str(text).map_err(|e| internal(e.to_string(), "/"))?;
    if value.get("States").is_some() {
        let machine = parse_definition_with(text, opts)?;
        let name = state_name.map_or_else(|| machine.start_at.clone(), str::to_string);
        if machine.find_state(&name).is_none() {
            return Err(TestStateDefinitionError::StateNotFound);
        }
        return Ok((machine, name));
    }
    let result = validate_state(text, opts);
    let errors: Vec<Diagnostic> = result.errors().cloned().collect();
    if !errors.is_empty() {
        return Err(DefinitionError {
            message: invalid_definition_message(text, &errors),
            diagnostics: errors,
        }
        .into());
    }
    let name = state_name.unwrap_or(TEST_STATE_NAME).to_string();
    let mut states = Map::new();
    states.insert(name.clone(), value);
    let mut wrapper = Map::new();
    wrapper.insert("StartAt".into(), Value::String(name.clone()));
    wrapper.insert("States".into(), Value::Object(states));
    let wrapper = Value::Object(wrapper);
    let machine = build_machine(&wrapper).map_err(|d| DefinitionError {
        message: invalid_definition_message(text, std::slice::from_ref(&d)),
        diagnostics: vec![d],
    })?;
    Ok((machine, name))
}

/// Convenience for callers that only know the type name (`"STANDARD"`/`"EXPRESS"`).
pub fn machine_type_from_name(name: &str) -> Option<MachineType> {
    match name {
        "STANDARD" => Some(MachineType::Standard),
        "EXPRESS" => Some(MachineType::Express),
        _ => None,
    }
}

fn internal(message: String, location: &str) -> DefinitionError {
    let d = Diagnostic::error(
        "SCHEMA_VALIDATION_FAILED",
        message,
        Some(location.to_string()),
    );
    DefinitionError {
        message: invalid_definition_message("", std::slice::from_ref(&d)),
        diagnostics: vec![d],
    }
}

type B<T> = Result<T, Diagnostic>;

fn shape(location: &str, what: &str) -> Diagnostic {
    Diagnostic::error(
        "SCHEMA_VALIDATION_FAILED",
        format!("Unexpected shape: {what}"),
        Some(if location.is_empty() {
            "/".to_string()
        } else {
            location.to_string()
        }),
    )
}

/// Builds the model from an already validated definition value.
pub(crate) fn build_machine(value: &Value) -> B<StateMachine> {
    let obj = value.as_object().ok_or_else(|| shape("", "definition"))?;
    let top_ql = obj
        .get("QueryLanguage")
        .and_then(Value::as_str)
        .and_then(QueryLanguage::from_name);
    let root = build_branch(obj, "", 0, top_ql)?;
    let timeout_seconds = obj.get("TimeoutSeconds").and_then(Value::as_u64);
    Ok(StateMachine {
        root,
        version: opt_string(obj, "Version"),
        timeout_seconds,
    })
}

/// Depth of nested bodies the builder follows; JSON nesting is already bounded by serde_json's
/// recursion limit, this keeps the builder's own recursion bounded independently of it.
const MAX_BODY_DEPTH: usize = 64;

fn build_branch(
    obj: &Map<String, Value>,
    location: &str,
    depth: usize,
    top_ql: Option<QueryLanguage>,
) -> B<Branch> {
    if depth > MAX_BODY_DEPTH {
        return Err(Diagnostic::error(
            "TOO_DEEPLY_NESTED",
            "The states are too deeply nested.".to_string(),
            Some(location.to_string()),
        ));
    }
    let start_at = opt_string(obj, "StartAt").ok_or_else(|| shape(location, "StartAt"))?;
    let states_obj = obj
        .get("States")
        .and_then(Value::as_object)
        .ok_or_else(|| shape(location, "States"))?;
    let mut list = Vec::with_capacity(states_obj.len());
    for (name, sv) in states_obj {
        let loc = format!("{location}/States/{}", pointer_escape(name));
        list.push(build_state(name, sv, &loc, depth, top_ql)?);
    }
    Ok(Branch {
        start_at,
        states: States::new(list),
        comment: opt_string(obj, "Comment"),
        query_language: obj
            .get("QueryLanguage")
            .and_then(Value::as_str)
            .and_then(QueryLanguage::from_name),
        location: location.to_string(),
    })
}

/// Escapes a key for use in a JSON pointer location. AWS writes state names verbatim in its
/// locations (`/States/My State/Next`), so only the pointer-significant `~` and `/` would matter;
/// AWS leaves those alone too, and so do we.
fn pointer_escape(name: &str) -> &str {
    name
}

fn opt_string(obj: &Map<String, Value>, key: &str) -> Option<String> {
    obj.get(key).and_then(Value::as_str).map(str::to_string)
}

fn opt_value(obj: &Map<String, Value>, key: &str) -> Option<Value> {
    obj.get(key).cloned()
}

fn io_path(obj: &Map<String, Value>, key: &str) -> Option<IoPath> {
    match obj.get(key)? {
        Value::Null => Some(IoPath::Null),
        Value::String(s) => Some(IoPath::Path(s.clone())),
        _ => None,
    }
}

fn maybe_u64(obj: &Map<String, Value>, key: &str) -> Option<MaybeExpr<u64>> {
    match obj.get(key)? {
        Value::String(s) => Some(MaybeExpr::Jsonata(s.clone())),
        v => v.as_u64().map(MaybeExpr::Literal),
    }
}

fn maybe_f64(obj: &Map<String, Value>, key: &str) -> Option<MaybeExpr<f64>> {
    match obj.get(key)? {
        Value::String(s) => Some(MaybeExpr::Jsonata(s.clone())),
        v => v.as_f64().map(MaybeExpr::Literal),
    }
}

fn string_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn build_state(
    name: &str,
    v: &Value,
    location: &str,
    depth: usize,
    top_ql: Option<QueryLanguage>,
) -> B<State> {
    let obj = v.as_object().ok_or_else(|| shape(location, "state"))?;
    let query_language = obj
        .get("QueryLanguage")
        .and_then(Value::as_str)
        .and_then(QueryLanguage::from_name);
    let ql = query_language.or(top_ql).unwrap_or_default();
    let type_name = obj
        .get("Type")
        .and_then(Value::as_str)
        .ok_or_else(|| shape(location, "Type"))?;
    let mut parameters = opt_value(obj, "Parameters");
    let kind = match type_name {
        "Task" => StateKind::Task(TaskState {
            resource: match obj.get("Resource") {
                Some(Value::String(s)) => s.clone(),
                _ => return Err(shape(location, "Resource")),
            },
            timeout_seconds: maybe_u64(obj, "TimeoutSeconds"),
            timeout_seconds_path: opt_string(obj, "TimeoutSecondsPath"),
            heartbeat_seconds: maybe_u64(obj, "HeartbeatSeconds"),
            heartbeat_seconds_path: opt_string(obj, "HeartbeatSecondsPath"),
            credentials: opt_value(obj, "Credentials"),
        }),
        "Choice" => StateKind::Choice(build_choice(obj, location, ql)?),
        "Parallel" => {
            let branches = obj
                .get("Branches")
                .and_then(Value::as_array)
                .ok_or_else(|| shape(location, "Branches"))?;
            let mut out = Vec::with_capacity(branches.len());
            for (i, b) in branches.iter().enumerate() {
                let loc = format!("{location}/Branches/{i}");
                let bo = b.as_object().ok_or_else(|| shape(&loc, "branch"))?;
                out.push(build_branch(bo, &loc, depth + 1, top_ql)?);
            }
            StateKind::Parallel(ParallelState { branches: out })
        }
        "Map" => {
            let legacy_parameters =
                obj.contains_key("Parameters") && !obj.contains_key("ItemSelector");
            let item_selector = if legacy_parameters {
                parameters.take()
            } else {
                opt_value(obj, "ItemSelector")
            };
            StateKind::Map(Box::new(build_map(
                obj,
                location,
                depth,
                top_ql,
                item_selector,
                legacy_parameters,
            )?))
        }
        "Wait" => {
            let wait = if let Some(s) = maybe_u64(obj, "Seconds") {
                WaitFor::Seconds(s)
            } else if let Some(s) = opt_string(obj, "SecondsPath") {
                WaitFor::SecondsPath(s)
            } else if let Some(s) = opt_string(obj, "Timestamp") {
                WaitFor::Timestamp(s)
            } else if let Some(s) = opt_string(obj, "TimestampPath") {
                WaitFor::TimestampPath(s)
            } else {
                return Err(shape(location, "Wait"));
            };
            StateKind::Wait(WaitState { wait })
        }
        "Pass" => StateKind::Pass(PassState {
            result: opt_value(obj, "Result"),
        }),
        "Succeed" => StateKind::Succeed,
        "Fail" => StateKind::Fail(FailState {
            error: opt_string(obj, "Error"),
            error_path: opt_string(obj, "ErrorPath"),
            cause: opt_string(obj, "Cause"),
            cause_path: opt_string(obj, "CausePath"),
        }),
        _ => return Err(shape(location, "Type")),
    };
    let retry = match obj.get("Retry").and_then(Value::as_array) {
        Some(a) => a
            .iter()
            .enumerate()
            .map(|(i, r)| build_retrier(r, &format!("{location}/Retry/{i}")))
            .collect::<B<Vec<_>>>()?,
        None => Vec::new(),
    };
    let catch = match obj.get("Catch").and_then(Value::as_array) {
        Some(a) => a
            .iter()
            .enumerate()
            .map(|(i, c)| build_catcher(c, &format!("{location}/Catch/{i}")))
            .collect::<B<Vec<_>>>()?,
        None => Vec::new(),
    };
    Ok(State {
        name: name.to_string(),
        location: location.to_string(),
        comment: opt_string(obj, "Comment"),
        query_language,
        next: opt_string(obj, "Next"),
        end: obj.get("End").and_then(Value::as_bool).unwrap_or(false),
        assign: opt_value(obj, "Assign"),
        input_path: io_path(obj, "InputPath"),
        parameters,
        result_selector: opt_value(obj, "ResultSelector"),
        result_path: io_path(obj, "ResultPath"),
        output_path: io_path(obj, "OutputPath"),
        arguments: opt_value(obj, "Arguments"),
        output: opt_value(obj, "Output"),
        retry,
        catch,
        kind,
    })
}

fn build_choice(obj: &Map<String, Value>, location: &str, ql: QueryLanguage) -> B<ChoiceState> {
    let choices = obj
        .get("Choices")
        .and_then(Value::as_array)
        .ok_or_else(|| shape(location, "Choices"))?;
    let mut rules = Vec::with_capacity(choices.len());
    for (i, c) in choices.iter().enumerate() {
        let loc = format!("{location}/Choices/{i}");
        let co = c.as_object().ok_or_else(|| shape(&loc, "choice rule"))?;
        let next = opt_string(co, "Next").ok_or_else(|| shape(&loc, "Next"))?;
        let condition = match (ql, co.get("Condition")) {
            (QueryLanguage::Jsonata, Some(cond)) => ChoiceCondition::Jsonata(cond.clone()),
            _ => ChoiceCondition::JsonPath(c.clone()),
        };
        rules.push(ChoiceRule {
            location: loc,
            next,
            condition,
            comment: opt_string(co, "Comment"),
            assign: opt_value(co, "Assign"),
            output: opt_value(co, "Output"),
        });
    }
    Ok(ChoiceState {
        choices: rules,
        default: opt_string(obj, "Default"),
    })
}

fn build_map(
    obj: &Map<String, Value>,
    location: &str,
    depth: usize,
    top_ql: Option<QueryLanguage>,
    item_selector: Option<Value>,
    legacy_parameters: bool,
) -> B<MapState> {
    let (body_key, legacy_iterator) = if obj.contains_key("ItemProcessor") {
        ("ItemProcessor", false)
    } else {
        ("Iterator", true)
    };
    let loc = format!("{location}/{body_key}");
    let body = obj
        .get(body_key)
        .and_then(Value::as_object)
        .ok_or_else(|| shape(location, "ItemProcessor"))?;
    let item_processor = build_branch(body, &loc, depth + 1, top_ql)?;
    let mut processor_config = ProcessorConfig::default();
    if let Some(pc) = body.get("ProcessorConfig").and_then(Value::as_object) {
        if pc.get("Mode").and_then(Value::as_str) == Some("DISTRIBUTED") {
            processor_config.mode = MapMode::Distributed;
        }
        processor_config.execution_type = match pc.get("ExecutionType").and_then(Value::as_str) {
            Some("STANDARD") => Some(ExecutionType::Standard),
            Some("EXPRESS") => Some(ExecutionType::Express),
            _ => None,
        };
    }
    let item_reader = obj
        .get("ItemReader")
        .and_then(Value::as_object)
        .map(|r| ItemReader {
            location: format!("{location}/ItemReader"),
            resource: opt_string(r, "Resource").unwrap_or_default(),
            parameters: opt_value(r, "Parameters"),
            arguments: opt_value(r, "Arguments"),
            reader_config: opt_value(r, "ReaderConfig"),
        });
    let item_batcher = obj
        .get("ItemBatcher")
        .and_then(Value::as_object)
        .map(|b| ItemBatcher {
            location: format!("{location}/ItemBatcher"),
            max_items_per_batch: maybe_u64(b, "MaxItemsPerBatch"),
            max_items_per_batch_path: opt_string(b, "MaxItemsPerBatchPath"),
            max_input_bytes_per_batch: maybe_u64(b, "MaxInputBytesPerBatch"),
            max_input_bytes_per_batch_path: opt_string(b, "MaxInputBytesPerBatchPath"),
            batch_input: opt_value(b, "BatchInput"),
        });
    let result_writer = obj
        .get("ResultWriter")
        .and_then(Value::as_object)
        .map(|w| ResultWriter {
            location: format!("{location}/ResultWriter"),
            resource: opt_string(w, "Resource"),
            parameters: opt_value(w, "Parameters"),
            arguments: opt_value(w, "Arguments"),
            writer_config: opt_value(w, "WriterConfig"),
        });
    Ok(MapState {
        item_processor,
        processor_config,
        legacy_iterator,
        items_path: opt_string(obj, "ItemsPath"),
        items: opt_value(obj, "Items"),
        item_selector,
        legacy_parameters,
        item_reader,
        item_batcher,
        result_writer,
        max_concurrency: maybe_u64(obj, "MaxConcurrency"),
        max_concurrency_path: opt_string(obj, "MaxConcurrencyPath"),
        tolerated_failure_count: maybe_u64(obj, "ToleratedFailureCount"),
        tolerated_failure_count_path: opt_string(obj, "ToleratedFailureCountPath"),
        tolerated_failure_percentage: maybe_f64(obj, "ToleratedFailurePercentage"),
        tolerated_failure_percentage_path: opt_string(obj, "ToleratedFailurePercentagePath"),
        label: opt_string(obj, "Label"),
    })
}

fn build_retrier(v: &Value, location: &str) -> B<Retrier> {
    let o = v.as_object().ok_or_else(|| shape(location, "retrier"))?;
    Ok(Retrier {
        location: location.to_string(),
        error_equals: string_list(o.get("ErrorEquals")),
        interval_seconds: o
            .get("IntervalSeconds")
            .and_then(Value::as_u64)
            .unwrap_or(Retrier::DEFAULT_INTERVAL_SECONDS),
        max_attempts: o
            .get("MaxAttempts")
            .and_then(Value::as_u64)
            .unwrap_or(Retrier::DEFAULT_MAX_ATTEMPTS),
        backoff_rate: o
            .get("BackoffRate")
            .and_then(Value::as_f64)
            .unwrap_or(Retrier::DEFAULT_BACKOFF_RATE),
        max_delay_seconds: o.get("MaxDelaySeconds").and_then(Value::as_u64),
        jitter_strategy: match o.get("JitterStrategy").and_then(Value::as_str) {
            Some("FULL") => JitterStrategy::Full,
            _ => JitterStrategy::None,
        },
        comment: opt_string(o, "Comment"),
    })
}

fn build_catcher(v: &Value, location: &str) -> B<Catcher> {
    let o = v.as_object().ok_or_else(|| shape(location, "catcher"))?;
    Ok(Catcher {
        location: location.to_string(),
        error_equals: string_list(o.get("ErrorEquals")),
        next: opt_string(o, "Next").ok_or_else(|| shape(location, "Next"))?,
        result_path: io_path(o, "ResultPath"),
        output: opt_value(o, "Output"),
        assign: opt_value(o, "Assign"),
        comment: opt_string(o, "Comment"),
    })
}
