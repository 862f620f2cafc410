//! `InputPath`: selects the part of the raw state input the state works on.

use crate::execution::{ContextExtra, Execution, ThreadId};
use crate::program::Selector;
use asl::error::StatesError;
use serde_json::{Map, Value};
use std::sync::Arc;

impl Execution {
    pub(crate) fn apply_input_path(
        &self,
        id: ThreadId,
        sel: &Selector,
        raw: &Arc<Value>,
    ) -> Result<Arc<Value>, StatesError> {
        apply_selector(self, id, sel, raw)
    }
}

/// Shared by InputPath and OutputPath: `$` keeps the value (no copy), `null` gives `{}`.
pub(crate) fn apply_selector(
    ex: &Execution,
    id: ThreadId,
    sel: &Selector,
    value: &Arc<Value>,
) -> Result<Arc<Value>, StatesError> {
    match sel {
        Selector::Identity => Ok(Arc::clone(value)),
        Selector::Empty => Ok(Arc::new(Value::Object(Map::new()))),
        Selector::Path(p) => ex
            .eval(id, value, p.needs_context(), ContextExtra::default(), |s| {
                p.select(s)
            })
            .map(Arc::new),
    }
}
