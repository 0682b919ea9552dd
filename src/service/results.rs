//! 公布的结果 (published results): the list of rounds and decided projects,
//! and one round's result as the public page and the A4 announcement show it.

use super::present::{date_zh, qr_svg, yuan_wan};
use super::Services;
use crate::core::canon::Hash;
use crate::core::record::{CandidateId, Counts};
use crate::core::satisfaction::{ReviewCounts, RoundResult};
use crate::error::{Code, Error, Result};
use crate::hall::RoundState;

pub struct PublishedRound {
    pub id: i64,
    pub title: String,
    pub round: u64,
    pub decided: usize,
    pub runoff: usize,
    pub tally_hash: String,
}

/// A project decided in some round: the year's 民生实事 list.
pub struct DecidedProject {
    pub name: String,
    pub lead_unit: String,
    pub investment: String,
    pub round: u64,
    pub votes_for: u64,
}

/// Every published round in the order held, and the projects they decided.
pub struct ResultsList {
    pub rounds: Vec<PublishedRound>,
    pub decided: Vec<DecidedProject>,
}

pub struct ResultLine {
    pub rank: usize,
    pub id: String,
    pub name: String,
    pub lead_unit: String,
    pub investment: String,
    pub deadline: String,
    pub counts: Counts,
    pub status: &'static str,
}

/// A project's line in a 满意度测评's result.
pub struct RatedLine {
    pub id: String,
    pub name: String,
    pub lead_unit: String,
    pub counts: ReviewCounts,
    /// 满意 / 基本满意 / 不满意 (empty when the round is not valid).
    pub rating: &'static str,
}

/// The numbers every result states (a vote's or a review's).
pub struct Numbers {
    pub total_deputies: u64,
    pub present: u64,
    pub quorum_met: bool,
    pub issued: u64,
    pub returned: u64,
    pub valid: u64,
    pub void: u64,
    pub round_valid: bool,
    pub threshold: u64,
    pub unfilled: u64,
    pub runoff: Vec<CandidateId>,
}

/// What the public result page and the printed announcement both show.
pub struct ResultView {
    pub id: i64,
    pub title: String,
    pub assembly: String,
    pub round: u64,
    pub candidates: usize,
    pub date_zh: String,
    pub result: Numbers,
    pub lines: Vec<ResultLine>,
    /// A 满意度测评 round: its lines are `rated`, not `lines`.
    pub review: bool,
    pub rated: Vec<RatedLine>,
    pub tally_hash: String,
    pub qr_svg: String,
    pub authority_key: String,
}

impl ResultView {
    pub fn decided(&self) -> impl Iterator<Item = &ResultLine> {
        self.lines.iter().filter(|l| l.status == "确定")
    }
}

/// A receipt looked up in a published round.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct ReceiptCheck {
    pub seq: u64,
    pub hash: Hash,
    /// Counted as a valid ballot (false: in the log, but void by the rules).
    pub valid: bool,
    pub message: String,
}

