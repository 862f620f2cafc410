//! `stepline run`: one execution of a definition on a virtual clock, printed as JSON.
//!
//! Contract (outside tools rely on it): stdout gets one JSON object
//! `{"status", "output"?, "error"?, "cause"?, "events"?}` as DescribeExecution /
//! GetExecutionHistory give them; exit 0 whenever the execution ran. When it cannot start,
//! stderr gets `{"__type": "InvalidDefinition"|"InvalidExecutionInput", "message"}` and the
//! exit code is 2.

use engine::driver::{run_with_clock, Clock, VirtualClock};
use engine::{ExecutionContext, ExecutionType, NoIntegrations, Program, SeededEntropy, Timestamp};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(clap::Args)]
pub struct Args {
    /// The state machine definition (ASL JSON).
    definition: PathBuf,
    /// Execution input: JSON text, or @FILE to read it from a file.
    #[arg(long, default_value = "{}")]
    input: String,
    /// Also print the execution history (`events`, as GetExecutionHistory returns them).
    #[arg(long)]
    history: bool,
    /// Execution name (default: a UUID).
    #[arg(long)]
    name: Option<String>,
    /// State machine type: STANDARD or EXPRESS.
    #[arg(long = "type", default_value = "STANDARD")]
    machine_type: String,
    /// Wait for real instead of fast-forwarding Wait states, retry intervals and timeouts.
    #[arg(long)]
    real_time: bool,
    /// Seed for UUIDs and random numbers (default: from the clock).
    #[arg(long)]
    seed: Option<u64>,
    /// A Step Functions Local mock configuration file: the Task states that --test-case lists
    /// answer from it (the state machine is named after the definition file).
    #[arg(long, requires = "test_case")]
    mock: Option<PathBuf>,
    /// The test case of --mock to run.
    #[arg(long, requires = "mock")]
    test_case: Option<String>,
}

/// Sleeps until each timer is due.
struct RealClock;

impl Clock for RealClock {
    fn wait_until(&mut self, at: Timestamp) -> Timestamp {
        let now = now_millis();
        if at.millis() > now {
            let ms = u64::try_from(at.millis() - now).unwrap_or(0);
            std::thread::sleep(std::time::Duration::from_millis(ms));
        }
        Timestamp::from_millis(now_millis())
    }
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(0))
        .unwrap_or(0)
}

fn cannot_start(kind: &str, message: &str) -> ExitCode {
    eprintln!("{}", json!({"__type": kind, "message": message}));
    ExitCode::from(2)
}

fn read_arg(text: &str) -> std::io::Result<String> {
    match text.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path),
        None => Ok(text.to_string()),
    }
}

pub fn main(args: Args) -> ExitCode {
    let text = match std::fs::read_to_string(&args.definition) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("cannot read {}: {e}", args.definition.display());
            return ExitCode::from(2);
        }
    };
    let Some(machine_type) = asl::parse::machine_type_from_name(&args.machine_type) else {
        eprintln!("--type must be STANDARD or EXPRESS");
        return ExitCode::from(2);
    };
    let opts = asl::validate::ValidateOptions {
        machine_type,
        ..Default::default()
    };
    let machine = match asl::parse::parse_definition_with(&text, &opts) {
        Ok(m) => m,
        Err(e) => return cannot_start("InvalidDefinition", &e.message),
    };
    let program = match Program::compile(&machine) {
        Ok(p) => Arc::new(p),
        Err(e) => {
            eprintln!(
                "stepline run: unsupported definition: {e} (at {})",
                e.location
            );
            return ExitCode::from(1);
        }
    };
    let input_text = match read_arg(&args.input) {
        Ok(t) => t,
        Err(e) => return cannot_start("InvalidExecutionInput", &e.to_string()),
    };
    let input: Value = match serde_json::from_str(&input_text) {
        Ok(v) => v,
        Err(e) => {
            return cannot_start(
                "InvalidExecutionInput",
                &format!("Invalid State Machine Execution Input: '{e}'"),
            )
        }
    };
    if input_text.len() > engine::MAX_PAYLOAD_BYTES {
        return cannot_start(
            "InvalidExecutionInput",
            "Invalid State Machine Execution Input: the input exceeds the maximum size of 262144 bytes",
        );
    }
    let now_ms = now_millis();
    let seed = args.seed.unwrap_or(now_ms as u64);
    let mut entropy = SeededEntropy::new(seed);
    let name = args
        .name
        .unwrap_or_else(|| engine::Entropy::uuid(&mut entropy));
    let sm_name = args
        .definition
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| !s.is_empty())
        .unwrap_or("StateMachine")
        .to_string();
    let mut ctx = ExecutionContext::example(&name, &sm_name, Timestamp::from_millis(now_ms));
    let express = machine_type == asl::validate::MachineType::Express;
    if express {
        ctx.execution_type = ExecutionType::Express;
        ctx.execution_arn = format!(
            "arn:aws:states:{}:111111111111:express:{}:{}:{}",
            ctx.region,
            sm_name,
            name,
            engine::Entropy::uuid(&mut entropy)
        );
    }
    let mut resolver: Box<dyn engine::TaskResolver> = match (&args.mock, &args.test_case) {
        (Some(file), Some(case)) => {
            // `OrderFlow.asl.json` is the state machine `OrderFlow`, as Step Functions Local names it.
            let machine = sm_name.strip_suffix(".asl").unwrap_or(&sm_name);
            match integrations::mock_resolver_from_file(file, machine, case) {
                Ok(r) => Box::new(r),
                Err(e) => {
                    eprintln!("stepline run: {e}");
                    return ExitCode::from(2);
                }
            }
        }
        _ => Box::new(NoIntegrations::new()),
    };
    let mut clock: Box<dyn Clock> = if args.real_time {
        Box::new(RealClock)
    } else {
        Box::new(VirtualClock)
    };
    let finished = run_with_clock(
        program,
        input,
        ctx,
        Box::new(entropy),
        resolver.as_mut(),
        args.history,
        clock.as_mut(),
    );
    let mut out = finished.outcome.to_describe_json();
    if args.history {
        let events: Vec<Value> = finished.history.iter().map(|e| e.to_json()).collect();
        out.insert("events".into(), Value::Array(events));
    }
    println!("{}", Value::Object(out));
    ExitCode::SUCCESS
}
