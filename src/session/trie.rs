//! A topic-filter trie: which of many subscriptions match a topic, in time
//! that depends on the topic's depth, not on how many filters there are.
//!
//! Each node is one filter level; `+` and `#` are children like any other
//! level and are followed or collected while walking the topic's levels. A
//! shared subscription `$share/{group}/{filter}` is stored under its inner
//! filter. Wildcards at the first level do not match topics starting with
//! `$` [MQTT-4.7.2-1].

use super::map::VecMap;
use crate::codec::topic;
use crate::text;
use alloc::{borrow::ToOwned, string::String, vec::Vec};

/// Values (handlers, subscription ids, ...) stored by topic filter.
#[derive(Debug)]
pub struct TopicTrie<T> {
    root: Node<T>,
    len: usize,
}

#[derive(Debug)]
struct Node<T> {
    children: VecMap<String, Node<T>>,
    /// Values of filters that end at this node.
    values: Vec<T>,
}

impl<T> Default for Node<T> {
    fn default() -> Self {
        Self { children: VecMap::default(), values: Vec::new() }
    }
}

impl<T> Default for TopicTrie<T> {
    fn default() -> Self {
        Self { root: Node::default(), len: 0 }
    }
}

/// The filter that does the matching: the inner filter of a shared one.
fn matching_part(filter: &str) -> &str {
    match topic::split_shared(filter) {
        Some(Ok((_, inner))) => inner,
        _ => filter,
    }
}

impl<T: PartialEq> TopicTrie<T> {
    /// Stores `value` under `filter` (assumed valid).
    pub fn insert(&mut self, filter: &str, value: T) {
        let mut node = &mut self.root;
        for level in text::split(matching_part(filter), b'/') {
            node = node.children.get_or_insert(level, str::to_owned);
        }
        node.values.push(value);
        self.len += 1;
    }

    /// Removes the values under `filter` for which `remove` says so; prunes
    /// nodes left empty. Returns how many were removed.
    pub fn remove_where(&mut self, filter: &str, mut remove: impl FnMut(&T) -> bool) -> usize {
        fn walk<T>(node: &mut Node<T>, levels: &[&str], remove: &mut dyn FnMut(&T) -> bool) -> usize {
            let Some((first, rest)) = levels.split_first() else {
                let before = node.values.len();
                node.values.retain(|v| !remove(v));
                return before - node.values.len();
            };
            let Some(child) = node.children.get_mut(*first) else { return 0 };
            let removed = walk(child, rest, remove);
            if child.values.is_empty() && child.children.is_empty() {
                node.children.remove(*first);
            }
            removed
        }
        let levels: Vec<&str> = text::split(matching_part(filter), b'/').collect();
        let removed = walk(&mut self.root, &levels, &mut remove);
        self.len -= removed;
        removed
    }

    /// Calls `f` with each value stored under exactly `filter`.
    pub fn for_each_at(&mut self, filter: &str, f: impl FnMut(&mut T)) {
        let mut node = &mut self.root;
        for level in text::split(matching_part(filter), b'/') {
            let Some(child) = node.children.get_mut(level) else { return };
            node = child;
        }
        node.values.iter_mut().for_each(f);
    }

    /// Calls `f` with every stored value.
    pub fn for_each_value(&self, mut f: impl FnMut(&T)) {
        fn walk<T>(node: &Node<T>, f: &mut dyn FnMut(&T)) {
            node.values.iter().for_each(&mut *f);
            node.children.iter().for_each(|(_, child)| walk(child, f));
        }
        walk(&self.root, &mut f);
    }

    /// How many values are stored.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Calls `f` with every value whose filter matches `topic` (a topic
    /// name). A value stored under several matching filters is visited once
    /// per filter.
    pub fn for_each_match<'a>(&'a self, topic: &str, mut f: impl FnMut(&'a T)) {
        /// `levels` is what is left of the topic, `None` once every level
        /// is matched (`Some("")` is an empty last level, as in "a/").
        fn walk<'a, T>(node: &'a Node<T>, levels: Option<&str>, first: bool, dollar: bool, f: &mut dyn FnMut(&'a T)) {
            // No wildcard at the first level for a `$` topic.
            let wild = !(first && dollar);
            if wild {
                // `#` matches the rest, including nothing ("a/#" matches "a").
                if let Some(hash) = node.children.get("#") {
                    hash.values.iter().for_each(&mut *f);
                }
            }
            let Some(levels) = levels else {
                node.values.iter().for_each(&mut *f);
                return;
            };
            let (level, rest) = match text::split_once(levels, b'/') {
                Some((level, rest)) => (level, Some(rest)),
                None => (levels, None),
            };
            if let Some(child) = node.children.get(level) {
                walk(child, rest, false, dollar, f);
            }
            if wild {
                if let Some(plus) = node.children.get("+") {
                    walk(plus, rest, false, dollar, f);
                }
            }
        }
        // Most messages of most clients match no per-subscription handler.
        if self.is_empty() {
            return;
        }
        walk(&self.root, Some(topic), true, topic.starts_with('$'), &mut f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(trie: &TopicTrie<u32>, topic: &str) -> Vec<u32> {
        let mut out = Vec::new();
        trie.for_each_match(topic, |v| out.push(*v));
        out.sort_unstable();
        out
    }

    #[test]
    fn wildcards_match_per_the_spec() {
        let mut t = TopicTrie::default();
        for (i, f) in ["a/b", "a/+", "a/#", "#", "+/b", "+", "a/+/c", "$SYS/#", "$share/g/a/b"].iter().enumerate() {
            t.insert(f, i as u32);
        }
        assert_eq!(matches(&t, "a/b"), [0, 1, 2, 3, 4, 8]);
        assert_eq!(matches(&t, "a"), [2, 3, 5], "a/# matches its parent level [MQTT-4.7.1-2]");
        assert_eq!(matches(&t, "a/x/c"), [2, 3, 6]);
        assert_eq!(matches(&t, "b"), [3, 5]);
        assert_eq!(matches(&t, "$SYS/broker/load"), [7], "no first-level wildcard matches $ topics [MQTT-4.7.2-1]");
        assert_eq!(matches(&t, "a//b"), [2, 3]);
        assert_eq!(t.len(), 9);
    }

    #[test]
    fn removal_prunes_and_counts() {
        let mut t = TopicTrie::default();
        t.insert("x/+/z", 1);
        t.insert("x/+/z", 2);
        t.insert("x/y", 3);
        assert_eq!(t.remove_where("x/+/z", |v| *v == 1), 1);
        assert_eq!(matches(&t, "x/q/z"), [2]);
        assert_eq!(t.remove_where("x/+/z", |_| true), 1);
        assert_eq!(t.remove_where("nope/x", |_| true), 0);
        assert_eq!(matches(&t, "x/q/z"), Vec::<u32>::new());
        assert_eq!(t.len(), 1);
        assert!(!t.root.children.get("x").is_some_and(|x| x.children.contains_key("+")), "emptied branches are pruned");
    }
}
