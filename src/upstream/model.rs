//! 建议与项目: suggestions, declared projects, reviews, exclusions, merges,
//! opinions and meetings — what each must carry, named when missing.

use crate::core::record::{Candidate, CandidateId, Date};
use serde::{Deserialize, Serialize};

/// 征集渠道
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// 公开征集 (the public form)
    Public,
    /// 定向征集 (deputies, CPPCC members, towns and villages)
    Directed,
    /// 专题征集
    Topical,
    /// 12345 热线
    Hotline,
    /// 信访
    Petition,
}

impl Channel {
    pub const ALL: [Channel; 5] = [
        Channel::Public,
        Channel::Directed,
        Channel::Topical,
        Channel::Hotline,
        Channel::Petition,
    ];
    pub fn label_zh(self) -> &'static str {
        match self {
            Channel::Public => "公开征集",
            Channel::Directed => "定向征集",
            Channel::Topical => "专题征集",
            Channel::Hotline => "12345热线",
            Channel::Petition => "信访",
        }
    }
}

/// Where a suggestion is about: 苏木/镇/街道 → 嘎查/村/社区.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub struct Place {
    pub town: String,
    #[serde(default)]
    pub village: String,
}

/// A suggestion as it comes in.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuggestionInput {
    pub channel: Channel,
    /// For 定向征集: who it came from (代表, 政协委员, 镇, 村…).
    #[serde(default)]
    pub source: String,
    pub place: Place,
    /// 类别 (教育, 医疗, 交通, 养老, 环境…)
    pub category: String,
    pub title: String,
    pub text: String,
    /// Optional: a phone number or address for a reply.
    #[serde(default)]
    pub contact: String,
}

/// 建议状态
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionStatus {
    /// 已收到
    Received,
    /// 已列入建议清单，交承办部门
    Listed,
    /// 已被项目采纳
    Adopted,
}

impl SuggestionStatus {
    pub fn label_zh(self) -> &'static str {
        match self {
            SuggestionStatus::Received => "已收到",
            SuggestionStatus::Listed => "已列入建议清单",
            SuggestionStatus::Adopted => "已纳入备选项目",
        }
    }
}

/// A field that is wrong or missing, named for the person filling the form.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Problem {
    pub field: &'static str,
    pub message: String,
}

/// A text that must be given, at most `max` characters.
pub(crate) fn need(out: &mut Vec<Problem>, field: &'static str, label: &str, v: &str, max: usize) {
    let n = v.trim().chars().count();
    if n == 0 {
        out.push(Problem {
            field,
            message: format!("缺少{label}"),
        });
    } else if n > max {
        out.push(Problem {
            field,
            message: format!("{label}过长（至多 {max} 字）"),
        });
    }
}

fn at_most(out: &mut Vec<Problem>, field: &'static str, label: &str, v: &str, max: usize) {
    if v.chars().count() > max {
        out.push(Problem {
            field,
            message: format!("{label}过长（至多 {max} 字）"),
        });
    }
}

impl SuggestionInput {
    /// Every problem, or none.
    pub fn problems(&self) -> Vec<Problem> {
        let mut p = vec![];
        need(
            &mut p,
            "place.town",
            "所在苏木/镇/街道",
            &self.place.town,
            40,
        );
        at_most(
            &mut p,
            "place.village",
            "嘎查/村/社区",
            &self.place.village,
            40,
        );
        need(&mut p, "category", "类别", &self.category, 20);
        need(&mut p, "title", "标题", &self.title, 60);
        need(&mut p, "text", "建议内容", &self.text, 2000);
        at_most(&mut p, "contact", "联系方式", &self.contact, 60);
        at_most(&mut p, "source", "来源", &self.source, 60);
        if self.channel == Channel::Directed && self.source.trim().is_empty() {
            p.push(Problem {
                field: "source",
                message: "定向征集须写明来源（代表、政协委员、镇村等）".into(),
            });
        }
        p
    }
}

/// One year's goal of a multi-year project.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct YearGoal {
    pub year: u32,
    pub goal: String,
}

