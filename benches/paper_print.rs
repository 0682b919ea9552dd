#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench: a panic is a failed run
//! Printing paper ballots: the demo round's 12 projects on 300 A4 ballots
//! (each with its own QR code), rendered as the print page serves them.
//! Target: 300 ballots in under 2 seconds.
//!
//!     cargo bench --bench paper_print

use askama::Template;
use minsheng::core::credential::Credential;
use minsheng::core::record::{ElectionId, Timestamp};
use minsheng::web::BallotSheets;
use std::time::Instant;

fn main() {
    let n = 300;
    let election: ElectionId = minsheng::demo::ELECTION_ID.parse().unwrap();
    let creds: Vec<Credential> = (0..n).map(|_| Credential::generate().unwrap()).collect();
    let commitments = creds.iter().map(|c| c.commitment(&election, 1)).collect();
    let key = minsheng::keys::Signer::for_tests("authority").public_key();
    let manifest = minsheng::demo::round_draft()
        .manifest(
            election,
            1,
            150,
            commitments,
            key,
            vec![minsheng::keys::Signer::for_tests("scrutineer-1").public_key()],
            None,
            Timestamp::now_beijing(),
        )
        .unwrap();
    let hash = minsheng::core::canon::Hash::of(&manifest);
    let mut best = f64::MAX;
    let mut size = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let html = BallotSheets::new(&manifest, &hash, &creds, false, 1)
            .render()
            .unwrap();
        best = best.min(t.elapsed().as_secs_f64());
        size = html.len();
    }
    println!(
        "paper_print: {n} ballots ({} projects each, one QR code each) rendered in {:.0} ms (best of 5), {:.1} MB of HTML; target < 2000 ms",
        manifest.candidates.len(),
        best * 1000.0,
        size as f64 / 1e6
    );
}
