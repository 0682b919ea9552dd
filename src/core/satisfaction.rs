//! 满意度测评 (the satisfaction review a year later): the same kind of log —
//! one-time credentials, one ballot each, unmarked projects left out — with a
//! second rule set. tally-record-v1 has no published format for a review; this
//! module is the counting rule, ready for a `minsheng.review/1` record.

use super::record::CandidateId;
use std::collections::BTreeMap;

/// 满意 / 基本满意 / 不满意; unmarked is no opinion.
#[derive(Clone, Copy, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewMark {
    Satisfied,
    BasicallySatisfied,
    Unsatisfied,
}

/// The rating a project earns.
#[derive(Clone, Copy, PartialEq, Eq, Debug, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    /// 满意: `satisfied > total/2`
    Satisfied,
    /// 基本满意: `satisfied + basically_satisfied > total/2`
    BasicallySatisfied,
    /// 不满意
    Unsatisfied,
}

impl Rating {
    pub fn label_zh(self) -> &'static str {
        match self {
            Rating::Satisfied => "满意",
            Rating::BasicallySatisfied => "基本满意",
            Rating::Unsatisfied => "不满意",
        }
    }
}

/// Counts for one project.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, serde::Serialize)]
pub struct ReviewCounts {
    pub satisfied: u64,
    pub basically_satisfied: u64,
    pub unsatisfied: u64,
    pub no_opinion: u64,
}

/// Accumulates review ballots over a fixed list of projects.
#[derive(Clone, Debug)]
pub struct Review {
    counts: BTreeMap<CandidateId, ReviewCounts>,
    ballots: u64,
}

impl Review {
    pub fn new(projects: impl IntoIterator<Item = CandidateId>) -> Review {
        Review {
            counts: projects
                .into_iter()
                .map(|p| (p, ReviewCounts::default()))
                .collect(),
            ballots: 0,
        }
    }

    /// Counts one valid ballot; marks for projects not under review are ignored.
    pub fn add(&mut self, marks: impl IntoIterator<Item = (CandidateId, ReviewMark)>) {
        self.ballots += 1;
        for (id, m) in marks {
            if let Some(c) = self.counts.get_mut(&id) {
                match m {
                    ReviewMark::Satisfied => c.satisfied += 1,
                    ReviewMark::BasicallySatisfied => c.basically_satisfied += 1,
                    ReviewMark::Unsatisfied => c.unsatisfied += 1,
                }
            }
        }
    }

    /// Ratings with `total` as the base of "more than half" (the deputies of
    /// the assembly, as the vote's default threshold base).
    pub fn ratings(&self, total: u64) -> BTreeMap<CandidateId, (ReviewCounts, Rating)> {
        self.counts
            .iter()
            .map(|(id, c)| {
                let marked = c.satisfied + c.basically_satisfied + c.unsatisfied;
                let c = ReviewCounts {
                    no_opinion: self.ballots.saturating_sub(marked),
                    ..*c
                };
                (*id, (c, rate(c.satisfied, c.basically_satisfied, total)))
            })
            .collect()
    }
}

/// The rating rule of counting-rules.md.
pub fn rate(satisfied: u64, basically: u64, total: u64) -> Rating {
    if 2 * satisfied > total {
        Rating::Satisfied
    } else if 2 * (satisfied + basically) > total {
        Rating::BasicallySatisfied
    } else {
        Rating::Unsatisfied
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rating_rule_table() {
        // (satisfied, basically, total, rating)
        let cases = [
            (6, 0, 10, Rating::Satisfied),
            (5, 0, 10, Rating::Unsatisfied),
            (5, 1, 10, Rating::BasicallySatisfied),
            (3, 2, 10, Rating::Unsatisfied),
            (3, 3, 10, Rating::BasicallySatisfied),
            (0, 0, 0, Rating::Unsatisfied),
            (4, 0, 7, Rating::Satisfied),
        ];
        for (s, b, t, want) in cases {
            assert_eq!(rate(s, b, t), want, "{s} {b} {t}");
        }
    }

    #[test]
    fn review_counts_unmarked_as_no_opinion() {
        let a = CandidateId::parse("P1").unwrap();
        let b = CandidateId::parse("P2").unwrap();
        let mut r = Review::new([a, b]);
        r.add([(a, ReviewMark::Satisfied)]);
        r.add([
            (a, ReviewMark::Satisfied),
            (b, ReviewMark::BasicallySatisfied),
        ]);
        r.add([
            (a, ReviewMark::Unsatisfied),
            (b, ReviewMark::BasicallySatisfied),
        ]);
        let got = r.ratings(3);
        assert_eq!(got[&a].1, Rating::Satisfied);
        assert_eq!(got[&b].1, Rating::BasicallySatisfied);
        assert_eq!(got[&b].0.no_opinion, 1);
    }
}
