//! JavaScript number semantics that the picture formatters depend on.
//!
//! jsonata-js builds its output with `Number.prototype.toString`, `toFixed`, `parseInt` and its own
//! string-shifting `round`; reproducing those exactly is what makes our output byte-identical.

/// `Number.prototype.toString()` (radix 10), ECMA-262 Number::toString.
pub(crate) fn to_string(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_string();
    }
    if x == 0.0 {
        return "0".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    if x < 0.0 {
        return format!("-{}", to_string(-x));
    }
    // Rust's `{:e}` yields the shortest round-tripping digits, as ECMAScript requires.
    let sci = format!("{x:e}");
    let (mant, exp) = match sci.split_once('e') {
        Some(p) => p,
        None => (sci.as_str(), "0"),
    };
    let mut digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let e: i64 = exp.parse().unwrap_or(0);
    even_tie_break(x, &mut digits, e);
    let k = digits.len() as i64;
    let n = e + 1;
    if k <= n && n <= 21 {
        let mut s = digits;
        for _ in 0..(n - k) {
            s.push('0');
        }
        s
    } else if 0 < n && n <= 21 {
        let (a, b) = digits.split_at(n as usize);
        format!("{a}.{b}")
    } else if -6 < n && n <= 0 {
        let mut s = String::from("0.");
        for _ in 0..(-n) {
            s.push('0');
        }
        s.push_str(&digits);
        s
    } else {
        let sign = if n - 1 < 0 { '-' } else { '+' };
        let (first, rest) = digits.split_at(1);
        if rest.is_empty() {
            format!("{first}e{sign}{}", (n - 1).abs())
        } else {
            format!("{first}.{rest}e{sign}{}", (n - 1).abs())
        }
    }
}

/// How many decimal digits the exact value of `x` has after the point (a binary fraction with
/// k fractional bits has exactly k fractional decimal digits, the last one a 5).
fn exact_fraction_digits(x: f64) -> i64 {
    let bits = x.to_bits();
    let exp_field = ((bits >> 52) & 0x7ff) as i64;
    let frac = bits & ((1u64 << 52) - 1);
    let (mant, exp) = if exp_field == 0 {
        (frac, -1074)
    } else {
        (frac | (1u64 << 52), exp_field - 1075)
    };
    if mant == 0 {
        return 0;
    }
    (-(exp + i64::from(mant.trailing_zeros()))).max(0)
}

/// ECMAScript picks, among equally short round-tripping digit strings equally close to the
/// exact value, the one ending in an even digit; Rust's shortest printer may pick the odd one
/// (1000000000000000.25 prints as "…0.3" in Rust, "…0.2" in JavaScript).
fn even_tie_break(x: f64, digits: &mut String, e: i64) {
    // A tie needs an exact value with exactly one more significant digit than the shortest
    // form. Cheap test first: for non-integers that count is e + 1 + fractional digits; big
    // integers (beyond 2^53) are checked the slow way.
    let k = digits.len() as i64;
    let fd = exact_fraction_digits(x);
    let possible = if fd > 0 {
        e + 1 + fd == k + 1
    } else {
        x.abs() >= 9_007_199_254_740_992.0
    };
    if !possible {
        return;
    }
    // An f64 has at most 767 significant decimal digits, so this expansion is exact.
    let exact = format!("{x:.800e}");
    let Some((m, ex)) = exact.split_once('e') else {
        return;
    };
    if ex.parse::<i64>().ok() != Some(e) {
        return;
    }
    let all: String = m.chars().filter(|c| c.is_ascii_digit()).collect();
    let sig = all.trim_end_matches('0');
    let k = digits.len();
    if sig.len() != k + 1 || !sig.ends_with('5') {
        return;
    }
    let Some(lower) = sig.get(..k) else {
        return;
    };
    let last = lower.bytes().last().unwrap_or(b'0');
    if (last - b'0') & 1 == 0 {
        *digits = lower.to_string();
    } else {
        // Incrementing an odd last digit never carries.
        let mut up: Vec<u8> = lower.bytes().collect();
        if let Some(l) = up.last_mut() {
            *l += 1;
        }
        *digits = String::from_utf8(up).unwrap_or_else(|_| digits.clone());
    }
}

