//! Intrinsic functions (`States.Format(...)` and the 17 others) for JSONPath states.
//!
//! [`parse`] turns the text of a `"key.$"` value into an [`IntrinsicCall`] tree (nested calls,
//! single-quoted strings with `\'`, `\\`, `\{`, `\}` escapes, numbers, `true`/`false`/`null`,
//! paths `$.x`, `$$.x`, `$var`); [`IntrinsicCall::evaluate`] runs it. Failures are
//! `States.IntrinsicFailure` (or `States.Runtime` for a path that finds nothing).

use serde_json::Value;

use crate::jsonpath::{JsonPath, PathSyntaxError};

mod eval;

/// Deepest nesting of intrinsic calls in one field (AWS allows 10).
pub const MAX_NESTING: usize = 10;

/// The 18 intrinsic functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntrinsicFunction {
    /// `States.Format`
    Format,
    /// `States.StringToJson`
    StringToJson,
    /// `States.JsonToString`
    JsonToString,
    /// `States.Array`
    Array,
    /// `States.ArrayPartition`
    ArrayPartition,
    /// `States.ArrayContains`
    ArrayContains,
    /// `States.ArrayRange`
    ArrayRange,
    /// `States.ArrayGetItem`
    ArrayGetItem,
    /// `States.ArrayLength`
    ArrayLength,
    /// `States.ArrayUnique`
    ArrayUnique,
    /// `States.Base64Encode`
    Base64Encode,
    /// `States.Base64Decode`
    Base64Decode,
    /// `States.Hash`
    Hash,
    /// `States.JsonMerge`
    JsonMerge,
    /// `States.MathRandom`
    MathRandom,
    /// `States.MathAdd`
    MathAdd,
    /// `States.StringSplit`
    StringSplit,
    /// `States.UUID`
    Uuid,
}

const ALL: [IntrinsicFunction; 18] = [
    IntrinsicFunction::Format,
    IntrinsicFunction::StringToJson,
    IntrinsicFunction::JsonToString,
    IntrinsicFunction::Array,
    IntrinsicFunction::ArrayPartition,
    IntrinsicFunction::ArrayContains,
    IntrinsicFunction::ArrayRange,
    IntrinsicFunction::ArrayGetItem,
    IntrinsicFunction::ArrayLength,
    IntrinsicFunction::ArrayUnique,
    IntrinsicFunction::Base64Encode,
    IntrinsicFunction::Base64Decode,
    IntrinsicFunction::Hash,
    IntrinsicFunction::JsonMerge,
    IntrinsicFunction::MathRandom,
    IntrinsicFunction::MathAdd,
    IntrinsicFunction::StringSplit,
    IntrinsicFunction::Uuid,
];

impl IntrinsicFunction {
    /// The full name, e.g. `States.Format`.
    pub fn name(self) -> &'static str {
        match self {
            IntrinsicFunction::Format => "States.Format",
            IntrinsicFunction::StringToJson => "States.StringToJson",
            IntrinsicFunction::JsonToString => "States.JsonToString",
            IntrinsicFunction::Array => "States.Array",
            IntrinsicFunction::ArrayPartition => "States.ArrayPartition",
            IntrinsicFunction::ArrayContains => "States.ArrayContains",
            IntrinsicFunction::ArrayRange => "States.ArrayRange",
            IntrinsicFunction::ArrayGetItem => "States.ArrayGetItem",
            IntrinsicFunction::ArrayLength => "States.ArrayLength",
            IntrinsicFunction::ArrayUnique => "States.ArrayUnique",
            IntrinsicFunction::Base64Encode => "States.Base64Encode",
            IntrinsicFunction::Base64Decode => "States.Base64Decode",
            IntrinsicFunction::Hash => "States.Hash",
            IntrinsicFunction::JsonMerge => "States.JsonMerge",
            IntrinsicFunction::MathRandom => "States.MathRandom",
            IntrinsicFunction::MathAdd => "States.MathAdd",
            IntrinsicFunction::StringSplit => "States.StringSplit",
            IntrinsicFunction::Uuid => "States.UUID",
        }
    }

    /// The function with this full name (`States.Format`...), if any.
    pub fn from_name(name: &str) -> Option<Self> {
        ALL.iter().copied().find(|f| f.name() == name)
    }

    /// Every intrinsic function.
    pub fn all() -> &'static [IntrinsicFunction] {
        &ALL
    }

    /// Accepted argument counts: `(min, max)`, `max = None` for variadic functions.
    pub fn arity(self) -> (usize, Option<usize>) {
        match self {
            IntrinsicFunction::Format => (1, None),
            IntrinsicFunction::Array => (0, None),
            IntrinsicFunction::Uuid => (0, Some(0)),
            IntrinsicFunction::StringToJson
            | IntrinsicFunction::JsonToString
            | IntrinsicFunction::ArrayLength
            | IntrinsicFunction::ArrayUnique
            | IntrinsicFunction::Base64Encode
            | IntrinsicFunction::Base64Decode => (1, Some(1)),
            IntrinsicFunction::ArrayPartition
            | IntrinsicFunction::ArrayContains
            | IntrinsicFunction::ArrayGetItem
            | IntrinsicFunction::Hash
            | IntrinsicFunction::MathAdd
            | IntrinsicFunction::StringSplit => (2, Some(2)),
            IntrinsicFunction::ArrayRange | IntrinsicFunction::JsonMerge => (3, Some(3)),
            IntrinsicFunction::MathRandom => (2, Some(3)),
        }
    }
}

