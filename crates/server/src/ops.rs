//! The Step Functions operations.

use crate::protocol::*;
use crate::runtime::{now_ms, Finished, NewExecution, Runtime};
use crate::AppState;
use serde_json::{json, Map, Value};
use std::sync::Arc;
use store::{
    AliasRecord, ExecutionFilter, ExecutionRecord, StateMachineRecord, StoreError, VersionRecord,
    Write,
};

/// Who a request acts as: the ARNs it creates use this region and account.
pub struct Caller {
    pub region: String,
    pub account: String,
}

impl Caller {
    fn machine_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:states:{}:{}:stateMachine:{name}",
            self.region, self.account
        )
    }
}

const DEFAULT_LOGGING: &str = r#"{"level":"OFF","includeExecutionData":false}"#;
const DEFAULT_TRACING: &str = r#"{"enabled":false}"#;

fn parse_json_text(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn sm_not_found(arn: &str) -> ApiError {
    ApiError::new(
        "StateMachineDoesNotExist",
        format!("State Machine Does Not Exist: '{arn}'"),
    )
}

fn exec_not_found(arn: &str) -> ApiError {
    ApiError::new(
        "ExecutionDoesNotExist",
        format!("Execution Does Not Exist: '{arn}'"),
    )
}

fn resource_not_found(arn: &str) -> ApiError {
    ApiError::new("ResourceNotFound", format!("Resource not found: '{arn}'"))
}

pub async fn dispatch(
    st: &AppState,
    caller: &Caller,
    op: &str,
    body: &Map<String, Value>,
) -> ApiResult<Value> {
    let r = Req(body);
    if op.starts_with("SendTask") && !st.rt.is_recovered() {
        // Only the replay of its execution knows a token: answer once recovery is over.
        st.rt.recovered().await;
    }
    if let Some(res) = crate::activities::dispatch(st, caller, op, &r).await {
        return res;
    }
    match op {
        "CreateStateMachine" => create_state_machine(st, caller, &r),
        "DescribeStateMachine" => describe_state_machine(st, &r),
        "UpdateStateMachine" => update_state_machine(st, &r),
        "DeleteStateMachine" => delete_state_machine(st, &r),
        "ListStateMachines" => list_state_machines(st, &r),
        "PublishStateMachineVersion" => publish_version(st, &r),
        "ListStateMachineVersions" => list_versions(st, &r),
        "DeleteStateMachineVersion" => delete_version(st, &r),
        "CreateStateMachineAlias" => create_alias(st, &r),
        "DescribeStateMachineAlias" => describe_alias(st, &r),
        "UpdateStateMachineAlias" => update_alias(st, &r),
        "DeleteStateMachineAlias" => delete_alias(st, &r),
        "ListStateMachineAliases" => list_aliases(st, &r),
        "TagResource" => tag_resource(st, &r),
        "UntagResource" => untag_resource(st, &r),
        "ListTagsForResource" => list_tags(st, &r),
        "StartExecution" => start_execution(st, caller, &r, false).await,
        "StartSyncExecution" => start_execution(st, caller, &r, true).await,
        "StopExecution" => stop_execution(st, &r).await,
        "DescribeExecution" => describe_execution(st, &r),
        "ListExecutions" => list_executions(st, &r),
        "GetExecutionHistory" => get_execution_history(st, &r),
        "DescribeStateMachineForExecution" => describe_for_execution(st, &r),
        "ValidateStateMachineDefinition" => validate_definition(&r),
        "TestState" => crate::test_state::test_state(caller, &r),
        "RedriveExecution" => crate::redrive::redrive_execution(st, &r).await,
        _ => Err(ApiError::new(
            "UnknownOperationException",
            format!("Operation {op} is not supported."),
        )),
    }
}

fn machine_type(r: &Req<'_>) -> ApiResult<&'static str> {
    match r.str_opt("type")? {
        None | Some("STANDARD") => Ok("STANDARD"),
        Some("EXPRESS") => Ok("EXPRESS"),
        Some(t) => Err(ApiError::constraint(
            Some(t),
            "type",
            "Member must satisfy enum value set: [STANDARD, EXPRESS]",
        )),
    }
}

/// Validates a definition for CreateStateMachine/UpdateStateMachine.
fn check_definition(definition: &str, machine_type: &str) -> ApiResult<()> {
    if let Some(m) = asl::validate::definition_length_error(definition) {
        return Err(ApiError::new("ValidationException", m));
    }
    if definition.is_empty() {
        return Err(ApiError::constraint(
            Some(definition),
            "definition",
            "Member must have length greater than or equal to 1",
        ));
    }
    let opts = asl::validate::ValidateOptions {
        machine_type: asl::parse::machine_type_from_name(machine_type).unwrap_or_default(),
        ..Default::default()
    };
    asl::parse::parse_definition_with(definition, &opts)
        .map(|_| ())
        .map_err(|e| ApiError::new("InvalidDefinition", e.message))
}

fn check_role(role: &str) -> ApiResult<()> {
    check_len(role, "roleArn", 1, 256)
}

fn logging_config(r: &Req<'_>) -> ApiResult<Option<String>> {
    let Some(l) = r.obj_opt("loggingConfiguration")? else {
        return Ok(None);
    };
    let mut out = Map::new();
    let level = match l.get("level") {
        None | Some(Value::Null) => "OFF",
        Some(Value::String(s)) if matches!(s.as_str(), "ALL" | "ERROR" | "FATAL" | "OFF") => {
            s.as_str()
        }
        Some(v) => {
            return Err(ApiError::constraint(
                Some(&v.to_string()),
                "loggingConfiguration.level",
                "Member must satisfy enum value set: [ALL, ERROR, FATAL, OFF]",
            ))
        }
    };
    out.insert("level".into(), json!(level));
    out.insert(
        "includeExecutionData".into(),
        json!(l
            .get("includeExecutionData")
            .and_then(Value::as_bool)
            .unwrap_or(false)),
    );
    if let Some(d) = l.get("destinations").filter(|d| !d.is_null()) {
        out.insert("destinations".into(), d.clone());
    }
    Ok(Some(Value::Object(out).to_string()))
}

fn tracing_config(r: &Req<'_>) -> ApiResult<Option<String>> {
    Ok(r.obj_opt("tracingConfiguration")?.map(|t| {
        json!({"enabled": t.get("enabled").and_then(Value::as_bool).unwrap_or(false)}).to_string()
    }))
}

pub(crate) fn parse_tags(r: &Req<'_>) -> ApiResult<Vec<(String, String)>> {
    let Some(list) = r.list_opt("tags")? else {
        return Ok(Vec::new());
    };
    let mut tags: Vec<(String, String)> = Vec::new();
    for t in list {
        let Value::Object(t) = t else {
            return Err(ApiError::new(
                "SerializationException",
                "Start of structure or map found where not expected, or wrong type for 'tags'",
            ));
        };
        let tr = Req(t);
        let key = tr.str_req("key")?;
        check_len(key, "tags.member.key", 1, 128)?;
        let value = tr.str_opt("value")?.unwrap_or_default();
        check_len(value, "tags.member.value", 0, 256)?;
        match tags.iter_mut().find(|(k, _)| k == key) {
            Some(existing) => existing.1 = value.to_string(),
            None => tags.push((key.to_string(), value.to_string())),
        }
    }
    Ok(tags)
}

pub(crate) fn too_many_tags(arn: &str) -> ApiError {
    ApiError::new("TooManyTags", format!("Too many tags on resource: '{arn}'"))
}

fn new_version(sm: &StateMachineRecord, description: Option<&str>, now: i64) -> VersionRecord {
    VersionRecord {
        arn: format!("{}:{}", sm.arn, sm.next_version),
        state_machine_arn: sm.arn.clone(),
        version: sm.next_version,
        machine_type: sm.machine_type.clone(),
        definition: sm.definition.clone(),
        role_arn: sm.role_arn.clone(),
        logging_configuration: sm.logging_configuration.clone(),
        tracing_configuration: sm.tracing_configuration.clone(),
        description: description.map(str::to_string),
        revision_id: sm.revision_id.clone(),
        creation_date: now,
    }
}

fn version_description<'a>(r: &Req<'a>, publish: bool) -> ApiResult<Option<&'a str>> {
    let d = r.str_opt("versionDescription")?;
    if let Some(d) = d {
        check_len(d, "versionDescription", 0, 256)?;
        if !publish {
            return Err(ApiError::new(
                "ValidationException",
                "Version description can only be set when publish is true",
            ));
        }
    }
    Ok(d)
}

