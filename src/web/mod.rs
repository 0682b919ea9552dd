//! 网页与接口 (HTTP): the one module that speaks axum. Every route is listed
//! in [`router`]; handlers check the caller's role, call the store and the
//! core, and turn errors into a plain Chinese message with a precise code.
//!
//! Ballot submission takes no session at all: the credential is the
//! authority to vote, and the tablet page sends it without cookies, so the
//! server never sees which tablet a ballot came from.

use crate::core::canon::Hash;
use crate::core::chain::{Ballot, BallotError};
use crate::core::credential::Credential;
use crate::core::record::*;
use crate::core::sig;
use crate::hall::{parse_candidates, parse_roster, RoundDraft, RoundState, RowError, StaffRole};
use crate::keys::Signer;
use crate::sheets::Sheet;
use crate::store::{Staff, Store, StoreError, SubmitError};
use askama::Template;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Pages with nothing to fill in: the data comes from the JSON API.
macro_rules! static_page {
    ($($vis:vis $handler:ident => $ty:ident($path:literal)),* $(,)?) => {$(
        #[derive(Template)]
        #[template(path = $path)]
        struct $ty;

        $vis async fn $handler() -> Response {
            page($ty)
        }
    )*};
}

mod paper;
mod upstream;
pub use paper::BallotSheets;

/// Everything a handler needs.
pub struct AppState {
    pub store: Store,
    pub authority: Signer,
    pub scrutineer_keys: Vec<PublicKey>,
    pub election_id: ElectionId,
    /// Failed logins per user name: (count, last attempt).
    logins: Mutex<HashMap<String, (u32, Instant)>>,
    /// The open round's ballot as tablets fetch it: the manifest is fixed
    /// once open, so it is read and stripped of its credentials once.
    ballot_cache: Mutex<Option<Arc<BallotView>>>,
    /// Public suggestions per address: (count this hour, hour start).
    public_posts: Mutex<HashMap<std::net::IpAddr, (u32, Instant)>>,
}

impl AppState {
    pub fn new(
        store: Store,
        authority: Signer,
        scrutineer_keys: Vec<PublicKey>,
        election_id: ElectionId,
    ) -> Self {
        AppState {
            store,
            authority,
            scrutineer_keys,
            election_id,
            logins: Mutex::new(HashMap::new()),
            ballot_cache: Mutex::new(None),
            public_posts: Mutex::new(HashMap::new()),
        }
    }
}

type St = State<Arc<AppState>>;

/// Every route, in one place.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        // pages
        .route("/", get(index_page))
        .route("/tablet", get(tablet_page))
        .route("/login", get(login_page))
        .route("/console", get(console_page))
        .route("/hall", get(hall_page))
        .route("/results", get(results_page))
        .route("/results/{id}", get(result_page))
        .route("/results/{id}/announcement", get(announcement_page))
        .route("/results/{id}/bundle.jsonl", get(bundle_download))
        // tablets (deputies)
        .route("/api/tablet/checkin", post(tablet_checkin))
        .route("/api/tablet/state", get(tablet_state))
        .route("/api/tablet/ballot", post(tablet_ballot))
        .route("/api/ballots", post(submit_ballot))
        // public
        .route("/api/hall", get(hall_status))
        // staff
        .route("/api/login", post(login))
        .route("/api/logout", post(logout))
        .route("/api/deputies", get(list_deputies))
        .route("/api/deputies/import", post(import_deputies))
        .route("/api/deputies/codes", get(checkin_codes))
        .route("/api/deputies/{id}/present", post(set_present))
        .route("/api/candidates/parse", post(parse_candidate_sheet))
        .route("/api/rounds", get(list_rounds).post(create_round))
        .route("/api/rounds/{id}", get(get_round).put(update_round))
        .route("/api/rounds/{id}/open", post(open_round))
        .route("/api/rounds/{id}/counts", get(round_counts))
        .route("/api/rounds/{id}/close", post(close_round))
        .route("/api/rounds/{id}/result", get(round_result))
        .route("/api/rounds/{id}/attest", post(attest))
        .route("/api/rounds/{id}/publish", post(publish))
        .route("/api/rounds/{id}/runoff", post(paper::runoff))
        .route("/api/rounds/{id}/mode", post(paper::set_mode))
        // paper ballots and the count (计票)
        .route("/count", get(paper::count_page))
        .route("/console/print/{id}/{batch}", get(paper::print_page))
        .route("/api/rounds/{id}/paper", get(paper::status))
        .route("/api/rounds/{id}/paper/print", post(paper::print))
        .route("/api/rounds/{id}/paper/void", post(paper::void))
        .route("/api/rounds/{id}/paper/handed-out", post(paper::handed_out))
        .route("/api/rounds/{id}/paper/box", post(paper::box_count))
        .route("/api/rounds/{id}/paper/override", post(paper::override_box))
        .route("/api/rounds/{id}/paper/entries", post(paper::enter))
        .route("/api/rounds/{id}/paper/rulings", post(paper::rule))
        // the upstream stages (产生办法)
        .route("/upstream", get(upstream::upstream_page))
        .route("/api/upstream", get(upstream::state))
        .route("/api/upstream/year", post(upstream::open_year))
        .route("/api/upstream/advance", post(upstream::advance))
        .route("/api/upstream/group", post(upstream::set_group))
        .route(
            "/api/upstream/suggestions",
            get(upstream::suggestions).post(upstream::enter_suggestion),
        )
        .route(
            "/api/upstream/suggestions/import",
            post(upstream::import_suggestions),
        )
        .route("/api/upstream/hot", get(upstream::hot))
        .route("/api/upstream/list", post(upstream::compile_list))
        .route(
            "/api/upstream/projects",
            get(upstream::projects).post(upstream::declare),
        )
        .route(
            "/api/upstream/projects/{id}",
            axum::routing::put(upstream::amend),
        )
        .route("/api/upstream/projects/{id}/assess", post(upstream::assess))
        .route(
            "/api/upstream/projects/{id}/exclude",
            post(upstream::exclude),
        )
        .route("/api/upstream/merge", post(upstream::merge))
        .route(
            "/api/upstream/major-projects",
            post(upstream::import_majors),
        )
        .route("/api/upstream/drafts", post(upstream::save_draft))
        .route("/api/upstream/opinions", post(upstream::add_opinion))
        .route(
            "/api/upstream/opinions/{id}/respond",
            post(upstream::respond),
        )
        .route("/api/upstream/meetings", post(upstream::add_meeting))
        .route("/api/upstream/round", post(upstream::make_round))
        .route("/api/upstream/export/{what}", get(upstream::export))
        // the public side of the stages
        .route("/public", get(upstream::public_page))
        .route("/api/public/suggestions", post(upstream::public_suggest))
        .route("/api/public/track/{no}", get(upstream::public_track))
        .route("/api/public/year", get(upstream::public_year))
        .route("/api/public/projects/{id}/history", get(upstream::history))
        .route("/public/audit.jsonl", get(upstream::audit_log))
        .layer(DefaultBodyLimit::max(2 * 1024 * 1024))
        .with_state(state)
}

