//! What a Task state's `Resource` means on this host.
//!
//! - [`mock_config`] / [`MockResolver`]: Step Functions Local's mock configuration file
//!   (`StateMachines` → `TestCases`, `MockedResponses` with `"0"`, `"1-2"` invocation ranges).
//! - [`lambda_local`] / [`LocalLambdaResolver`]: Lambda functions run as local commands
//!   (payload as JSON on stdin, result as JSON on stdout), configured in `stepline.toml`.
//! - [`testing`]: runs every test case of a mock file, checks its expectations and measures
//!   coverage (states, transitions, Catch and Retry paths), for `stepline test`.
//!
//! - [`http_task`]: `arn:aws:states:::http:invoke`, behind a connection allow-list.
//! - [`aws`]: AWS services (optimized integrations and `aws-sdk:*`) through their real APIs,
//!   SigV4-signed, with per-service endpoints (AWS or a local stand-in).
//! - [`lambda_http`]: Lambda functions behind a Lambda Invoke API endpoint.
//! - [`Integrations`]: all of them behind one thread-safe value, for the server.
//!
//! Resolvers are synchronous (the engine's driver calls them in line); a server calls them
//! from a worker thread.

pub mod aws;
pub mod config;
pub mod dispatch;
pub mod http_client;
pub mod http_task;
pub mod lambda_http;
pub mod lambda_local;
pub mod mock_config;
pub mod mock_resolver;
pub mod resource;
pub mod testing;

pub use config::{Config, ConfigError};
pub use dispatch::{Integrations, Performed};
pub use lambda_local::{LambdaFunctionConfig, LocalLambdaResolver};
pub use mock_config::{MockConfig, MockConfigError};
pub use mock_resolver::{
    default_mock_config_path, mock_resolver_from_file, split_test_case_arn, MockResolver,
};
