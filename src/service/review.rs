//! 满意度测评 at the next session: the round that rates the projects the
//! published votes decided (review-record-v2, on the vote's own engine —
//! tablets, paper, receipts, scrutineers, the published bundle), and the
//! 整改 item every project rated 不满意 gets, which its department answers
//! as it answers a 督办建议.

use super::Services;
use crate::core::record::{Candidate, MarkSet, Rules, Shortfall, ThresholdBase};
use crate::core::satisfaction::{Rating, RoundResult};
use crate::error::{Code, Error, Result};
use crate::hall::{RoundDraft, RoundState};
use crate::upstream::follow::Inspection;
use serde::{Deserialize, Serialize};

/// `POST /api/rounds/review`: the session that holds the review.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewReq {
    /// 会议名称 of the session (the next year's 人民代表大会).
    pub assembly: String,
    /// 本轮标题; by default "<year>年民生实事项目满意度测评".
    #[serde(default)]
    pub title: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ReviewDraft {
    /// The draft round (open it as any round).
    pub id: i64,
    pub title: String,
    pub candidates: usize,
}

/// The 整改 items a published review made.
#[derive(Debug, Serialize, Default)]
pub struct Rectified {
    pub projects: Vec<i64>,
}

impl Services {
    /// A draft 满意度测评 round over every decided project not yet rated
    /// by a review, chained to the election's last published result.
    pub async fn review_draft(&self, req: ReviewReq) -> Result<ReviewDraft> {
        if req.assembly.trim().is_empty() {
            return Err(Error::invalid("请填写会议名称（测评在哪次会议上进行）"));
        }
        let rounds = self.store.rounds().await?;
        let rated = |c: &Candidate| {
            rounds.iter().any(|r| {
                r.draft.rules.marks.is_review()
                    && r.draft
                        .candidates
                        .iter()
                        .any(|o| o.id == c.id && o.name == c.name)
            })
        };
        let mut candidates: Vec<Candidate> = vec![];
        for r in &rounds {
            let (RoundState::Published, Some(RoundResult::Vote(v))) = (r.state, &r.result) else {
                continue;
            };
            for c in r
                .draft
                .candidates
                .iter()
                .filter(|c| v.decided.contains(&c.id))
            {
                if !rated(c) && !candidates.iter().any(|o| o.id == c.id) {
                    candidates.push(c.clone());
                }
            }
        }
        if candidates.is_empty() {
            return Err(Error::new(
                Code::Conflict,
                "没有需要测评的项目：已公布的票决确定的项目都已测评过",
            ));
        }
        let year = self
            .decided()
            .await?
            .iter()
            .filter(|p| {
                candidates.iter().any(|c| {
                    p.candidate_id.as_deref() == Some(c.id.as_str()) && p.doc.name == c.name
                })
            })
            .map(|p| p.year)
            .min();
        let title = req
            .title
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| {
                year.map_or("民生实事项目满意度测评".to_string(), |y| {
                    format!("{y}年民生实事项目满意度测评")
                })
            });
        // Chained to the last round of the election, which must be published.
        let previous_result = rounds
            .iter()
            .max_by_key(|r| r.round)
            .and_then(|r| r.result.as_ref())
            .map(RoundResult::hash);
        let n = candidates.len() as u64;
        let draft = RoundDraft {
            title: title.clone(),
            assembly: req.assembly.trim().to_string(),
            rules: Rules {
                marks: MarkSet::Review,
                max_for: n,
                seats: n,
                shortfall: Shortfall::Accept,
                threshold_base: ThresholdBase::Valid,
            },
            candidates,
            previous_result,
        };
        let created = self.create_round(draft).await?;
        Ok(ReviewDraft {
            id: created.id,
            title,
            candidates: n as usize,
        })
    }

    /// The 整改 of every published review (at start: a server stopped
    /// between publishing a review and making its items makes them now).
    pub async fn rectify_all(&self) -> Result<()> {
        for r in self.store.rounds().await? {
            if r.state == RoundState::Published && r.draft.rules.marks.is_review() {
                self.rectify(r.id).await?;
            }
        }
        Ok(())
    }

    /// 整改: every project a published review rated 不满意 gets one item
    /// for its department to answer (made once, however often this runs).
    pub async fn rectify(&self, round_id: i64) -> Result<Rectified> {
        let row = self.store.round(round_id).await?;
        let (RoundState::Published, Some(RoundResult::Review(v))) = (row.state, &row.result) else {
            return Ok(Rectified::default());
        };
        let date = crate::core::record::Date::parse(&v.closed_at.as_str()[..10])
            .map_err(Error::internal)?;
        let decided = self.decided().await?;
        let mut out = Rectified::default();
        for (cid, rating) in &v.ratings {
            if *rating != Rating::Unsatisfied {
                continue;
            }
            let Some(c) = row.draft.candidates.iter().find(|c| &c.id == cid) else {
                continue;
            };
            let Some(p) = decided
                .iter()
                .find(|p| p.candidate_id.as_deref() == Some(cid.as_str()) && p.doc.name == c.name)
            else {
                continue;
            };
            let n = v.tally.get(cid).copied().unwrap_or_default();
            let item = Inspection {
                date: date.clone(),
                group: format!("代表满意度测评（{} 第 {} 轮）", row.draft.title, row.round),
                place: row.draft.assembly.clone(),
                findings: format!(
                    "测评结果为不满意：满意 {}、基本满意 {}、不满意 {}、未表态 {}、无法辨认 {}（有效票 {}）。",
                    n.satisfied, n.basically_satisfied, n.unsatisfied, n.no_opinion, n.unclear, v.valid
                ),
                suggestion: Some(
                    "整改：请牵头单位针对代表的测评意见制定整改措施、明确完成时限，并向人大常委会书面答复。"
                        .to_string(),
                ),
                rectify: true,
            };
            let project = p.id;
            self.store
                .upstream(
                    format!("round:{round_id} (满意度测评)"),
                    crate::core::record::Timestamp::now_beijing(),
                    move |u| u.add_inspection_once(project, &item),
                )
                .await?;
            out.projects.push(project);
        }
        Ok(out)
    }
}
