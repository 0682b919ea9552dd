//! The objects of the published tally record (tally-record-v1): manifest,
//! entry, result and the signed envelope, with the small validated types they
//! are made of. Parsing one of these is the only validation its fields need:
//! a `CandidateId` in hand is a legal id, a `Hash` is 32 bytes, and so on.
//!
//! Field order matters: every struct lists its fields alphabetically so that
//! serialising it with `serde_json` is already canonical (see [`super::canon`]).

use super::canon::{parse_lower_hex, Hash, MAX_INT};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
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

/// A field that must be present but may be `null` (serde would otherwise let
/// an absent `Option` field through as `None`).
pub(crate) fn nullable<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d)
}

/// The `type` field: one fixed string per record kind.
macro_rules! type_tag {
    ($name:ident, $tag:expr) => {
        #[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
        pub struct $name;

        impl $name {
            pub const TAG: &'static str = $tag;
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str($tag)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl Visitor<'_> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        write!(f, "{:?}", $tag)
                    }
                    fn visit_str<E: de::Error>(self, s: &str) -> Result<$name, E> {
                        if s == $tag {
                            Ok($name)
                        } else {
                            Err(E::custom(format!("expected {:?}, found {s:?}", $tag)))
                        }
                    }
                }
                d.deserialize_str(V)
            }
        }
    };
}

type_tag!(ManifestType, "minsheng.manifest/1");
type_tag!(EntryType, "minsheng.entry/1");
type_tag!(ResultType, "minsheng.result/1");

// ---------------------------------------------------------------------------
// Rules and candidates

/// A mark on one project: 赞成 / 不赞成 / 弃权, or `unclear` (paper only).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    /// 赞成
    For,
    /// 不赞成
    Against,
    /// 弃权
    Abstain,
    /// 无法辨认 (a paper mark that cannot be read; counts for nothing)
    Unclear,
}

impl Mark {
    pub fn as_str(self) -> &'static str {
        match self {
            Mark::For => "for",
            Mark::Against => "against",
            Mark::Abstain => "abstain",
            Mark::Unclear => "unclear",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Mark::For => "赞成",
            Mark::Against => "不赞成",
            Mark::Abstain => "弃权",
            Mark::Unclear => "无法辨认",
        }
    }
}

/// Which marks a round's ballot offers (`rules.marks`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum MarkSet {
    /// `["for", "against", "abstain"]`: 赞成 / 不赞成 / 弃权.
    ForAgainstAbstain,
    /// `["for"]`: choose up to `max_for` projects.
    ForOnly,
}

impl MarkSet {
    pub fn names(self) -> &'static [&'static str] {
        match self {
            MarkSet::ForAgainstAbstain => &["for", "against", "abstain"],
            MarkSet::ForOnly => &["for"],
        }
    }
    /// Whether a ballot may carry `mark` on this channel. `abstain` is always
    /// allowed; `unclear` only on paper.
    pub fn allows(self, mark: Mark, channel: Channel) -> bool {
        match mark {
            Mark::For | Mark::Abstain => true,
            Mark::Against => self == MarkSet::ForAgainstAbstain,
            Mark::Unclear => channel == Channel::Paper,
        }
    }
}

impl Serialize for MarkSet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.names().serialize(s)
    }
}

impl<'de> Deserialize<'de> for MarkSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v: Vec<String> = Vec::deserialize(d)?;
        match v.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
            ["for", "against", "abstain"] => Ok(MarkSet::ForAgainstAbstain),
            ["for"] => Ok(MarkSet::ForOnly),
            other => Err(de::Error::custom(format!(
                "expected [\"for\",\"against\",\"abstain\"] or [\"for\"], found {other:?}"
            ))),
        }
    }
}

/// What the passing threshold is half of.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdBase {
    /// 全体代表 (the default)
    TotalDeputies,
    /// 出席代表
    Present,
}

/// What happens when fewer projects pass than there are seats.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shortfall {
    /// The seats stay unfilled (default).
    Accept,
    /// A further round among the projects that did not pass.
    Revote,
}

/// 计票规则 (the counting rules of a round), fixed in its manifest.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    pub marks: MarkSet,
    #[serde(deserialize_with = "int")]
    pub max_for: u64,
    #[serde(deserialize_with = "int")]
    pub seats: u64,
    pub shortfall: Shortfall,
    pub threshold_base: ThresholdBase,
}

