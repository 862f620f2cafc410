//! The built-in function library, with jsonata-js's signatures, arities and semantics.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use crate::error::Err;
use crate::eval::{append, boolean, deep_copy, lookup_field, merge_sort, Eval};
use crate::number::{js_number_to_string, round_half_even};
use crate::parser::RegexLit;
use crate::signature::Signature;
use crate::value::{
    deep_equal, stringify, Arr, Builtin, BuiltinFn, Ctx, Func, Map, Obj, Value, SEQ,
};

type R = Result<Option<Value>, Err>;

fn arg(args: &[Option<Value>], i: usize) -> Option<&Value> {
    args.get(i).and_then(|a| a.as_ref())
}

fn str_arg(args: &[Option<Value>], i: usize) -> Option<Arc<str>> {
    match arg(args, i) {
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    }
}

fn num_arg(args: &[Option<Value>], i: usize) -> Option<f64> {
    match arg(args, i) {
        Some(Value::Number(n)) => Some(*n),
        _ => None,
    }
}

fn s(v: impl AsRef<str>) -> R {
    Ok(Some(Value::String(Arc::from(v.as_ref()))))
}

fn n(v: f64) -> R {
    Ok(Some(Value::Number(v)))
}

/// JavaScript string comparison (UTF-16 code unit order).
pub fn js_str_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    if a.is_ascii() && b.is_ascii() {
        a.cmp(b)
    } else {
        a.encode_utf16().cmp(b.encode_utf16())
    }
}

/// jsonata-js `fn.string` without prettify.
pub fn to_string(v: &Value) -> Result<String, Err> {
    match v {
        Value::String(s) => Ok(s.to_string()),
        Value::Func(_) => Ok(String::new()),
        Value::Number(x) if !x.is_finite() => Err(Err::new("D3001").value_num(*x)),
        other => stringify(other, false),
    }
}

// ---------------------------------------------------------------- aggregation

fn f_sum(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    let Some(arr) = arg(a, 0) else {
        return Ok(None);
    };
    let mut t = 0.0;
    for x in arr.members() {
        if let Value::Number(v) = x {
            t += v;
        }
    }
    n(t)
}

fn f_count(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    n(arg(a, 0).map(|v| v.members().len()).unwrap_or(0) as f64)
}

fn nums(a: &[Option<Value>]) -> Option<Vec<f64>> {
    let arr = arg(a, 0)?;
    let v: Vec<f64> = arr.members().iter().filter_map(Value::as_number).collect();
    if v.is_empty() {
        None
    } else {
        Some(v)
    }
}

fn f_max(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    Ok(nums(a).map(|v| Value::Number(v.into_iter().fold(f64::NEG_INFINITY, f64::max))))
}

fn f_min(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    Ok(nums(a).map(|v| Value::Number(v.into_iter().fold(f64::INFINITY, f64::min))))
}

fn f_average(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    Ok(nums(a).map(|v| {
        let len = v.len() as f64;
        let mut t = 0.0;
        for x in v {
            t += x;
        }
        Value::Number(t / len)
    }))
}

// ---------------------------------------------------------------- strings

fn f_string(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    let Some(v) = arg(a, 0) else { return Ok(None) };
    let pretty = matches!(arg(a, 1), Some(Value::Bool(true)));
    // the input document, when it is an array, arrives wrapped as a one-item sequence
    let v = match v {
        Value::Array(inner, f) if f & crate::value::OUTER != 0 && inner.len() == 1 => &inner[0],
        v => v,
    };
    match v {
        Value::String(_) => Ok(Some(v.clone())),
        Value::Func(_) => s(""),
        Value::Number(x) if !x.is_finite() => Err(Err::new("D3001").value_num(*x)),
        other => s(stringify(other, pretty)?),
    }
}

fn js_slice(len: i64, start: f64) -> usize {
    let st = if start.is_nan() {
        0
    } else {
        start.trunc() as i64
    };
    if st < 0 {
        (len + st).max(0) as usize
    } else {
        st.min(len) as usize
    }
}

fn f_substring(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    let Some(st) = str_arg(a, 0) else {
        return Ok(None);
    };
    let chars: Vec<char> = st.chars().collect();
    let len = chars.len() as i64;
    // an undefined start is NaN in JavaScript: slice(NaN) starts at 0, a NaN end is empty
    let start_given = num_arg(a, 1);
    if start_given.is_none() && num_arg(a, 2).is_some_and(|l| l > 0.0) {
        return s("");
    }
    let mut start = start_given.unwrap_or(0.0);
    if len as f64 + start < 0.0 {
        start = 0.0;
    }
    if let Some(l) = num_arg(a, 2) {
        if l <= 0.0 {
            return s("");
        }
        let end = if start >= 0.0 {
            start + l
        } else {
            len as f64 + start + l
        };
        let b = js_slice(len, start);
        let e = js_slice(len, end);
        if e <= b {
            return s("");
        }
        return s(chars[b..e].iter().collect::<String>());
    }
    let b = js_slice(len, start);
    s(chars[b..].iter().collect::<String>())
}

fn f_substring_before(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    let Some(st) = str_arg(a, 0) else {
        return Ok(None);
    };
    let Some(c) = str_arg(a, 1) else {
        return Ok(Some(Value::String(st)));
    };
    match st.find(&*c) {
        Some(i) => s(&st[..i]),
        None => Ok(Some(Value::String(st))),
    }
}

fn f_substring_after(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    let Some(st) = str_arg(a, 0) else {
        return Ok(None);
    };
    let Some(c) = str_arg(a, 1) else {
        return Ok(Some(Value::String(st)));
    };
    match st.find(&*c) {
        Some(i) => s(&st[i + c.len()..]),
        None => Ok(Some(Value::String(st))),
    }
}

fn f_lowercase(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    Ok(str_arg(a, 0).map(|x| Value::String(Arc::from(x.to_lowercase()))))
}

fn f_uppercase(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    Ok(str_arg(a, 0).map(|x| Value::String(Arc::from(x.to_uppercase()))))
}

