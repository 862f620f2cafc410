//! The typed model of a state machine definition.
//!
//! Built by [`crate::parse::parse_definition`] from a definition AWS would accept. Paths stay as
//! `String`s and payload templates / JSONata expressions as `serde_json::Value`: the engine
//! compiles them, and a JSONata `{% %}` string may appear in almost any field. Every state and
//! every nested node keeps its JSON-pointer `location` (e.g. `/States/Map/ItemProcessor/States/Inner`)
//! so runtime errors and diagnostics can point at it as AWS does.

use serde_json::Value;
use std::collections::HashMap;
use std::fmt;

/// `QueryLanguage` at the top level or on a state. AWS's default is JSONPath.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum QueryLanguage {
    /// `"JSONPath"` — paths, payload templates and intrinsic functions.
    #[default]
    JsonPath,
    /// `"JSONata"` — `Arguments`/`Output`/`Condition`... with `{% %}` expressions.
    Jsonata,
}

impl QueryLanguage {
    /// Parses the exact spelling AWS accepts (`"JSONPath"` or `"JSONata"`).
    pub fn from_name(s: &str) -> Option<QueryLanguage> {
        match s {
            "JSONPath" => Some(QueryLanguage::JsonPath),
            "JSONata" => Some(QueryLanguage::Jsonata),
            _ => None,
        }
    }

    /// The spelling used in definitions.
    pub fn as_str(self) -> &'static str {
        match self {
            QueryLanguage::JsonPath => "JSONPath",
            QueryLanguage::Jsonata => "JSONata",
        }
    }
}

impl fmt::Display for QueryLanguage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A whole state machine definition.
///
/// Derefs to its top-level [`Branch`], so `machine.start_at` and `machine.states` work directly.
#[derive(Debug, Clone, PartialEq)]
pub struct StateMachine {
    /// `StartAt`, `States`, `Comment`, `QueryLanguage` of the top level; location `""`.
    pub root: Branch,
    /// `Version` (the ASL version string, usually "1.0").
    pub version: Option<String>,
    /// Top-level `TimeoutSeconds` of the whole execution.
    pub timeout_seconds: Option<u64>,
}

impl std::ops::Deref for StateMachine {
    type Target = Branch;
    fn deref(&self) -> &Branch {
        &self.root
    }
}

impl StateMachine {
    /// The state called `name` anywhere in the machine (state names are unique across nested
    /// Map/Parallel bodies), with the body that holds it.
    pub fn find_state(&self, name: &str) -> Option<(&State, &Branch)> {
        let mut pending: Vec<&Branch> = vec![&self.root];
        while let Some(branch) = pending.pop() {
            if let Some(state) = branch.states.get(name) {
                return Some((state, branch));
            }
            for state in branch.states.iter() {
                match &state.kind {
                    StateKind::Parallel(p) => pending.extend(p.branches.iter()),
                    StateKind::Map(m) => pending.push(&m.item_processor),
                    _ => {}
                }
            }
        }
        None
    }

    /// The query language a state of this machine runs with (see [`effective_query_language`]).
    pub fn query_language_of(&self, state: &State) -> QueryLanguage {
        effective_query_language(self.root.query_language, state)
    }
}

/// The query language a state runs with: its own `QueryLanguage`, else the state machine's
/// top-level one, else JSONPath.
///
/// States nested in a Map or Parallel inherit the *top-level* `QueryLanguage`, not their
/// enclosing Map/Parallel state's (AWS accepts a JSONPath Pass inside a JSONata Map of a JSONPath
/// machine); pass `machine.query_language` as `top_level`.
pub fn effective_query_language(top_level: Option<QueryLanguage>, state: &State) -> QueryLanguage {
    state.query_language.or(top_level).unwrap_or_default()
}

