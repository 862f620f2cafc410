//! Choice rules (JSONPath query language): parsing and evaluation.
//!
//! A rule is a comparison (`Variable` + one operator) or a combination (`And`/`Or`/`Not`).
//! AWS's semantics: a comparison whose variable has the wrong type is simply false (never an
//! error); a `Variable` (or `...Path` operand) that finds nothing is a `States.Runtime` failure,
//! except for `IsPresent`, which exists to test exactly that.

use std::cmp::Ordering;

use serde_json::Value;

use crate::error::StatesError;
use crate::jsonpath::JsonPath;
use crate::template::Scope;

/// Deepest nesting of `And`/`Or`/`Not`.
const MAX_RULE_DEPTH: usize = 64;

/// A Choice rule that cannot be parsed: what is wrong and where (JSON pointer relative to the rule).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at {pointer}")]
pub struct ChoiceRuleError {
    /// What is wrong.
    pub message: String,
    /// JSON pointer relative to the rule object (`""` = the rule itself).
    pub pointer: String,
}

/// A comparison operator (the keys AWS accepts next to `Variable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComparisonOperator {
    /// `StringEquals`
    StringEquals,
    /// `StringLessThan`
    StringLessThan,
    /// `StringGreaterThan`
    StringGreaterThan,
    /// `StringLessThanEquals`
    StringLessThanEquals,
    /// `StringGreaterThanEquals`
    StringGreaterThanEquals,
    /// `StringMatches` (`*` wildcard)
    StringMatches,
    /// `NumericEquals`
    NumericEquals,
    /// `NumericLessThan`
    NumericLessThan,
    /// `NumericGreaterThan`
    NumericGreaterThan,
    /// `NumericLessThanEquals`
    NumericLessThanEquals,
    /// `NumericGreaterThanEquals`
    NumericGreaterThanEquals,
    /// `BooleanEquals`
    BooleanEquals,
    /// `TimestampEquals`
    TimestampEquals,
    /// `TimestampLessThan`
    TimestampLessThan,
    /// `TimestampGreaterThan`
    TimestampGreaterThan,
    /// `TimestampLessThanEquals`
    TimestampLessThanEquals,
    /// `TimestampGreaterThanEquals`
    TimestampGreaterThanEquals,
    /// `IsNull`
    IsNull,
    /// `IsPresent`
    IsPresent,
    /// `IsNumeric`
    IsNumeric,
    /// `IsString`
    IsString,
    /// `IsBoolean`
    IsBoolean,
    /// `IsTimestamp`
    IsTimestamp,
}

use ComparisonOperator as Op;

const OPERATORS: [(&str, Op); 23] = [
    ("StringEquals", Op::StringEquals),
    ("StringLessThan", Op::StringLessThan),
    ("StringGreaterThan", Op::StringGreaterThan),
    ("StringLessThanEquals", Op::StringLessThanEquals),
    ("StringGreaterThanEquals", Op::StringGreaterThanEquals),
    ("StringMatches", Op::StringMatches),
    ("NumericEquals", Op::NumericEquals),
    ("NumericLessThan", Op::NumericLessThan),
    ("NumericGreaterThan", Op::NumericGreaterThan),
    ("NumericLessThanEquals", Op::NumericLessThanEquals),
    ("NumericGreaterThanEquals", Op::NumericGreaterThanEquals),
    ("BooleanEquals", Op::BooleanEquals),
    ("TimestampEquals", Op::TimestampEquals),
    ("TimestampLessThan", Op::TimestampLessThan),
    ("TimestampGreaterThan", Op::TimestampGreaterThan),
    ("TimestampLessThanEquals", Op::TimestampLessThanEquals),
    ("TimestampGreaterThanEquals", Op::TimestampGreaterThanEquals),
    ("IsNull", Op::IsNull),
    ("IsPresent", Op::IsPresent),
    ("IsNumeric", Op::IsNumeric),
    ("IsString", Op::IsString),
    ("IsBoolean", Op::IsBoolean),
    ("IsTimestamp", Op::IsTimestamp),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Numeric,
    Boolean,
    Timestamp,
    Type,
}

