//! JSONPath as AWS Step Functions evaluates it.
//!
//! AWS evaluates JSONPath with Jayway JsonPath, so this follows Jayway's grammar and semantics:
//! definite paths (only single names and indices) yield one value or fail with
//! `No results for path: $['a']` / `Missing property in path $['a']`; indefinite paths (wildcards,
//! `..`, filters, slices, unions) yield an array of every match and never fail on missing members.
//!
//! Roots: `$` (the input), `$$` (the Context object), `$name` (a workflow variable).

use std::borrow::Cow;
use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::error::StatesError;
use crate::template::Scope;

/// Deepest nesting of parentheses / `!` inside a filter expression.
const MAX_FILTER_DEPTH: usize = 32;
/// Longest path text accepted (AWS fields are far shorter; this keeps parsing cheap).
const MAX_PATH_LEN: usize = 65_536;

/// What a path starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Root {
    /// `$`: the state's (effective) input.
    Input,
    /// `$$`: the Context object.
    Context,
    /// `$name`: the workflow variable `name`.
    Variable(String),
}

/// A syntax error in a JSONPath expression.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid JSONPath '{path}': {message} at position {position}")]
pub struct PathSyntaxError {
    /// The path text as written.
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// Byte offset in `path` where the problem was found.
    pub position: usize,
}

/// A path that could not be evaluated on a payload (Jayway's `PathNotFoundException` and friends).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid path '{path}' : {message}")]
pub struct PathError {
    /// The path text as written in the definition.
    pub path: String,
    /// Jayway's message, e.g. `No results for path: $['foo']`.
    pub message: String,
}

impl PathError {
    /// `Invalid path '$.foo' : No results for path: $['foo']`, the cause AWS records
    /// (after the state prefix, see [`StatesError::in_state`]) for InputPath/OutputPath/... failures.
    pub fn invalid_path_cause(&self) -> String {
        format!("Invalid path '{}' : {}", self.path, self.message)
    }

    /// `States.Runtime` with [`PathError::invalid_path_cause`].
    pub fn into_runtime(self) -> StatesError {
        StatesError::runtime(self.invalid_path_cause())
    }
}

/// A parsed JSONPath expression.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPath {
    text: String,
    root: Root,
    segments: Vec<Segment>,
    function: Option<Function>,
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Child(Selector),
    Descendant(Selector),
}

#[derive(Debug, Clone, PartialEq)]
enum Selector {
    Name(String),
    /// `['a','b']`: two or more names.
    Names(Vec<String>),
    Wildcard,
    Index(i64),
    /// `[0,2]`: two or more indices.
    Indices(Vec<i64>),
    Slice(Option<i64>, Option<i64>),
    Filter(Box<FilterExpr>),
}

/// Jayway path functions (`$.items.length()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Function {
    Length,
    Min,
    Max,
    Avg,
    Sum,
    StdDev,
    Keys,
    First,
    Last,
}

#[derive(Debug, Clone, PartialEq)]
enum FilterExpr {
    Or(Box<FilterExpr>, Box<FilterExpr>),
    And(Box<FilterExpr>, Box<FilterExpr>),
    Not(Box<FilterExpr>),
    /// `@.x`: true when the path exists (Jayway: and is not `false`/... see eval).
    Exists(Operand),
    Compare(Operand, Op, Operand),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Regex,
    In,
    Nin,
    SubsetOf,
    AnyOf,
    NoneOf,
    Size,
    Empty,
    Contains,
}

#[derive(Debug, Clone)]
enum Operand {
    /// `@...` relative to the item being filtered.
    Current(Vec<Segment>),
    /// `$...` relative to the document root.
    DocRoot(Vec<Segment>),
    Literal(Value),
    Regex(String, regex::Regex),
}

impl PartialEq for Operand {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Operand::Current(a), Operand::Current(b)) => a == b,
            (Operand::DocRoot(a), Operand::DocRoot(b)) => a == b,
            (Operand::Literal(a), Operand::Literal(b)) => a == b,
            (Operand::Regex(a, _), Operand::Regex(b, _)) => a == b,
            _ => false,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing

impl JsonPath {
    /// Parses a JSONPath expression (`$...`, `$$...`, `$name...`).
    pub fn parse(text: &str) -> Result<JsonPath, PathSyntaxError> {
        let mut p = Parser {
            src: text,
            b: text.as_bytes(),
            pos: 0,
            in_filter: false,
            depth: 0,
        };
        if text.len() > MAX_PATH_LEN {
            return Err(p.err("path is too long"));
        }
        if p.peek() != Some(b'$') {
            return Err(p.err("a path must start with '$'"));
        }
        p.pos += 1;
        let root = if p.peek() == Some(b'$') {
            p.pos += 1;
            Root::Context
        } else if p.peek().is_some_and(is_ident_start) {
            let start = p.pos;
            while p.peek().is_some_and(is_ident_char) {
                p.pos += 1;
            }
            Root::Variable(text[start..p.pos].to_string())
        } else {
            Root::Input
        };
        let (segments, function) = p.parse_segments(true)?;
        if p.pos < p.b.len() {
            return Err(p.err("unexpected character"));
        }
        Ok(JsonPath {
            text: text.to_string(),
            root,
            segments,
            function,
        })
    }

    /// The path text as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// What the path starts from.
    pub fn root(&self) -> &Root {
        &self.root
    }

    /// `true` when the path can match at most one node (only single names and indices, or a
    /// trailing `['a','b']` merge): it then evaluates to that node, not to an array of matches.
    pub fn is_definite(&self) -> bool {
        self.function.is_some() || self.segments_definite()
    }

