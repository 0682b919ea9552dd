//! 12345 热线与信访: a year's export in one go. The file is read a row at
//! a time on a blocking thread, every row checked before any is written,
//! then written a batch to a transaction, each call kept once by its
//! source's reference; the page follows along through the import's progress.

use super::hall::row_errors;
use super::{cpu, Services};
use crate::core::record::Timestamp;
use crate::error::{Code, Error, Result};
use crate::hall::RowError;
use crate::sheets::{cell, RowReader};
use crate::store::{ImportedRow, Staff};
use crate::upstream::model::*;
use crate::upstream::stage::Action;
use serde::{Deserialize, Serialize};
use sha2::Digest;

/// Which columns of an uploaded sheet hold what (names as in its header).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// `hotline` or `petition`
    pub channel: String,
    #[serde(default)]
    pub dry_run: bool,
    /// Without a title column (many exports have none), a call's title is
    /// the start of what it says.
    #[serde(default)]
    pub title: Option<String>,
    pub text: String,
    pub town: String,
    #[serde(default)]
    pub village: Option<String>,
    pub category: String,
    #[serde(default)]
    pub contact: Option<String>,
    /// The column holding the source's own number (工单编号): a row whose
    /// number is already there (this year or an earlier one) is not
    /// imported again. Without it, a row's content and time stand for its
    /// number.
    #[serde(default)]
    pub ticket: Option<String>,
    /// The column holding the time the source received it (来电时间).
    #[serde(default)]
    pub time: Option<String>,
    /// A name the page chose, under which the import's progress is shown
    /// (`GET /api/upstream/import-progress?id=…`).
    #[serde(default)]
    pub progress: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct RowProblem {
    pub row: usize,
    pub message: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ImportReport {
    pub dry_run: bool,
    pub rows: usize,
    pub good: usize,
    /// The first [`ERRORS_SHOWN`] bad rows; `error_count` is all of them.
    pub errors: Vec<RowProblem>,
    pub error_count: usize,
    pub imported: usize,
    /// Good rows that are already there (by the source's number, or by
    /// content and time; in any year) or earlier in the same file.
    pub already: usize,
}

/// How many bad rows an import report lists.
pub const ERRORS_SHOWN: usize = 200;

/// Rows sent to the writer together while importing.
const IMPORT_BATCH: usize = 2_000;

/// Where an import stands, for the page's progress bar.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ImportProgress {
    /// `checking` (every row read and checked), `importing`, `done`.
    pub phase: String,
    /// Rows read so far in this phase; `rows` once the check has counted them.
    pub done: usize,
    pub rows: usize,
}

/// The columns of an export, as the import query names them.
struct Columns {
    title: Option<usize>,
    text: usize,
    town: usize,
    category: usize,
    village: Option<usize>,
    contact: Option<usize>,
    ticket: Option<usize>,
    time: Option<usize>,
}

/// A title for a call that has none: its first clause (after the hotline's
/// 反映：), at most 30 characters.
fn title_of(text: &str) -> String {
    let t = text.trim();
    let t = ["反映：", "反映:", "称：", "反映，"]
        .iter()
        .find_map(|m| t.split_once(m).map(|(_, rest)| rest))
        .unwrap_or(t);
    let clause = t
        .split(|c| "，。；！？,;!?".contains(c))
        .find(|c| !c.trim().is_empty())
        .unwrap_or(t);
    clause.trim().chars().take(30).collect()
}

impl Columns {
    fn find(sheet: &RowReader, q: &ImportQuery) -> Result<Columns> {
        let col = |name: &str, what: &str| -> Result<usize> {
            sheet
                .column(&[name])
                .ok_or_else(|| Error::bad(format!("表头中没有“{name}”列（{what}）")))
        };
        let opt = |name: &Option<String>, what: &str| -> Result<Option<usize>> {
            name.as_deref()
                .filter(|n| !n.trim().is_empty())
                .map(|n| col(n, what))
                .transpose()
        };
        Ok(Columns {
            title: opt(&q.title, "标题")?,
            text: col(&q.text, "内容")?,
            town: col(&q.town, "苏木镇街道")?,
            category: col(&q.category, "类别")?,
            village: opt(&q.village, "嘎查村社区")?,
            contact: opt(&q.contact, "联系方式")?,
            ticket: opt(&q.ticket, "工单编号")?,
            time: opt(&q.time, "来电时间")?,
        })
    }

