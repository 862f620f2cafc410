//! Static syntax checks of strings inside a definition: JSONPath paths, Reference Paths,
//! intrinsic function calls, RFC3339 timestamps, JSONata `{% %}` strings.
//!
//! These decide *whether* a value is acceptable; the messages are worded by the caller.

/// Maximum nesting of intrinsic calls / brackets the checkers follow before giving up (the value
/// is then reported invalid rather than recursing without bound).
const MAX_DEPTH: usize = 64;

/// True when `s` is a JSONata expression string: the whole string is `{% ... %}`.
pub(crate) fn is_jsonata_expr(s: &str) -> bool {
    s.len() >= 4 && s.starts_with("{%") && s.ends_with("%}")
}

/// A JSONPath as AWS accepts it in `InputPath`, `OutputPath`, `ItemsPath`, `Variable` and
/// `.$` fields: `$`/`$$`/`$var` followed by member, index, wildcard, slice, filter and
/// recursive-descent segments.
pub(crate) fn is_valid_path(s: &str) -> bool {
    check_path(s, false)
}

/// A Reference Path (ResultPath, `...Path` number fields): only `.name`, `['name']` and `[n]`
/// segments; no wildcards, filters, slices or recursive descent.
pub(crate) fn is_valid_reference_path(s: &str) -> bool {
    check_path(s, true)
}

fn check_path(s: &str, reference: bool) -> bool {
    let b = s.as_bytes();
    if b.first() != Some(&b'$') {
        return false;
    }
    let mut i = 1;
    if b.get(1) == Some(&b'$') {
        i = 2;
    } else {
        // `$varName` reads a workflow variable.
        while i < b.len() && is_ident_byte(b[i]) {
            i += 1;
        }
    }
    while i < b.len() {
        match b[i] {
            b'.' => {
                i += 1;
                if b.get(i) == Some(&b'.') {
                    if reference {
                        return false;
                    }
                    i += 1;
                    if b.get(i) == Some(&b'[') {
                        continue;
                    }
                }
                if b.get(i) == Some(&b'*') {
                    if reference {
                        return false;
                    }
                    i += 1;
                    continue;
                }
                let start = i;
                while i < b.len() && !matches!(b[i], b'.' | b'[' | b']' | b' ' | b'(' | b')') {
                    i += 1;
                }
                if i == start {
                    return false;
                }
            }
            b'[' => match bracket_end(b, i, reference) {
                Some(end) => i = end,
                None => return false,
            },
            _ => return false,
        }
    }
    true
}