    /// Definiteness of the path before any trailing function: decides whether evaluation yields
    /// one node or the list of matches.
    fn segments_definite(&self) -> bool {
        let n = self.segments.len();
        self.segments.iter().enumerate().all(|(i, s)| match s {
            Segment::Child(Selector::Name(_)) | Segment::Child(Selector::Index(_)) => true,
            Segment::Child(Selector::Names(_)) => i + 1 == n,
            _ => false,
        })
    }

    /// `true` when this is a Reference Path (the subset allowed in `ResultPath`, `InputPath`...):
    /// only single member names and array indices, so it identifies a single node.
    pub fn is_reference_path(&self) -> bool {
        self.function.is_none()
            && self.segments.iter().all(|s| {
                matches!(
                    s,
                    Segment::Child(Selector::Name(_)) | Segment::Child(Selector::Index(_))
                )
            })
    }

    /// `true` for the bare root (`$`, `$$` or `$name` with nothing after it).
    pub fn is_root_only(&self) -> bool {
        self.segments.is_empty() && self.function.is_none()
    }

    /// Jayway's normalized form of the path, e.g. `$['a'][0]` (used in its error messages).
    pub fn normalized(&self) -> String {
        let mut s = String::from("$");
        for seg in &self.segments {
            push_segment(&mut s, seg);
        }
        if let Some(f) = self.function {
            let _ = write!(s, ".{}()", f.name());
        }
        s
    }
}

fn push_segment(s: &mut String, seg: &Segment) {
    match seg {
        Segment::Child(sel) => push_selector(s, sel),
        Segment::Descendant(sel) => {
            s.push_str("..");
            push_selector(s, sel);
        }
    }
}

fn push_selector(s: &mut String, sel: &Selector) {
    match sel {
        Selector::Name(n) => {
            let _ = write!(s, "['{n}']");
        }
        Selector::Names(ns) => {
            s.push('[');
            for (i, n) in ns.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                let _ = write!(s, "'{n}'");
            }
            s.push(']');
        }
        Selector::Wildcard => s.push_str("[*]"),
        Selector::Index(i) => {
            let _ = write!(s, "[{i}]");
        }
        Selector::Indices(is) => {
            s.push('[');
            for (k, i) in is.iter().enumerate() {
                if k > 0 {
                    s.push(',');
                }
                let _ = write!(s, "{i}");
            }
            s.push(']');
        }
        Selector::Slice(a, b) => {
            s.push('[');
            if let Some(a) = a {
                let _ = write!(s, "{a}");
            }
            s.push(':');
            if let Some(b) = b {
                let _ = write!(s, "{b}");
            }
            s.push(']');
        }
        Selector::Filter(_) => s.push_str("[?]"),
    }
}

impl Function {
    fn name(self) -> &'static str {
        match self {
            Function::Length => "length",
            Function::Min => "min",
            Function::Max => "max",
            Function::Avg => "avg",
            Function::Sum => "sum",
            Function::StdDev => "stddev",
            Function::Keys => "keys",
            Function::First => "first",
            Function::Last => "last",
        }
    }
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

struct Parser<'s> {
    src: &'s str,
    b: &'s [u8],
    pos: usize,
    /// Inside a filter, names also end at operator characters and `)`.
    in_filter: bool,
    depth: usize,
}

