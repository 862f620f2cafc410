//! `ResultPath`: where the result goes in the raw state input (`$` replaces it, `null`
//! discards the result).

use crate::execution::Execution;
use crate::program::ResultPathSpec;
use asl::error::StatesError;
use serde_json::Value;
use std::sync::Arc;

impl Execution {
    pub(crate) fn apply_result_path(
        &self,
        spec: &ResultPathSpec,
        raw_input: &Arc<Value>,
        result: Arc<Value>,
    ) -> Result<Arc<Value>, StatesError> {
        match spec {
            ResultPathSpec::Replace => Ok(result),
            ResultPathSpec::Discard => Ok(Arc::clone(raw_input)),
            ResultPathSpec::Path(p) => {
                let result = Arc::try_unwrap(result).unwrap_or_else(|a| (*a).clone());
                p.set((**raw_input).clone(), result).map(Arc::new)
            }
        }
    }
}
