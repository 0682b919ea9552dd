#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test
//! Disk trouble: the data dir on a small tmpfs the test mounts, filled up
//! mid-vote. A ballot that cannot be stored gets a clear error and no
//! receipt; nothing already stored is harmed; voting resumes when space is
//! back, and the published bundle verifies with every receipt in it.
//!
//! Needs root (to mount tmpfs), as CI has. Elsewhere it fails and says so;
//! `MINSHENG_SKIP_MOUNT=1` skips it knowingly.

mod common;

use common::app::{attest_and_publish, bundle_file, codes, open_round, Tablet, TestApp};
use common::verifiers::{both, Outcome};
use serde_json::json;
use std::io::Write;
use std::process::Command;

struct Mount(std::path::PathBuf);
impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_ballots_clearly_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("small");
    std::fs::create_dir_all(&mnt).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=6m", "tmpfs"])
        .arg(&mnt)
        .output();
    if !mounted.as_ref().is_ok_and(|o| o.status.success()) {
        if std::env::var_os("MINSHENG_SKIP_MOUNT").is_some() {
            eprintln!("SKIPPED: cannot mount tmpfs here (MINSHENG_SKIP_MOUNT is set)");
            return;
        }
        panic!("cannot mount a tmpfs for the disk-full test (needs root): {mounted:?}; set MINSHENG_SKIP_MOUNT=1 to skip knowingly");
    }
    let _mount = Mount(mnt.clone());
    let data = mnt.join("data");
    let app = TestApp::spawn_in(dir, data.clone()).await;
    let base = app.base.clone();
    let mishu = app.login().await;
    let id = open_round(&mishu, 120).await;
    let mut tablets = vec![];
    for (number, code) in codes(&mishu).await.iter().take(120) {
        tablets.push(Tablet::check_in(&base, number, code).await);
    }
    let marks = json!({"P01": "for", "P02": "against"});
    let mut receipts = vec![];
    for t in &tablets[..10] {
        let (s, r) = t.vote(marks.clone()).await;
        assert_eq!(s, 200);
        receipts.push(r);
    }

    // Fill the filesystem.
    let filler = mnt.join("filler");
    {
        let mut f = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        while f.write_all(&chunk).is_ok() {}
        let _ = f.sync_all();
    }
    // Ballots now fail with a clear error and no receipt (SQLite may still
    // fit a few in WAL space it already has).
    let mut refused = None;
    for (i, t) in tablets.iter().enumerate().skip(10) {
        let (s, r) = t.vote(marks.clone()).await;
        if s == 200 {
            receipts.push(r);
            continue;
        }
        assert_eq!((s, r["code"].as_str()), (503, Some("storage")), "{r}");
        assert!(r["error"].as_str().unwrap().contains("未能保存"), "{r}");
        assert!(r.get("seq").is_none(), "no receipt for a ballot not stored");
        refused = Some(i);
        break;
    }
    let refused = refused.expect("a full disk never refused a ballot");
    // Nothing stored is harmed: the counts still match the receipts.
    let (_, c) = mishu.get(&format!("/api/rounds/{id}/counts")).await;
    assert_eq!(c["returned"].as_u64(), Some(receipts.len() as u64), "{c}");

    // Space back: the refused ballot goes in, and voting carries on.
    std::fs::remove_file(&filler).unwrap();
    for t in &tablets[refused..] {
        let (s, r) = t.vote(marks.clone()).await;
        assert_eq!(s, 200, "{r}");
        receipts.push(r);
    }
    let (s, j) = mishu
        .post(&format!("/api/rounds/{id}/close"), json!({}))
        .await;
    assert_eq!(s, 200, "{j}");
    let tally_hash = attest_and_publish(&mishu, id).await;
    let path = bundle_file(&app, id).await;
    assert_eq!(both(&path), Outcome::Verified(tally_hash));
    let bundle = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = bundle.lines().collect();
    assert_eq!(lines.len(), 120 + 2);
    for r in &receipts {
        let line = lines[r["seq"].as_u64().unwrap() as usize];
        assert_eq!(
            minsheng::core::canon::Hash::of_bytes(line.as_bytes()).to_hex(),
            r["hash"].as_str().unwrap()
        );
    }
}
