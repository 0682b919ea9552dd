//! 实施与监督: plans, progress reports, decisions and inspections of the
//! decided projects, each change with its event. Whether a project was
//! decided, and who may act on it, the service checks; the rules are in
//! [`crate::upstream::follow`].

use super::*;
use crate::upstream::follow::{AttachedTo, Decision, Inspection, Plan, PublicRating, Report};

/// A project carried into a year from the year that decided it.
#[derive(Clone, Debug, Serialize)]
pub struct Continuing {
    pub project_id: i64,
    pub name: String,
    pub from_year: u32,
    pub goal: String,
}

/// An inspection and the department's answer to its 督办建议.
#[derive(Clone, Debug, Serialize)]
pub struct InspectionRow {
    pub id: i64,
    pub at: String,
    #[serde(flatten)]
    pub inspection: Inspection,
    pub answer: Option<String>,
    pub answered_at: Option<String>,
}

/// A photo or scan of a project (the file is `attachments/<sha256>.<kind>`
/// in the data dir).
#[derive(Clone, Debug, Serialize)]
pub struct AttachmentRow {
    pub id: i64,
    pub project_id: i64,
    pub sha256: String,
    pub name: String,
    pub kind: String,
    pub bytes: u64,
    pub at: String,
    /// The progress report or the inspection it belongs to, if any.
    pub report_id: Option<i64>,
    pub inspection_id: Option<i64>,
}

/// A public rating and its comment, as staff moderate it.
#[derive(Clone, Debug, Serialize)]
pub struct RatingRow {
    pub id: i64,
    pub project_id: i64,
    pub rating: PublicRating,
    pub comment: String,
    pub at: String,
    /// None while waiting for staff.
    pub shown: Option<bool>,
}

/// How a project is rated by the public.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct RatingCounts {
    pub satisfied: u64,
    pub basically_satisfied: u64,
    pub unsatisfied: u64,
}

/// A progress report as recorded.
#[derive(Clone, Debug, Serialize)]
pub struct ReportRow {
    pub id: i64,
    /// When it was recorded.
    pub at: String,
    #[serde(flatten)]
    pub report: Report,
}

/// Everything recorded after the vote about one project.
#[derive(Clone, Debug, Default)]
pub struct FollowRecord {
    pub plan: Option<Plan>,
    /// Who checked the plan, and when (the working group).
    pub checked: Option<(String, String)>,
    /// The reports, oldest first.
    pub reports: Vec<ReportRow>,
    pub decisions: Vec<(String, Decision)>,
    pub inspections: Vec<InspectionRow>,
    pub ratings: RatingCounts,
    /// The comments staff let be shown, newest first (at most 50).
    pub comments: Vec<RatingRow>,
    pub attachments: Vec<AttachmentRow>,
}

fn parse<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(corrupt)
}

