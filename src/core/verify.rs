//! 校验 (what a verifier checks, tally-record-v1 §"What a verifier checks"):
//! reads a bundle as a stream and reports each check as it passes; the first
//! failure names the line, the field, what was found and what was expected.
//!
//! Memory grows with the credential pool, never with the log: entries are
//! read in blocks, parsed and hashed on worker threads (entry hashes are
//! independent), and checked in order on one thread (only the chain links,
//! the used credentials and the counts are sequential).

use super::canon::{to_canonical_string, to_canonical_vec, Hash};
use super::chain::{BallotRules, Link, VoteLog};
use super::credential::{Pool, PoolIndex};
use super::record::{
    parse_record, Entry, FieldError, IssuedRoll, Manifest, PublicKey, ResultBody, Role, Signature,
    Signed, Version,
};
use super::satisfaction::{ReviewResult, RoundResult};
use super::sig;
use super::tally::{Attendance, Tally};
use serde::Serialize;
use std::io::Read;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Mutex;

/// What the observer brings besides the bundle.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The tally hash read out in the hall or printed on the announcement.
    pub tally_hash: Option<Hash>,
    /// The authority key the observer expects (from the congress's notice).
    pub authority_key: Option<PublicKey>,
    /// A log head noted during voting (`seq`, `H(entry)`): the published
    /// log must pass through it.
    pub head: Option<(u64, Hash)>,
    /// For a runoff: the tally hash of the round before.
    pub previous_result: Option<Hash>,
    /// Worker threads for parsing and hashing (0: one per core).
    pub threads: usize,
}

/// The first check that failed. `line` is 1-based; 0 when the failure is
/// not in one line (the file could not be read).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {field}: {message}")]
pub struct VerifyError {
    pub line: u64,
    pub field: String,
    pub message: String,
}

impl VerifyError {
    fn new(line: u64, field: impl Into<String>, message: impl Into<String>) -> Self {
        VerifyError {
            line,
            field: field.into(),
            message: message.into(),
        }
    }
    fn at(line: u64, e: FieldError) -> Self {
        VerifyError {
            line,
            field: e.field,
            message: e.message,
        }
    }
}

/// A bundle that passed every check.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The manifest body (its credential list emptied to save memory).
    pub manifest: Manifest,
    pub manifest_hash: Hash,
    pub credentials: usize,
    pub entries: u64,
    pub result: RoundResult,
    pub tally_hash: Hash,
}

const MAX_MANIFEST_LINE: usize = 1 << 30;
const MAX_LINE: usize = 16 << 20;
const BLOCK: usize = 1 << 20;

