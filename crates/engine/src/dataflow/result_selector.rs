//! `ResultSelector`: a payload template over the task/Parallel/Map result.

use crate::execution::{ContextExtra, Execution, ThreadId};
use crate::expr::Template;
use asl::error::StatesError;
use serde_json::Value;
use std::sync::Arc;

impl Execution {
    pub(crate) fn apply_result_selector(
        &self,
        id: ThreadId,
        template: Option<&Template>,
        result: Arc<Value>,
    ) -> Result<Arc<Value>, StatesError> {
        match template {
            None => Ok(result),
            Some(t) => self
                .eval(
                    id,
                    &result,
                    t.needs_context(),
                    ContextExtra::default(),
                    |s| t.evaluate(s),
                )
                .map(Arc::new),
        }
    }
}