/// Serves until `shutdown` resolves.
///
/// HTTP/1.1 only (the hall's tablets and consoles), with keep-alive: one
/// small hyper connection per client, so a full hall's connections stay
/// cheap. An accept error (out of file descriptors, say) is logged and
/// retried, never the end of the server.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_tls(listener, state, None, shutdown).await
}

/// As [`serve`], over TLS when an acceptor is given (the handshake runs in
/// the connection's own task, so a slow client holds up no one).
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::TokioIo;
    use hyper_util::service::TowerToHyperService;
    use tower::ServiceExt;
    let app = router(state);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.keep_alive(true)
        .header_read_timeout(Duration::from_secs(30))
        .timer(hyper_util::rt::TokioTimer::new());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    eprintln!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let svc =
            app.clone()
                .map_request(move |req: axum::http::Request<hyper::body::Incoming>| {
                    let mut req = req.map(axum::body::Body::new);
                    req.extensions_mut()
                        .insert(axum::extract::ConnectInfo(peer));
                    req
                });
        let svc = TowerToHyperService::new(svc);
        match &tls {
            None => {
                let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), svc));
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
            Some(acceptor) => {
                let (acceptor, http, watcher) =
                    (acceptor.clone(), http.clone(), graceful.watcher());
                tokio::spawn(async move {
                    let handshake =
                        tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream));
                    if let Ok(Ok(stream)) = handshake.await {
                        let _ = watcher
                            .watch(http.serve_connection(TokioIo::new(stream), svc))
                            .await;
                    }
                });
            }
        }
    }
    // Let requests in flight finish (a receipt being written), briefly.
    let _ = tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await;
    Ok(())
}

// --- errors ----------------------------------------------------------------------

/// An error as the caller sees it: a status, a stable code for programs and
/// a message for people.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
    fn bad(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
    fn unauthorized() -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "login_required", "请先登录")
    }
    fn forbidden() -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", "您的角色无权进行此操作")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({"error": self.message, "code": self.code})),
        )
            .into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(_) => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", e.to_string())
            }
            StoreError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            StoreError::Invalid(m) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", m),
            other if other.is_disk() => {
                eprintln!("storage error (disk full, read-only or failing): {other}");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage",
                    "服务器磁盘已满或无法写入，此项操作未能保存，请检查服务器磁盘后重试",
                )
            }
            other => {
                // Detail for the operator's log; never ballot content or credentials.
                eprintln!("storage error: {other}");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "storage",
                    "系统存储出错，请联系工作人员",
                )
            }
        }
    }
}

type ApiResult<T> = Result<T, ApiError>;

// --- cookies and sessions ----------------------------------------------------------

const STAFF_COOKIE: &str = "ms_staff";
const TABLET_COOKIE: &str = "ms_tablet";
const SESSION_SECONDS: i64 = 12 * 3600;

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
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

fn set_cookie(name: &str, value: &str, max_age: i64) -> HeaderValue {
    let v = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}");
    HeaderValue::from_str(&v).unwrap_or(HeaderValue::from_static(""))
}

fn random_token() -> ApiResult<String> {
    use rand_core::RngCore;
    let mut b = [0u8; 32];
    rand_core::OsRng.try_fill_bytes(&mut b).map_err(|_| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "random",
            "随机数生成失败",
        )
    })?;
    Ok(hex::encode(b))
}

