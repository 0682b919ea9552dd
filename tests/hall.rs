#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test
//! The hall over HTTP: a real server on a random port with a temporary data
//! dir, many tablets voting at once, the console closing, the scrutineers
//! signing, the result published and verified by both verifiers.

mod common;

use common::verifiers::{both, Outcome};
use minsheng::core::canon::Hash;
use minsheng::core::record::{ResultBody, Role};
use minsheng::keys::Signer;
use serde_json::{json, Value};
use std::path::PathBuf;

struct TestApp {
    base: String,
    dir: tempfile::TempDir,
    password: String,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl TestApp {
    async fn spawn() -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        for name in ["scrutineer-1", "scrutineer-2"] {
            Signer::for_tests(name).save(&keys, name).unwrap();
            std::fs::remove_file(keys.join(format!("{name}.key"))).unwrap(); // scrutineers keep their own
        }
        let (state, created) = minsheng::server::prepare(dir.path(), false).await.unwrap();
        let password = created.accounts[0].1.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(minsheng::web::serve(listener, state, async {
            let _ = rx.await;
        }));
        TestApp {
            base,
            dir,
            password,
            _shutdown: tx,
        }
    }

    fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap()
    }

    /// A signed-in staff client (the secretariat account).
    async fn login(&self) -> StaffClient {
        let c = TestApp::client();
        let r = c
            .post(format!("{}/api/login", self.base))
            .json(&json!({"username": "mishu", "password": self.password}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let j: Value = r.json().await.unwrap();
        StaffClient {
            c,
            csrf: j["csrf"].as_str().unwrap().to_string(),
            base: self.base.clone(),
        }
    }
}

/// A signed-in staff member: every call carries the session cookie and the
/// CSRF token.
struct StaffClient {
    c: reqwest::Client,
    csrf: String,
    base: String,
}

impl StaffClient {
    async fn get(&self, path: &str) -> (u16, Value) {
        call(
            &self.c,
            "GET",
            format!("{}{path}", self.base),
            &self.csrf,
            None,
        )
        .await
    }
    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        call(
            &self.c,
            "POST",
            format!("{}{path}", self.base),
            &self.csrf,
            Some(body),
        )
        .await
    }
    /// Posts text (a CSV roster); the answer's status and body.
    async fn post_text(&self, path: &str, text: String) -> (u16, String) {
        let r = self
            .c
            .post(format!("{}{path}", self.base))
            .header("X-CSRF-Token", &self.csrf)
            .body(text)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }
}