/// 单位集体研究: the declaring unit's collective study.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Study {
    pub date: Date,
    pub minutes: String,
}

/// 分管副区长审阅
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ViceHeadReview {
    pub date: Date,
    pub by: String,
    #[serde(default)]
    pub note: String,
}

/// 备选项目: every element of 第十条.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectDoc {
    pub name: String,
    pub content: String,
    pub lead_unit: String,
    #[serde(default)]
    pub co_units: Vec<String>,
    pub investment_yuan: u64,
    pub funding_source: String,
    pub deadline: Date,
    /// For a project over several years: each year's goal.
    #[serde(default)]
    pub year_goals: Vec<YearGoal>,
    /// 类别, as the suggestions it answers.
    pub category: String,
    #[serde(default)]
    pub study: Option<Study>,
    #[serde(default)]
    pub vice_review: Option<ViceHeadReview>,
}

impl ProjectDoc {
    /// The elements of 第十条 that are missing or wrong, each named.
    pub fn problems(&self) -> Vec<Problem> {
        let mut p = vec![];
        need(&mut p, "name", "项目名称", &self.name, 60);
        need(&mut p, "content", "项目内容", &self.content, 3000);
        need(&mut p, "lead_unit", "牵头单位", &self.lead_unit, 40);
        need(
            &mut p,
            "funding_source",
            "资金来源",
            &self.funding_source,
            100,
        );
        need(&mut p, "category", "类别", &self.category, 20);
        if self.investment_yuan == 0 {
            p.push(Problem {
                field: "investment_yuan",
                message: "缺少投资金额（元）".into(),
            });
        }
        if self.investment_yuan > crate::core::canon::MAX_INT {
            p.push(Problem {
                field: "investment_yuan",
                message: "投资金额超出范围".into(),
            });
        }
        if self.year_goals.len() == 1 {
            p.push(Problem {
                field: "year_goals",
                message: "跨年度项目须写明每一年度的目标（至少两年）".into(),
            });
        }
        for g in &self.year_goals {
            need(&mut p, "year_goals", "年度目标", &g.goal, 500);
        }
        for u in &self.co_units {
            need(&mut p, "co_units", "配合单位", u, 40);
        }
        p
    }

    /// What is still missing before the working group may review it: the
    /// unit's collective study and the vice district head's review.
    pub fn sign_off_missing(&self) -> Vec<&'static str> {
        let mut m = vec![];
        if self.study.is_none() {
            m.push("单位集体研究（日期、纪要）");
        }
        if self.vice_review.is_none() {
            m.push("分管副区长审阅");
        }
        m
    }

    /// The ballot's view of this project.
    pub fn candidate(&self, id: CandidateId) -> Candidate {
        Candidate {
            deadline: self.deadline.clone(),
            id,
            investment_yuan: self.investment_yuan,
            lead_unit: self.lead_unit.clone(),
            name: self.name.clone(),
            summary: self.content.chars().take(200).collect(),
        }
    }

    /// The project as lines a person reads, for revision diffs.
    pub fn lines(&self) -> Vec<String> {
        let mut l = vec![
            format!("项目名称：{}", self.name),
            format!("项目内容：{}", self.content),
            format!("牵头单位：{}", self.lead_unit),
            format!("配合单位：{}", self.co_units.join("、")),
            format!("投资（元）：{}", self.investment_yuan),
            format!("资金来源：{}", self.funding_source),
            format!("完成时限：{}", self.deadline.as_str()),
            format!("类别：{}", self.category),
        ];
        for g in &self.year_goals {
            l.push(format!("{} 年目标：{}", g.year, g.goal));
        }
        l
    }
}

/// A readable diff between two versions: lines removed (−) and added (+).
pub fn diff(before: &[String], after: &[String]) -> Vec<String> {
    let a = before.join("\n");
    let b = after.join("\n");
    similar::TextDiff::from_lines(&a, &b)
        .iter_all_changes()
        .filter_map(|c| {
            let line = c.value().trim_end_matches('\n');
            match c.tag() {
                similar::ChangeTag::Delete => Some(format!("− {line}")),
                similar::ChangeTag::Insert => Some(format!("+ {line}")),
                similar::ChangeTag::Equal => None,
            }
        })
        .collect()
}

