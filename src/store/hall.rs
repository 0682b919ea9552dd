//! The hall: the roster, check-in, rounds from draft to published, tablets' ballots, attestations and bundles.

use super::*;
use crate::hall::{chain_check, ChainLink};

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Deputy {
    pub id: i64,
    pub number: String,
    pub name: String,
    pub delegation: String,
    pub seat: String,
    pub present: bool,
    /// Check-ins by another tablet while this deputy had one in use: shown
    /// to staff (someone else may be trying to vote as this deputy).
    #[serde(default)]
    pub extra_checkins: u64,
    /// The staff who checked this deputy in at the console, if any.
    #[serde(default)]
    pub checked_in_by: Option<String>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct RoundRow {
    pub id: i64,
    pub election_id: String,
    pub round: u64,
    pub state: RoundState,
    pub draft: RoundDraft,
    #[serde(skip)]
    pub manifest: Option<Signed<Manifest>>,
    pub present: Option<u64>,
    pub result: Option<RoundResult>,
}

/// 发出/收回: the numbers the console shows while a round is open.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct RoundCounts {
    pub total_deputies: u64,
    pub present: u64,
    /// Tablets and paper (see [`crate::paper::issued`]).
    pub issued: u64,
    /// Ballots in the log, both channels.
    pub returned: u64,
    pub mode: Mode,
    pub tablet_issued: u64,
    /// Tablet ballots replaced by paper (a tablet that died).
    pub replaced: u64,
    pub paper: PaperTally,
}

impl Store {
    // --- deputies ---------------------------------------------------------------

    /// Replaces the roster (only before any round has opened). Each deputy
    /// gets an 8-digit 签到码 for checking in on a tablet (10^8 codes: see
    /// `service::tablet` for why guessing one stays under 1% a day).
    pub async fn import_roster(&self, rows: Vec<RosterRow>) -> Result<usize, StoreError> {
        let codes: Vec<String> = rows
            .iter()
            .map(|_| random_digits(CHECKIN_CODE_DIGITS))
            .collect::<Result<_, _>>()?;
        self.write(move |tx| {
            let opened: i64 = tx.query_row("SELECT COUNT(*) FROM rounds WHERE state != 'draft'", [], |r| r.get(0))?;
            if opened > 0 {
                return Err(StoreError::conflict("已有轮次开始投票，名册不能再更换"));
            }
            tx.execute("DELETE FROM tablet_sessions", [])?;
            tx.execute("DELETE FROM deputies", [])?;
            let mut ins = tx.prepare(
                "INSERT INTO deputies (number, name, delegation, seat, checkin_code) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for (r, code) in rows.iter().zip(&codes) {
                ins.execute(params![r.number, r.name, r.delegation, r.seat, code])?;
            }
            Ok(rows.len())
        })
        .await
    }

