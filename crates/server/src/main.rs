//! `stepline-server`: `stepline serve` as a binary of its own, so the server's tests can start
//! (and `kill -9`) a real server process; `stepline-server bench` runs `stepline bench`.

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "stepline-server", args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: server::cli::Args,
}

#[derive(Subcommand)]
enum Command {
    /// Load a running server (see `stepline bench`).
    Bench(server::bench::Args),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Bench(args)) => server::bench::main(args),
        None => server::cli::main(cli.serve),
    }
}
