//! Per-subscription handlers (`subscribe(filter, opts, handler)`): which of
//! them a message is for.
//!
//! Where subscriptions carry no identifiers (MQTT 3.1.1, or a v5 server
//! that does not allow them), a message is for every handler whose filter
//! matches its topic. On v5 that calls handlers too often: a server may send
//! one copy of a message per matching subscription, each with that
//! subscription's identifier (Mosquitto does), or one copy with the
//! identifiers of all of them [MQTT-3.3.4-4, 3.3.4-5]. So where identifiers
//! are allowed, the session sends each handler's filter in a SUBSCRIBE of
//! its own with an identifier of its own, and a handler is called for a
//! copy only when the copy carries the identifier of the handler's first
//! matching filter: once per message, whichever way the server sends it.

use super::TopicTrie;
use crate::codec::MAX_VARINT;
use alloc::vec::Vec;

/// Names an application's message handler; the driver keeps the handler.
/// One handler given to several `subscribe` calls keeps one id, so that it
/// is called once per message across them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandlerId(pub u32);

/// The Subscription Identifiers the client assigns for handlers: the top
/// 65,536 of the range. An application's own identifiers must be below it;
/// they are routed on as given, and the client's own are never reported.
pub const CLIENT_IDENTIFIERS: core::ops::RangeInclusive<u32> = (MAX_VARINT - 0xFFFF)..=MAX_VARINT;

#[derive(Debug, PartialEq)]
struct Route {
    handler: HandlerId,
    /// Order of insertion: a handler's first matching filter is the one
    /// with the lowest.
    seq: u64,
    /// The identifier the filter's subscription was last sent with.
    identifier: Option<u32>,
}

#[derive(Debug, Default)]
pub(super) struct Routes {
    trie: TopicTrie<Route>,
    next_seq: u64,
    next_identifier: u32,
}

impl Routes {
    /// Routes `filters` to `handler`; returns the sequence number of the
    /// first, the others following in order.
    pub(super) fn insert<'a>(&mut self, filters: impl Iterator<Item = &'a str>, handler: HandlerId) -> u64 {
        let first = self.next_seq;
        for filter in filters {
            self.trie.insert(filter, Route { handler, seq: self.next_seq, identifier: None });
            self.next_seq += 1;
        }
        first
    }

    /// Removes the route numbered `seq` (its subscription was refused or failed).
    pub(super) fn remove(&mut self, filter: &str, seq: u64) {
        self.trie.remove_where(filter, |r| r.seq == seq);
    }

    /// Removes every route of `filter` (it was unsubscribed).
    pub(super) fn remove_filter(&mut self, filter: &str) {
        self.trie.remove_where(filter, |_| true);
    }

    /// Whether any route still leads to `handler`.
    pub(super) fn contains(&self, handler: HandlerId) -> bool {
        let mut found = false;
        self.trie.for_each_value(|r| found |= r.handler == handler);
        found
    }

    /// A SUBSCRIBE for `filter` went out with `identifier`: the server's
    /// copies for it will carry that one from now on [MQTT-3.8.4-3].
    pub(super) fn sent(&mut self, filter: &str, identifier: Option<u32>) {
        self.trie.for_each_at(filter, |r| r.identifier = identifier);
    }

    /// An identifier of the client's range that no route uses, if any.
    pub(super) fn new_identifier(&mut self) -> Option<u32> {
        for _ in CLIENT_IDENTIFIERS {
            let id = CLIENT_IDENTIFIERS.start() + (self.next_identifier & 0xFFFF);
            self.next_identifier = self.next_identifier.wrapping_add(1);
            let mut used = false;
            self.trie.for_each_value(|r| used |= r.identifier == Some(id));
            if !used {
                return Some(id);
            }
        }
        None
    }

    /// Appends to `out` the handlers a message copy is for: `identifiers`
    /// are the copy's Subscription Identifiers (read from its properties
    /// as they are needed, not collected for each message).
    pub(super) fn handlers_for(
        &self,
        topic: &str,
        identifiers: impl Iterator<Item = u32> + Clone,
        out: &mut Vec<HandlerId>,
    ) {
        // Each handler's first matching route, kept in order of `seq` (a
        // few handlers at most: an insertion beats pulling in a sort).
        let mut first: Vec<&Route> = Vec::new();
        self.trie.for_each_match(topic, |r| {
            if let Some(i) = first.iter().position(|f| f.handler == r.handler) {
                if first[i].seq < r.seq {
                    return;
                }
                first.remove(i);
            }
            let at = first.iter().position(|f| f.seq > r.seq).unwrap_or(first.len());
            first.insert(at, r);
        });
        // A route without an identifier is for the copy without any (its
        // subscription's own, on a server sending one copy per subscription).
        let carries = |r: &Route| {
            r.identifier.map_or(identifiers.clone().next().is_none(), |id| identifiers.clone().any(|i| i == id))
        };
        out.extend(first.into_iter().filter(|r| carries(r)).map(|r| r.handler));
    }
}

