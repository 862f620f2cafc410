//! The engine's interface: what goes in ([`Event`]), what comes out ([`Step`], [`Effect`]).

use crate::history::HistoryEvent;
use crate::time::Timestamp;
use serde_json::Value;
use std::sync::Arc;

/// STANDARD or EXPRESS (`StateMachineType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExecutionType {
    #[default]
    Standard,
    Express,
}

/// `ExecutionStatus` of a closed execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutionStatus {
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Aborted,
}

impl ExecutionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionStatus::Running => "RUNNING",
            ExecutionStatus::Succeeded => "SUCCEEDED",
            ExecutionStatus::Failed => "FAILED",
            ExecutionStatus::TimedOut => "TIMED_OUT",
            ExecutionStatus::Aborted => "ABORTED",
        }
    }
}

/// Who and what the execution is: fills `ExecutionStarted` and the Context object.
#[derive(Debug, Clone)]
pub struct ExecutionContext {
    /// `$$.Execution.Name`.
    pub name: String,
    /// `$$.Execution.Id`.
    pub execution_arn: String,
    /// `$$.StateMachine.Id`.
    pub state_machine_arn: String,
    /// `$$.StateMachine.Name`.
    pub state_machine_name: String,
    /// `$$.Execution.RoleArn`, `ExecutionStarted.roleArn`.
    pub role_arn: String,
    /// `$$.Execution.StartTime`.
    pub start_time: Timestamp,
    /// Region recorded in `TaskScheduled.region`.
    pub region: String,
    pub execution_type: ExecutionType,
    /// `$$.Execution.RedriveCount`.
    pub redrive_count: u64,
}

impl ExecutionContext {
    /// A context in the account and region AWS's documentation examples use.
    pub fn example(name: &str, state_machine_name: &str, start_time: Timestamp) -> Self {
        let region = "us-east-1";
        let account = "111111111111";
        ExecutionContext {
            name: name.to_string(),
            execution_arn: format!(
                "arn:aws:states:{region}:{account}:execution:{state_machine_name}:{name}"
            ),
            state_machine_arn: format!(
                "arn:aws:states:{region}:{account}:stateMachine:{state_machine_name}"
            ),
            state_machine_name: state_machine_name.to_string(),
            role_arn: format!("arn:aws:iam::{account}:role/StepFunctionsRole"),
            start_time,
            region: region.to_string(),
            execution_type: ExecutionType::Standard,
            redrive_count: 0,
        }
    }
}

/// Identifies one task invocation (one attempt of a Task state).
pub type TaskId = u64;
/// Identifies one timer the engine asked for.
pub type TimerId = u64;

/// Something that happened outside the engine.
#[derive(Debug, Clone)]
pub enum Event {
    /// A worker/integration began the task (`TaskStarted`; `ActivityStarted` with the
    /// worker's name for activities).
    TaskStarted {
        task: TaskId,
        worker_name: Option<String>,
    },
    /// A `.sync` integration submitted its job (`TaskSubmitted`, with the submit response).
    TaskSubmitted { task: TaskId, output: Value },
    /// The task returned its result.
    TaskSucceeded { task: TaskId, output: Value },
    /// The task failed with an error name and cause.
    TaskFailed {
        task: TaskId,
        error: Option<String>,
        cause: Option<String>,
    },
    /// `SendTaskHeartbeat`: restarts the heartbeat clock.
    TaskHeartbeat { task: TaskId },
    /// A timer the engine started is due.
    TimerFired { timer: TimerId },
    /// `StopExecution`.
    Stop {
        error: Option<String>,
        cause: Option<String>,
    },
}

/// How a Task is invoked: what the integration needs to perform it.
#[derive(Debug, Clone)]
pub struct TaskInvocation {
    pub task: TaskId,
    /// The Task's `Resource` ARN.
    pub resource: Arc<str>,
    /// The effective parameters (after InputPath and Parameters).
    pub parameters: Arc<Value>,
    pub timeout_seconds: Option<u64>,
    pub heartbeat_seconds: Option<u64>,
    /// `$$.Task.Token`, for `.waitForTaskToken` integrations and activities.
    pub task_token: Option<String>,
    /// The role of `Credentials`, when the state has one.
    pub role_arn: Option<String>,
    /// Name of the Task state.
    pub state_name: Arc<str>,
}

/// How a parent waits for a nested execution (`arn:aws:states:::states:startExecution` and
/// its suffixes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildMode {
    /// No suffix: the task succeeds once the child has started.
    RequestResponse,
    /// `.sync`: the task ends with the child; its output is the child's DescribeExecution
    /// with `Output` as JSON text.
    Sync,
    /// `.sync:2`: like `.sync`, with `Output` as parsed JSON.
    SyncV2,
    /// `.waitForTaskToken`: the task ends on SendTaskSuccess/Failure with its token.
    WaitForTaskToken,
}