fn create_state_machine(st: &AppState, caller: &Caller, r: &Req<'_>) -> ApiResult<Value> {
    let name = r.str_req("name")?;
    let definition = r.str_req("definition")?;
    let role = r.str_req("roleArn")?;
    check_name(name, "name")?;
    check_role(role)?;
    let mtype = machine_type(r)?;
    let logging = logging_config(r)?.unwrap_or_else(|| DEFAULT_LOGGING.to_string());
    let tracing = tracing_config(r)?.unwrap_or_else(|| DEFAULT_TRACING.to_string());
    let tags = parse_tags(r)?;
    let publish = r.bool_opt("publish")?.unwrap_or(false);
    let vdesc = version_description(r, publish)?;
    check_definition(definition, mtype)?;
    let arn = caller.machine_arn(name);
    if tags.len() > 50 {
        return Err(too_many_tags(&arn));
    }
    if let Some(existing) = st.store.state_machine(&arn)? {
        let same = existing.definition == definition
            && existing.role_arn == role
            && existing.machine_type == mtype
            && existing.logging_configuration == logging;
        if !same {
            return Err(ApiError::new(
                "StateMachineAlreadyExists",
                format!("State Machine Already Exists: '{arn}'"),
            ));
        }
        let mut out =
            json!({"stateMachineArn": arn, "creationDate": epoch(existing.creation_date)});
        if publish {
            if let Some(v) = st.store.versions(&arn)?.first() {
                out["stateMachineVersionArn"] = json!(v.arn);
            }
        }
        return Ok(out);
    }
    let now = now_ms();
    let mut sm = StateMachineRecord {
        arn: arn.clone(),
        name: name.to_string(),
        machine_type: mtype.to_string(),
        definition: definition.to_string(),
        role_arn: role.to_string(),
        logging_configuration: logging,
        tracing_configuration: tracing,
        creation_date: now,
        update_date: None,
        revision_id: uuid(),
        description: None,
        next_version: 1,
    };
    let mut writes = Vec::new();
    let mut out = json!({"stateMachineArn": arn, "creationDate": epoch(now)});
    if publish {
        let v = new_version(&sm, vdesc, now);
        out["stateMachineVersionArn"] = json!(v.arn);
        sm.next_version += 1;
        writes.push(Write::PutVersion(v));
    }
    writes.insert(0, Write::PutStateMachine(sm));
    if !tags.is_empty() {
        writes.push(Write::SetTags { arn, tags });
    }
    st.store.write(writes)?;
    Ok(out)
}

fn machine_json(sm: &StateMachineRecord) -> Value {
    let mut out = json!({
        "stateMachineArn": sm.arn,
        "name": sm.name,
        "status": "ACTIVE",
        "definition": sm.definition,
        "roleArn": sm.role_arn,
        "type": sm.machine_type,
        "creationDate": epoch(sm.creation_date),
        "loggingConfiguration": parse_json_text(&sm.logging_configuration),
        "tracingConfiguration": parse_json_text(&sm.tracing_configuration),
    });
    if sm.update_date.is_some() {
        out["revisionId"] = json!(sm.revision_id);
    }
    out
}

fn version_json(v: &VersionRecord, name: &str) -> Value {
    let mut out = json!({
        "stateMachineArn": v.arn,
        "name": name,
        "status": "ACTIVE",
        "definition": v.definition,
        "roleArn": v.role_arn,
        "type": v.machine_type,
        "creationDate": epoch(v.creation_date),
        "loggingConfiguration": parse_json_text(&v.logging_configuration),
        "tracingConfiguration": parse_json_text(&v.tracing_configuration),
    });
    if let Some(d) = &v.description {
        out["description"] = json!(d);
    }
    out
}

fn get_machine(st: &AppState, arn: &str) -> ApiResult<StateMachineRecord> {
    st.store
        .state_machine(arn)?
        .ok_or_else(|| sm_not_found(arn))
}