/// Verifies one bundle. `report` receives one line per check passed.
pub fn verify_bundle<R: Read + Send>(
    reader: R,
    opts: &Options,
    report: &mut dyn FnMut(String),
) -> Result<Verified, VerifyError> {
    let mut blocks = Blocks {
        r: reader,
        carry: Vec::new(),
        eof: false,
    };

    // 1. The manifest.
    let first = blocks
        .first_line()
        .map_err(|e| VerifyError::new(1, "manifest", e))?
        .ok_or_else(|| VerifyError::new(1, "manifest", "the bundle is empty"))?;
    // Fast parse first; only a failure is parsed again to name the field.
    let signed: Signed<Manifest> = match serde_json::from_slice(trim_cr(&first)) {
        Ok(m) => m,
        Err(_) => parse_record(trim_cr(&first)).map_err(|e| VerifyError::at(1, e))?,
    };
    drop(first);
    let Signed {
        body: manifest,
        signatures,
    } = signed;
    manifest
        .check()
        .map_err(|e| VerifyError::new(1, format!("body.{}", e.field), e.message))?;
    if let Some(k) = manifest
        .scrutineer_keys
        .iter()
        .chain([&manifest.authority_key])
        .find(|k| !sig::is_valid_key(k))
    {
        return Err(VerifyError::new(
            1,
            "body",
            format!("key {k} is not a valid Ed25519 public key"),
        ));
    }
    // 2. The entries. Parsing starts at once; the manifest is hashed on its
    // own thread meanwhile, and the first link waits for that hash.
    let credentials = manifest.credentials.len();
    let pool = Pool::new(manifest.credentials.clone());
    let index = pool.index().clone();
    let rules = BallotRules::of(&manifest);
    let mut tally = Tally::new(&manifest);
    let empty = tally.empty_like();
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
    } else {
        opts.threads
    };
    let mut head_seen = false;
    // Reader → workers (any order) → this thread (in order, one slot per batch).
    let (order_tx, order_rx) = sync_channel::<Receiver<ParsedBatch>>(4 * threads);
    let (work_tx, work_rx) = sync_channel::<(Vec<u8>, SyncSender<ParsedBatch>)>(2 * threads);
    let work_rx = Mutex::new(work_rx);
    let index: &PoolIndex = &index;
    let manifest = &manifest;
    let (last, log) = std::thread::scope(|s| -> Result<((u64, Parsed), VoteLog), VerifyError> {
        let hashing = s.spawn(|| Hash::of(manifest));
        let blocks = &mut blocks;
        s.spawn(move || loop {
            let batch = match blocks.next_batch() {
                Ok(None) => break,
                Ok(Some(d)) => Ok(d),
                Err(e) => Err(e),
            };
            let (tx, rx) = sync_channel(1);
            if order_tx.send(rx).is_err() {
                break;
            }
            match batch {
                Ok(d) => {
                    if work_tx.send((d, tx)).is_err() {
                        break;
                    }
                }
                Err(e) => {
                    let _ = tx.send(ParsedBatch::ReadError(e));
                    break;
                }
            }
        });
        for _ in 0..threads {
            let work_rx = &work_rx;
            let (rules, empty) = (&rules, &empty);
            s.spawn(move || {
                let mut buf = Vec::with_capacity(1024);
                loop {
                    let job = match work_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok((data, tx)) = job else { return };
                    let mut tally = empty.empty_like();
                    let lines = parse_lines(&data, index, rules, &mut tally, &mut buf);
                    let _ = tx.send(ParsedBatch::Lines(lines, Box::new(tally)));
                }
            });
        }

        let manifest_hash = hashing
            .join()
            .map_err(|_| VerifyError::new(1, "manifest", "internal: hashing failed"))?;
        report(format!(
            "ok  manifest 清单: {} round {}, {} candidates, {credentials} credential commitments sorted and unique; H = {manifest_hash}",
            manifest.election_id,
            manifest.round,
            manifest.candidates.len(),
        ));
        if let Some(expected) = opts.authority_key {
            if manifest.authority_key != expected {
                return Err(VerifyError::new(
                    1,
                    "body.authority_key",
                    format!("found {}, expected {expected}", manifest.authority_key),
                ));
            }
        }
        if let Some(prev) = opts.previous_result {
            if manifest.previous_result != Some(prev) {
                return Err(VerifyError::new(
                    1,
                    "body.previous_result",
                    format!(
                        "found {}, expected {prev} (the tally hash of the round before)",
                        json(&manifest.previous_result)
                    ),
                ));
            }
        }
        check_signatures(
            1,
            &manifest_hash,
            &signatures,
            &[(Role::Authority, manifest.authority_key)],
            manifest,
        )?;
        report(format!(
            "ok  manifest signature: authority {}",
            manifest.authority_key
        ));
        let mut log = VoteLog::from_parts(manifest, manifest_hash, pool);

        let mut line = 1u64;
        let mut pending: Option<(u64, Parsed)> = None;
        // Consumed by value: an early return drops it, which stops the reader.
        for rx in order_rx {
            let batch = rx
                .recv()
                .map_err(|_| VerifyError::new(line, "bundle", "internal: a worker stopped"))?;
            let lines = match batch {
                ParsedBatch::Lines(l, t) => {
                    // Counts are sums, so batches add up in any order; an
                    // entry that fails below fails the whole bundle anyway.
                    tally.merge(&t);
                    l
                }
                ParsedBatch::ReadError(e) => return Err(VerifyError::new(line + 1, "bundle", e)),
            };
            for p in lines {
                line += 1;
                if let Some((ln, prev)) = pending.replace((line, p)) {
                    let entry = match prev {
                        Parsed::Entry(link) => {
                            log.replay_link(&link)
                                .map_err(|f| VerifyError::new(ln, f.field(), f.to_string()))?;
                            link
                        }
                        Parsed::Other(_, err) => return Err(VerifyError::at(ln, err)),
                        Parsed::Blank => return Err(VerifyError::new(ln, "(line)", "empty line")),
                    };
                    if let Some((seq, h)) = opts.head {
                        if entry.seq == seq {
                            head_seen = true;
                            if log.head() != h {
                                return Err(VerifyError::new(
                                    ln,
                                    "head",
                                    format!("the noted head {seq}:{h} is not in this log (H(entry {seq}) = {})", log.head()),
                                ));
                            }
                        }
                    }
                }
            }
        }
        let last = pending.ok_or_else(|| {
            VerifyError::new(
                2,
                "result",
                "the bundle ends after the manifest: the last line must be the signed result",
            )
        })?;
        Ok((last, log))
    })?;
    let manifest_hash = log.manifest_hash();
    let n = log.len();
    report(format!(
        "ok  entries 日志: {n} entries, seq 1..{n} without gaps, every prev links, every credential in the manifest and used once, marks and void per the rules"
    ));
    if let Some((seq, h)) = opts.head {
        // Seq 0 is the head before any ballot: the manifest's hash.
        if seq == 0 && manifest_hash != h {
            return Err(VerifyError::new(
                1,
                "head",
                format!("the noted head 0:{h} is not this manifest's hash {manifest_hash}"),
            ));
        }
        if seq != 0 && !head_seen {
            return Err(VerifyError::new(
                last.0,
                "head",
                format!("the noted head {seq}:{h} is beyond the log, which has {n} entries"),
            ));
        }
        report(format!("ok  noted head {seq}:{} is in the log", h.short()));
    }

    // 3. The result.
    let (line, raw) = match last.1 {
        Parsed::Other(raw, _) => (last.0, raw),
        Parsed::Entry(..) => {
            return Err(VerifyError::new(
                last.0,
                "type",
                "the last line must be the signed result, found an entry",
            ))
        }
        Parsed::Blank => {
            return Err(VerifyError::new(
                last.0,
                "(line)",
                "empty line where the signed result should be",
            ))
        }
    };
    // A review's result is its own record type (review-record-v2).
    let (body, signatures) = if manifest.is_review() {
        let s: Signed<ReviewResult> =
            parse_record(trim_cr(&raw)).map_err(|e| VerifyError::at(line, e))?;
        (RoundResult::Review(s.body), s.signatures)
    } else {
        let s: Signed<ResultBody> =
            parse_record(trim_cr(&raw)).map_err(|e| VerifyError::at(line, e))?;
        (RoundResult::Vote(s.body), s.signatures)
    };
    let r = body.common();
    let att = Attendance {
        present: r.present,
        issued: r.issued,
    };
    let want = tally.round_result(
        manifest,
        manifest_hash,
        log.head(),
        att,
        r.issued_roll.cloned(),
        r.closed_at.clone(),
    );
    match (&body, &want) {
        (RoundResult::Vote(f), RoundResult::Vote(w)) => {
            compare_result(line, f, w)?;
            check_roll(
                line,
                f.kind.0,
                f.issued,
                f.issued_roll.as_ref(),
                f.present,
                log.tablet_entries(),
            )?;
        }
        (RoundResult::Review(f), RoundResult::Review(w)) => {
            compare_review(line, f, w)?;
            check_roll(
                line,
                Version::V2,
                f.issued,
                Some(&f.issued_roll),
                f.present,
                log.tablet_entries(),
            )?;
        }
        _ => {
            return Err(VerifyError::new(
                line,
                "body.type",
                "the result is not of the kind the manifest's rules make it",
            ))
        }
    }
    // v2: a deputy whose tablet failed was issued a second (paper) ballot.
    let replaced = r.issued_roll.map_or(0, |roll| roll.replaced.len() as u64);
    if !(r.issued <= r.present + replaced && r.present <= r.total_deputies) {
        return Err(VerifyError::new(
            line,
            "body.present",
            format!(
                "issued {} <= present {} (+ {replaced} replaced) <= total_deputies {} does not hold",
                r.issued, r.present, r.total_deputies
            ),
        ));
    }
    // v1: every ballot came from the pool; v2: only paper ones do.
    let pooled = match &r.issued_roll {
        Some(roll) => roll.paper,
        None => r.issued,
    };
    if pooled > credentials as u64 {
        return Err(VerifyError::new(
            line,
            "body.issued",
            format!(
                "{pooled} ballots issued from the pool but the manifest has only {credentials} credentials"
            ),
        ));
    }
    let what = match &body {
        RoundResult::Vote(v) => format!("decided {}", v.decided.len()),
        RoundResult::Review(v) => format!("rated {}", v.ratings.len()),
    };
    report(format!(
        "ok  result 结果: every field recomputed from the manifest and the log (returned {}, valid {}, void {}, {what}), bounds hold",
        r.returned, r.valid, r.void,
    ));
    let tally_hash = body.hash();
    let mut required = vec![(Role::Authority, manifest.authority_key)];
    required.extend(
        manifest
            .scrutineer_keys
            .iter()
            .map(|k| (Role::Scrutineer, *k)),
    );
    check_signatures(line, &tally_hash, &signatures, &required, manifest)?;
    report(format!(
        "ok  result signatures: the authority and all {} scrutineers named in the manifest",
        manifest.scrutineer_keys.len()
    ));

    // 4. The tally hash.
    if let Some(expected) = opts.tally_hash {
        if expected != tally_hash {
            return Err(VerifyError::new(
                line,
                "tally hash",
                format!("found {tally_hash}, expected {expected} (the one given)"),
            ));
        }
        report("ok  tally hash equals the one given".to_string());
    }
    let mut manifest = manifest.clone();
    manifest.credentials = Default::default();
    Ok(Verified {
        manifest,
        manifest_hash,
        credentials,
        entries: n,
        result: body,
        tally_hash,
    })
}

