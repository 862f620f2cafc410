//! Tests of `jsonata::format`: the official suite's picture-string cases (when the corpus is
//! present) and hand-written cases for every picture feature (always).

use jsonata::format::{
    format_datetime, format_datetime_dialect, format_integer, format_number, parse_datetime,
    parse_datetime_at, parse_datetime_dialect, parse_integer, DecimalFormat, Dialect, FormatError,
};

// =============================================================================================
// Corpus runner
// =============================================================================================

mod corpus {
    use super::*;
    use serde_json::Value;
    use std::collections::BTreeSet;
    use std::path::PathBuf;

    const GROUPS: [&str; 5] = [
        "function-formatNumber",
        "function-formatInteger",
        "function-parseInteger",
        "function-fromMillis",
        "function-tomillis",
    ];

    /// A literal argument as the suite writes it.
    #[derive(Debug, Clone, PartialEq)]
    pub enum Arg {
        Num(f64),
        Str(String),
        Obj(Vec<(String, String)>),
        /// `undefined`, `()` or a path into (absent) input.
        Undefined,
    }

    #[derive(Debug)]
    pub struct Call {
        pub name: String,
        pub args: Vec<Arg>,
        /// `... ~> $fromMillis()` applied to the call's result.
        pub then_from_millis: bool,
    }

    struct P<'a> {
        s: &'a [char],
        i: usize,
    }

    impl P<'_> {
        fn ws(&mut self) {
            while self.s.get(self.i).is_some_and(|c| c.is_whitespace()) {
                self.i += 1;
            }
        }
        fn eat(&mut self, c: char) -> bool {
            self.ws();
            if self.s.get(self.i) == Some(&c) {
                self.i += 1;
                true
            } else {
                false
            }
        }
        fn ident(&mut self) -> String {
            self.ws();
            let mut out = String::new();
            while let Some(&c) = self.s.get(self.i) {
                if c.is_alphanumeric() || c == '_' || c == '$' {
                    out.push(c);
                    self.i += 1;
                } else {
                    break;
                }
            }
            out
        }
        fn string(&mut self) -> Option<String> {
            self.ws();
            let q = *self.s.get(self.i)?;
            if q != '"' && q != '\'' {
                return None;
            }
            self.i += 1;
            let mut out = String::new();
            loop {
                let c = *self.s.get(self.i)?;
                self.i += 1;
                if c == q {
                    return Some(out);
                }
                if c == '\\' {
                    let e = *self.s.get(self.i)?;
                    self.i += 1;
                    match e {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'r' => out.push('\r'),
                        'u' => {
                            let hex: String = self.s.get(self.i..self.i + 4)?.iter().collect();
                            self.i += 4;
                            out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                        }
                        other => out.push(other),
                    }
                } else {
                    out.push(c);
                }
            }
        }
        fn number(&mut self) -> Option<f64> {
            self.ws();
            let start = self.i;
            while self
                .s
                .get(self.i)
                .is_some_and(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E'))
                || (self.i > start
                    && matches!(self.s.get(self.i), Some('+') | Some('-'))
                    && matches!(self.s.get(self.i - 1), Some('e') | Some('E')))
            {
                self.i += 1;
            }
            let t: String = self.s.get(start..self.i)?.iter().collect();
            t.parse().ok()
        }
        /// Numeric expression: products, unary minus, parentheses.
        fn num_expr(&mut self) -> Option<f64> {
            let mut v = self.num_factor()?;
            while self.eat('*') {
                v *= self.num_factor()?;
            }
            Some(v)
        }
        fn num_factor(&mut self) -> Option<f64> {
            if self.eat('-') {
                return Some(-self.num_factor()?);
            }
            if self.eat('(') {
                let v = self.num_expr()?;
                return self.eat(')').then_some(v);
            }
            self.number()
        }
        fn arg(&mut self) -> Option<Arg> {
            self.ws();
            match self.s.get(self.i)? {
                '"' | '\'' => self.string().map(Arg::Str),
                '{' => {
                    self.i += 1;
                    let mut pairs = Vec::new();
                    if self.eat('}') {
                        return Some(Arg::Obj(pairs));
                    }
                    loop {
                        let k = self.string()?;
                        if !self.eat(':') {
                            return None;
                        }
                        let v = self.string()?;
                        pairs.push((k, v));
                        if self.eat('}') {
                            return Some(Arg::Obj(pairs));
                        }
                        if !self.eat(',') {
                            return None;
                        }
                    }
                }
                '(' => {
                    let save = self.i;
                    self.i += 1;
                    if self.eat(')') {
                        return Some(Arg::Undefined);
                    }
                    self.i = save;
                    self.num_expr().map(Arg::Num)
                }
                c if c.is_ascii_digit() || *c == '-' => self.num_expr().map(Arg::Num),
                c if c.is_alphabetic() => {
                    let id = self.ident();
                    // `undefined` or a path into the (empty) input: both undefined.
                    (!id.starts_with('$')).then_some(Arg::Undefined)
                }
                _ => None,
            }
        }
    }

    /// Parses `$fn(literal, ...)` optionally followed by `~> $fromMillis()`; `None` otherwise.
    pub fn parse_call(expr: &str) -> Option<Call> {
        let s: Vec<char> = expr.chars().collect();
        let mut p = P { s: &s, i: 0 };
        let name = p.ident();
        if !name.starts_with('$') || !p.eat('(') {
            return None;
        }
        let mut args = Vec::new();
        if !p.eat(')') {
            loop {
                args.push(p.arg()?);
                if p.eat(')') {
                    break;
                }
                if !p.eat(',') {
                    return None;
                }
            }
        }
        let mut then_from_millis = false;
        p.ws();
        if p.s.get(p.i..p.i + 2) == Some(&['~', '>'][..]) {
            p.i += 2;
            if p.ident() != "$fromMillis" || !p.eat('(') || !p.eat(')') {
                return None;
            }
            then_from_millis = true;
        }
        p.ws();
        (p.i == s.len()).then_some(Call {
            name,
            args,
            then_from_millis,
        })
    }

    #[derive(Debug, PartialEq)]
    pub enum Outcome {
        Value(Value),
        Undefined,
        Error(&'static str),
        /// Not a call our functions answer (e.g. the first argument is undefined).
        Skip(&'static str),
    }

    fn arg_str(a: Option<&Arg>) -> Result<Option<&str>, &'static str> {
        match a {
            None | Some(Arg::Undefined) => Ok(None),
            Some(Arg::Str(s)) => Ok(Some(s)),
            _ => Err("non-string argument"),
        }
    }

    fn err(e: FormatError) -> Outcome {
        Outcome::Error(e.code)
    }

    /// The fixed "now" for defaulted date parts: the suite's cases that depend on it compare
    /// against `$now()`, which a single call cannot do, so any instant works.
    const NOW: i64 = 1_700_000_000_000;

    pub fn run(call: &Call) -> Outcome {
        let first = call.args.first();
        if matches!(first, None | Some(Arg::Undefined)) && call.name != "$fromMillis" {
            return Outcome::Skip("undefined input is the evaluator's concern");
        }
        if matches!(first, Some(Arg::Undefined)) {
            return Outcome::Skip("undefined input is the evaluator's concern");
        }
        let out = match call.name.as_str() {
            "$formatNumber" => {
                let (Some(Arg::Num(v)), Some(Arg::Str(pic))) = (first, call.args.get(1)) else {
                    return Outcome::Skip("unsupported arguments");
                };
                let fmt = match call.args.get(2) {
                    Some(Arg::Obj(o)) => match DecimalFormat::from_options(o) {
                        Ok(f) => f,
                        Err(e) => return err(e),
                    },
                    _ => DecimalFormat::default(),
                };
                format_number(*v, pic, &fmt).map(|s| Some(Value::from(s)))
            }
            "$formatInteger" => {
                let (Some(Arg::Num(v)), Some(Arg::Str(pic))) = (first, call.args.get(1)) else {
                    return Outcome::Skip("unsupported arguments");
                };
                format_integer(*v, pic).map(|s| Some(Value::from(s)))
            }
            "$parseInteger" => {
                let (Some(Arg::Str(t)), Some(Arg::Str(pic))) = (first, call.args.get(1)) else {
                    return Outcome::Skip("unsupported arguments");
                };
                parse_integer(t, pic)
                    .map(|o| o.and_then(|v| serde_json::Number::from_f64(v).map(Value::Number)))
            }
            "$fromMillis" => {
                let Some(Arg::Num(v)) = first else {
                    return Outcome::Skip("unsupported arguments");
                };
                let (Ok(pic), Ok(tz)) = (arg_str(call.args.get(1)), arg_str(call.args.get(2)))
                else {
                    return Outcome::Skip("unsupported arguments");
                };
                format_datetime(*v as i64, pic, tz).map(|s| Some(Value::from(s)))
            }
            "$toMillis" => {
                let Some(Arg::Str(t)) = first else {
                    return Outcome::Skip("unsupported arguments");
                };
                let Ok(pic) = arg_str(call.args.get(1)) else {
                    return Outcome::Skip("unsupported arguments");
                };
                match parse_datetime_at(t, pic, NOW) {
                    Ok(Some(ms)) if call.then_from_millis => {
                        format_datetime(ms, None, None).map(|s| Some(Value::from(s)))
                    }
                    Ok(o) => Ok(o.map(Value::from)),
                    Err(e) => Err(e),
                }
            }
            _ => return Outcome::Skip("not a picture function"),
        };
        match out {
            Ok(Some(v)) => Outcome::Value(v),
            Ok(None) => Outcome::Undefined,
            Err(e) => err(e),
        }
    }

    fn same(expected: &Value, got: &Value) -> bool {
        match (expected.as_f64(), got.as_f64()) {
            (Some(a), Some(b)) => a == b,
            _ => expected == got,
        }
    }

    pub fn corpus_root() -> PathBuf {
        match std::env::var_os("STEPLINE_CORPUS") {
            Some(p) => PathBuf::from(p),
            None => PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/corpus"
            )),
        }
    }

    pub struct Report {
        pub passed: BTreeSet<String>,
        pub failed: Vec<(String, String)>,
        pub per_group: Vec<(String, usize, usize, usize)>,
    }

    pub fn run_suite(suite: &std::path::Path) -> Report {
        let mut report = Report {
            passed: BTreeSet::new(),
            failed: Vec::new(),
            per_group: Vec::new(),
        };
        for group in GROUPS {
            let dir = suite.join("groups").join(group);
            let Ok(entries) = std::fs::read_dir(&dir) else {
                println!("group {group}: folder absent, skipped");
                continue;
            };
            let mut files: Vec<PathBuf> =
                entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            files.sort();
            let (mut pass, mut total, mut skipped) = (0, 0, 0);
            for file in files {
                let stem = file
                    .file_stem()
                    .map(|s| s.to_string_lossy().to_string())
                    .unwrap_or_default();
                let Ok(text) = std::fs::read_to_string(&file) else {
                    continue;
                };
                let Ok(json) = serde_json::from_str::<Value>(&text) else {
                    continue;
                };
                let cases: Vec<(String, Value)> = match json {
                    Value::Array(items) => items
                        .into_iter()
                        .enumerate()
                        .map(|(i, c)| (format!("{group}/{stem}#{i}"), c))
                        .collect(),
                    other => vec![(format!("{group}/{stem}"), other)],
                };
                for (id, case) in cases {
                    let expr = case.get("expr").and_then(Value::as_str).unwrap_or("");
                    let Some(call) = parse_call(expr) else {
                        skipped += 1;
                        continue;
                    };
                    let got = run(&call);
                    if let Outcome::Skip(_) = got {
                        skipped += 1;
                        continue;
                    }
                    total += 1;
                    let ok = if let Some(code) = case.get("code").and_then(Value::as_str) {
                        got == Outcome::Error(match code {
                            c if c.len() == 5 => Box::leak(c.to_string().into_boxed_str()),
                            _ => "",
                        })
                    } else if case.get("undefinedResult").and_then(Value::as_bool) == Some(true) {
                        got == Outcome::Undefined
                    } else if let Some(expected) = case.get("result") {
                        matches!(&got, Outcome::Value(v) if same(expected, v))
                    } else {
                        false
                    };
                    if ok {
                        pass += 1;
                        report.passed.insert(id);
                    } else {
                        report.failed.push((id, format!("{expr}  => got {got:?}")));
                    }
                }
            }
            report
                .per_group
                .push((group.to_string(), pass, total, skipped));
        }
        report
    }
}

