//! 产生办法 (the upstream stages): the working group's and departments'
//! operations, the public form and tracking, the public year page and
//! project histories. Every change checks the caller's working-group role
//! and the year's stage, acts, and records its event — one transaction
//! ([`crate::store::UpTx`]).

use super::hall::{row_errors, Created, Imported};
use super::{cpu, Done, Services, DONE};
use crate::core::record::{Date, Rules, Timestamp};
use crate::error::{Code, Error, Result};
use crate::hall::{RowError, StaffRole};
use crate::sheets::{cell, RowReader, Sheet};
use crate::store::{
    DraftRow, ImportedRow, ProjectRow, Staff, StoreError, SuggestionCounts, SuggestionFilter,
    SuggestionPage, UpTx, YearRow,
};
use crate::upstream::hot::{hot_topics, HotTopic};
use crate::upstream::model::*;
use crate::upstream::stage::{Action, GroupRole, Stage};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Digest;

/// How a staff member appears in the audit chain.
fn actor(s: &Staff) -> String {
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

/// Which columns of an uploaded sheet hold what (names as in its header).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// `hotline` or `petition`
    pub channel: String,
    #[serde(default)]
    pub dry_run: bool,
    pub title: String,
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

#[derive(Debug, Serialize)]
pub struct HotTopics {
    pub topics: Vec<HotTopic>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListReq {
    /// (suggestion id, department)
    pub assign: Vec<(i64, String)>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Listed {
    pub listed: usize,
}

#[derive(Debug, Serialize)]
pub struct ProjectList {
    pub projects: Vec<ProjectRow>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclareReq {
    pub doc: ProjectDoc,
    #[serde(default)]
    pub suggestions: Vec<i64>,
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

/// The columns of an export, as the import query names them.
struct Columns {
    title: usize,
    text: usize,
    town: usize,
    category: usize,
    village: Option<usize>,
    contact: Option<usize>,
    ticket: Option<usize>,
    time: Option<usize>,
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
            title: col(&q.title, "标题")?,
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
            title: get(Some(self.title)),
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
    /// A change made by working-group member `me`, whose role must allow
    /// `action` (on `project`'s category, for a temporary member); the role,
    /// the stage and the change in one transaction.
    async fn change<T: Send + 'static>(
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
        self.change(me, Action::Advance, None, move |u| {
            u.open_year(req.year, req.collection_opened)
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

    /// 热点难点 of the current year, computed once for each state of the
    /// list (a new suggestion or import makes it anew) and kept.
    pub async fn hot_topics(&self) -> Result<HotTopics> {
        let (asks, key) = self.store.upstream_read(|r| r.asks()).await?;
        if let Some((k, topics)) = self.hot.lock().ok().and_then(|c| c.clone()) {
            if k == key {
                return Ok(HotTopics {
                    topics: (*topics).clone(),
                });
            }
        }
        // Place names: the asks' own towns and villages, and roads by their 路/街.
        let topics = cpu(move || Ok(hot_topics(&asks, &[]))).await?;
        if let Ok(mut c) = self.hot.lock() {
            *c = Some((key, std::sync::Arc::new(topics.clone())));
        }
        Ok(HotTopics { topics })
    }

    pub async fn compile_list(&self, me: &Staff, req: ListReq) -> Result<Listed> {
        let listed = self
            .change(me, Action::CompileList, None, move |u| {
                u.compile_list(&req.assign)
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

    pub async fn projects(&self) -> Result<ProjectList> {
        let projects = self.store.upstream_read(|r| r.projects()).await?;
        Ok(ProjectList { projects })
    }

    /// 初选申报: a department declares for itself.
    pub async fn declare(&self, me: &Staff, req: DeclareReq) -> Result<Created> {
        let dept = me.display_name.clone();
        let id = self
            .store
            .upstream(actor(me), Timestamp::now_beijing(), move |u| {
                u.declare(&dept, &req.doc, &req.suggestions)
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
