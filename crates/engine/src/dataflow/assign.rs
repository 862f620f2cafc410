//! `Assign`: evaluates variable values against the state's result and stores them in the
//! thread's innermost variable scope. All values are evaluated before any is stored, so an
//! `Assign` sees the variables as they were when the state began (AWS's parallel assignment).

use crate::execution::{ContextExtra, Execution, ThreadId};
use crate::program::AssignSpec;
use asl::error::StatesError;
use serde_json::{Map, Value};

/// AWS's limit on one variable's value, and on all values of one `Assign` (256 KiB).
pub const MAX_VARIABLE_BYTES: usize = 256 * 1024;
/// AWS's limit on all variables stored by an execution (10 MiB).
pub const MAX_TOTAL_VARIABLE_BYTES: usize = 10 * 1024 * 1024;

/// Variables assigned by one state, as `assignedVariables` records them (value as JSON text).
pub(crate) type Assigned = Option<Vec<(String, String)>>;

impl Execution {
    /// Evaluates an `Assign` block without storing anything yet.
    pub(crate) fn eval_assign(
        &self,
        id: ThreadId,
        assign: Option<&AssignSpec>,
        input: &Value,
    ) -> Result<Option<Map<String, Value>>, StatesError> {
        let Some(AssignSpec::Path(t)) = assign else {
            return Ok(None);
        };
        let value = self.eval(id, input, t.needs_context(), ContextExtra::default(), |s| {
            t.evaluate(s)
        })?;
        match value {
            Value::Object(map) => {
                self.check_assign_limits(id, &map)?;
                Ok(Some(map))
            }
            _ => Ok(None),
        }
    }

    /// AWS's variable size limits, checked before anything is stored: 256 KiB per variable,
    /// 256 KiB per `Assign`, 10 MiB for all variables of the execution.
    pub(crate) fn check_assign_limits(
        &self,
        id: ThreadId,
        map: &Map<String, Value>,
    ) -> Result<(), StatesError> {
        let limit = |what: String| {
            StatesError::new(
                "States.DataLimitExceeded",
                format!("{what} exceeds the maximum number of bytes service limit."),
            )
        };
        let mut assigned = 0usize;
        let mut replaced = 0usize;
        let vars = self.thread(id).map(|t| &t.vars);
        for (name, v) in map {
            let size = crate::execution::payload_size(v);
            if size > MAX_VARIABLE_BYTES {
                return Err(limit(format!("The value of the variable '{name}'")));
            }
            assigned += size;
            replaced += vars.map_or(0, |vs| vs.own_size(name));
        }
        if assigned > MAX_VARIABLE_BYTES {
            return Err(limit("The total size of the variables assigned".into()));
        }
        let stored = vars.map_or(0, |vs| vs.total_bytes());
        let total = stored.saturating_sub(replaced) + assigned;
        if total > MAX_TOTAL_VARIABLE_BYTES {
            return Err(limit("The total size of the workflow variables".into()));
        }
        Ok(())
    }

    /// Stores evaluated variables and returns them as history records them.
    pub(crate) fn commit_assign(
        &mut self,
        id: ThreadId,
        values: Option<Map<String, Value>>,
    ) -> Assigned {
        let map = values?;
        if map.is_empty() {
            return None;
        }
        let mut recorded: Vec<(String, String)> = map
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::to_string(v).unwrap_or_default()))
            .collect();
        if let Some(th) = self.thread_mut(id) {
            // The recorded JSON text's length is the variable's size.
            for ((k, v), (_, text)) in map.into_iter().zip(&recorded) {
                th.vars.assign(k, v, text.len());
            }
        }
        recorded.sort_by(|a, b| a.0.cmp(&b.0));
        Some(recorded)
    }
}