fn describe_state_machine(st: &AppState, r: &Req<'_>) -> ApiResult<Value> {
    let arn = r.str_req("stateMachineArn")?;
    match parse_machine_arn(arn, "stateMachineArn")? {
        MachineRef::Machine(m) => Ok(machine_json(&get_machine(st, &m)?)),
        MachineRef::Version { machine, .. } => {
            let v = st.store.version(arn)?.ok_or_else(|| sm_not_found(arn))?;
            let name = machine.rsplit(':').next().unwrap_or_default();
            Ok(version_json(&v, name))
        }
        MachineRef::Alias { .. } => Err(sm_not_found(arn)),
    }
}

/// A state machine ARN where versions and aliases do not qualify: AWS answers a qualified
/// ARN as a state machine that does not exist.
fn plain_machine_arn(arn: &str) -> ApiResult<String> {
    match parse_machine_arn(arn, "stateMachineArn")? {
        MachineRef::Machine(m) => Ok(m),
        _ => Err(sm_not_found(arn)),
    }
}

fn update_state_machine(st: &AppState, r: &Req<'_>) -> ApiResult<Value> {
    let arn = plain_machine_arn(r.str_req("stateMachineArn")?)?;
    let definition = r.str_opt("definition")?;
    let role = r.str_opt("roleArn")?;
    let logging = logging_config(r)?;
    let tracing = tracing_config(r)?;
    let publish = r.bool_opt("publish")?.unwrap_or(false);
    let vdesc = version_description(r, publish)?;
    if definition.is_none() && role.is_none() && logging.is_none() && tracing.is_none() {
        return Err(ApiError::new(
            "MissingRequiredParameter",
            "Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified",
        ));
    }
    if let Some(role) = role {
        check_role(role)?;
    }
    let mut sm = get_machine(st, &arn)?;
    if let Some(d) = definition {
        check_definition(d, &sm.machine_type)?;
    }
    let now = now_ms();
    let changed = definition.is_some_and(|d| d != sm.definition)
        || role.is_some_and(|x| x != sm.role_arn)
        || logging
            .as_ref()
            .is_some_and(|x| *x != sm.logging_configuration)
        || tracing
            .as_ref()
            .is_some_and(|x| *x != sm.tracing_configuration);
    if let Some(d) = definition {
        sm.definition = d.to_string();
    }
    if let Some(x) = role {
        sm.role_arn = x.to_string();
    }
    if let Some(x) = logging {
        sm.logging_configuration = x;
    }
    if let Some(x) = tracing {
        sm.tracing_configuration = x;
    }
    if changed {
        sm.revision_id = uuid();
    }
    sm.update_date = Some(now);
    let mut out = json!({"updateDate": epoch(now), "revisionId": sm.revision_id});
    let mut writes = Vec::new();
    if publish {
        let latest = st.store.versions(&arn)?.into_iter().next();
        match latest.filter(|v| v.revision_id == sm.revision_id) {
            Some(v) => out["stateMachineVersionArn"] = json!(v.arn),
            None => {
                let v = new_version(&sm, vdesc, now);
                out["stateMachineVersionArn"] = json!(v.arn);
                sm.next_version += 1;
                writes.push(Write::PutVersion(v));
            }
        }
    }
    writes.insert(0, Write::PutStateMachine(sm));
    st.store.write(writes)?;
    Ok(out)
}

fn delete_state_machine(st: &AppState, r: &Req<'_>) -> ApiResult<Value> {
    let arn = r.str_req("stateMachineArn")?;
    match parse_machine_arn(arn, "stateMachineArn")? {
        MachineRef::Machine(m) => st.store.write(vec![Write::DeleteStateMachine(m)])?,
        MachineRef::Version { .. } => st.store.write(vec![Write::DeleteVersion(arn.into())])?,
        MachineRef::Alias { .. } => st.store.write(vec![Write::DeleteAlias(arn.into())])?,
    }
    Ok(json!({}))
}

fn list_state_machines(st: &AppState, r: &Req<'_>) -> ApiResult<Value> {
    let max = r.max_results()?;
    let token = r.next_token(1024)?;
    let all = st.store.state_machines()?;
    let (page, next) = paginate(all, token, max, 100)?;
    let items: Vec<Value> = page
        .iter()
        .map(|m| {
            json!({"stateMachineArn": m.arn, "name": m.name, "type": m.machine_type,
                   "creationDate": epoch(m.creation_date)})
        })
        .collect();
    let mut out = json!({"stateMachines": items});
    if let Some(n) = next {
        out["nextToken"] = json!(n);
    }
    Ok(out)
}

fn publish_version(st: &AppState, r: &Req<'_>) -> ApiResult<Value> {
    let arn = plain_machine_arn(r.str_req("stateMachineArn")?)?;
    let revision = r.str_opt("revisionId")?;
    let description = r.str_opt("description")?;
    if let Some(d) = description {
        check_len(d, "description", 0, 256)?;
    }
    let mut sm = get_machine(st, &arn)?;
    if let Some(rev) = revision {
        if rev != sm.revision_id {
            return Err(ApiError::new(
                "ConflictException",
                format!(
                    "Failed to publish the State Machine version for revision {rev}. The current State Machine revision is {}.",
                    sm.revision_id
                ),
            ));
        }
    }
    if let Some(v) = st
        .store
        .versions(&arn)?
        .into_iter()
        .next()
        .filter(|v| v.revision_id == sm.revision_id)
    {
        return Ok(
            json!({"stateMachineVersionArn": v.arn, "creationDate": epoch(v.creation_date)}),
        );
    }
    let now = now_ms();
    let v = new_version(&sm, description, now);
    let out = json!({"stateMachineVersionArn": v.arn, "creationDate": epoch(now)});
    sm.next_version += 1;
    st.store
        .write(vec![Write::PutStateMachine(sm), Write::PutVersion(v)])?;
    Ok(out)
}

fn list_versions(st: &AppState, r: &Req<'_>) -> ApiResult<Value> {
    let arn = plain_machine_arn(r.str_req("stateMachineArn")?)?;
    let max = r.max_results()?;
    let token = r.next_token(3096)?;
    get_machine(st, &arn)?;
    let (page, next) = paginate(st.store.versions(&arn)?, token, max, 100)?;
    let items: Vec<Value> = page
        .iter()
        .map(|v| json!({"stateMachineVersionArn": v.arn, "creationDate": epoch(v.creation_date)}))
        .collect();
    let mut out = json!({"stateMachineVersions": items});
    if let Some(n) = next {
        out["nextToken"] = json!(n);
    }
    Ok(out)
}

