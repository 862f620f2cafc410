//! `$formatNumber`: F&O 3.1 §4.7 as jsonata-js's `formatNumber` implements it.
//!
//! jsonata-js works on UTF-16 code units and compares single characters against whole property
//! strings (so a multi-character `per-mille` like `"pm"` is passive but still scales the number).
//! We keep the same representation so every such corner behaves identically.

use super::jsnum;
use super::FormatError;

/// The decimal format properties (`options` of `$formatNumber`), defaults as in jsonata-js.
#[derive(Debug, Clone)]
pub struct DecimalFormat {
    pub decimal_separator: String,
    pub grouping_separator: String,
    pub exponent_separator: String,
    pub infinity: String,
    pub nan: String,
    pub minus_sign: String,
    pub percent: String,
    pub per_mille: String,
    pub zero_digit: String,
    pub digit: String,
    pub pattern_separator: String,
}

impl Default for DecimalFormat {
    fn default() -> Self {
        DecimalFormat {
            decimal_separator: ".".into(),
            grouping_separator: ",".into(),
            exponent_separator: "e".into(),
            infinity: "Infinity".into(),
            nan: "NaN".into(),
            minus_sign: "-".into(),
            percent: "%".into(),
            per_mille: "\u{2030}".into(),
            zero_digit: "0".into(),
            digit: "#".into(),
            pattern_separator: ";".into(),
        }
    }
}

impl DecimalFormat {
    /// Overrides the defaults with `$formatNumber`'s options object (keys as in jsonata-js, e.g.
    /// `"zero-digit"`). Unknown keys are ignored, as jsonata-js ignores them.
    pub fn from_options(opts: &[(String, String)]) -> Result<DecimalFormat, FormatError> {
        let mut f = DecimalFormat::default();
        for (k, v) in opts {
            let slot = match k.as_str() {
                "decimal-separator" => &mut f.decimal_separator,
                "grouping-separator" => &mut f.grouping_separator,
                "exponent-separator" => &mut f.exponent_separator,
                "infinity" => &mut f.infinity,
                "NaN" => &mut f.nan,
                "minus-sign" => &mut f.minus_sign,
                "percent" => &mut f.percent,
                "per-mille" => &mut f.per_mille,
                "zero-digit" => &mut f.zero_digit,
                "digit" => &mut f.digit,
                "pattern-separator" => &mut f.pattern_separator,
                _ => continue,
            };
            slot.clone_from(v);
        }
        Ok(f)
    }
}

type U16s = Vec<u16>;

fn u16s(s: &str) -> U16s {
    s.encode_utf16().collect()
}

/// `String.prototype.indexOf(search, from)`.
fn index_of(hay: &[u16], needle: &[u16], from: usize) -> Option<usize> {
    let from = from.min(hay.len());
    if needle.is_empty() {
        return Some(from);
    }
    if needle.len() > hay.len() {
        return None;
    }
    (from..=hay.len() - needle.len()).find(|&i| hay.get(i..i + needle.len()) == Some(needle))
}

/// `String.prototype.lastIndexOf(search)`.
fn last_index_of(hay: &[u16], needle: &[u16]) -> Option<usize> {
    if needle.is_empty() {
        return Some(hay.len());
    }
    if needle.len() > hay.len() {
        return None;
    }
    (0..=hay.len() - needle.len())
        .rev()
        .find(|&i| hay.get(i..i + needle.len()) == Some(needle))
}

fn contains(hay: &[u16], needle: &[u16]) -> bool {
    index_of(hay, needle, 0).is_some()
}

/// `String.prototype.substring(a, b)`: clamps, and swaps reversed bounds.
fn substring(s: &[u16], a: isize, b: isize) -> U16s {
    let len = s.len() as isize;
    let a = a.clamp(0, len) as usize;
    let b = b.clamp(0, len) as usize;
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    s.get(lo..hi).map(<[u16]>::to_vec).unwrap_or_default()
}

/// `String.prototype.slice(a, b)`: negative indexes count from the end.
fn slice(s: &[u16], a: isize, b: isize) -> U16s {
    let len = s.len() as isize;
    let norm = |i: isize| if i < 0 { (len + i).max(0) } else { i.min(len) };
    let (lo, hi) = (norm(a), norm(b));
    if lo >= hi {
        return Vec::new();
    }
    s.get(lo as usize..hi as usize)
        .map(<[u16]>::to_vec)
        .unwrap_or_default()
}

