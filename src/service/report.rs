//! 年度实施情况报告: the year's decided projects as one printable A4 report
//! (and the same in Excel) — what the 人大常委会 reads and the next
//! session's report lists: status, money, milestones met and missed, the
//! decisions that adjusted, suspended or ended a project (文号, 公告),
//! inspections and their answers, 整改, the public's ratings and the
//! deputies' 满意度测评.

use super::follow::FollowView;
use super::present::{date_zh, yuan_wan};
use super::Services;
use crate::error::Result;
use crate::upstream::follow::State;

/// A milestone as the report prints it.
pub struct MilestoneLine {
    pub name: String,
    pub due: String,
    /// 已完成 / 滞后 / 未到期
    pub status: &'static str,
}

/// An inspection or a 整改 item, with its answer.
pub struct ItemLine {
    pub date: String,
    pub who: String,
    pub findings: String,
    pub suggestion: String,
    pub answer: String,
    pub rectify: bool,
}

pub struct ReportLine {
    pub no: usize,
    pub name: String,
    pub department: String,
    pub state_label: &'static str,
    /// 滞后 / 暂缓 / 终止 / 调整: printed in bold.
    pub flagged: bool,
    pub percent: u8,
    pub budget: String,
    pub spent: String,
    pub targets: String,
    pub cadence: &'static str,
    pub milestones: Vec<MilestoneLine>,
    pub last_done: String,
    pub last_problems: String,
    pub next_report: String,
    pub overdue: bool,
    pub items: Vec<ItemLine>,
    pub public: String,
    pub review: String,
}

/// A decision of the 人大常委会 that changed a project.
pub struct DecisionLine {
    pub project: String,
    pub state_label: &'static str,
    pub date: String,
    pub document_no: String,
    pub notice: String,
}

