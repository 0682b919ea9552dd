//! tally-record-v2's conformance vectors (docs/spec/v2/vectors/): every good
//! one verifies with its listed tally hash in both verifiers, every bad one
//! fails in both at the named line and field, and chains are followed and
//! forks refused. `cargo test --test vectors_v2 -- --ignored write` makes the
//! files again (the keys are the spec's test keys and RFC 9474's own; the
//! "other key" is fresh, so that file changes when made again).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::verifiers::{python_verify, rust_verify, Outcome};
use minsheng::core::canon::{to_canonical_string, Hash};
use minsheng::core::chain::{Ballot, IssuerProof};
use minsheng::core::credential::Credential;
use minsheng::core::issuing::{BlindRequest, IssuingKey};
use minsheng::core::record::*;
use minsheng::core::{Attendance, Tally, VoteLog};
use minsheng::keys::{IssuingSecret, Signer};
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/spec/v2/vectors"))
}

/// The good vectors and their tally hashes (as docs/spec/v2/vectors/README.md lists them).
fn good() -> Vec<(&'static str, String)> {
    let readme = std::fs::read_to_string(dir().join("README.md")).unwrap();
    [
        "good-basic.jsonl",
        "good-switched.jsonl",
        "good-replaced.jsonl",
        "chain-1.jsonl",
        "chain-2.jsonl",
        "good-review.jsonl",
    ]
    .into_iter()
    .map(|f| {
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| {f} |")))
            .unwrap_or_else(|| panic!("{f} is listed in the README"));
        let hash = row.split('|').nth(2).unwrap().trim().to_string();
        (f, hash)
    })
    .collect()
}

/// The bad vectors: the line and field where both verifiers must stop.
const BAD: &[(&str, u64, &str)] = &[
    ("bad-wrong-key.jsonl", 2, "issuer_signature"),
    ("bad-other-round.jsonl", 3, "issuer_signature"),
    ("bad-signed-twice.jsonl", 5, "credential"),
    ("bad-modulus-boundary.jsonl", 5, "issuer_signature"),
    ("bad-missing-signature.jsonl", 3, "issuer_signature"),
    ("bad-signature-on-paper.jsonl", 7, "issuer_signature"),
    ("bad-v1-entry.jsonl", 2, "type"),
    ("bad-no-scrutineer.jsonl", 1, "body.scrutineer_keys"),
    ("bad-roll-issued.jsonl", 10, "body.issued"),
    ("bad-roll-unsorted.jsonl", 10, "body.issued_roll.tablet[1]"),
    ("bad-roll-short.jsonl", 10, "body.issued_roll.tablet"),
    (
        "bad-replaced-not-on-roll.jsonl",
        10,
        "body.issued_roll.replaced[0]",
    ),
    // review-record-v2 (满意度测评)
    ("bad-review-vote-mark.jsonl", 3, "marks"),
    ("bad-review-abstain.jsonl", 2, "marks"),
    ("bad-review-seats.jsonl", 1, "body.rules.seats"),
    (
        "bad-review-valid-base-in-vote.jsonl",
        1,
        "body.rules.threshold_base",
    ),
    ("bad-review-rating.jsonl", 11, "body.ratings"),
    ("bad-review-tally.jsonl", 11, "body.tally.C04"),
];

#[test]
fn good_v2_vectors_verify_with_their_tally_hash_in_both_verifiers() {
    for (f, hash) in good() {
        let p = dir().join(f);
        let extra: &[&str] = if f == "chain-2.jsonl" {
            // A later round alone is checked as one bundle; as a chain below.
            &[]
        } else {
            &[]
        };
        assert_eq!(
            rust_verify(&p, extra),
            Outcome::Verified(hash.clone()),
            "{f} (rust)"
        );
        assert_eq!(
            python_verify(&p, extra),
            Outcome::Verified(hash),
            "{f} (python)"
        );
    }
}