    /// One row of the export as a suggestion to import, or what is wrong with it.
    fn row(
        &self,
        cells: &[String],
        channel: Channel,
        now: &str,
    ) -> std::result::Result<ImportedRow, Vec<String>> {
        let get = |c: Option<usize>| c.map(|c| cell(cells, c).to_string()).unwrap_or_default();
        let input = SuggestionInput {
            channel,
            source: String::new(),
            place: Place {
                town: get(Some(self.town)),
                village: get(self.village),
            },
            category: get(Some(self.category)),
            title: match self.title {
                Some(c) => get(Some(c)),
                None => title_of(cell(cells, self.text)),
            },
            text: get(Some(self.text)),
            contact: get(self.contact),
        };
        let mut problems: Vec<String> = input.problems().into_iter().map(|p| p.message).collect();
        let received_at = match self.time.map(|c| cell(cells, c).trim()) {
            None | Some("") => now.to_string(),
            Some(t) => match source_time(t) {
                Some(at) => at,
                None => {
                    problems.push(format!("来电时间“{t}”无法识别（应如 2026-07-03 09:15）"));
                    String::new()
                }
            },
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        let ticket = self.ticket.map(|c| cell(cells, c).trim().to_string());
        let source_ref = match ticket.filter(|t| !t.is_empty()) {
            Some(t) => format!("ticket:{t}"),
            None => {
                // No number: what it says, where and when stand for it.
                let mut h = sha2::Sha256::new();
                for part in [
                    &input.place.town,
                    &input.place.village,
                    &input.category,
                    &input.title,
                    &input.text,
                    &received_at,
                ] {
                    sha2::Digest::update(&mut h, part.trim().as_bytes());
                    sha2::Digest::update(&mut h, [0u8]);
                }
                format!("content:{}", hex::encode(&sha2::Digest::finalize(h)[..16]))
            }
        };
        Ok(ImportedRow {
            input,
            source_ref,
            received_at,
        })
    }
}

/// A source's time as the record keeps it (Beijing time): "2026-07-03
/// 09:15:22", "2026/7/3 9:15", "2026-07-03T09:15:22", or a date alone.
fn source_time(t: &str) -> Option<String> {
    use chrono::{NaiveDate, NaiveDateTime};
    let t = t.trim().replace('/', "-").replace('T', " ");
    let at = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&t, f).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(&t, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })?;
    Some(at.format("%Y-%m-%dT%H:%M:%S+08:00").to_string())
}

/// A batch of an export as read on a blocking thread: (good rows, bad rows, rows read).
type ReadBatch = Result<(Vec<ImportedRow>, Vec<RowError>, usize)>;

/// Reads `path` on a blocking thread, a batch of rows at a time (at most
/// two batches ahead of the one being stored: memory stays flat).
fn read_batches(
    path: std::path::PathBuf,
    q: &ImportQuery,
    channel: Channel,
) -> Result<tokio::sync::mpsc::Receiver<ReadBatch>> {
    let sheet = RowReader::open(&path).map_err(|e| row_errors(Code::ImportRows, &[e]))?;
    let cols = Columns::find(&sheet, q)?;
    let (tx, rx) = tokio::sync::mpsc::channel::<ReadBatch>(2);
    let now = Timestamp::now_beijing().as_str().to_string();
    tokio::task::spawn_blocking(move || {
        let (mut good, mut bad, mut read) = (vec![], vec![], 0);
        for row in sheet {
            match row {
                Err(e) => {
                    let _ = tx.blocking_send(Err(row_errors(Code::ImportRows, &[e])));
                    return;
                }
                Ok((n, cells)) => {
                    read += 1;
                    match cols.row(&cells, channel, &now) {
                        Ok(r) => good.push(r),
                        Err(problems) => {
                            bad.extend(problems.into_iter().map(|p| RowError::new(n, p)))
                        }
                    }
                }
            }
            if read == IMPORT_BATCH {
                let batch = (std::mem::take(&mut good), std::mem::take(&mut bad), read);
                read = 0;
                if tx.blocking_send(Ok(batch)).is_err() {
                    return; // the import was given up
                }
            }
        }
        let _ = tx.blocking_send(Ok((good, bad, read)));
    });
    Ok(rx)
}

