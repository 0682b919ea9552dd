//! 全过程公开 (the public side of the stages): the suggestion form and
//! tracking, the year page, each project's whole history and the audit log.

use super::present::yuan_wan;
use super::Services;
use crate::core::canon::Hash;
use crate::core::record::{Date, Timestamp};
use crate::error::{Code, Error, Result};
use crate::hall::RoundState;
use crate::store::{History, StoreError, SuggestionCounts, YearRow};
use crate::upstream::model::*;
use crate::upstream::stage::Action;
use serde::{Deserialize, Serialize};

/// A project's result in one published round.
#[derive(Debug, Serialize, Deserialize)]
pub struct VoteLine {
    pub round_id: i64,
    pub round: u64,
    #[serde(rename = "for")]
    pub for_: u64,
    pub against: u64,
    pub abstain: u64,
    pub decided: bool,
    pub tally_hash: Hash,
}

#[derive(Debug, Serialize)]
pub struct HistoryView {
    pub history: History,
    /// The vote, once the project went to one and it is published.
    pub vote: Option<Vec<VoteLine>>,
    /// The deputies' 满意度测评 of the project, once published.
    pub reviews: Vec<ReviewLine>,
}

/// A project's line in a published 满意度测评.
#[derive(Debug, Serialize)]
pub struct ReviewLine {
    pub round_id: i64,
    pub round: u64,
    pub counts: crate::core::satisfaction::ReviewCounts,
    /// `satisfied` / `basically_satisfied` / `unsatisfied`; null when the
    /// round was not valid.
    pub rating: Option<crate::core::satisfaction::Rating>,
    pub tally_hash: Hash,
}

/// What the public sees of a suggestion: never the contact, never the text.
#[derive(Debug, Serialize)]
pub struct Tracked {
    pub tracking_no: String,
    pub title: String,
    pub status: SuggestionStatus,
    pub status_label: &'static str,
    pub department: Option<String>,
    pub received: Option<String>,
    pub projects: Vec<i64>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct PublicReceipt {
    pub tracking_no: String,
    pub message: String,
}

#[derive(Debug, Serialize)]
pub struct TimelineItem {
    pub at: Timestamp,
    pub kind: String,
    pub after: Option<serde_json::Value>,
}

#[derive(Debug, Serialize)]
pub struct PublicProject {
    pub id: i64,
    pub name: String,
    pub lead_unit: String,
    pub investment: String,
    pub status: ProjectStatus,
    pub status_label: &'static str,
    pub candidate_id: Option<String>,
    pub merged_into: Option<i64>,
    pub exclusion: Option<serde_json::Value>,
    pub suggestions: usize,
    /// 民意指数.
    pub voice: crate::store::Voice,
}

#[derive(Debug, Serialize)]
pub struct PublicMeeting {
    pub kind: &'static str,
    pub date: Date,
    pub approved: bool,
    pub decision: String,
}

#[derive(Debug, Serialize)]
pub struct PublicYear {
    pub year: Option<YearRow>,
    pub counts: SuggestionCounts,
    pub projects: Vec<PublicProject>,
    pub timeline: Vec<TimelineItem>,
    pub meetings: Vec<PublicMeeting>,
    /// Earlier years' projects carried into this one (跨年度续建).
    pub continuing: Vec<crate::store::Continuing>,
}

/// Tracking-number lookups per address per minute.
pub const LOOKUPS_PER_MINUTE: u32 = 20;

/// Public suggestions per address per hour.
pub const PUBLIC_PER_HOUR: u32 = 10;

impl Services {
    pub async fn history(&self, id: i64) -> Result<HistoryView> {
        let history = self.store.upstream_read(move |r| r.history(id)).await?;
        let (Some(rid), Some(cid)) = (
            history.project.round_id,
            history.project.candidate_id.clone(),
        ) else {
            return Ok(HistoryView {
                history,
                vote: None,
                reviews: vec![],
            });
        };
        let rounds = self.store.rounds().await?;
        let vote = rounds
            .iter()
            .filter(|r| {
                r.state == RoundState::Published
                    && r.id >= rid
                    && r.draft.candidates.iter().any(|c| c.id.as_str() == cid)
            })
            .filter_map(|r| {
                let res = r.result.as_ref()?.vote()?;
                let c = res.tally.iter().find(|(k, _)| k.as_str() == cid)?.1;
                Some(VoteLine {
                    round_id: r.id,
                    round: r.round,
                    for_: c.for_,
                    against: c.against,
                    abstain: c.abstain,
                    decided: res.decided.iter().any(|d| d.as_str() == cid),
                    tally_hash: Hash::of(res),
                })
            })
            .collect();
        // A review rates the project under its candidate id and name.
        let name = rounds
            .iter()
            .filter(|r| r.id == rid)
            .flat_map(|r| r.draft.candidates.iter())
            .find(|c| c.id.as_str() == cid)
            .map(|c| c.name.clone());
        let reviews = rounds
            .iter()
            .filter(|r| r.state == RoundState::Published && r.id > rid)
            .filter(|r| {
                r.draft
                    .candidates
                    .iter()
                    .any(|c| c.id.as_str() == cid && Some(&c.name) == name.as_ref())
            })
            .filter_map(|r| {
                let res = r.result.as_ref()?;
                let rv = res.review()?;
                let (id, counts) = rv.tally.iter().find(|(k, _)| k.as_str() == cid)?;
                Some(ReviewLine {
                    round_id: r.id,
                    round: r.round,
                    counts: *counts,
                    rating: rv.ratings.get(id).copied(),
                    tally_hash: res.hash(),
                })
            })
            .collect();
        Ok(HistoryView {
            history,
            vote: Some(vote),
            reviews,
        })
    }

