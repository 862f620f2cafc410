//! The walk over a parsed definition that produces AWS's diagnostics.
//!
//! Order of diagnostics (as far as AWS's answers show it): top-level field problems, then each
//! state in definition order (problems located at the state first — unsupported fields, fields
//! of the other query language, missing fields — then problems located at one of its fields, in
//! field order), nested bodies as they are met; then transition targets, the missing terminal
//! state, and unreachable states.

use super::resource::{self, Pattern, Recognized};
use super::syntax;
use super::{Diagnostic, MachineType, ValidateOptions};
use serde_json::{Map, Value};
use std::collections::HashSet;

const SCHEMA: &str = "SCHEMA_VALIDATION_FAILED";

/// Nested bodies (Map/Parallel inside Map/Parallel) followed before reporting
/// `TOO_DEEPLY_NESTED`; JSON nesting itself is already bounded by the parser.
const MAX_BODY_DEPTH: usize = 40;
/// Nesting of payload templates / Choice rules followed before giving up on a value.
const MAX_VALUE_DEPTH: usize = 100;

const STATE_TYPES: &[&str] = &[
    "Task", "Choice", "Parallel", "Map", "Wait", "Pass", "Succeed", "Fail",
];

/// Fields a state type accepts in both languages, only in JSONPath, only in JSONata.
fn state_fields(
    ty: &str,
) -> (
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
) {
    match ty {
        "Pass" => (
            &["Type", "Comment", "QueryLanguage", "Next", "End", "Assign"],
            &[
                "InputPath",
                "OutputPath",
                "Parameters",
                "ResultPath",
                "Result",
            ],
            &["Output"],
        ),
        "Task" => (
            &[
                "Type",
                "Comment",
                "QueryLanguage",
                "Next",
                "End",
                "Assign",
                "Resource",
                "TimeoutSeconds",
                "HeartbeatSeconds",
                "Retry",
                "Catch",
                "Credentials",
            ],
            &[
                "InputPath",
                "OutputPath",
                "Parameters",
                "ResultPath",
                "ResultSelector",
                "TimeoutSecondsPath",
                "HeartbeatSecondsPath",
            ],
            &["Arguments", "Output"],
        ),
        "Choice" => (
            &[
                "Type",
                "Comment",
                "QueryLanguage",
                "Choices",
                "Default",
                "Assign",
            ],
            &["InputPath", "OutputPath"],
            &["Output"],
        ),
        "Wait" => (
            &[
                "Type",
                "Comment",
                "QueryLanguage",
                "Next",
                "End",
                "Assign",
                "Seconds",
                "Timestamp",
            ],
            &["InputPath", "OutputPath", "SecondsPath", "TimestampPath"],
            &["Output"],
        ),
        "Succeed" => (
            &["Type", "Comment", "QueryLanguage"],
            &["InputPath", "OutputPath"],
            &["Output"],
        ),
        "Fail" => (
            &["Type", "Comment", "QueryLanguage", "Error", "Cause"],
            &["ErrorPath", "CausePath"],
            &[],
        ),
        "Parallel" => (
            &[
                "Type",
                "Comment",
                "QueryLanguage",
                "Next",
                "End",
                "Assign",
                "Branches",
                "Retry",
                "Catch",
            ],
            &[
                "InputPath",
                "OutputPath",
                "Parameters",
                "ResultPath",
                "ResultSelector",
            ],
            &["Arguments", "Output"],
        ),
        "Map" => (
            &[
                "Type",
                "Comment",
                "QueryLanguage",
                "Next",
                "End",
                "Assign",
                "ItemProcessor",
                "Iterator",
                "ItemReader",
                "ItemBatcher",
                "ResultWriter",
                "ItemSelector",
                "MaxConcurrency",
                "ToleratedFailureCount",
                "ToleratedFailurePercentage",
                "Label",
                "Retry",
                "Catch",
            ],
            &[
                "InputPath",
                "OutputPath",
                "ItemsPath",
                "Parameters",
                "ResultPath",
                "ResultSelector",
                "MaxConcurrencyPath",
                "ToleratedFailureCountPath",
                "ToleratedFailurePercentagePath",
            ],
            &["Items", "Output"],
        ),
        _ => (&[], &[], &[]),
    }
}

/// The JSONPath-mode Choice comparison operators and the type of value each takes.
const CHOICE_OPERATORS: &[(&str, Operand)] = &[
    ("StringEquals", Operand::String),
    ("StringLessThan", Operand::String),
    ("StringGreaterThan", Operand::String),
    ("StringLessThanEquals", Operand::String),
    ("StringGreaterThanEquals", Operand::String),
    ("StringMatches", Operand::String),
    ("NumericEquals", Operand::Number),
    ("NumericLessThan", Operand::Number),
    ("NumericGreaterThan", Operand::Number),
    ("NumericLessThanEquals", Operand::Number),
    ("NumericGreaterThanEquals", Operand::Number),
    ("BooleanEquals", Operand::Boolean),
    ("TimestampEquals", Operand::Timestamp),
    ("TimestampLessThan", Operand::Timestamp),
    ("TimestampGreaterThan", Operand::Timestamp),
    ("TimestampLessThanEquals", Operand::Timestamp),
    ("TimestampGreaterThanEquals", Operand::Timestamp),
    ("StringEqualsPath", Operand::Path),
    ("StringLessThanPath", Operand::Path),
    ("StringGreaterThanPath", Operand::Path),
    ("StringLessThanEqualsPath", Operand::Path),
    ("StringGreaterThanEqualsPath", Operand::Path),
    ("NumericEqualsPath", Operand::Path),
    ("NumericLessThanPath", Operand::Path),
    ("NumericGreaterThanPath", Operand::Path),
    ("NumericLessThanEqualsPath", Operand::Path),
    ("NumericGreaterThanEqualsPath", Operand::Path),
    ("BooleanEqualsPath", Operand::Path),
    ("TimestampEqualsPath", Operand::Path),
    ("TimestampLessThanPath", Operand::Path),
    ("TimestampGreaterThanPath", Operand::Path),
    ("TimestampLessThanEqualsPath", Operand::Path),
    ("TimestampGreaterThanEqualsPath", Operand::Path),
    ("IsNull", Operand::Boolean),
    ("IsPresent", Operand::Boolean),
    ("IsNumeric", Operand::Boolean),
    ("IsString", Operand::Boolean),
    ("IsBoolean", Operand::Boolean),
    ("IsTimestamp", Operand::Boolean),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Operand {
    String,
    Number,
    Boolean,
    Timestamp,
    Path,
}

/// A `{StartAt, States}` body collected for the transition checks.
struct Body<'v> {
    location: String,
    start_at: Option<&'v str>,
    /// (name, state object, location)
    states: Vec<(&'v str, &'v Map<String, Value>, String)>,
    top: bool,
}

/// Parses one JSONata expression (the text between `{%` and `%}`), returning the parser's
/// message when it does not parse.
pub(crate) type JsonataCheck<'o> = &'o dyn Fn(&str) -> Option<String>;

