//! `Map` (inline and distributed): runs its ItemProcessor once per item of `ItemsPath` /
//! `Items`, at most `MaxConcurrency` at a time; the result is the array of iteration outputs.

use crate::execution::{ContextExtra, Execution, Fanout, Flow, ThreadId};
use crate::expr::{jsonata_type_name, EvalFail, JsonataFailure};
use crate::history::EventDetails;
use crate::jsonata_flow::StatesVar;
use crate::program::{CState, MapSpec, Number};
use crate::states::wait::show;
use asl::error::StatesError;
use serde_json::Value;
use std::sync::Arc;

/// Literal Map numbers (`u64` counts, `f64` percentages) as one type.
pub(crate) trait ToF64 {
    fn to_f64(self) -> f64;
}

impl ToF64 for u64 {
    fn to_f64(self) -> f64 {
        self as f64
    }
}

impl ToF64 for f64 {
    fn to_f64(self) -> f64 {
        self
    }
}

/// Iterations an inline Map runs at once when `MaxConcurrency` sets no limit.
pub(crate) const INLINE_CONCURRENCY: usize = 40;

impl Execution {
    /// A number field of the Map (literal, `*Path` or JSONata), as AWS reads it.
    pub(crate) fn map_number(
        &self,
        id: ThreadId,
        n: &Number<impl Copy + ToF64>,
        input: &Value,
        field: &str,
        integer: bool,
    ) -> Result<Option<f64>, EvalFail> {
        let (v, path) = match n {
            Number::Absent => return Ok(None),
            Number::Literal(v) => return Ok(Some(v.to_f64())),
            Number::Path(p) => {
                let v = self.eval(id, input, p.needs_context(), ContextExtra::default(), |s| {
                    p.select(s)
                })?;
                (v, Some(p.source()))
            }
            Number::Jsonata(t) => (self.jeval(id, t, StatesVar::input(input))?, None),
        };
        let parsed = match &v {
            Value::String(s) if path.is_some() => s.trim().parse::<f64>().ok(),
            other => other.as_f64(),
        };
        match parsed {
            Some(n) if !integer || n.fract() == 0.0 => Ok(Some(n)),
            _ => {
                let kind = if integer { "integer" } else { "float" };
                Err(match path {
                    Some(p) => StatesError::runtime(format!(
                        "The {field}Path field refers to value \"{}\" which is not a valid {kind}: {p}",
                        show(&v)
                    ))
                    .into(),
                    None => JsonataFailure::new(
                        field,
                        format!("The {field} field must evaluate to a valid {kind}: {v}"),
                    )
                    .into(),
                })
            }
        }
    }

    /// The items to iterate: `ItemsPath` over the effective input, or JSONata `Items`.
    pub(crate) fn map_items(
        &self,
        id: ThreadId,
        state: &CState,
        spec: &MapSpec,
        effective: &Arc<Value>,
    ) -> Result<Arc<Value>, EvalFail> {
        if state.jsonata {
            let Some(t) = &spec.items else {
                if !effective.is_array() {
                    return Err(JsonataFailure::on_input(format!(
                        "Map state input must be an array but was: {effective}"
                    ))
                    .into());
                }
                return Ok(Arc::clone(effective));
            };
            let v = self.jeval(id, t, StatesVar::input(effective))?;
            if !v.is_array() {
                let (src, location) = t.describe().unwrap_or(("", "Items"));
                return Err(JsonataFailure::new(
                    location,
                    format!(
                        "The JSONata expression '{src}' specified for the field '{location}' returned an unexpected result type. Expected 'array', but was '{}' for value: {}",
                        jsonata_type_name(&v),
                        v
                    ),
                )
                .into());
            }
            return Ok(Arc::new(v));
        }
        Ok(match &spec.items_path {
            None => Arc::clone(effective),
            Some(p) => Arc::new(self.eval(
                id,
                effective,
                p.needs_context(),
                ContextExtra::default(),
                |s| p.select(s),
            )?),
        })
    }