    /// The audit log as published: one event a line.
    pub async fn audit_log(&self) -> Result<String> {
        let mut text = self.store.audit_lines().await?.join("\n");
        text.push('\n');
        Ok(text)
    }

    /// The public form: within the hourly quota per address.
    pub async fn public_suggest(
        &self,
        addr: std::net::IpAddr,
        mut input: SuggestionInput,
    ) -> Result<PublicReceipt> {
        if !self.public_post_allowed(addr, PUBLIC_PER_HOUR) {
            return Err(Error::new(Code::SlowDown, "提交过于频繁，请稍后再试"));
        }
        input.channel = Channel::Public;
        input.source.clear();
        let (_, tracking_no) = self
            .store
            .upstream("public".into(), Timestamp::now_beijing(), move |u| {
                u.add_suggestion(&input, Action::SubmitPublic)
            })
            .await?;
        Ok(PublicReceipt {
            tracking_no,
            message: "已收到您的建议，请记下查询编号".into(),
        })
    }

    /// A tracking-number lookup, within the per-address quota (numbers
    /// cannot be enumerated).
    pub async fn track(&self, from: std::net::IpAddr, no: String) -> Result<Tracked> {
        if !self.lookups.quota(
            &from,
            LOOKUPS_PER_MINUTE,
            std::time::Duration::from_secs(60),
        ) {
            return Err(Error::new(Code::SlowDown, "查询过于频繁，请一分钟后再试"));
        }
        let s = self
            .store
            .upstream_read(move |r| r.track(&no))
            .await?
            .ok_or(StoreError::NotFound("该查询编号"))?;
        Ok(Tracked {
            received: s.received_at.get(..10).map(str::to_string),
            tracking_no: s.tracking_no,
            title: s.input.title,
            status: s.status,
            status_label: s.status_label,
            department: s.department,
            projects: s.projects,
        })
    }

    pub async fn public_year(&self) -> Result<PublicYear> {
        let outcomes = self.vote_outcomes().await?;
        let (year, counts, projects, meetings, events, continuing) = self
            .store
            .upstream_read(|r| {
                let y = r.year()?;
                let subj = y
                    .as_ref()
                    .map(|y| vec![format!("year:{}", y.year)])
                    .unwrap_or_default();
                let continuing = match &y {
                    Some(y) => r.continuing(y.year)?,
                    None => vec![],
                };
                Ok((
                    y,
                    r.counts()?,
                    r.projects()?,
                    r.meetings()?,
                    r.events_about(&subj)?,
                    continuing,
                ))
            })
            .await?;
        Ok(PublicYear {
            continuing,
            year,
            counts,
            projects: projects
                .into_iter()
                .map(|p| PublicProject {
                    id: p.id,
                    investment: yuan_wan(p.doc.investment_yuan),
                    name: p.doc.name,
                    lead_unit: p.doc.lead_unit,
                    status: p.status,
                    status_label: p
                        .candidate_id
                        .as_ref()
                        .and_then(|c| outcomes.get(c).copied())
                        .unwrap_or(p.status_label),
                    candidate_id: p.candidate_id,
                    merged_into: p.merged_into,
                    exclusion: p.exclusion,
                    suggestions: p.suggestions.len(),
                    voice: p.voice,
                })
                .collect(),
            timeline: events
                .into_iter()
                .map(|e| TimelineItem {
                    at: e.at,
                    kind: e.kind,
                    after: e.after,
                })
                .collect(),
            meetings: meetings
                .into_iter()
                .map(|(_, m)| PublicMeeting {
                    kind: m.kind.label_zh(),
                    date: m.date,
                    approved: m.approved,
                    decision: m.decision,
                })
                .collect(),
        })
    }
}

/// 民生码: the A4 sign at a project's site, its QR code to the project's
/// public page.
#[derive(Debug, Serialize)]
pub struct ProjectSign {
    pub year: u32,
    pub name: String,
    pub lead_unit: String,
    pub investment: String,
    pub deadline: String,
    pub content: String,
    pub status: String,
    pub url: String,
    pub qr_svg: String,
}

impl Services {
    /// The sign of project `id`, its page at `base` (as the request named
    /// this server).
    pub async fn project_sign(&self, id: i64, base: &str) -> Result<ProjectSign> {
        let p = self.store.upstream_read(move |r| r.project(id)).await?;
        let outcomes = self.vote_outcomes().await?;
        let status = p
            .candidate_id
            .as_ref()
            .and_then(|c| outcomes.get(c).copied())
            .unwrap_or(p.status_label)
            .to_string();
        let url = format!("{base}/public#p{id}");
        Ok(ProjectSign {
            year: p.year,
            investment: yuan_wan(p.doc.investment_yuan),
            lead_unit: p.doc.lead_unit,
            deadline: p.doc.deadline.as_str().to_string(),
            content: p.doc.content,
            name: p.doc.name,
            status,
            qr_svg: super::present::qr_svg(&url),
            url,
        })
    }
}
