//! Time as the engine sees it: instants passed in from outside, never read from a clock.

use chrono::{DateTime, SecondsFormat, Utc};

/// Milliseconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn from_millis(ms: i64) -> Self {
        Timestamp(ms)
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    /// Seconds since the epoch, as the AWS JSON protocol encodes timestamps.
    pub fn as_epoch_seconds(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    pub fn plus_seconds(self, seconds: u64) -> Self {
        let ms = i64::try_from(seconds)
            .unwrap_or(i64::MAX / 2)
            .saturating_mul(1000);
        Timestamp(self.0.saturating_add(ms))
    }

    pub fn plus_millis(self, ms: i64) -> Self {
        Timestamp(self.0.saturating_add(ms))
    }

    /// ISO-8601 with milliseconds and `Z`, as the Context object shows times
    /// (`$$.Execution.StartTime`, `$$.State.EnteredTime`).
    pub fn to_iso8601(self) -> String {
        match DateTime::<Utc>::from_timestamp_millis(self.0) {
            Some(dt) => dt.to_rfc3339_opts(SecondsFormat::Millis, true),
            None => String::new(),
        }
    }

    /// Parses an RFC 3339 timestamp as Wait's `Timestamp` fields accept it.
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|dt| Timestamp(dt.with_timezone(&Utc).timestamp_millis()))
    }
}
