//! 计票日志 (the vote log): the append-only hash chain of accepted ballots.
//!
//! The same checks serve three callers: the server appending a ballot, the
//! server replaying its stored log at start, and the verifier reading a
//! published bundle. Which ballots are void is decided here, by the rule,
//! never by the caller: only "unreadable" is a person's decision.

use super::canon::Hash;
use super::credential::{Pool, PoolIndex};
use super::issuing::{BallotVerifier, Checked, SignatureFault};
use super::record::{
    CandidateId, Channel, ElectionId, Entry, EntryType, IssuerSignature, Manifest, Mark, MarkSet,
    Marks, Receipt, Version, VoidReason,
};
use std::collections::HashSet;

/// A v2 tablet ballot's issuer signature as handed in: to be checked, or
/// checked already against this round's key for this credential.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IssuerProof {
    Unchecked(IssuerSignature),
    Checked(Checked),
}

impl IssuerProof {
    pub fn signature(&self) -> &IssuerSignature {
        match self {
            IssuerProof::Unchecked(s) => s,
            IssuerProof::Checked(c) => c.signature(),
        }
    }
}

/// A ballot as handed in, before it becomes an entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ballot {
    /// The commitment of the credential the ballot carries (paper, and
    /// every v1 ballot); a v2 tablet's own credential.
    pub credential: Hash,
    /// v2 tablets: the issuer's signature on the credential, or the proof
    /// that it was checked already (on the caller's threads).
    pub issuer_signature: Option<IssuerProof>,
    pub channel: Channel,
    pub marks: Marks,
    /// 总监票人 ruled the (paper) ballot illegible as a whole.
    pub unreadable: bool,
}

/// A mark that a round's ballot may not carry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarkFault {
    #[error("选票上的项目 {0} 不在本轮候选项目中")]
    UnknownCandidate(CandidateId),
    #[error("项目 {id} 的标记“{}”在{}选票上不允许", mark.label_zh(), channel_zh(*channel))]
    NotAllowed {
        id: CandidateId,
        mark: Mark,
        channel: Channel,
    },
}

fn channel_zh(c: Channel) -> &'static str {
    match c {
        Channel::Tablet => "平板",
        Channel::Paper => "纸质",
    }
}

/// Why a ballot was refused. A refused ballot changes nothing: its
/// credential stays usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BallotError {
    #[error("凭证不属于本轮投票")]
    UnknownCredential,
    #[error("该凭证已经投过票")]
    CredentialUsed,
    #[error(transparent)]
    Mark(#[from] MarkFault),
    #[error("只有纸质选票可以判为无法辨认")]
    UnreadableTablet,
    #[error("凭证的签发签名无效")]
    BadSignature,
}

/// A stored or published entry that does not fit the log; `field()` names
/// the field, the message says what was found and expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryFault {
    #[error("found {found}, expected {expected}")]
    ElectionId { found: String, expected: String },
    #[error("found {found}, expected {expected}")]
    Round { found: u64, expected: u64 },
    #[error("found {found}, expected {expected}")]
    Seq { found: u64, expected: u64 },
    #[error("found {found}, expected {expected}")]
    Prev { found: Hash, expected: Hash },
    #[error("{0} is not in the manifest")]
    UnknownCredential(Hash),
    #[error("{0} was already used")]
    CredentialReused(Hash),
    #[error("{0}")]
    Marks(MarkFault),
    #[error("found {found}, expected {expected}")]
    Void { found: String, expected: String },
    #[error("found {found:?}, expected {expected:?}")]
    Version { found: String, expected: String },
    #[error("{0}")]
    Issuer(IssuerFault),
}

/// What is wrong with an entry's `issuer_signature` (tally-record-v2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IssuerFault {
    #[error("a v1 entry has no issuer_signature")]
    NotInV1,
    #[error("a paper entry has no issuer_signature: its credential is in the manifest's pool")]
    OnPaper,
    #[error("a v2 tablet entry needs the issuer's signature on its credential")]
    Missing,
    #[error("{0}")]
    Refused(SignatureFault),
}

