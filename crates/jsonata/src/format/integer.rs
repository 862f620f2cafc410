//! `$formatInteger` / `$parseInteger` (F&O 3.1 §4.6.1 as jsonata-js's datetime.js implements it),
//! also used for the integer-valued components of date/time pictures.

use super::jsnum;
use super::FormatError;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Primary {
    Decimal,
    Letters,
    Roman,
    Words,
    Sequence,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Case {
    Upper,
    Lower,
    Title,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Separator {
    pub position: usize,
    pub character: char,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Grouping {
    /// Same character at a constant interval: repeated across the whole number.
    Regular(Separator),
    /// Listed right-to-left as found in the picture.
    Irregular(Vec<Separator>),
}

#[derive(Debug, Clone)]
pub(crate) struct IntegerFormat {
    pub primary: Primary,
    pub case: Case,
    pub ordinal: bool,
    pub zero_code: u32,
    /// An `f64` because a date picture's width modifier may set it to NaN (`parseInt` of junk).
    pub mandatory_digits: f64,
    pub optional_digits: f64,
    pub grouping: Grouping,
    /// The picture of an unsupported numbering sequence, for error D3130.
    pub token: String,
    /// Exact digit count when parsing a date component that abuts another number.
    pub parse_width: Option<f64>,
}

impl IntegerFormat {
    pub(crate) fn is_regular(&self) -> bool {
        matches!(self.grouping, Grouping::Regular(_))
    }
}

/// Zero code points of the Unicode decimal digit groups jsonata-js recognises.
const DECIMAL_GROUPS: [u32; 37] = [
    0x30, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6,
    0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80,
    0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0,
    0xFF10,
];

fn js_gcd(a: usize, b: usize) -> usize {
    let (mut a, mut b) = (a, b);
    while b != 0 {
        let r = a % b;
        a = b;
        b = r;
    }
    a
}

pub(crate) fn analyse(picture: &str) -> Result<IntegerFormat, FormatError> {
    let mut format = IntegerFormat {
        primary: Primary::Decimal,
        case: Case::Lower,
        ordinal: false,
        zero_code: 0x30,
        mandatory_digits: 0.0,
        optional_digits: 0.0,
        grouping: Grouping::Irregular(Vec::new()),
        token: String::new(),
        parse_width: None,
    };
    let primary = match picture.rfind(';') {
        None => picture,
        Some(i) => {
            let modifier = picture.get(i + 1..).unwrap_or("");
            if modifier.starts_with('o') {
                format.ordinal = true;
            }
            picture.get(..i).unwrap_or("")
        }
    };
    match primary {
        "A" => {
            format.case = Case::Upper;
            format.primary = Primary::Letters;
        }
        "a" => format.primary = Primary::Letters,
        "I" => {
            format.case = Case::Upper;
            format.primary = Primary::Roman;
        }
        "i" => format.primary = Primary::Roman,
        "W" => {
            format.case = Case::Upper;
            format.primary = Primary::Words;
        }
        "Ww" => {
            format.case = Case::Title;
            format.primary = Primary::Words;
        }
        "w" => format.primary = Primary::Words,
        _ => {
            let mut zero_code: Option<u32> = None;
            let mut mandatory = 0usize;
            let mut optional = 0usize;
            let mut separators: Vec<Separator> = Vec::new();
            let mut position = 0usize;
            // Scanning from the right gives each separator its distance from the units digit.
            for ch in primary.chars().rev() {
                let cp = ch as u32;
                if let Some(&group) = DECIMAL_GROUPS.iter().find(|&&g| cp >= g && cp <= g + 9) {
                    mandatory += 1;
                    position += 1;
                    match zero_code {
                        None => zero_code = Some(group),
                        Some(z) if z != group => return Err(FormatError::new("D3131")),
                        Some(_) => {}
                    }
                } else if ch == '#' {
                    position += 1;
                    optional += 1;
                } else {
                    separators.push(Separator {
                        position,
                        character: ch,
                    });
                }
            }
            if mandatory > 0 {
                format.primary = Primary::Decimal;
                format.zero_code = zero_code.unwrap_or(0x30);
                format.mandatory_digits = mandatory as f64;
                format.optional_digits = optional as f64;
                let regular = regular_repeat(&separators);
                format.grouping = match (regular, separators.first()) {
                    (r, Some(first)) if r > 0 => Grouping::Regular(Separator {
                        position: r,
                        character: first.character,
                    }),
                    _ => Grouping::Irregular(separators),
                };
            } else {
                format.primary = Primary::Sequence;
                format.token = primary.to_string();
            }
        }
    }
    Ok(format)
}

fn regular_repeat(separators: &[Separator]) -> usize {
    let Some(first) = separators.first() else {
        return 0;
    };
    if separators.iter().any(|s| s.character != first.character) {
        return 0;
    }
    let indexes: Vec<usize> = separators.iter().map(|s| s.position).collect();
    let factor = indexes
        .iter()
        .skip(1)
        .fold(first.position, |a, &b| js_gcd(a, b));
    let present: std::collections::HashSet<usize> = indexes.iter().copied().collect();
    for index in 1..=indexes.len() {
        if !present.contains(&(index * factor)) {
            return 0;
        }
    }
    factor
}

const FEW: [&str; 20] = [
    "Zero",
    "One",
    "Two",
    "Three",
    "Four",
    "Five",
    "Six",
    "Seven",
    "Eight",
    "Nine",
    "Ten",
    "Eleven",
    "Twelve",
    "Thirteen",
    "Fourteen",
    "Fifteen",
    "Sixteen",
    "Seventeen",
    "Eighteen",
    "Nineteen",
];
const ORDINALS: [&str; 20] = [
    "Zeroth",
    "First",
    "Second",
    "Third",
    "Fourth",
    "Fifth",
    "Sixth",
    "Seventh",
    "Eighth",
    "Ninth",
    "Tenth",
    "Eleventh",
    "Twelfth",
    "Thirteenth",
    "Fourteenth",
    "Fifteenth",
    "Sixteenth",
    "Seventeenth",
    "Eighteenth",
    "Nineteenth",
];
const DECADES: [&str; 9] = [
    "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety", "Hundred",
];
const MAGNITUDES: [&str; 4] = ["Thousand", "Million", "Billion", "Trillion"];

fn idx(v: f64) -> Option<usize> {
    if v >= 0.0 && v.fract() == 0.0 && v < 1e6 {
        Some(v as usize)
    } else {
        None
    }
}

/// English words, Title Case, with jsonata-js's "and"/comma conventions.
fn number_to_words(value: f64, ordinal: bool) -> Result<String, FormatError> {
    fn lookup(num: f64, prev: bool, ord: bool, depth: u32) -> Result<String, FormatError> {
        // Each level divides by at least 1000, so a finite double needs about 110 levels.
        if depth > 200 || !num.is_finite() {
            return Err(FormatError::range("cannot express the number in words"));
        }
        let undefined = || "undefined".to_string();
        let mut words;
        if num <= 19.0 {
            let table = if ord { &ORDINALS } else { &FEW };
            words = format!(
                "{}{}",
                if prev { " and " } else { "" },
                idx(num)
                    .and_then(|i| table.get(i))
                    .map_or_else(undefined, |s| s.to_string())
            );
        } else if num < 100.0 {
            let tens = (num / 10.0).floor();
            let remainder = num % 10.0;
            words = format!(
                "{}{}",
                if prev { " and " } else { "" },
                idx(tens - 2.0)
                    .and_then(|i| DECADES.get(i))
                    .map_or_else(undefined, |s| s.to_string())
            );
            if remainder > 0.0 {
                words.push('-');
                words.push_str(&lookup(remainder, false, ord, depth + 1)?);
            } else if ord {
                words.pop();
                words.push_str("ieth");
            }
        } else if num < 1000.0 {
            let hundreds = (num / 100.0).floor();
            let remainder = num % 100.0;
            words = format!(
                "{}{} Hundred",
                if prev { ", " } else { "" },
                idx(hundreds)
                    .and_then(|i| FEW.get(i))
                    .map_or_else(undefined, |s| s.to_string())
            );
            if remainder > 0.0 {
                words.push_str(&lookup(remainder, true, ord, depth + 1)?);
            } else if ord {
                words.push_str("th");
            }
        } else {
            let mut mag = (num.log10() / 3.0).floor();
            if mag > MAGNITUDES.len() as f64 {
                mag = MAGNITUDES.len() as f64;
            }
            let factor = 10f64.powf(mag * 3.0);
            let mant = (num / factor).floor();
            let remainder = num - mant * factor;
            words = format!(
                "{}{} {}",
                if prev { ", " } else { "" },
                lookup(mant, false, false, depth + 1)?,
                idx(mag - 1.0)
                    .and_then(|i| MAGNITUDES.get(i))
                    .map_or_else(undefined, |s| s.to_string())
            );
            if remainder > 0.0 {
                words.push_str(&lookup(remainder, true, ord, depth + 1)?);
            } else if ord {
                words.push_str("th");
            }
        }
        Ok(words)
    }
    lookup(value, false, ordinal, 0)
}

const ROMAN: [(u32, &str); 13] = [
    (1000, "m"),
    (900, "cm"),
    (500, "d"),
    (400, "cd"),
    (100, "c"),
    (90, "xc"),
    (50, "l"),
    (40, "xl"),
    (10, "x"),
    (9, "ix"),
    (5, "v"),
    (4, "iv"),
    (1, "i"),
];

/// Beyond this jsonata-js's recursive conversion overflows the JavaScript stack anyway.
const MAX_ROMAN: f64 = 100_000_000.0;

fn decimal_to_roman(value: f64) -> Result<String, FormatError> {
    if value > MAX_ROMAN {
        return Err(FormatError::range("too large for roman numerals"));
    }
    let mut out = String::new();
    let mut v = value;
    'outer: loop {
        for &(n, s) in &ROMAN {
            if v >= f64::from(n) {
                out.push_str(s);
                v -= f64::from(n);
                continue 'outer;
            }
        }
        break;
    }
    Ok(out)
}

fn roman_value(c: u16) -> Option<f64> {
    Some(match char::from_u32(u32::from(c))? {
        'M' => 1000.0,
        'D' => 500.0,
        'C' => 100.0,
        'L' => 50.0,
        'X' => 10.0,
        'V' => 5.0,
        'I' => 1.0,
        _ => return None,
    })
}

fn roman_to_decimal(roman: &str) -> f64 {
    let mut decimal = 0.0;
    // An unknown character poisons the sum with NaN, as `undefined` arithmetic does in JS.
    let mut max = Some(1.0);
    let units: Vec<u16> = roman.encode_utf16().collect();
    for &c in units.iter().rev() {
        match roman_value(c) {
            Some(v) if max.is_some_and(|m| v < m) => decimal -= v,
            Some(v) => {
                max = Some(v);
                decimal += v;
            }
            None => {
                max = None;
                decimal = f64::NAN;
            }
        }
    }
    decimal
}

fn decimal_to_letters(value: f64, a: char) -> String {
    let mut letters = Vec::new();
    let mut v = value;
    while v > 0.0 {
        let code = ((v - 1.0) % 26.0) as u32 + a as u32;
        letters.push(char::from_u32(code).unwrap_or(a));
        v = ((v - 1.0) / 26.0).floor();
    }
    letters.iter().rev().collect()
}

fn letters_to_decimal(letters: &str, a: char) -> f64 {
    let units: Vec<u16> = letters.encode_utf16().collect();
    let a_code = f64::from(a as u32);
    units
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &c)| (f64::from(c) - a_code + 1.0) * 26f64.powi(i.min(2000) as i32))
        .sum()
}

