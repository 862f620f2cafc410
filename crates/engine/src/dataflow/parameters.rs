//! `Parameters` (and Map's `ItemSelector`): a payload template over the effective input.

use crate::execution::{ContextExtra, Execution, ThreadId};
use crate::expr::Template;
use asl::error::StatesError;
use serde_json::Value;
use std::sync::Arc;

impl Execution {
    pub(crate) fn apply_parameters(
        &self,
        id: ThreadId,
        template: Option<&Template>,
        input: Arc<Value>,
        extra: ContextExtra<'_>,
    ) -> Result<Arc<Value>, StatesError> {
        match template {
            None => Ok(input),
            Some(t) => self
                .eval(id, &input, t.needs_context(), extra, |s| t.evaluate(s))
                .map(Arc::new),
        }
    }
}
