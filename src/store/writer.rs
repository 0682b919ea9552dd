//! The writer thread: every write, in order; ballots that arrive together committed in one transaction; the disk's health.

use super::*;

/// How long a failed write keeps the disk marked as in trouble, unless a
/// write succeeds first.
pub(super) const DISK_TROUBLE_FOR: std::time::Duration = std::time::Duration::from_secs(600);

/// When a write last failed for the disk's sake; cleared by a write that
/// stored something. Set and cleared by the writer thread only.
#[derive(Default)]
pub(super) struct DiskHealth(Mutex<Option<std::time::Instant>>);

impl DiskHealth {
    pub(super) fn failed(&self) {
        if let Ok(mut t) = self.0.lock() {
            *t = Some(std::time::Instant::now());
        }
    }
    pub(super) fn wrote(&self) {
        if let Ok(mut t) = self.0.lock() {
            *t = None;
        }
    }
    pub(super) fn last_failure(&self) -> Option<std::time::Instant> {
        self.0.lock().ok().and_then(|t| *t)
    }
}

// --- the writer thread ---------------------------------------------------------

/// The writer thread's state: the one write connection, and the in-memory
/// log of each round that has taken ballots since the server started.
pub struct Writer {
    pub(super) conn: Connection,
    pub(super) logs: HashMap<i64, VoteLog>,
    /// Whether each round takes paper only, as read since the last write
    /// job (only a write job can switch a round to paper). Read from the
    /// wide `rounds` row once, not once a ballot: its mode sits after the
    /// manifest, on the row's last overflow page.
    pub(super) paper_only: HashMap<i64, bool>,
    pub(super) disk: Arc<DiskHealth>,
}

impl Writer {
    pub(super) fn run(mut self, rx: mpsc::Receiver<Job>) {
        while let Ok(first) = rx.recv() {
            let mut jobs = vec![first];
            while jobs.len() < MAX_GROUP {
                match rx.try_recv() {
                    Ok(j) => jobs.push(j),
                    Err(_) => break,
                }
            }
            let mut ballots = vec![];
            for job in jobs {
                match job {
                    Job::Ballot {
                        round_id,
                        ballot,
                        reply,
                    } => ballots.push((round_id, ballot, reply)),
                    Job::Write(f) => {
                        // Keep the order: ballots before this job are committed first.
                        self.commit_ballots(std::mem::take(&mut ballots));
                        f(&mut self);
                        self.paper_only.clear();
                    }
                }
            }
            self.commit_ballots(ballots);
        }
    }