#[test]
fn bad_v2_vectors_fail_at_the_named_line_and_field_in_both_verifiers() {
    for (f, line, field) in BAD {
        let p = dir().join(f);
        let want = Outcome::Failed {
            line: *line,
            field: field.to_string(),
        };
        assert_eq!(rust_verify(&p, &[]), want, "{f} (rust)");
        assert_eq!(python_verify(&p, &[]), want, "{f} (python)");
    }
}

/// Runs a verifier over several bundles (a chain); its exit code and output.
fn chain(python: bool, files: &[&str]) -> (i32, String) {
    let mut cmd = if python {
        let mut c = std::process::Command::new("python3");
        c.arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tools/verify_bundle.py"
        ));
        c
    } else {
        let mut c = common::verifiers::minsheng();
        c.arg("verify");
        c
    };
    for f in files {
        cmd.arg(dir().join(f));
    }
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn both_verifiers_follow_a_chain_of_rounds_and_refuse_a_fork() {
    for python in [false, true] {
        let (code, out) = chain(python, &["chain-1.jsonl", "chain-2.jsonl"]);
        assert_eq!(code, 0, "python={python}: {out}");
        assert!(out.contains("VERIFIED"), "{out}");
        // A 满意度测评 is one more round of the same chain.
        let (code, out) = chain(
            python,
            &["chain-1.jsonl", "chain-2.jsonl", "good-review.jsonl"],
        );
        assert_eq!(code, 0, "python={python}: {out}");
        // ... and only after the round it names.
        let (code, out) = chain(python, &["chain-1.jsonl", "good-review.jsonl"]);
        assert_eq!(code, 1, "python={python}: {out}");
        // The fork: a second round 2 naming round 1, after round 2.
        let (code, out) = chain(
            python,
            &["chain-1.jsonl", "chain-2.jsonl", "chain-2-fork.jsonl"],
        );
        assert_eq!(code, 1, "python={python}: {out}");
        assert!(
            out.contains("chain-2-fork.jsonl"),
            "the fork is named: {out}"
        );
        assert!(out.contains("previous_result"), "{out}");
        // Out of order: round 2 first.
        let (code, out) = chain(python, &["chain-2.jsonl", "chain-1.jsonl"]);
        assert_eq!(code, 1, "python={python}: {out}");
    }
}

// ---------------------------------------------------------------------------
// Making the files

struct Maker {
    authority: Signer,
    scrutineers: Vec<Signer>,
    issuing: IssuingSecret,
    election: ElectionId,
}

fn rfc_key() -> IssuingSecret {
    let text = std::fs::read_to_string(dir().join("rfc9474.json")).unwrap();
    let all: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let v = all
        .iter()
        .find(|v| v["name"] == "RSABSSA-SHA384-PSSZERO-Deterministic")
        .unwrap();
    let b = |k: &str| {
        let s = v[k].as_str().unwrap().trim_start_matches("0x");
        let s = if s.len() % 2 == 1 {
            format!("0{s}")
        } else {
            s.to_string()
        };
        let mut b = hex::decode(s).unwrap();
        while b.first() == Some(&0) {
            b.remove(0);
        }
        b
    };
    IssuingSecret::from_components(&b("n"), &b("e"), &b("d"), &b("p"), &b("q")).unwrap()
}

fn label(s: &str) -> Hash {
    Hash::of_bytes(s.as_bytes())
}

fn marks(s: &str) -> Marks {
    let v = s
        .split_whitespace()
        .map(|p| {
            let (id, m) = p.split_once(':').unwrap();
            let m = Mark::parse(m).unwrap();
            (CandidateId::parse(id).unwrap(), m)
        })
        .collect();
    Marks::new(v).unwrap()
}

fn paper_credential(i: usize) -> Credential {
    let mut b = [0u8; 16];
    b.copy_from_slice(&label(&format!("paper-{i}")).0[..16]);
    Credential::from_bytes(b)
}

