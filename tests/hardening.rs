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

/// Guessing from many addresses at once: each new address adds one try,
/// the rest come from one hall-wide budget (120 a minute), so a day of it
/// finds one deputy's 8-digit code with probability under 0.2%; the deputy,
/// on a tablet that has not failed, checks in at once, typing the code as
/// printed ("1234 5678").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_from_many_addresses_is_bounded_hall_wide() {
    let app = TestApp::spawn().await;
    let staff = app.login().await;
    let (s, _) = staff.post_text("/api/deputies/import", roster_csv(3)).await;
    assert_eq!(s, 200);
    let all = codes(&staff).await;
    let (number, code) = all[0].clone();
    assert_eq!(code.len(), 8, "8-digit codes: {code}");
    let wrong = if code == "00000000" {
        "11111111"
    } else {
        "00000000"
    };
    let mut guesses = vec![];
    for last in 10u8..=209 {
        let c = client_from(last);
        for _ in 0..3 {
            let (c, base, number) = (c.clone(), app.base.clone(), number.clone());
            guesses.push(async move { checkin(&c, &base, &number, wrong).await.0 });
        }
    }
    let statuses = futures::future::join_all(guesses).await;
    let tried = statuses.iter().filter(|s| **s == 401).count();
    let slowed = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(tried + slowed, 600, "{statuses:?}");
    assert!(
        tried <= 200 + 120,
        "200 addresses, 3 guesses each: {tried} tried (one per new address, then the hall-wide 120)"
    );
    assert!(slowed >= 280, "{slowed} refused");
    let (s, j) = checkin(
        &client_from(250),
        &app.base,
        &number,
        &format!("{} {}", &code[..4], &code[4..]),
    )
    .await;
    assert_eq!(s, 200, "the deputy is not kept out: {j}");
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
            .json(&json!({"blinded": "00"}))
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

/// A deputy's tablet dies after its ballot was signed: a second tablet
/// cannot get another ballot (and staff see it checked in twice); staff hand
/// a paper ballot in its place, once; the published roll names the deputy as
/// replaced, `issued` counts both ballots, and both verifiers accept it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_tablet_is_replaced_by_paper_once_and_the_roll_says_so() {
    use common::app::{attest_and_publish, bundle_file, fetch_ballot, print_paper};
    use common::verifiers::{both, Outcome};
    let app = TestApp::spawn().await;
    let staff = app.login().await;
    let id = open_round(&staff, 6).await;
    let codes = codes(&staff).await;
    let (a_number, a_code) = codes[0].clone();

    // Deputy A's first tablet takes its ballot, then dies.
    let first = Tablet::check_in(&app.base, &a_number, &a_code).await;
    // A spare tablet: checks in (seen by staff), but gets no second ballot.
    let spare = TestApp::client();
    let (s, _) = common::app::call(
        &spare,
        "POST",
        format!("{}/api/tablet/checkin", app.base),
        "",
        Some(json!({"number": a_number, "code": a_code})),
    )
    .await;
    assert_eq!(s, 200);
    let (_, _, s, j) = fetch_ballot(&spare, &app.base).await;
    assert_eq!(
        (s, j["code"].as_str()),
        (409, Some("already_issued")),
        "{j}"
    );
    let (_, d) = staff.get("/api/deputies").await;
    let a = d["deputies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["number"] == a_number.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        a["extra_checkins"], 1,
        "a second tablet as the same deputy is shown: {a}"
    );

    // 平板故障补发: one paper ballot, once.
    let paper = print_paper(&staff, id, 2).await;
    let (s, j) = staff
        .post(
            &format!("/api/rounds/{id}/replace"),
            json!({"deputy_id": a["id"]}),
        )
        .await;
    assert_eq!(
        (s, j["number"].as_str()),
        (200, Some(a_number.as_str())),
        "{j}"
    );
    let (s, j) = staff
        .post(
            &format!("/api/rounds/{id}/replace"),
            json!({"deputy_id": a["id"]}),
        )
        .await;
    assert_eq!(s, 409, "only once: {j}");
    // A deputy whose tablet took no ballot is not replaced: a spare tablet does.
    let b_id = d["deputies"][1]["id"].clone();
    let (s, _) = staff
        .post(
            &format!("/api/rounds/{id}/replace"),
            json!({"deputy_id": b_id}),
        )
        .await;
    assert_eq!(s, 409);
    let (_, counts) = staff.get(&format!("/api/rounds/{id}/counts")).await;
    assert_eq!(
        (
            counts["replaced"].as_u64(),
            counts["paper"]["handed_out"].as_u64()
        ),
        (Some(1), Some(1))
    );

    // A votes on paper; B votes on a tablet; A's dead tablet never sends.
    let c1 = app.login_as("jipiao1").await;
    let c2 = app.login_as("jipiao2").await;
    for (c, who) in [(&c1, "a"), (&c2, "b")] {
        let (s, j) = c
            .post(
                &format!("/api/rounds/{id}/paper/entries"),
                json!({"code": paper[0], "marks": {"P01": "for"}, "request": format!("r{who}")}),
            )
            .await;
        assert_eq!(s, 200, "{j}");
    }
    let b = Tablet::check_in(&app.base, &codes[1].0, &codes[1].1).await;
    assert_eq!(b.vote(json!({"P02": "for"})).await.0, 200);
    drop(first);
    common::app::all_present(&staff).await; // the others are in the hall: quorum
    let (_, d) = staff.get("/api/deputies").await;
    let by: Vec<Value> = d["deputies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["checked_in_by"].clone())
        .collect();
    assert_eq!(
        by.iter().filter(|b| *b == "mishu").count(),
        4,
        "staff check-ins are recorded with who: {by:?}"
    );
    assert_eq!(
        by.iter().filter(|b| b.is_null()).count(),
        2,
        "the two who checked in on tablets: {by:?}"
    );
    let chief = app.login_as("zongjianpiao").await;
    assert_eq!(
        chief
            .post(&format!("/api/rounds/{id}/paper/box"), json!({"count": 1}))
            .await
            .0,
        200
    );
    let (s, closed) = staff
        .post(&format!("/api/rounds/{id}/close"), json!({}))
        .await;
    assert_eq!(s, 200, "{closed}");
    let r = &closed["result"];
    let roll = &r["issued_roll"];
    let mut both_numbers = vec![a_number.clone(), codes[1].0.clone()];
    both_numbers.sort();
    assert_eq!(roll["tablet"], json!(both_numbers));
    assert_eq!(roll["replaced"], json!([a_number]));
    assert_eq!(roll["paper"], 1);
    assert_eq!(
        (
            r["present"].as_u64(),
            r["issued"].as_u64(),
            r["returned"].as_u64()
        ),
        (Some(6), Some(3), Some(2))
    );
    assert_eq!(r["round_valid"], true, "{r}");
    attest_and_publish(&staff, id).await;
    let path = bundle_file(&app, id).await;
    assert!(
        matches!(both(&path), Outcome::Verified(_)),
        "both verifiers accept the round"
    );
}

