#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test
//! The secret ballot, attacked. After a mixed round (tablets in one order of
//! check-in, ballots in another, paper alongside), an attacker holding the
//! database file, its WAL and the published bundle tries to tie a deputy, a
//! seat or a tablet to a ballot — by id, by stored order, by time — and finds
//! nothing to go on.

mod common;

use common::app::{
    all_present, attest_and_publish, bundle_file, codes, open_round, print_paper, StaffClient,
    Tablet, TestApp,
};
use common::child::ChildServer;
use serde_json::{json, Value};

fn columns(db: &rusqlite::Connection, table: &str) -> Vec<String> {
    let mut st = db
        .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
        .unwrap();
    st.query_map([], |r| r.get(0))
        .unwrap()
        .map(|c| c.unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nothing_stored_or_published_links_a_deputy_to_a_ballot() {
    let app = TestApp::spawn().await;
    let base = app.base.clone();
    let mishu = app.login().await;
    let id = open_round(&mishu, 24).await;

    // Check in and take ballots in one order (the deputies' numbers, backwards)...
    let codes = codes(&mishu).await;
    let mut tablets = vec![];
    for (number, code) in codes.iter().take(20).rev() {
        tablets.push((number.clone(), Tablet::check_in(&base, number, code).await));
    }
    // ...and vote in another (every third, then the rest).
    let mut order: Vec<usize> = (0..20).filter(|i| i % 3 == 0).collect();
    order.extend((0..20).filter(|i| i % 3 != 0));
    let mut credentials = vec![];
    for i in order {
        let (number, t) = &tablets[i];
        let p = number.parse::<usize>().unwrap() % 5 + 1;
        let (s, _) = t.vote(json!({ format!("P{p:02}"): "for" })).await;
        assert_eq!(s, 200);
        credentials.push(t.credential.clone());
    }
    // Four on paper.
    all_present(&mishu).await;
    let paper = print_paper(&mishu, id, 4).await;
    assert_eq!(
        mishu
            .post(
                &format!("/api/rounds/{id}/paper/handed-out"),
                json!({"count": 4})
            )
            .await
            .0,
        200
    );
    let c1 = app.login_as("jipiao1").await;
    let c2 = app.login_as("jipiao2").await;
    for (i, code) in paper.iter().enumerate() {
        for (c, who) in [(&c1, "a"), (&c2, "b")] {
            let (s, j) = c
                .post(
                    &format!("/api/rounds/{id}/paper/entries"),
                    json!({"code": code, "marks": {"P01": "for"}, "request": format!("{i}{who}")}),
                )
                .await;
            assert_eq!(s, 200, "{j}");
        }
        credentials.push(code.clone());
    }
    let chief = app.login_as("zongjianpiao").await;
    assert_eq!(
        chief
            .post(&format!("/api/rounds/{id}/paper/box"), json!({"count": 4}))
            .await
            .0,
        200
    );
    let (s, j) = mishu
        .post(&format!("/api/rounds/{id}/close"), json!({}))
        .await;
    assert_eq!(s, 200, "{j}");
    attest_and_publish(&mishu, id).await;
    let bundle = std::fs::read_to_string(bundle_file(&app, id).await).unwrap();

    // What the attacker holds.
    let mut disk = vec![];
    for f in ["minsheng.db", "minsheng.db-wal"] {
        if let Ok(b) = std::fs::read(app.dir.path().join(f)) {
            disk.extend(b);
        }
    }
    let db = rusqlite::Connection::open(app.dir.path().join("minsheng.db")).unwrap();

    // By id: no paper credential, raw or grouped, is anywhere on disk after
    // close. (A tablet's credential is its own, made on the tablet and
    // published in its entry: the server only ever signed it blind.)
    for c in credentials.iter().filter(|c| c.len() != 64) {
        let raw = minsheng::core::credential::Credential::parse(c)
            .unwrap()
            .text();
        for form in [c.as_str(), raw.as_str()] {
            assert!(
                !disk.windows(form.len()).any(|w| w == form.as_bytes()),
                "a credential survives on disk"
            );
        }
    }
    // By id: no ballot table names a deputy, a tablet, a seat or a session.
    let ballot_tables = [
        "entries",
        "paper_ballots",
        "paper_readings",
        "paper_rulings",
        "paper_set_aside",
        "attestations",
    ];
    for t in ballot_tables {
        for c in columns(&db, t) {
            for bad in ["deputy", "tablet", "seat", "session", "number", "name"] {
                assert!(!c.contains(bad), "{t}.{c} could tie a ballot to a deputy");
            }
        }
    }
    assert_eq!(
        columns(&db, "ballots_issued"),
        vec!["round_id", "deputy_id", "blinded"],
        "who had a ballot (and the hash of the blinded message, which hides the credential), nothing more"
    );
    // By time: no ballot table holds a time, and the bundle's entries carry none.
    for t in ballot_tables
        .iter()
        .chain(["ballots_issued", "credential_stack"].iter())
    {
        for c in columns(&db, t) {
            assert!(
                !c.contains("time") && !c.contains("_at") && !c.contains("date"),
                "{t}.{c} is a time"
            );
        }
    }
    let entries: Vec<Value> = bundle
        .lines()
        .skip(1)
        .filter(|l| l.contains("\"seq\""))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(entries.len(), 24);
    for e in &entries {
        let keys: Vec<&str> = e.as_object().unwrap().keys().map(String::as_str).collect();
        let mut want = vec![
            "channel",
            "credential",
            "election_id",
            "marks",
            "prev",
            "round",
            "seq",
            "type",
            "void",
        ];
        if e["channel"] == "tablet" {
            want.insert(3, "issuer_signature");
        }
        assert_eq!(keys, want, "an entry carries nothing else");
    }
    // By order: the record of issuance keeps no order. Ballots were issued
    // from deputy 020 down to 001; the table gives deputy order, whatever
    // the order of issue (a WITHOUT ROWID table has no insertion order).
    let issued: Vec<i64> = db
        .prepare("SELECT deputy_id FROM ballots_issued WHERE round_id = ?1")
        .unwrap()
        .query_map([id], |r| r.get(0))
        .unwrap()
        .map(|x| x.unwrap())
        .collect();
    let mut sorted = issued.clone();
    sorted.sort();
    assert_eq!(
        issued, sorted,
        "issuance order is not recoverable from the table"
    );
    let rowid: Result<i64, _> =
        db.query_row("SELECT rowid FROM ballots_issued LIMIT 1", [], |r| r.get(0));
    assert!(
        rowid.is_err(),
        "ballots_issued has no rowid to betray insertion order"
    );
    let rowid: Result<i64, _> = db.query_row("SELECT rowid FROM entries LIMIT 1", [], |r| r.get(0));
    assert!(rowid.is_err(), "entries have no rowid");
    // Pairing issuance order with log order would need issuance order, which
    // is not stored: the best an attacker can do from the data is a guess.
}

/// The first start on an empty data dir, its output captured as a service
/// manager would capture it: the staff passwords are not in that output;
/// they are in a file only the operator can read, and they work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_start_keeps_the_passwords_out_of_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut server = ChildServer::new(data.clone(), dir.path().to_path_buf());
    server.start().await;
    let file = data.join(minsheng::server::PASSWORD_FILE);
    let text = std::fs::read_to_string(&file).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let accounts: Vec<(&str, &str)> = text
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[1], f[2])
        })
        .collect();
    assert_eq!(accounts.len(), 10, "{text}");
    let said = std::fs::read_to_string(dir.path().join("server-0.out")).unwrap()
        + &std::fs::read_to_string(dir.path().join("server-0.err")).unwrap();
    assert!(said.contains(minsheng::server::PASSWORD_FILE), "{said}");
    for (user, password) in &accounts {
        assert!(
            !said.contains(password),
            "{user}'s password is in the output"
        );
    }
    let (user, password) = accounts[0];
    StaffClient::login(&server.url(""), user, password).await;
}
