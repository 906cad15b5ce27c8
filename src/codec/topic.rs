//! Topic names, topic filters and matching (MQTT 5.0 section 4.7, shared
//! subscriptions 4.8.2).

use crate::text;

/// Why a topic name or filter is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TopicError {
    /// Empty [MQTT-4.7.3-1].
    Empty,
    /// Longer than 65,535 bytes of UTF-8.
    TooLong,
    /// Contains U+0000 [MQTT-4.7.3-2].
    Nul,
    /// A topic name with `+` or `#` [MQTT-4.7.0-1].
    Wildcard,
    /// `#` not alone in the last level, or `+` not alone in its level
    /// [MQTT-4.7.1-1] [MQTT-4.7.1-2].
    MisplacedWildcard,
    /// `$share/` without a share name, with a wildcard or `/` in the share
    /// name, or without a filter after it [MQTT-4.8.2-1] [MQTT-4.8.2-2].
    InvalidShare,
}

impl TopicError {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Empty => "topic is empty",
            Self::TooLong => "topic is longer than 65535 bytes",
            Self::Nul => "topic contains U+0000",
            Self::Wildcard => "topic name contains a wildcard",
            Self::MisplacedWildcard => "wildcard not alone in its level, or # not last",
            Self::InvalidShare => "invalid shared subscription filter",
        }
    }
}

impl core::fmt::Display for TopicError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::error::Error for TopicError {}

fn check_common(s: &str) -> Result<(), TopicError> {
    if s.is_empty() {
        Err(TopicError::Empty)
    } else if s.len() > super::wire::MAX_FIELD_LEN {
        Err(TopicError::TooLong)
    } else {
        Ok(())
    }
}

/// Checks a topic name for PUBLISH: non-empty, no wildcards.
pub fn validate_topic_name(topic: &str) -> Result<(), TopicError> {
    check_common(topic)?;
    match scan_name(topic.as_bytes()) {
        NameScan { nul: true, .. } => Err(TopicError::Nul),
        NameScan { wildcard: true, .. } => Err(TopicError::Wildcard),
        _ => Ok(()),
    }
}

/// What a topic name's bytes hold that the rules forbid.
pub(crate) struct NameScan {
    pub(crate) nul: bool,
    pub(crate) wildcard: bool,
}

/// One branch-free pass over a topic name or filter, so that it
/// vectorises: it runs for every PUBLISH in both directions, and as a
/// byte-by-byte loop with early exits it was a quarter of decoding a small
/// one and half of encoding it.
pub(crate) fn scan_name(bytes: &[u8]) -> NameScan {
    let nul = bytes.iter().fold(false, |seen, &b| seen | (b == 0));
    let wildcard = bytes.iter().fold(false, |seen, &b| seen | (b == b'+') | (b == b'#'));
    NameScan { nul, wildcard }
}

/// Checks a topic filter for SUBSCRIBE and UNSUBSCRIBE, shared ones included.
pub fn validate_topic_filter(filter: &str) -> Result<(), TopicError> {
    check_common(filter)?;
    let NameScan { nul, wildcard } = scan_name(filter.as_bytes());
    if nul {
        return Err(TopicError::Nul);
    }
    let filter = match split_shared(filter) {
        Some(Ok((_, inner))) => inner,
        Some(Err(e)) => return Err(e),
        None => filter,
    };
    if !wildcard {
        return Ok(());
    }
    // A wildcard must fill its level: `/` (or an end) on both sides, and `#`
    // must be the last character.
    let bytes = filter.as_bytes();
    let mut prev = b'/';
    for (i, &b) in bytes.iter().enumerate() {
        let next = bytes.get(i + 1).copied().unwrap_or(b'/');
        let misplaced = match b {
            b'#' => prev != b'/' || i + 1 != bytes.len(),
            b'+' => prev != b'/' || next != b'/',
            _ => false,
        };
        if misplaced {
            return Err(TopicError::MisplacedWildcard);
        }
        prev = b;
    }
    Ok(())
}