impl<'s> Parser<'s> {
    fn err(&self, message: &str) -> PathSyntaxError {
        PathSyntaxError {
            path: self.src.to_string(),
            message: message.to_string(),
            position: self.pos,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn peek_at(&self, off: usize) -> Option<u8> {
        self.b.get(self.pos + off).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|c| c == b' ' || c == b'\t') {
            self.pos += 1;
        }
    }

    fn expect(&mut self, c: u8) -> Result<(), PathSyntaxError> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err(&format!("expected '{}'", c as char)))
        }
    }

    fn is_name_end(&self, c: u8) -> bool {
        match c {
            b'.' | b'[' | b'(' | b' ' | b'\t' => true,
            b')' | b'=' | b'<' | b'>' | b'!' | b'&' | b'|' | b',' | b']' => self.in_filter,
            _ => false,
        }
    }

    /// Segments up to the end of the path (or, inside a filter, up to the first character that
    /// cannot continue a path).
    fn parse_segments(
        &mut self,
        allow_function: bool,
    ) -> Result<(Vec<Segment>, Option<Function>), PathSyntaxError> {
        let mut segs = Vec::new();
        loop {
            match self.peek() {
                Some(b'.') if self.peek_at(1) == Some(b'.') => {
                    self.pos += 2;
                    let sel = match self.peek() {
                        Some(b'*') => {
                            self.pos += 1;
                            Selector::Wildcard
                        }
                        Some(b'[') => self.parse_bracket()?,
                        _ => {
                            let name = self.parse_dot_name()?;
                            if self.peek() == Some(b'(') {
                                return Err(self.err("a function cannot follow '..'"));
                            }
                            Selector::Name(name)
                        }
                    };
                    segs.push(Segment::Descendant(sel));
                }
                Some(b'.') => {
                    self.pos += 1;
                    if self.peek() == Some(b'*') {
                        self.pos += 1;
                        segs.push(Segment::Child(Selector::Wildcard));
                        continue;
                    }
                    let name = self.parse_dot_name()?;
                    if self.peek() == Some(b'(') {
                        let f = match name.as_str() {
                            "length" => Function::Length,
                            "min" => Function::Min,
                            "max" => Function::Max,
                            "avg" => Function::Avg,
                            "sum" => Function::Sum,
                            "stddev" => Function::StdDev,
                            "keys" => Function::Keys,
                            "first" => Function::First,
                            "last" => Function::Last,
                            _ => return Err(self.err("unknown function")),
                        };
                        if !allow_function {
                            return Err(self.err("functions are not supported here"));
                        }
                        self.pos += 1;
                        self.skip_ws();
                        self.expect(b')')?;
                        // Jayway: a function must be the last token of a path.
                        return Ok((segs, Some(f)));
                    }
                    segs.push(Segment::Child(Selector::Name(name)));
                }
                Some(b'[') => {
                    let sel = self.parse_bracket()?;
                    segs.push(Segment::Child(sel));
                }
                _ => return Ok((segs, None)),
            }
        }
    }

    fn parse_dot_name(&mut self) -> Result<String, PathSyntaxError> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if self.is_name_end(c) {
                break;
            }
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.err("expected a member name"));
        }
        Ok(self.src[start..self.pos].to_string())
    }

    fn parse_bracket(&mut self) -> Result<Selector, PathSyntaxError> {
        self.expect(b'[')?;
        self.skip_ws();
        let sel = match self.peek() {
            Some(b'?') => {
                self.pos += 1;
                self.skip_ws();
                self.expect(b'(')?;
                let was = self.in_filter;
                self.in_filter = true;
                let e = self.parse_or()?;
                self.in_filter = was;
                self.skip_ws();
                self.expect(b')')?;
                Selector::Filter(Box::new(e))
            }
            Some(b'*') => {
                self.pos += 1;
                Selector::Wildcard
            }
            Some(q @ (b'\'' | b'"')) => {
                let mut names = vec![self.parse_quoted(q)?];
                loop {
                    self.skip_ws();
                    if self.peek() != Some(b',') {
                        break;
                    }
                    self.pos += 1;
                    self.skip_ws();
                    match self.peek() {
                        Some(q @ (b'\'' | b'"')) => names.push(self.parse_quoted(q)?),
                        _ => return Err(self.err("expected a quoted member name")),
                    }
                }
                if names.len() == 1 {
                    Selector::Name(names.remove(0))
                } else {
                    Selector::Names(names)
                }
            }
            Some(c) if c == b'-' || c == b':' || c.is_ascii_digit() => {
                self.parse_index_or_slice()?
            }
            _ => return Err(self.err("unexpected character in brackets")),
        };
        self.skip_ws();
        self.expect(b']')?;
        Ok(sel)
    }

    fn parse_int(&mut self) -> Result<i64, PathSyntaxError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        self.src[start..self.pos]
            .parse::<i64>()
            .map_err(|_| self.err("expected an integer"))
    }

    fn parse_index_or_slice(&mut self) -> Result<Selector, PathSyntaxError> {
        let first = if self.peek() == Some(b':') {
            None
        } else {
            Some(self.parse_int()?)
        };
        self.skip_ws();
        if self.peek() == Some(b':') {
            self.pos += 1;
            self.skip_ws();
            let second = if self.peek().is_some_and(|c| c == b'-' || c.is_ascii_digit()) {
                Some(self.parse_int()?)
            } else {
                None
            };
            return Ok(Selector::Slice(first, second));
        }
        let Some(first) = first else {
            return Err(self.err("expected an index"));
        };
        let mut idx = vec![first];
        loop {
            self.skip_ws();
            if self.peek() != Some(b',') {
                break;
            }
            self.pos += 1;
            self.skip_ws();
            idx.push(self.parse_int()?);
        }
        Ok(if idx.len() == 1 {
            Selector::Index(first)
        } else {
            Selector::Indices(idx)
        })
    }

    /// A quoted member name. As in AWS's Jayway, a backslash only stops the next character from
    /// ending the name; the text is kept as written (`$['a\\"b']` names the key `a\"b`).
    fn parse_quoted(&mut self, q: u8) -> Result<String, PathSyntaxError> {
        self.expect(q)?;
        let start = self.pos;
        loop {
            match self.peek() {
                None => return Err(self.err("unterminated string")),
                Some(b'\\') => {
                    self.pos += 1;
                    if self.peek().is_none() {
                        return Err(self.err("unterminated string"));
                    }
                    // Skip the whole escaped character (it may be multi-byte).
                    let ch_len = self.src[self.pos..]
                        .chars()
                        .next()
                        .map_or(1, char::len_utf8);
                    self.pos += ch_len;
                }
                Some(c) if c == q => {
                    let name = self.src[start..self.pos].to_string();
                    self.pos += 1;
                    return Ok(name);
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    // --- filter expressions ---

    fn enter(&mut self) -> Result<(), PathSyntaxError> {
        self.depth += 1;
        if self.depth > MAX_FILTER_DEPTH {
            return Err(self.err("filter expression is nested too deeply"));
        }
        Ok(())
    }

    fn parse_or(&mut self) -> Result<FilterExpr, PathSyntaxError> {
        self.enter()?;
        let mut left = self.parse_and()?;
        loop {
            self.skip_ws();
            if self.peek() == Some(b'|') && self.peek_at(1) == Some(b'|') {
                self.pos += 2;
                let right = self.parse_and()?;
                left = FilterExpr::Or(Box::new(left), Box::new(right));
            } else {
                break;
            }
        }
        self.depth -= 1;
        Ok(left)
    }

    fn parse_and(&mut self) -> Result<FilterExpr, PathSyntaxError> {
        let mut left = self.parse_unary()?;
        loop {
            self.skip_ws();
            if self.peek() == Some(b'&') && self.peek_at(1) == Some(b'&') {
                self.pos += 2;
                let right = self.parse_unary()?;
                left = FilterExpr::And(Box::new(left), Box::new(right));
            } else {
                break;
            }
        }
        Ok(left)
    }

    fn parse_unary(&mut self) -> Result<FilterExpr, PathSyntaxError> {
        self.skip_ws();
        match self.peek() {
            Some(b'!') if self.peek_at(1) != Some(b'=') => {
                self.pos += 1;
                self.enter()?;
                let e = self.parse_unary()?;
                self.depth -= 1;
                Ok(FilterExpr::Not(Box::new(e)))
            }
            Some(b'(') => {
                self.pos += 1;
                let e = self.parse_or()?;
                self.skip_ws();
                self.expect(b')')?;
                Ok(e)
            }
            _ => self.parse_relation(),
        }
    }

    fn parse_relation(&mut self) -> Result<FilterExpr, PathSyntaxError> {
        let left = self.parse_operand()?;
        self.skip_ws();
        let op = match self.parse_op()? {
            Some(op) => op,
            None => {
                return match left {
                    Operand::Current(_) | Operand::DocRoot(_) => Ok(FilterExpr::Exists(left)),
                    _ => Err(self.err("expected a comparison operator")),
                }
            }
        };
        self.skip_ws();
        let right = self.parse_operand()?;
        if matches!(right, Operand::Regex(..)) != (op == Op::Regex) {
            return Err(self.err("'=~' needs a /regex/ on its right"));
        }
        Ok(FilterExpr::Compare(left, op, right))
    }

    /// `['a', 1]`: Jayway also accepts single-quoted strings in list literals, which JSON does not.
    fn list_of_literals_ahead(&self) -> bool {
        let rest = &self.src[self.pos..];
        let mut it = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
        !matches!(it.next(), Some(Ok(_)))
    }

    fn parse_literal_list(&mut self) -> Result<Operand, PathSyntaxError> {
        self.expect(b'[')?;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Operand::Literal(Value::Array(items)));
        }
        loop {
            self.enter()?;
            let item = self.parse_operand();
            self.depth -= 1;
            match item? {
                Operand::Literal(v) => items.push(v),
                _ => return Err(self.err("a list may only hold literal values")),
            }
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Operand::Literal(Value::Array(items)));
                }
                _ => return Err(self.err("expected ',' or ']' in a list")),
            }
        }
    }

    fn parse_op(&mut self) -> Result<Option<Op>, PathSyntaxError> {
        let two = (self.peek(), self.peek_at(1));
        let sym = match two {
            (Some(b'='), Some(b'=')) => Some((Op::Eq, 2)),
            (Some(b'!'), Some(b'=')) => Some((Op::Ne, 2)),
            (Some(b'<'), Some(b'=')) => Some((Op::Le, 2)),
            (Some(b'>'), Some(b'=')) => Some((Op::Ge, 2)),
            (Some(b'='), Some(b'~')) => Some((Op::Regex, 2)),
            (Some(b'<'), _) => Some((Op::Lt, 1)),
            (Some(b'>'), _) => Some((Op::Gt, 1)),
            _ => None,
        };
        if let Some((op, n)) = sym {
            self.pos += n;
            return Ok(Some(op));
        }
        let start = self.pos;
        let mut end = start;
        while self.b.get(end).is_some_and(|c| c.is_ascii_alphabetic()) {
            end += 1;
        }
        let op = match &self.src[start..end] {
            "" => return Ok(None),
            "in" => Op::In,
            "nin" => Op::Nin,
            "subsetof" => Op::SubsetOf,
            "anyof" => Op::AnyOf,
            "noneof" => Op::NoneOf,
            "size" => Op::Size,
            "empty" => Op::Empty,
            "contains" => Op::Contains,
            _ => return Err(self.err("unknown operator")),
        };
        self.pos = end;
        Ok(Some(op))
    }

    fn parse_operand(&mut self) -> Result<Operand, PathSyntaxError> {
        self.skip_ws();
        match self.peek() {
            Some(b'@') => {
                self.pos += 1;
                let (segs, _) = self.parse_segments(false)?;
                Ok(Operand::Current(segs))
            }
            Some(b'$') => {
                self.pos += 1;
                let (segs, _) = self.parse_segments(false)?;
                Ok(Operand::DocRoot(segs))
            }
            Some(q @ (b'\'' | b'"')) => {
                let raw = self.parse_quoted(q)?;
                Ok(Operand::Literal(Value::String(unescape_literal(&raw))))
            }
            Some(b'/') => {
                self.pos += 1;
                let start = self.pos;
                let mut escaped = false;
                loop {
                    match self.peek() {
                        None => return Err(self.err("unterminated regular expression")),
                        Some(b'\\') if !escaped => escaped = true,
                        Some(b'/') if !escaped => break,
                        _ => escaped = false,
                    }
                    self.pos += 1;
                }
                let pattern = self.src[start..self.pos].to_string();
                self.pos += 1;
                let fstart = self.pos;
                while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
                    self.pos += 1;
                }
                let flags = &self.src[fstart..self.pos];
                let mut builder = regex::RegexBuilder::new(&format!("^(?:{pattern})$"));
                for f in flags.chars() {
                    match f {
                        'i' => builder.case_insensitive(true),
                        'm' => builder.multi_line(true),
                        's' => builder.dot_matches_new_line(true),
                        'x' => builder.ignore_whitespace(true),
                        'u' => &mut builder,
                        _ => return Err(self.err("unknown regular expression flag")),
                    };
                }
                builder.size_limit(1 << 20);
                let re = builder
                    .build()
                    .map_err(|_| self.err("invalid regular expression"))?;
                Ok(Operand::Regex(format!("/{pattern}/{flags}"), re))
            }
            Some(b'[') if self.list_of_literals_ahead() => self.parse_literal_list(),
            Some(b'[') | Some(b'{') => {
                let rest = &self.src[self.pos..];
                let mut it = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
                match it.next() {
                    Some(Ok(v)) => {
                        self.pos += it.byte_offset();
                        Ok(Operand::Literal(v))
                    }
                    _ => Err(self.err("invalid JSON literal")),
                }
            }
            Some(c) if c == b'-' || c.is_ascii_digit() => {
                let start = self.pos;
                self.pos += 1;
                while self.peek().is_some_and(|c| {
                    c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-')
                }) {
                    self.pos += 1;
                }
                let text = &self.src[start..self.pos];
                match serde_json::from_str::<serde_json::Number>(text) {
                    Ok(n) => Ok(Operand::Literal(Value::Number(n))),
                    Err(_) => Err(self.err("invalid number")),
                }
            }
            _ => {
                for (word, v) in [
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("null", Value::Null),
                ] {
                    if self.src[self.pos..].starts_with(word) {
                        self.pos += word.len();
                        return Ok(Operand::Literal(v));
                    }
                }
                Err(self.err("expected a value in the filter"))
            }
        }
    }
}

