//! Packet identifiers in use, as a bitset over the whole 16-bit space.
//!
//! An identifier is in use from the moment a PUBLISH (QoS > 0), SUBSCRIBE
//! or UNSUBSCRIBE takes it until its final acknowledgement
//! [MQTT-2.2.1-3]; allocation skips identifiers in use and wraps from 65535
//! to 1, so a long-lived session never reuses one that is still in flight.

use crate::codec::PacketId;
use alloc::boxed::Box;

const WORDS: usize = 65536 / 64;

#[derive(Clone)]
pub(crate) struct PidSet {
    bits: Box<[u64; WORDS]>,
    len: usize,
}

impl core::fmt::Debug for PidSet {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PidSet").field("len", &self.len).finish()
    }
}

impl Default for PidSet {
    fn default() -> Self {
        Self { bits: Box::new([0; WORDS]), len: 0 }
    }
}

impl PidSet {
    fn slot(pid: PacketId) -> (usize, u64) {
        let v = usize::from(pid.get());
        (v / 64, 1u64 << (v % 64))
    }

    pub(crate) fn contains(&self, pid: PacketId) -> bool {
        let (word, bit) = Self::slot(pid);
        self.bits[word] & bit != 0
    }

    /// Returns false if it was already there.
    pub(crate) fn insert(&mut self, pid: PacketId) -> bool {
        let (word, bit) = Self::slot(pid);
        let fresh = self.bits[word] & bit == 0;
        self.bits[word] |= bit;
        self.len += usize::from(fresh);
        fresh
    }

    /// Returns false if it was not there.
    pub(crate) fn remove(&mut self, pid: PacketId) -> bool {
        let (word, bit) = Self::slot(pid);
        let present = self.bits[word] & bit != 0;
        self.bits[word] &= !bit;
        self.len -= usize::from(present);
        present
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn clear(&mut self) {
        self.bits.fill(0);
        self.len = 0;
    }
}

/// Hands out identifiers that are not in use.
#[derive(Debug, Default, Clone)]
pub(crate) struct PidAllocator {
    used: PidSet,
    last: Option<PacketId>,
}

impl PidAllocator {
    /// The next free identifier after the last one handed out, or `None`
    /// when all 65,535 are in flight.
    pub(crate) fn allocate(&mut self) -> Option<PacketId> {
        if self.used.len() >= usize::from(u16::MAX) {
            return None;
        }
        let mut pid = self.last.map_or(PacketId::MIN, PacketId::next);
        while self.used.contains(pid) {
            pid = pid.next();
        }
        self.used.insert(pid);
        self.last = Some(pid);
        Some(pid)
    }

    /// Whether `pid` is in use.
    pub(crate) fn is_used(&self, pid: PacketId) -> bool {
        self.used.contains(pid)
    }

    /// Marks `pid` in use (a restored session); false if it already was.
    pub(crate) fn reserve(&mut self, pid: PacketId) -> bool {
        self.used.insert(pid)
    }

    pub(crate) fn release(&mut self, pid: PacketId) {
        self.used.remove(pid);
    }

    pub(crate) fn clear(&mut self) {
        self.used.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocation_skips_identifiers_in_flight_and_wraps() {
        let mut pids = PidAllocator::default();
        let first = pids.allocate().unwrap();
        assert_eq!(first.get(), 1);
        for _ in 2..=65535u32 {
            pids.allocate().unwrap();
        }
        assert_eq!(pids.allocate(), None, "all 65535 in flight");
        pids.release(PacketId::new(7).unwrap());
        assert_eq!(pids.allocate().map(PacketId::get), Some(7), "wraps and finds the one free id");
        pids.release(PacketId::new(3).unwrap());
        pids.release(PacketId::new(9).unwrap());
        assert_eq!(pids.allocate().map(PacketId::get), Some(9), "continues after the last one handed out");
    }
}
