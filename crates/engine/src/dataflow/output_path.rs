//! `OutputPath`: selects the part of the state's result that becomes its output.

use crate::dataflow::input_path::apply_selector;
use crate::execution::{Execution, ThreadId};
use crate::program::Selector;
use asl::error::StatesError;
use serde_json::Value;
use std::sync::Arc;

impl Execution {
    pub(crate) fn apply_output_path(
        &self,
        id: ThreadId,
        sel: &Selector,
        value: &Arc<Value>,
    ) -> Result<Arc<Value>, StatesError> {
        apply_selector(self, id, sel, value)
    }
}
