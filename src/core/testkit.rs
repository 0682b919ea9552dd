//! Builders for unit tests of the core: an unsigned manifest with
//! deterministic credentials, and ballots written as `"C01:for C02:against"`.

use super::canon::Hash;
use super::chain::Ballot;
use super::credential::Credential;
use super::record::*;

pub struct Fixture {
    pub manifest: Manifest,
    pub credentials: Vec<Credential>,
}

impl Fixture {
    /// `n` candidates `C01..`, `seats` seats with `max_for = seats`, and a
    /// pool of `pool` credentials; `total_deputies = pool`.
    pub fn new(n: usize, seats: u64, pool: usize) -> Fixture {
        let election_id = ElectionId::parse("test-2027").unwrap();
        let credentials: Vec<Credential> = (0..pool)
            .map(|i| {
                Credential::from_bytes(
                    Hash::of_bytes(&(i as u64).to_le_bytes()).0[..16]
                        .try_into()
                        .unwrap(),
                )
            })
            .collect();
        let mut commitments: Vec<Hash> = credentials
            .iter()
            .map(|c| c.commitment(&election_id, 1))
            .collect();
        commitments.sort();
        let candidates = (1..=n)
            .map(|i| Candidate {
                deadline: Date::parse("2027-12-31").unwrap(),
                id: CandidateId::parse(&format!("C{i:02}")).unwrap(),
                investment_yuan: 1_000_000 * i as u64,
                lead_unit: "区住建局".into(),
                name: format!("项目{i}"),
                summary: "测试".into(),
            })
            .collect();
        let manifest = Manifest {
            assembly: "测试大会".into(),
            authority_key: PublicKey([1; 32]),
            candidates,
            credentials: commitments.into(),
            election_id,
            issuing_key: None,
            opened_at: Timestamp::parse("2027-01-12T10:00:00+08:00").unwrap(),
            previous_result: None,
            round: 1,
            rules: Rules {
                marks: MarkSet::ForAgainstAbstain,
                max_for: seats,
                seats,
                shortfall: Shortfall::Accept,
                threshold_base: ThresholdBase::TotalDeputies,
            },
            scrutineer_keys: vec![PublicKey([2; 32])],
            title: "测试票决".into(),
            total_deputies: pool as u64,
            kind: ManifestType::V1,
        };
        Fixture {
            manifest,
            credentials,
        }
    }

    pub fn commitment(&self, i: usize) -> Hash {
        self.credentials[i].commitment(&self.manifest.election_id, self.manifest.round)
    }
}

/// `"C01:for C03:against"` → marks.
pub fn marks(s: &str) -> Marks {
    let v = s
        .split_whitespace()
        .map(|p| {
            let (id, m) = p.split_once(':').unwrap();
            let mark = Mark::parse(m).unwrap_or_else(|| panic!("bad mark {m}"));
            (CandidateId::parse(id).unwrap(), mark)
        })
        .collect();
    Marks::new(v).unwrap()
}

/// A tablet ballot on credential `i` of the fixture.
pub fn ballot(f: &Fixture, i: usize, m: &str) -> Ballot {
    Ballot {
        credential: f.commitment(i),
        issuer_signature: None,
        channel: Channel::Tablet,
        marks: marks(m),
        unreadable: false,
    }
}