/// 候选项目 (candidate project) as the ballot shows it.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Candidate {
    pub deadline: Date,
    pub id: CandidateId,
    #[serde(deserialize_with = "int")]
    pub investment_yuan: u64,
    pub lead_unit: String,
    pub name: String,
    pub summary: String,
}

// ---------------------------------------------------------------------------
// The manifest

/// 票决清单 (the manifest of one round): candidates, rules, the credential
/// pool's commitments and the keys, signed by the authority before opening.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub assembly: String,
    pub authority_key: PublicKey,
    pub candidates: Vec<Candidate>,
    /// Shared, not copied: a pool of a million commitments is 32 MB.
    pub credentials: std::sync::Arc<Vec<Hash>>,
    pub election_id: ElectionId,
    pub opened_at: Timestamp,
    #[serde(deserialize_with = "nullable")]
    pub previous_result: Option<Hash>,
    #[serde(deserialize_with = "int")]
    pub round: u64,
    pub rules: Rules,
    pub scrutineer_keys: Vec<PublicKey>,
    pub title: String,
    #[serde(deserialize_with = "int")]
    pub total_deputies: u64,
    #[serde(rename = "type")]
    pub kind: ManifestType,
}

/// A field of a record that breaks a rule, named by its path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl Manifest {
    /// The rules that parsing alone cannot see: ranges, uniqueness, order.
    pub fn check(&self) -> Result<(), FieldError> {
        if self.round == 0 {
            return Err(FieldError::new("round", "rounds are numbered from 1"));
        }
        match (self.round, &self.previous_result) {
            (1, Some(_)) => {
                return Err(FieldError::new(
                    "previous_result",
                    "round 1 has no previous result: expected null",
                ))
            }
            (r, None) if r >= 2 => {
                return Err(FieldError::new(
                    "previous_result",
                    format!("round {r} must name the tally hash of the round before, found null"),
                ))
            }
            _ => {}
        }
        if self.title.trim().is_empty() {
            return Err(FieldError::new("title", "must not be empty"));
        }
        if self.assembly.trim().is_empty() {
            return Err(FieldError::new("assembly", "must not be empty"));
        }
        if self.total_deputies == 0 {
            return Err(FieldError::new("total_deputies", "must be at least 1"));
        }
        if self.rules.seats == 0 {
            return Err(FieldError::new("rules.seats", "must be at least 1"));
        }
        if self.rules.max_for == 0 {
            return Err(FieldError::new("rules.max_for", "must be at least 1"));
        }
        if self.candidates.is_empty() {
            return Err(FieldError::new(
                "candidates",
                "a round needs at least one candidate",
            ));
        }
        let mut ids: Vec<(CandidateId, usize)> = self
            .candidates
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id, i))
            .collect();
        ids.sort();
        for w in ids.windows(2) {
            if w[0].0 == w[1].0 {
                return Err(FieldError::new(
                    format!("candidates[{}].id", w[1].1),
                    format!("{} is used twice (also candidates[{}])", w[1].0, w[0].1),
                ));
            }
        }
        for (i, w) in self.credentials.windows(2).enumerate() {
            if w[0] >= w[1] {
                let what = if w[0] == w[1] {
                    "repeats the one before"
                } else {
                    "is out of order"
                };
                return Err(FieldError::new(
                    format!("credentials[{}]", i + 1),
                    format!("{what}: commitments must be sorted ascending and unique"),
                ));
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Entries

/// 投票渠道: the tablet in the hall or the paper QR ballot.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Tablet,
    Paper,
}

/// 废票 reasons.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoidReason {
    /// More 赞成 marks than `max_for`: decided by the rule, never by a person.
    OverCap,
    /// An official paper ballot that cannot be read, as the scrutineers decide.
    Unreadable,
}

/// The marks of one ballot, sorted by candidate id; unmarked projects are
/// left out. Serialises as a JSON object (canonical: sorted keys).
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Marks(Vec<(CandidateId, Mark)>);

/// Two marks for one project.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("project {0} is marked twice")]
pub struct DuplicateMark(pub CandidateId);

