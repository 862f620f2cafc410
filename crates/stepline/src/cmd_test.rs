//! `stepline test MOCKFILE`: runs every test case of a Step Functions Local mock configuration
//! file against its state machine on a virtual clock, checks the `Expectations` the file
//! declares, and reports which states, transitions, Catch and Retry paths were exercised.
//!
//! Definitions come from `--definition NAME=FILE`, or else from `NAME.asl.json` / `NAME.json`
//! next to the mock file. States a test case does not mock go to the Lambda functions of
//! `--config stepline.toml`, or fail as an unconfigured resource. Exit status: 0 when every
//! test case ran and met its expectations, 1 when one did not, 2 when nothing could run.

use engine::{NoIntegrations, Program, TaskResolver};
use integrations::config::Config;
use integrations::mock_config::MockConfig;
use integrations::testing::{run_test_case, CaseReport, Coverage};
use integrations::LocalLambdaResolver;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(clap::Args)]
pub struct Args {
    /// The mock configuration file (Step Functions Local's MockConfigFile.json format).
    mock_file: PathBuf,
    /// The definition of a state machine named in the file: NAME=FILE (repeatable).
    #[arg(long = "definition", value_name = "NAME=FILE")]
    definitions: Vec<String>,
    /// Run only this state machine of the file.
    #[arg(long)]
    state_machine: Option<String>,
    /// Run only this test case.
    #[arg(long)]
    test_case: Option<String>,
    /// stepline.toml whose [lambda.functions] serve the states a test case does not mock.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Print the report as JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Leave out the coverage report.
    #[arg(long)]
    no_coverage: bool,
}

/// Whether `name` passes an optional `--state-machine` / `--test-case` filter.
fn selected(filter: &Option<String>, name: &str) -> bool {
    match filter {
        Some(f) => f == name,
        None => true,
    }
}

fn definition_path(args: &Args, name: &str) -> Result<PathBuf, String> {
    for d in &args.definitions {
        if let Some((n, path)) = d.split_once('=') {
            if n == name {
                return Ok(PathBuf::from(path));
            }
        }
    }
    let dir = args.mock_file.parent().unwrap_or(Path::new("."));
    for candidate in [format!("{name}.asl.json"), format!("{name}.json")] {
        let p = dir.join(candidate);
        if p.is_file() {
            return Ok(p);
        }
    }
    Err(format!(
        "no definition for state machine '{name}': pass --definition {name}=FILE or put {name}.asl.json next to the mock file"
    ))
}

fn load_definition(path: &Path) -> Result<(Arc<Program>, Value), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let machine = asl::parse::parse_definition(&text)
        .map_err(|e| format!("{}: invalid definition: {}", path.display(), e.message))?;
    let program = Program::compile(&machine).map_err(|e| {
        format!(
            "{}: unsupported definition: {} (at {})",
            path.display(),
            e.message,
            e.location
        )
    })?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| format!("{}: invalid JSON: {e}", path.display()))?;
    Ok((Arc::new(program), value))
}

fn case_json(r: &CaseReport) -> Value {
    json!({
        "testCase": r.test_case,
        "passed": r.passed(),
        "hasExpectations": r.has_expectations,
        "status": r.status.as_str(),
        "output": r.output,
        "error": r.error,
        "cause": r.cause,
        "failures": r.failures,
        "unusedMocks": r.unused_mocks,
    })
}

