#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test
//! What an attacker on the hall LAN tried, each closed: security headers on
//! every answer, logout only with the CSRF token, tracking numbers not
//! enumerable, check-in that does not reveal the roster and slows a guesser
//! without locking the deputy out, tablet sessions that end with the round,
//! a data dir that is the owner's alone.

mod common;

use common::app::{codes, open_round, roster_csv, Tablet, TestApp};
use serde_json::{json, Value};
use std::net::{IpAddr, Ipv4Addr};
use std::os::unix::fs::PermissionsExt;

/// A client whose requests come from `127.0.0.<last>`.
fn client_from(last: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)))
        .build()
        .unwrap()
}

async fn checkin(c: &reqwest::Client, base: &str, number: &str, code: &str) -> (u16, Value) {
    let r = c
        .post(format!("{base}/api/tablet/checkin"))
        .json(&json!({"number": number, "code": code}))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    let c = reqwest::Client::new();
    let paths = [
        "/",
        "/tablet",
        "/login",
        "/console",
        "/hall",
        "/count",
        "/upstream",
        "/public",
        "/results",
        "/api/hall",
        "/api/public/year",
        "/api/deputies",
        "/no/such/page",
        "/results/999",
    ];
    for path in paths {
        let r = c.get(format!("{}{path}", app.base)).send().await.unwrap();
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        for part in [
            "default-src 'self'",
            "frame-ancestors 'none'",
            "connect-src 'self'",
            "object-src 'none'",
        ] {
            assert!(csp.contains(part), "{path}: {csp}");
        }
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_needs_the_csrf_token() {
    let app = TestApp::spawn().await;
    let staff = app.login().await;
    let r = staff
        .c
        .post(format!("{}/api/logout", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        403,
        "a page elsewhere cannot sign staff out"
    );
    let (s, _) = staff.get("/api/deputies").await;
    assert_eq!(s, 200, "still signed in");
    let (s, _) = staff.post("/api/logout", json!(null)).await;
    assert_eq!(s, 200);
    let (s, j) = staff.get("/api/deputies").await;
    assert_eq!((s, j["code"].as_str()), (401, Some("login_required")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tracking_numbers_cannot_be_enumerated() {
    let app = TestApp::spawn().await;
    let c = reqwest::Client::new();
    let mut statuses = vec![];
    for i in 0..30 {
        let r = c
            .get(format!("{}/api/public/track/MS2027{i:06}", app.base))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert!(statuses[..20].iter().all(|s| *s == 404), "{statuses:?}");
    assert!(statuses[20..].iter().all(|s| *s == 429), "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_in_reveals_nothing_slows_a_guesser_and_never_locks_the_deputy_out() {
    let app = TestApp::spawn().await;
    let staff = app.login().await;
    let (s, _) = staff.post_text("/api/deputies/import", roster_csv(5)).await;
    assert_eq!(s, 200);
    let all = codes(&staff).await;
    let (number, code) = &all[0];
    let guesser = client_from(2);
    // An unknown number and a wrong code answer alike: the roster stays unread.
    let wrong: String = if code == "000000" {
        "111111".into()
    } else {
        "000000".into()
    };
    let (s1, a) = checkin(&guesser, &app.base, "999", "123456").await;
    let (s2, b) = checkin(&guesser, &app.base, number, &wrong).await;
    assert_eq!((s1, s2), (401, 401), "{a} {b}");
    assert_eq!(
        a, b,
        "the same answer for an unknown number and a wrong code"
    );
    assert_eq!(a["code"], "checkin_failed");
    // A burst of guesses from one address is slowed at once…
    let mut slowed = 0;
    for i in 0..20 {
        let (s, j) = checkin(&guesser, &app.base, number, &format!("{i:06}")).await;
        if s == 429 {
            slowed += 1;
            assert!(j["error"].as_str().unwrap().contains("工作人员"), "{j}");
        }
    }
    assert!(slowed >= 17, "a guesser is slowed: {slowed} of 20 refused");
    // …and does not mark anyone present.
    let (_, d) = staff.get("/api/deputies").await;
    assert_eq!(d["present"], 0, "{d}");
    // The deputy, on their own tablet, checks in at once — typing "1" for
    // "001" as people do.
    let typed = number.trim_start_matches('0');
    let (s, j) = checkin(&client_from(3), &app.base, typed, code).await;
    assert_eq!(
        s, 200,
        "the deputy is never locked out ({typed} for {number}): {j}"
    );
    // Guesses fired all at once from a fresh address are still counted one
    // by one: two are tried, the rest wait.
    let racer = client_from(4);
    let guesses = (0..20).map(|i| {
        let c = racer.clone();
        let base = app.base.clone();
        let number = number.clone();
        async move {
            checkin(&c, &base, &number, &format!("{:06}", 500_000 + i))
                .await
                .0
        }
    });
    let statuses = futures::future::join_all(guesses).await;
    let tried = statuses.iter().filter(|s| **s == 401).count();
    assert!(tried <= 2, "racing guesses tried: {tried} ({statuses:?})");
    assert_eq!(
        tried + statuses.iter().filter(|s| **s == 429).count(),
        20,
        "{statuses:?}"
    );
    // Tablets checking in together behind one address are never slowed by
    // each other: every deputy of the roster, at once, from 127.0.0.5.
    let hall = client_from(5);
    let all_in = all.iter().map(|(n, c)| {
        let t = hall.clone();
        let base = app.base.clone();
        let (n, c) = (n.clone(), c.clone());
        async move { checkin(&t, &base, &n, &c).await.0 }
    });
    let statuses = futures::future::join_all(all_in).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tablet_session_ends_with_its_round() {
    let app = TestApp::spawn().await;
    let staff = app.login().await;
    let id = open_round(&staff, 3).await;
    let (number, code) = codes(&staff).await[0].clone();
    let t = Tablet::check_in(&app.base, &number, &code).await;
    let state = |c: reqwest::Client| {
        let url = format!("{}/api/tablet/state", app.base);
        async move {
            c.get(url)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    assert!(state(t.c.clone()).await["deputy"].is_object());
    let (s, _) = t.vote(json!({"P01": "for"})).await;
    assert_eq!(s, 200);
    let (s, j) = staff
        .post(&format!("/api/rounds/{id}/close"), json!({}))
        .await;
    assert_eq!(s, 200, "{j}");
    assert!(
        state(t.c.clone()).await["deputy"].is_null(),
        "after close the tablet holds no session"
    );
    let r =
        t.c.post(format!("{}/api/tablet/ballot", app.base))
            .send()
            .await
            .unwrap();
    assert_eq!(
        r.status().as_u16(),
        401,
        "no later round's ballot on an old session"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_dir_is_the_owners_alone() {
    let app = TestApp::spawn().await;
    let staff = app.login().await;
    open_round(&staff, 3).await;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&app.data), 0o700, "{}", app.data.display());
    for name in ["minsheng.db", "minsheng.db-wal", "minsheng.db-shm"] {
        let p = app.data.join(name);
        assert!(p.exists(), "{name}");
        assert_eq!(mode(&p), 0o600, "{name}");
    }
    let keys = app.data.join("keys");
    assert_eq!(mode(&keys), 0o700);
    for e in std::fs::read_dir(&keys).unwrap() {
        let p = e.unwrap().path();
        assert_eq!(mode(&p), 0o600, "{}", p.display());
    }
    for e in std::fs::read_dir(&app.data).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            assert_eq!(mode(&p), 0o600, "{}", p.display());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_round_opens_without_a_scrutineer_key() {
    // A data dir with no scrutineer-*.pub in keys/.
    let dir = tempfile::tempdir().unwrap();
    let (state, created) = minsheng::server::prepare(dir.path(), false).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(minsheng::web::serve(listener, state, async {
        let _ = rx.await;
    }));
    let (user, password, _) = &created.accounts[0];
    let staff = common::app::StaffClient::login(&base, user, password).await;
    let (s, _) = staff.post_text("/api/deputies/import", roster_csv(3)).await;
    assert_eq!(s, 200);
    let (s, j) = staff.post("/api/rounds", common::app::draft()).await;
    assert_eq!(s, 200, "{j}");
    let id = j["id"].as_i64().unwrap();
    let (s, j) = staff
        .post(&format!("/api/rounds/{id}/open"), json!({}))
        .await;
    assert_eq!(s, 409, "{j}");
    assert!(j["error"].as_str().unwrap().contains("监票人公钥"), "{j}");
    let _ = tx.send(());
}