#[test]
fn jsonata_suite_picture_functions() {
    let suite = corpus::corpus_root().join("jsonata-suite");
    if !suite.join("groups").is_dir() {
        println!(
            "SKIPPED: JSONata test suite not found at {} (set STEPLINE_CORPUS)",
            suite.display()
        );
        return;
    }
    let report = corpus::run_suite(&suite);
    let (mut pass, mut total) = (0, 0);
    for (group, p, t, s) in &report.per_group {
        println!("{group}: {p}/{t} passed ({s} cases are not single literal calls, skipped)");
        pass += p;
        total += t;
    }
    println!("picture functions overall: {pass}/{total} passed");
    for (id, why) in &report.failed {
        println!("FAIL {id}: {why}");
    }
    let listed_text = include_str!("format_corpus_passing.txt");
    let listed: Vec<&str> = listed_text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    for id in report
        .passed
        .iter()
        .filter(|id| !listed.contains(&id.as_str()))
    {
        println!("NEWLY PASSING (add to tests/format_corpus_passing.txt): {id}");
    }
    let regressions: Vec<&&str> = listed
        .iter()
        .filter(|id| !report.passed.contains(**id))
        .collect();
    assert!(
        regressions.is_empty(),
        "regressed corpus cases: {regressions:?}"
    );
}

#[test]
fn corpus_call_parser_reads_literals() {
    let c = corpus::parse_call("$formatNumber(2392.14*(-36.58), '#;#', {\"per-mille\": \"pm\"})")
        .expect("parses");
    assert_eq!(c.name, "$formatNumber");
    assert_eq!(
        c.args,
        vec![
            corpus::Arg::Num(2392.14 * -36.58),
            corpus::Arg::Str("#;#".into()),
            corpus::Arg::Obj(vec![("per-mille".into(), "pm".into())]),
        ]
    );
    let c = corpus::parse_call("$toMillis('x', '[Y]') ~> $fromMillis()").expect("parses");
    assert!(c.then_from_millis);
    assert!(corpus::parse_call("$toMillis('x') = 1").is_none());
    assert!(corpus::parse_call("($ts := 1; $fromMillis($ts))").is_none());
}