    pub(crate) fn run_map(&mut self, id: ThreadId, state: &CState, spec: &MapSpec) -> Flow {
        let Some(raw) = self.thread(id).map(|t| Arc::clone(&t.input)) else {
            return Flow::Ended;
        };
        let outcome = (|| -> Result<_, EvalFail> {
            let effective = if state.jsonata {
                Arc::clone(&raw)
            } else {
                self.apply_input_path(id, &state.input_path, &raw)?
            };
            let items_value = self.map_items(id, state, spec, &effective)?;
            let Value::Array(items) = &*items_value else {
                return Err(StatesError::runtime(format!(
                    "Invalid path '{}' : The path does not reference an array: {}",
                    spec.items_path.as_ref().map(|p| p.source()).unwrap_or("$"),
                    show(&items_value)
                ))
                .into());
            };
            let max_concurrency = self.map_number(
                id,
                &spec.max_concurrency,
                &effective,
                "MaxConcurrency",
                true,
            )?;
            let mut inputs = Vec::with_capacity(items.len());
            for (index, item) in items.iter().enumerate() {
                let extra = ContextExtra {
                    task_token: None,
                    map_item: Some((index as u64, item)),
                };
                if let Some(t) = &spec.item_selector_jsonata {
                    let sv = StatesVar {
                        extra,
                        ..StatesVar::input(&effective)
                    };
                    inputs.push(Arc::new(self.jeval(id, t, sv)?));
                    continue;
                }
                match &spec.item_selector {
                    None => inputs.push(Arc::new(item.clone())),
                    Some(t) => {
                        let v = self.eval(id, &effective, true, extra, |s| t.evaluate(s))?;
                        inputs.push(Arc::new(v));
                    }
                }
            }
            Ok((inputs, max_concurrency, effective))
        })();
        let (inputs, max_concurrency, effective) = match outcome {
            Ok(x) => x,
            Err(e) => return self.fail_catchable(id, state, e),
        };
        let n = inputs.len();
        self.push_thread_event(id, EventDetails::MapStateStarted { length: n as u64 }, true);
        // AWS reads the tolerated-failure settings once the Map Run is being set up.
        let tolerated = (|| -> Result<_, EvalFail> {
            let count = self.map_number(
                id,
                &spec.tolerated_failure_count,
                &effective,
                "ToleratedFailureCount",
                true,
            )?;
            let percentage = self.map_number(
                id,
                &spec.tolerated_failure_percentage,
                &effective,
                "ToleratedFailurePercentage",
                false,
            )?;
            if percentage.is_some_and(|p| !(0.0..=100.0).contains(&p)) {
                return Err(StatesError::runtime(
                    "ToleratedFailurePercentage must be between 0 and 100.",
                )
                .into());
            }
            Ok((count, percentage))
        })();
        let (tolerated_count, tolerated_percentage) = match tolerated {
            Ok(x) => x,
            Err(e) => return self.fail_catchable(id, state, e),
        };
        if spec.distributed {
            let label = match &spec.label {
                Some(l) => l.clone(),
                None => self.entropy.borrow_mut().uuid().chars().take(8).collect(),
            };
            let run_id = self.entropy.borrow_mut().uuid();
            let map_run_arn = format!(
                "{}/{}:{}",
                self.ctx
                    .state_machine_arn
                    .replacen(":stateMachine:", ":mapRun:", 1),
                label,
                run_id
            );
            self.push_thread_event(id, EventDetails::MapRunStarted { map_run_arn }, true);
        }
        let silent = spec.distributed || self.thread(id).is_some_and(|t| t.silent);
        // MaxConcurrency 0 (or none) means "as many as possible": AWS runs about 40 inline
        // iterations at a time; a Map Run's child executions do not show here anyway.
        let unlimited = if spec.distributed {
            n.max(1)
        } else {
            INLINE_CONCURRENCY
        };
        let limit = match max_concurrency {
            Some(m) if m >= 1.0 => (m as usize).max(1),
            _ => unlimited,
        };
        let fanout = Fanout {
            is_map: true,
            distributed: spec.distributed,
            silent_children: silent,
            body_scopes: vec![spec.body],
            items: inputs,
            results: vec![None; n],
            next_to_start: 0,
            running: 0,
            limit,
            finished: 0,
            failed: 0,
            tolerated_count: tolerated_count.map(|c| c as u64),
            tolerated_percentage,
            source: 0,
            last: 0,
            children: Vec::new(),
            failure: None,
        };
        self.begin_fanout(id, fanout)
    }
}

/// The event recorded when a Map state's iterations failed (and no retry follows).
pub(crate) fn failed_event() -> EventDetails {
    EventDetails::MapStateFailed
}
