//! `stepline serve`: the Step Functions API on a durable embedded store (see the `server` crate).

pub use server::cli::{main, Args};
