//! Canonical JSON (RFC 8785 under the spec's limits) and the hash `H`.
//!
//! Every record type in [`crate::core::record`] declares its fields in
//! alphabetical order and holds only strings, integers, booleans, null,
//! arrays and maps with sorted keys, so `serde_json`'s compact writer already
//! produces the canonical form: keys sorted, no white space, minimal escapes
//! (serde_json escapes exactly as ECMAScript's `JSON.stringify` does).
//! The test module holds an independent canonicaliser over `serde_json::Value`
//! and checks every record type against it.

use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fmt;
use std::io::Write;

/// Largest integer the record allows (`2^53 - 1`), so every language agrees.
pub const MAX_INT: u64 = (1 << 53) - 1;

/// A SHA-256 value, shown as 64 lowercase hex characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Hash(pub [u8; 32]);

// Byte order (= the order of the hex text), compared as two big-endian
// integers: the credential pool's lookups do this a million times.
impl Ord for Hash {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let halves = |h: &Hash| {
            let (a, b) = h.0.split_at(16);
            (
                u128::from_be_bytes(a.try_into().unwrap_or([0; 16])),
                u128::from_be_bytes(b.try_into().unwrap_or([0; 16])),
            )
        };
        halves(self).cmp(&halves(other))
    }
}

impl PartialOrd for Hash {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Hash {
    /// SHA-256 of raw bytes.
    pub fn of_bytes(bytes: &[u8]) -> Hash {
        Hash(Sha256::digest(bytes).into())
    }

    /// `H(o)`: SHA-256 of the canonical form of a record.
    pub fn of<T: Serialize + ?Sized>(value: &T) -> Hash {
        let mut w = HashWriter {
            hasher: Sha256::new(),
            buf: Vec::new(),
        };
        write_canonical(&mut w, value);
        w.finish()
    }

    /// Parses exactly 64 lowercase hex characters.
    pub fn parse_hex(s: &str) -> Result<Hash, HexError> {
        let mut out = [0u8; 32];
        parse_lower_hex(s, &mut out)?;
        Ok(Hash(out))
    }

    pub fn to_hex(&self) -> String {
        encode_hex(&self.0)
    }

    /// The first 8 hex characters, for people (receipts, screens).
    pub fn short(&self) -> String {
        encode_hex(&self.0[..4])
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl Serialize for Hash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 64];
        // hex::encode_to_slice cannot fail: the buffer is exactly twice the input.
        let _ = hex::encode_to_slice(self.0, &mut buf);
        s.serialize_str(std::str::from_utf8(&buf).unwrap_or_default())
    }
}

impl<'de> serde::Deserialize<'de> for Hash {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Hash;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("64 lowercase hex characters")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Hash, E> {
                Hash::parse_hex(s).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

/// Why a hex string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HexError {
    #[error("expected {expected} lowercase hex characters, found {found}")]
    Length { expected: usize, found: usize },
    #[error("character {pos} ({ch:?}) is not a lowercase hex digit")]
    Digit { pos: usize, ch: char },
}

/// Decodes lowercase hex of exactly `2 * out.len()` characters.
pub fn parse_lower_hex(s: &str, out: &mut [u8]) -> Result<(), HexError> {
    let b = s.as_bytes();
    if b.len() != out.len() * 2 {
        return Err(HexError::Length {
            expected: out.len() * 2,
            found: s.chars().count(),
        });
    }
    decode_hex_bytes(b, out).map_err(|i| HexError::Digit {
        pos: i + 1,
        ch: s.get(i..).and_then(|t| t.chars().next()).unwrap_or('?'),
    })
}

/// Lowercase hex of `bytes`, two digits a byte by table (the `hex` crate's
/// `encode` goes a character at a time; a ballot carries 600 hex digits).
pub fn encode_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(2 * bytes.len());
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 0x0f) as usize] as char);
    }
    out
}

/// Decodes `2 * out.len()` bytes of lowercase hex; on failure, the index of
/// the first byte that is not a lowercase hex digit.
pub fn decode_hex_bytes(b: &[u8], out: &mut [u8]) -> Result<(), usize> {
    if b.len() != out.len() * 2 {
        return Err(b.len().min(out.len() * 2));
    }
    // Table lookup, and one check for the whole string: a bundle holds
    // millions of hex strings.
    let mut bad = 0u8;
    for (o, pair) in out.iter_mut().zip(b.chunks_exact(2)) {
        let (hi, lo) = (HEX_VALUE[pair[0] as usize], HEX_VALUE[pair[1] as usize]);
        bad |= hi | lo;
        *o = (hi << 4) | (lo & 0x0f);
    }
    if bad & 0x80 != 0 {
        return Err(b
            .iter()
            .position(|&c| HEX_VALUE[c as usize] & 0x80 != 0)
            .unwrap_or(0));
    }
    Ok(())
}