/// `String.prototype.charAt(i)` as a one-unit (or empty) slice, for comparing with properties.
fn char_at(s: &[u16], i: isize) -> &[u16] {
    if i < 0 {
        return &[];
    }
    let i = i as usize;
    s.get(i..i + 1).unwrap_or(&[])
}

/// `String.prototype.split(sep)` (an empty separator splits into code units).
fn split(s: &[u16], sep: &[u16]) -> Vec<U16s> {
    if sep.is_empty() {
        return s.iter().map(|&c| vec![c]).collect();
    }
    let mut out = Vec::new();
    let mut start = 0;
    while let Some(i) = index_of(s, sep, start) {
        out.push(s.get(start..i).map(<[u16]>::to_vec).unwrap_or_default());
        start = i + sep.len();
    }
    out.push(s.get(start..).map(<[u16]>::to_vec).unwrap_or_default());
    out
}

struct Props {
    decimal: U16s,
    grouping: U16s,
    exponent: U16s,
    minus: U16s,
    percent: U16s,
    per_mille: U16s,
    zero: U16s,
    digit: U16s,
    pattern: U16s,
    /// The ten code units from `zero-digit` upward (empty if `zero-digit` is empty).
    family: Vec<u16>,
}

impl Props {
    fn new(f: &DecimalFormat) -> Props {
        let zero = u16s(&f.zero_digit);
        let family = match zero.first() {
            Some(&z) => (0..10u16).map(|i| z.wrapping_add(i)).collect(),
            None => Vec::new(),
        };
        Props {
            decimal: u16s(&f.decimal_separator),
            grouping: u16s(&f.grouping_separator),
            exponent: u16s(&f.exponent_separator),
            minus: u16s(&f.minus_sign),
            percent: u16s(&f.percent),
            per_mille: u16s(&f.per_mille),
            zero,
            digit: u16s(&f.digit),
            pattern: u16s(&f.pattern_separator),
            family,
        }
    }

    fn in_family(&self, c: u16) -> bool {
        self.family.contains(&c)
    }

    fn is(&self, prop: &[u16], c: u16) -> bool {
        prop.len() == 1 && prop.first() == Some(&c)
    }

    /// Member of jsonata-js's `activeChars`.
    fn is_active(&self, c: u16) -> bool {
        self.in_family(c)
            || self.is(&self.decimal, c)
            || self.is(&self.exponent, c)
            || self.is(&self.grouping, c)
            || self.is(&self.digit, c)
            || self.is(&self.pattern, c)
    }

    fn is_digit_or_optional(&self, c: u16) -> bool {
        self.in_family(c) || self.is(&self.digit, c)
    }

    fn count_family(&self, s: &[u16]) -> usize {
        s.iter().filter(|&&c| self.in_family(c)).count()
    }
}

struct Parts {
    prefix: U16s,
    suffix: U16s,
    active: U16s,
    mantissa: U16s,
    exponent: Option<U16s>,
    integer: U16s,
    fractional: U16s,
    subpicture: U16s,
}

fn split_parts(p: &Props, sub: &[u16]) -> Parts {
    let marks = |c: u16| p.is_active(c) && !p.is(&p.exponent, c);
    let prefix = match sub.iter().position(|&c| marks(c)) {
        Some(i) => sub.get(..i).map(<[u16]>::to_vec).unwrap_or_default(),
        None => Vec::new(),
    };
    let suffix = match sub.iter().rposition(|&c| marks(c)) {
        Some(i) => sub.get(i + 1..).map(<[u16]>::to_vec).unwrap_or_default(),
        None => Vec::new(),
    };
    let len = sub.len() as isize;
    let active = substring(sub, prefix.len() as isize, len - suffix.len() as isize);
    let (mantissa, exponent) = match index_of(sub, &p.exponent, prefix.len()) {
        Some(pos) if (pos as isize) <= len - suffix.len() as isize => {
            // jsonata-js indexes the active part with a position found in the whole sub-picture.
            let pos = pos as isize;
            (
                substring(&active, 0, pos),
                Some(substring(&active, pos + 1, active.len() as isize)),
            )
        }
        _ => (active.clone(), None),
    };
    let (integer, fractional) = match index_of(&mantissa, &p.decimal, 0) {
        None => (mantissa.clone(), suffix.clone()),
        Some(d) => (
            substring(&mantissa, 0, d as isize),
            substring(&mantissa, d as isize + 1, mantissa.len() as isize),
        ),
    };
    Parts {
        prefix,
        suffix,
        active,
        mantissa,
        exponent,
        integer,
        fractional,
        subpicture: sub.to_vec(),
    }
}

