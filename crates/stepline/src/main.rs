//! The `stepline` binary. Each subcommand lives in its own module; this file only dispatches.

mod cmd_bench;
mod cmd_graph;
mod cmd_jsonata;
mod cmd_run;
mod cmd_serve;
mod cmd_test;
mod cmd_validate;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "stepline", version, about = "A self-hosted AWS Step Functions")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the Step Functions API (and the console) on an embedded store.
    Serve(cmd_serve::Args),
    /// Draw a definition as a graph (SVG, Mermaid or DOT).
    Graph(cmd_graph::Args),
    /// Measure the interpreter's (or a running server's) throughput.
    Bench(cmd_bench::Args),
    /// Run every test case of a mock configuration file and report results and coverage.
    Test(cmd_test::Args),
    /// Validate a state machine definition as ValidateStateMachineDefinition does.
    Validate(cmd_validate::Args),
    /// Run one execution of a definition and print its result (and history) as JSON.
    Run(cmd_run::Args),
    /// Evaluate one JSONata expression and print the result as JSON.
    Jsonata(cmd_jsonata::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate(args) => cmd_validate::main(args),
        Command::Jsonata(args) => cmd_jsonata::main(args),
        Command::Run(args) => cmd_run::main(args),
        Command::Test(args) => cmd_test::main(args),
        Command::Bench(args) => cmd_bench::main(args),
        Command::Graph(args) => cmd_graph::main(args),
        Command::Serve(args) => cmd_serve::main(args),
    }
}
