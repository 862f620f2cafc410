//! Shared by every conformance runner: where the corpus recorded against AWS lives, and the
//! comparison rule of `../shared/tools/conform.py` (`smatch`), so that every runner judges a
//! case exactly as the project's yardstick does.

use regex::Regex;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// `../shared/corpus/localstack` next to the workspace (from a crate's `CARGO_MANIFEST_DIR`),
/// or `$STEPLINE_CORPUS/localstack`.
pub fn localstack_dir(manifest_dir: &str) -> PathBuf {
    match std::env::var("STEPLINE_CORPUS") {
        Ok(p) => PathBuf::from(p).join("localstack"),
        Err(_) => Path::new(manifest_dir).join("../../../shared/corpus/localstack"),
    }
}

/// Bare words that LocalStack's snapshot transformers put in place of a whole run-dependent value.
pub const WHOLE: &[&str] = &[
    "timestamp",
    "datetime",
    "snf_role_arn",
    "sfn_role_arn",
    "RandomNumberGenerated",
    "date",
    "time",
    "start-date",
    "stop-date",
    "start-time",
    "entered-time",
    "creation-date",
    "task_token",
    "a_task_token",
    "map_run_arn",
    "message_id",
    "a_message_id",
    "execution-arn",
    "state-machine-arn",
];

/// AWS's recording (with placeholders) against Stepline's answer.
pub struct Matcher {
    token: Regex,
    whole: Vec<String>,
    /// Names the recordings replaced inside strings, each compared as one wildcard.
    aliases: Vec<String>,
}

impl Default for Matcher {
    fn default() -> Self {
        Self::new()
    }
}

impl Matcher {
    /// conform.py's rule exactly.
    pub fn new() -> Matcher {
        Matcher {
            token: Regex::new(r"<[A-Za-z0-9_:\-]+>").expect("static regex"),
            whole: WHOLE.iter().map(|s| s.to_string()).collect(),
            aliases: Vec::new(),
        }
    }

    /// Also treats these bare words as whole-value placeholders.
    pub fn with_whole(mut self, words: &[&str]) -> Matcher {
        self.whole.extend(words.iter().map(|s| s.to_string()));
        self
    }

    /// Also treats these names (bare or in `<...>`) as wildcards inside strings.
    pub fn with_aliases(mut self, names: &[&str]) -> Matcher {
        self.aliases.extend(names.iter().map(|s| s.to_string()));
        self
    }

    fn is_token(&self, s: &str) -> bool {
        self.token.find(s).is_some_and(|m| m.as_str() == s)
    }