// =============================================================================================
// Hand-written tests, by feature
// =============================================================================================

fn fnum(v: f64, pic: &str) -> String {
    format_number(v, pic, &DecimalFormat::default()).expect("formats")
}

fn fnum_err(v: f64, pic: &str) -> &'static str {
    format_number(v, pic, &DecimalFormat::default())
        .expect_err("must fail")
        .code
}

fn opts(pairs: &[(&str, &str)]) -> DecimalFormat {
    let v: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    DecimalFormat::from_options(&v).expect("options")
}

#[test]
fn format_number_grouping_and_padding() {
    assert_eq!(fnum(12345.6, "#,###.00"), "12,345.60");
    assert_eq!(fnum(12345678.9, "9,999.99"), "12,345,678.90");
    assert_eq!(fnum(123.9, "9999"), "0124");
    assert_eq!(fnum(2.0, "000.000"), "002.000");
    assert_eq!(fnum(1e20, "#,######"), "100,000000,000000,000000");
    // Irregular grouping keeps each separator where the picture puts it.
    assert_eq!(fnum(123412345678.9, "9,9,99.99"), "123412345,6,78.90");
    // Grouping in the fractional part.
    assert_eq!(fnum(1234.56789, "9,999.999,999"), "1,234.567,890");
    assert_eq!(fnum(0.0, "#"), "0");
}

#[test]
fn format_number_rounding_is_half_even() {
    assert_eq!(fnum(0.125, "0.00"), "0.12");
    assert_eq!(fnum(0.135, "0.00"), "0.14");
    assert_eq!(fnum(2.5, "0"), "2");
    assert_eq!(fnum(3.5, "0"), "4");
    assert_eq!(fnum(-2.5, "0"), "-2");
    assert_eq!(fnum(1.5, "0."), "2");
    assert_eq!(fnum(0.25, "#.#"), ".2");
}

#[test]
fn format_number_optional_digits_negative_and_subpictures() {
    assert_eq!(fnum(-6.0, "000"), "-006");
    assert_eq!(
        fnum(2.14 * 86.58, "PREFIX##00.000###SUFFIX"),
        "PREFIX185.2812SUFFIX"
    );
    assert_eq!(
        fnum(2392.14 * (-36.58), "000,000.000###;###,###.000###"),
        "87,504.4812"
    );
    assert_eq!(fnum(-5.0, "#0;(#0)"), "(5)");
    assert_eq!(fnum(5.0, "#0;(#0)"), "5");
}

#[test]
fn format_number_percent_and_per_mille() {
    assert_eq!(fnum(0.14, "01%"), "14%");
    assert_eq!(fnum(0.4857, "###.###\u{2030}"), "485.7\u{2030}");
    let f = opts(&[("per-mille", "pm")]);
    assert_eq!(format_number(0.14, "###pm", &f).as_deref(), Ok("140pm"));
}

#[test]
fn format_number_exponents() {
    assert_eq!(fnum(1234.5678, "00.000e0"), "12.346e2");
    assert_eq!(fnum(1234.5678, "00.000e000"), "12.346e002");
    assert_eq!(fnum(0.234, "0.0e0"), "2.3e-1");
    assert_eq!(fnum(0.234, "#.00e0"), "0.23e0");
    assert_eq!(fnum(0.123, "#.e9"), "0.1e0");
    assert_eq!(fnum(0.234, ".00e0"), ".23e0");
    // Zero and negative numbers with an exponent terminate (jsonata-js #785).
    assert_eq!(fnum(0.0, "0e0"), "0e0");
    assert_eq!(fnum(-42.0, "0e0"), "-4e1");
    assert_eq!(fnum(42.0, "0e0"), "4e1");
    assert_eq!(fnum(0.0, "0.00e0"), "0.00e0");
}

#[test]
fn format_number_custom_symbols() {
    let f = opts(&[("zero-digit", "\u{245f}")]);
    assert_eq!(
        format_number(1234.5678, "①①.①①①e①", &f).as_deref(),
        Ok("①②.③④⑥e②")
    );
    let f = opts(&[("zero-digit", "A")]);
    assert_eq!(format_number(2.0, "AAA.AAA", &f).as_deref(), Ok("AAC.AAA"));
    assert_eq!(format_number(0.1, "AeAAA", &f).as_deref(), Ok("Be-AAB"));
    let f = opts(&[("decimal-separator", ","), ("grouping-separator", ".")]);
    assert_eq!(
        format_number(1234.5, "#.##0,00", &f).as_deref(),
        Ok("1.234,50")
    );
    let f = opts(&[("minus-sign", "~"), ("pattern-separator", "|")]);
    assert_eq!(format_number(-3.0, "0", &f).as_deref(), Ok("~3"));
    assert_eq!(format_number(-3.0, "0|<0>", &f).as_deref(), Ok("<3>"));
    let f = opts(&[("exponent-separator", "E"), ("digit", "x")]);
    assert_eq!(format_number(1500.0, "x0.0E0", &f).as_deref(), Ok("1.5E3"));
    assert_eq!(format_number(1500.0, "xx.0E0", &f).as_deref(), Ok("0.2E4"));
}

#[test]
fn format_number_picture_errors() {
    assert_eq!(fnum_err(20.0, "#;#;#"), "D3080");
    assert_eq!(fnum_err(20.0, "#.0.0"), "D3081");
    assert_eq!(fnum_err(20.0, "#0%%"), "D3082");
    assert_eq!(fnum_err(20.0, "#0\u{2030}\u{2030}"), "D3083");
    assert_eq!(fnum_err(20.0, "#0%\u{2030}"), "D3084");
    assert_eq!(fnum_err(20.0, ".e0"), "D3085");
    assert_eq!(fnum_err(20.0, "0+.e0"), "D3086");
    assert_eq!(fnum_err(20.0, "0,.e0"), "D3087");
    assert_eq!(fnum_err(20.0, "0,"), "D3088");
    assert_eq!(fnum_err(20.0, "0,,0"), "D3089");
    assert_eq!(fnum_err(20.0, "0#.e0"), "D3090");
    assert_eq!(fnum_err(20.0, "#0.#0e0"), "D3091");
    assert_eq!(fnum_err(20.0, "#0.0e0%"), "D3092");
    assert_eq!(fnum_err(20.0, "#0.0e0,0"), "D3093");
    // No active character at all: the whole picture is the (passive) active part.
    assert_eq!(fnum_err(42.0, "%%"), "D3086");
    assert_eq!(fnum_err(42.0, "---"), "D3086");
    let e = format_number(1.0, "#;#;#", &DecimalFormat::default()).expect_err("fails");
    assert_eq!(
        e.message,
        "The picture string must only contain a maximum of two sub-pictures"
    );
}

