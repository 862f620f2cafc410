//! A JSONata 2.x evaluator (to be written).
pub mod format;
