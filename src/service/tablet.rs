//! 平板 (tablets): a deputy checks in; the tablet makes its own credential,
//! keeps it, and has the round's issuing key sign it blindly (RFC 9474) —
//! the server signs a number it cannot read, once per deputy; the ballot
//! comes back later without any session, carrying the credential and the
//! signature. The server sees a tablet's credential only when its ballot
//! arrives, and nothing it keeps links the two.

use super::auth::{random_token, token_hash};
use super::{cpu, Services};
use crate::core::canon::Hash;
use crate::core::chain::{Ballot, IssuerProof};
use crate::core::issuing::SignatureFault;
use crate::core::record::*;
use crate::error::{Code, Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

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
    /// The round's issuing key (v2): the tablet blinds its credential to it.
    pub issuing_key: Option<IssuingKey>,
    /// The same key, parsed once, for checking ballots as they arrive.
    #[serde(skip)]
    pub verifier: Option<crate::core::issuing::BallotVerifier>,
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

/// The blind signature on the tablet's blinded credential, and the ballot.
#[derive(Debug, Serialize, Deserialize)]
pub struct IssuedBallot {
    pub blind_signature: String,
    pub ballot: Arc<BallotView>,
}

/// 领取选票: the blinded message (hex, as long as the modulus) of the
/// credential the tablet made and kept.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssueReq {
    pub blinded: String,
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
    /// The tablet's credential, 64 hex digits.
    pub credential: String,
    /// The issuer's signature on it (finished from the blind signature).
    pub signature: String,
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

/// Tries a minute, hall-wide, from addresses that have already failed a
/// check-in. With 8-digit codes a guesser gets at most this many tries a
/// minute however many addresses they use (each new address adds one), so
/// one deputy's code is found with probability (120 × 1440 + addresses) /
/// 10^8 < 0.2% in a day; a deputy's own tablet, which has not failed, is
/// never held up by it.
pub const FAILED_CHECKINS_PER_MINUTE: u32 = 120;

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
            verifier: m.issuing_key.as_ref().and_then(|k| k.verifier().ok()),
            issuing_key: m.issuing_key,
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
        let budget = self.checkin_budget.clone();
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
                // An address that has failed shares one hall-wide budget of
                // tries; a tablet that has not (a deputy's own) never waits.
                if limiter.has_failed(&from)
                    && !budget.quota(&(), FAILED_CHECKINS_PER_MINUTE, Duration::from_secs(60))
                {
                    return Err(Error::new(
                        Code::SlowDown,
                        "签到尝试过多，请一分钟后再试；也可请工作人员在控制台为您签到",
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

    /// The open round's private issuing key: kept in memory once loaded,
    /// read back from `keys/` after a restart.
    fn issuing_secret(&self, round_id: i64) -> Result<Arc<crate::keys::IssuingSecret>> {
        if let Some((id, k)) = self.issuing.lock().ok().and_then(|c| c.clone()) {
            if id == round_id {
                return Ok(k);
            }
        }
        let k = Arc::new(
            crate::keys::IssuingSecret::load(&self.keys_dir, round_id).map_err(Error::internal)?,
        );
        if let Ok(mut c) = self.issuing.lock() {
            *c = Some((round_id, k.clone()));
        }
        Ok(k)
    }

    /// 领取选票: the deputy's one ballot for the open round. The tablet
    /// sends its credential blinded; the server records that this deputy
    /// was issued a ballot (with the hash of the blinded message, so that
    /// the same message again — an answer lost on the way — is signed
    /// again) and signs it. Another blinded message for the same deputy is
    /// refused.
    pub async fn issue_ballot(&self, token: Option<&str>, req: IssueReq) -> Result<IssuedBallot> {
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
        let key = view
            .issuing_key
            .as_ref()
            .ok_or_else(|| Error::new(Code::PaperOnly, "本轮只用纸质选票，请向工作人员领取"))?;
        let blinded = IssuerSignature::parse_hex(&req.blinded)
            .map_err(|_| Error::bad("盲化凭证格式有误：应为十六进制数，长度与本轮签发密钥相同"))?
            .0;
        if blinded.len() != key.size() || blinded.as_slice() >= key.n() {
            return Err(Error::bad(format!(
                "盲化凭证须为小于模数的 {} 字节整数",
                key.size()
            )));
        }
        self.store
            .issue_ballot(view.round_id, d.id, Hash::of_bytes(&blinded))
            .await?;
        let secret = self.issuing_secret(view.round_id)?;
        let sig = cpu(move || secret.blind_sign(&blinded).map_err(Error::internal)).await?;
        Ok(IssuedBallot {
            blind_signature: hex::encode(sig),
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
        let (rules, ballot_key) = match cached {
            Some(v) => (v.rules.clone(), Some(v)),
            None => (self.store.round_rules(req.round_id).await?.2, None),
        };
        let credential = Hash::parse_hex(&req.credential)
            .map_err(|_| Error::new(Code::Credential, "凭证格式有误：应为 64 位十六进制数"))?;
        let signature = IssuerSignature::parse_hex(&req.signature).map_err(|_| {
            Error::new(
                Code::Credential,
                "凭证签名格式有误：应为十六进制数，长度与本轮签发密钥相同",
            )
        })?;
        let mut marks = Vec::with_capacity(req.marks.len());
        for (id, m) in &req.marks {
            let id =
                CandidateId::parse(id).map_err(|e| Error::bad(format!("项目编号有误：{e}")))?;
            // Only the marks this round's ballot offers (`abstain` in a vote).
            let mark = Mark::parse(m)
                .filter(|&k| k != Mark::Unclear && rules.marks.allows(k, Channel::Tablet))
                .ok_or_else(|| Error::bad(format!("标记 {m:?} 无效")))?;
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
        // The RSA check (a public-key operation, well under a millisecond)
        // runs here, on whichever worker took the request, so that the one
        // thread that appends to the log takes the ballot with its proof.
        let proof = match ballot_key
            .as_ref()
            .and_then(|v| v.verifier.as_ref().map(|k| (v, k)))
        {
            Some((view, key)) => key
                .check(&view.election_id, view.round, &credential, &signature)
                .map(IssuerProof::Checked)
                .map_err(|e| {
                    let why = match e {
                        SignatureFault::Length => "签名长度与本轮签发密钥不符",
                        SignatureFault::NotBelowModulus => "签名数值超出本轮签发密钥的范围",
                        SignatureFault::Invalid => "不是本轮签发密钥为这张选票的凭证所签",
                    };
                    Error::new(
                        Code::CredentialUnknown,
                        format!("凭证的签发签名无效：{why}"),
                    )
                })?,
            None => IssuerProof::Unchecked(signature),
        };
        let ballot = Ballot {
            credential,
            issuer_signature: Some(proof),
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
