//! The compiled program: a definition with every path, template and Choice rule parsed once,
//! and every `Next` resolved to an index, so running it does no parsing and no name lookups.

use crate::expr::{jsonata_source, Condition, JTemplate, Path, StringExpr, Template};
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

/// `Assign`: payload-template values (JSONPath) or `{% %}` values (JSONata).
#[derive(Debug)]
pub(crate) enum AssignSpec {
    Path(Template),
    Jsonata(JTemplate),
}

#[derive(Debug)]
pub(crate) struct CCatcher {
    pub error_equals: Vec<String>,
    pub next: StateIdx,
    pub result_path: ResultPathSpec,
    pub assign: Option<AssignSpec>,
    /// JSONata `Output` (default `$states.errorOutput`).
    pub output: Option<JTemplate>,
}

/// A Choice rule's condition.
#[derive(Debug)]
pub(crate) enum Cond {
    Path(Condition),
    Jsonata(JTemplate),
}

#[derive(Debug)]
pub(crate) struct CRule {
    pub cond: Cond,
    pub next: StateIdx,
    pub assign: Option<AssignSpec>,
    pub output: Option<JTemplate>,
}

/// A number given literally, through a `*Path` field, or as a JSONata expression.
#[derive(Debug)]
pub(crate) enum Number<T> {
    Absent,
    Literal(T),
    Path(Path),
    Jsonata(JTemplate),
}

#[derive(Debug)]
pub(crate) enum WaitSpec {
    Seconds(u64),
    SecondsPath(Path),
    Timestamp(String),
    TimestampPath(Path),
    SecondsJsonata(JTemplate),
    TimestampJsonata(JTemplate),
}

#[derive(Debug)]
pub(crate) enum FailField {
    Absent,
    Literal(String),
    Path(StringExpr),
    Jsonata(JTemplate),
}

#[derive(Debug)]
pub(crate) struct MapSpec {
    pub body: ScopeId,
    /// `ProcessorConfig.Mode: DISTRIBUTED`: iterations run as child executions (Map Run).
    pub distributed: bool,
    pub label: Option<String>,
    pub items_path: Option<Path>,
    pub item_selector: Option<Template>,
    /// JSONata `Items` (an array or `{% %}`).
    pub items: Option<JTemplate>,
    /// JSONata `ItemSelector`.
    pub item_selector_jsonata: Option<JTemplate>,
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
    /// JSONata `Credentials` (`{"RoleArn": "{% ... %}"}`).
    pub credentials_jsonata: Option<JTemplate>,
}

