//! `stepline graph DEFINITION.json [--format svg|mermaid|dot|json]`: the console's layout of a
//! definition as a file, for READMEs and code review.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The definition (ASL JSON); `-` reads standard input.
    definition: PathBuf,
    /// Output format: `svg` (the exact console layout), `mermaid`, `dot` (with positions for
    /// `neato -n2`) or `json` (the laid-out boxes and edges).
    #[arg(long, short, default_value = "svg", value_parser = ["svg", "mermaid", "dot", "json"])]
    format: String,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

pub fn main(args: Args) -> ExitCode {
    let text = if args.definition.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).map(|_| s)
    } else {
        std::fs::read_to_string(&args.definition)
    };
    let text = match text {
        Ok(t) => t,
        Err(e) => {
            eprintln!("stepline graph: {}: {e}", args.definition.display());
            return ExitCode::from(2);
        }
    };
    let layout = match console::layout::layout_str(&text) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("stepline graph: {}: {e}", args.definition.display());
            return ExitCode::from(1);
        }
    };
    let out = match args.format.as_str() {
        "mermaid" => console::layout::to_mermaid(&layout),
        "dot" => console::layout::to_dot(&layout),
        "json" => match serde_json::to_string_pretty(&layout) {
            Ok(s) => s + "\n",
            Err(e) => {
                eprintln!("stepline graph: {e}");
                return ExitCode::from(1);
            }
        },
        _ => console::layout::to_svg(&layout),
    };
    let written = match &args.output {
        Some(p) => std::fs::write(p, out),
        None => std::io::stdout().write_all(out.as_bytes()),
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("stepline graph: {e}");
            ExitCode::from(2)
        }
    }
}