/// Every page people read is Chinese: the rendered pages (their text, not
/// the commands and codes shown in `<pre>` and `<code>`) hold no English
/// sentence. (Every API error message is held to the same by
/// `common::apidoc::check`, on every call any test makes.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_people_read_is_chinese() {
    use common::apidoc::english_sentence;
    use common::app::{attest_and_publish, print_paper};
    // The scan itself: it finds what the review found, and lets codes pass.
    assert!(english_sentence("平板（the round takes paper only）").is_some());
    assert!(english_sentence("签到码 12345678，凭证 ABCD-EFGH，bundle.jsonl").is_none());
    let app = TestApp::spawn().await;
    let staff = app.login().await;
    let id = open_round(&staff, 4).await;
    let codes = codes(&staff).await;
    for (n, c) in codes.iter().take(3) {
        let t = Tablet::check_in(&app.base, n, c).await;
        assert_eq!(t.vote(json!({"P01": "for"})).await.0, 200);
    }
    let printed = print_paper(&staff, id, 2).await;
    assert_eq!(printed.len(), 2);
    let (s, j) = staff
        .post(&format!("/api/rounds/{id}/close"), json!({}))
        .await;
    assert_eq!(s, 200, "{j}");
    attest_and_publish(&staff, id).await;
    let strip = |html: &str| -> String {
        let mut out = html.to_string();
        for tag in ["script", "style", "pre", "code"] {
            while let Some(a) = out.find(&format!("<{tag}")) {
                let close = format!("</{tag}>");
                let Some(b) = out[a..].find(&close) else {
                    break;
                };
                out.replace_range(a..a + b + close.len(), " ");
            }
        }
        let mut text = String::new();
        let mut in_tag = false;
        for c in out.chars() {
            match c {
                '<' => in_tag = true,
                '>' => {
                    in_tag = false;
                    text.push(' ');
                }
                _ if !in_tag => text.push(c),
                _ => {}
            }
        }
        text
    };
    let pages = [
        "/".to_string(),
        "/tablet".into(),
        "/login".into(),
        "/console".into(),
        "/hall".into(),
        "/count".into(),
        "/upstream".into(),
        "/public".into(),
        "/results".into(),
        format!("/results/{id}"),
        format!("/results/{id}/announcement"),
        "/no-such-page".into(),
    ];
    for p in pages {
        let text = strip(&staff.page(&p).await);
        assert!(text.chars().any(common::apidoc::is_cjk), "{p}: {text:.200}");
        if let Some(s) = english_sentence(&text) {
            panic!("{p}: an English sentence people would read: {s:?}");
        }
    }
}