fn json<T: Serialize>(v: &T) -> String {
    to_canonical_string(v)
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn check_signatures(
    line: u64,
    body_hash: &Hash,
    sigs: &[Signature],
    required: &[(Role, PublicKey)],
    manifest: &Manifest,
) -> Result<(), VerifyError> {
    for (i, s) in sigs.iter().enumerate() {
        let named = required.contains(&(s.role, s.public_key))
            || (s.role == Role::Scrutineer && manifest.scrutineer_keys.contains(&s.public_key))
            || (s.role == Role::Authority && manifest.authority_key == s.public_key);
        if !named {
            return Err(VerifyError::new(
                line,
                format!("signatures[{i}]"),
                format!(
                    "key {} with role {} is not named in the manifest",
                    s.public_key,
                    json(&s.role)
                ),
            ));
        }
        sig::verify(&s.public_key, body_hash, &s.signature).map_err(|e| {
            VerifyError::new(
                line,
                format!("signatures[{i}]"),
                format!("{} signature: {e}", json(&s.role)),
            )
        })?;
    }
    for (role, key) in required {
        if !sigs.iter().any(|s| s.role == *role && s.public_key == *key) {
            return Err(VerifyError::new(
                line,
                "signatures",
                format!("missing the signature of {} {key}", json(role)),
            ));
        }
    }
    Ok(())
}

/// tally-record-v2's issued roll: present in v2 only, sorted and unique,
/// no more tablet ballots than tablets issued, `issued` as the roll makes
/// it, and no more deputies on the tablet roll than were present.
fn check_roll(
    line: u64,
    version: Version,
    issued: u64,
    issued_roll: Option<&IssuedRoll>,
    present: u64,
    tablet_entries: u64,
) -> Result<(), VerifyError> {
    let roll = match (version, issued_roll) {
        (Version::V1, None) => return Ok(()),
        (Version::V1, Some(_)) => {
            return Err(VerifyError::new(
                line,
                "body.issued_roll",
                "a v1 result has no issued roll",
            ))
        }
        (Version::V2, None) => {
            return Err(VerifyError::new(
                line,
                "body.issued_roll",
                "a v2 result names who was issued a ballot",
            ))
        }
        (Version::V2, Some(roll)) => roll,
    };
    roll.check()
        .map_err(|e| VerifyError::new(line, format!("body.{}", e.field), e.message))?;
    let tablets = roll.tablet.len() as u64;
    if tablet_entries > tablets {
        return Err(VerifyError::new(
            line,
            "body.issued_roll.tablet",
            format!("{tablet_entries} tablet ballots in the log but only {tablets} tablets issued"),
        ));
    }
    let want = roll.issued(tablet_entries);
    if issued != want {
        return Err(VerifyError::new(
            line,
            "body.issued",
            format!("found {issued}, expected {want} (from the issued roll)"),
        ));
    }
    if tablets > present {
        return Err(VerifyError::new(
            line,
            "body.issued_roll.tablet",
            format!("{tablets} deputies on the tablet roll but {present} present"),
        ));
    }
    Ok(())
}

fn compare_result(line: u64, found: &ResultBody, want: &ResultBody) -> Result<(), VerifyError> {
    fn eq<T: PartialEq + Serialize>(
        line: u64,
        field: &str,
        found: &T,
        want: &T,
    ) -> Result<(), VerifyError> {
        if found == want {
            Ok(())
        } else {
            Err(VerifyError::new(
                line,
                format!("body.{field}"),
                format!("found {}, expected {}", json(found), json(want)),
            ))
        }
    }
    eq(line, "type", &found.kind.tag(), &want.kind.tag())?;
    eq(line, "election_id", &found.election_id, &want.election_id)?;
    eq(line, "round", &found.round, &want.round)?;
    eq(line, "manifest", &found.manifest, &want.manifest)?;
    eq(line, "log_head", &found.log_head, &want.log_head)?;
    eq(
        line,
        "total_deputies",
        &found.total_deputies,
        &want.total_deputies,
    )?;
    eq(line, "returned", &found.returned, &want.returned)?;
    eq(line, "valid", &found.valid, &want.valid)?;
    eq(line, "void", &found.void, &want.void)?;
    let found_ids: Vec<_> = found.tally.keys().collect();
    let want_ids: Vec<_> = want.tally.keys().collect();
    eq(line, "tally (candidates)", &found_ids, &want_ids)?;
    for (id, w) in &want.tally {
        if let Some(f) = found.tally.get(id) {
            eq(line, &format!("tally.{id}.for"), &f.for_, &w.for_)?;
            eq(line, &format!("tally.{id}.against"), &f.against, &w.against)?;
            eq(line, &format!("tally.{id}.abstain"), &f.abstain, &w.abstain)?;
            eq(line, &format!("tally.{id}.unclear"), &f.unclear, &w.unclear)?;
        }
    }
    eq(line, "threshold", &found.threshold, &want.threshold)?;
    eq(line, "quorum_met", &found.quorum_met, &want.quorum_met)?;
    eq(line, "round_valid", &found.round_valid, &want.round_valid)?;
    eq(line, "ranking", &found.ranking, &want.ranking)?;
    eq(line, "decided", &found.decided, &want.decided)?;
    eq(line, "runoff", &found.runoff, &want.runoff)?;
    eq(line, "unfilled", &found.unfilled, &want.unfilled)?;
    // Anything else (a field this list forgot) is caught here.
    eq(line, "(all fields)", found, want)
}

/// The same for a review's result (review-record-v2), field by field.
fn compare_review(line: u64, found: &ReviewResult, want: &ReviewResult) -> Result<(), VerifyError> {
    let eq = |field: &str, f: String, w: String| {
        if f == w {
            Ok(())
        } else {
            Err(VerifyError::new(
                line,
                format!("body.{field}"),
                format!("found {f}, expected {w}"),
            ))
        }
    };
    eq(
        "election_id",
        json(&found.election_id),
        json(&want.election_id),
    )?;
    eq("round", json(&found.round), json(&want.round))?;
    eq("manifest", json(&found.manifest), json(&want.manifest))?;
    eq("log_head", json(&found.log_head), json(&want.log_head))?;
    eq(
        "total_deputies",
        json(&found.total_deputies),
        json(&want.total_deputies),
    )?;
    eq("returned", json(&found.returned), json(&want.returned))?;
    eq("valid", json(&found.valid), json(&want.valid))?;
    eq("void", json(&found.void), json(&want.void))?;
    let ids = |t: &ReviewResult| json(&t.tally.keys().collect::<Vec<_>>());
    eq("tally (candidates)", ids(found), ids(want))?;
    for (id, w) in &want.tally {
        if let Some(f) = found.tally.get(id) {
            eq(&format!("tally.{id}"), json(f), json(w))?;
        }
    }
    eq("threshold", json(&found.threshold), json(&want.threshold))?;
    eq(
        "quorum_met",
        json(&found.quorum_met),
        json(&want.quorum_met),
    )?;
    eq(
        "round_valid",
        json(&found.round_valid),
        json(&want.round_valid),
    )?;
    eq("ratings", json(&found.ratings), json(&want.ratings))?;
    eq("(all fields)", json(found), json(want))
}

enum Parsed {
    Entry(Link),
    /// Not an entry: the raw line (it may be the result) and why.
    Other(Vec<u8>, FieldError),
    Blank,
}

enum ParsedBatch {
    /// The lines in order, and the counts of the entries among them.
    Lines(Vec<Parsed>, Box<Tally>),
    ReadError(String),
}

/// Parses and hashes a batch of lines, checks each entry's marks against the
/// rules and counts them: everything that does not depend on the entries
/// before. Canonical lines (all of a well-formed bundle) are hashed as they
/// stand; anything else is parsed in full and re-serialised.
fn parse_lines(
    data: &[u8],
    index: &PoolIndex,
    rules: &BallotRules,
    tally: &mut Tally,
    buf: &mut Vec<u8>,
) -> Vec<Parsed> {
    let body = data.strip_suffix(b"\n").unwrap_or(data);
    let mut out: Vec<Parsed> = Vec::with_capacity(body.len() / 256 + 1);
    let mut resolved = Vec::with_capacity(32);
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', body).chain([body.len()]) {
        let line = trim_cr(&body[start..end]);
        start = end + 1;
        let parsed = if let Some(e) = Entry::parse_canonical(line) {
            debug_assert_eq!(to_canonical_string(&e).as_bytes(), line);
            Ok((e, Hash::of_bytes(line)))
        } else if line.iter().all(u8::is_ascii_whitespace) {
            Err(Parsed::Blank)
        } else if let Ok(e) = serde_json::from_slice::<Entry>(line) {
            buf.clear();
            to_canonical_vec(&e, buf);
            Ok((e, Hash::of_bytes(buf)))
        } else {
            // Parse again, slowly, only to name the failing field.
            let err = match parse_record::<Entry>(line) {
                Err(e) => e,
                Ok(_) => FieldError::new("(record)", "unparseable entry"),
            };
            Err(Parsed::Other(line.to_vec(), err))
        };
        out.push(match parsed {
            Ok((e, h)) => {
                let fors = rules.resolve(e.channel, &e.marks, &mut resolved);
                if fors.is_ok() {
                    tally.add_resolved(e.void.is_some(), &resolved);
                }
                let issuer =
                    rules.check_issuer(e.channel, &e.credential, e.issuer_signature.as_ref());
                Parsed::Entry(Link::with_marks(&e, h, None, fors, issuer))
            }
            Err(p) => p,
        });
    }
    // Pool lookups miss the cache; done back to back, the misses overlap.
    for p in out.iter_mut() {
        if let Parsed::Entry(link) = p {
            link.pos = index.position(&link.credential);
        }
    }
    out
}

