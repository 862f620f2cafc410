//! `stepline.toml`: what resources mean on this host.
//!
//! ```toml
//! [lambda]
//! region = "us-east-1"          # default us-east-1; used in ARNs of errors
//! account = "111111111111"      # default 111111111111
//!
//! [lambda.functions.HelloWorld]  # a function name (or full ARN) a Task may invoke
//! command = ["python3", "handler.py"]
//! env = { GREETING = "hello" }  # added to the inherited environment
//! timeout = 3                   # seconds, 1..=900, default 3 (Lambda's default)
//! cwd = "functions/hello"       # relative to this file's folder (default: that folder)
//!
//! [lambda.functions.Remote]     # or: a Lambda Invoke API endpoint (AWS, an emulator)
//! endpoint = "http://127.0.0.1:9001"
//! function_name = "remote-name" # the name sent (default: the key)
//!
//! [aws]                         # AWS service integrations (sqs, sns, dynamodb, events, aws-sdk:*)
//! endpoint = "http://127.0.0.1:5000"    # every service; or per service:
//! endpoints = { sqs = "http://127.0.0.1:9324" }
//! region = "us-east-1"          # default $AWS_REGION, else us-east-1
//! profile = "dev"               # ~/.aws/credentials profile when no AWS_ACCESS_KEY_ID
//! sync_poll_ms = 5000           # between polls of .sync jobs (ecs:runTask, sagemaker:createTrainingJob)
//!
//! [http]                        # arn:aws:states:::http:invoke
//! allow = ["https://api.example.com/v1/", "http://127.0.0.1:*"]
//! [http.connections.Stripe]     # a ConnectionArn's name (or the whole ARN)
//! headers = { Authorization = "Bearer sk_test" }
//! ```
//!
//! Other top-level sections belong to other parts of Stepline and are ignored here.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Why a configuration file cannot be used.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    #[error("cannot read configuration file '{path}': {message}")]
    Io { path: String, message: String },
    #[error("invalid configuration: {0}")]
    Toml(String),
    #[error("invalid configuration at '{location}': {message}")]
    Invalid { location: String, message: String },
}

/// The whole `stepline.toml` as far as integrations are concerned.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct Config {
    #[serde(default)]
    pub lambda: LambdaConfig,
    /// `[aws]`: absent means no AWS service calls (such Tasks fail as `NoIntegrations` does).
    pub aws: Option<crate::aws::AwsConfig>,
    #[serde(default)]
    pub http: crate::http_task::HttpConfig,
}

/// `[lambda]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LambdaConfig {
    #[serde(default = "default_region")]
    pub region: String,
    #[serde(default = "default_account")]
    pub account: String,
    #[serde(default)]
    pub functions: BTreeMap<String, LambdaFunctionConfig>,
    /// A Lambda Invoke API endpoint for functions not listed in `functions`.
    pub endpoint: Option<String>,
}

impl Default for LambdaConfig {
    fn default() -> Self {
        LambdaConfig {
            region: default_region(),
            account: default_account(),
            functions: BTreeMap::new(),
            endpoint: None,
        }
    }
}

/// `[lambda.functions.NAME]`: a function run as a local command.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LambdaFunctionConfig {
    /// Program and arguments; it reads the event as JSON on stdin and writes the result as
    /// JSON on stdout. To report a function error, exit non-zero after writing
    /// `{"errorMessage": ..., "errorType": ...}` on stdout. Empty when `endpoint` is set.
    #[serde(default)]
    pub command: Vec<String>,
    /// Instead of a command: the base URL of a Lambda Invoke API
    /// (`POST {endpoint}/2015-03-31/functions/{name}/invocations`).
    pub endpoint: Option<String>,
    /// The name sent to `endpoint` (default: the configured name).
    pub function_name: Option<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Seconds before the invocation is stopped (`Sandbox.Timedout`).
    #[serde(default = "default_timeout")]
    pub timeout: u64,
    pub cwd: Option<PathBuf>,
}

fn default_region() -> String {
    "us-east-1".into()
}

fn default_account() -> String {
    "111111111111".into()
}

fn default_timeout() -> u64 {
    3
}

/// Lambda's longest function timeout.
pub const MAX_LAMBDA_TIMEOUT_SECONDS: u64 = 900;

impl Config {
    /// Reads `path`; relative `cwd`s are taken from the file's folder.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        let base = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Config::parse(&text, &base)
    }

    /// Parses TOML text; relative `cwd`s are taken from `base`, which is also the default.
    pub fn parse(text: &str, base: &Path) -> Result<Config, ConfigError> {
        let mut config: Config =
            toml::from_str(text).map_err(|e| ConfigError::Toml(e.to_string()))?;
        for (name, f) in config.lambda.functions.iter_mut() {
            let loc = |field: &str| format!("lambda.functions.{name}.{field}");
            if let Some(e) = &f.endpoint {
                if !f.command.is_empty() {
                    return Err(ConfigError::Invalid {
                        location: loc("endpoint"),
                        message: "expected either command or endpoint, not both".into(),
                    });
                }
                if crate::http_client::Url::parse(e).is_err() {
                    return Err(ConfigError::Invalid {
                        location: loc("endpoint"),
                        message: format!("expected an http:// or https:// URL, got '{e}'"),
                    });
                }
            } else if f.command.is_empty() || f.command.iter().any(String::is_empty) {
                return Err(ConfigError::Invalid {
                    location: loc("command"),
                    message: "expected a non-empty list of non-empty strings".into(),
                });
            }
            if f.timeout == 0 || f.timeout > MAX_LAMBDA_TIMEOUT_SECONDS {
                return Err(ConfigError::Invalid {
                    location: loc("timeout"),
                    message: format!(
                        "expected a number of seconds from 1 to {MAX_LAMBDA_TIMEOUT_SECONDS}"
                    ),
                });
            }
            f.cwd = Some(match f.cwd.take() {
                Some(p) if p.is_absolute() => p,
                Some(p) => base.join(p),
                None => base.to_path_buf(),
            });
        }
        if let Some(aws) = &mut config.aws {
            if let Some(f) = aws.credentials_file.take() {
                aws.credentials_file = Some(if f.is_absolute() { f } else { base.join(f) });
            }
        }
        config.http.validate()?;
        Ok(config)
    }
}