fn f_length(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    Ok(str_arg(a, 0).map(|x| Value::Number(x.chars().count() as f64)))
}

fn f_trim(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    let Some(st) = str_arg(a, 0) else {
        return Ok(None);
    };
    let mut out = String::with_capacity(st.len());
    let mut in_ws = false;
    for c in st.chars() {
        if matches!(c, ' ' | '\t' | '\n' | '\r') {
            if !in_ws {
                out.push(' ');
            }
            in_ws = true;
        } else {
            out.push(c);
            in_ws = false;
        }
    }
    let t = out.strip_prefix(' ').unwrap_or(&out);
    let t = t.strip_suffix(' ').unwrap_or(t);
    s(t)
}

fn f_pad(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    let Some(st) = str_arg(a, 0) else {
        return Ok(None);
    };
    let width = num_arg(a, 1).unwrap_or(0.0);
    let ch = str_arg(a, 2)
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| Arc::from(" "));
    let len = st.chars().count() as f64;
    let pad_len = (width.abs() - len).floor();
    if pad_len <= 0.0 || ch.is_empty() {
        return Ok(Some(Value::String(st)));
    }
    let pad_len = pad_len.min(1e8) as usize;
    let padding: String = ch.chars().cycle().take(pad_len).collect();
    if width > 0.0 {
        s(format!("{st}{padding}"))
    } else {
        s(format!("{padding}{st}"))
    }
}

// ---------------------------------------------------------------- regex & matchers

struct Match {
    text: String,
    start_b: usize,
    end_b: usize,
    groups: Vec<Option<String>>,
    next: Option<Value>,
}

fn char_idx(st: &str, b: usize) -> usize {
    st.get(..b).map(|p| p.chars().count()).unwrap_or(0)
}

fn byte_idx(st: &str, c: usize) -> usize {
    st.char_indices().nth(c).map(|(b, _)| b).unwrap_or(st.len())
}

/// Run a native regex from byte offset `from`, giving jsonata-js's match object.
pub fn regex_exec(re: &Arc<RegexLit>, st: &Arc<str>, from: usize) -> R {
    let caps = match re.re.captures_from_pos(st, from) {
        Ok(Some(c)) => c,
        Ok(None) => return Ok(None),
        Err(_) => return Err(Err::new("D1004").value_str(&re.source)),
    };
    let Some(m0) = caps.get(0) else {
        return Ok(None);
    };
    let mut obj = Map::new();
    obj.insert(Arc::from("match"), Value::string(m0.as_str()));
    obj.insert(
        Arc::from("start"),
        Value::Number(char_idx(st, m0.start()) as f64),
    );
    obj.insert(
        Arc::from("end"),
        Value::Number(char_idx(st, m0.end()) as f64),
    );
    let mut groups = Vec::new();
    for i in 1..caps.len() {
        groups.push(match caps.get(i) {
            Some(g) => Value::string(g.as_str()),
            None => Value::string(""),
        });
    }
    obj.insert(Arc::from("groups"), Value::array(groups));
    obj.insert(
        Arc::from("next"),
        Value::Func(Arc::new(Func::RegexNext {
            re: re.clone(),
            s: st.clone(),
            from: m0.end(),
        })),
    );
    Ok(Some(Value::Object(Obj::new(obj))))
}

/// The `next()` of a regex match: continue after the previous match; a zero-length match
/// here would never progress, which jsonata-js reports as D1004.
pub fn regex_next(re: &Arc<RegexLit>, st: &Arc<str>, from: usize) -> R {
    if from >= st.len() {
        return Ok(None);
    }
    let r = regex_exec(re, st, from)?;
    if let Some(Value::Object(o)) = &r {
        if matches!(o.get("match"), Some(Value::String(m)) if m.is_empty()) {
            return Err(Err::new("D1004").value_str(&re.source));
        }
    }
    Ok(r)
}

fn get_match(
    ev: &mut Eval,
    matcher: &Value,
    st: &Arc<str>,
    ctx: &Ctx,
) -> Result<Option<Match>, Err> {
    let r = match matcher {
        Value::Func(f) => match &**f {
            Func::Regex(re) => regex_exec(re, st, 0)?,
            _ => ev.apply(
                matcher,
                vec![Some(Value::String(st.clone()))],
                &Some(Value::Null),
                ctx.env,
                0,
                None,
            )?,
        },
        _ => return Ok(None),
    };
    to_match(r, st)
}

fn next_match(ev: &mut Eval, m: &Match, st: &Arc<str>, ctx: &Ctx) -> Result<Option<Match>, Err> {
    let Some(next) = &m.next else { return Ok(None) };
    let r = ev.apply(next, vec![], &Some(Value::Null), ctx.env, 0, None)?;
    to_match(r, st)
}