fn routing_versions(a: &AliasRecord) -> Vec<String> {
    parse_json_text(&a.routing_configuration)
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(|e| {
                    e.get("stateMachineVersionArn")?
                        .as_str()
                        .map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn delete_version(st: &AppState, r: &Req<'_>) -> ApiResult<Value> {
    let arn = r.str_req("stateMachineVersionArn")?;
    let MachineRef::Version { machine, .. } = parse_machine_arn(arn, "stateMachineVersionArn")?
    else {
        return Err(ApiError::invalid_arn(format!("Invalid ARN: {arn}")));
    };
    let referencing: Vec<String> = st
        .store
        .aliases(&machine)?
        .into_iter()
        .filter(|a| routing_versions(a).iter().any(|v| v == arn))
        .map(|a| a.arn)
        .collect();
    if !referencing.is_empty() {
        return Err(ApiError::new(
            "ConflictException",
            format!(
                "Version to be deleted must not be referenced by an alias. Current list of aliases referencing this version: [{}]",
                referencing.join(", ")
            ),
        ));
    }
    st.store
        .write(vec![Write::DeleteVersion(arn.to_string())])?;
    Ok(json!({}))
}

/// Checks `routingConfiguration`; returns its machine ARN and canonical JSON text.
fn routing_config(st: &AppState, r: &Req<'_>) -> ApiResult<Option<(String, String)>> {
    let Some(list) = r.list_opt("routingConfiguration")? else {
        return Ok(None);
    };
    if list.is_empty() || list.len() > 2 {
        return Err(ApiError::constraint(
            Some(&Value::Array(list.clone()).to_string()),
            "routingConfiguration",
            "Member must have length less than or equal to 2",
        ));
    }
    let mut machine: Option<String> = None;
    let mut weights = Vec::new();
    let mut arns = Vec::new();
    let mut out = Vec::new();
    for (i, e) in list.iter().enumerate() {
        let Value::Object(e) = e else {
            return Err(ApiError::new(
                "SerializationException",
                "Start of structure or map found where not expected, or wrong type for 'routingConfiguration'",
            ));
        };
        let er = Req(e);
        let varn = er.str_req("stateMachineVersionArn")?;
        let field = format!("routingConfiguration.{}.member.weight", i + 1);
        let weight = er
            .int_opt("weight")?
            .ok_or_else(|| ApiError::constraint(None, &field, "Member must not be null"))?;
        if weight > 100 {
            return Err(ApiError::constraint(
                Some(&weight.to_string()),
                &field,
                "Member must have value less than or equal to 100",
            ));
        }
        if weight < 0 {
            return Err(ApiError::constraint(
                Some(&weight.to_string()),
                &field,
                "Member must have value greater than or equal to 0",
            ));
        }
        weights.push(weight);
        arns.push(varn);
        out.push(json!({"stateMachineVersionArn": varn, "weight": weight}));
    }
    let received = format!("Received: [{}]", arns.join(", "));
    for varn in &arns {
        match parse_machine_arn(varn, "stateMachineVersionArn") {
            Ok(MachineRef::Version { machine: m, .. }) => {
                if machine.as_ref().is_some_and(|x| *x != m) {
                    return Err(ApiError::new(
                        "ValidationException",
                        format!("Routing configuration must contain state machine version ARNs belonging to the same state machine. {received}"),
                    ));
                }
                machine = Some(m);
            }
            _ => {
                return Err(ApiError::new(
                    "ValidationException",
                    format!(
                        "Routing configuration must contain state machine version ARNs. {received}"
                    ),
                ))
            }
        }
    }
    if arns.len() == 2 && arns[0] == arns[1] {
        return Err(ApiError::new(
            "ValidationException",
            format!("Routing configuration must contain distinct state machine version ARNs. {received}"),
        ));
    }
    if weights.iter().sum::<i64>() != 100 {
        let w: Vec<String> = weights.iter().map(i64::to_string).collect();
        return Err(ApiError::new(
            "ValidationException",
            format!(
                "Sum of routing configuration weights must equal 100. Received: [{}]",
                w.join(", ")
            ),
        ));
    }
    for varn in &arns {
        if st.store.version(varn)?.is_none() {
            return Err(resource_not_found(varn));
        }
    }
    Ok(machine.map(|m| (m, Value::Array(out).to_string())))
}

fn check_alias_name(name: &str) -> ApiResult<()> {
    check_len(name, "name", 1, 80)?;
    let ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
        && name.chars().any(|c| !c.is_ascii_digit());
    if !ok {
        return Err(ApiError::constraint(
            Some(name),
            "name",
            r"Member must satisfy regular expression pattern: ^(?=.*[a-zA-Z_\-\.])[a-zA-Z0-9_\-\.]+$",
        ));
    }
    Ok(())
}

fn create_alias(st: &AppState, r: &Req<'_>) -> ApiResult<Value> {
    let name = r.str_req("name")?;
    let description = r.str_opt("description")?;
    if let Some(d) = description {
        check_len(d, "description", 0, 256)?;
    }
    check_alias_name(name)?;
    let (machine, routing) = routing_config(st, r)?.ok_or_else(|| {
        ApiError::constraint(None, "routingConfiguration", "Member must not be null")
    })?;
    let arn = format!("{machine}:{name}");
    if let Some(existing) = st.store.alias(&arn)? {
        if existing.routing_configuration == routing
            && existing.description.as_deref() == description
        {
            return Ok(
                json!({"stateMachineAliasArn": arn, "creationDate": epoch(existing.creation_date)}),
            );
        }
        return Err(ApiError::new(
            "ConflictException",
            "Failed to create alias because an alias with the same name and a different routing configuration already exists.",
        ));
    }
    let now = now_ms();
    st.store.write(vec![Write::PutAlias(AliasRecord {
        arn: arn.clone(),
        state_machine_arn: machine,
        name: name.to_string(),
        description: description.map(str::to_string),
        routing_configuration: routing,
        creation_date: now,
        update_date: now,
    })])?;
    Ok(json!({"stateMachineAliasArn": arn, "creationDate": epoch(now)}))
}

fn alias_arn_of(r: &Req<'_>) -> ApiResult<(String, String)> {
    let arn = r.str_req("stateMachineAliasArn")?;
    match parse_machine_arn(arn, "stateMachineAliasArn")? {
        MachineRef::Alias { machine, .. } => Ok((arn.to_string(), machine)),
        _ => Err(ApiError::invalid_arn(format!("Invalid ARN: {arn}"))),
    }
}

fn describe_alias(st: &AppState, r: &Req<'_>) -> ApiResult<Value> {
    let (arn, _) = alias_arn_of(r)?;
    let a = st
        .store
        .alias(&arn)?
        .ok_or_else(|| resource_not_found(&arn))?;
    let mut out = json!({
        "stateMachineAliasArn": a.arn,
        "name": a.name,
        "routingConfiguration": parse_json_text(&a.routing_configuration),
        "creationDate": epoch(a.creation_date),
        "updateDate": epoch(a.update_date),
    });
    if let Some(d) = &a.description {
        out["description"] = json!(d);
    }
    Ok(out)
}

fn update_alias(st: &AppState, r: &Req<'_>) -> ApiResult<Value> {
    let (arn, machine) = alias_arn_of(r)?;
    let description = r.str_opt("description")?;
    let routing = routing_config(st, r)?;
    if description.is_none() && routing.is_none() {
        return Err(ApiError::new(
            "MissingRequiredParameter",
            "Either the description or the RoutingConfiguration must be specified",
        ));
    }
    let mut a = st.store.alias(&arn)?.ok_or_else(|| {
        ApiError::new(
            "ResourceNotFound",
            "Request references a resource that does not exist.",
        )
    })?;
    if let Some((m, routing)) = routing {
        if m != machine {
            return Err(ApiError::new(
                "ValidationException",
                "Routing configuration must contain state machine version ARNs belonging to the same state machine",
            ));
        }
        a.routing_configuration = routing;
    }
    if let Some(d) = description {
        a.description = Some(d.to_string());
    }
    let now = now_ms();
    a.update_date = now;
    st.store.write(vec![Write::PutAlias(a)])?;
    Ok(json!({"updateDate": epoch(now)}))
}

fn delete_alias(st: &AppState, r: &Req<'_>) -> ApiResult<Value> {
    let (arn, _) = alias_arn_of(r)?;
    st.store.write(vec![Write::DeleteAlias(arn)])?;
    Ok(json!({}))
}

fn list_aliases(st: &AppState, r: &Req<'_>) -> ApiResult<Value> {
    let arn = plain_machine_arn(r.str_req("stateMachineArn")?)?;
    let max = r.max_results()?;
    let token = r.next_token(1024)?;
    get_machine(st, &arn)?;
    let (page, next) = paginate(st.store.aliases(&arn)?, token, max, 100)?;
    let items: Vec<Value> = page
        .iter()
        .map(|a| json!({"stateMachineAliasArn": a.arn, "creationDate": epoch(a.creation_date)}))
        .collect();
    let mut out = json!({"stateMachineAliases": items});
    if let Some(n) = next {
        out["nextToken"] = json!(n);
    }
    Ok(out)
}

/// The taggable resource an ARN names, if it exists.
fn tag_target(st: &AppState, arn: &str) -> ApiResult<()> {
    let a = parse_arn(arn, "resourceArn")?;
    let exists = match a.resource_type {
        "stateMachine" => match parse_machine_arn(arn, "resourceArn")? {
            MachineRef::Machine(m) => st.store.state_machine(&m)?.is_some(),
            MachineRef::Version { .. } => st.store.version(arn)?.is_some(),
            MachineRef::Alias { .. } => st.store.alias(arn)?.is_some(),
        },
        "activity" => st.store.activity(arn)?.is_some(),
        t => {
            return Err(ApiError::invalid_arn(format!(
                "Resource type not valid in this context: {t}"
            )))
        }
    };
    if exists {
        Ok(())
    } else {
        Err(resource_not_found(arn))
    }
}

fn tag_resource(st: &AppState, r: &Req<'_>) -> ApiResult<Value> {
    let arn = r.str_req("resourceArn")?;
    let new = parse_tags(r)?;
    if r.list_opt("tags")?.is_none() {
        return Err(ApiError::constraint(
            None,
            "tags",
            "Member must not be null",
        ));
    }
    tag_target(st, arn)?;
    let mut tags = st.store.tags(arn)?;
    for (k, v) in new {
        match tags.iter_mut().find(|(x, _)| *x == k) {
            Some(t) => t.1 = v,
            None => tags.push((k, v)),
        }
    }
    if tags.len() > 50 {
        return Err(too_many_tags(arn));
    }
    st.store.write(vec![Write::SetTags {
        arn: arn.to_string(),
        tags,
    }])?;
    Ok(json!({}))
}

fn untag_resource(st: &AppState, r: &Req<'_>) -> ApiResult<Value> {
    let arn = r.str_req("resourceArn")?;
    let keys = r
        .list_opt("tagKeys")?
        .ok_or_else(|| ApiError::constraint(None, "tagKeys", "Member must not be null"))?;
    let mut drop = Vec::new();
    for k in keys {
        let Value::String(k) = k else {
            return Err(ApiError::new(
                "SerializationException",
                "Start of structure or map found where not expected, or wrong type for 'tagKeys'",
            ));
        };
        check_len(k, "tagKeys.member", 1, 128)?;
        drop.push(k.as_str());
    }
    tag_target(st, arn)?;
    let tags: Vec<(String, String)> = st
        .store
        .tags(arn)?
        .into_iter()
        .filter(|(k, _)| !drop.contains(&k.as_str()))
        .collect();
    st.store.write(vec![Write::SetTags {
        arn: arn.to_string(),
        tags,
    }])?;
    Ok(json!({}))
}

fn list_tags(st: &AppState, r: &Req<'_>) -> ApiResult<Value> {
    let arn = r.str_req("resourceArn")?;
    tag_target(st, arn)?;
    let tags: Vec<Value> = st
        .store
        .tags(arn)?
        .into_iter()
        .map(|(k, v)| json!({"key": k, "value": v}))
        .collect();
    Ok(json!({"tags": tags}))
}

/// What an execution runs: the machine, and the version/alias it was started through.
struct Target {
    machine: StateMachineRecord,
    definition: String,
    role_arn: String,
    machine_type: String,
    version_arn: Option<String>,
    alias_arn: Option<String>,
    /// Names the definition's revision, for the compiled-program cache.
    program_key: String,
}

fn resolve_target(st: &AppState, arn: &str) -> ApiResult<Target> {
    let mref = parse_machine_arn(arn, "stateMachineArn")?;
    let machine = get_machine(st, mref.machine_arn()).map_err(|_| sm_not_found(arn))?;
    let (version_arn, alias_arn) = match &mref {
        MachineRef::Machine(_) => (None, None),
        MachineRef::Version { .. } => (Some(arn.to_string()), None),
        MachineRef::Alias { .. } => {
            let a = st.store.alias(arn)?.ok_or_else(|| sm_not_found(arn))?;
            let routes = parse_json_text(&a.routing_configuration);
            let pick = (uuid::Uuid::new_v4().as_u128() % 100) as i64;
            let mut acc = 0;
            let mut chosen = None;
            for route in routes.as_array().into_iter().flatten() {
                acc += route.get("weight").and_then(Value::as_i64).unwrap_or(0);
                let v = route.get("stateMachineVersionArn").and_then(Value::as_str);
                if chosen.is_none() || pick < acc {
                    chosen = v.map(str::to_string);
                }
                if pick < acc {
                    break;
                }
            }
            (chosen, Some(arn.to_string()))
        }
    };
    match version_arn {
        Some(v) => {
            let rec = st.store.version(&v)?.ok_or_else(|| sm_not_found(&v))?;
            Ok(Target {
                program_key: v.clone(),
                definition: rec.definition,
                role_arn: rec.role_arn,
                machine_type: rec.machine_type,
                machine,
                version_arn: Some(v),
                alias_arn,
            })
        }
        None => Ok(Target {
            program_key: format!("{}#{}", machine.arn, machine.revision_id),
            definition: machine.definition.clone(),
            role_arn: machine.role_arn.clone(),
            machine_type: machine.machine_type.clone(),
            machine,
            version_arn: None,
            alias_arn,
        }),
    }
}

fn already_exists(arn: &str) -> ApiError {
    ApiError::new(
        "ExecutionAlreadyExists",
        format!("Execution Already Exists: '{arn}'"),
    )
}

async fn start_execution(
    st: &AppState,
    caller: &Caller,
    r: &Req<'_>,
    sync: bool,
) -> ApiResult<Value> {
    let sm_arn = r.str_req("stateMachineArn")?;
    // Step Functions Local's `StateMachineArn#TestCaseName`: mocked responses of that test case.
    let (sm_arn, test_case) = match integrations::split_test_case_arn(sm_arn) {
        Some((arn, _, case)) => (arn, Some(case)),
        None => (sm_arn, None),
    };
    let name = r.str_opt("name")?;
    let input_text = r.str_opt("input")?.unwrap_or("{}");
    r.str_opt("traceHeader")?;
    if let Some(n) = name {
        check_name(n, "name")?;
    }
    if input_text.len() > engine::MAX_PAYLOAD_BYTES {
        return Err(ApiError::constraint(
            None,
            "input",
            &format!(
                "Member must have length less than or equal to {}",
                engine::MAX_PAYLOAD_BYTES
            ),
        ));
    }
    let target = resolve_target(st, sm_arn)?;
    let input: Value = serde_json::from_str(input_text).map_err(|e| {
        ApiError::new(
            "InvalidExecutionInput",
            format!("Invalid State Machine Execution Input: '{e}'"),
        )
    })?;
    let express = target.machine_type == "EXPRESS";
    if sync && !express {
        return Err(ApiError::new(
            "StateMachineTypeNotSupported",
            "This operation is not supported by this type of state machine",
        ));
    }
    let name = name.map_or_else(uuid, str::to_string);
    let m = &target.machine;
    let arn = if express {
        format!(
            "arn:aws:states:{}:{}:express:{}:{}:{}",
            caller.region,
            caller.account,
            m.name,
            name,
            uuid()
        )
    } else {
        format!(
            "arn:aws:states:{}:{}:execution:{}:{name}",
            caller.region, caller.account, m.name
        )
    };
    let program = st
        .rt
        .program(
            Some(&target.program_key),
            &target.definition,
            &target.machine_type,
        )
        .map_err(|e| ApiError::new("InvalidDefinition", e))?;
    let now = now_ms();
    let record = ExecutionRecord {
        arn: arn.clone(),
        state_machine_arn: m.arn.clone(),
        state_machine_name: m.name.clone(),
        version_arn: target.version_arn.clone(),
        alias_arn: target.alias_arn.clone(),
        name: name.clone(),
        status: "RUNNING".into(),
        input: input_text.to_string(),
        output: None,
        error: None,
        cause: None,
        start_date: now,
        stop_date: None,
        seed: st.rt.next_seed(),
        role_arn: target.role_arn.clone(),
        definition: target.definition.clone(),
        seq: st.rt.next_seq(),
        redrive_count: 0,
    };
    if let Some(case) = test_case.filter(|_| !st.rt.is_running(&arn)) {
        st.rt
            .tasks
            .mock(&arn, &m.name, case, |a| st.rt.is_running(a))
            .map_err(|e| ApiError::new("ValidationException", e.0))?;
    }
    let started = st
        .rt
        .start(NewExecution {
            record,
            program,
            input,
            express,
        })
        .await;
    if started.is_err() && test_case.is_some() {
        st.rt.tasks.unmock(&arn);
    }
    let (finished, waiter) = match started {
        Ok(x) => x,
        Err(StoreError::ExecutionExists(_)) => {
            // Lost a race with a StartExecution of the same name.
            let existing = st
                .store
                .execution(&arn)?
                .ok_or_else(|| already_exists(&arn))?;
            return idempotent_start(&existing, input_text);
        }
        Err(e) => return Err(e.into()),
    };
    if !sync {
        return Ok(json!({"executionArn": arn, "startDate": epoch(now)}));
    }
    let finished = match (finished, waiter) {
        (Some(f), _) => f,
        (None, Some(w)) => w
            .await
            .map_err(|_| ApiError::internal("the execution was interrupted"))?,
        (None, None) => return Err(ApiError::internal("the execution was interrupted")),
    };
    Ok(sync_response(&arn, m, &name, now, input_text, &finished))
}

fn idempotent_start(existing: &ExecutionRecord, input: &str) -> ApiResult<Value> {
    if existing.status == "RUNNING" && existing.input == input {
        Ok(json!({"executionArn": existing.arn, "startDate": epoch(existing.start_date)}))
    } else {
        Err(already_exists(&existing.arn))
    }
}

fn sync_response(
    arn: &str,
    m: &StateMachineRecord,
    name: &str,
    start: i64,
    input: &str,
    f: &Finished,
) -> Value {
    let o = &f.outcome;
    let mut out = json!({
        "executionArn": arn,
        "stateMachineArn": m.arn,
        "name": name,
        "startDate": epoch(start),
        "stopDate": epoch(f.stop_date),
        "status": o.status.as_str(),
    });
    if let Some(e) = &o.error {
        out["error"] = json!(e);
    }
    if let Some(c) = &o.cause {
        out["cause"] = json!(c);
    }
    out["input"] = json!(input);
    out["inputDetails"] = json!({"included": true});
    if let Some(v) = &o.output {
        out["output"] = json!(crate::runtime::json_text(v));
        out["outputDetails"] = json!({"included": true});
    }
    let billed = ((f.stop_date - start).max(0) + 99) / 100 * 100;
    out["billingDetails"] =
        json!({"billedMemoryUsedInMB": 64, "billedDurationInMilliseconds": billed.max(100)});
    out
}

pub(crate) fn get_execution(st: &AppState, r: &Req<'_>) -> ApiResult<ExecutionRecord> {
    let arn = r.str_req("executionArn")?;
    let a = parse_execution_arn(arn, "executionArn")?;
    if a.resource_type == "express" {
        return Err(ApiError::invalid_arn(
            "Resource type not valid in this context: express",
        ));
    }
    st.store.execution(arn)?.ok_or_else(|| exec_not_found(arn))
}

async fn stop_execution(st: &AppState, r: &Req<'_>) -> ApiResult<Value> {
    let error = r.str_opt("error")?;
    let cause = r.str_opt("cause")?;
    if let Some(e) = error {
        check_len(e, "error", 0, 256)?;
    }
    if let Some(c) = cause {
        check_len(c, "cause", 0, 32768)?;
    }
    let rec = get_execution(st, r)?;
    if rec.status == "RUNNING" {
        if let Some(res) = st
            .rt
            .stop(
                &rec.arn,
                error.map(str::to_string),
                cause.map(str::to_string),
            )
            .await
        {
            let at = res.map_err(ApiError::internal)?;
            return Ok(json!({"stopDate": epoch(at)}));
        }
    }
    let rec = st
        .store
        .execution(&rec.arn)?
        .ok_or_else(|| exec_not_found(&rec.arn))?;
    Ok(json!({"stopDate": epoch(rec.stop_date.unwrap_or_else(now_ms))}))
}

fn describe_execution(st: &AppState, r: &Req<'_>) -> ApiResult<Value> {
    let e = get_execution(st, r)?;
    let mut out = json!({
        "executionArn": e.arn,
        "stateMachineArn": e.state_machine_arn,
        "name": e.name,
        "status": e.status,
        "startDate": epoch(e.start_date),
    });
    if let Some(s) = e.stop_date {
        out["stopDate"] = epoch(s);
    }
    out["input"] = json!(e.input);
    out["inputDetails"] = json!({"included": true});
    if let Some(o) = &e.output {
        out["output"] = json!(o);
        out["outputDetails"] = json!({"included": true});
    }
    if let Some(x) = &e.error {
        out["error"] = json!(x);
    }
    if let Some(x) = &e.cause {
        out["cause"] = json!(x);
    }
    if let Some(v) = &e.version_arn {
        out["stateMachineVersionArn"] = json!(v);
    }
    if let Some(a) = &e.alias_arn {
        out["stateMachineAliasArn"] = json!(a);
    }
    out["redriveCount"] = json!(e.redrive_count);
    if let Some(at) = crate::redrive::redrive_date(st, &e) {
        out["redriveDate"] = epoch(at);
    }
    match e.status.as_str() {
        "RUNNING" | "SUCCEEDED" => {
            out["redriveStatus"] = json!("NOT_REDRIVABLE");
            out["redriveStatusReason"] =
                json!(format!("Execution is {} and cannot be redriven", e.status));
        }
        _ => out["redriveStatus"] = json!("REDRIVABLE"),
    }
    Ok(out)
}

const STATUSES: &str = "[SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]";

fn list_executions(st: &AppState, r: &Req<'_>) -> ApiResult<Value> {
    let max = r.max_results()?;
    let token = r.next_token(3096)?;
    let status = r.str_opt("statusFilter")?;
    if let Some(s) = status {
        if !STATUSES.contains(&format!(" {s},"))
            && !STATUSES.contains(&format!("[{s},"))
            && !STATUSES.ends_with(&format!(" {s}]"))
        {
            return Err(ApiError::constraint(
                Some(s),
                "statusFilter",
                &format!("Member must satisfy enum value set: {STATUSES}"),
            ));
        }
    }
    let redriven = match r.str_opt("redriveFilter")? {
        None => None,
        Some("REDRIVEN") => Some(true),
        Some("NOT_REDRIVEN") => Some(false),
        Some(f) => {
            return Err(ApiError::constraint(
                Some(f),
                "redriveFilter",
                "Member must satisfy enum value set: [REDRIVEN, NOT_REDRIVEN]",
            ))
        }
    };
    let sm_arn = r.str_opt("stateMachineArn")?;
    if let Some(m) = r.str_opt("mapRunArn")? {
        parse_arn(m, "mapRunArn")?;
        return Err(resource_not_found(m));
    }
    let sm_arn = sm_arn.ok_or_else(|| {
        ApiError::new(
            "ValidationException",
            "Must provide a StateMachine ARN or MapRun ARN",
        )
    })?;
    let mref = parse_machine_arn(sm_arn, "stateMachineArn")?;
    let m = get_machine(st, mref.machine_arn()).map_err(|_| sm_not_found(sm_arn))?;
    match &mref {
        MachineRef::Version { .. } if st.store.version(sm_arn)?.is_none() => {
            return Err(sm_not_found(sm_arn))
        }
        MachineRef::Alias { .. } if st.store.alias(sm_arn)?.is_none() => {
            return Err(resource_not_found(sm_arn))
        }
        _ => {}
    }
    if m.machine_type == "EXPRESS" {
        return Err(ApiError::new(
            "StateMachineTypeNotSupported",
            "This operation is not supported by this type of state machine",
        ));
    }
    // Pages are read from the store by creation order: the token is where the page ended.
    let limit = if max == 0 { 100 } else { max };
    let before_seq = token.map(decode_seq_token).transpose()?;
    // With a redriveFilter, store pages are read until one page of matches is full.
    let mut page = Vec::new();
    let mut cursor = before_seq;
    loop {
        let batch = st.store.executions(&ExecutionFilter {
            state_machine_arn: Some(sm_arn.to_string()),
            status: status.map(str::to_string),
            before_seq: cursor,
            limit: Some(limit + 1),
        })?;
        let exhausted = batch.len() <= limit;
        cursor = batch.last().map(|e| e.seq);
        page.extend(
            batch
                .into_iter()
                .filter(|e| redriven.is_none_or(|want| (e.redrive_count > 0) == want)),
        );
        if page.len() > limit || exhausted || cursor.is_none() {
            break;
        }
    }
    let next = if page.len() > limit {
        page.truncate(limit);
        page.last().map(|e| encode_seq_token(e.seq))
    } else {
        None
    };
    let items: Vec<Value> = page
        .iter()
        .map(|e| {
            let mut v = json!({
                "executionArn": e.arn,
                "stateMachineArn": e.state_machine_arn,
                "name": e.name,
                "status": e.status,
                "startDate": epoch(e.start_date),
            });
            if let Some(s) = e.stop_date {
                v["stopDate"] = epoch(s);
            }
            if let Some(x) = &e.version_arn {
                v["stateMachineVersionArn"] = json!(x);
            }
            if let Some(x) = &e.alias_arn {
                v["stateMachineAliasArn"] = json!(x);
            }
            v["redriveCount"] = json!(e.redrive_count);
            if let Some(at) = crate::redrive::redrive_date(st, e) {
                v["redriveDate"] = epoch(at);
            }
            v
        })
        .collect();
    let mut out = json!({"executions": items});
    if let Some(n) = next {
        out["nextToken"] = json!(n);
    }
    Ok(out)
}

fn encode_seq_token(seq: i64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("stepline:seq:{seq}"))
}

fn decode_seq_token(token: &str) -> ApiResult<i64> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("stepline:seq:").and_then(|n| n.parse().ok()))
        .ok_or_else(|| ApiError::new("InvalidToken", format!("Invalid Token: '{token}'")))
}

