//! The small validated types every record is made of: ids, timestamps and
//! dates, hex keys and signatures, type tags. Each parses strictly and
//! serialises canonically (re-exported by [`super::record`]).

use super::canon::{parse_lower_hex, MAX_INT};
use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use std::fmt;

// ---------------------------------------------------------------------------
// Small validated types

/// ASCII identifiers stored inline (no allocation): election ids and
/// candidate ids are read a million times in a large bundle.
macro_rules! inline_id {
    ($(#[$doc:meta])* $name:ident, $max:expr, $allowed:expr, $what:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name {
            len: u8,
            bytes: [u8; $max],
        }

        // Byte order of the text (as RFC 8785 sorts keys): the bytes are
        // zero-padded and no id contains a zero byte, so comparing the padded
        // arrays as big-endian integers is exactly lexicographic order —
        // "C10" < "C9" — without a call to memcmp.
        impl Ord for $name {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                for (a, b) in self.bytes.chunks_exact(16).zip(other.bytes.chunks_exact(16)) {
                    let a = u128::from_be_bytes(a.try_into().unwrap_or([0; 16]));
                    let b = u128::from_be_bytes(b.try_into().unwrap_or([0; 16]));
                    match a.cmp(&b) {
                        std::cmp::Ordering::Equal => continue,
                        o => return o,
                    }
                }
                std::cmp::Ordering::Equal
            }
        }

        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl $name {
            pub const MAX_LEN: usize = $max;

            pub fn parse(s: &str) -> Result<Self, IdError> {
                let b = s.as_bytes();
                if b.is_empty() || b.len() > $max {
                    return Err(IdError::Length { what: $what, max: $max, found: s.chars().count() });
                }
                let allowed: fn(u8) -> bool = $allowed;
                if let Some(pos) = b.iter().position(|&c| !allowed(c)) {
                    let ch = s.get(pos..).and_then(|t| t.chars().next()).unwrap_or('?');
                    return Err(IdError::Char { what: $what, pos: pos + 1, ch });
                }
                let mut bytes = [0u8; $max];
                bytes[..b.len()].copy_from_slice(b);
                Ok($name { len: b.len() as u8, bytes })
            }

            /// From bytes already known to be ASCII text (the canonical
            /// scanner): the same checks as `parse`, without a str.
            pub fn from_ascii(b: &[u8]) -> Option<Self> {
                let allowed: fn(u8) -> bool = $allowed;
                if b.is_empty() || b.len() > $max || !b.iter().all(|&c| allowed(c)) {
                    return None;
                }
                let mut bytes = [0u8; $max];
                bytes[..b.len()].copy_from_slice(b);
                Some($name { len: b.len() as u8, bytes })
            }

            pub fn as_str(&self) -> &str {
                // Only ASCII bytes are ever stored.
                std::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or_default()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:?}", self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::parse(s)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl Visitor<'_> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_str<E: de::Error>(self, s: &str) -> Result<$name, E> {
                        $name::parse(s).map_err(E::custom)
                    }
                }
                d.deserialize_str(V)
            }
        }
    };
}

inline_id!(
    /// 选举标识 (election id): `[a-z0-9-]{1,64}`, e.g. `shiguai-2027`.
    ElectionId, 64, |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-',
    "an election id of 1 to 64 characters a-z, 0-9 and -"
);
inline_id!(
    /// 候选项目编号 (candidate id): `[A-Za-z0-9_-]{1,32}`, e.g. `C01`.
    CandidateId, 32, |c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-',
    "a candidate id of 1 to 32 characters A-Z, a-z, 0-9, _ and -"
);

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("expected {what}; found {found} characters (at most {max})")]
    Length {
        what: &'static str,
        max: usize,
        found: usize,
    },
    #[error("expected {what}; character {pos} ({ch:?}) is not allowed")]
    Char {
        what: &'static str,
        pos: usize,
        ch: char,
    },
}

/// An RFC 3339 time with an offset, kept as written (no normalisation).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timestamp(String);

