#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test
//! Paper over HTTP: a round that starts on tablets and goes to paper, paper
//! ballots printed, spoiled and reprinted, handed out, voided when unused,
//! entered twice by two counters, a disagreement ruled by the chief
//! scrutineer, an over-cap ballot, an unclear mark, a duplicate, a foreign
//! code, the box count and its override — then the tie taken to a runoff,
//! and every bundle checked by both verifiers.

mod common;

use common::app::{
    attest_and_publish, bundle_file, call, codes, enter, enter_scan, enter_twice, roster_csv,
    StaffClient, Tablet, TestApp,
};
use common::verifiers::{both, minsheng, Outcome};
use minsheng::core::credential::Credential;
use minsheng::core::record::ResultBody;
use serde_json::{json, Value};

/// The credentials printed on a page of paper ballots, read off the page.
fn printed_credentials(html: &str) -> Vec<Credential> {
    html.split("class=\"code\">")
        .skip(1)
        .map(|rest| Credential::parse(rest.split('<').next().unwrap()).unwrap())
        .collect()
}

async fn print_batch(staff: &StaffClient, id: i64, count: u64) -> (String, Vec<Credential>) {
    let (s, j) = staff
        .post(
            &format!("/api/rounds/{id}/paper/print"),
            json!({"count": count}),
        )
        .await;
    assert_eq!(s, 200, "{j}");
    let html = staff.page(j["url"].as_str().unwrap()).await;
    let creds = printed_credentials(&html);
    assert_eq!(creds.len() as u64, count);
    (html, creds)
}

