//! The store's upstream side: the year, suggestions, projects, opinions,
//! meetings and drafts, and the audit chain. Every change goes through an
//! [`UpTx`], which checks the stage, applies the change and appends its
//! event to the chain in the same transaction. The rules are in
//! [`crate::upstream`]; this is only their SQL.

mod change;
mod follow;
mod import;
mod topics;
use super::hall::insert_round;
use super::{Store, StoreError};
use crate::core::canon::{to_canonical_string, Hash};
use crate::core::record::{parse_record, CandidateId, Date, ElectionId, Rules, Timestamp};
use crate::hall::RoundDraft;
use crate::upstream::audit::{Event, Tip};
use crate::upstream::model::*;
use crate::upstream::stage::{allowed, Action, GroupRole, Stage};
pub use follow::{
    AttachmentRow, Continuing, FollowRecord, InspectionRow, RatingCounts, RatingRow, ReportRow,
};
use rusqlite::types::Value as SqlValue;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use topics::VOICE_SQL;
pub use topics::{NamedTopic, Voice};

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn invalid(problems: &[Problem]) -> StoreError {
    StoreError::invalid(
        problems
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("；"),
    )
}

fn to_value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// The year and where it stands.
#[derive(Clone, Debug, Serialize)]
pub struct YearRow {
    pub year: u32,
    pub stage: Stage,
    pub stage_label: &'static str,
    pub collection_opened: Option<String>,
    pub collection_closed: Option<String>,
    pub warnings: Vec<String>,
}

/// One row of a hotline or petition export, ready to go in: what it says,
/// the source's reference (its 工单编号, or a digest of the row when it has
/// none) and the time the source received it.
#[derive(Clone, Debug)]
pub struct ImportedRow {
    pub input: SuggestionInput,
    pub source_ref: String,
    pub received_at: String,
}

/// Which suggestions the workbench lists (see [`UpRead::suggestion_page`]).
#[derive(Clone, Debug, Default)]
pub struct SuggestionFilter {
    /// The year (the current one if none).
    pub year: Option<u32>,
    /// A department sees only its own queue.
    pub scope_department: Option<String>,
    /// Words each found in the suggestion's number, place, category,
    /// department, source, title or text (never its contact).
    pub words: Vec<String>,
    pub channel: Option<String>,
    pub town: Option<String>,
    pub category: Option<String>,
    pub status: Option<String>,
    pub department: Option<String>,
    /// Received on or after / on or before (YYYY-MM-DD).
    pub from: Option<String>,
    pub to: Option<String>,
}

/// How many of what was found share a value (a town, a channel, a month).
#[derive(Clone, Debug, Serialize)]
pub struct Count {
    pub key: String,
    pub count: u64,
}

