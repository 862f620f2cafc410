//! The compiled program: a definition with every path, template and Choice rule parsed once,
//! and every `Next` resolved to an index, so running it does no parsing and no name lookups.

use crate::expr::{Condition, Path, StringExpr, Template};
use crate::history::StateKind;
use asl::model::{self, IoPath, MaybeExpr, QueryLanguage, StateMachine, WaitFor};
use serde_json::Value;
use std::sync::Arc;

/// Why a definition could not be compiled.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct CompileError {
    pub message: String,
    pub location: String,
}

fn err(message: impl Into<String>, location: &str) -> CompileError {
    CompileError {
        message: message.into(),
        location: location.to_string(),
    }
}

pub(crate) type ScopeId = usize;
pub(crate) type StateIdx = usize;

/// A definition ready to run; shared by all executions of it.
#[derive(Debug)]
pub struct Program {
    pub(crate) scopes: Vec<Scope>,
    pub(crate) timeout_seconds: Option<u64>,
}

/// One `{StartAt, States}` body: the top level, a Parallel branch or a Map's ItemProcessor.
#[derive(Debug)]
pub(crate) struct Scope {
    pub states: Vec<CState>,
    pub start: StateIdx,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Transition {
    Next(StateIdx),
    End,
}

/// `InputPath`/`OutputPath`: absent (`$`), a path, or `null` (`{}`).
#[derive(Debug)]
pub(crate) enum Selector {
    Identity,
    Path(Path),
    Empty,
}

/// `ResultPath`: absent (`$`, the result replaces the input), a path, or `null` (discard).
#[derive(Debug)]
pub(crate) enum ResultPathSpec {
    Replace,
    Path(Path),
    Discard,
}

#[derive(Debug)]
pub(crate) struct CRetrier {
    pub error_equals: Vec<String>,
    pub interval_seconds: u64,
    pub max_attempts: u64,
    pub backoff_rate: f64,
    pub max_delay_seconds: Option<u64>,
    pub jitter_full: bool,
}

#[derive(Debug)]
pub(crate) struct CCatcher {
    pub error_equals: Vec<String>,
    pub next: StateIdx,
    pub result_path: ResultPathSpec,
    pub assign: Option<Template>,
}

/// A number given literally or through a `*Path` field.
#[derive(Debug)]
pub(crate) enum Number<T> {
    Absent,
    Literal(T),
    Path(Path),
}

#[derive(Debug)]
pub(crate) enum WaitSpec {
    Seconds(u64),
    SecondsPath(Path),
    Timestamp(String),
    TimestampPath(Path),
}

#[derive(Debug)]
pub(crate) enum FailField {
    Absent,
    Literal(String),
    Path(StringExpr),
}

#[derive(Debug)]
pub(crate) struct MapSpec {
    pub body: ScopeId,
    /// `ProcessorConfig.Mode: DISTRIBUTED`: iterations run as child executions (Map Run).
    pub distributed: bool,
    pub label: Option<String>,
    pub items_path: Option<Path>,
    pub item_selector: Option<Template>,
    pub max_concurrency: Number<u64>,
    pub tolerated_failure_count: Number<u64>,
    pub tolerated_failure_percentage: Number<f64>,
}

#[derive(Debug)]
pub(crate) struct TaskSpec {
    pub resource: Arc<str>,
    pub timeout_seconds: Number<u64>,
    pub heartbeat_seconds: Number<u64>,
    pub credentials: Option<Template>,
}

#[derive(Debug)]
pub(crate) enum Body {
    Pass {
        result: Option<Arc<Value>>,
    },
    Task(TaskSpec),
    Choice {
        rules: Vec<(Condition, StateIdx, Option<Template>)>,
        default: Option<StateIdx>,
    },
    Wait(WaitSpec),
    Succeed,
    Fail {
        error: FailField,
        cause: FailField,
    },
    Parallel {
        branches: Vec<ScopeId>,
    },
    Map(MapSpec),
}

/// A compiled state.
#[derive(Debug)]
pub(crate) struct CState {
    pub name: Arc<str>,
    pub kind: StateKind,
    pub transition: Transition,
    pub input_path: Selector,
    pub output_path: Selector,
    pub parameters: Option<Template>,
    pub result_selector: Option<Template>,
    pub result_path: ResultPathSpec,
    pub assign: Option<Template>,
    pub retry: Vec<CRetrier>,
    pub catch: Vec<CCatcher>,
    pub body: Body,
}

impl Program {
    /// Compiles a parsed definition. JSONata states are refused for now.
    pub fn compile(machine: &StateMachine) -> Result<Program, CompileError> {
        let mut c = Compiler {
            scopes: Vec::new(),
            top_language: machine.root.query_language,
        };
        c.scope(&machine.root)?;
        Ok(Program {
            scopes: c.scopes,
            timeout_seconds: machine.timeout_seconds,
        })
    }

