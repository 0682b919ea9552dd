//! 产生办法 (HTTP): the working group's and departments' workbench, the
//! public suggestion form and tracking, the public year page, project
//! histories, Excel exports and the audit log. Routes are in [`super::router`].

use super::*;
use crate::store::{ProjectRow, SuggestionRow, UpTx};
use crate::upstream::hot::hot_topics;
use crate::upstream::model::Channel;
use crate::upstream::model::*;
use crate::upstream::stage::{Action, GroupRole};

const WORKERS: &[StaffRole] = &[StaffRole::WorkingGroup];
const VIEWERS: &[StaffRole] = &[
    StaffRole::WorkingGroup,
    StaffRole::Department,
    StaffRole::Secretariat,
];

fn actor(s: &Staff) -> String {
    format!("staff:{} ({})", s.username, s.display_name)
}

/// A working-group member allowed to take `action` (on `domain`, for a
/// temporary member), with their role.
async fn worker(
    st: &AppState,
    headers: &HeaderMap,
    action: Action,
    domain: Option<String>,
) -> ApiResult<(Staff, GroupRole)> {
    let me = staff(st, headers, WORKERS, true).await?;
    let id = me.id;
    let role = st
        .store
        .upstream_read(move |r| r.group_role(id))
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::FORBIDDEN, "forbidden", "您还不是工作组成员"))?;
    role.may(action, domain.as_deref())
        .map_err(|e| ApiError::new(StatusCode::FORBIDDEN, "forbidden", e.to_string()))?;
    Ok((me, role))
}

/// Runs a change as `who`, now.
async fn change<T: Send + 'static>(
    st: &AppState,
    who: &Staff,
    f: impl FnOnce(&mut UpTx) -> Result<T, StoreError> + Send + 'static,
) -> ApiResult<T> {
    Ok(st
        .store
        .upstream(actor(who), Timestamp::now_beijing(), f)
        .await?)
}

fn body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(bytes))
        .map_err(|e| ApiError::bad(format!("请求内容有误: {}: {}", e.path(), e.inner())))
}

// --- the year ---------------------------------------------------------------------

