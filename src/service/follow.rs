//! 实施与监督 after the vote: each decided project's plan, progress, status,
//! the 人大常委会's decisions and the deputies' inspections — who may do
//! what (the lead department its own project; the working group checks
//! plans; the 人大常委会's office, the secretariat, records decisions and
//! inspections), each change one transaction with its audit event.

use super::upstream::actor;
use super::Services;
use crate::core::record::{Date, Timestamp};
use crate::error::{Error, Result};
use crate::hall::StaffRole;
use crate::store::{
    AttachmentRow, InspectionRow, ProjectRow, RatingCounts, RatingRow, ReportRow, Staff,
};
use crate::upstream::follow::{
    self, AttachedTo, Decision, Inspection, Milestone, Plan, PublicRating, Report, State,
    COMMENT_MAX,
};
use crate::upstream::stage::Action;
use serde::{Deserialize, Serialize};

/// What the vote decided: a project the deputies made a 民生实事项目.
const DECIDED: &str = "确定为民生实事项目";

#[derive(Debug, Serialize)]
pub struct DatedDecision {
    pub at: String,
    pub state_label: &'static str,
    #[serde(flatten)]
    pub decision: Decision,
}

/// One decided project after the vote, as staff and the public see it.
#[derive(Debug, Serialize)]
pub struct FollowView {
    pub project_id: i64,
    /// The year it was decided for.
    pub year: u32,
    pub candidate_id: Option<String>,
    pub name: String,
    pub department: String,
    pub state: State,
    pub state_label: &'static str,
    pub plan: Option<Plan>,
    pub plan_checked: bool,
    /// The last report's figures (0 before any).
    pub percent: u8,
    pub spent_yuan: u64,
    /// The plan's milestones met (by place), and those past their date unmet.
    pub milestones_met: Vec<usize>,
    pub late: Vec<Milestone>,
    /// When the next progress report is due under the plan's cadence, and
    /// whether it is overdue (逾期未报).
    pub next_report: Option<Date>,
    pub report_overdue: bool,
    pub reports: Vec<ReportRow>,
    pub decisions: Vec<DatedDecision>,
    pub inspections: Vec<InspectionRow>,
    /// 督办建议 not yet answered.
    pub open_items: usize,
    /// 民生码: the public's ratings, and the comments staff let be shown
    /// (phone numbers masked).
    pub ratings: RatingCounts,
    pub comments: Vec<ShownComment>,
    /// Photos and scans (`GET /api/public/attachments/{id}`).
    pub attachments: Vec<AttachmentRow>,
    /// The deputies' 满意度测评 of it, once published (the latest).
    pub review: Option<ProjectReview>,
}

/// A project's rating in a published 满意度测评.
#[derive(Debug, Serialize)]
pub struct ProjectReview {
    pub round_id: i64,
    pub title: String,
    pub rating: Option<crate::core::satisfaction::Rating>,
    /// 满意 / 基本满意 / 不满意 (empty when the round was not valid).
    pub rating_label: &'static str,
    pub counts: crate::core::satisfaction::ReviewCounts,
}

