//! A real server on port 0 with a temporary data dir, and the clients the
//! HTTP tests drive it with.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use minsheng::core::issuing::BlindRequest;
use minsheng::keys::Signer;
use serde_json::{json, Value};

pub struct TestApp {
    pub base: String,
    /// Scratch space (and, unless spawned elsewhere, the server's data dir).
    pub dir: tempfile::TempDir,
    /// The server's data dir.
    pub data: std::path::PathBuf,
    pub password: String,
    /// (user name, password) of every account the server created.
    pub accounts: Vec<(String, String)>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_path_buf();
        TestApp::spawn_in(dir, data).await
    }

    /// A server with the demo district as `minsheng demo` makes it: 150
    /// deputies, the whole upstream year (its suggestions and projects),
    /// the 12-candidate round handed over as a draft.
    #[allow(dead_code)]
    pub async fn spawn_demo() -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_path_buf();
        TestApp::start(dir, data, true).await
    }

    /// The demo with its year played through (`minsheng demo --after-vote`):
    /// the vote published, the projects followed, the 满意度测评 published.
    #[allow(dead_code)]
    pub async fn spawn_demo_after() -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_path_buf();
        TestApp::start_with(dir, data, true, true).await
    }

    /// A server whose data dir is `data` (a small filesystem, say).
    pub async fn spawn_in(dir: tempfile::TempDir, data: std::path::PathBuf) -> TestApp {
        TestApp::start(dir, data, false).await
    }

    async fn start(dir: tempfile::TempDir, data: std::path::PathBuf, demo: bool) -> TestApp {
        TestApp::start_with(dir, data, demo, false).await
    }

    async fn start_with(
        dir: tempfile::TempDir,
        data: std::path::PathBuf,
        demo: bool,
        after_vote: bool,
    ) -> TestApp {
        let keys = data.join("keys");
        for name in ["scrutineer-1", "scrutineer-2"] {
            Signer::for_tests(name).save(&keys, name).unwrap();
            std::fs::remove_file(keys.join(format!("{name}.key"))).unwrap(); // scrutineers keep their own
        }
        let (state, created) = minsheng::server::prepare(&data, demo).await.unwrap();
        if after_vote {
            let signers = ["scrutineer-1", "scrutineer-2"].map(Signer::for_tests);
            minsheng::seed_after::play(&state, &signers).await.unwrap();
        }
        let password = created.accounts[0].1.clone();
        let accounts = created
            .accounts
            .iter()
            .map(|(u, p, _)| (u.clone(), p.clone()))
            .collect();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(minsheng::web::serve(listener, state, async {
            let _ = rx.await;
        }));
        TestApp {
            base,
            dir,
            data,
            password,
            accounts,
            _shutdown: tx,
        }
    }

    pub fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap()
    }

    /// A signed-in staff client (the secretariat account).
    pub async fn login(&self) -> StaffClient {
        self.login_as("mishu").await
    }

    /// A signed-in client for one of the accounts (mishu, zongjianpiao,
    /// jianpiao1, jianpiao2, jipiao1, jipiao2).
    pub async fn login_as(&self, user: &str) -> StaffClient {
        StaffClient::login(&self.base, user, &self.password_of(user)).await
    }

    /// The first-start password of an account.
    pub fn password_of(&self, user: &str) -> String {
        self.accounts
            .iter()
            .find(|(u, _)| u == user)
            .expect("no such account")
            .1
            .clone()
    }
}

/// A signed-in staff member: every call carries the session cookie and the
/// CSRF token.
pub struct StaffClient {
    pub c: reqwest::Client,
    pub csrf: String,
    pub base: String,
}

