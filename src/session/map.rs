//! A small ordered map over a sorted `Vec`, for the session's maps (topic
//! aliases, unreleased QoS 2 messages, trie levels).
//!
//! Why not `HashMap`: these maps hold tens of entries, where a binary
//! search is as fast as hashing; iteration comes in key order, which the
//! exported state wants; and the wasm carries no hashing code (hashbrown
//! and SipHash cost about 8 KB gzipped, and std's SipHash keys are not
//! random on wasm32 anyway).
//!
//! A release of the oldest unreleased QoS 2 message moves the entries after
//! it (8 bytes each, the messages are boxed): a `VecDeque` would not, but
//! its code cost 1.4 KB of the gzipped `.wasm`, for a few microseconds per
//! release in a burst of thousands.

use alloc::vec::Vec;
use core::borrow::Borrow;

/// Entries sorted by key, found by binary search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VecMap<K, V> {
    entries: Vec<(K, V)>,
}

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        Self { entries: Vec::new() }
    }
}

impl<K: Ord, V> VecMap<K, V> {
    fn find<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        self.entries.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    pub(crate) fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| &self.entries[i].1)
    }

    pub(crate) fn get_mut<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| &mut self.entries[i].1)
    }

    pub(crate) fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.find(key).is_ok()
    }

    /// Sets `key` to `value`, returning the value it replaced.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(i) => Some(core::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    /// The value of `key`, inserted first (with the key `make_key` builds
    /// from it) if there is none; the key is built only then.
    pub(crate) fn get_or_insert<Q: Ord + ?Sized>(&mut self, key: &Q, make_key: impl FnOnce(&Q) -> K) -> &mut V
    where
        K: Borrow<Q>,
        V: Default,
    {
        let i = match self.find(key) {
            Ok(i) => i,
            Err(i) => {
                self.entries.insert(i, (make_key(key), V::default()));
                i
            }
        };
        &mut self.entries[i].1
    }

    pub(crate) fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| self.entries.remove(i).1)
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }

    /// The entries in key order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_as_an_ordered_map() {
        let mut m = VecMap::default();
        for k in [5u16, 1, 9, 3] {
            assert_eq!(m.insert(k, k * 10), None);
        }
        assert_eq!(m.insert(3, 33), Some(30));
        assert_eq!(m.iter().map(|(k, _)| *k).collect::<Vec<_>>(), [1, 3, 5, 9]);
        assert_eq!((m.get(&3), m.get(&4), m.len()), (Some(&33), None, 4));
        assert_eq!(m.remove(&1), Some(10));
        assert!(!m.contains_key(&1));
        *m.get_or_insert(&7, |k| *k) += 1;
        assert_eq!(m.get(&7), Some(&1));
        let mut s: VecMap<String, u8> = VecMap::default();
        *s.get_or_insert("b", str::to_owned) = 2;
        assert_eq!(s.get("b"), Some(&2));
    }
}