/// Value of a lowercase hex digit; 0x80 marks every other byte.
const HEX_VALUE: [u8; 256] = {
    let mut t = [0x80u8; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

/// Appends the canonical form of `value` to `out`.
pub fn to_canonical_vec<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) {
    write_canonical(out, value)
}

/// The canonical form of `value` as a string.
pub fn to_canonical_string<T: Serialize + ?Sized>(value: &T) -> String {
    let mut v = Vec::new();
    write_canonical(&mut v, value);
    // serde_json only writes UTF-8.
    String::from_utf8(v).unwrap_or_default()
}

fn write_canonical<W: Write, T: Serialize + ?Sized>(w: W, value: &T) {
    // Our record types hold only strings, integers and maps with string keys:
    // serialisation into an infallible writer cannot fail.
    let _ = serde_json::to_writer(w, value);
}

const HASH_BUF: usize = 64 * 1024;

/// Feeds the hasher in large blocks: serde_json writes many tiny pieces.
struct HashWriter {
    hasher: Sha256,
    buf: Vec<u8>,
}

impl HashWriter {
    fn finish(mut self) -> Hash {
        self.hasher.update(&self.buf);
        Hash(self.hasher.finalize().into())
    }
}

impl Write for HashWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.buf.len() + data.len() > HASH_BUF {
            self.hasher.update(&self.buf);
            self.buf.clear();
            if data.len() > HASH_BUF {
                self.hasher.update(data);
                return Ok(data.len());
            }
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod reference {
    //! An independent canonicaliser over `serde_json::Value`, written from
    //! RFC 8785's rules, used only to check the record types.
    use serde_json::Value;

    pub fn canonical(v: &Value) -> String {
        let mut out = String::new();
        write(v, &mut out);
        out
    }

    fn write(v: &Value, out: &mut String) {
        match v {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => out.push_str(&n.to_string()),
            Value::String(s) => string(s, out),
            Value::Array(a) => {
                out.push('[');
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(x, out);
                }
                out.push(']');
            }
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
                out.push('{');
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    string(k, out);
                    out.push(':');
                    write(&m[k.as_str()], out);
                }
                out.push('}');
            }
        }
    }

    fn string(s: &str, out: &mut String) {
        out.push('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_by_table_is_the_hex_crates() {
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(encode_hex(&all), hex::encode(&all));
        assert_eq!(encode_hex(&[]), "");
    }
    use serde_json::json;

    #[test]
    fn canonical_form_sorts_keys_and_escapes_minimally() {
        let v = json!({"b": 1, "a": "引号\"\\\n\u{1}\u{7f}", "c": [null, true, {"z": 0, "y": 9007199254740991u64}]});
        let ours = to_canonical_string(&v);
        assert_eq!(ours, reference::canonical(&v));
        assert_eq!(
            ours,
            "{\"a\":\"引号\\\"\\\\\\n\\u0001\u{7f}\",\"b\":1,\"c\":[null,true,{\"y\":9007199254740991,\"z\":0}]}"
        );
    }

    #[test]
    fn hash_is_sha256_of_canonical_bytes() {
        let v = json!({"b": 2, "a": 1});
        assert_eq!(Hash::of(&v), Hash::of_bytes(br#"{"a":1,"b":2}"#));
    }

    #[test]
    fn hex_parsing_is_strict_and_precise() {
        let h = Hash::of_bytes(b"x");
        assert_eq!(Hash::parse_hex(&h.to_hex()), Ok(h));
        assert_eq!(
            Hash::parse_hex(&h.to_hex().to_uppercase()).err(),
            Some(HexError::Digit {
                pos: h
                    .to_hex()
                    .find(|c: char| c.is_ascii_alphabetic())
                    .unwrap_or(0)
                    + 1,
                ch: h
                    .to_hex()
                    .to_uppercase()
                    .chars()
                    .find(|c| c.is_ascii_alphabetic())
                    .unwrap_or('?'),
            })
        );
        assert_eq!(
            Hash::parse_hex("abc"),
            Err(HexError::Length {
                expected: 64,
                found: 3
            })
        );
        assert!(Hash::parse_hex(&"é".repeat(32)).is_err());
    }
}