fn strip_data(v: &mut Value) {
    if let Value::Object(m) = v {
        for (k, d) in m.iter_mut() {
            if k.ends_with("EventDetails") {
                if let Value::Object(d) = d {
                    for f in [
                        "input",
                        "output",
                        "parameters",
                        "inputDetails",
                        "outputDetails",
                    ] {
                        d.shift_remove(f);
                    }
                }
            }
        }
    }
}

fn get_execution_history(st: &AppState, r: &Req<'_>) -> ApiResult<Value> {
    let max = r.max_results()?;
    let token = r.next_token(3096)?;
    let reverse = r.bool_opt("reverseOrder")?.unwrap_or(false);
    let include = r.bool_opt("includeExecutionData")?.unwrap_or(true);
    let e = get_execution(st, r)?;
    let mut events = st.store.history(&e.arn)?;
    if reverse {
        events.reverse();
    }
    let (page, next) = paginate(events, token, max, 100)?;
    let items: Vec<Value> = page
        .iter()
        .map(|(_, text)| {
            let mut v = parse_json_text(text);
            if !include {
                strip_data(&mut v);
            }
            v
        })
        .collect();
    let mut out = json!({"events": items});
    if let Some(n) = next {
        out["nextToken"] = json!(n);
    }
    Ok(out)
}

