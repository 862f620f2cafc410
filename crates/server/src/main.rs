//! `stepline-server`: `stepline serve` as a binary of its own, so the server's tests can start
//! (and `kill -9`) a real server process.

use clap::Parser;

#[derive(Parser)]
#[command(name = "stepline-server")]
struct Cli {
    #[command(flatten)]
    args: server::cli::Args,
}

fn main() -> std::process::ExitCode {
    server::cli::main(Cli::parse().args)
}
