//! Unit tests of `tally`, beside it.
use super::*;
use crate::core::chain::{Ballot, VoteLog};
use crate::core::record::{Channel, IssuedRoll, MarkSet, VoidReason};
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

/// A 满意度测评 over `n` projects (review-record-v2's rules, on the fixture's pool).
fn review_fixture(n: usize, pool: usize) -> Fixture {
    let mut f = Fixture::new(n, n as u64, pool);
    f.manifest.rules.marks = MarkSet::Review;
    f.manifest.rules.threshold_base = ThresholdBase::Valid;
    f
}

fn review(f: &Fixture, ballots: &[&str], present: u64) -> crate::core::satisfaction::ReviewResult {
    let mut log = VoteLog::open(&f.manifest);
    let mut tally = Tally::new(&f.manifest);
    for (i, b) in ballots.iter().enumerate() {
        let ballot = match b.strip_prefix("paper:") {
            Some(rest) => Ballot {
                channel: Channel::Paper,
                ..ballot(f, i, rest)
            },
            None if *b == "unreadable" => Ballot {
                channel: Channel::Paper,
                unreadable: true,
                ..ballot(f, i, "")
            },
            None => ballot(f, i, b),
        };
        let (e, _) = log.append(&ballot).unwrap();
        tally.add(&e);
    }
    let roll = IssuedRoll {
        paper: ballots.len() as u64,
        replaced: vec![],
        switched_to_paper: false,
        tablet: vec![],
    };
    let att = Attendance {
        present,
        issued: ballots.len() as u64,
    };
    let ts = Timestamp::parse("2028-01-12T11:00:00+08:00").unwrap();
    match tally.round_result(
        &f.manifest,
        log.manifest_hash(),
        log.head(),
        att,
        Some(roll),
        ts,
    ) {
        crate::core::satisfaction::RoundResult::Review(r) => r,
        other => panic!("a review's result, found {other:?}"),
    }
}

#[test]
fn a_review_counts_its_marks_and_rates_against_the_valid_ballots() {
    use crate::core::satisfaction::Rating;
    let f = review_fixture(3, 10);
    // 7 returned, 1 void: base 6, threshold 4.
    let r = review(
        &f,
        &[
            "C01:satisfied C02:satisfied C03:unsatisfied",
            "C01:satisfied C02:basically_satisfied",
            "C01:satisfied C02:basically_satisfied C03:unsatisfied",
            "C01:satisfied C02:unsatisfied C03:satisfied",
            "C01:basically_satisfied",
            "paper:C01:unclear C02:satisfied C03:satisfied",
            "unreadable",
        ],
        8,
    );
    assert_eq!((r.returned, r.valid, r.void, r.threshold), (7, 6, 1, 4));
    assert!(r.round_valid);
    let c1 = r.tally[&id("C01")];
    assert_eq!(
        (
            c1.satisfied,
            c1.basically_satisfied,
            c1.unsatisfied,
            c1.unclear,
            c1.no_opinion
        ),
        (4, 1, 0, 1, 0)
    );
    assert_eq!(
        r.ratings[&id("C01")],
        Rating::Satisfied,
        "4 of 6: exactly the threshold"
    );
    assert_eq!(
        r.ratings[&id("C02")],
        Rating::BasicallySatisfied,
        "2 + 2 of 6"
    );
    let c3 = r.tally[&id("C03")];
    assert_eq!(c3.no_opinion, 2);
    assert_eq!(
        r.ratings[&id("C03")],
        Rating::Unsatisfied,
        "2 of 6; no opinion is in the base"
    );
}

#[test]
fn a_review_without_quorum_rates_nothing_and_is_held_again() {
    let f = review_fixture(2, 12);
    let r = review(&f, &["C01:satisfied", "C01:satisfied C02:satisfied"], 7);
    assert!(!r.quorum_met && !r.round_valid);
    assert!(r.ratings.is_empty());
    assert_eq!(r.tally.len(), 2, "the counts are published all the same");
}

#[test]
fn a_review_refuses_a_votes_marks_and_a_vote_refuses_a_reviews() {
    let f = review_fixture(2, 4);
    let mut log = VoteLog::open(&f.manifest);
    for m in ["C01:for", "C01:against", "C01:abstain"] {
        assert!(log.append(&ballot(&f, 0, m)).is_err(), "{m} in a review");
    }
    let unclear_on_tablet = ballot(&f, 0, "C01:unclear");
    assert!(log.append(&unclear_on_tablet).is_err());
    let vote = Fixture::new(2, 1, 4);
    let mut log = VoteLog::open(&vote.manifest);
    assert!(log.append(&ballot(&vote, 0, "C01:satisfied")).is_err());
    assert!(log.append(&ballot(&vote, 0, "C01:for")).is_ok());
}