fn token_hash(token: &str) -> String {
    Hash::of_bytes(token.as_bytes()).to_hex()
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The signed-in staff member, if the role is one of `roles`. A request
/// that changes anything must also carry the session's CSRF token.
async fn staff(
    state: &AppState,
    headers: &HeaderMap,
    roles: &[StaffRole],
    changes: bool,
) -> ApiResult<Staff> {
    let token = cookie(headers, STAFF_COOKIE).ok_or_else(ApiError::unauthorized)?;
    let (staff, csrf) = state
        .store
        .session(token_hash(&token), now_secs())
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    if changes {
        let sent = headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if sent.len() != csrf.len() || sent != csrf {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf",
                "页面已过期，请刷新后重试",
            ));
        }
    }
    if !roles.contains(&staff.role) {
        return Err(ApiError::forbidden());
    }
    Ok(staff)
}

const CONSOLE_ROLES: &[StaffRole] = &[
    StaffRole::Secretariat,
    StaffRole::ChiefScrutineer,
    StaffRole::Scrutineer,
];
const SECRETARIAT: &[StaffRole] = &[StaffRole::Secretariat];

/// Per-caller counters (failed logins, public suggestions) are kept for an
/// hour; past a thousand callers the stale ones are dropped, so a stream of
/// made-up names or addresses cannot grow them without end.
fn forget_stale<K>(map: &mut HashMap<K, (u32, Instant)>) {
    if map.len() > 1024 {
        map.retain(|_, (_, at)| at.elapsed() < Duration::from_secs(3600));
    }
}

// --- password hashing ---------------------------------------------------------------

pub fn hash_password(password: &str) -> Result<String, String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

// --- staff API ----------------------------------------------------------------------------

#[derive(Deserialize)]
struct LoginReq {
    username: String,
    password: String,
}

async fn login(State(st): St, Json(req): Json<LoginReq>) -> ApiResult<Response> {
    // Repeated failures for a name are slowed: each must wait longer.
    let wait = {
        let map = st.logins.lock().map_err(|_| ApiError::bad("busy"))?;
        map.get(&req.username).map(|(n, at)| {
            let need =
                Duration::from_secs(1u64 << (*n).min(6)).saturating_sub(Duration::from_secs(2));
            need.saturating_sub(at.elapsed())
        })
    };
    if let Some(w) = wait.filter(|w| !w.is_zero()) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "slow_down",
            format!("登录失败次数过多，请 {} 秒后再试", w.as_secs() + 1),
        ));
    }
    let found = st.store.staff_by_username(req.username.clone()).await?;
    let password = req.password;
    let ok = match found {
        Some((staff, hash)) => {
            let good = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
                .await
                .unwrap_or(false);
            good.then_some(staff)
        }
        None => None,
    };
    let Some(staff) = ok else {
        if let Ok(mut map) = st.logins.lock() {
            forget_stale(&mut map);
            let e = map.entry(req.username).or_insert((0, Instant::now()));
            e.0 += 1;
            e.1 = Instant::now();
        }
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "bad_login",
            "用户名或密码不正确",
        ));
    };
    if let Ok(mut map) = st.logins.lock() {
        map.remove(&staff.username);
    }
    let token = random_token()?;
    let csrf = random_token()?;
    st.store
        .create_session(
            token_hash(&token),
            staff.id,
            csrf.clone(),
            now_secs() + SESSION_SECONDS,
        )
        .await?;
    let mut resp = Json(json!({
        "username": staff.username, "display_name": staff.display_name,
        "role": staff.role, "role_label": staff.role.label_zh(), "csrf": csrf
    }))
    .into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(STAFF_COOKIE, &token, SESSION_SECONDS),
    );
    Ok(resp)
}

async fn logout(State(st): St, headers: HeaderMap) -> ApiResult<Response> {
    if let Some(t) = cookie(&headers, STAFF_COOKIE) {
        st.store.delete_session(token_hash(&t)).await?;
    }
    let mut resp = Json(json!({"ok": true})).into_response();
    resp.headers_mut()
        .insert(header::SET_COOKIE, set_cookie(STAFF_COOKIE, "", 0));
    Ok(resp)
}

async fn list_deputies(State(st): St, headers: HeaderMap) -> ApiResult<Json<serde_json::Value>> {
    staff(&st, &headers, CONSOLE_ROLES, false).await?;
    let d = st.store.deputies().await?;
    let present = d.iter().filter(|d| d.present).count();
    Ok(Json(
        json!({"total": d.len(), "present": present, "quorum": crate::core::tally::quorum(d.len() as u64), "deputies": d}),
    ))
}

/// Rows that cannot be taken: all of them named, nothing taken.
fn row_errors(code: &'static str, errors: &[RowError]) -> ApiError {
    let mut message: Vec<String> = errors.iter().take(50).map(|e| e.to_string()).collect();
    if errors.len() > 50 {
        message.push(format!("……共 {} 处错误", errors.len()));
    }
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message.join("；"))
}

/// The roster as CSV (UTF-8 or GB18030) or XLSX bytes.
async fn import_deputies(
    State(st): St,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    staff(&st, &headers, SECRETARIAT, true).await?;
    let sheet = Sheet::read(&body).map_err(|e| row_errors("roster_rows", &[e]))?;
    let rows = parse_roster(&sheet).map_err(|e| row_errors("roster_rows", &e))?;
    let n = st.store.import_roster(rows).await?;
    Ok(Json(json!({"imported": n})))
}

