//! Runs the official JSONata test suite (jsonata-js `test/test-suite`) from the shared corpus.
//!
//! Location: `$STEPLINE_JSONATA_SUITE`, else `$STEPLINE_CORPUS/jsonata-suite`, else
//! `<workspace>/../shared/corpus/jsonata-suite`. Skips (passing) with a message when absent.
//! Fails when a case listed in `tests/suite_passing.txt` fails; prints newly passing cases.
//! `STEPLINE_UPDATE_PASSING=1` rewrites the list. `STEPLINE_SUITE_VERBOSE=1` prints failures.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use jsonata::{Bindings, Expression};
use serde_json::Value;

fn suite_dir() -> PathBuf {
    if let Ok(p) = std::env::var("STEPLINE_JSONATA_SUITE") {
        return PathBuf::from(p);
    }
    if let Ok(p) = std::env::var("STEPLINE_CORPUS") {
        return PathBuf::from(p).join("jsonata-suite");
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/jsonata-suite")
}

pub struct Case {
    pub id: String,
    pub group: String,
    pub case: Value,
    pub expr: Option<String>,
    pub data: Option<Value>,
}

pub fn load_cases(root: &Path) -> Vec<Case> {
    let mut out = Vec::new();
    let mut datasets: BTreeMap<String, Value> = BTreeMap::new();
    if let Ok(rd) = std::fs::read_dir(root.join("datasets")) {
        for e in rd.flatten() {
            let p = e.path();
            if let (Some(stem), Ok(text)) = (p.file_stem(), std::fs::read_to_string(&p)) {
                if let Ok(v) = serde_json::from_str(&text) {
                    datasets.insert(stem.to_string_lossy().to_string(), v);
                }
            }
        }
    }
    let mut groups: Vec<PathBuf> = std::fs::read_dir(root.join("groups"))
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    groups.sort();
    for g in groups {
        let gname = g
            .file_name()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let mut files: Vec<PathBuf> = std::fs::read_dir(&g)
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "json"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        for f in files {
            let Ok(text) = std::fs::read_to_string(&f) else {
                continue;
            };
            let v = match serde_json::from_str::<Value>(&text) {
                Ok(v) => v,
                // JSON with lone UTF-16 surrogates (\uD800) cannot be a Rust string: keep such
                // escapes as JSONata escapes inside the expression text instead.
                Err(_) => match serde_json::from_str::<Value>(&escape_lone_surrogates(&text)) {
                    Ok(v) => v,
                    Err(e) => {
                        out.push(Case {
                            id: format!("{gname}/{}", f.display()),
                            group: gname.clone(),
                            case: Value::Null,
                            expr: None,
                            data: Some(Value::String(format!("unreadable case file: {e}"))),
                        });
                        continue;
                    }
                },
            };
            let stem = f
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            let (cases, multi) = match v {
                Value::Array(a) => (a, true),
                o => (vec![o], false),
            };
            for (i, c) in cases.into_iter().enumerate() {
                let id = if multi {
                    format!("{gname}/{stem}[{i}]")
                } else {
                    format!("{gname}/{stem}")
                };
                let expr = match (c.get("expr"), c.get("expr-file")) {
                    (Some(Value::String(e)), _) => Some(e.clone()),
                    (_, Some(Value::String(file))) => std::fs::read_to_string(g.join(file)).ok(),
                    _ => None,
                };
                let data = if let Some(d) = c.get("data") {
                    Some(d.clone())
                } else if let Some(Value::String(ds)) = c.get("dataset") {
                    datasets.get(ds).cloned()
                } else {
                    None
                };
                out.push(Case {
                    id,
                    group: gname.clone(),
                    case: c,
                    expr,
                    data,
                });
            }
        }
    }
    out
}

fn escape_lone_surrogates(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let hex4 = |s: &str| u32::from_str_radix(s, 16).ok();
    while i < text.len() {
        if b[i] == b'\\' && text[i..].starts_with("\\u") && i + 6 <= text.len() {
            if let Some(cp) = hex4(&text[i + 2..i + 6]) {
                let paired = (0xD800..0xDC00).contains(&cp)
                    && text[i + 6..].starts_with("\\u")
                    && i + 12 <= text.len()
                    && hex4(&text[i + 8..i + 12]).is_some_and(|l| (0xDC00..0xE000).contains(&l));
                if (0xD800..0xE000).contains(&cp) && !paired {
                    out.push_str("\\\\u");
                    out.push_str(&text[i + 2..i + 6]);
                    i += 6;
                    continue;
                }
                if paired {
                    out.push_str(&text[i..i + 12]);
                    i += 12;
                    continue;
                }
            }
        }
        let ch = text[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

fn num_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| num_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| num_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Outcome of one case: Ok(()) on pass, Err(reason) on failure.
pub fn run_case(c: &Case) -> Result<(), String> {
    let Some(src) = c.expr.clone() else {
        return Err("no expression".into());
    };
    let case = c.case.clone();
    let data = c.data.clone();
    let handle = std::thread::Builder::new()
        .stack_size(512 << 20)
        .spawn(move || -> Result<(), String> {
            let mut b = Bindings::new()
                .stack_limit(400 << 20)
                .time_limit(Duration::from_secs(10));
            if let Some(Value::Object(o)) = case.get("bindings") {
                for (k, v) in o {
                    b = b.var(k, v.clone());
                }
            }
            if let Some(t) = case.get("timelimit").and_then(Value::as_u64) {
                b = b.time_limit(Duration::from_millis(t));
            }
            if let Some(d) = case.get("depth").and_then(Value::as_u64) {
                b = b.max_depth(d as usize);
            }
            let res = Expression::compile(&src).and_then(|e| e.evaluate_opt(data.as_ref(), &b));
            let err_obj = case.get("error");
            let want_code = case
                .get("code")
                .and_then(Value::as_str)
                .or_else(|| err_obj.and_then(|e| e.get("code")).and_then(Value::as_str));
            let want_token = case
                .get("token")
                .and_then(Value::as_str)
                .or_else(|| err_obj.and_then(|e| e.get("token")).and_then(Value::as_str));
            let want_message = err_obj
                .and_then(|e| e.get("message"))
                .and_then(Value::as_str);
            match (res, want_code) {
                (Err(e), Some(code)) => {
                    if e.code != code {
                        return Err(format!(
                            "expected error {code}, got {} {}",
                            e.code, e.message
                        ));
                    }
                    if let Some(m) = want_message {
                        if e.message != m {
                            return Err(format!(
                                "error {code}: expected message {m:?}, got {:?}",
                                e.message
                            ));
                        }
                    }
                    if let Some(tok) = want_token {
                        if e.token.as_deref() != Some(tok) {
                            return Err(format!(
                                "error {code}: expected token {tok:?}, got {:?}",
                                e.token
                            ));
                        }
                    }
                    Ok(())
                }
                (Err(e), None) => Err(format!("unexpected error {}: {}", e.code, e.message)),
                (Ok(v), Some(code)) => Err(format!("expected error {code}, got {v:?}")),
                (Ok(v), None) => {
                    if case.get("undefinedResult").is_some() {
                        return match v {
                            None => Ok(()),
                            Some(v) => Err(format!("expected undefined, got {v}")),
                        };
                    }
                    match (v, case.get("result")) {
                        (Some(v), Some(want)) if num_eq(&v, want) => Ok(()),
                        (v, want) => Err(format!("expected {want:?}, got {v:?}")),
                    }
                }
            }
        })
        .map_err(|e| format!("spawn: {e}"))?;
    match handle.join() {
        Ok(r) => r,
        Err(_) => Err("PANIC".into()),
    }
}

#[test]
fn official_suite() {
    let root = suite_dir();
    if !root.join("groups").is_dir() {
        println!(
            "SKIPPED: JSONata test suite not found at {} (set STEPLINE_JSONATA_SUITE)",
            root.display()
        );
        return;
    }
    let cases = load_cases(&root);
    let verbose = std::env::var("STEPLINE_SUITE_VERBOSE").is_ok();
    let mut per: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut passing: BTreeSet<String> = BTreeSet::new();
    let mut failures: Vec<(String, String)> = Vec::new();
    for c in &cases {
        let e = per.entry(c.group.clone()).or_default();
        e.1 += 1;
        match run_case(c) {
            Ok(()) => {
                e.0 += 1;
                passing.insert(c.id.clone());
            }
            Err(why) => failures.push((c.id.clone(), why)),
        }
    }
    let (mut p, mut t) = (0, 0);
    for (g, (a, b)) in &per {
        println!("{g:40} {a:4}/{b:4} {:6.2}%", 100.0 * *a as f64 / *b as f64);
        p += a;
        t += b;
    }
    println!("TOTAL {p}/{t} = {:.2}%", 100.0 * p as f64 / t.max(1) as f64);
    if verbose {
        for (id, why) in &failures {
            let short: String = why.chars().take(300).collect();
            println!("FAIL {id}: {short}");
        }
    }
    let list_path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/suite_passing.txt");
    if std::env::var("STEPLINE_UPDATE_PASSING").is_ok() {
        let text: String = passing.iter().map(|s| format!("{s}\n")).collect();
        std::fs::write(&list_path, text).expect("write passing list");
        println!("wrote {}", list_path.display());
        return;
    }
    let expected: BTreeSet<String> = std::fs::read_to_string(&list_path)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    let newly: Vec<&String> = passing.difference(&expected).collect();
    if !newly.is_empty() {
        println!(
            "{} newly passing (ratchet with STEPLINE_UPDATE_PASSING=1):",
            newly.len()
        );
        for n in newly {
            println!("  {n}");
        }
    }
    let regressed: Vec<&(String, String)> = failures
        .iter()
        .filter(|(id, _)| expected.contains(id))
        .collect();
    for (id, why) in &regressed {
        println!("REGRESSION {id}: {why}");
    }
    assert!(
        regressed.is_empty(),
        "{} listed cases regressed",
        regressed.len()
    );
}