    pub async fn deputies(&self) -> Result<Vec<Deputy>, StoreError> {
        self.read(|c| {
            let mut st = c.prepare(
                "SELECT id, number, name, delegation, seat, present, extra_checkins,
                   (SELECT group_concat(staff, '、') FROM staff_checkins s WHERE s.deputy_id = d.id AND s.present = 1)
                 FROM deputies d ORDER BY number",
            )?;
            let rows = st
                .query_map([], |r| {
                    Ok(Deputy {
                        extra_checkins: r.get(6)?,
                        checked_in_by: r.get(7)?,
                        ..deputy_row(r)?
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    /// The 签到码 of every deputy, for printing seat cards.
    pub async fn checkin_codes(&self) -> Result<Vec<(Deputy, String)>, StoreError> {
        self.read(|c| {
            let mut st = c.prepare(
                "SELECT id, number, name, delegation, seat, present, checkin_code FROM deputies ORDER BY number",
            )?;
            let rows = st.query_map([], |r| Ok((deputy_row(r)?, r.get(6)?)))?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    /// 签到 by staff (or undone), recorded with who did it.
    pub async fn set_present(
        &self,
        deputy_id: i64,
        present: bool,
        staff: String,
    ) -> Result<(), StoreError> {
        self.write(move |tx| {
            let n = tx.execute(
                "UPDATE deputies SET present = ?2 WHERE id = ?1",
                params![deputy_id, present],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound("代表"));
            }
            tx.execute(
                "INSERT INTO staff_checkins (deputy_id, staff, present) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO UPDATE SET times = times + 1",
                params![deputy_id, staff, present],
            )?;
            Ok(())
        })
        .await
    }

    /// The entries of a published round whose hash starts with `prefix`
    /// (lower-case hex): (seq, hash, the entry's void reason if any).
    pub async fn entries_by_hash(
        &self,
        round_id: i64,
        prefix: String,
    ) -> Result<Vec<(u64, Hash, Option<VoidReason>)>, StoreError> {
        self.read(move |c| {
            let row = load_round(c, round_id)?;
            if row.state != RoundState::Published {
                return Err(StoreError::NotFound("已公布的结果"));
            }
            let mut st = c.prepare(
                "SELECT seq, hash, entry_json FROM entries WHERE round_id = ?1 AND substr(hash, 1, ?3) = ?2 ORDER BY seq",
            )?;
            let rows = st
                .query_map(params![round_id, prefix, prefix.len() as i64], |r| {
                    Ok((r.get::<_, u64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter()
                .map(|(seq, h, json)| {
                    let e: Entry = parse_record(json.as_bytes())
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    let h = Hash::parse_hex(&h).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    Ok((seq, h, e.void))
                })
                .collect()
        })
        .await
    }

    /// Ends a tablet session (完成: the deputy hands the tablet back).
    pub async fn tablet_checkout(&self, token_hash: String) -> Result<(), StoreError> {
        self.write(move |tx| {
            tx.execute(
                "DELETE FROM tablet_sessions WHERE token_hash = ?1",
                [token_hash],
            )?;
            Ok(())
        })
        .await
    }

    pub async fn tablet_deputy(&self, token_hash: String) -> Result<Option<Deputy>, StoreError> {
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT d.id, d.number, d.name, d.delegation, d.seat, d.present FROM tablet_sessions t
                 JOIN deputies d ON d.id = t.deputy_id WHERE t.token_hash = ?1",
                [token_hash],
                deputy_row,
            )
            .optional()?)
        })
        .await
    }

    // --- rounds -------------------------------------------------------------------

    /// Replaces a draft round's candidates and rules (only while a draft).
    pub async fn update_draft(&self, round_id: i64, draft: RoundDraft) -> Result<(), StoreError> {
        let json = to_canonical_string(&draft);
        self.write(move |tx| {
            let n = tx.execute(
                "UPDATE rounds SET draft_json = ?2 WHERE id = ?1 AND state = 'draft'",
                params![round_id, json],
            )?;
            if n == 0 {
                return Err(StoreError::conflict(
                    "只有准备中的轮次可以修改；投票开始后清单不能再改",
                ));
            }
            Ok(())
        })
        .await
    }

    /// What a ballot submission needs of its round, without parsing the
    /// manifest: the election id, the round number and the rules.
    pub async fn round_rules(&self, round_id: i64) -> Result<(String, u64, Rules), StoreError> {
        self.read(move |c| {
            let (e, r, draft): (String, u64, String) = c
                .query_row(
                    "SELECT election_id, round, draft_json FROM rounds WHERE id = ?1",
                    [round_id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?
                .ok_or(StoreError::NotFound("轮次"))?;
            let d: RoundDraft =
                parse_record(draft.as_bytes()).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            Ok((e, r, d.rules))
        })
        .await
    }

    pub async fn rounds(&self) -> Result<Vec<RoundRow>, StoreError> {
        self.read(all_rounds).await
    }

    pub async fn round(&self, round_id: i64) -> Result<RoundRow, StoreError> {
        self.read(move |c| load_round(c, round_id)).await
    }

    /// The round open for voting, if any.
    pub async fn open_round_id(&self) -> Result<Option<i64>, StoreError> {
        self.read(|c| {
            Ok(
                c.query_row("SELECT id FROM rounds WHERE state = 'open'", [], |r| {
                    r.get(0)
                })
                .optional()?,
            )
        })
        .await
    }

    /// Records that a deputy's tablet is issued its one ballot for the
    /// round: the deputy and the hash of the blinded message it sent. The
    /// same blinded message again is a retry (the caller signs it again);
    /// any other is refused. No credential is made or seen here.
    pub async fn issue_ballot(
        &self,
        round_id: i64,
        deputy_id: i64,
        blinded: Hash,
    ) -> Result<(), StoreError> {
        self.write(move |tx| {
            require_open(tx, round_id)?;
            if paper::mode(tx, round_id)? == Mode::Paper {
                return Err(StoreError::refused(
                    crate::error::Code::PaperOnly,
                    "本轮已改为纸质投票，请向工作人员领取纸质选票",
                ));
            }
            let present: bool =
                tx.query_row("SELECT present FROM deputies WHERE id = ?1", [deputy_id], |r| r.get(0))?;
            if !present {
                return Err(StoreError::conflict("请先签到"));
            }
            let had: Option<Option<String>> = tx
                .query_row(
                    "SELECT blinded FROM ballots_issued WHERE round_id = ?1 AND deputy_id = ?2",
                    params![round_id, deputy_id],
                    |r| r.get(0),
                )
                .optional()?;
            match had {
                None => {
                    tx.execute(
                        "INSERT INTO ballots_issued (round_id, deputy_id, blinded) VALUES (?1, ?2, ?3)",
                        params![round_id, deputy_id, blinded.to_hex()],
                    )?;
                    Ok(())
                }
                Some(Some(h)) if constant_time_eq(h.as_bytes(), blinded.to_hex().as_bytes()) => Ok(()),
                Some(_) => Err(StoreError::refused(
                    crate::error::Code::AlreadyIssued,
                    "本轮选票已发放给您的另一台平板或纸质选票，不能再次领取；如平板故障，请联系工作人员",
                )),
            }
        })
        .await
    }

    /// 平板故障补发: the deputy's tablet ballot was signed and the tablet
    /// died; they are handed a paper ballot instead (counted as paper
    /// handed out), once. Recorded with who did it.
    pub async fn replace_tablet(
        &self,
        round_id: i64,
        deputy_id: i64,
        staff: String,
    ) -> Result<String, StoreError> {
        self.write(move |tx| {
            require_open(tx, round_id)?;
            let number: Option<String> = tx
                .query_row("SELECT number FROM deputies WHERE id = ?1", [deputy_id], |r| r.get(0))
                .optional()?;
            let number = number.ok_or(StoreError::NotFound("代表"))?;
            let issued: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM ballots_issued WHERE round_id = ?1 AND deputy_id = ?2)",
                params![round_id, deputy_id],
                |r| r.get(0),
            )?;
            if !issued {
                return Err(StoreError::conflict(format!(
                    "代表 {number} 的平板尚未领取选票：请让其在备用平板上签到，无需补发"
                )));
            }
            let n = tx.execute(
                "INSERT INTO replacements (round_id, deputy_id, staff) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                params![round_id, deputy_id, staff],
            )?;
            if n == 0 {
                return Err(StoreError::conflict(format!("代表 {number} 已补发过纸质选票")));
            }
            tx.execute(
                "UPDATE rounds SET paper_handed_out = paper_handed_out + 1 WHERE id = ?1",
                [round_id],
            )?;
            let c = counts(tx, round_id)?;
            let usable = c.paper.printed.saturating_sub(c.paper.voided);
            if c.paper.handed_out > usable {
                return Err(StoreError::conflict(format!(
                    "没有可发的纸质选票（已打印且未作废 {usable} 张）：请先打印"
                )));
            }
            Ok(number)
        })
        .await
    }

    /// 发票名单: the numbers of the deputies whose tablets were issued a
    /// ballot in this round, sorted (what a v2 result publishes).
    pub async fn tablet_roll(&self, round_id: i64) -> Result<Vec<String>, StoreError> {
        self.read(move |c| tablet_roll(c, round_id)).await
    }

    pub async fn counts(&self, round_id: i64) -> Result<RoundCounts, StoreError> {
        self.read(move |c| counts(c, round_id)).await
    }

    /// The published bundle: manifest, entries in order, signed result.
    pub async fn bundle(&self, round_id: i64) -> Result<String, StoreError> {
        self.read(move |c| {
            let row = load_round(c, round_id)?;
            if row.state != RoundState::Published {
                return Err(StoreError::NotFound("已公布的结果"));
            }
            let manifest = row
                .manifest
                .ok_or_else(|| StoreError::Corrupt("no manifest".into()))?;
            let result = row
                .result
                .ok_or_else(|| StoreError::Corrupt("no result".into()))?;
            let signed = Signed {
                body: result,
                signatures: attestations(c, round_id)?,
            };
            let mut out = to_canonical_string(&manifest);
            out.push('\n');
            let mut st =
                c.prepare("SELECT entry_json FROM entries WHERE round_id = ?1 ORDER BY seq")?;
            let mut rows = st.query([round_id])?;
            while let Some(r) = rows.next()? {
                out.push_str(&r.get::<_, String>(0)?);
                out.push('\n');
            }
            out.push_str(&to_canonical_string(&signed));
            out.push('\n');
            Ok(out)
        })
        .await
    }

    /// The console's counts and the log's last entry (`seq`, `H(entry)`),
    /// `None` before the first ballot; one read, no manifest.
    pub async fn counts_and_head(
        &self,
        round_id: i64,
    ) -> Result<(RoundCounts, Option<(u64, Hash)>), StoreError> {
        self.read(move |c| {
            let last: Option<(u64, String)> = c
                .query_row(
                    "SELECT seq, hash FROM entries WHERE round_id = ?1 ORDER BY seq DESC LIMIT 1",
                    [round_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let last = last
                .map(|(seq, h)| {
                    Hash::parse_hex(&h)
                        .map(|h| (seq, h))
                        .map_err(|e| StoreError::Corrupt(e.to_string()))
                })
                .transpose()?;
            Ok((counts(c, round_id)?, last))
        })
        .await
    }
}

impl Store {
    /// Truncates the WAL, so that no old page image (of a credential stack,
    /// say) outlives the step that removed it.
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        self.write_with(|w| {
            w.conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
            Ok(())
        })
        .await
    }

    pub async fn attestations(&self, round_id: i64) -> Result<Vec<Signature>, StoreError> {
        self.read(move |c| attestations(c, round_id)).await
    }
}

// --- queries shared by readers and the writer ----------------------------------

pub(super) fn all_rounds(c: &Connection) -> Result<Vec<RoundRow>, StoreError> {
    let mut st = c.prepare(&format!("{ROUND_SELECT} ORDER BY election_id, round"))?;
    let rows = st
        .query_map([], round_row)?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter().collect()
}

/// A new draft round, numbered after the election's last, which it must
/// follow by the chain rule ([`crate::hall::chain_check`]): no second round
/// 1, no fork.
pub(super) fn insert_round(
    tx: &Connection,
    election_id: &ElectionId,
    draft: &RoundDraft,
) -> Result<i64, StoreError> {
    let made: Vec<ChainLink> = all_rounds(tx)?
        .into_iter()
        .filter(|r| r.election_id == election_id.as_str())
        .map(|r| ChainLink {
            round: r.round,
            state: r.state,
            tally_hash: r.result.as_ref().map(RoundResult::hash),
        })
        .collect();
    chain_check(draft.previous_result.as_ref(), &made).map_err(StoreError::conflict)?;
    let round: u64 = tx.query_row(
        "SELECT COALESCE(MAX(round), 0) + 1 FROM rounds WHERE election_id = ?1",
        [election_id.as_str()],
        |r| r.get(0),
    )?;
    tx.execute(
        "INSERT INTO rounds (election_id, round, state, draft_json) VALUES (?1, ?2, 'draft', ?3)",
        params![election_id.as_str(), round, to_canonical_string(draft)],
    )?;
    Ok(tx.last_insert_rowid())
}

const ROUND_SELECT: &str =
    "SELECT id, election_id, round, state, draft_json, manifest_json, present, result_json FROM rounds";

type RawRound = (
    i64,
    String,
    u64,
    String,
    String,
    Option<String>,
    Option<u64>,
    Option<String>,
);

fn round_row(r: &rusqlite::Row) -> rusqlite::Result<Result<RoundRow, StoreError>> {
    let raw: RawRound = (
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    );
    Ok(decode_round(raw))
}

fn decode_round(raw: RawRound) -> Result<RoundRow, StoreError> {
    let (id, election_id, round, state, draft, manifest, present, result) = raw;
    let corrupt = |e: FieldError| StoreError::Corrupt(format!("round {id}: {e}"));
    let draft: RoundDraft = parse_record(draft.as_bytes()).map_err(corrupt)?;
    let review = draft.rules.marks.is_review();
    Ok(RoundRow {
        id,
        election_id,
        round,
        state: RoundState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("state {state}")))?,
        draft,
        manifest: manifest
            .map(|m| parse_record(m.as_bytes()))
            .transpose()
            .map_err(corrupt)?,
        present,
        result: result
            .map(|m| RoundResult::parse(m.as_bytes(), review))
            .transpose()
            .map_err(corrupt)?,
    })
}

pub(super) fn load_round(c: &Connection, round_id: i64) -> Result<RoundRow, StoreError> {
    c.query_row(
        &format!("{ROUND_SELECT} WHERE id = ?1"),
        [round_id],
        round_row,
    )
    .optional()?
    .ok_or(StoreError::NotFound("轮次"))?
}

/// The round is open (one indexed read: issuance is a hot path, so the
/// manifest is not loaded).
fn require_open(tx: &Connection, round_id: i64) -> Result<(), StoreError> {
    let state: Option<String> = tx
        .query_row("SELECT state FROM rounds WHERE id = ?1", [round_id], |r| {
            r.get(0)
        })
        .optional()?;
    if state.as_deref() != Some("open") {
        return Err(StoreError::refused(
            crate::error::Code::NotOpen,
            "本轮投票未开始或已结束",
        ));
    }
    Ok(())
}

pub(super) fn tablet_roll(c: &Connection, round_id: i64) -> Result<Vec<String>, StoreError> {
    numbers(c, "ballots_issued", round_id)
}

/// The numbers of the deputies whose tablet ballot was replaced by paper.
pub(super) fn replaced_roll(c: &Connection, round_id: i64) -> Result<Vec<String>, StoreError> {
    numbers(c, "replacements", round_id)
}

/// Deputy numbers in a per-round table, sorted by byte order.
fn numbers(c: &Connection, table: &str, round_id: i64) -> Result<Vec<String>, StoreError> {
    let mut st = c.prepare(&format!(
        "SELECT d.number FROM {table} b JOIN deputies d ON d.id = b.deputy_id WHERE b.round_id = ?1"
    ))?;
    let mut v = st
        .query_map([round_id], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    v.sort();
    Ok(v)
}

pub(super) fn deputy_row(r: &rusqlite::Row) -> rusqlite::Result<Deputy> {
    Ok(Deputy {
        id: r.get(0)?,
        number: r.get(1)?,
        name: r.get(2)?,
        delegation: r.get(3)?,
        seat: r.get(4)?,
        present: r.get(5)?,
        extra_checkins: 0,
        checked_in_by: None,
    })
}

pub(super) fn counts(c: &Connection, round_id: i64) -> Result<RoundCounts, StoreError> {
    let total_deputies = c.query_row("SELECT COUNT(*) FROM deputies", [], |r| r.get(0))?;
    let present = c.query_row("SELECT COUNT(*) FROM deputies WHERE present = 1", [], |r| {
        r.get(0)
    })?;
    let tablet_issued = c.query_row(
        "SELECT COUNT(*) FROM ballots_issued WHERE round_id = ?1",
        [round_id],
        |r| r.get(0),
    )?;
    let returned: u64 = c.query_row(
        "SELECT COUNT(*) FROM entries WHERE round_id = ?1",
        [round_id],
        |r| r.get(0),
    )?;
    let replaced = c.query_row(
        "SELECT COUNT(*) FROM replacements WHERE round_id = ?1",
        [round_id],
        |r| r.get(0),
    )?;
    let mode = paper::mode(c, round_id)?;
    let paper = paper::paper_tally(c, round_id)?;
    let tablet_returned = returned.saturating_sub(paper.entered);
    Ok(RoundCounts {
        total_deputies,
        present,
        issued: crate::paper::issued(mode, tablet_issued, tablet_returned, paper.handed_out),
        returned,
        mode,
        tablet_issued,
        replaced,
        paper,
    })
}

pub(super) fn attestations(c: &Connection, round_id: i64) -> Result<Vec<Signature>, StoreError> {
    let mut st = c.prepare(
        "SELECT public_key, role, signature FROM attestations WHERE round_id = ?1
         ORDER BY role = 'scrutineer', public_key",
    )?;
    let rows = st
        .query_map([round_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(k, role, s)| {
            Ok(Signature {
                public_key: PublicKey::parse_hex(&k)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                role: if role == "authority" {
                    Role::Authority
                } else {
                    Role::Scrutineer
                },
                signature: SignatureBytes::parse_hex(&s)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            })
        })
        .collect()
}

/// Replays a round's stored entries through the core: every entry is
/// checked again, so a damaged log is found, not served.
pub(super) fn replay(
    c: &Connection,
    round_id: i64,
    manifest: &Manifest,
) -> Result<(VoteLog, Tally), StoreError> {
    let mut log = VoteLog::open(manifest);
    let mut tally = Tally::new(manifest);
    let mut st =
        c.prepare("SELECT seq, entry_json FROM entries WHERE round_id = ?1 ORDER BY seq")?;
    let mut rows = st.query([round_id])?;
    while let Some(r) = rows.next()? {
        let seq: u64 = r.get(0)?;
        let json: String = r.get(1)?;
        let e: Entry = parse_record(json.as_bytes())
            .map_err(|e| StoreError::Corrupt(format!("entry {seq}: {e}")))?;
        log.replay(&e)
            .map_err(|f| StoreError::Corrupt(format!("entry {seq}: {}: {f}", f.field())))?;
        tally.add(&e);
    }
    Ok((log, tally))
}

/// Decimal digits from the OS CSPRNG.
/// The length of a 签到码.
pub const CHECKIN_CODE_DIGITS: usize = 8;

pub fn random_digits(n: usize) -> Result<String, StoreError> {
    use rand_core::RngCore;
    let mut out = String::with_capacity(n);
    let mut b = [0u8; 1];
    while out.len() < n {
        rand_core::OsRng
            .try_fill_bytes(&mut b)
            .map_err(|e| StoreError::System(e.to_string()))?;
        if b[0] < 250 {
            out.push(char::from(b'0' + b[0] % 10));
        }
    }
    Ok(out)
}

pub(super) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
