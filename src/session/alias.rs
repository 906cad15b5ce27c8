//! MQTT 5.0 topic aliases (section 3.3.2.3.4). Both tables live for one
//! network connection only [MQTT-3.3.2-7] and are cleared on reconnect.

use super::map::VecMap;
use crate::codec::{ByteString, ReasonCode};
use alloc::{borrow::ToOwned, string::String};

/// Aliases the server set up for the PUBLISH packets it sends us.
#[derive(Debug, Default)]
pub(crate) struct InboundAliases {
    /// Our Topic Alias Maximum, from the CONNECT properties.
    maximum: u16,
    topics: VecMap<u16, ByteString>,
}

impl InboundAliases {
    pub(crate) fn reset(&mut self, maximum: u16) {
        self.maximum = maximum;
        self.topics.clear();
    }

    /// Resolves `topic` in place: a non-empty topic with an alias (re)defines
    /// it; an empty one is looked up. An alias of 0 or above our maximum, or
    /// an unknown one, is a Topic Alias Invalid error [MQTT-3.3.2-9]
    /// [MQTT-3.3.2-10].
    pub(crate) fn resolve(&mut self, alias: u16, topic: &mut ByteString) -> Result<(), ReasonCode> {
        if alias == 0 || alias > self.maximum {
            return Err(ReasonCode::TopicAliasInvalid);
        }
        if topic.is_empty() {
            topic.clone_from(self.topics.get(&alias).ok_or(ReasonCode::TopicAliasInvalid)?);
        } else {
            self.topics.insert(alias, topic.clone());
        }
        Ok(())
    }
}

/// Aliases we assign to topics we publish to, when `auto_topic_alias` is on.
#[derive(Debug, Default)]
pub(crate) struct OutboundAliases {
    /// The server's Topic Alias Maximum from CONNACK (0: none allowed).
    maximum: u16,
    aliases: VecMap<String, u16>,
}

/// How to address a topic in the next PUBLISH.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Addressing {
    /// Full topic name, no alias.
    Topic,
    /// Full topic name, and from now on this alias means it.
    Define(u16),
    /// Empty topic name and this alias.
    Alias(u16),
}

impl OutboundAliases {
    pub(crate) fn reset(&mut self, maximum: u16) {
        self.maximum = maximum;
        self.aliases.clear();
    }

    /// Reuses the topic's alias, or assigns a new one while any are left.
    /// Aliases are never reassigned within a connection, which keeps a
    /// resent PUBLISH unambiguous.
    pub(crate) fn address(&mut self, topic: &str) -> Addressing {
        if let Some(&alias) = self.aliases.get(topic) {
            return Addressing::Alias(alias);
        }
        let used = self.aliases.len();
        if used >= usize::from(self.maximum) {
            return Addressing::Topic;
        }
        // `used < maximum <= u16::MAX`, so this fits and is at least 1.
        let alias = u16::try_from(used + 1).unwrap_or(u16::MAX);
        self.aliases.insert(topic.to_owned(), alias);
        Addressing::Define(alias)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbound_aliases_define_then_reuse_within_the_maximum() {
        let mut out = OutboundAliases::default();
        out.reset(1);
        assert_eq!(out.address("a"), Addressing::Define(1));
        assert_eq!(out.address("a"), Addressing::Alias(1));
        assert_eq!(out.address("b"), Addressing::Topic);
        out.reset(0);
        assert_eq!(out.address("a"), Addressing::Topic);
    }

    #[test]
    fn inbound_alias_must_be_defined_and_in_range() {
        let mut inbound = InboundAliases::default();
        inbound.reset(2);
        let mut t = ByteString::new();
        assert_eq!(inbound.resolve(1, &mut t), Err(ReasonCode::TopicAliasInvalid));
        let mut t = ByteString::from("x/y");
        inbound.resolve(1, &mut t).unwrap();
        let mut t = ByteString::new();
        inbound.resolve(1, &mut t).unwrap();
        assert_eq!(t, "x/y");
        let mut t = ByteString::from("z");
        assert_eq!(inbound.resolve(3, &mut t), Err(ReasonCode::TopicAliasInvalid));
    }
}