impl Maker {
    fn new() -> Maker {
        Maker {
            authority: Signer::for_tests("authority"),
            scrutineers: vec![
                Signer::for_tests("scrutineer-1"),
                Signer::for_tests("scrutineer-2"),
            ],
            issuing: rfc_key(),
            election: ElectionId::parse("shiguai-2027").unwrap(),
        }
    }

    fn manifest(&self, round: u64, previous: Option<Hash>, key: &IssuingKey) -> Manifest {
        let candidates = (1..=4)
            .map(|i| Candidate {
                deadline: Date::parse("2027-12-31").unwrap(),
                id: CandidateId::parse(&format!("C{i:02}")).unwrap(),
                investment_yuan: 1_000_000 * i,
                lead_unit: "区住建局".into(),
                name: format!("民生项目{i}"),
                summary: "v2 向量".into(),
            })
            .collect();
        let mut pool: Vec<Hash> = (0..6)
            .map(|i| paper_credential(i).commitment(&self.election, round))
            .collect();
        pool.sort();
        Manifest {
            assembly: "石拐区第十届人民代表大会第一次会议".into(),
            authority_key: self.authority.public_key(),
            candidates,
            credentials: pool.into(),
            election_id: self.election,
            issuing_key: Some(key.clone()),
            opened_at: Timestamp::parse("2027-01-12T09:30:00+08:00").unwrap(),
            previous_result: previous,
            round,
            rules: Rules {
                marks: MarkSet::ForAgainstAbstain,
                max_for: 2,
                seats: 2,
                shortfall: Shortfall::Accept,
                threshold_base: ThresholdBase::TotalDeputies,
            },
            scrutineer_keys: self.scrutineers.iter().map(Signer::public_key).collect(),
            title: "2027年民生实事项目票决".into(),
            total_deputies: 12,
            kind: ManifestType::V2,
        }
    }

    /// The issuer's signature on a tablet credential (made blindly, as a tablet would).
    fn sign(&self, key: &IssuingSecret, round: u64, credential: Hash) -> IssuerSignature {
        let req = BlindRequest::for_credential(key.public_key(), &self.election, round, credential)
            .unwrap();
        let blinded = hex::decode(req.blinded_hex()).unwrap();
        req.finish(&key.blind_sign(&blinded).unwrap()).unwrap()
    }

    fn tablet(&self, round: u64, i: usize, m: &str) -> Ballot {
        let credential = label(&format!("tablet-{round}-{i}"));
        Ballot {
            credential,
            issuer_signature: Some(IssuerProof::Unchecked(self.sign(
                &self.issuing,
                round,
                credential,
            ))),
            channel: Channel::Tablet,
            marks: marks(m),
            unreadable: false,
        }
    }

    fn paper(&self, round: u64, i: usize, m: &str) -> Ballot {
        Ballot {
            credential: paper_credential(i).commitment(&self.election, round),
            issuer_signature: None,
            channel: Channel::Paper,
            marks: marks(m),
            unreadable: false,
        }
    }
}

/// A bundle from a manifest and entries, linked without checks (bad vectors
/// need entries a log would refuse); the result counted from them and signed.
fn bundle(m: &Maker, manifest: &Manifest, entries: Vec<Entry>, roll: IssuedRoll) -> (String, Hash) {
    let mh = Hash::of(manifest);
    let mut out = to_canonical_string(&Signed {
        signatures: vec![m.authority.sign(Role::Authority, manifest)],
        body: manifest.clone(),
    });
    out.push('\n');
    let mut tally = Tally::new(manifest);
    let mut head = mh;
    let mut tablet_entries = 0;
    for (i, mut e) in entries.into_iter().enumerate() {
        e.seq = i as u64 + 1;
        e.prev = head;
        head = Hash::of(&e);
        tally.add(&e);
        tablet_entries += (e.channel == Channel::Tablet) as u64;
        out.push_str(&to_canonical_string(&e));
        out.push('\n');
    }
    let att = Attendance {
        present: 10,
        issued: roll.issued(tablet_entries),
    };
    let closed = Timestamp::parse("2027-01-12T10:40:00+08:00").unwrap();
    let result = tally.round_result(manifest, mh, head, att, Some(roll), closed);
    let th = result.hash();
    let mut signatures = vec![m.authority.sign(Role::Authority, &result)];
    signatures.extend(
        m.scrutineers
            .iter()
            .map(|s| s.sign(Role::Scrutineer, &result)),
    );
    out.push_str(&to_canonical_string(&Signed {
        body: result,
        signatures,
    }));
    out.push('\n');
    (out, th)
}

