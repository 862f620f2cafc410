//! Picture-string formatting and parsing: `$formatNumber`, `$formatInteger`, `$parseInteger`,
//! `$fromMillis` and `$toMillis`, with jsonata-js 2.x semantics (XPath F&O 3.1 §4.5, §4.7, §9.8
//! as jsonata-js implements them, quirks included, because AWS Step Functions runs jsonata-js).
//!
//! Everything here is pure: no clock is read except by [`parse_datetime`], which defaults missing
//! date parts from the current time; evaluators with an injectable clock call
//! [`parse_datetime_at`] instead (jsonata-js uses the evaluation's fixed `$now()` timestamp).
//!
//! Where jsonata-js yields NaN (e.g. `$parseInteger('abc', '0')`) we return `None`, since JSONata
//! has no NaN. Where jsonata-js crashes with a JavaScript error (TypeError, RangeError, stack
//! overflow, endless loop) we return an error with code `D1001`; the same code guards our own
//! limits (100,000 padding characters, 50 million matching steps), so hostile pictures
//! cannot exhaust memory or time. Times without an offset are read as UTC (jsonata-js uses the
//! host's zone; Step Functions hosts run in UTC). A `zero-digit` outside the Basic Multilingual
//! Plane makes jsonata-js emit lone UTF-16 surrogates, which a Rust `String` renders as U+FFFD.
//!
//! `format_diff.js` in this folder runs generated cases through jsonata-js for comparison.

mod datetime;
mod integer;
mod jsnum;
mod number;

pub use datetime::Dialect;
pub use number::DecimalFormat;

/// An error with jsonata-js's code (`D3080`, `D3130`, ...) and its message text.
#[derive(Debug, Clone, PartialEq)]
pub struct FormatError {
    pub code: &'static str,
    pub message: String,
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for FormatError {}

/// The longest run of padding any picture may ask for. jsonata-js would try to build the string
/// (or fail with a RangeError); we refuse early so a hostile picture cannot allocate gigabytes.
pub(crate) const MAX_PAD: f64 = 100_000.0;

/// The most elementary steps (character copies, match attempts) one call may take; beyond it a
/// picture is rejected rather than letting a crafted input run for seconds.
pub(crate) const MAX_WORK: f64 = 50_000_000.0;

impl FormatError {
    pub(crate) fn new(code: &'static str) -> FormatError {
        FormatError {
            code,
            message: message_for(code, None),
        }
    }

    /// For templates with a `{{value}}` insert: jsonata-js substitutes `JSON.stringify(value)`.
    pub(crate) fn with_value(code: &'static str, value: &str) -> FormatError {
        let json = serde_json::to_string(value).unwrap_or_else(|_| format!("\"{value}\""));
        FormatError {
            code,
            message: message_for(code, Some(&json)),
        }
    }

