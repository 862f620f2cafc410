//! Tokenizer, Pratt parser and the post-parse pass (jsonata-js `processAST`) that turns
//! `.`/`[`/`{`/`^`/`@`/`#` binary nodes into paths with steps, stages and tuple annotations.

use std::sync::Arc;

use crate::error::Err;
use crate::signature::Signature;

/// Deepest nesting the parser accepts; bounds recursion in parsing, post-processing,
/// evaluation of the tree and dropping it.
pub const MAX_PARSE_DEPTH: usize = 1000;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Op(&'static str),
    Name(String),
    Var(String),
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    Regex(String, String),
    End,
}

const OPS: &[&str] = &[
    ".", "[", "]", "{", "}", "(", ")", ",", "@", "#", ";", ":", "?", "+", "-", "*", "/", "%", "|",
    "=", "<", ">", "^", "!", "~", "&",
];

fn is_op_char(c: char) -> bool {
    matches!(
        c,
        '.' | '['
            | ']'
            | '{'
            | '}'
            | '('
            | ')'
            | ','
            | '@'
            | '#'
            | ';'
            | ':'
            | '?'
            | '+'
            | '-'
            | '*'
            | '/'
            | '%'
            | '|'
            | '='
            | '<'
            | '>'
            | '^'
            | '!'
            | '~'
            | '&'
    )
}

fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{b}')
}

struct Lexer<'a> {
    src: &'a str,
    chars: Vec<(usize, char)>,
    /// index into `chars`
    i: usize,
}

impl<'a> Lexer<'a> {
    fn new(src: &'a str) -> Self {
        Lexer {
            src,
            chars: src.char_indices().collect(),
            i: 0,
        }
    }
    fn at(&self, i: usize) -> Option<char> {
        self.chars.get(i).map(|c| c.1)
    }
    fn byte(&self, i: usize) -> usize {
        self.chars.get(i).map(|c| c.0).unwrap_or(self.src.len())
    }

    fn next(&mut self, prefix: bool) -> Result<(Tok, usize), Err> {
        loop {
            while self.at(self.i).is_some_and(is_ws) {
                self.i += 1;
            }
            if self.at(self.i) == Some('/') && self.at(self.i + 1) == Some('*') {
                let start = self.i;
                self.i += 2;
                loop {
                    if self.i >= self.chars.len() {
                        return Err(Err::new("S0106").pos(start));
                    }
                    if self.at(self.i) == Some('*') && self.at(self.i + 1) == Some('/') {
                        self.i += 2;
                        break;
                    }
                    self.i += 1;
                }
                continue;
            }
            break;
        }
        let c = match self.at(self.i) {
            None => return Ok((Tok::End, self.i)),
            Some(c) => c,
        };
        if !prefix && c == '/' {
            self.i += 1;
            return self.scan_regex();
        }
        let c2 = self.at(self.i + 1);
        let two = match (c, c2) {
            ('.', Some('.')) => Some(".."),
            (':', Some('=')) => Some(":="),
            ('!', Some('=')) => Some("!="),
            ('>', Some('=')) => Some(">="),
            ('<', Some('=')) => Some("<="),
            ('*', Some('*')) => Some("**"),
            ('~', Some('>')) => Some("~>"),
            ('?', Some(':')) => Some("?:"),
            ('?', Some('?')) => Some("??"),
            _ => None,
        };
        if let Some(op) = two {
            self.i += 2;
            return Ok((Tok::Op(op), self.i));
        }
        if is_op_char(c) {
            self.i += 1;
            let op = OPS
                .iter()
                .find(|o| o.starts_with(c))
                .copied()
                .unwrap_or(".");
            return Ok((Tok::Op(op), self.i));
        }
        if c == '"' || c == '\'' {
            self.i += 1;
            let mut s = String::new();
            while let Some(ch) = self.at(self.i) {
                if ch == '\\' {
                    self.i += 1;
                    let e = self.at(self.i);
                    match e {
                        Some('"') => s.push('"'),
                        Some('\\') => s.push('\\'),
                        Some('/') => s.push('/'),
                        Some('b') => s.push('\u{8}'),
                        Some('f') => s.push('\u{c}'),
                        Some('n') => s.push('\n'),
                        Some('r') => s.push('\r'),
                        Some('t') => s.push('\t'),
                        Some('u') => {
                            let hex: String = (1..=4).filter_map(|k| self.at(self.i + k)).collect();
                            if hex.len() == 4 && hex.chars().all(|h| h.is_ascii_hexdigit()) {
                                let mut cp = u32::from_str_radix(&hex, 16).unwrap_or(0);
                                self.i += 4;
                                // Combine UTF-16 surrogate pairs written as two escapes.
                                if (0xD800..0xDC00).contains(&cp)
                                    && self.at(self.i + 1) == Some('\\')
                                    && self.at(self.i + 2) == Some('u')
                                {
                                    let lo: String =
                                        (3..=6).filter_map(|k| self.at(self.i + k)).collect();
                                    if let Ok(l) = u32::from_str_radix(&lo, 16) {
                                        if (0xDC00..0xE000).contains(&l) {
                                            cp = 0x10000 + ((cp - 0xD800) << 10) + (l - 0xDC00);
                                            self.i += 6;
                                        }
                                    }
                                }
                                s.push(crate::value::char_from_utf16_unit(cp));
                            } else {
                                return Err(Err::new("S0104").pos(self.i));
                            }
                        }
                        other => {
                            return Err(Err::new("S0103")
                                .pos(self.i)
                                .token(other.map(|c| c.to_string()).unwrap_or_default()))
                        }
                    }
                } else if ch == c {
                    self.i += 1;
                    return Ok((Tok::Str(s), self.i));
                } else {
                    s.push(ch);
                }
                self.i += 1;
            }
            return Err(Err::new("S0101").pos(self.i));
        }
        if c.is_ascii_digit() {
            let start = self.i;
            let mut j = self.i;
            if c == '0' {
                j += 1;
            } else {
                while self.at(j).is_some_and(|d| d.is_ascii_digit()) {
                    j += 1;
                }
            }
            if self.at(j) == Some('.') && self.at(j + 1).is_some_and(|d| d.is_ascii_digit()) {
                j += 1;
                while self.at(j).is_some_and(|d| d.is_ascii_digit()) {
                    j += 1;
                }
            }
            if matches!(self.at(j), Some('e') | Some('E')) {
                let mut k = j + 1;
                if matches!(self.at(k), Some('+') | Some('-')) {
                    k += 1;
                }
                if self.at(k).is_some_and(|d| d.is_ascii_digit()) {
                    while self.at(k).is_some_and(|d| d.is_ascii_digit()) {
                        k += 1;
                    }
                    j = k;
                }
            }
            let text = &self.src[self.byte(start)..self.byte(j)];
            let n: f64 = text.parse().unwrap_or(f64::NAN);
            if n.is_finite() {
                self.i = j;
                return Ok((Tok::Num(n), self.i));
            }
            return Err(Err::new("S0102").pos(self.i).token(text));
        }
        if c == '`' {
            self.i += 1;
            let start = self.i;
            while let Some(ch) = self.at(self.i) {
                if ch == '`' {
                    let name = self.src[self.byte(start)..self.byte(self.i)].to_string();
                    self.i += 1;
                    return Ok((Tok::Name(name), self.i));
                }
                self.i += 1;
            }
            return Err(Err::new("S0105").pos(self.chars.len()));
        }
        let start = self.i;
        let mut j = self.i;
        while let Some(ch) = self.at(j) {
            if is_ws(ch) || is_op_char(ch) {
                break;
            }
            j += 1;
        }
        let text = &self.src[self.byte(start)..self.byte(j)];
        self.i = j;
        if let Some(v) = text.strip_prefix('$') {
            return Ok((Tok::Var(v.to_string()), self.i));
        }
        let t = match text {
            "or" => Tok::Op("or"),
            "in" => Tok::Op("in"),
            "and" => Tok::Op("and"),
            "true" => Tok::Bool(true),
            "false" => Tok::Bool(false),
            "null" => Tok::Null,
            _ => {
                if text.is_empty() && j >= self.chars.len() {
                    return Ok((Tok::End, self.i));
                }
                Tok::Name(text.to_string())
            }
        };
        Ok((t, self.i))
    }