/// A `{StartAt, States}` body: the top level, a Parallel branch, or a Map's ItemProcessor.
#[derive(Debug, Clone, PartialEq)]
pub struct Branch {
    /// `StartAt`: name of the first state.
    pub start_at: String,
    /// `States`, in definition order.
    pub states: States,
    /// `Comment`.
    pub comment: Option<String>,
    /// `QueryLanguage` written on this body (only the top level accepts it in AWS).
    pub query_language: Option<QueryLanguage>,
    /// JSON pointer of this body: `""` for the top level, `/States/P/Branches/0`,
    /// `/States/M/ItemProcessor` (or `/States/M/Iterator`).
    pub location: String,
}

impl Branch {
    /// The state named by `StartAt`.
    pub fn start_state(&self) -> Option<&State> {
        self.states.get(&self.start_at)
    }

    /// Index (in [`States`]) of the state named by `StartAt`.
    pub fn start_index(&self) -> Option<usize> {
        self.states.index_of(&self.start_at)
    }
}

/// The states of one body in definition order, with name → index lookup.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct States {
    list: Vec<State>,
    index: HashMap<String, usize>,
}

impl States {
    /// Builds from states in definition order. A later state with the same name replaces the
    /// lookup of an earlier one (a duplicate name is a validation error anyway).
    pub fn new(list: Vec<State>) -> States {
        let index = list
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.clone(), i))
            .collect();
        States { list, index }
    }

    /// The state called `name`.
    pub fn get(&self, name: &str) -> Option<&State> {
        self.index.get(name).and_then(|&i| self.list.get(i))
    }

    /// The index of the state called `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// The state at `index` (definition order).
    pub fn at(&self, index: usize) -> Option<&State> {
        self.list.get(index)
    }

    /// All states in definition order.
    pub fn iter(&self) -> std::slice::Iter<'_, State> {
        self.list.iter()
    }

    /// All states in definition order, as a slice.
    pub fn as_slice(&self) -> &[State] {
        &self.list
    }

    /// Number of states.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// True when there are no states.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

impl<'a> IntoIterator for &'a States {
    type Item = &'a State;
    type IntoIter = std::slice::Iter<'a, State>;
    fn into_iter(self) -> Self::IntoIter {
        self.list.iter()
    }
}

/// An I/O path field that AWS lets be an explicit `null` (`InputPath`, `OutputPath`,
/// `ResultPath`): `null` means "empty input" / "discard the result" / "empty output".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IoPath {
    /// A (reference) path such as `$.a.b`.
    Path(String),
    /// Explicit JSON `null`.
    Null,
}

/// A numeric field that is a literal in JSONPath states and may be a JSONata `{% %}` string in
/// JSONata states (`Seconds`, `TimeoutSeconds`, `MaxConcurrency`...).
#[derive(Debug, Clone, PartialEq)]
pub enum MaybeExpr<T> {
    /// The literal value.
    Literal(T),
    /// A JSONata expression string, `{% ... %}` delimiters included.
    Jsonata(String),
}

/// One state of a body.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// The state's name (its key in `States`).
    pub name: String,
    /// JSON pointer of the state, e.g. `/States/Map/ItemProcessor/States/Inner`.
    pub location: String,
    /// `Comment`.
    pub comment: Option<String>,
    /// `QueryLanguage` written on the state.
    pub query_language: Option<QueryLanguage>,
    /// `Next`. `None` for terminal states and Choice (which uses its rules).
    pub next: Option<String>,
    /// `End: true`.
    pub end: bool,
    /// `Assign` (variables; values may hold JSONPath `.$` keys or JSONata strings).
    pub assign: Option<Value>,
    /// `InputPath` (JSONPath).
    pub input_path: Option<IoPath>,
    /// `Parameters` payload template (JSONPath). For Map this is the legacy spelling of
    /// `ItemSelector` and is stored in [`MapState::item_selector`] instead.
    pub parameters: Option<Value>,
    /// `ResultSelector` payload template (JSONPath).
    pub result_selector: Option<Value>,
    /// `ResultPath` (JSONPath); `Some(IoPath::Null)` discards the result.
    pub result_path: Option<IoPath>,
    /// `OutputPath` (JSONPath).
    pub output_path: Option<IoPath>,
    /// `Arguments` (JSONata): an object/array template or a `{% %}` string.
    pub arguments: Option<Value>,
    /// `Output` (JSONata): any JSON value, possibly with `{% %}` strings.
    pub output: Option<Value>,
    /// `Retry` (Task, Parallel, Map); empty otherwise.
    pub retry: Vec<Retrier>,
    /// `Catch` (Task, Parallel, Map); empty otherwise.
    pub catch: Vec<Catcher>,
    /// Type-specific fields.
    pub kind: StateKind,
}

