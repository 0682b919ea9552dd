//! The store's paper side: printed credentials, the two counters'
//! readings, the chief scrutineer's rulings, ballots set aside, the box
//! count. The rules are in [`crate::paper`]; this is only their SQL.

use super::{load_round, Store, StoreError, SubmitError, Writer};
use crate::core::canon::{to_canonical_string, Hash};
use crate::core::chain::Ballot;
use crate::core::credential::Credential;
use crate::core::record::*;
use crate::hall::RoundState;
use crate::paper::{agree, Entered, Mode, PaperTally, ReadBy, Reading, SetAside};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

/// What became of a paper ballot a counter entered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PaperOutcome {
    Entered(Entered),
    /// Not counted: kept apart for the scrutineers (and recorded).
    SetAside(SetAside),
}

/// A ballot two counters read differently.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Dispute {
    pub commitment: Hash,
    /// The credential as printed under the ballot's QR code (kept while the
    /// round is open), so the chief finds the paper in the disputed pile.
    pub printed: Option<String>,
    /// (counter's display name, what they read)
    pub readings: Vec<(String, Reading)>,
}

/// The whole paper side of a round, for the consoles.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PaperStatus {
    pub mode: Mode,
    pub tally: PaperTally,
    pub set_aside: Vec<(SetAside, u64)>,
    pub disputes: Vec<Dispute>,
    pub override_note: Option<String>,
}

fn open_round_ids(tx: &Connection, round_id: i64) -> Result<(ElectionId, u64), StoreError> {
    let row = load_round(tx, round_id)?;
    if row.state != RoundState::Open {
        return Err(StoreError::conflict("本轮投票未开始或已结束"));
    }
    let e = ElectionId::parse(&row.election_id)
        .map_err(|e| StoreError::Corrupt(format!("election id: {e}")))?;
    Ok((e, row.round))
}