/// The QR text of a credential in this round, as a USB scanner types it.
fn qr(c: &Credential, round: u64) -> String {
    c.qr_text(&"shiguai-2027".parse().unwrap(), round)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_mixed_round_on_tablets_and_paper_then_a_runoff_verifies_in_both_verifiers() {
    let app = TestApp::spawn().await;
    let base = app.base.clone();
    let mishu = app.login().await;
    let chief = app.login_as("zongjianpiao").await;
    let scrutineer = app.login_as("jianpiao1").await;
    let c1 = app.login_as("jipiao1").await;
    let c2 = app.login_as("jipiao2").await;

    let (s, _) = mishu
        .post_text("/api/deputies/import", roster_csv(20))
        .await;
    assert_eq!(s, 200);
    let codes = codes(&mishu).await;
    // Three projects, one seat, up to two 赞成 a ballot.
    let candidates: Vec<Value> = (1..=3)
        .map(|i| {
            json!({"id": format!("P{i:02}"), "name": format!("项目{i}"), "lead_unit": "区民政局",
                         "investment_yuan": 500_000 * i, "deadline": "2027-09-30", "summary": ""})
        })
        .collect();
    let draft = json!({"title": "2027年民生实事项目", "assembly": "测试区第一届人民代表大会第五次会议", "candidates": candidates,
        "rules": {"seats": 1, "max_for": 2, "marks": ["for","against","abstain"], "threshold_base": "total_deputies", "shortfall": "accept"}});
    let (_, j) = mishu.post("/api/rounds", draft).await;
    let id = j["id"].as_i64().unwrap();
    let (s, j) = mishu
        .post(&format!("/api/rounds/{id}/open"), json!({}))
        .await;
    assert_eq!(s, 200, "{j}");

    // Nine tablets take ballots; eight vote before the network goes down.
    let mut tablets = vec![];
    for (number, code) in codes.iter().take(9) {
        tablets.push(Tablet::check_in(&base, number, code).await);
    }
    for t in &tablets[..8] {
        let (s, j) = t.vote(json!({"P01": "for", "P02": "for"})).await;
        assert_eq!(s, 200, "{j}");
    }
    // Everyone else is checked in by staff.
    let (_, d) = mishu.get("/api/deputies").await;
    for dep in d["deputies"].as_array().unwrap() {
        if !dep["present"].as_bool().unwrap() {
            let (s, _) = mishu
                .post(
                    &format!("/api/deputies/{}/present", dep["id"]),
                    json!({"present": true}),
                )
                .await;
            assert_eq!(s, 200);
        }
    }

    // Paper: fourteen printed, one spoiled and reprinted.
    let (_, mut paper) = print_batch(&mishu, id, 14).await;
    let spoiled = paper.remove(0);
    let (s, j) = mishu
        .post(
            &format!("/api/rounds/{id}/paper/void"),
            json!({"code": qr(&spoiled, 1), "reason": "spoiled"}),
        )
        .await;
    assert_eq!(s, 200, "{j}");
    let url = j["reprint"]["url"].as_str().unwrap();
    let html = mishu
        .c
        .get(format!("{base}{url}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    paper.extend(printed_credentials(&html));
    assert_eq!(paper.len(), 14);
    // A printed credential is not a tablet's: it cannot be sent as a tablet ballot.
    let anon = reqwest::Client::new();
    let (s, j) = call(
        &anon,
        "POST",
        format!("{base}/api/ballots"),
        "",
        Some(json!({"round_id": id, "credential": paper[0].commitment(&"shiguai-2027".parse().unwrap(), 1),
            "signature": "01".repeat(256), "marks": {}})),
    )
    .await;
    assert_eq!(
        (s, j["code"].as_str()),
        (403, Some("credential_unknown")),
        "{j}"
    );

    // The switch: the ninth tablet never voted and is now refused.
    let (s, _) = mishu
        .post(&format!("/api/rounds/{id}/mode"), json!({"mode": "paper"}))
        .await;
    assert_eq!(s, 200);
    let (s, j) = tablets[8].vote(json!({"P03": "for"})).await;
    assert_eq!((s, j["code"].as_str()), (409, Some("paper_only")), "{j}");
    // A tablet that voted before the switch still gets its receipt on a retry.
    let (s, _) = tablets[0].vote(json!({"P01": "for", "P02": "for"})).await;
    assert_eq!(s, 200);

    // 发出: twelve on paper. More than present minus the tablets that voted is refused.
    let (s, j) = mishu
        .post(
            &format!("/api/rounds/{id}/paper/handed-out"),
            json!({"count": 13}),
        )
        .await;
    assert_eq!(s, 409, "{j}");
    let (s, _) = mishu
        .post(
            &format!("/api/rounds/{id}/paper/handed-out"),
            json!({"count": 12}),
        )
        .await;
    assert_eq!(s, 200);
    let (_, c) = mishu.get(&format!("/api/rounds/{id}/counts")).await;
    assert_eq!(
        (c["issued"].as_u64(), c["returned"].as_u64()),
        (Some(20), Some(8)),
        "{c}"
    );

    // The two unused ballots are scanned back and voided.
    let unused: Vec<Credential> = paper.split_off(12);
    for u in &unused {
        let (s, j) = scrutineer
            .post(
                &format!("/api/rounds/{id}/paper/void"),
                json!({"code": u.grouped(), "reason": "unused"}),
            )
            .await;
        assert_eq!(s, 200, "{j}");
    }

    // The count. Nine plain ballots, entered by both counters.
    let both_for = json!({"P01": "for", "P02": "for"});
    for p in &paper[..9] {
        enter_twice(&c1, &c2, id, &qr(p, 1), both_for.clone()).await;
    }
    // A counter's retry gets the same answer; a second, different reading of
    // the same ballot by the same counter is refused; a counter never sees the result.
    let (s, _) = enter_scan(&c1, id, &qr(&paper[9], 1), both_for.clone(), "scan-9").await;
    assert_eq!(s, 200);
    let (s, j) = enter_scan(&c1, id, &qr(&paper[9], 1), both_for.clone(), "scan-9").await;
    assert_eq!((s, j["status"].as_str()), (200, Some("waiting")), "{j}");
    let (s, j) = enter(&c1, id, &qr(&paper[9], 1), json!({"P01": "for"})).await;
    assert_eq!(s, 409, "{j}");
    let (s, _) = c1.get(&format!("/api/rounds/{id}/result")).await;
    assert_eq!(s, 403);
    // While a ballot waits for its second reading the round cannot close.
    let (s, j) = mishu
        .post(&format!("/api/rounds/{id}/close"), json!({}))
        .await;
    assert_eq!(s, 409);
    assert!(
        j["error"].as_str().unwrap().contains("未完成双人录入"),
        "{j}"
    );
    // The second counter reads P02 as unclear: disputed, ruled by the chief.
    let (s, j) = enter(
        &c2,
        id,
        &paper[9].grouped(),
        json!({"P01": "for", "P02": "unclear"}),
    )
    .await;
    assert_eq!((s, j["status"].as_str()), (200, Some("disputed")), "{j}");
    let (_, status) = c1.get(&format!("/api/rounds/{id}/paper")).await;
    assert!(
        status["disputes"][0].get("readings").is_none(),
        "a counter never sees the readings"
    );
    let (_, status) = chief.get(&format!("/api/rounds/{id}/paper")).await;
    let dispute = &status["disputes"][0];
    assert_eq!(dispute["readings"].as_array().unwrap().len(), 2);
    let (s, _) = c1
        .post(
            &format!("/api/rounds/{id}/paper/rulings"),
            json!({"commitment": dispute["commitment"], "marks": both_for}),
        )
        .await;
    assert_eq!(s, 403, "only the chief scrutineer rules");
    let (s, j) = chief
        .post(
            &format!("/api/rounds/{id}/paper/rulings"),
            json!({"commitment": dispute["commitment"], "marks": both_for}),
        )
        .await;
    assert_eq!((s, j["status"].as_str()), (200, Some("appended")), "{j}");
    // Over the cap: recorded void, not dropped. The second counter's scan is
    // retried after it went in (a dropped answer): the same receipt, not a duplicate.
    let over = json!({"P01": "for", "P02": "for", "P03": "for"});
    let (s, j) = enter_scan(&c1, id, &qr(&paper[10], 1), over.clone(), "scan-10a").await;
    assert_eq!((s, j["status"].as_str()), (200, Some("waiting")));
    let (s, first) = enter_scan(&c2, id, &qr(&paper[10], 1), over.clone(), "scan-10b").await;
    assert_eq!((s, first["status"].as_str()), (200, Some("appended")));
    let (s, again) = enter_scan(&c2, id, &qr(&paper[10], 1), over.clone(), "scan-10b").await;
    assert_eq!((s, &again), (200, &first), "{again}");
    // Unclear marks: those projects count for nothing, the rest does.
    enter_twice(
        &c1,
        &c2,
        id,
        &qr(&paper[11], 1),
        json!({"P01": "unclear", "P02": "unclear", "P03": "for"}),
    )
    .await;
    // A counted ballot that comes back into a counter's pile and is scanned
    // again is reported counted — nothing is set aside, so the box still adds
    // up (a photocopy would show as one paper more in the box count).
    let (s, j) = enter(&c1, id, &qr(&paper[0], 1), both_for.clone()).await;
    assert_eq!((s, j["status"].as_str()), (200, Some("appended")), "{j}");
    // From the box, but not counted: a voided ballot, another round's ballot.
    let (s, j) = enter(&c2, id, &qr(&unused[0], 1), both_for.clone()).await;
    assert_eq!((s, j["code"].as_str()), (409, Some("set_aside")), "{j}");
    assert!(j["error"].as_str().unwrap().contains("作废"));
    let (s, j) = enter(&c1, id, &qr(&paper[1], 9), both_for.clone()).await;
    assert_eq!((s, j["code"].as_str()), (409, Some("set_aside")), "{j}");
    // A tablet credential typed at the counting table is not a paper code
    // (v2: tablets make their own, never printed): refused, not set aside.
    let (s, j) = enter(&c2, id, &tablets[1].credential, both_for.clone()).await;
    assert_eq!((s, j["code"].as_str()), (400, Some("code")), "{j}");
    let (s, _) = enter(&c1, id, "not a code", both_for.clone()).await;
    assert_eq!(s, 400);

    // The box held 12 ballots and 2 set aside = 14; the scrutineers count 15.
    let (_, status) = scrutineer.get(&format!("/api/rounds/{id}/paper")).await;
    assert_eq!(
        (
            status["tally"]["entered"].as_u64(),
            status["tally"]["set_aside"].as_u64()
        ),
        (Some(12), Some(2)),
        "{status}"
    );
    let (s, _) = scrutineer
        .post(&format!("/api/rounds/{id}/paper/box"), json!({"count": 15}))
        .await;
    assert_eq!(s, 200);
    let (s, j) = mishu
        .post(&format!("/api/rounds/{id}/close"), json!({}))
        .await;
    assert_eq!(s, 409);
    assert!(j["error"].as_str().unwrap().contains("不一致"), "{j}");
    let (s, _) = scrutineer
        .post(
            &format!("/api/rounds/{id}/paper/override"),
            json!({"note": "x"}),
        )
        .await;
    assert_eq!(s, 403, "only the chief scrutineer overrides");
    let (s, j) = chief
        .post(
            &format!("/api/rounds/{id}/paper/override"),
            json!({"note": "重新清点后确认多出一张空白纸"}),
        )
        .await;
    assert_eq!(s, 200, "{j}");
    let (s, closed) = mishu
        .post(&format!("/api/rounds/{id}/close"), json!({}))
        .await;
    assert_eq!(s, 200, "{closed}");
    let result: ResultBody = serde_json::from_value(closed["result"].clone()).unwrap();
    assert_eq!(
        (
            result.issued,
            result.returned,
            result.valid,
            result.void,
            result.round_valid
        ),
        (20, 20, 19, 1, true)
    );
    let t = |p: &str| result.tally[&p.parse().unwrap()];
    assert_eq!((t("P01").for_, t("P01").unclear), (18, 1));
    assert_eq!((t("P02").for_, t("P02").unclear), (18, 1));
    assert_eq!(t("P03").for_, 1, "the void ballot's P03 is not counted");
    let ids = |v: &[minsheng::core::record::CandidateId]| {
        v.iter().map(|c| c.to_string()).collect::<Vec<_>>()
    };
    assert_eq!(
        ids(&result.runoff),
        vec!["P01", "P02"],
        "a tie at the only seat"
    );
    assert!(result.decided.is_empty());

    // The ruling is recorded with who made it; no printed credential survives the close.
    let db = rusqlite::Connection::open(app.dir.path().join("minsheng.db")).unwrap();
    let ruled_by: String = db
        .query_row(
            "SELECT s.username FROM paper_rulings r JOIN staff s ON s.id = r.chief_id",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(ruled_by, "zongjianpiao");
    let raw: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM paper_ballots WHERE credential IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(raw, 0);

    let hash1 = attest_and_publish(&mishu, id).await;
    let b1 = bundle_file(&app, id).await;
    assert_eq!(both(&b1), Outcome::Verified(hash1.clone()));
    let bundle = std::fs::read_to_string(&b1).unwrap();
    assert_eq!(bundle.matches("\"channel\":\"paper\"").count(), 12);
    assert_eq!(bundle.matches("\"void\":\"over_cap\"").count(), 1);

    // The runoff: the tied projects, the seat left, chained to round 1.
    let (_, rounds) = mishu.get("/api/rounds").await;
    assert_eq!(rounds["rounds"][0]["needs_next"], true);
    let (s, j) = mishu
        .post(&format!("/api/rounds/{id}/runoff"), json!({}))
        .await;
    assert_eq!(s, 200, "{j}");
    assert_eq!(j["candidates"], json!(["P01", "P02"]));
    let id2 = j["id"].as_i64().unwrap();
    let (s, _) = mishu
        .post(&format!("/api/rounds/{id}/runoff"), json!({}))
        .await;
    assert_eq!(s, 409, "one runoff per round");
    let (s, j) = mishu
        .post(&format!("/api/rounds/{id2}/open"), json!({}))
        .await;
    assert_eq!(s, 200, "{j}");
    for (i, (number, code)) in codes.iter().enumerate().take(15) {
        let t = Tablet::check_in(&base, number, code).await;
        let (s, j) = t
            .vote(json!({(if i < 12 { "P01" } else { "P02" }): "for"}))
            .await;
        assert_eq!(s, 200, "{j}");
    }
    let (s, closed) = mishu
        .post(&format!("/api/rounds/{id2}/close"), json!({}))
        .await;
    assert_eq!(s, 200, "{closed}");
    let r2: ResultBody = serde_json::from_value(closed["result"].clone()).unwrap();
    assert_eq!(ids(&r2.decided), vec!["P01"]);
    let hash2 = attest_and_publish(&mishu, id2).await;
    let b2 = bundle_file(&app, id2).await;
    assert_eq!(both(&b2), Outcome::Verified(hash2.clone()));
    // The chain of rounds, given together.
    let out = minsheng().arg("verify").arg(&b1).arg(&b2).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains(&hash2));
    let out = minsheng().arg("verify").arg(&b2).arg(&b1).output().unwrap();
    assert!(!out.status.success(), "rounds out of order are refused");

    // The public page: the rounds in order, and the year's list across rounds.
    let page = reqwest::get(format!("{base}/results"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("确定的民生实事项目（1 个）"), "{page}");
    let first = page.find(&hash1).unwrap();
    let second = page.find(&hash2).unwrap();
    assert!(first < second);
}

/// The first Chromium on the PATH, or `None` when the test may skip.
fn chromium() -> Option<&'static str> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            std::process::Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        });
    if found.is_none() {
        if std::env::var_os("MINSHENG_SKIP_BROWSER").is_some() {
            eprintln!("SKIPPED: no Chromium (MINSHENG_SKIP_BROWSER is set)");
            return None;
        }
        panic!("Chromium is not installed: run `apt-get install chromium poppler-utils` (.ci/run does), or set MINSHENG_SKIP_BROWSER=1 to skip this test knowingly");
    }
    found
}

/// `n` candidates as staff write them: the demo's twelve, then more of
/// the same kind.
fn candidates(n: usize) -> Value {
    let more = [
        ("城区雨污分流改造及排水管网提升工程", "区住房和城乡建设局"),
        ("公交线路优化和候车亭新建", "区交通运输局"),
        ("社区卫生服务中心设备更新", "区卫生健康委员会"),
        ("农村牧区饮水安全巩固提升", "区水务局"),
        ("背街小巷路灯安装和道路硬化", "区住房和城乡建设局"),
        ("公共体育场地和全民健身设施补短板", "区文化旅游体育局"),
        ("居家养老服务站点建设", "区民政局"),
        ("校园周边交通安全设施完善", "区公安分局"),
    ];
    let mut list: Vec<Value> = minsheng::demo::candidates()
        .into_iter()
        .map(|c| serde_json::to_value(c).unwrap())
        .collect();
    for (i, (name, unit)) in more.iter().enumerate() {
        list.push(json!({"id": format!("P{:02}", 13 + i), "name": name, "lead_unit": unit,
                         "investment_yuan": 1_500_000 + 100_000 * i as u64, "deadline": "2027-12-31", "summary": ""}));
    }
    list.truncate(n);
    Value::Array(list)
}

/// Prints `count` ballots of a round over `n` candidates, `per_page` asked
/// for, through Chromium to PDF; the print page's HTML, the PDF's text, the
/// number of pages, and every QR code read back by rqrr — a decoder other
/// than the encoder that drew them — as against the codes printed.
struct Printed {
    html: String,
    /// The PDF's text, white space removed.
    flat: String,
    pages: usize,
    /// The QR codes read back, sorted.
    found: Vec<String>,
    /// The QR codes printed, sorted.
    want: Vec<String>,
    /// Each credential as printed in words.
    groups: Vec<String>,
}

async fn print_and_read(n: usize, per_page: u8, count: u64) -> Printed {
    print_and_read_as(n, per_page, count, false).await
}

/// As [`print_and_read`]; `review`: the round is a 满意度测评.
async fn print_and_read_as(n: usize, per_page: u8, count: u64, review: bool) -> Printed {
    let chromium = chromium().unwrap();
    let app = TestApp::spawn().await;
    let mishu = app.login().await;
    let (s, _) = mishu
        .post_text("/api/deputies/import", roster_csv(12))
        .await;
    assert_eq!(s, 200);
    let mut draft = common::app::draft();
    draft["candidates"] = candidates(n);
    draft["rules"]["seats"] = json!(n.min(10));
    draft["rules"]["max_for"] = json!(n.min(10));
    if review {
        draft["title"] = json!("2027年民生实事项目满意度测评");
        draft["rules"] = json!({"seats": n, "max_for": n, "shortfall": "accept", "threshold_base": "valid",
            "marks": ["satisfied", "basically_satisfied", "unsatisfied"]});
    }
    let (s, j) = mishu.post("/api/rounds", draft).await;
    assert_eq!(s, 200, "{j}");
    let id = j["id"].as_i64().unwrap();
    let (s, _) = mishu
        .post(&format!("/api/rounds/{id}/open"), json!({}))
        .await;
    assert_eq!(s, 200);
    let (_, creds) = print_batch(&mishu, id, count).await;
    let url = format!("{}/console/print/{id}/1?per_page={per_page}", app.base);
    let html = mishu.c.get(url).send().await.unwrap().text().await.unwrap();
    let dir = app.dir.path().join(format!("print-{n}-{per_page}"));
    let pdf = chromium_pdf(chromium, &html, &dir);
    let text = std::process::Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    let mut want: Vec<String> = creds.iter().map(|c| qr(c, 1)).collect();
    want.sort();
    // Read the pages back as a scanner would: at 150 dpi, and again at a
    // finer resolution for any code the decoder missed (rqrr's finder is
    // stricter than a hall scanner). Each code must be found exactly once.
    let mut found: Vec<String> = vec![];
    let mut pages_n = 0;
    for dpi in ["150", "300"] {
        let prefix = dir.join(format!("page-{dpi}"));
        let out = std::process::Command::new("pdftoppm")
            .args(["-r", dpi, "-gray", "-png"])
            .arg(&pdf)
            .arg(&prefix)
            .output()
            .expect("pdftoppm (poppler-utils) is needed to read the PDF back");
        assert!(out.status.success());
        let mut pages: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.extension().is_some_and(|e| e == "png")
                    && p.file_name()
                        .unwrap()
                        .to_string_lossy()
                        .starts_with(&format!("page-{dpi}"))
            })
            .collect();
        pages.sort();
        pages_n = pages.len();
        // MINSHENG_SCREENS=DIR keeps the rendered pages (for docs/screens).
        if let (Some(keep), "150") = (std::env::var_os("MINSHENG_SCREENS"), dpi) {
            std::fs::create_dir_all(&keep).unwrap();
            let kind = if review { "satisfaction-" } else { "" };
            let name = format!("paper-ballot-{kind}{n}-projects-{per_page}up.png");
            std::fs::copy(&pages[0], std::path::Path::new(&keep).join(name)).unwrap();
        }
        let mut this: Vec<String> = pages.iter().flat_map(|p| decode_qr(p)).collect();
        this.sort();
        let mut unique = this.clone();
        unique.dedup();
        assert_eq!(unique.len(), this.len(), "a code printed twice");
        for code in this {
            if !found.contains(&code) {
                found.push(code);
            }
        }
        found.sort();
        if found == want {
            break;
        }
    }
    Printed {
        html,
        flat: text.split_whitespace().collect(),
        pages: pages_n,
        found,
        want,
        groups: creds.iter().map(|c| c.grouped()).collect(),
    }
}

/// A 满意度测评's paper ballot: its title, three boxes a project headed
/// 满意 / 基本满意 / 不满意, what an unmarked project means, no 赞成 and no
/// cap; every credential readable, two a page with the demo's ten projects.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_satisfaction_review_prints_its_own_paper_ballot() {
    if chromium().is_none() {
        return;
    }
    let p = print_and_read_as(10, 2, 4, true).await;
    assert_eq!(p.found, p.want, "every credential readable, once");
    assert_eq!(p.pages, 2, "two a page");
    assert_eq!(p.flat.matches("满意度测评票").count(), 4, "{}", p.flat);
    for want in ["基本满意", "不满意", "未表态", "测评项目10个"] {
        assert!(p.flat.contains(want), "{want}: {}", p.flat);
    }
    for not in ["赞成", "不得超过", "应选"] {
        assert!(!p.flat.contains(not), "{not} on a review ballot");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn printed_ballots_render_to_a_pdf_whose_qr_codes_hold_every_credential() {
    if chromium().is_none() {
        return;
    }
    // (projects, asked per page, ballots, pages expected, printed per page)
    for (n, per_page, count, pages, printed) in [
        (5, 1, 5, 5, 1),
        (5, 2, 5, 3, 2),
        (12, 2, 6, 3, 2),
        (20, 1, 3, 3, 1),
        (20, 2, 4, 4, 1),
    ] {
        let p = print_and_read(n, per_page, count).await;
        let case = format!("{n} projects, {per_page} a page asked");
        assert_eq!(p.pages, pages, "{case}: pages");
        assert_eq!(
            p.found, p.want,
            "{case}: every printed credential is on the paper, once, and readable"
        );
        // Every ballot carries every project and its readable credential:
        // nothing is cut off at the bottom of a half page.
        let last = candidates(n)[n - 1]["name"].as_str().unwrap().to_string();
        assert_eq!(
            p.flat.matches(&last).count(),
            count as usize,
            "{case}: the last project ({last}) on every ballot"
        );
        for g in &p.groups {
            let g: String = g.split_whitespace().collect();
            assert!(
                p.flat.contains(&g),
                "{case}: the credential {g} printed in words"
            );
        }
        let fell_back = p.html.contains("每页两张放不下");
        assert_eq!(
            fell_back,
            per_page == 2 && printed == 1,
            "{case}: says so when two do not fit"
        );
    }
}

/// Every QR code on a page image, as a scanner pointed at each would read
/// it: the whole page, then overlapping bands a quarter of the page high
/// (rqrr, like the quirc it follows, gives up on a page with too many
/// square-ish shapes — a long table of boxes — before it reaches the code).
fn decode_qr(png_path: &std::path::Path) -> Vec<String> {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(png_path).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let (w, h) = (info.width as usize, info.height as usize);
    let channels = info.line_size / w;
    let read = |top: usize, height: usize| -> Vec<String> {
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, height, |x, y| {
            buf[(top + y) * info.line_size + x * channels]
        });
        img.detect_grids()
            .into_iter()
            // A grid that does not decode at this resolution is read again at the next.
            .filter_map(|g| g.decode().ok().map(|(_, text)| text))
            .collect()
    };
    let mut codes = read(0, h);
    let band = h / 4;
    let mut top = 0;
    while top + band <= h {
        for c in read(top, band) {
            if !codes.contains(&c) {
                codes.push(c);
            }
        }
        top += band / 2;
    }
    codes
}

/// `html` printed by Chromium (headless, as a browser's print would) to
/// `dir/page.pdf`.
fn chromium_pdf(chromium: &str, html: &str, dir: &std::path::Path) -> std::path::PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let page = dir.join("page.html");
    std::fs::write(&page, html).unwrap();
    let pdf = dir.join("page.pdf");
    let out = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        pdf.exists(),
        "chromium made no PDF: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    pdf
}