impl EntryFault {
    pub fn field(&self) -> &'static str {
        match self {
            EntryFault::ElectionId { .. } => "election_id",
            EntryFault::Round { .. } => "round",
            EntryFault::Seq { .. } => "seq",
            EntryFault::Prev { .. } => "prev",
            EntryFault::UnknownCredential(_) | EntryFault::CredentialReused(_) => "credential",
            EntryFault::Marks(_) => "marks",
            EntryFault::Void { .. } => "void",
            EntryFault::Version { .. } => "type",
            EntryFault::Issuer(_) => "issuer_signature",
        }
    }
}

fn void_str(v: Option<VoidReason>) -> String {
    match v {
        None => "null".into(),
        Some(VoidReason::OverCap) => "\"over_cap\"".into(),
        Some(VoidReason::Unreadable) => "\"unreadable\"".into(),
    }
}

/// What a round's ballot may carry: the candidates, the marks, the cap.
#[derive(Clone, Debug)]
pub struct BallotRules {
    pub marks: MarkSet,
    pub max_for: u64,
    pub version: Version,
    election_id: ElectionId,
    round: u64,
    /// v2: the issuing key, ready to check signatures.
    issuer: Option<BallotVerifier>,
    /// Candidate ids sorted, each with its position in the manifest.
    index: Vec<(CandidateId, usize)>,
}

impl BallotRules {
    pub fn of(manifest: &Manifest) -> BallotRules {
        let mut index: Vec<(CandidateId, usize)> = manifest
            .candidates
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id, i))
            .collect();
        index.sort();
        BallotRules {
            marks: manifest.rules.marks,
            max_for: manifest.rules.max_for,
            version: manifest.kind.0,
            election_id: manifest.election_id,
            round: manifest.round,
            // `Manifest::check` has made sure a v2 key parses.
            issuer: manifest
                .issuing_key
                .as_ref()
                .and_then(|k| k.verifier().ok()),
            index,
        }
    }

    /// The signature rule of tally-record-v2 for one ballot: a v2 tablet's
    /// credential carries the issuer's signature, nothing else carries one.
    /// (Stateless: the verifier runs it on its worker threads.)
    pub fn check_issuer(
        &self,
        channel: Channel,
        credential: &Hash,
        sig: Option<&IssuerSignature>,
    ) -> Result<(), IssuerFault> {
        match (self.version, channel, sig) {
            (Version::V1, _, None) | (Version::V2, Channel::Paper, None) => Ok(()),
            (Version::V1, _, Some(_)) => Err(IssuerFault::NotInV1),
            (Version::V2, Channel::Paper, Some(_)) => Err(IssuerFault::OnPaper),
            (Version::V2, Channel::Tablet, None) => Err(IssuerFault::Missing),
            (Version::V2, Channel::Tablet, Some(sig)) => match &self.issuer {
                Some(v) => v
                    .verify(&self.election_id, self.round, credential, sig)
                    .map_err(IssuerFault::Refused),
                None => Err(IssuerFault::Refused(SignatureFault::Invalid)),
            },
        }
    }

    /// Whether a ballot's credential is vouched for by the pool (v1, and v2
    /// paper) rather than by a signature (v2 tablets).
    pub fn pooled(&self, channel: Channel) -> bool {
        self.version == Version::V1 || channel == Channel::Paper
    }

    /// Checks every mark; returns the number of 赞成 marks.
    pub fn check_marks(&self, channel: Channel, marks: &Marks) -> Result<u64, MarkFault> {
        self.resolve(channel, marks, &mut Vec::new())
    }

    /// Checks every mark and writes each as (position in the manifest, mark)
    /// into `out`; returns the number of 赞成 marks. Both lists are sorted by
    /// id, so one walk over the candidates finds them all.
    pub fn resolve(
        &self,
        channel: Channel,
        marks: &Marks,
        out: &mut Vec<(usize, Mark)>,
    ) -> Result<u64, MarkFault> {
        out.clear();
        let mut fors = 0;
        let mut j = 0;
        for (id, mark) in marks.iter() {
            while j < self.index.len() && self.index[j].0 < id {
                j += 1;
            }
            if j == self.index.len() || self.index[j].0 != id {
                return Err(MarkFault::UnknownCandidate(id));
            }
            if !self.marks.allows(mark, channel) {
                return Err(MarkFault::NotAllowed { id, mark, channel });
            }
            fors += (mark == Mark::For) as u64;
            out.push((self.index[j].1, mark));
        }
        Ok(fors)
    }

    /// The void rule: unreadable as ruled; otherwise over the cap is void.
    pub fn void_for(&self, fors: u64, unreadable: bool) -> Option<VoidReason> {
        if unreadable {
            Some(VoidReason::Unreadable)
        } else if fors > self.max_for {
            Some(VoidReason::OverCap)
        } else {
            None
        }
    }
}