#[derive(Debug, Serialize)]
pub struct ShownComment {
    pub at: String,
    pub rating: PublicRating,
    pub text: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatingReq {
    pub rating: PublicRating,
    #[serde(default)]
    pub comment: String,
}

#[derive(Debug, Serialize)]
pub struct RatingReceipt {
    pub message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModerateReq {
    pub show: bool,
}

/// Comments waiting for staff (`GET /api/follow/comments`).
#[derive(Debug, Serialize)]
pub struct CommentQueue {
    pub comments: Vec<RatingRow>,
}

#[derive(Debug, Serialize)]
pub struct FollowList {
    /// The day the statuses are as of.
    pub today: Date,
    pub projects: Vec<FollowView>,
}

#[derive(Debug, Serialize)]
pub struct Recorded {
    pub id: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerReq {
    pub answer: String,
}

fn today() -> Result<Date> {
    let now = Timestamp::now_beijing();
    Date::parse(&now.as_str()[..10]).map_err(Error::internal)
}

/// The latest published 满意度测评 that rated the project (its candidate
/// id and name as the vote's ballot showed them).
fn reviewed(
    rounds: &[crate::store::RoundRow],
    cid: Option<&str>,
    name: &str,
) -> Option<ProjectReview> {
    use crate::core::satisfaction::RoundResult;
    let cid = cid?;
    rounds
        .iter()
        .filter(|r| r.state == crate::hall::RoundState::Published)
        .filter_map(|r| {
            let Some(RoundResult::Review(v)) = &r.result else {
                return None;
            };
            let c = r
                .draft
                .candidates
                .iter()
                .find(|c| c.id.as_str() == cid && c.name == name)?;
            let rating = v.ratings.get(&c.id).copied();
            Some(ProjectReview {
                round_id: r.id,
                title: r.draft.title.clone(),
                rating,
                rating_label: rating.map_or("", |x| x.label_zh()),
                counts: v.tally.get(&c.id).copied().unwrap_or_default(),
            })
        })
        .next_back()
}

/// Whether the published votes (`outcomes`, by candidate) decided `p`.
pub(super) fn is_decided(
    p: &ProjectRow,
    outcomes: &std::collections::HashMap<String, &str>,
) -> bool {
    p.candidate_id
        .as_ref()
        .is_some_and(|c| outcomes.get(c).copied() == Some(DECIDED))
}

impl Services {
    /// The projects the published votes decided.
    pub(super) async fn decided(&self) -> Result<Vec<ProjectRow>> {
        let outcomes = self.vote_outcomes().await?;
        let projects = self.store.upstream_read(|r| r.projects()).await?;
        Ok(projects
            .into_iter()
            .filter(|p| is_decided(p, &outcomes))
            .collect())
    }

    /// Earlier years' decided projects that run into `year`, with their goal
    /// there (第五条(三): carried forward, not voted on again).
    pub(super) async fn carried_into(&self, year: u32) -> Result<Vec<(i64, String)>> {
        let mut out = vec![];
        for p in self.decided().await? {
            if p.year >= year {
                continue;
            }
            let id = p.id;
            let plan = self
                .store
                .upstream_read(move |r| r.follow_record(id))
                .await?
                .plan;
            if let Some(goal) = follow::carries_into(plan.as_ref(), &p.doc.deadline, year) {
                out.push((p.id, goal));
            }
        }
        Ok(out)
    }

    /// A decided project that `me` may act on: the lead department its own.
    async fn decided_project(&self, id: i64, me: &Staff) -> Result<ProjectRow> {
        let p = self
            .decided()
            .await?
            .into_iter()
            .find(|p| p.id == id)
            .ok_or_else(|| Error::conflict("该项目不是票决确定的民生实事项目"))?;
        if me.role == StaffRole::Department && p.department != me.display_name {
            return Err(Error::forbidden());
        }
        Ok(p)
    }

