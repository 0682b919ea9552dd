#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test
//! The authorization matrix: every route × every role (and no login), in
//! one table. A role not allowed gets 401 (no login) or 403; an allowed one
//! gets past the check (its answer may still be 400/404/409/422 for the
//! state of things). Then: CSRF refused on every state-changing staff call,
//! markup in names comes back inert, oversized bodies are refused.

mod common;

use common::app::{call, TestApp};
use serde_json::{json, Value};

/// Roles by letter: A no login, S 秘书处, C 总监票人, J 监票人, K 计票人,
/// G 工作组组长, M 工作组成员, D 承办部门.
const ROLES: [(char, &str); 8] = [
    ('A', ""),
    ('S', "mishu"),
    ('C', "zongjianpiao"),
    ('J', "jianpiao1"),
    ('K', "jipiao1"),
    ('G', "gongzuozu"),
    ('M', "gongzuozu2"),
    ('D', "zhujianju"),
];
const ALL: &str = "ASCJKGMD";

fn project() -> Value {
    json!({"name": "x", "content": "x", "lead_unit": "x", "investment_yuan": 1, "funding_source": "x", "deadline": "2027-01-01", "category": "x"})
}

/// (method, path, body, who may)
fn matrix() -> Vec<(&'static str, &'static str, Value, &'static str)> {
    let sugg = json!({"channel": "directed", "source": "x", "place": {"town": "x"}, "category": "x", "title": "x", "text": "x"});
    let rules = json!({"seats": 1, "max_for": 1, "marks": ["for"], "threshold_base": "present", "shortfall": "accept"});
    let draft = json!({"title": "t", "assembly": "a", "rules": rules, "candidates": []});
    vec![
        ("GET", "/", Value::Null, ALL),
        ("GET", "/tablet", Value::Null, ALL),
        ("GET", "/login", Value::Null, ALL),
        ("GET", "/console", Value::Null, ALL),
        ("GET", "/hall", Value::Null, ALL),
        ("GET", "/count", Value::Null, ALL),
        ("GET", "/upstream", Value::Null, ALL),
        ("GET", "/public", Value::Null, ALL),
        ("GET", "/results", Value::Null, ALL),
        ("GET", "/results/1", Value::Null, ALL),
        ("GET", "/results/1/announcement", Value::Null, ALL),
        ("GET", "/results/1/bundle.jsonl", Value::Null, ALL),
        ("GET", "/api/hall", Value::Null, ALL),
        ("GET", "/api/tablet/state", Value::Null, ALL),
        ("POST", "/api/tablet/checkin", json!({"number": "999", "code": "000000"}), ALL),
        ("POST", "/api/tablet/ballot", json!({"blinded": "00"}), ""),
        ("POST", "/api/ballots", json!({"round_id": 1, "credential": "0000-0000", "signature": "00", "marks": {}}), ALL),
        ("POST", "/api/login", json!({"username": "nobody", "password": "x"}), ALL),
        ("GET", "/api/deputies", Value::Null, "SCJ"),
        ("POST", "/api/deputies/import", json!("编号,姓名\n"), "S"),
        ("GET", "/api/deputies/codes", Value::Null, "S"),
        ("POST", "/api/deputies/999/present", json!({"present": true}), "S"),
        ("POST", "/api/candidates/parse", json!("编号\n"), "SGM"),
        ("GET", "/api/rounds", Value::Null, "SCJ"),
        ("POST", "/api/rounds", draft.clone(), "S"),
        ("GET", "/api/rounds/1", Value::Null, "SCJ"),
        ("PUT", "/api/rounds/1", draft, "S"),
        ("POST", "/api/rounds/1/open", Value::Null, "S"),
        ("GET", "/api/rounds/1/counts", Value::Null, "SCJ"),
        ("POST", "/api/rounds/1/close", Value::Null, "S"),
        ("GET", "/api/rounds/1/result", Value::Null, "SCJ"),
        ("POST", "/api/rounds/1/attest", json!({"public_key": "00".repeat(32), "signature": "00".repeat(64)}), "SCJ"),
        ("POST", "/api/rounds/1/publish", Value::Null, "S"),
        ("POST", "/api/rounds/1/runoff", Value::Null, "S"),
        ("POST", "/api/rounds/1/mode", json!({"mode": "paper"}), "S"),
        ("POST", "/api/rounds/1/replace", json!({"deputy_id": 1}), "S"),
        ("GET", "/console/print/1/1", Value::Null, "S"),
        ("GET", "/api/rounds/1/paper", Value::Null, "SCJK"),
        ("POST", "/api/rounds/1/paper/print", json!({"count": 1}), "S"),
        ("POST", "/api/rounds/1/paper/void", json!({"code": "x", "reason": "unused"}), "SCJ"),
        ("POST", "/api/rounds/1/paper/handed-out", json!({"count": 1}), "S"),
        ("POST", "/api/rounds/1/paper/box", json!({"count": 1}), "CJ"),
        ("POST", "/api/rounds/1/paper/override", json!({"note": "x"}), "C"),
        ("POST", "/api/rounds/1/paper/entries", json!({"code": "x", "marks": {}}), "K"),
        ("POST", "/api/rounds/1/paper/rulings", json!({"commitment": "00".repeat(32), "marks": {}}), "C"),
        ("GET", "/api/upstream", Value::Null, "SGMD"),
        ("POST", "/api/upstream/year", json!({"year": 2027, "collection_opened": "2026-07-15"}), "G"),
        ("POST", "/api/upstream/advance", json!({"note": ""}), "G"),
        ("POST", "/api/upstream/group", json!({"username": "nobody", "role": {"role": "member"}}), "G"),
        ("GET", "/api/upstream/suggestions", Value::Null, "SGMD"),
        ("POST", "/api/upstream/suggestions", sugg, "GM"),
        ("POST", "/api/upstream/suggestions/import?channel=hotline&title=a&text=b&town=c&category=d&dry_run=true", json!("a,b,c,d\n"), "GM"),
        ("GET", "/api/upstream/hot", Value::Null, "SGMD"),
        ("POST", "/api/upstream/list", json!({"assign": []}), "GM"),
        ("POST", "/api/upstream/major-projects", json!("项目名称\n"), "G"),
        ("GET", "/api/upstream/projects", Value::Null, "SGMD"),
        ("POST", "/api/upstream/projects", json!({"doc": project()}), "D"),
        ("PUT", "/api/upstream/projects/999", json!({"doc": project(), "reason": "x"}), "GMD"),
        ("POST", "/api/upstream/projects/999/assess", json!({"necessity": "x", "feasibility": "x", "funding": "x", "performance": "x", "conclusion": "pass"}), "GM"),
        ("POST", "/api/upstream/projects/999/exclude", json!({"reason": "not_in_budget"}), "G"),
        ("POST", "/api/upstream/merge", json!({"sources": [998, 999], "doc": project()}), "G"),
        ("POST", "/api/upstream/drafts", json!({"label": "x"}), "GM"),
        ("POST", "/api/upstream/opinions", json!({"source": "cppcc", "author": "x", "text": "x"}), "GM"),
        ("POST", "/api/upstream/opinions/999/respond", json!({"response": "x", "adopted": true}), "GM"),
        ("POST", "/api/upstream/meetings", json!({"kind": "directors", "date": "2026-12-01", "approved": true, "decision": "x"}), "G"),
        ("POST", "/api/upstream/round", json!({"title": "x", "assembly": "x", "rules": rules}), "G"),
        ("GET", "/api/upstream/export/projects.xlsx", Value::Null, "SGMD"),
        ("GET", "/api/public/year", Value::Null, ALL),
        ("GET", "/api/public/track/MS0", Value::Null, ALL),
        ("GET", "/api/public/projects/999/history", Value::Null, ALL),
        ("GET", "/public/audit.jsonl", Value::Null, ALL),
        ("POST", "/api/public/suggestions", json!({"channel": "public", "place": {"town": "x"}, "category": "x", "title": "x", "text": "x"}), ALL),
    ]
}