/// The log of one round: the chain head, the next sequence number and the
/// credentials already used.
#[derive(Clone, Debug)]
pub struct VoteLog {
    election_id: ElectionId,
    round: u64,
    rules: BallotRules,
    pool: Pool,
    manifest_hash: Hash,
    head: Hash,
    seq: u64,
    /// v2 tablet credentials used so far (they are not in the pool).
    signed_used: HashSet<Hash>,
    tablet_entries: u64,
}

impl VoteLog {
    /// An empty log for a manifest that has passed `Manifest::check`.
    pub fn open(manifest: &Manifest) -> VoteLog {
        VoteLog::from_parts(
            manifest,
            Hash::of(manifest),
            Pool::new(manifest.credentials.clone()),
        )
    }

    /// As [`Self::open`], for a caller that has already hashed the manifest
    /// and taken its credentials into a pool (a million commitments are
    /// worth not copying).
    pub fn from_parts(manifest: &Manifest, manifest_hash: Hash, pool: Pool) -> VoteLog {
        VoteLog {
            election_id: manifest.election_id,
            round: manifest.round,
            rules: BallotRules::of(manifest),
            pool,
            manifest_hash,
            head: manifest_hash,
            seq: 0,
            signed_used: HashSet::new(),
            tablet_entries: 0,
        }
    }

    pub fn manifest_hash(&self) -> Hash {
        self.manifest_hash
    }
    /// `H(last entry)`, or the manifest hash when the log is empty.
    pub fn head(&self) -> Hash {
        self.head
    }
    /// Entries so far (收回的选票数).
    pub fn len(&self) -> u64 {
        self.seq
    }
    pub fn is_empty(&self) -> bool {
        self.seq == 0
    }
    pub fn rules(&self) -> &BallotRules {
        &self.rules
    }
    pub fn pool(&self) -> &Pool {
        &self.pool
    }
    /// Entries cast on a tablet.
    pub fn tablet_entries(&self) -> u64 {
        self.tablet_entries
    }

    /// Whether a v2 tablet credential has voted.
    pub fn signed_used(&self, credential: &Hash) -> bool {
        self.signed_used.contains(credential)
    }

    /// Whether a credential could still vote: in the pool and unused.
    pub fn credential_state(&self, commitment: &Hash) -> Result<usize, BallotError> {
        let pos = self
            .pool
            .position(commitment)
            .ok_or(BallotError::UnknownCredential)?;
        if self.pool.is_used(pos) {
            return Err(BallotError::CredentialUsed);
        }
        Ok(pos)
    }

