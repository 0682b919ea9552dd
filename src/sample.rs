//! 样例投票 (sample rounds): builds a complete, signed bundle through the real
//! chain and tally code, with deterministic credentials and the well-known
//! test keys of the conformance vectors. For tests, the benchmark and
//! observers who want a bundle to practise on — never for a real vote.
//! Also a year's 12345 hotline export, as the hotline writes it, and calls
//! of known topics (`sample/hotline.rs`), for the import's and the grouping's tests and benches.

use crate::core::canon::{to_canonical_vec, Hash};
use crate::core::chain::{Ballot, VoteLog};
use crate::core::credential::Credential;
use crate::core::record::*;
use crate::core::tally::{Attendance, Tally};
use crate::keys::Signer;
use std::io::Write;

mod hotline;
pub use hotline::{
    hotline_corpus, hotline_corpus_composed, hotline_corpus_csv, hotline_export, ROADS,
};

/// The shape of a sample round.
#[derive(Clone, Debug)]
pub struct SampleSpec {
    pub candidates: usize,
    pub seats: u64,
    pub ballots: u64,
    /// Deterministic variation: the same seed gives the same bundle.
    pub seed: u64,
    pub marks: MarkSet,
    pub threshold_base: ThresholdBase,
    /// Every n-th ballot is on paper (0: none).
    pub paper_every: u64,
    /// tally-record-v2: tablet credentials signed by this issuing key (the
    /// paper ones stay in the pool); `None` writes v1.
    pub issuing: Option<std::sync::Arc<crate::keys::IssuingSecret>>,
}

impl Default for SampleSpec {
    fn default() -> Self {
        SampleSpec {
            candidates: 12,
            seats: 10,
            ballots: 150,
            seed: 1,
            marks: MarkSet::ForAgainstAbstain,
            threshold_base: ThresholdBase::TotalDeputies,
            paper_every: 10,
            issuing: None,
        }
    }
}

/// What was written.
#[derive(Clone, Debug)]
pub struct SampleOutcome {
    pub manifest_hash: Hash,
    pub tally_hash: Hash,
    pub result: ResultBody,
    pub bytes: u64,
}

/// splitmix64: sample data only.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    /// In `0..n`.
    fn pick(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }
    /// In [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Builds the sample's credential `i`.
pub fn sample_credential(seed: u64, i: u64) -> Credential {
    let mut b = [0u8; 16];
    b.copy_from_slice(&Hash::of_bytes(format!("sample-credential:{seed}:{i}").as_bytes()).0[..16]);
    Credential::from_bytes(b)
}

