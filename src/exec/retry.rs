//! Retrying a step that gave up waiting for a lock: how many times, how long between
//! attempts, and when to stop. Pure: the executor sleeps and runs.
//!
//! A migration statement queued behind another session's lock makes every later query on
//! that table queue behind it, so each statement waits only a short `lock_timeout`; a step
//! that fails on it (PostgreSQL's SQLSTATE 55P03) was rolled back whole and is run again
//! after a jittered, growing pause, so the application gets the table back between attempts.

use std::time::Duration;

/// When and how often a step that timed out on a lock is run again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockRetryPolicy {
    /// Attempts after the first; 0 never retries.
    pub retries: u32,
    /// No attempt starts later than this after the first one started.
    pub limit: Duration,
    /// The pause before the first retry, doubled for each one after it.
    pub first_pause: Duration,
    /// The longest pause.
    pub max_pause: Duration,
}

impl Default for LockRetryPolicy {
    /// Twenty retries within two minutes, pausing about 0.25 s, 0.5 s, 1 s, then 1 to 2 s
    /// each (half a minute or so in all): a step queued behind a report runs within 2 s of its end, and the
    /// application waits behind each attempt for one lock timeout at most. Longer pauses
    /// overshot: under load, a step behind an 8 s report ran 4 to 6 s after it ended
    /// (`make bench-locks`).
    fn default() -> LockRetryPolicy {
        LockRetryPolicy {
            retries: DEFAULT_RETRIES,
            limit: DEFAULT_LIMIT,
            first_pause: Duration::from_millis(250),
            max_pause: Duration::from_secs(2),
        }
    }
}

pub const DEFAULT_RETRIES: u32 = 20;
pub const DEFAULT_LIMIT: Duration = Duration::from_secs(120);

impl LockRetryPolicy {
    /// The pause before retry number `retry` (1 for the first), or `None` when the policy
    /// allows no more: the count is used up, or the pause would end past the limit
    /// `elapsed` after the first attempt started. `jitter` in [0, 1) picks the pause in
    /// the upper half of its doubling window, so concurrent runs do not retry in step.
    pub fn pause(&self, retry: u32, elapsed: Duration, jitter: f64) -> Option<Duration> {
        if retry == 0 || retry > self.retries {
            return None;
        }
        let doubled = self
            .first_pause
            .saturating_mul(1u32.checked_shl(retry - 1).unwrap_or(u32::MAX));
        let window = doubled.min(self.max_pause);
        let pause = window.mul_f64(0.5 + jitter.clamp(0.0, 1.0) / 2.0);
        (elapsed + pause <= self.limit).then_some(pause)
    }
}

/// The retries of the step a run retries (each step has a budget of its own).
#[derive(Debug, Default)]
pub(crate) struct LockRetries {
    /// The revision of the step retried.
    pub revision: Option<String>,
    /// Retries done so far.
    pub done: u32,
    /// When the step's first attempt started.
    pub started: Option<std::time::Instant>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_double_within_their_window_and_stop_at_the_count_or_the_limit() {
        let policy = LockRetryPolicy::default();
        let millis = |jitter: f64| -> Vec<u128> {
            (1..=6)
                .map(|retry| {
                    policy
                        .pause(retry, Duration::ZERO, jitter)
                        .unwrap()
                        .as_millis()
                })
                .collect()
        };
        assert_eq!(
            millis(0.0),
            [125, 250, 500, 1000, 1000, 1000],
            "half the window at the least"
        );
        assert_eq!(
            millis(0.999),
            [249, 499, 999, 1999, 1999, 1999],
            "under the window"
        );
        assert_eq!(
            policy.pause(20, Duration::ZERO, 0.999),
            Some(Duration::from_millis(1999)),
            "capped at max_pause"
        );
        assert_eq!(
            policy.pause(21, Duration::ZERO, 0.0),
            None,
            "twenty retries"
        );
        assert_eq!(policy.pause(0, Duration::ZERO, 0.0), None);
        assert_eq!(
            policy.pause(2, Duration::from_millis(119_800), 0.9),
            None,
            "past the limit"
        );
        let never = LockRetryPolicy {
            retries: 0,
            ..policy
        };
        assert_eq!(never.pause(1, Duration::ZERO, 0.0), None);
    }
}