    /// Total number of states (all scopes).
    pub fn state_count(&self) -> usize {
        self.scopes.iter().map(|s| s.states.len()).sum()
    }
}

struct Compiler {
    scopes: Vec<Scope>,
    top_language: Option<QueryLanguage>,
}

fn path(src: &str, location: &str) -> Result<Path, CompileError> {
    Path::compile(src).map_err(|m| err(m, location))
}

fn template(src: &Value, location: &str) -> Result<Template, CompileError> {
    Template::compile(src).map_err(|m| err(m, location))
}

fn selector(p: &Option<IoPath>, location: &str) -> Result<Selector, CompileError> {
    Ok(match p {
        None => Selector::Identity,
        Some(IoPath::Null) => Selector::Empty,
        Some(IoPath::Path(s)) => {
            let p = path(s, location)?;
            if p.is_root() {
                Selector::Identity
            } else {
                Selector::Path(p)
            }
        }
    })
}

fn result_path(p: &Option<IoPath>, location: &str) -> Result<ResultPathSpec, CompileError> {
    Ok(match p {
        None => ResultPathSpec::Replace,
        Some(IoPath::Null) => ResultPathSpec::Discard,
        Some(IoPath::Path(s)) => {
            let p = path(s, location)?;
            if p.is_root() {
                ResultPathSpec::Replace
            } else {
                ResultPathSpec::Path(p)
            }
        }
    })
}

fn number<T: Copy>(
    literal: &Option<MaybeExpr<T>>,
    by_path: &Option<String>,
    location: &str,
) -> Result<Number<T>, CompileError> {
    if let Some(p) = by_path {
        return Ok(Number::Path(path(p, location)?));
    }
    match literal {
        None => Ok(Number::Absent),
        Some(MaybeExpr::Literal(v)) => Ok(Number::Literal(*v)),
        Some(MaybeExpr::Jsonata(_)) => {
            Err(err("JSONata expressions are not supported yet", location))
        }
    }
}

fn fail_field(
    literal: &Option<String>,
    by_path: &Option<String>,
    location: &str,
) -> Result<FailField, CompileError> {
    if let Some(p) = by_path {
        return StringExpr::compile(p)
            .map(FailField::Path)
            .map_err(|m| err(m, location));
    }
    Ok(match literal {
        Some(s) => FailField::Literal(s.clone()),
        None => FailField::Absent,
    })
}

impl Compiler {
    fn scope(&mut self, branch: &model::Branch) -> Result<ScopeId, CompileError> {
        let id = self.scopes.len();
        self.scopes.push(Scope {
            states: Vec::new(),
            start: 0,
        });
        let start = branch.start_index().ok_or_else(|| {
            err(
                format!("Missing 'StartAt' state '{}'", branch.start_at),
                &branch.location,
            )
        })?;
        let mut states = Vec::with_capacity(branch.states.len());
        for s in branch.states.iter() {
            states.push(self.state(s, &branch.states)?);
        }
        if let Some(scope) = self.scopes.get_mut(id) {
            scope.states = states;
            scope.start = start;
        }
        Ok(id)
    }