/// `html` printed by Chromium to PDF in `dir`: its text (white space
/// removed) and its pages as PNG files, in order.
fn print_page(
    chromium: &str,
    html: &str,
    dir: &std::path::Path,
) -> (String, Vec<std::path::PathBuf>) {
    let pdf = chromium_pdf(chromium, html, dir);
    // -raw: the text in the order it was laid out (a line mixing Latin and
    // CJK fonts is not reordered).
    let text = std::process::Command::new("pdftotext")
        .arg("-raw")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    let flat: String = String::from_utf8(text.stdout)
        .unwrap()
        .split_whitespace()
        .collect();
    let out = std::process::Command::new("pdftoppm")
        .args(["-r", "150", "-gray", "-png"])
        .arg(&pdf)
        .arg(dir.join("page"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut pages: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    pages.sort();
    (flat, pages)
}

/// The year's 实施情况 report (the demo year played through) printed on A4:
/// every decided project, the 暂缓 with its 文号, the late milestone, the
/// inspection and the 整改 the 满意度测评 made; the print button not printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_yearly_report_prints_on_a4_with_all_of_the_year() {
    let Some(chromium) = chromium() else { return };
    let app = TestApp::spawn_demo_after().await;
    let html = reqwest::get(format!("{}/public/report", app.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (flat, pages) = print_page(chromium, &html, &app.dir.path().join("report"));
    for want in [
        "2027年民生实事项目实施情况报告",
        "一、总体情况",
        "二、调整、暂缓、终止的项目",
        "石人常发〔2027〕12号",
        "三、逐项实施情况",
        "滞后",
        "督办建议",
        "整改",
        "代表满意度测评",
    ] {
        assert!(flat.contains(want), "{want} is not printed: {flat}");
    }
    let follow: Value = reqwest::get(format!("{}/api/public/follow", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for p in follow["projects"].as_array().unwrap() {
        let name: String = p["name"].as_str().unwrap().split_whitespace().collect();
        assert!(flat.contains(&name), "{name} is not in the report");
    }
    assert!(!flat.contains("打印"), "the buttons are not printed");
    assert!(
        (3..=12).contains(&pages.len()),
        "{} A4 pages for ten projects",
        pages.len()
    );
    if let Some(keep) = std::env::var_os("MINSHENG_SCREENS") {
        std::fs::create_dir_all(&keep).unwrap();
        std::fs::copy(
            &pages[0],
            std::path::Path::new(&keep).join("year-report.png"),
        )
        .unwrap();
    }
}

/// 民生码: a project's site sign printed through Chromium on one A4 page,
/// its text as printed, and its QR code, read back by rqrr, the project's
/// public page at the address staff reached the server by.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_site_sign_prints_on_one_a4_page_and_its_qr_opens_the_project() {
    let Some(chromium) = chromium() else { return };
    let app = TestApp::spawn_demo().await;
    let year: Value = reqwest::get(format!("{}/api/public/year", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // A candidate (the demo's year is at the vote): its site gets the sign.
    let p = year["projects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["candidate_id"].is_string())
        .unwrap();
    let (id, name) = (p["id"].as_i64().unwrap(), p["name"].as_str().unwrap());
    let html = reqwest::get(format!("{}/public/sign/{id}", app.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (flat, pages) = print_page(chromium, &html, &app.dir.path().join("sign"));
    assert!(
        flat.contains(&name.split_whitespace().collect::<String>()),
        "{flat}"
    );
    assert!(flat.contains("扫一扫"), "{flat}");
    assert!(
        !flat.contains("打印"),
        "the print button is not printed: {flat}"
    );
    assert_eq!(pages.len(), 1, "one A4 page");
    if let Some(keep) = std::env::var_os("MINSHENG_SCREENS") {
        std::fs::create_dir_all(&keep).unwrap();
        std::fs::copy(&pages[0], std::path::Path::new(&keep).join("site-sign.png")).unwrap();
    }
    let host = app.base.trim_start_matches("http://");
    assert_eq!(
        decode_qr(&pages[0]),
        vec![format!("http://{host}/public#p{id}")],
        "the QR opens the project's page"
    );
}
