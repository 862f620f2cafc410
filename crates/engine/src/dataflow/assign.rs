//! `Assign`: evaluates variable values against the state's result and stores them in the
//! thread's innermost variable scope. All values are evaluated before any is stored, so an
//! `Assign` sees the variables as they were when the state began (AWS's parallel assignment).

use crate::execution::{ContextExtra, Execution, ThreadId};
use crate::program::AssignSpec;
use asl::error::StatesError;
use serde_json::{Map, Value};

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
            Value::Object(map) => Ok(Some(map)),
            _ => Ok(None),
        }
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
        recorded.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(th) = self.thread_mut(id) {
            for (k, v) in map {
                th.vars.assign(k, v);
            }
        }
        Some(recorded)
    }
}
