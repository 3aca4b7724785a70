//! Durations as rmig's options and `rmig.toml` write them (`--lock-timeout`,
//! `--statement-timeout`, `lock_timeout`, `statement_timeout`): a number with `ms`, `s`, `min`
//! or `h` (a bare number is seconds), e.g. `500ms`, `30s`, `1.5min`.
//!
//! Read with integer arithmetic that is checked at every step, into whole milliseconds between
//! [`MIN`] and [`MAX`]: a value past `u64` once panicked in `Duration::from_secs_f64`, and one
//! over 596 hours in SQLite's busy timeout (issue 15). Zero is refused rather than passed on:
//! PostgreSQL reads `lock_timeout = 0` as "no limit" while the run lock would not wait at all,
//! so no single meaning fits both.
//!
//! Not the `humantime` crate (2.4.0 evaluated): its `parse_duration` reads no bare number and
//! no `.5s`, refuses as an overflow a fraction that is not a whole number of its unit's step
//! (`0.3333h`, `0.0000001h`), and accepts what rmig refuses (`5 days`, `1y`, `1m`, `3 0s` as
//! 30 s). A wrapper that keeps this module's behaviour keeps this reader whole for single
//! values and must split compound ones (`1h 30min`) itself to check their units, after which
//! summing them needs no crate: 117 lines of code against these 75, and one crate more.

use std::time::Duration;

/// The shortest timeout: 1 ms.
pub const MIN: Duration = Duration::from_millis(1);

/// The longest timeout: `i32::MAX` milliseconds (about 24.8 days), the most PostgreSQL's
/// `lock_timeout` and `statement_timeout` and SQLite's busy timeout hold.
pub const MAX: Duration = Duration::from_millis(i32::MAX as u64);

/// Why a duration was refused; each message quotes the text as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("'{text}' is not a duration; write e.g. 500ms, 30s, 5min or 1h")]
    NotANumber { text: String },
    #[error("'{unit}' in '{text}' is not a unit; use ms, s, min or h")]
    UnknownUnit { text: String, unit: String },
    #[error("'{text}' is less than 1 ms; write at least 1ms (0 would mean no limit on PostgreSQL but no wait for the run lock)")]
    TooShort { text: String },
    #[error("'{text}' is longer than {} ms (about 24 days), the longest timeout PostgreSQL and SQLite take", MAX.as_millis())]
    TooLong { text: String },
}

/// Parses a duration into whole milliseconds (finer fractions are dropped), from [`MIN`] to
/// [`MAX`].
pub fn parse(text: &str) -> Result<Duration, DurationError> {
    let trimmed = text.trim();
    let not_a_number = || DurationError::NotANumber {
        text: trimmed.to_string(),
    };
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() || fraction.contains('.') {
        return Err(not_a_number());
    }
    let unit_ms: u128 = match unit.trim() {
        "ms" => 1,
        "" | "s" => 1_000,
        "min" => 60_000,
        "h" => 3_600_000,
        other => {
            return Err(DurationError::UnknownUnit {
                text: trimmed.to_string(),
                unit: other.to_string(),
            })
        }
    };
    let too_long = || DurationError::TooLong {
        text: trimmed.to_string(),
    };
    // Digits past what can matter are not read: leading zeros of the whole part are skipped,
    // and any whole part of more than 12 significant digits is over MAX in every unit.
    let whole = whole.trim_start_matches('0');
    if whole.len() > 12 {
        return Err(too_long());
    }
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| not_a_number())?
    };
    // A unit is at most 3,600,000 ms, so seven fraction digits reach below a millisecond.
    let fraction_digits = &fraction[..fraction.len().min(7)];
    let mut fraction_ms: u128 = 0;
    let mut scale: u128 = 1;
    for digit in fraction_digits.bytes() {
        fraction_ms = fraction_ms * 10 + u128::from(digit - b'0');
        scale *= 10;
    }
    let millis = whole
        .checked_mul(unit_ms)
        .and_then(|ms| ms.checked_add(fraction_ms * unit_ms / scale))
        .ok_or_else(too_long)?;
    if millis > MAX.as_millis() {
        return Err(too_long());
    }
    if millis < MIN.as_millis() {
        return Err(DurationError::TooShort {
            text: trimmed.to_string(),
        });
    }
    Ok(Duration::from_millis(millis as u64))
}

/// A duration given through the library API, brought into [`MIN`]..=[`MAX`] (a zero
/// `Duration` waits 1 ms, as `--lock-timeout 1ms` does).
pub fn clamp(duration: Duration) -> Duration {
    duration.clamp(MIN, MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse("30").unwrap(), Duration::from_secs(30));
        assert_eq!(parse("5min").unwrap(), Duration::from_secs(300));
        assert_eq!(parse("5 min").unwrap(), Duration::from_secs(300));
        assert_eq!(parse("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse(".5s").unwrap(), Duration::from_millis(500));
        assert_eq!(parse("1.0019s").unwrap(), Duration::from_millis(1001));
        assert_eq!(parse("0.25h").unwrap(), Duration::from_secs(900));
        assert_eq!(parse("1ms").unwrap(), MIN);
        assert_eq!(parse("2147483647ms").unwrap(), MAX);
        assert!(parse("soon").unwrap_err().to_string().contains("soon"));
        assert!(parse("5 days").unwrap_err().to_string().contains("days"));
        for bad in ["", ".", "1.2.3", "-1", "1e3", "nan", "inf"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn huge_durations_are_refused_not_a_panic() {
        for text in [
            "99999999999999999999999h",
            "99999999999999999999999",
            "340282366920938463463374607431768211456ms",
            "597h",
            "2147483648ms",
            "596.6h",
            &format!("{}s", "9".repeat(10_000)),
        ] {
            assert!(
                matches!(parse(text), Err(DurationError::TooLong { .. })),
                "{text}: {:?}",
                parse(text)
            );
        }
        assert_eq!(
            parse("000000000000000000000001s").unwrap(),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn a_zero_timeout_is_refused() {
        for text in ["0", "0ms", "0.0s", "0.9ms", "0.0000001h", "00"] {
            assert!(
                matches!(parse(text), Err(DurationError::TooShort { .. })),
                "{text}: {:?}",
                parse(text)
            );
        }
    }

    #[test]
    fn library_durations_are_clamped() {
        assert_eq!(clamp(Duration::ZERO), MIN);
        assert_eq!(clamp(Duration::MAX), MAX);
        assert_eq!(clamp(Duration::from_secs(5)), Duration::from_secs(5));
    }
}
