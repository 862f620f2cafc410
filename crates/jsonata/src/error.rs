//! Errors with jsonata-js's codes and message templates.

use crate::value::Value;

/// An error raised while compiling or evaluating an expression, as jsonata-js reports it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Error {
    /// jsonata-js error code, e.g. `T2001`, `D3001`, `S0201`, `U1001`.
    pub code: String,
    /// Character offset in the expression where jsonata-js reports the error.
    pub position: Option<usize>,
    /// The message, worded as jsonata-js words it.
    pub message: String,
    /// The token jsonata-js attaches (operator or function name), when there is one.
    pub token: Option<String>,
    /// The offending value jsonata-js attaches, when there is one.
    pub value: Option<Box<serde_json::Value>>,
}

/// Internal error under construction; turned into [`Error`] at the API boundary. Boxed so
/// that `Result`s on the evaluator's hot paths stay small.
#[derive(Debug, Clone)]
pub(crate) struct Err(Box<ErrData>);

impl std::ops::Deref for Err {
    type Target = ErrData;
    fn deref(&self) -> &ErrData {
        &self.0
    }
}

impl std::ops::DerefMut for Err {
    fn deref_mut(&mut self) -> &mut ErrData {
        &mut self.0
    }
}

#[derive(Debug, Clone)]
pub(crate) struct ErrData {
    pub code: std::borrow::Cow<'static, str>,
    pub position: Option<usize>,
    pub token: Option<String>,
    pub value: Option<Value>,
    pub value2: Option<Value>,
    pub index: Option<usize>,
    pub type_: Option<&'static str>,
    pub exp: Option<Value>,
    pub message: Option<String>,
}

impl Err {
    pub fn new(code: &'static str) -> Err {
        Err(Box::new(ErrData {
            code: std::borrow::Cow::Borrowed(code),
            position: None,
            token: None,
            value: None,
            value2: None,
            index: None,
            type_: None,
            exp: None,
            message: None,
        }))
    }
    pub fn pos(mut self, p: usize) -> Err {
        self.position = Some(p);
        self
    }
    pub fn token(mut self, t: impl Into<String>) -> Err {
        self.token = Some(t.into());
        self
    }
    pub fn value(mut self, v: Option<Value>) -> Err {
        self.value = v;
        self
    }
    pub fn value_str(mut self, s: &str) -> Err {
        self.value = Some(Value::string(s));
        self
    }
    pub fn value_num(mut self, n: f64) -> Err {
        self.value = Some(Value::Number(n));
        self
    }
    pub fn value_bool(mut self, b: bool) -> Err {
        self.value = Some(Value::Bool(b));
        self
    }
    pub fn value_null(mut self) -> Err {
        self.value = Some(Value::Null);
        self
    }
    pub fn value2(mut self, v: Option<Value>) -> Err {
        self.value2 = v;
        self
    }
    pub fn index(mut self, i: usize) -> Err {
        self.index = Some(i);
        self
    }
    pub fn msg(mut self, m: impl Into<String>) -> Err {
        self.message = Some(m.into());
        self
    }