/// A single-quoted string argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StringLiteral {
    /// The text with escapes resolved (`\'` → `'`, `\\` → `\`, `\{` → `{`, `\}` → `}`).
    pub value: String,
    /// The text between the quotes as written (States.Format needs to tell `\{` from `{`).
    pub raw: String,
}

/// One argument of an intrinsic call.
#[derive(Debug, Clone, PartialEq)]
pub enum IntrinsicArg {
    /// `'text'`
    String(StringLiteral),
    /// `12`, `-1`, `1.5`
    Number(serde_json::Number),
    /// `true` / `false`
    Bool(bool),
    /// `null`
    Null,
    /// `$.x`, `$$.x`, `$var.x`
    Path(JsonPath),
    /// A nested `States.X(...)` call.
    Call(Box<IntrinsicCall>),
}

/// A parsed intrinsic function call.
#[derive(Debug, Clone, PartialEq)]
pub struct IntrinsicCall {
    /// Which function.
    pub function: IntrinsicFunction,
    /// Its arguments, in order.
    pub args: Vec<IntrinsicArg>,
}

/// A syntax error in an intrinsic function call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid intrinsic function call '{expression}': {message} at position {position}")]
pub struct IntrinsicSyntaxError {
    /// The call text as written.
    pub expression: String,
    /// What is wrong.
    pub message: String,
    /// Byte offset in `expression` where the problem was found.
    pub position: usize,
}

/// `true` when `text` is meant as an intrinsic call (starts with `States.`), as opposed to a path.
pub fn is_intrinsic_call(text: &str) -> bool {
    text.trim_start().starts_with("States.")
}

/// Parses an intrinsic function call such as `States.Format('{} items', $.count)`.
///
/// Checks the syntax and the function names; the number and types of arguments are checked when
/// the call is evaluated (see also [`IntrinsicCall::check_arity`]).
pub fn parse(text: &str) -> Result<IntrinsicCall, IntrinsicSyntaxError> {
    let mut p = CallParser {
        src: text,
        b: text.as_bytes(),
        pos: 0,
    };
    p.skip_ws();
    let call = p.parse_call(1)?;
    p.skip_ws();
    if p.pos != p.b.len() {
        return Err(p.err("unexpected text after the call"));
    }
    Ok(call)
}

struct CallParser<'s> {
    src: &'s str,
    b: &'s [u8],
    pos: usize,
}

