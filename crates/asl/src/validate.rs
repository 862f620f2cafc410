//! Static validation of a definition, with AWS's diagnostics.
//!
//! [`validate`] gives what `ValidateStateMachineDefinition` answers; [`invalid_definition_message`]
//! the `message` of the `InvalidDefinition` error CreateStateMachine gives for the same problems.

use serde_json::{json, Value};
use std::fmt;

/// `severity` of a diagnostic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// `ERROR`: the definition cannot be created.
    Error,
    /// `WARNING`.
    Warning,
}

impl Severity {
    /// `"ERROR"` / `"WARNING"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "ERROR",
            Severity::Warning => "WARNING",
        }
    }
}

/// One element of `diagnostics`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// `severity`.
    pub severity: Severity,
    /// `code`, e.g. `SCHEMA_VALIDATION_FAILED`, `MISSING_TRANSITION_TARGET`.
    pub code: String,
    /// `message`, worded as AWS words it.
    pub message: String,
    /// `location`, a JSON pointer such as `/States/WaitUntil/Timestamp` (`/` for the root).
    pub location: Option<String>,
}

impl Diagnostic {
    /// An ERROR diagnostic.
    pub fn error(code: &str, message: String, location: Option<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code: code.to_string(),
            message,
            location,
        }
    }

    /// The diagnostic as AWS's JSON object `{code, location, message, severity}`.
    pub fn to_json(&self) -> Value {
        let mut m = serde_json::Map::new();
        m.insert("code".into(), Value::String(self.code.clone()));
        if let Some(l) = &self.location {
            m.insert("location".into(), Value::String(l.clone()));
        }
        m.insert("message".into(), Value::String(self.message.clone()));
        m.insert(
            "severity".into(),
            Value::String(self.severity.as_str().into()),
        );
        Value::Object(m)
    }
}

impl fmt::Display for Diagnostic {
    /// `CODE: message at location`, the form AWS joins into `InvalidDefinition` messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(l) => write!(f, "{}: {} at {}", self.code, self.message, l),
            None => write!(f, "{}: {}", self.code, self.message),
        }
    }
}

/// The state machine `type` the definition is validated for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MachineType {
    /// `STANDARD` (default).
    #[default]
    Standard,
    /// `EXPRESS`: no `.sync` / `.waitForTaskToken` integrations.
    Express,
}

/// Request options of `ValidateStateMachineDefinition`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidateOptions {
    /// `type`.
    pub machine_type: MachineType,
    /// `severity`: the minimum severity reported (`ERROR` reports errors only; default).
    pub severity: Severity,
    /// `maxResults` (0 or absent = AWS's default of 100).
    pub max_results: usize,
}

impl Default for ValidateOptions {
    fn default() -> Self {
        ValidateOptions {
            machine_type: MachineType::Standard,
            severity: Severity::Error,
            max_results: 100,
        }
    }
}

/// `result` of the validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultCode {
    /// `OK`.
    Ok,
    /// `FAIL`.
    Fail,
}

/// The `ValidateStateMachineDefinition` response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationResult {
    /// `result`.
    pub result: ResultCode,
    /// `diagnostics` (at most `maxResults`).
    pub diagnostics: Vec<Diagnostic>,
    /// `truncated`: more diagnostics were found than returned.
    pub truncated: bool,
}

impl ValidationResult {
    /// True when `result` is OK.
    pub fn is_ok(&self) -> bool {
        self.result == ResultCode::Ok
    }

    /// The ERROR diagnostics.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
    }

    /// The response as AWS's JSON: `{"result", "diagnostics", "truncated"}`.
    pub fn to_json(&self) -> Value {
        json!({
            "result": match self.result { ResultCode::Ok => "OK", ResultCode::Fail => "FAIL" },
            "diagnostics": self.diagnostics.iter().map(Diagnostic::to_json).collect::<Vec<_>>(),
            "truncated": self.truncated,
        })
    }
}

/// Validates a definition's JSON text as `ValidateStateMachineDefinition` does.
pub fn validate(text: &str, opts: &ValidateOptions) -> ValidationResult {
    let all = check(text, opts);
    let limit = if opts.max_results == 0 {
        100
    } else {
        opts.max_results
    };
    let failed = all.iter().any(|d| d.severity == Severity::Error);
    let reported: Vec<Diagnostic> = all
        .into_iter()
        .filter(|d| d.severity <= opts.severity)
        .collect();
    let truncated = reported.len() > limit;
    let diagnostics = reported.into_iter().take(limit).collect();
    ValidationResult {
        result: if failed {
            ResultCode::Fail
        } else {
            ResultCode::Ok
        },
        diagnostics,
        truncated,
    }
}

/// The `message` of the `InvalidDefinition` error CreateStateMachine gives for `diagnostics`
/// found in the definition `text`: `Invalid State Machine Definition: 'CODE: msg at loc, CODE: ...'`.
pub fn invalid_definition_message(_text: &str, diagnostics: &[Diagnostic]) -> String {
    let joined: Vec<String> = diagnostics.iter().map(Diagnostic::to_string).collect();
    format!("Invalid State Machine Definition: '{}'", joined.join(", "))
}

fn check(text: &str, _opts: &ValidateOptions) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            out.push(Diagnostic::error(
                "INVALID_JSON_DESCRIPTION",
                e.to_string(),
                None,
            ));
            return out;
        }
    };
    let Some(obj) = value.as_object() else {
        out.push(Diagnostic::error(
            "SCHEMA_VALIDATION_FAILED",
            "Expected an object".into(),
            Some("/".into()),
        ));
        return out;
    };
    let missing: Vec<&str> = ["States", "StartAt"]
        .into_iter()
        .filter(|k| !obj.contains_key(*k))
        .collect();
    if !missing.is_empty() {
        out.push(Diagnostic::error(
            "SCHEMA_VALIDATION_FAILED",
            format!("These fields are required: [{}]", missing.join(", ")),
            Some("/".into()),
        ));
    }
    out
}
