//! The data representations of MQTT section 1.5: integers, the variable byte
//! integer, UTF-8 strings and binary data, read through a bounded [`Reader`]
//! and written onto a `Vec<u8>`.
//!
//! A `Reader` never reads past its slice, and [`Reader::sub`] hands out a
//! reader limited to a length prefix, so a property block or a packet body
//! can never consume bytes that belong to what follows it.

use super::error::{DecodeError, EncodeError};
use alloc::{borrow::ToOwned, string::String, vec::Vec};

/// The largest value a variable byte integer can hold (four bytes of seven bits).
pub const MAX_VARINT: u32 = 268_435_455;

/// The largest string or binary field: its length prefix is a `u16`.
pub(crate) const MAX_FIELD_LEN: usize = u16::MAX as usize;

/// Decodes a variable byte integer from the start of `buf`.
///
/// `Ok(None)` means `buf` ends before the integer does, which the streaming
/// decoder treats as "wait for more bytes", never as an error. A last byte
/// of 0 after the first means the value fitted in fewer bytes: malformed
/// [MQTT-1.5.5-1].
pub(crate) fn decode_varint(buf: &[u8]) -> Result<Option<(u32, usize)>, DecodeError> {
    let mut value = 0u32;
    for (i, &byte) in buf.iter().enumerate().take(4) {
        value |= u32::from(byte & 0x7F) << (7 * i);
        if byte & 0x80 == 0 {
            if byte == 0 && i > 0 {
                return Err(DecodeError::NonMinimalVarInt);
            }
            return Ok(Some((value, i + 1)));
        }
    }
    if buf.len() >= 4 {
        Err(DecodeError::MalformedVarInt)
    } else {
        Ok(None)
    }
}

/// `value` as a variable byte integer: the bytes and how many of them are
/// used. Values above [`MAX_VARINT`] are the caller's bug; they are clamped
/// so the output stays well-formed.
fn varint_bytes(value: u32) -> ([u8; 4], usize) {
    let mut value = value.min(MAX_VARINT);
    let mut out = [0u8; 4];
    let mut len = 0;
    loop {
        let mut byte = (value & 0x7F) as u8;
        value >>= 7;
        if value > 0 {
            byte |= 0x80;
        }
        out[len] = byte;
        len += 1;
        if value == 0 {
            return (out, len);
        }
    }
}

/// Appends `value` as a variable byte integer.
pub(crate) fn put_varint(buf: &mut Vec<u8>, value: u32) {
    let (bytes, len) = varint_bytes(value);
    buf.extend_from_slice(&bytes[..len]);
}

pub(crate) fn put_u16(buf: &mut Vec<u8>, value: u16) {
    buf.extend_from_slice(&value.to_be_bytes());
}

pub(crate) fn put_u32(buf: &mut Vec<u8>, value: u32) {
    buf.extend_from_slice(&value.to_be_bytes());
}

/// Appends two-byte-length-prefixed binary data.
pub(crate) fn put_binary(buf: &mut Vec<u8>, data: &[u8]) -> Result<(), EncodeError> {
    let len = u16::try_from(data.len()).map_err(|_| EncodeError::FieldTooLong)?;
    put_u16(buf, len);
    buf.extend_from_slice(data);
    Ok(())
}

/// Appends a UTF-8 string; `&str` is already well-formed, so only the NUL
/// and length rules remain to check.
pub(crate) fn put_string(buf: &mut Vec<u8>, s: &str) -> Result<(), EncodeError> {
    if s.as_bytes().contains(&0) {
        return Err(EncodeError::InvalidString);
    }
    put_binary(buf, s.as_bytes())
}

/// Runs `body`, then puts its length as a variable byte integer in front of
/// it. Used for the remaining length and the v5 property length, so no
/// packet needs a separate size computation that could disagree with its
/// encoder.
///
/// With the body's exact length known in advance (`expected`), the prefix
/// is written first and nothing moves; otherwise four bytes are reserved
/// and the body is shifted over the unused ones afterwards, a copy that
/// matters for large payloads. On error nothing of the failed part stays in
/// `buf`.
pub(crate) fn put_length_prefixed(
    buf: &mut Vec<u8>,
    expected: Option<usize>,
    body: impl FnOnce(&mut Vec<u8>) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    let start = buf.len();
    let reserved = expected.map_or(4, |len| varint_bytes(u32::try_from(len).unwrap_or(u32::MAX)).1);
    buf.extend_from_slice(&[0; 4][..reserved]);
    let body_start = start + reserved;
    if let Err(e) = body(buf) {
        buf.truncate(start);
        return Err(e);
    }
    let len = match u32::try_from(buf.len() - body_start) {
        Ok(len) if len <= MAX_VARINT => len,
        _ => {
            buf.truncate(start);
            return Err(EncodeError::PacketTooLarge);
        }
    };
    let (prefix, width) = varint_bytes(len);
    debug_assert!(expected.is_none() || width == reserved, "length hint off");
    if width < reserved {
        buf.copy_within(body_start.., start + width);
        buf.truncate(buf.len() - (reserved - width));
    } else if width > reserved {
        // Only after a wrong hint: make room rather than write a bad prefix.
        let end = buf.len();
        buf.resize(end + width - reserved, 0);
        buf.copy_within(body_start..end, start + width);
    }
    buf[start..start + width].copy_from_slice(&prefix[..width]);
    Ok(())
}

