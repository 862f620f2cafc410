//! Execution history events, shaped as `GetExecutionHistory` returns them.
//!
//! Payloads (`input`, `output`, `parameters`) are held as shared JSON values and turned into
//! JSON text only when an event is serialised, so recording history costs no serialisation on
//! the hot path.

use crate::time::Timestamp;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;
use std::sync::Arc;

/// A JSON payload recorded in history (serialised as a JSON string, as AWS does).
pub type Payload = Arc<Value>;

/// The state types, as they prefix `*StateEntered` / `*StateExited` event names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateKind {
    Pass,
    Task,
    Choice,
    Wait,
    Succeed,
    Fail,
    Parallel,
    Map,
}

impl StateKind {
    fn entered(self) -> &'static str {
        match self {
            StateKind::Pass => "PassStateEntered",
            StateKind::Task => "TaskStateEntered",
            StateKind::Choice => "ChoiceStateEntered",
            StateKind::Wait => "WaitStateEntered",
            StateKind::Succeed => "SucceedStateEntered",
            StateKind::Fail => "FailStateEntered",
            StateKind::Parallel => "ParallelStateEntered",
            StateKind::Map => "MapStateEntered",
        }
    }

    fn exited(self) -> &'static str {
        match self {
            StateKind::Pass => "PassStateExited",
            StateKind::Task => "TaskStateExited",
            StateKind::Choice => "ChoiceStateExited",
            StateKind::Wait => "WaitStateExited",
            StateKind::Succeed => "SucceedStateExited",
            // AWS records no FailStateExited; kept total for the type system.
            StateKind::Fail => "FailStateExited",
            StateKind::Parallel => "ParallelStateExited",
            StateKind::Map => "MapStateExited",
        }
    }
}

/// `error`/`cause` pair carried by failure events; absent fields are omitted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ErrorCause {
    pub error: Option<String>,
    pub cause: Option<String>,
}

/// The `resourceType`/`resource` pair of `Task*` events (`arn:aws:states:::lambda:invoke`
/// is recorded as `lambda` / `invoke`).
#[derive(Debug, Clone, PartialEq)]
pub struct TaskResource {
    pub resource_type: String,
    pub resource: String,
}

/// The details of one history event; the variant fixes the event `type`.
#[derive(Debug, Clone, PartialEq)]
pub enum EventDetails {
    ExecutionStarted {
        input: Payload,
        role_arn: String,
        state_machine_alias_arn: Option<String>,
        state_machine_version_arn: Option<String>,
    },
    ExecutionSucceeded {
        output: Payload,
    },
    ExecutionFailed(ErrorCause),
    ExecutionAborted(ErrorCause),
    ExecutionTimedOut(ErrorCause),
    ExecutionRedriven {
        redrive_count: u64,
    },
    StateEntered {
        kind: StateKind,
        name: Arc<str>,
        input: Payload,
    },
    StateExited {
        kind: StateKind,
        name: Arc<str>,
        output: Payload,
        /// Variable name to value as JSON text, when the state has `Assign`.
        assigned_variables: Option<Vec<(String, String)>>,
    },
    TaskScheduled {
        resource: TaskResource,
        region: String,
        parameters: Payload,
        timeout_in_seconds: Option<u64>,
        heartbeat_in_seconds: Option<u64>,
        task_credentials: Option<String>,
    },
    TaskStarted(TaskResource),
    TaskSubmitted {
        resource: TaskResource,
        output: Payload,
    },
    TaskSucceeded {
        resource: TaskResource,
        output: Payload,
    },
    TaskFailed(TaskResource, ErrorCause),
    TaskTimedOut(TaskResource, ErrorCause),
    TaskStartFailed(TaskResource, ErrorCause),
    TaskSubmitFailed(TaskResource, ErrorCause),
    TaskStateAborted,
    LambdaFunctionScheduled {
        resource: String,
        input: Payload,
        timeout_in_seconds: Option<u64>,
        task_credentials: Option<String>,
    },
    LambdaFunctionStarted,
    LambdaFunctionSucceeded {
        output: Payload,
    },
    LambdaFunctionFailed(ErrorCause),
    LambdaFunctionTimedOut(ErrorCause),
    LambdaFunctionScheduleFailed(ErrorCause),
    LambdaFunctionStartFailed(ErrorCause),
    ActivityScheduled {
        resource: String,
        input: Payload,
        timeout_in_seconds: Option<u64>,
        heartbeat_in_seconds: Option<u64>,
    },
    ActivityStarted {
        worker_name: Option<String>,
    },
    ActivitySucceeded {
        output: Payload,
    },
    ActivityFailed(ErrorCause),
    ActivityTimedOut(ErrorCause),
    ActivityScheduleFailed(ErrorCause),
    WaitStateAborted,
    ParallelStateStarted,
    ParallelStateSucceeded,
    ParallelStateFailed,
    ParallelStateAborted,
    MapStateStarted {
        length: u64,
    },
    MapStateSucceeded,
    MapStateFailed,
    MapStateAborted,
    MapIterationStarted {
        name: Arc<str>,
        index: u64,
    },
    MapIterationSucceeded {
        name: Arc<str>,
        index: u64,
    },
    MapIterationFailed {
        name: Arc<str>,
        index: u64,
    },
    MapIterationAborted {
        name: Arc<str>,
        index: u64,
    },
    MapRunStarted {
        map_run_arn: String,
    },
    MapRunSucceeded,
    MapRunFailed(ErrorCause),
    MapRunAborted,
    EvaluationFailed {
        error: Option<String>,
        cause: Option<String>,
        location: Option<String>,
        state: String,
    },
}