pub struct YearReport {
    pub title: String,
    pub as_of: String,
    pub projects: Vec<ReportLine>,
    /// (状态, 个数), in the order of `State`.
    pub by_state: Vec<(&'static str, usize)>,
    pub budget: String,
    pub spent: String,
    pub reports: usize,
    pub overdue: usize,
    pub inspections: usize,
    pub open_items: usize,
    pub rectify: usize,
    pub public: String,
    pub decisions: Vec<DecisionLine>,
    /// The 满意度测评: its title and (满意, 基本满意, 不满意) counts of projects.
    pub review: Option<(String, usize, usize, usize)>,
}

fn line(no: usize, p: &FollowView, today: &str) -> ReportLine {
    let plan = p.plan.as_ref();
    let milestones = plan
        .map(|plan| {
            plan.milestones
                .iter()
                .enumerate()
                .map(|(i, m)| MilestoneLine {
                    name: m.name.clone(),
                    due: date_zh(m.due.as_str()),
                    status: if p.milestones_met.contains(&i) {
                        "已完成"
                    } else if m.due.as_str() < today {
                        "滞后"
                    } else {
                        "未到期"
                    },
                })
                .collect()
        })
        .unwrap_or_default();
    let last = p.reports.last();
    ReportLine {
        no,
        name: p.name.clone(),
        department: p.department.clone(),
        state_label: p.state_label,
        flagged: !matches!(p.state, State::OnTrack | State::Done),
        percent: p.percent,
        budget: plan.map_or_else(|| "—".into(), |x| yuan_wan(x.budget_yuan)),
        spent: yuan_wan(p.spent_yuan),
        targets: plan.map_or_else(|| "（尚无实施方案）".into(), |x| x.targets.clone()),
        cadence: plan.map_or("", |x| x.report_every.label_zh()),
        milestones,
        last_done: last.map_or_else(String::new, |r| {
            format!("{}：{}", date_zh(r.report.as_of.as_str()), r.report.done)
        }),
        last_problems: last.map_or_else(String::new, |r| r.report.problems.clone()),
        next_report: p
            .next_report
            .as_ref()
            .map_or_else(String::new, |d| date_zh(d.as_str())),
        overdue: p.report_overdue,
        items: p
            .inspections
            .iter()
            .map(|i| ItemLine {
                date: date_zh(i.inspection.date.as_str()),
                who: i.inspection.group.clone(),
                findings: i.inspection.findings.clone(),
                suggestion: i.inspection.suggestion.clone().unwrap_or_default(),
                answer: i.answer.clone().unwrap_or_default(),
                rectify: i.inspection.rectify,
            })
            .collect(),
        public: format!(
            "满意 {}、基本满意 {}、不满意 {}",
            p.ratings.satisfied, p.ratings.basically_satisfied, p.ratings.unsatisfied
        ),
        review: p.review.as_ref().map_or_else(String::new, |r| {
            format!(
                "{}（满意 {}、基本满意 {}、不满意 {}、未表态 {}）",
                r.rating_label,
                r.counts.satisfied,
                r.counts.basically_satisfied,
                r.counts.unsatisfied,
                r.counts.no_opinion
            )
        }),
    }
}

impl Services {
    /// The year's report as of today.
    pub async fn year_report(&self) -> Result<YearReport> {
        let list = self.follow().await?;
        let today = list.today.as_str().to_string();
        let ps = &list.projects;
        let states = [
            State::OnTrack,
            State::Late,
            State::Done,
            State::Adjusted,
            State::Suspended,
            State::Terminated,
        ];
        let sum = |f: &dyn Fn(&FollowView) -> u64| ps.iter().map(f).sum::<u64>();
        let rated = |label: &str| {
            ps.iter()
                .filter(|p| p.review.as_ref().is_some_and(|r| r.rating_label == label))
                .count()
        };
        let review = ps.iter().find_map(|p| p.review.as_ref()).map(|r| {
            (
                r.title.clone(),
                rated("满意"),
                rated("基本满意"),
                rated("不满意"),
            )
        });
        // The year the projects were decided for (the earliest, when years overlap).
        let title_year = ps
            .iter()
            .map(|p| p.year)
            .min()
            .map_or_else(String::new, |y| format!("{y}年"));
        Ok(YearReport {
            title: format!("{title_year}民生实事项目实施情况报告"),
            as_of: date_zh(&today),
            projects: ps
                .iter()
                .enumerate()
                .map(|(i, p)| line(i + 1, p, &today))
                .collect(),
            by_state: states
                .iter()
                .map(|s| (s.label_zh(), ps.iter().filter(|p| p.state == *s).count()))
                .filter(|(_, n)| *n > 0)
                .collect(),
            budget: yuan_wan(sum(&|p| p.plan.as_ref().map_or(0, |x| x.budget_yuan))),
            spent: yuan_wan(sum(&|p| p.spent_yuan)),
            reports: ps.iter().map(|p| p.reports.len()).sum(),
            overdue: ps.iter().filter(|p| p.report_overdue).count(),
            inspections: ps
                .iter()
                .flat_map(|p| &p.inspections)
                .filter(|i| !i.inspection.rectify)
                .count(),
            open_items: ps.iter().map(|p| p.open_items).sum(),
            rectify: ps
                .iter()
                .flat_map(|p| &p.inspections)
                .filter(|i| i.inspection.rectify)
                .count(),
            public: format!(
                "满意 {}、基本满意 {}、不满意 {}",
                sum(&|p| p.ratings.satisfied),
                sum(&|p| p.ratings.basically_satisfied),
                sum(&|p| p.ratings.unsatisfied)
            ),
            decisions: ps
                .iter()
                .flat_map(|p| {
                    p.decisions.iter().map(|d| DecisionLine {
                        project: p.name.clone(),
                        state_label: d.state_label,
                        date: date_zh(d.decision.date.as_str()),
                        document_no: d.decision.document_no.clone(),
                        notice: d.decision.notice.clone(),
                    })
                })
                .collect(),
            review,
        })
    }
}