#[test]
fn format_number_is_bounded_on_hostile_input() {
    // More than 100 fractional digits is a RangeError in JavaScript's toFixed.
    let pic = format!("0.{}", "0".repeat(150));
    assert!(format_number(1.0, &pic, &DecimalFormat::default()).is_err());
    assert_eq!(fnum(1e300, "0"), "1e+300");
    assert!(format_number(f64::NAN, "0", &DecimalFormat::default()).is_ok());
    assert!(format_number(f64::INFINITY, "0e0", &DecimalFormat::default()).is_ok());
    assert_eq!(fnum(5e-324, "0.0e0"), "4.9e-324");
    let f = opts(&[("grouping-separator", "")]);
    assert!(format_number(1.0, "#,##0", &f).is_err());
    // A multi-character separator is a passive character in the active part, never a huge
    // repeated insertion.
    let sep = "x".repeat(1 << 20);
    let f = opts(&[("grouping-separator", sep.as_str())]);
    let pic = format!("0{sep}0");
    assert_eq!(
        format_number(1e300, &pic, &f).map_err(|e| e.code),
        Err("D3086")
    );
}

fn fint(v: f64, pic: &str) -> String {
    format_integer(v, pic).expect("formats")
}

#[test]
fn format_integer_decimal_patterns() {
    assert_eq!(fint(123.0, "000"), "123");
    assert_eq!(fint(123.0, "0000"), "0123");
    assert_eq!(fint(-3.0, "0000"), "-0003");
    assert_eq!(fint(12.6, "###0"), "12");
    assert_eq!(fint(-12.5, "0"), "-13");
    assert_eq!(fint(1234567890.0, "#,##0"), "1,234,567,890");
    assert_eq!(fint(1234567890.0, "#:###,##0"), "1234:567,890");
    assert_eq!(fint(1234567890.0, "##,##,##0"), "12345,67,890");
    assert_eq!(fint(12340.0, "###\u{0661}"), "١٢٣٤٠");
    assert_eq!(fint(12340.0, "###０"), "１２３４０");
    assert_eq!(fint(1e21, "0"), "1e+21");
    assert_eq!(
        format_integer(1.0, "##0０").map_err(|e| e.code),
        Err("D3131")
    );
}

#[test]
fn format_integer_ordinals() {
    assert_eq!(fint(1.0, "0;o"), "1st");
    assert_eq!(fint(2.0, "0;o"), "2nd");
    assert_eq!(fint(3.0, "0;o"), "3rd");
    assert_eq!(fint(11.0, "0;o"), "11th");
    assert_eq!(fint(12.0, "0;o"), "12th");
    assert_eq!(fint(13.0, "0;o"), "13th");
    assert_eq!(fint(21.0, "0;o"), "21st");
    assert_eq!(fint(123.0, "000;o"), "123rd");
    assert_eq!(fint(28.0, "#0;o"), "28th");
}

#[test]
fn format_integer_letters_and_roman() {
    assert_eq!(fint(1.0, "A"), "A");
    assert_eq!(fint(26.0, "a"), "z");
    assert_eq!(fint(27.0, "a"), "aa");
    assert_eq!(fint(300.0, "A"), "KN");
    assert_eq!(fint(123456.0, "A"), "FZPH");
    assert_eq!(fint(0.0, "I"), "");
    assert_eq!(fint(1984.0, "I"), "MCMLXXXIV");
    assert_eq!(fint(99.0, "i"), "xcix");
    assert_eq!(fint(4.0, "i"), "iv");
    assert_eq!(
        format_integer(1.0, "α").map_err(|e| (e.code, e.message)),
        Err((
            "D3130",
            "Formatting or parsing an integer as a sequence starting with \"α\" is not supported by this implementation".to_string()
        ))
    );
    // Bounded: a huge roman numeral is refused instead of building megabytes.
    assert!(format_integer(1e15, "I").is_err());
}

#[test]
fn format_integer_words() {
    assert_eq!(fint(0.0, "w"), "zero");
    assert_eq!(fint(34.0, "w"), "thirty-four");
    assert_eq!(fint(99.0, "W"), "NINETY-NINE");
    assert_eq!(fint(555.0, "Ww"), "Five Hundred and Fifty-Five");
    assert_eq!(
        fint(3730.0, "w"),
        "three thousand, seven hundred and thirty"
    );
    assert_eq!(fint(1000000000001.0, "w"), "one trillion and one");
    assert_eq!(fint(1e15, "w"), "one thousand trillion");
    assert_eq!(fint(1e46, "w"), "ten billion trillion trillion trillion");
    assert_eq!(fint(-5.0, "w"), "-five");
    assert_eq!(fint(12.0, "w;o"), "twelfth");
    assert_eq!(fint(20.0, "w;o"), "twentieth");
    assert_eq!(fint(99.0, "W;o"), "NINETY-NINTH");
    assert_eq!(fint(100.0, "w;o"), "one hundredth");
    assert_eq!(fint(1000000000001.0, "w;o"), "one trillion and first");
    assert!(format_integer(f64::INFINITY, "w").is_err());
    assert!(format_integer(f64::INFINITY, "a").is_err());
    assert!(format_integer(1e308, "w").is_ok());
}

fn pint(t: &str, pic: &str) -> Option<f64> {
    parse_integer(t, pic).expect("parses")
}

#[test]
fn parse_integer_all_formats() {
    assert_eq!(pint("0123", "0000"), Some(123.0));
    assert_eq!(pint("12", "###0"), Some(12.0));
    assert_eq!(pint("123rd", "000;o"), Some(123.0));
    assert_eq!(pint("١٢٣٤٠", "###١"), Some(12340.0));
    assert_eq!(pint("1,234,567,890", "#,##0"), Some(1234567890.0));
    assert_eq!(pint("1234:567,890", "#:###,##0"), Some(1234567890.0));
    assert_eq!(pint("", "I"), Some(0.0));
    assert_eq!(pint("MCMLXXXIV", "I"), Some(1984.0));
    assert_eq!(pint("xcix", "i"), Some(99.0));
    assert_eq!(pint("FZPH", "A"), Some(123456.0));
    assert_eq!(pint("aa", "a"), Some(27.0));
    assert_eq!(pint("NINETY-NINE", "W"), Some(99.0));
    assert_eq!(
        pint("one trillion, two hundred and thirty-four billion, five hundred and sixty-seven million, eight hundred and ninety thousand, one hundred and twenty-three", "w"),
        Some(1234567890123.0)
    );
    assert_eq!(pint("nineteen hundred and eighty-four", "w"), Some(1984.0));
    assert_eq!(pint("Seven Hundred and Thirty-Third", "Ww;o"), Some(733.0));
    assert_eq!(
        pint("ten billion trillion trillion trillion", "w"),
        Some(1e46)
    );
    // jsonata-js yields NaN for text that is not a number: no value.
    assert_eq!(pint("abc", "0"), None);
    assert_eq!(pint("twelve apples", "w"), None);
    assert_eq!(pint("MCMz", "I"), None);
    assert_eq!(parse_integer("50", "#").map_err(|e| e.code), Err("D3130"));
}

fn fdt(ms: i64, pic: &str) -> String {
    format_datetime(ms, Some(pic), None).expect("formats")
}

fn fdt_tz(ms: i64, pic: &str, tz: &str) -> String {
    format_datetime(ms, Some(pic), Some(tz)).expect("formats")
}

const T: i64 = 1521801216617; // Friday 2018-03-23T10:33:36.617Z

