//! 产生办法 (the upstream stages): the working group's and departments'
//! operations, the public form and tracking, the public year page and
//! project histories. Every change checks the caller's working-group role
//! and the year's stage, acts, and records its event — one transaction
//! ([`crate::store::UpTx`]).

use super::hall::{row_errors, Created, Imported};
use super::{cpu, Done, Services, DONE};
use crate::core::record::{Date, Rules, Timestamp};
use crate::error::{Code, Error, Result};
use crate::hall::StaffRole;
use crate::sheets::{cell, Sheet};
use crate::store::{
    DraftRow, Staff, StoreError, SuggestionCounts, SuggestionFilter, SuggestionPage, UpTx, YearRow,
};
use crate::upstream::model::*;
use crate::upstream::stage::{Action, GroupRole, Stage};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How a staff member appears in the audit chain.
pub(super) fn actor(s: &Staff) -> String {
    format!("staff:{} ({})", s.username, s.display_name)
}

#[derive(Debug, Serialize)]
pub struct Me {
    pub username: String,
    pub display_name: String,
    pub role: StaffRole,
    pub group_role: Option<String>,
    pub leader: bool,
}

#[derive(Debug, Serialize)]
pub struct MeetingView {
    pub id: i64,
    pub kind_label: &'static str,
    pub meeting: Meeting,
}

#[derive(Debug, Serialize)]
pub struct StageView {
    pub stage: Stage,
    pub label: &'static str,
}

/// The workbench's view of the year.
#[derive(Debug, Serialize)]
pub struct UpstreamState {
    pub me: Me,
    pub year: Option<YearRow>,
    pub counts: SuggestionCounts,
    pub meetings: Vec<MeetingView>,
    pub drafts: Vec<DraftRow>,
    pub major_projects: Vec<String>,
    pub stages: Vec<StageView>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YearReq {
    pub year: u32,
    pub collection_opened: Date,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteReq {
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Serialize)]
pub struct Advanced {
    pub stage: Stage,
    pub label: &'static str,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupReq {
    pub username: String,
    pub role: GroupRole,
}

/// The suggestion list's query string: a page of the year's suggestions,
/// found by words and filtered (every parameter optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuggestionQuery {
    pub year: Option<u32>,
    /// Words, separated by spaces; a suggestion must contain each.
    pub q: Option<String>,
    pub channel: Option<String>,
    pub town: Option<String>,
    pub category: Option<String>,
    pub status: Option<String>,
    pub department: Option<String>,
    /// Received from / to (YYYY-MM-DD, both included).
    pub from: Option<String>,
    pub to: Option<String>,
    /// From 1; `per` at most [`MAX_PER_PAGE`] (default [`PER_PAGE`]).
    pub page: Option<u32>,
    pub per: Option<u32>,
}

/// Rows on a page of a list, unless asked otherwise, and at most.
pub const PER_PAGE: u32 = 100;
pub const MAX_PER_PAGE: u32 = 1000;