/// Whether the client assigned `identifier` (the application never sees it).
pub(super) fn is_clients(identifier: u32) -> bool {
    CLIENT_IDENTIFIERS.contains(&identifier)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handlers(r: &Routes, topic: &str, ids: &[u32]) -> Vec<u32> {
        let mut out = Vec::new();
        r.handlers_for(topic, ids.iter().copied(), &mut out);
        out.into_iter().map(|h| h.0).collect()
    }

    #[test]
    fn without_identifiers_every_matching_handler_once_per_copy() {
        let mut r = Routes::default();
        r.insert(["b/a/temp"].into_iter(), HandlerId(1));
        r.insert(["b/+/temp", "b/#"].into_iter(), HandlerId(2));
        assert_eq!(handlers(&r, "b/a/temp", &[]), [1, 2]);
        assert_eq!(handlers(&r, "b/x", &[]), [2]);
    }

    #[test]
    fn with_identifiers_a_handler_takes_the_copy_of_its_first_matching_filter() {
        let mut r = Routes::default();
        r.insert(["b/a/temp"].into_iter(), HandlerId(1));
        let seq = r.insert(["b/+/temp", "b/#"].into_iter(), HandlerId(2));
        assert_eq!(seq, 1);
        r.sent("b/a/temp", Some(10));
        r.sent("b/+/temp", Some(11));
        r.sent("b/#", Some(12));
        // One copy per subscription (Mosquitto).
        assert_eq!(handlers(&r, "b/a/temp", &[10]), [1]);
        assert_eq!(handlers(&r, "b/a/temp", &[11]), [2]);
        assert_eq!(handlers(&r, "b/a/temp", &[12]), Vec::<u32>::new(), "handler 2 took the copy of b/+/temp");
        // One copy for all.
        assert_eq!(handlers(&r, "b/a/temp", &[12, 10, 11]), [1, 2]);
        // Only b/# matches: its copy is handler 2's.
        assert_eq!(handlers(&r, "b/x", &[12]), [2]);
        // A copy of a subscription without identifier calls no routed handler.
        assert_eq!(handlers(&r, "b/a/temp", &[]), Vec::<u32>::new());
    }

    #[test]
    fn a_filter_subscribed_again_carries_its_new_identifier_for_all_its_handlers() {
        let mut r = Routes::default();
        r.insert(["a/#"].into_iter(), HandlerId(1));
        r.sent("a/#", Some(5));
        r.insert(["a/#"].into_iter(), HandlerId(2));
        r.sent("a/#", Some(6));
        assert_eq!(handlers(&r, "a/b", &[6]), [1, 2]);
        assert_eq!(handlers(&r, "a/b", &[5]), Vec::<u32>::new());
        r.sent("a/#", None);
        assert_eq!(handlers(&r, "a/b", &[]), [1, 2], "a plain subscribe of the filter took the identifier away");
    }

    #[test]
    fn removal_and_identifiers_in_use() {
        let mut r = Routes::default();
        let seq = r.insert(["x", "y"].into_iter(), HandlerId(3));
        let id = r.new_identifier().unwrap();
        assert!(is_clients(id));
        r.sent("x", Some(id));
        assert_ne!(r.new_identifier(), Some(id));
        r.remove("x", seq);
        assert!(r.contains(HandlerId(3)), "y still routes to it");
        r.remove_filter("y");
        assert!(!r.contains(HandlerId(3)));
        assert_eq!(handlers(&r, "x", &[id]), Vec::<u32>::new());
    }
}
