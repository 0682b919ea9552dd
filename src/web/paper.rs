//! Paper ballots and the count (HTTP): printing, voiding, the switch to
//! paper, handing out, the box, double entry and rulings.

use super::auth::{changer, reader, SECRETARIAT};
use super::error::{ApiResult, Body, P, Q};
use super::St;
use crate::hall::StaffRole;
use crate::service::paper::*;
use crate::service::Done;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

const SCRUTINEERS: &[StaffRole] = &[StaffRole::ChiefScrutineer, StaffRole::Scrutineer];
const CHIEF: &[StaffRole] = &[StaffRole::ChiefScrutineer];
const COUNTERS: &[StaffRole] = &[StaffRole::Counter];
const PAPER_WATCHERS: &[StaffRole] = &[
    StaffRole::Secretariat,
    StaffRole::ChiefScrutineer,
    StaffRole::Scrutineer,
    StaffRole::Counter,
];
const VOIDERS: &[StaffRole] = &[
    StaffRole::Secretariat,
    StaffRole::ChiefScrutineer,
    StaffRole::Scrutineer,
];

/// 打印: takes fresh credentials for `count` paper ballots.
pub async fn print(
    State(st): St,
    h: HeaderMap,
    P(id): P<i64>,
    Body(req): Body<CountReq>,
) -> ApiResult<Json<PrintJob>> {
    changer(&st, &h, SECRETARIAT).await?;
    Ok(Json(st.print_paper(id, req.count).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrintQuery {
    per_page: Option<u8>,
}

/// The A4 print page: live credentials, never kept by a browser or a proxy.
pub async fn print_page(
    State(st): St,
    h: HeaderMap,
    P((id, batch)): P<(i64, i64)>,
    Q(q): Q<PrintQuery>,
) -> ApiResult<Response> {
    reader(&st, &h, SECRETARIAT).await?;
    let html = st.print_sheets(id, batch, q.per_page == Some(2)).await?;
    let mut resp = Html(html).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// 作废: a spoiled ballot (reprinted) or an unused one scanned back.
pub async fn void(
    State(st): St,
    h: HeaderMap,
    P(id): P<i64>,
    Body(req): Body<VoidReq>,
) -> ApiResult<Json<Voided>> {
    changer(&st, &h, VOIDERS).await?;
    Ok(Json(st.void_paper(id, req).await?))
}

/// 改用纸质选票.
pub async fn set_mode(
    State(st): St,
    h: HeaderMap,
    P(id): P<i64>,
    Body(req): Body<ModeReq>,
) -> ApiResult<Json<ModeSet>> {
    changer(&st, &h, SECRETARIAT).await?;
    Ok(Json(st.set_mode(id, req).await?))
}

/// 发出 (paper).
pub async fn handed_out(
    State(st): St,
    h: HeaderMap,
    P(id): P<i64>,
    Body(req): Body<CountReq>,
) -> ApiResult<Json<Done>> {
    changer(&st, &h, SECRETARIAT).await?;
    Ok(Json(st.handed_out(id, req.count).await?))
}

/// 收回: the box, counted by the scrutineers.
pub async fn box_count(
    State(st): St,
    h: HeaderMap,
    P(id): P<i64>,
    Body(req): Body<CountReq>,
) -> ApiResult<Json<Done>> {
    changer(&st, &h, SCRUTINEERS).await?;
    Ok(Json(st.box_count(id, req.count).await?))
}

/// The chief scrutineer accepts a box count that does not match.
pub async fn override_box(
    State(st): St,
    h: HeaderMap,
    P(id): P<i64>,
    Body(req): Body<OverrideReq>,
) -> ApiResult<Json<Done>> {
    let chief = changer(&st, &h, CHIEF).await?;
    Ok(Json(st.override_box(id, &chief, req).await?))
}

pub async fn status(State(st): St, h: HeaderMap, P(id): P<i64>) -> ApiResult<Json<PaperView>> {
    let who = reader(&st, &h, PAPER_WATCHERS).await?;
    Ok(Json(st.paper_status(id, &who).await?))
}

/// 计票录入: one counter's reading of one paper ballot.
pub async fn enter(
    State(st): St,
    h: HeaderMap,
    P(id): P<i64>,
    Body(req): Body<EntryReq>,
) -> ApiResult<Json<EntryAnswer>> {
    let counter = changer(&st, &h, COUNTERS).await?;
    Ok(Json(st.enter_paper(id, &counter, req).await?))
}

/// 总监票人裁定: the reading that counts for a disputed ballot.
pub async fn rule(
    State(st): St,
    h: HeaderMap,
    P(id): P<i64>,
    Body(req): Body<RulingReq>,
) -> ApiResult<Json<EntryAnswer>> {
    let chief = changer(&st, &h, CHIEF).await?;
    Ok(Json(st.rule_paper(id, &chief, req).await?))
}