/// Writes a whole bundle (manifest, entries, result) to `out`.
pub fn write_sample<W: Write>(spec: &SampleSpec, out: W) -> std::io::Result<SampleOutcome> {
    let mut out = CountingWriter {
        inner: std::io::BufWriter::with_capacity(1 << 20, out),
        bytes: 0,
    };
    let election_id = ElectionId::parse("sample-2027").map_err(std::io::Error::other)?;
    let authority = Signer::for_tests("authority");
    let scrutineers = [
        Signer::for_tests("scrutineer-1"),
        Signer::for_tests("scrutineer-2"),
    ];
    let is_paper = |i: u64| spec.paper_every > 0 && i % spec.paper_every == spec.paper_every - 1;
    // v2: a tablet's credential is its own (here SHA-256 of a label), signed
    // by the issuing key; only paper credentials are in the pool.
    let v2 = spec.issuing.is_some();
    let by_ballot: Vec<Hash> = (0..spec.ballots)
        .map(|i| {
            if v2 && !is_paper(i) {
                Hash::of_bytes(format!("sample-tablet:{}:{i}", spec.seed).as_bytes())
            } else {
                sample_credential(spec.seed, i).commitment(&election_id, 1)
            }
        })
        .collect();
    let signatures = match &spec.issuing {
        Some(key) => sign_all(key, &election_id, &by_ballot, &is_paper)?,
        None => vec![None; by_ballot.len()],
    };
    let mut sorted: Vec<Hash> = by_ballot
        .iter()
        .zip(&signatures)
        .filter(|(_, s)| s.is_none())
        .map(|(h, _)| *h)
        .collect();
    sorted.sort_unstable();
    let date = Date::parse("2027-12-31").map_err(std::io::Error::other)?;
    let candidates: Vec<Candidate> = (1..=spec.candidates)
        .map(|i| {
            Ok(Candidate {
                deadline: date.clone(),
                id: CandidateId::parse(&format!("C{i:02}")).map_err(std::io::Error::other)?,
                investment_yuan: 500_000 * i as u64,
                lead_unit: "区住房和城乡建设局".into(),
                name: format!("样例民生项目{i}"),
                summary: "样例数据，仅供练习校验".into(),
            })
        })
        .collect::<std::io::Result<_>>()?;
    let manifest = Manifest {
        assembly: "样例区第一届人民代表大会第一次会议".into(),
        authority_key: authority.public_key(),
        candidates,
        credentials: sorted.into(),
        election_id,
        issuing_key: spec.issuing.as_ref().map(|k| k.public_key().clone()),
        opened_at: Timestamp::parse("2027-01-12T09:30:00+08:00").map_err(std::io::Error::other)?,
        previous_result: None,
        round: 1,
        rules: Rules {
            marks: spec.marks,
            max_for: spec.seats,
            seats: spec.seats,
            shortfall: Shortfall::Accept,
            threshold_base: spec.threshold_base,
        },
        scrutineer_keys: scrutineers.iter().map(Signer::public_key).collect(),
        title: "样例民生实事项目票决".into(),
        total_deputies: spec.ballots.max(1),
        kind: if v2 {
            ManifestType::V2
        } else {
            ManifestType::V1
        },
    };
    let signed = Signed {
        signatures: vec![authority.sign(Role::Authority, &manifest)],
        body: manifest,
    };
    write_line(&mut out, &signed)?;
    let manifest = signed.body;

    let mut log = VoteLog::open(&manifest);
    let mut tally = Tally::new(&manifest);
    let mut rng = Rng(spec.seed);
    let ids: Vec<CandidateId> = manifest.candidates.iter().map(|c| c.id).collect();
    let mut line = Vec::with_capacity(1024);
    for (i, credential) in by_ballot.iter().enumerate() {
        let paper = is_paper(i as u64);
        let mut marks = Vec::with_capacity(ids.len());
        for (k, id) in ids.iter().enumerate() {
            // Earlier candidates are more popular, so some pass and some do not.
            let p_for = 95 - (k as u64 * 60 / ids.len().max(1) as u64);
            let roll = rng.below(100);
            let mark = if roll < p_for {
                Mark::For
            } else if spec.marks == MarkSet::ForAgainstAbstain && roll < p_for + (100 - p_for) / 2 {
                Mark::Against
            } else if roll.is_multiple_of(3) {
                continue; // left unmarked: counts as 弃权
            } else {
                Mark::Abstain
            };
            marks.push((*id, mark));
        }
        // Keep within the cap, except for the rare over-cap paper ballot.
        let over_cap_allowed = paper && rng.below(50) == 0;
        let mut fors = 0;
        for m in marks.iter_mut() {
            if m.1 == Mark::For {
                fors += 1;
                if fors > spec.seats && !over_cap_allowed {
                    m.1 = Mark::Abstain;
                }
            }
        }
        if paper && rng.below(20) == 0 {
            if let Some(m) = marks.last_mut() {
                m.1 = Mark::Unclear;
            }
        }
        let ballot = Ballot {
            credential: *credential,
            issuer_signature: signatures[i]
                .clone()
                .map(crate::core::chain::IssuerProof::Unchecked),
            channel: if paper {
                Channel::Paper
            } else {
                Channel::Tablet
            },
            marks: Marks::new(marks).map_err(std::io::Error::other)?,
            unreadable: paper && rng.below(200) == 0,
        };
        let (entry, _) = log.append(&ballot).map_err(std::io::Error::other)?;
        tally.add(&entry);
        line.clear();
        to_canonical_vec(&entry, &mut line);
        line.push(b'\n');
        out.write_all(&line)?;
    }
    let attendance = Attendance {
        present: spec.ballots,
        issued: spec.ballots,
    };
    let closed_at = Timestamp::parse("2027-01-12T10:40:00+08:00").map_err(std::io::Error::other)?;
    let roll = v2.then(|| IssuedRoll {
        paper: log.len() - log.tablet_entries(),
        replaced: vec![],
        switched_to_paper: false,
        tablet: (0..spec.ballots)
            .filter(|i| !is_paper(*i))
            .map(|i| DeputyNumber(format!("{:07}", i + 1)))
            .collect(),
    });
    let result = tally.result_with(
        &manifest,
        log.manifest_hash(),
        log.head(),
        attendance,
        roll,
        closed_at,
    );
    let tally_hash = Hash::of(&result);
    let mut signatures = vec![authority.sign_hash(Role::Authority, &tally_hash)];
    signatures.extend(
        scrutineers
            .iter()
            .map(|s| s.sign_hash(Role::Scrutineer, &tally_hash)),
    );
    let signed = Signed {
        body: result,
        signatures,
    };
    write_line(&mut out, &signed)?;
    out.flush()?;
    Ok(SampleOutcome {
        manifest_hash: log.manifest_hash(),
        tally_hash,
        result: signed.body,
        bytes: out.bytes,
    })
}