fn roll(tablet: &[&str], paper: u64, switched: bool) -> IssuedRoll {
    IssuedRoll {
        paper,
        replaced: vec![],
        switched_to_paper: switched,
        tablet: tablet
            .iter()
            .map(|n| DeputyNumber::parse(n).unwrap())
            .collect(),
    }
}

/// Entries through the real log (so a good vector is what the server makes).
fn logged(manifest: &Manifest, ballots: &[Ballot]) -> Vec<Entry> {
    let mut log = VoteLog::open(manifest);
    ballots.iter().map(|b| log.append(b).unwrap().0).collect()
}

/// A 满意度测评 round (review-record-v2) over the vote's four projects.
fn review_manifest(m: &Maker, round: u64, previous: Option<Hash>, key: &IssuingKey) -> Manifest {
    let mut man = m.manifest(round, previous, key);
    man.title = "2027年民生实事项目满意度测评".into();
    man.assembly = "石拐区第十届人民代表大会第二次会议".into();
    man.rules = Rules {
        marks: MarkSet::Review,
        max_for: 4,
        seats: 4,
        shortfall: Shortfall::Accept,
        threshold_base: ThresholdBase::Valid,
    };
    man
}

#[test]
fn the_review_vector_rates_at_the_rules_edges() {
    // What good-review.jsonl says, read back: base = 8 valid ballots, threshold 5.
    let text = std::fs::read_to_string(dir().join("good-review.jsonl")).unwrap();
    let last = text.lines().last().unwrap();
    let signed: Signed<minsheng::core::satisfaction::ReviewResult> =
        serde_json::from_str(last).unwrap();
    let r = signed.body;
    assert_eq!((r.returned, r.valid, r.void, r.threshold), (9, 8, 1, 5));
    let rating = |id: &str| r.ratings[&CandidateId::parse(id).unwrap()].as_str();
    assert_eq!(rating("C01"), "satisfied", "5 of 8: exactly the threshold");
    assert_eq!(rating("C02"), "basically_satisfied", "4 + 1 of 8");
    assert_eq!(rating("C03"), "unsatisfied", "2 + 2 of 8, one mark unclear");
    assert_eq!(rating("C04"), "unsatisfied", "4 of 8, the rest no opinion");
    assert_eq!(r.tally[&CandidateId::parse("C04").unwrap()].no_opinion, 4);
}