impl Marks {
    pub fn new(mut marks: Vec<(CandidateId, Mark)>) -> Result<Self, DuplicateMark> {
        // Canonical input is already sorted; sorting is for everything else.
        if !marks.is_sorted_by(|a, b| a.0 <= b.0) {
            marks.sort_by_key(|m| m.0);
        }
        if let Some(w) = marks.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(DuplicateMark(w[0].0));
        }
        Ok(Marks(marks))
    }
    pub fn iter(&self) -> impl Iterator<Item = (CandidateId, Mark)> + '_ {
        self.0.iter().copied()
    }
    pub fn get(&self, id: &CandidateId) -> Option<Mark> {
        self.0
            .binary_search_by(|(c, _)| c.cmp(id))
            .ok()
            .map(|i| self.0[i].1)
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn count(&self, mark: Mark) -> usize {
        self.0.iter().filter(|(_, m)| *m == mark).count()
    }
}

impl Serialize for Marks {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (id, mark) in &self.0 {
            m.serialize_entry(id, mark)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Marks {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Marks;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object from candidate id to mark")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Marks, A::Error> {
                let mut v = Vec::with_capacity(map.size_hint().unwrap_or(16).min(64));
                while let Some((k, m)) = map.next_entry::<CandidateId, Mark>()? {
                    v.push((k, m));
                }
                Marks::new(v).map_err(de::Error::custom)
            }
        }
        d.deserialize_map(V)
    }
}

/// 计票日志条目: one accepted ballot in the hash chain. It carries no time and
/// no deputy: only the order in which ballots were accepted.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub channel: Channel,
    pub credential: Hash,
    pub election_id: ElectionId,
    pub marks: Marks,
    pub prev: Hash,
    #[serde(deserialize_with = "int")]
    pub round: u64,
    #[serde(deserialize_with = "int")]
    pub seq: u64,
    #[serde(rename = "type")]
    pub kind: EntryType,
    #[serde(deserialize_with = "nullable")]
    pub void: Option<VoidReason>,
}

impl Entry {
    /// Reads an entry written exactly in canonical form, and nothing else
    /// (no white space, keys in order, no escapes, integers without leading
    /// zeros, mark keys strictly ascending). When it returns `Some`, `line`
    /// is byte for byte the canonical form of the entry, so
    /// `H(entry) = SHA-256(line)` with no re-serialising. Bundles are written
    /// this way; anything else goes through the general parser.
    pub fn parse_canonical(line: &[u8]) -> Option<Entry> {
        let mut c = Scan { b: line, i: 0 };
        c.lit(b"{\"channel\":\"")?;
        let channel = if c.lit(b"tablet\"").is_some() {
            Channel::Tablet
        } else {
            c.lit(b"paper\"")?;
            Channel::Paper
        };
        c.lit(b",\"credential\":\"")?;
        let credential = c.hash()?;
        c.lit(b"\",\"election_id\":\"")?;
        let election_id = ElectionId::from_ascii(c.until_quote()?)?;
        c.lit(b"\",\"marks\":{")?;
        let mut marks: Vec<(CandidateId, Mark)> = Vec::with_capacity(16);
        if c.lit(b"}").is_none() {
            loop {
                c.lit(b"\"")?;
                let id = CandidateId::from_ascii(c.until_quote()?)?;
                c.lit(b"\":\"")?;
                let mark = match c.until_quote()? {
                    b"for" => Mark::For,
                    b"against" => Mark::Against,
                    b"abstain" => Mark::Abstain,
                    b"unclear" => Mark::Unclear,
                    _ => return None,
                };
                if marks.last().is_some_and(|(prev, _)| *prev >= id) {
                    return None;
                }
                marks.push((id, mark));
                c.lit(b"\"")?;
                if c.lit(b",").is_none() {
                    c.lit(b"}")?;
                    break;
                }
            }
        }
        c.lit(b",\"prev\":\"")?;
        let prev = c.hash()?;
        c.lit(b"\",\"round\":")?;
        let round = c.int()?;
        c.lit(b",\"seq\":")?;
        let seq = c.int()?;
        c.lit(b",\"type\":\"minsheng.entry/1\",\"void\":")?;
        let void = if c.lit(b"null").is_some() {
            None
        } else if c.lit(b"\"over_cap\"").is_some() {
            Some(VoidReason::OverCap)
        } else {
            c.lit(b"\"unreadable\"")?;
            Some(VoidReason::Unreadable)
        };
        c.lit(b"}")?;
        if c.i != line.len() {
            return None;
        }
        Some(Entry {
            channel,
            credential,
            election_id,
            marks: Marks(marks),
            prev,
            round,
            seq,
            kind: EntryType,
            void,
        })
    }
}

