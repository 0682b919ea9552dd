//! 实施与监督 (第十七条): what follows the vote for a decided project — its
//! implementation plan, the department's progress reports, the status they
//! give it, the 人大常委会's decisions that alone may adjust, suspend or
//! end it, and the deputies' inspections with their 督办建议. Pure rules;
//! the store keeps them and the audit chain records each.

use super::model::{need, Problem};
use crate::core::record::Date;
use serde::{Deserialize, Serialize};

/// A milestone of the plan: what is to be done by when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Milestone {
    pub name: String,
    pub due: Date,
}

/// A cross-year project's goal for one year (第十条、第十三条).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageGoal {
    pub year: u32,
    pub goal: String,
}

/// 实施方案: entered by the lead department, checked by the working group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub lead_unit: String,
    #[serde(default)]
    pub co_units: Vec<String>,
    /// 年度目标
    pub targets: String,
    pub milestones: Vec<Milestone>,
    pub budget_yuan: u64,
    pub funding_source: String,
    /// 责任人
    pub responsible: String,
    /// A cross-year project's goals, year by year.
    #[serde(default)]
    pub stage_goals: Vec<StageGoal>,
    /// How often the department reports (default monthly).
    #[serde(default, skip_serializing_if = "Cadence::is_monthly")]
    pub report_every: Cadence,
}

/// 报告频次: monthly, or at each milestone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cadence {
    /// 按月报告: a report within a month of the last (or of the first milestone).
    #[default]
    Monthly,
    /// 按节点报告: a report on or after each milestone's date.
    Milestone,
}

impl Cadence {
    pub fn is_monthly(&self) -> bool {
        *self == Cadence::Monthly
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Cadence::Monthly => "按月",
            Cadence::Milestone => "按节点",
        }
    }
}

/// `d` plus `days` (a calendar date; `None` only past the year 9999).
fn plus_days(d: &Date, days: i64) -> Option<Date> {
    let n = chrono::NaiveDate::parse_from_str(d.as_str(), "%Y-%m-%d").ok()?;
    let m = n.checked_add_signed(chrono::Duration::days(days))?;
    Date::parse(&m.format("%Y-%m-%d").to_string()).ok()
}

/// When the next progress report is due under the plan's cadence, given
/// the dates the reports were made as of (ascending): monthly, 31 days
/// after the last report (before any, on the first milestone's date); at
/// milestones, the first milestone's date not yet followed by a report.
/// `None`: nothing more is due (every milestone reported on).
pub fn next_report(plan: &Plan, reported: &[Date]) -> Option<Date> {
    let first_due = plan
        .milestones
        .iter()
        .map(|m| &m.due)
        .min_by(|a, b| a.as_str().cmp(b.as_str()))
        .cloned();
    match plan.report_every {
        Cadence::Monthly => match reported.last() {
            Some(d) => plus_days(d, 31),
            None => first_due,
        },
        Cadence::Milestone => {
            let mut dues: Vec<&Date> = plan.milestones.iter().map(|m| &m.due).collect();
            dues.sort_by(|a, b| a.as_str().cmp(b.as_str()));
            dues.into_iter()
                .find(|due| !reported.iter().any(|r| r.as_str() >= due.as_str()))
                .cloned()
        }
    }
}

impl Plan {
    pub fn problems(&self) -> Vec<Problem> {
        let mut p = vec![];
        need(&mut p, "lead_unit", "牵头单位", &self.lead_unit, 60);
        need(&mut p, "targets", "年度目标", &self.targets, 2000);
        need(
            &mut p,
            "funding_source",
            "资金来源",
            &self.funding_source,
            100,
        );
        need(&mut p, "responsible", "责任人", &self.responsible, 40);
        if self.milestones.is_empty() || self.milestones.len() > 50 {
            p.push(Problem {
                field: "milestones",
                message: "实施方案应有 1 至 50 个节点".into(),
            });
        }
        for m in &self.milestones {
            need(&mut p, "milestones", "节点名称", &m.name, 100);
        }
        if self.budget_yuan == 0 {
            p.push(Problem {
                field: "budget_yuan",
                message: "缺少预算".into(),
            });
        }
        for g in &self.stage_goals {
            need(&mut p, "stage_goals", "阶段目标", &g.goal, 500);
        }
        p
    }
}

/// 进展报告: the department's report on where the project stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    pub as_of: Date,
    /// Percent done, 0–100.
    pub percent: u8,
    pub spent_yuan: u64,
    /// What was done.
    pub done: String,
    #[serde(default)]
    pub problems: String,
    /// The plan's milestones met so far (by their place in the plan, from 0).
    #[serde(default)]
    pub milestones_met: Vec<usize>,
}