    fn scan_regex(&mut self) -> Result<(Tok, usize), Err> {
        let start = self.i;
        let mut depth: i32 = 0;
        while let Some(ch) = self.at(self.i) {
            if ch == '/' && depth == 0 {
                let mut bs = 0;
                while self.i > bs && self.at(self.i - bs - 1) == Some('\\') {
                    bs += 1;
                }
                if bs % 2 == 0 {
                    let pattern = self.src[self.byte(start)..self.byte(self.i)].to_string();
                    if pattern.is_empty() {
                        return Err(Err::new("S0301").pos(self.i));
                    }
                    self.i += 1;
                    let fstart = self.i;
                    while matches!(self.at(self.i), Some('i') | Some('m')) {
                        self.i += 1;
                    }
                    let flags = self.src[self.byte(fstart)..self.byte(self.i)].to_string();
                    return Ok((Tok::Regex(pattern, flags), self.i));
                }
            }
            let prev_bs = self.i > 0 && self.at(self.i - 1) == Some('\\');
            if matches!(ch, '(' | '[' | '{') && !prev_bs {
                depth += 1;
            }
            if matches!(ch, ')' | ']' | '}') && !prev_bs {
                depth -= 1;
            }
            self.i += 1;
        }
        Err(Err::new("S0302").pos(self.i))
    }
}

// ---------------------------------------------------------------------------
// Raw parse tree (before processAST)

#[derive(Debug)]
struct Raw {
    r: R,
    pos: usize,
    keep_array: bool,
}

#[derive(Debug)]
enum R {
    Name(String),
    Var(String),
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    Regex(String, String),
    Wildcard,
    Descendant,
    Parent,
    /// `?` placeholder in a partial application
    Placeholder,
    /// an operator token (and/or/in) used in operand position: becomes a name
    OpName(&'static str),
    Binary(&'static str, Box<Raw>, Box<Raw>),
    Neg(Box<Raw>),
    ArrayCons(Vec<Raw>),
    ObjCons(Vec<(Raw, Raw)>),
    Group(Box<Raw>, Vec<(Raw, Raw)>),
    Sort(Box<Raw>, Vec<(bool, Raw)>),
    Cond(Box<Raw>, Box<Raw>, Option<Box<Raw>>),
    Coalesce(Box<Raw>, Box<Raw>),
    Elvis(Box<Raw>, Box<Raw>),
    Block(Vec<Raw>),
    Func(Box<Raw>, Vec<Raw>, bool),
    Lambda(Vec<String>, Option<Signature>, Box<Raw>),
    Transform(Box<Raw>, Box<Raw>, Option<Box<Raw>>),
}

struct Parser<'a> {
    lex: Lexer<'a>,
    tok: Tok,
    tpos: usize,
    depth: usize,
}

fn lbp(t: &Tok) -> u32 {
    match t {
        Tok::Op(o) => match *o {
            "." => 75,
            "[" | "(" | "@" | "#" => 80,
            "{" => 70,
            "?" => 20,
            "+" | "-" | "&" => 50,
            "*" | "/" | "%" => 60,
            "=" | "<" | ">" | "^" | "!=" | "<=" | ">=" | "~>" | "in" | "??" | "?:" => 40,
            ":=" => 10,
            "and" => 30,
            "or" => 25,
            _ => 0,
        },
        _ => 0,
    }
}

fn tok_value(t: &Tok) -> String {
    match t {
        Tok::Op(o) => o.to_string(),
        Tok::Name(n) | Tok::Var(n) | Tok::Str(n) => n.clone(),
        Tok::Num(n) => crate::number::js_number_to_string(*n),
        Tok::Bool(b) => b.to_string(),
        Tok::Null => "null".into(),
        Tok::Regex(p, _) => p.clone(),
        Tok::End => "(end)".into(),
    }
}

impl<'a> Parser<'a> {
    fn is(&self, op: &str) -> bool {
        matches!(&self.tok, Tok::Op(o) if *o == op)
    }

    fn advance(&mut self, expect: Option<&str>, infix: bool) -> Result<(), Err> {
        if let Some(id) = expect {
            if !self.is(id) {
                let code = if self.tok == Tok::End {
                    "S0203"
                } else {
                    "S0202"
                };
                return Err(Err::new(code)
                    .pos(self.tpos)
                    .token(tok_value(&self.tok))
                    .value_str(id));
            }
        }
        let (t, p) = self.lex.next(infix)?;
        if let Tok::Op(o) = &t {
            if matches!(*o, "!" | "~") {
                return Err(Err::new("S0204").pos(p).token(*o));
            }
        }
        self.tok = t;
        self.tpos = p;
        Ok(())
    }

