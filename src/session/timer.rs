//! The session's timers: a fixed table of deadlines, one per purpose, as in
//! quinn-proto's `TimerTable`. The transport arms a single host timer for
//! the earliest deadline and calls `Client::handle_timeout` when it fires;
//! early or extra calls do nothing. The three connection timers belong to
//! the [`Session`](super::Session); `Reconnect` to the
//! [`Client`](super::Client) above it, in the same table so that one
//! deadline covers both.

use super::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timer {
    /// The CONNACK (and any AUTH exchange before it) must arrive by then.
    ConnAck = 0,
    /// Nothing was sent for a keepalive interval: send PINGREQ.
    KeepAlive = 1,
    /// A PINGREQ went out and nothing has come back since.
    PingResp = 2,
    /// The back-off before the next connection attempt is over.
    Reconnect = 3,
}

const COUNT: usize = 4;
/// The timers of one connection, in the order they are handled when several
/// expire at once: a missing PINGRESP ends the connection before another
/// PINGREQ could go out.
const CONNECTION: [Timer; 3] = [Timer::ConnAck, Timer::PingResp, Timer::KeepAlive];

#[derive(Debug, Default, Clone)]
pub(crate) struct TimerTable {
    deadlines: [Option<Instant>; COUNT],
}

impl TimerTable {
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        self.deadlines[timer as usize] = Some(at);
    }

    pub(crate) fn stop(&mut self, timer: Timer) {
        self.deadlines[timer as usize] = None;
    }

    pub(crate) fn get(&self, timer: Timer) -> Option<Instant> {
        self.deadlines[timer as usize]
    }

    /// Stops the timers of the connection; `Reconnect` stays.
    pub(crate) fn stop_connection(&mut self) {
        for t in CONNECTION {
            self.stop(t);
        }
    }

    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.iter().flatten().min().copied()
    }

    /// Stops and returns the first connection timer whose deadline is at or
    /// before `now`.
    pub(crate) fn take_expired(&mut self, now: Instant) -> Option<Timer> {
        let timer = CONNECTION.into_iter().find(|t| self.get(*t).is_some_and(|at| at <= now))?;
        self.stop(timer);
        Some(timer)
    }

    /// Stops `timer` and says whether it had expired by `now`.
    pub(crate) fn take(&mut self, timer: Timer, now: Instant) -> bool {
        let expired = self.get(timer).is_some_and(|at| at <= now);
        if expired {
            self.stop(timer);
        }
        expired
    }
}
