//! The upstream stages' changes: each checks the year's stage against the one
//! table in [`crate::upstream::stage`], writes, and records its event.

use super::*;

impl UpTx<'_> {
    pub fn read(&self) -> UpRead<'_> {
        UpRead { c: self.tx }
    }

    pub fn at(&self) -> &Timestamp {
        &self.at
    }

    /// Appends an event to the chain (in this transaction).
    pub(super) fn event(
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

    /// `staff_id` must be a working-group member whose role allows `action`
    /// (on `project`'s category, for a temporary member); checked in the
    /// change's own transaction.
    pub fn require_member(
        &self,
        staff_id: i64,
        action: Action,
        project: Option<i64>,
    ) -> Result<GroupRole, StoreError> {
        use crate::error::Code;
        let role = self
            .read()
            .group_role(staff_id)?
            .ok_or_else(|| StoreError::refused(Code::Forbidden, "您还不是工作组成员"))?;
        let domain = project
            .map(|id| self.read().project(id).map(|p| p.doc.category))
            .transpose()?;
        role.may(action, domain.as_deref())
            .map_err(|e| StoreError::refused(Code::Forbidden, e.to_string()))?;
        Ok(role)
    }

    /// Project `id`, still in the running; refused (with `then` after its
    /// state) once excluded or merged.
    fn live_project(&self, id: i64, then: &str) -> Result<ProjectRow, StoreError> {
        let p = self.read().project(id)?;
        if !p.status.live() {
            return Err(StoreError::conflict(format!(
                "项目已{}{then}",
                p.status.label_zh()
            )));
        }
        Ok(p)
    }

    /// The year's stage must allow `action`.
    pub fn require(&self, action: Action) -> Result<YearRow, StoreError> {
        let y = self.read().the_year()?;
        allowed(y.stage, action).map_err(|e| StoreError::conflict(e.to_string()))?;
        Ok(y)
    }

    /// Starts a year's work at 征集项目.
    pub fn open_year(&mut self, year: u32, collection_opened: Date) -> Result<(), StoreError> {
        let n = self.tx.execute(
            "INSERT INTO up_years (year, stage, collection_opened) VALUES (?1, 'collect', ?2) ON CONFLICT DO NOTHING",
            params![year, collection_opened.as_str()],
        )?;
        if n == 0 {
            return Err(StoreError::conflict(format!("{year} 年度已经开始")));
        }
        self.event(
            "year.open",
            &format!("year:{year}"),
            None,
            Some(json!({"stage": "collect", "collection_opened": collection_opened})),
        )
    }

    /// Earlier years' decided projects that run into `year`, carried
    /// forward with their goal for it.
    pub fn carry_forward(
        &mut self,
        year: u32,
        projects: &[(i64, String)],
    ) -> Result<(), StoreError> {
        for (id, goal) in projects {
            self.tx.execute(
                "INSERT INTO continuing (year, project_id, goal) VALUES (?1, ?2, ?3)",
                params![year, id, goal],
            )?;
            self.event(
                "project.continue",
                &format!("project:{id}"),
                None,
                Some(json!({"year": year, "goal": goal})),
            )?;
        }
        Ok(())
    }

    /// Moves the year one stage on (the 组长 alone; the caller checks the role).
    pub fn advance(&mut self, note: &str) -> Result<Stage, StoreError> {
        let y = self.require(Action::Advance)?;
        let next = y.stage.next().ok_or_else(|| {
            StoreError::conflict(format!("“{}”是最后一个阶段", y.stage.label_zh()))
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

    /// A member's role. The group is formed before the first year opens and
    /// changes in any stage ([`Action::ManageGroup`] is allowed in all), so
    /// no year is required.
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
            let no = format!("MS{year}{}", crate::store::random_digits(digits)?);
            let taken: bool = self.tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM suggestions WHERE tracking_no = ?1)",
                [&no],
                |r| r.get(0),
            )?;
            if !taken {
                return Ok(no);
            }
        }
        Err(StoreError::conflict("无法生成新的受理编号，请重试"))
    }

    /// A suggestion in, with its tracking number. The action says which
    /// stages allow it (the public form, staff entry, or hotline import).
    pub fn add_suggestion(
        &mut self,
        input: &SuggestionInput,
        action: Action,
    ) -> Result<(i64, String), StoreError> {
        let y = self.require(action)?;
        let at = self.at.as_str().to_string();
        self.insert_suggestion(y.year, input, None, &at)
    }

    /// 12345 热线与信访, a batch of an import: each row in unless its
    /// channel already has its `source_ref`, this year or an earlier one
    /// (the same export, or an overlapping one, imported again). Returns
    /// (added, already there).
    pub fn import_batch(&mut self, rows: &[ImportedRow]) -> Result<(usize, usize), StoreError> {
        let y = self.require(Action::ImportHotline)?;
        let (mut added, mut already) = (0, 0);
        for r in rows {
            let channel = to_value(&r.input.channel);
            let there: bool = self
                .tx
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM suggestions WHERE channel = ?1 AND source_ref = ?2)",
                )?
                .query_row(
                    params![channel.as_str().unwrap_or(""), r.source_ref],
                    |row| row.get(0),
                )?;
            if there {
                already += 1;
            } else {
                self.insert_suggestion(y.year, &r.input, Some(&r.source_ref), &r.received_at)?;
                added += 1;
            }
        }
        Ok((added, already))
    }

    fn insert_suggestion(
        &mut self,
        year: u32,
        input: &SuggestionInput,
        source_ref: Option<&str>,
        received_at: &str,
    ) -> Result<(i64, String), StoreError> {
        complete(input.problems())?;
        let tracking_no = self.new_tracking_no(year)?;
        let channel = to_value(&input.channel);
        self.tx
            .prepare_cached(
                "INSERT INTO suggestions (year, tracking_no, channel, town, village, category, status, doc, received_at, source_ref)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'received', ?7, ?8, ?9)",
            )?
            .execute(params![
                year,
                tracking_no,
                channel.as_str().unwrap_or(""),
                input.place.town.trim(),
                input.place.village.trim(),
                input.category.trim(),
                to_canonical_string(input),
                received_at,
                source_ref
            ])?;
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
                return Err(StoreError::conflict(format!(
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
                return Err(StoreError::invalid(format!("建议 {s} 不存在")));
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
        topics: &[i64],
    ) -> Result<i64, StoreError> {
        let y = self.require(Action::Declare)?;
        complete(doc.problems())?;
        self.tx.execute(
            "INSERT INTO projects (year, department, status, doc) VALUES (?1, ?2, 'declared', ?3)",
            params![y.year, department, to_canonical_string(doc)],
        )?;
        let id = self.tx.last_insert_rowid();
        self.revise_row(id, doc, "申报")?;
        self.link(id, suggestions)?;
        self.cite_topics(id, topics)?;
        self.event(
            "project.declare",
            &format!("project:{id}"),
            None,
            Some(json!({"department": department, "doc": doc, "suggestions": suggestions, "topics": topics})),
        )?;
        Ok(id)
    }

    /// A new version of a project (a department's amendment in 初选申报, or a
    /// revision after opinions or a meeting), with the reason.
    /// `action` is [`Action::Amend`] for the declaring department's own
    /// amendment, [`Action::Revise`] for the working group's revision.
    pub fn amend(
        &mut self,
        id: i64,
        doc: &ProjectDoc,
        reason: &str,
        action: Action,
    ) -> Result<(), StoreError> {
        self.require(action)?;
        complete(doc.problems())?;
        let before = self.live_project(id, "，不能修改")?;
        if action == Action::Amend && !before.status.open_to_department() {
            return Err(StoreError::conflict(format!(
                "项目已{}，承办部门不能再自行修改；如需修改请联系工作组",
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
        complete(a.problems())?;
        let before = self.live_project(id, "")?;
        let missing = before.doc.sign_off_missing();
        if !missing.is_empty() {
            return Err(StoreError::conflict(format!(
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
        let y = self.require(Action::ImportMajors)?;
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
        check_exclusion(reason, note, &self.read().majors()?).map_err(StoreError::invalid)?;
        let before = self.live_project(id, "")?;
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
            return Err(StoreError::invalid("合并至少需要两个项目"));
        }
        complete(doc.problems())?;
        let mut suggestions = vec![];
        let mut department = String::new();
        let mut status = ProjectStatus::Declared;
        for s in sources {
            let src = self.read().project(*s)?;
            if !src.status.live() {
                return Err(StoreError::conflict(format!(
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
        let y = self.require(Action::SaveDraft)?;
        let list: Vec<DraftProject> = self
            .read()
            .projects()?
            .into_iter()
            .filter(|p| p.status.live() && p.status != ProjectStatus::Revise)
            .map(|p| DraftProject {
                id: p.id,
                investment_yuan: p.doc.investment_yuan,
                lead_unit: p.doc.lead_unit,
                name: p.doc.name,
            })
            .collect();
        let version: u32 = self.tx.query_row(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM drafts WHERE year = ?1",
            [y.year],
            |r| r.get(0),
        )?;
        let doc = to_value(&list);
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
            return Err(StoreError::invalid("意见须写明提出者和内容（3000 字以内）"));
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
        let held = self.read().held_meetings()?;
        meeting_allowed(&held, m.kind).map_err(|e| StoreError::conflict(e.to_string()))?;
        if m.decision.trim().is_empty() {
            return Err(StoreError::invalid("须写明会议决定"));
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
        let held = self.read().held_meetings()?;
        ready_for_vote(&held).map_err(|e| StoreError::conflict(e.to_string()))?;
        let chosen: Vec<ProjectRow> = self
            .read()
            .projects()?
            .into_iter()
            .filter(|p| p.year == y.year && p.status == ProjectStatus::Passed)
            .collect();
        if chosen.is_empty() {
            return Err(StoreError::conflict("没有审核通过的项目"));
        }
        if chosen.iter().any(|p| p.round_id.is_some()) {
            return Err(StoreError::conflict("候选清单已经生成"));
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
        // The draft holds to every rule a draft is held to, checked before
        // anything is written.
        draft
            .check()
            .map_err(|e| StoreError::invalid(format!("候选清单有误：{e}")))?;
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

/// A form with every element its rules ask for; else each missing one named.
fn complete(problems: Vec<Problem>) -> Result<(), StoreError> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(invalid(&problems))
    }
}