impl State {
    /// The `Type` string of the state (`"Task"`, `"Map"`...).
    pub fn type_name(&self) -> &'static str {
        self.kind.type_name()
    }

    /// True when the state ends its body (`End: true`, Succeed, Fail).
    pub fn is_terminal(&self) -> bool {
        self.end || matches!(self.kind, StateKind::Succeed | StateKind::Fail(_))
    }
}

/// The type-specific part of a state.
#[derive(Debug, Clone, PartialEq)]
pub enum StateKind {
    /// `"Type": "Task"`.
    Task(TaskState),
    /// `"Type": "Choice"`.
    Choice(ChoiceState),
    /// `"Type": "Parallel"`.
    Parallel(ParallelState),
    /// `"Type": "Map"`.
    Map(Box<MapState>),
    /// `"Type": "Wait"`.
    Wait(WaitState),
    /// `"Type": "Pass"`.
    Pass(PassState),
    /// `"Type": "Succeed"`.
    Succeed,
    /// `"Type": "Fail"`.
    Fail(FailState),
}

impl StateKind {
    /// The `Type` string.
    pub fn type_name(&self) -> &'static str {
        match self {
            StateKind::Task(_) => "Task",
            StateKind::Choice(_) => "Choice",
            StateKind::Parallel(_) => "Parallel",
            StateKind::Map(_) => "Map",
            StateKind::Wait(_) => "Wait",
            StateKind::Pass(_) => "Pass",
            StateKind::Succeed => "Succeed",
            StateKind::Fail(_) => "Fail",
        }
    }
}

/// Task-specific fields.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskState {
    /// `Resource` ARN (may be a JSONata string in JSONata states).
    pub resource: String,
    /// `TimeoutSeconds`.
    pub timeout_seconds: Option<MaybeExpr<u64>>,
    /// `TimeoutSecondsPath` (reference path).
    pub timeout_seconds_path: Option<String>,
    /// `HeartbeatSeconds`.
    pub heartbeat_seconds: Option<MaybeExpr<u64>>,
    /// `HeartbeatSecondsPath` (reference path).
    pub heartbeat_seconds_path: Option<String>,
    /// `Credentials` object (`RoleArn` / `RoleArn.$`, or JSONata).
    pub credentials: Option<Value>,
}

/// Choice-specific fields.
#[derive(Debug, Clone, PartialEq)]
pub struct ChoiceState {
    /// `Choices`, in order.
    pub choices: Vec<ChoiceRule>,
    /// `Default` target.
    pub default: Option<String>,
}

/// One element of `Choices`.
#[derive(Debug, Clone, PartialEq)]
pub struct ChoiceRule {
    /// JSON pointer, e.g. `/States/C/Choices/0`.
    pub location: String,
    /// `Next` target.
    pub next: String,
    /// The condition, by query language.
    pub condition: ChoiceCondition,
    /// `Comment`.
    pub comment: Option<String>,
    /// `Assign` of the rule (applied when it matches).
    pub assign: Option<Value>,
    /// `Output` of the rule (JSONata).
    pub output: Option<Value>,
}