#[test]
fn from_millis_default_iso() {
    assert_eq!(
        format_datetime(1, None, None).as_deref(),
        Ok("1970-01-01T00:00:00.001Z")
    );
    assert_eq!(
        format_datetime(1509380732935, None, None).as_deref(),
        Ok("2017-10-30T16:25:32.935Z")
    );
    assert_eq!(
        format_datetime(1540127100000, None, Some("-0500")).as_deref(),
        Ok("2018-10-21T08:05:00.000-05:00")
    );
    assert_eq!(
        format_datetime(1540127100000, None, Some("0000")).as_deref(),
        Ok("2018-10-21T13:05:00.000Z")
    );
    // Years before 1 and after 9999: the year keeps four digits (jsonata-js truncates).
    assert_eq!(
        format_datetime(-62198755200000, None, None).as_deref(),
        Ok("-0001-01-01T00:00:00.000Z")
    );
    assert_eq!(
        format_datetime(253402300800000, None, None).as_deref(),
        Ok("0000-01-01T00:00:00.000Z")
    );
    // Outside JavaScript's date range jsonata-js prints NaN fields rather than failing.
    assert_eq!(
        format_datetime(10_000_000_000_000_000, None, None).as_deref(),
        Ok("0NaN-NaN-NaNTNaN:NaN:NaN.NaNZ")
    );
    assert_eq!(
        format_datetime(10_000_000_000_000_000, Some("[Y]-[M]"), None).as_deref(),
        Ok("NaN-NaN")
    );
    assert_eq!(
        format_datetime(8_640_000_000_000_000, None, None).as_deref(),
        Ok("5760-09-13T00:00:00.000Z")
    );
    assert!(format_datetime(i64::MAX, None, None).is_ok());
    assert!(format_datetime(
        i64::MIN,
        Some("[Y] [MNn] [FNn] [W] [w] [X] [x] [d]"),
        Some("+0100")
    )
    .is_ok());
}

#[test]
fn from_millis_literals_and_brackets() {
    assert_eq!(fdt(T, "Hello"), "Hello");
    assert_eq!(fdt(T, "Year: <[Y0001]>"), "Year: <2018>");
    assert_eq!(fdt(T, "[[Year]]: [[[Y0001]]]"), "[Year]: [2018]");
    assert_eq!(fdt(T, "Year]]: <[Y0001]>"), "Year]: <2018>");
    assert_eq!(
        fdt(
            T,
            "[Y]-[ M01]-[D 01]T[H01 ]:[ m   ]:[s].[f0  01][Z01:\n 01t]"
        ),
        "2018-03-23T10:33:36.617Z"
    );
    assert_eq!(
        format_datetime(T, Some("[Y"), None).map_err(|e| e.code),
        Err("D3135")
    );
    assert_eq!(
        format_datetime(T, Some("[q]"), None).map_err(|e| e.code),
        Err("D3132")
    );
    assert_eq!(
        format_datetime(T, Some("[YN]"), None).map_err(|e| e.code),
        Err("D3133")
    );
}

#[test]
fn from_millis_numbers_words_letters() {
    assert_eq!(fdt(T, "[D#1]/[M#1]/[Y0001]"), "23/3/2018");
    assert_eq!(fdt(T, "[Y9,999,*]"), "2,018");
    assert_eq!(fdt(T, "[D1] [M01] [YI]"), "23 03 MMXVIII");
    assert_eq!(fdt(T, "[Da] [MA] [Yi]"), "w C mmxviii");
    assert_eq!(fdt(T, "[D1o] [M01] [Y]"), "23rd 03 2018");
    assert_eq!(fdt(T, "[Yw]"), "two thousand and eighteen");
    assert_eq!(fdt(T, "[Dwo] [M01] [Y]"), "twenty-third 03 2018");
}

#[test]
fn from_millis_names_and_width() {
    assert_eq!(fdt(T, "[D1o] [MNn] [Y]"), "23rd March 2018");
    assert_eq!(fdt(T, "[D1o] [MN] [Y]"), "23rd MARCH 2018");
    assert_eq!(
        fdt(T, "[FNn], the [Dwo] of [MNn] [Y] [E]"),
        "Friday, the twenty-third of March 2018 ISO"
    );
    assert_eq!(
        fdt(T, "[FNn,3-3], [D1o] [MNn,3-3] [Y] [C]"),
        "Fri, 23rd Mar 2018 ISO"
    );
    assert_eq!(fdt(T, "[D#1,2]/[M1,2]/[Y,2]"), "23/03/18");
    assert_eq!(fdt(T, "[D#1,2]/[M1,2]/[Y0001,2]"), "23/03/2018");
    assert_eq!(fdt(T, "[D#1,2]/[M1,2]/[Y##01,2-2]"), "23/03/18");
    assert_eq!(fdt(T, "[F0] [FNn]"), "5 Friday");
    assert_eq!(fdt(1522616700000, "[F0] [FNn]"), "7 Sunday");
}

#[test]
fn from_millis_twelve_hour_clock() {
    assert_eq!(
        fdt(T, "[F], [D]/[M]/[Y] [h]:[m]:[s] [P]"),
        "friday, 23/3/2018 10:33:36 am"
    );
    assert_eq!(fdt(1204405500000, "[h]:[m]:[s] [P]"), "9:05:00 pm");
    assert_eq!(fdt(1199664000000, "[h]:[m] [P]"), "12:00 am");
    assert_eq!(fdt(T, "[h] [PN]"), "10 AM");
    assert_eq!(fdt(T, "[H01]:[m01]:[s01].[f001]"), "10:33:36.617");
}

#[test]
fn from_millis_timezones() {
    let ms = 1531310400000; // 2018-07-11T12:00:00Z
    assert_eq!(fdt(ms, "[H01][Z01:01]"), "12+00:00");
    assert_eq!(fdt(ms, "[H01][Z01:01t]"), "12Z");
    assert_eq!(fdt_tz(ms, "[H01][Z]", "-0500"), "07-05:00");
    assert_eq!(fdt_tz(ms, "[H01][Z0]", "-0500"), "07-5");
    assert_eq!(fdt_tz(ms, "[H01][Z0]", "+1000"), "22+10");
    assert_eq!(fdt_tz(ms, "[H01][Z0]", "+0530"), "17+5:30");
    assert_eq!(fdt_tz(ms, "[H01][z]", "-0500"), "07GMT-05:00");
    assert_eq!(fdt_tz(ms, "[H01][Z0101t]", "+0530"), "17+0530");
    assert_eq!(
        format_datetime(ms, Some("[Z010101t]"), Some("+0530")).map_err(|e| e.code),
        Err("D3134")
    );
}

