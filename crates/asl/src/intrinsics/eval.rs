//! Evaluation of intrinsic calls.

use serde_json::Value;

use super::IntrinsicCall;
use crate::error::StatesError;
use crate::template::Scope;

impl IntrinsicCall {
    /// Evaluates the call in `scope`.
    pub fn evaluate(&self, _scope: &Scope<'_>) -> Result<Value, StatesError> {
        Err(StatesError::intrinsic_failure("not implemented yet"))
    }
}

/// `new java.util.Random(seed).nextInt(bound)`.
pub fn java_random_next_int(seed: i64, bound: i32) -> i32 {
    let _ = seed;
    bound
}