    /// `exp` (AWS's recording) matches `act`: each placeholder is a wildcard for one non-empty
    /// value (inside a string: any run of characters).
    pub fn smatch(&self, exp: &Value, act: &Value) -> bool {
        match (exp, act) {
            (Value::String(e), _) => {
                if self.whole.iter().any(|w| w == e) || self.is_token(e) {
                    return true;
                }
                let mut e = e.clone();
                for n in &self.aliases {
                    e = e
                        .replace(&format!("<{n}>"), "<alias>")
                        .replace(n, "<alias>");
                }
                if !self.token.is_match(&e) {
                    return act.as_str() == Some(e.as_str());
                }
                let Value::String(a) = act else {
                    return self.is_token(&e);
                };
                let mut pat = String::from("(?s)^");
                let mut last = 0;
                for m in self.token.find_iter(&e) {
                    pat.push_str(&regex::escape(&e[last..m.start()]));
                    pat.push_str(".+?");
                    last = m.end();
                }
                pat.push_str(&regex::escape(&e[last..]));
                pat.push('$');
                Regex::new(&pat).is_ok_and(|r| r.is_match(a))
            }
            (Value::Bool(_), _) | (_, Value::Bool(_)) => exp == act,
            (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
            (Value::Object(e), Value::Object(a)) => {
                e.len() == a.len()
                    && e.iter()
                        .all(|(k, v)| a.get(k).is_some_and(|av| self.smatch(v, av)))
            }
            (Value::Array(e), Value::Array(a)) => {
                e.len() == a.len() && e.iter().zip(a).all(|(x, y)| self.smatch(x, y))
            }
            _ => exp == act,
        }
    }
}

fn parse_json_text(v: &mut Value) {
    if let Value::String(s) = v {
        if let Ok(p) = serde_json::from_str::<Value>(s) {
            *v = p;
        }
    }
}

/// The date a case was recorded (`"dd-mm-yyyy, HH:MM:SS"`) as `(year, month, day)`.
pub fn recorded_date(case: &Value) -> Option<(u32, u32, u32)> {
    let s = case.get("recorded")?.as_str()?;
    let date = s.split(',').next()?.trim();
    let mut parts = date.split('-').map(|p| p.parse::<u32>().ok());
    let (d, m, y) = (parts.next()??, parts.next()??, parts.next()??);
    Some((y, m, d))
}

/// Rewrites a recorded history (`GetExecutionHistory` events, oldest first) where AWS has
/// changed what it records since the case was recorded, so that runners hold Stepline to what
/// AWS records today without dropping the older cases. Each rewrite is exact, not a loosening.
///
/// - Distributed Map: `MapStateExited.previousEventId` is the `MapRunStarted` event in every
///   recording made from 13-11-2024 on, and the `MapRunSucceeded` event in every one made up
///   to 20-07-2024 (35 recordings, no exception either side).
pub fn current_aws_history(case: &Value, events: &mut [Value]) {
    match recorded_date(case) {
        Some(d) if d < (2024, 11, 13) => {}
        _ => return,
    }
    let by_id: std::collections::HashMap<u64, (String, u64)> = events
        .iter()
        .filter_map(|e| {
            let id = e.get("id")?.as_u64()?;
            let ty = e.get("type")?.as_str()?.to_string();
            let prev = e
                .get("previousEventId")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            Some((id, (ty, prev)))
        })
        .collect();
    for e in events.iter_mut() {
        if e.get("type").and_then(Value::as_str) != Some("MapStateExited") {
            continue;
        }
        let Some(prev) = e.get("previousEventId").and_then(Value::as_u64) else {
            continue;
        };
        if let Some((ty, run_started)) = by_id.get(&prev) {
            if ty == "MapRunSucceeded" {
                e["previousEventId"] = Value::from(*run_started);
            }
        }
    }
}

/// Parses the JSON-text fields of a history event's details, as conform.py does on both sides.
pub fn parse_event_fields(ev: &Value) -> Value {
    parse_event_fields_with(ev, &[])
}

/// [`parse_event_fields`], parsing `extra` detail fields too (e.g. `cause`, which some
/// recordings hold parsed).
pub fn parse_event_fields_with(ev: &Value, extra: &[&str]) -> Value {
    let mut ev = ev.clone();
    if let Value::Object(m) = &mut ev {
        for (k, v) in m.iter_mut() {
            if !k.ends_with("EventDetails") {
                continue;
            }
            let Value::Object(d) = v else { continue };
            for f in [
                "input",
                "output",
                "parameters",
                "result",
                "assignedVariables",
            ] {
                if let Some(x) = d.get_mut(f) {
                    parse_json_text(x);
                }
            }
            for f in extra {
                if let Some(x) = d.get_mut(*f) {
                    parse_json_text(x);
                }
            }
            if let Some(Value::Object(av)) = d.get_mut("assignedVariables") {
                for x in av.values_mut() {
                    parse_json_text(x);
                }
            }
        }
    }
    ev
}

/// Whether `STEPLINE_WRITE_PASSING` asks the runners to rewrite their passing lists.
pub fn write_passing_requested() -> bool {
    std::env::var_os("STEPLINE_WRITE_PASSING").is_some()
}

/// A runner's ratchet: `list` holds one case id per line that passed before. With
/// `STEPLINE_WRITE_PASSING` set, the list is rewritten from `passing` and `None` comes back;
/// otherwise the newly passing ids are printed and the listed ids that no longer pass are
/// returned (the runner asserts that there are none).
pub fn ratchet(list: &Path, passing: &BTreeSet<String>) -> Option<Vec<String>> {
    if write_passing_requested() {
        let body: String = passing.iter().map(|id| format!("{id}\n")).collect();
        if let Err(e) = std::fs::write(list, body) {
            panic!("cannot write the passing list {}: {e}", list.display());
        }
        println!(
            "wrote {} passing cases to {}",
            passing.len(),
            list.display()
        );
        return None;
    }
    let listed: BTreeSet<String> = std::fs::read_to_string(list)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    for id in passing.difference(&listed) {
        println!("newly passing, add it to {}: {id}", list.display());
    }
    Some(listed.difference(passing).cloned().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn older_distributed_map_recordings_follow_the_current_chain() {
        let events = || {
            vec![
                json!({"id": 4, "previousEventId": 3, "type": "MapRunStarted"}),
                json!({"id": 5, "previousEventId": 4, "type": "MapRunSucceeded"}),
                json!({"id": 6, "previousEventId": 5, "type": "MapStateSucceeded"}),
                json!({"id": 7, "previousEventId": 5, "type": "MapStateExited"}),
            ]
        };
        let mut old = events();
        current_aws_history(&json!({"recorded": "19-06-2024, 12:38:58"}), &mut old);
        assert_eq!(old[3]["previousEventId"], json!(4));
        assert_eq!(old[2]["previousEventId"], json!(5));
        let mut new = events();
        current_aws_history(&json!({"recorded": "13-11-2024, 15:21:53"}), &mut new);
        assert_eq!(new, events());
    }

    #[test]
    fn placeholders_are_wildcards() {
        let m = Matcher::new();
        assert!(m.smatch(&json!("<uuid:1>"), &json!("abc")));
        assert!(m.smatch(&json!("timestamp"), &json!(12)));
        assert!(m.smatch(
            &json!("arn:<partition>:states:<region>:1:x"),
            &json!("arn:aws:states:us-east-1:1:x")
        ));
        assert!(!m.smatch(&json!("arn:<partition>:x"), &json!("arn::y")));
        assert!(!m.smatch(&json!("a"), &json!("b")));
        assert!(m.smatch(&json!(1), &json!(1.0)));
        assert!(!m.smatch(&json!(true), &json!(1)));
        assert!(!m.smatch(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
    }

    #[test]
    fn aliases_match_any_name() {
        let m = Matcher::new().with_aliases(&["lambda_function_name"]);
        assert!(m.smatch(
            &json!("arn:aws:lambda:x:function:lambda_function_name"),
            &json!("arn:aws:lambda:x:function:fn_1234")
        ));
        assert!(!Matcher::new().smatch(
            &json!("arn:aws:lambda:x:function:lambda_function_name"),
            &json!("arn:aws:lambda:x:function:fn_1234")
        ));
    }

    #[test]
    fn history_fields_are_parsed() {
        let ev = json!({"type": "PassStateExited", "stateExitedEventDetails": {"output": "{\"a\":1}", "name": "P"}});
        assert_eq!(
            parse_event_fields(&ev)["stateExitedEventDetails"]["output"],
            json!({"a": 1})
        );
    }
}