    /// `depth` bounds the depth of the tree being built (each infix operator nests its
    /// left operand one level deeper), so later recursive passes and drops are bounded too.
    fn deeper(&mut self) -> Result<(), Err> {
        self.depth += 1;
        if self.depth > MAX_PARSE_DEPTH {
            return Err(Err::new("U1001")
                .pos(self.tpos)
                .msg("Expression is too deeply nested"));
        }
        crate::value::stack_check()
            .map_err(|e| e.pos(self.tpos).msg("Expression is too deeply nested"))
    }

    fn expression(&mut self, rbp: u32) -> Result<Raw, Err> {
        let base = self.depth;
        self.deeper()?;
        let t = std::mem::replace(&mut self.tok, Tok::End);
        let tpos = self.tpos;
        self.tok = t.clone();
        self.advance(None, true)?;
        let mut left = self.nud(t, tpos)?;
        while rbp < lbp(&self.tok) {
            self.deeper()?;
            let t = self.tok.clone();
            let tpos = self.tpos;
            self.advance(None, false)?;
            left = self.led(t, tpos, left)?;
        }
        self.depth = base;
        Ok(left)
    }

    fn raw(r: R, pos: usize) -> Raw {
        Raw {
            r,
            pos,
            keep_array: false,
        }
    }

    fn nud(&mut self, t: Tok, pos: usize) -> Result<Raw, Err> {
        let r = match t {
            Tok::Name(n) => R::Name(n),
            Tok::Var(v) => R::Var(v),
            Tok::Str(s) => R::Str(s),
            Tok::Num(n) => R::Num(n),
            Tok::Bool(b) => R::Bool(b),
            Tok::Null => R::Null,
            Tok::Regex(p, f) => R::Regex(p, f),
            Tok::End => return Err(Err::new("S0207").pos(pos).token("(end)")),
            Tok::Op(op) => match op {
                "and" | "or" | "in" => R::OpName(op),
                "-" => R::Neg(Box::new(self.expression(70)?)),
                "*" => R::Wildcard,
                "**" => R::Descendant,
                "%" => R::Parent,
                "(" => {
                    let mut exprs = Vec::new();
                    while !self.is(")") {
                        exprs.push(self.expression(0)?);
                        if !self.is(";") {
                            break;
                        }
                        self.advance(Some(";"), false)?;
                    }
                    self.advance(Some(")"), true)?;
                    R::Block(exprs)
                }
                "[" => {
                    let mut items = Vec::new();
                    if !self.is("]") {
                        loop {
                            let mut item = self.expression(0)?;
                            if self.is("..") {
                                let p = self.tpos;
                                self.advance(Some(".."), false)?;
                                let rhs = self.expression(0)?;
                                item = Self::raw(R::Binary("..", Box::new(item), Box::new(rhs)), p);
                            }
                            items.push(item);
                            if !self.is(",") {
                                break;
                            }
                            self.advance(Some(","), false)?;
                        }
                    }
                    self.advance(Some("]"), true)?;
                    R::ArrayCons(items)
                }
                "{" => R::ObjCons(self.object_pairs()?),
                "|" => {
                    let pattern = self.expression(0)?;
                    self.advance(Some("|"), false)?;
                    let update = self.expression(0)?;
                    let mut delete = None;
                    if self.is(",") {
                        self.advance(Some(","), false)?;
                        delete = Some(Box::new(self.expression(0)?));
                    }
                    self.advance(Some("|"), false)?;
                    R::Transform(Box::new(pattern), Box::new(update), delete)
                }
                "?" => R::Placeholder,
                _ => return Err(Err::new("S0211").pos(pos).token(op)),
            },
        };
        Ok(Self::raw(r, pos))
    }

    fn object_pairs(&mut self) -> Result<Vec<(Raw, Raw)>, Err> {
        let mut pairs = Vec::new();
        if !self.is("}") {
            loop {
                let k = self.expression(0)?;
                self.advance(Some(":"), false)?;
                let v = self.expression(0)?;
                pairs.push((k, v));
                if !self.is(",") {
                    break;
                }
                self.advance(Some(","), false)?;
            }
        }
        self.advance(Some("}"), true)?;
        Ok(pairs)
    }

