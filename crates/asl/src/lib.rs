//! The Amazon States Language, as AWS Step Functions runs it.
//!
//! Pure: no I/O, no async, no clocks. Everything here takes its inputs as values and returns
//! values or errors worded as AWS words them, so the engine, the server and the CLI share one
//! faithful model of the language.

pub mod choice;
pub mod error;
pub mod intrinsics;
pub mod jsonpath;
pub mod model;
pub mod parse;
pub mod template;
pub mod validate;
