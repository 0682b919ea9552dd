//! The tablets' routes: check-in, the ballot, and the vote itself — sent
//! with no cookie at all.

use super::auth::{cookie, set_cookie, with_cookie, TABLET_COOKIE};
use super::error::{ApiResult, Body};
use super::St;
use crate::service::auth::SESSION_SECONDS;
use crate::service::tablet::{
    CheckinReq, IssueReq, IssuedBallot, ReceiptView, SubmitReq, TabletState,
};
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Json;
use std::net::SocketAddr;

pub async fn checkin(
    State(st): St,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Body(req): Body<CheckinReq>,
) -> ApiResult<Response> {
    let c = st.tablet_checkin(addr.ip(), req).await?;
    let cookie = set_cookie(&st, TABLET_COOKIE, &c.token, SESSION_SECONDS);
    Ok(with_cookie(Json(c.deputy), cookie))
}

/// 完成: ends the tablet's session and clears its cookie.
pub async fn checkout(State(st): St, h: HeaderMap) -> ApiResult<Response> {
    let token = cookie(&h, TABLET_COOKIE);
    let done = st.tablet_checkout(token.as_deref()).await?;
    Ok(with_cookie(
        Json(done),
        set_cookie(&st, TABLET_COOKIE, "", 0),
    ))
}

pub async fn state(State(st): St, h: HeaderMap) -> ApiResult<Json<TabletState>> {
    let token = cookie(&h, TABLET_COOKIE);
    Ok(Json(st.tablet_state(token.as_deref()).await?))
}

pub async fn ballot(
    State(st): St,
    h: HeaderMap,
    Body(req): Body<IssueReq>,
) -> ApiResult<Json<IssuedBallot>> {
    let token = cookie(&h, TABLET_COOKIE);
    Ok(Json(st.issue_ballot(token.as_deref(), req).await?))
}

/// The ballot: no session, the credential is the authority to vote.
pub async fn submit(State(st): St, Body(req): Body<SubmitReq>) -> ApiResult<Json<ReceiptView>> {
    Ok(Json(st.submit_ballot(req).await?))
}