/// One page of the suggestion list.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SuggestionPage {
    pub year: Option<u32>,
    /// The year's suggestions (a department's: its own queue).
    pub total: u64,
    /// Those the words and filters find.
    pub found: u64,
    pub page: u32,
    pub per: u32,
    pub suggestions: Vec<SuggestionRow>,
    pub by_town: Vec<Count>,
    pub by_channel: Vec<Count>,
    pub by_month: Vec<Count>,
    /// The values the filters can take this year.
    pub categories: Vec<String>,
    pub departments: Vec<String>,
    pub towns: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SuggestionRow {
    pub id: i64,
    pub tracking_no: String,
    pub status: SuggestionStatus,
    pub status_label: &'static str,
    pub department: Option<String>,
    pub received_at: String,
    #[serde(flatten)]
    pub input: SuggestionInput,
    pub projects: Vec<i64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ProjectRow {
    pub id: i64,
    pub year: u32,
    pub department: String,
    pub status: ProjectStatus,
    pub status_label: &'static str,
    pub doc: ProjectDoc,
    pub assessment: Option<Assessment>,
    pub exclusion: Option<Value>,
    pub merged_into: Option<i64>,
    pub merged_from: Vec<i64>,
    pub suggestions: Vec<i64>,
    /// The 热点专题 it cites.
    pub topics: Vec<i64>,
    /// 民意指数: the calls and suggestions behind it.
    pub voice: Voice,
    pub candidate_id: Option<String>,
    pub round_id: Option<i64>,
    pub revisions: u64,
    /// What the declaration still lacks (第十条 and the sign-offs).
    pub missing: Vec<String>,
    /// The year's major project it looks like, for the reviewers.
    pub resembles_major: Option<String>,
    /// An earlier year's decided project it repeats, and what that means
    /// (filled by the projects' list).
    pub earlier: Option<String>,
}

/// A project's whole story: its events, and those of what it came from.
#[derive(Clone, Debug, Serialize)]
pub struct History {
    pub project: ProjectRow,
    pub events: Vec<Event>,
    /// Each revision's readable diff against the one before: (rev, reason, lines).
    pub revisions: Vec<(u64, String, Vec<String>)>,
    pub opinions: Vec<OpinionRow>,
}

/// An opinion sought, and its answer.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OpinionRow {
    pub id: i64,
    pub project_id: Option<i64>,
    pub source: String,
    pub source_label: String,
    pub author: String,
    pub text: String,
    pub response: Option<String>,
    pub adopted: Option<bool>,
}

/// One project as a 讨论稿 lists it (fields in alphabetical order: this is
/// recorded in the audit chain as it serialises).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DraftProject {
    pub id: i64,
    pub investment_yuan: u64,
    pub lead_unit: String,
    pub name: String,
}

/// 讨论稿 / 送审方案: a numbered version of the list.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DraftRow {
    pub year: u32,
    pub version: u32,
    pub label: String,
    pub projects: Vec<DraftProject>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ChannelCount {
    pub channel: String,
    pub label: String,
    pub count: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TownCount {
    pub town: String,
    pub count: u64,
}

/// Suggestion counts by channel and by town.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SuggestionCounts {
    pub total: u64,
    pub by_channel: Vec<ChannelCount>,
    pub by_town: Vec<TownCount>,
}

/// Reads, on any connection.
pub struct UpRead<'a> {
    c: &'a Connection,
}

/// A change: reads, plus writes that each record their event.
pub struct UpTx<'a> {
    tx: &'a Transaction<'a>,
    tip: Tip,
    at: Timestamp,
    actor: String,
}

impl Store {
    /// Runs `f` on the writer thread in one transaction: the changes and
    /// their events commit together or not at all.
    pub async fn upstream<T: Send + 'static>(
        &self,
        actor: String,
        at: Timestamp,
        f: impl FnOnce(&mut UpTx) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.write(move |tx| {
            let tip = load_tip(tx)?;
            let mut u = UpTx { tx, tip, at, actor };
            f(&mut u)
        })
        .await
    }

    pub async fn upstream_read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&UpRead) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.read(move |c| f(&UpRead { c })).await
    }

    /// The audit log's lines, in order.
    pub async fn audit_lines(&self) -> Result<Vec<String>, StoreError> {
        self.read(|c| {
            let mut st = c.prepare("SELECT line FROM audit_events ORDER BY seq")?;
            let rows = st
                .query_map([], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
            Ok(rows)
        })
        .await
    }
}

fn load_tip(c: &Connection) -> Result<Tip, StoreError> {
    let last: Option<(u64, String)> = c
        .query_row(
            "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match last {
        None => Ok(Tip::start()),
        Some((seq, h)) => Ok(Tip {
            seq,
            hash: Hash::parse_hex(&h).map_err(corrupt)?,
        }),
    }
}

