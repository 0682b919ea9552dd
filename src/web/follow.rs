//! 实施与监督 (HTTP): the decided projects after the vote, for staff and
//! the public; plans, reports, decisions, inspections and answers.

use super::auth::{changer, reader};
use super::error::{parse_json, save_upload, ApiResult, Body, Upload, P, Q};
use super::St;
use crate::error::{Code, Error};
use crate::hall::StaffRole;
use crate::service::follow::*;
use crate::service::{Done, DONE};
use crate::upstream::follow::{AttachedTo, Decision, Inspection, Plan, Report};
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::Json;

const VIEWERS: &[StaffRole] = &[
    StaffRole::WorkingGroup,
    StaffRole::Department,
    StaffRole::Secretariat,
];
const DEPARTMENTS: &[StaffRole] = &[StaffRole::Department];
/// The 人大常委会's office records its decisions and the inspections.
const OFFICE: &[StaffRole] = &[StaffRole::Secretariat];

pub async fn list(State(st): St, h: HeaderMap) -> ApiResult<Json<FollowList>> {
    reader(&st, &h, VIEWERS).await?;
    Ok(Json(st.follow().await?))
}

pub async fn public(State(st): St) -> ApiResult<Json<FollowList>> {
    Ok(Json(st.follow().await?))
}

pub async fn plan(
    State(st): St,
    h: HeaderMap,
    P(id): P<i64>,
    Body(plan): Body<Plan>,
) -> ApiResult<Json<Done>> {
    let me = changer(&st, &h, DEPARTMENTS).await?;
    st.set_plan(&me, id, plan).await?;
    Ok(Json(DONE))
}

pub async fn check(State(st): St, h: HeaderMap, P(id): P<i64>) -> ApiResult<Json<Done>> {
    let me = changer(&st, &h, &[StaffRole::WorkingGroup]).await?;
    st.check_plan(&me, id).await?;
    Ok(Json(DONE))
}

pub async fn report(
    State(st): St,
    h: HeaderMap,
    P(id): P<i64>,
    Body(r): Body<Report>,
) -> ApiResult<Json<Recorded>> {
    let me = changer(&st, &h, DEPARTMENTS).await?;
    Ok(Json(st.add_report(&me, id, r).await?))
}

pub async fn decision(
    State(st): St,
    h: HeaderMap,
    P(id): P<i64>,
    Body(d): Body<Decision>,
) -> ApiResult<Json<Done>> {
    let me = changer(&st, &h, OFFICE).await?;
    st.add_decision(&me, id, d).await?;
    Ok(Json(DONE))
}

pub async fn inspection(
    State(st): St,
    h: HeaderMap,
    P(id): P<i64>,
    Body(i): Body<Inspection>,
) -> ApiResult<Json<Recorded>> {
    let me = changer(&st, &h, OFFICE).await?;
    Ok(Json(st.add_inspection(&me, id, i).await?))
}

pub async fn answer(
    State(st): St,
    h: HeaderMap,
    P(id): P<i64>,
    Body(req): Body<AnswerReq>,
) -> ApiResult<Json<Done>> {
    let me = changer(&st, &h, DEPARTMENTS).await?;
    st.answer_inspection(&me, id, req).await?;
    Ok(Json(DONE))
}

/// 民生码: anyone rates a project (a short body, within the hourly quota).
pub async fn rate(
    State(st): St,
    ConnectInfo(addr): ConnectInfo<std::net::SocketAddr>,
    P(id): P<i64>,
    Upload(b): Upload,
) -> ApiResult<Json<RatingReceipt>> {
    if b.len() > 4 * 1024 {
        return Err(Error::new(Code::TooLarge, "内容过长"));
    }
    let req = parse_json(&b)?;
    Ok(Json(st.rate(addr.ip(), id, req).await?))
}

pub async fn comments(State(st): St, h: HeaderMap) -> ApiResult<Json<CommentQueue>> {
    reader(&st, &h, &[StaffRole::WorkingGroup, StaffRole::Secretariat]).await?;
    Ok(Json(st.comment_queue().await?))
}

pub async fn moderate(
    State(st): St,
    h: HeaderMap,
    P(id): P<i64>,
    Body(req): Body<ModerateReq>,
) -> ApiResult<Json<Done>> {
    let me = changer(&st, &h, &[StaffRole::WorkingGroup, StaffRole::Secretariat]).await?;
    st.moderate(&me, id, req).await?;
    Ok(Json(DONE))
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachQuery {
    pub name: String,
    /// The progress report or the inspection the file belongs to, if one.
    #[serde(default)]
    pub report: Option<i64>,
    #[serde(default)]
    pub inspection: Option<i64>,
}

/// A photo or scan: streamed to the data dir, at most
/// [`crate::upstream::follow::ATTACHMENT_MAX`].
pub async fn attach(
    State(st): St,
    h: HeaderMap,
    P(id): P<i64>,
    Q(q): Q<AttachQuery>,
    body: axum::body::Body,
) -> ApiResult<Json<Recorded>> {
    let me = changer(&st, &h, &[StaffRole::Department, StaffRole::Secretariat]).await?;
    let file = save_upload(
        &st.upload_dir()?,
        body,
        crate::upstream::follow::ATTACHMENT_MAX,
    )
    .await?;
    let of = match (q.report, q.inspection) {
        (None, None) => AttachedTo::Project,
        (Some(r), None) => AttachedTo::Report(r),
        (None, Some(i)) => AttachedTo::Inspection(i),
        (Some(_), Some(_)) => {
            return Err(crate::error::Error::bad(
                "附件只能属于一份进展报告或一次视察",
            ))
        }
    };
    Ok(Json(
        st.attach(&me, id, of, q.name, file.path().to_path_buf())
            .await?,
    ))
}

pub async fn attachment(State(st): St, P(id): P<i64>) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let f = st.attachment(id).await?;
    let mime = match f.kind.as_str() {
        "jpeg" => "image/jpeg",
        "png" => "image/png",
        _ => "application/pdf",
    };
    let name: String = f
        .name
        .chars()
        .filter(|c| c.is_alphanumeric() || "._-".contains(*c))
        .collect();
    let disposition = format!(
        "inline; filename=\"attachment-{id}.{}\"; filename*=UTF-8''{}",
        f.kind, name
    );
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, mime.to_string()),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
        ],
        f.bytes,
    )
        .into_response())
}