/// Jayway unescapes string literals in filters (unlike member names): `\'`, `\"`, `\\`, `\n`...
fn unescape_literal(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/// Jayway names the Java class of a node in some messages; AWS's provider is Jackson's.
fn java_class(v: &Value) -> &'static str {
    match v {
        Value::Null => "com.fasterxml.jackson.databind.node.NullNode",
        Value::Bool(_) => "com.fasterxml.jackson.databind.node.BooleanNode",
        Value::Number(n) if n.is_f64() => "com.fasterxml.jackson.databind.node.DoubleNode",
        Value::Number(_) => "com.fasterxml.jackson.databind.node.IntNode",
        Value::String(_) => "com.fasterxml.jackson.databind.node.TextNode",
        Value::Array(_) => "com.fasterxml.jackson.databind.node.ArrayNode",
        Value::Object(_) => "com.fasterxml.jackson.databind.node.ObjectNode",
    }
}

struct Eval<'p> {
    path: &'p str,
}

impl<'p> Eval<'p> {
    fn fail(&self, message: String) -> PathError {
        PathError {
            path: self.path.to_string(),
            message,
        }
    }
}

impl JsonPath {
    /// Evaluates the path on `doc`, which stands for the path's root (the caller picks the input,
    /// the Context object or the variable; see [`JsonPath::evaluate_in`]).
    ///
    /// Definite paths return the node they name (borrowed); indefinite paths return an array of
    /// every match (possibly empty).
    pub fn evaluate<'v>(&self, doc: &'v Value) -> Result<Cow<'v, Value>, PathError> {
        if self.function.is_none() {
            if let Some(found) = self.walk_reference(doc) {
                return Ok(Cow::Borrowed(found));
            }
        }
        self.evaluate_general(doc)
    }

    /// The hot case: a chain of single names and indices that resolves. Allocation-free; `None`
    /// sends the caller to the general evaluation (other selectors, or an error to word).
    fn walk_reference<'v>(&self, doc: &'v Value) -> Option<&'v Value> {
        let mut cur = doc;
        for seg in &self.segments {
            cur = match (seg, cur) {
                (Segment::Child(Selector::Name(n)), Value::Object(m)) => m.get(n)?,
                (Segment::Child(Selector::Index(i)), Value::Array(a)) => {
                    a.get(effective_index(*i, a.len())?)?
                }
                _ => return None,
            };
        }
        Some(cur)
    }

    fn evaluate_general<'v>(&self, doc: &'v Value) -> Result<Cow<'v, Value>, PathError> {
        let ev = Eval { path: &self.text };
        let definite = self.segments_definite();
        let n = self.segments.len();
        let mut frontier: Vec<&'v Value> = vec![doc];
        // Jayway throws on a missing member or a type mismatch only while the tokens so far are
        // definite; AWS goes further: an indefinite path never fails (it yields `[]`), e.g.
        // `$.items[*]` on `{}`. So strictness depends on the whole path.
        let mut upstream_definite = definite;
        let mut eval_path = String::from("$");
        let mut merged: Option<Vec<Value>> = None;
        for (i, seg) in self.segments.iter().enumerate() {
            let leaf = i + 1 == n;
            let mut next: Vec<&'v Value> = Vec::new();
            match seg {
                Segment::Child(sel) => {
                    if let (Selector::Names(names), true) = (sel, leaf) {
                        // Jayway merges a trailing multi-name selector into one object per match.
                        let mut out = Vec::new();
                        for node in &frontier {
                            match node {
                                Value::Object(m) => {
                                    let mut obj = Map::new();
                                    for name in names {
                                        if let Some(v) = m.get(name) {
                                            obj.insert(name.clone(), v.clone());
                                        }
                                    }
                                    out.push(Value::Object(obj));
                                }
                                other if upstream_definite => {
                                    return Err(ev.fail(not_object_message(
                                        &format_names(names),
                                        &eval_path,
                                        other,
                                    )));
                                }
                                _ => {}
                            }
                        }
                        merged = Some(out);
                        break;
                    }
                    for node in &frontier {
                        apply_child(
                            &ev,
                            sel,
                            node,
                            doc,
                            leaf,
                            upstream_definite,
                            &eval_path,
                            &mut next,
                        )?;
                    }
                    if upstream_definite {
                        push_selector(&mut eval_path, sel);
                    }
                    if !matches!(sel, Selector::Name(_) | Selector::Index(_)) {
                        upstream_definite = false;
                    }
                }
                Segment::Descendant(sel) => {
                    for node in &frontier {
                        descend(sel, node, doc, &mut next);
                    }
                    upstream_definite = false;
                }
            }
            frontier = next;
        }

        let result: Cow<'v, Value> = match merged {
            Some(mut objs) => {
                if definite {
                    match objs.pop() {
                        Some(v) if objs.is_empty() => Cow::Owned(v),
                        _ => {
                            return Err(
                                ev.fail(format!("No results for path: {}", self.normalized()))
                            )
                        }
                    }
                } else {
                    Cow::Owned(Value::Array(objs))
                }
            }
            None => {
                if definite {
                    match frontier.first() {
                        Some(v) => Cow::Borrowed(*v),
                        None => {
                            return Err(ev.fail(format!(
                                "No results for path: {}",
                                self.normalized_without_function()
                            )))
                        }
                    }
                } else {
                    Cow::Owned(Value::Array(frontier.into_iter().cloned().collect()))
                }
            }
        };
        match self.function {
            None => Ok(result),
            Some(f) => apply_function(&ev, f, &result).map(Cow::Owned),
        }
    }

    fn normalized_without_function(&self) -> String {
        let mut s = String::from("$");
        for seg in &self.segments {
            push_segment(&mut s, seg);
        }
        s
    }

    /// Evaluates the path against its root in `scope`: `$` on the input, `$$` on the Context
    /// object, `$name` on the variable `name`.
    pub fn evaluate_in<'a>(&self, scope: &Scope<'a>) -> Result<Cow<'a, Value>, PathError> {
        let doc: &'a Value = match &self.root {
            Root::Input => scope.input,
            Root::Context => scope.context,
            Root::Variable(name) => match scope.variables.get(name) {
                Some(v) => v,
                None => {
                    return Err(PathError {
                        path: self.text.clone(),
                        message: format!("The variable '{name}' is not defined"),
                    })
                }
            },
        };
        self.evaluate(doc)
    }

    /// The document this path reads in `scope` (`None` for an undefined variable).
    pub fn root_value<'a>(&self, scope: &Scope<'a>) -> Option<&'a Value> {
        match &self.root {
            Root::Input => Some(scope.input),
            Root::Context => Some(scope.context),
            Root::Variable(name) => scope.variables.get(name),
        }
    }

    /// Applies this path as a `ResultPath`: returns `target` with `value` placed at the path,
    /// creating missing intermediate objects. `$` replaces the whole target.
    ///
    /// Fails with `States.ResultPathMatchFailure` when the path crosses a non-object (or an
    /// out-of-range array index), or when it is not a Reference Path on `$`.
    pub fn set(&self, target: Value, value: Value) -> Result<Value, StatesError> {
        if self.root != Root::Input || !self.is_reference_path() {
            return Err(self.result_path_failure(&target));
        }
        if self.segments.is_empty() {
            return Ok(value);
        }
        let mut target = target;
        match set_in(&mut target, &self.segments, value) {
            Ok(()) => Ok(target),
            Err(()) => Err(self.result_path_failure(&target)),
        }
    }

    fn result_path_failure(&self, target: &Value) -> StatesError {
        StatesError::result_path_match_failure(format!(
            "Unable to apply ReferencePath {} to input {}",
            self.text,
            serde_json::to_string(target).unwrap_or_default()
        ))
    }
}