    pub async fn follow(&self) -> Result<FollowList> {
        let today = today()?;
        let mut out = vec![];
        let rounds = self.store.rounds().await?;
        for p in self.decided().await? {
            let id = p.id;
            let rec = self
                .store
                .upstream_read(move |r| r.follow_record(id))
                .await?;
            let mut met: Vec<usize> = rec
                .reports
                .iter()
                .flat_map(|r| r.report.milestones_met.iter().copied())
                .collect();
            met.sort_unstable();
            met.dedup();
            let last_report = rec.reports.last();
            let last_decision = rec
                .decisions
                .last()
                .map(|(at, d)| (d, last_report.is_none_or(|r| at.as_str() > r.at.as_str())));
            let state = follow::state(
                rec.plan.as_ref(),
                last_report.map(|r| &r.report),
                &met,
                last_decision,
                &today,
            );
            let late = rec
                .plan
                .as_ref()
                .map(|plan| {
                    follow::late(plan, &met, &today)
                        .into_iter()
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            let mut reported: Vec<Date> =
                rec.reports.iter().map(|r| r.report.as_of.clone()).collect();
            reported.sort_by(|a, b| a.as_str().cmp(b.as_str()));
            let next_report = rec
                .plan
                .as_ref()
                .and_then(|plan| follow::next_report(plan, &reported));
            let review = reviewed(&rounds, p.candidate_id.as_deref(), &p.doc.name);
            out.push(FollowView {
                report_overdue: follow::report_overdue(next_report.as_ref(), state, &today),
                next_report,
                review,
                project_id: p.id,
                year: p.year,
                candidate_id: p.candidate_id,
                name: p.doc.name,
                department: p.department,
                state,
                state_label: state.label_zh(),
                plan_checked: rec.checked.is_some(),
                plan: rec.plan,
                percent: last_report.map_or(0, |r| r.report.percent),
                spent_yuan: last_report.map_or(0, |r| r.report.spent_yuan),
                milestones_met: met,
                late,
                reports: rec.reports,
                decisions: rec
                    .decisions
                    .into_iter()
                    .map(|(at, decision)| DatedDecision {
                        at,
                        state_label: decision.state.label_zh(),
                        decision,
                    })
                    .collect(),
                open_items: rec
                    .inspections
                    .iter()
                    .filter(|i| i.inspection.suggestion.is_some() && i.answer.is_none())
                    .count(),
                inspections: rec.inspections,
                ratings: rec.ratings,
                attachments: rec.attachments,
                comments: rec
                    .comments
                    .into_iter()
                    .map(|c| ShownComment {
                        at: c.at,
                        rating: c.rating,
                        text: follow::masked(&c.comment),
                    })
                    .collect(),
            });
        }
        Ok(FollowList {
            today,
            projects: out,
        })
    }

    /// 实施方案, by the lead department (a revision is checked again).
    pub async fn set_plan(&self, me: &Staff, id: i64, plan: Plan) -> Result<()> {
        self.decided_project(id, me).await?;
        self.store
            .upstream(actor(me), Timestamp::now_beijing(), move |u| {
                u.set_plan(id, &plan)
            })
            .await?;
        Ok(())
    }

    pub async fn check_plan(&self, me: &Staff, id: i64) -> Result<()> {
        self.decided_project(id, me).await?;
        self.change(me, Action::CheckPlan, None, move |u| u.check_plan(id))
            .await
    }

    pub async fn add_report(&self, me: &Staff, id: i64, report: Report) -> Result<Recorded> {
        self.decided_project(id, me).await?;
        let id = self
            .store
            .upstream(actor(me), Timestamp::now_beijing(), move |u| {
                u.add_report(id, &report)
            })
            .await?;
        Ok(Recorded { id })
    }

    /// 调整 / 暂缓 / 终止: only as the 人大常委会 decided, with its notice.
    pub async fn add_decision(&self, me: &Staff, id: i64, d: Decision) -> Result<()> {
        self.decided_project(id, me).await?;
        self.store
            .upstream(actor(me), Timestamp::now_beijing(), move |u| {
                u.add_decision(id, &d)
            })
            .await?;
        Ok(())
    }

    pub async fn add_inspection(&self, me: &Staff, id: i64, mut i: Inspection) -> Result<Recorded> {
        self.decided_project(id, me).await?;
        // 整改 items come from a 满意度测评 alone.
        i.rectify = false;
        let id = self
            .store
            .upstream(actor(me), Timestamp::now_beijing(), move |u| {
                u.add_inspection(id, &i)
            })
            .await?;
        Ok(Recorded { id })
    }

    /// The lead department answers a 督办建议.
    pub async fn answer_inspection(&self, me: &Staff, id: i64, req: AnswerReq) -> Result<()> {
        let project = self
            .store
            .upstream_read(move |r| r.inspection_project(id))
            .await?;
        self.decided_project(project, me).await?;
        self.store
            .upstream(actor(me), Timestamp::now_beijing(), move |u| {
                u.answer_inspection(id, &req.answer)
            })
            .await?;
        Ok(())
    }
}

impl Services {
    /// 民生码: anyone rates a project, within the hourly quota per address;
    /// a comment waits for staff before it is shown.
    pub async fn rate(
        &self,
        addr: std::net::IpAddr,
        id: i64,
        req: RatingReq,
    ) -> Result<RatingReceipt> {
        if !self.public_post_allowed(addr, super::public::PUBLIC_PER_HOUR) {
            return Err(Error::new(
                crate::error::Code::SlowDown,
                "提交过于频繁，请稍后再试",
            ));
        }
        let comment = req.comment.trim().to_string();
        if comment.chars().count() > COMMENT_MAX {
            return Err(Error::bad(format!("留言不能超过 {COMMENT_MAX} 字")));
        }
        let has_comment = !comment.is_empty();
        self.store
            .upstream("public".into(), Timestamp::now_beijing(), move |u| {
                u.add_rating(id, req.rating, &comment)
            })
            .await?;
        Ok(RatingReceipt {
            message: if has_comment {
                "感谢您的评价，留言经审核后公开".into()
            } else {
                "感谢您的评价".into()
            },
        })
    }

    /// The comments waiting for staff, newest first.
    pub async fn comment_queue(&self) -> Result<CommentQueue> {
        let comments = self
            .store
            .upstream_read(|r| r.ratings_where(None, None, 500))
            .await?;
        Ok(CommentQueue { comments })
    }

    pub async fn moderate(&self, me: &Staff, id: i64, req: ModerateReq) -> Result<()> {
        self.store
            .upstream(actor(me), Timestamp::now_beijing(), move |u| {
                u.moderate(id, req.show)
            })
            .await?;
        Ok(())
    }
}

/// A stored photo or scan, to be served.
pub struct AttachmentFile {
    pub kind: String,
    pub name: String,
    pub bytes: Vec<u8>,
}

impl Services {
    fn attachment_dir(&self) -> Result<std::path::PathBuf> {
        let data = self
            .store
            .path()
            .parent()
            .unwrap_or(std::path::Path::new("."));
        let dir = data.join("attachments");
        std::fs::create_dir_all(&dir).map_err(Error::internal)?;
        crate::store::owner_only(&dir, 0o700).map_err(Error::internal)?;
        Ok(dir)
    }

    /// A photo or scan of a decided project (by its lead department, or the
    /// office recording an inspection), from the upload at `upload`: kept
    /// under its SHA-256 in the data dir, its digest in the audit chain.
    pub async fn attach(
        &self,
        me: &Staff,
        id: i64,
        of: AttachedTo,
        name: String,
        upload: std::path::PathBuf,
    ) -> Result<Recorded> {
        self.decided_project(id, me).await?;
        let name: String = name.trim().chars().take(100).collect();
        if name.is_empty() {
            return Err(Error::bad("请给附件起个名字（如：施工现场照片）"));
        }
        let dir = self.attachment_dir()?;
        let (sha, kind, bytes) = super::cpu(move || {
            use sha2::Digest;
            let data = std::fs::read(&upload).map_err(Error::internal)?;
            let kind = follow::attachment_kind(&data)
                .ok_or_else(|| Error::bad("附件应为照片（JPEG、PNG）或扫描件（PDF）"))?;
            let sha = hex::encode(sha2::Sha256::digest(&data));
            let path = dir.join(format!("{sha}.{kind}"));
            if !path.exists() {
                std::fs::write(&path, &data)
                    .map_err(|e| Error::storage("服务器磁盘无法保存附件，请联系管理员", e))?;
            }
            Ok((sha, kind, data.len() as u64))
        })
        .await?;
        let id = self
            .store
            .upstream(actor(me), Timestamp::now_beijing(), move |u| {
                u.add_attachment(id, of, &sha, &name, kind, bytes)
            })
            .await?;
        Ok(Recorded { id })
    }

    /// A stored photo or scan, checked against its digest as it is read.
    pub async fn attachment(&self, id: i64) -> Result<AttachmentFile> {
        let row = self
            .store
            .upstream_read(move |r| r.attachments_where(None, Some(id)))
            .await?
            .pop()
            .ok_or_else(|| Error::new(crate::error::Code::NotFound, "没有这个附件"))?;
        let path = self
            .attachment_dir()?
            .join(format!("{}.{}", row.sha256, row.kind));
        super::cpu(move || {
            use sha2::Digest;
            let bytes = std::fs::read(&path).map_err(Error::internal)?;
            if hex::encode(sha2::Sha256::digest(&bytes)) != row.sha256 {
                return Err(Error::internal(format!(
                    "attachment {id} does not match its digest"
                )));
            }
            Ok(AttachmentFile {
                kind: row.kind,
                name: row.name,
                bytes,
            })
        })
        .await
    }
}