    fn led(&mut self, t: Tok, pos: usize, left: Raw) -> Result<Raw, Err> {
        let op = match t {
            Tok::Op(o) => o,
            _ => return Err(Err::new("S0201").pos(pos).token(tok_value(&t))),
        };
        let r = match op {
            "." | "+" | "-" | "*" | "/" | "%" | "=" | "<" | ">" | "!=" | "<=" | ">=" | "&"
            | "and" | "or" | "in" | "~>" => {
                let rhs = self.expression(lbp(&Tok::Op(op)))?;
                R::Binary(op, Box::new(left), Box::new(rhs))
            }
            "(" => {
                let mut args = Vec::new();
                let mut partial = false;
                if !self.is(")") {
                    loop {
                        if self.is("?") {
                            partial = true;
                            args.push(Self::raw(R::Placeholder, self.tpos));
                            self.advance(Some("?"), false)?;
                        } else {
                            args.push(self.expression(0)?);
                        }
                        if !self.is(",") {
                            break;
                        }
                        self.advance(Some(","), false)?;
                    }
                }
                self.advance(Some(")"), true)?;
                let is_lambda = matches!(&left.r, R::Name(n) if n == "function" || n == "λ");
                if is_lambda {
                    let mut params = Vec::new();
                    for (i, a) in args.iter().enumerate() {
                        match &a.r {
                            R::Var(v) => params.push(v.clone()),
                            other => {
                                return Err(Err::new("S0208")
                                    .pos(a.pos)
                                    .token(raw_token(other))
                                    .value_num((i + 1) as f64))
                            }
                        }
                    }
                    let mut sig = None;
                    if self.is("<") {
                        let sig_pos = self.tpos;
                        let mut depth = 1;
                        let mut s = String::from("<");
                        while depth > 0 && !self.is("{") && self.tok != Tok::End {
                            self.advance(None, false)?;
                            if self.is(">") {
                                depth -= 1;
                            } else if self.is("<") {
                                depth += 1;
                            }
                            s.push_str(&tok_value(&self.tok));
                        }
                        self.advance(Some(">"), false)?;
                        sig = Some(Signature::parse(&s).map_err(|e| {
                            let off = e.position.unwrap_or(0);
                            e.pos(sig_pos + off)
                        })?);
                    }
                    self.advance(Some("{"), false)?;
                    let body = self.expression(0)?;
                    self.advance(Some("}"), false)?;
                    R::Lambda(params, sig, Box::new(body))
                } else {
                    R::Func(Box::new(left), args, partial)
                }
            }
            "[" => {
                if self.is("]") {
                    let mut left = left;
                    mark_keep_array(&mut left);
                    self.advance(Some("]"), false)?;
                    return Ok(left);
                }
                let rhs = self.expression(0)?;
                self.advance(Some("]"), true)?;
                R::Binary("[", Box::new(left), Box::new(rhs))
            }
            "^" => {
                self.advance(Some("("), false)?;
                let mut terms = Vec::new();
                loop {
                    let mut desc = false;
                    if self.is("<") {
                        self.advance(Some("<"), false)?;
                    } else if self.is(">") {
                        desc = true;
                        self.advance(Some(">"), false)?;
                    }
                    terms.push((desc, self.expression(0)?));
                    if !self.is(",") {
                        break;
                    }
                    self.advance(Some(","), false)?;
                }
                self.advance(Some(")"), false)?;
                R::Sort(Box::new(left), terms)
            }
            "{" => R::Group(Box::new(left), self.object_pairs()?),
            ":=" => {
                if !matches!(left.r, R::Var(_)) {
                    return Err(Err::new("S0212").pos(left.pos).token(raw_token(&left.r)));
                }
                let rhs = self.expression(9)?;
                R::Binary(":=", Box::new(left), Box::new(rhs))
            }
            "@" | "#" => {
                let rhs = self.expression(80)?;
                if !matches!(rhs.r, R::Var(_)) {
                    return Err(Err::new("S0214").pos(rhs.pos).token(op));
                }
                R::Binary(op, Box::new(left), Box::new(rhs))
            }
            "?" => {
                let then = self.expression(0)?;
                let mut els = None;
                if self.is(":") {
                    self.advance(Some(":"), false)?;
                    els = Some(Box::new(self.expression(0)?));
                }
                R::Cond(Box::new(left), Box::new(then), els)
            }
            "??" => R::Coalesce(Box::new(left), Box::new(self.expression(0)?)),
            "?:" => R::Elvis(Box::new(left), Box::new(self.expression(0)?)),
            _ => return Err(Err::new("S0201").pos(pos).token(op)),
        };
        Ok(Self::raw(r, pos))
    }
}

fn raw_token(r: &R) -> String {
    match r {
        R::Name(n) | R::Var(n) | R::Str(n) => n.clone(),
        R::Num(n) => crate::number::js_number_to_string(*n),
        R::Bool(b) => b.to_string(),
        R::Null => "null".into(),
        R::OpName(o) => o.to_string(),
        R::Binary(o, _, _) => o.to_string(),
        _ => String::new(),
    }
}

fn mark_keep_array(r: &mut Raw) {
    let mut step = r;
    while let R::Binary("[", ref mut lhs, _) = step.r {
        step = lhs;
    }
    step.keep_array = true;
}

// ---------------------------------------------------------------------------
// Processed AST

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Concat,
    And,
    Or,
    Range,
    In,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::Eq => "=",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Concat => "&",
            BinOp::And => "and",
            BinOp::Or => "or",
            BinOp::Range => "..",
            BinOp::In => "in",
        }
    }
}

#[derive(Debug)]
pub struct RegexLit {
    pub source: String,
    pub re: fancy_regex::Regex,
}

#[derive(Debug)]
pub struct LambdaDef {
    pub params: Vec<Arc<str>>,
    pub signature: Option<Signature>,
    pub body: Node,
    pub thunk: bool,
}

#[derive(Debug)]
pub struct TransformDef {
    pub pattern: Node,
    pub update: Node,
    pub delete: Option<Node>,
    pub pos: usize,
}

#[derive(Debug)]
pub struct SortTerm {
    pub descending: bool,
    pub expr: Node,
}

#[derive(Debug)]
pub struct GroupDef {
    pub pairs: Vec<(Node, Node)>,
    pub pos: usize,
}

#[derive(Debug)]
pub enum Stage {
    Filter(Node),
    Index(Arc<str>),
}

#[derive(Debug)]
pub enum Kind {
    Path(Vec<Node>),
    Name(Arc<str>),
    Str(Arc<str>),
    Num(f64),
    Bool(bool),
    Null,
    Wildcard,
    Descendant,
    /// `%`: slot id, resolved to a label after parsing
    Parent(usize),
    Var(Arc<str>),
    Regex(Arc<RegexLit>),
    Binary(BinOp, Box<Node>, Box<Node>),
    Neg(Box<Node>),
    Array(Vec<Node>),
    Object(Box<GroupDef>),
    Cond(Box<Node>, Box<Node>, Option<Box<Node>>),
    Coalesce(Box<Node>, Box<Node>),
    Elvis(Box<Node>, Box<Node>),
    Block(Vec<Node>),
    Bind(Arc<str>, Box<Node>),
    Function(Box<Node>, Vec<Node>),
    Partial(Box<Node>, Vec<Option<Node>>),
    Lambda(Arc<LambdaDef>),
    Apply(Box<Node>, Box<Node>),
    Sort(Vec<SortTerm>),
    Transform(Arc<TransformDef>),
    Placeholder,
}

#[derive(Debug)]
pub struct Node {
    pub kind: Kind,
    pub pos: usize,
    pub keep_array: bool,
    pub cons_array: bool,
    pub keep_singleton_array: bool,
    pub tuple: bool,
    pub stages: Vec<Stage>,
    pub predicate: Vec<Node>,
    pub group: Option<Box<GroupDef>>,
    pub focus: Option<Arc<str>>,
    pub index: Option<Arc<str>>,
    /// slot id while parsing; label via `labels` after
    pub ancestor: Option<usize>,
    pub seeking_parent: Vec<usize>,
    pub label: Option<Arc<str>>,
}

