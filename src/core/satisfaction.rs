//! 满意度测评 (the deputies' satisfaction review at the next session):
//! review-record-v2 (docs/spec/v2/review-record-v2.md). A review is a v2
//! round like a vote — blind tablet credentials, the paper pool, the issued
//! roll, the same log — whose ballot rates every project 满意 / 基本满意 /
//! 不满意 and decides nothing. This module is its counting rule and its
//! published result, `minsheng.review-result/2`.

use super::canon::Hash;
use super::record::{
    CandidateId, ElectionId, IssuedRoll, Manifest, ResultBody, ThresholdBase, Timestamp,
};
use super::types::int;
use serde::de::{self, Deserializer};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The rating a project earns.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    /// 满意: `satisfied >= threshold`
    Satisfied,
    /// 基本满意: `satisfied + basically_satisfied >= threshold`
    BasicallySatisfied,
    /// 不满意
    Unsatisfied,
}

impl Rating {
    pub fn as_str(self) -> &'static str {
        match self {
            Rating::Satisfied => "satisfied",
            Rating::BasicallySatisfied => "basically_satisfied",
            Rating::Unsatisfied => "unsatisfied",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Rating::Satisfied => "满意",
            Rating::BasicallySatisfied => "基本满意",
            Rating::Unsatisfied => "不满意",
        }
    }
}

/// Counts for one project (keys in canonical order).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewCounts {
    #[serde(deserialize_with = "int")]
    pub basically_satisfied: u64,
    /// Valid ballots that left the project unmarked.
    #[serde(deserialize_with = "int")]
    pub no_opinion: u64,
    #[serde(deserialize_with = "int")]
    pub satisfied: u64,
    /// Paper marks that could not be read (count for nothing).
    #[serde(deserialize_with = "int")]
    pub unclear: u64,
    #[serde(deserialize_with = "int")]
    pub unsatisfied: u64,
}

/// The threshold of "more than half" of `base`.
pub fn threshold(base: u64) -> u64 {
    base / 2 + 1
}

/// The rating rule: 满意 when 满意 is more than half of the base; else
/// 基本满意 when 满意 + 基本满意 is; else 不满意.
pub fn rate(satisfied: u64, basically: u64, base: u64) -> Rating {
    let t = threshold(base);
    if satisfied >= t {
        Rating::Satisfied
    } else if satisfied + basically >= t {
        Rating::BasicallySatisfied
    } else {
        Rating::Unsatisfied
    }
}

/// The base of a review's "half": the valid ballots (the default, and what
/// the spec recommends), those present, or all deputies.
pub fn base(rule: ThresholdBase, total: u64, present: u64, valid: u64) -> u64 {
    match rule {
        ThresholdBase::Valid => valid,
        ThresholdBase::Present => present,
        ThresholdBase::TotalDeputies => total,
    }
}

/// `"minsheng.review-result/2"`, and nothing else.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct ReviewResultType;

impl ReviewResultType {
    pub const TAG: &'static str = "minsheng.review-result/2";
}

impl Serialize for ReviewResultType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(Self::TAG)
    }
}

impl<'de> Deserialize<'de> for ReviewResultType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s == Self::TAG {
            Ok(ReviewResultType)
        } else {
            Err(de::Error::custom(format!(
                "expected {:?}, found {s:?}",
                Self::TAG
            )))
        }
    }
}

/// 测评结果: the signed result of a review round (fields in canonical order).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewResult {
    pub closed_at: Timestamp,
    pub election_id: ElectionId,
    #[serde(deserialize_with = "int")]
    pub issued: u64,
    pub issued_roll: IssuedRoll,
    pub log_head: Hash,
    pub manifest: Hash,
    #[serde(deserialize_with = "int")]
    pub present: u64,
    pub quorum_met: bool,
    /// Every project's rating; empty when the round is not valid.
    pub ratings: BTreeMap<CandidateId, Rating>,
    #[serde(deserialize_with = "int")]
    pub returned: u64,
    #[serde(deserialize_with = "int")]
    pub round: u64,
    pub round_valid: bool,
    pub tally: BTreeMap<CandidateId, ReviewCounts>,
    #[serde(deserialize_with = "int")]
    pub threshold: u64,
    #[serde(deserialize_with = "int")]
    pub total_deputies: u64,
    #[serde(rename = "type")]
    pub kind: ReviewResultType,
    #[serde(deserialize_with = "int")]
    pub valid: u64,
    #[serde(deserialize_with = "int")]
    pub void: u64,
}

/// What a round publishes: a vote's result or a review's.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum RoundResult {
    Vote(ResultBody),
    Review(ReviewResult),
}

impl Serialize for RoundResult {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            RoundResult::Vote(r) => r.serialize(s),
            RoundResult::Review(r) => r.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for RoundResult {
    /// By its `type`: `minsheng.review-result/2` is a review's.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        let review = v.get("type").and_then(|t| t.as_str()) == Some(ReviewResultType::TAG);
        if review {
            serde_json::from_value(v).map(RoundResult::Review)
        } else {
            serde_json::from_value(v).map(RoundResult::Vote)
        }
        .map_err(de::Error::custom)
    }
}