impl Services {
    /// 12345 热线与信访, a year's export in one go (CSV or XLSX at `path`):
    /// every row is read and checked first, a batch at a time; a dry run,
    /// or a file with any bad row, reports and imports nothing. Then the
    /// rows go in a batch at a time, each batch one transaction; a row
    /// already there (the same 工单编号, or the same content and time, in
    /// any year) is reported as already there, so importing the same or an
    /// overlapping export again adds only what is new — and an import
    /// stopped half-way is finished by importing the file again.
    pub async fn import_suggestions(
        &self,
        me: &Staff,
        q: ImportQuery,
        path: std::path::PathBuf,
    ) -> Result<ImportReport> {
        let channel = match q.channel.as_str() {
            "hotline" => Channel::Hotline,
            "petition" => Channel::Petition,
            _ => {
                return Err(Error::bad(
                    "channel 应为 hotline（12345热线）或 petition（信访）",
                ))
            }
        };
        // The role and the stage first, before the file is read.
        self.change(me, Action::ImportHotline, None, |_| Ok(()))
            .await?;
        let progress = q.progress.clone().unwrap_or_default();
        let _shown = ProgressShown::new(self, &progress);
        let show = |phase: &str, done: usize, rows: usize| {
            self.set_progress(&progress, phase, done, rows);
        };
        // Every row read and checked; how many are there already.
        let mut report = ImportReport {
            dry_run: true,
            rows: 0,
            good: 0,
            errors: vec![],
            error_count: 0,
            imported: 0,
            already: 0,
        };
        let mut in_file = std::collections::HashSet::new();
        let opened = (path.clone(), q.clone());
        let mut batches = cpu(move || read_batches(opened.0, &opened.1, channel)).await?;
        while let Some(batch) = batches.recv().await {
            let (good, bad, read) = batch?;
            report.rows += read;
            report.good += good.len();
            report.error_count += bad.len();
            let room = ERRORS_SHOWN.saturating_sub(report.errors.len());
            report
                .errors
                .extend(bad.into_iter().take(room).map(|e| RowProblem {
                    row: e.row,
                    message: e.message,
                }));
            // Already there: earlier in this file, or in any year.
            let mut fresh = vec![];
            for r in good {
                if in_file.insert(short_hash(&r.source_ref)) {
                    fresh.push(r.source_ref);
                } else {
                    report.already += 1;
                }
            }
            let ch = channel;
            report.already += self
                .store
                .upstream_read(move |r| r.refs_present(ch, &fresh))
                .await?;
            show("checking", report.rows, 0);
        }
        drop(in_file);
        if q.dry_run || report.error_count > 0 {
            return Ok(report);
        }
        // In, a batch at a time.
        report.dry_run = false;
        report.already = 0;
        let total = report.rows;
        let mut done = 0;
        let mut batches = cpu(move || read_batches(path, &q, channel)).await?;
        show("importing", 0, total);
        while let Some(batch) = batches.recv().await {
            let (good, _, read) = batch?;
            let (added, already) = self
                .change(me, Action::ImportHotline, None, move |u| {
                    u.import_batch(&good)
                })
                .await?;
            report.imported += added;
            report.already += already;
            done += read;
            show("importing", done, total);
        }
        Ok(report)
    }

    /// Where the import named `id` stands (nothing once it has finished).
    pub fn import_progress(&self, id: &str) -> Result<ImportProgress> {
        self.imports
            .lock()
            .ok()
            .and_then(|m| m.get(id).cloned())
            .ok_or_else(|| Error::new(Code::NotFound, "没有正在进行的这次导入"))
    }

    fn set_progress(&self, id: &str, phase: &str, done: usize, rows: usize) {
        if id.is_empty() {
            return;
        }
        if let Ok(mut m) = self.imports.lock() {
            m.insert(
                id.to_string(),
                ImportProgress {
                    phase: phase.to_string(),
                    done,
                    rows,
                },
            );
        }
    }
}

/// Removes an import's progress when the import ends, however it ends.
struct ProgressShown<'a> {
    services: &'a Services,
    id: String,
}

impl<'a> ProgressShown<'a> {
    fn new(services: &'a Services, id: &str) -> Self {
        services.set_progress(id, "checking", 0, 0);
        ProgressShown {
            services,
            id: id.to_string(),
        }
    }
}

impl Drop for ProgressShown<'_> {
    fn drop(&mut self) {
        if let Ok(mut m) = self.services.imports.lock() {
            m.remove(&self.id);
        }
    }
}

/// 16 bytes of a reference's SHA-256: what a year's references are told
/// apart by in memory.
fn short_hash(s: &str) -> [u8; 16] {
    let d = sha2::Sha256::digest(s.as_bytes());
    let mut out = [0u8; 16];
    out.copy_from_slice(&d[..16]);
    out
}

#[cfg(test)]
mod tests {
    use super::title_of;

    #[test]
    fn a_call_without_a_title_is_titled_by_its_first_clause() {
        assert_eq!(
            title_of("市民来电反映：石拐街道白狐沟社区路灯不亮，晚上走路看不见，希望尽快处理。"),
            "石拐街道白狐沟社区路灯不亮"
        );
        assert_eq!(title_of("暖气不热"), "暖气不热");
        assert_eq!(title_of(&"长".repeat(100)).chars().count(), 30);
        assert_eq!(title_of(""), "");
    }
}
