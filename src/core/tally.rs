//! 计票规则 (the counting rules of counting-rules.md): from the log's entries
//! and the attendance to the result body. Pure: the server, the verifier and
//! the tests all count with this code.

use super::canon::Hash;
use super::chain::BallotRules;
use super::record::{
    CandidateId, Counts, Entry, IssuedRoll, Manifest, Mark, ResultBody, ResultType, Rules,
    Shortfall, ThresholdBase, Timestamp,
};
use super::satisfaction::{review_result, ReviewCounts, RoundResult};

/// 应到/实到 and 发出: what the log alone cannot know.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Attendance {
    /// 实到 (deputies present)
    pub present: u64,
    /// 发出 (ballots issued, tablet and paper)
    pub issued: u64,
}

/// Running counts over the entries of a round.
#[derive(Clone, Debug)]
pub struct Tally {
    ids: Vec<CandidateId>,
    rules: BallotRules,
    /// Explicit marks per candidate, in manifest order.
    explicit: Vec<Counts>,
    /// A review's marks per candidate (满意 / 基本满意 / 不满意; `unclear`
    /// is in `explicit`), in manifest order.
    review: Vec<ReviewCounts>,
    returned: u64,
    void: u64,
}

impl Tally {
    pub fn new(manifest: &Manifest) -> Tally {
        Tally {
            ids: manifest.candidates.iter().map(|c| c.id).collect(),
            rules: BallotRules::of(manifest),
            explicit: vec![Counts::default(); manifest.candidates.len()],
            review: vec![ReviewCounts::default(); manifest.candidates.len()],
            returned: 0,
            void: 0,
        }
    }

    /// Counts one entry that the log has accepted.
    pub fn add(&mut self, entry: &Entry) {
        let mut resolved = Vec::with_capacity(entry.marks.len());
        // An accepted entry's marks all resolve; were one not to, the marks
        // before it are counted and the rest ignored, never a panic.
        let _ = self
            .rules
            .resolve(entry.channel, &entry.marks, &mut resolved);
        self.add_resolved(entry.void.is_some(), &resolved);
    }

    /// Counts one entry whose marks are already resolved to manifest positions.
    pub fn add_resolved(&mut self, void: bool, marks: &[(usize, Mark)]) {
        self.returned += 1;
        if void {
            self.void += 1;
            return;
        }
        for &(i, mark) in marks {
            if let (Some(c), Some(r)) = (self.explicit.get_mut(i), self.review.get_mut(i)) {
                match mark {
                    Mark::For => c.for_ += 1,
                    Mark::Against => c.against += 1,
                    Mark::Abstain => c.abstain += 1,
                    Mark::Unclear => c.unclear += 1,
                    Mark::Satisfied => r.satisfied += 1,
                    Mark::BasicallySatisfied => r.basically_satisfied += 1,
                    Mark::Unsatisfied => r.unsatisfied += 1,
                }
            }
        }
    }

    /// Adds the counts of another tally of the same round (the verifier
    /// counts batches of entries on several threads).
    pub fn merge(&mut self, other: &Tally) {
        self.returned += other.returned;
        self.void += other.void;
        for (a, b) in self.explicit.iter_mut().zip(&other.explicit) {
            a.for_ += b.for_;
            a.against += b.against;
            a.abstain += b.abstain;
            a.unclear += b.unclear;
        }
        for (a, b) in self.review.iter_mut().zip(&other.review) {
            a.satisfied += b.satisfied;
            a.basically_satisfied += b.basically_satisfied;
            a.unsatisfied += b.unsatisfied;
        }
    }

    /// An empty tally over the same candidates.
    pub fn empty_like(&self) -> Tally {
        Tally {
            ids: self.ids.clone(),
            rules: self.rules.clone(),
            explicit: vec![Counts::default(); self.explicit.len()],
            review: vec![ReviewCounts::default(); self.review.len()],
            returned: 0,
            void: 0,
        }
    }