/// The fields every result has, whichever kind.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Common<'a> {
    pub round: u64,
    pub round_valid: bool,
    pub quorum_met: bool,
    pub total_deputies: u64,
    pub present: u64,
    pub issued: u64,
    pub returned: u64,
    pub valid: u64,
    pub void: u64,
    pub threshold: u64,
    pub closed_at: &'a Timestamp,
    pub issued_roll: Option<&'a IssuedRoll>,
}

impl RoundResult {
    /// Parses a stored result: a review's when the round is a review.
    pub fn parse(json: &[u8], review: bool) -> Result<RoundResult, super::record::FieldError> {
        if review {
            super::record::parse_record(json).map(RoundResult::Review)
        } else {
            super::record::parse_record(json).map(RoundResult::Vote)
        }
    }
    pub fn vote(&self) -> Option<&ResultBody> {
        match self {
            RoundResult::Vote(r) => Some(r),
            RoundResult::Review(_) => None,
        }
    }
    pub fn review(&self) -> Option<&ReviewResult> {
        match self {
            RoundResult::Review(r) => Some(r),
            RoundResult::Vote(_) => None,
        }
    }
    /// The tally hash, `H(result body)`.
    pub fn hash(&self) -> Hash {
        Hash::of(self)
    }
    pub fn common(&self) -> Common<'_> {
        // The same fields, by name, from either record.
        macro_rules! common {
            ($r:expr, $roll:expr) => {
                Common {
                    round: $r.round,
                    round_valid: $r.round_valid,
                    quorum_met: $r.quorum_met,
                    total_deputies: $r.total_deputies,
                    present: $r.present,
                    issued: $r.issued,
                    returned: $r.returned,
                    valid: $r.valid,
                    void: $r.void,
                    threshold: $r.threshold,
                    closed_at: &$r.closed_at,
                    issued_roll: $roll,
                }
            };
        }
        match self {
            RoundResult::Vote(r) => common!(r, r.issued_roll.as_ref()),
            RoundResult::Review(r) => common!(r, Some(&r.issued_roll)),
        }
    }
}

/// Builds a review's result from its counts (the tally's per-project
/// review counts, in manifest order) and the round's attendance.
#[allow(clippy::too_many_arguments)]
pub fn review_result(
    manifest: &Manifest,
    manifest_hash: Hash,
    log_head: Hash,
    counts: Vec<(CandidateId, ReviewCounts)>,
    returned: u64,
    void: u64,
    present: u64,
    issued: u64,
    issued_roll: IssuedRoll,
    closed_at: Timestamp,
) -> ReviewResult {
    let valid = returned - void.min(returned);
    let quorum_met = present >= super::tally::quorum(manifest.total_deputies);
    let round_valid = quorum_met && returned <= issued;
    let b = base(
        manifest.rules.threshold_base,
        manifest.total_deputies,
        present,
        valid,
    );
    let ratings = if round_valid {
        counts
            .iter()
            .map(|(id, c)| (*id, rate(c.satisfied, c.basically_satisfied, b)))
            .collect()
    } else {
        BTreeMap::new()
    };
    ReviewResult {
        closed_at,
        election_id: manifest.election_id,
        issued,
        issued_roll,
        log_head,
        manifest: manifest_hash,
        present,
        quorum_met,
        ratings,
        returned,
        round: manifest.round,
        round_valid,
        tally: counts.into_iter().collect(),
        threshold: threshold(b),
        total_deputies: manifest.total_deputies,
        kind: ReviewResultType,
        valid,
        void,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rating_rule_at_its_edges() {
        // (satisfied, basically, base, rating)
        let cases = [
            (6, 0, 10, Rating::Satisfied),
            (5, 0, 10, Rating::Unsatisfied),
            (5, 1, 10, Rating::BasicallySatisfied),
            (3, 2, 10, Rating::Unsatisfied),
            (3, 3, 10, Rating::BasicallySatisfied),
            (0, 0, 0, Rating::Unsatisfied),
            (4, 0, 7, Rating::Satisfied),
            (3, 0, 7, Rating::Unsatisfied),
            (3, 1, 7, Rating::BasicallySatisfied),
            (0, 76, 150, Rating::BasicallySatisfied),
            (75, 0, 150, Rating::Unsatisfied),
            (76, 0, 150, Rating::Satisfied),
        ];
        for (s, b, t, want) in cases {
            assert_eq!(rate(s, b, t), want, "{s} {b} {t}");
        }
        assert_eq!(threshold(150), 76);
        assert_eq!(threshold(7), 4);
        assert_eq!(threshold(0), 1);
    }

    #[test]
    fn the_base_is_what_the_manifest_names() {
        assert_eq!(base(ThresholdBase::Valid, 150, 140, 131), 131);
        assert_eq!(base(ThresholdBase::Present, 150, 140, 131), 140);
        assert_eq!(base(ThresholdBase::TotalDeputies, 150, 140, 131), 150);
    }

    #[test]
    fn the_type_tag_is_exact() {
        assert!(serde_json::from_str::<ReviewResultType>("\"minsheng.review-result/2\"").is_ok());
        assert!(serde_json::from_str::<ReviewResultType>("\"minsheng.result/2\"").is_err());
        assert!(serde_json::from_str::<ReviewResultType>("\"minsheng.review-result/1\"").is_err());
    }
}