impl Report {
    pub fn problems(&self, plan: &Plan) -> Vec<Problem> {
        let mut p = vec![];
        need(&mut p, "done", "完成情况", &self.done, 2000);
        if self.problems.chars().count() > 2000 {
            p.push(Problem {
                field: "problems",
                message: "存在问题过长（至多 2000 字）".into(),
            });
        }
        if self.percent > 100 {
            p.push(Problem {
                field: "percent",
                message: "完成进度应在 0 到 100 之间".into(),
            });
        }
        if let Some(m) = self
            .milestones_met
            .iter()
            .find(|&&m| m >= plan.milestones.len())
        {
            p.push(Problem {
                field: "milestones_met",
                message: format!("实施方案没有第 {} 个节点", m + 1),
            });
        }
        p
    }
}

/// Where a decided project stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// 按计划
    OnTrack,
    /// 滞后: a milestone is past its date and not met.
    Late,
    /// 已完成
    Done,
    /// 调整 (by decision)
    Adjusted,
    /// 暂缓 (by decision)
    Suspended,
    /// 终止 (by decision)
    Terminated,
}

impl State {
    pub fn label_zh(self) -> &'static str {
        match self {
            State::OnTrack => "按计划",
            State::Late => "滞后",
            State::Done => "已完成",
            State::Adjusted => "调整",
            State::Suspended => "暂缓",
            State::Terminated => "终止",
        }
    }

    /// The states only a decision of the 人大常委会 gives.
    pub fn needs_decision(self) -> bool {
        matches!(self, State::Adjusted | State::Suspended | State::Terminated)
    }
}

/// 人大常委会's decision to adjust, suspend or end a project, with its
/// public notice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    pub state: State,
    pub date: Date,
    /// 文号
    pub document_no: String,
    /// 公告: what the public is told.
    pub notice: String,
}

impl Decision {
    pub fn problems(&self) -> Vec<Problem> {
        let mut p = vec![];
        if !self.state.needs_decision() {
            p.push(Problem {
                field: "state",
                message: "常委会决定只用于调整、暂缓或终止".into(),
            });
        }
        need(&mut p, "document_no", "决定文号", &self.document_no, 60);
        need(&mut p, "notice", "公告内容", &self.notice, 2000);
        p
    }
}

/// 视察: a deputies' inspection group's visit, and its 督办建议.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inspection {
    pub date: Date,
    /// Who went (the group and its deputies).
    pub group: String,
    pub place: String,
    pub findings: String,
    /// 督办建议, which the department must answer.
    #[serde(default)]
    pub suggestion: Option<String>,
    /// 整改: made by a 满意度测评 that rated the project 不满意 (the
    /// department answers it as it answers a 督办建议). Never set by hand.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rectify: bool,
}

impl Inspection {
    pub fn problems(&self) -> Vec<Problem> {
        let mut p = vec![];
        need(&mut p, "group", "视察组", &self.group, 200);
        need(&mut p, "place", "视察地点", &self.place, 200);
        need(&mut p, "findings", "视察发现", &self.findings, 2000);
        if let Some(s) = &self.suggestion {
            need(&mut p, "suggestion", "督办建议", s, 2000);
        }
        p
    }
}

/// What a photo or scan belongs to: the project as a whole, one of its
/// progress reports, or one of its inspections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttachedTo {
    Project,
    Report(i64),
    Inspection(i64),
}

/// Whether a project decided in an earlier year runs into `year`, and its
/// goal there: the plan's stage goal for that year, or — with none written
/// — its deadline in or after that year.
pub fn carries_into(plan: Option<&Plan>, deadline: &Date, year: u32) -> Option<String> {
    if let Some(g) = plan.and_then(|p| p.stage_goals.iter().find(|g| g.year == year)) {
        return Some(g.goal.clone());
    }
    let ends: u32 = deadline.as_str().get(..4)?.parse().ok()?;
    (ends >= year).then(|| format!("继续实施，完成时限 {}", deadline.as_str()))
}

/// The largest photo or scan, in bytes.
pub const ATTACHMENT_MAX: usize = 10 * 1024 * 1024;

/// What an uploaded photo or scan is, by its first bytes: a JPEG or PNG
/// photo, or a PDF scan; anything else is refused.
pub fn attachment_kind(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("jpeg")
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("png")
    } else if head.starts_with(b"%PDF-") {
        Some("pdf")
    } else {
        None
    }
}

/// 民生码: a member of the public's rating of a project.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PublicRating {
    Satisfied,
    BasicallySatisfied,
    Unsatisfied,
}