pub(super) async fn state(State(st): St, headers: HeaderMap) -> ApiResult<Json<serde_json::Value>> {
    let me = staff(&st, &headers, VIEWERS, false).await?;
    let id = me.id;
    let (year, role, counts, meetings, drafts, majors) = st
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
    Ok(Json(json!({
        "me": {"username": me.username, "display_name": me.display_name, "role": me.role,
               "group_role": role.as_ref().map(|g| g.label_zh()), "leader": role == Some(GroupRole::Leader)},
        "year": year, "counts": counts,
        "meetings": meetings.into_iter().map(|(id, m)| json!({"id": id, "kind_label": m.kind.label_zh(), "meeting": m})).collect::<Vec<_>>(),
        "drafts": drafts, "major_projects": majors,
        "stages": crate::upstream::stage::Stage::ALL.iter().map(|s| json!({"stage": s, "label": s.label_zh()})).collect::<Vec<_>>(),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct YearReq {
    year: u32,
    collection_opened: Date,
}

pub(super) async fn open_year(
    State(st): St,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    let (me, _) = worker(&st, &headers, Action::Advance, None).await?;
    let req: YearReq = body(&bytes)?;
    if !(2000..=2100).contains(&req.year) {
        return Err(ApiError::bad("年度无效"));
    }
    change(&st, &me, move |u| {
        u.open_year(req.year, req.collection_opened)
    })
    .await?;
    Ok(Json(json!({"ok": true})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NoteReq {
    #[serde(default)]
    note: String,
}

pub(super) async fn advance(
    State(st): St,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    let (me, _) = worker(&st, &headers, Action::Advance, None).await?;
    let req: NoteReq = body(&bytes)?;
    let stage = change(&st, &me, move |u| u.advance(&req.note)).await?;
    Ok(Json(json!({"stage": stage, "label": stage.label_zh()})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct GroupReq {
    username: String,
    role: GroupRole,
}

pub(super) async fn set_group(
    State(st): St,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    let (me, _) = worker(&st, &headers, Action::ManageGroup, None).await?;
    let req: GroupReq = body(&bytes)?;
    let (who, _) = st
        .store
        .staff_by_username(req.username.clone())
        .await?
        .ok_or(StoreError::NotFound("该账号"))?;
    if who.role != StaffRole::WorkingGroup {
        return Err(ApiError::bad("只有工作组账号可以加入工作组"));
    }
    let role = req.role;
    change(&st, &me, move |u| u.set_group_role(who.id, &role)).await?;
    Ok(Json(json!({"ok": true})))
}

// --- suggestions -----------------------------------------------------------------------

pub(super) async fn suggestions(
    State(st): St,
    headers: HeaderMap,
) -> ApiResult<Json<serde_json::Value>> {
    let me = staff(&st, &headers, VIEWERS, false).await?;
    // A department sees its own queue (建议清单 sent to it).
    let dept = (me.role == StaffRole::Department).then(|| me.display_name.clone());
    let rows = st
        .store
        .upstream_read(move |r| r.suggestions(dept.as_deref()))
        .await?;
    Ok(Json(json!({"suggestions": rows})))
}

pub(super) async fn enter_suggestion(
    State(st): St,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    let (me, _) = worker(&st, &headers, Action::EnterSuggestion, None).await?;
    let input: SuggestionInput = body(&bytes)?;
    if !matches!(input.channel, Channel::Directed | Channel::Topical) {
        return Err(ApiError::bad(
            "工作人员录入的建议应为定向征集或专题征集；热线与信访请用导入",
        ));
    }
    let (id, no) = change(&st, &me, move |u| {
        u.add_suggestion(&input, Action::EnterSuggestion)
    })
    .await?;
    Ok(Json(json!({"id": id, "tracking_no": no})))
}

#[derive(Deserialize)]
pub(super) struct ImportQuery {
    /// `hotline` or `petition`
    channel: String,
    #[serde(default)]
    dry_run: bool,
    title: String,
    text: String,
    town: String,
    #[serde(default)]
    village: Option<String>,
    category: String,
    #[serde(default)]
    contact: Option<String>,
}

/// 12345 热线与信访: CSV or XLSX with a column mapping; a dry run reports
/// every bad row and imports nothing; a real run imports all or nothing.
pub(super) async fn import_suggestions(
    State(st): St,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<ImportQuery>,
    bytes: axum::body::Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    let (me, _) = worker(&st, &headers, Action::ImportHotline, None).await?;
    let channel = match q.channel.as_str() {
        "hotline" => Channel::Hotline,
        "petition" => Channel::Petition,
        _ => {
            return Err(ApiError::bad(
                "channel 应为 hotline（12345热线）或 petition（信访）",
            ))
        }
    };
    let sheet = crate::sheets::Sheet::read(&bytes).map_err(|e| row_errors("import_rows", &[e]))?;
    let col = |name: &str, what: &str| -> ApiResult<usize> {
        sheet
            .column(&[name])
            .ok_or_else(|| ApiError::bad(format!("表头中没有“{name}”列（{what}）")))
    };
    let (ct, cx, cw, cc) = (
        col(&q.title, "标题")?,
        col(&q.text, "内容")?,
        col(&q.town, "苏木镇街道")?,
        col(&q.category, "类别")?,
    );
    let cv = q
        .village
        .as_deref()
        .map(|v| col(v, "嘎查村社区"))
        .transpose()?;
    let cp = q
        .contact
        .as_deref()
        .map(|v| col(v, "联系方式"))
        .transpose()?;
    let get = |cells: &[String], c: Option<usize>| {
        c.map(|c| crate::sheets::cell(cells, c).to_string())
            .unwrap_or_default()
    };
    let mut rows = vec![];
    let mut errors = vec![];
    for (row, cells) in &sheet.rows {
        let input = SuggestionInput {
            channel,
            source: String::new(),
            place: Place {
                town: get(cells, Some(cw)),
                village: get(cells, cv),
            },
            category: get(cells, Some(cc)),
            title: get(cells, Some(ct)),
            text: get(cells, Some(cx)),
            contact: get(cells, cp),
        };
        let p = input.problems();
        if p.is_empty() {
            rows.push(input);
        } else {
            errors.extend(p.into_iter().map(|p| RowError::new(*row, p.message)));
        }
    }
    if q.dry_run || !errors.is_empty() {
        return Ok(Json(json!({
            "dry_run": true, "rows": sheet.rows.len(), "good": rows.len(),
            "errors": errors.iter().map(|e| json!({"row": e.row, "message": e.message})).collect::<Vec<_>>(),
            "imported": 0,
        })));
    }
    let n = rows.len();
    change(&st, &me, move |u| {
        for r in &rows {
            u.add_suggestion(r, Action::ImportHotline)?;
        }
        Ok(())
    })
    .await?;
    Ok(Json(
        json!({"dry_run": false, "rows": n, "good": n, "errors": [], "imported": n}),
    ))
}

pub(super) async fn hot(State(st): St, headers: HeaderMap) -> ApiResult<Json<serde_json::Value>> {
    staff(&st, &headers, VIEWERS, false).await?;
    let rows = st.store.upstream_read(|r| r.suggestions(None)).await?;
    let items: Vec<(i64, String, String)> = rows
        .iter()
        .map(|s| {
            (
                s.id,
                s.input.place.town.clone(),
                format!("{} {}", s.input.title, s.input.text),
            )
        })
        .collect();
    let topics = tokio::task::spawn_blocking(move || hot_topics(&items, 0.3))
        .await
        .map_err(|_| ApiError::bad("热点分析失败"))?;
    Ok(Json(json!({"topics": topics})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ListReq {
    /// (suggestion id, department)
    assign: Vec<(i64, String)>,
}

pub(super) async fn compile_list(
    State(st): St,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    let (me, _) = worker(&st, &headers, Action::CompileList, None).await?;
    let req: ListReq = body(&bytes)?;
    let n = change(&st, &me, move |u| u.compile_list(&req.assign)).await?;
    Ok(Json(json!({"listed": n})))
}

/// 本年度重大项目: a CSV or XLSX list (column 项目名称), replacing the year's.
pub(super) async fn import_majors(
    State(st): St,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    let (me, _) = worker(&st, &headers, Action::Exclude, None).await?;
    let sheet = crate::sheets::Sheet::read(&bytes).map_err(|e| row_errors("major_rows", &[e]))?;
    let col = sheet
        .column(&["项目名称", "名称", "name"])
        .ok_or_else(|| ApiError::bad("表头中没有“项目名称”列"))?;
    let names: Vec<String> = sheet
        .rows
        .iter()
        .map(|(_, cells)| crate::sheets::cell(cells, col).trim().to_string())
        .filter(|n| !n.is_empty())
        .collect();
    if names.iter().any(|n| n.chars().count() > 100) {
        return Err(ApiError::bad("项目名称过长"));
    }
    let n = change(&st, &me, move |u| u.set_majors(&names)).await?;
    Ok(Json(json!({"imported": n})))
}

// --- projects ----------------------------------------------------------------------------

pub(super) async fn projects(
    State(st): St,
    headers: HeaderMap,
) -> ApiResult<Json<serde_json::Value>> {
    staff(&st, &headers, VIEWERS, false).await?;
    let rows = st.store.upstream_read(|r| r.projects()).await?;
    Ok(Json(json!({"projects": rows})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DeclareReq {
    doc: ProjectDoc,
    #[serde(default)]
    suggestions: Vec<i64>,
}

/// 初选申报: a department declares for itself.
pub(super) async fn declare(
    State(st): St,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    let me = staff(&st, &headers, &[StaffRole::Department], true).await?;
    let req: DeclareReq = body(&bytes)?;
    let dept = me.display_name.clone();
    let id = change(&st, &me, move |u| {
        u.declare(&dept, &req.doc, &req.suggestions)
    })
    .await?;
    Ok(Json(json!({"id": id})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AmendReq {
    doc: ProjectDoc,
    reason: String,
}

/// A new version: the declaring department (its own, while declaring) or the
/// working group (after review, opinions or a meeting).
pub(super) async fn amend(
    State(st): St,
    headers: HeaderMap,
    Path(id): Path<i64>,
    bytes: axum::body::Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    let me = staff(
        &st,
        &headers,
        &[StaffRole::Department, StaffRole::WorkingGroup],
        true,
    )
    .await?;
    if me.role == StaffRole::WorkingGroup {
        worker(&st, &headers, Action::Consult, None).await?;
    } else {
        let p = st.store.upstream_read(move |r| r.project(id)).await?;
        if p.department != me.display_name {
            return Err(ApiError::forbidden());
        }
    }
    let req: AmendReq = body(&bytes)?;
    if req.reason.trim().is_empty() {
        return Err(ApiError::bad("请写明修改原因"));
    }
    change(&st, &me, move |u| u.amend(id, &req.doc, &req.reason)).await?;
    Ok(Json(json!({"ok": true})))
}

pub(super) async fn assess(
    State(st): St,
    headers: HeaderMap,
    Path(id): Path<i64>,
    bytes: axum::body::Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    // Signed in as the working group before anything about the project is read.
    staff(&st, &headers, WORKERS, true).await?;
    let category = st
        .store
        .upstream_read(move |r| r.project(id))
        .await?
        .doc
        .category;
    let (me, _) = worker(&st, &headers, Action::Assess, Some(category)).await?;
    let a: Assessment = body(&bytes)?;
    change(&st, &me, move |u| u.assess(id, &a)).await?;
    Ok(Json(json!({"ok": true})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ExcludeReq {
    reason: Exclusion,
    #[serde(default)]
    note: String,
}

pub(super) async fn exclude(
    State(st): St,
    headers: HeaderMap,
    Path(id): Path<i64>,
    bytes: axum::body::Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    let (me, _) = worker(&st, &headers, Action::Exclude, None).await?;
    let req: ExcludeReq = body(&bytes)?;
    change(&st, &me, move |u| u.exclude(id, req.reason, &req.note)).await?;
    Ok(Json(json!({"ok": true})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MergeReq {
    sources: Vec<i64>,
    doc: ProjectDoc,
}

pub(super) async fn merge(
    State(st): St,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    let (me, _) = worker(&st, &headers, Action::Merge, None).await?;
    let req: MergeReq = body(&bytes)?;
    let id = change(&st, &me, move |u| u.merge(&req.sources, &req.doc)).await?;
    Ok(Json(json!({"id": id})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DraftReq {
    label: String,
}

pub(super) async fn save_draft(
    State(st): St,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    let (me, _) = worker(&st, &headers, Action::SaveDraft, None).await?;
    let req: DraftReq = body(&bytes)?;
    let v = change(&st, &me, move |u| u.save_draft(&req.label)).await?;
    Ok(Json(json!({"version": v})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OpinionReq {
    #[serde(default)]
    project: Option<i64>,
    source: OpinionSource,
    author: String,
    text: String,
}

pub(super) async fn add_opinion(
    State(st): St,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    let (me, _) = worker(&st, &headers, Action::Consult, None).await?;
    let req: OpinionReq = body(&bytes)?;
    let id = change(&st, &me, move |u| {
        u.add_opinion(req.project, req.source, &req.author, &req.text)
    })
    .await?;
    Ok(Json(json!({"id": id})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RespondReq {
    response: String,
    adopted: bool,
}

pub(super) async fn respond(
    State(st): St,
    headers: HeaderMap,
    Path(id): Path<i64>,
    bytes: axum::body::Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    let (me, _) = worker(&st, &headers, Action::Consult, None).await?;
    let req: RespondReq = body(&bytes)?;
    change(&st, &me, move |u| u.respond(id, &req.response, req.adopted)).await?;
    Ok(Json(json!({"ok": true})))
}

pub(super) async fn add_meeting(
    State(st): St,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    let (me, _) = worker(&st, &headers, Action::Meeting, None).await?;
    let m: Meeting = body(&bytes)?;
    let id = change(&st, &me, move |u| u.add_meeting(&m)).await?;
    Ok(Json(json!({"id": id})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RoundReq {
    title: String,
    assembly: String,
    rules: Rules,
}

/// One click: the approved list becomes the vote round's candidates.
pub(super) async fn make_round(
    State(st): St,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    let (me, _) = worker(&st, &headers, Action::MakeRound, None).await?;
    let req: RoundReq = body(&bytes)?;
    let election = st.election_id;
    let id = change(&st, &me, move |u| {
        u.make_round(&election, &req.title, &req.assembly, req.rules)
    })
    .await?;
    // The draft must hold to every rule of a manifest, as any other.
    let row = st.store.round(id).await?;
    check_draft(&st, &row.draft)?;
    Ok(Json(
        json!({"round_id": id, "candidates": row.draft.candidates.len()}),
    ))
}

// --- history, exports, the audit log ------------------------------------------------------

pub(super) async fn history(
    State(st): St,
    Path(id): Path<i64>,
) -> ApiResult<Json<serde_json::Value>> {
    let h = st.store.upstream_read(move |r| r.history(id)).await?;
    // The vote, if the project went to one and it is published.
    let mut vote = serde_json::Value::Null;
    if let (Some(rid), Some(cid)) = (h.project.round_id, h.project.candidate_id.clone()) {
        let rounds = st.store.rounds().await?;
        let chain: Vec<_> = rounds
            .iter()
            .filter(|r| {
                r.state == RoundState::Published
                    && r.draft.candidates.iter().any(|c| c.id.as_str() == cid)
            })
            .filter(|r| r.id >= rid)
            .collect();
        vote = json!(chain
            .iter()
            .filter_map(|r| {
                let res = r.result.as_ref()?;
                let c = res.tally.iter().find(|(k, _)| k.as_str() == cid)?.1;
                let decided = res.decided.iter().any(|d| d.as_str() == cid);
                Some(json!({"round_id": r.id, "round": r.round, "for": c.for_, "against": c.against, "abstain": c.abstain, "decided": decided, "tally_hash": Hash::of(res)}))
            })
            .collect::<Vec<_>>());
    }
    Ok(Json(json!({"history": h, "vote": vote})))
}

pub(super) async fn audit_log(State(st): St) -> ApiResult<Response> {
    let mut text = st.store.audit_lines().await?.join("\n");
    text.push('\n');
    Ok((
        [
            (header::CONTENT_TYPE, "application/jsonl; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit.jsonl\"",
            ),
        ],
        text,
    )
        .into_response())
}

fn xlsx(name: &str, sheet: &str, header: &[&str], rows: Vec<Vec<String>>) -> ApiResult<Response> {
    let fail = |e: rust_xlsxwriter::XlsxError| ApiError::bad(format!("生成 Excel 失败: {e}"));
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
    let bytes = book.save_to_buffer().map_err(fail)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.xlsx\""),
            ),
        ],
        bytes,
    )
        .into_response())
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

fn project_cells(p: &ProjectRow) -> Vec<String> {
    vec![
        p.candidate_id.clone().unwrap_or_else(|| p.id.to_string()),
        p.doc.name.clone(),
        p.doc.content.clone(),
        p.doc.lead_unit.clone(),
        p.doc.co_units.join("、"),
        yuan_wan(p.doc.investment_yuan),
        p.doc.funding_source.clone(),
        date_zh(p.doc.deadline.as_str()),
        p.status_label.to_string(),
    ]
}

pub(super) async fn export(
    State(st): St,
    headers: HeaderMap,
    Path(what): Path<String>,
) -> ApiResult<Response> {
    let me = staff(&st, &headers, VIEWERS, false).await?;
    let dept = (me.role == StaffRole::Department).then(|| me.display_name.clone());
    match what.as_str() {
        "suggestions.xlsx" => {
            let rows = st
                .store
                .upstream_read(move |r| r.suggestions(dept.as_deref()))
                .await?;
            xlsx(
                "建议清单",
                "建议清单",
                &[
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
                ],
                rows.iter().map(suggestion_cells).collect(),
            )
        }
        "projects.xlsx" | "candidates.xlsx" => {
            let candidates = what == "candidates.xlsx";
            let rows = st.store.upstream_read(|r| r.projects()).await?;
            let rows: Vec<Vec<String>> = rows
                .iter()
                .filter(|p| !candidates || p.status == ProjectStatus::Candidate)
                .map(project_cells)
                .collect();
            let (name, sheet) = if candidates {
                ("候选项目清单", "候选项目")
            } else {
                ("备选项目申报表", "备选项目")
            };
            xlsx(
                name,
                sheet,
                &[
                    "编号",
                    "项目名称",
                    "项目内容",
                    "牵头单位",
                    "配合单位",
                    "投资",
                    "资金来源",
                    "完成时限",
                    "状态",
                ],
                rows,
            )
        }
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "没有这个导出",
        )),
    }
}

// --- the public --------------------------------------------------------------------------

/// Public suggestions per address per hour.
const PUBLIC_PER_HOUR: u32 = 10;

pub(super) async fn public_suggest(
    State(st): St,
    axum::extract::ConnectInfo(addr): axum::extract::ConnectInfo<std::net::SocketAddr>,
    bytes: axum::body::Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    if bytes.len() > 16 * 1024 {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "内容过长",
        ));
    }
    {
        let mut map = st.public_posts.lock().map_err(|_| ApiError::bad("busy"))?;
        forget_stale(&mut map);
        let e = map.entry(addr.ip()).or_insert((0, Instant::now()));
        if e.1.elapsed() > Duration::from_secs(3600) {
            *e = (0, Instant::now());
        }
        if e.0 >= PUBLIC_PER_HOUR {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "slow_down",
                "提交过于频繁，请稍后再试",
            ));
        }
        e.0 += 1;
    }
    let mut input: SuggestionInput = body(&bytes)?;
    input.channel = Channel::Public;
    input.source.clear();
    let (_, no) = st
        .store
        .upstream("public".into(), Timestamp::now_beijing(), move |u| {
            u.add_suggestion(&input, Action::SubmitPublic)
        })
        .await?;
    Ok(Json(
        json!({"tracking_no": no, "message": "已收到您的建议，请记下查询编号"}),
    ))
}

pub(super) async fn public_track(
    State(st): St,
    Path(no): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let s = st
        .store
        .upstream_read(move |r| r.track(&no))
        .await?
        .ok_or(StoreError::NotFound("该查询编号"))?;
    // Never the contact, never the full text: the status and where it went.
    Ok(Json(json!({
        "tracking_no": s.tracking_no, "title": s.input.title, "status": s.status, "status_label": s.status_label,
        "department": s.department, "received": s.received_at.get(..10), "projects": s.projects,
    })))
}

pub(super) async fn public_year(State(st): St) -> ApiResult<Json<serde_json::Value>> {
    let (year, counts, projects, meetings, events) = st
        .store
        .upstream_read(|r| {
            let y = r.year()?;
            let subj = y
                .as_ref()
                .map(|y| vec![format!("year:{}", y.year)])
                .unwrap_or_default();
            Ok((
                y,
                r.counts()?,
                r.projects()?,
                r.meetings()?,
                r.events_about(&subj)?,
            ))
        })
        .await?;
    let timeline: Vec<_> = events
        .iter()
        .map(|e| json!({"at": e.at, "kind": e.kind, "after": e.after}))
        .collect();
    let list: Vec<_> = projects
        .iter()
        .map(|p| json!({"id": p.id, "name": p.doc.name, "lead_unit": p.doc.lead_unit, "investment": yuan_wan(p.doc.investment_yuan),
                        "status": p.status, "status_label": p.status_label, "candidate_id": p.candidate_id,
                        "merged_into": p.merged_into, "exclusion": p.exclusion, "suggestions": p.suggestions.len()}))
        .collect();
    Ok(Json(json!({
        "year": year, "counts": counts, "projects": list, "timeline": timeline,
        "meetings": meetings.into_iter().map(|(_, m)| json!({"kind": m.kind.label_zh(), "date": m.date, "approved": m.approved, "decision": m.decision})).collect::<Vec<_>>(),
    })))
}

static_page! {
    pub(super) upstream_page => UpstreamPage("upstream.html"),
    pub(super) public_page => PublicPage("public.html"),
}