impl ComparisonOperator {
    /// The operator's key, e.g. `StringEquals`.
    pub fn name(self) -> &'static str {
        OPERATORS
            .iter()
            .find(|(_, o)| *o == self)
            .map(|(n, _)| *n)
            .unwrap_or("")
    }

    /// The operator named `key` (`StringEquals`...), without a `Path` suffix.
    pub fn from_name(key: &str) -> Option<Self> {
        OPERATORS.iter().find(|(n, _)| *n == key).map(|(_, o)| *o)
    }

    /// `true` when the operator also exists as `<name>Path` (all value comparisons except
    /// `StringMatches` and the type tests).
    pub fn has_path_variant(self) -> bool {
        !matches!(self.kind(), Kind::Type) && self != Op::StringMatches
    }

    fn kind(self) -> Kind {
        match self {
            Op::StringEquals
            | Op::StringLessThan
            | Op::StringGreaterThan
            | Op::StringLessThanEquals
            | Op::StringGreaterThanEquals
            | Op::StringMatches => Kind::String,
            Op::NumericEquals
            | Op::NumericLessThan
            | Op::NumericGreaterThan
            | Op::NumericLessThanEquals
            | Op::NumericGreaterThanEquals => Kind::Numeric,
            Op::BooleanEquals => Kind::Boolean,
            Op::TimestampEquals
            | Op::TimestampLessThan
            | Op::TimestampGreaterThan
            | Op::TimestampLessThanEquals
            | Op::TimestampGreaterThanEquals => Kind::Timestamp,
            Op::IsNull
            | Op::IsPresent
            | Op::IsNumeric
            | Op::IsString
            | Op::IsBoolean
            | Op::IsTimestamp => Kind::Type,
        }
    }

    fn accept(self, ord: Ordering) -> bool {
        match self {
            Op::StringEquals | Op::NumericEquals | Op::BooleanEquals | Op::TimestampEquals => {
                ord == Ordering::Equal
            }
            Op::StringLessThan | Op::NumericLessThan | Op::TimestampLessThan => {
                ord == Ordering::Less
            }
            Op::StringGreaterThan | Op::NumericGreaterThan | Op::TimestampGreaterThan => {
                ord == Ordering::Greater
            }
            Op::StringLessThanEquals | Op::NumericLessThanEquals | Op::TimestampLessThanEquals => {
                ord != Ordering::Greater
            }
            Op::StringGreaterThanEquals
            | Op::NumericGreaterThanEquals
            | Op::TimestampGreaterThanEquals => ord != Ordering::Less,
            _ => false,
        }
    }
}

/// What the variable is compared with.
#[derive(Debug, Clone, PartialEq)]
pub enum ComparisonOperand {
    /// A literal from the definition (`"StringEquals": "x"`, `"IsNull": true`...).
    Value(Value),
    /// A `...Path` operand, evaluated at run time.
    Path(JsonPath),
    /// A `StringMatches` pattern.
    Pattern(StringPattern),
}

/// A parsed Choice rule.
#[derive(Debug, Clone, PartialEq)]
pub enum ChoiceRule {
    /// `And`: every rule matches.
    And(Vec<ChoiceRule>),
    /// `Or`: some rule matches.
    Or(Vec<ChoiceRule>),
    /// `Not`: the rule does not match.
    Not(Box<ChoiceRule>),
    /// `Variable` + operator.
    Comparison {
        /// The `Variable` path.
        variable: JsonPath,
        /// The operator.
        operator: ComparisonOperator,
        /// Its operand.
        operand: ComparisonOperand,
    },
}

/// A `StringMatches` pattern: `*` matches any run of characters; `\*` is a literal `*` and `\\`
/// a literal `\`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StringPattern {
    /// The pattern as written.
    pub source: String,
    /// Literal pieces between the wildcards (`pieces.len() == wildcards + 1`).
    pieces: Vec<String>,
}

impl StringPattern {
    /// Parses a pattern.
    pub fn parse(source: &str) -> StringPattern {
        let mut pieces = vec![String::new()];
        let mut chars = source.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(n) => push_last(&mut pieces, n),
                    None => push_last(&mut pieces, '\\'),
                },
                '*' => pieces.push(String::new()),
                other => push_last(&mut pieces, other),
            }
        }
        StringPattern {
            source: source.to_string(),
            pieces,
        }
    }

    /// `true` when the whole of `s` matches.
    pub fn matches(&self, s: &str) -> bool {
        let Some((first, rest)) = self.pieces.split_first() else {
            return s.is_empty();
        };
        let Some(mut tail) = s.strip_prefix(first.as_str()) else {
            return false;
        };
        let Some((last, middle)) = rest.split_last() else {
            return tail.is_empty();
        };
        for piece in middle {
            match tail.find(piece.as_str()) {
                Some(i) => tail = &tail[i + piece.len()..],
                None => return false,
            }
        }
        tail.len() >= last.len() && tail.ends_with(last.as_str())
    }
}

