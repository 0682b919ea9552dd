#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test
//! `docs/api.md` against the server: every route is documented and every
//! documented call is a route; every error code is documented with the one
//! status the server gives it; and on every route that takes a JSON body, a
//! duplicate key, an unknown field and an oversized body are refused with
//! the API's own error JSON — as are unknown paths, wrong methods and paths
//! that do not parse. (Each answer's fields are checked by every HTTP test,
//! through `common::apidoc::check`.)

mod common;

use common::apidoc::{documented, matches};
use common::app::{call, TestApp};
use minsheng::error::Code;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// Every `(method, path)` the router serves, read from `src/web/mod.rs`.
fn routes() -> BTreeSet<(String, String)> {
    let src =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/web/mod.rs")).unwrap();
    let mut out = BTreeSet::new();
    for part in src.split(".route(").skip(1) {
        let mut depth = 1;
        let end = part
            .char_indices()
            .find(|(_, c)| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                depth == 0
            })
            .map(|(i, _)| i)
            .unwrap();
        let call = &part[..end];
        let path = call.split('"').nth(1).unwrap().to_string();
        for (m, name) in [("get(", "GET"), ("post(", "POST"), ("put(", "PUT")] {
            if call.contains(&format!(" {m}"))
                || call.contains(&format!(".{m}"))
                || call.contains(&format!("({m}"))
            {
                out.insert((name.to_string(), path.clone()));
            }
        }
    }
    out
}

#[test]
fn every_route_is_documented_and_every_documented_call_is_a_route() {
    let routes = routes();
    assert!(routes.len() > 60, "routes read from the router: {routes:?}");
    let docs: BTreeSet<(String, String)> = documented()
        .iter()
        .map(|d| (d.method.clone(), d.path.clone()))
        .collect();
    let undocumented: Vec<_> = routes.difference(&docs).collect();
    let missing: Vec<_> = docs.difference(&routes).collect();
    assert!(
        undocumented.is_empty(),
        "routes not in docs/api.md: {undocumented:?}"
    );
    assert!(
        missing.is_empty(),
        "documented calls the router lacks: {missing:?}"
    );
}

#[test]
fn every_error_code_is_documented_with_its_one_status() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/api.md")).unwrap();
    for code in Code::ALL {
        let status = minsheng::web::error::status(code.kind()).as_u16();
        let row = format!("| `{}` | {status} |", code.as_str());
        assert!(text.contains(&row), "docs/api.md lacks the row {row}");
    }
}