impl Services {
    /// What the published votes decided for each candidate id, following
    /// the chain of rounds (a runoff's verdict replaces the tie before it):
    /// 确定为民生实事项目, 再次投票 or 未获通过.
    pub async fn vote_outcomes(&self) -> Result<std::collections::HashMap<String, &'static str>> {
        let mut out = std::collections::HashMap::new();
        for r in self.store.rounds().await? {
            let (RoundState::Published, Some(RoundResult::Vote(res))) = (r.state, &r.result) else {
                continue;
            };
            for c in &r.draft.candidates {
                let verdict = if res.decided.contains(&c.id) {
                    "确定为民生实事项目"
                } else if res.runoff.contains(&c.id) {
                    "待再次投票"
                } else {
                    "未获通过"
                };
                out.insert(c.id.to_string(), verdict);
            }
        }
        Ok(out)
    }

    /// 回执查询: the 8 characters a tablet showed (or more of the hash) →
    /// the entry in the published log, and whether it counted.
    pub async fn check_receipt(&self, id: i64, code: &str) -> Result<ReceiptCheck> {
        let code = code.trim().to_ascii_lowercase();
        if code.len() < 8 || code.len() > 64 || !code.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::bad("请输入回执上的校验码（8 位，数字和字母 a–f）"));
        }
        let found = self.store.entries_by_hash(id, code.clone()).await?;
        let [(seq, hash, void)] = found.as_slice() else {
            return Err(Error::new(
                Code::NotFound,
                if found.is_empty() {
                    "本轮公布的记录中没有这个校验码，请核对后再试"
                } else {
                    "有多条记录以此开头，请多输入几位校验码"
                },
            ));
        };
        let valid = void.is_none();
        Ok(ReceiptCheck {
            seq: *seq,
            hash: *hash,
            valid,
            message: if valid {
                format!("您的选票是公布记录中的第 {seq} 号，已计入有效票。")
            } else {
                format!("您的选票是公布记录中的第 {seq} 号，按规则为废票。")
            },
        })
    }

    pub async fn results_list(&self) -> Result<ResultsList> {
        let rows = self.store.rounds().await?;
        let mut rounds = vec![];
        let mut decided = vec![];
        // Rows come in (election, round) order: the rounds in the order held.
        for r in rows
            .into_iter()
            .filter(|r| r.state == RoundState::Published)
        {
            let Some(result) = r.result else { continue };
            let tally_hash = result.hash().to_hex();
            let RoundResult::Vote(result) = result else {
                rounds.push(PublishedRound {
                    id: r.id,
                    title: r.draft.title,
                    round: r.round,
                    decided: 0,
                    runoff: 0,
                    tally_hash,
                });
                continue;
            };
            for id in &result.decided {
                if let Some(c) = r.draft.candidates.iter().find(|c| &c.id == id) {
                    decided.push(DecidedProject {
                        name: c.name.clone(),
                        lead_unit: c.lead_unit.clone(),
                        investment: yuan_wan(c.investment_yuan),
                        round: r.round,
                        votes_for: result.tally.get(id).map_or(0, |t| t.for_),
                    });
                }
            }
            rounds.push(PublishedRound {
                id: r.id,
                title: r.draft.title,
                round: r.round,
                decided: result.decided.len(),
                runoff: result.runoff.len(),
                tally_hash,
            });
        }
        Ok(ResultsList { rounds, decided })
    }

    /// A published round's result; 404 `not_published` before.
    pub async fn result_view(&self, id: i64) -> Result<ResultView> {
        let row = self.store.round(id).await?;
        if row.state != RoundState::Published {
            return Err(Error::new(Code::NotPublished, "该轮结果尚未公布"));
        }
        let result = row.result.ok_or_else(|| Error::internal("no result"))?;
        let manifest = row
            .manifest
            .ok_or_else(|| Error::internal("no manifest"))?
            .body;
        let tally_hash = result.hash().to_hex();
        let c = result.common();
        let mut numbers = Numbers {
            total_deputies: c.total_deputies,
            present: c.present,
            quorum_met: c.quorum_met,
            issued: c.issued,
            returned: c.returned,
            valid: c.valid,
            void: c.void,
            round_valid: c.round_valid,
            threshold: c.threshold,
            unfilled: 0,
            runoff: vec![],
        };
        let date = date_zh(c.closed_at.as_str());
        let (lines, rated) = match &result {
            RoundResult::Review(v) => {
                let rated = manifest
                    .candidates
                    .iter()
                    .map(|cand| RatedLine {
                        id: cand.id.to_string(),
                        name: cand.name.clone(),
                        lead_unit: cand.lead_unit.clone(),
                        counts: v.tally.get(&cand.id).copied().unwrap_or_default(),
                        rating: v.ratings.get(&cand.id).map_or("", |r| r.label_zh()),
                    })
                    .collect();
                (vec![], rated)
            }
            RoundResult::Vote(result) => {
                numbers.unfilled = result.unfilled;
                numbers.runoff = result.runoff.clone();
                let lines = result
                    .ranking
                    .iter()
                    .enumerate()
                    .filter_map(|(i, cid)| {
                        let c = manifest.candidates.iter().find(|c| &c.id == cid)?;
                        let status = if result.decided.contains(cid) {
                            "确定"
                        } else if result.runoff.contains(cid) {
                            "再次投票"
                        } else {
                            "未通过"
                        };
                        Some(ResultLine {
                            rank: i + 1,
                            id: cid.to_string(),
                            name: c.name.clone(),
                            lead_unit: c.lead_unit.clone(),
                            investment: yuan_wan(c.investment_yuan),
                            deadline: date_zh(c.deadline.as_str()),
                            counts: result.tally.get(cid).copied().unwrap_or_default(),
                            status,
                        })
                    })
                    .collect();
                (lines, vec![])
            }
        };
        Ok(ResultView {
            id,
            title: manifest.title,
            assembly: manifest.assembly,
            round: manifest.round,
            candidates: manifest.candidates.len(),
            date_zh: date,
            qr_svg: qr_svg(&tally_hash),
            tally_hash,
            result: numbers,
            lines,
            review: result.review().is_some(),
            rated,
            authority_key: manifest.authority_key.to_hex(),
        })
    }
}