/// A cursor for [`Entry::parse_canonical`]; every step is all or nothing.
struct Scan<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Scan<'a> {
    fn lit(&mut self, s: &[u8]) -> Option<()> {
        if self.b.get(self.i..self.i + s.len())? == s {
            self.i += s.len();
            Some(())
        } else {
            None
        }
    }
    /// Bytes up to the next quote. Callers accept only ids and mark names,
    /// whose characters never need escaping, so an escape in the text makes
    /// the caller refuse it ("not canonical here").
    fn until_quote(&mut self) -> Option<&'a [u8]> {
        let rest = self.b.get(self.i..)?;
        let n = rest.iter().position(|&c| c == b'"')?;
        self.i += n;
        Some(&rest[..n])
    }
    fn hash(&mut self) -> Option<Hash> {
        let mut h = [0u8; 32];
        super::canon::decode_hex_bytes(self.b.get(self.i..self.i + 64)?, &mut h).ok()?;
        self.i += 64;
        Some(Hash(h))
    }
    /// `0` or `[1-9][0-9]*`, at most 2^53-1.
    fn int(&mut self) -> Option<u64> {
        let rest = self.b.get(self.i..)?;
        let n = rest.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 || n > 16 || (n > 1 && rest[0] == b'0') {
            return None;
        }
        let v = rest[..n]
            .iter()
            .fold(0u64, |v, &d| v * 10 + (d - b'0') as u64);
        self.i += n;
        (v <= MAX_INT).then_some(v)
    }
}

/// 回执 (receipt): what a deputy is shown once the ballot is on disk.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Receipt {
    pub seq: u64,
    pub hash: Hash,
}

// ---------------------------------------------------------------------------
// The result

/// Per-project counts: 赞成 / 不赞成 / 弃权 / 无法辨认.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counts {
    #[serde(deserialize_with = "int")]
    pub abstain: u64,
    #[serde(deserialize_with = "int")]
    pub against: u64,
    #[serde(rename = "for", deserialize_with = "int")]
    pub for_: u64,
    #[serde(deserialize_with = "int")]
    pub unclear: u64,
}

/// 计票结果 (the result of a round), signed by the authority and every scrutineer.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultBody {
    pub closed_at: Timestamp,
    pub decided: Vec<CandidateId>,
    pub election_id: ElectionId,
    #[serde(deserialize_with = "int")]
    pub issued: u64,
    pub log_head: Hash,
    pub manifest: Hash,
    #[serde(deserialize_with = "int")]
    pub present: u64,
    pub quorum_met: bool,
    pub ranking: Vec<CandidateId>,
    #[serde(deserialize_with = "int")]
    pub returned: u64,
    #[serde(deserialize_with = "int")]
    pub round: u64,
    pub round_valid: bool,
    pub runoff: Vec<CandidateId>,
    pub tally: std::collections::BTreeMap<CandidateId, Counts>,
    #[serde(deserialize_with = "int")]
    pub threshold: u64,
    #[serde(deserialize_with = "int")]
    pub total_deputies: u64,
    #[serde(rename = "type")]
    pub kind: ResultType,
    #[serde(deserialize_with = "int")]
    pub unfilled: u64,
    #[serde(deserialize_with = "int")]
    pub valid: u64,
    #[serde(deserialize_with = "int")]
    pub void: u64,
}

// ---------------------------------------------------------------------------
// Signed envelope

/// Who signed.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 大会主持方 (the presiding authority)
    Authority,
    /// 监票人 (a scrutineer)
    Scrutineer,
}

/// One signature over `H(body)`.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    pub public_key: PublicKey,
    pub role: Role,
    pub signature: SignatureBytes,
}

/// `{"body": B, "signatures": [...]}`: only `body` is hashed.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signed<B> {
    pub body: B,
    pub signatures: Vec<Signature>,
}