/// Every call that takes a JSON body (its body cell opens with `{`).
fn bodies() -> Vec<(&'static str, &'static str)> {
    documented()
        .iter()
        .filter(|d| d.method != "GET" && d.path.starts_with("/api/") && d.body.starts_with("`{"))
        .map(|d| {
            (
                leak(&d.method),
                leak(&d.path.replace("{id}", "1").replace("{no}", "MS1")),
            )
        })
        .collect()
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_the_api_error_on_every_route() {
    let app = TestApp::spawn().await;
    let staff = app.login().await;
    // Duplicate keys and unknown fields on every JSON route, signed in as
    // staff with the CSRF token, so the body is what is judged.
    let json_routes = bodies();
    assert!(json_routes.len() >= 31, "{json_routes:?}");
    for (method, path) in json_routes {
        for body in [r#"{"a":1,"a":2}"#, r#"{"zz_unknown_field":1}"#, "{not json"] {
            let r = staff
                .c
                .request(method.parse().unwrap(), format!("{}{path}", app.base))
                .header("X-CSRF-Token", &staff.csrf)
                .header("Content-Type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let j: Value = r.json().await.unwrap_or(Value::Null);
            assert!(
                j["error"].is_string() && j["code"].is_string(),
                "{method} {path} with {body}: {status} {j}"
            );
            // Refused as malformed — or, for a staff member who may not call
            // it at all, refused for the role before the body is read.
            assert!(
                matches!(status, 400 | 403),
                "{method} {path} with {body}: {status} {j}"
            );
            if status == 400 && body.contains("\"a\":1,\"a\"") {
                assert!(j["error"].as_str().unwrap().contains("两次"), "{j}");
            }
        }
    }
    // The ballot, with no session at all: a duplicate mark is refused.
    let (s, j) = call(
        &reqwest::Client::new(),
        "POST",
        format!("{}/api/ballots", app.base),
        "",
        None,
    )
    .await;
    assert_eq!(s, 400, "{j}");
    let r = reqwest::Client::new()
        .post(format!("{}/api/ballots", app.base))
        .header("Content-Type", "application/json")
        .body(r#"{"round_id":1,"credential":"x","marks":{"P01":"for","P01":"against"}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let j: Value = r.json().await.unwrap();
    assert_eq!(j["code"], "bad_request", "{j}");

    // Unknown paths, wrong methods, ids that do not parse, unknown ids.
    let c = reqwest::Client::new();
    let cases: Vec<(&str, String, u16, &str)> = vec![
        ("GET", "/api/nothing-here".into(), 404, "no_route"),
        ("GET", "/nothing-here".into(), 404, "no_route"),
        ("DELETE", "/api/rounds".into(), 405, "method_not_allowed"),
        ("GET", "/api/ballots".into(), 405, "method_not_allowed"),
        ("GET", "/results/abc".into(), 404, "not_found"),
        ("GET", "/results/999".into(), 404, "not_found"),
        ("GET", "/results/999/bundle.jsonl".into(), 404, "not_found"),
        (
            "GET",
            "/api/public/projects/abc/history".into(),
            404,
            "not_found",
        ),
        (
            "GET",
            "/api/public/projects/999/history".into(),
            404,
            "not_found",
        ),
        ("GET", "/static/app.js".into(), 404, "no_route"),
    ];
    for (method, path, status, code) in cases {
        let r = c
            .request(method.parse().unwrap(), format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        let got = r.status().as_u16();
        let j: Value = r.json().await.unwrap_or(Value::Null);
        assert_eq!(
            (got, j["code"].as_str()),
            (status, Some(code)),
            "{method} {path}: {j}"
        );
    }
    for path in [
        "/api/rounds/999",
        "/api/rounds/999/counts",
        "/api/rounds/999/paper",
        "/api/rounds/999/result",
    ] {
        let (s, j) = staff.get(path).await;
        assert_eq!(s, 404, "{path}: {j}");
        assert_eq!(j["code"], "not_found", "{path}: {j}");
    }
    // A query missing a parameter is named in Chinese, not in serde's English.
    let (s, j) = staff
        .post_bytes(
            "/api/upstream/suggestions/import?channel=hotline",
            b"a,b\n1,2\n".to_vec(),
        )
        .await;
    assert_eq!(s, 400, "{j}");
    let m = j["error"].as_str().unwrap();
    assert!(m.contains("缺少 text") && !m.contains("Failed"), "{m}");
    let (s, j) = staff.get("/api/rounds/x1").await;
    assert_eq!((s, j["code"].as_str()), (404, Some("not_found")), "{j}");
    let (s, j) = staff
        .post("/api/rounds/999/paper/print", json!({"count": 1}))
        .await;
    assert_eq!(s, 404, "{j}");

    // A body over 2 MB, on a JSON route and on an upload: 413 as JSON.
    for path in ["/api/rounds", "/api/deputies/import"] {
        let big = vec![b' '; 3 * 1024 * 1024];
        let r = staff
            .c
            .post(format!("{}{path}", app.base))
            .header("X-CSRF-Token", &staff.csrf)
            .body(big)
            .send()
            .await;
        // The server may answer before reading it all and close: either the
        // JSON 413 arrives, or the connection is cut after it was sent.
        if let Ok(r) = r {
            assert_eq!(r.status().as_u16(), 413, "{path}");
            let j: Value = r.json().await.unwrap();
            assert_eq!(j["code"], "too_large", "{path}: {j}");
        }
    }
}

#[test]
fn documented_paths_match_concrete_ones() {
    assert!(matches("/api/rounds/{id}/open", "/api/rounds/12/open"));
    assert!(matches("/api/rounds/{id}", "/api/rounds/12?x=1"));
    assert!(!matches("/api/rounds/{id}", "/api/rounds/12/open"));
    assert!(!matches("/api/rounds", "/api/rounds/1"));
}