fn describe_for_execution(st: &AppState, r: &Req<'_>) -> ApiResult<Value> {
    let e = get_execution(st, r)?;
    let m = st.store.state_machine(&e.state_machine_arn)?;
    let (logging, tracing, revision, update) = match (&e.version_arn, &m) {
        (Some(v), _) => match st.store.version(v)? {
            Some(v) => (
                v.logging_configuration,
                v.tracing_configuration,
                Some(v.revision_id),
                v.creation_date,
            ),
            None => (
                DEFAULT_LOGGING.into(),
                DEFAULT_TRACING.into(),
                None,
                e.start_date,
            ),
        },
        (None, Some(m)) => (
            m.logging_configuration.clone(),
            m.tracing_configuration.clone(),
            m.update_date.map(|_| m.revision_id.clone()),
            m.update_date.unwrap_or(m.creation_date),
        ),
        (None, None) => (
            DEFAULT_LOGGING.into(),
            DEFAULT_TRACING.into(),
            None,
            e.start_date,
        ),
    };
    let mut out = json!({
        "stateMachineArn": e.state_machine_arn,
        "name": e.state_machine_name,
        "definition": e.definition,
        "roleArn": e.role_arn,
        "updateDate": epoch(update),
        "loggingConfiguration": parse_json_text(&logging),
        "tracingConfiguration": parse_json_text(&tracing),
    });
    if let Some(rev) = revision {
        out["revisionId"] = json!(rev);
    }
    Ok(out)
}

fn validate_definition(r: &Req<'_>) -> ApiResult<Value> {
    let definition = r.str_req("definition")?;
    if let Some(m) = asl::validate::definition_length_error(definition) {
        return Err(ApiError::new("ValidationException", m));
    }
    let mtype = machine_type(r)?;
    let severity = match r.str_opt("severity")? {
        None | Some("ERROR") => asl::validate::Severity::Error,
        Some("WARNING") => asl::validate::Severity::Warning,
        Some(s) => {
            return Err(ApiError::constraint(
                Some(s),
                "severity",
                "Member must satisfy enum value set: [ERROR, WARNING]",
            ))
        }
    };
    let max = r.max_results()?;
    let opts = asl::validate::ValidateOptions {
        machine_type: asl::parse::machine_type_from_name(mtype).unwrap_or_default(),
        severity,
        max_results: max,
    };
    Ok(asl::validate::validate(definition, &opts).to_json())
}

/// Keeps the `Arc` import used when the runtime type is named in signatures.
#[allow(dead_code)]
type RuntimeRef = Arc<Runtime>;