impl<B: Serialize> Signed<B> {
    pub fn body_hash(&self) -> Hash {
        Hash::of(&self.body)
    }
}

/// Parses one record from JSON, naming the field that is wrong
/// (`body.rules.seats: invalid type: floating point ...`).
pub fn parse_record<'a, T: Deserialize<'a>>(json: &'a [u8]) -> Result<T, FieldError> {
    let mut de = serde_json::Deserializer::from_slice(json);
    let v: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        FieldError::new(
            if path == "." {
                "(record)".to_string()
            } else {
                path
            },
            strip_position(&inner),
        )
    })?;
    de.end()
        .map_err(|e| FieldError::new("(record)", strip_position(&e)))?;
    Ok(v)
}

/// serde_json appends " at line 1 column 123"; the column is useful but the
/// line is ours to report, so keep only the column.
fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => format!("{} (column {})", &s[..i], e.column()),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::canon::{reference, to_canonical_string};

    pub(crate) fn vector_lines(name: &str) -> Vec<String> {
        let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn every_record_type_serialises_canonically() {
        let lines = vector_lines("good-basic.jsonl");
        assert_eq!(lines.len(), 17);
        let manifest: Signed<Manifest> = parse_record(lines[0].as_bytes()).unwrap();
        let entries: Vec<Entry> = lines[1..16]
            .iter()
            .map(|l| parse_record(l.as_bytes()).unwrap())
            .collect();
        let result: Signed<ResultBody> = parse_record(lines[16].as_bytes()).unwrap();
        let check = |ours: String, line: &str| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(ours, reference::canonical(&v));
            assert_eq!(ours, line, "the vectors are stored in canonical form");
        };
        check(to_canonical_string(&manifest), &lines[0]);
        for (e, l) in entries.iter().zip(&lines[1..16]) {
            check(to_canonical_string(e), l);
        }
        check(to_canonical_string(&result), &lines[16]);
        assert_eq!(manifest.body_hash(), result.body.manifest);
    }

    #[test]
    fn parse_errors_name_the_field() {
        let lines = vector_lines("good-basic.jsonl");
        let cases: &[(&str, &str, &str)] = &[
            ("\"seats\":4", "\"seats\":4.5", "body.rules.seats"),
            (
                "\"seats\":4",
                "\"seats\":9007199254740992",
                "body.rules.seats",
            ),
            ("\"round\":1", "\"round\":1,\"extra\":1", "body.extra"),
            ("\"id\":\"C02\"", "\"id\":\"C 2\"", "body.candidates[1].id"),
            ("\"previous_result\":null,", "", "body"),
            (
                "\"opened_at\":\"2027-01-12T10:00:00+08:00\"",
                "\"opened_at\":\"2027-01-12 10:00\"",
                "body.opened_at",
            ),
            (
                "\"opened_at\":\"2027-01-12T10:00:00+08:00\"",
                "\"opened_at\":\"2027-01-12t10:00:00+08:00\"",
                "body.opened_at",
            ),
            (
                "\"marks\":[\"for\",\"against\",\"abstain\"]",
                "\"marks\":[\"for\",\"abstain\"]",
                "body.rules.marks",
            ),
        ];
        for (from, to, field) in cases {
            let bad = lines[0].replacen(from, to, 1);
            assert_ne!(bad, lines[0], "{from}");
            let err = parse_record::<Signed<Manifest>>(bad.as_bytes()).unwrap_err();
            assert_eq!(err.field, *field, "{to}: {err}");
        }
    }

    #[test]
    fn manifest_check_finds_semantic_faults() {
        let lines = vector_lines("good-basic.jsonl");
        let good: Signed<Manifest> = parse_record(lines[0].as_bytes()).unwrap();
        assert_eq!(good.body.check(), Ok(()));
        let mut m = good.body.clone();
        m.candidates[3].id = m.candidates[1].id;
        assert_eq!(m.check().unwrap_err().field, "candidates[3].id");
        let mut m = good.body.clone();
        std::sync::Arc::make_mut(&mut m.credentials).swap(2, 3);
        assert_eq!(m.check().unwrap_err().field, "credentials[3]");
        let mut m = good.body.clone();
        let c = std::sync::Arc::make_mut(&mut m.credentials);
        c[5] = c[4];
        assert!(m.check().unwrap_err().message.contains("repeats"));
        let mut m = good.body.clone();
        m.round = 2;
        assert_eq!(m.check().unwrap_err().field, "previous_result");
        let mut m = good.body;
        m.rules.seats = 0;
        assert_eq!(m.check().unwrap_err().field, "rules.seats");
    }

    #[test]
    fn marks_refuse_a_project_marked_twice() {
        let e = r#"{"C01":"for","C01":"against"}"#;
        assert!(serde_json::from_str::<Marks>(e).is_err());
        let m: Marks = serde_json::from_str(r#"{"C02":"for","C01":"against"}"#).unwrap();
        assert_eq!(to_canonical_string(&m), r#"{"C01":"against","C02":"for"}"#);
    }

    #[test]
    fn ids_sort_in_byte_order_as_canonical_json_requires() {
        let ids = ["C9", "C10", "C1", "B", "AB", "a", "A-", "A_", "A0"];
        let mut ours: Vec<CandidateId> =
            ids.iter().map(|s| CandidateId::parse(s).unwrap()).collect();
        ours.sort();
        let mut bytes: Vec<&str> = ids.to_vec();
        bytes.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        assert_eq!(ours.iter().map(|c| c.as_str()).collect::<Vec<_>>(), bytes);
        let m = Marks::new(ours.iter().map(|c| (*c, Mark::For)).rev().collect()).unwrap();
        let v: serde_json::Value = serde_json::to_value(&m).unwrap();
        assert_eq!(to_canonical_string(&m), reference::canonical(&v));
    }

    #[test]
    fn canonical_fast_path_accepts_exactly_the_canonical_form() {
        let mut lines: Vec<String> = vec![];
        for v in [
            "good-basic.jsonl",
            "good-tie.jsonl",
            "good-void_round.jsonl",
        ] {
            let all = vector_lines(v);
            lines.extend(all[1..all.len() - 1].iter().cloned());
        }
        assert!(lines.len() > 30);
        for line in &lines {
            let fast = Entry::parse_canonical(line.as_bytes())
                .expect("canonical lines take the fast path");
            assert_eq!(fast, parse_record::<Entry>(line.as_bytes()).unwrap());
            assert_eq!(to_canonical_string(&fast), *line);
        }
        // Every variant is either refused by the fast path or, if accepted,
        // is its own canonical form: a line it accepts can be hashed as is.
        let base = &lines[0];
        let mut variants = vec![
            base.replacen(':', ": ", 1),
            base.replacen("\"round\":1", "\"round\":01", 1),
            base.replacen("\"round\":1", "\"round\":1.0", 1),
            base.replacen("\"seq\":1", "\"seq\":-1", 1),
            base.replacen("\"seq\":1", "\"seq\":9007199254740992", 1),
            base.replacen("C01", "C\\u0030 1", 1),
            base.replacen("\"for\"", "\"fo\\u0072\"", 1),
            base.replacen("{\"channel\"", "{ \"channel\"", 1),
            format!("{base} "),
            format!("{base}x"),
            base.to_uppercase(),
            base.replacen("\"void\":null", "\"void\":\"over_cap\"", 1),
            base.replacen("\"channel\":\"tablet\"", "\"channel\":\"paper\"", 1),
            base[..base.len() - 1].to_string(),
        ];
        // A mark key out of order, and a repeated key.
        variants.push(base.replacen("\"C01\"", "\"C99\"", 1));
        variants.push(base.replacen("\"C02\"", "\"C01\"", 1));
        let mut accepted = 0;
        for v in &variants {
            if let Some(e) = Entry::parse_canonical(v.as_bytes()) {
                accepted += 1;
                assert_eq!(to_canonical_string(&e), *v, "accepted a non-canonical line");
            }
        }
        assert_eq!(
            accepted, 2,
            "only the two still-canonical edits are accepted"
        );
    }

    #[test]
    fn identifiers_are_checked() {
        assert!(ElectionId::parse("shiguai-2027").is_ok());
        assert!(ElectionId::parse("Shiguai").is_err());
        assert!(ElectionId::parse(&"a".repeat(65)).is_err());
        assert!(CandidateId::parse(&"a".repeat(32)).is_ok());
        assert!(CandidateId::parse("").is_err());
        assert!(CandidateId::parse("项目").is_err());
    }
}