    fn state(
        &mut self,
        s: &model::State,
        siblings: &model::States,
    ) -> Result<CState, CompileError> {
        let loc = s.location.as_str();
        if model::effective_query_language(self.top_language, s) == QueryLanguage::Jsonata {
            return Err(err(
                format!(
                    "State '{}' uses QueryLanguage JSONata, which this engine does not run yet",
                    s.name
                ),
                loc,
            ));
        }
        let target = |name: &str| -> Result<StateIdx, CompileError> {
            siblings
                .index_of(name)
                .ok_or_else(|| err(format!("Missing 'Next' target: {name}"), loc))
        };
        let transition = match &s.next {
            Some(n) => Transition::Next(target(n)?),
            None => Transition::End,
        };
        let retry = s
            .retry
            .iter()
            .map(|r| CRetrier {
                error_equals: r.error_equals.clone(),
                interval_seconds: r.interval_seconds,
                max_attempts: r.max_attempts,
                backoff_rate: r.backoff_rate,
                max_delay_seconds: r.max_delay_seconds,
                jitter_full: r.jitter_strategy == model::JitterStrategy::Full,
            })
            .collect();
        let mut catch = Vec::with_capacity(s.catch.len());
        for c in &s.catch {
            catch.push(CCatcher {
                error_equals: c.error_equals.clone(),
                next: target(&c.next)?,
                result_path: result_path(&c.result_path, &c.location)?,
                assign: c
                    .assign
                    .as_ref()
                    .map(|a| template(a, &c.location))
                    .transpose()?,
            });
        }
        let (kind, body) = match &s.kind {
            model::StateKind::Pass(p) => (
                StateKind::Pass,
                Body::Pass {
                    result: p.result.clone().map(Arc::new),
                },
            ),
            model::StateKind::Task(t) => (
                StateKind::Task,
                Body::Task(TaskSpec {
                    resource: Arc::from(t.resource.as_str()),
                    timeout_seconds: number(&t.timeout_seconds, &t.timeout_seconds_path, loc)?,
                    heartbeat_seconds: number(
                        &t.heartbeat_seconds,
                        &t.heartbeat_seconds_path,
                        loc,
                    )?,
                    credentials: t
                        .credentials
                        .as_ref()
                        .map(|c| template(c, loc))
                        .transpose()?,
                }),
            ),
            model::StateKind::Choice(c) => {
                let mut rules = Vec::with_capacity(c.choices.len());
                for rule in &c.choices {
                    let cond = match &rule.condition {
                        model::ChoiceCondition::JsonPath(v) => {
                            Condition::compile(v).map_err(|m| err(m, &rule.location))?
                        }
                        model::ChoiceCondition::Jsonata(_) => {
                            return Err(err(
                                "JSONata conditions are not supported yet",
                                &rule.location,
                            ))
                        }
                    };
                    let assign = rule
                        .assign
                        .as_ref()
                        .map(|a| template(a, &rule.location))
                        .transpose()?;
                    rules.push((cond, target(&rule.next)?, assign));
                }
                let default = c.default.as_deref().map(target).transpose()?;
                (StateKind::Choice, Body::Choice { rules, default })
            }
            model::StateKind::Wait(w) => {
                let spec = match &w.wait {
                    WaitFor::Seconds(MaybeExpr::Literal(n)) => WaitSpec::Seconds(*n),
                    WaitFor::Seconds(MaybeExpr::Jsonata(_)) => {
                        return Err(err("JSONata expressions are not supported yet", loc))
                    }
                    WaitFor::SecondsPath(p) => WaitSpec::SecondsPath(path(p, loc)?),
                    WaitFor::Timestamp(t) => WaitSpec::Timestamp(t.clone()),
                    WaitFor::TimestampPath(p) => WaitSpec::TimestampPath(path(p, loc)?),
                };
                (StateKind::Wait, Body::Wait(spec))
            }
            model::StateKind::Succeed => (StateKind::Succeed, Body::Succeed),
            model::StateKind::Fail(f) => (
                StateKind::Fail,
                Body::Fail {
                    error: fail_field(&f.error, &f.error_path, loc)?,
                    cause: fail_field(&f.cause, &f.cause_path, loc)?,
                },
            ),
            model::StateKind::Parallel(p) => {
                let mut branches = Vec::with_capacity(p.branches.len());
                for b in &p.branches {
                    branches.push(self.scope(b)?);
                }
                (StateKind::Parallel, Body::Parallel { branches })
            }
            model::StateKind::Map(m) => {
                let body = self.scope(&m.item_processor)?;
                (
                    StateKind::Map,
                    Body::Map(MapSpec {
                        body,
                        distributed: m.processor_config.mode == model::MapMode::Distributed,
                        label: m.label.clone(),
                        items_path: m.items_path.as_deref().map(|p| path(p, loc)).transpose()?,
                        item_selector: m
                            .item_selector
                            .as_ref()
                            .map(|t| template(t, loc))
                            .transpose()?,
                        max_concurrency: number(&m.max_concurrency, &m.max_concurrency_path, loc)?,
                        tolerated_failure_count: number(
                            &m.tolerated_failure_count,
                            &m.tolerated_failure_count_path,
                            loc,
                        )?,
                        tolerated_failure_percentage: number(
                            &m.tolerated_failure_percentage,
                            &m.tolerated_failure_percentage_path,
                            loc,
                        )?,
                    }),
                )
            }
        };
        // Map keeps its legacy `Parameters` as the ItemSelector; elsewhere they are Parameters.
        let parameters = match &s.kind {
            model::StateKind::Map(_) => None,
            _ => s
                .parameters
                .as_ref()
                .map(|p| template(p, loc))
                .transpose()?,
        };
        Ok(CState {
            name: Arc::from(s.name.as_str()),
            kind,
            transition,
            input_path: selector(&s.input_path, loc)?,
            output_path: selector(&s.output_path, loc)?,
            parameters,
            result_selector: s
                .result_selector
                .as_ref()
                .map(|t| template(t, loc))
                .transpose()?,
            result_path: result_path(&s.result_path, loc)?,
            assign: s.assign.as_ref().map(|a| template(a, loc)).transpose()?,
            retry,
            catch,
            body,
        })
    }
}
