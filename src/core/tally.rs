//! 计票规则 (the counting rules of counting-rules.md): from the log's entries
//! and the attendance to the result body. Pure: the server, the verifier and
//! the tests all count with this code.

use super::canon::Hash;
use super::chain::BallotRules;
use super::record::{
    CandidateId, Counts, Entry, Manifest, Mark, ResultBody, ResultType, Rules, Shortfall,
    ThresholdBase, Timestamp,
};

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
    returned: u64,
    void: u64,
}

impl Tally {
    pub fn new(manifest: &Manifest) -> Tally {
        Tally {
            ids: manifest.candidates.iter().map(|c| c.id).collect(),
            rules: BallotRules::of(manifest),
            explicit: vec![Counts::default(); manifest.candidates.len()],
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
            if let Some(c) = self.explicit.get_mut(i) {
                match mark {
                    Mark::For => c.for_ += 1,
                    Mark::Against => c.against += 1,
                    Mark::Abstain => c.abstain += 1,
                    Mark::Unclear => c.unclear += 1,
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
    }

    /// An empty tally over the same candidates.
    pub fn empty_like(&self) -> Tally {
        Tally {
            ids: self.ids.clone(),
            rules: self.rules.clone(),
            explicit: vec![Counts::default(); self.explicit.len()],
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

    /// The result body of the round.
    pub fn result(
        &self,
        manifest: &Manifest,
        manifest_hash: Hash,
        log_head: Hash,
        attendance: Attendance,
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
            kind: ResultType,
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
        ThresholdBase::TotalDeputies => total_deputies,
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
mod tests {
    use super::*;
    use crate::core::chain::{Ballot, VoteLog};
    use crate::core::record::{Channel, MarkSet, VoidReason};
    use crate::core::testkit::{ballot, marks, Fixture};

    fn id(s: &str) -> CandidateId {
        CandidateId::parse(s).unwrap()
    }
    fn ids(s: &str) -> Vec<CandidateId> {
        s.split_whitespace().map(id).collect()
    }

    /// Runs ballots (`"C01:for C02:against"`, or `"paper:…"`, or
    /// `"unreadable"`) through the log and counts them.
    fn run(f: &Fixture, ballots: &[&str], att: Attendance) -> ResultBody {
        let mut log = VoteLog::open(&f.manifest);
        let mut tally = Tally::new(&f.manifest);
        for (i, b) in ballots.iter().enumerate() {
            let ballot = if *b == "unreadable" {
                Ballot {
                    channel: Channel::Paper,
                    unreadable: true,
                    ..ballot(f, i, "")
                }
            } else if let Some(rest) = b.strip_prefix("paper:") {
                Ballot {
                    channel: Channel::Paper,
                    ..ballot(f, i, rest)
                }
            } else {
                ballot(f, i, b)
            };
            let (e, _) = log.append(&ballot).unwrap();
            tally.add(&e);
        }
        let ts = Timestamp::parse("2027-01-12T11:00:00+08:00").unwrap();
        tally.result(&f.manifest, log.manifest_hash(), log.head(), att, ts)
    }

    fn all(n: u64) -> Attendance {
        Attendance {
            present: n,
            issued: n,
        }
    }

    #[test]
    fn unmarked_counts_as_abstain_and_unclear_counts_for_nothing() {
        let f = Fixture::new(3, 2, 9);
        let r = run(
            &f,
            &[
                "C01:for",
                "",
                "paper:C01:unclear C02:against",
                "C01:abstain",
            ],
            all(9),
        );
        assert_eq!(
            r.tally[&id("C01")],
            Counts {
                for_: 1,
                against: 0,
                abstain: 2,
                unclear: 1
            }
        );
        assert_eq!(
            r.tally[&id("C02")],
            Counts {
                for_: 0,
                against: 1,
                abstain: 3,
                unclear: 0
            }
        );
        assert_eq!(
            r.tally[&id("C03")],
            Counts {
                for_: 0,
                against: 0,
                abstain: 4,
                unclear: 0
            }
        );
        assert_eq!((r.returned, r.valid, r.void), (4, 4, 0));
    }

    #[test]
    fn void_ballots_are_returned_but_never_counted() {
        let f = Fixture::new(3, 1, 9);
        let r = run(&f, &["C01:for C02:for", "unreadable", "C02:for"], all(9));
        assert_eq!((r.returned, r.valid, r.void), (3, 1, 2));
        assert_eq!(r.tally[&id("C01")].for_, 0);
        assert_eq!(r.tally[&id("C02")].for_, 1);
        assert_eq!(r.tally[&id("C01")].abstain, 1);
    }

    struct Case {
        name: &'static str,
        candidates: usize,
        seats: u64,
        total: usize,
        base: ThresholdBase,
        att: Attendance,
        /// (how many ballots, marks)
        ballots: Vec<(usize, &'static str)>,
        threshold: u64,
        valid_round: bool,
        decided: &'static str,
        runoff: &'static str,
        unfilled: u64,
    }

    #[test]
    fn counting_rules_table() {
        use ThresholdBase::*;
        let cases = vec![
            Case {
                name: "zero ballots decide nothing",
                candidates: 3,
                seats: 2,
                total: 9,
                base: TotalDeputies,
                att: all(9),
                ballots: vec![],
                threshold: 5,
                valid_round: true,
                decided: "",
                runoff: "",
                unfilled: 2,
            },
            Case {
                name: "majority of all deputies, not of those voting",
                candidates: 3,
                seats: 2,
                total: 10,
                base: TotalDeputies,
                att: Attendance {
                    present: 7,
                    issued: 7,
                },
                ballots: vec![(5, "C01:for C02:for"), (2, "C02:for")],
                threshold: 6,
                valid_round: true,
                decided: "C02",
                runoff: "",
                unfilled: 1,
            },
            Case {
                name: "threshold on those present when the rules say so",
                candidates: 3,
                seats: 2,
                total: 10,
                base: Present,
                att: Attendance {
                    present: 7,
                    issued: 7,
                },
                ballots: vec![(4, "C01:for C02:for"), (3, "C03:for")],
                threshold: 4,
                valid_round: true,
                decided: "C01 C02",
                runoff: "",
                unfilled: 0,
            },
            Case {
                name: "more pass than seats: the ranking cuts at the last seat",
                candidates: 4,
                seats: 2,
                total: 9,
                base: TotalDeputies,
                att: all(9),
                ballots: vec![
                    (4, "C01:for C02:for"),
                    (3, "C01:for C03:for"),
                    (2, "C02:for C03:for"),
                ],
                threshold: 5,
                valid_round: true,
                decided: "C01 C02",
                runoff: "",
                unfilled: 0,
            },
            Case {
                name: "tie at the last seat goes to a runoff",
                candidates: 4,
                seats: 2,
                total: 9,
                base: TotalDeputies,
                att: all(9),
                ballots: vec![
                    (4, "C01:for C02:for"),
                    (4, "C01:for C03:for"),
                    (1, "C02:for C03:for"),
                ],
                threshold: 5,
                valid_round: true,
                decided: "C01",
                runoff: "C02 C03",
                unfilled: 0,
            },
            Case {
                name: "everyone tied: nobody decided, all to the runoff",
                candidates: 3,
                seats: 2,
                total: 9,
                base: TotalDeputies,
                att: all(9),
                ballots: vec![
                    (3, "C01:for C02:for"),
                    (3, "C01:for C03:for"),
                    (3, "C02:for C03:for"),
                ],
                threshold: 5,
                valid_round: true,
                decided: "",
                runoff: "C01 C02 C03",
                unfilled: 0,
            },
            Case {
                name: "seats more than candidates",
                candidates: 2,
                seats: 5,
                total: 5,
                base: TotalDeputies,
                att: all(5),
                ballots: vec![(5, "C01:for C02:for")],
                threshold: 3,
                valid_round: true,
                decided: "C01 C02",
                runoff: "",
                unfilled: 3,
            },
            Case {
                name: "all void",
                candidates: 2,
                seats: 1,
                total: 3,
                base: TotalDeputies,
                att: all(3),
                ballots: vec![(3, "C01:for C02:for")],
                threshold: 2,
                valid_round: true,
                decided: "",
                runoff: "",
                unfilled: 1,
            },
            Case {
                name: "no quorum: nothing decided",
                candidates: 2,
                seats: 1,
                total: 9,
                base: TotalDeputies,
                att: Attendance {
                    present: 5,
                    issued: 5,
                },
                ballots: vec![(5, "C01:for")],
                threshold: 5,
                valid_round: false,
                decided: "",
                runoff: "",
                unfilled: 1,
            },
            Case {
                name: "exactly two thirds is a quorum",
                candidates: 2,
                seats: 1,
                total: 9,
                base: TotalDeputies,
                att: Attendance {
                    present: 6,
                    issued: 6,
                },
                ballots: vec![(6, "C01:for")],
                threshold: 5,
                valid_round: true,
                decided: "C01",
                runoff: "",
                unfilled: 0,
            },
            Case {
                name: "more returned than issued voids the round",
                candidates: 2,
                seats: 1,
                total: 9,
                base: TotalDeputies,
                att: Attendance {
                    present: 9,
                    issued: 6,
                },
                ballots: vec![(7, "C01:for")],
                threshold: 5,
                valid_round: false,
                decided: "",
                runoff: "",
                unfilled: 1,
            },
        ];
        for c in cases {
            let mut f = Fixture::new(c.candidates, c.seats, c.total);
            f.manifest.rules.threshold_base = c.base;
            let ballots: Vec<&str> = c
                .ballots
                .iter()
                .flat_map(|(n, m)| std::iter::repeat_n(*m, *n))
                .collect();
            let r = run(&f, &ballots, c.att);
            assert_eq!(r.threshold, c.threshold, "{}", c.name);
            assert_eq!(r.round_valid, c.valid_round, "{}", c.name);
            assert_eq!(r.decided, ids(c.decided), "{}", c.name);
            assert_eq!(r.runoff, ids(c.runoff), "{}", c.name);
            assert_eq!(r.unfilled, c.unfilled, "{}", c.name);
            assert_eq!(
                r.ranking.len(),
                c.candidates,
                "{}: ranking lists every candidate",
                c.name
            );
        }
    }

    #[test]
    fn ranking_is_for_descending_then_id_in_byte_order() {
        let mut f = Fixture::new(3, 3, 9);
        f.manifest.candidates[0].id = id("b");
        f.manifest.candidates[1].id = id("B");
        f.manifest.candidates[2].id = id("a");
        f.manifest.rules.max_for = 3;
        let r = run(&f, &["a:for", "a:for"], all(9));
        assert_eq!(r.ranking, ids("a B b"));
    }

    #[test]
    fn for_only_round_counts_like_choose_up_to_n() {
        let mut f = Fixture::new(4, 2, 5);
        f.manifest.rules.marks = MarkSet::ForOnly;
        let r = run(
            &f,
            &[
                "C01:for C02:for",
                "C01:for C03:for",
                "C01:for C03:for",
                "C03:for",
            ],
            all(5),
        );
        assert_eq!(r.decided, ids("C01 C03"));
        assert_eq!(r.tally[&id("C04")].abstain, 4);
    }

    #[test]
    fn next_round_follows_the_result() {
        let f = Fixture::new(4, 2, 9);
        let tie_ballots = [
            &["C01:for C02:for"; 4][..],
            &["C01:for C03:for"; 4][..],
            &["C02:for C03:for"][..],
        ]
        .concat();
        let tie = run(&f, &tie_ballots, all(9));
        assert_eq!(
            next_round(&f.manifest.rules, &tie),
            Some(NextRound::Runoff {
                candidates: ids("C02 C03"),
                seats: 1
            })
        );
        let mut g = Fixture::new(3, 2, 9);
        g.manifest.rules.shortfall = Shortfall::Revote;
        let short = run(&g, &["C01:for"; 9], all(9));
        assert_eq!(
            next_round(&g.manifest.rules, &short),
            Some(NextRound::Revote {
                candidates: ids("C02 C03"),
                seats: 1
            })
        );
        let accepted = run(&f, &["C01:for"; 9], all(9));
        assert_eq!(next_round(&f.manifest.rules, &accepted), None);
        let void = run(
            &f,
            &["C01:for"; 3],
            Attendance {
                present: 3,
                issued: 3,
            },
        );
        assert_eq!(
            next_round(&f.manifest.rules, &void),
            Some(NextRound::Repeat)
        );
    }

    #[test]
    fn over_cap_is_void_in_the_tally() {
        let f = Fixture::new(3, 1, 3);
        let mut log = VoteLog::open(&f.manifest);
        let (e, _) = log
            .append(&Ballot {
                marks: marks("C01:for C02:for"),
                ..ballot(&f, 0, "")
            })
            .unwrap();
        assert_eq!(e.void, Some(VoidReason::OverCap));
    }
}