pub(crate) struct Checker<'o, 'v> {
    opts: &'o ValidateOptions,
    jsonata_check: Option<JsonataCheck<'o>>,
    pub(crate) out: Vec<Diagnostic>,
    top_jsonata: bool,
    names: HashSet<&'v str>,
    bodies: Vec<Body<'v>>,
}

fn join(loc: &str, field: &str) -> String {
    if loc == "/" {
        format!("/{field}")
    } else {
        format!("{loc}/{field}")
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "NULL",
        Value::Bool(_) => "BOOLEAN",
        Value::Number(n) if n.is_i64() || n.is_u64() => "INTEGER",
        Value::Number(_) => "NUMBER",
        Value::String(_) => "STRING",
        Value::Array(_) => "ARRAY",
        Value::Object(_) => "OBJECT",
    }
}

/// Effective language of a `QueryLanguage` value: JSONPath only for the exact string.
fn declares_jsonata(v: Option<&Value>, inherited: bool) -> bool {
    match v {
        None => inherited,
        Some(Value::String(s)) if s == "JSONPath" => false,
        Some(_) => true,
    }
}

impl<'o, 'v> Checker<'o, 'v> {
    pub(crate) fn new(opts: &'o ValidateOptions, jsonata_check: Option<JsonataCheck<'o>>) -> Self {
        Checker {
            opts,
            jsonata_check,
            out: Vec::new(),
            top_jsonata: false,
            names: HashSet::new(),
            bodies: Vec::new(),
        }
    }

    fn err(&mut self, message: impl Into<String>, location: impl Into<String>) {
        self.out.push(Diagnostic::error(
            SCHEMA,
            message.into(),
            Some(location.into()),
        ));
    }

    fn code(&mut self, code: &str, message: impl Into<String>, location: Option<String>) {
        self.out
            .push(Diagnostic::error(code, message.into(), location));
    }

    fn expect_type(&mut self, v: &Value, expected: &str, loc: String) -> bool {
        let actual = type_name(v);
        let ok = actual == expected || (expected == "NUMBER" && actual == "INTEGER");
        if !ok {
            self.err(format!("Expected value of type [{expected}]"), loc);
        }
        ok
    }

    fn enum_value(&mut self, v: &Value, allowed: &[&str], loc: String) {
        match v {
            Value::String(s) if allowed.contains(&s.as_str()) => {}
            Value::String(_) => self.err(
                format!(
                    "Value should be one of the following: [{}]",
                    allowed.join(", ")
                ),
                loc,
            ),
            _ => self.err("Expected value of type [STRING]", loc),
        }
    }

