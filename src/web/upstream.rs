//! 产生办法 (HTTP): the workbench, the public form and tracking, the public
//! year page, project histories, Excel exports and the audit log.

use super::auth::{changer, reader};
use super::error::{save_upload, ApiResult, Body, Upload, IMPORT_LIMIT, P, Q};
use super::St;
use crate::error::{Code, Error};
use crate::hall::StaffRole;
use crate::service::hall::{Created, Imported};
use crate::service::import::*;
use crate::service::lists::*;
use crate::service::public::*;
use crate::service::topics::*;
use crate::service::upstream::*;
use crate::service::Done;
use crate::store::SuggestionPage;
use crate::upstream::model::{Assessment, Meeting, SuggestionInput};
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::net::SocketAddr;

const WORKERS: &[StaffRole] = &[StaffRole::WorkingGroup];
const DEPARTMENTS: &[StaffRole] = &[StaffRole::Department];
const VIEWERS: &[StaffRole] = &[
    StaffRole::WorkingGroup,
    StaffRole::Department,
    StaffRole::Secretariat,
];

pub async fn state(State(st): St, h: HeaderMap) -> ApiResult<Json<UpstreamState>> {
    let me = reader(&st, &h, VIEWERS).await?;
    Ok(Json(st.upstream_state(me).await?))
}

pub async fn open_year(
    State(st): St,
    h: HeaderMap,
    Body(req): Body<YearReq>,
) -> ApiResult<Json<Done>> {
    let me = changer(&st, &h, WORKERS).await?;
    Ok(Json(st.open_year(&me, req).await?))
}

pub async fn advance(
    State(st): St,
    h: HeaderMap,
    Body(req): Body<NoteReq>,
) -> ApiResult<Json<Advanced>> {
    let me = changer(&st, &h, WORKERS).await?;
    Ok(Json(st.advance(&me, req).await?))
}

pub async fn set_group(
    State(st): St,
    h: HeaderMap,
    Body(req): Body<GroupReq>,
) -> ApiResult<Json<Done>> {
    let me = changer(&st, &h, WORKERS).await?;
    Ok(Json(st.set_group(&me, req).await?))
}

pub async fn suggestions(
    State(st): St,
    h: HeaderMap,
    Q(q): Q<SuggestionQuery>,
) -> ApiResult<Json<SuggestionPage>> {
    let me = reader(&st, &h, VIEWERS).await?;
    Ok(Json(st.suggestions(&me, q).await?))
}

pub async fn enter_suggestion(
    State(st): St,
    h: HeaderMap,
    Body(req): Body<SuggestionInput>,
) -> ApiResult<Json<Entered>> {
    let me = changer(&st, &h, WORKERS).await?;
    Ok(Json(st.enter_suggestion(&me, req).await?))
}