/// Splits `$share/{ShareName}/{filter}` into its share name and filter.
/// `None` when `filter` is not a shared subscription.
pub fn split_shared(filter: &str) -> Option<Result<(&str, &str), TopicError>> {
    let rest = filter.strip_prefix("$share/")?;
    Some(match text::split_once(rest, b'/') {
        Some((share, inner)) if !share.is_empty() && !scan_name(share.as_bytes()).wildcard && !inner.is_empty() => {
            Ok((share, inner))
        }
        _ => Err(TopicError::InvalidShare),
    })
}

/// Does `filter` match `topic`? Both are assumed valid. A shared filter
/// matches as its inner filter. Wildcards in the first level never match a
/// topic starting with `$` [MQTT-4.7.2-1].
pub fn matches(filter: &str, topic: &str) -> bool {
    let filter = match split_shared(filter) {
        Some(Ok((_, inner))) => inner,
        Some(Err(_)) => return false,
        None => filter,
    };
    if topic.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#')) {
        return false;
    }
    let mut f = text::split(filter, b'/');
    let mut t = text::split(topic, b'/');
    loop {
        match (f.next(), t.next()) {
            // `#` also matches the parent level: "a/#" matches "a".
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(fl), Some(tl)) if fl == tl => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names_refuse_wildcards_and_empty() {
        assert_eq!(validate_topic_name("a/b"), Ok(()));
        assert_eq!(validate_topic_name("/"), Ok(()));
        assert_eq!(validate_topic_name(""), Err(TopicError::Empty));
        assert_eq!(validate_topic_name("a/+"), Err(TopicError::Wildcard));
        assert_eq!(validate_topic_name("a#"), Err(TopicError::Wildcard));
        assert_eq!(validate_topic_name("a\0"), Err(TopicError::Nul));
        assert_eq!(validate_topic_name(&"x".repeat(65_536)), Err(TopicError::TooLong));
    }

    #[test]
    fn filters_place_wildcards_per_mqtt_4_7_1() {
        for ok in ["#", "+", "a/#", "a/+/b", "+/+", "/+", "$SYS/#", "a//b", "$share/g/a/#"] {
            assert_eq!(validate_topic_filter(ok), Ok(()), "{ok}");
        }
        for bad in ["a/#/b", "a#", "a/b#", "a+", "+a/b", "#/"] {
            assert_eq!(validate_topic_filter(bad), Err(TopicError::MisplacedWildcard), "{bad}");
        }
        for bad in ["$share/", "$share//a", "$share/g", "$share/g/", "$share/g+/a", "$share/#/a"] {
            assert_eq!(validate_topic_filter(bad), Err(TopicError::InvalidShare), "{bad}");
        }
    }

    #[test]
    fn matching_follows_the_spec_examples() {
        // Section 4.7.1.2.
        assert!(matches("sport/tennis/player1/#", "sport/tennis/player1"));
        assert!(matches("sport/tennis/player1/#", "sport/tennis/player1/ranking"));
        assert!(matches("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon"));
        assert!(matches("sport/#", "sport"));
        // Section 4.7.1.3.
        assert!(matches("sport/tennis/+", "sport/tennis/player1"));
        assert!(!matches("sport/tennis/+", "sport/tennis/player1/ranking"));
        assert!(!matches("sport/+", "sport"));
        assert!(matches("sport/+", "sport/"));
        assert!(matches("+/+", "/finance"));
        assert!(matches("/+", "/finance"));
        assert!(!matches("+", "/finance"));
        assert!(!matches("a/b", "a/b/c"));
        assert!(!matches("a/b/c", "a/b"));
    }

    #[test]
    fn dollar_topics_are_not_matched_by_leading_wildcards() {
        // [MQTT-4.7.2-1], section 4.7.2 examples.
        assert!(!matches("#", "$SYS/broker/uptime"));
        assert!(!matches("+/monitor/Clients", "$SYS/monitor/Clients"));
        assert!(matches("$SYS/#", "$SYS/monitor/Clients"));
        assert!(matches("$SYS/monitor/+", "$SYS/monitor/Clients"));
    }

    #[test]
    fn shared_filters_match_as_their_inner_filter() {
        assert!(matches("$share/g/a/+", "a/b"));
        assert!(!matches("$share/g/a/+", "g/a/b"));
        assert_eq!(split_shared("$share/g/a/+"), Some(Ok(("g", "a/+"))));
        assert_eq!(split_shared("a/b"), None);
    }
}