impl Node {
    pub fn new(kind: Kind, pos: usize) -> Node {
        Node {
            kind,
            pos,
            keep_array: false,
            cons_array: false,
            keep_singleton_array: false,
            tuple: false,
            stages: Vec::new(),
            predicate: Vec::new(),
            group: None,
            focus: None,
            index: None,
            ancestor: None,
            seeking_parent: Vec::new(),
            label: None,
        }
    }
    fn type_name(&self) -> &'static str {
        match &self.kind {
            Kind::Path(_) => "path",
            Kind::Name(_) => "name",
            Kind::Str(_) => "string",
            Kind::Num(_) => "number",
            Kind::Bool(_) | Kind::Null => "value",
            Kind::Wildcard => "wildcard",
            Kind::Descendant => "descendant",
            Kind::Parent(_) => "parent",
            Kind::Var(_) => "variable",
            Kind::Regex(_) => "regex",
            Kind::Binary(..) => "binary",
            Kind::Neg(_) | Kind::Array(_) | Kind::Object(_) => "unary",
            Kind::Cond(..) | Kind::Coalesce(..) | Kind::Elvis(..) => "condition",
            Kind::Block(_) => "block",
            Kind::Bind(..) => "bind",
            Kind::Function(..) => "function",
            Kind::Partial(..) => "partial",
            Kind::Lambda(_) => "lambda",
            Kind::Apply(..) => "apply",
            Kind::Sort(_) => "sort",
            Kind::Transform(..) => "transform",
            Kind::Placeholder => "operator",
        }
    }
}

struct Slot {
    label: usize,
    level: i32,
}

struct Post {
    slots: Vec<Slot>,
    depth: usize,
}

impl Post {
    fn seek_parent(&mut self, node: &mut Node, slot: usize) -> Result<usize, Err> {
        match &mut node.kind {
            Kind::Name(_) | Kind::Wildcard => {
                self.slots[slot].level -= 1;
                if self.slots[slot].level == 0 {
                    if let Some(old) = node.ancestor {
                        self.slots[slot].label = self.slots[old].label;
                    }
                    node.ancestor = Some(slot);
                    node.tuple = true;
                }
            }
            Kind::Parent(_) => self.slots[slot].level += 1,
            Kind::Block(exprs) => {
                if let Some(last) = exprs.last_mut() {
                    node.tuple = true;
                    return self.seek_parent(last, slot);
                }
            }
            Kind::Path(steps) => {
                node.tuple = true;
                let mut index = steps.len() as isize - 1;
                let mut slot = slot;
                if let Some(s) = steps.get_mut(index as usize) {
                    slot = self.seek_parent(s, slot)?;
                }
                index -= 1;
                while self.slots[slot].level > 0 && index >= 0 {
                    if let Some(s) = steps.get_mut(index as usize) {
                        slot = self.seek_parent(s, slot)?;
                    }
                    index -= 1;
                }
                return Ok(slot);
            }
            _ => {
                return Err(Err::new("S0217").pos(node.pos).token(node.type_name()));
            }
        }
        Ok(slot)
    }

    fn push_ancestry(result: &mut Vec<usize>, value: &Node) {
        result.extend_from_slice(&value.seeking_parent);
        if let Kind::Parent(s) = value.kind {
            result.push(s);
        }
    }

    fn resolve_ancestry(&mut self, path: &mut Node) -> Result<(), Err> {
        let Kind::Path(steps) = &mut path.kind else {
            return Ok(());
        };
        let Some(last) = steps.last() else {
            return Ok(());
        };
        let mut slots = last.seeking_parent.clone();
        if let Kind::Parent(s) = last.kind {
            slots.push(s);
        }
        let mut extra = Vec::new();
        for slot0 in slots {
            let mut slot = slot0;
            let mut index = steps.len() as isize - 2;
            while self.slots[slot].level > 0 {
                if index < 0 {
                    extra.push(slot);
                    break;
                }
                let mut si = index as usize;
                index -= 1;
                while index >= 0
                    && steps[si].focus.is_some()
                    && steps[index as usize].focus.is_some()
                {
                    si = index as usize;
                    index -= 1;
                }
                slot = self.seek_parent(&mut steps[si], slot)?;
            }
        }
        path.seeking_parent.extend(extra);
        Ok(())
    }

    fn process(&mut self, raw: Raw) -> Result<Node, Err> {
        self.depth += 1;
        if self.depth > MAX_PARSE_DEPTH + 10 {
            return Err(Err::new("U1001")
                .pos(raw.pos)
                .msg("Expression is too deeply nested"));
        }
        crate::value::stack_check()
            .map_err(|e| e.pos(raw.pos).msg("Expression is too deeply nested"))?;
        let keep = raw.keep_array;
        let mut n = self.process_inner(raw)?;
        if keep {
            n.keep_array = true;
        }
        self.depth -= 1;
        Ok(n)
    }

