//! `Task`: hands a unit of work to an integration and waits for its result.

use crate::api::{Effect, TaskId, TaskInvocation};
use crate::execution::{Block, ContextExtra, Execution, Flow, TaskWait, ThreadId};
use crate::expr::{EvalFail, JsonataFailure};
use crate::history::{ErrorCause, EventDetails, TaskResource};
use crate::jsonata_flow::StatesVar;
use crate::program::{Body, CState, Number, TaskSpec};
use crate::states::wait::show;
use asl::error::StatesError;
use serde_json::Value;
use std::sync::Arc;

/// Which family of history events a Task's resource records.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Flavor {
    /// `arn:aws:states:::service:action[.pattern]` → `Task*` events.
    Service(TaskResource),
    /// A Lambda function ARN → `LambdaFunction*` events.
    Lambda(String),
    /// An activity ARN → `Activity*` events.
    Activity(String),
}

/// Classifies a `Resource` ARN.
pub(crate) fn flavor_of(resource: &str) -> Flavor {
    if let Some(rest) = resource
        .strip_prefix("arn:")
        .and_then(|r| r.split_once(':').map(|(_, x)| x))
    {
        // rest: "<service>:<region>:<account>:<resource...>"
        let mut parts = rest.splitn(4, ':');
        let service = parts.next().unwrap_or("");
        let region = parts.next().unwrap_or("");
        let account = parts.next().unwrap_or("");
        let tail = parts.next().unwrap_or("");
        if service == "lambda" {
            return Flavor::Lambda(resource.to_string());
        }
        if service == "states" && region.is_empty() && account.is_empty() {
            // aws-sdk:<service>:<action> keeps the service in resourceType.
            if let Some(sdk) = tail.strip_prefix("aws-sdk:") {
                if let Some((svc, action)) = sdk.split_once(':') {
                    return Flavor::Service(TaskResource {
                        resource_type: format!("aws-sdk:{svc}"),
                        resource: action.to_string(),
                    });
                }
            }
            if let Some((svc, action)) = tail.split_once(':') {
                return Flavor::Service(TaskResource {
                    resource_type: svc.to_string(),
                    resource: action.to_string(),
                });
            }
        }
        if service == "states" && tail.starts_with("activity:") {
            return Flavor::Activity(resource.to_string());
        }
    }
    Flavor::Service(TaskResource {
        resource_type: String::new(),
        resource: resource.to_string(),
    })
}

fn needs_token(resource: &str, flavor: &Flavor) -> bool {
    resource.contains(".waitForTaskToken") || matches!(flavor, Flavor::Activity(_))
}

impl Execution {
    fn resolve_seconds(
        &self,
        id: ThreadId,
        n: &Number<u64>,
        input: &Value,
        field: &str,
    ) -> Result<Option<u64>, EvalFail> {
        match n {
            Number::Absent => Ok(None),
            Number::Literal(v) => Ok(Some(*v)),
            Number::Jsonata(t) => {
                let v = self.jeval(id, t, StatesVar::input(input))?;
                match v.as_u64() {
                    Some(n) if n > 0 => Ok(Some(n)),
                    _ => Err(JsonataFailure::new(
                        field,
                        format!("The {field} field must be a positive integer: {}", show(&v)),
                    )
                    .into()),
                }
            }
            Number::Path(p) => {
                let v = self.eval(id, input, p.needs_context(), ContextExtra::default(), |s| {
                    p.select(s)
                })?;
                match v.as_u64() {
                    Some(n) if n > 0 => Ok(Some(n)),
                    _ => Err(StatesError::runtime(format!(
                        "The {field}Path field refers to value \"{}\" which is not a valid positive integer: {}",
                        show(&v),
                        p.source()
                    ))
                    .into()),
                }
            }
        }
    }

