//! Evaluation of intrinsic calls, with AWS's argument rules and limits.

use std::borrow::Cow;
use std::fmt::Write as _;

use base64::Engine as _;
use serde_json::{Map, Number, Value};
use sha2::Digest as _;

use super::{IntrinsicArg, IntrinsicCall, IntrinsicFunction, StringLiteral};
use crate::error::StatesError;
use crate::jsonpath::{JsonPath, PathError};
use crate::template::Scope;

/// Java's `Base64.getDecoder()`: padding optional, stray low bits in the last symbol ignored.
const LENIENT_BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Most items `States.ArrayRange` may produce.
pub const ARRAY_RANGE_MAX_ITEMS: usize = 1000;
/// Longest input (in characters) for `States.Base64Encode`, `Base64Decode` and `Hash`.
pub const MAX_ENCODE_INPUT_CHARS: usize = 10_000;
/// Deepest value `States.Format` renders (guards recursion on payload depth).
const MAX_FORMAT_DEPTH: usize = 2_000;

/// How a path argument that finds nothing is reported; templates word it with their field name.
pub(crate) type MissingPath<'f> = &'f dyn Fn(&JsonPath, PathError) -> StatesError;

fn default_missing(_path: &JsonPath, e: PathError) -> StatesError {
    e.into_runtime()
}

impl IntrinsicCall {
    /// Evaluates the call in `scope`.
    ///
    /// Bad argument types/values and exceeded limits are `States.IntrinsicFailure`; a path
    /// argument that finds nothing is `States.Runtime` (`Invalid path '...' : ...`).
    pub fn evaluate(&self, scope: &Scope<'_>) -> Result<Value, StatesError> {
        self.evaluate_with(scope, &default_missing)
    }