/// A candidate list as CSV or XLSX bytes, read into the JSON a round draft
/// takes. Nothing is stored: the caller reviews it and creates the round.
async fn parse_candidate_sheet(
    State(st): St,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    staff(
        &st,
        &headers,
        &[StaffRole::Secretariat, StaffRole::WorkingGroup],
        true,
    )
    .await?;
    let sheet = Sheet::read(&body).map_err(|e| row_errors("candidate_rows", &[e]))?;
    let candidates = parse_candidates(&sheet).map_err(|e| row_errors("candidate_rows", &e))?;
    Ok(Json(json!({"candidates": candidates})))
}

async fn checkin_codes(State(st): St, headers: HeaderMap) -> ApiResult<Json<serde_json::Value>> {
    staff(&st, &headers, SECRETARIAT, false).await?;
    let rows = st.store.checkin_codes().await?;
    let list: Vec<_> = rows
        .into_iter()
        .map(|(d, code)| json!({"number": d.number, "name": d.name, "delegation": d.delegation, "seat": d.seat, "code": code}))
        .collect();
    Ok(Json(json!({"codes": list})))
}

#[derive(Deserialize)]
struct PresentReq {
    present: bool,
}

async fn set_present(
    State(st): St,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(req): Json<PresentReq>,
) -> ApiResult<Json<serde_json::Value>> {
    staff(&st, &headers, SECRETARIAT, true).await?;
    st.store.set_present(id, req.present).await?;
    Ok(Json(json!({"ok": true})))
}

async fn list_rounds(State(st): St, headers: HeaderMap) -> ApiResult<Json<serde_json::Value>> {
    staff(&st, &headers, CONSOLE_ROLES, false).await?;
    let rounds = st.store.rounds().await?;
    let list: Vec<_> = rounds
        .iter()
        .map(|r| {
            // A published round that must be followed (tie, revote, void) and is not yet.
            let next = r
                .result
                .as_ref()
                .filter(|_| r.state == RoundState::Published)
                .and_then(|res| crate::hall::next_draft(&r.draft, res))
                .filter(|n| !rounds.iter().any(|o| o.draft.previous_result == n.previous_result));
            json!({"id": r.id, "election_id": r.election_id, "round": r.round, "state": r.state,
                   "state_label": r.state.label_zh(), "title": r.draft.title, "candidates": r.draft.candidates.len(),
                   "seats": r.draft.rules.seats, "needs_next": next.is_some()})
        })
        .collect();
    Ok(Json(json!({"rounds": list})))
}

async fn create_round(
    State(st): St,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    staff(&st, &headers, SECRETARIAT, true).await?;
    let draft: RoundDraft =
        parse_record(&body).map_err(|e| ApiError::bad(format!("候选清单有误: {e}")))?;
    check_draft(&st, &draft)?;
    let id = st.store.create_round(st.election_id, draft).await?;
    Ok(Json(json!({"id": id})))
}

async fn get_round(
    State(st): St,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult<Json<serde_json::Value>> {
    staff(&st, &headers, CONSOLE_ROLES, false).await?;
    let r = st.store.round(id).await?;
    Ok(Json(json!({
        "id": r.id, "round": r.round, "state": r.state, "state_label": r.state.label_zh(),
        "draft": r.draft, "manifest_hash": r.manifest.as_ref().map(|m| m.body_hash()),
    })))
}

/// Replaces a draft's candidates and rules; refused once the round opened.
async fn update_round(
    State(st): St,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    staff(&st, &headers, SECRETARIAT, true).await?;
    let draft: RoundDraft =
        parse_record(&body).map_err(|e| ApiError::bad(format!("候选清单有误: {e}")))?;
    check_draft(&st, &draft)?;
    st.store.update_draft(id, draft).await?;
    Ok(Json(json!({"ok": true})))
}

/// Every rule the manifest will be held to, checked now rather than at opening.
fn check_draft(st: &AppState, d: &RoundDraft) -> ApiResult<()> {
    if d.candidates.is_empty() {
        return Err(ApiError::bad("候选项目不能为空"));
    }
    if d.rules.seats == 0 || d.rules.max_for == 0 {
        return Err(ApiError::bad("应选项目数和最多赞成数至少为 1"));
    }
    let mut ids: Vec<_> = d.candidates.iter().map(|c| c.id).collect();
    ids.sort();
    if ids.windows(2).any(|w| w[0] == w[1]) {
        return Err(ApiError::bad("候选项目编号重复"));
    }
    d.manifest(
        st.election_id,
        if d.previous_result.is_some() { 2 } else { 1 },
        1,
        vec![Hash::of_bytes(b"check")],
        st.authority.public_key(),
        st.scrutineer_keys.clone(),
        Timestamp::now_beijing(),
    )
    .map(|_| ())
    .map_err(|e| ApiError::bad(format!("候选清单有误: {e}")))
}

async fn open_round(
    State(st): St,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult<Json<serde_json::Value>> {
    staff(&st, &headers, SECRETARIAT, true).await?;
    let row = st.store.round(id).await?;
    if row.state != RoundState::Draft {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            "只有准备中的轮次可以开始",
        ));
    }
    let total = st.store.deputies().await?.len() as u64;
    if total == 0 {
        return Err(ApiError::bad("请先导入代表名册"));
    }
    // One credential per deputy, and spares for spoiled paper ballots.
    let pool = total + (total / 5).max(10);
    let mut stack = Vec::with_capacity(pool as usize);
    for _ in 0..pool {
        stack.push(Credential::generate().map_err(|_| ApiError::bad("随机数生成失败"))?);
    }
    let election_id =
        ElectionId::parse(&row.election_id).map_err(|e| ApiError::bad(e.to_string()))?;
    let commitments = stack
        .iter()
        .map(|c| c.commitment(&election_id, row.round))
        .collect();
    let manifest = row
        .draft
        .manifest(
            election_id,
            row.round,
            total,
            commitments,
            st.authority.public_key(),
            st.scrutineer_keys.clone(),
            Timestamp::now_beijing(),
        )
        .map_err(|e| ApiError::bad(format!("清单有误: {e}")))?;
    let signed = Signed {
        signatures: vec![st.authority.sign(Role::Authority, &manifest)],
        body: manifest,
    };
    let hash = signed.body_hash();
    st.store.open_round(id, signed, stack).await?;
    Ok(Json(json!({"ok": true, "manifest_hash": hash})))
}

