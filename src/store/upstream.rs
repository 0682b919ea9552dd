//! The store's upstream side: the year, suggestions, projects, opinions,
//! meetings and drafts, and the audit chain. Every change goes through an
//! [`UpTx`], which checks the stage, applies the change and appends its
//! event to the chain in the same transaction. The rules are in
//! [`crate::upstream`]; this is only their SQL.

use super::{insert_round, Store, StoreError};
use crate::core::canon::{to_canonical_string, Hash};
use crate::core::record::{parse_record, CandidateId, Date, ElectionId, Rules, Timestamp};
use crate::hall::RoundDraft;
use crate::upstream::audit::{Event, Tip};
use crate::upstream::model::*;
use crate::upstream::stage::{allowed, Action, GroupRole, Stage};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::Serialize;
use serde_json::{json, Value};

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn invalid(problems: &[Problem]) -> StoreError {
    StoreError::Invalid(
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
    pub candidate_id: Option<String>,
    pub round_id: Option<i64>,
    pub revisions: u64,
    /// What the declaration still lacks (第十条 and the sign-offs).
    pub missing: Vec<String>,
    /// The year's major project it looks like, for the reviewers.
    pub resembles_major: Option<String>,
}

/// A project's whole story: its events, and those of what it came from.
#[derive(Clone, Debug, Serialize)]
pub struct History {
    pub project: ProjectRow,
    pub events: Vec<Event>,
    /// Each revision's readable diff against the one before: (rev, reason, lines).
    pub revisions: Vec<(u64, String, Vec<String>)>,
    pub opinions: Vec<Value>,
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
            .ok_or_else(|| StoreError::Conflict("还没有开始任何年度的工作".into()))
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
        let mut st = self.c.prepare(
            "SELECT id, tracking_no, status, department, received_at, doc FROM suggestions
             WHERE (?1 IS NULL OR department = ?1) ORDER BY id",
        )?;
        let rows = st
            .query_map([department], |r| {
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
        let id: Option<i64> = self
            .c
            .query_row(
                "SELECT id FROM suggestions WHERE tracking_no = ?1",
                [tracking_no.trim().to_ascii_uppercase()],
                |r| r.get(0),
            )
            .optional()?;
        let Some(id) = id else { return Ok(None) };
        Ok(self.suggestions(None)?.into_iter().find(|s| s.id == id))
    }

    pub fn projects(&self) -> Result<Vec<ProjectRow>, StoreError> {
        let mut st = self.c.prepare(
            "SELECT id, year, department, status, doc, assessment, exclusion, merged_into, candidate_id, round_id,
             (SELECT COUNT(*) FROM project_revisions r WHERE r.project_id = p.id) FROM projects p ORDER BY id",
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
            .query_map([], |r| {
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
                        candidate_id,
                        round_id,
                        revisions,
                        missing,
                        resembles_major: resembles(&doc.name, &majors).map(str::to_string),
                        doc,
                    })
                },
            )
            .collect()
    }

    pub fn project(&self, id: i64) -> Result<ProjectRow, StoreError> {
        self.projects()?
            .into_iter()
            .find(|p| p.id == id)
            .ok_or(StoreError::NotFound("项目"))
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

    pub fn meetings(&self) -> Result<Vec<(i64, Meeting)>, StoreError> {
        let mut st = self.c.prepare("SELECT id, doc FROM meetings ORDER BY id")?;
        let rows = st
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(id, d)| Ok((id, parse_record(d.as_bytes()).map_err(corrupt)?)))
            .collect()
    }

    pub fn opinions(&self, project: Option<i64>) -> Result<Vec<Value>, StoreError> {
        let mut st = self.c.prepare(
            "SELECT id, project_id, source, author, text, response, adopted FROM opinions
             WHERE (?1 IS NULL OR project_id = ?1) ORDER BY id",
        )?;
        let rows = st
            .query_map([project], |r| {
                let source: String = r.get(2)?;
                let label = serde_json::from_value::<OpinionSource>(Value::String(source.clone()))
                    .map(|s| s.label_zh())
                    .unwrap_or("");
                Ok(json!({
                    "id": r.get::<_, i64>(0)?, "project_id": r.get::<_, Option<i64>>(1)?,
                    "source": source, "source_label": label, "author": r.get::<_, String>(3)?,
                    "text": r.get::<_, String>(4)?, "response": r.get::<_, Option<String>>(5)?,
                    "adopted": r.get::<_, Option<bool>>(6)?,
                }))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    pub fn drafts(&self) -> Result<Vec<Value>, StoreError> {
        let mut st = self
            .c
            .prepare("SELECT year, version, label, doc FROM drafts ORDER BY year, version")?;
        let rows = st
            .query_map([], |r| {
                Ok(json!({"year": r.get::<_, u32>(0)?, "version": r.get::<_, u32>(1)?,
                          "label": r.get::<_, String>(2)?, "projects": serde_json::from_str::<Value>(&r.get::<_, String>(3)?).unwrap_or(Value::Null)}))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
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
    pub fn counts(&self) -> Result<Value, StoreError> {
        let group = |col: &str| -> Result<Vec<(String, u64)>, StoreError> {
            let mut st = self
                .c
                .prepare(&format!("SELECT {col}, COUNT(*) FROM suggestions GROUP BY {col} ORDER BY COUNT(*) DESC, {col}"))?;
            let rows = st
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        };
        let channels: Vec<Value> = group("channel")?
            .into_iter()
            .map(|(c, n)| {
                let label = serde_json::from_value::<crate::upstream::model::Channel>(
                    Value::String(c.clone()),
                )
                .map(|c| c.label_zh())
                .unwrap_or("");
                json!({"channel": c, "label": label, "count": n})
            })
            .collect();
        let towns: Vec<Value> = group("town")?
            .into_iter()
            .map(|(t, n)| json!({"town": t, "count": n}))
            .collect();
        let total: u64 = self
            .c
            .query_row("SELECT COUNT(*) FROM suggestions", [], |r| r.get(0))?;
        Ok(json!({"total": total, "by_channel": channels, "by_town": towns}))
    }
}

impl UpTx<'_> {
    pub fn read(&self) -> UpRead<'_> {
        UpRead { c: self.tx }
    }

    pub fn at(&self) -> &Timestamp {
        &self.at
    }

    /// Appends an event to the chain (in this transaction).
    fn event(
        &mut self,
        kind: &str,
        subject: &str,
        before: Option<Value>,
        after: Option<Value>,
    ) -> Result<(), StoreError> {
        let (e, tip) = self
            .tip
            .next(self.at.clone(), &self.actor, kind, subject, before, after);
        self.tx.execute(
            "INSERT INTO audit_events (seq, subject, hash, line) VALUES (?1, ?2, ?3, ?4)",
            params![e.seq, subject, tip.hash.to_hex(), e.line()],
        )?;
        self.tip = tip;
        Ok(())
    }

    /// The year's stage must allow `action`.
    pub fn require(&self, action: Action) -> Result<YearRow, StoreError> {
        let y = self.read().the_year()?;
        allowed(y.stage, action).map_err(|e| StoreError::Conflict(e.to_string()))?;
        Ok(y)
    }

    /// Starts a year's work at 征集项目.
    pub fn open_year(&mut self, year: u32, collection_opened: Date) -> Result<(), StoreError> {
        let n = self.tx.execute(
            "INSERT INTO up_years (year, stage, collection_opened) VALUES (?1, 'collect', ?2) ON CONFLICT DO NOTHING",
            params![year, collection_opened.as_str()],
        )?;
        if n == 0 {
            return Err(StoreError::Conflict(format!("{year} 年度已经开始")));
        }
        self.event(
            "year.open",
            &format!("year:{year}"),
            None,
            Some(json!({"stage": "collect", "collection_opened": collection_opened})),
        )
    }

    /// Moves the year one stage on (the 组长 alone; the caller checks the role).
    pub fn advance(&mut self, note: &str) -> Result<Stage, StoreError> {
        let y = self.require(Action::Advance)?;
        let next = y.stage.next().ok_or_else(|| {
            StoreError::Conflict(format!("“{}”是最后一个阶段", y.stage.label_zh()))
        })?;
        self.tx.execute(
            "UPDATE up_years SET stage = ?2 WHERE year = ?1",
            params![y.year, next.as_str()],
        )?;
        if y.stage == Stage::Collect {
            self.tx.execute(
                "UPDATE up_years SET collection_closed = ?2 WHERE year = ?1",
                params![y.year, self.at.as_str().get(..10).unwrap_or("")],
            )?;
        }
        self.event(
            "year.advance",
            &format!("year:{}", y.year),
            Some(json!({"stage": y.stage})),
            Some(json!({"stage": next, "note": note})),
        )?;
        Ok(next)
    }

    pub fn set_group_role(&mut self, staff_id: i64, role: &GroupRole) -> Result<(), StoreError> {
        let before = self.read().group_role(staff_id)?;
        self.tx.execute(
            "INSERT INTO wg_members (staff_id, role) VALUES (?1, ?2) ON CONFLICT(staff_id) DO UPDATE SET role = excluded.role",
            params![staff_id, to_canonical_string(role)],
        )?;
        self.event(
            "group.role",
            &format!("group:{staff_id}"),
            before.map(|r| to_value(&r)),
            Some(to_value(role)),
        )
    }

    /// A tracking number not yet given: `MS` + year + 6 random digits,
    /// drawn again while taken (a year's thousands of hotline items would
    /// otherwise meet a taken one sooner or later), then 8 digits.
    fn new_tracking_no(&self, year: u32) -> Result<String, StoreError> {
        for attempt in 0..64 {
            let digits = if attempt < 32 { 6 } else { 8 };
            let no = format!("MS{year}{}", super::random_digits(digits)?);
            let taken: bool = self.tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM suggestions WHERE tracking_no = ?1)",
                [&no],
                |r| r.get(0),
            )?;
            if !taken {
                return Ok(no);
            }
        }
        Err(StoreError::Conflict("无法生成新的受理编号，请重试".into()))
    }

    /// A suggestion in, with its tracking number. The action says which
    /// stages allow it (the public form, staff entry, or hotline import).
    pub fn add_suggestion(
        &mut self,
        input: &SuggestionInput,
        action: Action,
    ) -> Result<(i64, String), StoreError> {
        let y = self.require(action)?;
        let p = input.problems();
        if !p.is_empty() {
            return Err(invalid(&p));
        }
        let tracking_no = self.new_tracking_no(y.year)?;
        let channel = to_value(&input.channel);
        self.tx.execute(
            "INSERT INTO suggestions (year, tracking_no, channel, town, village, category, status, doc, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'received', ?7, ?8)",
            params![
                y.year,
                tracking_no,
                channel.as_str().unwrap_or(""),
                input.place.town.trim(),
                input.place.village.trim(),
                input.category.trim(),
                to_canonical_string(input),
                self.at.as_str()
            ],
        )?;
        let id = self.tx.last_insert_rowid();
        // The contact stays in the row for a reply; the public log never carries it.
        let mut shown = to_value(input);
        if let Some(o) = shown.as_object_mut() {
            o.remove("contact");
        }
        self.event(
            "suggestion.create",
            &format!("suggestion:{id}"),
            None,
            Some(shown),
        )?;
        Ok((id, tracking_no))
    }

    /// 建议清单: each suggestion assigned to the department that answers it.
    pub fn compile_list(&mut self, assign: &[(i64, String)]) -> Result<usize, StoreError> {
        self.require(Action::CompileList)?;
        for (id, dept) in assign {
            let n = self.tx.execute(
                "UPDATE suggestions SET status = 'listed', department = ?2 WHERE id = ?1 AND status = 'received'",
                params![id, dept.trim()],
            )?;
            if n == 0 {
                return Err(StoreError::Conflict(format!(
                    "建议 {id} 不存在或已列入清单"
                )));
            }
            self.event(
                "suggestion.list",
                &format!("suggestion:{id}"),
                Some(json!({"status": "received"})),
                Some(json!({"status": "listed", "department": dept})),
            )?;
        }
        Ok(assign.len())
    }

    fn link(&mut self, project: i64, suggestions: &[i64]) -> Result<(), StoreError> {
        for s in suggestions {
            let exists: bool = self
                .tx
                .query_row("SELECT 1 FROM suggestions WHERE id = ?1", [s], |_| Ok(()))
                .optional()?
                .is_some();
            if !exists {
                return Err(StoreError::Invalid(format!("建议 {s} 不存在")));
            }
            self.tx.execute(
                "INSERT INTO project_links (project_id, suggestion_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                params![project, s],
            )?;
            self.tx.execute(
                "UPDATE suggestions SET status = 'adopted' WHERE id = ?1",
                [s],
            )?;
        }
        Ok(())
    }

    fn revise_row(&mut self, id: i64, doc: &ProjectDoc, reason: &str) -> Result<(), StoreError> {
        let rev: u64 = self.tx.query_row(
            "SELECT COALESCE(MAX(rev), 0) + 1 FROM project_revisions WHERE project_id = ?1",
            [id],
            |r| r.get(0),
        )?;
        self.tx.execute(
            "INSERT INTO project_revisions (project_id, rev, doc, reason) VALUES (?1, ?2, ?3, ?4)",
            params![id, rev, to_canonical_string(doc), reason],
        )?;
        self.tx.execute(
            "UPDATE projects SET doc = ?2 WHERE id = ?1",
            params![id, to_canonical_string(doc)],
        )?;
        Ok(())
    }

    /// 初选申报: a department's project, linked to the suggestions it answers.
    pub fn declare(
        &mut self,
        department: &str,
        doc: &ProjectDoc,
        suggestions: &[i64],
    ) -> Result<i64, StoreError> {
        let y = self.require(Action::Declare)?;
        let p = doc.problems();
        if !p.is_empty() {
            return Err(invalid(&p));
        }
        self.tx.execute(
            "INSERT INTO projects (year, department, status, doc) VALUES (?1, ?2, 'declared', ?3)",
            params![y.year, department, to_canonical_string(doc)],
        )?;
        let id = self.tx.last_insert_rowid();
        self.revise_row(id, doc, "申报")?;
        self.link(id, suggestions)?;
        self.event(
            "project.declare",
            &format!("project:{id}"),
            None,
            Some(json!({"department": department, "doc": doc, "suggestions": suggestions})),
        )?;
        Ok(id)
    }

    /// A new version of a project (a department's amendment in 初选申报, or a
    /// revision after opinions or a meeting), with the reason.
    pub fn amend(&mut self, id: i64, doc: &ProjectDoc, reason: &str) -> Result<(), StoreError> {
        let y = self.read().the_year()?;
        if !matches!(
            y.stage,
            Stage::Declare | Stage::Review | Stage::Consult | Stage::Approve
        ) {
            return Err(StoreError::Conflict(format!(
                "“{}”阶段不能修改项目",
                y.stage.label_zh()
            )));
        }
        let p = doc.problems();
        if !p.is_empty() {
            return Err(invalid(&p));
        }
        let before = self.read().project(id)?;
        if !before.status.live() {
            return Err(StoreError::Conflict(format!(
                "项目已{}，不能修改",
                before.status.label_zh()
            )));
        }
        self.revise_row(id, doc, reason)?;
        self.event(
            "project.revise",
            &format!("project:{id}"),
            Some(to_value(&before.doc)),
            Some(json!({"doc": doc, "reason": reason})),
        )
    }

    /// 审核论证: the four findings and the conclusion.
    pub fn assess(&mut self, id: i64, a: &Assessment) -> Result<(), StoreError> {
        self.require(Action::Assess)?;
        let p = a.problems();
        if !p.is_empty() {
            return Err(invalid(&p));
        }
        let before = self.read().project(id)?;
        if !before.status.live() {
            return Err(StoreError::Conflict(format!(
                "项目已{}",
                before.status.label_zh()
            )));
        }
        let missing = before.doc.sign_off_missing();
        if !missing.is_empty() {
            return Err(StoreError::Conflict(format!(
                "申报材料不全，尚缺：{}",
                missing.join("、")
            )));
        }
        let status = match a.conclusion {
            Conclusion::Pass => ProjectStatus::Passed,
            Conclusion::Revise => ProjectStatus::Revise,
            Conclusion::Reject => ProjectStatus::Excluded,
        };
        self.tx.execute(
            "UPDATE projects SET assessment = ?2, status = ?3 WHERE id = ?1",
            params![id, to_canonical_string(a), status.as_str()],
        )?;
        self.event(
            "project.assess",
            &format!("project:{id}"),
            Some(json!({"status": before.status})),
            Some(json!({"status": status, "assessment": a})),
        )
    }

    /// Replaces the year's list of major projects (imported).
    pub fn set_majors(&mut self, names: &[String]) -> Result<usize, StoreError> {
        let y = self.read().the_year()?;
        let before = self.read().majors()?;
        self.tx
            .execute("DELETE FROM major_projects WHERE year = ?1", [y.year])?;
        for n in names {
            self.tx.execute(
                "INSERT INTO major_projects (year, name) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                params![y.year, n.trim()],
            )?;
        }
        self.event(
            "major.import",
            &format!("year:{}", y.year),
            Some(json!(before)),
            Some(json!(names)),
        )?;
        Ok(names.len())
    }

    /// Rules a project out, with the reason.
    pub fn exclude(&mut self, id: i64, reason: Exclusion, note: &str) -> Result<(), StoreError> {
        self.require(Action::Exclude)?;
        check_exclusion(reason, note, &self.read().majors()?).map_err(StoreError::Invalid)?;
        let before = self.read().project(id)?;
        if !before.status.live() {
            return Err(StoreError::Conflict(format!(
                "项目已{}",
                before.status.label_zh()
            )));
        }
        let ex = json!({"reason": reason, "label": reason.label_zh(), "note": note});
        self.tx.execute(
            "UPDATE projects SET status = 'excluded', exclusion = ?2 WHERE id = ?1",
            params![id, ex.to_string()],
        )?;
        self.event(
            "project.exclude",
            &format!("project:{id}"),
            Some(json!({"status": before.status})),
            Some(ex),
        )
    }

    /// 合并: a new project from `sources`; each source shows "merged into"
    /// the new one, the new one lists its sources and all their suggestions.
    pub fn merge(&mut self, sources: &[i64], doc: &ProjectDoc) -> Result<i64, StoreError> {
        let y = self.require(Action::Merge)?;
        if sources.len() < 2 {
            return Err(StoreError::Invalid("合并至少需要两个项目".into()));
        }
        let p = doc.problems();
        if !p.is_empty() {
            return Err(invalid(&p));
        }
        let mut suggestions = vec![];
        let mut department = String::new();
        let mut status = ProjectStatus::Declared;
        for s in sources {
            let src = self.read().project(*s)?;
            if !src.status.live() {
                return Err(StoreError::Conflict(format!(
                    "项目 {s} 已{}，不能合并",
                    src.status.label_zh()
                )));
            }
            suggestions.extend(src.suggestions);
            if department.is_empty() {
                department = src.department;
                status = src.status;
            }
        }
        self.tx.execute(
            "INSERT INTO projects (year, department, status, doc) VALUES (?1, ?2, ?3, ?4)",
            params![
                y.year,
                department,
                status.as_str(),
                to_canonical_string(doc)
            ],
        )?;
        let id = self.tx.last_insert_rowid();
        self.revise_row(id, doc, "合并")?;
        for s in sources {
            self.tx.execute(
                "UPDATE projects SET status = 'merged', merged_into = ?2 WHERE id = ?1",
                params![s, id],
            )?;
            self.event(
                "project.merged",
                &format!("project:{s}"),
                None,
                Some(json!({"merged_into": id})),
            )?;
        }
        self.link(id, &suggestions)?;
        self.event(
            "project.merge",
            &format!("project:{id}"),
            None,
            Some(json!({"sources": sources, "doc": doc})),
        )?;
        Ok(id)
    }

    /// 讨论稿 (or 送审方案): the live projects as they stand, numbered.
    pub fn save_draft(&mut self, label: &str) -> Result<u32, StoreError> {
        let y = self.read().the_year()?;
        if !matches!(y.stage, Stage::Review | Stage::Consult) {
            return Err(StoreError::Conflict(
                "讨论稿在审核论证、征求意见阶段形成".into(),
            ));
        }
        let list: Vec<Value> = self
            .read()
            .projects()?
            .into_iter()
            .filter(|p| p.status.live() && p.status != ProjectStatus::Revise)
            .map(|p| json!({"id": p.id, "name": p.doc.name, "lead_unit": p.doc.lead_unit, "investment_yuan": p.doc.investment_yuan}))
            .collect();
        let version: u32 = self.tx.query_row(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM drafts WHERE year = ?1",
            [y.year],
            |r| r.get(0),
        )?;
        let doc = Value::Array(list);
        self.tx.execute(
            "INSERT INTO drafts (year, version, label, doc) VALUES (?1, ?2, ?3, ?4)",
            params![y.year, version, label, doc.to_string()],
        )?;
        self.event(
            "draft.save",
            &format!("draft:{}/{version}", y.year),
            None,
            Some(json!({"label": label, "projects": doc})),
        )?;
        Ok(version)
    }

    /// An opinion (or a 协调会 confirmation) on a project or on the list.
    pub fn add_opinion(
        &mut self,
        project: Option<i64>,
        source: OpinionSource,
        author: &str,
        text: &str,
    ) -> Result<i64, StoreError> {
        let y = self.require(Action::Consult)?;
        if text.trim().is_empty() || author.trim().is_empty() || text.chars().count() > 3000 {
            return Err(StoreError::Invalid(
                "意见须写明提出者和内容（3000 字以内）".into(),
            ));
        }
        if let Some(p) = project {
            self.read().project(p)?;
        }
        self.tx.execute(
            "INSERT INTO opinions (year, project_id, source, author, text) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![y.year, project, to_value(&source).as_str().unwrap_or(""), author, text],
        )?;
        let id = self.tx.last_insert_rowid();
        let subject = project.map_or(format!("opinion:{id}"), |p| format!("project:{p}"));
        self.event(
            "opinion.add",
            &subject,
            None,
            Some(json!({"opinion": id, "source": source, "author": author, "text": text})),
        )?;
        Ok(id)
    }

    /// The response to an opinion, and whether it was adopted.
    pub fn respond(
        &mut self,
        opinion: i64,
        response: &str,
        adopted: bool,
    ) -> Result<(), StoreError> {
        self.require(Action::Consult)?;
        let project: Option<Option<i64>> = self
            .tx
            .query_row(
                "SELECT project_id FROM opinions WHERE id = ?1",
                [opinion],
                |r| r.get(0),
            )
            .optional()?;
        let Some(project) = project else {
            return Err(StoreError::NotFound("意见"));
        };
        self.tx.execute(
            "UPDATE opinions SET response = ?2, adopted = ?3 WHERE id = ?1",
            params![opinion, response, adopted],
        )?;
        let subject = project.map_or(format!("opinion:{opinion}"), |p| format!("project:{p}"));
        self.event(
            "opinion.respond",
            &subject,
            None,
            Some(json!({"opinion": opinion, "response": response, "adopted": adopted})),
        )
    }

    /// 主任会议 → 常务会议 → 区委常委会, each in order.
    pub fn add_meeting(&mut self, m: &Meeting) -> Result<i64, StoreError> {
        let y = self.require(Action::Meeting)?;
        let held: Vec<Meeting> = self
            .read()
            .meetings()?
            .into_iter()
            .map(|(_, m)| m)
            .collect();
        meeting_allowed(&held, m.kind).map_err(|e| StoreError::Conflict(e.to_string()))?;
        if m.decision.trim().is_empty() {
            return Err(StoreError::Invalid("须写明会议决定".into()));
        }
        self.tx.execute(
            "INSERT INTO meetings (year, doc) VALUES (?1, ?2)",
            params![y.year, to_canonical_string(m)],
        )?;
        let id = self.tx.last_insert_rowid();
        self.event(
            "meeting.record",
            &format!("year:{}", y.year),
            None,
            Some(to_value(m)),
        )?;
        Ok(id)
    }

    /// 确定候选 → 票决: the approved projects become a draft round's
    /// candidates (P01, P02, … in list order), each linked back to its project.
    pub fn make_round(
        &mut self,
        election_id: &ElectionId,
        title: &str,
        assembly: &str,
        rules: Rules,
    ) -> Result<i64, StoreError> {
        let y = self.require(Action::MakeRound)?;
        let held: Vec<Meeting> = self
            .read()
            .meetings()?
            .into_iter()
            .map(|(_, m)| m)
            .collect();
        ready_for_vote(&held).map_err(|e| StoreError::Conflict(e.to_string()))?;
        let chosen: Vec<ProjectRow> = self
            .read()
            .projects()?
            .into_iter()
            .filter(|p| p.year == y.year && p.status == ProjectStatus::Passed)
            .collect();
        if chosen.is_empty() {
            return Err(StoreError::Conflict("没有审核通过的项目".into()));
        }
        if chosen.iter().any(|p| p.round_id.is_some()) {
            return Err(StoreError::Conflict("候选清单已经生成".into()));
        }
        let mut candidates = vec![];
        for (i, p) in chosen.iter().enumerate() {
            let cid = CandidateId::parse(&format!("P{:02}", i + 1)).map_err(corrupt)?;
            candidates.push((p.id, p.doc.candidate(cid)));
        }
        let draft = RoundDraft {
            title: title.to_string(),
            assembly: assembly.to_string(),
            rules,
            candidates: candidates.iter().map(|(_, c)| c.clone()).collect(),
            previous_result: None,
        };
        let round_id = insert_round(self.tx, election_id, &draft)?;
        for (pid, c) in &candidates {
            self.tx.execute(
                "UPDATE projects SET status = 'candidate', candidate_id = ?2, round_id = ?3 WHERE id = ?1",
                params![pid, c.id.as_str(), round_id],
            )?;
            self.event(
                "project.candidate",
                &format!("project:{pid}"),
                None,
                Some(json!({"round": round_id, "candidate": c.id})),
            )?;
        }
        self.tx.execute(
            "UPDATE up_years SET stage = 'vote' WHERE year = ?1",
            [y.year],
        )?;
        self.event(
            "round.create",
            &format!("round:{round_id}"),
            None,
            Some(json!({"candidates": candidates.iter().map(|(p, c)| json!({"project": p, "candidate": c.id})).collect::<Vec<_>>()})),
        )?;
        self.event(
            "year.advance",
            &format!("year:{}", y.year),
            Some(json!({"stage": Stage::Approve})),
            Some(json!({"stage": Stage::Vote, "note": "候选清单交付票决"})),
        )?;
        Ok(round_id)
    }
}
