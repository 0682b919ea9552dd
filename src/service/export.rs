//! Excel 导出: the suggestion list, the declared projects and the candidate
//! list as XLSX, built off the async workers.

use super::{cpu, Services};
use crate::error::{Code, Error, Result};
use crate::hall::StaffRole;
use crate::store::{ProjectRow, Staff, SuggestionRow};
use crate::upstream::model::ProjectStatus;
use std::collections::HashMap;

/// A finished workbook and the name to save it under.
pub struct Workbook {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// One cell as Excel should hold it: numbers are numbers and dates are
/// dates, so sums, sorting and filters work.
enum Cell {
    Text(String),
    Number(f64),
    /// `YYYY-MM-DD`; anything else is written as text.
    Date(String),
}

/// A column: its heading and its width in characters.
type Column = (&'static str, f64);

fn xlsx(name: &str, sheet: &str, columns: &[Column], rows: Vec<Vec<Cell>>) -> Result<Workbook> {
    use rust_xlsxwriter::{ExcelDateTime, Format, FormatBorder};
    let fail = |e: rust_xlsxwriter::XlsxError| Error::internal(format!("生成 Excel 失败: {e}"));
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet).map_err(fail)?;
    let bold = Format::new().set_bold().set_border(FormatBorder::Thin);
    let text = Format::new().set_text_wrap().set_border(FormatBorder::Thin);
    let number = Format::new()
        .set_num_format("#,##0.00")
        .set_border(FormatBorder::Thin);
    let whole = Format::new()
        .set_num_format("0")
        .set_border(FormatBorder::Thin);
    let date = Format::new()
        .set_num_format("yyyy-mm-dd")
        .set_border(FormatBorder::Thin);
    for (c, (h, width)) in columns.iter().enumerate() {
        ws.write_with_format(0, c as u16, *h, &bold).map_err(fail)?;
        ws.set_column_width(c as u16, *width).map_err(fail)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let (r, mut c) = (r as u32 + 1, 0u16);
        for cell in row {
            match cell {
                Cell::Text(v) => ws.write_with_format(r, c, v, &text),
                Cell::Number(v) if v.fract() == 0.0 => {
                    ws.write_number_with_format(r, c, *v, &whole)
                }
                Cell::Number(v) => ws.write_number_with_format(r, c, *v, &number),
                Cell::Date(v) => {
                    let ymd: Vec<u32> = v.split('-').filter_map(|p| p.parse().ok()).collect();
                    match ymd.as_slice() {
                        [y, m, d] => match ExcelDateTime::from_ymd(*y as u16, *m as u8, *d as u8) {
                            Ok(dt) => ws.write_datetime_with_format(r, c, dt, &date),
                            Err(_) => ws.write_with_format(r, c, v, &text),
                        },
                        _ => ws.write_with_format(r, c, v, &text),
                    }
                }
            }
            .map_err(fail)?;
            c += 1;
        }
    }
    let last_col = columns.len().saturating_sub(1) as u16;
    ws.autofilter(0, 0, rows.len() as u32, last_col)
        .map_err(fail)?;
    ws.set_freeze_panes(1, 0).map_err(fail)?;
    ws.set_landscape();
    ws.set_paper_size(9); // A4
    Ok(Workbook {
        file_name: format!("{name}.xlsx"),
        bytes: book.save_to_buffer().map_err(fail)?,
    })
}

fn suggestion_cells(s: &SuggestionRow) -> Vec<Cell> {
    use Cell::*;
    vec![
        Number(s.id as f64),
        Text(s.tracking_no.clone()),
        Text(s.input.channel.label_zh().to_string()),
        Text(s.input.source.clone()),
        Text(s.input.place.town.clone()),
        Text(s.input.place.village.clone()),
        Text(s.input.category.clone()),
        Text(s.input.title.clone()),
        Text(s.input.text.clone()),
        Text(s.status_label.to_string()),
        Text(s.department.clone().unwrap_or_default()),
        Date(s.received_at.get(..10).unwrap_or("").to_string()),
    ]
}

fn project_cells(p: &ProjectRow, outcomes: &HashMap<String, &'static str>) -> Vec<Cell> {
    use Cell::*;
    let status = p
        .candidate_id
        .as_ref()
        .and_then(|c| outcomes.get(c).copied())
        .unwrap_or(p.status_label);
    vec![
        Text(p.candidate_id.clone().unwrap_or_else(|| p.id.to_string())),
        Text(p.doc.name.clone()),
        Text(p.doc.content.clone()),
        Text(p.doc.lead_unit.clone()),
        Text(p.doc.co_units.join("、")),
        Number(p.doc.investment_yuan as f64 / 10_000.0),
        Text(p.doc.funding_source.clone()),
        Date(p.doc.deadline.as_str().to_string()),
        Text(status.to_string()),
        Number(p.voice.calls as f64),
        Number(p.voice.suggestions as f64),
        Number(p.voice.towns as f64),
    ]
}

const SUGGESTION_COLUMNS: &[Column] = &[
    ("序号", 8.0),
    ("编号", 16.0),
    ("渠道", 10.0),
    ("来源", 14.0),
    ("苏木镇街道", 12.0),
    ("嘎查村社区", 12.0),
    ("类别", 8.0),
    ("标题", 24.0),
    ("内容", 48.0),
    ("状态", 14.0),
    ("承办部门", 16.0),
    ("收到日期", 12.0),
];

const PROJECT_COLUMNS: &[Column] = &[
    ("编号", 8.0),
    ("项目名称", 26.0),
    ("项目内容", 44.0),
    ("牵头单位", 18.0),
    ("配合单位", 18.0),
    ("投资（万元）", 13.0),
    ("资金来源", 14.0),
    ("完成时限", 12.0),
    ("状态", 16.0),
    // 民意指数: the calls and suggestions behind it, and their 苏木镇.
    ("热线信访（件）", 12.0),
    ("征集建议（条）", 12.0),
    ("涉及苏木镇（个）", 12.0),
];

/// 实施情况 (the yearly report of the decided projects).
const PROGRESS_COLUMNS: &[Column] = &[
    ("编号", 8.0),
    ("项目名称", 26.0),
    ("牵头单位", 18.0),
    ("状态", 10.0),
    ("完成进度（%）", 10.0),
    ("预算（万元）", 12.0),
    ("已支出（万元）", 12.0),
    ("方案审核", 10.0),
    ("滞后节点", 28.0),
    ("人大常委会决定", 32.0),
    ("视察（次）", 10.0),
    ("未答复督办建议（条）", 12.0),
    ("报告频次", 10.0),
    ("下次报告", 12.0),
    ("逾期未报", 10.0),
    ("代表满意度测评", 12.0),
    ("整改（项）", 10.0),
];

fn progress_cells(p: &super::follow::FollowView) -> Vec<Cell> {
    use Cell::*;
    vec![
        Text(
            p.candidate_id
                .clone()
                .unwrap_or_else(|| p.project_id.to_string()),
        ),
        Text(p.name.clone()),
        Text(p.department.clone()),
        Text(p.state_label.to_string()),
        Number(p.percent as f64),
        Number(
            p.plan
                .as_ref()
                .map_or(0.0, |x| x.budget_yuan as f64 / 10_000.0),
        ),
        Number(p.spent_yuan as f64 / 10_000.0),
        Text(
            if p.plan_checked {
                "已审核"
            } else {
                "未审核"
            }
            .into(),
        ),
        Text(
            p.late
                .iter()
                .map(|m| format!("{}（{}）", m.name, m.due.as_str()))
                .collect::<Vec<_>>()
                .join("；"),
        ),
        Text(
            p.decisions
                .iter()
                .map(|d| {
                    format!(
                        "{} {}（{}）：{}",
                        d.decision.date.as_str(),
                        d.state_label,
                        d.decision.document_no,
                        d.decision.notice
                    )
                })
                .collect::<Vec<_>>()
                .join("；"),
        ),
        Number(
            p.inspections
                .iter()
                .filter(|i| !i.inspection.rectify)
                .count() as f64,
        ),
        Number(p.open_items as f64),
        Text(
            p.plan
                .as_ref()
                .map_or("", |x| x.report_every.label_zh())
                .into(),
        ),
        match &p.next_report {
            Some(d) => Date(d.as_str().to_string()),
            None => Text(String::new()),
        },
        Text(if p.report_overdue { "是" } else { "" }.into()),
        Text(p.review.as_ref().map_or("", |r| r.rating_label).into()),
        Number(
            p.inspections
                .iter()
                .filter(|i| i.inspection.rectify)
                .count() as f64,
        ),
    ]
}

impl Services {
    /// 实施情况 in Excel: the yearly report's table, for staff and the public.
    pub async fn progress_book(&self) -> Result<Workbook> {
        let list = self.follow().await?;
        cpu(move || {
            let cells = list.projects.iter().map(progress_cells).collect();
            xlsx("民生实事项目实施情况", "实施情况", PROGRESS_COLUMNS, cells)
        })
        .await
    }

