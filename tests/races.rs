#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test
//! The round's lifecycle raced: the same click sent many times at once, as a
//! double-click or two consoles do. Each operation checks and acts in one
//! transaction, so exactly one of each wins and the others are refused.

mod common;

use common::app::{attest_and_publish, codes, draft, roster_csv, StaffClient, Tablet, TestApp};
use serde_json::{json, Value};

/// Sends `n` copies of the same POST at once; the statuses, sorted.
async fn race(staff: &StaffClient, path: &str, n: usize) -> Vec<u16> {
    statuses(futures::future::join_all((0..n).map(|_| staff.post(path, json!({})))).await)
}

fn statuses(answers: Vec<(u16, Value)>) -> Vec<u16> {
    let mut s: Vec<u16> = answers.into_iter().map(|(s, _)| s).collect();
    s.sort();
    s
}

fn one_winner(statuses: &[u16], what: &str) {
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{what}: exactly one succeeds, got {statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "{what}: the others are refused as conflicts, got {statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lifecycle_clicks_raced_make_one_round_one_opening_one_close_one_runoff() {
    let app = TestApp::spawn().await;
    let staff = app.login().await;
    let (s, _) = staff.post_text("/api/deputies/import", roster_csv(5)).await;
    assert_eq!(s, 200);
    let (s, j) = staff.post("/api/rounds", draft()).await;
    assert_eq!(s, 200, "{j}");
    let id = j["id"].as_i64().unwrap();
    // A second round 1 of the same election is refused: the rounds are one chain.
    let (s, j) = staff.post("/api/rounds", draft()).await;
    assert_eq!(s, 409, "{j}");

    // Opening: eight clicks at once: the round opens once, one manifest.
    one_winner(
        &race(&staff, &format!("/api/rounds/{id}/open"), 8).await,
        "opening",
    );
    let (_, rounds) = staff.get("/api/rounds").await;
    let open: Vec<i64> = rounds["rounds"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["state"] == "open")
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(open, vec![id], "one round open: {rounds}");

    // Five deputies: P01 and P02 pass, P03 and P04 tie for the third seat.
    let marks = [
        json!({"P01": "for", "P02": "for", "P03": "for"}),
        json!({"P01": "for", "P02": "for", "P04": "for"}),
        json!({"P01": "for", "P02": "for", "P03": "for"}),
        json!({"P01": "for", "P02": "for", "P04": "for"}),
        json!({"P03": "for", "P04": "for"}),
    ];
    for ((number, code), m) in codes(&staff).await.iter().zip(marks) {
        let t = Tablet::check_in(&app.base, number, code).await;
        let (s, j) = t.vote(m).await;
        assert_eq!(s, 200, "{j}");
    }

    // Closing: four clicks, one close and one result.
    one_winner(
        &race(&staff, &format!("/api/rounds/{id}/close"), 4).await,
        "closing",
    );
    let tally = attest_and_publish(&staff, id).await;

    // Publishing again changes nothing: it is published once.
    let again = race(&staff, &format!("/api/rounds/{id}/publish"), 3).await;
    assert!(again.iter().all(|s| *s == 409), "{again:?}");
    // A round made by hand naming this result besides the runoff would fork.
    let mut fork = draft();
    fork["previous_result"] = json!(tally);

    // The runoff: six clicks at once make one draft over the tied projects.
    one_winner(
        &race(&staff, &format!("/api/rounds/{id}/runoff"), 6).await,
        "runoff",
    );
    let (_, rounds) = staff.get("/api/rounds").await;
    let rounds = rounds["rounds"].as_array().unwrap().clone();
    assert_eq!(rounds.len(), 2, "the round and one runoff: {rounds:?}");
    let runoff = rounds.last().unwrap();
    assert_eq!(runoff["state"], "draft");
    assert_eq!(runoff["candidates"], 2);
    assert_eq!(runoff["seats"], 1);
    let (s, j) = staff.post("/api/rounds", fork).await;
    assert_eq!(s, 409, "a second successor of one result: {j}");
    assert!(j["error"].as_str().unwrap().contains("只能接续一次"), "{j}");
    let (_, published) = staff.get(&format!("/api/rounds/{id}")).await;
    assert_eq!(published["state"], "published");
}