/// Reads whole lines in blocks of about a megabyte.
struct Blocks<R> {
    r: R,
    carry: Vec<u8>,
    eof: bool,
}

impl<R: Read> Blocks<R> {
    /// Reads until `buf` holds `want` bytes or the input ends. Appends into
    /// spare capacity (no zero-filling), so a long manifest line costs its
    /// own size in memory and no more.
    fn fill(&mut self, buf: &mut Vec<u8>, want: usize) -> Result<(), String> {
        while !self.eof && buf.len() < want {
            let chunk = (want - buf.len()).max(64 * 1024) as u64;
            match self.r.by_ref().take(chunk).read_to_end(buf) {
                Ok(0) => self.eof = true,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("cannot read the bundle: {e}")),
            }
        }
        Ok(())
    }

    /// The first line, without its newline; None if the input is empty.
    fn first_line(&mut self) -> Result<Option<Vec<u8>>, String> {
        let mut buf = std::mem::take(&mut self.carry);
        let mut searched = 0;
        loop {
            if let Some(p) = memchr::memchr(b'\n', &buf[searched..]) {
                let nl = searched + p;
                self.carry = buf[nl + 1..].to_vec();
                buf.truncate(nl);
                return Ok(Some(buf));
            }
            searched = buf.len();
            if self.eof {
                return Ok(if buf.is_empty() { None } else { Some(buf) });
            }
            if buf.len() > MAX_MANIFEST_LINE {
                return Err(format!(
                    "the manifest line is longer than {MAX_MANIFEST_LINE} bytes"
                ));
            }
            let target = buf.len() + BLOCK;
            self.fill(&mut buf, target)?;
        }
    }

    /// The next run of whole lines (ending in a newline unless at the end
    /// of the input); None when the input is exhausted.
    fn next_batch(&mut self) -> Result<Option<Vec<u8>>, String> {
        let mut buf = std::mem::take(&mut self.carry);
        buf.reserve(BLOCK);
        let mut searched = 0;
        loop {
            self.fill(&mut buf, searched + BLOCK)?;
            if buf.is_empty() {
                return Ok(None);
            }
            if let Some(p) = memchr::memrchr(b'\n', &buf[searched..]) {
                let nl = searched + p;
                self.carry = buf[nl + 1..].to_vec();
                buf.truncate(nl + 1);
                return Ok(Some(buf));
            }
            if self.eof {
                return Ok(Some(buf));
            }
            searched = buf.len();
            if searched > MAX_LINE {
                return Err(format!("a line longer than {MAX_LINE} bytes"));
            }
        }
    }
}

#[cfg(test)]
#[path = "verify_tests.rs"]
mod tests;
