//! 网页与接口 (HTTP): the one module that speaks axum. Every route is listed
//! in [`router`]; a handler parses the request, checks the caller's role,
//! calls one service function and answers its typed result as JSON (or a
//! page). Errors are [`crate::error::Error`], answered by `error.rs`.
//!
//! Ballot submission takes no session at all: the credential is the
//! authority to vote, and the tablet page sends it without cookies, so the
//! server never sees which tablet a ballot came from.

use crate::service::Services;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::header::{
    CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderName, HeaderValue};
use axum::routing::{get, post, put};
use axum::Router;
use std::sync::Arc;
use tower_http::set_header::SetResponseHeaderLayer;

mod assets;
mod auth;
pub mod error;
mod follow;
mod hall;
mod pages;
mod paper;
mod serve;
mod tablet;
mod upstream;

pub use crate::service::auth::hash_password;
pub use crate::service::paper::BallotSheets;
pub use serve::{serve, serve_tls};

/// Everything a handler needs: the services, and whether the server speaks
/// TLS (cookies are then `Secure`).
pub struct AppState {
    pub svc: Services,
    /// Set by [`serve_tls`] when it is given a TLS acceptor.
    pub tls: std::sync::atomic::AtomicBool,
}

impl std::ops::Deref for AppState {
    type Target = Services;
    fn deref(&self) -> &Services {
        &self.svc
    }
}

impl AppState {
    pub fn new(svc: Services) -> Self {
        AppState {
            svc,
            tls: std::sync::atomic::AtomicBool::new(false),
        }
    }
}

type St = State<Arc<AppState>>;