    /// Builds the entry a ballot would become, without changing the log.
    pub fn prepare(&self, ballot: &Ballot) -> Result<Entry, BallotError> {
        if self.rules.pooled(ballot.channel) {
            self.credential_state(&ballot.credential)?;
        } else if self.signed_used.contains(&ballot.credential) {
            return Err(BallotError::CredentialUsed);
        }
        let vouched = match (&ballot.issuer_signature, &self.rules.issuer) {
            (Some(IssuerProof::Checked(c)), Some(v)) => {
                ballot.channel == Channel::Tablet
                    && v.vouches(c, &self.election_id, self.round, &ballot.credential)
            }
            _ => false,
        };
        if !vouched {
            self.rules
                .check_issuer(
                    ballot.channel,
                    &ballot.credential,
                    ballot.issuer_signature.as_ref().map(IssuerProof::signature),
                )
                .map_err(|_| BallotError::BadSignature)?;
        }
        if ballot.unreadable && ballot.channel != Channel::Paper {
            return Err(BallotError::UnreadableTablet);
        }
        let fors = self.rules.check_marks(ballot.channel, &ballot.marks)?;
        Ok(Entry {
            channel: ballot.channel,
            credential: ballot.credential,
            election_id: self.election_id,
            issuer_signature: ballot
                .issuer_signature
                .as_ref()
                .map(|p| p.signature().clone()),
            marks: ballot.marks.clone(),
            prev: self.head,
            round: self.round,
            seq: self.seq + 1,
            kind: EntryType(self.rules.version),
            void: self.rules.void_for(fors, ballot.unreadable),
        })
    }

    /// Appends a ballot; returns the entry and the receipt. A refused
    /// ballot leaves the log as it was.
    pub fn append(&mut self, ballot: &Ballot) -> Result<(Entry, Receipt), BallotError> {
        let entry = self.prepare(ballot)?;
        let receipt = self
            .replay_prepared(&entry, Hash::of(&entry))
            .map_err(|_| BallotError::CredentialUsed)?;
        Ok((entry, receipt))
    }

    /// Records an entry that [`Self::prepare`] made on this log (so its
    /// issuer signature is already checked); `hash` is `H(entry)`.
    pub fn replay_prepared(&mut self, entry: &Entry, hash: Hash) -> Result<Receipt, EntryFault> {
        let pos = self.pool.index().position(&entry.credential);
        let link = Link::with_marks(
            entry,
            hash,
            pos,
            self.rules.check_marks(entry.channel, &entry.marks),
            Ok(()),
        );
        self.replay_link(&link)
    }

    /// Takes an entry read back from storage or a bundle: checks that it is
    /// exactly the next entry of this log and records it.
    pub fn replay(&mut self, entry: &Entry) -> Result<Receipt, EntryFault> {
        let link = Link::of(entry, Hash::of(entry), self.pool.index(), &self.rules);
        self.replay_link(&link)
    }

    /// The sequential half of [`Self::replay`]: the verifier prepares links
    /// on other threads. Faults are reported in the order of the spec's list.
    pub fn replay_link(&mut self, link: &Link) -> Result<Receipt, EntryFault> {
        if link.election_id != self.election_id {
            return Err(EntryFault::ElectionId {
                found: link.election_id.to_string(),
                expected: self.election_id.to_string(),
            });
        }
        if link.round != self.round {
            return Err(EntryFault::Round {
                found: link.round,
                expected: self.round,
            });
        }
        if link.seq != self.seq + 1 {
            return Err(EntryFault::Seq {
                found: link.seq,
                expected: self.seq + 1,
            });
        }
        if link.prev != self.head {
            return Err(EntryFault::Prev {
                found: link.prev,
                expected: self.head,
            });
        }
        if link.version != self.rules.version {
            return Err(EntryFault::Version {
                found: EntryType(link.version).tag().into(),
                expected: EntryType(self.rules.version).tag().into(),
            });
        }
        link.issuer.clone().map_err(EntryFault::Issuer)?;
        let pooled = self.rules.pooled(link.channel);
        let pos = if pooled {
            let pos = link
                .pos
                .ok_or(EntryFault::UnknownCredential(link.credential))?;
            if self.pool.is_used(pos) {
                return Err(EntryFault::CredentialReused(link.credential));
            }
            Some(pos)
        } else {
            if self.signed_used.contains(&link.credential) {
                return Err(EntryFault::CredentialReused(link.credential));
            }
            None
        };
        let fors = link.fors.clone().map_err(EntryFault::Marks)?;
        // Unreadable is the scrutineers' ruling and is taken as recorded;
        // otherwise the entry must say exactly what the cap rule says.
        let expected = match link.void {
            Some(VoidReason::Unreadable) => link.void,
            _ => self.rules.void_for(fors, false),
        };
        if link.void != expected {
            return Err(EntryFault::Void {
                found: void_str(link.void),
                expected: void_str(expected),
            });
        }
        match pos {
            Some(pos) => {
                self.pool.mark_used(pos);
            }
            None => {
                self.signed_used.insert(link.credential);
            }
        }
        self.tablet_entries += (link.channel == Channel::Tablet) as u64;
        self.seq += 1;
        self.head = link.hash;
        Ok(Receipt {
            seq: self.seq,
            hash: link.hash,
        })
    }
}

