//! `$fromMillis` / `$toMillis` picture strings (F&O 3.1 §9.8 as jsonata-js's datetime.js
//! implements it), on a proleptic Gregorian calendar computed here with JavaScript `Date`
//! semantics: `Date.UTC` maps years 0–99 to 1900–1999, and times outside ±8.64e15 ms are invalid.

use std::collections::{HashMap, HashSet};

use super::integer::{self, Case, Grouping, IntegerFormat, Primary};
use super::jsnum;
use super::FormatError;

const MS_PER_DAY: f64 = 86_400_000.0;
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 8] = [
    "",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const ISO_PICTURE: &str = "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]";

// ---------------------------------------------------------------------------------------------
// Calendar arithmetic (ECMA-262 MakeDay/MakeTime/MakeDate/TimeClip).

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn make_day(year: f64, month: f64, date: f64) -> f64 {
    if !(year.is_finite() && month.is_finite() && date.is_finite()) {
        return f64::NAN;
    }
    let (y, m, dt) = (year.trunc(), month.trunc(), date.trunc());
    let ym = y + (m / 12.0).floor();
    // Far outside what TimeClip accepts; keeps the integer arithmetic below in range.
    if ym.abs() > 1e9 {
        return f64::NAN;
    }
    let mn = m.rem_euclid(12.0);
    days_from_civil(ym as i64, mn as i64 + 1, 1) as f64 + dt - 1.0
}

fn make_time(h: f64, m: f64, s: f64, ms: f64) -> f64 {
    if !(h.is_finite() && m.is_finite() && s.is_finite() && ms.is_finite()) {
        return f64::NAN;
    }
    h.trunc() * 3_600_000.0 + m.trunc() * 60_000.0 + s.trunc() * 1000.0 + ms.trunc()
}

fn time_clip(t: f64) -> f64 {
    if !t.is_finite() || t.abs() > 8.64e15 {
        f64::NAN
    } else {
        t.trunc() + 0.0
    }
}

fn make_date(day: f64, time: f64) -> f64 {
    time_clip(day * MS_PER_DAY + time)
}

/// `Date.UTC(y, m, d, h, mi, s, ms)`, including its two-digit-year mapping.
fn date_utc(y: f64, m: f64, d: f64, h: f64, mi: f64, s: f64, ms: f64) -> f64 {
    let y = if y.is_finite() && (0.0..=99.0).contains(&y.trunc()) {
        1900.0 + y.trunc()
    } else {
        y
    };
    make_date(make_day(y, m, d), make_time(h, mi, s, ms))
}

fn date_utc_ym(y: f64, m: f64) -> f64 {
    date_utc(y, m, 1.0, 0.0, 0.0, 0.0, 0.0)
}

/// The UTC fields of a JavaScript `Date` (all NaN for an invalid date).
#[derive(Clone, Copy)]
struct Fields {
    time: f64,
    year: f64,
    month: f64,
    date: f64,
    day: f64,
    hours: f64,
    minutes: f64,
    seconds: f64,
    millis: f64,
}

fn fields(t: f64) -> Fields {
    let t = time_clip(t);
    if t.is_nan() {
        return Fields {
            time: f64::NAN,
            year: f64::NAN,
            month: f64::NAN,
            date: f64::NAN,
            day: f64::NAN,
            hours: f64::NAN,
            minutes: f64::NAN,
            seconds: f64::NAN,
            millis: f64::NAN,
        };
    }
    let days = (t / MS_PER_DAY).floor();
    let in_day = t - days * MS_PER_DAY;
    let (y, m, d) = civil_from_days(days as i64);
    Fields {
        time: t,
        year: y as f64,
        month: (m - 1) as f64,
        date: d as f64,
        day: (days + 4.0).rem_euclid(7.0),
        hours: (in_day / 3_600_000.0).floor(),
        minutes: ((in_day / 60_000.0).floor()).rem_euclid(60.0),
        seconds: ((in_day / 1000.0).floor()).rem_euclid(60.0),
        millis: in_day.rem_euclid(1000.0),
    }
}

/// ISO 8601 (and XPath, for months) week 1 is the one containing the first Thursday.
fn start_of_first_week(year: f64, month: f64) -> f64 {
    let jan1 = date_utc_ym(year, month);
    let mut dow = fields(jan1).day;
    if dow == 0.0 {
        dow = 7.0;
    }
    if dow > 4.0 {
        jan1 + (8.0 - dow) * MS_PER_DAY
    } else {
        jan1 - (dow - 1.0) * MS_PER_DAY
    }
}

fn delta_weeks(start: f64, end: f64) -> f64 {
    (end - start) / (MS_PER_DAY * 7.0) + 1.0
}

fn next_month(y: f64, m: f64) -> (f64, f64) {
    if m == 11.0 {
        (y + 1.0, 0.0)
    } else {
        (y, m + 1.0)
    }
}

fn previous_month(y: f64, m: f64) -> (f64, f64) {
    if m == 0.0 {
        (y - 1.0, 11.0)
    } else {
        (y, m - 1.0)
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Frag {
    Num(f64),
    Str(&'static str),
    Undefined,
}

/// jsonata-js `getDateTimeFragment`.
fn fragment(f: &Fields, component: Option<char>) -> Frag {
    let Some(c) = component else {
        return Frag::Undefined;
    };
    Frag::Num(match c {
        'Y' => f.year,
        'M' => f.month + 1.0,
        'D' => f.date,
        'd' => {
            let today = date_utc(f.year, f.month, f.date, 0.0, 0.0, 0.0, 0.0);
            let first_jan = date_utc_ym(f.year, 0.0);
            (today - first_jan) / MS_PER_DAY + 1.0
        }
        'F' => {
            if f.day == 0.0 {
                7.0
            } else {
                f.day
            }
        }
        'W' => {
            let start = start_of_first_week(f.year, 0.0);
            let today = date_utc(f.year, f.month, f.date, 0.0, 0.0, 0.0, 0.0);
            let mut week = delta_weeks(start, today);
            if week > 52.0 {
                if today >= start_of_first_week(f.year + 1.0, 0.0) {
                    week = 1.0;
                }
            } else if week < 1.0 {
                week = delta_weeks(start_of_first_week(f.year - 1.0, 0.0), today);
            }
            week.floor()
        }
        'w' => {
            let start = start_of_first_week(f.year, f.month);
            let today = date_utc(f.year, f.month, f.date, 0.0, 0.0, 0.0, 0.0);
            let mut week = delta_weeks(start, today);
            if week > 4.0 {
                let (ny, nm) = next_month(f.year, f.month);
                if today >= start_of_first_week(ny, nm) {
                    week = 1.0;
                }
            } else if week < 1.0 {
                let (py, pm) = previous_month(f.year, f.month);
                week = delta_weeks(start_of_first_week(py, pm), today);
            }
            week.floor()
        }
        'X' => {
            let start = start_of_first_week(f.year, 0.0);
            let end = start_of_first_week(f.year + 1.0, 0.0);
            if f.time < start {
                f.year - 1.0
            } else if f.time >= end {
                f.year + 1.0
            } else {
                f.year
            }
        }
        'x' => {
            let start = start_of_first_week(f.year, f.month);
            let (ny, nm) = next_month(f.year, f.month);
            let end = start_of_first_week(ny, nm);
            if f.time < start {
                previous_month(f.year, f.month).1 + 1.0
            } else if f.time >= end {
                nm + 1.0
            } else {
                f.month + 1.0
            }
        }
        'H' => f.hours,
        'h' => {
            let h = f.hours % 12.0;
            if h == 0.0 {
                12.0
            } else {
                h
            }
        }
        'P' => return Frag::Str(if f.hours >= 12.0 { "pm" } else { "am" }),
        'm' => f.minutes,
        's' => f.seconds,
        'f' => f.millis,
        'C' | 'E' => return Frag::Str("ISO"),
        _ => return Frag::Undefined,
    })
}

// ---------------------------------------------------------------------------------------------
// Picture analysis (§9.8.4.1).

#[derive(Clone, Debug)]
struct Width {
    min: Option<f64>,
    max: Option<f64>,
}

#[derive(Clone, Debug)]
struct Marker {
    component: Option<char>,
    width: Option<Width>,
    presentation2: Option<char>,
    names: Option<Case>,
    integer_format: Option<IntegerFormat>,
    /// Year digits kept (`-1`: all), §9.8.4.4.
    n: f64,
}

#[derive(Clone, Debug)]
enum Part {
    Literal(String),
    Marker(Box<Marker>),
}

fn default_presentation(c: Option<char>) -> Option<&'static str> {
    Some(match c? {
        'Y' | 'M' | 'D' | 'd' | 'W' | 'w' | 'X' | 'x' | 'H' | 'h' | 'f' => "1",
        'F' | 'P' | 'C' | 'E' => "n",
        'm' | 's' => "01",
        'Z' | 'z' => "01:01",
        _ => return None,
    })
}

/// `String.prototype.substring` over chars.
fn substring(s: &[char], a: usize, b: usize) -> String {
    let a = a.min(s.len());
    let b = b.min(s.len());
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    s.get(lo..hi)
        .map(|x| x.iter().collect())
        .unwrap_or_default()
}

fn parse_width(wm: Option<&str>) -> Option<f64> {
    match wm {
        None | Some("*") => None,
        Some(w) => Some(jsnum::parse_int(w)),
    }
}

fn analyse_marker(
    marker: &[char],
    spec: &mut [Part],
    dialect: Dialect,
) -> Result<Marker, FormatError> {
    let component = marker.first().copied();
    let comma = marker.iter().rposition(|&c| c == ',');
    let mut width = None;
    let pres_mod: Vec<char> = match comma {
        Some(ci) => {
            let width_mod = substring(marker, ci + 1, marker.len());
            let (min, max) = match width_mod.find('-') {
                None => (Some(width_mod.as_str()), None),
                Some(d) => (width_mod.get(..d), width_mod.get(d + 1..)),
            };
            width = Some(Width {
                min: parse_width(min),
                max: parse_width(max),
            });
            substring(marker, 1, ci).chars().collect()
        }
        None => substring(marker, 1, marker.len()).chars().collect(),
    };
    let mut presentation2 = None;
    let presentation1: String = match pres_mod.len() {
        0 => match default_presentation(component) {
            Some(p) => p.to_string(),
            None => {
                let c = component.map(String::from).unwrap_or_default();
                return Err(FormatError::with_value("D3132", &c));
            }
        },
        1 => pres_mod.iter().collect(),
        len => {
            let last = pres_mod.get(len - 1).copied();
            match last {
                Some(l) if "atco".contains(l) => {
                    presentation2 = Some(l);
                    pres_mod.get(..len - 1).unwrap_or(&[]).iter().collect()
                }
                _ => pres_mod.iter().collect(),
            }
        }
    };
    let mut m = Marker {
        component,
        width,
        presentation2,
        names: None,
        integer_format: None,
        n: -1.0,
    };
    let mut p1 = presentation1.chars();
    let first = p1.next();
    if first == Some('n') {
        m.names = Some(Case::Lower);
    } else if first == Some('N') {
        m.names = Some(if p1.next() == Some('n') {
            Case::Title
        } else {
            Case::Upper
        });
    } else if component.is_some_and(|c| "YMDdFWwXxHhmsf".contains(c)) {
        let mut pattern = presentation1.clone();
        if let Some(p2) = presentation2 {
            pattern.push(';');
            pattern.push(p2);
        }
        let mut fmt = integer::analyse(&pattern)?;
        if let Some(min) = m.width.as_ref().and_then(|w| w.min) {
            if fmt.mandatory_digits < min {
                fmt.mandatory_digits = min;
            }
        }
        // §9.8.4.4 applies to the year; jsonata 2.0.6 applied it to month and day too.
        let has_n = match dialect {
            Dialect::V2_2 => component == Some('Y'),
            Dialect::V2_0_6 => component.is_some_and(|c| "YMD".contains(c)),
        };
        if has_n {
            m.n = -1.0;
            if let Some(max) = m.width.as_ref().and_then(|w| w.max) {
                m.n = max;
                fmt.mandatory_digits = max;
            } else {
                let w = fmt.mandatory_digits + fmt.optional_digits;
                if w >= 2.0 {
                    m.n = w;
                }
            }
        }
        // Two numbers with no literal between them can only be split by fixed widths.
        if let Some(Part::Marker(prev)) = spec.last_mut() {
            if let Some(pf) = prev.integer_format.as_mut() {
                pf.parse_width = Some(pf.mandatory_digits);
            }
        }
        m.integer_format = Some(fmt);
    }
    if component == Some('Z') || component == Some('z') {
        m.integer_format = Some(integer::analyse(&presentation1)?);
    }
    Ok(m)
}

fn analyse_picture(picture: &str, dialect: Dialect) -> Result<Vec<Part>, FormatError> {
    let chars: Vec<char> = picture.chars().collect();
    let mut spec: Vec<Part> = Vec::new();
    let add_literal = |spec: &mut Vec<Part>, start: usize, end: usize| {
        if end > start {
            let lit: String = chars.get(start..end).unwrap_or(&[]).iter().collect();
            spec.push(Part::Literal(lit.replace("]]", "]")));
        }
    };
    let (mut start, mut pos) = (0usize, 0usize);
    while pos < chars.len() {
        if chars.get(pos) == Some(&'[') {
            if chars.get(pos + 1) == Some(&'[') {
                add_literal(&mut spec, start, pos);
                spec.push(Part::Literal("[".into()));
                pos += 2;
                start = pos;
                continue;
            }
            add_literal(&mut spec, start, pos);
            start = pos;
            let Some(close) = chars
                .get(start..)
                .and_then(|rest| rest.iter().position(|&c| c == ']'))
            else {
                return Err(FormatError::new("D3135"));
            };
            pos = start + close;
            let marker: Vec<char> = chars
                .get(start + 1..pos)
                .unwrap_or(&[])
                .iter()
                .copied()
                .filter(|&c| !jsnum::is_js_whitespace(c))
                .collect();
            let m = analyse_marker(&marker, &mut spec, dialect)?;
            spec.push(Part::Marker(Box::new(m)));
            start = pos + 1;
        }
        pos += 1;
    }
    add_literal(&mut spec, start, pos);
    Ok(spec)
}

// ---------------------------------------------------------------------------------------------
// Formatting.

fn case_name(name: &str, case: Case) -> String {
    match case {
        Case::Upper => name.to_uppercase(),
        Case::Lower => name.to_lowercase(),
        Case::Title => name.to_string(),
    }
}

fn format_component(
    f: &Fields,
    m: &Marker,
    offset_hours: f64,
    offset_minutes: f64,
) -> Result<String, FormatError> {
    let value = fragment(f, m.component);
    let c = m.component.unwrap_or('\0');
    let num = match value {
        Frag::Num(v) => v,
        _ => f64::NAN,
    };
    if "YMDdFWwXxHhms".contains(c) && c != '\0' {
        let mut v = num;
        if c == 'Y' && m.n != -1.0 {
            v %= 10f64.powf(m.n);
        }
        if let Some(case) = m.names {
            let name = match c {
                'M' | 'x' => idx(v - 1.0).and_then(|i| MONTHS.get(i)),
                'F' => idx(v).and_then(|i| DAYS.get(i)),
                _ => return Err(FormatError::with_value("D3133", &c.to_string())),
            };
            let Some(name) = name else {
                // An invalid date has no name; jsonata-js then fails calling a string method
                // on `undefined`, except in title case without a width, where it prints it.
                if case == Case::Title && m.width.is_none() {
                    return Ok("undefined".into());
                }
                return Err(FormatError::range("invalid date"));
            };
            let mut s = case_name(name, case);
            if let Some(max) = m.width.as_ref().and_then(|w| w.max) {
                if (s.chars().count() as f64) > max {
                    s = s.chars().take(max.max(0.0) as usize).collect();
                }
            }
            return Ok(s);
        }
        return match &m.integer_format {
            Some(fmt) => integer::format_with(v, fmt),
            None => Ok("undefined".into()),
        };
    }
    match c {
        'f' => match &m.integer_format {
            Some(fmt) => integer::format_with(num, fmt),
            None => Ok("undefined".into()),
        },
        'Z' | 'z' => {
            let Some(fmt) = &m.integer_format else {
                return Ok("undefined".into());
            };
            let offset = offset_hours * 100.0 + offset_minutes;
            let mut s = if fmt.is_regular() {
                integer::format_with(offset, fmt)?
            } else {
                let nd = fmt.mandatory_digits;
                if nd == 1.0 || nd == 2.0 {
                    let mut s = integer::format_with(offset_hours, fmt)?;
                    if offset_minutes != 0.0 {
                        s.push(':');
                        s.push_str(&integer::format_integer(offset_minutes, "00")?);
                    }
                    s
                } else if nd == 3.0 || nd == 4.0 {
                    integer::format_with(offset, fmt)?
                } else {
                    return Err(FormatError::new("D3134"));
                }
            };
            if offset >= 0.0 {
                s.insert(0, '+');
            }
            if c == 'z' {
                s.insert_str(0, "GMT");
            }
            if offset == 0.0 && m.presentation2 == Some('t') {
                s = "Z".into();
            }
            Ok(s)
        }
        'P' => {
            let s = match value {
                Frag::Str(s) => s.to_string(),
                _ => "undefined".to_string(),
            };
            Ok(if m.names == Some(Case::Upper) {
                s.to_uppercase()
            } else {
                s
            })
        }
        _ => Ok(match value {
            Frag::Str(s) => s.to_string(),
            Frag::Num(v) => jsnum::to_string(v),
            Frag::Undefined => "undefined".to_string(),
        }),
    }
}

fn idx(v: f64) -> Option<usize> {
    if v >= 0.0 && v.fract() == 0.0 && v < 100.0 {
        Some(v as usize)
    } else {
        None
    }
}

pub(crate) fn format_datetime(
    millis: i64,
    picture: Option<&str>,
    timezone: Option<&str>,
    dialect: Dialect,
) -> Result<String, FormatError> {
    let (mut offset_hours, mut offset_minutes) = (0.0, 0.0);
    if let Some(tz) = timezone {
        // jsonata-js reads "+hhmm" as one decimal integer: floor(x / 100) hours, x % 100 minutes.
        let offset = jsnum::parse_int(tz);
        offset_hours = (offset / 100.0).floor();
        offset_minutes = offset % 100.0;
    }
    let spec = analyse_picture(picture.unwrap_or(ISO_PICTURE), dialect)?;
    let offset_millis = (60.0 * offset_hours + offset_minutes) * 60_000.0;
    let f = fields(millis as f64 + offset_millis);
    let mut out = String::new();
    for part in &spec {
        match part {
            Part::Literal(s) => out.push_str(s),
            Part::Marker(m) => {
                out.push_str(&format_component(&f, m, offset_hours, offset_minutes)?)
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Parsing: jsonata-js builds one anchored, case-insensitive regex from the picture and reads
// each capture group; this is a backtracking matcher with the same preference order.

#[derive(Clone, Debug)]
enum Matcher {
    Literal(Vec<char>),
    Tz {
        gmt: bool,
        sep: Option<char>,
    },
    /// `[A-Z]+` / `[a-z]+` (any case under the `i` flag), also month/day names.
    Letters,
    Roman,
    Words,
    /// `[0-9]{min,max}` (`None`: `[0-9]+`), optionally followed by an ordinal suffix.
    Decimal {
        width: Option<(usize, usize)>,
        ordinal: bool,
    },
}

#[derive(Clone, Debug)]
enum Reader {
    Tz { z: bool, sep: Option<char> },
    Integer(IntegerFormat),
    Fraction,
    Names(Vec<(String, f64)>),
}

struct ParsePart {
    matcher: Matcher,
    reader: Option<(char, Reader)>,
}

/// The regex engine's case-insensitive Canonicalize (non-Unicode mode).
fn canon(c: char) -> char {
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) if !((c as u32) >= 128 && (u as u32) < 128) => u,
        _ => c,
    }
}

fn eq_ci(a: char, b: char) -> bool {
    a == b || canon(a) == canon(b)
}

fn starts_with_ci(text: &[char], pos: usize, lit: &[char]) -> bool {
    match text.get(pos..pos + lit.len()) {
        Some(s) => s.iter().zip(lit).all(|(&a, &b)| eq_ci(a, b)),
        None => false,
    }
}

fn run_len(text: &[char], pos: usize, pred: impl Fn(char) -> bool) -> usize {
    text.get(pos..)
        .map_or(0, |s| s.iter().take_while(|&&c| pred(c)).count())
}

fn is_roman(c: char) -> bool {
    "MDCLXVI".contains(canon(c))
}

fn word_alternatives() -> &'static [Vec<char>] {
    static ALTS: std::sync::OnceLock<Vec<Vec<char>>> = std::sync::OnceLock::new();
    ALTS.get_or_init(build_word_alternatives)
}

fn build_word_alternatives() -> Vec<Vec<char>> {
    let mut alts: Vec<Vec<char>> = integer::word_values()
        .iter()
        .map(|(w, _)| w.chars().collect())
        .collect();
    alts.push("and".chars().collect());
    alts.push(vec!['-']);
    alts.push(vec![',']);
    alts.push(vec![' ']);
    alts
}

/// End positions of `(?:alt1|alt2|...)+` at `pos`, in the order a backtracking engine tries them.
fn words_ends(text: &[char], pos: usize, alts: &[Vec<char>]) -> Vec<usize> {
    let matching = |q: usize| -> Vec<usize> {
        alts.iter()
            .filter(|a| starts_with_ci(text, q, a))
            .map(|a| q + a.len())
            .collect()
    };
    let mut out = Vec::new();
    let mut visited: HashSet<usize> = HashSet::new();
    // Frames: (position, children still to visit). Greedy repetition explores another
    // iteration before exiting, so a position is yielded after its subtree.
    let mut stack: Vec<(usize, std::vec::IntoIter<usize>, bool)> =
        vec![(pos, matching(pos).into_iter(), false)];
    while let Some((q, children, counted)) = stack.last_mut() {
        if let Some(child) = children.next() {
            if visited.insert(child) {
                let next = matching(child).into_iter();
                stack.push((child, next, true));
            }
        } else {
            if *counted {
                out.push(*q);
            }
            stack.pop();
        }
    }
    out
}

fn candidates(m: &Matcher, text: &[char], pos: usize, alts: &[Vec<char>]) -> Vec<usize> {
    match m {
        Matcher::Literal(lit) => {
            if starts_with_ci(text, pos, lit) {
                vec![pos + lit.len()]
            } else {
                Vec::new()
            }
        }
        Matcher::Letters => {
            let n = run_len(text, pos, |c| c.is_ascii_alphabetic());
            (1..=n).rev().map(|k| pos + k).collect()
        }
        Matcher::Roman => {
            let n = run_len(text, pos, is_roman);
            (1..=n).rev().map(|k| pos + k).collect()
        }
        Matcher::Words => words_ends(text, pos, alts),
        Matcher::Decimal { width, ordinal } => {
            let n = run_len(text, pos, |c| c.is_ascii_digit());
            let lens: Vec<usize> = match width {
                Some((lo, hi)) => (*lo..=n.min(*hi)).rev().collect(),
                None => (1..=n).rev().collect(),
            };
            let mut out = Vec::new();
            for k in lens {
                let end = pos + k;
                if *ordinal {
                    if ["th", "st", "nd", "rd"].iter().any(|s| {
                        let s: Vec<char> = s.chars().collect();
                        starts_with_ci(text, end, &s)
                    }) {
                        out.push(end + 2);
                    }
                } else {
                    out.push(end);
                }
            }
            out
        }
        Matcher::Tz { gmt, sep } => {
            let mut p = pos;
            if *gmt {
                if !starts_with_ci(text, p, &['G', 'M', 'T']) {
                    return Vec::new();
                }
                p += 3;
            }
            if !matches!(text.get(p), Some('+') | Some('-')) {
                return Vec::new();
            }
            p += 1;
            let n1 = run_len(text, p, |c| c.is_ascii_digit());
            let mut out = Vec::new();
            for k1 in (1..=n1).rev() {
                let q = p + k1;
                match sep {
                    None => out.push(q),
                    Some(s) => {
                        if text.get(q).is_some_and(|&c| eq_ci(c, *s)) {
                            let n2 = run_len(text, q + 1, |c| c.is_ascii_digit());
                            out.extend((1..=n2).rev().map(|k2| q + 1 + k2));
                        }
                    }
                }
            }
            out
        }
    }
}

/// Finds the capture spans of the first match, or `None` when the text does not match.
/// Errors when a crafted picture/text pair would need more than [`super::MAX_WORK`] steps.
fn match_parts(
    parts: &[ParsePart],
    text: &[char],
) -> Result<Option<Vec<(usize, usize)>>, FormatError> {
    if parts.is_empty() {
        return Ok(if text.is_empty() {
            Some(Vec::new())
        } else {
            None
        });
    }
    let mut work = 0f64;
    let too_complex = || FormatError::range("date/time picture too complex to match");
    let alts = word_alternatives();
    let mut failed: HashSet<(usize, usize)> = HashSet::new();
    struct Frame {
        part: usize,
        pos: usize,
        cands: Vec<usize>,
        next: usize,
    }
    let Some(first) = parts.first() else {
        return Ok(None);
    };
    let mut stack = vec![Frame {
        part: 0,
        pos: 0,
        cands: candidates(&first.matcher, text, 0, alts),
        next: 0,
    }];
    while let Some(top) = stack.last_mut() {
        work += 1.0;
        if work > super::MAX_WORK {
            return Err(too_complex());
        }
        if let Some(&end) = top.cands.get(top.next) {
            top.next += 1;
            let part = top.part + 1;
            if part == parts.len() {
                if end == text.len() {
                    return Ok(Some(
                        stack
                            .iter()
                            .map(|f| {
                                let end = f.cands.get(f.next.saturating_sub(1)).copied();
                                (f.pos, end.unwrap_or(f.pos))
                            })
                            .collect(),
                    ));
                }
            } else if !failed.contains(&(part, end)) {
                let cands = parts
                    .get(part)
                    .map(|p| candidates(&p.matcher, text, end, alts))
                    .unwrap_or_default();
                // Building the candidate list costs about as much as trying it.
                work += cands.len() as f64;
                stack.push(Frame {
                    part,
                    pos: end,
                    cands,
                    next: 0,
                });
            }
        } else {
            failed.insert((top.part, top.pos));
            stack.pop();
        }
    }
    Ok(None)
}

fn build_parse_parts(spec: &[Part], dialect: Dialect) -> Result<Vec<ParsePart>, FormatError> {
    let mut out = Vec::new();
    for part in spec {
        let m = match part {
            Part::Literal(s) => {
                out.push(ParsePart {
                    matcher: Matcher::Literal(s.chars().collect()),
                    reader: None,
                });
                continue;
            }
            Part::Marker(m) => m,
        };
        let c = m.component.unwrap_or('\0');
        let pp = if c == 'Z' || c == 'z' {
            let sep = match m.integer_format.as_ref().map(|f| &f.grouping) {
                Some(Grouping::Regular(s)) => Some(s.character),
                _ => None,
            };
            ParsePart {
                matcher: Matcher::Tz { gmt: c == 'z', sep },
                reader: Some((c, Reader::Tz { z: c == 'z', sep })),
            }
        } else if c == 'f' && dialect == Dialect::V2_2 {
            // Fractional seconds: always `[0-9]+`, read as a decimal fraction (jsonata-js #782).
            ParsePart {
                matcher: Matcher::Decimal {
                    width: None,
                    ordinal: false,
                },
                reader: Some((c, Reader::Fraction)),
            }
        } else if let Some(fmt) = &m.integer_format {
            let matcher = match fmt.primary {
                Primary::Letters => Matcher::Letters,
                Primary::Roman => Matcher::Roman,
                Primary::Words => Matcher::Words,
                Primary::Decimal => Matcher::Decimal {
                    width: match dialect {
                        Dialect::V2_2 => {
                            fmt.parse_width
                                .filter(|w| *w != 0.0 && !w.is_nan())
                                .map(|w| {
                                    let w = w.clamp(0.0, 1e9) as usize;
                                    (w, w)
                                })
                        }
                        // 2.0.6 fixes only the year's width: {n}, or {n-optional,n}.
                        Dialect::V2_0_6 if m.n > 0.0 => {
                            let n = m.n.min(1e9) as usize;
                            let opt = fmt.optional_digits.clamp(0.0, 1e9) as usize;
                            Some((n.saturating_sub(opt), n))
                        }
                        Dialect::V2_0_6 => None,
                    },
                    ordinal: fmt.ordinal,
                },
                Primary::Sequence => return Err(FormatError::with_value("D3130", &fmt.token)),
            };
            ParsePart {
                matcher,
                reader: Some((c, Reader::Integer(fmt.clone()))),
            }
        } else {
            let max = m
                .width
                .as_ref()
                .and_then(|w| w.max)
                .filter(|mx| *mx != 0.0 && !mx.is_nan());
            let shorten = |name: &str| -> String {
                match max {
                    Some(mx) => name.chars().take(mx.max(0.0) as usize).collect(),
                    None => name.to_string(),
                }
            };
            let lookup: Vec<(String, f64)> = match c {
                'M' | 'x' => MONTHS
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (shorten(n), (i + 1) as f64))
                    .collect(),
                'F' => DAYS
                    .iter()
                    .enumerate()
                    .skip(1)
                    .map(|(i, n)| (shorten(n), i as f64))
                    .collect(),
                'P' => vec![
                    ("am".into(), 0.0),
                    ("AM".into(), 0.0),
                    ("pm".into(), 1.0),
                    ("PM".into(), 1.0),
                ],
                _ => {
                    let name = m.component.map(String::from).unwrap_or_default();
                    return Err(FormatError::with_value("D3133", &name));
                }
            };
            ParsePart {
                matcher: Matcher::Letters,
                reader: Some((c, Reader::Names(lookup))),
            }
        };
        out.push(pp);
    }
    Ok(out)
}

#[derive(Clone, Debug, PartialEq)]
enum Comp {
    Num(f64),
    /// The string `'am'`/`'pm'` jsonata-js defaults `P` to: truthy, but never `=== 1`.
    Str,
    Undefined,
}

impl Comp {
    fn truthy(&self) -> bool {
        match self {
            Comp::Num(v) => *v != 0.0 && !v.is_nan(),
            Comp::Str => true,
            Comp::Undefined => false,
        }
    }
    fn num(&self) -> f64 {
        match self {
            Comp::Num(v) => *v,
            _ => f64::NAN,
        }
    }
}

fn read_value(reader: &Reader, value: &str) -> Result<Comp, FormatError> {
    Ok(match reader {
        Reader::Tz { z, sep } => {
            let chars: Vec<char> = value.chars().collect();
            let v: Vec<char> = if *z {
                chars.get(3..).unwrap_or(&[]).to_vec()
            } else {
                chars
            };
            let s: String = v.iter().collect();
            let (hours, minutes) = match sep.and_then(|sc| v.iter().position(|&c| c == sc)) {
                Some(i) => (
                    jsnum::parse_int(&v.get(..i).unwrap_or(&[]).iter().collect::<String>()),
                    jsnum::parse_int(&v.get(i + 1..).unwrap_or(&[]).iter().collect::<String>()),
                ),
                None if sep.is_some() => (jsnum::parse_int(&s), f64::NAN),
                None => {
                    if v.len().saturating_sub(1) <= 2 {
                        (jsnum::parse_int(&s), 0.0)
                    } else {
                        (
                            jsnum::parse_int(&v.get(..3).unwrap_or(&[]).iter().collect::<String>()),
                            jsnum::parse_int(&v.get(3..).unwrap_or(&[]).iter().collect::<String>()),
                        )
                    }
                }
            };
            Comp::Num(hours * 60.0 + minutes)
        }
        Reader::Integer(fmt) => Comp::Num(integer::parse_with(value, fmt)?),
        Reader::Fraction => {
            // parseFloat('0.' + first three digits) * 1000, truncated later by Date.UTC.
            let first3: String = value.chars().take(3).collect();
            Comp::Num(format!("0.{first3}").parse::<f64>().unwrap_or(f64::NAN) * 1000.0)
        }
        // Truncated names can collide ("J"): the last assignment to the JS lookup object wins.
        Reader::Names(lookup) => lookup
            .iter()
            .rev()
            .find(|(k, _)| k == value)
            .map_or(Comp::Undefined, |(_, v)| Comp::Num(*v)),
    })
}

fn default_from_now(now: &Fields, part: char) -> Comp {
    match fragment(now, Some(part)) {
        Frag::Num(v) => Comp::Num(v),
        Frag::Str(_) => Comp::Str,
        Frag::Undefined => Comp::Undefined,
    }
}

fn parse_with_picture(
    text: &str,
    picture: &str,
    now: i64,
    dialect: Dialect,
) -> Result<Option<i64>, FormatError> {
    let spec = analyse_picture(picture, dialect)?;
    let parts = build_parse_parts(&spec, dialect)?;
    let chars: Vec<char> = text.chars().collect();
    let Some(spans) = match_parts(&parts, &chars)? else {
        return Ok(None);
    };
    let mut components: HashMap<char, Comp> = HashMap::new();
    for (part, &(s, e)) in parts.iter().zip(spans.iter()) {
        if let Some((c, reader)) = &part.reader {
            let value: String = chars.get(s..e).unwrap_or(&[]).iter().collect();
            components.insert(*c, read_value(reader, &value)?);
        }
    }
    if components.is_empty() {
        return Ok(None);
    }
    let bit = |c: char| components.get(&c).is_some_and(Comp::truthy);
    let mask_of = |letters: &str| {
        letters
            .chars()
            .fold(0u32, |m, c| (m << 1) | u32::from(bit(c)))
    };
    let is_type = |ty: u32, mask: u32| (!ty & mask) == 0 && (ty & mask) != 0;
    let date_mask = mask_of("YXMxWwdD");
    let date_a = is_type(161, date_mask);
    let date_b = !date_a && is_type(130, date_mask);
    let date_c = is_type(84, date_mask);
    let date_d = !date_c && is_type(72, date_mask);
    let time_mask = mask_of("PHhmsf");
    let time_a = is_type(23, time_mask);
    let time_b = !time_a && is_type(47, time_mask);

    let date_comps = if date_b {
        "YD"
    } else if date_c {
        "XxwF"
    } else if date_d {
        "XWF"
    } else {
        "YMD"
    };
    let time_comps = if time_b { "Phmsf" } else { "Hmsf" };
    let now_fields = fields(now as f64);
    let mut start_specified = false;
    let mut end_specified = false;
    for part in date_comps.chars().chain(time_comps.chars()) {
        let undefined = matches!(components.get(&part), None | Some(Comp::Undefined));
        if undefined {
            if start_specified {
                let v = if "MDd".contains(part) { 1.0 } else { 0.0 };
                components.insert(part, Comp::Num(v));
                end_specified = true;
            } else {
                components.insert(part, default_from_now(&now_fields, part));
            }
        } else {
            start_specified = true;
            if end_specified {
                return Err(FormatError::new("D3136"));
            }
        }
    }
    let get = |c: char| components.get(&c).cloned().unwrap_or(Comp::Undefined);
    let mut month = match get('M') {
        Comp::Num(v) if v > 0.0 => v - 1.0,
        _ => 0.0,
    };
    let mut day = get('D').num();
    if date_b {
        let first_jan = date_utc_ym(get('Y').num(), 0.0);
        let derived = fields(first_jan + (get('d').num() - 1.0) * MS_PER_DAY);
        month = derived.month;
        day = derived.date;
    }
    if date_c || date_d {
        return Err(FormatError::new("D3136"));
    }
    let mut hours = get('H').num();
    if time_b {
        let h = get('h');
        hours = if h == Comp::Num(12.0) { 0.0 } else { h.num() };
        if get('P') == Comp::Num(1.0) {
            hours += 12.0;
        }
    }
    let mut millis = date_utc(
        get('Y').num(),
        month,
        day,
        hours,
        get('m').num(),
        get('s').num(),
        get('f').num(),
    );
    let zone = [get('Z'), get('z')].into_iter().find(Comp::truthy);
    if let Some(z) = zone {
        millis -= z.num() * 60_000.0;
    }
    Ok(if millis.is_nan() {
        None
    } else {
        Some(millis as i64)
    })
}

// ---------------------------------------------------------------------------------------------
// ISO 8601 without a picture: jsonata-js checks this regex, then uses `Date.parse`:
// ^\d{4}(-[01]\d)?(-[0-3]\d)?(T[0-2]\d:[0-5]\d:[0-5]\d)?(\.\d+)?([+-][0-2]\d:?[0-5]\d|Z)?$

/// `repeat`: jsonata 2.0.6's regex, whose groups are `*` where 2.2's are `?`.
fn iso_regex_matches(s: &[char], repeat: bool) -> bool {
    let digit_in = |i: usize, lo: char, hi: char| s.get(i).is_some_and(|&c| c >= lo && c <= hi);
    let d = |i: usize| digit_in(i, '0', '9');
    if !(0..4).all(d) {
        return false;
    }
    // NFA simulation over the set of reachable positions, group by group.
    let optional = |starts: Vec<usize>, step: &dyn Fn(usize) -> Option<usize>| {
        let mut out = starts.clone();
        let mut frontier = starts;
        while !frontier.is_empty() {
            let next: Vec<usize> = frontier
                .iter()
                .filter_map(|&p| step(p))
                .filter(|q| !out.contains(q))
                .collect();
            out.extend(next.iter().copied());
            frontier = if repeat { next } else { Vec::new() };
        }
        out
    };
    let dash01 = |p: usize| {
        (s.get(p) == Some(&'-') && digit_in(p + 1, '0', '1') && d(p + 2)).then_some(p + 3)
    };
    let dash03 = |p: usize| {
        (s.get(p) == Some(&'-') && digit_in(p + 1, '0', '3') && d(p + 2)).then_some(p + 3)
    };
    let time = |p: usize| {
        (s.get(p) == Some(&'T')
            && digit_in(p + 1, '0', '2')
            && d(p + 2)
            && s.get(p + 3) == Some(&':')
            && digit_in(p + 4, '0', '5')
            && d(p + 5)
            && s.get(p + 6) == Some(&':')
            && digit_in(p + 7, '0', '5')
            && d(p + 8))
        .then_some(p + 9)
    };
    let mut set = optional(vec![4], &dash01);
    set = optional(set, &dash03);
    set = optional(set, &time);
    let mut with_frac = set.clone();
    for &p in &set {
        if s.get(p) == Some(&'.') {
            let n = run_len(s, p + 1, |c| c.is_ascii_digit());
            with_frac.extend((1..=n).map(|k| p + 1 + k));
        }
    }
    let mut ends = with_frac.clone();
    for &p in &with_frac {
        if s.get(p) == Some(&'Z') {
            ends.push(p + 1);
        }
        if matches!(s.get(p), Some('+') | Some('-')) && digit_in(p + 1, '0', '2') && d(p + 2) {
            for q in [p + 3, p + 4] {
                if q == p + 4 && s.get(p + 3) != Some(&':') {
                    continue;
                }
                if digit_in(q, '0', '5') && d(q + 1) {
                    ends.push(q + 2);
                }
            }
        }
    }
    ends.contains(&s.len())
}

/// The ECMAScript date-time string format as V8's `Date.parse` reads it. Forms without an
/// offset are read as UTC (jsonata-js reads date-times in the host's zone; Step Functions
/// hosts run in UTC). Anything else V8 would hand to its legacy parser: reported as no number.
fn parse_iso(s: &[char]) -> Option<f64> {
    let num = |a: usize, n: usize| -> Option<f64> {
        let part = s.get(a..a + n)?;
        if part.iter().all(|c| c.is_ascii_digit()) {
            part.iter().collect::<String>().parse::<f64>().ok()
        } else {
            None
        }
    };
    let year = num(0, 4)?;
    let mut p = 4;
    // V8 reads the ECMAScript format first; at the first token it does not expect (before a
    // `T`), it hands that token and the rest to its legacy parser.
    let two_digits = |a: usize| {
        run_len(s, a, |c| c.is_ascii_digit()) == 2
            && s.get(a..a + 2)
                .is_some_and(|d| d.iter().all(char::is_ascii_digit))
    };
    let mut fields = vec![year];
    let (mut month, mut day) = (1.0, 1.0);
    if s.get(p) == Some(&'-') {
        p += 1;
        match num(p, 2) {
            Some(m) if two_digits(p) && (1.0..=12.0).contains(&m) => {
                month = m;
                fields.push(m);
                p += 2;
                if s.get(p) == Some(&'-') {
                    p += 1;
                    match num(p, 2) {
                        Some(d) if two_digits(p) && (1.0..=31.0).contains(&d) => {
                            day = d;
                            fields.push(d);
                            p += 2;
                        }
                        _ => return parse_legacy(s, p, fields),
                    }
                }
            }
            _ => return parse_legacy(s, p, fields),
        }
    }
    if p < s.len() && s.get(p) != Some(&'T') {
        return parse_legacy(s, p, fields);
    }
    let (mut h, mut mi, mut sec, mut ms) = (0.0, 0.0, 0.0, 0.0);
    let mut offset = 0.0;
    if s.get(p) == Some(&'T') {
        h = num(p + 1, 2)?;
        if s.get(p + 3) != Some(&':') {
            return None;
        }
        mi = num(p + 4, 2)?;
        if s.get(p + 6) != Some(&':') {
            return None;
        }
        sec = num(p + 7, 2)?;
        p += 9;
        if s.get(p) == Some(&'.') {
            let n = run_len(s, p + 1, |c| c.is_ascii_digit());
            if n == 0 {
                return None;
            }
            let mut digits: String = s.get(p + 1..p + 1 + n)?.iter().take(3).collect();
            while digits.len() < 3 {
                digits.push('0');
            }
            ms = digits.parse::<f64>().ok()?;
            p += 1 + n;
        }
        match s.get(p) {
            Some('Z') => p += 1,
            Some(&sign) if sign == '+' || sign == '-' => {
                let oh = num(p + 1, 2)?;
                let mut q = p + 3;
                if s.get(q) == Some(&':') {
                    q += 1;
                }
                let om = num(q, 2)?;
                if oh > 23.0 || om > 59.0 {
                    return None;
                }
                offset = (oh * 60.0 + om) * 60_000.0 * if sign == '-' { -1.0 } else { 1.0 };
                p = q + 2;
            }
            _ => {}
        }
    }
    if p != s.len() {
        return None;
    }
    if !(1.0..=12.0).contains(&month) || !(1.0..=31.0).contains(&day) {
        return None;
    }
    if h > 24.0 || mi > 59.0 || sec > 59.0 || (h == 24.0 && (mi != 0.0 || sec != 0.0 || ms != 0.0))
    {
        return None;
    }
    let t = make_date(make_day(year, month - 1.0, day), make_time(h, mi, sec, ms));
    let t = time_clip(t - offset);
    (!t.is_nan()).then_some(t)
}

#[derive(Debug, PartialEq)]
enum V8Token {
    Number(f64, usize),
    Symbol(char),
    Word(String),
}

fn v8_tokens(s: &[char], from: usize) -> Vec<V8Token> {
    let mut out = Vec::new();
    let mut i = from;
    while let Some(&c) = s.get(i) {
        if c.is_ascii_digit() {
            let n = run_len(s, i, |c| c.is_ascii_digit());
            let digits: String = s.get(i..i + n).unwrap_or(&[]).iter().collect();
            out.push(V8Token::Number(digits.parse().unwrap_or(f64::INFINITY), n));
            i += n;
        } else if c.is_ascii_alphabetic() {
            let n = run_len(s, i, |c| c.is_ascii_alphabetic());
            out.push(V8Token::Word(
                s.get(i..i + n).unwrap_or(&[]).iter().collect(),
            ));
            i += n;
        } else {
            out.push(V8Token::Symbol(c));
            i += 1;
        }
    }
    out
}

/// V8's legacy date parser (`DateParser::Parse` after the ES5 attempt), for the shapes
/// jsonata-js's regex lets through without a `T`: date fields already read come in `fields`.
/// Strings without an offset are local time in V8; Step Functions hosts run in UTC.
fn parse_legacy(s: &[char], from: usize, mut fields: Vec<f64>) -> Option<f64> {
    let tokens = v8_tokens(s, from);
    let mut time: Vec<f64> = Vec::new();
    let time_expecting = |time: &Vec<f64>, n: f64| match time.len() {
        1 | 2 => (0.0..=59.0).contains(&n),
        3 => (0.0..=999.0).contains(&n),
        _ => false,
    };
    let mut i = 0;
    while let Some(tok) = tokens.get(i) {
        i += 1;
        match tok {
            V8Token::Number(n, _) => {
                let n = *n;
                if tokens.get(i) == Some(&V8Token::Symbol(':')) {
                    i += 1;
                    if time.len() >= 4 {
                        return None;
                    }
                    time.push(n);
                    if tokens.get(i) == Some(&V8Token::Symbol('.')) {
                        i += 1;
                    }
                } else if tokens.get(i) == Some(&V8Token::Symbol('.')) && {
                    i += 1; // V8 consumes the '.' whether or not a time is expected.
                    time_expecting(&time, n)
                } {
                    time.push(n);
                    let Some(V8Token::Number(v, len)) = tokens.get(i) else {
                        return None;
                    };
                    i += 1;
                    // Milliseconds: the first three digits of the numeral.
                    let ms = (v * 10f64.powi(3 - (*len).min(400) as i32)).floor();
                    time.push(ms);
                    while time.len() < 4 {
                        time.push(0.0);
                    }
                } else if time_expecting(&time, n) {
                    time.push(n);
                    while time.len() < 4 {
                        time.push(0.0);
                    }
                    match tokens.get(i) {
                        None => {}
                        Some(V8Token::Word(w)) if w.eq_ignore_ascii_case("z") => {}
                        Some(V8Token::Symbol('+')) | Some(V8Token::Symbol('-')) => {}
                        _ => return None,
                    }
                } else {
                    if fields.len() >= 3 {
                        return None;
                    }
                    fields.push(n);
                    if tokens.get(i) == Some(&V8Token::Symbol('-')) {
                        i += 1;
                    }
                }
            }
            // `Z` is UTC, which is also the local time we assume.
            V8Token::Word(w) if w.eq_ignore_ascii_case("z") => {}
            // Any other word (`T`) after a number is garbage; a sign after a number but
            // before a time or `Z` is illegal.
            V8Token::Word(_) => return None,
            // A sign after a number is illegal unless it starts an offset after a time or `Z`;
            // jsonata-js's regex cannot produce that shape without a `T`.
            V8Token::Symbol('+') | V8Token::Symbol('-') => return None,
            V8Token::Symbol(_) => {}
        }
    }
    while fields.len() < 3 {
        fields.push(1.0);
    }
    let is_day = |v: f64| (1.0..=31.0).contains(&v);
    let (a, b, c) = (*fields.first()?, *fields.get(1)?, *fields.get(2)?);
    let (mut year, month, day) = if !is_day(a) { (a, b, c) } else { (c, a, b) };
    if (0.0..=49.0).contains(&year) {
        year += 2000.0;
    } else if (50.0..=99.0).contains(&year) {
        year += 1900.0;
    }
    if !(1.0..=12.0).contains(&month) || !is_day(day) {
        return None;
    }
    while time.len() < 4 {
        time.push(0.0);
    }
    let t = |k: usize| time.get(k).copied().unwrap_or(0.0);
    let (h, mi, sec, ms) = (t(0), t(1), t(2), t(3));
    let valid = (0.0..=23.0).contains(&h)
        && (0.0..=59.0).contains(&mi)
        && (0.0..=59.0).contains(&sec)
        && (0.0..=999.0).contains(&ms);
    if !(valid || (h == 24.0 && mi == 0.0 && sec == 0.0 && ms == 0.0)) {
        return None;
    }
    let tv = time_clip(make_date(
        make_day(year, month - 1.0, day),
        make_time(h, mi, sec, ms),
    ));
    (!tv.is_nan()).then_some(tv)
}

/// Which jsonata-js release's `$toMillis` parsing to reproduce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// jsonata-js 2.2.x (the official test suite's version).
    #[default]
    V2_2,
    /// jsonata-js 2.0.6, which AWS Step Functions runs. Parsing: fractional seconds are whole
    /// milliseconds (`.5` is 5 ms), abutting numbers get no fixed widths (except year, month
    /// and day from their own picture), ISO 8601 strings with repeated groups yield no number
    /// instead of error D3110. Formatting: a maximum width sets month and day digits too
    /// (`[M,1-3]` is `001`).
    V2_0_6,
}

pub(crate) fn parse_datetime(
    text: &str,
    picture: Option<&str>,
    now: i64,
    dialect: Dialect,
) -> Result<Option<i64>, FormatError> {
    match picture {
        Some(p) => parse_with_picture(text, p, now, dialect),
        None => {
            let chars: Vec<char> = text.chars().collect();
            if !iso_regex_matches(&chars, dialect == Dialect::V2_0_6) {
                return Err(FormatError::with_value("D3110", text));
            }
            if !iso_regex_matches(&chars, false) {
                // Only 2.0.6 lets repeated groups through; V8's Date.parse rejects them all.
                return Ok(None);
            }
            Ok(parse_iso(&chars).map(|t| t as i64))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for z in [-1_000_000i64, -719_468, -1, 0, 1, 10_957, 2_932_896] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn date_utc_maps_two_digit_years() {
        assert_eq!(date_utc_ym(70.0, 0.0), 0.0);
        assert_eq!(date_utc_ym(1970.0, 0.0), 0.0);
        assert!(date_utc_ym(300_000.0, 0.0).is_nan());
    }
}
