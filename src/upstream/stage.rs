//! 年度与阶段: the year's stages, what each allows, who may do what.

use serde::{Deserialize, Serialize};

/// The stages of the 产生办法, in order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 征集项目
    Collect,
    /// 初选申报
    Declare,
    /// 审核论证
    Review,
    /// 征求意见
    Consult,
    /// 确定候选
    Approve,
    /// 票决
    Vote,
}

impl Stage {
    pub const ALL: [Stage; 6] = [
        Stage::Collect,
        Stage::Declare,
        Stage::Review,
        Stage::Consult,
        Stage::Approve,
        Stage::Vote,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Collect => "collect",
            Stage::Declare => "declare",
            Stage::Review => "review",
            Stage::Consult => "consult",
            Stage::Approve => "approve",
            Stage::Vote => "vote",
        }
    }
    pub fn parse(s: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|x| x.as_str() == s)
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Stage::Collect => "征集项目",
            Stage::Declare => "初选申报",
            Stage::Review => "审核论证",
            Stage::Consult => "征求意见",
            Stage::Approve => "确定候选",
            Stage::Vote => "票决",
        }
    }
    /// The stage after this one; the last has none.
    pub fn next(self) -> Option<Stage> {
        let i = Stage::ALL.iter().position(|s| *s == self)?;
        Stage::ALL.get(i + 1).copied()
    }
}

/// Everything the upstream stages let someone do.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// 公开征集: the public form.
    SubmitPublic,
    /// 定向征集 / 专题征集: staff enter a suggestion.
    EnterSuggestion,
    /// 常态化收集: 12345 hotline and petition records, all year.
    ImportHotline,
    /// 建议清单: compile the list and send it to departments.
    CompileList,
    /// 初选申报: a department declares (or amends) a project.
    Declare,
    /// 审核论证: the working group's assessment.
    Assess,
    /// Rule a project out, with the reason.
    Exclude,
    /// Merge similar projects.
    Merge,
    /// 讨论稿: a new version of the discussion draft.
    SaveDraft,
    /// 协调会 confirmations, opinions sought, responses, 送审方案.
    Consult,
    /// The declaring department amends its own project: while declaring, and
    /// in review until the review has passed it (see
    /// [`crate::upstream::model::ProjectStatus::open_to_department`]).
    Amend,
    /// The working group revises a project (after review, opinions or a meeting).
    Revise,
    /// 本年度重大项目: the year's list of major projects, for exclusions.
    ImportMajors,
    /// 主任会议 → 常务会议 → 区委常委会: record a meeting.
    Meeting,
    /// Turn the approved list into the vote round's candidates.
    MakeRound,
    /// Move the year to its next stage.
    Advance,
    /// Add or change working-group members.
    ManageGroup,
    /// 热点专题: name, merge and split the hot topics found.
    CurateTopics,
    /// 实施方案: check a decided project's implementation plan.
    CheckPlan,
}

impl Action {
    pub fn label_zh(self) -> &'static str {
        match self {
            Action::SubmitPublic => "提交建议",
            Action::EnterSuggestion => "录入定向/专题征集建议",
            Action::ImportHotline => "导入12345热线与信访记录",
            Action::CompileList => "汇总建议清单",
            Action::Declare => "申报备选项目",
            Action::Assess => "审核论证",
            Action::Exclude => "排除项目",
            Action::Merge => "合并相近项目",
            Action::SaveDraft => "保存讨论稿",
            Action::Consult => "征求意见",
            Action::Revise => "修改项目",
            Action::Amend => "修改本部门申报的项目",
            Action::ImportMajors => "导入本年度重大项目",
            Action::Meeting => "记录审议会议",
            Action::MakeRound => "生成票决候选清单",
            Action::Advance => "进入下一阶段",
            Action::ManageGroup => "管理工作组成员",
            Action::CurateTopics => "整理热点专题",
            Action::CheckPlan => "审核实施方案",
        }
    }

    /// The stages in which this action may be taken.
    pub fn stages(self) -> &'static [Stage] {
        use Stage::*;
        match self {
            Action::SubmitPublic | Action::EnterSuggestion => &[Collect],
            Action::ImportHotline
            | Action::Advance
            | Action::ManageGroup
            | Action::CurateTopics
            | Action::CheckPlan => &Stage::ALL,
            Action::CompileList => &[Collect, Declare],
            Action::Declare => &[Declare],
            Action::Assess | Action::Exclude | Action::Merge => &[Review],
            Action::SaveDraft => &[Review, Consult],
            Action::Revise => &[Review, Consult, Approve],
            Action::Amend => &[Declare, Review],
            Action::ImportMajors => &[Collect, Declare, Review],
            Action::Consult => &[Consult],
            Action::Meeting | Action::MakeRound => &[Approve],
        }
    }
}