fn is_ident_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Returns the index after the `]` closing the bracket segment starting at `open`.
fn bracket_end(b: &[u8], open: usize, reference: bool) -> Option<usize> {
    let mut i = open + 1;
    let inner_start = i;
    let first = *b.get(i)?;
    if first == b'\'' || first == b'"' {
        // One or more quoted names separated by commas.
        loop {
            let q = *b.get(i)?;
            if q != b'\'' && q != b'"' {
                return None;
            }
            i += 1;
            let name_start = i;
            while *b.get(i)? != q {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            if i == name_start {
                return None;
            }
            i += 1;
            match *b.get(i)? {
                b']' => return Some(i + 1),
                b',' if !reference => {
                    i += 1;
                    while b.get(i) == Some(&b' ') {
                        i += 1;
                    }
                }
                _ => return None,
            }
        }
    }
    if reference {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        return (i > inner_start && b.get(i) == Some(&b']')).then_some(i + 1);
    }
    // Filters, slices, unions, wildcards: balanced up to the closing bracket.
    let mut depth = 1usize;
    let mut quote: Option<u8> = None;
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(q) => {
                if c == b'\\' {
                    i += 1;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                b'\'' | b'"' => quote = Some(c),
                b'[' | b'(' => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return None;
                    }
                }
                b')' => depth = depth.checked_sub(1)?,
                b']' => {
                    depth -= 1;
                    if depth == 0 {
                        let inner = &b[inner_start..i];
                        return valid_bracket_inner(inner).then_some(i + 1);
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    None
}

fn valid_bracket_inner(inner: &[u8]) -> bool {
    let Ok(s) = std::str::from_utf8(inner) else {
        return false;
    };
    let t = s.trim();
    if t.is_empty() {
        return false;
    }
    if t == "*" {
        return true;
    }
    if let Some(f) = t.strip_prefix('?') {
        let f = f.trim();
        return f.starts_with('(') && f.ends_with(')') && f.len() > 2;
    }
    // Indices, unions of indices, slices [a:b:c].
    t.split(',').all(|part| {
        let pieces: Vec<&str> = part.trim().split(':').collect();
        match pieces.as_slice() {
            [one] => is_int(one.trim()),
            _ if pieces.len() <= 3 => pieces
                .iter()
                .all(|p| p.trim().is_empty() || is_int(p.trim())),
            _ => false,
        }
    })
}

fn is_int(s: &str) -> bool {
    let d = s.strip_prefix('-').unwrap_or(s);
    !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit())
}

/// The intrinsic functions AWS knows.
const INTRINSICS: &[&str] = &[
    "States.Format",
    "States.StringToJson",
    "States.JsonToString",
    "States.Array",
    "States.ArrayPartition",
    "States.ArrayContains",
    "States.ArrayRange",
    "States.ArrayGetItem",
    "States.ArrayLength",
    "States.ArrayUnique",
    "States.Base64Encode",
    "States.Base64Decode",
    "States.Hash",
    "States.JsonMerge",
    "States.MathRandom",
    "States.MathAdd",
    "States.StringSplit",
    "States.UUID",
];

/// True when `s` is a syntactically valid intrinsic function call (known function name,
/// arguments that are literals, paths or nested calls; string literals with only the escapes
/// `\'`, `\{`, `\}`, `\\`).
pub(crate) fn is_valid_intrinsic(s: &str) -> bool {
    let mut p = IntrinsicSyntax {
        b: s.as_bytes(),
        i: 0,
    };
    p.call(0) && {
        p.ws();
        p.i == p.b.len()
    }
}

struct IntrinsicSyntax<'a> {
    b: &'a [u8],
    i: usize,
}

impl IntrinsicSyntax<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && self.b[self.i] == b' ' {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn call(&mut self, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'.')
        {
            self.i += 1;
        }
        let Ok(name) = std::str::from_utf8(&self.b[start..self.i]) else {
            return false;
        };
        if !INTRINSICS.contains(&name) || self.peek() != Some(b'(') {
            return false;
        }
        self.i += 1;
        self.ws();
        if self.peek() == Some(b')') {
            self.i += 1;
            return true;
        }
        loop {
            self.ws();
            if !self.arg(depth) {
                return false;
            }
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b')') => {
                    self.i += 1;
                    return true;
                }
                _ => return false,
            }
        }
    }

    fn arg(&mut self, depth: usize) -> bool {
        match self.peek() {
            Some(b'\'') => self.string(),
            Some(b'$') => self.path(),
            Some(c) if c == b'-' || c.is_ascii_digit() => self.number(),
            Some(b'S') => self.call(depth + 1),
            Some(_) => self.keyword(),
            None => false,
        }
    }

    fn string(&mut self) -> bool {
        self.i += 1;
        while let Some(c) = self.peek() {
            self.i += 1;
            match c {
                b'\\' => match self.peek() {
                    Some(b'\'' | b'{' | b'}' | b'\\') => self.i += 1,
                    _ => return false,
                },
                b'\'' => return true,
                _ => {}
            }
        }
        false
    }

    fn number(&mut self) -> bool {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
        {
            self.i += 1;
        }
        std::str::from_utf8(&self.b[start..self.i])
            .ok()
            .and_then(|t| t.parse::<f64>().ok())
            .is_some()
    }

    fn keyword(&mut self) -> bool {
        for kw in ["true", "false", "null"] {
            if self.b[self.i..].starts_with(kw.as_bytes()) {
                self.i += kw.len();
                return true;
            }
        }
        false
    }

    fn path(&mut self) -> bool {
        // A path argument runs to the next top-level `,` or `)`.
        let start = self.i;
        let mut depth = 0usize;
        let mut quote: Option<u8> = None;
        while let Some(c) = self.peek() {
            match quote {
                Some(q) => {
                    if c == q {
                        quote = None;
                    }
                }
                None => match c {
                    b'\'' | b'"' => quote = Some(c),
                    b'[' | b'(' => depth += 1,
                    b']' => depth = depth.saturating_sub(1),
                    b')' if depth == 0 => break,
                    b')' => depth -= 1,
                    b',' if depth == 0 => break,
                    _ => {}
                },
            }
            self.i += 1;
        }
        std::str::from_utf8(&self.b[start..self.i])
            .map(|p| is_valid_path(p.trim_end()))
            .unwrap_or(false)
    }
}