    pub(crate) fn evaluate_with(
        &self,
        scope: &Scope<'_>,
        missing: MissingPath<'_>,
    ) -> Result<Value, StatesError> {
        let mut args: Vec<Cow<'_, Value>> = Vec::with_capacity(self.args.len());
        for a in &self.args {
            args.push(match a {
                IntrinsicArg::Path(p) => p.evaluate_in(scope).map_err(|e| missing(p, e))?,
                IntrinsicArg::Call(c) => Cow::Owned(c.evaluate_with(scope, missing)?),
                IntrinsicArg::String(s) => Cow::Owned(Value::String(s.value.clone())),
                IntrinsicArg::Number(n) => Cow::Owned(Value::Number(n.clone())),
                IntrinsicArg::Bool(b) => Cow::Owned(Value::Bool(*b)),
                IntrinsicArg::Null => Cow::Owned(Value::Null),
            });
        }
        let f = self.function;
        let (min, max) = f.arity();
        if args.len() < min || max.is_some_and(|m| args.len() > m) {
            return Err(fail(
                f,
                &match max {
                    Some(m) if m == min => {
                        format!("expected {min} argument(s) but got {}", args.len())
                    }
                    Some(m) => format!("expected {min} to {m} arguments but got {}", args.len()),
                    None => format!("expected at least {min} argument(s) but got {}", args.len()),
                },
            ));
        }
        let arg = |i: usize| -> &Value { args.get(i).map(|c| c.as_ref()).unwrap_or(&Value::Null) };
        match f {
            IntrinsicFunction::Format => {
                let template = match (self.args.first(), arg(0)) {
                    (Some(IntrinsicArg::String(lit)), _) => Cow::Borrowed(lit),
                    // A template read from the payload has no escapes: its backslashes are text.
                    (_, Value::String(s)) => Cow::Owned(StringLiteral {
                        value: s.clone(),
                        raw: s.replace('\\', "\\\\"),
                    }),
                    (_, other) => {
                        return Err(fail(
                            f,
                            &format!(
                                "the template must be a string, but was {}",
                                type_name(other)
                            ),
                        ))
                    }
                };
                let rest: Vec<&Value> = args.iter().skip(1).map(|c| c.as_ref()).collect();
                format(&template, &rest).map(Value::String)
            }
            IntrinsicFunction::StringToJson => {
                let s = want_string(f, arg(0))?;
                let t = s.trim();
                if t.is_empty() {
                    return Ok(Value::Null);
                }
                // Jackson reads the integer literal `-0` as the integer 0 (serde: float -0.0).
                if t == "-0" {
                    return Ok(Value::from(0));
                }
                serde_json::from_str::<Value>(s)
                    .map_err(|_| fail(f, &format!("the argument is not a valid JSON string: {s}")))
            }
            IntrinsicFunction::JsonToString => {
                let mut out = String::new();
                write_java_json(arg(0), &mut out, 0)?;
                Ok(Value::String(out))
            }
            IntrinsicFunction::Array => Ok(Value::Array(
                args.into_iter().map(Cow::into_owned).collect(),
            )),
            IntrinsicFunction::ArrayPartition => {
                let a = want_array(f, arg(0))?;
                let size = want_int(f, arg(1), "chunk size")?;
                if size <= 0 {
                    return Err(fail(
                        f,
                        &format!("the chunk size must be greater than 0, but was {size}"),
                    ));
                }
                let size = usize::try_from(size).unwrap_or(usize::MAX);
                Ok(Value::Array(
                    a.chunks(size).map(|c| Value::Array(c.to_vec())).collect(),
                ))
            }
            IntrinsicFunction::ArrayContains => {
                let a = want_array(f, arg(0))?;
                let needle = arg(1);
                Ok(Value::Bool(a.iter().any(|x| x == needle)))
            }
            IntrinsicFunction::ArrayRange => {
                let start = want_int(f, arg(0), "start")?;
                let end = want_int(f, arg(1), "end")?;
                let step = want_int(f, arg(2), "step")?;
                if step == 0 {
                    return Err(fail(f, "the step must not be 0"));
                }
                let span = i128::from(end) - i128::from(start);
                let count: i128 = if (span >= 0) == (step > 0) || span == 0 {
                    span / i128::from(step) + 1
                } else {
                    0
                };
                if count > ARRAY_RANGE_MAX_ITEMS as i128 {
                    return Err(fail(
                        f,
                        &format!(
                            "the array would have {count} items, more than the maximum of {ARRAY_RANGE_MAX_ITEMS}"
                        ),
                    ));
                }
                let mut out = Vec::new();
                let mut v = i128::from(start);
                for _ in 0..count.max(0) {
                    out.push(Value::Number(Number::from(i64::try_from(v).unwrap_or(0))));
                    v += i128::from(step);
                }
                Ok(Value::Array(out))
            }
            IntrinsicFunction::ArrayGetItem => {
                let a = want_array(f, arg(0))?;
                let idx = want_int(f, arg(1), "index")?;
                usize::try_from(idx)
                    .ok()
                    .and_then(|i| a.get(i))
                    .cloned()
                    .ok_or_else(|| {
                        fail(
                            f,
                            &format!(
                                "the index {idx} is out of bounds for an array of length {}",
                                a.len()
                            ),
                        )
                    })
            }
            IntrinsicFunction::ArrayLength => Ok(Value::from(want_array(f, arg(0))?.len())),
            IntrinsicFunction::ArrayUnique => {
                let a = want_array(f, arg(0))?;
                let mut out: Vec<Value> = Vec::with_capacity(a.len());
                for x in a {
                    if !out.contains(x) {
                        out.push(x.clone());
                    }
                }
                Ok(Value::Array(out))
            }
            IntrinsicFunction::Base64Encode => {
                let s = want_string(f, arg(0))?;
                check_len(f, s)?;
                Ok(Value::String(
                    base64::engine::general_purpose::STANDARD.encode(s.as_bytes()),
                ))
            }
            IntrinsicFunction::Base64Decode => {
                let s = want_string(f, arg(0))?;
                check_len(f, s)?;
                let bytes = LENIENT_BASE64
                    .decode(s.as_bytes())
                    .map_err(|_| fail(f, &format!("the argument is not valid Base64: {s}")))?;
                Ok(Value::String(String::from_utf8_lossy(&bytes).into_owned()))
            }
            IntrinsicFunction::Hash => {
                let data = match arg(0) {
                    Value::String(s) => Cow::Borrowed(s.as_str()),
                    Value::Null => return Err(fail(f, "the data to hash must not be null")),
                    other => Cow::Owned(serde_json::to_string(other).unwrap_or_default()),
                };
                check_len(f, &data)?;
                let algo = want_string(f, arg(1))?;
                let bytes = data.as_bytes();
                let digest: Vec<u8> = match algo {
                    "MD5" => md5::Md5::digest(bytes).to_vec(),
                    "SHA-1" => sha1::Sha1::digest(bytes).to_vec(),
                    "SHA-256" => sha2::Sha256::digest(bytes).to_vec(),
                    "SHA-384" => sha2::Sha384::digest(bytes).to_vec(),
                    "SHA-512" => sha2::Sha512::digest(bytes).to_vec(),
                    other => {
                        return Err(fail(
                            f,
                            &format!(
                                "the hashing algorithm '{other}' is not supported; use one of MD5, SHA-1, SHA-256, SHA-384, SHA-512"
                            ),
                        ))
                    }
                };
                Ok(Value::String(hex(&digest)))
            }
            IntrinsicFunction::JsonMerge => {
                let a = want_object(f, arg(0))?;
                let b = want_object(f, arg(1))?;
                match arg(2) {
                    Value::Bool(false) => {}
                    Value::Bool(true) => {
                        return Err(fail(
                            f,
                            "deep merging is not supported; the third argument must be false",
                        ))
                    }
                    other => {
                        return Err(fail(
                            f,
                            &format!(
                                "the third argument must be a boolean, but was {}",
                                type_name(other)
                            ),
                        ))
                    }
                }
                Ok(Value::Object(json_merge(a, b)))
            }
            IntrinsicFunction::MathRandom => {
                let start = want_rounded_int(f, arg(0), "start")?;
                let end = want_rounded_int(f, arg(1), "end")?;
                if end <= start {
                    return Err(fail(
                        f,
                        &format!("the end ({end}) must be greater than the start ({start})"),
                    ));
                }
                check_int32(f, start)?;
                check_int32(f, end)?;
                // AWS draws from a Java `int` range: `end - start` must fit in one.
                let Ok(bound) = i32::try_from(end - start) else {
                    return Err(fail(f, "the range between start and end is too large"));
                };
                let r = match args.get(2) {
                    Some(seed) => {
                        let seed = want_rounded_int(f, seed, "seed")?;
                        java_random_next_int(seed, bound)
                    }
                    None => {
                        let x = scope.entropy.next_f64().clamp(0.0, 1.0);
                        let r = (x * f64::from(bound)).floor() as i32;
                        r.clamp(0, bound - 1)
                    }
                };
                Ok(Value::from(start + i64::from(r)))
            }
            IntrinsicFunction::MathAdd => {
                let a = want_rounded_int(f, arg(0), "first argument")?;
                let b = want_rounded_int(f, arg(1), "second argument")?;
                check_int32(f, a)?;
                check_int32(f, b)?;
                Ok(Value::from(a + b))
            }
            IntrinsicFunction::StringSplit => {
                let s = want_string(f, arg(0))?;
                let delims = want_string(f, arg(1))?;
                let parts: Vec<Value> = s
                    .split(|c: char| delims.contains(c))
                    .filter(|p| !p.is_empty())
                    .map(|p| Value::String(p.to_string()))
                    .collect();
                Ok(Value::Array(parts))
            }
            IntrinsicFunction::Uuid => Ok(Value::String(uuid_v4(scope.entropy.next_bytes16()))),
        }
    }
}

