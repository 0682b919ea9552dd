#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test
//! The observer with only the results page: the kit's commands, copied from
//! the page, run as written in an empty folder and verify the round; a
//! deputy's receipt code finds their entry (not another ballot's `prev`).

mod common;

use common::app::{attest_and_publish, codes, open_round, Tablet, TestApp};
use serde_json::json;

/// The text of `<pre … id="{id}">…</pre>`, as a browser would copy it.
fn pre_text(html: &str, id: &str) -> String {
    let start = html
        .find(&format!("id=\"{id}\""))
        .expect("the kit's commands on the page");
    let body = &html[start..];
    let body = &body[body.find('>').unwrap() + 1..body.find("</pre>").unwrap()];
    body.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#x2f;", "/")
        .replace("&quot;", "\"")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_results_page_is_a_kit_that_works_as_written() {
    let app = TestApp::spawn().await;
    let staff = app.login().await;
    let id = open_round(&staff, 4).await;
    let mut receipts = vec![];
    for (i, (number, code)) in codes(&staff).await.iter().enumerate() {
        let t = Tablet::check_in(&app.base, number, code).await;
        let marks = if i == 3 {
            json!({"P01": "for", "P02": "for", "P03": "for", "P04": "for"})
        } else {
            json!({"P01": "for"})
        };
        let (s, j) = t.vote(marks).await;
        // The fourth is over the cap: refused on a tablet, so vote again within it.
        let j = if s == 422 {
            t.vote(json!({"P02": "against"})).await.1
        } else {
            j
        };
        receipts.push((
            j["seq"].as_u64().unwrap(),
            j["short"].as_str().unwrap().to_string(),
        ));
    }
    // Before publication a receipt is not looked up.
    let url = |code: &str| format!("{}/api/results/{id}/receipt/{code}", app.base);
    assert_eq!(
        reqwest::get(url(&receipts[0].1))
            .await
            .unwrap()
            .status()
            .as_u16(),
        404
    );
    let (s, j) = staff
        .post(&format!("/api/rounds/{id}/close"), json!({}))
        .await;
    assert_eq!(s, 200, "{j}");
    let tally_hash = attest_and_publish(&staff, id).await;

    // Every receipt finds its own entry, counted.
    for (seq, short) in &receipts {
        let j: serde_json::Value = reqwest::get(url(short))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(j["seq"].as_u64(), Some(*seq), "{short}: {j}");
        assert_eq!(j["valid"], true);
        assert!(
            j["message"]
                .as_str()
                .unwrap()
                .contains(&format!("第 {seq} 号")),
            "{j}"
        );
    }
    let r = reqwest::get(url("00000000")).await.unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let r = reqwest::get(url("xyz")).await.unwrap();
    assert_eq!(r.status().as_u16(), 400);

    // The page's commands, run as they stand in an empty folder.
    let html = reqwest::get(format!("{}/results/{id}", app.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let commands = pre_text(&html, "kit-commands");
    assert!(commands.contains(&tally_hash), "{commands}");
    let empty = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("bash")
        .arg("-ec")
        .arg(&commands)
        .current_dir(empty.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.trim_end().ends_with("VERIFIED"),
        "the kit's commands:\n{commands}\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The kit's files are the spec and the verifier the repository carries.
    for (file, from) in [
        ("verify_bundle.py", "tools/verify_bundle.py"),
        ("tally-record-v1.md", "docs/spec/v1/tally-record-v1.md"),
        ("tally-record-v2.md", "docs/spec/v2/tally-record-v2.md"),
        ("counting-rules.md", "docs/spec/v1/counting-rules.md"),
    ] {
        let served = reqwest::get(format!("{}/results/kit/{file}", app.base))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let kept =
            std::fs::read_to_string(format!("{}/{from}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        assert_eq!(served, kept, "{file}");
        assert!(
            html.contains(&format!("/results/kit/{file}")),
            "the page links {file}"
        );
    }
}