impl EventDetails {
    /// The `type` of the event, as `HistoryEventType` spells it.
    pub fn event_type(&self) -> &'static str {
        use EventDetails::*;
        match self {
            ExecutionStarted { .. } => "ExecutionStarted",
            ExecutionSucceeded { .. } => "ExecutionSucceeded",
            ExecutionFailed(_) => "ExecutionFailed",
            ExecutionAborted(_) => "ExecutionAborted",
            ExecutionTimedOut(_) => "ExecutionTimedOut",
            ExecutionRedriven { .. } => "ExecutionRedriven",
            StateEntered { kind, .. } => kind.entered(),
            StateExited { kind, .. } => kind.exited(),
            TaskScheduled { .. } => "TaskScheduled",
            TaskStarted(_) => "TaskStarted",
            TaskSubmitted { .. } => "TaskSubmitted",
            TaskSucceeded { .. } => "TaskSucceeded",
            TaskFailed(..) => "TaskFailed",
            TaskTimedOut(..) => "TaskTimedOut",
            TaskStartFailed(..) => "TaskStartFailed",
            TaskSubmitFailed(..) => "TaskSubmitFailed",
            TaskStateAborted => "TaskStateAborted",
            LambdaFunctionScheduled { .. } => "LambdaFunctionScheduled",
            LambdaFunctionStarted => "LambdaFunctionStarted",
            LambdaFunctionSucceeded { .. } => "LambdaFunctionSucceeded",
            LambdaFunctionFailed(_) => "LambdaFunctionFailed",
            LambdaFunctionTimedOut(_) => "LambdaFunctionTimedOut",
            LambdaFunctionScheduleFailed(_) => "LambdaFunctionScheduleFailed",
            LambdaFunctionStartFailed(_) => "LambdaFunctionStartFailed",
            ActivityScheduled { .. } => "ActivityScheduled",
            ActivityStarted { .. } => "ActivityStarted",
            ActivitySucceeded { .. } => "ActivitySucceeded",
            ActivityFailed(_) => "ActivityFailed",
            ActivityTimedOut(_) => "ActivityTimedOut",
            ActivityScheduleFailed(_) => "ActivityScheduleFailed",
            WaitStateAborted => "WaitStateAborted",
            ParallelStateStarted => "ParallelStateStarted",
            ParallelStateSucceeded => "ParallelStateSucceeded",
            ParallelStateFailed => "ParallelStateFailed",
            ParallelStateAborted => "ParallelStateAborted",
            MapStateStarted { .. } => "MapStateStarted",
            MapStateSucceeded => "MapStateSucceeded",
            MapStateFailed => "MapStateFailed",
            MapStateAborted => "MapStateAborted",
            MapIterationStarted { .. } => "MapIterationStarted",
            MapIterationSucceeded { .. } => "MapIterationSucceeded",
            MapIterationFailed { .. } => "MapIterationFailed",
            MapIterationAborted { .. } => "MapIterationAborted",
            MapRunStarted { .. } => "MapRunStarted",
            MapRunSucceeded => "MapRunSucceeded",
            MapRunFailed(_) => "MapRunFailed",
            MapRunAborted => "MapRunAborted",
            EvaluationFailed { .. } => "EvaluationFailed",
        }
    }

    /// The name of the `*EventDetails` member, when the event type has one.
    fn member(&self) -> Option<&'static str> {
        use EventDetails::*;
        Some(match self {
            ExecutionStarted { .. } => "executionStartedEventDetails",
            ExecutionSucceeded { .. } => "executionSucceededEventDetails",
            ExecutionFailed(_) => "executionFailedEventDetails",
            ExecutionAborted(_) => "executionAbortedEventDetails",
            ExecutionTimedOut(_) => "executionTimedOutEventDetails",
            ExecutionRedriven { .. } => "executionRedrivenEventDetails",
            StateEntered { .. } => "stateEnteredEventDetails",
            StateExited { .. } => "stateExitedEventDetails",
            TaskScheduled { .. } => "taskScheduledEventDetails",
            TaskStarted(_) => "taskStartedEventDetails",
            TaskSubmitted { .. } => "taskSubmittedEventDetails",
            TaskSucceeded { .. } => "taskSucceededEventDetails",
            TaskFailed(..) => "taskFailedEventDetails",
            TaskTimedOut(..) => "taskTimedOutEventDetails",
            TaskStartFailed(..) => "taskStartFailedEventDetails",
            TaskSubmitFailed(..) => "taskSubmitFailedEventDetails",
            LambdaFunctionScheduled { .. } => "lambdaFunctionScheduledEventDetails",
            LambdaFunctionSucceeded { .. } => "lambdaFunctionSucceededEventDetails",
            LambdaFunctionFailed(_) => "lambdaFunctionFailedEventDetails",
            LambdaFunctionTimedOut(_) => "lambdaFunctionTimedOutEventDetails",
            LambdaFunctionScheduleFailed(_) => "lambdaFunctionScheduleFailedEventDetails",
            LambdaFunctionStartFailed(_) => "lambdaFunctionStartFailedEventDetails",
            ActivityScheduled { .. } => "activityScheduledEventDetails",
            ActivityStarted { .. } => "activityStartedEventDetails",
            ActivitySucceeded { .. } => "activitySucceededEventDetails",
            ActivityFailed(_) => "activityFailedEventDetails",
            ActivityTimedOut(_) => "activityTimedOutEventDetails",
            ActivityScheduleFailed(_) => "activityScheduleFailedEventDetails",
            MapStateStarted { .. } => "mapStateStartedEventDetails",
            MapIterationStarted { .. } => "mapIterationStartedEventDetails",
            MapIterationSucceeded { .. } => "mapIterationSucceededEventDetails",
            MapIterationFailed { .. } => "mapIterationFailedEventDetails",
            MapIterationAborted { .. } => "mapIterationAbortedEventDetails",
            MapRunStarted { .. } => "mapRunStartedEventDetails",
            MapRunFailed(_) => "mapRunFailedEventDetails",
            EvaluationFailed { .. } => "evaluationFailedEventDetails",
            TaskStateAborted
            | LambdaFunctionStarted
            | WaitStateAborted
            | ParallelStateStarted
            | ParallelStateSucceeded
            | ParallelStateFailed
            | ParallelStateAborted
            | MapStateSucceeded
            | MapStateFailed
            | MapStateAborted
            | MapRunSucceeded
            | MapRunAborted => return None,
        })
    }
}