/// JavaScript `String.prototype.substr(start)` semantics over chars (negative counts from end).
fn substr_from(s: &[char], start: isize) -> &[char] {
    let len = s.len() as isize;
    let st = if start < 0 {
        (len + start).max(0)
    } else {
        start.min(len)
    };
    s.get(st as usize..).unwrap_or(&[])
}

/// `substr(0, n)`: a negative length yields nothing.
fn substr_to(s: &[char], n: isize) -> &[char] {
    let n = n.clamp(0, s.len() as isize) as usize;
    s.get(..n).unwrap_or(&[])
}

/// jsonata-js `_formatInteger`: `value` is already an integer (or NaN for an invalid date).
pub(crate) fn format_with(value: f64, format: &IntegerFormat) -> Result<String, FormatError> {
    let negative = value < 0.0;
    let value = value.abs();
    let mut out = match format.primary {
        Primary::Letters => {
            // jsonata-js never finishes dividing Infinity by 26.
            if value.is_infinite() {
                return Err(FormatError::range("cannot express Infinity in letters"));
            }
            decimal_to_letters(value, if format.case == Case::Upper { 'A' } else { 'a' })
        }
        Primary::Roman => {
            let r = decimal_to_roman(value)?;
            if format.case == Case::Upper {
                r.to_uppercase()
            } else {
                r
            }
        }
        Primary::Words => {
            let w = number_to_words(value, format.ordinal)?;
            match format.case {
                Case::Upper => w.to_uppercase(),
                Case::Lower => w.to_lowercase(),
                Case::Title => w,
            }
        }
        Primary::Decimal => format_decimal(value, format)?,
        Primary::Sequence => return Err(FormatError::with_value("D3130", &format.token)),
    };
    if negative {
        out.insert(0, '-');
    }
    Ok(out)
}