/// F&O 4.7.3 validation. Every check runs and the last failing one wins, as in jsonata-js.
fn validate(p: &Props, parts: &Parts) -> Result<(), FormatError> {
    let sub = &parts.subpicture;
    let mut error: Option<&'static str> = None;
    let decimal_pos = index_of(sub, &p.decimal, 0);
    if decimal_pos != last_index_of(sub, &p.decimal) {
        error = Some("D3081");
    }
    if index_of(sub, &p.percent, 0) != last_index_of(sub, &p.percent) {
        error = Some("D3082");
    }
    if index_of(sub, &p.per_mille, 0) != last_index_of(sub, &p.per_mille) {
        error = Some("D3083");
    }
    if contains(sub, &p.percent) && contains(sub, &p.per_mille) {
        error = Some("D3084");
    }
    if !parts
        .mantissa
        .iter()
        .any(|&c| p.in_family(c) || p.is(&p.digit, c))
    {
        error = Some("D3085");
    }
    if parts.active.iter().any(|&c| !p.is_active(c)) {
        error = Some("D3086");
    }
    match decimal_pos {
        Some(d) => {
            let d = d as isize;
            if char_at(sub, d - 1) == p.grouping.as_slice()
                || char_at(sub, d + 1) == p.grouping.as_slice()
            {
                error = Some("D3087");
            }
        }
        None => {
            if char_at(&parts.integer, parts.integer.len() as isize - 1) == p.grouping.as_slice() {
                error = Some("D3088");
            }
        }
    }
    let mut double_grouping = p.grouping.clone();
    double_grouping.extend_from_slice(&p.grouping);
    if contains(sub, &double_grouping) {
        error = Some("D3089");
    }
    if let Some(opt) = index_of(&parts.integer, &p.digit, 0) {
        if parts
            .integer
            .get(..opt)
            .is_some_and(|s| s.iter().any(|&c| p.in_family(c)))
        {
            error = Some("D3090");
        }
    }
    if let Some(opt) = last_index_of(&parts.fractional, &p.digit) {
        if parts
            .fractional
            .get(opt..)
            .is_some_and(|s| s.iter().any(|&c| p.in_family(c)))
        {
            error = Some("D3091");
        }
    }
    if let Some(exp) = &parts.exponent {
        if !exp.is_empty() && (contains(sub, &p.percent) || contains(sub, &p.per_mille)) {
            error = Some("D3092");
        }
        if exp.is_empty() || exp.iter().any(|&c| !p.in_family(c)) {
            error = Some("D3093");
        }
    }
    match error {
        Some(code) => Err(FormatError::new(code)),
        None => Ok(()),
    }
}

#[derive(Clone)]
struct Variables {
    integer_grouping: Vec<isize>,
    regular_grouping: isize,
    min_integer: isize,
    scaling: isize,
    prefix: U16s,
    fractional_grouping: Vec<isize>,
    min_fraction: isize,
    max_fraction: isize,
    min_exponent: isize,
    suffix: U16s,
    picture: U16s,
}

fn gcd(a: isize, b: isize) -> isize {
    let (mut a, mut b) = (a, b);
    while b != 0 {
        let r = a % b;
        a = b;
        b = r;
    }
    a
}

/// Grouping separators at a constant interval: that interval, else 0.
fn regular(indexes: &[isize]) -> isize {
    let Some((&first, rest)) = indexes.split_first() else {
        return 0;
    };
    let factor = rest.iter().fold(first, |a, &b| gcd(a, b));
    let present: std::collections::HashSet<isize> = indexes.iter().copied().collect();
    for index in 1..=indexes.len() as isize {
        if !present.contains(&(index * factor)) {
            return 0;
        }
    }
    factor
}