/// 12345 热线与信访: CSV or XLSX with a column mapping in the query; the
/// file, up to [`IMPORT_LIMIT`], goes to disk as it arrives.
pub async fn import(
    State(st): St,
    h: HeaderMap,
    Q(q): Q<ImportQuery>,
    body: axum::body::Body,
) -> ApiResult<Json<ImportReport>> {
    let me = changer(&st, &h, WORKERS).await?;
    let file = save_upload(&st.upload_dir()?, body, IMPORT_LIMIT).await?;
    Ok(Json(
        st.import_suggestions(&me, q, file.path().to_path_buf())
            .await?,
    ))
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgressQuery {
    pub id: String,
}

/// Where an import under way stands (the page's progress bar).
pub async fn import_progress(
    State(st): St,
    h: HeaderMap,
    Q(q): Q<ProgressQuery>,
) -> ApiResult<Json<ImportProgress>> {
    reader(&st, &h, VIEWERS).await?;
    Ok(Json(st.import_progress(&q.id)?))
}

pub async fn hot(State(st): St, h: HeaderMap) -> ApiResult<Json<HotTopics>> {
    reader(&st, &h, VIEWERS).await?;
    Ok(Json(st.hot_topics().await?))
}

pub async fn name_topic(
    State(st): St,
    h: HeaderMap,
    Body(req): Body<NameTopicReq>,
) -> ApiResult<Json<TopicMade>> {
    let me = changer(&st, &h, WORKERS).await?;
    Ok(Json(st.name_topic(&me, req).await?))
}

pub async fn rename_topic(
    State(st): St,
    h: HeaderMap,
    P(id): P<i64>,
    Body(req): Body<RenameTopicReq>,
) -> ApiResult<Json<Done>> {
    let me = changer(&st, &h, WORKERS).await?;
    Ok(Json(st.rename_topic(&me, id, req).await?))
}

pub async fn merge_topics(
    State(st): St,
    h: HeaderMap,
    P(id): P<i64>,
    Body(req): Body<MergeTopicsReq>,
) -> ApiResult<Json<TopicsMerged>> {
    let me = changer(&st, &h, WORKERS).await?;
    Ok(Json(st.merge_topics(&me, id, req).await?))
}

pub async fn split_topic(
    State(st): St,
    h: HeaderMap,
    P(id): P<i64>,
    Body(req): Body<SplitTopicReq>,
) -> ApiResult<Json<TopicMade>> {
    let me = changer(&st, &h, WORKERS).await?;
    Ok(Json(st.split_topic(&me, id, req).await?))
}

pub async fn compile_list(
    State(st): St,
    h: HeaderMap,
    Body(req): Body<ListReq>,
) -> ApiResult<Json<Listed>> {
    let me = changer(&st, &h, WORKERS).await?;
    Ok(Json(st.compile_list(&me, req).await?))
}

/// 本年度重大项目: a CSV or XLSX list (column 项目名称).
pub async fn import_majors(
    State(st): St,
    h: HeaderMap,
    Upload(b): Upload,
) -> ApiResult<Json<Imported>> {
    let me = changer(&st, &h, WORKERS).await?;
    Ok(Json(st.import_majors(&me, b).await?))
}

pub async fn projects(
    State(st): St,
    h: HeaderMap,
    Q(q): Q<ProjectQuery>,
) -> ApiResult<Json<ProjectList>> {
    reader(&st, &h, VIEWERS).await?;
    Ok(Json(st.projects(q).await?))
}

pub async fn opinions(
    State(st): St,
    h: HeaderMap,
    Q(q): Q<OpinionQuery>,
) -> ApiResult<Json<OpinionList>> {
    reader(&st, &h, VIEWERS).await?;
    Ok(Json(st.opinions(q).await?))
}

/// 初选申报: a department declares for itself.
pub async fn declare(
    State(st): St,
    h: HeaderMap,
    Body(req): Body<DeclareReq>,
) -> ApiResult<Json<Created>> {
    let me = changer(&st, &h, DEPARTMENTS).await?;
    Ok(Json(st.declare(&me, req).await?))
}

pub async fn amend(
    State(st): St,
    h: HeaderMap,
    P(id): P<i64>,
    Body(req): Body<AmendReq>,
) -> ApiResult<Json<Done>> {
    let me = changer(&st, &h, &[StaffRole::Department, StaffRole::WorkingGroup]).await?;
    Ok(Json(st.amend(&me, id, req).await?))
}

pub async fn assess(
    State(st): St,
    h: HeaderMap,
    P(id): P<i64>,
    Body(a): Body<Assessment>,
) -> ApiResult<Json<Done>> {
    let me = changer(&st, &h, WORKERS).await?;
    Ok(Json(st.assess(&me, id, a).await?))
}

pub async fn exclude(
    State(st): St,
    h: HeaderMap,
    P(id): P<i64>,
    Body(req): Body<ExcludeReq>,
) -> ApiResult<Json<Done>> {
    let me = changer(&st, &h, WORKERS).await?;
    Ok(Json(st.exclude(&me, id, req).await?))
}

pub async fn merge(
    State(st): St,
    h: HeaderMap,
    Body(req): Body<MergeReq>,
) -> ApiResult<Json<Created>> {
    let me = changer(&st, &h, WORKERS).await?;
    Ok(Json(st.merge(&me, req).await?))
}

pub async fn save_draft(
    State(st): St,
    h: HeaderMap,
    Body(req): Body<DraftReq>,
) -> ApiResult<Json<DraftSaved>> {
    let me = changer(&st, &h, WORKERS).await?;
    Ok(Json(st.save_draft(&me, req).await?))
}

pub async fn add_opinion(
    State(st): St,
    h: HeaderMap,
    Body(req): Body<OpinionReq>,
) -> ApiResult<Json<Created>> {
    let me = changer(&st, &h, WORKERS).await?;
    Ok(Json(st.add_opinion(&me, req).await?))
}

pub async fn respond(
    State(st): St,
    h: HeaderMap,
    P(id): P<i64>,
    Body(req): Body<RespondReq>,
) -> ApiResult<Json<Done>> {
    let me = changer(&st, &h, WORKERS).await?;
    Ok(Json(st.respond(&me, id, req).await?))
}

pub async fn add_meeting(
    State(st): St,
    h: HeaderMap,
    Body(m): Body<Meeting>,
) -> ApiResult<Json<Created>> {
    let me = changer(&st, &h, WORKERS).await?;
    Ok(Json(st.add_meeting(&me, m).await?))
}

/// One click: the approved list becomes the vote round's candidates.
pub async fn make_round(
    State(st): St,
    h: HeaderMap,
    Body(req): Body<RoundReq>,
) -> ApiResult<Json<RoundMade>> {
    let me = changer(&st, &h, WORKERS).await?;
    Ok(Json(st.make_round(&me, req).await?))
}

pub async fn history(State(st): St, P(id): P<i64>) -> ApiResult<Json<HistoryView>> {
    Ok(Json(st.history(id).await?))
}

pub async fn audit_log(State(st): St) -> ApiResult<Response> {
    let text = st.audit_log().await?;
    let headers = [
        (header::CONTENT_TYPE, "application/jsonl; charset=utf-8"),
        (
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"audit.jsonl\"",
        ),
    ];
    Ok((headers, text).into_response())
}

pub async fn export(State(st): St, h: HeaderMap, P(what): P<String>) -> ApiResult<Response> {
    let me = reader(&st, &h, VIEWERS).await?;
    Ok(workbook(st.export(&me, &what).await?))
}

/// `GET /public/report.xlsx`: the yearly report's table in Excel (public).
pub async fn public_report_xlsx(State(st): St) -> ApiResult<Response> {
    Ok(workbook(st.progress_book().await?))
}

/// An Excel file to save.
fn workbook(book: crate::service::export::Workbook) -> Response {
    let headers = [
        (
            header::CONTENT_TYPE,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
        ),
        (
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", book.file_name),
        ),
    ];
    (headers, book.bytes).into_response()
}

/// The public form: 16 KB at most.
pub async fn public_suggest(
    State(st): St,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Upload(b): Upload,
) -> ApiResult<Json<PublicReceipt>> {
    if b.len() > 16 * 1024 {
        return Err(Error::new(Code::TooLarge, "内容过长"));
    }
    let input = super::error::parse_json(&b)?;
    Ok(Json(st.public_suggest(addr.ip(), input).await?))
}

pub async fn public_track(
    State(st): St,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    P(no): P<String>,
) -> ApiResult<Json<Tracked>> {
    Ok(Json(st.track(addr.ip(), no).await?))
}

pub async fn public_year(State(st): St) -> ApiResult<Json<PublicYear>> {
    Ok(Json(st.public_year().await?))
}