impl Timestamp {
    /// `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`: RFC 3339's own form, with
    /// the upper-case `T` and `Z` the spec's examples use (chrono alone would
    /// also take a space or a lower-case `t`, which other verifiers may not).
    pub fn parse(s: &str) -> Result<Self, String> {
        let b = s.as_bytes();
        let offset_ok = s.ends_with('Z')
            || (b.len() > 6 && matches!(b[b.len() - 6], b'+' | b'-') && b[b.len() - 3] == b':');
        if b.len() < 20 || b[10] != b'T' || !offset_ok {
            return Err(format!(
                "{s:?} is not an RFC 3339 time like 2027-01-12T10:31:00+08:00"
            ));
        }
        chrono::DateTime::parse_from_rfc3339(s)
            .map(|_| Timestamp(s.to_string()))
            .map_err(|e| format!("{s:?} is not an RFC 3339 time with an offset ({e})"))
    }
    /// The present moment in the hall's time zone (UTC+8), to the second.
    pub fn now_beijing() -> Self {
        let now = chrono::Utc::now();
        Timestamp(match chrono::FixedOffset::east_opt(8 * 3600) {
            Some(tz) => now
                .with_timezone(&tz)
                .format("%Y-%m-%dT%H:%M:%S%:z")
                .to_string(),
            None => now.format("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
        })
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Timestamp {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Timestamp::parse(&s)
    }
}

impl From<Timestamp> for String {
    fn from(t: Timestamp) -> String {
        t.0
    }
}

/// A calendar date `YYYY-MM-DD` (完成时限, a project's deadline).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Date(String);

impl Date {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.len() == 10 && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() {
            Ok(Date(s.to_string()))
        } else {
            Err(format!("{s:?} is not a date YYYY-MM-DD"))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Date {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Date::parse(&s)
    }
}

impl From<Date> for String {
    fn from(d: Date) -> String {
        d.0
    }
}

/// Fixed-length byte strings written as lowercase hex.
macro_rules! hex_bytes {
    ($(#[$doc:meta])* $name:ident, $n:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub [u8; $n]);

        impl $name {
            pub fn parse_hex(s: &str) -> Result<Self, super::canon::HexError> {
                let mut out = [0u8; $n];
                parse_lower_hex(s, &mut out)?;
                Ok($name(out))
            }
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.to_hex())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_hex())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl Visitor<'_> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        write!(f, "{} lowercase hex characters", $n * 2)
                    }
                    fn visit_str<E: de::Error>(self, s: &str) -> Result<$name, E> {
                        $name::parse_hex(s).map_err(E::custom)
                    }
                }
                d.deserialize_str(V)
            }
        }
    };
}

hex_bytes!(
    /// An Ed25519 public key (RFC 8032), 32 bytes.
    PublicKey, 32
);
hex_bytes!(
    /// An Ed25519 signature, 64 bytes.
    SignatureBytes, 64
);

/// Integers in records are `0 ..= 2^53-1`; a float or a larger number is refused.
pub(crate) fn int<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let v = u64::deserialize(d)?;
    if v > MAX_INT {
        return Err(de::Error::custom(format!("{v} is larger than 2^53-1")));
    }
    Ok(v)
}

/// A field that may be absent but, when present, is never `null` (so that
/// every reader hashes the same canonical form).
pub(crate) fn some<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// 代表编号 as the roster has it: 1 to 32 characters, no control
/// characters, no white space at either end.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Debug, Hash, Serialize)]
pub struct DeputyNumber(pub String);

impl DeputyNumber {
    pub fn parse(s: &str) -> Result<DeputyNumber, String> {
        let n = s.chars().count();
        if n == 0 || n > 32 || s.chars().any(char::is_control) || s.trim() != s {
            return Err(format!(
                "{s:?}: a deputy number is 1 to 32 characters, no control characters or outer spaces"
            ));
        }
        Ok(DeputyNumber(s.to_string()))
    }
}

impl<'de> Deserialize<'de> for DeputyNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        DeputyNumber::parse(&s).map_err(de::Error::custom)
    }
}

/// A field that must be present but may be `null` (serde would otherwise let
/// an absent `Option` field through as `None`).
pub(crate) fn nullable<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d)
}

/// The record format's version: `minsheng.<kind>/<version>`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Default, Hash)]
pub enum Version {
    /// tally-record-v1: every credential from the committed pool.
    #[default]
    V1,
    /// tally-record-v2: tablet credentials signed blindly (RFC 9474), the issued roll.
    V2,
}

impl Version {
    pub fn number(self) -> u8 {
        match self {
            Version::V1 => 1,
            Version::V2 => 2,
        }
    }
}

/// The `type` field: one string per record kind and version.
macro_rules! type_tag {
    ($name:ident, $prefix:expr) => {
        #[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
        pub struct $name(pub Version);

        impl $name {
            pub const V1: $name = $name(Version::V1);
            pub const V2: $name = $name(Version::V2);
            pub fn tag(self) -> &'static str {
                match self.0 {
                    Version::V1 => concat!($prefix, "1"),
                    Version::V2 => concat!($prefix, "2"),
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.tag())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl Visitor<'_> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        write!(f, "{:?} or {:?}", $name::V1.tag(), $name::V2.tag())
                    }
                    fn visit_str<E: de::Error>(self, s: &str) -> Result<$name, E> {
                        [$name::V1, $name::V2]
                            .into_iter()
                            .find(|t| t.tag() == s)
                            .ok_or_else(|| {
                                E::custom(format!(
                                    "expected {:?} or {:?}, found {s:?}",
                                    $name::V1.tag(),
                                    $name::V2.tag()
                                ))
                            })
                    }
                }
                d.deserialize_str(V)
            }
        }
    };
}

type_tag!(ManifestType, "minsheng.manifest/");
type_tag!(EntryType, "minsheng.entry/");
type_tag!(ResultType, "minsheng.result/");
