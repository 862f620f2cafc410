//! `TestState`: one state evaluated on its own (`engine::test_state`), answered at once.
//!
//! The default Context object names an Express-like execution with fresh names in the
//! caller's region and account. Unmocked Tasks go to the same integrations as executions.

use crate::ops::Caller;
use crate::protocol::{ApiError, ApiResult, Req};
use crate::runtime::now_ms;
use engine::{ExecutionContext, ExecutionType, NoIntegrations, SeededEntropy, Timestamp};
use serde_json::Value;

pub fn test_state(caller: &Caller, r: &Req<'_>) -> ApiResult<Value> {
    let name = uuid::Uuid::new_v4().to_string();
    let machine = uuid::Uuid::new_v4().to_string();
    let (region, account) = (&caller.region, &caller.account);
    let ctx = ExecutionContext {
        execution_arn: format!("arn:aws:states:{region}:{account}:express:{machine}:{name}"),
        state_machine_arn: format!("arn:aws:states:{region}:{account}:stateMachine:{machine}"),
        name,
        state_machine_name: machine,
        role_arn: String::new(),
        start_time: Timestamp(now_ms()),
        region: region.clone(),
        execution_type: ExecutionType::Express,
        redrive_count: 0,
    };
    let req = engine::parse_test_state_request(r.0, ctx)
        .map_err(|e| ApiError::new(e.kind(), e.to_string()))?;
    let mut resolver = NoIntegrations {
        region: region.clone(),
        account: account.clone(),
    };
    let seed = uuid::Uuid::new_v4().as_u64_pair().0;
    let result = engine::test_state(&req, &mut resolver, Box::new(SeededEntropy::new(seed)))
        .map_err(|e| ApiError::new(e.kind(), e.to_string()))?;
    Ok(result.to_json())
}