#[test]
fn from_millis_day_week_year_numbers() {
    assert_eq!(
        fdt(1514808000000, "[dwo] day of the year"),
        "first day of the year"
    );
    assert_eq!(
        fdt(1546257600000, "[d] days in [Y0001]"),
        "365 days in 2018"
    );
    assert_eq!(
        fdt(1483185600000, "[d] days in [Y0001]"),
        "366 days in 2016"
    ); // leap year
    assert_eq!(fdt(1545739200000, "Week: [W]"), "Week: 52");
    assert_eq!(fdt(1419854400000, "Week: [W]"), "Week: 1"); // 2014-12-29 is in 2015-W01
    assert_eq!(fdt(1451736000000, "Week: [W]"), "Week: 53"); // 2016-01-02 is in 2015-W53
    assert_eq!(
        fdt(1359460800000, "Week: [w] of [xNn]"),
        "Week: 5 of January"
    );
    assert_eq!(
        fdt(1483272000000, "Week: [w] of [xNn]"),
        "Week: 5 of December"
    );
    // ISO week date: Sat 1 Jan 2005 is 2004-W53-6.
    assert_eq!(fdt(1104537600000, "[X0001]-W[W01]-[F1]"), "2004-W53-6");
    assert_eq!(fdt(1199059200000, "[X0001]-W[W01]-[F1]"), "2008-W01-1"); // Mon 31 Dec 2007
}

#[test]
fn from_millis_hostile_pictures_are_bounded() {
    assert!(format_datetime(T, Some("[Y,1000000000]"), None).is_err());
    assert!(format_datetime(T, Some("[M,2-1000000000]"), None).is_ok());
    assert!(format_datetime(T, Some(&"[Y]".repeat(10_000)), None).is_ok());
    assert!(format_datetime(T, Some("[]"), None).is_err());
    assert!(format_datetime(T, Some("[Y,x-y]"), None).is_ok());
    assert!(format_datetime(T, None, Some("garbage")).is_ok());
}

fn tm(text: &str, pic: &str) -> Option<i64> {
    parse_datetime_at(text, Some(pic), 1_700_000_000_000).expect("parses")
}

#[test]
fn to_millis_iso_default() {
    assert_eq!(
        parse_datetime("1970-01-01T00:00:00.001Z", None),
        Ok(Some(1))
    );
    assert_eq!(
        parse_datetime("2018-02-01T09:42:13.123+0000", None),
        Ok(Some(1517478133123))
    );
    assert_eq!(parse_datetime("2017-10-30", None), Ok(Some(1509321600000)));
    assert_eq!(parse_datetime("2018", None), Ok(Some(1514764800000)));
    assert_eq!(
        parse_datetime("2017-10-30T15:28:34+01:00", None),
        Ok(Some(1509373714000))
    );
    assert_eq!(
        parse_datetime("2024-08-27T22:43:15.78133Z", None),
        Ok(Some(1724798595781))
    );
    for bad in ["foo", "01-02-2018", "2018-02-03 11:15:33"] {
        let e = parse_datetime(bad, None).expect_err("not ISO");
        assert_eq!(e.code, "D3110");
        assert_eq!(
            e.message,
            format!("The argument of the toMillis function must be an ISO 8601 formatted timestamp. Given \"{bad}\"")
        );
    }
}

#[test]
fn to_millis_iso_shapes_v8_reads_with_its_legacy_parser() {
    let ms = |t: &str| parse_datetime(t, None).expect("passes the ISO regex");
    // Date-only strings are UTC; a 4-digit year below 100 stays as written.
    assert_eq!(ms("0050"), Some(-60589296000000));
    assert_eq!(ms("2018-03-04Z"), Some(1520121600000));
    // `.N` after a date is one more date field; years 0-49/50-99 become 20xx/19xx.
    assert_eq!(ms("2018.5"), Some(1525132800000)); // 2018-05-01
    assert_eq!(ms("2018-03.5"), Some(1520208000000)); // 2018-03-05
    assert_eq!(ms("0050.5"), Some(-620784000000)); // 1950-05-01
    assert_eq!(ms("0012-03Z"), Some(1007337600000)); // M-D-Y: 2001-12-03
    assert_eq!(ms("0005-15"), Some(989884800000)); // 2001-05-15
                                                   // "-hh:mm" after such a date is a time of day, or the day after a valid month.
    assert_eq!(ms("2018.5-05:00"), Some(1525150800000)); // 2018-05-01T05:00Z
    assert_eq!(ms("2018-13:00"), Some(1514811600000)); // 2018-01-01T13:00Z
    assert_eq!(ms("2018-12:30"), Some(1546128000000)); // 2018-12-30
                                                       // Rejected by V8: no number.
    for t in [
        "2018.0",
        "2018.13",
        "2018-03-04.5",
        "2018-03-04+05:00",
        "2018.5+05:00",
        "2018-05:00",
    ] {
        assert_eq!(ms(t), None, "{t}");
    }
}

#[test]
fn aws_dialect_reproduces_jsonata_2_0_6() {
    use Dialect::{V2_0_6, V2_2};
    let pic = "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001]";
    let t = "2024-01-01T12:38:49.5";
    assert_eq!(
        parse_datetime_dialect(t, Some(pic), 0, V2_2),
        Ok(Some(1704112729500))
    );
    assert_eq!(
        parse_datetime_dialect(t, Some(pic), 0, V2_0_6),
        Ok(Some(1704112729005))
    );
    let pic = "[Y0000][M00][D00][H00][m00][s00]";
    let t = "20240101123849";
    assert_eq!(
        parse_datetime_dialect(t, Some(pic), 0, V2_2),
        Ok(Some(1704112729000))
    );
    assert_eq!(
        parse_datetime_dialect(t, Some(pic), 0, V2_0_6),
        Ok(Some(1708524249000))
    );
    assert_eq!(
        parse_datetime_dialect("2018-01-01-01", None, 0, V2_2).map_err(|e| e.code),
        Err("D3110")
    );
    assert_eq!(
        parse_datetime_dialect("2018-01-01-01", None, 0, V2_0_6),
        Ok(None)
    );
    let pic = Some("[M,1-3]/[D,1-4]/[Y,1-3]");
    assert_eq!(
        format_datetime_dialect(0, pic, None, V2_2).as_deref(),
        Ok("1/1/970")
    );
    assert_eq!(
        format_datetime_dialect(0, pic, None, V2_0_6).as_deref(),
        Ok("001/0001/970")
    );
    // The default entry points are 2.2.
    assert_eq!(format_datetime(0, pic, None).as_deref(), Ok("1/1/970"));
    assert_eq!(Dialect::default(), V2_2);
}

#[test]
fn to_millis_numeric_pictures() {
    assert_eq!(tm("201802", "[Y0001][M01]"), Some(1517443200000));
    assert_eq!(tm("201802", "[Y,*-4][M01]"), Some(1517443200000));
    assert_eq!(tm("20180205", "[Y0001][M01][D01]"), Some(1517788800000));
    assert_eq!(
        tm("20240101123849", "[Y0000][M00][D00][H00][m00][s00]"),
        Some(1704112729000)
    );
    assert_eq!(
        tm(
            "2018-03-27T14:03:00.123Z",
            "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001]Z"
        ),
        Some(1522159380123)
    );
    assert_eq!(tm("27th 3 1976", "[D1o] [M#1] [Y0001]"), Some(196732800000));
    assert_eq!(
        tm("21st 12 1881", "[D1o] [M01] [Y0001]"),
        Some(-2777932800000)
    );
    assert_eq!(tm("2018-094", "[Y0001]-[d001]"), Some(1522800000000));
    // Fractional seconds are a fraction: more than three digits truncate to milliseconds.
    assert_eq!(
        tm(
            "2026-04-08T19:05:04.01987",
            "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f1]"
        ),
        Some(1775675104019)
    );
    assert_eq!(tm("Hello", "Hello"), None);
    assert_eq!(tm("irrelevent string", "[Y]-[M]-[D]"), None);
}

