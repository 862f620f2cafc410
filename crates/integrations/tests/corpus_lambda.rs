//! Corpus runner for Lambda cases with the functions run as local commands.
//!
//! The cases of LocalStack's Lambda service tests (`services/test_lambda_task*.py`,
//! `error_handling/test_task*_lambda.py`, `timeouts/test_timeouts.py`) run with their functions
//! restated below as small Python handlers (behaviour read from LocalStack's test sources), under
//! a shim that calls them as Lambda's Python runtime does (module `handler`, function
//! `handler`; result printed with `json.dumps`; an unhandled exception printed as
//! `{"errorMessage", "errorType", "requestId", "stackTrace"}` with frames under `/var/task`,
//! exit status 1). Compared with AWS's recording: status, output, error, cause and the whole
//! history (timestamps, request ids, dates and trace ids are placeholders in the recording).
//!
//! Prints the pass rate; fails when a case in `tests/corpus_lambda_passing.txt` regresses
//! (`STEPLINE_WRITE_PASSING=1 STEPLINE_SLOW_TESTS=1` rewrites it). Cases whose function runs
//! into a timeout take that long for real and run only with `STEPLINE_SLOW_TESTS=1`. Skips when
//! the corpus or `python3` is absent.

use engine::driver::run_to_completion;
use engine::{ExecutionContext, ExecutionType, Program, SeededEntropy, Timestamp};
use integrations::config::Config;
use integrations::LocalLambdaResolver;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

mod common;
use common::*;

/// Lambda's Python runtime in miniature: stdin event → handler → stdout.
const BOOTSTRAP: &str = r#"
import json, sys, traceback, uuid, os
sys.path.insert(0, os.getcwd())
event = json.load(sys.stdin)
try:
    import handler
    result = handler.handler(event, None)
    if isinstance(result, bytes):
        result = result.decode("utf-8")
    print(json.dumps(result))
except Exception as e:
    tb = traceback.extract_tb(e.__traceback__)[1:]
    for frame in tb:
        frame.filename = "/var/task/" + os.path.basename(frame.filename)
    print(json.dumps({"errorMessage": str(e), "errorType": type(e).__name__,
                      "requestId": str(uuid.uuid4()), "stackTrace": traceback.format_list(tb)}))
    sys.exit(1)
"#;

const ID_FUNCTION: &str = "def handler(event, context):\n    return event\n";
const RAISE_EXCEPTION: &str =
    "def handler(event, context):\n    raise Exception(\"Some exception was raised.\")\n";
const RAISE_CUSTOM: &str = "class CustomException(Exception):\n    pass\n\n\n\n\n\ndef handler(event, context):\n    raise CustomException()\n";
const RETURN_BYTES_STR: &str = "def handler(event, context):\n    return b\"HelloWorld!\"\n";
const ECHO: &str = "def handler(event, context):\n    return {\"Return\": \"HelloWorld\"}\n";
/// Larger than Step Functions' 256 KiB payload limit once UTF-8 encoded, not in characters.
const LARGE_UTF8: &str = "def handler(event, context):\n    return \"\\u00e9\" * 140000\n";
const WAIT_60: &str = "import time\n\n\ndef handler(event, context):\n    time.sleep(60)\n";

