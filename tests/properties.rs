#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test
//! Properties (proptest) of the counting rules and the published record:
//! counts add up, decided projects pass and fit the seats, the order of
//! ballots never matters, whatever the sample writer publishes verifies, and
//! any single change to a published bundle is caught.

use minsheng::core::canon::Hash;
use minsheng::core::record::*;
use minsheng::core::verify::{verify_bundle, Options};
use minsheng::sample::{write_sample, SampleSpec};
use proptest::prelude::*;

fn spec(
    candidates: usize,
    seats: u64,
    ballots: u64,
    seed: u64,
    paper_every: u64,
    for_only: bool,
) -> SampleSpec {
    SampleSpec {
        candidates,
        seats: seats.min(candidates as u64),
        ballots,
        seed,
        marks: if for_only {
            MarkSet::ForOnly
        } else {
            MarkSet::ForAgainstAbstain
        },
        threshold_base: if seed.is_multiple_of(2) {
            ThresholdBase::TotalDeputies
        } else {
            ThresholdBase::Present
        },
        paper_every,
        issuing: None,
    }
}

fn bundle(s: &SampleSpec) -> (Vec<u8>, ResultBody, Hash) {
    let mut out = vec![];
    let o = write_sample(s, &mut out).unwrap();
    (out, o.result, o.tally_hash)
}

fn verify(bytes: &[u8]) -> Result<Hash, String> {
    let opts = Options {
        threads: 1,
        ..Default::default()
    };
    verify_bundle(bytes, &opts, &mut |_| {})
        .map(|v| v.tally_hash)
        .map_err(|e| e.to_string())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn counts_add_up_and_decided_projects_pass_and_fit(
        candidates in 1usize..14, seats in 1u64..8, ballots in 0u64..120, seed in any::<u64>(), paper in 0u64..5, for_only in any::<bool>(),
    ) {
        let s = spec(candidates, seats, ballots, seed, paper, for_only);
        let (_, r, _) = bundle(&s);
        prop_assert_eq!(r.valid + r.void, r.returned);
        for c in r.tally.values() {
            prop_assert_eq!(c.for_ + c.against + c.abstain + c.unclear, r.valid);
        }
        prop_assert!(r.decided.len() as u64 <= s.seats);
        for d in &r.decided {
            prop_assert!(r.tally[d].for_ >= r.threshold, "decided without passing");
        }
        prop_assert!(r.runoff.iter().all(|c| !r.decided.contains(c)), "a project is decided or in the runoff, not both");
    }

    #[test]
    fn whatever_is_published_verifies_and_the_order_of_ballots_does_not_matter(
        candidates in 1usize..10, ballots in 1u64..80, seed in any::<u64>(),
    ) {
        let s = spec(candidates, 3, ballots, seed, 3, false);
        let (bytes, r, tally_hash) = bundle(&s);
        prop_assert_eq!(verify(&bytes), Ok(tally_hash));
        // The same ballots tallied in reverse order give the same counts.
        let text = String::from_utf8(bytes).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let entries: Vec<Entry> = lines[1..lines.len() - 1].iter().map(|l| parse_record(l.as_bytes()).unwrap()).collect();
        let manifest: Signed<Manifest> = parse_record(lines[0].as_bytes()).unwrap();
        let mut forward = minsheng::core::tally::Tally::new(&manifest.body);
        let mut backward = minsheng::core::tally::Tally::new(&manifest.body);
        for e in &entries { forward.add(e); }
        for e in entries.iter().rev() { backward.add(e); }
        prop_assert_eq!(forward.counts(), backward.counts());
        let counts: std::collections::BTreeMap<_, _> = forward.counts().into_iter().collect();
        prop_assert_eq!(counts, r.tally);
    }

    #[test]
    fn any_single_change_to_a_bundle_is_caught(
        ballots in 1u64..40, seed in any::<u64>(), at in any::<prop::sample::Index>(), delta in 1u8..=255,
    ) {
        let s = spec(5, 2, ballots, seed, 2, false);
        let (mut bytes, _, tally_hash) = bundle(&s);
        let i = at.index(bytes.len());
        let original = bytes[i];
        bytes[i] = original.wrapping_add(delta);
        // A changed byte is caught — unless it turned a line's trailing
        // newline into a carriage return the format tolerates.
        let tolerated = original == b'\n' && bytes[i] == b'\r';
        if !tolerated {
            prop_assert_ne!(verify(&bytes), Ok(tally_hash), "byte {} changed from {:#x} to {:#x}", i, original, bytes[i]);
        }
    }
}