    pub(crate) fn run_task(&mut self, id: ThreadId, state: &CState, spec: &TaskSpec) -> Flow {
        let Some(raw) = self.thread(id).map(|t| Arc::clone(&t.input)) else {
            return Flow::Ended;
        };
        let flavor = flavor_of(&spec.resource);
        if let Flavor::Activity(arn) = &flavor {
            if !self.entropy.borrow_mut().activity_exists(arn) {
                let e = StatesError::runtime(format!("The activity {arn} does not exist."));
                return self.fail_catchable(id, state, e);
            }
        }
        let token = if needs_token(&spec.resource, &flavor) {
            Some(self.entropy.borrow_mut().uuid())
        } else {
            None
        };
        let outcome = (|| -> Result<_, EvalFail> {
            let extra = ContextExtra {
                task_token: token.as_deref(),
                map_item: None,
            };
            let parameters = if state.jsonata {
                match &state.arguments {
                    None => Arc::clone(&raw),
                    Some(t) => {
                        let sv = StatesVar {
                            extra,
                            ..StatesVar::input(&raw)
                        };
                        Arc::new(self.jeval(id, t, sv)?)
                    }
                }
            } else {
                let effective = self.apply_input_path(id, &state.input_path, &raw)?;
                self.apply_parameters(id, state.parameters.as_ref(), effective, extra)?
            };
            let timeout =
                self.resolve_seconds(id, &spec.timeout_seconds, &raw, "TimeoutSeconds")?;
            let heartbeat =
                self.resolve_seconds(id, &spec.heartbeat_seconds, &raw, "HeartbeatSeconds")?;
            let credentials = match (&spec.credentials, &spec.credentials_jsonata) {
                (Some(t), _) => {
                    Some(self.eval(id, &raw, t.needs_context(), extra, |s| t.evaluate(s))?)
                }
                (None, Some(t)) => Some(self.jeval(id, t, StatesVar::input(&raw))?),
                (None, None) => None,
            };
            let role = credentials.and_then(|v| match v.get("RoleArn") {
                Some(Value::String(s)) => Some(s.clone()),
                Some(other) => Some(other.to_string()),
                None => None,
            });
            Ok((parameters, timeout, heartbeat, role))
        })();
        let (parameters, timeout, heartbeat, role) = match outcome {
            Ok(x) => x,
            Err(e) => return self.fail_catchable(id, state, e),
        };
        let task = self.new_task_id();
        self.tasks.insert(task, id);
        let details = match &flavor {
            Flavor::Service(r) => EventDetails::TaskScheduled {
                resource: r.clone(),
                region: self.ctx.region.clone(),
                parameters: Arc::clone(&parameters),
                timeout_in_seconds: timeout,
                heartbeat_in_seconds: heartbeat,
                task_credentials: role.clone(),
            },
            Flavor::Lambda(arn) => EventDetails::LambdaFunctionScheduled {
                resource: arn.clone(),
                input: Arc::clone(&parameters),
                timeout_in_seconds: timeout,
                task_credentials: role.clone(),
            },
            Flavor::Activity(arn) => EventDetails::ActivityScheduled {
                resource: arn.clone(),
                input: Arc::clone(&parameters),
                timeout_in_seconds: timeout,
                heartbeat_in_seconds: heartbeat,
            },
        };
        self.push_thread_event(id, details, true);
        let timeout_timer = timeout.map(|t| {
            let at = self.now.plus_seconds(t);
            self.start_timer(id, at)
        });
        self.effect(Effect::InvokeTask(TaskInvocation {
            task,
            resource: Arc::clone(&spec.resource),
            parameters,
            timeout_seconds: timeout,
            heartbeat_seconds: heartbeat,
            task_token: token,
            role_arn: role,
            state_name: Arc::clone(&state.name),
        }));
        if let Some(t) = self.thread_mut(id) {
            t.block = Block::Task(TaskWait {
                task,
                timeout_timer,
                heartbeat_timer: None,
                heartbeat_seconds: heartbeat,
                started: false,
                flavor,
            });
        }
        Flow::Blocked
    }

    fn task_thread(&self, task: TaskId) -> Option<ThreadId> {
        let id = *self.tasks.get(&task)?;
        match self.thread(id).map(|t| &t.block) {
            Some(Block::Task(w)) if w.task == task => Some(id),
            _ => None,
        }
    }

    fn current_state(&self, id: ThreadId) -> Option<(Arc<crate::program::Program>, usize, usize)> {
        let t = self.thread(id)?;
        Some((Arc::clone(&self.program), t.scope, t.state))
    }

    pub(crate) fn on_task_started(&mut self, task: TaskId, worker_name: Option<String>) {
        let Some(id) = self.task_thread(task) else {
            return;
        };
        self.mark_started_by(id, worker_name);
    }

    pub(crate) fn on_task_submitted(&mut self, task: TaskId, output: Value) {
        let Some(id) = self.task_thread(task) else {
            return;
        };
        self.mark_started(id);
        let resource = match self.thread(id).map(|t| &t.block) {
            Some(Block::Task(TaskWait {
                flavor: Flavor::Service(r),
                ..
            })) => r.clone(),
            _ => return,
        };
        self.push_thread_event(
            id,
            EventDetails::TaskSubmitted {
                resource,
                output: Arc::new(output),
            },
            true,
        );
    }