fn format_decimal(value: f64, format: &IntegerFormat) -> Result<String, FormatError> {
    let mut digits: Vec<char> = jsnum::to_string(value).chars().collect();
    let pad = format.mandatory_digits - digits.len() as f64;
    if pad > 0.0 {
        if pad > super::MAX_PAD {
            return Err(FormatError::range("picture requires too many digits"));
        }
        let mut padded = vec!['0'; pad as usize];
        padded.append(&mut digits);
        digits = padded;
    }
    if format.zero_code != 0x30 {
        for c in digits.iter_mut() {
            let shifted = (*c as u32 + format.zero_code).checked_sub(0x30);
            *c = shifted.and_then(char::from_u32).unwrap_or(*c);
        }
    }
    match &format.grouping {
        Grouping::Regular(sep) if sep.position > 0 => {
            // One pass: a separator before every digit that has a multiple of `position`
            // digits to its right (never before the first digit).
            let len = digits.len();
            let mut grouped = Vec::with_capacity(len + len / sep.position);
            for (i, &d) in digits.iter().enumerate() {
                // `is_multiple_of` is newer than the workspace's declared MSRV (1.80).
                #[allow(clippy::manual_is_multiple_of)]
                if i > 0 && (len - i) % sep.position == 0 {
                    grouped.push(sep.character);
                }
                grouped.push(d);
            }
            digits = grouped;
        }
        Grouping::Regular(_) => {}
        Grouping::Irregular(seps) => {
            if seps.len() as f64 * digits.len() as f64 > super::MAX_WORK {
                return Err(FormatError::range(
                    "picture has too many grouping separators",
                ));
            }
            for sep in seps.iter().rev() {
                let pos = digits.len() as isize - sep.position as isize;
                let mut next: Vec<char> = substr_to(&digits, pos).to_vec();
                next.push(sep.character);
                next.extend_from_slice(substr_from(&digits, pos));
                digits = next;
            }
        }
    }
    if format.ordinal {
        let last = digits.last().copied();
        let mut suffix = match last {
            Some('1') => "st",
            Some('2') => "nd",
            Some('3') => "rd",
            _ => "th",
        };
        if digits.len() > 1 && digits.get(digits.len() - 2) == Some(&'1') {
            suffix = "th";
        }
        digits.extend(suffix.chars());
    }
    Ok(digits.into_iter().collect())
}

