//! Strings split at an ASCII byte. `str::split` and its kin with a `char`
//! pattern bring `core::str::pattern`'s char searcher and `memchr` into the
//! `.wasm` (1 KB) for what, in a topic or a URL, is a byte compare; these
//! slice with `str::get`, which cannot panic (an ASCII byte is always a
//! character boundary).

/// `s` before and after the first `sep`.
pub(crate) fn split_once(s: &str, sep: u8) -> Option<(&str, &str)> {
    let i = s.bytes().position(|b| b == sep)?;
    Some((s.get(..i)?, s.get(i + 1..)?))
}

/// `s` before and after the last `sep`.
pub(crate) fn rsplit_once(s: &str, sep: u8) -> Option<(&str, &str)> {
    let i = s.bytes().rposition(|b| b == sep)?;
    Some((s.get(..i)?, s.get(i + 1..)?))
}

/// `s` before its first `sep`, or all of it.
pub(crate) fn before(s: &str, sep: u8) -> &str {
    split_once(s, sep).map_or(s, |(head, _)| head)
}

/// The parts of `s` between `sep`s: "a//b" is "a", "", "b"; "" is "".
pub(crate) fn split(s: &str, sep: u8) -> impl Iterator<Item = &str> + Clone {
    let mut rest = Some(s);
    core::iter::from_fn(move || {
        let part = rest?;
        rest = split_once(part, sep).map(|(_, tail)| tail);
        Some(before(part, sep))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn splits_as_str_does() {
        for s in ["", "a", "a/b", "/", "a//b/", "/a", "ü/€/𝄞", "$share/g/a/#"] {
            assert_eq!(split(s, b'/').collect::<Vec<_>>(), s.split('/').collect::<Vec<_>>(), "{s:?}");
            assert_eq!(split_once(s, b'/'), s.split_once('/'), "{s:?}");
            assert_eq!(rsplit_once(s, b'/'), s.rsplit_once('/'), "{s:?}");
            assert_eq!(before(s, b'/'), s.split('/').next().unwrap(), "{s:?}");
        }
    }
}