/// Takes `count` fresh credentials from the stack and records them printed.
fn take_for_print(
    tx: &Transaction,
    round_id: i64,
    count: u64,
) -> Result<(i64, Vec<Credential>), StoreError> {
    let (election_id, round) = open_round_ids(tx, round_id)?;
    let batch: i64 = tx.query_row(
        "SELECT COALESCE(MAX(batch), 0) + 1 FROM paper_ballots WHERE round_id = ?1",
        [round_id],
        |r| r.get(0),
    )?;
    let rows: Vec<(i64, String)> = {
        let mut st = tx.prepare(
            "SELECT slot, credential FROM credential_stack WHERE round_id = ?1 ORDER BY slot LIMIT ?2",
        )?;
        let rows = st
            .query_map(params![round_id, count as i64], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows
    };
    if (rows.len() as u64) < count {
        return Err(StoreError::conflict(format!(
            "空白凭证不足：本轮最多还能打印 {} 张",
            rows.len()
        )));
    }
    let mut out = Vec::with_capacity(rows.len());
    for (slot, text) in rows {
        let c = Credential::parse(&text).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        tx.execute(
            "DELETE FROM credential_stack WHERE round_id = ?1 AND slot = ?2",
            params![round_id, slot],
        )?;
        tx.execute(
            "INSERT INTO paper_ballots (round_id, commitment, batch, credential, state) VALUES (?1, ?2, ?3, ?4, 'printed')",
            params![round_id, c.commitment(&election_id, round).to_hex(), batch, c.text()],
        )?;
        out.push(c);
    }
    Ok((batch, out))
}

/// The paper side's numbers for one round.
pub(super) fn paper_tally(c: &Connection, round_id: i64) -> Result<PaperTally, StoreError> {
    let one = |sql: &str| -> Result<u64, StoreError> {
        Ok(c.query_row(sql, [round_id], |r| r.get::<_, i64>(0))? as u64)
    };
    let (handed_out, box_count, overridden): (i64, Option<i64>, bool) = c.query_row(
        "SELECT paper_handed_out, box_count, box_override_by IS NOT NULL FROM rounds WHERE id = ?1",
        [round_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    Ok(PaperTally {
        printed: one("SELECT COUNT(*) FROM paper_ballots WHERE round_id = ?1")?,
        voided: one("SELECT COUNT(*) FROM paper_ballots WHERE round_id = ?1 AND state = 'voided'")?,
        handed_out: handed_out as u64,
        box_count: box_count.map(|b| b as u64),
        entered: one(
            "SELECT COUNT(*) FROM entries e JOIN paper_ballots p
             ON p.round_id = e.round_id AND p.commitment = e.credential WHERE e.round_id = ?1",
        )?,
        set_aside: one("SELECT COUNT(*) FROM paper_set_aside WHERE round_id = ?1")?,
        pending: one(
            "SELECT COUNT(DISTINCT r.commitment) FROM paper_readings r WHERE r.round_id = ?1
             AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.round_id = r.round_id AND e.credential = r.commitment)",
        )?,
        overridden,
    })
}

pub(super) fn mode(c: &Connection, round_id: i64) -> Result<Mode, StoreError> {
    let m: String = c
        .query_row("SELECT mode FROM rounds WHERE id = ?1", [round_id], |r| {
            r.get(0)
        })
        .optional()?
        .ok_or(StoreError::NotFound("轮次"))?;
    Mode::parse(&m).ok_or_else(|| StoreError::Corrupt(format!("mode {m}")))
}

fn set_aside(
    tx: &Transaction,
    round_id: i64,
    code: &Hash,
    why: SetAside,
) -> Result<PaperOutcome, StoreError> {
    tx.execute(
        "INSERT INTO paper_set_aside (round_id, code, reason) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        params![round_id, code.to_hex(), why.as_str()],
    )?;
    Ok(PaperOutcome::SetAside(why))
}

fn readings(
    tx: &Connection,
    round_id: i64,
    commitment: &Hash,
) -> Result<Vec<(i64, String, Reading)>, StoreError> {
    let mut st = tx.prepare(
        "SELECT r.counter_id, s.display_name, r.reading FROM paper_readings r JOIN staff s ON s.id = r.counter_id
         WHERE r.round_id = ?1 AND r.commitment = ?2 ORDER BY s.username",
    )?;
    let rows = st
        .query_map(params![round_id, commitment.to_hex()], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(id, name, json)| {
            let reading: Reading =
                parse_record(json.as_bytes()).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            Ok((id, name, reading))
        })
        .collect()
}

impl Store {
    /// Prints `count` ballots: fresh credentials, recorded as printed.
    pub async fn print_paper(
        &self,
        round_id: i64,
        count: u64,
    ) -> Result<(i64, Vec<Credential>), StoreError> {
        self.write(move |tx| take_for_print(tx, round_id, count))
            .await
    }

    /// The credentials of a print batch (not voided), while the round is open.
    pub async fn paper_batch(
        &self,
        round_id: i64,
        batch: i64,
    ) -> Result<Vec<Credential>, StoreError> {
        self.read(move |c| {
            let mut st = c.prepare(
                "SELECT credential FROM paper_ballots WHERE round_id = ?1 AND batch = ?2
                 AND state = 'printed' AND credential IS NOT NULL",
            )?;
            let rows = st
                .query_map(params![round_id, batch], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            if rows.is_empty() {
                return Err(StoreError::NotFound("该批次的选票（投票结束后不能再打印）"));
            }
            let mut creds = rows
                .iter()
                .map(|t| Credential::parse(t).map_err(|e| StoreError::Corrupt(e.to_string())))
                .collect::<Result<Vec<_>, _>>()?;
            creds.sort_by_key(|c| c.text());
            Ok(creds)
        })
        .await
    }

    /// Voids a printed ballot (spoiled, or handed back unused) so it can
    /// never be counted; a spoiled one is reprinted on a fresh credential.
    pub async fn void_paper(
        &self,
        round_id: i64,
        commitment: Hash,
        spoiled: bool,
    ) -> Result<Option<(i64, Vec<Credential>)>, StoreError> {
        self.write(move |tx| {
            open_round_ids(tx, round_id)?;
            let state: Option<String> = tx
                .query_row(
                    "SELECT state FROM paper_ballots WHERE round_id = ?1 AND commitment = ?2",
                    params![round_id, commitment.to_hex()],
                    |r| r.get(0),
                )
                .optional()?;
            match state.as_deref() {
                None => return Err(StoreError::conflict("这不是本轮打印的纸质选票")),
                Some("voided") => return Err(StoreError::conflict("这张选票已经作废")),
                _ => {}
            }
            let counted: bool = tx
                .query_row(
                    "SELECT 1 FROM entries WHERE round_id = ?1 AND credential = ?2",
                    params![round_id, commitment.to_hex()],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
            if counted {
                return Err(StoreError::conflict("这张选票已经计入，不能作废"));
            }
            tx.execute(
                "UPDATE paper_ballots SET state = 'voided', void_reason = ?3 WHERE round_id = ?1 AND commitment = ?2",
                params![round_id, commitment.to_hex(), if spoiled { "spoiled" } else { "unused" }],
            )?;
            if spoiled {
                return take_for_print(tx, round_id, 1).map(Some);
            }
            Ok(None)
        })
        .await
    }

    /// Goes from tablets to paper (one way): tablets that have not voted are refused.
    pub async fn set_mode(&self, round_id: i64, to: Mode) -> Result<(), StoreError> {
        self.write(move |tx| {
            open_round_ids(tx, round_id)?;
            if to == Mode::Tablet && mode(tx, round_id)? == Mode::Paper {
                return Err(StoreError::conflict("已改为纸质投票，不能改回平板"));
            }
            tx.execute(
                "UPDATE rounds SET mode = ?2 WHERE id = ?1",
                params![round_id, to.as_str()],
            )?;
            Ok(())
        })
        .await
    }

    /// 发出 (paper): how many paper ballots were handed to deputies.
    pub async fn set_handed_out(&self, round_id: i64, count: u64) -> Result<(), StoreError> {
        self.write(move |tx| {
            open_round_ids(tx, round_id)?;
            let c = super::counts(tx, round_id)?;
            let tablets = c.issued.saturating_sub(c.paper.handed_out);
            // A replaced tablet's deputy holds a second (paper) ballot.
            c.paper
                .check_handed_out(count, tablets, c.present + c.replaced)
                .map_err(|e| StoreError::conflict(e.to_string()))?;
            tx.execute(
                "UPDATE rounds SET paper_handed_out = ?2 WHERE id = ?1",
                params![round_id, count as i64],
            )?;
            Ok(())
        })
        .await
    }

    /// 收回: the scrutineers' physical count of the box (clears an override).
    pub async fn set_box_count(&self, round_id: i64, count: u64) -> Result<(), StoreError> {
        self.write(move |tx| {
            open_round_ids(tx, round_id)?;
            tx.execute(
                "UPDATE rounds SET box_count = ?2, box_override_by = NULL, box_override_note = NULL WHERE id = ?1",
                params![round_id, count as i64],
            )?;
            Ok(())
        })
        .await
    }

    /// The chief scrutineer accepts a box count that does not match, with a note.
    pub async fn override_box(
        &self,
        round_id: i64,
        chief_id: i64,
        note: String,
    ) -> Result<(), StoreError> {
        self.write(move |tx| {
            open_round_ids(tx, round_id)?;
            let n = tx.execute(
                "UPDATE rounds SET box_override_by = ?2, box_override_note = ?3 WHERE id = ?1 AND box_count IS NOT NULL",
                params![round_id, chief_id, note],
            )?;
            if n == 0 {
                return Err(StoreError::conflict("请先录入票箱清点张数"));
            }
            Ok(())
        })
        .await
    }

    pub async fn paper_status(&self, round_id: i64) -> Result<PaperStatus, StoreError> {
        self.read(move |c| {
            let tally = paper_tally(c, round_id)?;
            let mut st = c.prepare(
                "SELECT reason, COUNT(*) FROM paper_set_aside WHERE round_id = ?1 GROUP BY reason ORDER BY reason",
            )?;
            let set_aside = st
                .query_map([round_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .filter_map(|(r, n)| Some((SetAside::parse(&r)?, n as u64)))
                .collect();
            let mut st = c.prepare(
                "SELECT commitment FROM paper_readings r WHERE round_id = ?1
                 AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.round_id = r.round_id AND e.credential = r.commitment)
                 GROUP BY commitment HAVING COUNT(*) >= 2 ORDER BY commitment",
            )?;
            let disputed = st
                .query_map([round_id], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            let mut disputes = vec![];
            for h in disputed {
                let commitment = Hash::parse_hex(&h).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let readings = readings(c, round_id, &commitment)?
                    .into_iter()
                    .map(|(_, name, r)| (name, r))
                    .collect();
                let printed: Option<String> = c
                    .query_row(
                        "SELECT credential FROM paper_ballots WHERE round_id = ?1 AND commitment = ?2",
                        params![round_id, h],
                        |r| r.get(0),
                    )
                    .optional()?
                    .flatten();
                disputes.push(Dispute {
                    commitment,
                    printed,
                    readings,
                });
            }
            let override_note = c.query_row(
                "SELECT box_override_note FROM rounds WHERE id = ?1",
                [round_id],
                |r| r.get(0),
            )?;
            Ok(PaperStatus {
                mode: mode(c, round_id)?,
                tally,
                set_aside,
                disputes,
                override_note,
            })
        })
        .await
    }

    /// A counter's reading of a paper ballot (or, [`ReadBy::Chief`], the
    /// chief scrutineer's ruling on a disputed one). The reading, the agreement
    /// check and the append to the log are one transaction.
    pub async fn enter_paper(
        &self,
        round_id: i64,
        commitment: Hash,
        staff_id: i64,
        reading: Reading,
        by: ReadBy,
        request: Option<String>,
    ) -> Result<PaperOutcome, StoreError> {
        let reading = reading.normalized();
        self.write_with(move |w| {
            let tx = w.conn.transaction()?;
            let entry = PaperEntry {
                round_id,
                commitment,
                staff_id,
                reading: &reading,
                ruling: by == ReadBy::Chief,
                request: request.as_deref(),
            };
            let outcome = Writer::enter_paper(&mut w.logs, &tx, &entry);
            match outcome {
                Ok(o) => match tx.commit() {
                    Ok(()) => Ok(o),
                    Err(e) => {
                        w.logs.remove(&round_id);
                        Err(e.into())
                    }
                },
                Err(e) => {
                    // Rolled back: the in-memory log may be ahead of the disk.
                    w.logs.remove(&round_id);
                    Err(e)
                }
            }
        })
        .await
    }

    /// Notes a scanned code that is not a ballot of this round at all.
    pub async fn set_aside_foreign(
        &self,
        round_id: i64,
        scanned: String,
    ) -> Result<(), StoreError> {
        self.write(move |tx| {
            open_round_ids(tx, round_id)?;
            set_aside(
                tx,
                round_id,
                &Hash::of_bytes(scanned.trim().as_bytes()),
                SetAside::Foreign,
            )?;
            Ok(())
        })
        .await
    }
}

/// One reading of one paper ballot, as entered.
struct PaperEntry<'a> {
    round_id: i64,
    commitment: Hash,
    staff_id: i64,
    reading: &'a Reading,
    /// The chief scrutineer's ruling on a disputed ballot.
    ruling: bool,
    /// The counting page's id for this scan: a retry of it gets the same answer.
    request: Option<&'a str>,
}

impl Writer {
    fn enter_paper(
        logs: &mut std::collections::HashMap<i64, crate::core::chain::VoteLog>,
        tx: &Transaction,
        entry: &PaperEntry,
    ) -> Result<PaperOutcome, StoreError> {
        let PaperEntry {
            round_id,
            commitment,
            staff_id,
            reading,
            ruling,
            request,
        } = *entry;
        open_round_ids(tx, round_id)?;
        let state: Option<String> = tx
            .query_row(
                "SELECT state FROM paper_ballots WHERE round_id = ?1 AND commitment = ?2",
                params![round_id, commitment.to_hex()],
                |r| r.get(0),
            )
            .optional()?;
        let in_log = tx
            .query_row(
                "SELECT 1 FROM entries WHERE round_id = ?1 AND credential = ?2",
                params![round_id, commitment.to_hex()],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        let before = readings(tx, round_id, &commitment)?;
        let json = to_canonical_string(reading);
        // A retry (a dropped connection, a server restart) of the same scan —
        // the same request id — gets the same answer. A new scan of a ballot
        // already in is a duplicate, however it was read.
        let own = before.iter().find(|(id, _, _)| *id == staff_id);
        let own_request: Option<String> = tx
            .query_row(
                "SELECT request FROM paper_readings WHERE round_id = ?1 AND commitment = ?2 AND counter_id = ?3",
                params![round_id, commitment.to_hex(), staff_id],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        let retry = !ruling
            && request.is_some()
            && own_request.as_deref() == request
            && own.is_some_and(|(_, _, r)| agree(r, reading));
        let ruled_again = ruling
            && tx
                .query_row(
                    "SELECT 1 FROM paper_rulings WHERE round_id = ?1 AND commitment = ?2 AND chief_id = ?3 AND reading = ?4",
                    params![round_id, commitment.to_hex(), staff_id, json],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
        // A counter who read this ballot and scans it again (it came back
        // into their pile) is told it is counted — nothing is set aside, so
        // the box count still adds up. Another paper with the same code, in
        // the hands of someone who never read it, is a duplicate (below).
        let rescan = !ruling && own.is_some();
        if in_log && (retry || ruled_again || rescan) {
            let (seq, hash): (u64, String) = tx.query_row(
                "SELECT seq, hash FROM entries WHERE round_id = ?1 AND credential = ?2",
                params![round_id, commitment.to_hex()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let hash = Hash::parse_hex(&hash).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            return Ok(PaperOutcome::Entered(Entered::Appended(Receipt {
                seq,
                hash,
            })));
        }
        if retry {
            return Ok(PaperOutcome::Entered(if before.len() >= 2 {
                Entered::Disputed
            } else {
                Entered::Waiting
            }));
        }
        match (state.as_deref(), in_log) {
            (_, true) => return set_aside(tx, round_id, &commitment, SetAside::Duplicate),
            (None, false) => return set_aside(tx, round_id, &commitment, SetAside::Foreign),
            (Some("voided"), false) => {
                return set_aside(tx, round_id, &commitment, SetAside::Voided)
            }
            _ => {}
        }
        if ruling {
            if before.len() < 2 {
                return Err(StoreError::conflict("这张选票没有争议，应由两位计票人录入"));
            }
            tx.execute(
                "INSERT INTO paper_rulings (round_id, commitment, chief_id, reading) VALUES (?1, ?2, ?3, ?4)",
                params![round_id, commitment.to_hex(), staff_id, json],
            )?;
        } else {
            if own.is_some() {
                return Err(StoreError::conflict(
                    "您已录入过这张选票（录入内容不同），请交给另一位计票人录入",
                ));
            }
            if before.len() >= 2 {
                return Err(StoreError::conflict(
                    "这张选票两次录入不一致，正等待总监票人裁定",
                ));
            }
            tx.execute(
                "INSERT INTO paper_readings (round_id, commitment, counter_id, reading, request) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![round_id, commitment.to_hex(), staff_id, json, request],
            )?;
            match before.first() {
                None => return Ok(PaperOutcome::Entered(Entered::Waiting)),
                Some((_, _, first)) if !agree(first, reading) => {
                    return Ok(PaperOutcome::Entered(Entered::Disputed))
                }
                Some(_) => {}
            }
        }
        let ballot = Ballot {
            credential: commitment,
            issuer_signature: None,
            channel: Channel::Paper,
            marks: reading
                .marks()
                .map_err(|e| StoreError::conflict(e.to_string()))?,
            unreadable: reading.unreadable,
        };
        let receipt = Writer::append_one(logs, tx, round_id, &ballot).map_err(|e| match e {
            SubmitError::Disk(m) => StoreError::Disk(m),
            e => StoreError::conflict(format!("选票不能计入: {e}")),
        })?;
        Ok(PaperOutcome::Entered(Entered::Appended(receipt)))
    }
}

/// At close: the raw credentials of printed ballots are wiped.
pub(super) fn wipe_printed(tx: &Connection, round_id: i64) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE paper_ballots SET credential = NULL WHERE round_id = ?1",
        [round_id],
    )?;
    Ok(())
}