/// The corpus records no `States.IntrinsicFailure` cause, so this wording is ours, not AWS's:
/// `Invalid arguments in States.X: <detail>`. Change it here when a recording appears.
fn fail(f: IntrinsicFunction, detail: &str) -> StatesError {
    StatesError::intrinsic_failure(format!("Invalid arguments in {}: {detail}", f.name()))
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn want_string(f: IntrinsicFunction, v: &Value) -> Result<&str, StatesError> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(fail(
            f,
            &format!("expected a string but was {}", type_name(other)),
        )),
    }
}

fn want_array(f: IntrinsicFunction, v: &Value) -> Result<&[Value], StatesError> {
    match v {
        Value::Array(a) => Ok(a),
        other => Err(fail(
            f,
            &format!("expected an array but was {}", type_name(other)),
        )),
    }
}

fn want_object(f: IntrinsicFunction, v: &Value) -> Result<&Map<String, Value>, StatesError> {
    match v {
        Value::Object(m) => Ok(m),
        other => Err(fail(
            f,
            &format!("expected an object but was {}", type_name(other)),
        )),
    }
}

/// An integer argument; a decimal with no fractional part counts as an integer.
fn want_int(f: IntrinsicFunction, v: &Value, what: &str) -> Result<i64, StatesError> {
    if let Value::Number(n) = v {
        if let Some(i) = n.as_i64() {
            return Ok(i);
        }
        if let Some(x) = n.as_f64() {
            if x.fract() == 0.0 && x.abs() < 9.0e15 {
                return Ok(x as i64);
            }
        }
    }
    Err(fail(
        f,
        &format!("the {what} must be an integer, but was {}", render_json(v)),
    ))
}