impl SuggestionQuery {
    /// The filter the store runs, checked: a bad value is a 400 naming it.
    fn filter(self, scope_department: Option<String>) -> Result<(SuggestionFilter, u32, u32)> {
        let given = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        let channel = given(self.channel);
        if let Some(c) = &channel {
            serde_json::from_value::<Channel>(Value::String(c.clone()))
                .map_err(|_| Error::bad(format!("渠道 {c} 无效")))?;
        }
        let status = given(self.status);
        if let Some(st) = &status {
            serde_json::from_value::<SuggestionStatus>(Value::String(st.clone()))
                .map_err(|_| Error::bad(format!("状态 {st} 无效")))?;
        }
        let date = |v: Option<String>, what: &str| -> Result<Option<String>> {
            match given(v) {
                None => Ok(None),
                Some(d) => chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                    .map(|x| Some(x.format("%Y-%m-%d").to_string()))
                    .map_err(|_| Error::bad(format!("{what}应为 年-月-日，如 2026-07-15：{d}"))),
            }
        };
        let per = self.per.unwrap_or(PER_PAGE);
        if per == 0 || per > MAX_PER_PAGE {
            return Err(Error::bad(format!("每页条数应在 1 到 {MAX_PER_PAGE} 之间")));
        }
        let page = self.page.unwrap_or(1).max(1);
        // LIKE's own wildcards are not words.
        let words: Vec<String> = self
            .q
            .unwrap_or_default()
            .split(|c: char| c.is_whitespace() || matches!(c, '%' | '_' | '\\'))
            .filter(|w| !w.is_empty())
            .take(8)
            .map(str::to_string)
            .collect();
        let filter = SuggestionFilter {
            year: self.year,
            scope_department,
            words,
            channel,
            town: given(self.town),
            category: given(self.category),
            status,
            department: given(self.department),
            from: date(self.from, "起始日期")?,
            to: date(self.to, "截止日期")?,
        };
        Ok((filter, page, per))
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Entered {
    pub id: i64,
    pub tracking_no: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListReq {
    /// (suggestion id, department)
    #[serde(default)]
    pub assign: Vec<(i64, String)>,
    /// (热点专题 id, department): the topic's calls not yet listed go to
    /// the department as one entry that cites the topic.
    #[serde(default)]
    pub topics: Vec<(i64, String)>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Listed {
    pub listed: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclareReq {
    pub doc: ProjectDoc,
    /// The calls and suggestions it answers.
    #[serde(default)]
    pub suggestions: Vec<i64>,
    /// The 热点专题 it answers.
    #[serde(default)]
    pub topics: Vec<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmendReq {
    pub doc: ProjectDoc,
    pub reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExcludeReq {
    pub reason: Exclusion,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeReq {
    pub sources: Vec<i64>,
    pub doc: ProjectDoc,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DraftReq {
    pub label: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct DraftSaved {
    pub version: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpinionReq {
    #[serde(default)]
    pub project: Option<i64>,
    pub source: OpinionSource,
    pub author: String,
    pub text: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RespondReq {
    pub response: String,
    pub adopted: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoundReq {
    pub title: String,
    pub assembly: String,
    pub rules: Rules,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct RoundMade {
    pub round_id: i64,
    pub candidates: usize,
}

impl Services {
    /// A change made by working-group member `me`, whose role must allow
    /// `action` (on `project`'s category, for a temporary member); the role,
    /// the stage and the change in one transaction.
    pub(super) async fn change<T: Send + 'static>(
        &self,
        me: &Staff,
        action: Action,
        project: Option<i64>,
        f: impl FnOnce(&mut UpTx) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T> {
        if me.role != StaffRole::WorkingGroup {
            return Err(Error::forbidden());
        }
        let id = me.id;
        Ok(self
            .store
            .upstream(actor(me), Timestamp::now_beijing(), move |u| {
                u.require_member(id, action, project)?;
                f(u)
            })
            .await?)
    }

    pub async fn upstream_state(&self, me: Staff) -> Result<UpstreamState> {
        let id = me.id;
        let (year, role, counts, meetings, drafts, majors) = self
            .store
            .upstream_read(move |r| {
                Ok((
                    r.year()?,
                    r.group_role(id)?,
                    r.counts()?,
                    r.meetings()?,
                    r.drafts()?,
                    r.majors()?,
                ))
            })
            .await?;
        Ok(UpstreamState {
            me: Me {
                group_role: role.as_ref().map(|g| g.label_zh()),
                leader: role == Some(GroupRole::Leader),
                username: me.username,
                display_name: me.display_name,
                role: me.role,
            },
            year,
            counts,
            meetings: meetings
                .into_iter()
                .map(|(id, m)| MeetingView {
                    id,
                    kind_label: m.kind.label_zh(),
                    meeting: m,
                })
                .collect(),
            drafts,
            major_projects: majors,
            stages: Stage::ALL
                .iter()
                .map(|s| StageView {
                    stage: *s,
                    label: s.label_zh(),
                })
                .collect(),
        })
    }

    pub async fn open_year(&self, me: &Staff, req: YearReq) -> Result<Done> {
        if !(2000..=2100).contains(&req.year) {
            return Err(Error::bad("年度无效"));
        }
        let carried = self.carried_into(req.year).await?;
        self.change(me, Action::Advance, None, move |u| {
            u.open_year(req.year, req.collection_opened)?;
            u.carry_forward(req.year, &carried)
        })
        .await?;
        Ok(DONE)
    }

    pub async fn advance(&self, me: &Staff, req: NoteReq) -> Result<Advanced> {
        let stage = self
            .change(me, Action::Advance, None, move |u| u.advance(&req.note))
            .await?;
        Ok(Advanced {
            stage,
            label: stage.label_zh(),
        })
    }

    pub async fn set_group(&self, me: &Staff, req: GroupReq) -> Result<Done> {
        self.change(me, Action::ManageGroup, None, move |u| {
            let (id, role) = u
                .read()
                .staff(&req.username)?
                .ok_or(StoreError::NotFound("该账号"))?;
            if role != StaffRole::WorkingGroup {
                return Err(StoreError::refused(
                    Code::BadRequest,
                    "只有工作组账号可以加入工作组",
                ));
            }
            u.set_group_role(id, &req.role)
        })
        .await?;
        Ok(DONE)
    }

    /// A page of the year's suggestions; a department sees its own queue
    /// (建议清单 sent to it), others all.
    pub async fn suggestions(&self, me: &Staff, q: SuggestionQuery) -> Result<SuggestionPage> {
        let dept = (me.role == StaffRole::Department).then(|| me.display_name.clone());
        let (filter, page, per) = q.filter(dept)?;
        Ok(self
            .store
            .upstream_read(move |r| r.suggestion_page(&filter, page, per))
            .await?)
    }

    pub async fn enter_suggestion(&self, me: &Staff, input: SuggestionInput) -> Result<Entered> {
        if !matches!(input.channel, Channel::Directed | Channel::Topical) {
            return Err(Error::bad(
                "工作人员录入的建议应为定向征集或专题征集；热线与信访请用导入",
            ));
        }
        let (id, tracking_no) = self
            .change(me, Action::EnterSuggestion, None, move |u| {
                u.add_suggestion(&input, Action::EnterSuggestion)
            })
            .await?;
        Ok(Entered { id, tracking_no })
    }

    pub async fn compile_list(&self, me: &Staff, req: ListReq) -> Result<Listed> {
        let listed = self
            .change(me, Action::CompileList, None, move |u| {
                let mut n = u.compile_list(&req.assign)?;
                for (topic, dept) in &req.topics {
                    n += u.list_topic(*topic, dept)?;
                }
                Ok(n)
            })
            .await?;
        Ok(Listed { listed })
    }

    /// 本年度重大项目: a CSV or XLSX list (column 项目名称), replacing the year's.
    pub async fn import_majors(&self, me: &Staff, bytes: Vec<u8>) -> Result<Imported> {
        let names = cpu(move || {
            let sheet = Sheet::read(&bytes).map_err(|e| row_errors(Code::MajorRows, &[e]))?;
            let col = sheet
                .column(&["项目名称", "名称", "name"])
                .ok_or_else(|| Error::bad("表头中没有“项目名称”列"))?;
            let names: Vec<String> = sheet
                .rows
                .iter()
                .map(|(_, cells)| cell(cells, col).trim().to_string())
                .filter(|n| !n.is_empty())
                .collect();
            if names.iter().any(|n| n.chars().count() > 100) {
                return Err(Error::bad("项目名称过长"));
            }
            Ok(names)
        })
        .await?;
        let imported = self
            .change(me, Action::ImportMajors, None, move |u| {
                u.set_majors(&names)
            })
            .await?;
        Ok(Imported { imported })
    }

    /// 初选申报: a department declares for itself.
    pub async fn declare(&self, me: &Staff, req: DeclareReq) -> Result<Created> {
        let dept = me.display_name.clone();
        let id = self
            .store
            .upstream(actor(me), Timestamp::now_beijing(), move |u| {
                u.declare(&dept, &req.doc, &req.suggestions, &req.topics)
            })
            .await?;
        Ok(Created { id })
    }

    /// A new version: the declaring department's own (while declaring), or
    /// the working group's revision (after review, opinions or a meeting).
    pub async fn amend(&self, me: &Staff, id: i64, req: AmendReq) -> Result<Done> {
        if req.reason.trim().is_empty() {
            return Err(Error::bad("请写明修改原因"));
        }
        if me.role == StaffRole::WorkingGroup {
            self.change(me, Action::Revise, None, move |u| {
                u.amend(id, &req.doc, &req.reason, Action::Revise)
            })
            .await?;
            return Ok(DONE);
        }
        let dept = me.display_name.clone();
        self.store
            .upstream(actor(me), Timestamp::now_beijing(), move |u| {
                if u.read().project(id)?.department != dept {
                    return Err(StoreError::Refused(Error::forbidden()));
                }
                u.amend(id, &req.doc, &req.reason, Action::Amend)
            })
            .await?;
        Ok(DONE)
    }

    pub async fn assess(&self, me: &Staff, id: i64, a: Assessment) -> Result<Done> {
        self.change(me, Action::Assess, Some(id), move |u| u.assess(id, &a))
            .await?;
        Ok(DONE)
    }

    pub async fn exclude(&self, me: &Staff, id: i64, req: ExcludeReq) -> Result<Done> {
        self.change(me, Action::Exclude, None, move |u| {
            u.exclude(id, req.reason, &req.note)
        })
        .await?;
        Ok(DONE)
    }

    pub async fn merge(&self, me: &Staff, req: MergeReq) -> Result<Created> {
        let id = self
            .change(me, Action::Merge, None, move |u| {
                u.merge(&req.sources, &req.doc)
            })
            .await?;
        Ok(Created { id })
    }

    pub async fn save_draft(&self, me: &Staff, req: DraftReq) -> Result<DraftSaved> {
        let version = self
            .change(me, Action::SaveDraft, None, move |u| {
                u.save_draft(&req.label)
            })
            .await?;
        Ok(DraftSaved { version })
    }

    pub async fn add_opinion(&self, me: &Staff, req: OpinionReq) -> Result<Created> {
        let id = self
            .change(me, Action::Consult, None, move |u| {
                u.add_opinion(req.project, req.source, &req.author, &req.text)
            })
            .await?;
        Ok(Created { id })
    }

    pub async fn respond(&self, me: &Staff, id: i64, req: RespondReq) -> Result<Done> {
        self.change(me, Action::Consult, None, move |u| {
            u.respond(id, &req.response, req.adopted)
        })
        .await?;
        Ok(DONE)
    }

    pub async fn add_meeting(&self, me: &Staff, m: Meeting) -> Result<Created> {
        let id = self
            .change(me, Action::Meeting, None, move |u| u.add_meeting(&m))
            .await?;
        Ok(Created { id })
    }

    /// One click: the approved list becomes the vote round's candidates,
    /// checked as any draft, in the same transaction.
    pub async fn make_round(&self, me: &Staff, req: RoundReq) -> Result<RoundMade> {
        let election = self.election_id;
        let (round_id, candidates) = self
            .change(me, Action::MakeRound, None, move |u| {
                let id = u.make_round(&election, &req.title, &req.assembly, req.rules)?;
                Ok((id, u.read().round_candidates(id)?))
            })
            .await?;
        Ok(RoundMade {
            round_id,
            candidates,
        })
    }
}
