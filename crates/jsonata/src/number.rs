//! JavaScript number formatting (`Number.prototype.toString`), which JSONata's string
//! conversions inherit.

/// Format `v` exactly as JavaScript's `String(v)` does.
pub fn js_number_to_string(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    if v == 0.0 {
        return "0".into();
    }
    // Rust's LowerExp prints the shortest round-trip digits, as ECMAScript requires.
    let s = format!("{:e}", v);
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.as_str()),
    };
    let (mant, exp) = match s.split_once('e') {
        Some(p) => p,
        None => (s, "0"),
    };
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let k = digits.len() as i32;
    let n = exp + 1;
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if k <= n && n <= 21 {
        out.push_str(&digits);
        for _ in 0..(n - k) {
            out.push('0');
        }
    } else if 0 < n && n <= 21 {
        out.push_str(&digits[..n as usize]);
        out.push('.');
        out.push_str(&digits[n as usize..]);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        for _ in 0..(-n) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let e = n - 1;
        out.push_str(&digits[..1]);
        if k > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if e < 0 { '-' } else { '+' });
        out.push_str(&e.abs().to_string());
    }
    out
}

/// `Number(v.toPrecision(15))`: jsonata-js rounds numbers to 15 significant digits when
/// converting them to strings.
pub fn to_precision_15(v: f64) -> f64 {
    if !v.is_finite() || v == 0.0 {
        return v;
    }
    format!("{:.14e}", v).parse().unwrap_or(v)
}

/// `$round`: round half to even at `precision` decimal places; the decimal shift is done on
/// the decimal string (as jsonata-js does) to avoid binary artefacts.
pub fn round_half_even(value: f64, precision: i32) -> f64 {
    if !value.is_finite() {
        return value;
    }
    let shift = |v: f64, p: i32| -> f64 {
        let s = js_number_to_string(v);
        let (m, e) = match s.split_once('e') {
            Some((m, e)) => (m.to_string(), e.parse::<i32>().unwrap_or(0)),
            None => (s, 0),
        };
        format!("{}e{}", m, e + p).parse().unwrap_or(v)
    };
    let arg = if precision != 0 {
        shift(value, precision)
    } else {
        value
    };
    // JavaScript Math.round: half rounds towards +infinity
    let mut result = (arg + 0.5).floor();
    if result - arg > 0.5 {
        result -= 1.0;
    }
    let diff = result - arg;
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

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn formats_like_js() {
        assert_eq!(js_number_to_string(1.0), "1");
        assert_eq!(js_number_to_string(-1.5), "-1.5");
        assert_eq!(js_number_to_string(1e21), "1e+21");
        assert_eq!(js_number_to_string(1e20), "100000000000000000000");
        assert_eq!(js_number_to_string(1e-7), "1e-7");
        assert_eq!(js_number_to_string(0.000001), "0.000001");
        assert_eq!(js_number_to_string(123.456), "123.456");
        assert_eq!(js_number_to_string(1.2345e-10), "1.2345e-10");
        assert_eq!(to_precision_15(0.1 + 0.2), 0.3);
    }
    #[test]
    fn rounds_half_even() {
        assert_eq!(round_half_even(2.5, 0), 2.0);
        assert_eq!(round_half_even(3.5, 0), 4.0);
        assert_eq!(round_half_even(-2.5, 0), -2.0);
        assert_eq!(round_half_even(1.2345, 2), 1.23);
        assert_eq!(round_half_even(125.0, -1), 120.0);
    }
}
