//! 大会 (the hall): the roster, check-in by staff, rounds from draft to
//! published, the scrutineers' signatures, runoffs, and what the big screen
//! shows. Each operation is one function, checked and done in one
//! transaction.

use super::present::qr_svg;
use super::{cpu, Done, Services, DONE};
use crate::core::canon::Hash;
use crate::core::credential::Credential;
use crate::core::record::*;
use crate::core::satisfaction::RoundResult;
use crate::core::sig;
use crate::core::tally::quorum;
use crate::error::{Code, Error, Result};
use crate::hall::{
    credential_pool_size, next_draft_of, parse_candidates, parse_roster, RoundDraft, RoundState,
    RowError,
};
use crate::paper::{Mode, PaperTally};
use crate::sheets::Sheet;
use crate::store::{Deputy, RoundRow, Tx};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Debug, Serialize, Deserialize)]
pub struct DeputyList {
    pub total: usize,
    pub present: usize,
    pub quorum: u64,
    pub deputies: Vec<Deputy>,
}

/// 补发: the deputy who was handed a paper ballot for a dead tablet.
#[derive(Debug, Serialize, Deserialize)]
pub struct Replaced {
    pub ok: bool,
    pub number: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplaceReq {
    pub deputy_id: i64,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Imported {
    pub imported: usize,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct CandidateSheet {
    pub candidates: Vec<Candidate>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct CheckinCode {
    pub number: String,
    pub name: String,
    pub delegation: String,
    pub seat: String,
    pub code: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct CheckinCodes {
    pub codes: Vec<CheckinCode>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct RoundSummary {
    pub id: i64,
    pub election_id: String,
    pub round: u64,
    pub state: RoundState,
    pub state_label: String,
    pub title: String,
    pub candidates: usize,
    pub seats: u64,
    /// Published, and a runoff, revote or repeat is due and not yet made.
    pub needs_next: bool,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct RoundList {
    pub rounds: Vec<RoundSummary>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Created {
    pub id: i64,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct RoundDetail {
    pub id: i64,
    pub round: u64,
    pub state: RoundState,
    pub state_label: String,
    pub draft: RoundDraft,
    pub manifest_hash: Option<Hash>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Opened {
    pub ok: bool,
    pub manifest_hash: Hash,
}

/// 发出/收回 while a round is open: never a partial tally.
#[derive(Debug, Serialize, Deserialize)]
pub struct CountsView {
    pub state: RoundState,
    pub state_label: String,
    pub total_deputies: u64,
    pub present: u64,
    pub issued: u64,
    pub returned: u64,
    pub quorum: u64,
    pub mode: Mode,
    pub tablet_issued: u64,
    /// Tablet ballots replaced by paper (dead tablets).
    pub replaced: u64,
    pub paper: PaperTally,
    /// Ballots are failing to be stored for the disk's sake.
    pub storage_trouble: bool,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ClosedRound {
    pub result: RoundResult,
    pub tally_hash: Hash,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Signer {
    pub role: Role,
    pub public_key: PublicKey,
}

/// A closed round's result and who has signed it.
#[derive(Debug, Serialize, Deserialize)]
pub struct ResultStatus {
    pub state: RoundState,
    pub result: RoundResult,
    pub tally_hash: Hash,
    pub signed_by: Vec<Signer>,
    pub missing_scrutineers: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttestReq {
    pub public_key: PublicKey,
    pub signature: SignatureBytes,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Published {
    pub ok: bool,
    pub tally_hash: Hash,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Runoff {
    pub id: i64,
    pub candidates: Vec<CandidateId>,
    pub seats: u64,
}

/// What the big screen and observers poll.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum HallStatus {
    Idle,
    Open {
        title: String,
        round: u64,
        present: u64,
        issued: u64,
        returned: u64,
        /// `SEQ:HASH` of the log's last entry (`0:` the manifest hash).
        head: String,
    },
    Closed {
        round_id: i64,
        title: String,
        round: u64,
    },
    Published {
        round_id: i64,
        title: String,
        round: u64,
        decided: Vec<String>,
        /// 赞成 for each decided project, in the same order.
        decided_for: Vec<u64>,
        runoff: Vec<String>,
        /// A 满意度测评: each project and its rating (empty for a vote).
        ratings: Vec<Rated>,
        seats: u64,
        /// 空缺: seats no project filled.
        unfilled: u64,
        returned: u64,
        valid: u64,
        void: u64,
        tally_hash: String,
        qr_svg: String,
    },
}

/// A project and the rating a 满意度测评 gave it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Rated {
    pub name: String,
    /// 满意 / 基本满意 / 不满意
    pub rating: String,
}

/// Rows that cannot be taken: all of them named (the first fifty), nothing taken.
pub fn row_errors(code: Code, errors: &[RowError]) -> Error {
    let mut message: Vec<String> = errors.iter().take(50).map(|e| e.to_string()).collect();
    if errors.len() > 50 {
        message.push(format!("……共 {} 处错误", errors.len()));
    }
    Error::new(code, message.join("；"))
}

fn draft_error(e: String) -> Error {
    Error::invalid(format!("候选清单有误：{e}"))
}

/// The round that must follow `row`'s result and has not been made yet.
fn due_next(row: &RoundRow, all: &[RoundRow]) -> Option<RoundDraft> {
    let result = row.result.as_ref()?;
    if row.state != RoundState::Published {
        return None;
    }
    next_draft_of(&row.draft, result).filter(|n| {
        !all.iter()
            .any(|o| o.draft.previous_result == n.previous_result)
    })
}

impl Services {
    pub async fn deputies(&self) -> Result<DeputyList> {
        let deputies = self.store.deputies().await?;
        Ok(DeputyList {
            total: deputies.len(),
            present: deputies.iter().filter(|d| d.present).count(),
            quorum: quorum(deputies.len() as u64),
            deputies,
        })
    }

    /// The roster from CSV (UTF-8 or GB18030) or XLSX bytes.
    pub async fn import_roster(&self, bytes: Vec<u8>) -> Result<Imported> {
        let rows = cpu(move || {
            let sheet = Sheet::read(&bytes).map_err(|e| row_errors(Code::RosterRows, &[e]))?;
            parse_roster(&sheet).map_err(|e| row_errors(Code::RosterRows, &e))
        })
        .await?;
        let imported = self.store.import_roster(rows).await?;
        Ok(Imported { imported })
    }

    /// A candidate sheet read into what a draft takes; nothing stored.
    pub async fn parse_candidates(&self, bytes: Vec<u8>) -> Result<CandidateSheet> {
        cpu(move || {
            let sheet = Sheet::read(&bytes).map_err(|e| row_errors(Code::CandidateRows, &[e]))?;
            let candidates =
                parse_candidates(&sheet).map_err(|e| row_errors(Code::CandidateRows, &e))?;
            Ok(CandidateSheet { candidates })
        })
        .await
    }

    pub async fn checkin_codes(&self) -> Result<CheckinCodes> {
        let rows = self.store.checkin_codes().await?;
        Ok(CheckinCodes {
            codes: rows
                .into_iter()
                .map(|(d, code)| CheckinCode {
                    number: d.number,
                    name: d.name,
                    delegation: d.delegation,
                    seat: d.seat,
                    code,
                })
                .collect(),
        })
    }

    /// 签到 by staff (or undone).
    /// 平板故障补发: the deputy is handed a paper ballot in place of the
    /// tablet ballot that died with the tablet; who did it is recorded and
    /// the deputy's number is published in the issued roll.
    pub async fn replace_tablet(&self, id: i64, deputy_id: i64, staff: &str) -> Result<Replaced> {
        let number = self
            .store
            .replace_tablet(id, deputy_id, staff.to_string())
            .await?;
        tracing::info!(round = id, deputy = %number, staff, "tablet ballot replaced by paper");
        Ok(Replaced { ok: true, number })
    }

    /// 代为签到 at the console (or undone), recorded with who did it.
    pub async fn set_present(&self, deputy_id: i64, present: bool, staff: &str) -> Result<Done> {
        self.store
            .set_present(deputy_id, present, staff.to_string())
            .await?;
        Ok(DONE)
    }

    pub async fn rounds(&self) -> Result<RoundList> {
        let all = self.store.rounds().await?;
        let rounds = all
            .iter()
            .map(|r| RoundSummary {
                id: r.id,
                election_id: r.election_id.clone(),
                round: r.round,
                state: r.state,
                state_label: r.state.label_zh().to_string(),
                title: r.draft.title.clone(),
                candidates: r.draft.candidates.len(),
                seats: r.draft.rules.seats,
                needs_next: due_next(r, &all).is_some(),
            })
            .collect();
        Ok(RoundList { rounds })
    }

    pub async fn create_round(&self, draft: RoundDraft) -> Result<Created> {
        draft.check().map_err(draft_error)?;
        let election = self.election_id;
        let id = self
            .store
            .transact(move |tx| Ok(tx.insert_round(&election, &draft)?))
            .await?;
        Ok(Created { id })
    }

    pub async fn round(&self, id: i64) -> Result<RoundDetail> {
        let r = self.store.round(id).await?;
        Ok(RoundDetail {
            id: r.id,
            round: r.round,
            state: r.state,
            state_label: r.state.label_zh().to_string(),
            manifest_hash: r.manifest.as_ref().map(|m| m.body_hash()),
            draft: r.draft,
        })
    }

    /// Replaces a draft's candidates and rules; refused once the round opened.
    pub async fn update_round(&self, id: i64, draft: RoundDraft) -> Result<Done> {
        draft.check().map_err(draft_error)?;
        self.store.update_draft(id, draft).await?;
        Ok(DONE)
    }

    /// 开始投票: the credential pool made, the manifest built, checked and
    /// signed, and the round opened — one transaction, so a round opens once.
    pub async fn open_round(&self, id: i64) -> Result<Opened> {
        let (authority, keys) = (self.authority.clone(), self.scrutineer_keys.clone());
        // A result only the authority signs is not checked by anyone:
        // a round names at least one scrutineer's key.
        if keys.is_empty() {
            return Err(Error::conflict(
                "没有监票人公钥，不能开始投票：请把每位监票人的 scrutineer-*.pub 放入数据目录的 keys/ 并重启服务",
            ));
        }
        // One opening at a time, and only of a draft: the key file below
        // is the round's, and a click that lost the race must not touch it.
        let _one = self.opening.lock().await;
        if self.store.round(id).await?.state != RoundState::Draft {
            return Err(Error::conflict("只有准备中的轮次可以开始"));
        }
        // The round's issuing key: made and kept on disk before the round
        // opens with its public half in the manifest; deleted at close.
        let secret = cpu(|| {
            crate::keys::IssuingSecret::generate(crate::core::issuing::MIN_BITS)
                .map_err(Error::internal)
        })
        .await?;
        secret.save(&self.keys_dir, id).map_err(Error::internal)?;
        let issuing_key = secret.public_key().clone();
        let opened = self
            .store
            .transact(move |tx| {
                let row = tx.round(id)?;
                if row.state != RoundState::Draft {
                    return Err(Error::conflict("只有准备中的轮次可以开始"));
                }
                let total = tx.deputy_count()?;
                if total == 0 {
                    return Err(Error::conflict("请先导入代表名册"));
                }
                let stack = (0..credential_pool_size(total))
                    .map(|_| Credential::generate().map_err(Error::internal))
                    .collect::<Result<Vec<_>>>()?;
                let election_id = ElectionId::parse(&row.election_id).map_err(Error::internal)?;
                let commitments = stack
                    .iter()
                    .map(|c| c.commitment(&election_id, row.round))
                    .collect();
                let manifest = row
                    .draft
                    .manifest(
                        election_id,
                        row.round,
                        total,
                        commitments,
                        authority.public_key(),
                        keys,
                        Some(issuing_key),
                        Timestamp::now_beijing(),
                    )
                    .map_err(|e| draft_error(e.to_string()))?;
                let signed = Signed {
                    signatures: vec![authority.sign(Role::Authority, &manifest)],
                    body: manifest,
                };
                tx.open_round(id, &signed, &stack)?;
                Ok(signed.body_hash())
            })
            .await;
        let manifest_hash = match opened {
            Ok(h) => h,
            Err(e) => {
                let _ = crate::keys::IssuingSecret::delete(&self.keys_dir, id);
                return Err(e);
            }
        };
        if let Ok(mut c) = self.issuing.lock() {
            *c = Some((id, Arc::new(secret)));
        }
        Ok(Opened {
            ok: true,
            manifest_hash,
        })
    }

    pub async fn counts(&self, id: i64) -> Result<CountsView> {
        let row = self.store.round(id).await?;
        let c = self.store.counts(id).await?;
        Ok(CountsView {
            state: row.state,
            state_label: row.state.label_zh().to_string(),
            total_deputies: c.total_deputies,
            present: c.present,
            issued: c.issued,
            returned: c.returned,
            quorum: quorum(c.total_deputies),
            mode: c.mode,
            tablet_issued: c.tablet_issued,
            replaced: c.replaced,
            paper: c.paper,
            storage_trouble: self.store.disk_trouble(),
        })
    }

    /// 结束投票: counted, and signed by the authority in the same
    /// transaction; then the WAL is truncated so no page image of the
    /// credential stack outlives the vote.
    pub async fn close_round(&self, id: i64) -> Result<ClosedRound> {
        let authority = self.authority.clone();
        let result = self
            .store
            .transact(move |tx| {
                let result = tx.close_round(id, Timestamp::now_beijing())?;
                tx.add_attestation(id, &authority.sign(Role::Authority, &result))?;
                Ok(result)
            })
            .await?;
        // The issuing key signs nothing more: gone from memory and disk.
        if let Ok(mut c) = self.issuing.lock() {
            *c = None;
        }
        crate::keys::IssuingSecret::delete(&self.keys_dir, id).map_err(Error::internal)?;
        self.store.checkpoint().await?;
        Ok(ClosedRound {
            tally_hash: result.hash(),
            result,
        })
    }

    pub async fn result_status(&self, id: i64) -> Result<ResultStatus> {
        self.store.view(move |tx| status(tx, id)).await
    }

    /// 监票人签名: a scrutineer's signature over the result, checked against
    /// the manifest's keys and the result, and recorded in one step.
    pub async fn attest(&self, id: i64, req: AttestReq) -> Result<ResultStatus> {
        self.store
            .transact(move |tx| {
                let row = tx.round(id)?;
                let result = row
                    .result
                    .ok_or_else(|| Error::new(Code::NotClosed, "本轮尚未结束"))?;
                let manifest = row.manifest.ok_or_else(|| Error::internal("no manifest"))?;
                if !manifest.body.scrutineer_keys.contains(&req.public_key) {
                    return Err(Error::bad("该公钥不是本轮清单中的监票人公钥"));
                }
                sig::verify(&req.public_key, &Hash::of(&result), &req.signature)
                    .map_err(|_| Error::bad("签名无法验证：请确认签署的是本轮的结果"))?;
                tx.add_attestation(
                    id,
                    &Signature {
                        public_key: req.public_key,
                        role: Role::Scrutineer,
                        signature: req.signature,
                    },
                )?;
                status(tx, id)
            })
            .await
    }

    /// 公布: refused while a scrutineer has not signed; the authority's
    /// signature is made first if a crash came between close and now.
    pub async fn publish(&self, id: i64) -> Result<Published> {
        let authority = self.authority.clone();
        let published = self
            .store
            .transact(move |tx| {
                let row = tx.round(id)?;
                let Some(result) = row.result else {
                    return Err(Error::new(Code::NotClosed, "本轮尚未结束，结果不可查看"));
                };
                let me = authority.public_key();
                if row.state == RoundState::Closed
                    && !tx.attestations(id)?.iter().any(|s| s.public_key == me)
                {
                    tx.add_attestation(id, &authority.sign(Role::Authority, &result))?;
                }
                let s = status(tx, id)?;
                if !s.missing_scrutineers.is_empty() {
                    return Err(Error::new(Code::Unsigned, "还有监票人未签名，不能公布"));
                }
                tx.publish(id)?;
                Ok(Published {
                    ok: true,
                    tally_hash: s.tally_hash,
                })
            })
            .await?;
        // A 满意度测评: each project rated 不满意 gets its 整改 item.
        self.rectify(id).await?;
        Ok(published)
    }

    /// 再次投票: a new draft round over the tied projects (or, by the rules,
    /// those that did not pass), chained to this round's result. Checked and
    /// made in one transaction: two clicks make one round.
    pub async fn runoff(&self, id: i64) -> Result<Runoff> {
        let election = self.election_id;
        self.store
            .transact(move |tx| {
                let row = tx.round(id)?;
                if row.state != RoundState::Published {
                    return Err(Error::conflict("本轮结果公布后才能安排再次投票"));
                }
                let all = tx.rounds()?;
                let result = row
                    .result
                    .as_ref()
                    .ok_or_else(|| Error::internal("no result"))?;
                let Some(draft) = next_draft_of(&row.draft, result) else {
                    return Err(Error::new(Code::NoRunoff, "本轮结果已确定，不需要再次投票"));
                };
                if due_next(&row, &all).is_none() {
                    return Err(Error::conflict("已为本轮安排了再次投票"));
                }
                draft.check().map_err(draft_error)?;
                let new_id = tx.insert_round(&election, &draft)?;
                Ok(Runoff {
                    id: new_id,
                    candidates: draft.candidates.iter().map(|c| c.id).collect(),
                    seats: draft.rules.seats,
                })
            })
            .await
    }

    /// The big screen: counts and the log head while open; the decided
    /// projects and the tally hash once published.
    pub async fn hall_status(&self) -> Result<HallStatus> {
        if let Some(view) = self.open_ballot_view().await? {
            let (c, last) = self.store.counts_and_head(view.round_id).await?;
            let (seq, head) = last.unwrap_or((0, view.manifest_hash));
            return Ok(HallStatus::Open {
                title: view.title.clone(),
                round: view.round,
                present: c.present,
                issued: c.issued,
                returned: c.returned,
                head: format!("{seq}:{head}"),
            });
        }
        let rounds = self.store.rounds().await?;
        let last = rounds
            .into_iter()
            .filter(|r| matches!(r.state, RoundState::Closed | RoundState::Published))
            .max_by_key(|r| r.id);
        Ok(match last {
            None => HallStatus::Idle,
            Some(r) if r.state == RoundState::Closed => HallStatus::Closed {
                round_id: r.id,
                title: r.draft.title,
                round: r.round,
            },
            Some(r) => {
                let Some(result) = &r.result else {
                    return Ok(HallStatus::Idle);
                };
                let name = |id: &CandidateId| {
                    r.draft
                        .candidates
                        .iter()
                        .find(|c| &c.id == id)
                        .map_or_else(|| id.to_string(), |c| c.name.clone())
                };
                let tally_hash = result.hash().to_hex();
                let c = result.common();
                let (decided, decided_for, runoff, unfilled, ratings) = match result {
                    RoundResult::Vote(v) => (
                        v.decided.iter().map(name).collect(),
                        v.decided
                            .iter()
                            .map(|id| v.tally.get(id).map_or(0, |c| c.for_))
                            .collect(),
                        v.runoff.iter().map(name).collect(),
                        v.unfilled,
                        vec![],
                    ),
                    RoundResult::Review(v) => (
                        vec![],
                        vec![],
                        vec![],
                        0,
                        v.ratings
                            .iter()
                            .map(|(id, r)| Rated {
                                name: name(id),
                                rating: r.label_zh().to_string(),
                            })
                            .collect(),
                    ),
                };
                HallStatus::Published {
                    round_id: r.id,
                    title: r.draft.title.clone(),
                    round: r.round,
                    decided,
                    decided_for,
                    runoff,
                    ratings,
                    seats: r.draft.rules.seats,
                    unfilled,
                    returned: c.returned,
                    valid: c.valid,
                    void: c.void,
                    qr_svg: qr_svg(&tally_hash),
                    tally_hash,
                }
            }
        })
    }

    /// The published bundle: manifest, entries in order, signed result.
    pub async fn bundle(&self, id: i64) -> Result<String> {
        Ok(self.store.bundle(id).await?)
    }
}

/// A closed round's result and its signatures, read in `tx`.
fn status(tx: &Tx, id: i64) -> Result<ResultStatus> {
    let row = tx.round(id)?;
    let Some(result) = row.result else {
        return Err(Error::new(Code::NotClosed, "本轮尚未结束，结果不可查看"));
    };
    let manifest = row
        .manifest
        .ok_or_else(|| Error::internal("no manifest"))?
        .body;
    let sigs = tx.attestations(id)?;
    let missing = manifest
        .scrutineer_keys
        .iter()
        .filter(|k| !sigs.iter().any(|s| &s.public_key == *k))
        .map(|k| k.to_hex())
        .collect();
    Ok(ResultStatus {
        state: row.state,
        tally_hash: Hash::of(&result),
        result,
        signed_by: sigs
            .iter()
            .map(|s| Signer {
                role: s.role,
                public_key: s.public_key,
            })
            .collect(),
        missing_scrutineers: missing,
    })
}