/// The handler a case's functions run, by LocalStack test; `None`: not covered here.
fn handler_for(id: &str) -> Option<&'static str> {
    let test = id.split("::").last().unwrap_or("");
    let file = id.split("::").next().unwrap_or("");
    let in_file = |f: &str| file.ends_with(f);
    Some(
        if in_file("services/test_lambda_task.py")
            || in_file("services/test_lambda_task_service.py")
        {
            if test.starts_with("test_invoke_bytes_payload") {
                RETURN_BYTES_STR
            } else if test.starts_with("test_invoke_pipe") {
                ECHO
            } else {
                ID_FUNCTION
            }
        } else if in_file("error_handling/test_task_lambda.py")
            || in_file("error_handling/test_task_service_lambda.py")
        {
            if test.starts_with("test_invoke_timeout") {
                WAIT_60
            } else if test.starts_with("test_raise_custom_exception") {
                RAISE_CUSTOM
            } else {
                RAISE_EXCEPTION
            }
        } else if in_file("timeouts/test_timeouts.py") && test.contains("lambda") {
            WAIT_60
        } else if in_file("states_variables/test_error_output.py") {
            RAISE_EXCEPTION
        } else if in_file("arguments/test_arguments.py") {
            ID_FUNCTION
        } else if in_file("error_handling/test_states_errors.py") && test.contains("large_utf8") {
            LARGE_UTF8
        } else if in_file("comments/test_comments.py")
            || in_file("context_object/test_context_object.py")
            || in_file("evaluate_jsonata/test_base_evaluate_expressions.py")
            || in_file("outputdecl/test_output.py")
            || in_file("query_language/test_mixed_query_language.py")
            || (in_file("scenarios/test_base_scenarios.py")
                && (test.starts_with("test_catch_states_runtime")
                    || test.starts_with("test_map_state_config_distributed_reentrant_lambda")
                    || test.starts_with("test_map_state_nested_config_distributed")))
        {
            // LocalStack's identity function (`LAMBDA_ID_FUNCTION`); every result AWS
            // recorded for these cases equals the function's input.
            ID_FUNCTION
        } else if in_file("scenarios/test_base_scenarios.py")
            && (test.starts_with("test_lambda_invoke_with_retry_base")
                || test.starts_with("test_lambda_service_invoke_with_retry_extended_input")
                || test.starts_with("test_retry_interval_features"))
        {
            RAISE_EXCEPTION
        } else if in_file("assign/test_assign_reference_variables.py")
            && test.starts_with("test_variables_in_lambda_task")
        {
            RETURN_BYTES_STR
        } else {
            return None;
        },
    )
}

