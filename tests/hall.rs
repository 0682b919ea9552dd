#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test
//! The hall over HTTP: a real server on a random port with a temporary data
//! dir, many tablets voting at once, the console closing, the scrutineers
//! signing, the result published and verified by both verifiers.

mod common;

use common::app::{ask_ballot, blind_for, call, draft, fetch_ballot, finish, roster_csv, TestApp};
use common::verifiers::{both, both_with, Outcome};
use minsheng::core::canon::Hash;
use minsheng::core::record::{ResultBody, Role};
use minsheng::keys::Signer;
use serde_json::{json, Value};
use std::path::PathBuf;

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
    // The hall display shows the log head: before any ballot, the manifest's hash.
    let hall: Value = reqwest::get(format!("{base}/api/hall"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let head0 = hall["head"].as_str().unwrap().to_string();
    assert!(head0.starts_with("0:"), "{hall}");

    // 36 tablets check in, get one ballot each and vote at once.
    let voters = 36;
    let mut tasks = vec![];
    for (i, (number, code)) in codes.iter().take(voters).cloned().enumerate() {
        let base = base.clone();
        tasks.push(tokio::spawn(async move {
            let tablet = TestApp::client();
            let (s, _) = call(&tablet, "POST", format!("{base}/api/tablet/checkin"), "", Some(json!({"number": number, "code": code}))).await;
            assert_eq!(s, 200);
            // The tablet blinds its own credential; the server signs it.
            let (req, round_id, s, b) = fetch_ballot(&tablet, &base).await;
            assert_eq!(s, 200, "{b}");
            // The answer was lost on the Wi-Fi: the same blinded message asked
            // again gets the same blind signature, so the vote is not lost.
            let (s, again) = ask_ballot(&tablet, &base, &req).await;
            assert_eq!((s, &again["blind_signature"]), (200, &b["blind_signature"]));
            let signature = finish(&req, &b);
            let credential = req.credential.to_hex();
            // Another blinded message for the same deputy is refused.
            let (s, again) = ask_ballot(&tablet, &base, &blind_for(&b["ballot"])).await;
            assert_eq!((s, again["code"].as_str()), (409, Some("already_issued")));
            let marks = match i % 4 {
                0 => json!({"P01": "for", "P02": "for", "P03": "against"}),
                1 => json!({"P01": "for", "P04": "for"}),
                2 => json!({"P02": "for", "P01": "abstain", "P05": "against"}),
                _ => json!({}),
            };
            // Submission carries no cookie: a fresh client, the credential alone.
            let anon = reqwest::Client::new();
            let body = json!({"round_id": round_id, "credential": credential, "signature": signature, "marks": marks});
            if i == 5 {
                let over = json!({"round_id": round_id, "credential": credential, "signature": signature,
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
            let other = json!({"round_id": 1, "credential": credential, "signature": signature, "marks": {"P05": "for"}});
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
    let hall: Value = reqwest::get(format!("{base}/api/hall"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(hall["returned"].as_u64(), Some(36));
    assert!(
        hall.get("tally").is_none() && hall.get("result").is_none(),
        "{hall}"
    );
    let head36 = hall["head"].as_str().unwrap().to_string();
    assert!(head36.starts_with("36:"), "{hall}");

    // Close, attest, publish.
    let (s, closed) = staff
        .post(&format!("/api/rounds/{id}/close"), json!({}))
        .await;
    assert_eq!(s, 200, "{closed}");
    let hall: Value = reqwest::get(format!("{base}/api/hall"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        hall["state"], "closed",
        "closed but unsigned: nothing shown yet"
    );
    assert!(hall.get("tally_hash").is_none());
    let result: ResultBody = serde_json::from_value(closed["result"].clone()).unwrap();
    assert_eq!(
        (result.returned, result.valid, result.present, result.issued),
        (36, 36, 36, 36)
    );
    // tally-record-v2: who was issued a ballot is published, so a deputy who
    // was not there and finds their number would know.
    assert_eq!(result.kind, minsheng::core::record::ResultType::V2);
    let roll = result
        .issued_roll
        .clone()
        .expect("a v2 result has the issued roll");
    let mut numbers: Vec<String> = codes.iter().take(voters).map(|c| c.0.clone()).collect();
    numbers.sort();
    assert_eq!(
        roll.tablet.iter().map(|n| n.0.clone()).collect::<Vec<_>>(),
        numbers
    );
    assert_eq!((roll.paper, roll.switched_to_paper), (0, false));
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
    // Heads noted from the hall display are in the published log; a wrong one is caught.
    for head in [&head0, &head36] {
        assert_eq!(
            both_with(&path, &["--head", head]),
            Outcome::Verified(tally_hash.clone())
        );
    }
    let forged = format!("12:{}", &head36[3..]);
    assert!(matches!(
        both_with(&path, &["--head", &forged]),
        Outcome::Failed { line: 13, .. }
    ));
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
    let hall: Value = reqwest::get(format!("{base}/api/hall"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(hall["state"], "published");
    assert_eq!(hall["tally_hash"].as_str(), Some(tally_hash.as_str()));
    assert!(
        hall["qr_svg"].as_str().unwrap().contains("<svg"),
        "the big screen shows the tally hash's QR"
    );
    let notice = reqwest::get(format!("{base}/results/{id}/announcement"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        notice.contains("公　告") && notice.contains(&tally_hash) && notice.contains("size: A4")
    );
    assert!(
        notice.contains("<td>项目1</td>"),
        "every project's votes are in the table"
    );
    assert_eq!(
        notice.matches("（牵头单位：").count(),
        result.decided.len(),
        "the decided projects, and only they, are listed"
    );

    // Secret ballot: a tablet's credential is on disk only in the log it
    // voted in (it is published there); nothing kept at issuance names it.
    let conn = rusqlite::Connection::open(app.dir.path().join("minsheng.db")).unwrap();
    let issued: Vec<String> = conn
        .prepare("SELECT round_id || ' ' || deputy_id || ' ' || COALESCE(blinded, '') FROM ballots_issued")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(issued.len(), voters);
    for (_, _, credential) in &receipts {
        assert!(
            !issued.iter().any(|row| row.contains(credential.as_str())),
            "issuance recorded a credential"
        );
    }
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
    assert_eq!(
        cols("ballots_issued"),
        vec!["round_id", "deputy_id", "blinded"]
    );
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
        Some(json!({"round_id": 99, "credential": "x", "signature": "x", "marks": {}})),
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roster_from_excel_candidates_from_a_sheet_and_drafts_editable_until_open() {
    let app = TestApp::spawn().await;
    let staff = app.login().await;
    // An XLSX roster, as staff keep it.
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    for (c, h) in ["编号", "姓名", "代表团", "座位"].iter().enumerate() {
        ws.write(0, c as u16, *h).unwrap();
    }
    for i in 1..=30u32 {
        ws.write(i, 0, i).unwrap();
        ws.write(i, 1, format!("代表{i}")).unwrap();
        ws.write(i, 2, "石拐镇代表团").unwrap();
        ws.write(i, 3, format!("{}排{}座", i / 10 + 1, i % 10))
            .unwrap();
    }
    let (s, j) = staff
        .post_bytes("/api/deputies/import", book.save_to_buffer().unwrap())
        .await;
    assert_eq!(s, 200, "{j}");
    let (_, d) = staff.get("/api/deputies").await;
    assert_eq!(
        (d["total"].as_u64(), d["quorum"].as_u64()),
        (Some(30), Some(20))
    );
    assert_eq!(
        d["deputies"][0]["number"], "1",
        "a numeric cell is read as written"
    );

    // A candidate sheet is read, not stored; a bad one names its rows.
    let csv = "编号,项目名称,项目内容,牵头单位,投资（万元）,完成时限\n\
               P01,老旧小区改造,改造 3 个小区,区住建局,\"1,280\",2027年10月31日\n\
               P02,校园食堂提升,,区教育局,96.5,2027/6/30\n";
    let (s, j) = staff.post_bytes("/api/candidates/parse", csv.into()).await;
    assert_eq!(s, 200, "{j}");
    assert_eq!(j["candidates"][0]["investment_yuan"], 12_800_000);
    assert_eq!(j["candidates"][1]["deadline"], "2027-06-30");
    let (s, bad) = staff
        .post_bytes(
            "/api/candidates/parse",
            "编号,项目名称,项目内容,牵头单位,投资（元）,完成时限\nP1,甲,,区教育局,abc,2027-01-01\n"
                .into(),
        )
        .await;
    assert_eq!((s, bad["code"].as_str()), (422, Some("candidate_rows")));
    assert!(bad["error"].as_str().unwrap().contains("第 2 行"), "{bad}");

    // Create, edit while a draft, then the manifest is fixed.
    let mut draft = draft();
    let (s, j) = staff.post("/api/rounds", draft.clone()).await;
    assert_eq!(s, 200, "{j}");
    let id = j["id"].as_i64().unwrap();
    draft["candidates"] = j_candidates(&staff, csv).await;
    draft["rules"]["seats"] = json!(1);
    draft["rules"]["max_for"] = json!(1);
    let (s, j) = staff.put(&format!("/api/rounds/{id}"), draft.clone()).await;
    assert_eq!(s, 200, "{j}");
    let (_, r) = staff.get(&format!("/api/rounds/{id}")).await;
    assert_eq!(r["draft"]["candidates"].as_array().unwrap().len(), 2);
    draft["rules"]["seats"] = json!(0);
    let (s, _) = staff.put(&format!("/api/rounds/{id}"), draft.clone()).await;
    assert_eq!(
        s, 422,
        "a draft breaking the rules is refused at once (a rule, not a malformed request)"
    );
    let (s, j) = staff
        .post(&format!("/api/rounds/{id}/open"), json!({}))
        .await;
    assert_eq!(s, 200, "{j}");
    draft["rules"]["seats"] = json!(2);
    let (s, j) = staff.put(&format!("/api/rounds/{id}"), draft).await;
    assert_eq!((s, j["code"].as_str()), (409, Some("conflict")), "{j}");
}

async fn j_candidates(staff: &common::app::StaffClient, csv: &str) -> Value {
    let (_, j) = staff
        .post_bytes("/api/candidates/parse", csv.as_bytes().to_vec())
        .await;
    j["candidates"].clone()
}

/// A forgotten password is reset at the server with `minsheng passwd`: the
/// old password and the account's open sessions stop working, the new one
/// works; an unknown account or a wrong data dir is a clear error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forgotten_password_is_reset_at_the_server() {
    let app = TestApp::spawn().await;
    let before = app.login().await;
    assert_eq!(before.get("/api/rounds").await.0, 200);
    let passwd = |user: &str, data: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_minsheng"))
            .args(["passwd", user, "--data"])
            .arg(data)
            .output()
            .unwrap()
    };
    let out = passwd("mishu", &app.data);
    assert!(out.status.success(), "{out:?}");
    let said = String::from_utf8(out.stdout).unwrap();
    let new = said
        .lines()
        .find_map(|l| l.strip_prefix("mishu 的新密码: "))
        .expect("the new password")
        .trim()
        .to_string();
    assert_eq!(new.len(), 12, "{said}");
    // The session from before is over; the old password is refused.
    assert_eq!(before.get("/api/rounds").await.0, 401);
    let login = |password: String| {
        let base = app.base.clone();
        async move {
            let body = json!({"username": "mishu", "password": password});
            call(
                &TestApp::client(),
                "POST",
                format!("{base}/api/login"),
                "",
                Some(body),
            )
            .await
            .0
        }
    };
    let old = app.accounts.iter().find(|(u, _)| u == "mishu").unwrap();
    assert_eq!(login(old.1.clone()).await, 401);
    assert_eq!(login(new.clone()).await, 200);
    let after = common::app::StaffClient::login(&app.base, "mishu", &new).await;
    assert_eq!(after.get("/api/rounds").await.0, 200);

    let out = passwd("nobody", &app.data);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("不存在"),
        "{out:?}"
    );
    let missing = app.dir.path().join("no-such-dir");
    let out = passwd("mishu", &missing);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("没有找到数据库"),
        "{out:?}"
    );
    assert!(
        !missing.exists(),
        "a wrong --data must not create a data dir"
    );
}
