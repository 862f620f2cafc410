//! Static validation of a definition, with AWS's diagnostics.
//!
//! [`validate`] gives what `ValidateStateMachineDefinition` answers; [`invalid_definition_message`]
//! the `message` of the `InvalidDefinition` error CreateStateMachine gives for the same problems.
//!
//! # Wording
//! Messages known to be AWS's own (recorded in the LocalStack corpus or measured against AWS and
//! published): `These fields are required: [States, StartAt]`, `Field 'X' is not supported`,
//! `The QueryLanguage is set to 'JSONata', but field 'X' is only supported for the 'JSONPath'
//! QueryLanguage` (and the converse), `'QueryLanguage' can not be 'JSONPath' if set to 'JSONata'
//! for whole state machine`, `Value should be one of the following: [...]`, `Expected value of
//! type [STRING]`, `Missing 'Next' target: X`, `State "X" is not reachable.`, `Workflow has no
//! terminal state` (`MISSING_END_STATE`, no location), `Duplicate State name: X`, `String does
//! not match RFC3339 timestamp`, `The value for the field 'k.$' must be a valid JSONPath or a
//! valid intrinsic function call`, `The resource provided ... is not recognized. ...`, `Express
//! state machine does not support '.sync' / '.waitForTaskToken' service integration` and
//! `... Activity ARN`, `The field 'RoleArn' is required but was missing`, `Value cannot be
//! empty`, `Maximum value is 99999999`, `Minimum value is 0`, `There should only be one of the
//! following fields: [A, APath]`, `Value is not a Reference Path`, and the Map `Label`
//! `Error=ValueError Args=[...] in definition '...'.` form.
//!
//! Other messages (States.ALL placement, Next/End presence, Wait field count, Heartbeat vs
//! Timeout, state-name length, Choice rule operators, invalid `InputPath`) follow the same
//! phrasing but AWS's exact text was not available; they are covered by tests so a correction
//! is one line. Paths and intrinsic calls are checked with [`crate::jsonpath`] and
//! [`crate::intrinsics`]. JSONata expressions are parsed only through the parser handed to
//! [`validate_with_jsonata`] (`asl` does not depend on the `jsonata` crate), which reports
//! `INVALID_JSONATA_EXPRESSION` with the parser's message; `UNSUPPORTED_JSONATA_EXPRESSION`
//! (`Reference to '$$' is not supported.`, `Field '$states.errorOutput' does not exist.`
//! outside catchers — AWS's wording) is always checked.

mod resource;
mod schema;
mod syntax;

use serde_json::{json, Value};
use std::fmt;

/// Characters AWS refuses in resource names (state machines, executions, activities, aliases)
/// and in a Map `Label`: whitespace, brackets, wildcards, special and control characters.
pub fn is_forbidden_name_char(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '<' | '>'
                | '{'
                | '}'
                | '['
                | ']'
                | '?'
                | '*'
                | '"'
                | '#'
                | '%'
                | '\\'
                | '^'
                | '|'
                | '~'
                | '`'
                | '$'
                | '&'
                | ','
                | ';'
                | ':'
                | '/'
        )
        || ('\u{0}'..='\u{1f}').contains(&c)
        || ('\u{7f}'..='\u{9f}').contains(&c)
}

/// A JSONata parser for [`validate_with_jsonata`]: given the text between `{%` and `%}`, the
/// parser's message without its error code when the expression does not parse, else `None`.
pub type JsonataParse<'a> = &'a dyn Fn(&str) -> Option<String>;

/// AWS's limit on the definition's length, in characters (the API's `Definition` shape).
pub const MAX_DEFINITION_CHARS: usize = 1_048_576;

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
    /// `CODE: message at location`, the form AWS joins into `InvalidDefinition` messages
    /// (AWS writes `at null` for a diagnostic without location).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let location = self.location.as_deref().unwrap_or("null");
        write!(f, "{}: {} at {}", self.code, self.message, location)
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
    finish(check(text, opts), opts)
}

/// [`validate`], also reporting `INVALID_JSONATA_EXPRESSION` for each `{% %}` expression of a
/// JSONata state that `jsonata_parse` refuses. `jsonata_parse` gets the text between `{%` and
/// `%}` and returns the parser's message without its error code (AWS's wording, e.g.
/// `Unexpected end of expression`), or `None` when the expression parses.
pub fn validate_with_jsonata(
    text: &str,
    opts: &ValidateOptions,
    jsonata_parse: JsonataParse<'_>,
) -> ValidationResult {
    validate_parsed(text, opts, Some(jsonata_parse)).0
}