    fn process_inner(&mut self, raw: Raw) -> Result<Node, Err> {
        let pos = raw.pos;
        let is_coalesce = matches!(raw.r, R::Coalesce(..));
        Ok(match raw.r {
            R::Binary(".", lhs, rhs) => {
                let lstep = self.process(*lhs)?;
                let mut result = if matches!(lstep.kind, Kind::Path(_)) {
                    lstep
                } else {
                    let is_parent = if let Kind::Parent(s) = lstep.kind {
                        Some(s)
                    } else {
                        None
                    };
                    let mut p = Node::new(Kind::Path(vec![lstep]), pos);
                    if let Some(s) = is_parent {
                        p.seeking_parent = vec![s];
                    }
                    p
                };
                let mut rest = self.process(*rhs)?;
                let Kind::Path(steps) = &mut result.kind else {
                    return Err(Err::new("S0201").pos(pos));
                };
                if let Kind::Path(rsteps) = rest.kind {
                    steps.extend(rsteps);
                } else {
                    if !rest.predicate.is_empty() {
                        let preds = std::mem::take(&mut rest.predicate);
                        rest.stages.extend(preds.into_iter().map(Stage::Filter));
                    }
                    steps.push(rest);
                }
                for step in steps.iter_mut() {
                    match &step.kind {
                        Kind::Num(v) => {
                            return Err(Err::new("S0213").pos(step.pos).value_num(*v));
                        }
                        Kind::Bool(b) => {
                            return Err(Err::new("S0213").pos(step.pos).value_bool(*b));
                        }
                        Kind::Null => return Err(Err::new("S0213").pos(step.pos).value_null()),
                        Kind::Str(s) => step.kind = Kind::Name(s.clone()),
                        _ => {}
                    }
                }
                if steps.iter().any(|s| s.keep_array) {
                    result.keep_singleton_array = true;
                }
                if let Some(first) = steps.first_mut() {
                    if matches!(first.kind, Kind::Array(_)) {
                        first.cons_array = true;
                    }
                }
                if let Some(last) = steps.last_mut() {
                    if matches!(last.kind, Kind::Array(_)) {
                        last.cons_array = true;
                    }
                }
                self.resolve_ancestry(&mut result)?;
                result
            }
            R::Binary("[", lhs, rhs) => {
                let mut result = self.process(*lhs)?;
                let is_path = matches!(result.kind, Kind::Path(_));
                let predicate = self.process(*rhs)?;
                {
                    let step: &mut Node = if let Kind::Path(steps) = &mut result.kind {
                        match steps.last_mut() {
                            Some(s) => s,
                            None => return Err(Err::new("S0201").pos(pos)),
                        }
                    } else {
                        &mut result
                    };
                    if step.group.is_some() {
                        return Err(Err::new("S0209").pos(pos));
                    }
                    if !predicate.seeking_parent.is_empty() {
                        let sp = predicate.seeking_parent.clone();
                        for slot in sp {
                            if self.slots[slot].level == 1 {
                                self.seek_parent(step, slot)?;
                            } else {
                                self.slots[slot].level -= 1;
                            }
                        }
                        let mut sp2 = std::mem::take(&mut step.seeking_parent);
                        Self::push_ancestry(&mut sp2, &predicate);
                        step.seeking_parent = sp2;
                    }
                    if is_path {
                        step.stages.push(Stage::Filter(predicate));
                    } else {
                        step.predicate.push(predicate);
                    }
                }
                result
            }
            R::Group(lhs, pairs) => {
                let mut result = self.process(*lhs)?;
                if result.group.is_some() {
                    return Err(Err::new("S0210").pos(pos));
                }
                let mut ps = Vec::new();
                for (k, v) in pairs {
                    ps.push((self.process(k)?, self.process(v)?));
                }
                result.group = Some(Box::new(GroupDef { pairs: ps, pos }));
                result
            }
            R::Sort(lhs, terms) => {
                let mut result = self.process(*lhs)?;
                if !matches!(result.kind, Kind::Path(_)) {
                    result = Node::new(Kind::Path(vec![result]), pos);
                }
                let mut sort_terms = Vec::new();
                let mut seeking = Vec::new();
                for (desc, t) in terms {
                    let e = self.process(t)?;
                    Self::push_ancestry(&mut seeking, &e);
                    sort_terms.push(SortTerm {
                        descending: desc,
                        expr: e,
                    });
                }
                let mut sort = Node::new(Kind::Sort(sort_terms), pos);
                sort.seeking_parent = seeking;
                if let Kind::Path(steps) = &mut result.kind {
                    steps.push(sort);
                }
                self.resolve_ancestry(&mut result)?;
                result
            }
            R::Binary(":=", lhs, rhs) => {
                let name = match lhs.r {
                    R::Var(v) => v,
                    _ => return Err(Err::new("S0212").pos(lhs.pos)),
                };
                let rhs = self.process(*rhs)?;
                let mut sp = Vec::new();
                Self::push_ancestry(&mut sp, &rhs);
                let mut n = Node::new(Kind::Bind(name.into(), Box::new(rhs)), pos);
                n.seeking_parent = sp;
                n
            }
            R::Binary("@", lhs, rhs) => {
                let mut result = self.process(*lhs)?;
                let var: Arc<str> = match rhs.r {
                    R::Var(v) => v.into(),
                    _ => return Err(Err::new("S0214").pos(rhs.pos).token("@")),
                };
                let step: &mut Node = if let Kind::Path(steps) = &mut result.kind {
                    match steps.last_mut() {
                        Some(s) => s,
                        None => return Err(Err::new("S0201").pos(pos)),
                    }
                } else {
                    &mut result
                };
                if !step.stages.is_empty() || !step.predicate.is_empty() {
                    return Err(Err::new("S0215").pos(pos));
                }
                if matches!(step.kind, Kind::Sort(_)) {
                    return Err(Err::new("S0216").pos(pos));
                }
                if raw.keep_array {
                    step.keep_array = true;
                }
                step.focus = Some(var);
                step.tuple = true;
                result
            }
            R::Binary("#", lhs, rhs) => {
                let mut result = self.process(*lhs)?;
                let var: Arc<str> = match rhs.r {
                    R::Var(v) => v.into(),
                    _ => return Err(Err::new("S0214").pos(rhs.pos).token("#")),
                };
                if !matches!(result.kind, Kind::Path(_)) {
                    let mut inner = result;
                    if !inner.predicate.is_empty() {
                        let preds = std::mem::take(&mut inner.predicate);
                        inner.stages.extend(preds.into_iter().map(Stage::Filter));
                    }
                    result = Node::new(Kind::Path(vec![inner]), pos);
                }
                if let Kind::Path(steps) = &mut result.kind {
                    if let Some(step) = steps.last_mut() {
                        if step.stages.is_empty() {
                            step.index = Some(var);
                        } else {
                            step.stages.push(Stage::Index(var));
                        }
                        step.tuple = true;
                    }
                }
                result
            }
            R::Binary("~>", lhs, rhs) => {
                let l = self.process(*lhs)?;
                let r = self.process(*rhs)?;
                Node::new(Kind::Apply(Box::new(l), Box::new(r)), pos)
            }
            R::Binary(op, lhs, rhs) => {
                let bop = match op {
                    "+" => BinOp::Add,
                    "-" => BinOp::Sub,
                    "*" => BinOp::Mul,
                    "/" => BinOp::Div,
                    "%" => BinOp::Mod,
                    "=" => BinOp::Eq,
                    "!=" => BinOp::Ne,
                    "<" => BinOp::Lt,
                    "<=" => BinOp::Le,
                    ">" => BinOp::Gt,
                    ">=" => BinOp::Ge,
                    "&" => BinOp::Concat,
                    "and" => BinOp::And,
                    "or" => BinOp::Or,
                    ".." => BinOp::Range,
                    "in" => BinOp::In,
                    _ => return Err(Err::new("S0201").pos(pos).token(op)),
                };
                let l = self.process(*lhs)?;
                let r = self.process(*rhs)?;
                let mut sp = Vec::new();
                Self::push_ancestry(&mut sp, &l);
                Self::push_ancestry(&mut sp, &r);
                let mut n = Node::new(Kind::Binary(bop, Box::new(l), Box::new(r)), pos);
                n.seeking_parent = sp;
                n
            }
            R::ArrayCons(items) => {
                let mut sp = Vec::new();
                let mut v = Vec::new();
                for it in items {
                    let n = self.process(it)?;
                    Self::push_ancestry(&mut sp, &n);
                    v.push(n);
                }
                let mut n = Node::new(Kind::Array(v), pos);
                n.seeking_parent = sp;
                n
            }
            R::ObjCons(pairs) => {
                let mut sp = Vec::new();
                let mut ps = Vec::new();
                for (k, v) in pairs {
                    let k = self.process(k)?;
                    Self::push_ancestry(&mut sp, &k);
                    let v = self.process(v)?;
                    Self::push_ancestry(&mut sp, &v);
                    ps.push((k, v));
                }
                let mut n = Node::new(Kind::Object(Box::new(GroupDef { pairs: ps, pos })), pos);
                n.seeking_parent = sp;
                n
            }
            R::Neg(e) => {
                let e = self.process(*e)?;
                if let Kind::Num(v) = e.kind {
                    let mut n = e;
                    n.kind = Kind::Num(-v);
                    n
                } else {
                    let mut sp = Vec::new();
                    Self::push_ancestry(&mut sp, &e);
                    let mut n = Node::new(Kind::Neg(Box::new(e)), pos);
                    n.seeking_parent = sp;
                    n
                }
            }
            R::Func(proc_, args, partial) => {
                let mut sp = Vec::new();
                let proc_ = self.process(*proc_)?;
                if partial {
                    let mut v = Vec::new();
                    for a in args {
                        if matches!(a.r, R::Placeholder) {
                            v.push(None);
                        } else {
                            let n = self.process(a)?;
                            Self::push_ancestry(&mut sp, &n);
                            v.push(Some(n));
                        }
                    }
                    let mut n = Node::new(Kind::Partial(Box::new(proc_), v), pos);
                    n.seeking_parent = sp;
                    n
                } else {
                    let mut v = Vec::new();
                    for a in args {
                        let n = self.process(a)?;
                        Self::push_ancestry(&mut sp, &n);
                        v.push(n);
                    }
                    let mut n = Node::new(Kind::Function(Box::new(proc_), v), pos);
                    n.seeking_parent = sp;
                    n
                }
            }
            R::Lambda(params, sig, body) => {
                let body = self.process(*body)?;
                let body = tail_call_optimize(body);
                Node::new(
                    Kind::Lambda(Arc::new(LambdaDef {
                        params: params.into_iter().map(Arc::from).collect(),
                        signature: sig,
                        body,
                        thunk: false,
                    })),
                    pos,
                )
            }
            R::Cond(c, t, e) => {
                let mut sp = Vec::new();
                let c = self.process(*c)?;
                Self::push_ancestry(&mut sp, &c);
                let t = self.process(*t)?;
                Self::push_ancestry(&mut sp, &t);
                let e = match e {
                    Some(e) => {
                        let e = self.process(*e)?;
                        Self::push_ancestry(&mut sp, &e);
                        Some(Box::new(e))
                    }
                    None => None,
                };
                let mut n = Node::new(Kind::Cond(Box::new(c), Box::new(t), e), pos);
                n.seeking_parent = sp;
                n
            }
            R::Coalesce(a, b) | R::Elvis(a, b) => {
                let mut sp = Vec::new();
                let a = self.process(*a)?;
                Self::push_ancestry(&mut sp, &a);
                let b = self.process(*b)?;
                Self::push_ancestry(&mut sp, &b);
                let kind = if is_coalesce {
                    Kind::Coalesce(Box::new(a), Box::new(b))
                } else {
                    Kind::Elvis(Box::new(a), Box::new(b))
                };
                let mut n = Node::new(kind, pos);
                n.seeking_parent = sp;
                n
            }
            R::Transform(p, u, d) => {
                let p = self.process(*p)?;
                let u = self.process(*u)?;
                let d = match d {
                    Some(d) => Some(self.process(*d)?),
                    None => None,
                };
                Node::new(
                    Kind::Transform(Arc::new(TransformDef {
                        pattern: p,
                        update: u,
                        delete: d,
                        pos,
                    })),
                    pos,
                )
            }
            R::Block(exprs) => {
                let mut sp = Vec::new();
                let mut v = Vec::new();
                let mut cons = false;
                for e in exprs {
                    let n = self.process(e)?;
                    Self::push_ancestry(&mut sp, &n);
                    if n.cons_array
                        || matches!(&n.kind, Kind::Path(s) if s.first().is_some_and(|f| f.cons_array))
                    {
                        cons = true;
                    }
                    v.push(n);
                }
                let mut n = Node::new(Kind::Block(v), pos);
                n.seeking_parent = sp;
                n.cons_array = cons;
                n
            }
            R::Name(name) => {
                let step = Node::new(Kind::Name(name.into()), pos);
                let mut p = Node::new(Kind::Path(vec![step]), pos);
                if raw.keep_array {
                    p.keep_singleton_array = true;
                    if let Kind::Path(s) = &mut p.kind {
                        s[0].keep_array = true;
                    }
                }
                p
            }
            R::OpName(op) => {
                let step = Node::new(Kind::Name(op.into()), pos);
                let mut p = Node::new(Kind::Path(vec![step]), pos);
                if raw.keep_array {
                    p.keep_singleton_array = true;
                }
                p
            }
            R::Parent => {
                let id = self.slots.len();
                self.slots.push(Slot {
                    label: id,
                    level: 1,
                });
                Node::new(Kind::Parent(id), pos)
            }
            R::Str(s) => Node::new(Kind::Str(s.into()), pos),
            R::Num(v) => Node::new(Kind::Num(v), pos),
            R::Bool(b) => Node::new(Kind::Bool(b), pos),
            R::Null => Node::new(Kind::Null, pos),
            R::Wildcard => Node::new(Kind::Wildcard, pos),
            R::Descendant => Node::new(Kind::Descendant, pos),
            R::Var(v) => Node::new(Kind::Var(v.into()), pos),
            R::Placeholder => Node::new(Kind::Placeholder, pos),
            R::Regex(p, f) => Node::new(Kind::Regex(Arc::new(compile_regex(&p, &f, pos)?)), pos),
        })
    }
}