#[test]
fn to_millis_roman_letters_words() {
    assert_eq!(tm("MCMLXXXIV", "[YI]"), Some(441763200000));
    assert_eq!(tm("27 iii MMXVIII", "[D1] [Mi] [YI]"), Some(1522108800000));
    assert_eq!(tm("w C mmxviii", "[Da] [MA] [Yi]"), Some(1521763200000));
    assert_eq!(
        tm("one thousand, nine hundred and eighty-four", "[Yw]"),
        Some(441763200000)
    );
    assert_eq!(
        tm("twenty-seventh April 2008", "[Dw] [MNn] [Y0001]"),
        Some(1209254400000)
    );
    assert_eq!(
        tm(
            "Twentieth of August, two thousand and seventeen",
            "[DW] of [MNn], [Yw]"
        ),
        Some(1503187200000)
    );
    assert_eq!(
        tm("2 Feb 2012", "[D1] [MNn,3-3] [Y0001]"),
        Some(1328140800000)
    );
    assert_eq!(
        tm(
            "three hundred and sixty-fifth day of 2018",
            "[dwo] day of [Y]"
        ),
        Some(1546214400000)
    );
}

#[test]
fn to_millis_twelve_hour_and_defaults() {
    assert_eq!(
        tm("4/4/2018 12:06 am", "[D1]/[M1]/[Y0001] [h]:[m] [P]"),
        Some(1522800360000)
    );
    assert_eq!(
        tm("4/4/2018 12:06 pm", "[D1]/[M1]/[Y0001] [h]:[m] [P]"),
        Some(1522843560000)
    );
    assert_eq!(
        tm("4/4/2018 11:30 pm", "[D1]/[M1]/[Y0001] [h]:[m] [P]"),
        Some(1522884600000)
    );
    // Time only: the date comes from "now" (2023-11-14T22:13:20Z), seconds default to zero.
    assert_eq!(tm("13:45", "[H]:[m]"), Some(1699969500000));
    assert_eq!(
        tm("Wednesday, 14th November 2018", "[FNn], [D1o] [MNn] [Y]"),
        Some(1542153600000)
    );
    assert_eq!(
        tm("Mon, Twelfth November 2018", "[FNn,*-3], [DWwo] [MNn] [Y]"),
        Some(1541980800000)
    );
}

#[test]
fn to_millis_timezones() {
    let p = "[Y0001]-[M01]-[D01] [H01]:[m01]:[s01] ";
    assert_eq!(
        tm("2020-09-09 08:00:00 +02:00", &format!("{p}[Z]")),
        Some(1599631200000)
    );
    assert_eq!(
        tm("2020-09-09 08:00:00 GMT-05:00", &format!("{p}[z]")),
        Some(1599656400000)
    );
    assert_eq!(
        tm("2020-09-09 12:00:00 GMT-5", &format!("{p}[z01]")),
        Some(1599670800000)
    );
    assert_eq!(
        tm("2020-09-09 12:00:00 +0530", &format!("{p}[Z0001]")),
        Some(1599633000000)
    );
}

#[test]
fn to_millis_errors() {
    let code = |t: &str, p: &str| parse_datetime_at(t, Some(p), 0).map_err(|e| e.code);
    assert_eq!(code("2018-05-22", "[Y]-[M]-[q]"), Err("D3132"));
    assert_eq!(code("2018-05-22", "[YN]-[M]-[D]"), Err("D3133"));
    assert_eq!(code("2018-22", "[Y]-[D]"), Err("D3136"));
    assert_eq!(code("5-22 23:59", "[M]-[D] [m]:[s]"), Err("D3136"));
    assert_eq!(code("2018-3-2-5", "[X]-[x]-[w]-[F1]"), Err("D3136"));
    assert_eq!(code("2018-32-5", "[X]-[W]-[F1]"), Err("D3136"));
    assert_eq!(code("50", "[Y#]"), Err("D3130"));
}

#[test]
fn quirks_found_by_differential_testing() {
    // An empty zero-digit leaves no digit family: jsonata-js drops every digit.
    let f = opts(&[("zero-digit", "")]);
    assert_eq!(
        format_number(1234.5, "###00000", &f).as_deref(),
        Ok("00000")
    );
    // Shortest-digit ties go to the even digit before rounding (ECMAScript Number::toString).
    assert_eq!(fnum(1000000000000000.2, "0.0"), "1000000000000000.3");
    assert_eq!(fnum(1000000000000000.2, "0.00"), "1000000000000000.25");
    // Truncated month names collide; the last one (July) wins, as in a JS object.
    assert_eq!(tm("J 2020", "[MNn,1-1] [Y]"), Some(1593561600000));
    // `f` always reads greedy digits as a fraction, regardless of neighbouring widths.
    assert_eq!(tm("0361", "[f1][d]"), Some(1672611200036));
    assert_eq!(tm("12:00:00.5", "[H]:[m]:[s].[f001]"), Some(1699963200500));
}

#[test]
fn to_millis_is_bounded_on_hostile_input() {
    let long = "one ".repeat(5_000);
    assert!(parse_datetime_at(&long, Some("[Yw] x"), 0).is_ok());
    let digits = "9".repeat(10_000);
    assert_eq!(parse_datetime_at(&digits, Some("[Y]"), 0), Ok(None));
    assert!(parse_datetime_at("2018", Some(&"[Y]".repeat(5_000)), 0).is_ok());
    assert_eq!(
        parse_datetime("9999-99-99T29:59:59Z", None).map_err(|e| e.code),
        Err("D3110")
    );
    // Passes jsonata-js's regex but is no date: no number.
    assert_eq!(parse_datetime("2018-19", None), Ok(None));
    assert_eq!(parse_datetime("2018-01-01T29:00:00Z", None), Ok(None));
    // V8 accepts day 30 of February and rolls over into March.
    assert_eq!(parse_datetime("2019-02-30", None), Ok(Some(1551484800000)));
}

#[test]
fn round_trip_format_then_parse() {
    for ms in [
        0i64,
        1,
        951782400000,
        1521801216617,
        -2777932800000,
        4102444799999,
    ] {
        let iso = format_datetime(ms, None, None).expect("formats");
        assert_eq!(parse_datetime(&iso, None), Ok(Some(ms)), "{iso}");
        let pic = "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001]";
        let s = format_datetime(ms, Some(pic), None).expect("formats");
        assert_eq!(parse_datetime_at(&s, Some(pic), 0), Ok(Some(ms)), "{s}");
    }
    for v in [
        0.0, 7.0, 19.0, 20.0, 99.0, 100.0, 101.0, 999.0, 1000.0, 123456.0,
    ] {
        for pic in ["w", "W", "Ww", "i", "I", "a", "A", "#,##0", "0;o", "w;o"] {
            if v == 0.0 && ["i", "I", "a", "A"].contains(&pic) {
                continue;
            }
            let s = format_integer(v, pic).expect("formats");
            assert_eq!(parse_integer(&s, pic), Ok(Some(v)), "{v} {pic} {s}");
        }
    }
}