/// F&O 4.7.4 analysis.
fn analyse(p: &Props, parts: &Parts) -> Variables {
    let grouping_positions = |part: &[u16], to_left: bool| -> Vec<isize> {
        // Prefix counts of digit characters keep this linear in the picture length.
        let mut prefix = Vec::with_capacity(part.len() + 1);
        prefix.push(0isize);
        for &c in part {
            let last = prefix.last().copied().unwrap_or(0);
            prefix.push(last + isize::from(p.is_digit_or_optional(c)));
        }
        let total = prefix.last().copied().unwrap_or(0);
        let mut positions = Vec::new();
        let mut gp = index_of(part, &p.grouping, 0);
        while let Some(g) = gp {
            let left = prefix.get(g.min(part.len())).copied().unwrap_or(total);
            positions.push(if to_left { left } else { total - left });
            // jsonata-js continues the search in the integer part even for the fractional part.
            gp = index_of(&parts.integer, &p.grouping, g + 1).filter(|&n| n > g);
        }
        positions
    };
    let integer_grouping = grouping_positions(&parts.integer, false);
    let regular_grouping = regular(&integer_grouping);
    let fractional_grouping = grouping_positions(&parts.fractional, true);

    let mut min_integer = p.count_family(&parts.integer) as isize;
    let scaling = min_integer;
    let mut min_fraction = p.count_family(&parts.fractional) as isize;
    let mut max_fraction = parts
        .fractional
        .iter()
        .filter(|&&c| p.is_digit_or_optional(c))
        .count() as isize;
    let exponent_present = parts.exponent.is_some();
    if min_integer == 0 && max_fraction == 0 {
        if exponent_present {
            min_fraction = 1;
            max_fraction = 1;
        } else {
            min_integer = 1;
        }
    }
    if exponent_present && min_integer == 0 && contains(&parts.integer, &p.digit) {
        min_integer = 1;
    }
    if min_integer == 0 && min_fraction == 0 {
        min_fraction = 1;
    }
    let min_exponent = parts
        .exponent
        .as_ref()
        .map(|e| p.count_family(e) as isize)
        .unwrap_or(0);
    Variables {
        integer_grouping,
        regular_grouping,
        min_integer,
        scaling,
        prefix: parts.prefix.clone(),
        fractional_grouping,
        min_fraction,
        max_fraction,
        min_exponent,
        suffix: parts.suffix.clone(),
        picture: parts.subpicture.clone(),
    }
}

fn repeat(unit: &[u16], n: isize) -> Result<U16s, FormatError> {
    if n <= 0 {
        return Ok(Vec::new());
    }
    if n as f64 * unit.len().max(1) as f64 > super::MAX_PAD {
        return Err(FormatError::range("picture requires too many digits"));
    }
    Ok(unit.repeat(n as usize))
}

fn insert_at(s: &[u16], at: isize, what: &[u16]) -> U16s {
    let mut out = slice(s, 0, at);
    out.extend_from_slice(what);
    out.extend(slice(s, at, s.len() as isize));
    out
}