/// A nested execution a Task asks for: what a host needs to start the child. The task is
/// still delivered as [`Effect::InvokeTask`] and answered with the usual task events; this is
/// the parsed view of its parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct ChildExecution {
    pub mode: ChildMode,
    /// `StateMachineArn` (required by the API; `None` when the parameters lack it).
    pub state_machine_arn: Option<String>,
    /// `Input`: an object, or JSON text (AWS accepts both).
    pub input: Option<Value>,
    /// `Name`: the child execution's name.
    pub name: Option<String>,
}

impl TaskInvocation {
    /// The nested execution this task starts, when its resource is Step Functions'
    /// `startExecution` integration.
    pub fn child(&self) -> Option<ChildExecution> {
        let rest = self.resource.strip_prefix("arn:")?;
        let (_partition, rest) = rest.split_once(':')?;
        let service = rest.strip_prefix("states:::states:startExecution")?;
        let mode = match service {
            "" => ChildMode::RequestResponse,
            ".sync" => ChildMode::Sync,
            ".sync:2" => ChildMode::SyncV2,
            ".waitForTaskToken" => ChildMode::WaitForTaskToken,
            _ => return None,
        };
        let p = self.parameters.as_object();
        let text = |k: &str| {
            p.and_then(|m| m.get(k))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        Some(ChildExecution {
            mode,
            state_machine_arn: text("StateMachineArn"),
            input: p.and_then(|m| m.get("Input")).cloned(),
            name: text("Name"),
        })
    }
}

/// Something the engine needs done outside.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Perform a task; answer with `TaskStarted`, optionally `TaskSubmitted`, then
    /// `TaskSucceeded`/`TaskFailed`.
    InvokeTask(TaskInvocation),
    /// Call back with `TimerFired { timer }` at `fire_at`.
    StartTimer { timer: TimerId, fire_at: Timestamp },
    /// A timer that is no longer needed (its firing would be ignored anyway).
    CancelTimer { timer: TimerId },
    /// A task that is no longer awaited (it timed out, or its branch was aborted): later
    /// answers to it are ignored.
    CancelTask { task: TaskId },
    /// The execution closed.
    Finish(Outcome),
}

/// How an execution closed, as `DescribeExecution` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub status: ExecutionStatus,
    pub output: Option<Arc<Value>>,
    pub error: Option<String>,
    pub cause: Option<String>,
}

impl Outcome {
    /// `{status, output, error, cause}` as DescribeExecution gives them (absent fields omitted,
    /// output parsed): the `stepline run` contract and what the conformance runners compare.
    pub fn to_describe_json(&self) -> serde_json::Map<String, Value> {
        let mut out = serde_json::Map::new();
        out.insert("status".into(), Value::String(self.status.as_str().into()));
        if let Some(output) = &self.output {
            out.insert("output".into(), (**output).clone());
        }
        if let Some(e) = &self.error {
            out.insert("error".into(), Value::String(e.clone()));
        }
        if let Some(c) = &self.cause {
            out.insert("cause".into(), Value::String(c.clone()));
        }
        out
    }
}

/// What handling one event produced: history events to record and effects to perform.
#[derive(Debug, Default)]
pub struct Step {
    pub history: Vec<HistoryEvent>,
    pub effects: Vec<Effect>,
}

/// The sources of non-determinism, injected so a run can be replayed.
pub trait Entropy: Send {
    /// A fresh version-4 UUID (task tokens, `States.UUID`).
    fn uuid(&mut self) -> String;
    /// A uniformly distributed number in `[0, 1)` (retry jitter, `States.MathRandom`).
    fn random(&mut self) -> f64;
    /// Whether the activity `arn` exists as a Task is about to schedule it: AWS fails the
    /// execution with `States.Runtime`, before any `ActivityScheduled`, when it does not.
    /// Knowledge of the world outside, like UUIDs, so the host answers it; a replay may answer
    /// `true` (an execution still open passed every check it made).
    fn activity_exists(&mut self, _arn: &str) -> bool {
        true
    }
}

/// Deterministic entropy: a SplitMix64 stream from a seed. Good enough for tests, the CLI and
/// replays; not for secrets.
#[derive(Debug, Clone)]
pub struct SeededEntropy {
    state: u64,
}

impl SeededEntropy {
    pub fn new(seed: u64) -> Self {
        SeededEntropy { state: seed }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Entropy for SeededEntropy {
    fn uuid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&a.to_be_bytes());
        bytes[8..].copy_from_slice(&b.to_be_bytes());
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        )
    }

    fn random(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}