/// Translate a JavaScript regular expression to the Rust engine's dialect.
pub fn compile_regex(pattern: &str, flags: &str, pos: usize) -> Result<RegexLit, Err> {
    let mut out = String::new();
    if flags.contains('i') || flags.contains('m') {
        out.push_str("(?");
        if flags.contains('i') {
            out.push('i');
        }
        if flags.contains('m') {
            out.push('m');
        }
        out.push(')');
    }
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    let mut in_class = false;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            match chars.get(i + 1) {
                Some('/') => out.push('/'),
                Some('d') => out.push_str(if in_class { "0-9" } else { "[0-9]" }),
                Some('D') => out.push_str(if in_class { "\\D" } else { "[^0-9]" }),
                // JavaScript's \w is ASCII-only
                Some('w') => out.push_str(if in_class {
                    "a-zA-Z0-9_"
                } else {
                    "[a-zA-Z0-9_]"
                }),
                Some('W') => out.push_str(if in_class { "\\W" } else { "[^a-zA-Z0-9_]" }),
                Some(n) => {
                    out.push('\\');
                    out.push(*n);
                }
                None => out.push_str("\\\\"),
            }
            i += 2;
            continue;
        }
        if in_class {
            if c == ']' {
                in_class = false;
            } else if c == '[' {
                out.push('\\');
            }
        } else if c == '[' {
            in_class = true;
            out.push(c);
            if chars.get(i + 1) == Some(&'^') {
                out.push('^');
                i += 1;
            }
            if chars.get(i + 1) == Some(&']') {
                out.push_str("\\]");
                i += 1;
            }
            i += 1;
            continue;
        }
        out.push(c);
        i += 1;
    }
    match fancy_regex::Regex::new(&out) {
        Ok(re) => Ok(RegexLit {
            source: pattern.to_string(),
            re,
        }),
        Err(_) => Err(Err::new("S0302").pos(pos).token(pattern)),
    }
}

