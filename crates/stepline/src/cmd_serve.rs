//! `stepline serve`: the Step Functions API on a durable embedded store (SQLite), or as one of
//! several nodes sharing a PostgreSQL database (`--store postgres://...` or `STEPLINE_STORE`;
//! see `server::cluster`).

pub use server::cli::{main, Args};