    /// 收回 (ballots returned: every entry).
    pub fn returned(&self) -> u64 {
        self.returned
    }
    /// 废票
    pub fn void(&self) -> u64 {
        self.void
    }
    /// 有效票
    pub fn valid(&self) -> u64 {
        self.returned - self.void
    }

    /// Per candidate (manifest order), with unmarked counted as 弃权.
    pub fn counts(&self) -> Vec<(CandidateId, Counts)> {
        let valid = self.valid();
        self.ids
            .iter()
            .zip(&self.explicit)
            .map(|(id, c)| {
                let marked = c.for_ + c.against + c.unclear;
                (
                    *id,
                    Counts {
                        abstain: valid.saturating_sub(marked),
                        ..*c
                    },
                )
            })
            .collect()
    }

    /// A review's counts per project (manifest order), unmarked as no opinion.
    pub fn review_counts(&self) -> Vec<(CandidateId, ReviewCounts)> {
        let valid = self.valid();
        self.ids
            .iter()
            .zip(self.review.iter().zip(&self.explicit))
            .map(|(id, (r, c))| {
                let marked = r.satisfied + r.basically_satisfied + r.unsatisfied + c.unclear;
                (
                    *id,
                    ReviewCounts {
                        no_opinion: valid.saturating_sub(marked),
                        unclear: c.unclear,
                        ..*r
                    },
                )
            })
            .collect()
    }

    /// What the round publishes: a vote's result, or a review's
    /// (review-record-v2, always with its issued roll).
    pub fn round_result(
        &self,
        manifest: &Manifest,
        manifest_hash: Hash,
        log_head: Hash,
        attendance: Attendance,
        issued_roll: Option<IssuedRoll>,
        closed_at: Timestamp,
    ) -> RoundResult {
        match (manifest.is_review(), issued_roll) {
            (true, Some(roll)) => RoundResult::Review(review_result(
                manifest,
                manifest_hash,
                log_head,
                self.review_counts(),
                self.returned,
                self.void,
                attendance.present,
                attendance.issued,
                roll,
                closed_at,
            )),
            (_, roll) => RoundResult::Vote(self.result_with(
                manifest,
                manifest_hash,
                log_head,
                attendance,
                roll,
                closed_at,
            )),
        }
    }

    /// The result body of a v1 round (no issued roll).
    pub fn result(
        &self,
        manifest: &Manifest,
        manifest_hash: Hash,
        log_head: Hash,
        attendance: Attendance,
        closed_at: Timestamp,
    ) -> ResultBody {
        self.result_with(
            manifest,
            manifest_hash,
            log_head,
            attendance,
            None,
            closed_at,
        )
    }

    /// The result body of the round, in the manifest's version; a v2 round
    /// carries its issued roll.
    pub fn result_with(
        &self,
        manifest: &Manifest,
        manifest_hash: Hash,
        log_head: Hash,
        attendance: Attendance,
        issued_roll: Option<IssuedRoll>,
        closed_at: Timestamp,
    ) -> ResultBody {
        let counts = self.counts();
        let o = outcome(
            &manifest.rules,
            manifest.total_deputies,
            attendance,
            self.returned,
            &counts,
        );
        ResultBody {
            closed_at,
            decided: o.decided,
            election_id: manifest.election_id,
            issued: attendance.issued,
            issued_roll,
            log_head,
            manifest: manifest_hash,
            present: attendance.present,
            quorum_met: o.quorum_met,
            ranking: o.ranking,
            returned: self.returned,
            round: manifest.round,
            round_valid: o.round_valid,
            runoff: o.runoff,
            tally: counts.into_iter().collect(),
            threshold: o.threshold,
            total_deputies: manifest.total_deputies,
            kind: ResultType(manifest.kind.0),
            unfilled: o.unfilled,
            valid: self.valid(),
            void: self.void,
        }
    }
}

/// What the counts decide.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub threshold: u64,
    pub quorum_met: bool,
    pub round_valid: bool,
    pub ranking: Vec<CandidateId>,
    pub decided: Vec<CandidateId>,
    pub runoff: Vec<CandidateId>,
    pub unfilled: u64,
}

