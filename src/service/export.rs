//! Excel 导出: the suggestion list, the declared projects and the candidate
//! list as XLSX, built off the async workers.

use super::present::{date_zh, yuan_wan};
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

fn xlsx(name: &str, sheet: &str, header: &[&str], rows: Vec<Vec<String>>) -> Result<Workbook> {
    let fail = |e: rust_xlsxwriter::XlsxError| Error::internal(format!("生成 Excel 失败: {e}"));
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet).map_err(fail)?;
    let bold = rust_xlsxwriter::Format::new()
        .set_bold()
        .set_border(rust_xlsxwriter::FormatBorder::Thin);
    let cellf = rust_xlsxwriter::Format::new()
        .set_text_wrap()
        .set_border(rust_xlsxwriter::FormatBorder::Thin);
    for (c, h) in header.iter().enumerate() {
        ws.write_with_format(0, c as u16, *h, &bold).map_err(fail)?;
        ws.set_column_width(c as u16, if c == 0 { 8 } else { 22 })
            .map_err(fail)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_with_format(r as u32 + 1, c as u16, v, &cellf)
                .map_err(fail)?;
        }
    }
    ws.set_freeze_panes(1, 0).map_err(fail)?;
    ws.set_landscape();
    ws.set_paper_size(9); // A4
    Ok(Workbook {
        file_name: format!("{name}.xlsx"),
        bytes: book.save_to_buffer().map_err(fail)?,
    })
}

fn suggestion_cells(s: &SuggestionRow) -> Vec<String> {
    vec![
        s.id.to_string(),
        s.tracking_no.clone(),
        s.input.channel.label_zh().to_string(),
        s.input.source.clone(),
        s.input.place.town.clone(),
        s.input.place.village.clone(),
        s.input.category.clone(),
        s.input.title.clone(),
        s.input.text.clone(),
        s.status_label.to_string(),
        s.department.clone().unwrap_or_default(),
        s.received_at.get(..10).unwrap_or("").to_string(),
    ]
}

fn project_cells(p: &ProjectRow, outcomes: &HashMap<String, &'static str>) -> Vec<String> {
    let status = p
        .candidate_id
        .as_ref()
        .and_then(|c| outcomes.get(c).copied())
        .unwrap_or(p.status_label);
    vec![
        p.candidate_id.clone().unwrap_or_else(|| p.id.to_string()),
        p.doc.name.clone(),
        p.doc.content.clone(),
        p.doc.lead_unit.clone(),
        p.doc.co_units.join("、"),
        yuan_wan(p.doc.investment_yuan),
        p.doc.funding_source.clone(),
        date_zh(p.doc.deadline.as_str()),
        status.to_string(),
    ]
}

const SUGGESTION_HEADER: &[&str] = &[
    "序号",
    "编号",
    "渠道",
    "来源",
    "苏木镇街道",
    "嘎查村社区",
    "类别",
    "标题",
    "内容",
    "状态",
    "承办部门",
    "收到日期",
];

const PROJECT_HEADER: &[&str] = &[
    "编号",
    "项目名称",
    "项目内容",
    "牵头单位",
    "配合单位",
    "投资",
    "资金来源",
    "完成时限",
    "状态",
];

impl Services {
    /// `suggestions.xlsx` (a department: its own queue), `projects.xlsx` or
    /// `candidates.xlsx`.
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
                    xlsx("建议清单", "建议清单", SUGGESTION_HEADER, cells)
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
                    xlsx(name, sheet, PROJECT_HEADER, cells)
                })
                .await
            }
            _ => Err(Error::new(Code::NotFound, "没有这个导出")),
        }
    }
}