impl PublicRating {
    pub fn as_str(self) -> &'static str {
        match self {
            PublicRating::Satisfied => "satisfied",
            PublicRating::BasicallySatisfied => "basically_satisfied",
            PublicRating::Unsatisfied => "unsatisfied",
        }
    }

    pub fn parse(s: &str) -> Option<PublicRating> {
        [
            PublicRating::Satisfied,
            PublicRating::BasicallySatisfied,
            PublicRating::Unsatisfied,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// The longest public comment, in characters.
pub const COMMENT_MAX: usize = 200;

/// A comment as the public page shows it: no contact — every run of seven
/// or more digits (a phone number) masked.
pub fn masked(comment: &str) -> String {
    let digit = |c: char| c.is_ascii_digit() || ('０'..='９').contains(&c);
    let mut out = String::new();
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        // Separators after the last digit are not part of the number.
        let core = run.trim_end_matches(|c| !digit(c)).to_string();
        let tail = run[core.len()..].to_string();
        if core.chars().filter(|&c| digit(c)).count() >= 7 {
            out.extend(std::iter::repeat_n('*', core.chars().count()));
        } else {
            out.push_str(&core);
        }
        out.push_str(&tail);
        run.clear();
    };
    for c in comment.chars() {
        if digit(c) || (matches!(c, '-' | ' ') && !run.is_empty()) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Whether a report is overdue on `today`: one was due before it, and the
/// project still runs (a project done, suspended or ended reports no more).
pub fn report_overdue(next: Option<&Date>, state: State, today: &Date) -> bool {
    let running = matches!(state, State::OnTrack | State::Late | State::Adjusted);
    running && next.is_some_and(|d| d.as_str() < today.as_str())
}

/// The milestones past their date on `today` and not met.
pub fn late<'a>(plan: &'a Plan, met: &[usize], today: &Date) -> Vec<&'a Milestone> {
    plan.milestones
        .iter()
        .enumerate()
        .filter(|(i, m)| !met.contains(i) && m.due.as_str() < today.as_str())
        .map(|(_, m)| m)
        .collect()
}

/// Where a project stands on `today`: the last decision's state if it
/// suspended or ended it, or adjusted it with no report since; otherwise
/// its reports say — 已完成 at 100% with every milestone met, 滞后 with a
/// milestone past its date, else 按计划. `last_decision_after_report`:
/// whether the last decision came after the last report.
pub fn state(
    plan: Option<&Plan>,
    last_report: Option<&Report>,
    met: &[usize],
    last_decision: Option<(&Decision, bool)>,
    today: &Date,
) -> State {
    if let Some((d, after)) = last_decision {
        if matches!(d.state, State::Suspended | State::Terminated) || after {
            return d.state;
        }
    }
    let Some(plan) = plan else {
        return State::OnTrack;
    };
    let all_met = (0..plan.milestones.len()).all(|i| met.contains(&i));
    if last_report.is_some_and(|r| r.percent == 100) && all_met {
        return State::Done;
    }
    if late(plan, met, today).is_empty() {
        State::OnTrack
    } else {
        State::Late
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn plan() -> Plan {
        Plan {
            lead_unit: "区教育局".into(),
            co_units: vec![],
            targets: "提升5所学校食堂".into(),
            milestones: vec![
                Milestone {
                    name: "完成设计".into(),
                    due: d("2027-03-31"),
                },
                Milestone {
                    name: "完成施工".into(),
                    due: d("2027-09-30"),
                },
            ],
            budget_yuan: 3_200_000,
            funding_source: "区级财政".into(),
            responsible: "王主任".into(),
            stage_goals: vec![],
            report_every: Cadence::Monthly,
        }
    }

    #[test]
    fn reports_fall_due_by_the_plans_cadence() {
        let p = plan();
        // Monthly: the first on the first milestone's date, then 31 days after the last.
        assert_eq!(next_report(&p, &[]), Some(d("2027-03-31")));
        assert_eq!(next_report(&p, &[d("2027-01-31")]), Some(d("2027-03-03")));
        assert_eq!(next_report(&p, &[d("2027-12-15")]), Some(d("2028-01-15")));
        // At milestones: the first milestone with no report on or after its date.
        let m = Plan {
            report_every: Cadence::Milestone,
            ..plan()
        };
        assert_eq!(next_report(&m, &[d("2027-03-30")]), Some(d("2027-03-31")));
        assert_eq!(next_report(&m, &[d("2027-03-31")]), Some(d("2027-09-30")));
        assert_eq!(next_report(&m, &[d("2027-04-01"), d("2027-10-02")]), None);
        // Overdue only while the project runs.
        let due = d("2027-03-03");
        assert!(report_overdue(Some(&due), State::OnTrack, &d("2027-03-04")));
        assert!(!report_overdue(
            Some(&due),
            State::OnTrack,
            &d("2027-03-03")
        ));
        assert!(report_overdue(Some(&due), State::Late, &d("2027-05-01")));
        for s in [State::Done, State::Suspended, State::Terminated] {
            assert!(!report_overdue(Some(&due), s, &d("2027-05-01")), "{s:?}");
        }
        assert!(!report_overdue(None, State::OnTrack, &d("2027-05-01")));
        // The cadence is in the plan's JSON only when it is not the default.
        let json = serde_json::to_string(&m).unwrap();
        assert!(json.contains("\"report_every\":\"milestone\""), "{json}");
        assert!(!serde_json::to_string(&p).unwrap().contains("report_every"));
    }

    fn report(percent: u8, met: Vec<usize>) -> Report {
        Report {
            as_of: d("2027-04-30"),
            percent,
            spent_yuan: 1,
            done: "设计完成".into(),
            problems: String::new(),
            milestones_met: met,
        }
    }

    #[test]
    fn a_cross_year_project_carries_its_stage_goal_into_the_next_year() {
        let mut p = plan();
        p.stage_goals = vec![StageGoal {
            year: 2028,
            goal: "完成其余3所".into(),
        }];
        let done_2027 = d("2027-11-30");
        assert_eq!(
            carries_into(Some(&p), &done_2027, 2028).as_deref(),
            Some("完成其余3所")
        );
        assert_eq!(
            carries_into(None, &done_2027, 2028),
            None,
            "ends within its year"
        );
        assert_eq!(
            carries_into(None, &d("2028-06-30"), 2028).as_deref(),
            Some("继续实施，完成时限 2028-06-30")
        );
    }

    #[test]
    fn only_photos_and_scans_are_attached() {
        assert_eq!(attachment_kind(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("jpeg"));
        assert_eq!(attachment_kind(b"\x89PNG\r\n\x1a\n...."), Some("png"));
        assert_eq!(attachment_kind(b"%PDF-1.7"), Some("pdf"));
        assert_eq!(attachment_kind(b"<html>"), None);
        assert_eq!(attachment_kind(b""), None);
    }

    #[test]
    fn a_comment_never_shows_a_phone_number() {
        assert_eq!(
            masked("施工扰民，电话13912345678"),
            "施工扰民，电话***********"
        );
        assert_eq!(masked("139 1234 5678 找我"), "************* 找我");
        assert_eq!(masked("完成了80%，很好"), "完成了80%，很好");
        assert_eq!(masked("２０２７年"), "２０２７年");
    }

    #[test]
    fn a_plan_and_a_report_name_what_they_lack() {
        assert!(plan().problems().is_empty());
        let mut p = plan();
        p.milestones.clear();
        p.responsible = " ".into();
        let fields: Vec<&str> = p.problems().iter().map(|x| x.field).collect();
        assert_eq!(fields, ["responsible", "milestones"]);
        let r = report(101, vec![2]);
        let fields: Vec<&str> = r.problems(&plan()).iter().map(|x| x.field).collect();
        assert_eq!(fields, ["percent", "milestones_met"]);
    }

    #[test]
    fn the_state_follows_the_milestones_and_only_a_decision_suspends() {
        let p = plan();
        let today = d("2027-04-01");
        // The design was due on 31 March and is not met: late.
        assert_eq!(state(Some(&p), None, &[], None, &today), State::Late);
        assert_eq!(late(&p, &[], &today).len(), 1);
        // On its date it is not late yet.
        assert_eq!(
            state(Some(&p), None, &[], None, &d("2027-03-31")),
            State::OnTrack
        );
        let r = report(40, vec![0]);
        assert_eq!(
            state(Some(&p), Some(&r), &[0], None, &today),
            State::OnTrack
        );
        let done = report(100, vec![0, 1]);
        assert_eq!(
            state(Some(&p), Some(&done), &[0, 1], None, &d("2027-12-01")),
            State::Done
        );
        // 100% with a milestone unmet is not done.
        let r = report(100, vec![0]);
        assert_eq!(
            state(Some(&p), Some(&r), &[0], None, &d("2027-12-01")),
            State::Late
        );
        let pause = Decision {
            state: State::Suspended,
            date: d("2027-05-10"),
            document_no: "石人常〔2027〕12号".into(),
            notice: "因选址调整暂缓实施".into(),
        };
        assert!(pause.problems().is_empty());
        // Suspended stays suspended, whatever is reported after.
        assert_eq!(
            state(Some(&p), Some(&r), &[0], Some((&pause, false)), &today),
            State::Suspended
        );
        // An adjustment shows until the next report.
        let adjust = Decision {
            state: State::Adjusted,
            ..pause.clone()
        };
        assert_eq!(
            state(Some(&p), Some(&r), &[0], Some((&adjust, true)), &today),
            State::Adjusted
        );
        assert_eq!(
            state(Some(&p), Some(&r), &[0], Some((&adjust, false)), &today),
            State::OnTrack
        );
        // A decision is only for the states that need one, with its number and notice.
        let bad = Decision {
            state: State::Done,
            document_no: String::new(),
            ..pause
        };
        let fields: Vec<&str> = bad.problems().iter().map(|x| x.field).collect();
        assert_eq!(fields, ["state", "document_no"]);
    }
}