/// Why a project is ruled out (审核论证).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Exclusion {
    /// 与本年度重大项目重复
    DuplicatesMajorProject,
    /// 属于政策性调整或日常工作 (第十一条)
    PolicyOrRoutine,
    /// 仅惠及个别单位或群体 (第五条)
    NarrowBenefit,
    /// 跨年度项目已经票决 (第五条)
    AlreadyVoted,
    /// 未纳入预算 (第十三条)
    NotInBudget,
}

impl Exclusion {
    pub fn label_zh(self) -> &'static str {
        match self {
            Exclusion::DuplicatesMajorProject => "与本年度重大项目重复",
            Exclusion::PolicyOrRoutine => "属于政策性调整或日常工作（第十一条）",
            Exclusion::NarrowBenefit => "仅惠及个别单位或群体（第五条）",
            Exclusion::AlreadyVoted => "跨年度项目已经票决（第五条）",
            Exclusion::NotInBudget => "未纳入预算，不列入（第十三条）",
        }
    }
}

/// The year's major project that `name` resembles, if any (the words of
/// the names compared, as the hot topics are).
pub fn resembles<'a>(name: &str, majors: &'a [String]) -> Option<&'a str> {
    let w = crate::upstream::hot::words(name);
    majors
        .iter()
        .map(|m| {
            (
                crate::upstream::hot::similarity(&w, &crate::upstream::hot::words(m)),
                m,
            )
        })
        .filter(|(s, _)| *s >= 0.5)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, m)| m.as_str())
}

/// An exclusion for duplicating a major project must name one on the list.
pub fn check_exclusion(reason: Exclusion, note: &str, majors: &[String]) -> Result<(), String> {
    if reason == Exclusion::DuplicatesMajorProject
        && !majors.iter().any(|m| note.contains(m.as_str()))
    {
        return Err(if majors.is_empty() {
            "尚未导入本年度重大项目清单".into()
        } else {
            format!("请在说明中写明与哪个重大项目重复（{}）", majors.join("、"))
        });
    }
    Ok(())
}

/// 审核论证结论
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Conclusion {
    /// 通过，列入候选
    Pass,
    /// 修改后再审
    Revise,
    /// 不予列入
    Reject,
}

/// The working group's assessment of one project.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assessment {
    /// 必要性
    pub necessity: String,
    /// 可行性
    pub feasibility: String,
    /// 资金保障
    pub funding: String,
    /// 绩效目标
    pub performance: String,
    pub conclusion: Conclusion,
}

impl Assessment {
    pub fn problems(&self) -> Vec<Problem> {
        let mut p = vec![];
        need(&mut p, "necessity", "必要性意见", &self.necessity, 1000);
        need(&mut p, "feasibility", "可行性意见", &self.feasibility, 1000);
        need(&mut p, "funding", "资金保障意见", &self.funding, 1000);
        need(
            &mut p,
            "performance",
            "绩效目标意见",
            &self.performance,
            1000,
        );
        p
    }
}

/// 项目状态
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectStatus {
    /// 已申报
    Declared,
    /// 审核通过
    Passed,
    /// 修改后再审
    Revise,
    /// 不予列入 / 已排除
    Excluded,
    /// 已合并入其他项目
    Merged,
    /// 经审议确定为候选项目
    Candidate,
}