/// Differential testing against jsonata-js: reads JSON lines `{"f": name, "a": [args]}` from the
/// file named by `STEPLINE_FORMAT_DIFF_IN` and writes one result line per case to
/// `STEPLINE_FORMAT_DIFF_OUT` (`{"ok": v}`, `{"undef": true}` or `{"err": code}`). A node script
/// runs the same cases through `jsonata@2` and compares. Run with `--ignored`.
#[test]
#[ignore]
fn differential_cases_from_file() {
    use serde_json::{json, Value};
    let (Some(input), Some(output)) = (
        std::env::var_os("STEPLINE_FORMAT_DIFF_IN"),
        std::env::var_os("STEPLINE_FORMAT_DIFF_OUT"),
    ) else {
        println!("SKIPPED: set STEPLINE_FORMAT_DIFF_IN and STEPLINE_FORMAT_DIFF_OUT");
        return;
    };
    let dialect = match std::env::var("STEPLINE_FORMAT_DIFF_DIALECT").as_deref() {
        Ok("2.0.6") => Dialect::V2_0_6,
        _ => Dialect::V2_2,
    };
    let text = std::fs::read_to_string(input).expect("input file");
    let mut out = String::new();
    for line in text.lines() {
        let case: Value = serde_json::from_str(line).expect("json line");
        let f = case["f"].as_str().unwrap_or("");
        let a = case["a"].as_array().cloned().unwrap_or_default();
        let s = |i: usize| a.get(i).and_then(Value::as_str);
        let n = |i: usize| a.get(i).and_then(Value::as_f64).unwrap_or(f64::NAN);
        let res: Result<Option<Value>, FormatError> =
            match f {
                "formatNumber" => {
                    let opts: Vec<(String, String)> = a
                        .get(2)
                        .and_then(Value::as_object)
                        .map(|o| {
                            o.iter()
                                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                                .collect()
                        })
                        .unwrap_or_default();
                    DecimalFormat::from_options(&opts).and_then(|fmt| {
                        format_number(n(0), s(1).unwrap_or(""), &fmt).map(|v| Some(json!(v)))
                    })
                }
                "formatInteger" => format_integer(n(0), s(1).unwrap_or("")).map(|v| Some(json!(v))),
                "parseInteger" => parse_integer(s(0).unwrap_or(""), s(1).unwrap_or(""))
                    .map(|o| o.map(|v| json!(v))),
                "fromMillis" => format_datetime_dialect(n(0) as i64, s(1), s(2), dialect)
                    .map(|v| Some(json!(v))),
                "toMillis" => {
                    parse_datetime_dialect(s(0).unwrap_or(""), s(1), 1_700_000_000_000, dialect)
                        .map(|o| o.map(|v| json!(v)))
                }
                _ => Ok(None),
            };
        let r = match res {
            Ok(Some(v)) => json!({ "ok": v }),
            Ok(None) => json!({ "undef": true }),
            Err(e) => json!({ "err": e.code }),
        };
        out.push_str(&r.to_string());
        out.push('\n');
    }
    std::fs::write(output, out).expect("output file");
}

/// Deterministic xorshift so the test is reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn text(&mut self, alphabet: &[&str], max_len: usize) -> String {
        let len = self.below(max_len + 1);
        (0..len)
            .map(|_| alphabet[self.below(alphabet.len())])
            .collect()
    }
}

#[test]
fn random_pictures_never_panic() {
    let number_chars = [
        "#",
        "0",
        "9",
        ",",
        ".",
        "e",
        "%",
        "\u{2030}",
        ";",
        "-",
        "a",
        " ",
        "١",
        "\u{1F600}",
        "E",
    ];
    let date_chars = [
        "[",
        "]",
        "Y",
        "M",
        "D",
        "d",
        "F",
        "W",
        "w",
        "X",
        "x",
        "H",
        "h",
        "P",
        "m",
        "s",
        "f",
        "Z",
        "z",
        "C",
        "E",
        "N",
        "n",
        "o",
        "t",
        "0",
        "1",
        "#",
        ",",
        "-",
        "*",
        "I",
        "i",
        "a",
        "A",
        "w",
        " ",
        ":",
        "\u{1F600}",
        "9",
        ";",
    ];
    let text_chars = [
        "0",
        "1",
        "2",
        "9",
        "-",
        ":",
        " ",
        "a",
        "m",
        "p",
        "J",
        "u",
        "n",
        "e",
        "M",
        "C",
        "I",
        "X",
        "t",
        "h",
        "s",
        "G",
        "T",
        "+",
        ",",
        ".",
        "\u{1F600}",
    ];
    let numbers = [
        0.0,
        -0.0,
        1.0,
        -1.5,
        0.5,
        1e-300,
        1e300,
        123456.789,
        -9.99e20,
        1e21,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        5e-324,
        2.5,
    ];
    let millis = [
        0i64,
        -1,
        1521801216617,
        i64::MAX,
        i64::MIN,
        8_640_000_000_000_000,
        -62198755200000,
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let start = std::time::Instant::now();
    for _ in 0..10_000 {
        let v = numbers[rng.below(numbers.len())];
        let pic = rng.text(&number_chars, 14);
        let _ = format_number(v, &pic, &DecimalFormat::default());
        let _ = format_integer(v, &pic);
        let _ = parse_integer(&rng.text(&text_chars, 12), &pic);
        let dpic = rng.text(&date_chars, 20);
        let ms = millis[rng.below(millis.len())];
        let tz = ["+0530", "-0500", "x", "99999999999"][rng.below(4)];
        let _ = format_datetime(ms, Some(&dpic), Some(tz));
        let text = rng.text(&text_chars, 20);
        let _ = parse_datetime_at(&text, Some(&dpic), 0);
        let _ = parse_datetime(&text, None);
    }
    assert!(
        start.elapsed().as_secs() < 180,
        "random inputs took too long"
    );
}

#[test]
fn huge_pictures_are_fast_or_refused() {
    let start = std::time::Instant::now();
    let pic = format!("{}0", "0,".repeat(50_000));
    assert!(format_number(1.0, &pic, &DecimalFormat::default()).is_ok());
    assert!(format_integer(1.0, &pic).is_ok());
    let irregular = format!("{}0", "0,00,".repeat(20_000));
    let _ = format_number(1.0, &irregular, &DecimalFormat::default());
    let _ = format_integer(1.0, &irregular);
    // Adjacent letter components over a long run of letters: refused or answered, quickly.
    let _ = parse_datetime_at(&"a".repeat(2_000), Some(&"[Da]".repeat(100)), 0);
    let never = format!("{}1", "a".repeat(2_000));
    assert_eq!(
        parse_datetime_at(&never, Some(&"[Da]".repeat(100)), 0).map_err(|e| e.code),
        Err("D1001")
    );
    let _ = parse_datetime_at(&"one ".repeat(3_000), Some(&"[Dw]".repeat(50)), 0);
    assert!(format_datetime(0, Some("[Y,100000]"), None).is_ok());
    assert!(format_datetime(0, Some("[Y,200000]"), None).is_err());
    // Generous: the machine may be shared; pathological cases take minutes, not seconds.
    assert!(
        start.elapsed().as_secs() < 120,
        "took {:?}",
        start.elapsed()
    );
}