pub(crate) fn format_number(
    value: f64,
    picture: &str,
    format: &DecimalFormat,
) -> Result<String, FormatError> {
    let p = Props::new(format);
    let picture = u16s(picture);
    let sub_pictures = split(&picture, &p.pattern);
    if sub_pictures.len() > 2 {
        return Err(FormatError::new("D3080"));
    }
    let parts: Vec<Parts> = sub_pictures.iter().map(|s| split_parts(&p, s)).collect();
    for part in &parts {
        validate(&p, part)?;
    }
    let mut variables: Vec<Variables> = parts.iter().map(|part| analyse(&p, part)).collect();
    if variables.len() == 1 {
        if let Some(first) = variables.first() {
            let mut negative = first.clone();
            let mut prefix = p.minus.clone();
            prefix.extend_from_slice(&negative.prefix);
            negative.prefix = prefix;
            variables.push(negative);
        }
    }
    let pic = if value >= 0.0 {
        variables.first()
    } else {
        variables.get(1)
    };
    let Some(pic) = pic else {
        return Err(FormatError::new("D3080"));
    };

    let adjusted = if contains(&pic.picture, &p.percent) {
        value * 100.0
    } else if contains(&pic.picture, &p.per_mille) {
        value * 1000.0
    } else {
        value
    };

    let (mantissa, exponent) = if pic.min_exponent == 0 {
        (adjusted, None)
    } else {
        let max_mantissa = 10f64.powi(pic.scaling.clamp(-400, 400) as i32);
        let min_mantissa = 10f64.powi((pic.scaling - 1).clamp(-400, 400) as i32);
        let mut m = adjusted;
        let mut e: i64 = 0;
        // jsonata-js (since #785) scales the magnitude and leaves zero alone; non-finite values
        // would never converge, so they are left alone too.
        if m != 0.0 && m.is_finite() {
            while m.abs() < min_mantissa {
                m *= 10.0;
                e -= 1;
            }
            while m.abs() > max_mantissa {
                m /= 10.0;
                e += 1;
            }
        }
        (m, Some(e))
    };

    let rounded = jsnum::jsonata_round(mantissa, pic.max_fraction as i64);
    let make_string = |v: f64, dp: usize| -> Result<U16s, FormatError> {
        let s = jsnum::to_fixed(v.abs(), dp).ok_or_else(|| {
            FormatError::range("toFixed() digits argument must be between 0 and 100")
        })?;
        let out = u16s(&s);
        if p.zero == [u16::from(b'0')] {
            return Ok(out);
        }
        // Without a digit family (empty `zero-digit`) JavaScript maps digits to `undefined`,
        // which `join('')` renders as nothing.
        Ok(out
            .into_iter()
            .filter_map(|c| {
                if (u16::from(b'0')..=u16::from(b'9')).contains(&c) {
                    p.family.get(usize::from(c - u16::from(b'0'))).copied()
                } else {
                    Some(c)
                }
            })
            .collect())
    };
    let mut sv = make_string(rounded, pic.max_fraction.max(0) as usize)?;
    let dot = [u16::from(b'.')];
    match index_of(&sv, &dot, 0) {
        None => sv.extend_from_slice(&p.decimal),
        Some(i) => {
            let mut out = sv.get(..i).map(<[u16]>::to_vec).unwrap_or_default();
            out.extend_from_slice(&p.decimal);
            out.extend(sv.get(i + 1..).unwrap_or(&[]));
            sv = out;
        }
    }
    while !sv.is_empty() && char_at(&sv, 0) == p.zero.as_slice() {
        sv.remove(0);
    }
    while !sv.is_empty() && char_at(&sv, sv.len() as isize - 1) == p.zero.as_slice() {
        sv.pop();
    }
    let pos_of = |s: &[u16]| index_of(s, &p.decimal, 0).map_or(-1, |i| i as isize);
    let mut decimal_pos = pos_of(&sv);
    let pad_left = pic.min_integer - decimal_pos;
    let pad_right = pic.min_fraction - (sv.len() as isize - decimal_pos - 1);
    let mut padded = repeat(&p.zero, pad_left)?;
    padded.extend_from_slice(&sv);
    padded.extend(repeat(&p.zero, pad_right)?);
    sv = padded;
    decimal_pos = pos_of(&sv);

    // Irregular and fractional separators are inserted one at a time, as jsonata-js does.
    let irregular = if pic.regular_grouping > 0 {
        0
    } else {
        pic.integer_grouping.len()
    };
    let grouping_work =
        (irregular + pic.fractional_grouping.len()) as f64 * (sv.len() as f64 + 1.0);
    if grouping_work > super::MAX_WORK {
        return Err(FormatError::range(
            "picture has too many grouping separators",
        ));
    }
    if pic.regular_grouping > 0 {
        // Separators go before every index decimal_pos - g*regular (g >= 1) that is >= 1;
        // inserting right to left never shifts a later insertion point, so one pass suffices.
        let r = pic.regular_grouping;
        let group_count = (decimal_pos - 1).div_euclid(r);
        if group_count > 0 {
            let first = decimal_pos - group_count * r;
            let mut grouped =
                Vec::with_capacity(sv.len() + group_count as usize * p.grouping.len());
            for (i, &c) in sv.iter().enumerate() {
                let i = i as isize;
                if i >= first && i < decimal_pos && (decimal_pos - i) % r == 0 {
                    grouped.extend_from_slice(&p.grouping);
                }
                grouped.push(c);
            }
            sv = grouped;
        }
    } else {
        for &pos in &pic.integer_grouping {
            sv = insert_at(&sv, decimal_pos - pos, &p.grouping);
            decimal_pos += 1;
        }
    }
    decimal_pos = pos_of(&sv);
    for &pos in &pic.fractional_grouping {
        sv = insert_at(&sv, pos + decimal_pos + 1, &p.grouping);
    }
    decimal_pos = pos_of(&sv);
    if !contains(&pic.picture, &p.decimal) || decimal_pos == sv.len() as isize - 1 {
        sv.pop();
    }
    if let Some(e) = exponent {
        let mut se = make_string(e as f64, 0)?;
        let pad = pic.min_exponent - se.len() as isize;
        let mut padded = repeat(&p.zero, pad)?;
        padded.append(&mut se);
        sv.extend_from_slice(&p.exponent);
        if e < 0 {
            sv.extend_from_slice(&p.minus);
        }
        sv.extend(padded);
    }
    let mut out = pic.prefix.clone();
    out.extend(sv);
    out.extend_from_slice(&pic.suffix);
    Ok(String::from_utf16_lossy(&out))
}