    pub fn template(code: &str) -> Option<&'static str> {
        Some(match code {
            "S0101" => "String literal must be terminated by a matching quote",
            "S0102" => "Number out of range: {{token}}",
            "S0103" => "Unsupported escape sequence: \\{{token}}",
            "S0104" => "The escape sequence \\u must be followed by 4 hex digits",
            "S0105" => "Quoted property name must be terminated with a backquote (`)",
            "S0106" => "Comment has no closing tag",
            "S0201" => "Syntax error: {{token}}",
            "S0202" => "Expected {{value}}, got {{token}}",
            "S0203" => "Expected {{value}} before end of expression",
            "S0204" => "Unknown operator: {{token}}",
            "S0205" => "Unexpected token: {{token}}",
            "S0206" => "Unknown expression type: {{token}}",
            "S0207" => "Unexpected end of expression",
            "S0208" => "Parameter {{value}} of function definition must be a variable name (start with $)",
            "S0209" => "A predicate cannot follow a grouping expression in a step",
            "S0210" => "Each step can only have one grouping expression",
            "S0211" => "The symbol {{token}} cannot be used as a unary operator",
            "S0212" => "The left side of := must be a variable name (start with $)",
            "S0213" => "The literal value {{value}} cannot be used as a step within a path expression",
            "S0214" => "The right side of {{token}} must be a variable name (start with $)",
            "S0215" => "A context variable binding must precede any predicates on a step",
            "S0216" => "A context variable binding must precede the 'order-by' clause on a step",
            "S0217" => "The object representing the 'parent' cannot be derived from this expression",
            "S0301" => "Empty regular expressions are not allowed",
            "S0302" => "No terminating / in regular expression",
            "S0402" => "Choice groups containing parameterized types are not supported",
            "S0401" => "Type parameters can only be applied to functions and arrays",
            "S0500" => "Attempted to evaluate an expression containing syntax error(s)",
            "T0410" => "Argument {{index}} of function {{token}} does not match function signature",
            "T0411" => "Context value is not a compatible type with argument {{index}} of function {{token}}",
            "T0412" => "Argument {{index}} of function {{token}} must be an array of {{type}}",
            "D1001" => "Number out of range: {{value}}",
            "D1002" => "Cannot negate a non-numeric value: {{value}}",
            "T1003" => "Key in object structure must evaluate to a string; got: {{value}}",
            "D1004" => "Regular expression matches zero length string",
            "T1005" => "Attempted to invoke a non-function. Did you mean ${{{token}}}?",
            "T1006" => "Attempted to invoke a non-function",
            "T1007" => "Attempted to partially apply a non-function. Did you mean ${{{token}}}?",
            "T1008" => "Attempted to partially apply a non-function",
            "D1009" => "Multiple key definitions evaluate to same key: {{value}}",
            "D1010" => "Attempted to access the Javascript object prototype",
            "T1010" => "The matcher function argument passed to function {{token}} does not return the correct object structure",
            "T2001" => "The left side of the {{token}} operator must evaluate to a number",
            "T2002" => "The right side of the {{token}} operator must evaluate to a number",
            "T2003" => "The left side of the range operator (..) must evaluate to an integer",
            "T2004" => "The right side of the range operator (..) must evaluate to an integer",
            "D2005" => "The left side of := must be a variable name (start with $)",
            "T2006" => "The right side of the function application operator ~> must be a function",
            "T2007" => "Type mismatch when comparing values {{value}} and {{value2}} in order-by clause",
            "T2008" => "The expressions within an order-by clause must evaluate to numeric or string values",
            "T2009" => "The values {{value}} and {{value2}} either side of operator {{token}} must be of the same data type",
            "T2010" => "The expressions either side of operator {{token}} must evaluate to numeric or string values",
            "T2011" => "The insert/update clause of the transform expression must evaluate to an object: {{value}}",
            "T2012" => "The delete clause of the transform expression must evaluate to a string or array of strings: {{value}}",
            "T2013" => "The transform expression clones the input object using the $clone() function.  This has been overridden in the current scope by a non-function.",
            "D2014" => "The size of the sequence allocated by the range operator (..) must not exceed 1e7.  Attempted to allocate {{value}}.",
            "D3001" => "Attempting to invoke string function on Infinity or NaN",
            "D3010" => "Second argument of replace function cannot be an empty string",
            "D3011" => "Fourth argument of replace function must evaluate to a positive number",
            "D3012" => "Attempted to replace a matched string with a non-string value",
            "D3020" => "Third argument of split function must evaluate to a positive number",
            "D3030" => "Unable to cast value to a number: {{value}}",
            "D3040" => "Third argument of match function must evaluate to a positive number",
            "D3050" => "The second argument of reduce function must be a function with at least two arguments",
            "D3060" => "The sqrt function cannot be applied to a negative number: {{value}}",
            "D3061" => "The power function has resulted in a value that cannot be represented as a JSON number: base={{value}}, exponent={{exp}}",
            "D3070" => "The single argument form of the sort function can only be applied to an array of strings or an array of numbers.  Use the second argument to specify a comparison function",
            "D3100" => "The radix of the formatBase function must be between 2 and 36.  It was given {{value}}",
            "D3110" => "The argument of the toMillis function must be an ISO 8601 formatted timestamp. Given {{value}}",
            "D3120" => "Syntax error in expression passed to function eval: {{value}}",
            "D3121" => "Dynamic error evaluating the expression passed to function eval: {{value}}",
            "D3137" => "{{{message}}}",
            "D3138" => "The $single() function expected exactly 1 matching result.  Instead it matched more.",
            "D3139" => "The $single() function expected exactly 1 matching result.  Instead it matched 0.",
            "D3141" => "{{{message}}}",
            "U1001" => "Stack overflow error: Check for non-terminating recursive function.  Consider rewriting as tail-recursive.",
            "U1002" => "Expression evaluation timeout: Check for infinite loop",
            _ => return None,
        })
    }

    pub fn message_text(&self) -> String {
        if let Some(m) = &self.message {
            return m.clone();
        }
        let Some(t) = Self::template(&self.code) else {
            return self.message.clone().unwrap_or_default();
        };
        let json = |v: &Option<Value>| -> String {
            match v {
                None => "undefined".into(),
                Some(v) => crate::value::stringify(v, false).unwrap_or_default(),
            }
        };
        let mut out = String::new();
        let mut rest = t;
        while let Some(i) = rest.find("{{") {
            out.push_str(&rest[..i]);
            let triple = rest[i..].starts_with("{{{");
            let start = i + if triple { 3 } else { 2 };
            let close = if triple { "}}}" } else { "}}" };
            let Some(end) = rest[start..].find(close) else {
                out.push_str(&rest[i..]);
                rest = "";
                break;
            };
            let field = &rest[start..start + end];
            let val = match field {
                "token" => {
                    if triple {
                        self.token.clone().unwrap_or_default()
                    } else {
                        match &self.token {
                            Some(t) => serde_json::Value::String(t.clone()).to_string(),
                            None => "undefined".into(),
                        }
                    }
                }
                "value" => {
                    if triple {
                        match &self.value {
                            Some(Value::String(s)) => s.to_string(),
                            v => json(v),
                        }
                    } else {
                        json(&self.value)
                    }
                }
                "value2" => json(&self.value2),
                "exp" => json(&self.exp),
                "index" => self
                    .index
                    .map(|i| i.to_string())
                    .unwrap_or("undefined".into()),
                "type" => match self.type_ {
                    Some(t) => format!("\"{t}\""),
                    None => "undefined".into(),
                },
                "message" => self.message.clone().unwrap_or_default(),
                _ => String::new(),
            };
            out.push_str(&val);
            rest = &rest[start + end + close.len()..];
        }
        out.push_str(rest);
        out
    }

    pub fn into_public(self) -> Error {
        let message = self.message_text();
        let d = *self.0;
        Error {
            code: d.code.to_string(),
            position: d.position,
            message,
            token: d.token,
            value: d
                .value
                .and_then(|v| crate::value::to_json(&v).ok().flatten())
                .map(Box::new),
        }
    }
}