/// 法定人数: `ceil(2/3 * total)`.
pub fn quorum(total_deputies: u64) -> u64 {
    (2 * total_deputies).div_ceil(3)
}

/// Applies the rules: quorum, returned vs issued, threshold, ranking, the cut.
pub fn outcome(
    rules: &Rules,
    total_deputies: u64,
    attendance: Attendance,
    returned: u64,
    counts: &[(CandidateId, Counts)],
) -> Outcome {
    let quorum_met = attendance.present >= quorum(total_deputies);
    let round_valid = quorum_met && returned <= attendance.issued;
    let base = match rules.threshold_base {
        // `valid` is a review's base; a vote's manifest cannot name it.
        ThresholdBase::TotalDeputies | ThresholdBase::Valid => total_deputies,
        ThresholdBase::Present => attendance.present,
    };
    let threshold = base / 2 + 1;

    let mut ranked: Vec<(CandidateId, u64)> = counts.iter().map(|(id, c)| (*id, c.for_)).collect();
    // 'for' descending, then id ascending in byte order.
    ranked.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then_with(|| a.0.as_str().as_bytes().cmp(b.0.as_str().as_bytes()))
    });
    let ranking: Vec<CandidateId> = ranked.iter().map(|r| r.0).collect();

    if !round_valid {
        return Outcome {
            threshold,
            quorum_met,
            round_valid,
            ranking,
            decided: vec![],
            runoff: vec![],
            unfilled: rules.seats,
        };
    }
    let passing: Vec<(CandidateId, u64)> =
        ranked.into_iter().filter(|r| r.1 >= threshold).collect();
    let seats = usize::try_from(rules.seats).unwrap_or(usize::MAX);
    let (decided, runoff) = if passing.len() <= seats {
        (passing.iter().map(|r| r.0).collect(), vec![])
    } else {
        let cut = passing[seats - 1].1;
        if passing[seats].1 == cut {
            // A tie straddles the last seat: those strictly above it are
            // decided; the tied ones go to a runoff for the seats left.
            (
                passing.iter().filter(|r| r.1 > cut).map(|r| r.0).collect(),
                passing.iter().filter(|r| r.1 == cut).map(|r| r.0).collect(),
            )
        } else {
            (passing[..seats].iter().map(|r| r.0).collect(), vec![])
        }
    };
    Outcome {
        threshold,
        quorum_met,
        round_valid,
        ranking,
        decided,
        runoff,
        unfilled: rules.seats.saturating_sub(passing.len() as u64),
    }
}

/// Why a further round is called, and over what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NextRound {
    /// 再次投票: the projects tied at the last seat, for the seats left.
    Runoff {
        candidates: Vec<CandidateId>,
        seats: u64,
    },
    /// `shortfall = revote`: the projects that did not pass, for the unfilled seats.
    Revote {
        candidates: Vec<CandidateId>,
        seats: u64,
    },
    /// The round was void (quorum or returned > issued): the same vote again.
    Repeat,
}

/// What must follow a round, if anything.
pub fn next_round(rules: &Rules, result: &ResultBody) -> Option<NextRound> {
    if !result.round_valid {
        return Some(NextRound::Repeat);
    }
    if !result.runoff.is_empty() {
        return Some(NextRound::Runoff {
            candidates: result.runoff.clone(),
            seats: rules.seats - result.decided.len() as u64,
        });
    }
    if result.unfilled > 0 && rules.shortfall == Shortfall::Revote {
        let failed: Vec<CandidateId> = result
            .ranking
            .iter()
            .filter(|id| {
                result
                    .tally
                    .get(id)
                    .is_some_and(|c| c.for_ < result.threshold)
            })
            .copied()
            .collect();
        if !failed.is_empty() {
            return Some(NextRound::Revote {
                candidates: failed,
                seats: result.unfilled,
            });
        }
    }
    None
}

#[cfg(test)]
#[path = "tally_tests.rs"]
mod tests;