fn tail_call_optimize(mut expr: Node) -> Node {
    match &mut expr.kind {
        Kind::Function(..) if expr.predicate.is_empty() => {
            let pos = expr.pos;
            Node::new(
                Kind::Lambda(Arc::new(LambdaDef {
                    params: Vec::new(),
                    signature: None,
                    body: expr,
                    thunk: true,
                })),
                pos,
            )
        }
        Kind::Cond(_, t, e) => {
            let tt = std::mem::replace(t.as_mut(), Node::new(Kind::Null, 0));
            **t = tail_call_optimize(tt);
            if let Some(e) = e {
                let ee = std::mem::replace(e.as_mut(), Node::new(Kind::Null, 0));
                **e = tail_call_optimize(ee);
            }
            expr
        }
        Kind::Block(exprs) => {
            if let Some(last) = exprs.pop() {
                exprs.push(tail_call_optimize(last));
            }
            expr
        }
        _ => expr,
    }
}

fn assign_labels(node: &mut Node, slots: &[Slot]) {
    let label_of = |id: usize| -> Arc<str> {
        let l = slots.get(id).map(|s| s.label).unwrap_or(id);
        Arc::from(format!("!{l}"))
    };
    if let Some(a) = node.ancestor {
        node.label = Some(label_of(a));
    }
    if let Kind::Parent(id) = node.kind {
        node.label = Some(label_of(id));
    }
    node.seeking_parent = Vec::new();
    for st in node.stages.iter_mut() {
        if let Stage::Filter(n) = st {
            assign_labels(n, slots);
        }
    }
    for p in node.predicate.iter_mut() {
        assign_labels(p, slots);
    }
    if let Some(g) = &mut node.group {
        for (k, v) in g.pairs.iter_mut() {
            assign_labels(k, slots);
            assign_labels(v, slots);
        }
    }
    match &mut node.kind {
        Kind::Path(v) | Kind::Array(v) | Kind::Block(v) => {
            for n in v {
                assign_labels(n, slots);
            }
        }
        Kind::Binary(_, a, b) | Kind::Coalesce(a, b) | Kind::Elvis(a, b) | Kind::Apply(a, b) => {
            assign_labels(a, slots);
            assign_labels(b, slots);
        }
        Kind::Neg(a) | Kind::Bind(_, a) => assign_labels(a, slots),
        Kind::Object(g) => {
            for (k, v) in g.pairs.iter_mut() {
                assign_labels(k, slots);
                assign_labels(v, slots);
            }
        }
        Kind::Cond(a, b, c) => {
            assign_labels(a, slots);
            assign_labels(b, slots);
            if let Some(c) = c {
                assign_labels(c, slots);
            }
        }
        Kind::Transform(def) => {
            if let Some(d) = Arc::get_mut(def) {
                assign_labels(&mut d.pattern, slots);
                assign_labels(&mut d.update, slots);
                if let Some(c) = &mut d.delete {
                    assign_labels(c, slots);
                }
            }
        }
        Kind::Function(p, args) => {
            assign_labels(p, slots);
            for a in args {
                assign_labels(a, slots);
            }
        }
        Kind::Partial(p, args) => {
            assign_labels(p, slots);
            for a in args.iter_mut().flatten() {
                assign_labels(a, slots);
            }
        }
        Kind::Lambda(def) => {
            if let Some(d) = Arc::get_mut(def) {
                assign_labels(&mut d.body, slots);
            }
        }
        Kind::Sort(terms) => {
            for t in terms {
                assign_labels(&mut t.expr, slots);
            }
        }
        _ => {}
    }
}

/// Parse a JSONata expression to the processed AST.
pub fn parse(src: &str) -> Result<Node, Err> {
    parse_with_budget(src, crate::DEFAULT_STACK_LIMIT)
}

/// Parse using at most `budget` bytes of native stack, unless an evaluation running on this
/// thread (`$eval`) has already set its own budget.
pub fn parse_with_budget(src: &str, budget: usize) -> Result<Node, Err> {
    let prev = crate::value::set_stack_budget_if_unset(budget);
    let r = parse_inner(src);
    if let Some(prev) = prev {
        crate::value::restore_stack_floor(prev);
    }
    r
}

fn parse_inner(src: &str) -> Result<Node, Err> {
    let mut p = Parser {
        lex: Lexer::new(src),
        tok: Tok::End,
        tpos: 0,
        depth: 0,
    };
    p.advance(None, false)?;
    let raw = p.expression(0)?;
    if p.tok != Tok::End {
        return Err(Err::new("S0201").pos(p.tpos).token(tok_value(&p.tok)));
    }
    let mut post = Post {
        slots: Vec::new(),
        depth: 0,
    };
    let mut node = post.process(raw)?;
    if matches!(node.kind, Kind::Parent(_)) || !node.seeking_parent.is_empty() {
        return Err(Err::new("S0217").pos(node.pos).token(node.type_name()));
    }
    assign_labels(&mut node, &post.slots);
    Ok(node)
}