impl UpRead<'_> {
    pub fn year(&self) -> Result<Option<YearRow>, StoreError> {
        let row: Option<(u32, String, Option<String>, Option<String>)> = self
            .c
            .query_row(
                "SELECT year, stage, collection_opened, collection_closed FROM up_years ORDER BY year DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let Some((year, stage, opened, closed)) = row else {
            return Ok(None);
        };
        let stage = Stage::parse(&stage).ok_or_else(|| corrupt(format!("stage {stage}")))?;
        let d = |s: &Option<String>| {
            s.as_deref()
                .and_then(|x| chrono::NaiveDate::parse_from_str(x, "%Y-%m-%d").ok())
        };
        let warnings = match d(&opened) {
            Some(o) => crate::upstream::stage::collection_warnings(o, d(&closed)),
            None => vec![],
        };
        Ok(Some(YearRow {
            year,
            stage,
            stage_label: stage.label_zh(),
            collection_opened: opened,
            collection_closed: closed,
            warnings,
        }))
    }

    fn the_year(&self) -> Result<YearRow, StoreError> {
        self.year()?
            .ok_or_else(|| StoreError::conflict("还没有开始任何年度的工作"))
    }

    /// A working-group member's role, if the account is one.
    pub fn group_role(&self, staff_id: i64) -> Result<Option<GroupRole>, StoreError> {
        let r: Option<String> = self
            .c
            .query_row(
                "SELECT role FROM wg_members WHERE staff_id = ?1",
                [staff_id],
                |r| r.get(0),
            )
            .optional()?;
        r.map(|j| parse_record(j.as_bytes()).map_err(corrupt))
            .transpose()
    }

    pub fn suggestions(&self, department: Option<&str>) -> Result<Vec<SuggestionRow>, StoreError> {
        self.suggestions_where(department, None)
    }

    /// The suggestions sent to `department` (or all), or the one numbered `tracking_no`.
    fn suggestions_where(
        &self,
        department: Option<&str>,
        tracking_no: Option<&str>,
    ) -> Result<Vec<SuggestionRow>, StoreError> {
        self.suggestion_rows(
            "SELECT id, tracking_no, status, department, received_at, doc FROM suggestions
             WHERE (?1 IS NULL OR department = ?1) AND (?2 IS NULL OR tracking_no = ?2) ORDER BY id",
            &[
                department.map(str::to_string).into(),
                tracking_no.map(str::to_string).into(),
            ],
        )
    }

    /// One page of the year's suggestions as the workbench asks for it:
    /// newest first, found by words (full text), filtered, with the counts
    /// by town, channel and month of all that were found.
    pub fn suggestion_page(
        &self,
        f: &SuggestionFilter,
        page: u32,
        per: u32,
    ) -> Result<SuggestionPage, StoreError> {
        let year = match f.year {
            Some(y) => Some(y),
            None => self.year()?.map(|y| y.year),
        };
        let mut out = SuggestionPage {
            year,
            page,
            per,
            ..SuggestionPage::default()
        };
        let Some(year) = year else {
            return Ok(out);
        };
        // The scope (the year, a department's own queue), then the filters.
        let mut clauses: Vec<&str> = vec!["s.year = ?"];
        let mut args: Vec<SqlValue> = vec![year.into()];
        if let Some(d) = &f.scope_department {
            clauses.push("s.department = ?");
            args.push(d.clone().into());
        }
        let scope = (clauses.join(" AND "), args.clone());
        for (clause, v) in [
            ("s.channel = ?", &f.channel),
            ("s.town = ?", &f.town),
            ("s.category = ?", &f.category),
            ("s.status = ?", &f.status),
            ("s.department = ?", &f.department),
            ("substr(s.received_at, 1, 10) >= ?", &f.from),
            ("substr(s.received_at, 1, 10) <= ?", &f.to),
        ] {
            if let Some(v) = v {
                clauses.push(clause);
                args.push(v.clone().into());
            }
        }
        for w in &f.words {
            clauses.push("s.id IN (SELECT rowid FROM suggestions_fts WHERE body LIKE ?)");
            args.push(format!("%{w}%").into());
        }
        let found = clauses.join(" AND ");
        let count = |sql: &str, args: &[SqlValue]| -> Result<u64, StoreError> {
            Ok(self.c.query_row(
                &format!("SELECT count(*) FROM suggestions s WHERE {sql}"),
                rusqlite::params_from_iter(args),
                |r| r.get(0),
            )?)
        };
        out.total = count(&scope.0, &scope.1)?;
        out.found = count(&found, &args)?;
        let mut paged = args.clone();
        paged.push(i64::from(per).into());
        paged.push(
            (i64::from(page.max(1)) - 1)
                .saturating_mul(i64::from(per))
                .into(),
        );
        out.suggestions = self.suggestion_rows(
            &format!(
                "SELECT s.id, s.tracking_no, s.status, s.department, s.received_at, s.doc FROM suggestions s
                 WHERE {found} ORDER BY s.id DESC LIMIT ? OFFSET ?"
            ),
            &paged,
        )?;
        // The counts of what was found, in one pass over the facets index.
        let mut by_town = std::collections::BTreeMap::<String, u64>::new();
        let mut by_channel = std::collections::BTreeMap::<String, u64>::new();
        let mut by_month = std::collections::BTreeMap::<String, u64>::new();
        let mut st = self.c.prepare(&format!(
            "SELECT s.town, s.channel, substr(s.received_at, 1, 7), count(*)
             FROM suggestions s INDEXED BY suggestions_facets WHERE {found} GROUP BY 1, 2, 3"
        ))?;
        let mut rows = st.query(rusqlite::params_from_iter(&args))?;
        while let Some(r) = rows.next()? {
            let n: u64 = r.get(3)?;
            *by_town.entry(r.get(0)?).or_default() += n;
            *by_channel.entry(r.get(1)?).or_default() += n;
            *by_month.entry(r.get(2)?).or_default() += n;
        }
        let counted = |m: std::collections::BTreeMap<String, u64>| {
            let mut v: Vec<Count> = m
                .into_iter()
                .map(|(key, count)| Count { key, count })
                .collect();
            v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
            v
        };
        out.by_town = counted(by_town);
        out.by_channel = counted(by_channel);
        out.by_month = by_month
            .into_iter()
            .map(|(key, count)| Count { key, count })
            .collect();
        // What the filters can choose from: the whole scope's values, also
        // from the index alone.
        let mut st = self.c.prepare(&format!(
            "SELECT DISTINCT s.category, coalesce(s.department, ''), s.town
             FROM suggestions s INDEXED BY suggestions_facets WHERE {}",
            scope.0
        ))?;
        let mut rows = st.query(rusqlite::params_from_iter(&scope.1))?;
        let mut sets: [std::collections::BTreeSet<String>; 3] = Default::default();
        while let Some(r) = rows.next()? {
            for (k, set) in sets.iter_mut().enumerate() {
                let v: String = r.get(k)?;
                if !v.is_empty() {
                    set.insert(v);
                }
            }
        }
        let [categories, departments, towns] = sets;
        out.categories = categories.into_iter().collect();
        out.departments = departments.into_iter().collect();
        out.towns = towns.into_iter().collect();
        Ok(out)
    }

    fn suggestion_rows(
        &self,
        sql: &str,
        args: &[SqlValue],
    ) -> Result<Vec<SuggestionRow>, StoreError> {
        let mut st = self.c.prepare(sql)?;
        let rows = st
            .query_map(rusqlite::params_from_iter(args), |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut links = self
            .c
            .prepare("SELECT project_id FROM project_links WHERE suggestion_id = ?1")?;
        rows.into_iter()
            .map(|(id, tracking_no, status, department, received_at, doc)| {
                let status: SuggestionStatus =
                    serde_json::from_value(Value::String(status)).map_err(corrupt)?;
                let projects = links
                    .query_map([id], |r| r.get(0))?
                    .collect::<Result<Vec<i64>, _>>()?;
                Ok(SuggestionRow {
                    id,
                    tracking_no,
                    status,
                    status_label: status.label_zh(),
                    department,
                    received_at,
                    input: parse_record(doc.as_bytes()).map_err(corrupt)?,
                    projects,
                })
            })
            .collect()
    }

    /// A suggestion by its tracking number (the public lookup).
    pub fn track(&self, tracking_no: &str) -> Result<Option<SuggestionRow>, StoreError> {
        let no = tracking_no.trim().to_ascii_uppercase();
        Ok(self.suggestions_where(None, Some(&no))?.pop())
    }

    pub fn projects(&self) -> Result<Vec<ProjectRow>, StoreError> {
        self.projects_where(None)
    }

    /// One project, read alone.
    pub fn project(&self, id: i64) -> Result<ProjectRow, StoreError> {
        self.projects_where(Some(id))?
            .pop()
            .ok_or(StoreError::NotFound("项目"))
    }

    /// Every project, or the one with `id`.
    fn projects_where(&self, id: Option<i64>) -> Result<Vec<ProjectRow>, StoreError> {
        let mut st = self.c.prepare(
            "SELECT id, year, department, status, doc, assessment, exclusion, merged_into, candidate_id, round_id,
             (SELECT COUNT(*) FROM project_revisions r WHERE r.project_id = p.id) FROM projects p
             WHERE (?1 IS NULL OR id = ?1) ORDER BY id",
        )?;
        type Raw = (
            i64,
            u32,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<i64>,
            Option<String>,
            Option<i64>,
            u64,
        );
        let rows = st
            .query_map([id], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                    r.get(10)?,
                ))
            })?
            .collect::<Result<Vec<Raw>, _>>()?;
        let mut links = self.c.prepare(
            "SELECT suggestion_id FROM project_links WHERE project_id = ?1 ORDER BY suggestion_id",
        )?;
        let mut from = self
            .c
            .prepare("SELECT id FROM projects WHERE merged_into = ?1 ORDER BY id")?;
        let mut cited = self.c.prepare(
            "SELECT topic_id FROM project_topics WHERE project_id = ?1 ORDER BY topic_id",
        )?;
        let mut voice = self.c.prepare(VOICE_SQL)?;
        let majors = self.majors()?;
        rows.into_iter()
            .map(
                |(
                    id,
                    year,
                    department,
                    status,
                    doc,
                    assessment,
                    exclusion,
                    merged_into,
                    candidate_id,
                    round_id,
                    revisions,
                )| {
                    let status = ProjectStatus::parse(&status)
                        .ok_or_else(|| corrupt(format!("status {status}")))?;
                    let doc: ProjectDoc = parse_record(doc.as_bytes()).map_err(corrupt)?;
                    let mut missing: Vec<String> =
                        doc.problems().iter().map(|p| p.to_string()).collect();
                    missing.extend(doc.sign_off_missing().into_iter().map(String::from));
                    Ok(ProjectRow {
                        id,
                        year,
                        department,
                        status,
                        status_label: status.label_zh(),
                        assessment: assessment
                            .map(|a| parse_record(a.as_bytes()).map_err(corrupt))
                            .transpose()?,
                        exclusion: exclusion
                            .map(|e| serde_json::from_str(&e).map_err(corrupt))
                            .transpose()?,
                        merged_into,
                        merged_from: from
                            .query_map([id], |r| r.get(0))?
                            .collect::<Result<_, _>>()?,
                        suggestions: links
                            .query_map([id], |r| r.get(0))?
                            .collect::<Result<_, _>>()?,
                        topics: cited
                            .query_map([id], |r| r.get(0))?
                            .collect::<Result<_, _>>()?,
                        voice: voice.query_row([id], |r| {
                            Ok(Voice {
                                calls: r.get(0)?,
                                suggestions: r.get(1)?,
                                towns: r.get(2)?,
                            })
                        })?,
                        candidate_id,
                        round_id,
                        revisions,
                        missing,
                        resembles_major: resembles(&doc.name, &majors).map(str::to_string),
                        earlier: None,
                        doc,
                    })
                },
            )
            .collect()
    }

    /// A staff account's id and role, by user name.
    pub fn staff(
        &self,
        username: &str,
    ) -> Result<Option<(i64, crate::hall::StaffRole)>, StoreError> {
        let row: Option<(i64, String)> = self
            .c
            .query_row(
                "SELECT id, role FROM staff WHERE username = ?1",
                [username],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        row.map(|(id, role)| {
            crate::hall::StaffRole::parse(&role)
                .map(|r| (id, r))
                .ok_or_else(|| corrupt(format!("role {role}")))
        })
        .transpose()
    }

    /// How many candidates a round's draft lists.
    pub fn round_candidates(&self, round_id: i64) -> Result<usize, StoreError> {
        Ok(super::load_round(self.c, round_id)?.draft.candidates.len())
    }

    /// The year's major projects (本年度重大项目).
    pub fn majors(&self) -> Result<Vec<String>, StoreError> {
        let mut st = self.c.prepare(
            "SELECT name FROM major_projects WHERE year = (SELECT MAX(year) FROM up_years) ORDER BY name",
        )?;
        let rows = st
            .query_map([], |r| r.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok(rows)
    }

    /// The meetings held so far, in order (without their ids).
    pub fn held_meetings(&self) -> Result<Vec<Meeting>, StoreError> {
        Ok(self.meetings()?.into_iter().map(|(_, m)| m).collect())
    }

    pub fn meetings(&self) -> Result<Vec<(i64, Meeting)>, StoreError> {
        let mut st = self.c.prepare("SELECT id, doc FROM meetings ORDER BY id")?;
        let rows = st
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(id, d)| Ok((id, parse_record(d.as_bytes()).map_err(corrupt)?)))
            .collect()
    }

    pub fn opinions(&self, project: Option<i64>) -> Result<Vec<OpinionRow>, StoreError> {
        self.opinions_in(project, None)
    }

    /// The current year's opinions (a project's, if named).
    pub fn opinions_of_year(&self, project: Option<i64>) -> Result<Vec<OpinionRow>, StoreError> {
        let year = self.year()?.map(|y| y.year);
        self.opinions_in(project, year)
    }

    fn opinions_in(
        &self,
        project: Option<i64>,
        year: Option<u32>,
    ) -> Result<Vec<OpinionRow>, StoreError> {
        let mut st = self.c.prepare(
            "SELECT id, project_id, source, author, text, response, adopted FROM opinions
             WHERE (?1 IS NULL OR project_id = ?1) AND (?2 IS NULL OR year = ?2) ORDER BY id",
        )?;
        let rows = st
            .query_map(params![project, year], |r| {
                let source: String = r.get(2)?;
                let label = serde_json::from_value::<OpinionSource>(Value::String(source.clone()))
                    .map(|s| s.label_zh())
                    .unwrap_or("");
                Ok(OpinionRow {
                    id: r.get(0)?,
                    project_id: r.get(1)?,
                    source_label: label.to_string(),
                    source,
                    author: r.get(3)?,
                    text: r.get(4)?,
                    response: r.get(5)?,
                    adopted: r.get(6)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    pub fn drafts(&self) -> Result<Vec<DraftRow>, StoreError> {
        let mut st = self
            .c
            .prepare("SELECT year, version, label, doc FROM drafts ORDER BY year, version")?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, u32>(0)?,
                    r.get::<_, u32>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(year, version, label, doc)| {
                Ok(DraftRow {
                    year,
                    version,
                    label,
                    projects: serde_json::from_str(&doc).map_err(corrupt)?,
                })
            })
            .collect()
    }

    /// Events about `subjects`, in order.
    pub fn events_about(&self, subjects: &[String]) -> Result<Vec<Event>, StoreError> {
        let mut st = self
            .c
            .prepare("SELECT line FROM audit_events WHERE subject = ?1 ORDER BY seq")?;
        let mut out = vec![];
        for s in subjects {
            let lines = st
                .query_map([s], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            for l in lines {
                out.push(parse_record::<Event>(l.as_bytes()).map_err(corrupt)?);
            }
        }
        out.sort_by_key(|e| e.seq);
        out.dedup_by_key(|e| e.seq);
        Ok(out)
    }

    /// A project's whole history: its suggestions' arrival, its own events,
    /// the projects merged into it, its revisions and opinions, its round.
    pub fn history(&self, id: i64) -> Result<History, StoreError> {
        let project = self.project(id)?;
        let mut subjects = vec![format!("project:{id}")];
        let mut sources = project.merged_from.clone();
        let all = self.projects()?;
        let mut i = 0;
        while i < sources.len() {
            if let Some(p) = all.iter().find(|p| p.id == sources[i]) {
                sources.extend(p.merged_from.iter().copied());
            }
            i += 1;
        }
        let mut suggestions = project.suggestions.clone();
        for s in &sources {
            subjects.push(format!("project:{s}"));
            if let Some(p) = all.iter().find(|p| p.id == *s) {
                suggestions.extend(p.suggestions.iter().copied());
            }
        }
        subjects.extend(suggestions.iter().map(|s| format!("suggestion:{s}")));
        if let Some(r) = project.round_id {
            subjects.push(format!("round:{r}"));
        }
        let events = self.events_about(&subjects)?;
        let mut st = self.c.prepare(
            "SELECT rev, reason, doc FROM project_revisions WHERE project_id = ?1 ORDER BY rev",
        )?;
        let revs = st
            .query_map([id], |r| {
                Ok((
                    r.get::<_, u64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut revisions = vec![];
        let mut before: Vec<String> = vec![];
        for (rev, reason, doc) in revs {
            let d: ProjectDoc = parse_record(doc.as_bytes()).map_err(corrupt)?;
            let lines = d.lines();
            revisions.push((rev, reason, diff(&before, &lines)));
            before = lines;
        }
        Ok(History {
            opinions: self.opinions(Some(id))?,
            project,
            events,
            revisions,
        })
    }

    /// Suggestion counts by channel and by town (the public page).
    /// The current year's suggestions, by channel and by town (last
    /// year's stay with last year).
    pub fn counts(&self) -> Result<SuggestionCounts, StoreError> {
        const THIS_YEAR: &str = "year = (SELECT max(year) FROM up_years)";
        let group = |col: &str| -> Result<Vec<(String, u64)>, StoreError> {
            let mut st = self.c.prepare(&format!(
                "SELECT {col}, COUNT(*) FROM suggestions WHERE {THIS_YEAR} GROUP BY {col} ORDER BY COUNT(*) DESC, {col}"
            ))?;
            let rows = st
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        };
        let by_channel = group("channel")?
            .into_iter()
            .map(|(c, n)| {
                let label = serde_json::from_value::<crate::upstream::model::Channel>(
                    Value::String(c.clone()),
                )
                .map(|c| c.label_zh())
                .unwrap_or("");
                ChannelCount {
                    channel: c,
                    label: label.to_string(),
                    count: n,
                }
            })
            .collect();
        let by_town = group("town")?
            .into_iter()
            .map(|(town, count)| TownCount { town, count })
            .collect();
        let total: u64 = self.c.query_row(
            &format!("SELECT COUNT(*) FROM suggestions WHERE {THIS_YEAR}"),
            [],
            |r| r.get(0),
        )?;
        Ok(SuggestionCounts {
            total,
            by_channel,
            by_town,
        })
    }
}