    /// A limit of ours (or a JavaScript RangeError) rather than a jsonata-js error code.
    pub(crate) fn range(message: &str) -> FormatError {
        FormatError {
            code: "D1001",
            message: format!("Number out of range: {message}"),
        }
    }
}

fn message_for(code: &str, value: Option<&str>) -> String {
    let v = value.unwrap_or("undefined");
    match code {
        "D3080" => "The picture string must only contain a maximum of two sub-pictures".into(),
        "D3081" => "The sub-picture must not contain more than one instance of the 'decimal-separator' character".into(),
        "D3082" => "The sub-picture must not contain more than one instance of the 'percent' character".into(),
        "D3083" => "The sub-picture must not contain more than one instance of the 'per-mille' character".into(),
        "D3084" => "The sub-picture must not contain both a 'percent' and a 'per-mille' character".into(),
        "D3085" => "The mantissa part of a sub-picture must contain at least one character that is either an 'optional digit character' or a member of the 'decimal digit family'".into(),
        "D3086" => "The sub-picture must not contain a passive character that is preceded by an active character and that is followed by another active character".into(),
        "D3087" => "The sub-picture must not contain a 'grouping-separator' character that appears adjacent to a 'decimal-separator' character".into(),
        "D3088" => "The sub-picture must not contain a 'grouping-separator' at the end of the integer part".into(),
        "D3089" => "The sub-picture must not contain two adjacent instances of the 'grouping-separator' character".into(),
        "D3090" => "The integer part of the sub-picture must not contain a member of the 'decimal digit family' that is followed by an instance of the 'optional digit character'".into(),
        "D3091" => "The fractional part of the sub-picture must not contain an instance of the 'optional digit character' that is followed by a member of the 'decimal digit family'".into(),
        "D3092" => "A sub-picture that contains a 'percent' or 'per-mille' character must not contain a character treated as an 'exponent-separator'".into(),
        "D3093" => "The exponent part of the sub-picture must comprise only of one or more characters that are members of the 'decimal digit family'".into(),
        "D3110" => format!("The argument of the toMillis function must be an ISO 8601 formatted timestamp. Given {v}"),
        "D3130" => format!("Formatting or parsing an integer as a sequence starting with {v} is not supported by this implementation"),
        "D3131" => "In a decimal digit pattern, all digits must be from the same decimal group".into(),
        "D3132" => format!("Unknown component specifier {v} in date/time picture string"),
        "D3133" => format!("The 'name' modifier can only be applied to months and days in the date/time picture string, not {v}"),
        "D3134" => "The timezone integer format specifier cannot have more than four digits".into(),
        "D3135" => "No matching closing bracket ']' in date/time picture string".into(),
        "D3136" => "The date/time picture string is missing specifiers required to parse the timestamp".into(),
        _ => code.to_string(),
    }
}

/// `$formatNumber(number, picture [, options])` (F&O 3.1 §4.7 as jsonata-js implements it).
pub fn format_number(
    value: f64,
    picture: &str,
    format: &DecimalFormat,
) -> Result<String, FormatError> {
    number::format_number(value, picture, format)
}

/// `$formatInteger(number, picture)`: decimal digit patterns with grouping, ordinals (`"#0;o"`),
/// `a`/`A` letter sequences, `i`/`I` roman numerals, `w`/`W`/`Ww` English words.
pub fn format_integer(value: f64, picture: &str) -> Result<String, FormatError> {
    integer::format_integer(value, picture)
}

/// `$parseInteger(string, picture)`: the inverse of [`format_integer`]. `None` where jsonata-js
/// produces no number (it yields NaN, which JSONata cannot represent).
pub fn parse_integer(text: &str, picture: &str) -> Result<Option<f64>, FormatError> {
    integer::parse_integer(text, picture)
}

/// `$fromMillis(millis [, picture [, timezone]])`: ISO 8601 by default
/// (`2018-01-01T00:00:00.000Z`), else an XPath F&O 3.1 §9.8 picture; `timezone` like `"-0500"`.
pub fn format_datetime(
    millis: i64,
    picture: Option<&str>,
    timezone: Option<&str>,
) -> Result<String, FormatError> {
    datetime::format_datetime(millis, picture, timezone, Dialect::V2_2)
}

/// [`format_datetime`] with the rules of a chosen jsonata-js release (see [`Dialect`]).
pub fn format_datetime_dialect(
    millis: i64,
    picture: Option<&str>,
    timezone: Option<&str>,
    dialect: Dialect,
) -> Result<String, FormatError> {
    datetime::format_datetime(millis, picture, timezone, dialect)
}

/// `$toMillis(timestamp [, picture])`: ISO 8601 by default (error `D3110` when the text is not
/// ISO 8601), else picture-driven. `None` when the text does not match the picture. Date parts
/// the picture leaves out before the first given part default to the current time.
pub fn parse_datetime(text: &str, picture: Option<&str>) -> Result<Option<i64>, FormatError> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    datetime::parse_datetime(text, picture, now, Dialect::V2_2)
}

/// [`parse_datetime`] with the evaluation's fixed timestamp (jsonata-js uses the timestamp taken
/// at the start of evaluation, the same one `$now()` returns) supplying defaulted parts.
pub fn parse_datetime_at(
    text: &str,
    picture: Option<&str>,
    now_millis: i64,
) -> Result<Option<i64>, FormatError> {
    datetime::parse_datetime(text, picture, now_millis, Dialect::V2_2)
}

/// [`parse_datetime_at`] with the parsing rules of a chosen jsonata-js release; the engine uses
/// [`Dialect::V2_0_6`] to reproduce AWS Step Functions exactly.
pub fn parse_datetime_dialect(
    text: &str,
    picture: Option<&str>,
    now_millis: i64,
    dialect: Dialect,
) -> Result<Option<i64>, FormatError> {
    datetime::parse_datetime(text, picture, now_millis, dialect)
}