pub(crate) fn format_integer(value: f64, picture: &str) -> Result<String, FormatError> {
    let format = analyse(picture)?;
    format_with(value.floor(), &format)
}

/// Every word `$parseInteger` understands, in jsonata-js's insertion order (which is also the
/// order its generated regex tries them when parsing dates).
pub(crate) fn word_values() -> &'static [(String, f64)] {
    static TABLE: std::sync::OnceLock<Vec<(String, f64)>> = std::sync::OnceLock::new();
    TABLE.get_or_init(build_word_values)
}

fn build_word_values() -> Vec<(String, f64)> {
    let mut v: Vec<(String, f64)> = Vec::new();
    let mut set = |k: String, val: f64| {
        if let Some(e) = v.iter_mut().find(|(key, _)| *key == k) {
            e.1 = val;
        } else {
            v.push((k, val));
        }
    };
    for (i, w) in FEW.iter().enumerate() {
        set(w.to_lowercase(), i as f64);
    }
    for (i, w) in ORDINALS.iter().enumerate() {
        set(w.to_lowercase(), i as f64);
    }
    for (i, w) in DECADES.iter().enumerate() {
        let lw = w.to_lowercase();
        let val = ((i + 2) * 10) as f64;
        set(lw.clone(), val);
        let stem: String = lw
            .chars()
            .take(lw.chars().count().saturating_sub(1))
            .collect();
        set(format!("{stem}ieth"), val);
    }
    set("hundredth".into(), 100.0);
    for (i, w) in MAGNITUDES.iter().enumerate() {
        let lw = w.to_lowercase();
        let val = 10f64.powi(((i + 1) * 3) as i32);
        set(lw.clone(), val);
        set(format!("{lw}th"), val);
    }
    v
}

