//! Cookies and the staff guard: which session a request carries, whether
//! its role may call the route, and the CSRF token on every change.

use super::error::{ApiResult, Body};
use super::{AppState, St};
use crate::error::{Code, Error};
use crate::hall::StaffRole;
use crate::service::auth::{LoginAnswer, LoginReq, SESSION_SECONDS};
use crate::service::Done;
use crate::store::Staff;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;

pub const STAFF_COOKIE: &str = "ms_staff";
pub const TABLET_COOKIE: &str = "ms_tablet";

pub const CONSOLE_ROLES: &[StaffRole] = &[
    StaffRole::Secretariat,
    StaffRole::ChiefScrutineer,
    StaffRole::Scrutineer,
];
pub const SECRETARIAT: &[StaffRole] = &[StaffRole::Secretariat];

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then(|| v.to_string())
        })
}

/// A cookie only this origin's pages send, never readable by script;
/// `Secure` when the server speaks TLS.
pub fn set_cookie(st: &AppState, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let tls = st.tls.load(std::sync::atomic::Ordering::Relaxed);
    let secure = if tls { "; Secure" } else { "" };
    let v = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&v).unwrap_or(HeaderValue::from_static(""))
}

/// The response `body` with a cookie set.
pub fn with_cookie(body: impl IntoResponse, cookie: HeaderValue) -> Response {
    let mut resp = body.into_response();
    resp.headers_mut().insert(header::SET_COOKIE, cookie);
    resp
}

async fn signed_in(st: &AppState, headers: &HeaderMap) -> ApiResult<(Staff, String)> {
    let token = cookie(headers, STAFF_COOKIE).ok_or_else(Error::unauthorized)?;
    st.session(&token).await?.ok_or_else(Error::unauthorized)
}

fn role_in(staff: Staff, roles: &[StaffRole]) -> ApiResult<Staff> {
    if roles.contains(&staff.role) {
        Ok(staff)
    } else {
        Err(Error::forbidden())
    }
}

/// The signed-in staff member, for a call that only reads.
pub async fn reader(st: &AppState, headers: &HeaderMap, roles: &[StaffRole]) -> ApiResult<Staff> {
    let (staff, _) = signed_in(st, headers).await?;
    role_in(staff, roles)
}

/// The signed-in staff member, for a call that changes something: the
/// session's CSRF token must come with it.
pub async fn changer(st: &AppState, headers: &HeaderMap, roles: &[StaffRole]) -> ApiResult<Staff> {
    let (staff, csrf) = signed_in(st, headers).await?;
    check_csrf(headers, &csrf)?;
    role_in(staff, roles)
}

fn check_csrf(headers: &HeaderMap, csrf: &str) -> ApiResult<()> {
    let sent = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let same = sent.len() == csrf.len()
        && sent
            .bytes()
            .zip(csrf.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if same {
        Ok(())
    } else {
        Err(Error::new(Code::Csrf, "页面已过期，请刷新后重试"))
    }
}

pub async fn login(State(st): St, Body(req): Body<LoginReq>) -> ApiResult<Response> {
    let s = st.login(req).await?;
    let c = set_cookie(&st, STAFF_COOKIE, &s.token, SESSION_SECONDS);
    Ok(with_cookie(Json::<LoginAnswer>(s.answer), c))
}

/// Ends the session; like every change it carries the CSRF token.
pub async fn logout(State(st): St, headers: HeaderMap) -> ApiResult<Response> {
    let (_, csrf) = signed_in(&st, &headers).await?;
    check_csrf(&headers, &csrf)?;
    if let Some(t) = cookie(&headers, STAFF_COOKIE) {
        st.logout(&t).await?;
    }
    let c = set_cookie(&st, STAFF_COOKIE, "", 0);
    Ok(with_cookie(Json(Done { ok: true }), c))
}