#[test]
#[ignore = "writes the review vectors in docs/spec/v2/vectors; run by hand when they change"]
fn write_review() {
    let m = Maker::new();
    let key = m.issuing.public_key().clone();
    let write = |name: &str, text: &str| {
        std::fs::write(dir().join(name), text).unwrap();
    };
    // The chain's round 3, after chain-2.jsonl.
    let chain2 = std::fs::read_to_string(dir().join("chain-2.jsonl")).unwrap();
    let last: Signed<ResultBody> = serde_json::from_str(chain2.lines().last().unwrap()).unwrap();
    let man = review_manifest(&m, 3, Some(Hash::of(&last.body)), &key);
    let s = "satisfied";
    let b = "basically_satisfied";
    let u = "unsatisfied";
    let ballots = vec![
        m.tablet(3, 1, &format!("C01:{s} C02:{s} C03:{s} C04:{s}")),
        m.tablet(3, 2, &format!("C01:{s} C02:{s} C03:{s} C04:{s}")),
        m.tablet(3, 3, &format!("C01:{s} C02:{s} C03:{b} C04:{s}")),
        m.paper(3, 0, &format!("C01:{u} C03:{u}")),
        m.tablet(3, 4, &format!("C01:{s} C02:{s} C03:{b} C04:{s}")),
        m.tablet(3, 5, &format!("C01:{s} C02:{b} C03:{u}")),
        m.paper(3, 1, &format!("C02:{u} C03:unclear")),
        m.tablet(3, 6, &format!("C01:{b} C03:{u}")),
        Ballot {
            unreadable: true,
            ..m.paper(3, 2, "")
        },
    ];
    let entries = logged(&man, &ballots);
    let review_roll = roll(&["001", "002", "003", "004", "005", "006", "007"], 3, false);
    let (text, th) = bundle(&m, &man, entries.clone(), review_roll.clone());
    write("good-review.jsonl", &text);
    println!("| good-review.jsonl | {th} | a 满意度测评 (review-record-v2), round 3 after chain-2: six tablets, three paper (one `unclear` mark, one ruled unreadable); 8 valid ballots, threshold 5: C01 满意 at exactly 5, C02 基本满意 at 4 + 1, C03 and C04 不满意 (C04 with 4 no opinion) |");

    // A vote's mark, and `abstain`, in a review.
    let mut e = entries.clone();
    e[1].marks = marks("C01:for");
    write(
        "bad-review-vote-mark.jsonl",
        &bundle(&m, &man, e, review_roll.clone()).0,
    );
    let mut e = entries.clone();
    e[0].marks = marks(&format!("C01:{s} C02:abstain"));
    write(
        "bad-review-abstain.jsonl",
        &bundle(&m, &man, e, review_roll.clone()).0,
    );
    // A review that caps or leaves seats: not a review.
    let mut capped = man.clone();
    capped.rules.seats = 2;
    capped.rules.max_for = 2;
    let ce = logged(&man, &ballots);
    write(
        "bad-review-seats.jsonl",
        &bundle(&m, &capped, ce, review_roll.clone()).0,
    );
    // A vote that counts against the valid ballots.
    let mut vote = m.manifest(1, None, &key);
    vote.rules.threshold_base = ThresholdBase::Valid;
    let ve = logged(&m.manifest(1, None, &key), &[m.tablet(1, 1, "C01:for")]);
    write(
        "bad-review-valid-base-in-vote.jsonl",
        &bundle(&m, &vote, ve, roll(&["001"], 0, false)).0,
    );
    // The result changed and signed again: a rating, a count.
    let lines: Vec<String> = text.lines().map(String::from).collect();
    let lastline = lines.len() - 1;
    let signed: Signed<minsheng::core::satisfaction::ReviewResult> =
        serde_json::from_str(&lines[lastline]).unwrap();
    let with = |name: &str, f: &dyn Fn(&mut minsheng::core::satisfaction::ReviewResult)| {
        let mut s = signed.clone();
        f(&mut s.body);
        let mut sigs = vec![m.authority.sign(Role::Authority, &s.body)];
        sigs.extend(
            m.scrutineers
                .iter()
                .map(|k| k.sign(Role::Scrutineer, &s.body)),
        );
        s.signatures = sigs;
        let mut out = lines.clone();
        out[lastline] = to_canonical_string(&s);
        std::fs::write(dir().join(name), out.join("\n") + "\n").unwrap();
    };
    let c04 = CandidateId::parse("C04").unwrap();
    with("bad-review-rating.jsonl", &|r| {
        r.ratings.insert(
            c04,
            minsheng::core::satisfaction::Rating::BasicallySatisfied,
        );
    });
    with("bad-review-tally.jsonl", &|r| {
        let t = r.tally.get_mut(&c04).unwrap();
        t.no_opinion -= 1;
        t.basically_satisfied += 1;
    });
}