/// A bounded cursor over a received packet.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// How many bytes are left.
    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    pub(crate) fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        if n > self.buf.len() {
            return Err(DecodeError::MissingData(what));
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    /// Everything left, consumed.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        core::mem::take(&mut self.buf)
    }

    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        Ok(self.take(1, what)?[0])
    }

    pub(crate) fn u16(&mut self, what: &'static str) -> Result<u16, DecodeError> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub(crate) fn u32(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn varint(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        match decode_varint(self.buf)? {
            Some((value, len)) => {
                self.buf = &self.buf[len..];
                Ok(value)
            }
            None => Err(DecodeError::MissingData(what)),
        }
    }

    pub(crate) fn binary(&mut self, what: &'static str) -> Result<&'a [u8], DecodeError> {
        let len = self.u16(what)?;
        self.take(usize::from(len), what)
    }

    pub(crate) fn str(&mut self, what: &'static str) -> Result<&'a str, DecodeError> {
        let bytes = self.binary(what)?;
        // Rust's UTF-8 validation already rejects encoded surrogates
        // (U+D800..U+DFFF) and overlong forms [MQTT-1.5.4-1].
        let s = core::str::from_utf8(bytes).map_err(|_| DecodeError::InvalidString)?;
        if bytes.contains(&0) {
            return Err(DecodeError::InvalidString);
        }
        Ok(s)
    }

    pub(crate) fn string(&mut self, what: &'static str) -> Result<String, DecodeError> {
        self.str(what).map(str::to_owned)
    }

    /// Succeeds only if every byte was consumed.
    pub(crate) fn finish(&self, what: &'static str) -> Result<(), DecodeError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingData(what))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_boundaries_from_the_spec_table() {
        // MQTT 5.0 table 1-1: the smallest and largest value of each width.
        let cases: &[(u32, &[u8])] = &[
            (0, &[0x00]),
            (127, &[0x7F]),
            (128, &[0x80, 0x01]),
            (16_383, &[0xFF, 0x7F]),
            (16_384, &[0x80, 0x80, 0x01]),
            (2_097_151, &[0xFF, 0xFF, 0x7F]),
            (2_097_152, &[0x80, 0x80, 0x80, 0x01]),
            (268_435_455, &[0xFF, 0xFF, 0xFF, 0x7F]),
        ];
        for &(value, bytes) in cases {
            let mut buf = Vec::new();
            put_varint(&mut buf, value);
            assert_eq!(buf, bytes, "encode {value}");
            assert_eq!(decode_varint(bytes), Ok(Some((value, bytes.len()))));
        }
    }

    #[test]
    fn varint_with_a_fifth_byte_is_malformed() {
        assert_eq!(decode_varint(&[0xFF, 0xFF, 0xFF, 0xFF, 0x01]), Err(DecodeError::MalformedVarInt));
        assert_eq!(decode_varint(&[0x80, 0x80, 0x80, 0x80]), Err(DecodeError::MalformedVarInt));
    }

    #[test]
    fn mqtt_1_5_5_1_a_varint_in_more_bytes_than_needed_is_malformed() {
        for bytes in [&[0x80, 0x00][..], &[0xFF, 0x00], &[0x80, 0x80, 0x00], &[0x80, 0x80, 0x80, 0x00]] {
            assert_eq!(decode_varint(bytes), Err(DecodeError::NonMinimalVarInt), "{bytes:02x?}");
        }
        assert_eq!(DecodeError::NonMinimalVarInt.reason_code() as u8, 0x81);
    }

    #[test]
    fn varint_cut_short_asks_for_more() {
        assert_eq!(decode_varint(&[]), Ok(None));
        assert_eq!(decode_varint(&[0x80, 0x80]), Ok(None));
    }

    #[test]
    fn length_prefix_shifts_the_body_to_the_prefix_width() {
        for len in [0usize, 1, 127, 128, 16_383, 16_384] {
            let mut buf = vec![0xAA];
            put_length_prefixed(&mut buf, None, |b| {
                b.resize(b.len() + len, 0x55);
                Ok(())
            })
            .unwrap();
            let (value, width) = decode_varint(&buf[1..]).unwrap().unwrap();
            assert_eq!(value as usize, len);
            assert_eq!(buf.len(), 1 + width + len);
            assert!(buf[1 + width..].iter().all(|&b| b == 0x55));
        }
    }

    #[test]
    fn failed_body_leaves_the_buffer_as_it_was() {
        let mut buf = vec![1, 2, 3];
        let err = put_length_prefixed(&mut buf, None, |b| {
            b.push(9);
            Err(EncodeError::FieldTooLong)
        });
        assert_eq!(err, Err(EncodeError::FieldTooLong));
        assert_eq!(buf, [1, 2, 3]);
    }

    #[test]
    fn an_exact_length_hint_writes_the_prefix_in_place() {
        let mut buf = vec![0xAA];
        put_length_prefixed(&mut buf, Some(200), |b| {
            b.extend_from_slice(&[7; 200]);
            Ok(())
        })
        .unwrap();
        assert_eq!(&buf[..3], &[0xAA, 0xC8, 0x01]);
        assert_eq!(buf.len(), 3 + 200);
    }

    #[test]
    fn strings_reject_nul_and_invalid_utf8() {
        assert_eq!(Reader::new(&[0, 1, 0]).str("s"), Err(DecodeError::InvalidString));
        // An encoded surrogate, U+D800.
        assert_eq!(Reader::new(&[0, 3, 0xED, 0xA0, 0x80]).str("s"), Err(DecodeError::InvalidString));
        assert_eq!(Reader::new(&[0, 2, b'h']).str("s"), Err(DecodeError::MissingData("s")));
        assert_eq!(put_string(&mut Vec::new(), "a\0b"), Err(EncodeError::InvalidString));
    }
}