async fn round_counts(
    State(st): St,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult<Json<serde_json::Value>> {
    staff(&st, &headers, CONSOLE_ROLES, false).await?;
    let row = st.store.round(id).await?;
    let c = st.store.counts(id).await?;
    // Counts only: never partial results while the round is open.
    Ok(Json(json!({
        "state": row.state, "state_label": row.state.label_zh(),
        "total_deputies": c.total_deputies, "present": c.present, "issued": c.issued, "returned": c.returned,
        "quorum": crate::core::tally::quorum(c.total_deputies),
        "mode": c.mode, "tablet_issued": c.tablet_issued, "paper": c.paper,
        "storage_trouble": st.store.disk_trouble(),
    })))
}

async fn close_round(
    State(st): St,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult<Json<serde_json::Value>> {
    staff(&st, &headers, SECRETARIAT, true).await?;
    let result = st.store.close_round(id, Timestamp::now_beijing()).await?;
    // The authority signs at once; the scrutineers sign with their own keys.
    ensure_authority_signature(&st, id).await?;
    Ok(Json(
        json!({"result": result, "tally_hash": Hash::of(&result)}),
    ))
}

/// The authority's signature over a closed round's result: made at close,
/// and made again before publishing if a crash came between the two.
async fn ensure_authority_signature(st: &AppState, id: i64) -> ApiResult<()> {
    let row = st.store.round(id).await?;
    let Some(result) = row.result else {
        return Ok(());
    };
    let me = st.authority.public_key();
    if st
        .store
        .attestations(id)
        .await?
        .iter()
        .any(|s| s.public_key == me)
    {
        return Ok(());
    }
    if row.state == RoundState::Closed {
        st.store
            .add_attestation(id, st.authority.sign(Role::Authority, &result))
            .await?;
    }
    Ok(())
}

async fn result_status(st: &AppState, id: i64) -> ApiResult<serde_json::Value> {
    let row = st.store.round(id).await?;
    let Some(result) = row.result else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_closed",
            "本轮尚未结束，结果不可查看",
        ));
    };
    let manifest = row
        .manifest
        .ok_or_else(|| ApiError::bad("no manifest"))?
        .body;
    let sigs = st.store.attestations(id).await?;
    let signed: Vec<PublicKey> = sigs.iter().map(|s| s.public_key).collect();
    let missing: Vec<String> = manifest
        .scrutineer_keys
        .iter()
        .filter(|k| !signed.contains(k))
        .map(|k| k.to_hex())
        .collect();
    Ok(json!({
        "state": row.state, "result": result, "tally_hash": Hash::of(&result),
        "signed_by": sigs.iter().map(|s| json!({"role": s.role, "public_key": s.public_key})).collect::<Vec<_>>(),
        "missing_scrutineers": missing,
    }))
}

async fn round_result(
    State(st): St,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult<Json<serde_json::Value>> {
    staff(&st, &headers, CONSOLE_ROLES, false).await?;
    Ok(Json(result_status(&st, id).await?))
}

#[derive(Deserialize)]
struct AttestReq {
    public_key: PublicKey,
    signature: SignatureBytes,
}

async fn attest(
    State(st): St,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(req): Json<AttestReq>,
) -> ApiResult<Json<serde_json::Value>> {
    staff(&st, &headers, CONSOLE_ROLES, true).await?;
    let row = st.store.round(id).await?;
    let result = row
        .result
        .ok_or_else(|| ApiError::new(StatusCode::CONFLICT, "not_closed", "本轮尚未结束"))?;
    let manifest = row
        .manifest
        .ok_or_else(|| ApiError::bad("no manifest"))?
        .body;
    if !manifest.scrutineer_keys.contains(&req.public_key) {
        return Err(ApiError::bad("该公钥不是本轮清单中的监票人公钥"));
    }
    sig::verify(&req.public_key, &Hash::of(&result), &req.signature)
        .map_err(|_| ApiError::bad("签名无法验证：请确认签署的是本轮的结果"))?;
    st.store
        .add_attestation(
            id,
            Signature {
                public_key: req.public_key,
                role: Role::Scrutineer,
                signature: req.signature,
            },
        )
        .await?;
    Ok(Json(result_status(&st, id).await?))
}

async fn publish(
    State(st): St,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult<Json<serde_json::Value>> {
    staff(&st, &headers, SECRETARIAT, true).await?;
    ensure_authority_signature(&st, id).await?;
    let status = result_status(&st, id).await?;
    if status["missing_scrutineers"]
        .as_array()
        .is_some_and(|m| !m.is_empty())
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "unsigned",
            "还有监票人未签名，不能公布",
        ));
    }
    st.store.publish(id).await?;
    Ok(Json(
        json!({"ok": true, "tally_hash": status["tally_hash"]}),
    ))
}

