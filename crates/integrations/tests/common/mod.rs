//! Shared by the corpus runners: where the corpus is, placeholder matching, event
//! normalisation as the corpus README prescribes.

#![allow(dead_code)]

use serde_json::Value;
use std::path::PathBuf;

pub fn corpus_dir() -> PathBuf {
    corpus::localstack_dir(env!("CARGO_MANIFEST_DIR"))
}

/// Besides conform.py's placeholders, the values LocalStack's transformers wrote over
/// run-dependent names in these cases.
pub const WHOLE: &[&str] = &[
    "x-amzn-RequestId",
    "X-Amzn-Trace-Id",
    "RequestId",
    "stateExitedEventDetails.output",
    "executionSucceededEventDetails.output",
];

/// Function names LocalStack's `RegexTransformer`s replaced inside strings.
pub const NAMES: &[&str] = &[
    "lambda_function_name",
    "lambda_function_1_name",
    "lambda_function_2_name",
    "function_name_branch1",
    "function_name_branch2",
];

pub const SKIP: &[&str] = &["SdkHttpMetadata", "SdkResponseMetadata", "ExecutedVersion"];

pub use corpus::Matcher;

/// conform.py's rule, plus this group's whole-value words and function-name aliases.
pub fn matcher() -> Matcher {
    Matcher::new().with_whole(WHOLE).with_aliases(NAMES)
}

pub fn strip(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for k in SKIP {
                m.remove(*k);
            }
            m.values_mut().for_each(strip);
        }
        Value::Array(a) => a.iter_mut().for_each(strip),
        _ => {}
    }
}

pub fn parsed(v: &Value) -> Value {
    match v {
        Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| v.clone()),
        other => other.clone(),
    }
}

/// An event as compared: JSON-text fields parsed, timestamp dropped, skipped paths removed.
pub fn normalise_event(ev: &Value) -> Value {
    let mut ev = ev.clone();
    if let Value::Object(m) = &mut ev {
        m.remove("timestamp");
        for (k, v) in m.iter_mut() {
            if !k.ends_with("EventDetails") {
                continue;
            }
            let Value::Object(d) = v else { continue };
            for f in ["input", "output", "parameters", "cause"] {
                if let Some(x) = d.get_mut(f) {
                    *x = parsed(x);
                }
            }
            if let Some(Value::Object(av)) = d.get_mut("assignedVariables") {
                for x in av.values_mut() {
                    *x = parsed(x);
                }
            }
        }
    }
    strip(&mut ev);
    ev
}

pub fn details(ev: &Value) -> Value {
    ev.as_object()
        .and_then(|m| m.iter().find(|(k, _)| k.ends_with("EventDetails")))
        .map(|(_, d)| d.clone())
        .unwrap_or(Value::Null)
}

/// Run-dependent names LocalStack's transformers replaced in the recording: where the case's
/// input and the recorded `ExecutionStarted` input differ, the input's string becomes the
/// recording's, everywhere in our history.
pub fn renames(input: &Value, recorded: &Value, out: &mut Vec<(String, String)>) {
    match (input, recorded) {
        (Value::String(a), Value::String(b)) if a != b && !a.is_empty() => {
            out.push((a.clone(), b.clone()))
        }
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                if let Some(w) = b.get(k) {
                    renames(v, w, out);
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (v, w) in a.iter().zip(b) {
                renames(v, w, out);
            }
        }
        _ => {}
    }
}

pub fn rename(v: &mut Value, names: &[(String, String)]) {
    match v {
        Value::String(s) => {
            for (from, to) in names {
                if s.contains(from.as_str()) {
                    *s = s.replace(from.as_str(), to);
                }
            }
        }
        Value::Object(m) => m.values_mut().for_each(|x| rename(x, names)),
        Value::Array(a) => a.iter_mut().for_each(|x| rename(x, names)),
        _ => {}
    }
}

/// Whether our history matches AWS's recording, event by event. LocalStack's parallel
/// transformer rewrote some recordings (event ids replaced by `[0]`, order changed, branch
/// events dropped): for those, every recorded event must appear, ids aside.
pub fn history_matches(m: &Matcher, want: &[Value], got: &[Value]) -> bool {
    if want.len() == got.len() && want.iter().zip(got).all(|(w, g)| m.smatch(w, g)) {
        return true;
    }
    let rewritten = want
        .iter()
        .any(|e| e.get("id").is_some_and(Value::is_array));
    if !rewritten || want.len() > got.len() {
        return false;
    }
    let no_ids = |v: &Value| {
        let mut v = v.clone();
        if let Value::Object(o) = &mut v {
            o.remove("id");
            o.remove("previousEventId");
        }
        v
    };
    let got: Vec<Value> = got.iter().map(no_ids).collect();
    let mut used = vec![false; got.len()];
    want.iter().map(no_ids).all(|w| {
        let hit = got
            .iter()
            .enumerate()
            .position(|(i, g)| !used[i] && m.smatch(&w, g));
        if let Some(i) = hit {
            used[i] = true;
        } else if std::env::var("STEPLINE_DEBUG").is_ok() {
            println!("  unmatched recorded event: {w}");
        }
        hit.is_some()
    })
}