async fn call(
    c: &reqwest::Client,
    method: &str,
    url: String,
    csrf: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut rb = match method {
        "GET" => c.get(url),
        _ => c.post(url),
    };
    rb = rb.header("X-CSRF-Token", csrf);
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn roster_csv(n: usize) -> String {
    let mut s = String::from("编号,姓名,代表团,座位\n");
    for i in 1..=n {
        s.push_str(&format!(
            "{i:03},代表{i},第{}代表团,{}排{}座\n",
            i % 4 + 1,
            i / 10 + 1,
            i % 10 + 1
        ));
    }
    s
}

fn draft() -> Value {
    let candidates: Vec<Value> = (1..=5)
        .map(|i| {
            json!({"id": format!("P{i:02}"), "name": format!("项目{i}"), "lead_unit": "区住建局",
                   "investment_yuan": 1_000_000 * i, "deadline": "2027-12-31", "summary": "测试"})
        })
        .collect();
    json!({"title": "测试票决", "assembly": "测试大会",
           "rules": {"seats": 3, "max_for": 3, "marks": ["for","against","abstain"], "threshold_base": "total_deputies", "shortfall": "accept"},
           "candidates": candidates})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_whole_round_over_http_with_many_tablets_verifies_in_both_verifiers() {
    let app = TestApp::spawn().await;
    let base = app.base.clone();
    let staff = app.login().await;

    // Roster and codes.
    let (s, _) = staff
        .post_text("/api/deputies/import", roster_csv(40))
        .await;
    assert_eq!(s, 200);
    let (_, codes) = staff.get("/api/deputies/codes").await;
    let codes: Vec<(String, String)> = codes["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["number"].as_str().unwrap().to_string(),
                c["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(codes.len(), 40);

    // A round, opened.
    let (s, j) = staff.post("/api/rounds", draft()).await;
    assert_eq!(s, 200, "{j}");
    let id = j["id"].as_i64().unwrap();
    let (s, j) = staff
        .post(&format!("/api/rounds/{id}/open"), json!({}))
        .await;
    assert_eq!(s, 200, "{j}");

    // 36 tablets check in, get one ballot each and vote at once.
    let voters = 36;
    let mut tasks = vec![];
    for (i, (number, code)) in codes.iter().take(voters).cloned().enumerate() {
        let base = base.clone();
        tasks.push(tokio::spawn(async move {
            let tablet = TestApp::client();
            let (s, _) = call(&tablet, "POST", format!("{base}/api/tablet/checkin"), "", Some(json!({"number": number, "code": code}))).await;
            assert_eq!(s, 200);
            let (s, b) = call(&tablet, "POST", format!("{base}/api/tablet/ballot"), "", None).await;
            assert_eq!(s, 200, "{b}");
            let credential = b["credential"].as_str().unwrap().to_string();
            // A second ballot for the same tablet is refused.
            let (s, again) = call(&tablet, "POST", format!("{base}/api/tablet/ballot"), "", None).await;
            assert_eq!((s, again["code"].as_str()), (409, Some("already_issued")));
            let marks = match i % 4 {
                0 => json!({"P01": "for", "P02": "for", "P03": "against"}),
                1 => json!({"P01": "for", "P04": "for"}),
                2 => json!({"P02": "for", "P01": "abstain", "P05": "against"}),
                _ => json!({}),
            };
            // Submission carries no cookie: a fresh client, the credential alone.
            let anon = reqwest::Client::new();
            let body = json!({"round_id": b["ballot"]["round_id"], "credential": credential, "marks": marks});
            if i == 5 {
                let over = json!({"round_id": b["ballot"]["round_id"], "credential": credential,
                                  "marks": {"P01": "for", "P02": "for", "P03": "for", "P04": "for"}});
                let (s, e) = call(&anon, "POST", format!("{base}/api/ballots"), "", Some(over)).await;
                assert_eq!((s, e["code"].as_str()), (422, Some("over_cap")), "a tablet ballot over the cap is refused");
            }
            let (s, receipt) = call(&anon, "POST", format!("{base}/api/ballots"), "", Some(body.clone())).await;
            assert_eq!(s, 200, "{receipt}");
            // A retry (reload, dropped connection) gets the same receipt.
            let (s, again) = call(&anon, "POST", format!("{base}/api/ballots"), "", Some(body)).await;
            assert_eq!((s, &again), (200, &receipt));
            // The same credential with other marks is refused.
            let other = json!({"round_id": 1, "credential": credential, "marks": {"P05": "for"}});
            let (s, e) = call(&anon, "POST", format!("{base}/api/ballots"), "", Some(other)).await;
            assert_eq!((s, e["code"].as_str()), (409, Some("credential_used")));
            (receipt["seq"].as_u64().unwrap(), receipt["hash"].as_str().unwrap().to_string(), credential)
        }));
    }
    let mut receipts = vec![];
    for t in tasks {
        receipts.push(t.await.unwrap());
    }
    let mut seqs: Vec<u64> = receipts.iter().map(|r| r.0).collect();
    seqs.sort();
    assert_eq!(
        seqs,
        (1..=voters as u64).collect::<Vec<_>>(),
        "one entry per ballot, no gaps, no doubles"
    );

    // The console sees counts, never a partial result.
    let (_, c) = staff.get(&format!("/api/rounds/{id}/counts")).await;
    assert_eq!(
        (
            c["present"].as_u64(),
            c["issued"].as_u64(),
            c["returned"].as_u64()
        ),
        (Some(36), Some(36), Some(36))
    );
    let (s, _) = staff.get(&format!("/api/rounds/{id}/result")).await;
    assert_eq!(s, 409);

    // Close, attest, publish.
    let (s, closed) = staff
        .post(&format!("/api/rounds/{id}/close"), json!({}))
        .await;
    assert_eq!(s, 200, "{closed}");
    let result: ResultBody = serde_json::from_value(closed["result"].clone()).unwrap();
    assert_eq!(
        (result.returned, result.valid, result.present, result.issued),
        (36, 36, 36, 36)
    );
    assert_eq!(result.tally[&"P01".parse().unwrap()].for_, 18);
    let (s, _) = staff
        .post(&format!("/api/rounds/{id}/publish"), json!({}))
        .await;
    assert_eq!(s, 409, "not published while a scrutineer has not signed");
    for name in ["scrutineer-1", "scrutineer-2"] {
        let sig = Signer::for_tests(name).sign(Role::Scrutineer, &result);
        let body = json!({"public_key": sig.public_key, "signature": sig.signature});
        let (s, j) = staff.post(&format!("/api/rounds/{id}/attest"), body).await;
        assert_eq!(s, 200, "{j}");
    }
    let wrong = Signer::for_tests("intruder").sign(Role::Scrutineer, &result);
    let (s, _) = staff
        .post(
            &format!("/api/rounds/{id}/attest"),
            json!({"public_key": wrong.public_key, "signature": wrong.signature}),
        )
        .await;
    assert_eq!(s, 400);
    let (s, j) = staff
        .post(&format!("/api/rounds/{id}/publish"), json!({}))
        .await;
    assert_eq!(s, 200, "{j}");
    let tally_hash = Hash::of(&result).to_hex();
    assert_eq!(j["tally_hash"].as_str(), Some(tally_hash.as_str()));

    // The published bundle verifies in both verifiers, and every receipt is in it.
    let bundle = reqwest::get(format!("{base}/results/{id}/bundle.jsonl"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let path: PathBuf = app.dir.path().join("bundle.jsonl");
    std::fs::write(&path, &bundle).unwrap();
    assert_eq!(both(&path), Outcome::Verified(tally_hash.clone()));
    for (seq, hash, _) in &receipts {
        let line = bundle.lines().nth(*seq as usize).unwrap();
        assert_eq!(
            Hash::of_bytes(line.as_bytes()).to_hex(),
            *hash,
            "receipt {seq} is the entry's hash"
        );
    }
    let page = reqwest::get(format!("{base}/results/{id}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&tally_hash) && page.contains("<svg"),
        "the public page shows the tally hash and its QR"
    );

    // Secret ballot: after close no credential handed out is anywhere on disk,
    // and no table joins a deputy to a credential or an entry.
    let mut disk = Vec::new();
    for f in ["minsheng.db", "minsheng.db-wal"] {
        if let Ok(b) = std::fs::read(app.dir.path().join(f)) {
            disk.extend(b);
        }
    }
    for (_, _, credential) in &receipts {
        assert!(
            !disk
                .windows(credential.len())
                .any(|w| w == credential.as_bytes()),
            "a credential is still on disk"
        );
    }
    let conn = rusqlite::Connection::open(app.dir.path().join("minsheng.db")).unwrap();
    let stack: i64 = conn
        .query_row("SELECT COUNT(*) FROM credential_stack", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stack, 0);
    let cols = |t: &str| -> Vec<String> {
        let mut st = conn
            .prepare(&format!("SELECT name FROM pragma_table_info('{t}')"))
            .unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .map(|c| c.unwrap())
            .collect()
    };
    assert_eq!(cols("ballots_issued"), vec!["round_id", "deputy_id"]);
    assert!(!cols("entries")
        .iter()
        .any(|c| c.contains("deputy") || c.contains("time") || c.contains("tablet")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_login_and_csrf_are_enforced() {
    let app = TestApp::spawn().await;
    let base = app.base.clone();
    let anon = TestApp::client();
    let (s, j) = call(&anon, "GET", format!("{base}/api/rounds"), "", None).await;
    assert_eq!((s, j["code"].as_str()), (401, Some("login_required")));
    let staff = app.login().await;
    let (s, j) = call(
        &staff.c,
        "POST",
        format!("{base}/api/rounds"),
        "wrong-token",
        Some(draft()),
    )
    .await;
    assert_eq!((s, j["code"].as_str()), (403, Some("csrf")));
    let (s, _) = staff.post("/api/rounds", draft()).await;
    assert_eq!(s, 200);
    // A bad roster is refused row by row and nothing is imported.
    let (s, text) = staff
        .post_text(
            "/api/deputies/import",
            "编号,姓名,代表团,座位\n001,甲,一团,1\n001,乙,一团,2\n".into(),
        )
        .await;
    assert_eq!(s, 422);
    assert!(text.contains("第 3 行"));
    let (_, d) = staff.get("/api/deputies").await;
    assert_eq!(d["total"].as_u64(), Some(0));
    // Repeated bad logins are slowed.
    let mut statuses = vec![];
    for _ in 0..4 {
        let r = anon
            .post(format!("{base}/api/login"))
            .json(&json!({"username": "mishu", "password": "nope"}))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    // A ballot without a round, or with garbage, gets a clear refusal.
    let (s, _) = call(
        &anon,
        "POST",
        format!("{base}/api/ballots"),
        "",
        Some(json!({"round_id": 99, "credential": "x", "marks": {}})),
    )
    .await;
    assert_eq!(s, 404);
    let r = anon
        .post(format!("{base}/api/ballots"))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}
