//! `stepline jsonata 'EXPRESSION' [--input JSON | --input @FILE] [--bindings JSON]`
//!
//! Contract (kept stable for outside tools): the result is printed as JSON on stdout with
//! exit 0; an undefined result prints nothing and exits 0; an evaluation or syntax error is
//! printed on stderr as `{"code": "T2001", "position": 5, "message": "..."}` with exit 1;
//! unreadable `--input`/`--bindings` is reported on stderr with exit 2.

use std::process::ExitCode;

/// Evaluation runs on its own thread with this much stack, so deep (non-tail) recursion
/// reaches the evaluator's depth limit instead of the process's stack limit.
const EVAL_STACK: usize = 256 << 20;

#[derive(clap::Args)]
pub struct Args {
    /// The JSONata expression (without `{% %}`).
    pub expression: String,
    /// Input document: JSON text, or `@FILE` to read it from a file. Default: no input.
    #[arg(long)]
    pub input: Option<String>,
    /// Variable bindings as a JSON object, e.g. `{"x": 1}` binds `$x`.
    #[arg(long)]
    pub bindings: Option<String>,
}

fn read_json(what: &str, text: &str) -> Result<serde_json::Value, String> {
    let text = match text.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {what} file {path}: {e}"))?,
        None => text.to_string(),
    };
    serde_json::from_str(&text).map_err(|e| format!("{what} is not valid JSON: {e}"))
}

pub fn main(args: Args) -> ExitCode {
    let input = match args
        .input
        .as_deref()
        .map(|t| read_json("--input", t))
        .transpose()
    {
        Ok(v) => v,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let mut bindings = jsonata::Bindings::new().stack_limit(EVAL_STACK - (16 << 20));
    match args
        .bindings
        .as_deref()
        .map(|t| read_json("--bindings", t))
        .transpose()
    {
        Ok(None) => {}
        Ok(Some(serde_json::Value::Object(map))) => {
            for (k, v) in map {
                bindings = bindings.var(&k, v);
            }
        }
        Ok(Some(_)) => {
            eprintln!("--bindings must be a JSON object");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    }
    let expression = args.expression;
    let worker = std::thread::Builder::new()
        .stack_size(EVAL_STACK)
        .spawn(move || {
            jsonata::Expression::compile_with_stack_limit(&expression, EVAL_STACK - (16 << 20))
                .and_then(|e| e.evaluate_opt(input.as_ref(), &bindings))
        });
    let outcome = match worker.map(|h| h.join()) {
        Ok(Ok(r)) => r,
        _ => {
            eprintln!("internal error: evaluation thread failed");
            return ExitCode::from(2);
        }
    };
    match outcome {
        Ok(Some(v)) => {
            println!("{v}");
            ExitCode::SUCCESS
        }
        Ok(None) => ExitCode::SUCCESS,
        Err(e) => {
            let mut obj = serde_json::Map::new();
            obj.insert("code".into(), serde_json::Value::String(e.code.clone()));
            obj.insert(
                "position".into(),
                e.position
                    .map(serde_json::Value::from)
                    .unwrap_or(serde_json::Value::Null),
            );
            obj.insert(
                "message".into(),
                serde_json::Value::String(e.message.clone()),
            );
            if let Some(t) = &e.token {
                obj.insert("token".into(), serde_json::Value::String(t.clone()));
            }
            eprintln!("{}", serde_json::Value::Object(obj));
            ExitCode::from(1)
        }
    }
}