/// jsonata-js `wordsToNumber` (input already lower-cased).
pub(crate) fn words_to_number(text: &str) -> f64 {
    let table = word_values();
    let lookup = |w: &str| table.iter().find(|(k, _)| k == w).map(|(_, v)| *v);
    // Split on /,\s|\sand\s|[\s\\-]/ exactly as the regex scans: leftmost match, alternatives in order.
    let chars: Vec<char> = text.chars().collect();
    let ws = |c: Option<&char>| c.is_some_and(|&c| jsnum::is_js_whitespace(c));
    let mut parts: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars.get(i);
        if c == Some(&',') && ws(chars.get(i + 1)) {
            parts.push(std::mem::take(&mut cur));
            i += 2;
        } else if ws(c)
            && chars.get(i + 1..i + 4) == Some(&['a', 'n', 'd'][..])
            && ws(chars.get(i + 4))
        {
            parts.push(std::mem::take(&mut cur));
            i += 5;
        } else if ws(c) || c == Some(&'\\') || c == Some(&'-') {
            parts.push(std::mem::take(&mut cur));
            i += 1;
        } else {
            if let Some(&ch) = c {
                cur.push(ch);
            }
            i += 1;
        }
    }
    parts.push(cur);
    let mut segs: Vec<f64> = vec![0.0];
    for part in &parts {
        match lookup(part) {
            Some(value) if value < 100.0 => {
                let mut top = segs.pop().unwrap_or(f64::NAN);
                if top >= 1000.0 {
                    segs.push(top);
                    top = 0.0;
                }
                segs.push(top + value);
            }
            Some(value) => {
                let top = segs.pop().unwrap_or(f64::NAN);
                segs.push(top * value);
            }
            None => {
                // `undefined < 100` is false, so JS multiplies by undefined: NaN.
                let top = segs.pop().unwrap_or(f64::NAN);
                segs.push(top * f64::NAN);
            }
        }
    }
    segs.iter().sum()
}

/// jsonata-js's per-format `parse` function (no validation against the picture, as there).
pub(crate) fn parse_with(value: &str, format: &IntegerFormat) -> Result<f64, FormatError> {
    let upper = format.case == Case::Upper;
    Ok(match format.primary {
        Primary::Letters => letters_to_decimal(value, if upper { 'A' } else { 'a' }),
        Primary::Roman => {
            if upper {
                roman_to_decimal(value)
            } else {
                roman_to_decimal(&value.to_uppercase())
            }
        }
        Primary::Words => words_to_number(&value.to_lowercase()),
        Primary::Decimal => {
            let units: Vec<u16> = value.encode_utf16().collect();
            let mut digits = if format.ordinal {
                String::from_utf16_lossy(units.get(..units.len().saturating_sub(2)).unwrap_or(&[]))
            } else {
                value.to_string()
            };
            match &format.grouping {
                // jsonata-js strips only ',' for regular grouping, whatever the separator.
                Grouping::Regular(_) => digits = digits.replace(',', ""),
                Grouping::Irregular(seps) => {
                    for sep in seps {
                        digits = digits.replace(sep.character, "");
                    }
                }
            }
            if format.zero_code != 0x30 {
                let mut mapped = String::new();
                for c in digits.chars() {
                    match (c as u32 + 0x30)
                        .checked_sub(format.zero_code)
                        .and_then(char::from_u32)
                    {
                        Some(m) => mapped.push(m),
                        // String.fromCodePoint throws a RangeError in jsonata-js.
                        None => return Err(FormatError::range("invalid code point")),
                    }
                }
                digits = mapped;
            }
            jsnum::parse_int(&digits)
        }
        Primary::Sequence => return Err(FormatError::with_value("D3130", &format.token)),
    })
}

pub(crate) fn parse_integer(text: &str, picture: &str) -> Result<Option<f64>, FormatError> {
    let format = analyse(picture)?;
    let v = parse_with(text, &format)?;
    Ok(if v.is_nan() { None } else { Some(v) })
}