impl StaffClient {
    /// Signs `user` in on the server at `base`.
    pub async fn login(base: &str, user: &str, password: &str) -> StaffClient {
        let c = TestApp::client();
        let r = c
            .post(format!("{base}/api/login"))
            .json(&json!({"username": user, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let j: Value = r.json().await.unwrap();
        StaffClient {
            c,
            csrf: j["csrf"].as_str().unwrap().to_string(),
            base: base.to_string(),
        }
    }

    /// A page (HTML or any text) as this member of staff sees it.
    pub async fn page(&self, path: &str) -> String {
        self.c
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        call(
            &self.c,
            "GET",
            format!("{}{path}", self.base),
            &self.csrf,
            None,
        )
        .await
    }
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        call(
            &self.c,
            "POST",
            format!("{}{path}", self.base),
            &self.csrf,
            Some(body),
        )
        .await
    }
    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        call(
            &self.c,
            "PUT",
            format!("{}{path}", self.base),
            &self.csrf,
            Some(body),
        )
        .await
    }
    /// Posts a file's bytes (CSV or XLSX); the answer's status and JSON.
    pub async fn post_bytes(&self, path: &str, bytes: Vec<u8>) -> (u16, Value) {
        let r = self
            .c
            .post(format!("{}{path}", self.base))
            .header("X-CSRF-Token", &self.csrf)
            .body(bytes)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let answer = r.json().await.unwrap_or(Value::Null);
        super::apidoc::check("POST", path, status, &answer);
        (status, answer)
    }
    /// Posts text (a CSV roster); the answer's status and body.
    pub async fn post_text(&self, path: &str, text: String) -> (u16, String) {
        let r = self
            .c
            .post(format!("{}{path}", self.base))
            .header("X-CSRF-Token", &self.csrf)
            .body(text)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        let answer = serde_json::from_str(&text).unwrap_or(Value::Null);
        super::apidoc::check("POST", path, status, &answer);
        (status, text)
    }
}

pub async fn call(
    c: &reqwest::Client,
    method: &str,
    url: String,
    csrf: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let path = super::apidoc::path_of(&url);
    let mut rb = match method {
        "GET" => c.get(url),
        "PUT" => c.put(url),
        _ => c.post(url),
    };
    rb = rb.header("X-CSRF-Token", csrf);
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    let answer = r.json().await.unwrap_or(Value::Null);
    super::apidoc::check(method, &path, status, &answer);
    (status, answer)
}

/// A roster of `n` deputies `001..`, as CSV.
pub fn roster_csv(n: usize) -> String {
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

/// A draft: 5 projects P01..P05, 3 seats, up to 3 赞成.
pub fn draft() -> Value {
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

/// Every deputy's number and 签到码.
pub async fn codes(staff: &StaffClient) -> Vec<(String, String)> {
    let (_, j) = staff.get("/api/deputies/codes").await;
    j["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["number"].as_str().unwrap().to_string(),
                c["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A deputy's tablet: checked in, holding its ballot for the open round.
pub struct Tablet {
    pub c: reqwest::Client,
    pub base: String,
    pub round_id: i64,
    pub credential: String,
    pub signature: String,
}

/// What a tablet does to get its ballot: makes a credential, blinds it for
/// the open round's issuing key, asks, and finishes the signature. The
/// request (to send again, as a tablet whose answer was lost would) and
/// the answer.
pub async fn fetch_ballot(c: &reqwest::Client, base: &str) -> (BlindRequest, i64, u16, Value) {
    let (s, st) = call(c, "GET", format!("{base}/api/tablet/state"), "", None).await;
    assert_eq!(s, 200, "{st}");
    let req = blind_for(&st["round"]);
    let (s, b) = ask_ballot(c, base, &req).await;
    (req, st["round"]["round_id"].as_i64().unwrap_or(0), s, b)
}

/// A fresh credential blinded for the round a ballot view describes.
pub fn blind_for(round: &Value) -> BlindRequest {
    let key: minsheng::core::issuing::IssuingKey =
        serde_json::from_value(round["issuing_key"].clone())
            .expect("a v2 round has an issuing key");
    let eid =
        minsheng::core::record::ElectionId::parse(round["election_id"].as_str().unwrap()).unwrap();
    BlindRequest::new(&key, &eid, round["round"].as_u64().unwrap()).unwrap()
}

/// `POST /api/tablet/ballot` with a blinded request.
pub async fn ask_ballot(c: &reqwest::Client, base: &str, req: &BlindRequest) -> (u16, Value) {
    call(
        c,
        "POST",
        format!("{base}/api/tablet/ballot"),
        "",
        Some(json!({"blinded": req.blinded_hex()})),
    )
    .await
}

/// The finished signature from an answer of `POST /api/tablet/ballot`.
pub fn finish(req: &BlindRequest, answer: &Value) -> String {
    let blind = hex::decode(answer["blind_signature"].as_str().unwrap()).unwrap();
    req.finish(&blind)
        .expect("the blind signature finishes to a valid one")
        .to_hex()
}

impl Tablet {
    pub async fn check_in(base: &str, number: &str, code: &str) -> Tablet {
        let c = TestApp::client();
        let (s, j) = call(
            &c,
            "POST",
            format!("{base}/api/tablet/checkin"),
            "",
            Some(json!({"number": number, "code": code})),
        )
        .await;
        assert_eq!(s, 200, "{j}");
        let (req, round_id, s, b) = fetch_ballot(&c, base).await;
        assert_eq!(s, 200, "{b}");
        Tablet {
            c,
            base: base.to_string(),
            round_id,
            credential: req.credential.to_hex(),
            signature: finish(&req, &b),
        }
    }

    /// Submits the ballot without cookies; the status and the answer.
    pub async fn vote(&self, marks: Value) -> (u16, Value) {
        let anon = reqwest::Client::new();
        let body = json!({"round_id": self.round_id, "credential": self.credential,
                "signature": self.signature, "marks": marks});
        call(
            &anon,
            "POST",
            format!("{}/api/ballots", self.base),
            "",
            Some(body),
        )
        .await
    }
}

/// Both test scrutineers sign the closed round's result; then it is published.
pub async fn attest_and_publish(staff: &StaffClient, id: i64) -> String {
    use minsheng::core::record::Role;
    use minsheng::core::satisfaction::RoundResult;
    let (s, status) = staff.get(&format!("/api/rounds/{id}/result")).await;
    assert_eq!(s, 200, "{status}");
    // A vote's result or a 满意度测评's, by its type.
    let result: RoundResult = serde_json::from_value(status["result"].clone()).unwrap();
    for name in ["scrutineer-1", "scrutineer-2"] {
        let sig = Signer::for_tests(name).sign(Role::Scrutineer, &result);
        let body = json!({"public_key": sig.public_key, "signature": sig.signature});
        let (s, j) = staff.post(&format!("/api/rounds/{id}/attest"), body).await;
        assert_eq!(s, 200, "{j}");
    }
    let (s, j) = staff
        .post(&format!("/api/rounds/{id}/publish"), json!({}))
        .await;
    assert_eq!(s, 200, "{j}");
    j["tally_hash"].as_str().unwrap().to_string()
}

/// The published bundle of a round, written into the app's temp dir.
pub async fn bundle_file(app: &TestApp, id: i64) -> std::path::PathBuf {
    save_bundle(&app.base, app.dir.path(), id).await
}

/// The published bundle of a round on the server at `base`, written into `dir`.
pub async fn save_bundle(base: &str, dir: &std::path::Path, id: i64) -> std::path::PathBuf {
    let text = reqwest::get(format!("{base}/results/{id}/bundle.jsonl"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let path = dir.join(format!("bundle-{id}.jsonl"));
    std::fs::write(&path, text).unwrap();
    path
}

/// A roster of `deputies` and an open round on [`draft`]; the round's id.
pub async fn open_round(staff: &StaffClient, deputies: usize) -> i64 {
    let (s, _) = staff
        .post_text("/api/deputies/import", roster_csv(deputies))
        .await;
    assert_eq!(s, 200);
    let (s, j) = staff.post("/api/rounds", draft()).await;
    assert_eq!(s, 200, "{j}");
    let id = j["id"].as_i64().unwrap();
    let (s, j) = staff
        .post(&format!("/api/rounds/{id}/open"), json!({}))
        .await;
    assert_eq!(s, 200, "{j}");
    id
}

/// Prints `count` paper ballots; the credentials as printed on them.
pub async fn print_paper(staff: &StaffClient, id: i64, count: u64) -> Vec<String> {
    let (s, p) = staff
        .post(
            &format!("/api/rounds/{id}/paper/print"),
            json!({"count": count}),
        )
        .await;
    assert_eq!(s, 200, "{p}");
    let html = staff.page(p["url"].as_str().unwrap()).await;
    html.split("class=\"code\">")
        .skip(1)
        .map(|r| r.split('<').next().unwrap().to_string())
        .collect()
}

/// Checks in (by staff) every deputy not yet present.
pub async fn all_present(staff: &StaffClient) {
    let (_, d) = staff.get("/api/deputies").await;
    for dep in d["deputies"].as_array().unwrap() {
        if !dep["present"].as_bool().unwrap() {
            let (s, _) = staff
                .post(
                    &format!("/api/deputies/{}/present", dep["id"]),
                    json!({"present": true}),
                )
                .await;
            assert_eq!(s, 200);
        }
    }
}

/// A new scan of a ballot (the counting page makes a fresh id per scan).
pub async fn enter(counter: &StaffClient, id: i64, code: &str, marks: Value) -> (u16, Value) {
    static SCANS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = SCANS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    enter_scan(counter, id, code, marks, &format!("scan-{n}")).await
}

/// A scan with its id: sending the same id again is a retry of that scan.
pub async fn enter_scan(
    counter: &StaffClient,
    id: i64,
    code: &str,
    marks: Value,
    scan: &str,
) -> (u16, Value) {
    counter
        .post(
            &format!("/api/rounds/{id}/paper/entries"),
            json!({"code": code, "marks": marks, "request": scan}),
        )
        .await
}

/// Both counters enter the same reading; the second entry appends it.
pub async fn enter_twice(
    a: &StaffClient,
    b: &StaffClient,
    id: i64,
    code: &str,
    marks: Value,
) -> Value {
    let (s, j) = enter(a, id, code, marks.clone()).await;
    assert_eq!((s, j["status"].as_str()), (200, Some("waiting")), "{j}");
    let (s, j) = enter(b, id, code, marks).await;
    assert_eq!((s, j["status"].as_str()), (200, Some("appended")), "{j}");
    j
}

/// An Excel export as staff download it, its cells as calamine reads them
/// (the header row first): numbers stay numbers, dates dates.
pub async fn export_rows(staff: &StaffClient, base: &str, what: &str) -> Vec<Vec<calamine::Data>> {
    use calamine::Reader;
    let bytes = staff
        .c
        .get(format!("{base}/api/upstream/export/{what}"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let mut book =
        calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    range.rows().map(|r| r.to_vec()).collect()
}

/// The place of the column headed `name` in an export's rows.
pub fn column(rows: &[Vec<calamine::Data>], name: &str) -> usize {
    rows[0].iter().position(|c| *c == name).unwrap()
}