/// The condition of a Choice rule.
#[derive(Debug, Clone, PartialEq)]
pub enum ChoiceCondition {
    /// The JSONPath-mode rule object as written (with `Variable`, operators, `And`/`Or`/`Not`,
    /// and also its `Next`/`Comment`/`Assign`); `asl::choice` parses and evaluates it.
    JsonPath(Value),
    /// The JSONata `Condition` value (a `{% %}` string, or a literal boolean).
    Jsonata(Value),
}

/// Parallel-specific fields.
#[derive(Debug, Clone, PartialEq)]
pub struct ParallelState {
    /// `Branches`, each a `{StartAt, States}` body located at `/States/P/Branches/<i>`.
    pub branches: Vec<Branch>,
}

/// Map processing mode (`ProcessorConfig.Mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MapMode {
    /// `INLINE` (default).
    #[default]
    Inline,
    /// `DISTRIBUTED`.
    Distributed,
}

/// `ProcessorConfig.ExecutionType` of a distributed Map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutionType {
    /// `STANDARD`.
    Standard,
    /// `EXPRESS`.
    Express,
}

/// `ItemProcessor.ProcessorConfig`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProcessorConfig {
    /// `Mode`.
    pub mode: MapMode,
    /// `ExecutionType`.
    pub execution_type: Option<ExecutionType>,
}

/// Map-specific fields.
#[derive(Debug, Clone, PartialEq)]
pub struct MapState {
    /// `ItemProcessor` body — or the legacy `Iterator` (see `legacy_iterator`).
    pub item_processor: Branch,
    /// `ItemProcessor.ProcessorConfig` (default INLINE).
    pub processor_config: ProcessorConfig,
    /// True when the body came from the legacy `Iterator` field.
    pub legacy_iterator: bool,
    /// `ItemsPath` (JSONPath reference path).
    pub items_path: Option<String>,
    /// `Items` (JSONata: an array or a `{% %}` string).
    pub items: Option<Value>,
    /// `ItemSelector` — or the legacy `Parameters` (see `legacy_parameters`).
    pub item_selector: Option<Value>,
    /// True when `item_selector` came from the legacy `Parameters` field.
    pub legacy_parameters: bool,
    /// `ItemReader`.
    pub item_reader: Option<ItemReader>,
    /// `ItemBatcher`.
    pub item_batcher: Option<ItemBatcher>,
    /// `ResultWriter`.
    pub result_writer: Option<ResultWriter>,
    /// `MaxConcurrency` (0 = no limit).
    pub max_concurrency: Option<MaybeExpr<u64>>,
    /// `MaxConcurrencyPath`.
    pub max_concurrency_path: Option<String>,
    /// `ToleratedFailureCount`.
    pub tolerated_failure_count: Option<MaybeExpr<u64>>,
    /// `ToleratedFailureCountPath`.
    pub tolerated_failure_count_path: Option<String>,
    /// `ToleratedFailurePercentage` (0–100).
    pub tolerated_failure_percentage: Option<MaybeExpr<f64>>,
    /// `ToleratedFailurePercentagePath`.
    pub tolerated_failure_percentage_path: Option<String>,
    /// `Label` (distributed Map; part of Map Run ARNs).
    pub label: Option<String>,
}

/// `ItemReader` of a distributed Map.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemReader {
    /// JSON pointer, e.g. `/States/M/ItemReader`.
    pub location: String,
    /// `Resource` (e.g. `arn:aws:states:::s3:getObject`).
    pub resource: String,
    /// `Parameters` (JSONPath).
    pub parameters: Option<Value>,
    /// `Arguments` (JSONata).
    pub arguments: Option<Value>,
    /// `ReaderConfig` as written (`InputType`, `CSVHeaderLocation`, `MaxItems`...).
    pub reader_config: Option<Value>,
}