/// What the log's sequential checks need of an entry: its place in the
/// chain, its credential's position in the pool and the outcome of the
/// stateless mark checks (computed wherever is convenient).
#[derive(Clone, Debug)]
pub struct Link {
    pub version: Version,
    pub channel: Channel,
    /// The outcome of [`BallotRules::check_issuer`].
    pub issuer: Result<(), IssuerFault>,
    pub election_id: ElectionId,
    pub round: u64,
    pub seq: u64,
    pub prev: Hash,
    pub credential: Hash,
    pub void: Option<VoidReason>,
    /// `H(entry)`
    pub hash: Hash,
    pub pos: Option<usize>,
    /// The number of 赞成 marks, or why the marks break the rules.
    pub fors: Result<u64, MarkFault>,
}

impl Link {
    pub fn of(entry: &Entry, hash: Hash, pool: &PoolIndex, rules: &BallotRules) -> Link {
        Link::with_position(entry, hash, pool.position(&entry.credential), rules)
    }

    pub fn with_position(
        entry: &Entry,
        hash: Hash,
        pos: Option<usize>,
        rules: &BallotRules,
    ) -> Link {
        Link::with_marks(
            entry,
            hash,
            pos,
            rules.check_marks(entry.channel, &entry.marks),
            rules.check_issuer(
                entry.channel,
                &entry.credential,
                entry.issuer_signature.as_ref(),
            ),
        )
    }