fn set_in(target: &mut Value, segments: &[Segment], value: Value) -> Result<(), ()> {
    // Check the whole walk first so a failure leaves `target` untouched for the error message.
    {
        let mut cur: Option<&Value> = Some(target);
        for seg in segments {
            match (seg, cur) {
                (_, None) => break,
                (Segment::Child(Selector::Name(n)), Some(Value::Object(m))) => cur = m.get(n),
                (Segment::Child(Selector::Index(i)), Some(Value::Array(a))) => {
                    let idx = effective_index(*i, a.len()).ok_or(())?;
                    cur = a.get(idx);
                }
                _ => return Err(()),
            }
        }
    }
    let mut cur = target;
    let mut value = Some(value);
    let last = segments.len().saturating_sub(1);
    for (i, seg) in segments.iter().enumerate() {
        let is_last = i == last;
        cur = match (seg, cur) {
            (Segment::Child(Selector::Name(n)), Value::Object(m)) => {
                if is_last {
                    m.insert(n.clone(), value.take().unwrap_or(Value::Null));
                    return Ok(());
                }
                m.entry(n.clone())
                    .or_insert_with(|| Value::Object(Map::new()))
            }
            (Segment::Child(Selector::Index(idx)), Value::Array(a)) => {
                let len = a.len();
                let k = effective_index(*idx, len).ok_or(())?;
                let slot = a.get_mut(k).ok_or(())?;
                if is_last {
                    *slot = value.take().unwrap_or(Value::Null);
                    return Ok(());
                }
                slot
            }
            _ => return Err(()),
        };
    }
    Ok(())
}