    fn mark_started(&mut self, id: ThreadId) {
        self.mark_started_by(id, None);
    }

    fn mark_started_by(&mut self, id: ThreadId, worker_name: Option<String>) {
        let (flavor, heartbeat) = match self.thread(id).map(|t| &t.block) {
            Some(Block::Task(w)) if !w.started => (w.flavor.clone(), w.heartbeat_seconds),
            _ => return,
        };
        let details = match flavor {
            Flavor::Service(r) => EventDetails::TaskStarted(r),
            Flavor::Lambda(_) => EventDetails::LambdaFunctionStarted,
            Flavor::Activity(_) => EventDetails::ActivityStarted { worker_name },
        };
        self.push_thread_event(id, details, true);
        let hb = heartbeat.map(|h| {
            let at = self.now.plus_seconds(h);
            self.start_timer(id, at)
        });
        if let Some(Block::Task(w)) = self.thread_mut(id).map(|t| &mut t.block) {
            w.started = true;
            w.heartbeat_timer = hb;
        }
    }

    pub(crate) fn on_task_heartbeat(&mut self, task: TaskId) {
        let Some(id) = self.task_thread(task) else {
            return;
        };
        let (old, hb) = match self.thread(id).map(|t| &t.block) {
            Some(Block::Task(w)) => (w.heartbeat_timer, w.heartbeat_seconds),
            _ => return,
        };
        if let (Some(old), Some(h)) = (old, hb) {
            self.cancel_timer(old);
            let at = self.now.plus_seconds(h);
            let timer = self.start_timer(id, at);
            if let Some(Block::Task(w)) = self.thread_mut(id).map(|t| &mut t.block) {
                w.heartbeat_timer = Some(timer);
            }
        }
    }

    /// Leaves the task wait: forgets the task and its timers; returns the flavor.
    fn close_task(&mut self, id: ThreadId) -> Option<Flavor> {
        let t = self.thread_mut(id)?;
        let Block::Task(w) = std::mem::replace(&mut t.block, Block::Ready) else {
            return None;
        };
        self.tasks.remove(&w.task);
        if let Some(x) = w.timeout_timer {
            self.cancel_timer(x);
        }
        if let Some(x) = w.heartbeat_timer {
            self.cancel_timer(x);
        }
        Some(w.flavor)
    }

    pub(crate) fn on_task_succeeded(&mut self, task: TaskId, output: Value) {
        let Some(id) = self.task_thread(task) else {
            return;
        };
        self.mark_started(id);
        let Some(flavor) = self.close_task(id) else {
            return;
        };
        let Some((program, scope, idx)) = self.current_state(id) else {
            return;
        };
        let Some(state) = program.scopes.get(scope).and_then(|s| s.states.get(idx)) else {
            return;
        };
        let result = Arc::new(output);
        if crate::execution::payload_size(&result) > crate::execution::MAX_PAYLOAD_BYTES {
            // AWS names the task by its integration (`lambda`) or its ARN here.
            let task_name = match &flavor {
                Flavor::Service(r) => r.resource_type.clone(),
                Flavor::Lambda(arn) | Flavor::Activity(arn) => arn.clone(),
            };
            let ec = ErrorCause {
                error: Some("States.DataLimitExceeded".into()),
                cause: Some(format!(
                    "The state/task '{task_name}' returned a result with a size exceeding the maximum number of bytes service limit."
                )),
            };
            self.record_task_failure(id, &flavor, ec.clone());
            if self.state_failed(id, state, ec, None) == Flow::Continue {
                self.schedule(id);
            }
            return;
        }
        let details = match flavor {
            Flavor::Service(r) => EventDetails::TaskSucceeded {
                resource: r,
                output: Arc::clone(&result),
            },
            Flavor::Lambda(_) => EventDetails::LambdaFunctionSucceeded {
                output: Arc::clone(&result),
            },
            Flavor::Activity(_) => EventDetails::ActivitySucceeded {
                output: Arc::clone(&result),
            },
        };
        self.push_thread_event(id, details, true);
        let flow = self.finish_with_result(id, state, result);
        if flow == Flow::Continue {
            self.schedule(id);
        }
    }

