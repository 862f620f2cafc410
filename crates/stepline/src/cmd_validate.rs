//! `stepline validate DEFINITION.json [--format json] [--type EXPRESS]`: static validation as
//! `ValidateStateMachineDefinition` answers it.

use asl::validate::{validate_with_jsonata, MachineType, Severity, ValidateOptions};
use std::process::ExitCode;

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One line per diagnostic.
    Text,
    /// The `ValidateStateMachineDefinition` response JSON.
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
#[clap(rename_all = "UPPERCASE")]
pub enum Type {
    Standard,
    Express,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
#[clap(rename_all = "UPPERCASE")]
pub enum MinSeverity {
    Error,
    Warning,
}

#[derive(clap::Args)]
pub struct Args {
    /// The state machine definition (Amazon States Language, JSON).
    pub definition: std::path::PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The state machine type the definition is validated for.
    #[arg(long = "type", value_enum, default_value_t = Type::Standard)]
    pub machine_type: Type,
    /// Minimum severity reported (WARNING adds NO_DOLLAR, NO_PATH, PASS_RESULT_IS_STATIC).
    #[arg(long, value_enum, default_value_t = MinSeverity::Error)]
    pub severity: MinSeverity,
    /// Most diagnostics reported (0 = AWS's default of 100).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=100))]
    pub max_results: u16,
}

/// Exit status: 0 valid, 1 invalid, 2 when the file cannot be read.
pub fn main(args: Args) -> ExitCode {
    let text = match std::fs::read(&args.definition) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => {
            eprintln!("cannot read {}: {e}", args.definition.display());
            return ExitCode::from(2);
        }
    };
    let opts = ValidateOptions {
        machine_type: match args.machine_type {
            Type::Standard => MachineType::Standard,
            Type::Express => MachineType::Express,
        },
        severity: match args.severity {
            MinSeverity::Error => Severity::Error,
            MinSeverity::Warning => Severity::Warning,
        },
        max_results: usize::from(args.max_results),
    };
    // JSONata expressions are parsed with the engine's own JSONata parser, so `validate`
    // refuses what the engine could not compile; AWS reports the parser message without its code.
    let parse = |expr: &str| jsonata::Expression::compile(expr).err().map(|e| e.message);
    let result = validate_with_jsonata(&text, &opts, &parse);
    match args.format {
        Format::Json => println!("{}", result.to_json()),
        Format::Text => {
            if result.is_ok() {
                println!("OK: {} is a valid definition", args.definition.display());
            }
            for d in &result.diagnostics {
                println!(
                    "{} {} at {}: {}",
                    d.severity.as_str(),
                    d.code,
                    d.location.as_deref().unwrap_or("(definition)"),
                    d.message
                );
            }
            if result.truncated {
                println!("(more diagnostics were found than shown)");
            }
        }
    }
    if result.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