fn effective_index(i: i64, len: usize) -> Option<usize> {
    let len_i = i64::try_from(len).ok()?;
    let k = if i < 0 { len_i + i } else { i };
    if k < 0 || k >= len_i {
        None
    } else {
        usize::try_from(k).ok()
    }
}

fn format_names(names: &[String]) -> String {
    let mut s = String::new();
    push_selector(&mut s, &Selector::Names(names.to_vec()));
    s
}

fn not_object_message(fragment: &str, eval_path: &str, found: &Value) -> String {
    format!(
        "Expected to find an object with property {fragment} in path {eval_path} but found '{}'. This is not a json object according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JacksonJsonNodeJsonProvider'.",
        java_class(found)
    )
}

#[allow(clippy::too_many_arguments)]
fn apply_child<'v>(
    ev: &Eval<'_>,
    sel: &Selector,
    node: &'v Value,
    doc: &'v Value,
    leaf: bool,
    upstream_definite: bool,
    eval_path: &str,
    out: &mut Vec<&'v Value>,
) -> Result<(), PathError> {
    match sel {
        Selector::Name(name) => match node {
            Value::Object(m) => match m.get(name) {
                Some(v) => out.push(v),
                None if !leaf && upstream_definite => {
                    return Err(ev.fail(format!("Missing property in path {eval_path}['{name}']")));
                }
                None => {}
            },
            other if upstream_definite => {
                return Err(ev.fail(not_object_message(&format!("['{name}']"), eval_path, other)));
            }
            _ => {}
        },
        Selector::Names(names) => {
            if let Value::Object(m) = node {
                for name in names {
                    if let Some(v) = m.get(name) {
                        out.push(v);
                    }
                }
            } else if upstream_definite {
                return Err(ev.fail(not_object_message(&format_names(names), eval_path, node)));
            }
        }
        Selector::Wildcard => match node {
            Value::Object(m) => out.extend(m.values()),
            Value::Array(a) => out.extend(a.iter()),
            _ => {}
        },
        Selector::Index(_) | Selector::Indices(_) | Selector::Slice(..) => {
            let Value::Array(a) = node else {
                if upstream_definite {
                    let mut frag = String::new();
                    push_selector(&mut frag, sel);
                    return Err(ev.fail(format!(
                        "Filter: {frag} can only be applied to arrays. Current context is: {}",
                        serde_json::to_string(node).unwrap_or_default()
                    )));
                }
                return Ok(());
            };
            select_indices(sel, a, out);
        }
        Selector::Filter(f) => match node {
            Value::Array(a) => {
                for item in a {
                    if filter_matches(f, item, doc) {
                        out.push(item);
                    }
                }
            }
            Value::Object(_) if filter_matches(f, node, doc) => out.push(node),
            Value::Object(_) => {}
            other if upstream_definite => {
                return Err(ev.fail(format!(
                    "Filter: [?] can not be applied to primitives. Current context is: {}",
                    serde_json::to_string(other).unwrap_or_default()
                )));
            }
            _ => {}
        },
    }
    Ok(())
}