fn push_last(pieces: &mut [String], c: char) {
    if let Some(p) = pieces.last_mut() {
        p.push(c);
    }
}

fn err(message: impl Into<String>, pointer: &str) -> ChoiceRuleError {
    ChoiceRuleError {
        message: message.into(),
        pointer: pointer.to_string(),
    }
}

impl ChoiceRule {
    /// Parses a rule object (a top-level rule may keep its `Next`, `Comment`, `Assign` and
    /// `Output` fields; they are ignored here).
    pub fn parse(rule: &Value) -> Result<ChoiceRule, ChoiceRuleError> {
        parse_rule(rule, "", 0, true)
    }

    /// `true` when the rule reads the Context object (`$$...`) anywhere.
    pub fn reads_context(&self) -> bool {
        match self {
            ChoiceRule::And(rules) | ChoiceRule::Or(rules) => rules.iter().any(Self::reads_context),
            ChoiceRule::Not(r) => r.reads_context(),
            ChoiceRule::Comparison {
                variable, operand, ..
            } => {
                *variable.root() == crate::jsonpath::Root::Context
                    || matches!(operand, ComparisonOperand::Path(p) if *p.root() == crate::jsonpath::Root::Context)
            }
        }
    }

    /// Evaluates the rule in `scope` (its `input` is the Choice state's effective input).
    pub fn evaluate(&self, scope: &Scope<'_>) -> Result<bool, StatesError> {
        eval_rule(self, scope, 0)
    }
}

fn parse_rule(
    rule: &Value,
    pointer: &str,
    depth: usize,
    top: bool,
) -> Result<ChoiceRule, ChoiceRuleError> {
    if depth > MAX_RULE_DEPTH {
        return Err(err("Choice rules are nested too deeply", pointer));
    }
    let Value::Object(m) = rule else {
        return Err(err("A Choice rule must be a JSON object", pointer));
    };
    let mut variable: Option<&Value> = None;
    let mut ops: Vec<(&str, &Value)> = Vec::new();
    for (k, v) in m {
        match k.as_str() {
            "Variable" => variable = Some(v),
            "Comment" => {}
            "Next" | "Assign" | "Output" if top => {}
            "And" | "Or" | "Not" => ops.push((k, v)),
            other => {
                let base = other.strip_suffix("Path").unwrap_or(other);
                let known = ComparisonOperator::from_name(other).is_some()
                    || ComparisonOperator::from_name(base)
                        .is_some_and(|o| o.has_path_variant() && base != other);
                if !known {
                    return Err(err(
                        format!("The field '{other}' is not supported for Choice rules"),
                        pointer,
                    ));
                }
                ops.push((k, v));
            }
        }
    }
    let [(key, value)] = ops[..] else {
        return Err(err(
            if ops.is_empty() {
                "A Choice rule must contain a comparison operator or And/Or/Not"
            } else {
                "A Choice rule must contain exactly one comparison operator or And/Or/Not"
            },
            pointer,
        ));
    };
    let child_ptr = format!("{pointer}/{key}");
    match key {
        "And" | "Or" => {
            if variable.is_some() {
                return Err(err(
                    format!("A Choice rule with '{key}' must not contain 'Variable'"),
                    pointer,
                ));
            }
            let Value::Array(items) = value else {
                return Err(err(format!("The field '{key}' must be an array"), pointer));
            };
            if items.is_empty() {
                return Err(err("Value cannot be empty", &child_ptr));
            }
            let rules = items
                .iter()
                .enumerate()
                .map(|(i, r)| parse_rule(r, &format!("{child_ptr}/{i}"), depth + 1, false))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if key == "And" {
                ChoiceRule::And(rules)
            } else {
                ChoiceRule::Or(rules)
            })
        }
        "Not" => {
            if variable.is_some() {
                return Err(err(
                    "A Choice rule with 'Not' must not contain 'Variable'",
                    pointer,
                ));
            }
            Ok(ChoiceRule::Not(Box::new(parse_rule(
                value,
                &child_ptr,
                depth + 1,
                false,
            )?)))
        }
        _ => {
            let Some(variable) = variable else {
                return Err(err(
                    "The field 'Variable' is required but was missing",
                    pointer,
                ));
            };
            let Value::String(vtext) = variable else {
                return Err(err("The field 'Variable' must be a string", pointer));
            };
            let variable = JsonPath::parse(vtext).map_err(|_| {
                err(
                    "The value for the field 'Variable' must be a valid JSONPath",
                    pointer,
                )
            })?;
            let (operator, is_path) = match ComparisonOperator::from_name(key) {
                Some(op) => (op, false),
                None => match key
                    .strip_suffix("Path")
                    .and_then(ComparisonOperator::from_name)
                {
                    Some(op) => (op, true),
                    None => return Err(err(format!("Unknown operator '{key}'"), pointer)),
                },
            };
            let operand = if is_path {
                let Value::String(p) = value else {
                    return Err(err(
                        format!("The value for the field '{key}' must be a valid JSONPath"),
                        pointer,
                    ));
                };
                ComparisonOperand::Path(JsonPath::parse(p).map_err(|_| {
                    err(
                        format!("The value for the field '{key}' must be a valid JSONPath"),
                        pointer,
                    )
                })?)
            } else {
                parse_literal(operator, key, value, pointer)?
            };
            Ok(ChoiceRule::Comparison {
                variable,
                operator,
                operand,
            })
        }
    }
}

