//! `Map` (inline): runs its ItemProcessor once per item of `ItemsPath`, at most
//! `MaxConcurrency` at a time; the result is the array of iteration outputs.

use crate::execution::{ContextExtra, Execution, Fanout, Flow, ThreadId};
use crate::history::EventDetails;
use crate::program::{CState, MapSpec, Number};
use crate::states::wait::show;
use asl::error::StatesError;
use serde_json::Value;
use std::sync::Arc;

impl Execution {
    fn map_integer(
        &self,
        id: ThreadId,
        n: &Number<u64>,
        input: &Value,
        field: &str,
    ) -> Result<Option<u64>, StatesError> {
        match n {
            Number::Absent => Ok(None),
            Number::Literal(v) => Ok(Some(*v)),
            Number::Path(p) => {
                let v = self.eval(id, input, p.needs_context(), ContextExtra::default(), |s| {
                    p.select(s)
                })?;
                let parsed = match &v {
                    Value::String(s) => s.trim().parse::<u64>().ok(),
                    other => other.as_u64(),
                };
                match parsed {
                    Some(n) => Ok(Some(n)),
                    None => Err(StatesError::runtime(format!(
                        "The {field}Path field refers to value \"{}\" which is not a valid integer: {}",
                        show(&v),
                        p.source()
                    ))),
                }
            }
        }
    }

    fn map_percentage(
        &self,
        id: ThreadId,
        n: &Number<f64>,
        input: &Value,
    ) -> Result<Option<f64>, StatesError> {
        let v = match n {
            Number::Absent => return Ok(None),
            Number::Literal(v) => *v,
            Number::Path(p) => {
                let v = self.eval(id, input, p.needs_context(), ContextExtra::default(), |s| {
                    p.select(s)
                })?;
                let parsed = match &v {
                    Value::String(s) => s.trim().parse::<f64>().ok(),
                    other => other.as_f64(),
                };
                match parsed {
                    Some(n) => n,
                    None => {
                        return Err(StatesError::runtime(format!(
                            "The ToleratedFailurePercentagePath field refers to value \"{}\" which is not a valid float: {}",
                            show(&v),
                            p.source()
                        )))
                    }
                }
            }
        };
        if !(0.0..=100.0).contains(&v) {
            return Err(StatesError::runtime(
                "ToleratedFailurePercentage must be between 0 and 100.",
            ));
        }
        Ok(Some(v))
    }

    pub(crate) fn run_map(&mut self, id: ThreadId, state: &CState, spec: &MapSpec) -> Flow {
        let Some(raw) = self.thread(id).map(|t| Arc::clone(&t.input)) else {
            return Flow::Ended;
        };
        let outcome = (|| {
            let effective = self.apply_input_path(id, &state.input_path, &raw)?;
            let items_value = match &spec.items_path {
                None => Arc::clone(&effective),
                Some(p) => Arc::new(self.eval(
                    id,
                    &effective,
                    p.needs_context(),
                    ContextExtra::default(),
                    |s| p.select(s),
                )?),
            };
            let Value::Array(items) = &*items_value else {
                return Err(StatesError::runtime(format!(
                    "Invalid path '{}' : The path does not reference an array: {}",
                    spec.items_path.as_ref().map(|p| p.source()).unwrap_or("$"),
                    show(&items_value)
                )));
            };
            let max_concurrency =
                self.map_integer(id, &spec.max_concurrency, &effective, "MaxConcurrency")?;
            let mut inputs = Vec::with_capacity(items.len());
            for (index, item) in items.iter().enumerate() {
                match &spec.item_selector {
                    None => inputs.push(Arc::new(item.clone())),
                    Some(t) => {
                        let extra = ContextExtra {
                            task_token: None,
                            map_item: Some((index as u64, item)),
                        };
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
        let tolerated = (|| {
            let count = self.map_integer(
                id,
                &spec.tolerated_failure_count,
                &effective,
                "ToleratedFailureCount",
            )?;
            let percentage =
                self.map_percentage(id, &spec.tolerated_failure_percentage, &effective)?;
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
        let limit = match max_concurrency {
            Some(0) | None => n.max(1),
            Some(m) => usize::try_from(m).unwrap_or(usize::MAX),
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
            tolerated_count,
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