pub fn main(args: Args) -> ExitCode {
    let config = match MockConfig::load(&args.mock_file) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("stepline test: {e}");
            return ExitCode::from(2);
        }
    };
    let lambda = match &args.config {
        Some(p) => match Config::load(p) {
            Ok(c) => Some(c.lambda),
            Err(e) => {
                eprintln!("stepline test: {e}");
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    let fallback = || -> Box<dyn TaskResolver + Send> {
        match &lambda {
            Some(l) => Box::new(LocalLambdaResolver::new(l)),
            None => Box::new(NoIntegrations::new()),
        }
    };
    for w in config.warnings() {
        eprintln!("warning: {w}");
    }
    let machines: Vec<_> = config
        .state_machines
        .iter()
        .filter(|m| selected(&args.state_machine, &m.name))
        .collect();
    if machines.is_empty() {
        eprintln!(
            "stepline test: {}",
            match &args.state_machine {
                Some(n) => format!("no state machine '{n}' in {}", args.mock_file.display()),
                None => format!("{} defines no state machine", args.mock_file.display()),
            }
        );
        return ExitCode::from(2);
    }
    let (mut passed, mut failed, mut ran) = (0usize, 0usize, 0usize);
    let mut report = Vec::new();
    for m in machines {
        let cases: Vec<_> = m
            .test_cases
            .iter()
            .filter(|t| selected(&args.test_case, &t.name))
            .collect();
        if cases.is_empty() {
            continue;
        }
        let loaded = definition_path(&args, &m.name).and_then(|p| load_definition(&p));
        let (program, definition) = match loaded {
            Ok(x) => x,
            Err(e) => {
                failed += cases.len();
                if args.json {
                    report.push(json!({"stateMachine": m.name, "error": e}));
                } else {
                    println!("{}\n  ERROR {e}", m.name);
                }
                continue;
            }
        };
        if !args.json {
            println!("{}", m.name);
        }
        let mut coverage = Coverage::new(&definition);
        let mut case_reports = Vec::new();
        for t in cases {
            ran += 1;
            let r = match run_test_case(program.clone(), &config, &m.name, &t.name, fallback()) {
                Ok(r) => r,
                Err(e) => {
                    failed += 1;
                    if !args.json {
                        println!("  ERROR {}: {e}", t.name);
                    }
                    continue;
                }
            };
            coverage.add(&r.history);
            if r.passed() {
                passed += 1;
            } else {
                failed += 1;
            }
            if args.json {
                case_reports.push(case_json(&r));
                continue;
            }
            let tag = match (r.passed(), r.has_expectations) {
                (false, _) => "FAIL",
                (true, true) => "PASS",
                (true, false) => "RAN ",
            };
            let mut line = format!("  {tag} {} ({})", r.test_case, r.status.as_str());
            if let Some(e) = &r.error {
                line.push_str(&format!(" error={e}"));
            }
            if !r.has_expectations {
                line.push_str(" (no expectations)");
            }
            println!("{line}");
            for f in &r.failures {
                println!("       {f}");
            }
            if !r.unused_mocks.is_empty() {
                println!(
                    "       mocked but never invoked: {}",
                    r.unused_mocks.join(", ")
                );
            }
        }
        if args.json {
            let mut entry = json!({"stateMachine": m.name, "testCases": case_reports});
            if !args.no_coverage {
                entry["coverage"] = coverage.to_json();
            }
            report.push(entry);
        } else if !args.no_coverage {
            println!("  coverage over {} test case(s):", coverage.runs);
            print!("{}", coverage.render());
        }
    }
    if args.json {
        println!(
            "{}",
            json!({"passed": passed, "failed": failed, "stateMachines": report})
        );
    } else {
        println!("{ran} test case(s): {passed} passed, {failed} failed");
    }
    if ran == 0 && failed == 0 {
        eprintln!("stepline test: no test case matched");
        return ExitCode::from(2);
    }
    if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../integrations/tests/fixtures")
    }

    fn args(mock_file: PathBuf) -> Args {
        Args {
            mock_file,
            definitions: Vec::new(),
            state_machine: None,
            test_case: None,
            config: None,
            json: false,
            no_coverage: false,
        }
    }

    fn temp(name: &str, files: &[(&str, String)]) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("stepline-cmd-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        for (f, text) in files {
            std::fs::write(dir.join(f), text).expect("write");
        }
        dir
    }

    #[test]
    fn the_sample_passes_and_finds_its_definition_next_to_the_file() {
        assert_eq!(
            main(args(fixtures().join("orders/MockConfigFile.json"))),
            ExitCode::SUCCESS
        );
        let mut a = args(fixtures().join("aws-doc/MockConfigFile.json"));
        a.json = true;
        assert_eq!(main(a), ExitCode::SUCCESS);
    }

    #[test]
    fn an_unmet_expectation_exits_1() {
        let mock = std::fs::read_to_string(fixtures().join("orders/MockConfigFile.json"))
            .expect("fixture")
            .replace("\"Error\": \"OrderDeclined\"", "\"Error\": \"Nope\"");
        let dir = temp("unmet", &[("mock.json", mock)]);
        let mut a = args(dir.join("mock.json"));
        // The definition is not next to this file: name it explicitly.
        a.definitions = vec![format!(
            "OrderFlow={}",
            fixtures().join("orders/OrderFlow.asl.json").display()
        )];
        assert_eq!(main(a), ExitCode::from(1));
        // Only the passing cases: 0.
        let mut a = args(dir.join("mock.json"));
        a.definitions = vec![format!(
            "OrderFlow={}",
            fixtures().join("orders/OrderFlow.asl.json").display()
        )];
        a.test_case = Some("HappyPath".into());
        assert_eq!(main(a), ExitCode::SUCCESS);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_missing_definition_exits_1_and_unusable_input_exits_2() {
        let mock = std::fs::read_to_string(fixtures().join("orders/MockConfigFile.json"))
            .expect("fixture");
        let dir = temp(
            "nodef",
            &[
                ("mock.json", mock),
                ("bad.json", "{\"StateMachines\":1}".into()),
            ],
        );
        assert_eq!(main(args(dir.join("mock.json"))), ExitCode::from(1));
        assert_eq!(main(args(dir.join("bad.json"))), ExitCode::from(2));
        assert_eq!(main(args(dir.join("absent.json"))), ExitCode::from(2));
        let mut a = args(fixtures().join("orders/MockConfigFile.json"));
        a.test_case = Some("NoSuchCase".into());
        assert_eq!(main(a), ExitCode::from(2));
        let mut a = args(fixtures().join("orders/MockConfigFile.json"));
        a.state_machine = Some("Other".into());
        assert_eq!(main(a), ExitCode::from(2));
        let _ = std::fs::remove_dir_all(dir);
    }
}