/// A number argument of `States.MathAdd`/`States.MathRandom`: AWS rounds a non-integer to the
/// nearest integer (half up, as Java's `Math.round`) instead of failing.
fn want_rounded_int(f: IntrinsicFunction, v: &Value, what: &str) -> Result<i64, StatesError> {
    if let Value::Number(n) = v {
        if let Some(i) = n.as_i64() {
            return Ok(i);
        }
        if let Some(x) = n.as_f64() {
            let r = (x + 0.5).floor();
            if r.is_finite() && r.abs() < 9.0e15 {
                return Ok(r as i64);
            }
        }
    }
    Err(fail(
        f,
        &format!("the {what} must be a number, but was {}", render_json(v)),
    ))
}

fn check_int32(f: IntrinsicFunction, v: i64) -> Result<(), StatesError> {
    if i32::try_from(v).is_err() {
        return Err(fail(
            f,
            &format!(
                "the value {v} is outside the range {} to {}",
                i32::MIN,
                i32::MAX
            ),
        ));
    }
    Ok(())
}

fn check_len(f: IntrinsicFunction, s: &str) -> Result<(), StatesError> {
    let n = s.chars().count();
    if n > MAX_ENCODE_INPUT_CHARS {
        return Err(fail(
            f,
            &format!(
                "the input is {n} characters long, more than the maximum of {MAX_ENCODE_INPUT_CHARS}"
            ),
        ));
    }
    Ok(())
}