fn to_match(r: Option<Value>, st: &str) -> Result<Option<Match>, Err> {
    let Some(v) = r else { return Ok(None) };
    let Value::Object(o) = &v else {
        return Err(Err::new("T1010"));
    };
    let start = o.get("start").and_then(Value::as_number);
    let end = o.get("end").and_then(Value::as_number);
    let groups = o.get("groups");
    let next = o.get("next").filter(|n| n.is_function()).cloned();
    if start.is_none() && end.is_none() && !groups.is_some_and(Value::is_array) && next.is_none() {
        return Err(Err::new("T1010"));
    }
    let text = match o.get("match") {
        Some(Value::String(s)) => s.to_string(),
        _ => String::new(),
    };
    let start_b = byte_idx(st, start.unwrap_or(0.0).max(0.0) as usize);
    let end_b = match end {
        Some(e) => byte_idx(st, e.max(0.0) as usize),
        None => (start_b + text.len()).min(st.len()),
    };
    let groups = match groups {
        Some(Value::Array(g, _)) => g
            .iter()
            .map(|x| match x {
                Value::String(s) => Some(s.to_string()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    Ok(Some(Match {
        text,
        start_b,
        end_b,
        groups,
        next,
    }))
}

fn f_contains(ev: &mut Eval, a: &[Option<Value>], ctx: &Ctx) -> R {
    let Some(st) = str_arg(a, 0) else {
        return Ok(None);
    };
    if arg(a, 1).is_none() {
        return Ok(None);
    }
    match arg(a, 1) {
        Some(Value::String(t)) => Ok(Some(Value::Bool(st.contains(&**t)))),
        Some(m @ Value::Func(_)) => {
            let m = m.clone();
            Ok(Some(Value::Bool(get_match(ev, &m, &st, ctx)?.is_some())))
        }
        _ => Ok(Some(Value::Bool(false))),
    }
}

fn f_match(ev: &mut Eval, a: &[Option<Value>], ctx: &Ctx) -> R {
    let Some(st) = str_arg(a, 0) else {
        return Ok(None);
    };
    let limit = num_arg(a, 2);
    if limit.is_some_and(|l| l < 0.0) {
        return Err(Err::new("D3040").value(limit.map(Value::Number)));
    }
    let Some(m) = arg(a, 1).cloned() else {
        return Ok(None);
    };
    let mut out = Vec::new();
    if limit.is_none_or_positive() {
        let mut cur = get_match(ev, &m, &st, ctx)?;
        let mut count = 0.0;
        while let Some(mm) = cur {
            if limit.is_some_and(|l| count >= l) {
                break;
            }
            let mut obj = Map::new();
            obj.insert(Arc::from("match"), Value::string(&mm.text));
            obj.insert(
                Arc::from("index"),
                Value::Number(char_idx(&st, mm.start_b) as f64),
            );
            obj.insert(
                Arc::from("groups"),
                Value::array(
                    mm.groups
                        .iter()
                        .map(|g| Value::string(g.as_deref().unwrap_or("")))
                        .collect(),
                ),
            );
            out.push(Value::Object(Obj::new(obj)));
            count += 1.0;
            cur = next_match(ev, &mm, &st, ctx)?;
        }
    }
    Ok(Some(Value::seq(out)))
}

trait LimitExt {
    fn is_none_or_positive(&self) -> bool;
}
impl LimitExt for Option<f64> {
    fn is_none_or_positive(&self) -> bool {
        self.is_none_or(|l| l > 0.0)
    }
}

fn substitute(replacement: &str, m: &Match) -> String {
    let mut out = String::new();
    let chars: Vec<char> = replacement.chars().collect();
    let mut pos = 0;
    while pos < chars.len() {
        let Some(rel) = chars[pos..].iter().position(|c| *c == '$') else {
            break;
        };
        let index = pos + rel;
        out.extend(&chars[pos..index]);
        pos = index + 1;
        match chars.get(pos) {
            Some('$') => {
                out.push('$');
                pos += 1;
            }
            Some('0') => {
                out.push_str(&m.text);
                pos += 1;
            }
            _ => {
                let ng = m.groups.len();
                let max_digits = if ng == 0 {
                    1
                } else {
                    (ng as f64).log10().floor() as usize + 1
                };
                let parse = |k: usize| -> Option<usize> {
                    let d: String = chars[pos..]
                        .iter()
                        .take(k)
                        .take_while(|c| c.is_ascii_digit())
                        .collect();
                    d.parse().ok()
                };
                let mut idx = parse(max_digits);
                if max_digits > 1 && idx.is_some_and(|i| i > ng) {
                    idx = parse(max_digits - 1);
                }
                match idx {
                    Some(i) => {
                        if ng > 0 && i >= 1 {
                            if let Some(Some(g)) = m.groups.get(i - 1) {
                                out.push_str(g);
                            }
                        }
                        pos += i.to_string().len();
                    }
                    None => out.push('$'),
                }
            }
        }
    }
    if pos < chars.len() {
        out.extend(&chars[pos..]);
    }
    out
}

fn f_replace(ev: &mut Eval, a: &[Option<Value>], ctx: &Ctx) -> R {
    let Some(st) = str_arg(a, 0) else {
        return Ok(None);
    };
    let pattern = arg(a, 1).cloned();
    if matches!(&pattern, Some(Value::String(p)) if p.is_empty()) {
        return Err(Err::new("D3010").value(pattern));
    }
    let limit = num_arg(a, 3);
    if limit.is_some_and(|l| l < 0.0) {
        return Err(Err::new("D3011").value(limit.map(Value::Number)));
    }
    let replacement = arg(a, 2).cloned();
    if !limit.is_none_or_positive() {
        return Ok(Some(Value::String(st)));
    }
    let mut out = String::new();
    let mut pos = 0usize;
    let mut count = 0.0;
    match pattern {
        Some(Value::String(p)) => {
            let rep = match &replacement {
                Some(Value::String(r)) => r.to_string(),
                Some(v) => to_string(v)?,
                None => String::new(),
            };
            while let Some(rel) = st[pos..].find(&*p) {
                if limit.is_some_and(|l| count >= l) {
                    break;
                }
                let idx = pos + rel;
                out.push_str(&st[pos..idx]);
                out.push_str(&rep);
                pos = idx + p.len();
                count += 1.0;
            }
            out.push_str(&st[pos..]);
        }
        Some(m @ Value::Func(_)) => {
            let mut cur = get_match(ev, &m, &st, ctx)?;
            if cur.is_none() {
                return Ok(Some(Value::String(st)));
            }
            while let Some(mm) = cur {
                if limit.is_some_and(|l| count >= l) {
                    break;
                }
                out.push_str(st.get(pos..mm.start_b).unwrap_or(""));
                match &replacement {
                    Some(Value::String(r)) => out.push_str(&substitute(r, &mm)),
                    Some(f @ Value::Func(_)) => {
                        let mut obj = Map::new();
                        obj.insert(Arc::from("match"), Value::string(&mm.text));
                        obj.insert(
                            Arc::from("start"),
                            Value::Number(char_idx(&st, mm.start_b) as f64),
                        );
                        obj.insert(
                            Arc::from("end"),
                            Value::Number(char_idx(&st, mm.end_b) as f64),
                        );
                        obj.insert(
                            Arc::from("groups"),
                            Value::array(
                                mm.groups
                                    .iter()
                                    .map(|g| Value::string(g.as_deref().unwrap_or("")))
                                    .collect(),
                            ),
                        );
                        let r = ev.apply(
                            f,
                            vec![Some(Value::Object(Obj::new(obj)))],
                            &Some(Value::Null),
                            ctx.env,
                            0,
                            None,
                        )?;
                        match r {
                            Some(Value::String(x)) => out.push_str(&x),
                            other => return Err(Err::new("D3012").value(other)),
                        }
                    }
                    _ => {}
                }
                pos = mm.start_b + mm.text.len();
                count += 1.0;
                cur = next_match(ev, &mm, &st, ctx)?;
            }
            out.push_str(st.get(pos..).unwrap_or(""));
        }
        _ => return Ok(Some(Value::String(st))),
    }
    s(out)
}

fn f_split(ev: &mut Eval, a: &[Option<Value>], ctx: &Ctx) -> R {
    let Some(st) = str_arg(a, 0) else {
        return Ok(None);
    };
    let limit = num_arg(a, 2);
    if limit.is_some_and(|l| l < 0.0) {
        return Err(Err::new("D3020").value(limit.map(Value::Number)));
    }
    let mut out: Vec<Value> = Vec::new();
    if limit.is_none_or_positive() {
        match arg(a, 1).cloned() {
            Some(Value::String(sep)) => {
                if sep.is_empty() {
                    out = st.chars().map(|c| Value::string(&c.to_string())).collect();
                } else {
                    out = st.split(&*sep).map(Value::string).collect();
                }
                if let Some(l) = limit {
                    out.truncate(l as usize);
                }
            }
            Some(m @ Value::Func(_)) => {
                let mut cur = get_match(ev, &m, &st, ctx)?;
                if cur.is_none() {
                    out.push(Value::String(st.clone()));
                } else {
                    let mut start = 0usize;
                    let mut count = 0.0;
                    while let Some(mm) = cur {
                        if limit.is_some_and(|l| count >= l) {
                            break;
                        }
                        out.push(Value::string(st.get(start..mm.start_b).unwrap_or("")));
                        start = mm.end_b;
                        count += 1.0;
                        cur = next_match(ev, &mm, &st, ctx)?;
                    }
                    if limit.is_none_or(|l| count < l) {
                        out.push(Value::string(st.get(start..).unwrap_or("")));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(Some(Value::array(out)))
}

fn f_join(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    let Some(arr) = arg(a, 0) else {
        return Ok(None);
    };
    let sep = str_arg(a, 1).unwrap_or_else(|| Arc::from(""));
    let parts: Vec<String> = arr
        .members()
        .iter()
        .map(|v| match v {
            Value::String(s) => s.to_string(),
            _ => String::new(),
        })
        .collect();
    s(parts.join(&sep))
}

// ---------------------------------------------------------------- numbers

pub fn parse_js_number(t: &str) -> Option<f64> {
    let b = t.as_bytes();
    let mut i = 0;
    if b.first() == Some(&b'-') {
        i += 1;
    }
    let digits_start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    if i == digits_start {
        return None;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        let fs = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == fs {
            return None;
        }
    }
    if matches!(b.get(i), Some(b'e') | Some(b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+') | Some(b'-')) {
            i += 1;
        }
        let es = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == es {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

fn f_number(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    let Some(v) = arg(a, 0) else { return Ok(None) };
    match v {
        Value::Number(_) => Ok(Some(v.clone())),
        Value::Bool(b) => n(if *b { 1.0 } else { 0.0 }),
        Value::String(st) => {
            if let Some(x) = parse_js_number(st) {
                return n(x);
            }
            let radix = |p: &str, r: u32| -> Option<f64> {
                let d = st.strip_prefix(p)?;
                if d.is_empty() {
                    return None;
                }
                u64::from_str_radix(d, r).ok().map(|x| x as f64)
            };
            if let Some(x) = radix("0x", 16)
                .or_else(|| radix("0X", 16))
                .or_else(|| radix("0o", 8))
                .or_else(|| radix("0O", 8))
                .or_else(|| radix("0b", 2))
                .or_else(|| radix("0B", 2))
            {
                return n(x);
            }
            Err(Err::new("D3030").value(Some(v.clone())))
        }
        other => Err(Err::new("D3030").value(Some(other.clone()))),
    }
}

fn f_floor(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    Ok(num_arg(a, 0).map(|x| Value::Number(x.floor())))
}

fn f_ceil(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    Ok(num_arg(a, 0).map(|x| Value::Number(x.ceil())))
}

fn f_abs(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    Ok(num_arg(a, 0).map(|x| Value::Number(x.abs())))
}

fn f_round(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    let Some(x) = num_arg(a, 0) else {
        return Ok(None);
    };
    let p = num_arg(a, 1).unwrap_or(0.0) as i32;
    n(round_half_even(x, p))
}

fn f_sqrt(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    let Some(x) = num_arg(a, 0) else {
        return Ok(None);
    };
    if x < 0.0 {
        return Err(Err::new("D3060").value_num(x));
    }
    n(x.sqrt())
}

fn f_power(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    let Some(x) = num_arg(a, 0) else {
        return Ok(None);
    };
    let e = num_arg(a, 1).unwrap_or(f64::NAN);
    // JavaScript's Math.pow gives NaN where IEEE pow gives 1: pow(1, NaN), pow(±1, ±Infinity)
    let r = if e.is_nan() || (x.abs() == 1.0 && e.is_infinite()) {
        f64::NAN
    } else {
        x.powf(e)
    };
    if !r.is_finite() {
        let mut err = Err::new("D3061").value_num(x);
        err.exp = Some(Value::Number(e));
        return Err(err);
    }
    n(r)
}

fn f_random(ev: &mut Eval, _: &[Option<Value>], _: &Ctx) -> R {
    n(ev.random())
}

fn f_format_base(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    let Some(x) = num_arg(a, 0) else {
        return Ok(None);
    };
    let x = round_half_even(x, 0);
    let radix = match num_arg(a, 1) {
        Some(r) => round_half_even(r, 0),
        None => 10.0,
    };
    if !(2.0..=36.0).contains(&radix) {
        return Err(Err::new("D3100").value_num(radix));
    }
    let radix = radix as u32;
    let neg = x < 0.0;
    let mut v = x.abs();
    if v >= 1e21 {
        return s(js_number_to_string(x));
    }
    let mut digits = Vec::new();
    if v < 1.0 {
        digits.push('0');
    }
    while v >= 1.0 {
        let d = (v % radix as f64) as u32;
        digits.push(std::char::from_digit(d, radix).unwrap_or('0'));
        v = (v / radix as f64).floor();
    }
    if neg {
        digits.push('-');
    }
    digits.reverse();
    s(digits.into_iter().collect::<String>())
}

// ---------------------------------------------------------------- boolean

fn f_boolean(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    match arg(a, 0) {
        None => Ok(None),
        Some(v) => Ok(Some(Value::Bool(boolean(&Some(v.clone()))))),
    }
}

fn f_not(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    match arg(a, 0) {
        None => Ok(None),
        Some(v) => Ok(Some(Value::Bool(!boolean(&Some(v.clone()))))),
    }
}

fn f_exists(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    Ok(Some(Value::Bool(arg(a, 0).is_some())))
}

// ---------------------------------------------------------------- higher order

fn arity_of(f: &Value) -> usize {
    match f {
        Value::Func(f) => f.arity(),
        _ => 0,
    }
}

fn hof_args(f: &Value, v: &Value, i: usize, arr: &Value) -> Vec<Option<Value>> {
    let ar = arity_of(f);
    let mut out = vec![Some(v.clone())];
    if ar >= 2 {
        out.push(Some(Value::Number(i as f64)));
    }
    if ar >= 3 {
        out.push(Some(arr.clone()));
    }
    out
}

fn f_map(ev: &mut Eval, a: &[Option<Value>], ctx: &Ctx) -> R {
    let Some(arr) = arg(a, 0).cloned() else {
        return Ok(None);
    };
    let Some(f) = arg(a, 1).cloned() else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for (i, v) in arr.members().iter().enumerate() {
        let r = ev.apply(
            &f,
            hof_args(&f, v, i, &arr),
            &Some(Value::Null),
            ctx.env,
            0,
            None,
        )?;
        if let Some(r) = r {
            out.push(r);
        }
    }
    Ok(Some(Value::seq(out)))
}

fn f_filter(ev: &mut Eval, a: &[Option<Value>], ctx: &Ctx) -> R {
    let Some(arr) = arg(a, 0).cloned() else {
        return Ok(None);
    };
    let Some(f) = arg(a, 1).cloned() else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for (i, v) in arr.members().iter().enumerate() {
        let r = ev.apply(
            &f,
            hof_args(&f, v, i, &arr),
            &Some(Value::Null),
            ctx.env,
            0,
            None,
        )?;
        if boolean(&r) {
            out.push(v.clone());
        }
    }
    Ok(Some(Value::seq(out)))
}

fn f_single(ev: &mut Eval, a: &[Option<Value>], ctx: &Ctx) -> R {
    let Some(arr) = arg(a, 0).cloned() else {
        return Ok(None);
    };
    let f = arg(a, 1).cloned();
    let mut found: Option<Value> = None;
    for (i, v) in arr.members().iter().enumerate() {
        let ok = match &f {
            Some(f) => {
                let r = ev.apply(
                    f,
                    hof_args(f, v, i, &arr),
                    &Some(Value::Null),
                    ctx.env,
                    0,
                    None,
                )?;
                boolean(&r)
            }
            None => true,
        };
        if ok {
            if found.is_some() {
                return Err(Err::new("D3138"));
            }
            found = Some(v.clone());
        }
    }
    match found {
        Some(v) => Ok(Some(v)),
        None => Err(Err::new("D3139")),
    }
}

fn f_zip(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    let arrays: Vec<&[Value]> = a
        .iter()
        .map(|x| x.as_ref().map(|v| v.members()).unwrap_or(&[]))
        .collect();
    let len = arrays.iter().map(|x| x.len()).min().unwrap_or(0);
    let mut out = Vec::with_capacity(len);
    for i in 0..len {
        out.push(Value::array(arrays.iter().map(|x| x[i].clone()).collect()));
    }
    Ok(Some(Value::array(out)))
}

fn f_reduce(ev: &mut Eval, a: &[Option<Value>], ctx: &Ctx) -> R {
    let Some(arr) = arg(a, 0).cloned() else {
        return Ok(None);
    };
    let Some(f) = arg(a, 1).cloned() else {
        return Ok(None);
    };
    let ar = arity_of(&f);
    if ar < 2 {
        return Err(Err::new("D3050").index(1));
    }
    let items = arr.members();
    let init = a.get(2).cloned().flatten();
    let (mut acc, mut i) = match init {
        None if !items.is_empty() => (Some(items[0].clone()), 1),
        init => (init, 0),
    };
    while i < items.len() {
        let mut args = vec![acc, Some(items[i].clone())];
        if ar >= 3 {
            args.push(Some(Value::Number(i as f64)));
        }
        if ar >= 4 {
            args.push(Some(arr.clone()));
        }
        acc = ev.apply(&f, args, &Some(Value::Null), ctx.env, 0, None)?;
        i += 1;
    }
    Ok(acc)
}

fn f_sift(ev: &mut Eval, a: &[Option<Value>], ctx: &Ctx) -> R {
    let Some(Value::Object(o)) = arg(a, 0).cloned() else {
        return Ok(None);
    };
    let Some(f) = arg(a, 1).cloned() else {
        return Ok(None);
    };
    let ar = arity_of(&f);
    let objv = Value::Object(o.clone());
    let mut out = Map::new();
    for (k, v) in o.iter() {
        let mut args = vec![Some(v.clone())];
        if ar >= 2 {
            args.push(Some(Value::String(k.clone())));
        }
        if ar >= 3 {
            args.push(Some(objv.clone()));
        }
        let r = ev.apply(&f, args, &Some(Value::Null), ctx.env, 0, None)?;
        if boolean(&r) {
            out.insert(k.clone(), v.clone());
        }
    }
    if out.is_empty() {
        return Ok(None);
    }
    Ok(Some(Value::Object(Obj::new(out))))
}

fn f_each(ev: &mut Eval, a: &[Option<Value>], ctx: &Ctx) -> R {
    let Some(Value::Object(o)) = arg(a, 0).cloned() else {
        return Ok(None);
    };
    let Some(f) = arg(a, 1).cloned() else {
        return Ok(None);
    };
    let ar = arity_of(&f);
    let objv = Value::Object(o.clone());
    let mut out = Vec::new();
    for (k, v) in o.iter() {
        let mut args = vec![Some(v.clone())];
        if ar >= 2 {
            args.push(Some(Value::String(k.clone())));
        }
        if ar >= 3 {
            args.push(Some(objv.clone()));
        }
        if let Some(r) = ev.apply(&f, args, &Some(Value::Null), ctx.env, 0, None)? {
            out.push(r);
        }
    }
    Ok(Some(Value::seq(out)))
}

fn f_sort(ev: &mut Eval, a: &[Option<Value>], ctx: &Ctx) -> R {
    let Some(arr) = arg(a, 0).cloned() else {
        return Ok(None);
    };
    let items = arr.members().to_vec();
    if items.len() <= 1 {
        return Ok(Some(arr));
    }
    let sorted = match arg(a, 1).cloned() {
        None => {
            let all_num = items.iter().all(|x| matches!(x, Value::Number(_)));
            let all_str = items.iter().all(|x| matches!(x, Value::String(_)));
            if !all_num && !all_str {
                return Err(Err::new("D3070"));
            }
            merge_sort(
                items,
                &mut |x: &Value, y: &Value, _ev: &mut Eval| {
                    Ok(match (x, y) {
                        (Value::Number(p), Value::Number(q)) => p > q,
                        (Value::String(p), Value::String(q)) => {
                            js_str_cmp(p, q) == std::cmp::Ordering::Greater
                        }
                        _ => false,
                    })
                },
                ev,
            )?
        }
        Some(f) => {
            let env = ctx.env;
            merge_sort(
                items,
                &mut |x: &Value, y: &Value, ev: &mut Eval| {
                    let r = ev.apply(
                        &f,
                        vec![Some(x.clone()), Some(y.clone())],
                        &Some(Value::Null),
                        env,
                        0,
                        None,
                    )?;
                    Ok(boolean(&r))
                },
                ev,
            )?
        }
    };
    Ok(Some(Value::array(sorted)))
}

fn f_shuffle(ev: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    let Some(arr) = arg(a, 0).cloned() else {
        return Ok(None);
    };
    let mut items = arr.members().to_vec();
    if items.len() <= 1 {
        return Ok(Some(arr));
    }
    for i in (1..items.len()).rev() {
        let j = (ev.random() * (i + 1) as f64).floor() as usize;
        items.swap(i, j.min(i));
    }
    Ok(Some(Value::array(items)))
}

// ---------------------------------------------------------------- arrays & objects

fn f_keys(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    let mut out: indexmap::IndexSet<Arc<str>> = indexmap::IndexSet::new();
    fn add(v: &Value, out: &mut indexmap::IndexSet<Arc<str>>) -> Result<(), Err> {
        crate::value::stack_check()?;
        match v {
            Value::Array(a, _) => {
                for x in a.iter() {
                    add(x, out)?;
                }
            }
            Value::Object(o) => {
                for k in o.keys() {
                    out.insert(k.clone());
                }
            }
            _ => {}
        }
        Ok(())
    }
    if let Some(v) = arg(a, 0) {
        add(v, &mut out)?;
    }
    Ok(Some(Value::seq(
        out.into_iter().map(Value::String).collect(),
    )))
}

fn f_lookup(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    let Some(k) = str_arg(a, 1) else {
        return Ok(None);
    };
    lookup_field(arg(a, 0), &k)
}

fn f_append(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    Ok(append(
        a.first().cloned().flatten(),
        a.get(1).cloned().flatten(),
    ))
}

fn f_spread(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    fn spread(v: &Value) -> Result<Option<Value>, Err> {
        crate::value::stack_check()?;
        Ok(match v {
            Value::Array(items, _) => {
                let mut acc = Some(Value::seq(vec![]));
                for it in items.iter() {
                    acc = append(acc, spread(it)?);
                }
                acc
            }
            Value::Object(o) => {
                let out: Vec<Value> = o
                    .iter()
                    .map(|(k, v)| {
                        let mut m = Map::new();
                        m.insert(k.clone(), v.clone());
                        Value::Object(Obj::new(m))
                    })
                    .collect();
                Some(Value::seq(out))
            }
            other => Some(other.clone()),
        })
    }
    Ok(arg(a, 0).map(spread).transpose()?.flatten())
}

fn f_merge(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    let Some(arr) = arg(a, 0) else {
        return Ok(None);
    };
    let mut out = Map::new();
    for o in arr.members() {
        if let Value::Object(o) = o {
            for (k, v) in o.iter() {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(Some(Value::Object(Obj::new(out))))
}

fn f_reverse(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    let Some(arr) = arg(a, 0) else {
        return Ok(None);
    };
    if arr.members().len() <= 1 {
        return Ok(Some(arr.clone()));
    }
    let mut v = arr.members().to_vec();
    v.reverse();
    Ok(Some(Value::array(v)))
}

fn f_distinct(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    let Some(arr) = arg(a, 0) else {
        return Ok(None);
    };
    if !arr.is_array() || arr.members().len() <= 1 {
        return Ok(Some(arr.clone()));
    }
    let mut out: Vec<Value> = Vec::new();
    for v in arr.members() {
        if !out.iter().any(|x| deep_equal(x, v)) {
            out.push(v.clone());
        }
    }
    let flags = if arr.is_sequence() { SEQ } else { 0 };
    Ok(Some(Value::Array(Arr::new(out), flags)))
}

fn f_type(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    Ok(arg(a, 0).map(|v| {
        Value::string(match v {
            Value::Null => "null",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Bool(_) => "boolean",
            Value::Array(..) => "array",
            Value::Func(_) => "function",
            Value::Object(_) => "object",
        })
    }))
}

fn f_error(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    let m = str_arg(a, 0)
        .map(|x| x.to_string())
        .unwrap_or_else(|| "$error() function evaluated".into());
    Err(Err::new("D3137").msg(m))
}

fn f_assert(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    let ok = matches!(arg(a, 0), Some(Value::Bool(true)));
    if !ok {
        let m = str_arg(a, 1)
            .map(|x| x.to_string())
            .unwrap_or_else(|| "$assert() statement failed".into());
        return Err(Err::new("D3141").msg(m));
    }
    Ok(None)
}

fn f_clone(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    arg(a, 0).map(deep_copy).transpose()
}

// ---------------------------------------------------------------- encoding

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn f_base64encode(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    let Some(st) = str_arg(a, 0) else {
        return Ok(None);
    };
    // Buffer.from(str, 'binary'): each UTF-16 unit keeps its low byte
    let bytes: Vec<u8> = st.encode_utf16().map(|u| (u & 0xff) as u8).collect();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let nb = ((b[0] as u32) << 16) | ((b[1] as u32) << 8) | b[2] as u32;
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(B64[((nb >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    s(out)
}

fn f_base64decode(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    let Some(st) = str_arg(a, 0) else {
        return Ok(None);
    };
    let mut bits = 0u32;
    let mut nbits = 0;
    let mut out = String::new();
    for c in st.bytes() {
        let v = match B64.iter().position(|x| *x == c) {
            Some(v) => v as u32,
            None => continue,
        };
        bits = (bits << 6) | v;
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push(((bits >> nbits) & 0xff) as u8 as char);
        }
    }
    s(out)
}

fn encode_uri(st: &str, keep: &str) -> String {
    let mut out = String::new();
    for c in st.chars() {
        if c.is_ascii_alphanumeric() || "-_.!~*'()".contains(c) || keep.contains(c) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{:02X}", b));
            }
        }
    }
    out
}

fn decode_uri(st: &str, reserved: &str) -> Option<String> {
    let b = st.as_bytes();
    let mut out: Vec<u8> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let h = st.get(i + 1..i + 3)?;
            let v = u8::from_str_radix(h, 16).ok()?;
            if v < 0x80 && reserved.contains(v as char) {
                out.extend_from_slice(&b[i..i + 3]);
            } else {
                out.push(v);
            }
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn encode_checked(name: &str, x: &str, keep: &str) -> R {
    if x.chars().any(crate::value::is_lone_surrogate) {
        let shown: String = x
            .chars()
            .map(|c| {
                if crate::value::is_lone_surrogate(c) {
                    format!(
                        "\\u{:x}",
                        c as u32 - crate::value::LONE_SURROGATE_BASE + 0xD800
                    )
                } else {
                    c.to_string()
                }
            })
            .collect();
        return Err(malformed(name, &shown));
    }
    s(encode_uri(x, keep))
}

fn f_encode_url_component(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    match str_arg(a, 0) {
        Some(x) => encode_checked("encodeUrlComponent", &x, ""),
        None => Ok(None),
    }
}

fn f_encode_url(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    match str_arg(a, 0) {
        Some(x) => encode_checked("encodeUrl", &x, ";,/?:@&=+$#"),
        None => Ok(None),
    }
}

fn malformed(name: &str, v: &str) -> Err {
    Err::new("D3140").msg(format!("Malformed URL passed to ${name}(): \"{v}\""))
}

fn f_decode_url_component(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    let Some(x) = str_arg(a, 0) else {
        return Ok(None);
    };
    match decode_uri(&x, "") {
        Some(d) => s(d),
        None => Err(malformed("decodeUrlComponent", &x)),
    }
}

fn f_decode_url(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    let Some(x) = str_arg(a, 0) else {
        return Ok(None);
    };
    match decode_uri(&x, ";,/?:@&=+$#") {
        Some(d) => s(d),
        None => Err(malformed("decodeUrl", &x)),
    }
}

// ---------------------------------------------------------------- eval & time

fn f_eval(ev: &mut Eval, a: &[Option<Value>], ctx: &Ctx) -> R {
    let Some(src) = str_arg(a, 0) else {
        return Ok(None);
    };
    let mut input = ctx.input.clone();
    if let Some(focus) = a.get(1).cloned().flatten() {
        input = Some(match focus {
            Value::Array(arr, f) if f & SEQ == 0 => Value::Array(
                Arr::new(vec![Value::Array(arr, f)]),
                SEQ | crate::value::OUTER,
            ),
            other => other,
        });
    }
    let ast = match crate::parser::parse(&src) {
        Ok(a) => a,
        Err(e) => return Err(Err::new("D3120").value_str(&e.message_text())),
    };
    match ev.eval(&ast, &input, ctx.env) {
        Ok(v) => Ok(v),
        Err(e) => Err(Err::new("D3121").value_str(&e.message_text())),
    }
}

fn f_millis(ev: &mut Eval, _: &[Option<Value>], _: &Ctx) -> R {
    n(ev.now_millis as f64)
}

fn f_now(ev: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    let pic = str_arg(a, 0);
    let tz = str_arg(a, 1);
    crate::datetime::from_millis(ev.now_millis as f64, pic.as_deref(), tz.as_deref())
        .map(|x| x.map(Value::String))
}

fn f_from_millis(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    let Some(m) = num_arg(a, 0) else {
        return Ok(None);
    };
    let pic = str_arg(a, 1);
    let tz = str_arg(a, 2);
    crate::datetime::from_millis(m, pic.as_deref(), tz.as_deref()).map(|x| x.map(Value::String))
}

fn f_to_millis(ev: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    let Some(t) = str_arg(a, 0) else {
        return Ok(None);
    };
    let pic = str_arg(a, 1);
    crate::datetime::to_millis(&t, pic.as_deref(), ev.now_millis).map(|x| x.map(Value::Number))
}

fn f_format_number(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    let Some(x) = num_arg(a, 0) else {
        return Ok(None);
    };
    let pic = str_arg(a, 1).unwrap_or_else(|| Arc::from(""));
    let mut opts = Vec::new();
    if let Some(Value::Object(o)) = arg(a, 2) {
        for (k, v) in o.iter() {
            if let Value::String(sv) = v {
                opts.push((k.to_string(), sv.to_string()));
            }
        }
    }
    crate::datetime::format_number(x, &pic, &opts).map(|r| r.map(Value::String))
}

fn f_format_integer(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    let Some(x) = num_arg(a, 0) else {
        return Ok(None);
    };
    let pic = str_arg(a, 1).unwrap_or_else(|| Arc::from(""));
    crate::datetime::format_integer(x, &pic).map(|r| r.map(Value::String))
}

fn f_parse_integer(_: &mut Eval, a: &[Option<Value>], _: &Ctx) -> R {
    let Some(t) = str_arg(a, 0) else {
        return Ok(None);
    };
    let pic = str_arg(a, 1).unwrap_or_else(|| Arc::from(""));
    crate::datetime::parse_integer(&t, &pic).map(|r| r.map(Value::Number))
}

// ---------------------------------------------------------------- registry

const TABLE: &[(&str, &str, usize, BuiltinFn)] = &[
    ("sum", "<a<n>:n>", 1, f_sum),
    ("count", "<a:n>", 1, f_count),
    ("max", "<a<n>:n>", 1, f_max),
    ("min", "<a<n>:n>", 1, f_min),
    ("average", "<a<n>:n>", 1, f_average),
    ("string", "<x-b?:s>", 1, f_string),
    ("substring", "<s-nn?:s>", 3, f_substring),
    ("substringBefore", "<s-s:s>", 2, f_substring_before),
    ("substringAfter", "<s-s:s>", 2, f_substring_after),
    ("lowercase", "<s-:s>", 1, f_lowercase),
    ("uppercase", "<s-:s>", 1, f_uppercase),
    ("length", "<s-:n>", 1, f_length),
    ("trim", "<s-:s>", 1, f_trim),
    ("pad", "<s-ns?:s>", 3, f_pad),
    ("match", "<s-f<s:o>n?:a<o>>", 3, f_match),
    ("contains", "<s-(sf):b>", 2, f_contains),
    ("replace", "<s-(sf)(sf)n?:s>", 4, f_replace),
    ("split", "<s-(sf)n?:a<s>>", 3, f_split),
    ("join", "<a<s>s?:s>", 2, f_join),
    ("formatNumber", "<n-so?:s>", 3, f_format_number),
    ("formatBase", "<n-n?:s>", 2, f_format_base),
    ("formatInteger", "<n-s:s>", 2, f_format_integer),
    ("parseInteger", "<s-s:n>", 2, f_parse_integer),
    ("number", "<(nsb)-:n>", 1, f_number),
    ("floor", "<n-:n>", 1, f_floor),
    ("ceil", "<n-:n>", 1, f_ceil),
    ("round", "<n-n?:n>", 2, f_round),
    ("abs", "<n-:n>", 1, f_abs),
    ("sqrt", "<n-:n>", 1, f_sqrt),
    ("power", "<n-n:n>", 2, f_power),
    ("random", "<:n>", 0, f_random),
    ("boolean", "<x-:b>", 1, f_boolean),
    ("not", "<x-:b>", 1, f_not),
    ("map", "<af>", 2, f_map),
    ("zip", "<a+>", 0, f_zip),
    ("filter", "<af>", 2, f_filter),
    ("single", "<af?>", 2, f_single),
    ("reduce", "<afj?:j>", 3, f_reduce),
    ("sift", "<o-f?:o>", 2, f_sift),
    ("keys", "<x-:a<s>>", 1, f_keys),
    ("lookup", "<x-s:x>", 2, f_lookup),
    ("append", "<xx:a>", 2, f_append),
    ("exists", "<x:b>", 1, f_exists),
    ("spread", "<x-:a<o>>", 1, f_spread),
    ("merge", "<a<o>:o>", 1, f_merge),
    ("reverse", "<a:a>", 1, f_reverse),
    ("each", "<o-f:a>", 2, f_each),
    ("error", "<s?:x>", 1, f_error),
    ("assert", "<bs?:x>", 2, f_assert),
    ("type", "<x:s>", 1, f_type),
    ("sort", "<af?:a>", 2, f_sort),
    ("shuffle", "<a:a>", 1, f_shuffle),
    ("distinct", "<x:x>", 1, f_distinct),
    ("base64encode", "<s-:s>", 1, f_base64encode),
    ("base64decode", "<s-:s>", 1, f_base64decode),
    ("encodeUrlComponent", "<s-:s>", 1, f_encode_url_component),
    ("encodeUrl", "<s-:s>", 1, f_encode_url),
    ("decodeUrlComponent", "<s-:s>", 1, f_decode_url_component),
    ("decodeUrl", "<s-:s>", 1, f_decode_url),
    ("eval", "<sx?:x>", 2, f_eval),
    ("toMillis", "<s-s?:n>", 2, f_to_millis),
    ("fromMillis", "<n-s?s?:s>", 3, f_from_millis),
    ("clone", "<(oa)-:o>", 1, f_clone),
    ("now", "<s?s?:s>", 2, f_now),
    ("millis", "<:n>", 0, f_millis),
];

fn registry() -> &'static HashMap<&'static str, Value> {
    static REG: OnceLock<HashMap<&'static str, Value>> = OnceLock::new();
    REG.get_or_init(|| {
        let mut m = HashMap::new();
        for (name, sig, arity, f) in TABLE {
            let b: &'static Builtin = Box::leak(Box::new(Builtin {
                name,
                signature: Signature::parse(sig).ok(),
                arity: *arity,
                f: *f,
            }));
            m.insert(*name, Value::Func(Arc::new(Func::Builtin(b))));
        }
        m
    })
}

/// The built-in function bound to `$name`, if any.
pub fn builtin(name: &str) -> Option<Value> {
    registry().get(name).cloned()
}