/// Every route, in one place.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        // pages and their script
        .route("/", get(pages::index))
        .route("/tablet", get(pages::tablet))
        .route("/login", get(pages::login))
        .route("/console", get(pages::console))
        .route("/hall", get(pages::hall))
        .route("/count", get(pages::count))
        .route("/upstream", get(pages::upstream))
        .route("/public", get(pages::public))
        .route("/results", get(pages::results))
        .route("/results/{id}", get(pages::result))
        .route("/results/{id}/announcement", get(pages::announcement))
        .route("/results/{id}/bundle.jsonl", get(hall::bundle))
        .route("/static/{file}", get(assets::script))
        .route("/results/kit/{file}", get(assets::kit))
        .route("/api/results/{id}/receipt/{code}", get(hall::receipt))
        // tablets (deputies)
        .route("/api/tablet/checkin", post(tablet::checkin))
        .route("/api/tablet/checkout", post(tablet::checkout))
        .route("/api/tablet/state", get(tablet::state))
        .route("/api/tablet/ballot", post(tablet::ballot))
        .route("/api/ballots", post(tablet::submit))
        // public
        .route("/api/hall", get(hall::hall_status))
        // staff
        .route("/api/login", post(auth::login))
        .route("/api/logout", post(auth::logout))
        .route("/api/deputies", get(hall::deputies))
        .route("/api/deputies/import", post(hall::import_deputies))
        .route("/api/deputies/codes", get(hall::checkin_codes))
        .route("/api/deputies/{id}/present", post(hall::set_present))
        .route("/api/candidates/parse", post(hall::parse_candidates))
        .route("/api/rounds", get(hall::rounds).post(hall::create_round))
        .route("/api/rounds/review", post(hall::review_round))
        .route("/api/rounds/{id}", get(hall::round).put(hall::update_round))
        .route("/api/rounds/{id}/open", post(hall::open_round))
        .route("/api/rounds/{id}/counts", get(hall::counts))
        .route("/api/rounds/{id}/close", post(hall::close_round))
        .route("/api/rounds/{id}/result", get(hall::result))
        .route("/api/rounds/{id}/attest", post(hall::attest))
        .route("/api/rounds/{id}/publish", post(hall::publish))
        .route("/api/rounds/{id}/runoff", post(hall::runoff))
        .route("/api/rounds/{id}/mode", post(paper::set_mode))
        .route("/api/rounds/{id}/replace", post(hall::replace_tablet))
        // paper ballots and the count (计票)
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
        .route("/api/upstream", get(upstream::state))
        .route("/api/upstream/year", post(upstream::open_year))
        .route("/api/upstream/advance", post(upstream::advance))
        .route("/api/upstream/group", post(upstream::set_group))
        .route(
            "/api/upstream/suggestions",
            get(upstream::suggestions).post(upstream::enter_suggestion),
        )
        .route("/api/upstream/suggestions/import", post(upstream::import))
        .route(
            "/api/upstream/import-progress",
            get(upstream::import_progress),
        )
        .route("/api/upstream/hot", get(upstream::hot))
        .route("/api/upstream/topics", post(upstream::name_topic))
        .route(
            "/api/upstream/topics/{id}/rename",
            post(upstream::rename_topic),
        )
        .route(
            "/api/upstream/topics/{id}/merge",
            post(upstream::merge_topics),
        )
        .route(
            "/api/upstream/topics/{id}/split",
            post(upstream::split_topic),
        )
        .route("/api/upstream/list", post(upstream::compile_list))
        .route(
            "/api/upstream/projects",
            get(upstream::projects).post(upstream::declare),
        )
        .route("/api/upstream/projects/{id}", put(upstream::amend))
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
        .route(
            "/api/upstream/opinions",
            get(upstream::opinions).post(upstream::add_opinion),
        )
        .route(
            "/api/upstream/opinions/{id}/respond",
            post(upstream::respond),
        )
        .route("/api/upstream/meetings", post(upstream::add_meeting))
        .route("/api/upstream/round", post(upstream::make_round))
        .route("/api/upstream/export/{what}", get(upstream::export))
        // the public side of the stages
        .route("/api/public/suggestions", post(upstream::public_suggest))
        .route("/api/public/track/{no}", get(upstream::public_track))
        .route("/api/public/year", get(upstream::public_year))
        .route("/api/public/follow", get(follow::public))
        .route("/public/sign/{id}", get(pages::sign))
        .route("/public/report", get(pages::report))
        .route("/public/report.xlsx", get(upstream::public_report_xlsx))
        .route("/api/public/projects/{id}/ratings", post(follow::rate))
        .route("/api/follow/comments", get(follow::comments))
        .route("/api/follow/{id}/attachments", post(follow::attach))
        .route("/api/public/attachments/{id}", get(follow::attachment))
        .route("/api/follow/comments/{id}", post(follow::moderate))
        .route("/api/follow", get(follow::list))
        .route("/api/follow/{id}/plan", put(follow::plan))
        .route("/api/follow/{id}/plan/check", post(follow::check))
        .route("/api/follow/{id}/reports", post(follow::report))
        .route("/api/follow/{id}/decisions", post(follow::decision))
        .route("/api/follow/{id}/inspections", post(follow::inspection))
        .route("/api/follow/inspections/{id}/answer", post(follow::answer))
        .route("/api/public/projects/{id}/history", get(upstream::history))
        .route("/public/audit.jsonl", get(upstream::audit_log))
        .fallback(error::no_route)
        .method_not_allowed_fallback(error::wrong_method)
        .layer(DefaultBodyLimit::max(error::BODY_LIMIT))
        .layer(header(CONTENT_SECURITY_POLICY, CSP))
        .layer(header(X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(REFERRER_POLICY, "no-referrer"))
        .layer(header(X_FRAME_OPTIONS, "DENY"))
        .with_state(state)
}

/// The policy every page and answer carries: nothing loads from another origin,
/// no other site may frame a page, types are not guessed, no address leaks
/// in a referrer. (Pages keep their script inline, so scripts may be inline;
/// they may not come from anywhere but here.)
const CSP: &str = "default-src 'self'; script-src 'self' 'unsafe-inline'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
    object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

fn header(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}
