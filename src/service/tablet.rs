//! 平板 (tablets): a deputy checks in, the tablet fetches the open round's
//! ballot and its one credential, and the ballot comes back without any
//! session — the credential is the authority to vote.

use super::auth::{random_token, token_hash};
use super::Services;
use crate::core::canon::Hash;
use crate::core::chain::Ballot;
use crate::core::credential::Credential;
use crate::core::record::*;
use crate::error::{Code, Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

/// What a ballot shows: the open round's manifest without its credentials.
#[derive(Debug, Serialize, Deserialize)]
pub struct BallotView {
    pub round_id: i64,
    pub election_id: ElectionId,
    pub round: u64,
    pub title: String,
    pub assembly: String,
    pub rules: Rules,
    pub candidates: Vec<Candidate>,
    pub manifest_hash: Hash,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct TabletDeputy {
    pub name: String,
    pub seat: String,
    pub delegation: String,
}

/// A check-in: the deputy as the tablet greets them, and the session token.
pub struct CheckedIn {
    pub deputy: TabletDeputy,
    pub token: String,
}

/// What a tablet polls: serialised straight from the cached ballot, with no
/// JSON tree built per request (a full hall polls at once).
#[derive(Debug, Serialize, Deserialize)]
pub struct TabletState {
    pub deputy: Option<TabletDeputy>,
    pub round: Option<Arc<BallotView>>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct IssuedBallot {
    pub credential: String,
    pub ballot: Arc<BallotView>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckinReq {
    pub number: String,
    pub code: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitReq {
    pub round_id: i64,
    pub credential: String,
    pub marks: BTreeMap<String, String>,
}

/// 回执: the entry's place in the log and its hash (the first 8 characters
/// are what the tablet shows).
#[derive(Debug, Serialize, Deserialize)]
pub struct ReceiptView {
    pub seq: u64,
    pub hash: Hash,
    pub short: String,
}

fn checkin_required() -> Error {
    Error::new(Code::CheckinRequired, "请先签到")
}

impl Services {
    /// The open round's ballot, cached: the manifest is fixed once open.
    pub(super) async fn open_ballot_view(&self) -> Result<Option<Arc<BallotView>>> {
        let Some(id) = self.store.open_round_id().await? else {
            return Ok(None);
        };
        let cached = self
            .ballot_cache
            .lock()
            .ok()
            .and_then(|c| c.clone())
            .filter(|v| v.round_id == id);
        if cached.is_some() {
            return Ok(cached);
        }
        let row = self.store.round(id).await?;
        let m = row.manifest.ok_or_else(|| Error::internal("no manifest"))?;
        let manifest_hash = m.body_hash();
        let m = m.body;
        let view = Arc::new(BallotView {
            round_id: id,
            election_id: m.election_id,
            round: m.round,
            title: m.title,
            assembly: m.assembly,
            rules: m.rules,
            candidates: m.candidates,
            manifest_hash,
        });
        if let Ok(mut c) = self.ballot_cache.lock() {
            *c = Some(view.clone());
        }
        Ok(Some(view))
    }

    /// 签到 on a tablet: the deputy's number and 签到码. Failures slow the
    /// address they come from (never the deputy: a guesser on another
    /// device cannot lock the deputy out); staff can always check a deputy
    /// in at the console.
    ///
    /// The check, the attempt and the count of a failure happen in one step
    /// on the writer thread, so a burst of guesses sent at once is counted
    /// one by one, while tablets checking in together (behind one address,
    /// even) are never slowed by each other's success.
    pub async fn tablet_checkin(&self, from: IpAddr, req: CheckinReq) -> Result<CheckedIn> {
        let token = random_token()?;
        let hash = token_hash(&token);
        let limiter = self.checkins.clone();
        let d = self
            .store
            .transact(move |tx| {
                if let Err(wait) = limiter.wait(&from) {
                    return Err(Error::new(
                        Code::SlowDown,
                        format!(
                            "签到失败次数过多，请 {} 秒后再试；也可请工作人员在控制台为您签到",
                            wait.as_secs() + 1
                        ),
                    ));
                }
                match tx.tablet_checkin(req.number.trim(), &req.code, &hash) {
                    Ok(d) => {
                        limiter.clear(&from);
                        Ok(d)
                    }
                    Err(e) => {
                        let e = Error::from(e);
                        if e.code == Code::CheckinFailed {
                            limiter.failed(&from);
                        }
                        Err(e)
                    }
                }
            })
            .await?;
        Ok(CheckedIn {
            deputy: TabletDeputy {
                name: d.name,
                seat: d.seat,
                delegation: d.delegation,
            },
            token,
        })
    }

    /// 完成: the tablet's session ends; the next deputy checks in afresh.
    pub async fn tablet_checkout(&self, token: Option<&str>) -> Result<super::Done> {
        if let Some(t) = token {
            self.store.tablet_checkout(token_hash(t)).await?;
        }
        Ok(super::DONE)
    }

    pub async fn tablet_state(&self, token: Option<&str>) -> Result<TabletState> {
        let deputy = match token {
            Some(t) => self.store.tablet_deputy(token_hash(t)).await?,
            None => None,
        };
        Ok(TabletState {
            deputy: deputy.map(|d| TabletDeputy {
                name: d.name,
                seat: d.seat,
                delegation: d.delegation,
            }),
            round: self.open_ballot_view().await?,
        })
    }

    /// The deputy's one ballot for the open round.
    pub async fn issue_ballot(&self, token: Option<&str>) -> Result<IssuedBallot> {
        let token = token.ok_or_else(checkin_required)?;
        let d = self
            .store
            .tablet_deputy(token_hash(token))
            .await?
            .ok_or_else(checkin_required)?;
        let view = self
            .open_ballot_view()
            .await?
            .ok_or_else(|| Error::new(Code::NotOpen, "现在没有正在进行的投票"))?;
        let credential = self.store.issue_ballot(view.round_id, d.id).await?;
        Ok(IssuedBallot {
            credential: credential.text(),
            ballot: view,
        })
    }

    /// A ballot, sent without any session; the receipt comes back only once
    /// its entry is on disk. The same ballot again gets the same receipt.
    pub async fn submit_ballot(&self, req: SubmitReq) -> Result<ReceiptView> {
        // The open round's rules are fixed and cached with its ballot; any
        // other round is read (and its ballot refused by the log if not open).
        let cached = self
            .ballot_cache
            .lock()
            .ok()
            .and_then(|c| c.clone())
            .filter(|v| v.round_id == req.round_id);
        let (election_id, round, rules) = match cached {
            Some(v) => (v.election_id, v.round, v.rules.clone()),
            None => {
                let (e, r, rules) = self.store.round_rules(req.round_id).await?;
                (ElectionId::parse(&e).map_err(Error::internal)?, r, rules)
            }
        };
        let credential = Credential::parse(&req.credential)
            .map_err(|e| Error::new(Code::Credential, e.to_string()))?;
        let mut marks = Vec::with_capacity(req.marks.len());
        for (id, m) in &req.marks {
            let id =
                CandidateId::parse(id).map_err(|e| Error::bad(format!("项目编号有误：{e}")))?;
            let mark = match m.as_str() {
                "for" => Mark::For,
                "against" => Mark::Against,
                "abstain" => Mark::Abstain,
                other => return Err(Error::bad(format!("标记 {other:?} 无效"))),
            };
            marks.push((id, mark));
        }
        let marks = Marks::new(marks).map_err(|e| Error::bad(e.to_string()))?;
        // A tablet must never produce a void ballot: refuse it, credential intact.
        if marks.count(Mark::For) as u64 > rules.max_for {
            return Err(Error::new(
                Code::OverCap,
                format!("赞成票最多 {} 项，请减少后再提交", rules.max_for),
            ));
        }
        let ballot = Ballot {
            credential: credential.commitment(&election_id, round),
            channel: Channel::Tablet,
            marks,
            unreadable: false,
        };
        let receipt = self.store.submit(req.round_id, ballot).await?;
        Ok(ReceiptView {
            seq: receipt.seq,
            short: receipt.hash.short(),
            hash: receipt.hash,
        })
    }
}