impl<'s> CallParser<'s> {
    fn err(&self, message: &str) -> IntrinsicSyntaxError {
        IntrinsicSyntaxError {
            expression: self.src.to_string(),
            message: message.to_string(),
            position: self.pos,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    fn parse_call(&mut self, depth: usize) -> Result<IntrinsicCall, IntrinsicSyntaxError> {
        if depth > MAX_NESTING {
            return Err(self.err(&format!(
                "intrinsic functions can be nested at most {MAX_NESTING} deep"
            )));
        }
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'_')
        {
            self.pos += 1;
        }
        let name = &self.src[start..self.pos];
        let function = IntrinsicFunction::from_name(name).ok_or_else(|| IntrinsicSyntaxError {
            expression: self.src.to_string(),
            message: format!("unknown intrinsic function '{name}'"),
            position: start,
        })?;
        self.skip_ws();
        if self.peek() != Some(b'(') {
            return Err(self.err("expected '('"));
        }
        self.pos += 1;
        let mut args = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b')') {
            self.pos += 1;
        } else {
            loop {
                self.skip_ws();
                args.push(self.parse_arg(depth)?);
                self.skip_ws();
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(b')') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.err("expected ',' or ')'")),
                }
            }
        }
        Ok(IntrinsicCall { function, args })
    }

    fn parse_arg(&mut self, depth: usize) -> Result<IntrinsicArg, IntrinsicSyntaxError> {
        match self.peek() {
            Some(b'\'') => self.parse_string().map(IntrinsicArg::String),
            Some(b'$') => self.parse_path(),
            Some(c) if c == b'-' || c.is_ascii_digit() => self.parse_number(),
            Some(_) => {
                let rest = &self.src[self.pos..];
                for (word, arg) in [
                    ("true", IntrinsicArg::Bool(true)),
                    ("false", IntrinsicArg::Bool(false)),
                    ("null", IntrinsicArg::Null),
                ] {
                    if let Some(after) = rest.strip_prefix(word) {
                        if !after
                            .bytes()
                            .next()
                            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
                        {
                            self.pos += word.len();
                            return Ok(arg);
                        }
                    }
                }
                if rest.starts_with("States.") {
                    return Ok(IntrinsicArg::Call(Box::new(self.parse_call(depth + 1)?)));
                }
                Err(self.err("expected an argument"))
            }
            None => Err(self.err("unexpected end of input")),
        }
    }

    fn parse_string(&mut self) -> Result<StringLiteral, IntrinsicSyntaxError> {
        self.pos += 1; // opening quote
        let start = self.pos;
        let mut value = String::new();
        let mut seg = self.pos;
        loop {
            match self.peek() {
                None => return Err(self.err("unterminated string")),
                Some(b'\'') => {
                    value.push_str(&self.src[seg..self.pos]);
                    let raw = self.src[start..self.pos].to_string();
                    self.pos += 1;
                    return Ok(StringLiteral { value, raw });
                }
                Some(b'\\') => {
                    value.push_str(&self.src[seg..self.pos]);
                    match self.b.get(self.pos + 1).copied() {
                        Some(c @ (b'\'' | b'\\' | b'{' | b'}')) => value.push(c as char),
                        _ => {
                            self.pos += 1;
                            return Err(self.err(
                                "invalid escape sequence: only \\', \\\\, \\{ and \\} are allowed",
                            ));
                        }
                    }
                    self.pos += 2;
                    seg = self.pos;
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    fn parse_number(&mut self) -> Result<IntrinsicArg, IntrinsicSyntaxError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let digits = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        if self.pos == digits {
            return Err(self.err("expected a number"));
        }
        let mut is_float = false;
        if self.peek() == Some(b'.') {
            is_float = true;
            self.pos += 1;
            let frac = self.pos;
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.pos += 1;
            }
            if self.pos == frac {
                return Err(self.err("expected digits after '.'"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            is_float = true;
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            let exp = self.pos;
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.pos += 1;
            }
            if self.pos == exp {
                return Err(self.err("expected an exponent"));
            }
        }
        let text = &self.src[start..self.pos];
        let n = if is_float {
            text.parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
        } else {
            text.parse::<i64>().ok().map(serde_json::Number::from)
        };
        n.map(IntrinsicArg::Number)
            .ok_or_else(|| self.err("invalid number"))
    }

    /// A path runs to the next `,` or `)` outside brackets and quotes.
    fn parse_path(&mut self) -> Result<IntrinsicArg, IntrinsicSyntaxError> {
        let start = self.pos;
        let mut bracket = 0usize;
        let mut paren = 0usize;
        let mut quote: Option<u8> = None;
        while let Some(c) = self.peek() {
            if let Some(q) = quote {
                if c == b'\\' {
                    self.pos += 2;
                    continue;
                }
                if c == q {
                    quote = None;
                }
            } else {
                match c {
                    b'\'' | b'"' if bracket > 0 => quote = Some(c),
                    b'[' => bracket += 1,
                    b']' => bracket = bracket.saturating_sub(1),
                    b'(' => paren += 1,
                    b')' if paren > 0 => paren -= 1,
                    b',' | b')' if bracket == 0 && paren == 0 => break,
                    _ => {}
                }
            }
            self.pos += 1;
        }
        self.pos = self.pos.min(self.b.len());
        let text = self.src.get(start..self.pos).unwrap_or("").trim_end();
        JsonPath::parse(text)
            .map(IntrinsicArg::Path)
            .map_err(|e: PathSyntaxError| IntrinsicSyntaxError {
                expression: self.src.to_string(),
                message: format!("invalid path '{}': {}", text, e.message),
                position: start + e.position,
            })
    }
}

impl IntrinsicArg {
    /// The literal value of a string/number/boolean/null argument (`None` for paths and calls).
    pub fn literal(&self) -> Option<Value> {
        match self {
            IntrinsicArg::String(s) => Some(Value::String(s.value.clone())),
            IntrinsicArg::Number(n) => Some(Value::Number(n.clone())),
            IntrinsicArg::Bool(b) => Some(Value::Bool(*b)),
            IntrinsicArg::Null => Some(Value::Null),
            IntrinsicArg::Path(_) | IntrinsicArg::Call(_) => None,
        }
    }
}

impl IntrinsicCall {
    /// `true` when some argument (at any depth) reads the Context object (`$$...`).
    pub fn reads_context(&self) -> bool {
        self.args.iter().any(|a| match a {
            IntrinsicArg::Path(p) => *p.root() == crate::jsonpath::Root::Context,
            IntrinsicArg::Call(c) => c.reads_context(),
            _ => false,
        })
    }

    /// Checks the number of arguments of this call and of every nested call.
    pub fn check_arity(&self) -> Result<(), String> {
        let (min, max) = self.function.arity();
        let n = self.args.len();
        if n < min || max.is_some_and(|m| n > m) {
            return Err(format!(
                "{} takes {} but was given {n}",
                self.function.name(),
                match max {
                    Some(m) if m == min => format!("{min} argument(s)"),
                    Some(m) => format!("{min} to {m} arguments"),
                    None => format!("at least {min} argument(s)"),
                }
            ));
        }
        for a in &self.args {
            if let IntrinsicArg::Call(c) = a {
                c.check_arity()?;
            }
        }
        Ok(())
    }
}

pub use eval::{java_random_next_int, ARRAY_RANGE_MAX_ITEMS, MAX_ENCODE_INPUT_CHARS};