/// `ItemBatcher` of a distributed Map.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemBatcher {
    /// JSON pointer.
    pub location: String,
    /// `MaxItemsPerBatch`.
    pub max_items_per_batch: Option<MaybeExpr<u64>>,
    /// `MaxItemsPerBatchPath`.
    pub max_items_per_batch_path: Option<String>,
    /// `MaxInputBytesPerBatch`.
    pub max_input_bytes_per_batch: Option<MaybeExpr<u64>>,
    /// `MaxInputBytesPerBatchPath`.
    pub max_input_bytes_per_batch_path: Option<String>,
    /// `BatchInput` template.
    pub batch_input: Option<Value>,
}

/// `ResultWriter` of a distributed Map.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultWriter {
    /// JSON pointer.
    pub location: String,
    /// `Resource` (e.g. `arn:aws:states:::s3:putObject`).
    pub resource: Option<String>,
    /// `Parameters` (JSONPath).
    pub parameters: Option<Value>,
    /// `Arguments` (JSONata).
    pub arguments: Option<Value>,
    /// `WriterConfig` as written.
    pub writer_config: Option<Value>,
}

/// What a Wait state waits for (exactly one of the four fields).
#[derive(Debug, Clone, PartialEq)]
pub enum WaitFor {
    /// `Seconds`.
    Seconds(MaybeExpr<u64>),
    /// `SecondsPath`.
    SecondsPath(String),
    /// `Timestamp` (RFC3339, or JSONata).
    Timestamp(String),
    /// `TimestampPath`.
    TimestampPath(String),
}

/// Wait-specific fields.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitState {
    /// The wait duration or deadline.
    pub wait: WaitFor,
}

/// Pass-specific fields.
#[derive(Debug, Clone, PartialEq)]
pub struct PassState {
    /// `Result` (JSONPath): the static result.
    pub result: Option<Value>,
}

/// Fail-specific fields. In JSONata states `error`/`cause` may be `{% %}` strings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FailState {
    /// `Error`.
    pub error: Option<String>,
    /// `ErrorPath` (path or intrinsic function).
    pub error_path: Option<String>,
    /// `Cause`.
    pub cause: Option<String>,
    /// `CausePath` (path or intrinsic function).
    pub cause_path: Option<String>,
}

/// `JitterStrategy` of a retrier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JitterStrategy {
    /// `NONE` (default).
    #[default]
    None,
    /// `FULL`.
    Full,
}

/// One element of `Retry`. Absent fields take AWS's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Retrier {
    /// JSON pointer, e.g. `/States/T/Retry/0`.
    pub location: String,
    /// `ErrorEquals`.
    pub error_equals: Vec<String>,
    /// `IntervalSeconds` (default 1).
    pub interval_seconds: u64,
    /// `MaxAttempts` (default 3; 0 = never retry).
    pub max_attempts: u64,
    /// `BackoffRate` (default 2.0).
    pub backoff_rate: f64,
    /// `MaxDelaySeconds`.
    pub max_delay_seconds: Option<u64>,
    /// `JitterStrategy` (default NONE).
    pub jitter_strategy: JitterStrategy,
    /// `Comment`.
    pub comment: Option<String>,
}

impl Retrier {
    /// AWS's default `IntervalSeconds`.
    pub const DEFAULT_INTERVAL_SECONDS: u64 = 1;
    /// AWS's default `MaxAttempts`.
    pub const DEFAULT_MAX_ATTEMPTS: u64 = 3;
    /// AWS's default `BackoffRate`.
    pub const DEFAULT_BACKOFF_RATE: f64 = 2.0;
}

/// One element of `Catch`.
#[derive(Debug, Clone, PartialEq)]
pub struct Catcher {
    /// JSON pointer, e.g. `/States/T/Catch/0`.
    pub location: String,
    /// `ErrorEquals`.
    pub error_equals: Vec<String>,
    /// `Next`.
    pub next: String,
    /// `ResultPath` (JSONPath; default `$`).
    pub result_path: Option<IoPath>,
    /// `Output` (JSONata).
    pub output: Option<Value>,
    /// `Assign`.
    pub assign: Option<Value>,
    /// `Comment`.
    pub comment: Option<String>,
}
