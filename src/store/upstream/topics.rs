//! 热点专题: the hot topics the working group has named, merged and split,
//! and the topics a project cites. Each change records its event.

use super::*;
use std::collections::BTreeMap;

/// A named topic and the calls it holds.
#[derive(Clone, Debug, Serialize)]
pub struct NamedTopic {
    pub id: i64,
    pub name: String,
    pub keywords: Vec<String>,
    pub members: Vec<i64>,
}

/// 民意指数: how many calls (12345, 信访) and suggestions (公开、定向、专题
/// 征集) a project answers — those it links, those of the hot topics it
/// cites, and those of the projects merged into it, each once — and from
/// how many 苏木镇.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Voice {
    pub calls: u64,
    pub suggestions: u64,
    pub towns: u64,
}

/// [`Voice`] of project ?1.
pub(super) const VOICE_SQL: &str = "WITH RECURSIVE fam(id) AS (
        SELECT ?1 UNION SELECT p.id FROM projects p JOIN fam ON p.merged_into = fam.id),
    s(id) AS (
        SELECT suggestion_id FROM project_links WHERE project_id IN (SELECT id FROM fam)
        UNION SELECT m.suggestion_id FROM project_topics t
            JOIN hot_topic_members m ON m.topic_id = t.topic_id
            WHERE t.project_id IN (SELECT id FROM fam))
    SELECT coalesce(sum(channel IN ('hotline', 'petition')), 0),
           coalesce(sum(channel NOT IN ('hotline', 'petition')), 0),
           count(DISTINCT nullif(town, ''))
    FROM suggestions WHERE id IN (SELECT id FROM s)";

/// The longest name a topic may have, in characters.
const NAME_MAX: usize = 40;

fn check_name(name: &str) -> Result<String, StoreError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(StoreError::invalid("请填写专题名称"));
    }
    if name.chars().count() > NAME_MAX {
        return Err(StoreError::invalid(format!(
            "专题名称不能超过 {NAME_MAX} 个字"
        )));
    }
    Ok(name.to_string())
}