fn select_indices<'v>(sel: &Selector, a: &'v [Value], out: &mut Vec<&'v Value>) {
    let len = a.len();
    let len_i = i64::try_from(len).unwrap_or(i64::MAX);
    match sel {
        Selector::Index(i) => {
            if let Some(v) = effective_index(*i, len).and_then(|k| a.get(k)) {
                out.push(v);
            }
        }
        Selector::Indices(is) => {
            for i in is {
                if let Some(v) = effective_index(*i, len).and_then(|k| a.get(k)) {
                    out.push(v);
                }
            }
        }
        Selector::Slice(from, to) => {
            let norm = |x: i64| -> i64 {
                if x < 0 {
                    (len_i + x).max(0)
                } else {
                    x.min(len_i)
                }
            };
            let start = from.map(norm).unwrap_or(0);
            let end = to.map(norm).unwrap_or(len_i);
            let (Ok(start), Ok(end)) = (usize::try_from(start), usize::try_from(end)) else {
                return;
            };
            if start < end {
                if let Some(s) = a.get(start..end) {
                    out.extend(s.iter());
                }
            }
        }
        _ => {}
    }
}

/// `..sel`: applies `sel` to `node` and to every container below it, in document order
/// (Jayway's scan order), without recursion so deep documents cannot overflow the stack.
fn descend<'v>(sel: &Selector, node: &'v Value, doc: &'v Value, out: &mut Vec<&'v Value>) {
    let mut stack: Vec<&'v Value> = vec![node];
    while let Some(n) = stack.pop() {
        match sel {
            Selector::Name(name) => {
                if let Value::Object(m) = n {
                    if let Some(v) = m.get(name) {
                        out.push(v);
                    }
                }
            }
            Selector::Names(names) => {
                if let Value::Object(m) = n {
                    for name in names {
                        if let Some(v) = m.get(name) {
                            out.push(v);
                        }
                    }
                }
            }
            Selector::Wildcard => match n {
                Value::Object(m) => out.extend(m.values()),
                Value::Array(a) => out.extend(a.iter()),
                _ => {}
            },
            Selector::Index(_) | Selector::Indices(_) | Selector::Slice(..) => {
                if let Value::Array(a) = n {
                    select_indices(sel, a, out);
                }
            }
            Selector::Filter(f) => {
                if n.is_object() && filter_matches(f, n, doc) {
                    out.push(n);
                }
            }
        }
        match n {
            Value::Object(m) => stack.extend(m.values().rev()),
            Value::Array(a) => stack.extend(a.iter().rev()),
            _ => {}
        }
    }
}

fn apply_function(ev: &Eval<'_>, f: Function, v: &Value) -> Result<Value, PathError> {
    match f {
        Function::Length => {
            return Ok(match v {
                Value::Array(a) => Value::from(a.len()),
                Value::Object(m) => Value::from(m.len()),
                Value::String(s) => Value::from(s.chars().count()),
                _ => Value::Null,
            })
        }
        Function::Keys => {
            return Ok(match v {
                Value::Object(m) => Value::Array(m.keys().cloned().map(Value::String).collect()),
                _ => Value::Null,
            })
        }
        Function::First | Function::Last => {
            let Value::Array(a) = v else {
                return Ok(Value::Null);
            };
            let item = if f == Function::First {
                a.first()
            } else {
                a.last()
            };
            return item
                .cloned()
                .ok_or_else(|| ev.fail(format!("Cannot get {}() of an empty array", f.name())));
        }
        _ => {}
    }
    let nums: Vec<f64> = match v {
        Value::Array(a) => a.iter().filter_map(Value::as_f64).collect(),
        _ => Vec::new(),
    };
    if nums.is_empty() {
        return Err(ev.fail(
            "Aggregation function attempted to calculate value using empty array".to_string(),
        ));
    }
    let r = match f {
        Function::Min => nums.iter().copied().fold(f64::INFINITY, f64::min),
        Function::Max => nums.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        Function::Sum => nums.iter().sum(),
        Function::Avg => nums.iter().sum::<f64>() / nums.len() as f64,
        Function::StdDev => {
            let n = nums.len() as f64;
            let mean = nums.iter().sum::<f64>() / n;
            (nums.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n).sqrt()
        }
        Function::Length | Function::Keys | Function::First | Function::Last => 0.0,
    };
    Ok(serde_json::Number::from_f64(r)
        .map(Value::Number)
        .unwrap_or(Value::Null))
}

// --- filters ---

