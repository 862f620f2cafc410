//! AWS JSON 1.0 as Step Functions speaks it: errors, request field access, ARNs, names.

use serde_json::{json, Map, Value};

/// An API error: `{"__type": kind, "message": message}` with HTTP 400.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct ApiError {
    pub kind: &'static str,
    pub message: String,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(kind: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            kind,
            message: message.into(),
        }
    }

    pub fn to_json(&self) -> Value {
        json!({"__type": self.kind, "message": self.message})
    }

    /// `ValidationException` with AWS's "1 validation error detected" wording.
    pub fn constraint(value: Option<&str>, field: &str, constraint: &str) -> Self {
        let value = match value {
            Some(v) => format!("Value '{v}'"),
            None => "Value null".to_string(),
        };
        ApiError::new(
            "ValidationException",
            format!(
                "1 validation error detected: {value} at '{field}' failed to satisfy constraint: {constraint}"
            ),
        )
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        ApiError::new("InternalFailure", e.to_string())
    }

    pub fn invalid_arn(message: impl std::fmt::Display) -> Self {
        ApiError::new("InvalidArn", format!("Invalid Arn: '{message}'"))
    }
}

impl From<store::StoreError> for ApiError {
    fn from(e: store::StoreError) -> Self {
        ApiError::internal(e)
    }
}

/// A request's JSON object with typed accessors that fail as AWS's deserialiser does.
pub struct Req<'a>(pub &'a Map<String, Value>);

fn type_error(field: &str, expected: &str) -> ApiError {
    ApiError::new(
        "SerializationException",
        format!("Start of structure or map found where not expected, or wrong type for '{field}': expected {expected}"),
    )
}

impl<'a> Req<'a> {
    /// A string member; `null` counts as absent.
    pub fn str_opt(&self, field: &str) -> ApiResult<Option<&'a str>> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(type_error(field, "a string")),
        }
    }

    pub fn str_req(&self, field: &str) -> ApiResult<&'a str> {
        self.str_opt(field)?
            .ok_or_else(|| ApiError::constraint(None, field, "Member must not be null"))
    }

    pub fn bool_opt(&self, field: &str) -> ApiResult<Option<bool>> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(type_error(field, "a boolean")),
        }
    }

    pub fn int_opt(&self, field: &str) -> ApiResult<Option<i64>> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| type_error(field, "an integer")),
            Some(_) => Err(type_error(field, "an integer")),
        }
    }

    pub fn obj_opt(&self, field: &str) -> ApiResult<Option<&'a Map<String, Value>>> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(_) => Err(type_error(field, "a structure")),
        }
    }

    pub fn list_opt(&self, field: &str) -> ApiResult<Option<&'a Vec<Value>>> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(_) => Err(type_error(field, "a list")),
        }
    }

    /// `maxResults`: 0..=1000 (0 = default).
    pub fn max_results(&self) -> ApiResult<usize> {
        match self.int_opt("maxResults")? {
            None => Ok(0),
            Some(n) if n > 1000 => Err(ApiError::constraint(
                Some(&n.to_string()),
                "maxResults",
                "Member must have value less than or equal to 1000",
            )),
            Some(n) if n < 0 => Err(ApiError::constraint(
                Some(&n.to_string()),
                "maxResults",
                "Member must have value greater than or equal to 0",
            )),
            Some(n) => Ok(n as usize),
        }
    }

    /// `nextToken`, bounded as the operation's shape bounds it.
    pub fn next_token(&self, max_len: usize) -> ApiResult<Option<&'a str>> {
        let t = self.str_opt("nextToken")?;
        if let Some(t) = t {
            if t.chars().count() > max_len {
                return Err(ApiError::constraint(
                    Some(t),
                    "nextToken",
                    &format!("Member must have length less than or equal to {max_len}"),
                ));
            }
            if t.is_empty() {
                return Err(ApiError::constraint(
                    Some(t),
                    "nextToken",
                    "Member must have length greater than or equal to 1",
                ));
            }
        }
        Ok(t)
    }
}