impl UpRead<'_> {
    /// The state of the current year's list: how many, and the last id.
    pub fn asks_key(&self) -> Result<(u64, i64), StoreError> {
        Ok(self.c.query_row(
            "SELECT COUNT(*), coalesce(max(id), 0) FROM suggestions WHERE year = (SELECT max(year) FROM up_years)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    /// The current year's asks as the hot-topic grouping reads them (the
    /// text alone, not the whole row), and what identifies this state of
    /// the list: (how many, the last id).
    pub fn asks(&self) -> Result<(Vec<crate::upstream::hot::Ask>, (u64, i64)), StoreError> {
        let mut st = self.c.prepare(
            "SELECT id, town, village, coalesce(json_extract(doc, '$.title'), '') || ' ' || coalesce(json_extract(doc, '$.text'), '')
             FROM suggestions WHERE year = (SELECT max(year) FROM up_years) ORDER BY id",
        )?;
        let asks = st
            .query_map([], |r| {
                Ok(crate::upstream::hot::Ask {
                    id: r.get(0)?,
                    town: r.get(1)?,
                    village: r.get(2)?,
                    text: r.get(3)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let key = (asks.len() as u64, asks.last().map_or(0, |a| a.id));
        Ok((asks, key))
    }

    /// The current year's named topics (those merged into another left
    /// out), each with its calls, by id.
    pub fn named_topics(&self) -> Result<Vec<NamedTopic>, StoreError> {
        let mut st = self.c.prepare(
            "SELECT id, name, keywords FROM hot_topics
             WHERE year = (SELECT max(year) FROM up_years) AND merged_into IS NULL ORDER BY id",
        )?;
        let heads = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut members = self.c.prepare_cached(
            "SELECT suggestion_id FROM hot_topic_members WHERE topic_id = ?1 ORDER BY suggestion_id",
        )?;
        heads
            .into_iter()
            .map(|(id, name, keywords)| {
                Ok(NamedTopic {
                    id,
                    name,
                    keywords: serde_json::from_str(&keywords).map_err(corrupt)?,
                    members: members
                        .query_map([id], |r| r.get(0))?
                        .collect::<Result<_, _>>()?,
                })
            })
            .collect()
    }

    /// A live topic of the current year: its name.
    fn live_topic(&self, id: i64) -> Result<String, StoreError> {
        self.c
            .query_row(
                "SELECT name FROM hot_topics WHERE id = ?1 AND merged_into IS NULL
                 AND year = (SELECT max(year) FROM up_years)",
                [id],
                |r| r.get(0),
            )
            .optional()?
            .ok_or(StoreError::NotFound("热点专题"))
    }
}

impl UpTx<'_> {
    /// Names a group of calls (of the current year, in no other topic).
    pub fn name_topic(
        &mut self,
        name: &str,
        keywords: &[String],
        calls: &[i64],
    ) -> Result<i64, StoreError> {
        let y = self.require(Action::CurateTopics)?;
        let name = check_name(name)?;
        let mut calls = calls.to_vec();
        calls.sort_unstable();
        calls.dedup();
        if calls.is_empty() {
            return Err(StoreError::invalid("专题至少要有一条诉求"));
        }
        let keywords: Vec<String> = keywords
            .iter()
            .map(|k| k.trim().chars().take(20).collect::<String>())
            .filter(|k| !k.is_empty())
            .take(10)
            .collect();
        self.tx.execute(
            "INSERT INTO hot_topics (year, name, keywords) VALUES (?1, ?2, ?3)",
            params![y.year, name, Value::from(keywords.clone()).to_string()],
        )?;
        let id = self.tx.last_insert_rowid();
        self.add_members(id, y.year, &calls)?;
        self.event(
            "topic.name",
            &format!("topic:{id}"),
            None,
            Some(json!({"name": name, "keywords": keywords, "calls": calls.len()})),
        )?;
        Ok(id)
    }

    /// Puts `calls` in topic `id`: each a suggestion of `year`. A call may
    /// be in two topics (a call about two things is found in both groups),
    /// but calls most of which are already in one other topic are that
    /// topic, not a new one.
    fn add_members(&mut self, id: i64, year: u32, calls: &[i64]) -> Result<(), StoreError> {
        let mut taken = self.tx.prepare_cached(
            "SELECT t.id, t.name FROM hot_topic_members m JOIN hot_topics t ON t.id = m.topic_id
             WHERE m.suggestion_id = ?1 AND t.merged_into IS NULL AND t.id <> ?2",
        )?;
        let mut held: BTreeMap<i64, (String, usize)> = BTreeMap::new();
        for &c in calls {
            let rows = taken
                .query_map(params![c, id], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            for (t, name) in rows {
                held.entry(t).or_insert((name, 0)).1 += 1;
            }
        }
        if let Some((name, n)) = held.values().max_by_key(|(_, n)| *n) {
            if n * 2 >= calls.len() && !calls.is_empty() {
                return Err(StoreError::conflict(format!(
                    "这些诉求中有 {n} 条已在专题“{name}”中"
                )));
            }
        }
        let mut put = self.tx.prepare_cached(
            "INSERT OR IGNORE INTO hot_topic_members (topic_id, suggestion_id)
             SELECT ?1, id FROM suggestions WHERE id = ?2 AND year = ?3",
        )?;
        let mut known = self
            .tx
            .prepare_cached("SELECT 1 FROM suggestions WHERE id = ?1 AND year = ?2")?;
        for &c in calls {
            if put.execute(params![id, c, year])? == 0
                && known
                    .query_row(params![c, year], |_| Ok(()))
                    .optional()?
                    .is_none()
            {
                return Err(StoreError::invalid(format!("本年度没有编号为 {c} 的诉求")));
            }
        }
        Ok(())
    }

    pub fn rename_topic(&mut self, id: i64, name: &str) -> Result<(), StoreError> {
        self.require(Action::CurateTopics)?;
        let name = check_name(name)?;
        let before = self.read().live_topic(id)?;
        self.tx.execute(
            "UPDATE hot_topics SET name = ?2 WHERE id = ?1",
            params![id, name],
        )?;
        self.event(
            "topic.rename",
            &format!("topic:{id}"),
            Some(json!({"name": before})),
            Some(json!({"name": name})),
        )
    }

    /// Topics `from` become part of `into`: their calls, and the projects
    /// that cite them, move to it; `calls` join it too.
    pub fn merge_topics(
        &mut self,
        into: i64,
        from: &[i64],
        calls: &[i64],
    ) -> Result<usize, StoreError> {
        let y = self.require(Action::CurateTopics)?;
        let into_name = self.read().live_topic(into)?;
        let mut names = vec![];
        for &f in from {
            if f == into {
                return Err(StoreError::invalid("不能把专题并入它自己"));
            }
            names.push(self.read().live_topic(f)?);
            self.tx.execute(
                "INSERT OR IGNORE INTO hot_topic_members (topic_id, suggestion_id)
                 SELECT ?1, suggestion_id FROM hot_topic_members WHERE topic_id = ?2",
                params![into, f],
            )?;
            self.tx
                .execute("DELETE FROM hot_topic_members WHERE topic_id = ?1", [f])?;
            self.tx.execute(
                "INSERT OR IGNORE INTO project_topics (project_id, topic_id)
                 SELECT project_id, ?1 FROM project_topics WHERE topic_id = ?2",
                params![into, f],
            )?;
            self.tx
                .execute("DELETE FROM project_topics WHERE topic_id = ?1", [f])?;
            self.tx.execute(
                "UPDATE hot_topics SET merged_into = ?1 WHERE id = ?2",
                params![into, f],
            )?;
        }
        if from.is_empty() && calls.is_empty() {
            return Err(StoreError::invalid("请选择要并入的专题或诉求"));
        }
        let mut calls = calls.to_vec();
        calls.sort_unstable();
        calls.dedup();
        self.add_members(into, y.year, &calls)?;
        let added = calls.len();
        let calls: usize = self.tx.query_row(
            "SELECT COUNT(*) FROM hot_topic_members WHERE topic_id = ?1",
            [into],
            |r| r.get(0),
        )?;
        self.event(
            "topic.merge",
            &format!("topic:{into}"),
            Some(json!({"topics": from, "names": names, "added_calls": added})),
            Some(json!({"name": into_name, "calls": calls})),
        )?;
        Ok(calls)
    }

    /// The calls of topic `id` whose words contain `word` become a topic of
    /// their own, named `name`; returns its id.
    pub fn split_topic(&mut self, id: i64, name: &str, word: &str) -> Result<i64, StoreError> {
        let y = self.require(Action::CurateTopics)?;
        let name = check_name(name)?;
        let word = word.trim();
        if word.is_empty() {
            return Err(StoreError::invalid("请填写拆分所依据的词"));
        }
        let before = self.read().live_topic(id)?;
        let (moving, total): (Vec<i64>, usize) = {
            let mut st = self.tx.prepare(
                "SELECT s.id, instr(coalesce(json_extract(s.doc, '$.title'), '') || ' ' || coalesce(json_extract(s.doc, '$.text'), ''), ?2) > 0
                 FROM hot_topic_members m JOIN suggestions s ON s.id = m.suggestion_id
                 WHERE m.topic_id = ?1 ORDER BY s.id",
            )?;
            let rows = st
                .query_map(params![id, word], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, bool>(1)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let total = rows.len();
            (
                rows.into_iter().filter(|r| r.1).map(|r| r.0).collect(),
                total,
            )
        };
        if moving.is_empty() || moving.len() == total {
            return Err(StoreError::conflict(format!(
                "专题“{before}”中{}诉求含有“{word}”，无法按它拆分",
                if moving.is_empty() {
                    "没有"
                } else {
                    "所有"
                }
            )));
        }
        for c in &moving {
            self.tx.execute(
                "DELETE FROM hot_topic_members WHERE topic_id = ?1 AND suggestion_id = ?2",
                params![id, c],
            )?;
        }
        self.tx.execute(
            "INSERT INTO hot_topics (year, name, keywords) VALUES (?1, ?2, ?3)",
            params![y.year, name, json!([word]).to_string()],
        )?;
        let new = self.tx.last_insert_rowid();
        self.add_members(new, y.year, &moving)?;
        self.event(
            "topic.split",
            &format!("topic:{id}"),
            Some(json!({"name": before, "calls": total})),
            Some(json!({"word": word, "new_topic": new, "name": name, "calls": moving.len()})),
        )?;
        Ok(new)
    }

    /// 建议清单: the calls of topic `id` not yet listed go to `department`,
    /// as one entry citing the topic; returns how many.
    pub fn list_topic(&mut self, id: i64, department: &str) -> Result<usize, StoreError> {
        self.require(Action::CompileList)?;
        let name = self.read().live_topic(id)?;
        let department = department.trim();
        if department.is_empty() {
            return Err(StoreError::invalid("请填写承办部门"));
        }
        let n = self.tx.execute(
            "UPDATE suggestions SET status = 'listed', department = ?2
             WHERE status = 'received' AND id IN (SELECT suggestion_id FROM hot_topic_members WHERE topic_id = ?1)",
            params![id, department],
        )?;
        if n == 0 {
            return Err(StoreError::conflict(format!(
                "专题“{name}”中没有待列入清单的诉求"
            )));
        }
        self.event(
            "topic.list",
            &format!("topic:{id}"),
            Some(json!({"status": "received"})),
            Some(json!({"status": "listed", "department": department, "name": name, "calls": n})),
        )?;
        Ok(n)
    }

    /// Project `project` cites `topics` (live topics of the current year).
    pub(super) fn cite_topics(&mut self, project: i64, topics: &[i64]) -> Result<(), StoreError> {
        for &t in topics {
            self.read().live_topic(t)?;
            self.tx.execute(
                "INSERT OR IGNORE INTO project_topics (project_id, topic_id) VALUES (?1, ?2)",
                params![project, t],
            )?;
        }
        Ok(())
    }
}