// --- tablets ----------------------------------------------------------------------------

#[derive(Deserialize)]
struct CheckinReq {
    number: String,
    code: String,
}

async fn tablet_checkin(State(st): St, Json(req): Json<CheckinReq>) -> ApiResult<Response> {
    let token = random_token()?;
    let d = st
        .store
        .tablet_checkin(req.number.trim().to_string(), req.code, token_hash(&token))
        .await?;
    let mut resp =
        Json(json!({"name": d.name, "seat": d.seat, "delegation": d.delegation})).into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(TABLET_COOKIE, &token, SESSION_SECONDS),
    );
    Ok(resp)
}

/// What a ballot shows: the open round's manifest without its credentials.
#[derive(Serialize)]
pub struct BallotView {
    round_id: i64,
    election_id: ElectionId,
    round: u64,
    title: String,
    assembly: String,
    rules: Rules,
    candidates: Vec<Candidate>,
    manifest_hash: Hash,
}

async fn open_ballot_view(st: &AppState) -> ApiResult<Option<Arc<BallotView>>> {
    let Some(id) = st.store.open_round_id().await? else {
        return Ok(None);
    };
    let cached = st
        .ballot_cache
        .lock()
        .ok()
        .and_then(|c| c.clone())
        .filter(|v| v.round_id == id);
    if cached.is_some() {
        return Ok(cached);
    }
    let row = st.store.round(id).await?;
    let m = row.manifest.ok_or_else(|| ApiError::bad("no manifest"))?;
    let manifest_hash = m.body_hash();
    let m = m.body;
    let view = Arc::new(BallotView {
        round_id: id,
        election_id: m.election_id,
        round: m.round,
        title: m.title,
        assembly: m.assembly,
        rules: m.rules,
        candidates: m.candidates,
        manifest_hash,
    });
    if let Ok(mut c) = st.ballot_cache.lock() {
        *c = Some(view.clone());
    }
    Ok(Some(view))
}

#[derive(Serialize)]
struct TabletDeputy {
    name: String,
    seat: String,
    delegation: String,
}

/// What a tablet polls: serialised straight from the cached ballot, with no
/// JSON tree built per request (a full hall polls at once).
#[derive(Serialize)]
struct TabletState {
    deputy: Option<TabletDeputy>,
    round: Option<Arc<BallotView>>,
}

async fn tablet_state(State(st): St, headers: HeaderMap) -> ApiResult<Json<TabletState>> {
    let deputy = match cookie(&headers, TABLET_COOKIE) {
        Some(t) => st.store.tablet_deputy(token_hash(&t)).await?,
        None => None,
    };
    let round = open_ballot_view(&st).await?;
    Ok(Json(TabletState {
        deputy: deputy.map(|d| TabletDeputy {
            name: d.name,
            seat: d.seat,
            delegation: d.delegation,
        }),
        round,
    }))
}

async fn tablet_ballot(State(st): St, headers: HeaderMap) -> ApiResult<Json<serde_json::Value>> {
    let t = cookie(&headers, TABLET_COOKIE)
        .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "checkin_required", "请先签到"))?;
    let d = st
        .store
        .tablet_deputy(token_hash(&t))
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "checkin_required", "请先签到"))?;
    let view = open_ballot_view(&st)
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::CONFLICT, "not_open", "现在没有正在进行的投票"))?;
    let credential = st
        .store
        .issue_ballot(view.round_id, d.id)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(m) if m.contains("不能再次领取") => {
                ApiError::new(StatusCode::CONFLICT, "already_issued", m)
            }
            other => other.into(),
        })?;
    Ok(Json(
        json!({"credential": credential.text(), "ballot": view}),
    ))
}

#[derive(Deserialize)]
struct SubmitReq {
    round_id: i64,
    credential: String,
    marks: std::collections::BTreeMap<String, String>,
}

