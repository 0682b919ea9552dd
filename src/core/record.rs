//! The objects of the published tally record (tally-record-v1): manifest,
//! entry, result and the signed envelope, with the small validated types they
//! are made of. Parsing one of these is the only validation its fields need:
//! a `CandidateId` in hand is a legal id, a `Hash` is 32 bytes, and so on.
//!
//! Field order matters: every struct lists its fields alphabetically so that
//! serialising it with `serde_json` is already canonical (see [`super::canon`]).

use super::canon::{Hash, MAX_INT};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use std::fmt;

pub use super::issuing::{IssuerSignature, IssuingKey};
pub use super::types::*;

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
    /// 满意 (a 满意度测评 round only)
    Satisfied,
    /// 基本满意 (a 满意度测评 round only)
    BasicallySatisfied,
    /// 不满意 (a 满意度测评 round only)
    Unsatisfied,
}

impl Mark {
    pub fn as_str(self) -> &'static str {
        match self {
            Mark::For => "for",
            Mark::Against => "against",
            Mark::Abstain => "abstain",
            Mark::Unclear => "unclear",
            Mark::Satisfied => "satisfied",
            Mark::BasicallySatisfied => "basically_satisfied",
            Mark::Unsatisfied => "unsatisfied",
        }
    }
    /// The mark named `s` (as the record writes it).
    pub fn parse(s: &str) -> Option<Mark> {
        [
            Mark::For,
            Mark::Against,
            Mark::Abstain,
            Mark::Unclear,
            Mark::Satisfied,
            Mark::BasicallySatisfied,
            Mark::Unsatisfied,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Mark::For => "赞成",
            Mark::Against => "不赞成",
            Mark::Abstain => "弃权",
            Mark::Unclear => "无法辨认",
            Mark::Satisfied => "满意",
            Mark::BasicallySatisfied => "基本满意",
            Mark::Unsatisfied => "不满意",
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
    /// `["satisfied", "basically_satisfied", "unsatisfied"]`: a 满意度测评
    /// round (review-record-v2): every project rated, nothing decided.
    Review,
}

impl MarkSet {
    pub fn names(self) -> &'static [&'static str] {
        match self {
            MarkSet::ForAgainstAbstain => &["for", "against", "abstain"],
            MarkSet::ForOnly => &["for"],
            MarkSet::Review => &["satisfied", "basically_satisfied", "unsatisfied"],
        }
    }
    /// The marks a ballot of this set offers, in the order they are shown.
    pub fn marks(self) -> &'static [Mark] {
        match self {
            MarkSet::ForAgainstAbstain => &[Mark::For, Mark::Against, Mark::Abstain],
            MarkSet::ForOnly => &[Mark::For],
            MarkSet::Review => &[Mark::Satisfied, Mark::BasicallySatisfied, Mark::Unsatisfied],
        }
    }
    /// Whether a ballot may carry `mark` on this channel. In a vote
    /// `abstain` is always allowed; `unclear` only on paper, in a vote or a
    /// review; a review's marks only in a review (where an unmarked project
    /// is no opinion, so there is no `abstain`).
    pub fn allows(self, mark: Mark, channel: Channel) -> bool {
        match mark {
            Mark::Unclear => channel == Channel::Paper,
            Mark::For | Mark::Abstain => self != MarkSet::Review,
            Mark::Against => self == MarkSet::ForAgainstAbstain,
            Mark::Satisfied | Mark::BasicallySatisfied | Mark::Unsatisfied => {
                self == MarkSet::Review
            }
        }
    }
    pub fn is_review(self) -> bool {
        self == MarkSet::Review
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
            ["satisfied", "basically_satisfied", "unsatisfied"] => Ok(MarkSet::Review),
            other => Err(de::Error::custom(format!(
                "expected [\"for\",\"against\",\"abstain\"], [\"for\"] or [\"satisfied\",\"basically_satisfied\",\"unsatisfied\"], found {other:?}"
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
    /// 有效票 (a 满意度测评 round only: the deputies who rated)
    Valid,
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
    /// v2: the round's RSA key that signs tablet credentials blindly.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "some"
    )]
    pub issuing_key: Option<IssuingKey>,
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
        match (self.kind.0, &self.issuing_key) {
            (Version::V1, Some(_)) => {
                return Err(FieldError::new(
                    "issuing_key",
                    "a v1 manifest has no issuing key (blind issuance is v2)",
                ))
            }
            (Version::V2, None) => {
                return Err(FieldError::new(
                    "issuing_key",
                    "a v2 manifest names the round's issuing key",
                ))
            }
            (Version::V2, Some(k)) => {
                k.verifier()
                    .map_err(|e| FieldError::new("issuing_key", e))?;
            }
            (Version::V1, None) => {}
        }
        if self.scrutineer_keys.is_empty() {
            return Err(FieldError::new(
                "scrutineer_keys",
                "at least one scrutineer key: a result only the authority signs is checked by nobody",
            ));
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
        // After the candidates, as tools/verify_bundle.py checks it.
        self.check_review()?;
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

impl Manifest {
    /// Whether this is a 满意度测评 round (review-record-v2).
    pub fn is_review(&self) -> bool {
        self.rules.marks.is_review()
    }

    /// review-record-v2: a review is a v2 round that rates every project
    /// and decides none, so `seats` and `max_for` are the number of
    /// projects (no ballot is ever over a cap) and `shortfall` is `accept`;
    /// `threshold_base` `valid` belongs to a review alone.
    fn check_review(&self) -> Result<(), FieldError> {
        let n = self.candidates.len() as u64;
        if !self.is_review() {
            if self.rules.threshold_base == ThresholdBase::Valid {
                return Err(FieldError::new(
                    "rules.threshold_base",
                    "\"valid\" is a satisfaction review's base; a vote counts against total_deputies or present",
                ));
            }
            return Ok(());
        }
        if self.kind.0 != Version::V2 {
            return Err(FieldError::new(
                "rules.marks",
                "a satisfaction review is a v2 round (review-record-v2)",
            ));
        }
        if self.rules.seats != n || self.rules.max_for != n {
            return Err(FieldError::new(
                "rules.seats",
                format!(
                    "a review rates every project: seats and max_for must both be {n}, found {} and {}",
                    self.rules.seats, self.rules.max_for
                ),
            ));
        }
        if self.rules.shortfall != Shortfall::Accept {
            return Err(FieldError::new(
                "rules.shortfall",
                "a review decides nothing: shortfall must be \"accept\"",
            ));
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
    /// v2, tablet entries only: the issuer's signature on the credential.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "some"
    )]
    pub issuer_signature: Option<IssuerSignature>,
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
        let channel = c.either(b"tablet\"", Channel::Tablet, b"paper\"", Channel::Paper)?;
        c.lit(b",\"credential\":\"")?;
        let credential = c.hash()?;
        c.lit(b"\",\"election_id\":\"")?;
        let election_id = ElectionId::from_ascii(c.until_quote()?)?;
        let issuer_signature = if c.lit(b"\",\"issuer_signature\":\"").is_some() {
            let hex = std::str::from_utf8(c.until_quote()?).ok()?;
            Some(IssuerSignature::parse_hex(hex).ok()?)
        } else {
            None
        };
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
                    b"satisfied" => Mark::Satisfied,
                    b"basically_satisfied" => Mark::BasicallySatisfied,
                    b"unsatisfied" => Mark::Unsatisfied,
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
        c.lit(b",\"type\":\"minsheng.entry/")?;
        let kind = c.either(b"1", EntryType::V1, b"2", EntryType::V2)?;
        c.lit(b"\",\"void\":")?;
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
            issuer_signature,
            marks: Marks(marks),
            prev,
            round,
            seq,
            kind,
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
    /// One of two literals, and what it stands for.
    fn either<T>(&mut self, a: &[u8], x: T, b: &[u8], y: T) -> Option<T> {
        if self.lit(a).is_some() {
            Some(x)
        } else {
            self.lit(b).map(|()| y)
        }
    }
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

/// 发票名单 (v2): the deputies whose tablets were issued a ballot, by
/// number, sorted; the paper ballots handed out, counted; and whether the
/// round went over to paper (then a tablet ballot that never came back was
/// cancelled and its deputy handed paper). `issued` follows from it.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuedRoll {
    #[serde(deserialize_with = "int")]
    pub paper: u64,
    /// Deputies on the tablet roll whose tablet failed after its ballot was
    /// signed and who were handed a paper ballot instead (each one of the
    /// `paper` ballots).
    pub replaced: Vec<DeputyNumber>,
    pub switched_to_paper: bool,
    pub tablet: Vec<DeputyNumber>,
}

impl IssuedRoll {
    /// `issued` as the roll and the log's tablet entries make it.
    pub fn issued(&self, tablet_entries: u64) -> u64 {
        let tablets = if self.switched_to_paper {
            tablet_entries
        } else {
            self.tablet.len() as u64
        };
        tablets + self.paper
    }

    /// Both lists sorted by byte order, each number once; every replaced
    /// deputy on the tablet roll, and each replacement one of the paper
    /// ballots.
    pub fn check(&self) -> Result<(), FieldError> {
        for (name, list) in [("replaced", &self.replaced), ("tablet", &self.tablet)] {
            for (i, w) in list.windows(2).enumerate() {
                if w[0] >= w[1] {
                    return Err(FieldError::new(
                        format!("issued_roll.{name}[{}]", i + 1),
                        format!(
                            "{:?} after {:?}: numbers sorted ascending and unique",
                            w[1].0, w[0].0
                        ),
                    ));
                }
            }
        }
        if let Some((i, n)) = self
            .replaced
            .iter()
            .enumerate()
            .find(|(_, n)| self.tablet.binary_search(n).is_err())
        {
            return Err(FieldError::new(
                format!("issued_roll.replaced[{i}]"),
                format!(
                    "{:?} is not on the tablet roll: only a tablet ballot is replaced",
                    n.0
                ),
            ));
        }
        if self.replaced.len() as u64 > self.paper {
            return Err(FieldError::new(
                "issued_roll.replaced",
                format!(
                    "{} replacements but only {} paper ballots handed out",
                    self.replaced.len(),
                    self.paper
                ),
            ));
        }
        Ok(())
    }
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
    /// v2: who was issued a ballot (see [`IssuedRoll`]).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "some"
    )]
    pub issued_roll: Option<IssuedRoll>,
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
#[path = "record_tests.rs"]
mod tests;
