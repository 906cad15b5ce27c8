//! Reconnect back-off: exponential, capped, with jitter supplied by the
//! caller (the core has no randomness source, so tests pass fixed values).

use core::time::Duration;

/// Settings of the reconnect schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first step; zero disables automatic reconnect.
    pub base: Duration,
    /// No delay exceeds this.
    pub max: Duration,
}

impl Backoff {
    /// The delay before reconnect attempt `attempt` (1 for the first):
    /// `base * 2^(attempt-1)`, capped at `max`, then scaled into
    /// `[d/2, d)` by `jitter` in `[0, 1)` ("equal jitter"), so that many
    /// clients dropped at once do not come back in lockstep, and no delay
    /// collapses to zero.
    pub fn delay(&self, attempt: u32, jitter: f64) -> Duration {
        let exp = attempt.saturating_sub(1).min(31);
        let full = self.base.saturating_mul(1u32 << exp).min(self.max);
        let jitter = if jitter.is_finite() { jitter.clamp(0.0, 1.0) } else { 0.0 };
        // In nanoseconds, saturating: `Duration::mul_f64` may panic, and its
        // panic message is formatted with `core::fmt`.
        full / 2 + Duration::from_nanos((full.as_nanos() as f64 * jitter / 2.0) as u64)
    }

    /// Whether a connection that stayed up for `uptime` was stable enough
    /// to start the next series of attempts from the first step again.
    pub fn resets_after(&self, uptime: Duration) -> bool {
        uptime >= self.max.min(Duration::from_secs(10))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const B: Backoff = Backoff { base: Duration::from_millis(1000), max: Duration::from_millis(30_000) };

    #[test]
    fn doubles_from_the_base_and_caps_at_the_maximum() {
        let at_max_jitter: Vec<u128> = (1..=7).map(|a| B.delay(a, 0.999_999).as_millis()).collect();
        assert_eq!(at_max_jitter, [999, 1999, 3999, 7999, 15_999, 29_999, 29_999]);
        assert_eq!(B.delay(1, 0.0).as_millis(), 500);
        assert_eq!(B.delay(100, 0.0).as_millis(), 15_000, "no overflow at large attempt counts");
        assert_eq!(B.delay(3, f64::NAN).as_millis(), 2000, "bad jitter counts as none");
    }

    #[test]
    fn a_stable_connection_resets_the_series() {
        assert!(!B.resets_after(Duration::from_secs(9)));
        assert!(B.resets_after(Duration::from_secs(10)));
    }
}
