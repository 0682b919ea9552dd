//! The typed transaction a service drives: every read and write one
//! operation of the hall needs, in one transaction on the writer thread (or,
//! read-only, over the reader's connection — see [`Store::view`]).

use super::hall::{all_rounds, attestations, constant_time_eq, deputy_row, insert_round};
use super::*;

/// One write transaction for one operation of a service: what it reads and
/// what it writes are one atomic step on the writer thread, so two calls can
/// never both pass a check that only one of them should (two runoffs for one
/// result, two openings). Its methods are the only SQL a service reaches.
pub struct Tx<'a> {
    /// The transaction (or, for [`Store::view`], the read connection).
    pub(super) tx: &'a Connection,
    /// Rounds whose in-memory vote log is stale once this commits.
    pub(super) forget: Vec<i64>,
}

impl Tx<'_> {
    pub fn round(&self, round_id: i64) -> Result<RoundRow, StoreError> {
        load_round(self.tx, round_id)
    }

    pub fn rounds(&self) -> Result<Vec<RoundRow>, StoreError> {
        all_rounds(self.tx)
    }

    /// 签到 on a tablet: the deputy's number and 签到码 open a tablet
    /// session. An unknown number and a wrong code are refused alike
    /// (`CheckinFailed`), so the roster cannot be read off the answers.
    pub fn tablet_checkin(
        &mut self,
        number: &str,
        code: &str,
        token_hash: &str,
    ) -> Result<Deputy, StoreError> {
        let tx = self.tx;
        const SELECT: &str =
            "SELECT id, number, name, delegation, seat, present, checkin_code FROM deputies";
        let row = |r: &rusqlite::Row| Ok((deputy_row(r)?, r.get::<_, String>(6)?));
        let mut d = tx
            .prepare_cached(&format!("{SELECT} WHERE number = ?1"))?
            .query_row([number], row)
            .optional()?;
        // "1" finds deputy "001": a number typed without its zeros is the
        // same number (looked for only when the exact one is not there, so
        // the usual check-in stays one indexed read).
        if d.is_none() && !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) {
            d = tx
                .prepare_cached(&format!(
                    "{SELECT} WHERE number <> '' AND number NOT GLOB '*[^0-9]*'
                     AND CAST(number AS INTEGER) = CAST(?1 AS INTEGER) LIMIT 1"
                ))?
                .query_row([number], row)
                .optional()?;
        }
        let refused =
            || StoreError::refused(crate::error::Code::CheckinFailed, "代表编号或签到码不正确");
        let Some((mut d, expected)) = d else {
            return Err(refused());
        };
        // Printed in two groups of four ("1234 5678"): spaces and dashes typed
        // with it are not part of it.
        let typed: String = code
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '\u{3000}'))
            .collect();
        if !constant_time_eq(expected.as_bytes(), typed.as_bytes()) {
            return Err(refused());
        }
        // Another tablet already in use for this deputy: the console shows it.
        tx.execute(
            "UPDATE deputies SET present = 1, extra_checkins = extra_checkins
               + EXISTS (SELECT 1 FROM tablet_sessions WHERE deputy_id = ?1) WHERE id = ?1",
            [d.id],
        )?;
        tx.execute(
            "INSERT INTO tablet_sessions (token_hash, deputy_id) VALUES (?1, ?2)",
            params![token_hash, d.id],
        )?;
        d.present = true;
        Ok(d)
    }

    pub fn deputy_count(&self) -> Result<u64, StoreError> {
        Ok(self
            .tx
            .query_row("SELECT COUNT(*) FROM deputies", [], |r| r.get(0))?)
    }

    /// A new draft round, numbered after the election's last.
    pub fn insert_round(
        &mut self,
        election_id: &ElectionId,
        draft: &RoundDraft,
    ) -> Result<i64, StoreError> {
        insert_round(self.tx, election_id, draft)
    }

    /// Opens a draft round: stores the signed manifest and the shuffled raw
    /// credentials to hand out. From here on nothing in the manifest changes.
    pub fn open_round(
        &mut self,
        round_id: i64,
        manifest: &Signed<Manifest>,
        stack: &[Credential],
    ) -> Result<(), StoreError> {
        let tx = self.tx;
        let n = tx.execute(
            "UPDATE rounds SET state = 'open', manifest_json = ?2 WHERE id = ?1 AND state = 'draft'",
            params![round_id, to_canonical_string(manifest)],
        )?;
        if n == 0 {
            return Err(StoreError::conflict("只有准备中的轮次可以开始"));
        }
        let other: i64 = tx.query_row(
            "SELECT COUNT(*) FROM rounds WHERE state = 'open' AND id != ?1",
            [round_id],
            |r| r.get(0),
        )?;
        if other > 0 {
            return Err(StoreError::conflict("已有一轮正在投票，请先结束"));
        }
        let mut ins = tx.prepare(
            "INSERT INTO credential_stack (round_id, slot, credential) VALUES (?1, ?2, ?3)",
        )?;
        for (slot, c) in stack.iter().enumerate() {
            ins.execute(params![round_id, slot as i64, c.text()])?;
        }
        self.forget.push(round_id);
        Ok(())
    }

    /// Closes the round: counts it, stores the result body and wipes the
    /// credentials never handed out. (The WAL is truncated after the commit,
    /// see [`Store::checkpoint`].)
    pub fn close_round(
        &mut self,
        round_id: i64,
        closed_at: Timestamp,
    ) -> Result<RoundResult, StoreError> {
        let tx = self.tx;
        let row = load_round(tx, round_id)?;
        if row.state != RoundState::Open {
            return Err(StoreError::conflict("只有投票中的轮次可以结束"));
        }
        let manifest = row
            .manifest
            .ok_or_else(|| StoreError::Corrupt("no manifest".into()))?
            .body;
        let c = counts(tx, round_id)?;
        c.paper
            .close_check()
            .map_err(|e| StoreError::conflict(e.to_string()))?;
        let (log, tally) = replay(tx, round_id, &manifest)?;
        // v2: who was issued a ballot is published; `issued` follows from it.
        let roll = match manifest.kind.0 {
            Version::V1 => None,
            Version::V2 => {
                let numbers = |v: Vec<String>| {
                    v.iter()
                        .map(|n| DeputyNumber::parse(n).map_err(StoreError::Corrupt))
                        .collect::<Result<Vec<_>, _>>()
                };
                Some(IssuedRoll {
                    paper: c.paper.handed_out,
                    replaced: numbers(super::hall::replaced_roll(tx, round_id)?)?,
                    switched_to_paper: c.mode == Mode::Paper,
                    tablet: numbers(super::hall::tablet_roll(tx, round_id)?)?,
                })
            }
        };
        let att = Attendance {
            present: c.present,
            issued: roll
                .as_ref()
                .map_or(c.issued, |r| r.issued(log.tablet_entries())),
        };
        let result = tally.round_result(
            &manifest,
            log.manifest_hash(),
            log.head(),
            att,
            roll,
            closed_at,
        );
        tx.execute(
            "UPDATE rounds SET state = 'closed', present = ?2, result_json = ?3 WHERE id = ?1",
            params![round_id, c.present, to_canonical_string(&result)],
        )?;
        tx.execute(
            "DELETE FROM credential_stack WHERE round_id = ?1",
            [round_id],
        )?;
        // Who was issued a ballot stays (the roll is published), but not in
        // the order of issue: SQLite lays a page's cells out in the order
        // they were written, so the rows are written again in key order, and
        // the blinded-message hashes (needed only for retries) go.
        let deputies: Vec<i64> = tx
            .prepare("SELECT deputy_id FROM ballots_issued WHERE round_id = ?1 ORDER BY deputy_id")?
            .query_map([round_id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        tx.execute("DELETE FROM ballots_issued WHERE round_id = ?1", [round_id])?;
        let mut ins =
            tx.prepare("INSERT INTO ballots_issued (round_id, deputy_id) VALUES (?1, ?2)")?;
        for d in deputies {
            ins.execute(params![round_id, d])?;
        }
        // Tablet sessions end with the round: the next round's ballot goes
        // only to a deputy who checks in again.
        tx.execute("DELETE FROM tablet_sessions", [])?;
        paper::wipe_printed(tx, round_id)?;
        self.forget.push(round_id);
        Ok(result)
    }

    /// Records a signature over the result body (verified by the caller).
    pub fn add_attestation(&mut self, round_id: i64, sig: &Signature) -> Result<(), StoreError> {
        let tx = self.tx;
        let state: String =
            tx.query_row("SELECT state FROM rounds WHERE id = ?1", [round_id], |r| {
                r.get(0)
            })?;
        if state != "closed" {
            return Err(StoreError::conflict("只有已结束、未公布的轮次可以签名"));
        }
        let role = if sig.role == Role::Authority {
            "authority"
        } else {
            "scrutineer"
        };
        tx.execute(
            "INSERT INTO attestations (round_id, public_key, role, signature) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(round_id, public_key) DO UPDATE SET signature = excluded.signature, role = excluded.role",
            params![round_id, sig.public_key.to_hex(), role, sig.signature.to_hex()],
        )?;
        Ok(())
    }

    pub fn attestations(&self, round_id: i64) -> Result<Vec<Signature>, StoreError> {
        attestations(self.tx, round_id)
    }

    /// Marks a closed round published (the caller has checked the signatures).
    pub fn publish(&mut self, round_id: i64) -> Result<(), StoreError> {
        let n = self.tx.execute(
            "UPDATE rounds SET state = 'published' WHERE id = ?1 AND state = 'closed'",
            [round_id],
        )?;
        if n == 0 {
            return Err(StoreError::conflict("只有已结束的轮次可以公布"));
        }
        Ok(())
    }
}