async fn submit_ballot(
    State(st): St,
    body: axum::body::Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    let req: SubmitReq =
        serde_json::from_slice(&body).map_err(|e| ApiError::bad(format!("请求格式有误: {e}")))?;
    // The open round's rules are fixed and cached with its ballot; any other
    // round is read (and its ballot refused by the log if it is not open).
    let cached = st
        .ballot_cache
        .lock()
        .ok()
        .and_then(|c| c.clone())
        .filter(|v| v.round_id == req.round_id);
    let (election_id, round, rules) = match cached {
        Some(v) => (v.election_id, v.round, v.rules.clone()),
        None => {
            let (e, r, rules) = st.store.round_rules(req.round_id).await?;
            let e = ElectionId::parse(&e).map_err(|e| ApiError::bad(e.to_string()))?;
            (e, r, rules)
        }
    };
    let credential = Credential::parse(&req.credential)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "credential", e.to_string()))?;
    let mut marks = Vec::with_capacity(req.marks.len());
    for (id, m) in &req.marks {
        let id = CandidateId::parse(id).map_err(|e| ApiError::bad(format!("项目编号有误: {e}")))?;
        let mark = match m.as_str() {
            "for" => Mark::For,
            "against" => Mark::Against,
            "abstain" => Mark::Abstain,
            other => return Err(ApiError::bad(format!("标记 {other:?} 无效"))),
        };
        marks.push((id, mark));
    }
    let marks = Marks::new(marks).map_err(|e| ApiError::bad(e.to_string()))?;
    // A tablet must never produce a void ballot: refuse it, credential intact.
    if marks.count(Mark::For) as u64 > rules.max_for {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "over_cap",
            format!("赞成票最多 {} 项，请减少后再提交", rules.max_for),
        ));
    }
    let ballot = Ballot {
        credential: credential.commitment(&election_id, round),
        channel: Channel::Tablet,
        marks,
        unreadable: false,
    };
    let receipt = st
        .store
        .submit(req.round_id, ballot)
        .await
        .map_err(|e| match e {
            SubmitError::Ballot(BallotError::CredentialUsed) => {
                ApiError::new(StatusCode::CONFLICT, "credential_used", e.to_string())
            }
            SubmitError::Ballot(BallotError::UnknownCredential) => {
                ApiError::new(StatusCode::FORBIDDEN, "credential_unknown", e.to_string())
            }
            SubmitError::Ballot(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "ballot_rules",
                e.to_string(),
            ),
            SubmitError::NotOpen => ApiError::new(StatusCode::CONFLICT, "not_open", e.to_string()),
            SubmitError::PaperOnly => {
                ApiError::new(StatusCode::CONFLICT, "paper_only", e.to_string())
            }
            SubmitError::PaperCredential => {
                ApiError::new(StatusCode::FORBIDDEN, "paper_credential", e.to_string())
            }
            SubmitError::Storage(_) | SubmitError::Disk(_) => {
                eprintln!("ballot not stored: {e}");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage",
                    "选票未能保存，请稍后重试（您的选择已保留）",
                )
            }
        })?;
    Ok(Json(
        json!({"seq": receipt.seq, "hash": receipt.hash, "short": receipt.hash.short()}),
    ))
}

// --- public ------------------------------------------------------------------------------

async fn hall_status(State(st): St) -> ApiResult<Json<serde_json::Value>> {
    // Polled by the big screen and by observers: the cached ballot and two
    // small reads, never the manifest's credential list.
    if let Some(view) = open_ballot_view(&st).await? {
        let (c, last) = st.store.counts_and_head(view.round_id).await?;
        let (seq, head) = last.unwrap_or((0, view.manifest_hash));
        return Ok(Json(json!({
            "state": "open", "title": view.title, "round": view.round,
            "present": c.present, "issued": c.issued, "returned": c.returned,
            "head": format!("{seq}:{head}"),
        })));
    }
    let rounds = st.store.rounds().await?;
    // The latest round that has ended: counted and waiting for signatures,
    // or published with its result and the tally hash (and its QR).
    let last = rounds
        .iter()
        .filter(|r| matches!(r.state, RoundState::Closed | RoundState::Published))
        .max_by_key(|r| r.id);
    match last {
        Some(r) if r.state == RoundState::Closed => Ok(Json(
            json!({"state": "closed", "round_id": r.id, "title": r.draft.title, "round": r.round}),
        )),
        Some(r) => {
            let Some(result) = &r.result else {
                return Ok(Json(json!({"state": "idle"})));
            };
            let name = |id: &CandidateId| {
                r.draft
                    .candidates
                    .iter()
                    .find(|c| &c.id == id)
                    .map_or_else(|| id.to_string(), |c| c.name.clone())
            };
            let tally_hash = Hash::of(result).to_hex();
            Ok(Json(json!({
                "state": "published", "round_id": r.id, "title": r.draft.title, "round": r.round,
                "decided": result.decided.iter().map(name).collect::<Vec<_>>(),
                "runoff": result.runoff.iter().map(name).collect::<Vec<_>>(),
                "returned": result.returned, "valid": result.valid, "void": result.void,
                "tally_hash": tally_hash, "qr_svg": qr_svg(&tally_hash),
            })))
        }
        None => Ok(Json(json!({"state": "idle"}))),
    }
}

async fn bundle_download(State(st): St, Path(id): Path<i64>) -> ApiResult<Response> {
    let text = st.store.bundle(id).await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/jsonl; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"bundle-round-{id}.jsonl\""),
            ),
        ],
        text,
    )
        .into_response())
}

// --- pages -------------------------------------------------------------------------------

fn page<T: Template>(t: T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            eprintln!("template: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "页面生成失败").into_response()
        }
    }
}

static_page! {
    index_page => IndexPage("index.html"),
    tablet_page => TabletPage("tablet.html"),
    login_page => LoginPage("login.html"),
    console_page => ConsolePage("console.html"),
    hall_page => HallPage("hall.html"),
}

pub struct PublishedRound {
    pub id: i64,
    pub title: String,
    pub round: u64,
    pub decided: usize,
    pub runoff: usize,
    pub tally_hash: String,
}

/// A project decided in some round: the year's 民生实事 list.
pub struct DecidedProject {
    pub name: String,
    pub lead_unit: String,
    pub investment: String,
    pub round: u64,
    pub votes_for: u64,
}

#[derive(Template)]
#[template(path = "results.html")]
struct ResultsPage {
    rounds: Vec<PublishedRound>,
    decided: Vec<DecidedProject>,
}