/// The value of a filter operand for one item: `None` when a path finds nothing.
fn operand_value<'v>(op: &'v Operand, item: &'v Value, doc: &'v Value) -> Option<Cow<'v, Value>> {
    match op {
        Operand::Literal(v) => Some(Cow::Borrowed(v)),
        Operand::Regex(..) => None,
        Operand::Current(segs) => sub_path(segs, item, doc),
        Operand::DocRoot(segs) => sub_path(segs, doc, doc),
    }
}

/// Evaluates a path inside a filter: definite sub-paths give their node, others an array.
fn sub_path<'v>(segs: &[Segment], start: &'v Value, doc: &'v Value) -> Option<Cow<'v, Value>> {
    let definite = segs.iter().all(|s| {
        matches!(
            s,
            Segment::Child(Selector::Name(_)) | Segment::Child(Selector::Index(_))
        )
    });
    if definite {
        let mut cur = start;
        for s in segs {
            cur = match (s, cur) {
                (Segment::Child(Selector::Name(n)), Value::Object(m)) => m.get(n)?,
                (Segment::Child(Selector::Index(i)), Value::Array(a)) => {
                    a.get(effective_index(*i, a.len())?)?
                }
                _ => return None,
            };
        }
        return Some(Cow::Borrowed(cur));
    }
    let mut frontier = vec![start];
    for s in segs {
        let mut next = Vec::new();
        match s {
            Segment::Child(sel) => {
                for n in &frontier {
                    let ev = Eval { path: "" };
                    let _ = apply_child(&ev, sel, n, doc, false, false, "$", &mut next);
                }
            }
            Segment::Descendant(sel) => {
                for n in &frontier {
                    descend(sel, n, doc, &mut next);
                }
            }
        }
        frontier = next;
    }
    Some(Cow::Owned(Value::Array(
        frontier.into_iter().cloned().collect(),
    )))
}

fn filter_matches(f: &FilterExpr, item: &Value, doc: &Value) -> bool {
    match f {
        FilterExpr::Or(a, b) => filter_matches(a, item, doc) || filter_matches(b, item, doc),
        FilterExpr::And(a, b) => filter_matches(a, item, doc) && filter_matches(b, item, doc),
        FilterExpr::Not(a) => !filter_matches(a, item, doc),
        FilterExpr::Exists(op) => match operand_value(op, item, doc) {
            // Jayway: an existence check on an indefinite sub-path needs at least one match.
            Some(Cow::Owned(Value::Array(a))) => !a.is_empty(),
            Some(_) => true,
            None => false,
        },
        FilterExpr::Compare(l, op, r) => compare(l, op, r, item, doc),
    }
}

fn compare(l: &Operand, op: &Op, r: &Operand, item: &Value, doc: &Value) -> bool {
    let lv = operand_value(l, item, doc);
    if let (Op::Regex, Operand::Regex(_, re)) = (op, r) {
        return match lv.as_deref() {
            Some(Value::String(s)) => re.is_match(s),
            _ => false,
        };
    }
    let rv = operand_value(r, item, doc);
    let (lv, rv) = match (lv, rv) {
        (Some(a), Some(b)) => (a, b),
        // An undefined side equals nothing; `!=` is the negation of `==`.
        _ => return *op == Op::Ne,
    };
    let (a, b) = (lv.as_ref(), rv.as_ref());
    match op {
        Op::Eq => loose_eq(a, b),
        Op::Ne => !loose_eq(a, b),
        Op::Lt | Op::Le | Op::Gt | Op::Ge => {
            let ord = match (a, b) {
                (Value::Number(x), Value::Number(y)) => x
                    .as_f64()
                    .and_then(|x| y.as_f64().and_then(|y| x.partial_cmp(&y))),
                (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
                _ => None,
            };
            match ord {
                None => false,
                Some(o) => match op {
                    Op::Lt => o.is_lt(),
                    Op::Le => o.is_le(),
                    Op::Gt => o.is_gt(),
                    _ => o.is_ge(),
                },
            }
        }
        Op::In => match b {
            Value::Array(xs) => xs.iter().any(|x| loose_eq(a, x)),
            _ => false,
        },
        Op::Nin => match b {
            Value::Array(xs) => !xs.iter().any(|x| loose_eq(a, x)),
            _ => false,
        },
        Op::SubsetOf => match (a, b) {
            (Value::Array(xs), Value::Array(ys)) => {
                xs.iter().all(|x| ys.iter().any(|y| loose_eq(x, y)))
            }
            _ => false,
        },
        Op::AnyOf => match (a, b) {
            (Value::Array(xs), Value::Array(ys)) => {
                xs.iter().any(|x| ys.iter().any(|y| loose_eq(x, y)))
            }
            _ => false,
        },
        Op::NoneOf => match (a, b) {
            (Value::Array(xs), Value::Array(ys)) => {
                !xs.iter().any(|x| ys.iter().any(|y| loose_eq(x, y)))
            }
            _ => false,
        },
        Op::Size => {
            let len = match a {
                Value::Array(xs) => xs.len(),
                Value::String(s) => s.chars().count(),
                _ => return false,
            };
            b.as_f64().is_some_and(|n| n == len as f64)
        }
        Op::Empty => {
            let empty = match a {
                Value::Array(xs) => xs.is_empty(),
                Value::String(s) => s.is_empty(),
                _ => return false,
            };
            b.as_bool() == Some(empty)
        }
        Op::Contains => match (a, b) {
            (Value::Array(xs), _) => xs.iter().any(|x| loose_eq(x, b)),
            (Value::String(s), Value::String(t)) => s.contains(t.as_str()),
            _ => false,
        },
        Op::Regex => false,
    }
}

/// Jayway's `==`: numbers compare numerically, and a number equals a string holding it.
fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => x == y,
        },
        (Value::Number(x), Value::String(s)) => s.trim().parse::<f64>().ok() == x.as_f64(),
        (Value::String(s), Value::Number(x)) => *s == x.to_string(),
        _ => a == b,
    }
}