/// A `.$` field value (or ErrorPath/CausePath): a JSONPath or an intrinsic function call.
pub(crate) fn is_path_or_intrinsic(s: &str) -> bool {
    if s.starts_with('$') {
        is_valid_path(s)
    } else {
        is_valid_intrinsic(s)
    }
}

/// RFC3339 as AWS accepts it in Wait `Timestamp` and Choice `Timestamp*` rules: uppercase `T`
/// and `Z`, optional fraction, `Z` or a numeric offset; real calendar dates and times.
pub(crate) fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 20 {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(r)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(se)) = (
        digits(0..4),
        digits(5..7),
        digits(8..10),
        digits(11..13),
        digits(14..16),
        digits(17..19),
    ) else {
        return false;
    };
    if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return false;
    }
    if chrono::NaiveDate::from_ymd_opt(y as i32, mo, d).is_none() || h > 23 || mi > 59 || se > 60 {
        return false;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            i + 6 == b.len()
                && b[i + 3] == b':'
                && digits(i + 1..i + 3).is_some_and(|oh| oh <= 23)
                && digits(i + 4..i + 6).is_some_and(|om| om <= 59)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        for ok in [
            "$",
            "$.a",
            "$.a.b[0]",
            "$['a b']",
            "$..x",
            "$.a[*]",
            "$[1:3]",
            "$.a[?(@.b > 1)]",
            "$$.Execution.Id",
            "$var",
            "$var.x",
            "$.a[-1]",
        ] {
            assert!(is_valid_path(ok), "{ok}");
        }
        for bad in ["", "a", "$.", "$.a.", "$[", "$[]", "$a b", "$.a]"] {
            assert!(!is_valid_path(bad), "{bad}");
        }
        assert!(is_valid_reference_path("$.a['b'][0]"));
        for bad in ["$..a", "$.a[*]", "$.a[1:2]", "$.a[?(@.x)]", "$.*"] {
            assert!(!is_valid_reference_path(bad), "{bad}");
        }
    }

    #[test]
    fn intrinsics() {
        for ok in [
            "States.UUID()",
            "States.Format('a {}', $.x)",
            "States.Array(1, -2.5, true, null, 'x', States.UUID())",
            "States.Format('it\\'s \\{\\}')",
            "States.JsonMerge($.a, $$.Execution.Input, false)",
        ] {
            assert!(is_valid_intrinsic(ok), "{ok}");
        }
        for bad in [
            "States.Nope()",
            "States.Format('a \\\"b')",
            "States.Format('unterminated)",
            "States.UUID(",
            "States.UUID() x",
        ] {
            assert!(!is_valid_intrinsic(bad), "{bad}");
        }
    }

    #[test]
    fn timestamps() {
        for ok in [
            "2016-03-14T01:59:00Z",
            "2024-12-05T21:29:29.243167252Z",
            "2016-03-14T01:59:00+01:00",
            "2016-02-29T00:00:00Z",
        ] {
            assert!(is_rfc3339(ok), "{ok}");
        }
        for bad in [
            "2016-13-05T21:29:29Z",
            "2016-12-05T25:29:29Z",
            "05-12-2016T21:29:29Z",
            "2015-02-29T00:00:00Z",
            "2016-03-14t01:59:00Z",
            "2016-03-14T01:59:00",
            "{% '2016-03-14T01:59:00Z' %}",
        ] {
            assert!(!is_rfc3339(bad), "{bad}");
        }
    }
}