/// One event of an execution's history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEvent {
    pub id: u64,
    pub previous_event_id: u64,
    pub timestamp: Timestamp,
    pub details: EventDetails,
}

impl HistoryEvent {
    pub fn event_type(&self) -> &'static str {
        self.details.event_type()
    }

    /// The event as a JSON value (as `GetExecutionHistory` returns it).
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// Serialises a payload as the JSON text AWS records (compact).
struct Text<'a>(&'a Value);

impl Serialize for Text<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = serde_json::to_string(self.0).map_err(serde::ser::Error::custom)?;
        s.serialize_str(&text)
    }
}

struct Truncated;

impl Serialize for Truncated {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry("truncated", &false)?;
        m.end()
    }
}

struct Details<'a>(&'a EventDetails);

fn error_cause<M: SerializeMap>(m: &mut M, ec: &ErrorCause) -> Result<(), M::Error> {
    if let Some(c) = &ec.cause {
        m.serialize_entry("cause", c)?;
    }
    if let Some(e) = &ec.error {
        m.serialize_entry("error", e)?;
    }
    Ok(())
}

fn resource<M: SerializeMap>(m: &mut M, r: &TaskResource) -> Result<(), M::Error> {
    m.serialize_entry("resource", &r.resource)?;
    m.serialize_entry("resourceType", &r.resource_type)
}

