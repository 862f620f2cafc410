//! Static syntax checks of strings inside a definition: JSONPath paths, Reference Paths,
//! intrinsic function calls, RFC3339 timestamps, JSONata `{% %}` strings.
//!
//! These decide *whether* a value is acceptable; the messages are worded by the caller. Paths
//! and intrinsic calls are checked with the same parsers the engine evaluates them with.

use crate::intrinsics;
use crate::jsonpath::JsonPath;

/// True when `s` is a JSONata expression string: the whole string is `{% ... %}`.
pub(crate) fn is_jsonata_expr(s: &str) -> bool {
    s.len() >= 4 && s.starts_with("{%") && s.ends_with("%}")
}

/// True when the JSONata expression `expr` contains `name` as code (outside string literals,
/// backquoted names and comments), not followed by more of an identifier.
pub(crate) fn jsonata_mentions(expr: &str, name: &str) -> bool {
    let b = expr.as_bytes();
    let n = name.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            q @ (b'\'' | b'"' | b'`') => {
                i += 1;
                while i < b.len() && b[i] != q {
                    if b[i] == b'\\' && q != b'`' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 2;
            }
            _ => {
                if b[i..].starts_with(n)
                    && !b
                        .get(i + n.len())
                        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                {
                    return true;
                }
                i += 1;
            }
        }
    }
    false
}

/// A JSONPath as AWS accepts it in `InputPath`, `OutputPath`, `ItemsPath`, `Variable` and
/// `.$` fields (Jayway's grammar, roots `$`, `$$` and `$var`).
pub(crate) fn is_valid_path(s: &str) -> bool {
    JsonPath::parse(s).is_ok()
}

/// A Reference Path (ResultPath, `...Path` number fields): only single member names and
/// indices; no wildcards, filters, slices, unions or recursive descent.
pub(crate) fn is_valid_reference_path(s: &str) -> bool {
    JsonPath::parse(s).is_ok_and(|p| p.is_reference_path())
}

/// A syntactically valid intrinsic function call: known function name, arguments that are
/// literals, paths or nested calls; string literals with only the escapes `\'`, `\{`, `\}`,
/// `\\`.
pub(crate) fn is_valid_intrinsic(s: &str) -> bool {
    intrinsics::parse(s).is_ok()
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
        for bad in ["", "a", "$.", "$[", "$[]", "$a b"] {
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
    fn jsonata_references() {
        assert!(jsonata_mentions(" $$ ", "$$"));
        assert!(jsonata_mentions("$$.a", "$$"));
        assert!(!jsonata_mentions("'$$' & \"$$\" & `$$` /* $$ */", "$$"));
        assert!(jsonata_mentions(
            "$states.errorOutput.Error",
            "$states.errorOutput"
        ));
        assert!(!jsonata_mentions(
            "$states.errorOutputs",
            "$states.errorOutput"
        ));
        assert!(!jsonata_mentions("$states.input", "$$"));
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
