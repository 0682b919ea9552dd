//! The workbench's lists of projects and opinions: a page at a time, found
//! by words and filtered (the suggestions' list, at a year's hundred
//! thousand calls, is searched in SQL: [`super::upstream::SuggestionQuery`]).
//! A year has hundreds of projects and thousands of opinions at most; they
//! are filtered here, off the workers.

use super::cpu;
use super::upstream::{MAX_PER_PAGE, PER_PAGE};
use super::Services;
use crate::error::{Error, Result};
use crate::store::{OpinionRow, ProjectRow};
use crate::upstream::model::{resembles, ProjectStatus};
use serde::{Deserialize, Serialize};

/// `GET /api/upstream/projects`: every parameter optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectQuery {
    /// The year (default: the current one).
    pub year: Option<u32>,
    /// Words, separated by spaces; a project must contain each (in its
    /// number, name, content, units, category or funding).
    pub q: Option<String>,
    pub status: Option<String>,
    /// The declaring department or the lead unit.
    pub department: Option<String>,
    pub category: Option<String>,
    pub page: Option<u32>,
    pub per: Option<u32>,
}

#[derive(Debug, Serialize)]
pub struct ProjectList {
    pub projects: Vec<ProjectRow>,
    /// The year's projects, and how many the words and filters find.
    pub total: usize,
    pub found: usize,
    pub page: u32,
    pub per: u32,
}

/// `GET /api/upstream/opinions`: every parameter optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpinionQuery {
    pub project: Option<i64>,
    pub q: Option<String>,
    pub source: Option<String>,
    /// `true`: answered only; `false`: awaiting an answer.
    pub answered: Option<bool>,
    pub page: Option<u32>,
    pub per: Option<u32>,
}

#[derive(Debug, Serialize)]
pub struct OpinionList {
    pub opinions: Vec<OpinionRow>,
    pub total: usize,
    pub found: usize,
    pub page: u32,
    pub per: u32,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn words(q: &Option<String>) -> Vec<String> {
    q.as_deref()
        .unwrap_or_default()
        .split_whitespace()
        .take(8)
        .map(str::to_lowercase)
        .collect()
}

/// Page `page` of `per` (checked), from `rows`.
fn page_of<T>(rows: Vec<T>, page: Option<u32>, per: Option<u32>) -> Result<(Vec<T>, u32, u32)> {
    let per = per.unwrap_or(PER_PAGE);
    if per == 0 || per > MAX_PER_PAGE {
        return Err(Error::bad(format!("每页条数应在 1 到 {MAX_PER_PAGE} 之间")));
    }
    let page = page.unwrap_or(1).max(1);
    let skip = (page as usize - 1).saturating_mul(per as usize);
    Ok((
        rows.into_iter().skip(skip).take(per as usize).collect(),
        page,
        per,
    ))
}

impl Services {
    pub async fn projects(&self, q: ProjectQuery) -> Result<ProjectList> {
        if let Some(s) = given(&q.status) {
            ProjectStatus::parse(s).ok_or_else(|| Error::bad(format!("状态 {s} 无效")))?;
        }
        let (current, all) = self
            .store
            .upstream_read(|r| Ok((r.year()?.map(|y| y.year), r.projects()?)))
            .await?;
        let year = q.year.or(current);
        let carried = match year {
            Some(y) => self.store.upstream_read(move |r| r.continuing(y)).await?,
            None => vec![],
        };
        // The earlier years' decided projects, from the rows already read
        // (not a second read of every project).
        let outcomes = self.vote_outcomes().await?;
        let decided: Vec<ProjectRow> = all
            .iter()
            .filter(|p| super::follow::is_decided(p, &outcomes))
            .cloned()
            .collect();
        cpu(move || {
            let of_year: Vec<ProjectRow> = all
                .into_iter()
                .filter(|p| year.is_none_or(|y| p.year == y))
                .collect();
            let total = of_year.len();
            let words = words(&q.q);
            let found: Vec<ProjectRow> = of_year
                .into_iter()
                .filter(|p| given(&q.status).is_none_or(|s| p.status.as_str() == s))
                .filter(|p| {
                    given(&q.department).is_none_or(|d| p.department == d || p.doc.lead_unit == d)
                })
                .filter(|p| given(&q.category).is_none_or(|c| p.doc.category == c))
                .filter(|p| {
                    let text = format!(
                        "#{} {} {} {} {} {} {} {} {}",
                        p.id,
                        p.candidate_id.as_deref().unwrap_or(""),
                        p.doc.name,
                        p.doc.content,
                        p.doc.lead_unit,
                        p.doc.co_units.join(" "),
                        p.doc.category,
                        p.doc.funding_source,
                        p.status_label
                    )
                    .to_lowercase();
                    words.iter().all(|w| text.contains(w.as_str()))
                })
                .collect();
            let n = found.len();
            let (mut projects, page, per) = page_of(found, q.page, q.per)?;
            // 第五条(三) and 第十三条: a project that repeats an earlier year's.
            let carried_names: Vec<String> = carried.iter().map(|c| c.name.clone()).collect();
            let earlier: Vec<&ProjectRow> = decided
                .iter()
                .filter(|d| year.is_some_and(|y| d.year < y))
                .collect();
            let earlier_names: Vec<String> = earlier.iter().map(|d| d.doc.name.clone()).collect();
            for p in projects.iter_mut() {
                if let Some(m) = resembles(&p.doc.name, &carried_names) {
                    p.earlier = Some(format!(
                        "与跨年度续建项目“{m}”相同：已票决的跨年度项目不再票决（第五条(三)）"
                    ));
                } else if let Some(m) = resembles(&p.doc.name, &earlier_names) {
                    let y = earlier
                        .iter()
                        .find(|d| d.doc.name == m)
                        .map_or(0, |d| d.year);
                    p.earlier = Some(format!(
                        "延续 {y} 年度票决的“{m}”：须写明本年度新增的目标和成效（第十三条）"
                    ));
                }
            }
            Ok(ProjectList {
                projects,
                total,
                found: n,
                page,
                per,
            })
        })
        .await
    }

    pub async fn opinions(&self, q: OpinionQuery) -> Result<OpinionList> {
        let project = q.project;
        let all = self
            .store
            .upstream_read(move |r| r.opinions_of_year(project))
            .await?;
        cpu(move || {
            let total = all.len();
            let words = words(&q.q);
            let found: Vec<OpinionRow> = all
                .into_iter()
                .filter(|o| given(&q.source).is_none_or(|s| o.source == s))
                .filter(|o| q.answered.is_none_or(|a| o.response.is_some() == a))
                .filter(|o| {
                    let text = format!(
                        "{} {} {} {}",
                        o.author,
                        o.text,
                        o.source_label,
                        o.response.as_deref().unwrap_or("")
                    )
                    .to_lowercase();
                    words.iter().all(|w| text.contains(w.as_str()))
                })
                .collect();
            let n = found.len();
            let (opinions, page, per) = page_of(found, q.page, q.per)?;
            Ok(OpinionList {
                opinions,
                total,
                found: n,
                page,
                per,
            })
        })
        .await
    }
}