/// Parses the way unary `+` does for the strings `round` builds (`"1.5e3"`); anything else is NaN.
fn to_number(s: &str) -> f64 {
    let t = s.trim();
    if t.is_empty() {
        return 0.0;
    }
    // Rust accepts "inf"/"nan" spellings that JavaScript does not.
    if t.chars()
        .any(|c| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
    {
        return f64::NAN;
    }
    t.parse::<f64>().unwrap_or(f64::NAN)
}

/// `Math.round`: nearest integer, ties toward +∞.
pub(crate) fn math_round(x: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let f = x.floor();
    if x - f >= 0.5 {
        f + 1.0
    } else {
        f
    }
}

/// jsonata-js `round(arg, precision)`: half-to-even, shifting the decimal point in the string
/// form so that binary representation error does not decide ties.
pub(crate) fn jsonata_round(arg: f64, precision: i64) -> f64 {
    let shift = |v: f64, by: i64| -> f64 {
        let s = to_string(v);
        let (m, e) = match s.split_once('e') {
            Some((m, e)) => (m.to_string(), to_number(e)),
            None => (s, 0.0),
        };
        let new_exp = e + by as f64;
        if !new_exp.is_finite() {
            return f64::NAN;
        }
        to_number(&format!("{m}e{}", to_string(new_exp)))
    };
    let mut a = arg;
    if precision != 0 {
        a = shift(arg, precision);
    }
    let mut result = math_round(a);
    let diff = result - a;
    if diff.abs() == 0.5 && (result % 2.0).abs() == 1.0 {
        result -= 1.0;
    }
    if precision != 0 {
        result = shift(result, -precision);
    }
    if result == 0.0 {
        result = 0.0;
    }
    result
}

/// `Number.prototype.toFixed(digits)`; `None` where JavaScript throws a RangeError (digits > 100).
pub(crate) fn to_fixed(x: f64, digits: usize) -> Option<String> {
    if digits > 100 {
        return None;
    }
    if x.is_nan() {
        return Some("NaN".to_string());
    }
    if x.abs() >= 1e21 || x.is_infinite() {
        return Some(to_string(x));
    }
    let neg = x < 0.0;
    let ax = x.abs();
    // Only an exact tie (the exact value ends in a 5 right after the last kept digit) rounds
    // differently from Rust's correctly rounded formatting: JavaScript then takes the larger.
    if exact_fraction_digits(ax) != digits as i64 + 1 {
        return Some(format!("{}{ax:.digits$}", if neg { "-" } else { "" }));
    }
    // Here the expansion to digits + 1 places is exact.
    let exact = format!("{ax:.prec$}", prec = digits + 1);
    let (int_part, frac_part) = exact.split_once('.').unwrap_or((exact.as_str(), ""));
    let frac = frac_part.as_bytes();
    let mut all: Vec<u8> = int_part.bytes().collect();
    for i in 0..digits {
        all.push(frac.get(i).copied().unwrap_or(b'0'));
    }
    // toFixed picks the larger n on a tie, i.e. rounds half away from zero on the exact value.
    if frac.get(digits).copied().unwrap_or(b'0') >= b'5' {
        let mut carry = true;
        for d in all.iter_mut().rev() {
            if *d == b'9' {
                *d = b'0';
            } else {
                *d += 1;
                carry = false;
                break;
            }
        }
        if carry {
            all.insert(0, b'1');
        }
    }
    let split = all.len() - digits;
    let (ip, fp) = all.split_at(split);
    let mut s = String::new();
    // (-0.0001).toFixed(2) is "-0.00" in JavaScript: the sign survives.
    if neg {
        s.push('-');
    }
    s.push_str(std::str::from_utf8(ip).unwrap_or("0"));
    if digits > 0 {
        s.push('.');
        s.push_str(std::str::from_utf8(fp).unwrap_or(""));
    }
    Some(s)
}

/// `parseInt(string)` with radix 10 (or 16 for a `0x` prefix); NaN when no digits lead.
pub(crate) fn parse_int(s: &str) -> f64 {
    let t = s.trim_start_matches(is_js_whitespace);
    let (neg, rest) = if let Some(r) = t.strip_prefix('-') {
        (true, r)
    } else if let Some(r) = t.strip_prefix('+') {
        (false, r)
    } else {
        (false, t)
    };
    let v = if let Some(hex) = rest.strip_prefix("0x").or_else(|| rest.strip_prefix("0X")) {
        let digits: String = hex.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
        if digits.is_empty() {
            return f64::NAN;
        }
        digits.chars().fold(0.0f64, |acc, c| {
            acc * 16.0 + f64::from(c.to_digit(16).unwrap_or(0))
        })
    } else {
        let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        if digits.is_empty() {
            return f64::NAN;
        }
        digits.parse::<f64>().unwrap_or(f64::NAN)
    };
    if neg {
        -v
    } else {
        v
    }
}

/// ECMAScript WhiteSpace and LineTerminator code points (what `\s` and `trim` use).
pub(crate) fn is_js_whitespace(c: char) -> bool {
    c.is_whitespace() || c == '\u{FEFF}'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_to_string_matches_javascript() {
        assert_eq!(to_string(1e21), "1e+21");
        assert_eq!(to_string(1e20), "100000000000000000000");
        assert_eq!(to_string(123.456), "123.456");
        assert_eq!(to_string(0.000001), "0.000001");
        assert_eq!(to_string(0.0000001), "1e-7");
        assert_eq!(to_string(1.5e-10), "1.5e-10");
        assert_eq!(to_string(-2.0), "-2");
        assert_eq!(to_string(1.2345e25), "1.2345e+25");
        assert_eq!(to_string(1000000000000000.2), "1000000000000000.2");
        assert_eq!(to_string(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(to_string(5e-324), "5e-324");
    }

    #[test]
    fn to_fixed_rounds_half_away_from_zero_on_exact_value() {
        assert_eq!(to_fixed(0.5, 0).as_deref(), Some("1"));
        assert_eq!(to_fixed(2.5, 0).as_deref(), Some("3"));
        assert_eq!(to_fixed(1.005, 2).as_deref(), Some("1.00"));
        assert_eq!(to_fixed(123.456, 5).as_deref(), Some("123.45600"));
        assert_eq!(to_fixed(9.995, 2).as_deref(), Some("9.99"));
        assert_eq!(to_fixed(99.5, 0).as_deref(), Some("100"));
        assert_eq!(to_fixed(1e21, 2).as_deref(), Some("1e+21"));
        assert_eq!(to_fixed(1.0, 101), None);
        assert_eq!(to_fixed(0.125, 2).as_deref(), Some("0.13"));
        assert_eq!(to_fixed(-0.125, 2).as_deref(), Some("-0.13"));
        assert_eq!(
            to_fixed(1000000000000000.2, 1).as_deref(),
            Some("1000000000000000.3")
        );
        assert_eq!(to_fixed(0.3, 20).as_deref(), Some("0.29999999999999998890"));
    }

    #[test]
    fn jsonata_round_is_half_even() {
        assert_eq!(jsonata_round(2.5, 0), 2.0);
        assert_eq!(jsonata_round(3.5, 0), 4.0);
        assert_eq!(jsonata_round(-2.5, 0), -2.0);
        assert_eq!(jsonata_round(0.125, 2), 0.12);
        assert_eq!(jsonata_round(0.135, 2), 0.14);
        assert_eq!(jsonata_round(485.70000000000005, 3), 485.7);
    }

    #[test]
    fn parse_int_follows_javascript() {
        assert_eq!(parse_int("  42abc"), 42.0);
        assert_eq!(parse_int("-7"), -7.0);
        assert_eq!(parse_int("0x1A"), 26.0);
        assert!(parse_int("abc").is_nan());
        assert!(parse_int("").is_nan());
    }
}
