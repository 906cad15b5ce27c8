//! The session's timers: a fixed table of deadlines, one per purpose, as in
//! quinn-proto's `TimerTable`. The transport arms a single host timer for
//! the earliest deadline and calls `Session::handle_timeout` when it fires;
//! early or extra calls do nothing.

use super::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timer {
    /// The CONNACK (and any AUTH exchange before it) must arrive by then.
    ConnAck = 0,
    /// Nothing was sent for a keepalive interval: send PINGREQ.
    KeepAlive = 1,
    /// A PINGREQ went out and nothing has come back since.
    PingResp = 2,
}

const COUNT: usize = 3;
/// In the order they are handled when several expire at once: a missing
/// PINGRESP ends the connection before another PINGREQ could go out.
const ALL: [Timer; COUNT] = [Timer::ConnAck, Timer::PingResp, Timer::KeepAlive];

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

    pub(crate) fn stop_all(&mut self) {
        self.deadlines = [None; COUNT];
    }

    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.iter().flatten().min().copied()
    }

    /// Stops and returns the first timer whose deadline is at or before `now`.
    pub(crate) fn take_expired(&mut self, now: Instant) -> Option<Timer> {
        let timer = ALL.into_iter().find(|t| self.get(*t).is_some_and(|at| at <= now))?;
        self.stop(timer);
        Some(timer)
    }
}
