//! Time as the session sees it: milliseconds on a monotonic clock that the
//! caller reads. The session never reads a clock itself, which is what lets
//! the tests drive it with simulated time.

use core::ops::Add;
use core::time::Duration;

/// A point in time, in milliseconds since an origin the caller chooses
/// (the browser driver uses `performance.now()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(u64);

impl Instant {
    pub const fn from_millis(ms: u64) -> Self {
        Self(ms)
    }

    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// How long after `earlier` this is; zero if it is not after.
    pub fn saturating_since(self, earlier: Instant) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;

    /// Saturates instead of overflowing: a deadline beyond `u64::MAX` ms is never.
    fn add(self, d: Duration) -> Instant {
        Instant(self.0.saturating_add(whole_millis(d)))
    }
}

/// `d` in whole milliseconds, saturating at `u64::MAX`. Not
/// `Duration::as_millis`: its `u128` brings 128-bit arithmetic into the
/// `.wasm`.
pub fn whole_millis(d: Duration) -> u64 {
    d.as_secs().saturating_mul(1000).saturating_add(u64::from(d.subsec_millis()))
}
