//! The filters the server granted, kept to re-subscribe after a reconnect
//! that lost the session, and to tell which subscriptions a message matched.

use crate::codec::topic;
use crate::codec::{QoS, ReasonCode, SubscriptionOptions};
use alloc::{string::String, vec::Vec};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) filter: String,
    pub(crate) options: SubscriptionOptions,
    /// The v5 Subscription Identifier it was made with.
    pub(crate) identifier: Option<u32>,
}

/// Granted subscriptions in the order they were first made. A filter
/// appears once: subscribing again replaces its options [MQTT-3.8.4-3].
#[derive(Debug, Default)]
pub(crate) struct Registry {
    entries: Vec<Entry>,
}

impl Registry {
    /// Records a filter the server granted with `reason` (a granted QoS).
    pub(crate) fn granted(&mut self, mut entry: Entry, reason: ReasonCode) {
        entry.options.qos = match reason {
            ReasonCode::GrantedQoS1 => QoS::AtLeastOnce,
            ReasonCode::GrantedQoS2 => QoS::ExactlyOnce,
            _ => QoS::AtMostOnce,
        };
        match self.entries.iter_mut().find(|e| e.filter == entry.filter) {
            Some(existing) => *existing = entry,
            None => self.entries.push(entry),
        }
    }

    pub(crate) fn remove(&mut self, filter: &str) {
        self.entries.retain(|e| e.filter != filter);
    }

    pub(crate) fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Whether any subscription matches `topic_name`.
    pub(crate) fn matches(&self, topic_name: &str) -> bool {
        self.entries.iter().any(|e| topic::matches(&e.filter, topic_name))
    }
}
