//! The pages: askama templates (no outside assets: the one shared script is
//! ours, see `assets.rs`), and the public results built from the results
//! service.

use super::error::{ApiResult, P};
use super::St;
use crate::service::results::{DecidedProject, PublishedRound, ResultView};
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};

/// A rendered template as an HTML answer.
pub fn page<T: Template>(t: T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template");
            (StatusCode::INTERNAL_SERVER_ERROR, "页面生成失败").into_response()
        }
    }
}

/// Pages with nothing to fill in: the data comes from the JSON API.
macro_rules! static_page {
    ($($handler:ident => $ty:ident($path:literal)),* $(,)?) => {$(
        #[derive(Template)]
        #[template(path = $path)]
        struct $ty;

        pub async fn $handler() -> Response {
            page($ty)
        }
    )*};
}

static_page! {
    index => IndexPage("index.html"),
    tablet => TabletPage("tablet.html"),
    login => LoginPage("login.html"),
    console => ConsolePage("console.html"),
    hall => HallPage("hall.html"),
    count => CountPage("count.html"),
    upstream => UpstreamPage("upstream.html"),
    public => PublicPage("public.html"),
}

#[derive(Template)]
#[template(path = "results.html")]
struct ResultsPage {
    rounds: Vec<PublishedRound>,
    decided: Vec<DecidedProject>,
}

pub async fn results(State(st): St) -> ApiResult<Response> {
    let list = st.results_list().await?;
    Ok(page(ResultsPage {
        rounds: list.rounds,
        decided: list.decided,
    }))
}

#[derive(Template)]
#[template(path = "result.html")]
struct ResultPage {
    r: ResultView,
    /// `http://host:port` as the observer reached this page: the kit's
    /// commands use it, so they work as written.
    base: String,
}

/// This server's address as the request named it.
fn base_url(st: &super::AppState, headers: &HeaderMap) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("127.0.0.1:8080");
    let tls = st.tls.load(std::sync::atomic::Ordering::Relaxed);
    format!("{}://{host}", if tls { "https" } else { "http" })
}

/// 公告: the formal A4 announcement the presiding staff print and post.
#[derive(Template)]
#[template(path = "announcement.html")]
struct AnnouncementPage {
    r: ResultView,
}

pub async fn result(State(st): St, headers: HeaderMap, P(id): P<i64>) -> ApiResult<Response> {
    Ok(page(ResultPage {
        r: st.result_view(id).await?,
        base: base_url(&st, &headers),
    }))
}

pub async fn announcement(State(st): St, P(id): P<i64>) -> ApiResult<Response> {
    Ok(page(AnnouncementPage {
        r: st.result_view(id).await?,
    }))
}

/// 民生码: the printable A4 sign for a project's site.
#[derive(Template)]
#[template(path = "sign.html")]
struct SignPage {
    s: crate::service::public::ProjectSign,
}

pub async fn sign(State(st): St, headers: HeaderMap, P(id): P<i64>) -> ApiResult<Response> {
    let base = base_url(&st, &headers);
    Ok(page(SignPage {
        s: st.project_sign(id, &base).await?,
    }))
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    r: crate::service::report::YearReport,
}

/// 年度实施情况报告: the A4 report of the year's decided projects (public).
pub async fn report(State(st): St) -> ApiResult<Response> {
    Ok(page(ReportPage {
        r: st.year_report().await?,
    }))
}
