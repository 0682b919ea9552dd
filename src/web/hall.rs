//! The hall's routes: the roster, rounds from draft to published, the
//! scrutineers' signatures, runoffs, the big screen and the bundle.

use super::auth::{changer, reader, CONSOLE_ROLES, SECRETARIAT};
use super::error::{ApiResult, Body, Upload, P};
use super::St;
use crate::hall::{RoundDraft, StaffRole};
use crate::service::hall::*;
use crate::service::review::{ReviewDraft, ReviewReq};
use crate::service::Done;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

pub async fn deputies(State(st): St, h: HeaderMap) -> ApiResult<Json<DeputyList>> {
    reader(&st, &h, CONSOLE_ROLES).await?;
    Ok(Json(st.deputies().await?))
}

/// The roster as CSV (UTF-8 or GB18030) or XLSX bytes.
pub async fn import_deputies(
    State(st): St,
    h: HeaderMap,
    Upload(b): Upload,
) -> ApiResult<Json<Imported>> {
    changer(&st, &h, SECRETARIAT).await?;
    Ok(Json(st.import_roster(b).await?))
}

/// A candidate list read into what a draft takes; nothing is stored.
pub async fn parse_candidates(
    State(st): St,
    h: HeaderMap,
    Upload(b): Upload,
) -> ApiResult<Json<CandidateSheet>> {
    changer(&st, &h, &[StaffRole::Secretariat, StaffRole::WorkingGroup]).await?;
    Ok(Json(st.parse_candidates(b).await?))
}

pub async fn checkin_codes(State(st): St, h: HeaderMap) -> ApiResult<Json<CheckinCodes>> {
    reader(&st, &h, SECRETARIAT).await?;
    Ok(Json(st.checkin_codes().await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresentReq {
    present: bool,
}

pub async fn set_present(
    State(st): St,
    h: HeaderMap,
    P(id): P<i64>,
    Body(req): Body<PresentReq>,
) -> ApiResult<Json<Done>> {
    let staff = changer(&st, &h, SECRETARIAT).await?;
    Ok(Json(
        st.set_present(id, req.present, &staff.username).await?,
    ))
}

/// 平板故障补发纸质选票.
pub async fn replace_tablet(
    State(st): St,
    h: HeaderMap,
    P(id): P<i64>,
    Body(req): Body<ReplaceReq>,
) -> ApiResult<Json<Replaced>> {
    let staff = changer(&st, &h, SECRETARIAT).await?;
    Ok(Json(
        st.replace_tablet(id, req.deputy_id, &staff.username)
            .await?,
    ))
}

pub async fn rounds(State(st): St, h: HeaderMap) -> ApiResult<Json<RoundList>> {
    reader(&st, &h, CONSOLE_ROLES).await?;
    Ok(Json(st.rounds().await?))
}

pub async fn create_round(
    State(st): St,
    h: HeaderMap,
    Body(d): Body<RoundDraft>,
) -> ApiResult<Json<Created>> {
    changer(&st, &h, SECRETARIAT).await?;
    Ok(Json(st.create_round(d).await?))
}

/// 满意度测评: a draft round over the decided projects not yet rated.
pub async fn review_round(
    State(st): St,
    h: HeaderMap,
    Body(req): Body<ReviewReq>,
) -> ApiResult<Json<ReviewDraft>> {
    changer(&st, &h, SECRETARIAT).await?;
    Ok(Json(st.review_draft(req).await?))
}

pub async fn round(State(st): St, h: HeaderMap, P(id): P<i64>) -> ApiResult<Json<RoundDetail>> {
    reader(&st, &h, CONSOLE_ROLES).await?;
    Ok(Json(st.round(id).await?))
}

/// Replaces a draft's candidates and rules; refused once the round opened.
pub async fn update_round(
    State(st): St,
    h: HeaderMap,
    P(id): P<i64>,
    Body(d): Body<RoundDraft>,
) -> ApiResult<Json<Done>> {
    changer(&st, &h, SECRETARIAT).await?;
    Ok(Json(st.update_round(id, d).await?))
}

pub async fn open_round(State(st): St, h: HeaderMap, P(id): P<i64>) -> ApiResult<Json<Opened>> {
    changer(&st, &h, SECRETARIAT).await?;
    Ok(Json(st.open_round(id).await?))
}

/// Counts only: never partial results while the round is open.
pub async fn counts(State(st): St, h: HeaderMap, P(id): P<i64>) -> ApiResult<Json<CountsView>> {
    reader(&st, &h, CONSOLE_ROLES).await?;
    Ok(Json(st.counts(id).await?))
}

pub async fn close_round(
    State(st): St,
    h: HeaderMap,
    P(id): P<i64>,
) -> ApiResult<Json<ClosedRound>> {
    changer(&st, &h, SECRETARIAT).await?;
    Ok(Json(st.close_round(id).await?))
}

pub async fn result(State(st): St, h: HeaderMap, P(id): P<i64>) -> ApiResult<Json<ResultStatus>> {
    reader(&st, &h, CONSOLE_ROLES).await?;
    Ok(Json(st.result_status(id).await?))
}

pub async fn attest(
    State(st): St,
    h: HeaderMap,
    P(id): P<i64>,
    Body(req): Body<AttestReq>,
) -> ApiResult<Json<ResultStatus>> {
    changer(&st, &h, CONSOLE_ROLES).await?;
    Ok(Json(st.attest(id, req).await?))
}

pub async fn publish(State(st): St, h: HeaderMap, P(id): P<i64>) -> ApiResult<Json<Published>> {
    changer(&st, &h, SECRETARIAT).await?;
    Ok(Json(st.publish(id).await?))
}

/// 再次投票: a new draft round chained to this round's result.
pub async fn runoff(State(st): St, h: HeaderMap, P(id): P<i64>) -> ApiResult<Json<Runoff>> {
    changer(&st, &h, SECRETARIAT).await?;
    Ok(Json(st.runoff(id).await?))
}

/// 回执查询: a deputy's receipt code in a published round.
pub async fn receipt(
    State(st): St,
    P((id, code)): P<(i64, String)>,
) -> ApiResult<Json<crate::service::results::ReceiptCheck>> {
    Ok(Json(st.check_receipt(id, &code).await?))
}

/// Polled by the big screen and by observers.
pub async fn hall_status(State(st): St) -> ApiResult<Json<HallStatus>> {
    Ok(Json(st.hall_status().await?))
}

pub async fn bundle(State(st): St, P(id): P<i64>) -> ApiResult<Response> {
    let text = st.bundle(id).await?;
    let headers = [
        (
            header::CONTENT_TYPE,
            "application/jsonl; charset=utf-8".to_string(),
        ),
        (
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"bundle-round-{id}.jsonl\""),
        ),
    ];
    Ok((headers, text).into_response())
}