async fn results_page(State(st): St) -> ApiResult<Response> {
    let rows = st.store.rounds().await?;
    let mut rounds = vec![];
    let mut decided = vec![];
    // Rows come in (election, round) order: the rounds in the order they were held.
    for r in rows
        .into_iter()
        .filter(|r| r.state == RoundState::Published)
    {
        let Some(result) = r.result else { continue };
        for id in &result.decided {
            if let Some(c) = r.draft.candidates.iter().find(|c| &c.id == id) {
                decided.push(DecidedProject {
                    name: c.name.clone(),
                    lead_unit: c.lead_unit.clone(),
                    investment: yuan_wan(c.investment_yuan),
                    round: r.round,
                    votes_for: result.tally.get(id).map_or(0, |t| t.for_),
                });
            }
        }
        rounds.push(PublishedRound {
            id: r.id,
            title: r.draft.title,
            round: r.round,
            decided: result.decided.len(),
            runoff: result.runoff.len(),
            tally_hash: Hash::of(&result).to_hex(),
        });
    }
    Ok(page(ResultsPage { rounds, decided }))
}

pub struct ResultLine {
    pub rank: usize,
    pub id: String,
    pub name: String,
    pub lead_unit: String,
    pub investment: String,
    pub deadline: String,
    pub counts: Counts,
    pub status: &'static str,
}

/// What the public result page and the printed announcement both show.
pub struct ResultView {
    id: i64,
    title: String,
    assembly: String,
    round: u64,
    candidates: usize,
    date_zh: String,
    result: ResultBody,
    lines: Vec<ResultLine>,
    tally_hash: String,
    qr_svg: String,
    authority_key: String,
}

impl ResultView {
    fn decided(&self) -> impl Iterator<Item = &ResultLine> {
        self.lines.iter().filter(|l| l.status == "确定")
    }
}

#[derive(Template)]
#[template(path = "result.html")]
struct ResultPage {
    r: ResultView,
}

/// 公告: the formal A4 announcement the presiding staff print and post.
#[derive(Template)]
#[template(path = "announcement.html")]
struct AnnouncementPage {
    r: ResultView,
}

/// `2027-01-15T10:30:00+08:00` as 2027年1月15日.
fn date_zh(t: &str) -> String {
    let d: Vec<u32> = t
        .get(..10)
        .unwrap_or("")
        .split('-')
        .filter_map(|p| p.parse().ok())
        .collect();
    match d.as_slice() {
        [y, m, d] => format!("{y}年{m}月{d}日"),
        _ => t.to_string(),
    }
}

/// 万元 with two decimals, as staff write amounts.
pub fn yuan_wan(yuan: u64) -> String {
    format!("{}.{:02} 万元", yuan / 10_000, (yuan % 10_000) / 100)
}

pub fn qr_svg(text: &str) -> String {
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(220, 220)
            .quiet_zone(true)
            .build(),
        Err(_) => String::new(),
    }
}

async fn result_view(st: &AppState, id: i64) -> ApiResult<ResultView> {
    let row = st.store.round(id).await?;
    if row.state != RoundState::Published {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_published",
            "该轮结果尚未公布",
        ));
    }
    let result = row.result.ok_or_else(|| ApiError::bad("no result"))?;
    let manifest = row
        .manifest
        .ok_or_else(|| ApiError::bad("no manifest"))?
        .body;
    let tally_hash = Hash::of(&result).to_hex();
    let lines = result
        .ranking
        .iter()
        .enumerate()
        .filter_map(|(i, cid)| {
            let c = manifest.candidates.iter().find(|c| &c.id == cid)?;
            let status = if result.decided.contains(cid) {
                "确定"
            } else if result.runoff.contains(cid) {
                "再次投票"
            } else {
                "未通过"
            };
            Some(ResultLine {
                rank: i + 1,
                id: cid.to_string(),
                name: c.name.clone(),
                lead_unit: c.lead_unit.clone(),
                investment: yuan_wan(c.investment_yuan),
                deadline: date_zh(c.deadline.as_str()),
                counts: result.tally.get(cid).copied().unwrap_or_default(),
                status,
            })
        })
        .collect();
    Ok(ResultView {
        id,
        title: manifest.title,
        assembly: manifest.assembly,
        round: manifest.round,
        candidates: manifest.candidates.len(),
        date_zh: date_zh(result.closed_at.as_str()),
        qr_svg: qr_svg(&tally_hash),
        tally_hash,
        result,
        lines,
        authority_key: manifest.authority_key.to_hex(),
    })
}

async fn result_page(State(st): St, Path(id): Path<i64>) -> ApiResult<Response> {
    Ok(page(ResultPage {
        r: result_view(&st, id).await?,
    }))
}

async fn announcement_page(State(st): St, Path(id): Path<i64>) -> ApiResult<Response> {
    Ok(page(AnnouncementPage {
        r: result_view(&st, id).await?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_counters_are_forgotten_only_past_a_thousand_callers() {
        let old = Instant::now()
            .checked_sub(Duration::from_secs(7200))
            .unwrap_or_else(Instant::now);
        let mut map: HashMap<u32, (u32, Instant)> = (0..1000).map(|i| (i, (1, old))).collect();
        forget_stale(&mut map);
        assert_eq!(map.len(), 1000, "a small map is left alone");
        map.extend((1000..1100).map(|i| (i, (1, Instant::now()))));
        forget_stale(&mut map);
        assert_eq!(map.len(), 100, "only the recent callers remain");
    }
}