#[test]
#[ignore = "writes docs/spec/v2/vectors; run by hand when the vectors change"]
fn write() {
    let m = Maker::new();
    let key = m.issuing.public_key().clone();
    let mut readme_rows = vec![];
    let write = |name: &str, text: &str| {
        std::fs::write(dir().join(name), text).unwrap();
    };

    // good-basic: 5 tablets and 3 paper ballots (one over the cap, one unclear mark).
    let man = m.manifest(1, None, &key);
    let ballots = vec![
        m.tablet(1, 1, "C01:for C02:for"),
        m.tablet(1, 2, "C01:for C03:against"),
        m.paper(1, 0, "C02:for C04:unclear"),
        m.tablet(1, 3, "C02:for"),
        m.tablet(1, 4, ""),
        m.paper(1, 1, "C01:for C02:for C03:for"),
        m.tablet(1, 5, "C01:against C04:for"),
        m.paper(1, 2, "C01:for"),
    ];
    let entries = logged(&man, &ballots);
    let basic_roll = roll(&["001", "002", "003", "004", "005", "007"], 3, false);
    let (text, th) = bundle(&m, &man, entries.clone(), basic_roll.clone());
    write("good-basic.jsonl", &text);
    readme_rows.push(format!("| good-basic.jsonl | {th} | five tablet ballots signed blindly, three paper ballots from the pool (one over the cap, one `unclear` mark); one deputy on the tablet roll did not vote |"));

    // good-switched: the round went over to paper; 4 tablets issued, 2 came back.
    let sw = logged(
        &man,
        &[
            m.tablet(1, 1, "C01:for"),
            m.paper(1, 0, "C02:for"),
            m.tablet(1, 2, "C02:for C03:for"),
            m.paper(1, 1, "C01:for"),
            m.paper(1, 2, "C03:against"),
        ],
    );
    let (text, th) = bundle(&m, &man, sw, roll(&["001", "002", "003", "004"], 3, true));
    write("good-switched.jsonl", &text);
    readme_rows.push(format!("| good-switched.jsonl | {th} | `switched_to_paper`: of four tablets issued two came back; `issued` = 2 + 3 paper |"));

    // good-replaced: deputy 003's tablet died after signing; paper in its place.
    let mut replaced_roll = basic_roll.clone();
    replaced_roll.replaced = vec![DeputyNumber::parse("003").unwrap()];
    replaced_roll.paper = 4;
    let (text, th) = bundle(&m, &man, entries.clone(), replaced_roll);
    write("good-replaced.jsonl", &text);
    readme_rows.push(format!("| good-replaced.jsonl | {th} | a dead tablet: deputy 003 is on the tablet roll and in `replaced`, handed one of the four paper ballots |"));

    // Bad ones, each one change from good-basic.
    let other = IssuingSecret::generate(4096).unwrap();
    let mut e = entries.clone();
    e[0].issuer_signature = Some(m.sign(&other, 1, e[0].credential));
    write(
        "bad-wrong-key.jsonl",
        &bundle(&m, &man, e, basic_roll.clone()).0,
    );

    let mut e = entries.clone();
    e[1].issuer_signature = Some(m.sign(&m.issuing, 2, e[1].credential));
    write(
        "bad-other-round.jsonl",
        &bundle(&m, &man, e, basic_roll.clone()).0,
    );

    let mut e = entries.clone();
    e[3] = e[0].clone();
    write(
        "bad-signed-twice.jsonl",
        &bundle(&m, &man, e, basic_roll.clone()).0,
    );

    // s + n: congruent to a good signature, but not below the modulus.
    let mut e = entries.clone();
    let n = key.n();
    let (i, plus) = (1..100)
        .find_map(|i| {
            let credential = label(&format!("boundary-{i}"));
            let s = m.sign(&m.issuing, 1, credential).0;
            let mut sum = vec![0u8; s.len()];
            let mut carry = 0u16;
            for j in (0..s.len()).rev() {
                let t = s[j] as u16 + n[j] as u16 + carry;
                sum[j] = t as u8;
                carry = t >> 8;
            }
            (carry == 0).then_some((credential, sum))
        })
        .unwrap();
    e[3].credential = i;
    e[3].issuer_signature = Some(IssuerSignature(plus));
    write(
        "bad-modulus-boundary.jsonl",
        &bundle(&m, &man, e, basic_roll.clone()).0,
    );

    let mut e = entries.clone();
    e[1].issuer_signature = None;
    write(
        "bad-missing-signature.jsonl",
        &bundle(&m, &man, e, basic_roll.clone()).0,
    );

    let mut e = entries.clone();
    e[5].issuer_signature = e[0].issuer_signature.clone();
    write(
        "bad-signature-on-paper.jsonl",
        &bundle(&m, &man, e, basic_roll.clone()).0,
    );

    let mut e = entries.clone();
    e[0].kind = EntryType::V1;
    write(
        "bad-v1-entry.jsonl",
        &bundle(&m, &man, e, basic_roll.clone()).0,
    );

    let mut lone = man.clone();
    lone.scrutineer_keys.clear();
    let lone_entries = logged(&lone, &ballots);
    write(
        "bad-no-scrutineer.jsonl",
        &bundle(&m, &lone, lone_entries, basic_roll.clone()).0,
    );

    // The result's roll: issued not as the roll makes it; unsorted; too short.
    let (text, _) = bundle(&m, &man, entries.clone(), basic_roll.clone());
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let last = lines.len() - 1;
    let mut signed: Signed<ResultBody> = serde_json::from_str(&lines[last]).unwrap();
    let resign = |signed: &mut Signed<ResultBody>| {
        let mut sigs = vec![m.authority.sign(Role::Authority, &signed.body)];
        sigs.extend(
            m.scrutineers
                .iter()
                .map(|s| s.sign(Role::Scrutineer, &signed.body)),
        );
        signed.signatures = sigs;
    };
    let mut with = |name: &str, f: &dyn Fn(&mut ResultBody)| {
        let mut s = signed.clone();
        f(&mut s.body);
        resign(&mut s);
        lines[last] = to_canonical_string(&s);
        std::fs::write(dir().join(name), lines.join("\n") + "\n").unwrap();
    };
    with("bad-roll-issued.jsonl", &|r| {
        r.issued += 1;
    });
    with("bad-roll-unsorted.jsonl", &|r| {
        let t = &mut r.issued_roll.as_mut().unwrap().tablet;
        t.swap(0, 1);
    });
    with("bad-replaced-not-on-roll.jsonl", &|r| {
        let roll = r.issued_roll.as_mut().unwrap();
        roll.replaced = vec![DeputyNumber::parse("006").unwrap()];
        roll.paper += 1;
        r.issued += 1;
    });
    with("bad-roll-short.jsonl", &|r| {
        let roll = r.issued_roll.as_mut().unwrap();
        roll.tablet.truncate(4);
    });
    signed.signatures.clear();

    // A chain: round 2 names round 1's tally hash; a fork names it again.
    let (text, th1) = bundle(&m, &man, entries.clone(), basic_roll.clone());
    write("chain-1.jsonl", &text);
    readme_rows.push(format!(
        "| chain-1.jsonl | {th1} | round 1 of a chain (the same as good-basic) |"
    ));
    let man2 = m.manifest(2, Some(th1), &key);
    let e2 = logged(
        &man2,
        &[m.tablet(2, 1, "C01:for"), m.tablet(2, 2, "C02:for")],
    );
    let (text, th2) = bundle(&m, &man2, e2.clone(), roll(&["001", "002"], 0, false));
    write("chain-2.jsonl", &text);
    readme_rows.push(format!(
        "| chain-2.jsonl | {th2} | round 2, `previous_result` = chain-1's tally hash |"
    ));
    let e2b = logged(&man2, &[m.tablet(2, 3, "C03:for")]);
    let (text, _) = bundle(&m, &man2, e2b, roll(&["003"], 0, false));
    write("chain-2-fork.jsonl", &text);

    println!("{}", readme_rows.join("\n"));
}
