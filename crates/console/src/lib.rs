//! Stepline's web console: a single-page app embedded in the binary, served next to the Step
//! Functions API, plus the state machine graph layout shared with `stepline graph`.
//!
//! The page talks to the server only through the public Step Functions API (POST / with
//! `X-Amz-Target`), so it works against any server speaking that API. The one console-specific
//! endpoint is `POST /console/layout`, so the browser draws exactly the layout Rust computes.

pub mod layout;
mod web;

pub use web::{mount, router};