impl ProjectStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ProjectStatus::Declared => "declared",
            ProjectStatus::Passed => "passed",
            ProjectStatus::Revise => "revise",
            ProjectStatus::Excluded => "excluded",
            ProjectStatus::Merged => "merged",
            ProjectStatus::Candidate => "candidate",
        }
    }
    pub fn parse(s: &str) -> Option<ProjectStatus> {
        [
            ProjectStatus::Declared,
            ProjectStatus::Passed,
            ProjectStatus::Revise,
            ProjectStatus::Excluded,
            ProjectStatus::Merged,
            ProjectStatus::Candidate,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            ProjectStatus::Declared => "已申报",
            ProjectStatus::Passed => "审核通过",
            ProjectStatus::Revise => "修改后再审",
            ProjectStatus::Excluded => "不予列入",
            ProjectStatus::Merged => "已合并",
            ProjectStatus::Candidate => "候选项目",
        }
    }
    /// Still in the running: may be merged into, consulted on, approved.
    pub fn live(self) -> bool {
        matches!(
            self,
            ProjectStatus::Declared
                | ProjectStatus::Passed
                | ProjectStatus::Revise
                | ProjectStatus::Candidate
        )
    }

    /// May the declaring department still amend it itself? Only before the
    /// review has passed it (declared, or sent back for revision); after
    /// that a change is the working group's revision, with its reason.
    pub fn open_to_department(self) -> bool {
        matches!(self, ProjectStatus::Declared | ProjectStatus::Revise)
    }
}

/// Who an opinion came from (征求意见).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpinionSource {
    /// 区人大
    Congress,
    /// 区政协
    Cppcc,
    /// 苏木镇、街道
    Town,
    /// 相关单位
    Unit,
    /// 人大代表
    Deputy,
    /// 政协委员
    Member,
    /// 协调会确认
    Coordination,
}

impl OpinionSource {
    pub fn label_zh(self) -> &'static str {
        match self {
            OpinionSource::Congress => "区人大",
            OpinionSource::Cppcc => "区政协",
            OpinionSource::Town => "苏木镇、街道",
            OpinionSource::Unit => "相关单位",
            OpinionSource::Deputy => "人大代表",
            OpinionSource::Member => "政协委员",
            OpinionSource::Coordination => "协调会",
        }
    }
}

/// 审议会议, in the order they must happen.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeetingKind {
    /// 区人大常委会主任会议
    Directors,
    /// 区政府常务会议
    Executive,
    /// 区委常委会
    PartyStanding,
}

impl MeetingKind {
    pub const ORDER: [MeetingKind; 3] = [
        MeetingKind::Directors,
        MeetingKind::Executive,
        MeetingKind::PartyStanding,
    ];
    pub fn label_zh(self) -> &'static str {
        match self {
            MeetingKind::Directors => "区人大常委会主任会议",
            MeetingKind::Executive => "区政府常务会议",
            MeetingKind::PartyStanding => "区委常委会",
        }
    }
}

/// A meeting's record.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meeting {
    pub kind: MeetingKind,
    pub date: Date,
    /// 通过 (true) or 退回修改 (false).
    pub approved: bool,
    pub decision: String,
    #[serde(default)]
    pub notes: String,
    /// Attachment names (minutes, documents).
    #[serde(default)]
    pub attachments: Vec<String>,
}

/// Why a meeting cannot be recorded now, or the list cannot go to the vote.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum MeetingError {
    #[error("须先经{0}审议通过")]
    Before(&'static str),
    #[error("{0}已审议通过")]
    Done(&'static str),
}

/// Meetings happen in order: each needs the one before to have approved.
pub fn meeting_allowed(held: &[Meeting], kind: MeetingKind) -> Result<(), MeetingError> {
    let passed = |k: MeetingKind| held.iter().any(|m| m.kind == k && m.approved);
    if passed(kind) {
        return Err(MeetingError::Done(kind.label_zh()));
    }
    for k in MeetingKind::ORDER.iter().take_while(|k| **k != kind) {
        if !passed(*k) {
            return Err(MeetingError::Before(k.label_zh()));
        }
    }
    Ok(())
}

/// The list goes to the congress's vote only after all three approved.
pub fn ready_for_vote(held: &[Meeting]) -> Result<(), MeetingError> {
    for k in MeetingKind::ORDER {
        if !held.iter().any(|m| m.kind == k && m.approved) {
            return Err(MeetingError::Before(k.label_zh()));
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
