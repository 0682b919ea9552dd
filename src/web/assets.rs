//! The one shared front-end script (`ballot_templates/app.js`): embedded in
//! the binary, served under a name that carries its hash, so a browser
//! keeps it as long as it is the same and fetches it anew when it changes.

use super::error::P;
use crate::error::{Code, Error};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::sync::LazyLock;

/// The shared helpers, then the tablet's blind-issuance client (RFC 9474).
static APP_JS: LazyLock<String> = LazyLock::new(|| {
    [
        include_str!("../../ballot_templates/app.js"),
        include_str!("../../ballot_templates/blind.js"),
    ]
    .join("\n")
});

/// `app.<first 12 hex of SHA-256>.js`
static APP_JS_NAME: LazyLock<String> = LazyLock::new(|| {
    let h = crate::core::canon::Hash::of_bytes(APP_JS.as_bytes()).to_hex();
    format!("app.{}.js", h.get(..12).unwrap_or(&h))
});

/// Where the pages load the shared script from (used by `base.html`).
pub fn app_js_url() -> String {
    format!("/static/{}", *APP_JS_NAME)
}

/// The observer's kit: the stdlib-only verifier and the spec it follows,
/// served by the server itself (the hall network reaches nothing else).
const KIT: &[(&str, &str, &str)] = &[
    (
        "verify_bundle.py",
        "text/x-python; charset=utf-8",
        include_str!("../../tools/verify_bundle.py"),
    ),
    (
        "tally-record-v1.md",
        "text/markdown; charset=utf-8",
        include_str!("../../docs/spec/v1/tally-record-v1.md"),
    ),
    (
        "tally-record-v2.md",
        "text/markdown; charset=utf-8",
        include_str!("../../docs/spec/v2/tally-record-v2.md"),
    ),
    (
        "review-record-v2.md",
        "text/markdown; charset=utf-8",
        include_str!("../../docs/spec/v2/review-record-v2.md"),
    ),
    (
        "counting-rules.md",
        "text/markdown; charset=utf-8",
        include_str!("../../docs/spec/v1/counting-rules.md"),
    ),
    (
        "notes.md",
        "text/markdown; charset=utf-8",
        include_str!("../../docs/spec/v1/notes.md"),
    ),
];

/// `/results/kit/{file}`: a file of the observer's kit, to save as is.
pub async fn kit(P(file): P<String>) -> Result<Response, Error> {
    let Some((name, kind, text)) = KIT.iter().find(|(n, _, _)| *n == file) else {
        return Err(Error::new(Code::NoRoute, "没有这个文件"));
    };
    Ok((
        [
            (header::CONTENT_TYPE, kind.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        *text,
    )
        .into_response())
}

pub async fn script(P(file): P<String>) -> Result<Response, Error> {
    if file != *APP_JS_NAME {
        return Err(Error::new(Code::NoRoute, "没有这个文件"));
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        APP_JS.as_str(),
    )
        .into_response())
}