    /// ResultSelector → ResultPath → OutputPath, then exit (Task, Parallel, Map).
    pub(crate) fn finish_with_result(
        &mut self,
        id: ThreadId,
        state: &CState,
        result: Arc<Value>,
    ) -> Flow {
        let Some(raw) = self.thread(id).map(|t| Arc::clone(&t.input)) else {
            return Flow::Ended;
        };
        if state.jsonata {
            let sv = StatesVar {
                result: Some(&result),
                ..StatesVar::input(&raw)
            };
            return self.jsonata_exit(
                id,
                state,
                sv,
                crate::jsonata_flow::JsonataExit {
                    default_output: Arc::clone(&result),
                    output: state.output.as_ref(),
                    assign: state.assign.as_ref(),
                    next: None,
                },
            );
        }
        let outcome = (|| -> Result<_, asl::error::StatesError> {
            let assign = self.eval_assign(id, state.assign.as_ref(), &result)?;
            let selected =
                self.apply_result_selector(id, state.result_selector.as_ref(), result)?;
            let output = self.apply_result_path(&state.result_path, &raw, selected)?;
            let output = self.apply_output_path(id, &state.output_path, &output)?;
            Ok((output, assign))
        })();
        match outcome {
            Ok((output, assign)) => {
                let assigned = self.commit_assign(id, assign);
                self.exit_state(id, state, output, assigned, None)
            }
            Err(e) => self.fail_catchable(id, state, e),
        }
    }

    fn record_task_failure(&mut self, id: ThreadId, flavor: &Flavor, ec: ErrorCause) {
        let details = match flavor {
            Flavor::Service(r) => EventDetails::TaskFailed(r.clone(), ec),
            Flavor::Lambda(_) => EventDetails::LambdaFunctionFailed(ec),
            Flavor::Activity(_) => EventDetails::ActivityFailed(ec),
        };
        self.push_thread_event(id, details, true);
    }

    pub(crate) fn on_task_failed(&mut self, task: TaskId, ec: ErrorCause) {
        let Some(id) = self.task_thread(task) else {
            return;
        };
        self.mark_started(id);
        let Some(flavor) = self.close_task(id) else {
            return;
        };
        let Some((program, scope, idx)) = self.current_state(id) else {
            return;
        };
        let Some(state) = program.scopes.get(scope).and_then(|s| s.states.get(idx)) else {
            return;
        };
        self.record_task_failure(id, &flavor, ec.clone());
        // A waiting Task (callback token, activity) whose failure ends a Parallel branch is
        // also recorded as aborted, after its failure event (AWS's recording of
        // test_sqs_failure_in_wait_for_task_tok_no_error_field[SQS_PARALLEL_WAIT_FOR_TASK_TOKEN]).
        let waiting =
            matches!(&state.body, Body::Task(spec) if needs_token(&spec.resource, &flavor));
        let aborted_after = self
            .thread(id)
            .filter(|t| waiting && !t.silent)
            .and_then(|t| Some((t.source, t.parent?.0)))
            .filter(|(_, parent)| {
                self.thread(*parent)
                    .and_then(|p| p.fanout.as_ref())
                    .is_some_and(|f| !f.is_map)
            })
            .map(|(failed, _)| failed);
        match self.state_failed(id, state, ec, None) {
            Flow::Continue => self.schedule(id),
            Flow::Ended => {
                if let Some(failed) = aborted_after {
                    self.push_event(failed, EventDetails::TaskStateAborted);
                }
            }
            _ => {}
        }
    }

    pub(crate) fn on_task_timeout(&mut self, id: ThreadId, heartbeat: bool) {
        let task = match self.thread(id).map(|t| &t.block) {
            Some(Block::Task(w)) => w.task,
            _ => return,
        };
        let Some(flavor) = self.close_task(id) else {
            return;
        };
        // The work may still be running outside (a worker, a callback holder, a child
        // execution): the host stops waiting for it, and its token stops answering.
        self.effect(Effect::CancelTask { task });
        let Some((program, scope, idx)) = self.current_state(id) else {
            return;
        };
        let Some(state) = program.scopes.get(scope).and_then(|s| s.states.get(idx)) else {
            return;
        };
        // Both timeouts are recorded as States.Timeout (AWS's histories); a heartbeat timeout
        // is also matched by `States.HeartbeatTimeout` in Retry and Catch.
        let ec = ErrorCause {
            error: Some(crate::error_handling::STATES_TIMEOUT.into()),
            cause: None,
        };
        let details = match &flavor {
            Flavor::Service(r) => EventDetails::TaskTimedOut(r.clone(), ec.clone()),
            Flavor::Lambda(_) => EventDetails::LambdaFunctionTimedOut(ec.clone()),
            Flavor::Activity(_) => EventDetails::ActivityTimedOut(ec.clone()),
        };
        self.push_thread_event(id, details, true);
        self.heartbeat_timed_out = heartbeat;
        if self.state_failed(id, state, ec, None) == Flow::Continue {
            self.schedule(id);
        }
    }
}