    /// An integer field within `[min, max]`; in JSONata states a `{% %}` string is accepted.
    fn integer(&mut self, v: &Value, min: i64, max: Option<i64>, jsonata: bool, loc: String) {
        match v {
            Value::String(s) if jsonata && syntax::is_jsonata_expr(s) => {}
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    if i < min {
                        self.err(format!("Minimum value is {min}"), loc);
                    } else if max.is_some_and(|m| i > m) {
                        self.err(format!("Maximum value is {}", max.unwrap_or(i)), loc);
                    }
                } else if n.as_u64().is_some() {
                    if let Some(m) = max {
                        self.err(format!("Maximum value is {m}"), loc);
                    }
                } else {
                    self.err("Expected value of type [INTEGER]", loc);
                }
            }
            _ => {
                self.err("Expected value of type [INTEGER]", loc);
            }
        }
    }

    fn number_range(&mut self, v: &Value, min: f64, max: Option<f64>, jsonata: bool, loc: String) {
        match v {
            Value::String(s) if jsonata && syntax::is_jsonata_expr(s) => {}
            Value::Number(n) => {
                let f = n.as_f64().unwrap_or(f64::NAN);
                if f < min {
                    self.err(format!("Minimum value is {min:?}"), loc);
                } else if let Some(m) = max.filter(|m| f > *m) {
                    self.err(format!("Maximum value is {m:?}"), loc);
                }
            }
            _ => {
                self.err("Expected value of type [NUMBER]", loc);
            }
        }
    }

    fn reference_path(&mut self, v: &Value, loc: String) {
        match v {
            Value::String(s) if syntax::is_valid_reference_path(s) && !s.starts_with("$$") => {}
            Value::String(_) => self.err("Value is not a Reference Path", loc),
            _ => self.err("Expected value of type [STRING]", loc),
        }
    }

    /// `InputPath`/`OutputPath`/`ItemsPath`: a path or `null`.
    fn path_or_null(&mut self, field: &str, v: &Value, loc: String) {
        match v {
            Value::Null => {}
            Value::String(s) if syntax::is_valid_path(s) => {}
            Value::String(_) => self.err(
                format!("The value for the field '{field}' must be a valid JSONPath"),
                loc,
            ),
            _ => self.err("Expected value of type [STRING]", loc),
        }
    }

    /// `ResultPath`: a Reference Path or `null`.
    fn result_path(&mut self, v: &Value, loc: String) {
        if !v.is_null() {
            self.reference_path(v, loc);
        }
    }

    /// A JSONPath payload template: every `"key.$"` must hold a path or intrinsic call.
    /// Problems are located at the object holding the field (the template field itself for a
    /// top-level key), as AWS locates them.
    fn template(&mut self, v: &Value, loc: &str, depth: usize) {
        let before = self.out.len();
        self.template_node(v, loc, depth);
        // The engine compiles templates with `asl::template`; whatever it refuses must not pass.
        if depth == 0 && self.out.len() == before {
            if let Err(e) = crate::template::PayloadTemplate::compile(v) {
                self.err(e.message, format!("{loc}{}", e.pointer));
            }
        }
    }

    fn template_node(&mut self, v: &Value, loc: &str, depth: usize) {
        if depth > MAX_VALUE_DEPTH {
            return;
        }
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if k.ends_with(".$") {
                        let ok = x.as_str().is_some_and(syntax::is_path_or_intrinsic);
                        if !ok {
                            self.err(
                                format!(
                                    "The value for the field '{k}' must be a valid JSONPath or a valid intrinsic function call"
                                ),
                                loc.to_string(),
                            );
                        }
                    } else {
                        if x.as_str().is_some_and(looks_like_path_or_intrinsic) {
                            self.warn(
                                "NO_DOLLAR",
                                format!("No .$ on the field '{k}', whose value appears to be a JSONPath or an intrinsic function"),
                                loc,
                            );
                        }
                        self.template_node(x, &join(loc, k), depth + 1);
                    }
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    self.template_node(x, &format!("{loc}[{i}]"), depth + 1);
                }
            }
            _ => {}
        }
    }

    fn warn(&mut self, code: &str, message: String, location: &str) {
        self.out.push(Diagnostic {
            severity: super::Severity::Warning,
            code: code.to_string(),
            message,
            location: Some(location.to_string()),
        });
    }

    /// `PASS_RESULT_IS_STATIC`: a `.$` key inside a Pass `Result`, which is never evaluated.
    fn static_result(&mut self, v: &Value, loc: &str, depth: usize) {
        if depth > MAX_VALUE_DEPTH {
            return;
        }
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if k.ends_with(".$") {
                        self.warn(
                            "PASS_RESULT_IS_STATIC",
                            format!(
                                "Attempt to use a path in the result of a pass state: field '{k}'"
                            ),
                            loc,
                        );
                    }
                    self.static_result(x, loc, depth + 1);
                }
            }
            Value::Array(a) => {
                for x in a {
                    self.static_result(x, loc, depth + 1);
                }
            }
            _ => {}
        }
    }

    // ---------------------------------------------------------------- top level

    /// A lone state, as TestState takes it: the state's own checks and its nested bodies, but
    /// no transition checks (its `Next` names a state outside the definition).
    pub(crate) fn check_single_state(&mut self, root: &'v Value) {
        let Some(obj) = root.as_object() else {
            self.err("Expected value of type [OBJECT]", "/");
            return;
        };
        // TestState names a lone state `StateName` in its diagnostics.
        self.state(obj, "/States/StateName", 0);
        // Only the nested bodies (Map/Parallel) are recorded, so only their transitions are
        // checked.
        self.transitions();
    }

    pub(crate) fn check_root(&mut self, root: &'v Value) {
        let Some(obj) = root.as_object() else {
            self.err("Expected value of type [OBJECT]", "/");
            return;
        };
        for k in obj.keys() {
            if !matches!(
                k.as_str(),
                "Comment" | "StartAt" | "States" | "Version" | "TimeoutSeconds" | "QueryLanguage"
            ) {
                self.err(format!("Field '{k}' is not supported"), "/");
            }
        }
        let missing: Vec<&str> = ["States", "StartAt"]
            .into_iter()
            .filter(|k| !obj.contains_key(*k))
            .collect();
        if !missing.is_empty() {
            self.err(
                format!("These fields are required: [{}]", missing.join(", ")),
                "/",
            );
        }
        self.top_jsonata = declares_jsonata(obj.get("QueryLanguage"), false);
        for (k, v) in obj {
            let loc = format!("/{k}");
            match k.as_str() {
                "Comment" | "Version" | "StartAt" => {
                    self.expect_type(v, "STRING", loc);
                }
                "TimeoutSeconds" => self.integer(v, 1, Some(99_999_999), false, loc),
                "QueryLanguage" => self.enum_value(v, &["JSONPath", "JSONata"], loc),
                "States" => {
                    self.expect_type(v, "OBJECT", loc);
                }
                _ => {}
            }
        }
        self.states_of(obj, "", true, 0);
        // Without a States object there is no graph to check.
        if obj.get("States").is_some_and(Value::is_object) {
            self.transitions();
        }
    }

    /// Walks the `States` of a body and records the body for the transition checks.
    fn states_of(&mut self, obj: &'v Map<String, Value>, loc: &str, top: bool, depth: usize) {
        // Bodies are recorded in pre-order (outer before nested) so the transition checks
        // report them in definition order.
        let idx = self.bodies.len();
        self.bodies.push(Body {
            location: loc.to_string(),
            start_at: obj.get("StartAt").and_then(Value::as_str),
            states: Vec::new(),
            top,
        });
        let mut states = Vec::new();
        if let Some(m) = obj.get("States").and_then(Value::as_object) {
            for (name, sv) in m {
                let sloc = format!("{loc}/States/{name}");
                if !self.names.insert(name.as_str()) {
                    self.code(
                        "DUPLICATE_STATE_NAME",
                        format!("Duplicate State name: {name}"),
                        Some(sloc.clone()),
                    );
                }
                if name.chars().count() > 80 {
                    self.code(
                        "INVALID_STATE_NAME",
                        format!("State name '{name}' exceeds the maximum length of 80 characters"),
                        Some(sloc.clone()),
                    );
                }
                match sv.as_object() {
                    Some(so) => {
                        self.state(so, &sloc, depth);
                        states.push((name.as_str(), so, sloc));
                    }
                    None => self.err("Expected value of type [OBJECT]", sloc),
                }
            }
        }
        if let Some(b) = self.bodies.get_mut(idx) {
            b.states = states;
        }
    }

    /// A nested `{StartAt, States}` body (Parallel branch, ItemProcessor, Iterator).
    fn body(&mut self, v: &'v Value, loc: &str, processor: bool, depth: usize) {
        if depth > MAX_BODY_DEPTH {
            self.code(
                "TOO_DEEPLY_NESTED",
                "The states are too deeply nested.",
                Some(loc.to_string()),
            );
            return;
        }
        let Some(obj) = v.as_object() else {
            self.err("Expected value of type [OBJECT]", loc);
            return;
        };
        for k in obj.keys() {
            let ok = matches!(k.as_str(), "StartAt" | "States" | "Comment")
                || (processor && k == "ProcessorConfig");
            if !ok {
                self.err(format!("Field '{k}' is not supported"), loc);
            }
        }
        let missing: Vec<&str> = ["States", "StartAt"]
            .into_iter()
            .filter(|k| !obj.contains_key(*k))
            .collect();
        if !missing.is_empty() {
            self.err(
                format!("These fields are required: [{}]", missing.join(", ")),
                loc,
            );
        }
        for (k, x) in obj {
            let floc = join(loc, k);
            match k.as_str() {
                "StartAt" | "Comment" => {
                    self.expect_type(x, "STRING", floc);
                }
                "States" => {
                    self.expect_type(x, "OBJECT", floc);
                }
                "ProcessorConfig" if processor => self.processor_config(x, &floc),
                _ => {}
            }
        }
        self.states_of(obj, loc, false, depth + 1);
    }

    fn processor_config(&mut self, v: &Value, loc: &str) {
        let Some(o) = v.as_object() else {
            self.err("Expected value of type [OBJECT]", loc);
            return;
        };
        for (k, x) in o {
            match k.as_str() {
                "Mode" => self.enum_value(x, &["INLINE", "DISTRIBUTED"], join(loc, k)),
                "ExecutionType" => self.enum_value(x, &["STANDARD", "EXPRESS"], join(loc, k)),
                _ => self.err(format!("Field '{k}' is not supported"), loc),
            }
        }
    }

    // ---------------------------------------------------------------- states

    fn state(&mut self, obj: &'v Map<String, Value>, loc: &str, depth: usize) {
        let ty = match obj.get("Type") {
            None => {
                self.err("These fields are required: [Type]", loc);
                return;
            }
            Some(Value::String(t)) if STATE_TYPES.contains(&t.as_str()) => t.as_str(),
            Some(Value::String(_)) => {
                self.err(
                    format!(
                        "Value should be one of the following: [{}]",
                        STATE_TYPES.join(", ")
                    ),
                    join(loc, "Type"),
                );
                return;
            }
            Some(_) => {
                self.err("Expected value of type [STRING]", join(loc, "Type"));
                return;
            }
        };
        let jsonata = declares_jsonata(obj.get("QueryLanguage"), self.top_jsonata);
        let downgraded = self.top_jsonata
            && matches!(obj.get("QueryLanguage"), Some(Value::String(s)) if s == "JSONPath");

        // Problems located at the state itself.
        let (both, jsonpath_only, jsonata_only) = state_fields(ty);
        for k in obj.keys() {
            let k = k.as_str();
            if both.contains(&k) {
                continue;
            }
            if jsonpath_only.contains(&k) {
                if jsonata && !downgraded {
                    self.err(format!("The QueryLanguage is set to 'JSONata', but field '{k}' is only supported for the 'JSONPath' QueryLanguage"), loc);
                }
            } else if jsonata_only.contains(&k) {
                if !jsonata && !downgraded {
                    self.err(format!("The QueryLanguage is set to 'JSONPath', but field '{k}' is only supported for the 'JSONata' QueryLanguage"), loc);
                }
            } else {
                self.err(format!("Field '{k}' is not supported"), loc);
            }
        }
        if downgraded {
            self.err(
                "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
                loc,
            );
        }
        let required: &[&str] = match ty {
            "Task" => &["Resource"],
            "Choice" => &["Choices"],
            "Parallel" => &["Branches"],
            _ => &[],
        };
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|k| !obj.contains_key(*k))
            .collect();
        if !missing.is_empty() {
            self.err(
                format!("These fields are required: [{}]", missing.join(", ")),
                loc,
            );
        }
        if ty == "Map" {
            match (
                obj.contains_key("ItemProcessor"),
                obj.contains_key("Iterator"),
            ) {
                (false, false) => self.err("These fields are required: [ItemProcessor]", loc),
                (true, true) => self.err(
                    "There should only be one of the following fields: [ItemProcessor, Iterator]",
                    loc,
                ),
                _ => {}
            }
        }
        if !matches!(ty, "Choice" | "Succeed" | "Fail") {
            let next = obj.contains_key("Next");
            let end = obj.get("End").is_some_and(|e| e != &Value::Bool(false));
            if next && end {
                self.err(
                    "There should only be one of the following fields: [Next, End]",
                    loc,
                );
            } else if !next && !end {
                self.err("Exactly one of these fields is required: [Next, End]", loc);
            }
        }
        if ty == "Wait" {
            let group: &[&str] = if jsonata {
                &["Seconds", "Timestamp"]
            } else {
                &["Seconds", "SecondsPath", "Timestamp", "TimestampPath"]
            };
            let present = group.iter().filter(|k| obj.contains_key(**k)).count();
            if present == 0 {
                self.err(
                    format!(
                        "Exactly one of these fields is required: [{}]",
                        group.join(", ")
                    ),
                    loc,
                );
            } else if present > 1 {
                self.err(
                    format!(
                        "There should only be one of the following fields: [{}]",
                        group.join(", ")
                    ),
                    loc,
                );
            }
        }

        // Problems located at one of the state's fields.
        for (k, v) in obj {
            self.field(ty, obj, k, v, loc, jsonata, depth);
        }
        if jsonata {
            self.jsonata_fields(obj, loc);
        }
    }

    /// `INVALID_JSONATA_EXPRESSION` for every `{% %}` string of a JSONata state that does not
    /// parse, located at the field (and the keys inside it) that holds it.
    fn jsonata_fields(&mut self, obj: &Map<String, Value>, loc: &str) {
        for (k, v) in obj {
            let floc = join(loc, k);
            match k.as_str() {
                "Type" | "Comment" | "QueryLanguage" | "Next" | "End" | "Default"
                | "ItemProcessor" | "Iterator" | "Branches" | "Label" | "Retry" => {}
                "Choices" | "Catch" => {
                    for (i, r) in v.as_array().into_iter().flatten().enumerate() {
                        for (rk, rv) in r.as_object().into_iter().flatten() {
                            if matches!(rk.as_str(), "Condition" | "Output" | "Assign") {
                                let in_catch = k == "Catch";
                                self.jsonata_value(rv, &format!("{floc}[{i}]/{rk}"), in_catch, 0);
                            }
                        }
                    }
                }
                _ => self.jsonata_value(v, &floc, false, 0),
            }
        }
    }

    /// Checks the `{% %}` strings of one JSONata field: syntax (when a parser was given), then
    /// the references AWS refuses (`$$`; `$states.errorOutput` outside a catcher).
    fn jsonata_value(&mut self, v: &Value, loc: &str, in_catch: bool, depth: usize) {
        if depth > MAX_VALUE_DEPTH {
            return;
        }
        match v {
            Value::String(s) if syntax::is_jsonata_expr(s) => {
                let inner = s.get(2..s.len() - 2).unwrap_or_default();
                if let Some(message) = self.jsonata_check.and_then(|check| check(inner)) {
                    self.code("INVALID_JSONATA_EXPRESSION", message, Some(loc.to_string()));
                } else if syntax::jsonata_mentions(inner, "$$") {
                    self.code(
                        "UNSUPPORTED_JSONATA_EXPRESSION",
                        "Reference to '$$' is not supported.",
                        Some(loc.to_string()),
                    );
                } else if !in_catch && syntax::jsonata_mentions(inner, "$states.errorOutput") {
                    self.code(
                        "UNSUPPORTED_JSONATA_EXPRESSION",
                        "Field '$states.errorOutput' does not exist.",
                        Some(loc.to_string()),
                    );
                }
            }
            Value::Object(m) => {
                for (k, x) in m {
                    self.jsonata_value(x, &join(loc, k), in_catch, depth + 1);
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    self.jsonata_value(x, &format!("{loc}[{i}]"), in_catch, depth + 1);
                }
            }
            _ => {}
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn field(
        &mut self,
        ty: &str,
        obj: &'v Map<String, Value>,
        k: &str,
        v: &'v Value,
        loc: &str,
        jsonata: bool,
        depth: usize,
    ) {
        let floc = join(loc, k);
        match k {
            "Comment" | "Next" | "Default" => {
                self.expect_type(v, "STRING", floc);
            }
            "Error" | "Cause" => {
                let is_string = self.expect_type(v, "STRING", floc.clone());
                if is_string && !jsonata && v.as_str().is_some_and(looks_like_path_or_intrinsic) {
                    self.warn(
                        "NO_PATH",
                        format!("The value of the field '{k}' looks like a path, but the field name does not end with 'Path'"),
                        &floc,
                    );
                }
            }
            "Result" if !jsonata => self.static_result(v, &floc, 0),
            "End" => {
                self.expect_type(v, "BOOLEAN", floc);
            }
            "QueryLanguage" => self.enum_value(v, &["JSONPath", "JSONata"], floc),
            "InputPath" | "OutputPath" if !jsonata => self.path_or_null(k, v, floc),
            "ItemsPath" if !jsonata => match v {
                Value::String(s) if syntax::is_valid_path(s) => {}
                Value::String(_) => self.err(
                    format!("The value for the field '{k}' must be a valid JSONPath"),
                    floc,
                ),
                _ => self.err("Expected value of type [STRING]", floc),
            },
            "ResultPath" if !jsonata => self.result_path(v, floc),
            "Parameters" | "ResultSelector" | "ItemSelector" if !jsonata => {
                self.template(v, &floc, 0)
            }
            "Assign" => {
                let is_object = self.expect_type(v, "OBJECT", floc.clone());
                if is_object && !jsonata {
                    self.template(v, &floc, 0);
                }
            }
            "Resource" if ty == "Task" => self.resource(v, &floc, jsonata),
            "TimeoutSeconds" | "HeartbeatSeconds" => {
                self.integer(v, 1, Some(99_999_999), jsonata, floc.clone());
                let path = format!("{k}Path");
                if obj.contains_key(&path) && !jsonata {
                    self.err(
                        format!("There should only be one of the following fields: [{k}, {path}]"),
                        floc.clone(),
                    );
                }
                if k == "HeartbeatSeconds" {
                    let hb = v.as_i64();
                    let to = obj.get("TimeoutSeconds").and_then(Value::as_i64);
                    if let (Some(hb), Some(to)) = (hb, to) {
                        if hb >= to {
                            self.err("HeartbeatSeconds must be smaller than TimeoutSeconds", floc);
                        }
                    }
                }
            }
            "TimeoutSecondsPath"
            | "HeartbeatSecondsPath"
            | "SecondsPath"
            | "TimestampPath"
            | "MaxConcurrencyPath"
            | "ToleratedFailureCountPath"
            | "ToleratedFailurePercentagePath"
                if !jsonata =>
            {
                self.reference_path(v, floc)
            }
            "Credentials" => self.credentials(v, &floc, jsonata),
            "Retry" => self.retriers(v, &floc),
            "Catch" => self.catchers(v, &floc, jsonata),
            "Choices" => self.choices(v, &floc, jsonata),
            "Seconds" => self.integer(v, 0, Some(99_999_999), jsonata, floc),
            "Timestamp" => match v {
                Value::String(s) if jsonata && syntax::is_jsonata_expr(s) => {}
                Value::String(s) if syntax::is_rfc3339(s) => {}
                Value::String(_) => self.err("String does not match RFC3339 timestamp", floc),
                _ => self.err("Expected value of type [STRING]", floc),
            },
            "ErrorPath" | "CausePath" if !jsonata => {
                if let Value::String(s) = v {
                    if !syntax::is_path_or_intrinsic(s) {
                        self.err(format!("The value for the field '{k}' must be a valid JSONPath or a valid intrinsic function call"), floc.clone());
                    }
                } else {
                    self.err("Expected value of type [STRING]", floc.clone());
                }
                let plain = k.trim_end_matches("Path");
                if obj.contains_key(plain) {
                    self.err(
                        format!("There should only be one of the following fields: [{plain}, {k}]"),
                        join(loc, plain),
                    );
                }
            }
            "Branches" => match v.as_array() {
                Some(a) if a.is_empty() => self.err("Value cannot be empty", floc),
                Some(a) => {
                    for (i, b) in a.iter().enumerate() {
                        self.body(b, &format!("{floc}[{i}]"), false, depth);
                    }
                }
                None => self.err("Expected value of type [ARRAY]", floc),
            },
            "ItemProcessor" | "Iterator" => self.body(v, &floc, true, depth),
            "Items" if jsonata => match v {
                Value::Array(_) | Value::Object(_) => {}
                Value::String(s) if syntax::is_jsonata_expr(s) => {}
                _ => self.err("Expected value of type [ARRAY]", floc),
            },
            "MaxConcurrency" | "ToleratedFailureCount" => {
                self.integer(v, 0, None, jsonata, floc.clone());
                let path = format!("{k}Path");
                if obj.contains_key(&path) && !jsonata {
                    self.err(
                        format!("There should only be one of the following fields: [{k}, {path}]"),
                        floc,
                    );
                }
            }
            "ToleratedFailurePercentage" => {
                self.number_range(v, 0.0, Some(100.0), jsonata, floc.clone());
                if obj.contains_key("ToleratedFailurePercentagePath") && !jsonata {
                    self.err(
                        "There should only be one of the following fields: [ToleratedFailurePercentage, ToleratedFailurePercentagePath]",
                        floc,
                    );
                }
            }
            "Label" => self.label(v, &floc),
            "ItemReader" => self.item_reader(v, &floc, jsonata),
            "ItemBatcher" => self.item_batcher(v, &floc, jsonata),
            "ResultWriter" => self.result_writer(v, &floc, jsonata),
            _ => {}
        }
    }

    fn resource(&mut self, v: &Value, loc: &str, jsonata: bool) {
        let Value::String(r) = v else {
            self.err("Expected value of type [STRING]", loc);
            return;
        };
        if jsonata && syntax::is_jsonata_expr(r) {
            return;
        }
        match resource::recognize(r) {
            Recognized::No => self.err(
                format!("The resource provided {r} is not recognized. The value is not a valid resource ARN, or the resource is not available in this region."),
                loc,
            ),
            Recognized::Yes(pattern) if self.opts.machine_type == MachineType::Express => {
                match pattern {
                    // AWS's wording has a double space before "at" for this one.
                    Pattern::WaitForTaskToken => self.err(
                        "Express state machine does not support '.waitForTaskToken' service integration ",
                        loc,
                    ),
                    Pattern::Sync => self.err(
                        "Express state machine does not support '.sync' service integration",
                        loc,
                    ),
                    Pattern::Activity => self.err(
                        "Express state machine does not support Activity ARN",
                        loc,
                    ),
                    Pattern::RequestResponse => {}
                }
            }
            Recognized::Yes(_) => {}
        }
    }

    fn credentials(&mut self, v: &Value, loc: &str, jsonata: bool) {
        match v {
            Value::String(s) if jsonata && syntax::is_jsonata_expr(s) => {}
            Value::Object(o) => {
                if !o.contains_key("RoleArn") && (jsonata || !o.contains_key("RoleArn.$")) {
                    self.err("The field 'RoleArn' is required but was missing", loc);
                    return;
                }
                if !jsonata {
                    self.template(v, loc, 0);
                }
            }
            _ => self.err("Expected value of type [OBJECT]", loc),
        }
    }

    fn error_equals(&mut self, o: &Map<String, Value>, loc: &str) -> bool {
        let Some(v) = o.get("ErrorEquals") else {
            return false;
        };
        let eloc = join(loc, "ErrorEquals");
        let Some(a) = v.as_array() else {
            self.err("Expected value of type [ARRAY]", eloc);
            return false;
        };
        if a.is_empty() {
            self.err("Value cannot be empty", eloc.clone());
        }
        let mut has_all = false;
        for (i, e) in a.iter().enumerate() {
            match e.as_str() {
                Some("States.ALL") => has_all = true,
                Some(_) => {}
                None => self.err("Expected value of type [STRING]", format!("{eloc}[{i}]")),
            }
        }
        if has_all && a.len() > 1 {
            self.err(
                "States.ALL must appear alone in the ErrorEquals array",
                eloc,
            );
        }
        has_all
    }

    fn retriers(&mut self, v: &Value, loc: &str) {
        let Some(a) = v.as_array() else {
            self.err("Expected value of type [ARRAY]", loc);
            return;
        };
        for (i, r) in a.iter().enumerate() {
            let rloc = format!("{loc}[{i}]");
            let Some(o) = r.as_object() else {
                self.err("Expected value of type [OBJECT]", rloc);
                continue;
            };
            for k in o.keys() {
                if !matches!(
                    k.as_str(),
                    "ErrorEquals"
                        | "IntervalSeconds"
                        | "MaxAttempts"
                        | "BackoffRate"
                        | "MaxDelaySeconds"
                        | "JitterStrategy"
                        | "Comment"
                ) {
                    self.err(format!("Field '{k}' is not supported"), rloc.clone());
                }
            }
            if !o.contains_key("ErrorEquals") {
                self.err("These fields are required: [ErrorEquals]", rloc.clone());
            }
            let has_all = self.error_equals(o, &rloc);
            if has_all && i + 1 < a.len() {
                self.err(
                    "A Retrier with States.ALL must be the last Retrier",
                    rloc.clone(),
                );
            }
            for (k, x) in o {
                let floc = join(&rloc, k);
                match k.as_str() {
                    "IntervalSeconds" => self.integer(x, 1, Some(99_999_999), false, floc),
                    "MaxAttempts" => self.integer(x, 0, Some(99_999_999), false, floc),
                    "MaxDelaySeconds" => self.integer(x, 1, Some(31_622_400), false, floc),
                    "BackoffRate" => self.number_range(x, 1.0, None, false, floc),
                    "JitterStrategy" => self.enum_value(x, &["FULL", "NONE"], floc),
                    "Comment" => {
                        self.expect_type(x, "STRING", floc);
                    }
                    _ => {}
                }
            }
        }
    }

    fn catchers(&mut self, v: &Value, loc: &str, jsonata: bool) {
        let Some(a) = v.as_array() else {
            self.err("Expected value of type [ARRAY]", loc);
            return;
        };
        for (i, c) in a.iter().enumerate() {
            let cloc = format!("{loc}[{i}]");
            let Some(o) = c.as_object() else {
                self.err("Expected value of type [OBJECT]", cloc);
                continue;
            };
            for k in o.keys() {
                match k.as_str() {
                    "ErrorEquals" | "Next" | "Comment" | "Assign" => {}
                    "ResultPath" if jsonata => self.err("The QueryLanguage is set to 'JSONata', but field 'ResultPath' is only supported for the 'JSONPath' QueryLanguage", cloc.clone()),
                    "Output" if !jsonata => self.err("The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for the 'JSONata' QueryLanguage", cloc.clone()),
                    "ResultPath" | "Output" => {}
                    _ => self.err(format!("Field '{k}' is not supported"), cloc.clone()),
                }
            }
            let missing: Vec<&str> = ["ErrorEquals", "Next"]
                .into_iter()
                .filter(|k| !o.contains_key(*k))
                .collect();
            if !missing.is_empty() {
                self.err(
                    format!("These fields are required: [{}]", missing.join(", ")),
                    cloc.clone(),
                );
            }
            let has_all = self.error_equals(o, &cloc);
            if has_all && i + 1 < a.len() {
                self.err(
                    "A Catcher with States.ALL must be the last Catcher",
                    cloc.clone(),
                );
            }
            for (k, x) in o {
                let floc = join(&cloc, k);
                match k.as_str() {
                    "Next" | "Comment" => {
                        self.expect_type(x, "STRING", floc);
                    }
                    "ResultPath" if !jsonata => self.result_path(x, floc),
                    "Assign" => {
                        let is_object = self.expect_type(x, "OBJECT", floc.clone());
                        if is_object && !jsonata {
                            self.template(x, &floc, 0);
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    fn choices(&mut self, v: &Value, loc: &str, jsonata: bool) {
        let Some(a) = v.as_array() else {
            self.err("Expected value of type [ARRAY]", loc);
            return;
        };
        if a.is_empty() {
            self.err("Value cannot be empty", loc);
        }
        for (i, r) in a.iter().enumerate() {
            let rloc = format!("{loc}[{i}]");
            let Some(o) = r.as_object() else {
                self.err("Expected value of type [OBJECT]", rloc);
                continue;
            };
            if jsonata {
                for k in o.keys() {
                    match k.as_str() {
                        "Condition" | "Next" | "Comment" | "Assign" | "Output" => {}
                        k if k == "Variable"
                            || k == "And"
                            || k == "Or"
                            || k == "Not"
                            || CHOICE_OPERATORS.iter().any(|(op, _)| *op == k) =>
                        {
                            self.err(format!("The QueryLanguage is set to 'JSONata', but field '{k}' is only supported for the 'JSONPath' QueryLanguage"), rloc.clone());
                        }
                        _ => self.err(format!("Field '{k}' is not supported"), rloc.clone()),
                    }
                }
                let missing: Vec<&str> = ["Condition", "Next"]
                    .into_iter()
                    .filter(|k| !o.contains_key(*k))
                    .collect();
                if !missing.is_empty() {
                    self.err(
                        format!("These fields are required: [{}]", missing.join(", ")),
                        rloc.clone(),
                    );
                }
                for (k, x) in o {
                    let floc = join(&rloc, k);
                    match k.as_str() {
                        "Next" | "Comment" => {
                            self.expect_type(x, "STRING", floc);
                        }
                        "Condition" => match x {
                            Value::Bool(_) => {}
                            Value::String(s) if syntax::is_jsonata_expr(s) => {}
                            _ => self.err("Expected value of type [BOOLEAN]", floc),
                        },
                        "Assign" => {
                            self.expect_type(x, "OBJECT", floc);
                        }
                        _ => {}
                    }
                }
            } else {
                if !o.contains_key("Next") {
                    self.err("These fields are required: [Next]", rloc.clone());
                }
                let before = self.out.len();
                self.rule(o, &rloc, true, 0);
                // The engine evaluates rules with `asl::choice`; a rule it cannot parse must not
                // pass validation, even where the checks above have no AWS wording for it.
                if self.out.len() == before {
                    if let Err(e) = crate::choice::ChoiceRule::parse(r) {
                        let at = if e.pointer.is_empty() {
                            rloc.clone()
                        } else {
                            format!("{rloc}{}", e.pointer)
                        };
                        self.err(e.message, at);
                    }
                }
            }
        }
    }

    /// A JSONPath-mode Choice rule (top-level rules carry `Next`, nested ones must not).
    fn rule(&mut self, o: &Map<String, Value>, loc: &str, top: bool, depth: usize) {
        if depth > MAX_VALUE_DEPTH {
            return;
        }
        let mut operators = 0usize;
        let mut combinators = 0usize;
        for (k, x) in o {
            let k = k.as_str();
            let floc = join(loc, k);
            match k {
                "Next" | "Comment" | "Assign" if top => {
                    if k == "Assign" {
                        if self.expect_type(x, "OBJECT", floc.clone()) {
                            self.template(x, &floc, 0);
                        }
                    } else {
                        self.expect_type(x, "STRING", floc);
                    }
                }
                "Comment" => {
                    self.expect_type(x, "STRING", floc);
                }
                "Variable" => match x {
                    Value::String(s) if syntax::is_valid_path(s) => {}
                    Value::String(_) => self.err(
                        "The value for the field 'Variable' must be a valid JSONPath",
                        floc,
                    ),
                    _ => self.err("Expected value of type [STRING]", floc),
                },
                "And" | "Or" => {
                    combinators += 1;
                    match x.as_array() {
                        Some(a) if a.is_empty() => self.err("Value cannot be empty", floc),
                        Some(a) => {
                            for (i, r) in a.iter().enumerate() {
                                let nloc = format!("{floc}[{i}]");
                                match r.as_object() {
                                    Some(ro) => self.rule(ro, &nloc, false, depth + 1),
                                    None => self.err("Expected value of type [OBJECT]", nloc),
                                }
                            }
                        }
                        None => self.err("Expected value of type [ARRAY]", floc),
                    }
                }
                "Not" => {
                    combinators += 1;
                    match x.as_object() {
                        Some(ro) => self.rule(ro, &floc, false, depth + 1),
                        None => self.err("Expected value of type [OBJECT]", floc),
                    }
                }
                "Condition" | "Output" => self.err(
                    format!("The QueryLanguage is set to 'JSONPath', but field '{k}' is only supported for the 'JSONata' QueryLanguage"),
                    loc.to_string(),
                ),
                _ => match CHOICE_OPERATORS.iter().find(|(op, _)| *op == k) {
                    Some((_, operand)) => {
                        operators += 1;
                        self.operand(k, *operand, x, floc);
                    }
                    None => self.err(format!("Field '{k}' is not supported"), loc.to_string()),
                },
            }
        }
        if combinators == 0 {
            if !o.contains_key("Variable") {
                self.err("These fields are required: [Variable]", loc);
            }
            if operators == 0 {
                self.err(
                    "A Choice rule must have exactly one comparison operator",
                    loc,
                );
            }
        }
        if operators + combinators > 1 {
            self.err(
                "A Choice rule must have exactly one comparison operator",
                loc,
            );
        }
    }

    fn operand(&mut self, op: &str, operand: Operand, x: &Value, loc: String) {
        match operand {
            Operand::String => {
                self.expect_type(x, "STRING", loc);
            }
            Operand::Number => {
                self.expect_type(x, "NUMBER", loc);
            }
            Operand::Boolean => {
                self.expect_type(x, "BOOLEAN", loc);
            }
            Operand::Timestamp => match x {
                Value::String(s) if syntax::is_rfc3339(s) => {}
                Value::String(_) => self.err("String does not match RFC3339 timestamp", loc),
                _ => self.err("Expected value of type [STRING]", loc),
            },
            Operand::Path => match x {
                Value::String(s) if syntax::is_valid_path(s) => {}
                Value::String(_) => self.err(
                    format!("The value for the field '{op}' must be a valid JSONPath"),
                    loc,
                ),
                _ => self.err("Expected value of type [STRING]", loc),
            },
        }
    }

    fn label(&mut self, v: &Value, loc: &str) {
        let Value::String(s) = v else {
            self.err("Expected value of type [STRING]", loc);
            return;
        };
        let message = if s.is_empty() {
            Some("Label cannot be empty".to_string())
        } else if let Some(c) = s.chars().find(|c| super::is_forbidden_name_char(*c)) {
            Some(format!(
                "Label contains invalid character: {}",
                super::py_repr(&c.to_string())
            ))
        } else if s.chars().count() > 40 {
            Some("Label cannot exceed 40 characters".to_string())
        } else {
            None
        };
        if let Some(m) = message {
            self.code("INVALID_LABEL_NAME", m, Some(loc.to_string()));
        }
    }

    fn item_reader(&mut self, v: &Value, loc: &str, jsonata: bool) {
        let Some(o) = v.as_object() else {
            self.err("Expected value of type [OBJECT]", loc);
            return;
        };
        for k in o.keys() {
            match k.as_str() {
                "Resource" | "ReaderConfig" => {}
                "Parameters" if jsonata => self.err("The QueryLanguage is set to 'JSONata', but field 'Parameters' is only supported for the 'JSONPath' QueryLanguage", loc),
                "Arguments" if !jsonata => self.err("The QueryLanguage is set to 'JSONPath', but field 'Arguments' is only supported for the 'JSONata' QueryLanguage", loc),
                "Parameters" | "Arguments" => {}
                _ => self.err(format!("Field '{k}' is not supported"), loc),
            }
        }
        if !o.contains_key("Resource") {
            self.err("These fields are required: [Resource]", loc);
        }
        for (k, x) in o {
            let floc = join(loc, k);
            match k.as_str() {
                "Resource" => match x.as_str() {
                    Some(r) if is_s3_resource(r, &["getObject", "listObjectsV2"]) => {}
                    Some(r) => self.err(format!("The resource provided {r} is not recognized. The value is not a valid resource ARN, or the resource is not available in this region."), floc),
                    None => self.err("Expected value of type [STRING]", floc),
                },
                "Parameters" if !jsonata => self.template(x, &floc, 0),
                "ReaderConfig" => {
                    let Some(rc) = x.as_object() else {
                        self.err("Expected value of type [OBJECT]", floc);
                        continue;
                    };
                    for (rk, rv) in rc {
                        let rloc = join(&floc, rk);
                        match rk.as_str() {
                            "InputType" => self.enum_value(rv, &["CSV", "JSON", "JSONL", "MANIFEST", "PARQUET"], rloc),
                            "CSVHeaderLocation" => self.enum_value(rv, &["FIRST_ROW", "GIVEN"], rloc),
                            "CSVDelimiter" => self.enum_value(rv, &["COMMA", "PIPE", "SEMICOLON", "SPACE", "TAB"], rloc),
                            "MaxItems" => {
                                self.integer(rv, 0, Some(100_000_000), jsonata, rloc.clone());
                                if rc.contains_key("MaxItemsPath") && !jsonata {
                                    self.err("There should only be one of the following fields: [MaxItems, MaxItemsPath]", rloc);
                                }
                            }
                            "MaxItemsPath" if !jsonata => self.reference_path(rv, rloc),
                            "CSVHeaders" => {
                                self.expect_type(rv, "ARRAY", rloc);
                            }
                            "ManifestType" | "ItemsPointer" | "MaxItemsPath" => {}
                            _ => self.err(format!("Field '{rk}' is not supported"), floc.clone()),
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn item_batcher(&mut self, v: &Value, loc: &str, jsonata: bool) {
        let Some(o) = v.as_object() else {
            self.err("Expected value of type [OBJECT]", loc);
            return;
        };
        for (k, x) in o {
            let floc = join(loc, k);
            match k.as_str() {
                "MaxItemsPerBatch" => {
                    self.integer(x, 0, None, jsonata, floc.clone());
                    if o.contains_key("MaxItemsPerBatchPath") && !jsonata {
                        self.err("There should only be one of the following fields: [MaxItemsPerBatch, MaxItemsPerBatchPath]", floc);
                    }
                }
                "MaxInputBytesPerBatch" => {
                    self.integer(x, 0, Some(262_144), jsonata, floc.clone());
                    if o.contains_key("MaxInputBytesPerBatchPath") && !jsonata {
                        self.err("There should only be one of the following fields: [MaxInputBytesPerBatch, MaxInputBytesPerBatchPath]", floc);
                    }
                }
                "MaxItemsPerBatchPath" | "MaxInputBytesPerBatchPath" => {
                    if jsonata {
                        self.err(format!("The QueryLanguage is set to 'JSONata', but field '{k}' is only supported for the 'JSONPath' QueryLanguage"), loc);
                    } else {
                        self.reference_path(x, floc);
                    }
                }
                "BatchInput" => {
                    if !jsonata {
                        self.template(x, &floc, 0);
                    }
                }
                _ => self.err(format!("Field '{k}' is not supported"), loc),
            }
        }
    }

    fn result_writer(&mut self, v: &Value, loc: &str, jsonata: bool) {
        let Some(o) = v.as_object() else {
            self.err("Expected value of type [OBJECT]", loc);
            return;
        };
        if o.is_empty() {
            self.err("These fields are required: [Resource]", loc);
            return;
        }
        for k in o.keys() {
            match k.as_str() {
                "Resource" | "WriterConfig" => {}
                "Parameters" if jsonata => self.err("The QueryLanguage is set to 'JSONata', but field 'Parameters' is only supported for the 'JSONPath' QueryLanguage", loc),
                "Arguments" if !jsonata => self.err("The QueryLanguage is set to 'JSONPath', but field 'Arguments' is only supported for the 'JSONata' QueryLanguage", loc),
                "Parameters" | "Arguments" => {}
                _ => self.err(format!("Field '{k}' is not supported"), loc),
            }
        }
        for (k, x) in o {
            let floc = join(loc, k);
            match k.as_str() {
                "Resource" => match x.as_str() {
                    Some(r) if is_s3_resource(r, &["putObject"]) => {}
                    Some(r) => self.err(format!("The resource provided {r} is not recognized. The value is not a valid resource ARN, or the resource is not available in this region."), floc),
                    None => self.err("Expected value of type [STRING]", floc),
                },
                "Parameters" if !jsonata => self.template(x, &floc, 0),
                "WriterConfig" => {
                    let Some(wc) = x.as_object() else {
                        self.err("Expected value of type [OBJECT]", floc);
                        continue;
                    };
                    for (wk, wv) in wc {
                        let wloc = join(&floc, wk);
                        match wk.as_str() {
                            "Transformation" => self.enum_value(wv, &["NONE", "COMPACT", "FLATTEN"], wloc),
                            "OutputType" => self.enum_value(wv, &["JSON", "JSONL"], wloc),
                            _ => self.err(format!("Field '{wk}' is not supported"), floc.clone()),
                        }
                    }
                }
                _ => {}
            }
        }
    }

    // ---------------------------------------------------------------- transitions

    fn transitions(&mut self) {
        let bodies = std::mem::take(&mut self.bodies);
        for b in &bodies {
            let names: HashSet<&str> = b.states.iter().map(|(n, _, _)| *n).collect();
            if let Some(s) = b.start_at {
                if !names.contains(s) {
                    self.code(
                        "MISSING_TRANSITION_TARGET",
                        format!("Missing 'Next' target: {s}"),
                        Some(join(
                            if b.location.is_empty() {
                                "/"
                            } else {
                                &b.location
                            },
                            "StartAt",
                        )),
                    );
                }
            }
            for (_, so, sloc) in &b.states {
                for (target, tloc) in targets(so, sloc) {
                    if !names.contains(target) {
                        self.code(
                            "MISSING_TRANSITION_TARGET",
                            format!("Missing 'Next' target: {target}"),
                            Some(tloc),
                        );
                    }
                }
            }
        }
        let mut no_end = false;
        if let Some(top) = bodies.iter().find(|b| b.top) {
            no_end = !top.states.iter().any(|(_, so, _)| is_terminal(so));
            if no_end {
                self.code("MISSING_END_STATE", "Workflow has no terminal state", None);
            }
        }
        for b in &bodies {
            if b.top && no_end {
                continue;
            }
            let by_name: std::collections::HashMap<&str, &Map<String, Value>> =
                b.states.iter().map(|(n, so, _)| (*n, *so)).collect();
            let mut reached: HashSet<&str> = HashSet::new();
            let mut queue: Vec<&str> = b.start_at.into_iter().collect();
            while let Some(n) = queue.pop() {
                if !reached.insert(n) {
                    continue;
                }
                if let Some(so) = by_name.get(n) {
                    queue.extend(target_names(so));
                }
            }
            for (name, _, sloc) in &b.states {
                if !reached.contains(name) {
                    self.code(
                        "MISSING_TRANSITION_TARGET",
                        format!("State \"{name}\" is not reachable."),
                        Some(sloc.clone()),
                    );
                }
            }
        }
    }
}

/// A plain string value that a `.$` / `...Path` field was probably meant for.
fn looks_like_path_or_intrinsic(s: &str) -> bool {
    s == "$"
        || s.starts_with("$.")
        || s.starts_with("$$.")
        || s.starts_with("$[")
        || s.starts_with("States.")
}

/// The names a state can transition to.
fn target_names(so: &Map<String, Value>) -> impl Iterator<Item = &str> {
    let rules = so
        .get("Choices")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    let catchers = so
        .get("Catch")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    let nexts = rules
        .chain(catchers)
        .filter_map(|r| r.get("Next").and_then(Value::as_str));
    ["Next", "Default"]
        .into_iter()
        .filter_map(|k| so.get(k).and_then(Value::as_str))
        .chain(nexts)
}

/// The transition targets of a state with where each is written.
fn targets<'v>(so: &'v Map<String, Value>, loc: &str) -> Vec<(&'v str, String)> {
    let mut out = Vec::new();
    if let Some(n) = so.get("Next").and_then(Value::as_str) {
        out.push((n, format!("{loc}/Next")));
    }
    if let Some(cs) = so.get("Choices").and_then(Value::as_array) {
        for (i, c) in cs.iter().enumerate() {
            if let Some(n) = c.get("Next").and_then(Value::as_str) {
                out.push((n, format!("{loc}/Choices[{i}]/Next")));
            }
        }
    }
    if let Some(n) = so.get("Default").and_then(Value::as_str) {
        out.push((n, format!("{loc}/Default")));
    }
    if let Some(cs) = so.get("Catch").and_then(Value::as_array) {
        for (i, c) in cs.iter().enumerate() {
            if let Some(n) = c.get("Next").and_then(Value::as_str) {
                out.push((n, format!("{loc}/Catch[{i}]/Next")));
            }
        }
    }
    out
}

fn is_terminal(so: &Map<String, Value>) -> bool {
    so.get("End") == Some(&Value::Bool(true))
        || matches!(
            so.get("Type").and_then(Value::as_str),
            Some("Succeed" | "Fail")
        )
}

fn is_s3_resource(r: &str, actions: &[&str]) -> bool {
    let parts: Vec<&str> = r.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", partition, "states", "", "", rest] if !partition.is_empty() => rest
            .strip_prefix("s3:")
            .is_some_and(|a| actions.contains(&a)),
        _ => false,
    }
}