fn render_json(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

fn uuid_v4(mut b: [u8; 16]) -> String {
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// `States.JsonMerge` (shallow): keys of the second object win. AWS builds the result in a Java
/// `HashMap`, so the output keys come in that map's iteration order, which this reproduces.
fn json_merge(a: &Map<String, Value>, b: &Map<String, Value>) -> Map<String, Value> {
    let mut entries: Vec<(&String, &Value)> = Vec::with_capacity(a.len() + b.len());
    for (k, v) in a {
        match b.get(k) {
            Some(bv) => entries.push((k, bv)),
            None => entries.push((k, v)),
        }
    }
    for (k, v) in b {
        if !a.contains_key(k) {
            entries.push((k, v));
        }
    }
    let buckets = crate::template::java_hashmap_buckets(entries.iter().map(|(k, _)| k.as_str()));
    let mut keyed: Vec<(usize, (&String, &Value))> = buckets.into_iter().zip(entries).collect();
    // Stable: keys in one bucket keep their insertion order, as in HashMap's bucket lists.
    keyed.sort_by_key(|(b, _)| *b);
    keyed
        .into_iter()
        .map(|(_, (k, v))| (k.clone(), v.clone()))
        .collect()
}

/// `new java.util.Random(seed).nextInt(bound)` for `bound > 0`, so seeded `States.MathRandom`
/// gives the number AWS (a JVM) gives for the same seed.
pub fn java_random_next_int(seed: i64, bound: i32) -> i32 {
    const MULT: i64 = 0x5_DEEC_E66D;
    const MASK: i64 = (1 << 48) - 1;
    let mut state = (seed ^ MULT) & MASK;
    let mut next = |bits: u32| -> i32 {
        state = (state.wrapping_mul(MULT).wrapping_add(0xB)) & MASK;
        (state >> (48 - bits)) as i32
    };
    if bound <= 0 {
        return 0;
    }
    if bound & bound.wrapping_neg() == bound {
        return ((i64::from(bound) * i64::from(next(31))) >> 31) as i32;
    }
    loop {
        let bits = next(31);
        let val = bits % bound;
        if bits.wrapping_sub(val).wrapping_add(bound - 1) >= 0 {
            return val;
        }
    }
}

// --- States.Format ---

fn format(template: &StringLiteral, args: &[&Value]) -> Result<String, StatesError> {
    let f = IntrinsicFunction::Format;
    let raw = &template.raw;
    let mut out = String::with_capacity(raw.len());
    let mut used = 0usize;
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                // Escapes were validated by the parser (or the template came from a payload).
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            '{' if chars.peek() == Some(&'}') => {
                chars.next();
                let v = args.get(used).ok_or_else(|| {
                    fail(
                        f,
                        &format!(
                            "the number of arguments ({}) does not match the number of placeholders '{{}}' in the template",
                            args.len()
                        ),
                    )
                })?;
                used += 1;
                render_format_value(v, &mut out, 0)?;
            }
            other => out.push(other),
        }
    }
    if used != args.len() {
        return Err(fail(
            f,
            &format!(
                "the number of arguments ({}) does not match the number of placeholders '{{}}' in the template ({used})",
                args.len()
            ),
        ));
    }
    Ok(out)
}

/// Renders a value as AWS's `States.Format` does: strings bare, objects and arrays in Java's
/// `Map`/`List` `toString` style (`{a=1, b=[x, y]}`).
fn render_format_value(v: &Value, out: &mut String, depth: usize) -> Result<(), StatesError> {
    if depth > MAX_FORMAT_DEPTH {
        return Err(fail(
            IntrinsicFunction::Format,
            "the argument is nested too deeply",
        ));
    }
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => push_java_number(out, n),
        Value::String(s) => out.push_str(s),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                render_format_value(x, out, depth + 1)?;
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push('=');
                render_format_value(x, out, depth + 1)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// Compact JSON as AWS (Jackson) writes it: like serde's, except decimals print as Java's
/// `Double.toString` (`1.0E20`, not `1e20`).
fn write_java_json(v: &Value, out: &mut String, depth: usize) -> Result<(), StatesError> {
    if depth > MAX_FORMAT_DEPTH {
        return Err(fail(
            IntrinsicFunction::JsonToString,
            "the argument is nested too deeply",
        ));
    }
    match v {
        Value::Number(n) => push_java_number(out, n),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_java_json(x, out, depth + 1)?;
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json_string(out, k);
                out.push(':');
                write_java_json(x, out, depth + 1)?;
            }
            out.push('}');
        }
        Value::String(st) => push_json_string(out, st),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Null => out.push_str("null"),
    }
    Ok(())
}

/// A JSON string literal with serde's (and Jackson's) escapes, written in place.
fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A JSON number as Java prints it (integers as is, decimals like `Double.toString`), written
/// in place.
fn push_java_number(out: &mut String, n: &Number) {
    if n.is_i64() || n.is_u64() {
        let _ = write!(out, "{n}");
        return;
    }
    let x = n.as_f64().unwrap_or(0.0);
    let a = x.abs();
    if a != 0.0 && !(1e-3..1e7).contains(&a) {
        let s = format!("{x:e}");
        let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
        out.push_str(mant);
        if !mant.contains('.') {
            out.push_str(".0");
        }
        out.push('E');
        out.push_str(exp);
        return;
    }
    let start = out.len();
    let _ = write!(out, "{x}");
    if !out[start..].contains('.') {
        out.push_str(".0");
    }
}