    fn log_for<'a>(
        logs: &'a mut HashMap<i64, VoteLog>,
        tx: &Transaction,
        round_id: i64,
    ) -> Result<Option<&'a mut VoteLog>, StoreError> {
        if let std::collections::hash_map::Entry::Vacant(slot) = logs.entry(round_id) {
            let row = load_round(tx, round_id)?;
            if row.state != RoundState::Open {
                return Ok(None);
            }
            let manifest = row
                .manifest
                .ok_or_else(|| StoreError::Corrupt("no manifest".into()))?
                .body;
            let (log, _) = replay(tx, round_id, &manifest)?;
            slot.insert(log);
        }
        Ok(logs.get_mut(&round_id))
    }

    /// Keeps the disk's health after a write: one that failed for the disk's
    /// sake marks it; a committed one that changed rows (counted from
    /// `before`, the connection's total changes) clears it.
    pub(super) fn note_disk(&self, committed: bool, disk_failed: bool, before: u64) {
        if disk_failed {
            self.disk.failed();
        } else if committed && self.conn.total_changes() > before {
            self.disk.wrote();
        }
    }

    /// One transaction, one fsync, for every ballot that arrived together.
    fn commit_ballots(&mut self, ballots: Vec<(i64, Ballot, BallotReply)>) {
        if ballots.is_empty() {
            return;
        }
        let mut replies = Vec::with_capacity(ballots.len());
        let mut touched = vec![];
        let before = self.conn.total_changes();
        let (logs, paper_only) = (&mut self.logs, &mut self.paper_only);
        let outcome = (|| -> Result<(), StoreError> {
            // A deferred transaction on the writer's own connection.
            let tx = self.conn.unchecked_transaction()?;
            for (round_id, ballot, reply) in ballots {
                let r = Writer::tablet_allowed(logs, paper_only, &tx, round_id, &ballot)
                    .and_then(|()| Writer::append_one(logs, &tx, round_id, &ballot));
                if r.is_ok() {
                    touched.push(round_id);
                }
                replies.push((reply, r));
            }
            tx.commit()?;
            Ok(())
        })();
        let disk_refused = replies
            .iter()
            .any(|(_, r)| matches!(r, Err(SubmitError::Disk(_))));
        let disk_failed = disk_refused || outcome.as_ref().is_err_and(StoreError::is_disk);
        self.note_disk(outcome.is_ok(), disk_failed, before);
        match outcome {
            Ok(()) => {
                for (reply, r) in replies {
                    let _ = reply.send(r);
                }
            }
            Err(e) => {
                // Nothing was stored: forget the in-memory state and refuse all.
                for id in touched {
                    self.logs.remove(&id);
                }
                for (reply, r) in replies {
                    let _ = reply.send(match r {
                        Ok(_) => Err(SubmitError::storage(&e)),
                        Err(e) => Err(e),
                    });
                }
            }
        }
    }

    /// A tablet ballot is refused when its credential was printed on paper,
    /// and after the round went over to paper (but for a retry of a ballot
    /// already in, which gets its receipt again in `append_one`).
    fn tablet_allowed(
        logs: &mut HashMap<i64, VoteLog>,
        paper_only: &mut HashMap<i64, bool>,
        tx: &Transaction,
        round_id: i64,
        ballot: &Ballot,
    ) -> Result<(), SubmitError> {
        if ballot.channel != Channel::Tablet {
            return Ok(());
        }
        let storage = |e: StoreError| SubmitError::storage(&e);
        let Some(log) = Writer::log_for(logs, tx, round_id).map_err(storage)? else {
            return Err(SubmitError::NotOpen);
        };
        let printed: bool = tx
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM paper_ballots WHERE round_id = ?1 AND commitment = ?2)",
            )
            .and_then(|mut st| {
                st.query_row(params![round_id, ballot.credential.to_hex()], |r| r.get(0))
            })
            .map_err(|e| storage(e.into()))?;
        if printed {
            return Err(SubmitError::PaperCredential);
        }
        let only = match paper_only.get(&round_id) {
            Some(p) => *p,
            None => {
                let p: bool = tx
                    .prepare_cached("SELECT mode = 'paper' FROM rounds WHERE id = ?1")
                    .and_then(|mut st| st.query_row(params![round_id], |r| r.get(0)))
                    .optional()
                    .map_err(|e| storage(e.into()))?
                    .unwrap_or(false);
                paper_only.insert(round_id, p);
                p
            }
        };
        if !only {
            return Ok(());
        }
        if matches!(log.prepare(ballot), Err(BallotError::CredentialUsed)) {
            Ok(())
        } else {
            Err(SubmitError::PaperOnly)
        }
    }

    pub(super) fn append_one(
        logs: &mut HashMap<i64, VoteLog>,
        tx: &Transaction,
        round_id: i64,
        ballot: &Ballot,
    ) -> Result<Receipt, SubmitError> {
        let storage = |e: StoreError| SubmitError::storage(&e);
        let Some(log) = Writer::log_for(logs, tx, round_id).map_err(storage)? else {
            return Err(SubmitError::NotOpen);
        };
        match log.prepare(ballot) {
            Ok(entry) => {
                let json = to_canonical_string(&entry);
                let hash = Hash::of_bytes(json.as_bytes());
                tx.prepare_cached(
                    "INSERT INTO entries (round_id, seq, credential, entry_json, hash) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .and_then(|mut st| {
                    st.execute(params![round_id, entry.seq, entry.credential.to_hex(), json, hash.to_hex()])
                })
                .map_err(|e| storage(e.into()))?;
                // Only now, with the row in the transaction, advance the log.
                log.replay_prepared(&entry, hash)
                    .map_err(|e| SubmitError::Storage(e.to_string()))
            }
            Err(BallotError::CredentialUsed) => {
                // A retry of a ballot already in (reload, dropped connection)
                // gets its receipt again; a different ballot is refused.
                let stored: Option<(u64, String, String)> = tx
                    .query_row(
                        "SELECT seq, hash, entry_json FROM entries WHERE round_id = ?1 AND credential = ?2",
                        params![round_id, ballot.credential.to_hex()],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()
                    .map_err(|e| storage(e.into()))?;
                if let Some((seq, hash, json)) = stored {
                    let e: Entry = parse_record(json.as_bytes())
                        .map_err(|e| SubmitError::Storage(e.to_string()))?;
                    let unreadable = e.void == Some(VoidReason::Unreadable);
                    if e.marks == ballot.marks
                        && e.channel == ballot.channel
                        && unreadable == ballot.unreadable
                    {
                        let hash = Hash::parse_hex(&hash)
                            .map_err(|e| SubmitError::Storage(e.to_string()))?;
                        return Ok(Receipt { seq, hash });
                    }
                }
                Err(BallotError::CredentialUsed.into())
            }
            Err(e) => Err(e.into()),
        }
    }
}
