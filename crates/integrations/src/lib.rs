//! What a Task state's `Resource` means on this host.
//!
//! - [`mock_config`] / [`MockResolver`]: Step Functions Local's mock configuration file
//!   (`StateMachines` → `TestCases`, `MockedResponses` with `"0"`, `"1-2"` invocation ranges).
//! - [`lambda_local`] / [`LocalLambdaResolver`]: Lambda functions run as local commands
//!   (payload as JSON on stdin, result as JSON on stdout), configured in `stepline.toml`.
//! - [`testing`]: runs every test case of a mock file, checks its expectations and measures
//!   coverage (states, transitions, Catch and Retry paths), for `stepline test`.
//!
//! Resolvers are synchronous (the engine's driver calls them in line); a server calls them
//! from a worker thread.

pub mod config;
pub mod lambda_local;
pub mod mock_config;
pub mod mock_resolver;
pub mod resource;
pub mod testing;

pub use config::{Config, ConfigError};
pub use lambda_local::{LambdaFunctionConfig, LocalLambdaResolver};
pub use mock_config::{MockConfig, MockConfigError};
pub use mock_resolver::{
    default_mock_config_path, mock_resolver_from_file, split_test_case_arn, MockResolver,
};
