#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test
//! Kill harness: `minsheng serve` as a child process, many clients sending
//! tablet ballots and paper readings, the server killed with SIGKILL at
//! random moments (and during close, attestation and publication), started
//! again, and every promise checked: each receipt a client was given is in
//! the published log, nothing is counted twice, a retry after a kill gets
//! the same receipt, the chain verifies with both verifiers.
//!
//! `cargo test` runs 24 kills. The long run is
//! `MINSHENG_KILLS=200 cargo test --release --test kill -- --nocapture`.

mod common;

use common::child::ChildServer;
use common::rng::Rng;
use common::verifiers::{both, Outcome};
use minsheng::core::record::{ResultBody, Role};
use minsheng::keys::Signer;
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A client session that survives restarts (the session lives in the database).
#[derive(Clone)]
struct Staff {
    c: reqwest::Client,
    csrf: String,
    base: String,
}

impl Staff {
    async fn login(base: &str, user: &str, password: &str) -> Staff {
        let c = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap();
        let j: Value = c
            .post(format!("{base}/api/login"))
            .json(&json!({"username": user, "password": password}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Staff {
            c,
            csrf: j["csrf"].as_str().unwrap().to_string(),
            base: base.to_string(),
        }
    }
    /// `None` when the server is not there (killed): the caller retries.
    async fn post(&self, path: &str, body: Value) -> Option<(u16, Value)> {
        let r = self
            .c
            .post(format!("{}{path}", self.base))
            .header("X-CSRF-Token", &self.csrf)
            .timeout(Duration::from_secs(5))
            .json(&body)
            .send()
            .await
            .ok()?;
        let s = r.status().as_u16();
        Some((s, r.json().await.ok()?))
    }
    async fn get(&self, path: &str) -> Option<(u16, Value)> {
        let r = self
            .c
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .ok()?;
        let s = r.status().as_u16();
        Some((s, r.json().await.ok()?))
    }
}

#[derive(Clone, Debug)]
enum Job {
    Tablet {
        credential: String,
        signature: String,
        marks: Value,
    },
    /// One counter's reading of one paper ballot; `second` follows the first.
    Paper {
        code: String,
        counter: usize,
        marks: Value,
        scan: String,
    },
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn receipts_survive_sigkill_at_random_moments() {
    let kills: usize = std::env::var("MINSHENG_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(24);
    let seed = Rng::seed();
    eprintln!("kill harness: {kills} kills, MINSHENG_SEED={seed}");
    let mut rng = Rng(seed);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    // Accounts, keys (two scrutineers whose private keys the test holds).
    let (mut server, pw) = ChildServer::started_in(&dir).await;
    let base = server.url("");
    let mishu = Staff::login(&base, "mishu", &pw["mishu"]).await;
    let counters = [
        Staff::login(&base, "jipiao1", &pw["jipiao1"]).await,
        Staff::login(&base, "jipiao2", &pw["jipiao2"]).await,
    ];
    let chief = Staff::login(&base, "zongjianpiao", &pw["zongjianpiao"]).await;

    // A round of 600 deputies: 450 vote on tablets, 150 on paper.
    let (tablets, papers) = (450usize, 150usize);
    let mut roster = String::from("编号,姓名,代表团,座位\n");
    for i in 1..=tablets + papers {
        roster.push_str(&format!("{i:03},代表{i},一团,{i}\n"));
    }
    let r = mishu
        .c
        .post(format!("{base}/api/deputies/import"))
        .header("X-CSRF-Token", &mishu.csrf)
        .body(roster)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let candidates: Vec<Value> = (1..=4)
        .map(|i| json!({"id": format!("P{i:02}"), "name": format!("项目{i}"), "lead_unit": "区住建局", "investment_yuan": 100_000 * i, "deadline": "2027-12-31", "summary": ""}))
        .collect();
    let (_, j) = mishu
        .post("/api/rounds", json!({"title": "kill", "assembly": "测试", "candidates": candidates,
            "rules": {"seats": 2, "max_for": 2, "marks": ["for","against","abstain"], "threshold_base": "total_deputies", "shortfall": "accept"}}))
        .await
        .unwrap();
    let id = j["id"].as_i64().unwrap();
    assert_eq!(
        mishu
            .post(&format!("/api/rounds/{id}/open"), json!({}))
            .await
            .unwrap()
            .0,
        200
    );
    let (_, codes) = mishu.get("/api/deputies/codes").await.unwrap();
    let mut jobs = VecDeque::new();
    for (i, c) in codes["codes"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .take(tablets)
    {
        let t = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap();
        t.post(format!("{base}/api/tablet/checkin"))
            .json(&json!({"number": c["number"], "code": c["code"]}))
            .send()
            .await
            .unwrap();
        let (req, _, status, b) = common::app::fetch_ballot(&t, &base).await;
        assert_eq!(status, 200, "{b}");
        let marks = json!({ format!("P{:02}", i % 4 + 1): "for", format!("P{:02}", (i + 1) % 4 + 1): "against" });
        jobs.push_back(Job::Tablet {
            credential: req.credential.to_hex(),
            signature: common::app::finish(&req, &b),
            marks,
        });
    }
    let (_, d) = mishu.get("/api/deputies").await.unwrap();
    for dep in d["deputies"].as_array().unwrap().iter().skip(tablets) {
        mishu
            .post(
                &format!("/api/deputies/{}/present", dep["id"]),
                json!({"present": true}),
            )
            .await
            .unwrap();
    }
    let (_, p) = mishu
        .post(
            &format!("/api/rounds/{id}/paper/print"),
            json!({"count": papers}),
        )
        .await
        .unwrap();
    let html = mishu
        .c
        .get(format!("{base}{}", p["url"].as_str().unwrap()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for (i, code) in html
        .split("class=\"code\">")
        .skip(1)
        .map(|r| r.split('<').next().unwrap().to_string())
        .enumerate()
    {
        let marks = json!({ format!("P{:02}", i % 4 + 1): "for" });
        jobs.push_back(Job::Paper {
            code,
            counter: 0,
            marks,
            scan: format!("scan-{i}"),
        });
    }
    assert_eq!(
        mishu
            .post(
                &format!("/api/rounds/{id}/paper/handed-out"),
                json!({"count": papers})
            )
            .await
            .unwrap()
            .0,
        200
    );
    let total_ballots = jobs.len();

    // Clients work through the queue while the server is killed and restarted.
    let queue = Arc::new(Mutex::new(jobs));
    let receipts: Arc<Mutex<HashMap<String, (u64, String)>>> = Arc::default();
    let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = vec![];
    for _ in 0..8 {
        let (queue, receipts, done, counters, base) = (
            queue.clone(),
            receipts.clone(),
            done.clone(),
            counters.clone(),
            base.clone(),
        );
        workers.push(tokio::spawn(async move {
            let anon = reqwest::Client::new();
            loop {
                let job = queue.lock().unwrap().pop_front();
                let Some(job) = job else {
                    if done.load(std::sync::atomic::Ordering::SeqCst) >= total_ballots {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    continue;
                };
                let request = match &job {
                    Job::Tablet { credential, signature, marks } => anon
                        .post(format!("{base}/api/ballots"))
                        .json(&json!({"round_id": id, "credential": credential, "signature": signature, "marks": marks})),
                    Job::Paper { code, counter, marks, scan } => counters[*counter]
                        .c
                        .post(format!("{base}/api/rounds/{id}/paper/entries"))
                        .header("X-CSRF-Token", &counters[*counter].csrf)
                        .json(&json!({"code": code, "marks": marks, "request": format!("{scan}-c{counter}")})),
                };
                let answer = match request.timeout(Duration::from_secs(5)).send().await {
                    Ok(r) => (r.status().as_u16(), r.json::<Value>().await.ok()),
                    Err(_) => (0, None),
                };
                match (answer, &job) {
                    ((200, Some(j)), _) if j.get("seq").is_some() => {
                        let key = match &job {
                            Job::Tablet { credential, .. } => credential.clone(),
                            Job::Paper { code, .. } => code.clone(),
                        };
                        let got = (j["seq"].as_u64().unwrap(), j["hash"].as_str().unwrap().to_string());
                        let mut r = receipts.lock().unwrap();
                        if let Some(old) = r.get(&key) {
                            assert_eq!(old, &got, "a retry after a kill gave another receipt");
                        } else {
                            r.insert(key, got);
                            done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        }
                    }
                    ((200, Some(j)), Job::Paper { code, counter: 0, marks, scan }) => {
                        assert_eq!(j["status"], "waiting", "{j}");
                        let next = Job::Paper { code: code.clone(), counter: 1, marks: marks.clone(), scan: scan.clone() };
                        queue.lock().unwrap().push_back(next);
                    }
                    ((0 | 500 | 503, _), _) => {
                        // The server was killed mid-request: try again, the same request.
                        queue.lock().unwrap().push_back(job.clone());
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    (other, job) => panic!("unexpected answer {other:?} to {job:?}"),
                }
            }
        }));
    }
    let mut k = 0;
    while k < kills {
        tokio::time::sleep(Duration::from_millis(rng.between(2, 40))).await;
        let before = done.load(std::sync::atomic::Ordering::SeqCst);
        server.kill();
        k += 1;
        eprintln!("kill {k}: {before} of {total_ballots} ballots had receipts");
        server.start().await;
    }
    for w in workers {
        w.await.unwrap();
    }
    assert_eq!(receipts.lock().unwrap().len(), total_ballots);

    // Kill during close, attestation and publication; each must end done once.
    let (s, box_ok) = loop {
        if let Some(a) = chief
            .post(
                &format!("/api/rounds/{id}/paper/box"),
                json!({"count": papers}),
            )
            .await
        {
            break a;
        }
        server.start().await;
    };
    assert_eq!(s, 200, "{box_ok}");
    let mut kill_during = |label: &'static str| {
        let d = rng.between(0, 15);
        eprintln!("killing {d} ms into {label}");
        d
    };
    for step in ["close", "attest", "publish"] {
        let delay = kill_during(step);
        for attempt in 0..3 {
            let call = {
                let (mishu, step) = (mishu.clone(), step);
                tokio::spawn(async move {
                    match step {
                        "close" => {
                            mishu
                                .post(&format!("/api/rounds/{id}/close"), json!({}))
                                .await
                        }
                        "attest" => {
                            let (_, st) = mishu.get(&format!("/api/rounds/{id}/result")).await?;
                            let result: ResultBody =
                                serde_json::from_value(st["result"].clone()).ok()?;
                            let mut last = None;
                            for name in ["scrutineer-1", "scrutineer-2"] {
                                let sig = Signer::for_tests(name).sign(Role::Scrutineer, &result);
                                last = mishu.post(&format!("/api/rounds/{id}/attest"), json!({"public_key": sig.public_key, "signature": sig.signature})).await;
                                last.as_ref()?;
                            }
                            last
                        }
                        _ => {
                            mishu
                                .post(&format!("/api/rounds/{id}/publish"), json!({}))
                                .await
                        }
                    }
                })
            };
            if attempt == 0 {
                tokio::time::sleep(Duration::from_millis(delay)).await;
                server.kill();
                k += 1;
                server.start().await;
            }
            let answer = call.await.unwrap();
            let (_, row) = mishu.get(&format!("/api/rounds/{id}")).await.unwrap();
            let state = row["state"].as_str().unwrap().to_string();
            let finished = match step {
                "close" => state != "open",
                "attest" => mishu
                    .get(&format!("/api/rounds/{id}/result"))
                    .await
                    .unwrap()
                    .1["missing_scrutineers"]
                    .as_array()
                    .unwrap()
                    .is_empty(),
                _ => state == "published",
            };
            eprintln!("{step}: answer {answer:?}, state {state}, finished {finished}");
            if finished {
                break;
            }
            assert!(attempt < 2, "{step} never completed");
        }
    }
    eprintln!("{k} kills in all");
    assert!(k >= kills + 3);

    // Every receipt is in the published log; nothing twice; both verifiers agree.
    let bundle = reqwest::get(server.url(&format!("/results/{id}/bundle.jsonl")))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let path = dir.join("bundle.jsonl");
    std::fs::write(&path, &bundle).unwrap();
    assert!(matches!(both(Path::new(&path)), Outcome::Verified(_)));
    let lines: Vec<&str> = bundle.lines().collect();
    assert_eq!(
        lines.len(),
        total_ballots + 2,
        "one entry per ballot, none twice"
    );
    for (seq, hash) in receipts.lock().unwrap().values() {
        let line = lines[*seq as usize];
        assert_eq!(
            &minsheng::core::canon::Hash::of_bytes(line.as_bytes()).to_hex(),
            hash
        );
    }
    // No log line carries a credential, a password or a ballot's marks.
    let mut logs = String::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "out" || x == "err") {
            logs.push_str(&std::fs::read_to_string(&p).unwrap());
        }
    }
    for key in receipts.lock().unwrap().keys() {
        assert!(
            !logs.contains(key.as_str()),
            "a credential in the server's output"
        );
    }
    for p in pw.values() {
        assert!(
            !logs.contains(p.as_str()),
            "a password in the server's output"
        );
    }
    assert!(
        !logs.contains("\"marks\""),
        "ballot content in the server's output"
    );
    let result: ResultBody = serde_json::from_str::<Value>(lines.last().unwrap())
        .map(|v| serde_json::from_value(v["body"].clone()).unwrap())
        .unwrap();
    assert_eq!(
        (result.returned, result.issued),
        (total_ballots as u64, total_ballots as u64)
    );
}

/// The server stops between two issuances: the round's issuing key is read
/// back from `keys/`, a tablet whose answer was lost gets the same blind
/// signature, the next tablet gets its ballot, both vote; at close the key
/// file is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issuance_goes_on_after_a_restart() {
    use common::app::{ask_ballot, call, draft, fetch_ballot, finish, roster_csv, StaffClient};
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let (mut server, pw) = ChildServer::started_in(&dir).await;
    let base = server.url("");
    let staff = StaffClient::login(&base, "mishu", &pw["mishu"]).await;
    assert_eq!(
        staff
            .post_text("/api/deputies/import", roster_csv(3))
            .await
            .0,
        200
    );
    let (s, j) = staff.post("/api/rounds", draft()).await;
    assert_eq!(s, 200, "{j}");
    let id = j["id"].as_i64().unwrap();
    assert_eq!(
        staff
            .post(&format!("/api/rounds/{id}/open"), json!({}))
            .await
            .0,
        200
    );
    let key_file = dir.join("keys").join(format!("issuing-{id}.der"));
    assert!(key_file.exists());
    let (_, codes) = staff.get("/api/deputies/codes").await;
    let tablet = |i: usize| {
        let (n, c) = (
            codes["codes"][i]["number"].as_str().unwrap().to_string(),
            codes["codes"][i]["code"].as_str().unwrap().to_string(),
        );
        let base = base.clone();
        async move {
            let t = reqwest::Client::builder()
                .cookie_store(true)
                .build()
                .unwrap();
            let (s, _) = call(
                &t,
                "POST",
                format!("{base}/api/tablet/checkin"),
                "",
                Some(json!({"number": n, "code": c})),
            )
            .await;
            assert_eq!(s, 200);
            t
        }
    };
    let first = tablet(0).await;
    let (req1, round_id, s, b1) = fetch_ballot(&first, &base).await;
    assert_eq!(s, 200, "{b1}");

    server.kill();
    server.start().await;

    let (s, again) = ask_ballot(&first, &base, &req1).await;
    assert_eq!(
        (s, &again["blind_signature"]),
        (200, &b1["blind_signature"]),
        "{again}"
    );
    let second = tablet(1).await;
    let (req2, _, s, b2) = fetch_ballot(&second, &base).await;
    assert_eq!(s, 200, "{b2}");
    let anon = reqwest::Client::new();
    for (req, b) in [(&req1, &b1), (&req2, &b2)] {
        let body = json!({"round_id": round_id, "credential": req.credential.to_hex(),
                          "signature": finish(req, b), "marks": {"P01": "for"}});
        let (s, j) = call(&anon, "POST", format!("{base}/api/ballots"), "", Some(body)).await;
        assert_eq!(s, 200, "{j}");
    }
    let staff = StaffClient::login(&base, "mishu", &pw["mishu"]).await;
    let (s, j) = staff
        .post(&format!("/api/rounds/{id}/close"), json!({}))
        .await;
    assert_eq!(s, 200, "{j}");
    assert!(!key_file.exists(), "the issuing key is deleted at close");
}
