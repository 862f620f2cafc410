//! `stepline bench`: in-process throughput of the engine on the issues' workloads (history
//! recorded, virtual clock), printed as state transitions per second; `stepline bench server`
//! drives a running `stepline serve` over HTTP instead.

use std::process::ExitCode;
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    /// Workloads to run (repeatable; default: all). `--list` shows their names.
    #[arg(long = "workload", short = 'w')]
    workloads: Vec<String>,
    /// Executions per workload (default: enough for about `--seconds` each).
    #[arg(long, short = 'n')]
    iterations: Option<usize>,
    /// Target time per workload when `--iterations` is not given.
    #[arg(long, default_value_t = 1.0)]
    seconds: f64,
    /// List the workloads and exit.
    #[arg(long)]
    list: bool,
    /// Print one JSON object per workload instead of a table.
    #[arg(long)]
    json: bool,
    #[command(subcommand)]
    target: Option<Target>,
}

#[derive(clap::Subcommand)]
enum Target {
    /// Measure a running server: Standard executions and StartSyncExecution over HTTP.
    Server(server::bench::Args),
}

pub fn main(args: Args) -> ExitCode {
    if let Some(Target::Server(server_args)) = args.target {
        return server::bench::main(server_args);
    }
    let all = engine::workloads::all();
    if args.list {
        for w in &all {
            println!("{}", w.name);
        }
        return ExitCode::SUCCESS;
    }
    for name in &args.workloads {
        if !all.iter().any(|w| w.name == name) {
            eprintln!("unknown workload '{name}' (see --list)");
            return ExitCode::from(2);
        }
    }
    for w in all
        .iter()
        .filter(|w| args.workloads.is_empty() || args.workloads.iter().any(|n| n == w.name))
    {
        let program = match w.program() {
            Ok(p) => p,
            Err(e) => {
                eprintln!("{}: {e}", w.name);
                return ExitCode::from(1);
            }
        };
        // One warm-up run also sizes the measurement.
        let t0 = Instant::now();
        let per_run = w.run(&program);
        let warm = t0.elapsed().as_secs_f64().max(1e-9);
        let runs = args
            .iterations
            .unwrap_or_else(|| ((args.seconds / warm).ceil() as usize).clamp(1, 1_000_000));
        let start = Instant::now();
        let transitions: usize = (0..runs).map(|_| w.run(&program)).sum();
        let secs = start.elapsed().as_secs_f64().max(1e-9);
        let rate = transitions as f64 / secs;
        if args.json {
            println!(
                "{}",
                serde_json::json!({"workload": w.name, "iterations": runs,
                    "transitionsPerExecution": per_run, "transitions": transitions,
                    "seconds": secs, "transitionsPerSecond": rate.round()})
            );
        } else {
            println!(
                "{:28} {:>12.0} transitions/s  ({runs} × {per_run} transitions in {secs:.3}s)",
                w.name, rate
            );
        }
    }
    ExitCode::SUCCESS
}