impl UpRead<'_> {
    /// The projects carried into `year` from earlier years: (project, its
    /// name, the year it was decided, its goal this year).
    pub fn continuing(&self, year: u32) -> Result<Vec<Continuing>, StoreError> {
        let mut st = self.c.prepare(
            "SELECT c.project_id, json_extract(p.doc, '$.name'), p.year, c.goal
             FROM continuing c JOIN projects p ON p.id = c.project_id WHERE c.year = ?1 ORDER BY c.project_id",
        )?;
        let rows = st
            .query_map([year], |r| {
                Ok(Continuing {
                    project_id: r.get(0)?,
                    name: r.get(1)?,
                    from_year: r.get(2)?,
                    goal: r.get(3)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    pub fn follow_record(&self, project: i64) -> Result<FollowRecord, StoreError> {
        let mut out = FollowRecord::default();
        if let Some((doc, by, at)) = self
            .c
            .query_row(
                "SELECT doc, checked_by, checked_at FROM follow_plans WHERE project_id = ?1",
                [project],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, Option<String>>(2)?,
                    ))
                },
            )
            .optional()?
        {
            out.plan = Some(parse(&doc)?);
            out.checked = by.zip(at);
        }
        let mut st = self.c.prepare_cached(
            "SELECT id, at, doc FROM follow_reports WHERE project_id = ?1 ORDER BY id",
        )?;
        for row in st.query_map([project], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })? {
            let (id, at, doc) = row?;
            out.reports.push(ReportRow {
                id,
                at,
                report: parse(&doc)?,
            });
        }
        let mut st = self.c.prepare_cached(
            "SELECT at, doc FROM follow_decisions WHERE project_id = ?1 ORDER BY id",
        )?;
        for row in st.query_map([project], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })? {
            let (at, doc) = row?;
            out.decisions.push((at, parse(&doc)?));
        }
        let mut st = self.c.prepare_cached(
            "SELECT id, at, doc, answer, answered_at FROM inspections WHERE project_id = ?1 ORDER BY id",
        )?;
        let rows = st
            .query_map([project], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut st = self.c.prepare_cached(
            "SELECT rating, COUNT(*) FROM public_ratings WHERE project_id = ?1 GROUP BY rating",
        )?;
        for row in st.query_map([project], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?))
        })? {
            let (rating, n) = row?;
            match PublicRating::parse(&rating) {
                Some(PublicRating::Satisfied) => out.ratings.satisfied = n,
                Some(PublicRating::BasicallySatisfied) => out.ratings.basically_satisfied = n,
                Some(PublicRating::Unsatisfied) => out.ratings.unsatisfied = n,
                None => return Err(corrupt(format!("rating {rating}"))),
            }
        }
        out.comments = self.ratings_where(Some(project), Some(true), 50)?;
        out.attachments = self.attachments_where(Some(project), None)?;
        for (id, at, doc, answer, answered_at) in rows {
            out.inspections.push(InspectionRow {
                id,
                at,
                inspection: parse(&doc)?,
                answer,
                answered_at,
            });
        }
        Ok(out)
    }

    /// Ratings with a comment: of `project` (or all), shown / hidden /
    /// waiting (`shown`: Some(true), Some(false); None: waiting), newest first.
    pub fn ratings_where(
        &self,
        project: Option<i64>,
        shown: Option<bool>,
        limit: u32,
    ) -> Result<Vec<RatingRow>, StoreError> {
        let mut st = self.c.prepare_cached(
            "SELECT id, project_id, rating, comment, at, shown FROM public_ratings
             WHERE comment != '' AND (?1 IS NULL OR project_id = ?1)
               AND ((?2 IS NULL AND shown IS NULL) OR shown = ?2)
             ORDER BY id DESC LIMIT ?3",
        )?;
        let rows = st
            .query_map(params![project, shown, limit], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<bool>>(5)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(id, project_id, rating, comment, at, shown)| {
                Ok(RatingRow {
                    id,
                    project_id,
                    rating: PublicRating::parse(&rating)
                        .ok_or_else(|| corrupt(format!("rating {rating}")))?,
                    comment,
                    at,
                    shown,
                })
            })
            .collect()
    }

    /// Attachments: of a project, or the one with `id`.
    pub fn attachments_where(
        &self,
        project: Option<i64>,
        id: Option<i64>,
    ) -> Result<Vec<AttachmentRow>, StoreError> {
        let mut st = self.c.prepare_cached(
            "SELECT id, project_id, sha256, name, kind, bytes, at, report_id, inspection_id FROM attachments
             WHERE (?1 IS NULL OR project_id = ?1) AND (?2 IS NULL OR id = ?2) ORDER BY id",
        )?;
        let rows = st
            .query_map(params![project, id], |r| {
                Ok(AttachmentRow {
                    id: r.get(0)?,
                    project_id: r.get(1)?,
                    sha256: r.get(2)?,
                    name: r.get(3)?,
                    kind: r.get(4)?,
                    bytes: r.get(5)?,
                    at: r.get(6)?,
                    report_id: r.get(7)?,
                    inspection_id: r.get(8)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The project an inspection is about.
    pub fn inspection_project(&self, id: i64) -> Result<i64, StoreError> {
        self.c
            .query_row(
                "SELECT project_id FROM inspections WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()?
            .ok_or(StoreError::NotFound("视察记录"))
    }
}

impl UpTx<'_> {
    /// The lead department's plan, new or revised (a revised plan is to be
    /// checked again).
    pub fn set_plan(&mut self, project: i64, plan: &Plan) -> Result<(), StoreError> {
        if !plan.problems().is_empty() {
            return Err(invalid(&plan.problems()));
        }
        let before = self.read().follow_record(project)?.plan;
        self.tx.execute(
            "INSERT INTO follow_plans (project_id, doc) VALUES (?1, ?2)
             ON CONFLICT (project_id) DO UPDATE SET doc = excluded.doc, checked_by = NULL, checked_at = NULL",
            params![project, to_canonical_string(plan)],
        )?;
        self.event(
            "follow.plan",
            &format!("project:{project}"),
            before.map(|p| to_value(&p)),
            Some(to_value(plan)),
        )
    }

    /// The working group has checked the plan.
    pub fn check_plan(&mut self, project: i64) -> Result<(), StoreError> {
        let (actor, at) = (self.actor.clone(), self.at.as_str().to_string());
        let n = self.tx.execute(
            "UPDATE follow_plans SET checked_by = ?2, checked_at = ?3 WHERE project_id = ?1",
            params![project, actor, at],
        )?;
        if n == 0 {
            return Err(StoreError::conflict("该项目还没有实施方案"));
        }
        self.event(
            "follow.plan_check",
            &format!("project:{project}"),
            None,
            Some(json!({"checked": true})),
        )
    }

    pub fn add_report(&mut self, project: i64, report: &Report) -> Result<i64, StoreError> {
        let Some(plan) = self.read().follow_record(project)?.plan else {
            return Err(StoreError::conflict("请先填报实施方案"));
        };
        let problems = report.problems(&plan);
        if !problems.is_empty() {
            return Err(invalid(&problems));
        }
        let at = self.at.as_str().to_string();
        self.tx.execute(
            "INSERT INTO follow_reports (project_id, doc, at) VALUES (?1, ?2, ?3)",
            params![project, to_canonical_string(report), at],
        )?;
        let id = self.tx.last_insert_rowid();
        self.event(
            "follow.report",
            &format!("project:{project}"),
            None,
            Some(to_value(report)),
        )?;
        Ok(id)
    }

    pub fn add_decision(&mut self, project: i64, d: &Decision) -> Result<(), StoreError> {
        if !d.problems().is_empty() {
            return Err(invalid(&d.problems()));
        }
        let at = self.at.as_str().to_string();
        self.tx.execute(
            "INSERT INTO follow_decisions (project_id, doc, at) VALUES (?1, ?2, ?3)",
            params![project, to_canonical_string(d), at],
        )?;
        self.event(
            "follow.decision",
            &format!("project:{project}"),
            None,
            Some(to_value(d)),
        )
    }

    pub fn add_inspection(&mut self, project: i64, i: &Inspection) -> Result<i64, StoreError> {
        if !i.problems().is_empty() {
            return Err(invalid(&i.problems()));
        }
        let at = self.at.as_str().to_string();
        self.tx.execute(
            "INSERT INTO inspections (project_id, doc, at) VALUES (?1, ?2, ?3)",
            params![project, to_canonical_string(i), at],
        )?;
        let id = self.tx.last_insert_rowid();
        self.event(
            "follow.inspect",
            &format!("project:{project}"),
            None,
            Some(json!({"inspection": id, "doc": i})),
        )?;
        Ok(id)
    }

    /// Records `i` unless the project already has exactly this item (a
    /// 满意度测评's 整改, made again after a failure, is made once).
    pub fn add_inspection_once(&mut self, project: i64, i: &Inspection) -> Result<i64, StoreError> {
        let doc = to_canonical_string(i);
        let found: Option<i64> = self
            .tx
            .query_row(
                "SELECT id FROM inspections WHERE project_id = ?1 AND doc = ?2",
                params![project, doc],
                |r| r.get(0),
            )
            .optional()?;
        match found {
            Some(id) => Ok(id),
            None => self.add_inspection(project, i),
        }
    }

    /// A member of the public rates project `project` (its comment waits
    /// for staff); the chain records the rating and the comment's digest.
    pub fn add_rating(
        &mut self,
        project: i64,
        rating: PublicRating,
        comment: &str,
    ) -> Result<i64, StoreError> {
        let p = self.read().project(project)?;
        if !p.status.live() {
            return Err(StoreError::conflict(format!(
                "项目已{}",
                p.status.label_zh()
            )));
        }
        let at = self.at.as_str().to_string();
        self.tx.execute(
            "INSERT INTO public_ratings (project_id, rating, comment, at) VALUES (?1, ?2, ?3, ?4)",
            params![project, rating.as_str(), comment, at],
        )?;
        let id = self.tx.last_insert_rowid();
        let digest = (!comment.is_empty())
            .then(|| hex::encode(<sha2::Sha256 as sha2::Digest>::digest(comment.as_bytes())));
        self.event(
            "rating.add",
            &format!("project:{project}"),
            None,
            Some(json!({"rating": rating, "comment_sha256": digest})),
        )?;
        Ok(id)
    }

    /// A photo or scan of `project`, its file already in place; the chain
    /// records its digest.
    /// A photo or scan of `project`, of one of its reports or inspections
    /// (`of`) if given — refused when that one is another project's.
    #[allow(clippy::too_many_arguments)]
    pub fn add_attachment(
        &mut self,
        project: i64,
        of: AttachedTo,
        sha256: &str,
        name: &str,
        kind: &str,
        bytes: u64,
    ) -> Result<i64, StoreError> {
        let (report, inspection) = match of {
            AttachedTo::Project => (None, None),
            AttachedTo::Report(r) => (Some(r), None),
            AttachedTo::Inspection(i) => (None, Some(i)),
        };
        let (table, id) = match (report, inspection) {
            (Some(r), _) => ("follow_reports", r),
            (_, Some(i)) => ("inspections", i),
            _ => ("", 0),
        };
        if !table.is_empty() {
            let owner: Option<i64> = self
                .tx
                .query_row(
                    &format!("SELECT project_id FROM {table} WHERE id = ?1"),
                    [id],
                    |r| r.get(0),
                )
                .optional()?;
            if owner != Some(project) {
                return Err(StoreError::NotFound(if report.is_some() {
                    "该项目的这份进展报告"
                } else {
                    "该项目的这次视察"
                }));
            }
        }
        let at = self.at.as_str().to_string();
        self.tx.execute(
            "INSERT INTO attachments (project_id, sha256, name, kind, bytes, at, report_id, inspection_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![project, sha256, name, kind, bytes, at, report, inspection],
        )?;
        let id = self.tx.last_insert_rowid();
        self.event(
            "follow.attach",
            &format!("project:{project}"),
            None,
            Some(json!({"attachment": id, "name": name, "kind": kind, "bytes": bytes, "sha256": sha256,
                        "report": report, "inspection": inspection})),
        )?;
        Ok(id)
    }

    /// Staff show or hide a comment.
    pub fn moderate(&mut self, id: i64, show: bool) -> Result<(), StoreError> {
        let n = self.tx.execute(
            "UPDATE public_ratings SET shown = ?2 WHERE id = ?1 AND comment != ''",
            params![id, show],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound("评价留言"));
        }
        self.event(
            "rating.moderate",
            &format!("rating:{id}"),
            None,
            Some(json!({"shown": show})),
        )
    }

    /// The department answers an inspection's 督办建议, once.
    pub fn answer_inspection(&mut self, id: i64, answer: &str) -> Result<(), StoreError> {
        let answer = answer.trim();
        if answer.is_empty() || answer.chars().count() > 2000 {
            return Err(StoreError::invalid("请填写答复（至多 2000 字）"));
        }
        let project = self.read().inspection_project(id)?;
        let record = self.read().follow_record(project)?;
        let Some(row) = record.inspections.iter().find(|r| r.id == id) else {
            return Err(StoreError::NotFound("视察记录"));
        };
        if row.inspection.suggestion.is_none() {
            return Err(StoreError::conflict("这次视察没有督办建议"));
        }
        if row.answer.is_some() {
            return Err(StoreError::conflict("督办建议已经答复"));
        }
        let at = self.at.as_str().to_string();
        self.tx.execute(
            "UPDATE inspections SET answer = ?2, answered_at = ?3 WHERE id = ?1",
            params![id, answer, at],
        )?;
        self.event(
            "follow.answer",
            &format!("project:{project}"),
            None,
            Some(json!({"inspection": id, "answer": answer})),
        )
    }
}