    /// `suggestions.xlsx` (a department: its own queue), `projects.xlsx`,
    /// `candidates.xlsx` or `progress.xlsx` (the decided projects' 实施情况).
    pub async fn export(&self, me: &Staff, what: &str) -> Result<Workbook> {
        match what {
            "suggestions.xlsx" => {
                let dept = (me.role == StaffRole::Department).then(|| me.display_name.clone());
                let rows = self
                    .store
                    .upstream_read(move |r| r.suggestions(dept.as_deref()))
                    .await?;
                cpu(move || {
                    let cells = rows.iter().map(suggestion_cells).collect();
                    xlsx("建议清单", "建议清单", SUGGESTION_COLUMNS, cells)
                })
                .await
            }
            "projects.xlsx" | "candidates.xlsx" => {
                let candidates = what == "candidates.xlsx";
                let rows = self.store.upstream_read(|r| r.projects()).await?;
                let outcomes = self.vote_outcomes().await?;
                cpu(move || {
                    let cells = rows
                        .iter()
                        .filter(|p| !candidates || p.status == ProjectStatus::Candidate)
                        .map(|p| project_cells(p, &outcomes))
                        .collect();
                    let (name, sheet) = if candidates {
                        ("候选项目清单", "候选项目")
                    } else {
                        ("备选项目申报表", "备选项目")
                    };
                    xlsx(name, sheet, PROJECT_COLUMNS, cells)
                })
                .await
            }
            "progress.xlsx" => self.progress_book().await,
            _ => Err(Error::new(Code::NotFound, "没有这个导出")),
        }
    }
}