/// Checks a string member's length (in characters) as the API shape bounds it.
pub fn check_len(value: &str, field: &str, min: usize, max: usize) -> ApiResult<()> {
    let n = value.chars().count();
    if n > max {
        return Err(ApiError::constraint(
            Some(value),
            field,
            &format!("Member must have length less than or equal to {max}"),
        ));
    }
    if n < min {
        return Err(ApiError::constraint(
            Some(value),
            field,
            &format!("Member must have length greater than or equal to {min}"),
        ));
    }
    Ok(())
}

/// A resource name as Step Functions accepts it (state machines, executions, aliases): no
/// whitespace, brackets, wildcards, special or control characters.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().count() <= 80
        && !name.chars().any(asl::validate::is_forbidden_name_char)
}

pub fn check_name(name: &str, field: &str) -> ApiResult<()> {
    check_len(name, field, 1, 80)?;
    if !valid_name(name) {
        return Err(ApiError::new(
            "InvalidName",
            format!("Invalid Name: '{name}'"),
        ));
    }
    Ok(())
}

/// A parsed Step Functions ARN: `arn:PARTITION:states:REGION:ACCOUNT:TYPE:NAME[:QUALIFIER...]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Arn<'a> {
    pub region: &'a str,
    pub account: &'a str,
    pub resource_type: &'a str,
    /// Everything after the resource type.
    pub parts: Vec<&'a str>,
}

/// Parses an ARN of the `states` service, failing with AWS's `InvalidArn` messages.
pub fn parse_arn<'a>(arn: &'a str, field: &str) -> ApiResult<Arn<'a>> {
    check_len(arn, field, 1, 256)?;
    let parts: Vec<&str> = arn.split(':').collect();
    if parts.len() < 7 || parts.first() != Some(&"arn") {
        return Err(ApiError::invalid_arn(format!("Invalid ARN prefix: {arn}")));
    }
    let (service, region, account, rtype) = (parts[2], parts[3], parts[4], parts[5]);
    if service != "states" || parts[1].is_empty() {
        return Err(ApiError::invalid_arn(format!("Invalid ARN prefix: {arn}")));
    }
    if region.is_empty() || account.is_empty() || parts[6..].iter().any(|p| p.is_empty()) {
        return Err(ApiError::invalid_arn(format!("Invalid ARN: {arn}")));
    }
    Ok(Arn {
        region,
        account,
        resource_type: rtype,
        parts: parts[6..].to_vec(),
    })
}

/// What a `stateMachineArn` member names.
#[derive(Debug, Clone, PartialEq)]
pub enum MachineRef {
    Machine(String),
    Version { machine: String, version: u64 },
    Alias { machine: String, alias: String },
}

impl MachineRef {
    pub fn machine_arn(&self) -> &str {
        match self {
            MachineRef::Machine(m) => m,
            MachineRef::Version { machine, .. } | MachineRef::Alias { machine, .. } => machine,
        }
    }
}

/// Parses a state machine, version or alias ARN.
pub fn parse_machine_arn(arn: &str, field: &str) -> ApiResult<MachineRef> {
    let a = parse_arn(arn, field)?;
    if a.resource_type != "stateMachine" {
        return Err(ApiError::invalid_arn(format!(
            "Resource type not valid in this context: {}",
            a.resource_type
        )));
    }
    match a.parts.as_slice() {
        [_] => Ok(MachineRef::Machine(arn.to_string())),
        [_, q] => {
            let machine = arn[..arn.len() - q.len() - 1].to_string();
            if q.bytes().all(|b| b.is_ascii_digit()) {
                match q.parse::<u64>() {
                    Ok(version) if version > 0 => Ok(MachineRef::Version { machine, version }),
                    _ => Err(ApiError::invalid_arn(format!("Invalid ARN: {arn}"))),
                }
            } else {
                Ok(MachineRef::Alias {
                    machine,
                    alias: (*q).to_string(),
                })
            }
        }
        _ => Err(ApiError::invalid_arn(format!("Invalid ARN: {arn}"))),
    }
}