fn finish(all: Vec<Diagnostic>, opts: &ValidateOptions) -> ValidationResult {
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
/// found in the definition `text`:
/// `Invalid State Machine Definition: 'CODE: msg at loc, CODE: msg at loc'`.
///
/// A Map `Label` problem is reported by AWS in another form, which quotes the definition as
/// submitted: `Error=ValueError Args=['Label cannot be empty'] in definition '<text>'.`
pub fn invalid_definition_message(text: &str, diagnostics: &[Diagnostic]) -> String {
    if let Some(d) = diagnostics.iter().find(|d| d.code == "INVALID_LABEL_NAME") {
        return format!(
            "Error=ValueError Args=[{}] in definition '{}'.",
            py_repr(&d.message),
            text
        );
    }
    let joined: Vec<String> = diagnostics.iter().map(Diagnostic::to_string).collect();
    format!("Invalid State Machine Definition: '{}'", joined.join(", "))
}

/// The message of the `ValidationException` the API gives for a definition longer than
/// [`MAX_DEFINITION_CHARS`], or `None` when the length is fine.
pub fn definition_length_error(text: &str) -> Option<String> {
    (text.len() > MAX_DEFINITION_CHARS && text.chars().count() > MAX_DEFINITION_CHARS).then(|| {
        format!(
            "1 validation error detected: Value at 'definition' failed to satisfy constraint: Member must have length less than or equal to {MAX_DEFINITION_CHARS}"
        )
    })
}

/// Validates a single state's JSON text, as TestState receives it (`{"Type": "Task", ...}`):
/// the same per-state checks as [`validate`], without the checks that need the rest of a
/// state machine (transition targets, reachability, terminal state).
pub fn validate_state(text: &str, opts: &ValidateOptions) -> ValidationResult {
    finish(check_with(text, opts, true), opts)
}

fn check(text: &str, opts: &ValidateOptions) -> Vec<Diagnostic> {
    check_with(text, opts, false)
}

fn check_with(text: &str, opts: &ValidateOptions, single_state: bool) -> Vec<Diagnostic> {
    match parse_json(text) {
        Ok(value) => check_value(&value, opts, single_state),
        Err(d) => vec![d],
    }
}

/// Validates a definition and hands back its parsed JSON, so the parser does not parse the
/// text twice.
pub(crate) fn validate_parsed(
    text: &str,
    opts: &ValidateOptions,
    jsonata_parse: Option<JsonataParse<'_>>,
) -> (ValidationResult, Option<Value>) {
    match parse_json(text) {
        Ok(value) => {
            let mut checker = schema::Checker::new(opts, jsonata_parse);
            checker.check_root(&value);
            let result = finish(checker.out, opts);
            (result, Some(value))
        }
        Err(d) => (finish(vec![d], opts), None),
    }
}

fn check_value(value: &Value, opts: &ValidateOptions, single_state: bool) -> Vec<Diagnostic> {
    let mut checker = schema::Checker::new(opts, None);
    if single_state {
        checker.check_single_state(value);
    } else {
        checker.check_root(value);
    }
    checker.out
}

/// The definition text as JSON, or the diagnostic AWS gives when it cannot be read as one.
fn parse_json(text: &str) -> Result<Value, Diagnostic> {
    // Byte length bounds the character count, so only long texts need counting.
    if text.len() > MAX_DEFINITION_CHARS && text.chars().count() > MAX_DEFINITION_CHARS {
        return Err(Diagnostic::error(
            "SCHEMA_VALIDATION_FAILED",
            format!("Member must have length less than or equal to {MAX_DEFINITION_CHARS}"),
            Some("/".into()),
        ));
    }
    if text.trim().is_empty() {
        return Err(Diagnostic::error(
            "MISSING_DESCRIPTION",
            "Received a null or empty workflow input.".into(),
            None,
        ));
    }
    serde_json::from_str(text).map_err(|e| {
        // serde_json stops at 128 levels of nesting; report that as AWS's nesting limit
        // rather than as a syntax error.
        let (code, message) = if e.to_string().starts_with("recursion limit exceeded") {
            (
                "TOO_DEEPLY_NESTED",
                "The states are too deeply nested.".to_string(),
            )
        } else {
            ("INVALID_JSON_DESCRIPTION", e.to_string())
        };
        Diagnostic::error(code, message, None)
    })
}

/// Python's `repr()` of a string, which AWS's Label errors quote: single quotes unless the
/// string holds a `'` and no `"`, backslash escapes for the quote, `\\`, `\t`, `\n`, `\r` and
/// non-printable characters (`\xNN`, `\uNNNN`, `\UNNNNNNNN`).
pub(crate) fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if py_printable(c) => out.push(c),
            c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push(quote);
    out
}

/// Python's `str.isprintable()` for one character: not a control, format, separator (other
/// than the ASCII space), private-use or unassigned code point. The ranges below cover the
/// Latin-1 block exactly and the common format/separator characters beyond it.
fn py_printable(c: char) -> bool {
    let u = c as u32;
    !(u < 0x20
        || (0x7f..=0xa0).contains(&u)
        || u == 0xad
        || (0x2000..=0x200f).contains(&u)
        || (0x2028..=0x202f).contains(&u)
        || (0x205f..=0x206f).contains(&u)
        || u == 0x1680
        || u == 0x3000
        || u == 0xfeff
        || (0xfff9..=0xfffb).contains(&u)
        || (0xe000..=0xf8ff).contains(&u)
        || u == 0xfffe
        || u == 0xffff
        || u >= 0xf0000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_repr() {
        assert_eq!(py_repr("abc"), "'abc'");
        assert_eq!(py_repr("'\"'"), "'\\'\"\\''");
        assert_eq!(py_repr("a'b"), "\"a'b\"");
        assert_eq!(py_repr("\u{0}"), "'\\x00'");
        assert_eq!(py_repr("\u{9a}"), "'\\x9a'");
        assert_eq!(py_repr("\t"), "'\\t'");
        assert_eq!(py_repr("é"), "'é'");
        // The message AWS quotes for a label holding `\x9a`.
        let m = format!("Label contains invalid character: {}", py_repr("\u{9a}"));
        assert_eq!(
            py_repr(&m),
            "\"Label contains invalid character: '\\\\x9a'\""
        );
    }
}
