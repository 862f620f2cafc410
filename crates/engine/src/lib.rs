//! The interpreter (to be written).