    /// With the outcome of the mark checks already known.
    pub fn with_marks(
        entry: &Entry,
        hash: Hash,
        pos: Option<usize>,
        fors: Result<u64, MarkFault>,
        issuer: Result<(), IssuerFault>,
    ) -> Link {
        Link {
            version: entry.kind.0,
            channel: entry.channel,
            issuer,
            election_id: entry.election_id,
            round: entry.round,
            seq: entry.seq,
            prev: entry.prev,
            credential: entry.credential,
            void: entry.void,
            hash,
            pos,
            fors,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::core::testkit::{ballot, marks, Fixture};

    #[test]
    fn appended_entries_link_into_a_chain_and_receipts_name_them() {
        let f = Fixture::new(6, 4, 20);
        let mut log = VoteLog::open(&f.manifest);
        assert_eq!(log.head(), Hash::of(&f.manifest));
        let (e1, r1) = log.append(&ballot(&f, 0, "C01:for C02:against")).unwrap();
        assert_eq!((e1.seq, e1.prev), (1, Hash::of(&f.manifest)));
        assert_eq!(
            r1,
            Receipt {
                seq: 1,
                hash: Hash::of(&e1)
            }
        );
        let (e2, r2) = log.append(&ballot(&f, 1, "")).unwrap();
        assert_eq!((e2.seq, e2.prev), (2, r1.hash));
        assert_eq!(log.head(), r2.hash);
        assert_eq!(log.len(), 2);
    }

    #[test]
    fn refused_ballots_leave_the_log_unchanged() {
        let f = Fixture::new(6, 4, 20);
        let mut log = VoteLog::open(&f.manifest);
        log.append(&ballot(&f, 0, "C01:for")).unwrap();
        let head = log.head();
        let cases: Vec<(Ballot, BallotError)> = vec![
            (ballot(&f, 0, "C01:for"), BallotError::CredentialUsed),
            (
                Ballot {
                    credential: Hash::of_bytes(b"stranger"),
                    issuer_signature: None,
                    ..ballot(&f, 1, "")
                },
                BallotError::UnknownCredential,
            ),
            (
                ballot(&f, 1, "C09:for"),
                MarkFault::UnknownCandidate(CandidateId::parse("C09").unwrap()).into(),
            ),
            (
                ballot(&f, 1, "C01:unclear"),
                MarkFault::NotAllowed {
                    id: CandidateId::parse("C01").unwrap(),
                    mark: Mark::Unclear,
                    channel: Channel::Tablet,
                }
                .into(),
            ),
            (
                Ballot {
                    unreadable: true,
                    ..ballot(&f, 1, "")
                },
                BallotError::UnreadableTablet,
            ),
        ];
        for (b, want) in cases {
            assert_eq!(log.append(&b).unwrap_err(), want);
            assert_eq!((log.head(), log.len()), (head, 1));
        }
        // The credential refused above for a bad mark is still usable.
        assert!(log.append(&ballot(&f, 1, "C01:for")).is_ok());
    }

    #[test]
    fn void_is_decided_by_the_rule_never_the_caller() {
        let f = Fixture::new(6, 2, 20);
        let mut log = VoteLog::open(&f.manifest);
        let (e, _) = log.append(&ballot(&f, 0, "C01:for C02:for")).unwrap();
        assert_eq!(e.void, None);
        let (e, _) = log
            .append(&ballot(&f, 1, "C01:for C02:for C03:for"))
            .unwrap();
        assert_eq!(e.void, Some(VoidReason::OverCap));
        let paper = Ballot {
            channel: Channel::Paper,
            unreadable: true,
            ..ballot(&f, 2, "C01:for C02:for C03:for")
        };
        let (e, _) = log.append(&paper).unwrap();
        assert_eq!(
            e.void,
            Some(VoidReason::Unreadable),
            "unreadable wins over over_cap"
        );
        let paper = Ballot {
            channel: Channel::Paper,
            ..ballot(&f, 3, "C01:unclear C02:for")
        };
        assert_eq!(log.append(&paper).unwrap().0.void, None);
    }

    #[test]
    fn for_only_rounds_refuse_against() {
        let mut f = Fixture::new(6, 2, 20);
        f.manifest.rules.marks = MarkSet::ForOnly;
        let mut log = VoteLog::open(&f.manifest);
        assert!(matches!(
            log.append(&ballot(&f, 0, "C01:against")),
            Err(BallotError::Mark(_))
        ));
        assert!(log.append(&ballot(&f, 0, "C01:for C02:abstain")).is_ok());
    }

    #[test]
    fn replay_rejects_entries_that_do_not_fit_naming_the_field() {
        let f = Fixture::new(6, 2, 20);
        let mut src = VoteLog::open(&f.manifest);
        let (e1, _) = src.append(&ballot(&f, 0, "C01:for")).unwrap();
        let (e2, _) = src
            .append(&ballot(&f, 1, "C01:for C02:for C03:for"))
            .unwrap();
        let mut log = VoteLog::open(&f.manifest);
        log.replay(&e1).unwrap();
        let bad = |edit: &dyn Fn(&mut Entry)| {
            let mut e = e2.clone();
            edit(&mut e);
            log.clone().replay(&e).unwrap_err().field()
        };
        assert_eq!(bad(&|e| e.round = 2), "round");
        assert_eq!(
            bad(&|e| e.election_id = ElectionId::parse("other").unwrap()),
            "election_id"
        );
        assert_eq!(bad(&|e| e.seq = 3), "seq");
        assert_eq!(bad(&|e| e.prev = Hash::of_bytes(b"x")), "prev");
        assert_eq!(bad(&|e| e.credential = e1.credential), "credential");
        assert_eq!(bad(&|e| e.credential = Hash::of_bytes(b"x")), "credential");
        assert_eq!(bad(&|e| e.void = None), "void");
        assert_eq!(bad(&|e| e.marks = marks("C77:for")), "marks");
        assert!(log.replay(&e2).is_ok());
    }
}