/// Every function name a case invokes: legacy resource ARNs and `FunctionName*` inputs.
fn function_names(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::String(s) => {
            if let Some(rest) = s.split(":function:").nth(1) {
                if s.starts_with("arn:") {
                    out.insert(rest.split(':').next().unwrap_or(rest).to_string());
                }
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                if k.starts_with("FunctionName") && !k.ends_with(".$") {
                    if let Some(s) = x.as_str() {
                        out.insert(integrations::resource::function_name(s).to_string());
                    }
                }
                function_names(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| function_names(x, out)),
        _ => {}
    }
}

fn run_case(
    case: &Value,
    handler: &str,
    dir: &std::path::Path,
    m: &Matcher,
) -> Result<Vec<String>, String> {
    let id = case["id"].as_str().unwrap_or("");
    let fn_dir = dir.join(format!(
        "case{}",
        id.len() + id.bytes().map(usize::from).sum::<usize>()
    ));
    std::fs::create_dir_all(&fn_dir).map_err(|e| e.to_string())?;
    std::fs::write(fn_dir.join("handler.py"), handler).map_err(|e| e.to_string())?;
    std::fs::write(fn_dir.join("bootstrap.py"), BOOTSTRAP).map_err(|e| e.to_string())?;
    let mut names = BTreeSet::new();
    function_names(&case["definition"], &mut names);
    function_names(&case["input"], &mut names);
    let mut toml = String::new();
    for n in names.iter().filter(|n| !n.starts_with("no_such_")) {
        toml.push_str(&format!(
            "[lambda.functions.\"{n}\"]\ncommand = [\"python3\", \"bootstrap.py\"]\ntimeout = 60\n"
        ));
    }
    let config = Config::parse(&toml, &fn_dir).map_err(|e| e.to_string())?;
    let mut resolver = LocalLambdaResolver::new(&config.lambda);
    let machine =
        asl::parse::parse_definition(&case["definition"].to_string()).map_err(|e| e.message)?;
    let program = Arc::new(Program::compile(&machine).map_err(|e| e.message)?);
    let mut ctx = ExecutionContext::example("exec", "M", Timestamp::from_millis(1_700_000_000_000));
    if case["state_machine_type"] == "EXPRESS" {
        ctx.execution_type = ExecutionType::Express;
    }
    let f = run_to_completion(
        program,
        case["input"].clone(),
        ctx,
        Box::new(SeededEntropy::new(7)),
        &mut resolver,
        true,
    );
    let history = case["history"].as_array().cloned().unwrap_or_default();
    let mut names = Vec::new();
    if let Some(first) = history.first() {
        renames(
            &case["input"],
            &parsed(&details(first)["input"]),
            &mut names,
        );
    }
    let mut notes = Vec::new();
    let exp = &case["expected"];
    if exp["status"].as_str() != Some(f.outcome.status.as_str()) {
        notes.push(format!(
            "status {} (expected {})",
            f.outcome.status.as_str(),
            exp["status"]
        ));
    }
    if let Some(want) = exp.get("output") {
        let mut got = f.outcome.output.as_deref().cloned().unwrap_or(Value::Null);
        rename(&mut got, &names);
        if !m.smatch(&parsed(want), &got) {
            notes.push(format!("output {got} (expected {want})"));
        }
    }
    for (k, got) in [("error", &f.outcome.error), ("cause", &f.outcome.cause)] {
        if let Some(want) = exp.get(k) {
            let got = got
                .as_deref()
                .map(|s| parsed(&Value::String(s.to_string())));
            if !got.as_ref().is_some_and(|g| m.smatch(&parsed(want), g)) {
                notes.push(format!("{k} {got:?} (expected {want})"));
            }
        }
    }
    let mut want: Vec<Value> = history.iter().map(normalise_event).collect();
    corpus::current_aws_history(case, &mut want);
    let got: Vec<Value> = f
        .history
        .iter()
        .map(|e| {
            let mut v = normalise_event(&e.to_json());
            rename(&mut v, &names);
            v
        })
        .collect();
    if !history_matches(m, &want, &got) {
        let first = want
            .iter()
            .zip(&got)
            .position(|(w, g)| !m.smatch(w, g))
            .unwrap_or(want.len().min(got.len()));
        notes.push(format!(
            "history differs at event {} ({} vs {} events): expected {} got {}",
            first + 1,
            want.len(),
            got.len(),
            want.get(first).map(|v| v.to_string()).unwrap_or_default(),
            got.get(first).map(|v| v.to_string()).unwrap_or_default()
        ));
    }
    Ok(notes)
}

#[test]
fn corpus_lambda_local_functions() {
    let dir = corpus_dir();
    let Ok(index) = std::fs::read_to_string(dir.join("index.json")) else {
        println!(
            "corpus not found at {}: skipping the Lambda corpus runner",
            dir.display()
        );
        return;
    };
    let python = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !python {
        println!("python3 not found: skipping the Lambda corpus runner");
        return;
    }
    let index: Vec<Value> = serde_json::from_str(&index).expect("index.json");
    let tmp = std::env::temp_dir().join(format!("stepline-corpus-lambda-{}", std::process::id()));
    let m = matcher();
    let mut passing = BTreeSet::new();
    let mut skipped = BTreeSet::new();
    let slow = std::env::var("STEPLINE_SLOW_TESTS").is_ok();
    let mut total = 0;
    for entry in index.iter().filter(|e| {
        e["kind"] == "execution"
            && e["needs"]
                .as_array()
                .is_some_and(|n| n.len() == 1 && n[0] == "lambda")
    }) {
        let id = entry["id"].as_str().unwrap_or("").to_string();
        let Some(handler) = handler_for(&id) else {
            continue;
        };
        // A function that outlives the state's TimeoutSeconds takes that long for real.
        if handler == WAIT_60 && !slow {
            skipped.insert(id);
            continue;
        }
        total += 1;
        let text = std::fs::read_to_string(dir.join(entry["file"].as_str().unwrap_or("")))
            .expect("case file");
        let case: Value = serde_json::from_str(&text).expect("case json");
        let started = std::time::Instant::now();
        let result = run_case(&case, handler, &tmp, &m);
        if started.elapsed().as_secs() >= 2 {
            println!("slow ({} s): {id}", started.elapsed().as_secs());
        }
        match result {
            Ok(notes) if notes.is_empty() => {
                passing.insert(id);
            }
            Ok(notes) => println!("FAIL {id}: {}", notes.join("; ")),
            Err(e) => println!("ERROR {id}: {e}"),
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
    println!("lambda (local functions): {}/{total} pass", passing.len());
    if !skipped.is_empty() {
        println!(
            "skipped {} cases whose functions run into a timeout (5 s or more each); set STEPLINE_SLOW_TESTS=1 to run them",
            skipped.len()
        );
    }
    let list_path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus_lambda_passing.txt");
    if corpus::write_passing_requested() {
        assert!(
            slow,
            "rewrite the list with STEPLINE_SLOW_TESTS=1 so that every case runs"
        );
    }
    let Some(regressed) = corpus::ratchet(&list_path, &passing) else {
        return;
    };
    let regressed: Vec<String> = regressed
        .into_iter()
        .filter(|id| !skipped.contains(id))
        .collect();
    assert!(regressed.is_empty(), "regressed: {regressed:?}");
}