fn parse_literal(
    op: Op,
    key: &str,
    value: &Value,
    pointer: &str,
) -> Result<ComparisonOperand, ChoiceRuleError> {
    let ok = match op.kind() {
        Kind::String => value.is_string(),
        Kind::Numeric => value.is_number(),
        Kind::Boolean | Kind::Type => value.is_boolean(),
        Kind::Timestamp => value.as_str().and_then(parse_timestamp).is_some(),
    };
    if !ok {
        let expected = match op.kind() {
            Kind::String => "a string",
            Kind::Numeric => "a number",
            Kind::Boolean | Kind::Type => "a boolean",
            Kind::Timestamp => "an RFC3339 timestamp string",
        };
        return Err(err(
            format!("The value for the field '{key}' must be {expected}"),
            pointer,
        ));
    }
    if op == Op::StringMatches {
        return Ok(ComparisonOperand::Pattern(StringPattern::parse(
            value.as_str().unwrap_or_default(),
        )));
    }
    Ok(ComparisonOperand::Value(value.clone()))
}

/// AWS's cause when a Choice rule's path finds nothing (after the state prefix).
pub fn invalid_condition_path_cause(path: &str) -> String {
    format!("Invalid path '{path}': The choice state's condition path references an invalid value.")
}

fn eval_rule(rule: &ChoiceRule, scope: &Scope<'_>, depth: usize) -> Result<bool, StatesError> {
    if depth > MAX_RULE_DEPTH {
        return Err(StatesError::runtime("Choice rules are nested too deeply"));
    }
    match rule {
        ChoiceRule::And(rules) => {
            for r in rules {
                if !eval_rule(r, scope, depth + 1)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        ChoiceRule::Or(rules) => {
            for r in rules {
                if eval_rule(r, scope, depth + 1)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        ChoiceRule::Not(r) => Ok(!eval_rule(r, scope, depth + 1)?),
        ChoiceRule::Comparison {
            variable,
            operator,
            operand,
        } => {
            let found = variable.evaluate_in(scope);
            if *operator == Op::IsPresent {
                let want = matches!(operand, ComparisonOperand::Value(Value::Bool(true)));
                return Ok(found.is_ok() == want);
            }
            let value = found.map_err(|_| {
                StatesError::runtime(invalid_condition_path_cause(variable.as_str()))
            })?;
            let value = value.as_ref();
            let other_owned;
            let other: &Value = match operand {
                ComparisonOperand::Value(v) => v,
                ComparisonOperand::Pattern(p) => {
                    return Ok(match value {
                        Value::String(s) => p.matches(s),
                        _ => false,
                    })
                }
                ComparisonOperand::Path(p) => {
                    other_owned = p.evaluate_in(scope).map_err(|_| {
                        StatesError::runtime(invalid_condition_path_cause(p.as_str()))
                    })?;
                    other_owned.as_ref()
                }
            };
            Ok(compare(*operator, value, other))
        }
    }
}

fn compare(op: Op, value: &Value, other: &Value) -> bool {
    match op.kind() {
        Kind::Type => {
            let want = other.as_bool().unwrap_or(false);
            let is = match op {
                Op::IsNull => value.is_null(),
                Op::IsNumeric => value.is_number(),
                Op::IsString => value.is_string(),
                Op::IsBoolean => value.is_boolean(),
                Op::IsTimestamp => value.as_str().and_then(parse_timestamp).is_some(),
                _ => true,
            };
            is == want
        }
        Kind::String => match (value, other) {
            // Java's String.compareTo orders by UTF-16 code units.
            (Value::String(a), Value::String(b)) => {
                op.accept(a.encode_utf16().cmp(b.encode_utf16()))
            }
            _ => false,
        },
        Kind::Numeric => match (value, other) {
            (Value::Number(a), Value::Number(b)) => {
                compare_numbers(a, b).is_some_and(|o| op.accept(o))
            }
            _ => false,
        },
        Kind::Boolean => match (value, other) {
            (Value::Bool(a), Value::Bool(b)) => a == b,
            _ => false,
        },
        Kind::Timestamp => match (
            value.as_str().and_then(parse_timestamp),
            other.as_str().and_then(parse_timestamp),
        ) {
            (Some(a), Some(b)) => op.accept(a.cmp(&b)),
            _ => false,
        },
    }
}

fn compare_numbers(a: &serde_json::Number, b: &serde_json::Number) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return Some(x.cmp(&y));
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return Some(x.cmp(&y));
    }
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}

/// An instant parsed from an ISO-8601 extended offset date-time, as nanoseconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i128);

/// Parses a timestamp as AWS does (Java's `ISO_OFFSET_DATE_TIME`): `YYYY-MM-DDThh:mm[:ss[.f{1,9}]]`
/// followed by `Z` or `±hh:mm[:ss]`; `T` and `Z` may be lower case. Dates and times must exist.
pub fn parse_timestamp(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    let mut i = 0usize;
    let num = |i: &mut usize, n: usize| -> Option<i64> {
        let digits = b.get(*i..*i + n)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        *i += n;
        std::str::from_utf8(digits).ok()?.parse().ok()
    };
    let lit = |i: &mut usize, c: u8| -> Option<()> {
        if b.get(*i).map(u8::to_ascii_uppercase) == Some(c) {
            *i += 1;
            Some(())
        } else {
            None
        }
    };
    let year = num(&mut i, 4)?;
    lit(&mut i, b'-')?;
    let month = num(&mut i, 2)?;
    lit(&mut i, b'-')?;
    let day = num(&mut i, 2)?;
    lit(&mut i, b'T')?;
    let hour = num(&mut i, 2)?;
    lit(&mut i, b':')?;
    let minute = num(&mut i, 2)?;
    let mut second = 0;
    let mut nanos: i64 = 0;
    if b.get(i) == Some(&b':') {
        i += 1;
        second = num(&mut i, 2)?;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            let frac = b.get(start..i)?;
            if frac.is_empty() || frac.len() > 9 {
                return None;
            }
            let mut n: i64 = 0;
            for (k, d) in frac.iter().enumerate() {
                n += i64::from(d - b'0') * 10i64.pow(8 - k as u32);
            }
            nanos = n;
        }
    }
    let offset_secs: i64 = match b.get(i).map(u8::to_ascii_uppercase) {
        Some(b'Z') => {
            i += 1;
            0
        }
        Some(sign @ (b'+' | b'-')) => {
            i += 1;
            let oh = num(&mut i, 2)?;
            lit(&mut i, b':')?;
            let om = num(&mut i, 2)?;
            let mut os = 0;
            if b.get(i) == Some(&b':') {
                i += 1;
                os = num(&mut i, 2)?;
            }
            if oh > 18 || om > 59 || os > 59 {
                return None;
            }
            let total = oh * 3600 + om * 60 + os;
            if sign == b'-' {
                -total
            } else {
                total
            }
        }
        _ => return None,
    };
    if i != b.len() {
        return None;
    }
    if !(1..=12).contains(&month) || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if leap => 29,
        _ => 28,
    };
    if day < 1 || day > days_in_month {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
    Some(Timestamp(
        i128::from(secs) * 1_000_000_000 + i128::from(nanos),
    ))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