async fn send(
    c: &reqwest::Client,
    method: &str,
    url: String,
    csrf: &str,
    body: &Value,
) -> (u16, String) {
    let mut rb = match method {
        "GET" => c.get(url),
        "PUT" => c.put(url),
        _ => c.post(url),
    };
    rb = rb.header("X-CSRF-Token", csrf);
    rb = match body {
        Value::Null => rb,
        Value::String(s) => rb.body(s.clone()),
        other => rb.json(other),
    };
    let r = rb.send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_checks_every_role() {
    let app = TestApp::spawn().await;
    let mut clients = vec![];
    for (letter, user) in ROLES {
        if user.is_empty() {
            clients.push((letter, TestApp::client(), String::new()));
        } else {
            let s = app.login_as(user).await;
            clients.push((letter, s.c, s.csrf));
        }
    }
    let mut failures = vec![];
    for (method, path, body, allowed) in matrix() {
        for (letter, c, csrf) in &clients {
            let (status, text) = send(c, method, format!("{}{path}", app.base), csrf, &body).await;
            let ok = allowed.contains(*letter);
            // 401 means "log in first"; a wrong password at /api/login is its answer, not a denial.
            let denied = status == 403 || (status == 401 && text.contains("login_required"));
            let expect_denial = if *letter == 'A' { 401 } else { 403 };
            let right = if ok {
                !denied
            } else if path == "/api/tablet/ballot" {
                status == 401
            } else {
                status == expect_denial
            };
            if !right {
                failures.push(format!(
                    "{method} {path} as {letter}: {status} {}",
                    text.chars().take(80).collect::<String>()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "authorization matrix:\n{}",
        failures.join("\n")
    );

    // CSRF: every state-changing staff call with a wrong token is refused,
    // whatever the role.
    for (method, path, body, allowed) in matrix() {
        if method == "GET" || allowed == ALL || allowed.is_empty() {
            continue;
        }
        let who = ROLES.iter().find(|(l, _)| allowed.contains(*l)).unwrap();
        let (_, c, _) = clients.iter().find(|(l, _, _)| *l == who.0).unwrap();
        let (status, text) = send(c, method, format!("{}{path}", app.base), "forged", &body).await;
        assert_eq!(
            status, 403,
            "{method} {path} without the CSRF token: {text}"
        );
        assert!(text.contains("csrf"), "{method} {path}: {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markup_comes_back_inert_and_big_bodies_are_refused() {
    let app = TestApp::spawn().await;
    let staff = app.login().await;
    let evil = "<script>alert(1)</script>' OR 1=1 --";
    let (s, _) = staff
        .post_text(
            "/api/deputies/import",
            format!("编号,姓名,代表团,座位\n001,{evil},一团,1\n002,乙,一团,2\n"),
        )
        .await;
    assert_eq!(s, 200);
    let candidates = json!([{"id": "P01", "name": evil, "lead_unit": evil, "investment_yuan": 1, "deadline": "2027-01-01", "summary": evil},
                            {"id": "P02", "name": "乙", "lead_unit": "乙", "investment_yuan": 1, "deadline": "2027-01-01", "summary": ""}]);
    let (s, j) = staff
        .post("/api/rounds", json!({"title": evil, "assembly": evil, "candidates": candidates,
            "rules": {"seats": 1, "max_for": 1, "marks": ["for","against","abstain"], "threshold_base": "total_deputies", "shortfall": "accept"}}))
        .await;
    assert_eq!(s, 200, "{j}");
    let id = j["id"].as_i64().unwrap();
    let (s, _) = staff
        .post(&format!("/api/rounds/{id}/open"), json!({}))
        .await;
    assert_eq!(s, 200);
    let (s, p) = staff
        .post(
            &format!("/api/rounds/{id}/paper/print"),
            json!({"count": 1}),
        )
        .await;
    assert_eq!(s, 200);
    let page = staff
        .c
        .get(format!("{}{}", app.base, p["url"].as_str().unwrap()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("<script>alert"),
        "the print page escapes names"
    );
    assert!(
        page.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "escaped as text"
    );
    // The stored roster and round keep the text exactly (parameterised SQL).
    let (_, d) = staff.get("/api/deputies").await;
    assert_eq!(d["deputies"][0]["name"], evil);
    let (_, r) = staff.get(&format!("/api/rounds/{id}")).await;
    assert_eq!(r["draft"]["title"], evil);
    // Bodies over the limit.
    // No kept-alive connections: the server answers 413 before reading an
    // oversized body and then closes that connection, which a pooled client
    // could otherwise pick for the next request.
    let anon = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let big = "x".repeat(3 * 1024 * 1024);
    let r = anon
        .post(format!("{}/api/ballots", app.base))
        .header("content-type", "application/json")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let r = anon
        .post(format!("{}/api/public/suggestions", app.base))
        .header("content-type", "application/json")
        .body("x".repeat(20 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let (s, _) = call(
        &anon,
        "POST",
        format!("{}/api/tablet/checkin", app.base),
        "",
        Some(json!({"number": evil, "code": evil})),
    )
    .await;
    assert_eq!(s, 401, "refused as a wrong number or code, like any other");
}