/// Why an action is refused now.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum StageError {
    #[error("当前是“{now}”阶段，不能{action}（只在{allowed}阶段）")]
    WrongStage {
        now: &'static str,
        action: &'static str,
        allowed: String,
    },
    #[error("“{0}”是最后一个阶段")]
    Last(&'static str),
    #[error("您在工作组中的角色不能{0}")]
    Role(&'static str),
}

/// May `action` be taken while the year is in `stage`?
pub fn allowed(stage: Stage, action: Action) -> Result<(), StageError> {
    if action.stages().contains(&stage) {
        return Ok(());
    }
    Err(StageError::WrongStage {
        now: stage.label_zh(),
        action: action.label_zh(),
        allowed: action
            .stages()
            .iter()
            .map(|s| s.label_zh())
            .collect::<Vec<_>>()
            .join("、"),
    })
}

/// The working group's roles (工作组).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "role", content = "domain")]
pub enum GroupRole {
    /// 组长: everything, and alone moves the stage forward.
    Leader,
    /// 副组长: everything but moving the stage and managing members.
    DeputyLeader,
    /// 成员: entering, assessing, consulting; not excluding or merging.
    Member,
    /// 临时成员 for one domain (a suggestion category): assessing in it only.
    Temporary(String),
}

impl GroupRole {
    pub fn label_zh(&self) -> String {
        match self {
            GroupRole::Leader => "组长".into(),
            GroupRole::DeputyLeader => "副组长".into(),
            GroupRole::Member => "成员".into(),
            GroupRole::Temporary(d) => format!("临时成员（{d}）"),
        }
    }

    /// May this member take `action` on something of `domain` (a category)?
    pub fn may(&self, action: Action, domain: Option<&str>) -> Result<(), StageError> {
        let ok = match self {
            GroupRole::Leader => true,
            GroupRole::DeputyLeader => !matches!(action, Action::Advance | Action::ManageGroup),
            GroupRole::Member => !matches!(
                action,
                Action::Advance
                    | Action::ManageGroup
                    | Action::Exclude
                    | Action::ImportMajors
                    | Action::Merge
                    | Action::MakeRound
                    | Action::Meeting
            ),
            GroupRole::Temporary(d) => {
                action == Action::Assess && domain.is_some_and(|x| x == d.as_str())
            }
        };
        if ok {
            Ok(())
        } else {
            Err(StageError::Role(action.label_zh()))
        }
    }
}

/// Things staff should be told about the collection period (not refusals):
/// collection opens in the third quarter and lasts at least a month.
pub fn collection_warnings(
    opened: chrono::NaiveDate,
    closed: Option<chrono::NaiveDate>,
) -> Vec<String> {
    use chrono::Datelike;
    let mut w = vec![];
    if !(7..=9).contains(&opened.month()) {
        w.push(format!(
            "征集于 {opened} 开始：按办法，征集一般在第三季度（7–9 月）开始"
        ));
    }
    if let Some(c) = closed {
        let days = (c - opened).num_days();
        if days < 30 {
            w.push(format!(
                "征集只持续了 {days} 天：按办法，征集期不少于一个月"
            ));
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_stage_allows_only_its_own_actions_and_hotline_all_year() {
        assert!(allowed(Stage::Collect, Action::SubmitPublic).is_ok());
        let e = allowed(Stage::Review, Action::SubmitPublic).unwrap_err();
        assert!(
            e.to_string().contains("审核论证") && e.to_string().contains("征集项目"),
            "{e}"
        );
        for s in Stage::ALL {
            assert!(allowed(s, Action::ImportHotline).is_ok());
        }
        assert!(allowed(Stage::Declare, Action::Declare).is_ok());
        assert!(allowed(Stage::Review, Action::Declare).is_err());
        assert!(allowed(Stage::Review, Action::Merge).is_ok());
        assert!(allowed(Stage::Consult, Action::Merge).is_err());
        assert!(allowed(Stage::Approve, Action::MakeRound).is_ok());
        assert!(allowed(Stage::Vote, Action::Meeting).is_err());
    }

    #[test]
    fn a_department_amends_only_while_declaring_and_the_group_revises_after() {
        // The department's own amendment: while declaring and in review (to
        // supply what the reviewers found missing), never once opinions are
        // sought or the list is decided (no 1,000,000 → 99,000,000 then).
        for s in [Stage::Review, Stage::Consult, Stage::Approve, Stage::Vote] {
            assert!(allowed(s, Action::Declare).is_err(), "{s:?}");
        }
        assert!(allowed(Stage::Declare, Action::Amend).is_ok());
        assert!(allowed(Stage::Review, Action::Amend).is_ok());
        for s in [Stage::Consult, Stage::Approve, Stage::Vote] {
            assert!(allowed(s, Action::Amend).is_err(), "{s:?}");
        }
        for s in [Stage::Review, Stage::Consult, Stage::Approve] {
            assert!(allowed(s, Action::Revise).is_ok(), "{s:?}");
        }
        assert!(allowed(Stage::Declare, Action::Revise).is_err());
        assert!(allowed(Stage::Vote, Action::Revise).is_err());
        // 讨论稿 in review, 送审方案 while consulting: one table says both.
        assert!(allowed(Stage::Review, Action::SaveDraft).is_ok());
        assert!(allowed(Stage::Consult, Action::SaveDraft).is_ok());
        assert!(allowed(Stage::Approve, Action::SaveDraft).is_err());
        assert!(allowed(Stage::Approve, Action::ImportMajors).is_err());
        assert!(GroupRole::Member.may(Action::ImportMajors, None).is_err());
    }

    #[test]
    fn stages_move_forward_one_at_a_time() {
        assert_eq!(Stage::Collect.next(), Some(Stage::Declare));
        assert_eq!(Stage::Approve.next(), Some(Stage::Vote));
        assert_eq!(Stage::Vote.next(), None);
        for s in Stage::ALL {
            assert_eq!(Stage::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn roles_allow_what_they_should() {
        assert!(GroupRole::Leader.may(Action::Advance, None).is_ok());
        assert!(GroupRole::DeputyLeader.may(Action::Advance, None).is_err());
        assert!(GroupRole::DeputyLeader.may(Action::Merge, None).is_ok());
        assert!(GroupRole::Member.may(Action::Assess, None).is_ok());
        assert!(GroupRole::Member.may(Action::Exclude, None).is_err());
        let t = GroupRole::Temporary("教育".into());
        assert!(t.may(Action::Assess, Some("教育")).is_ok());
        assert!(t.may(Action::Assess, Some("交通")).is_err());
        assert!(t.may(Action::EnterSuggestion, Some("教育")).is_err());
    }

    #[test]
    fn collection_dates_are_warned_about_not_refused() {
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(collection_warnings(d("2026-07-15"), Some(d("2026-09-15"))).is_empty());
        let w = collection_warnings(d("2026-05-01"), Some(d("2026-05-20")));
        assert_eq!(w.len(), 2, "{w:?}");
    }
}