/// The issuer's signatures on every tablet credential, made on every core
/// (an RSA private operation each); `None` for paper.
fn sign_all(
    key: &crate::keys::IssuingSecret,
    election_id: &ElectionId,
    credentials: &[Hash],
    is_paper: &(dyn Fn(u64) -> bool + Sync),
) -> std::io::Result<Vec<Option<IssuerSignature>>> {
    use crate::core::issuing::BlindRequest;
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunk = credentials.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let parts: Vec<_> = credentials
            .chunks(chunk)
            .enumerate()
            .map(|(c, part)| {
                s.spawn(move || {
                    part.iter()
                        .enumerate()
                        .map(|(k, cred)| {
                            if is_paper((c * chunk + k) as u64) {
                                return Ok(None);
                            }
                            let req = BlindRequest::for_credential(
                                key.public_key(),
                                election_id,
                                1,
                                *cred,
                            )
                            .map_err(std::io::Error::other)?;
                            let blinded =
                                hex::decode(req.blinded_hex()).map_err(std::io::Error::other)?;
                            let blind = key.blind_sign(&blinded).map_err(std::io::Error::other)?;
                            req.finish(&blind).map(Some).map_err(std::io::Error::other)
                        })
                        .collect::<std::io::Result<Vec<_>>>()
                })
            })
            .collect();
        let mut all = Vec::with_capacity(credentials.len());
        for p in parts {
            all.extend(
                p.join()
                    .map_err(|_| std::io::Error::other("a signing thread failed"))??,
            );
        }
        Ok(all)
    })
}

/// Writes one record as a canonical line of a bundle.
pub fn write_line<W: Write, T: serde::Serialize>(out: &mut W, record: &T) -> std::io::Result<()> {
    let mut buf = Vec::new();
    to_canonical_vec(record, &mut buf);
    buf.push(b'\n');
    out.write_all(&buf)
}

struct CountingWriter<W: Write> {
    inner: std::io::BufWriter<W>,
    bytes: u64,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::verify::{verify_bundle, Options};

    #[test]
    fn sample_bundles_verify_and_are_deterministic() {
        for spec in [
            SampleSpec::default(),
            SampleSpec {
                ballots: 0,
                ..SampleSpec::default()
            },
            SampleSpec {
                marks: MarkSet::ForOnly,
                seats: 3,
                candidates: 5,
                ballots: 40,
                ..SampleSpec::default()
            },
            SampleSpec {
                threshold_base: ThresholdBase::Present,
                paper_every: 2,
                ballots: 300,
                ..SampleSpec::default()
            },
        ] {
            let mut a = Vec::new();
            let out = write_sample(&spec, &mut a).unwrap();
            let mut b = Vec::new();
            write_sample(&spec, &mut b).unwrap();
            assert_eq!(a, b);
            assert_eq!(out.bytes as usize, a.len());
            let v = verify_bundle(&a[..], &Options::default(), &mut |_| {})
                .unwrap_or_else(|e| panic!("{spec:?}: {e}"));
            assert_eq!(v.tally_hash, out.tally_hash);
            assert_eq!(v.entries, spec.ballots);
        }
    }
}
