//! Glue between the built-ins and the picture-string module (`crate::format`).

use std::sync::Arc;

use crate::error::Err;
use crate::format::{self, DecimalFormat, FormatError};

fn conv(e: FormatError) -> Err {
    Err::new(e.code).msg(e.message)
}

fn millis_i64(m: f64) -> Result<i64, Err> {
    // JavaScript Dates hold at most ±8.64e15 ms; beyond that toISOString throws.
    if !m.is_finite() || m.abs() > 8.64e15 {
        return Err(Err::new("D1001").value_num(m));
    }
    Ok(m.trunc() as i64)
}

pub fn from_millis(
    m: f64,
    picture: Option<&str>,
    tz: Option<&str>,
) -> Result<Option<Arc<str>>, Err> {
    let ms = millis_i64(m)?;
    format::format_datetime(ms, picture, tz)
        .map(|s| Some(Arc::from(s)))
        .map_err(conv)
}

pub fn to_millis(text: &str, picture: Option<&str>, now: i64) -> Result<Option<f64>, Err> {
    format::parse_datetime_at(text, picture, now)
        .map(|r| r.map(|v| v as f64))
        .map_err(conv)
}

pub fn format_number(
    v: f64,
    picture: &str,
    opts: &[(String, String)],
) -> Result<Option<Arc<str>>, Err> {
    let df = DecimalFormat::from_options(opts).map_err(conv)?;
    format::format_number(v, picture, &df)
        .map(|s| Some(Arc::from(s)))
        .map_err(conv)
}

pub fn format_integer(v: f64, picture: &str) -> Result<Option<Arc<str>>, Err> {
    format::format_integer(v, picture)
        .map(|s| Some(Arc::from(s)))
        .map_err(conv)
}

pub fn parse_integer(text: &str, picture: &str) -> Result<Option<f64>, Err> {
    format::parse_integer(text, picture).map_err(conv)
}