/// Parses an execution ARN (`execution:MACHINE:NAME` or `express:MACHINE:NAME:ID`).
pub fn parse_execution_arn<'a>(arn: &'a str, field: &str) -> ApiResult<Arn<'a>> {
    let a = parse_arn(arn, field)?;
    match (a.resource_type, a.parts.len()) {
        ("execution", 2) | ("execution", 3) => Ok(a),
        ("express", 3) => Ok(a),
        ("execution", _) | ("express", _) => {
            Err(ApiError::invalid_arn(format!("Invalid ARN: {arn}")))
        }
        (t, _) => Err(ApiError::invalid_arn(format!(
            "Resource type not valid in this context: {t}"
        ))),
    }
}

/// Milliseconds since the epoch as the epoch seconds AWS JSON 1.0 timestamps carry.
pub fn epoch(ms: i64) -> Value {
    json!(ms as f64 / 1000.0)
}

/// Pagination over an in-memory list: `nextToken` is an opaque encoding of the next offset.
pub fn paginate<T>(
    items: Vec<T>,
    token: Option<&str>,
    max: usize,
    default: usize,
) -> ApiResult<(Vec<T>, Option<String>)> {
    use base64::Engine;
    let max = if max == 0 { default } else { max };
    let start = match token {
        None => 0,
        Some(t) => base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(t)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| {
                s.strip_prefix("stepline:")
                    .and_then(|n| n.parse::<usize>().ok())
            })
            .ok_or_else(|| ApiError::new("InvalidToken", format!("Invalid Token: '{t}'")))?,
    };
    let total = items.len();
    let page: Vec<T> = items.into_iter().skip(start).take(max).collect();
    let end = start.saturating_add(page.len());
    let next = (end < total).then(|| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("stepline:{end}"))
    });
    Ok((page, next))
}

/// The region of a SigV4 `Authorization` header's credential scope
/// (`Credential=AKID/DATE/REGION/states/aws4_request`).
pub fn region_from_authorization(auth: &str) -> Option<&str> {
    let cred = auth.split("Credential=").nth(1)?;
    let scope = cred.split([',', ' ']).next()?;
    let mut it = scope.split('/');
    let _akid = it.next()?;
    let _date = it.next()?;
    it.next().filter(|r| !r.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(valid_name("my-machine_1.x"));
        for bad in ["a b", "a/b", "a:b", "", "a\u{1f}", "\u{0}a", "a*", "a{"] {
            assert!(!valid_name(bad), "{bad:?}");
        }
        assert!(!valid_name(&"x".repeat(81)));
    }

    #[test]
    fn arns() {
        let e = parse_arn("not_a_valid_arn", "stateMachineArn").unwrap_err();
        assert_eq!(
            e.message,
            "Invalid Arn: 'Invalid ARN prefix: not_a_valid_arn'"
        );
        assert_eq!(
            parse_machine_arn("arn:aws:states:us-east-1:1:stateMachine:m:3", "x").unwrap(),
            MachineRef::Version {
                machine: "arn:aws:states:us-east-1:1:stateMachine:m".into(),
                version: 3
            }
        );
        assert!(matches!(
            parse_machine_arn("arn:aws:states:us-east-1:1:stateMachine:m:prod", "x").unwrap(),
            MachineRef::Alias { .. }
        ));
        let e = parse_machine_arn("arn:aws:states:us-east-1:1:execution:m:e", "x").unwrap_err();
        assert_eq!(
            e.message,
            "Invalid Arn: 'Resource type not valid in this context: execution'"
        );
    }

    #[test]
    fn sigv4_region() {
        let h = "AWS4-HMAC-SHA256 Credential=AKID/20240101/eu-west-3/states/aws4_request, SignedHeaders=host, Signature=abc";
        assert_eq!(region_from_authorization(h), Some("eu-west-3"));
        assert_eq!(region_from_authorization("Bearer x"), None);
    }

    #[test]
    fn pages() {
        let (p, t) = paginate((0..5).collect(), None, 2, 100).unwrap();
        assert_eq!(p, vec![0, 1]);
        let (p, t) = paginate((0..5).collect(), t.as_deref(), 2, 100).unwrap();
        assert_eq!(p, vec![2, 3]);
        let (p, t) = paginate((0..5).collect(), t.as_deref(), 2, 100).unwrap();
        assert_eq!((p, t), (vec![4], None));
        assert_eq!(
            paginate::<i32>(vec![], Some("garbage"), 2, 100)
                .unwrap_err()
                .kind,
            "InvalidToken"
        );
    }
}