#[derive(Debug)]
pub(crate) enum Body {
    Pass {
        result: Option<Arc<Value>>,
    },
    Task(Box<TaskSpec>),
    Choice {
        rules: Vec<CRule>,
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
    Map(Box<MapSpec>),
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
    pub assign: Option<AssignSpec>,
    /// QueryLanguage JSONata: `Arguments`/`Output` replace the JSONPath steps.
    pub jsonata: bool,
    pub arguments: Option<JTemplate>,
    pub output: Option<JTemplate>,
    pub retry: Vec<CRetrier>,
    pub catch: Vec<CCatcher>,
    pub body: Body,
}

impl Program {
    /// Compiles a parsed definition: paths, templates, Choice rules and JSONata expressions
    /// are parsed here, once.
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

fn jtemplate(v: &Value, field: &str, location: &str) -> Result<JTemplate, CompileError> {
    JTemplate::compile(v, field).map_err(|m| err(m, location))
}

fn opt_jtemplate(
    v: Option<&Value>,
    field: &str,
    location: &str,
) -> Result<Option<JTemplate>, CompileError> {
    v.map(|v| jtemplate(v, field, location)).transpose()
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
    field: &str,
    location: &str,
) -> Result<Number<T>, CompileError> {
    if let Some(p) = by_path {
        return Ok(Number::Path(path(p, location)?));
    }
    match literal {
        None => Ok(Number::Absent),
        Some(MaybeExpr::Literal(v)) => Ok(Number::Literal(*v)),
        Some(MaybeExpr::Jsonata(s)) => Ok(Number::Jsonata(jtemplate(
            &Value::String(s.clone()),
            field,
            location,
        )?)),
    }
}

fn assign_spec(
    v: &Option<Value>,
    jsonata: bool,
    location: &str,
) -> Result<Option<AssignSpec>, CompileError> {
    let Some(v) = v else { return Ok(None) };
    Ok(Some(if jsonata {
        AssignSpec::Jsonata(jtemplate(v, "Assign", location)?)
    } else {
        AssignSpec::Path(template(v, location)?)
    }))
}

/// `Error`/`Cause` (literal or JSONata) or `ErrorPath`/`CausePath`.
fn fail_field(
    literal: &Option<String>,
    by_path: &Option<String>,
    field: &str,
    location: &str,
) -> Result<FailField, CompileError> {
    if let Some(p) = by_path {
        return StringExpr::compile(p)
            .map(FailField::Path)
            .map_err(|m| err(m, location));
    }
    Ok(match literal {
        None => FailField::Absent,
        Some(s) if jsonata_source(s).is_some() => {
            FailField::Jsonata(jtemplate(&Value::String(s.clone()), field, location)?)
        }
        Some(s) => FailField::Literal(s.clone()),
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
        let jsonata =
            model::effective_query_language(self.top_language, s) == QueryLanguage::Jsonata;
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
                assign: assign_spec(&c.assign, jsonata, &c.location)?,
                output: opt_jtemplate(c.output.as_ref(), "Output", &c.location)?,
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
                Body::Task(Box::new(TaskSpec {
                    resource: Arc::from(t.resource.as_str()),
                    timeout_seconds: number(
                        &t.timeout_seconds,
                        &t.timeout_seconds_path,
                        "TimeoutSeconds",
                        loc,
                    )?,
                    heartbeat_seconds: number(
                        &t.heartbeat_seconds,
                        &t.heartbeat_seconds_path,
                        "HeartbeatSeconds",
                        loc,
                    )?,
                    credentials: if jsonata {
                        None
                    } else {
                        t.credentials
                            .as_ref()
                            .map(|c| template(c, loc))
                            .transpose()?
                    },
                    credentials_jsonata: if jsonata {
                        opt_jtemplate(t.credentials.as_ref(), "Credentials", loc)?
                    } else {
                        None
                    },
                })),
            ),
            model::StateKind::Choice(c) => {
                let mut rules = Vec::with_capacity(c.choices.len());
                for rule in &c.choices {
                    let cond = match &rule.condition {
                        model::ChoiceCondition::JsonPath(v) => {
                            Cond::Path(Condition::compile(v).map_err(|m| err(m, &rule.location))?)
                        }
                        model::ChoiceCondition::Jsonata(v) => {
                            Cond::Jsonata(jtemplate(v, "Condition", &rule.location)?)
                        }
                    };
                    rules.push(CRule {
                        cond,
                        next: target(&rule.next)?,
                        assign: assign_spec(&rule.assign, jsonata, &rule.location)?,
                        output: opt_jtemplate(rule.output.as_ref(), "Output", &rule.location)?,
                    });
                }
                let default = c.default.as_deref().map(target).transpose()?;
                (StateKind::Choice, Body::Choice { rules, default })
            }
            model::StateKind::Wait(w) => {
                let spec =
                    match &w.wait {
                        WaitFor::Seconds(MaybeExpr::Literal(n)) => WaitSpec::Seconds(*n),
                        WaitFor::Seconds(MaybeExpr::Jsonata(e)) => WaitSpec::SecondsJsonata(
                            jtemplate(&Value::String(e.clone()), "Seconds", loc)?,
                        ),
                        WaitFor::SecondsPath(p) => WaitSpec::SecondsPath(path(p, loc)?),
                        WaitFor::Timestamp(t) if jsonata_source(t).is_some() => {
                            WaitSpec::TimestampJsonata(jtemplate(
                                &Value::String(t.clone()),
                                "Timestamp",
                                loc,
                            )?)
                        }
                        WaitFor::Timestamp(t) => WaitSpec::Timestamp(t.clone()),
                        WaitFor::TimestampPath(p) => WaitSpec::TimestampPath(path(p, loc)?),
                    };
                (StateKind::Wait, Body::Wait(spec))
            }
            model::StateKind::Succeed => (StateKind::Succeed, Body::Succeed),
            model::StateKind::Fail(f) => (
                StateKind::Fail,
                Body::Fail {
                    error: fail_field(&f.error, &f.error_path, "Error", loc)?,
                    cause: fail_field(&f.cause, &f.cause_path, "Cause", loc)?,
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
                let (item_selector, item_selector_jsonata) = if jsonata {
                    (
                        None,
                        opt_jtemplate(m.item_selector.as_ref(), "ItemSelector", loc)?,
                    )
                } else {
                    (
                        m.item_selector
                            .as_ref()
                            .map(|t| template(t, loc))
                            .transpose()?,
                        None,
                    )
                };
                (
                    StateKind::Map,
                    Body::Map(Box::new(MapSpec {
                        body,
                        distributed: m.processor_config.mode == model::MapMode::Distributed,
                        label: m.label.clone(),
                        items_path: m.items_path.as_deref().map(|p| path(p, loc)).transpose()?,
                        item_selector,
                        items: opt_jtemplate(m.items.as_ref(), "Items", loc)?,
                        item_selector_jsonata,
                        max_concurrency: number(
                            &m.max_concurrency,
                            &m.max_concurrency_path,
                            "MaxConcurrency",
                            loc,
                        )?,
                        tolerated_failure_count: number(
                            &m.tolerated_failure_count,
                            &m.tolerated_failure_count_path,
                            "ToleratedFailureCount",
                            loc,
                        )?,
                        tolerated_failure_percentage: number(
                            &m.tolerated_failure_percentage,
                            &m.tolerated_failure_percentage_path,
                            "ToleratedFailurePercentage",
                            loc,
                        )?,
                    })),
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
            assign: assign_spec(&s.assign, jsonata, loc)?,
            jsonata,
            arguments: opt_jtemplate(s.arguments.as_ref(), "Arguments", loc)?,
            output: opt_jtemplate(s.output.as_ref(), "Output", loc)?,
            retry,
            catch,
            body,
        })
    }
}