impl Serialize for Details<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use EventDetails::*;
        let mut m = s.serialize_map(None)?;
        match self.0 {
            ExecutionStarted {
                input,
                role_arn,
                state_machine_alias_arn,
                state_machine_version_arn,
            } => {
                m.serialize_entry("input", &Text(input))?;
                m.serialize_entry("inputDetails", &Truncated)?;
                m.serialize_entry("roleArn", role_arn)?;
                if let Some(a) = state_machine_alias_arn {
                    m.serialize_entry("stateMachineAliasArn", a)?;
                }
                if let Some(v) = state_machine_version_arn {
                    m.serialize_entry("stateMachineVersionArn", v)?;
                }
            }
            ExecutionSucceeded { output }
            | LambdaFunctionSucceeded { output }
            | ActivitySucceeded { output } => {
                m.serialize_entry("output", &Text(output))?;
                m.serialize_entry("outputDetails", &Truncated)?;
            }
            ExecutionFailed(ec)
            | ExecutionAborted(ec)
            | ExecutionTimedOut(ec)
            | LambdaFunctionFailed(ec)
            | LambdaFunctionTimedOut(ec)
            | LambdaFunctionScheduleFailed(ec)
            | LambdaFunctionStartFailed(ec)
            | ActivityFailed(ec)
            | ActivityTimedOut(ec)
            | ActivityScheduleFailed(ec)
            | MapRunFailed(ec) => error_cause(&mut m, ec)?,
            ExecutionRedriven { redrive_count } => {
                m.serialize_entry("redriveCount", redrive_count)?;
            }
            StateEntered { name, input, .. } => {
                m.serialize_entry("input", &Text(input))?;
                m.serialize_entry("inputDetails", &Truncated)?;
                m.serialize_entry("name", &**name)?;
            }
            StateExited {
                name,
                output,
                assigned_variables,
                ..
            } => {
                if let Some(vars) = assigned_variables {
                    let map: serde_json::Map<String, Value> = vars
                        .iter()
                        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                        .collect();
                    m.serialize_entry("assignedVariables", &map)?;
                    m.serialize_entry("assignedVariablesDetails", &Truncated)?;
                }
                m.serialize_entry("name", &**name)?;
                m.serialize_entry("output", &Text(output))?;
                m.serialize_entry("outputDetails", &Truncated)?;
            }
            TaskScheduled {
                resource: r,
                region,
                parameters,
                timeout_in_seconds,
                heartbeat_in_seconds,
                task_credentials,
            } => {
                if let Some(h) = heartbeat_in_seconds {
                    m.serialize_entry("heartbeatInSeconds", h)?;
                }
                m.serialize_entry("parameters", &Text(parameters))?;
                m.serialize_entry("region", region)?;
                resource(&mut m, r)?;
                if let Some(role) = task_credentials {
                    let mut c = serde_json::Map::new();
                    c.insert("roleArn".into(), Value::String(role.clone()));
                    m.serialize_entry("taskCredentials", &c)?;
                }
                if let Some(t) = timeout_in_seconds {
                    m.serialize_entry("timeoutInSeconds", t)?;
                }
            }
            TaskStarted(r) => resource(&mut m, r)?,
            TaskSubmitted {
                resource: r,
                output,
            }
            | TaskSucceeded {
                resource: r,
                output,
            } => {
                m.serialize_entry("output", &Text(output))?;
                m.serialize_entry("outputDetails", &Truncated)?;
                resource(&mut m, r)?;
            }
            TaskFailed(r, ec)
            | TaskTimedOut(r, ec)
            | TaskStartFailed(r, ec)
            | TaskSubmitFailed(r, ec) => {
                error_cause(&mut m, ec)?;
                resource(&mut m, r)?;
            }
            LambdaFunctionScheduled {
                resource: r,
                input,
                timeout_in_seconds,
                task_credentials,
            } => {
                m.serialize_entry("input", &Text(input))?;
                m.serialize_entry("inputDetails", &Truncated)?;
                m.serialize_entry("resource", r)?;
                if let Some(role) = task_credentials {
                    let mut c = serde_json::Map::new();
                    c.insert("roleArn".into(), Value::String(role.clone()));
                    m.serialize_entry("taskCredentials", &c)?;
                }
                if let Some(t) = timeout_in_seconds {
                    m.serialize_entry("timeoutInSeconds", t)?;
                }
            }
            ActivityScheduled {
                resource: r,
                input,
                timeout_in_seconds,
                heartbeat_in_seconds,
            } => {
                if let Some(h) = heartbeat_in_seconds {
                    m.serialize_entry("heartbeatInSeconds", h)?;
                }
                m.serialize_entry("input", &Text(input))?;
                m.serialize_entry("inputDetails", &Truncated)?;
                m.serialize_entry("resource", r)?;
                if let Some(t) = timeout_in_seconds {
                    m.serialize_entry("timeoutInSeconds", t)?;
                }
            }
            ActivityStarted { worker_name } => {
                if let Some(w) = worker_name {
                    m.serialize_entry("workerName", w)?;
                }
            }
            MapStateStarted { length } => m.serialize_entry("length", length)?,
            MapIterationStarted { name, index }
            | MapIterationSucceeded { name, index }
            | MapIterationFailed { name, index }
            | MapIterationAborted { name, index } => {
                m.serialize_entry("index", index)?;
                m.serialize_entry("name", &**name)?;
            }
            MapRunStarted { map_run_arn } => m.serialize_entry("mapRunArn", map_run_arn)?,
            EvaluationFailed {
                error,
                cause,
                location,
                state,
            } => {
                if let Some(c) = cause {
                    m.serialize_entry("cause", c)?;
                }
                if let Some(e) = error {
                    m.serialize_entry("error", e)?;
                }
                if let Some(l) = location {
                    m.serialize_entry("location", l)?;
                }
                m.serialize_entry("state", state)?;
            }
            TaskStateAborted
            | LambdaFunctionStarted
            | WaitStateAborted
            | ParallelStateStarted
            | ParallelStateSucceeded
            | ParallelStateFailed
            | ParallelStateAborted
            | MapStateSucceeded
            | MapStateFailed
            | MapStateAborted
            | MapRunSucceeded
            | MapRunAborted => {}
        }
        m.end()
    }
}

impl Serialize for HistoryEvent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("timestamp", &self.timestamp.as_epoch_seconds())?;
        m.serialize_entry("type", self.event_type())?;
        m.serialize_entry("id", &self.id)?;
        m.serialize_entry("previousEventId", &self.previous_event_id)?;
        if let Some(member) = self.details.member() {
            m.serialize_entry(member, &Details(&self.details))?;
        }
        m.end()
    }
}
