#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test
//! Disk trouble, on filesystems the tests make and mount themselves:
//!
//! - the data dir on a small tmpfs, filled up mid-vote;
//! - the data dir on an ext4 image that meets an error mid-vote and goes
//!   read-only, as the kernel does when a disk fails (`errors=remount-ro`).
//!
//! A ballot that cannot be stored gets a clear error and no receipt; nothing
//! already stored is harmed; voting resumes when space is back (or, for the
//! failed disk, once the filesystem is checked and mounted again and the
//! server restarted), and the published bundle verifies with every receipt
//! in it.
//!
//! Needs root (to mount), as CI has. Elsewhere it fails and says so;
//! `MINSHENG_SKIP_MOUNT=1` skips it knowingly.

mod common;

use common::app::{
    all_present, attest_and_publish, bundle_file, codes, enter, enter_twice, open_round,
    print_paper, save_bundle, StaffClient, Tablet, TestApp,
};
use common::child::{self, ChildServer};
use common::verifiers::{both, Outcome};
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;
use std::process::Command;

struct Mount(std::path::PathBuf);
impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Mounts with `mount ARGS… target`; `None` when it cannot and
/// `MINSHENG_SKIP_MOUNT` says to skip.
fn mount(args: &[&str], source: &Path, target: &Path) -> Option<Mount> {
    std::fs::create_dir_all(target).unwrap();
    let mounted = Command::new("mount")
        .args(args)
        .arg(source)
        .arg(target)
        .output();
    if !mounted.as_ref().is_ok_and(|o| o.status.success()) {
        cannot("mount a filesystem", &mounted);
        return None;
    }
    Some(Mount(target.to_path_buf()))
}

/// A filesystem this machine cannot give the test: skipped knowingly when
/// `MINSHENG_SKIP_MOUNT` is set, a failure otherwise.
fn cannot(what: &str, detail: &dyn std::fmt::Debug) {
    if std::env::var_os("MINSHENG_SKIP_MOUNT").is_some() {
        eprintln!("SKIPPED: cannot {what} here (MINSHENG_SKIP_MOUNT is set): {detail:?}");
        return;
    }
    panic!("cannot {what} (needs root, and e2fsprogs for ext4, as .ci/run installs): {detail:?}; set MINSHENG_SKIP_MOUNT=1 to skip knowingly");
}

/// Every receipt's line is in the bundle, as the receipt says.
fn every_receipt_in(bundle: &Path, receipts: &[Value], ballots: usize) {
    let bundle = std::fs::read_to_string(bundle).unwrap();
    let lines: Vec<&str> = bundle.lines().collect();
    assert_eq!(lines.len(), ballots + 2);
    for r in receipts {
        let line = lines[r["seq"].as_u64().unwrap() as usize];
        assert_eq!(
            minsheng::core::canon::Hash::of_bytes(line.as_bytes()).to_hex(),
            r["hash"].as_str().unwrap()
        );
    }
}

/// A refusal for a ballot that could not be stored: clear, and no receipt.
fn refused_for_storage(s: u16, r: &Value) {
    assert_eq!((s, r["code"].as_str()), (503, Some("storage")), "{r}");
    assert!(r["error"].as_str().unwrap().contains("未能保存"), "{r}");
    assert!(r.get("seq").is_none(), "no receipt for a ballot not stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_ballots_clearly_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("small");
    let Some(_mount) = mount(&["-t", "tmpfs", "-o", "size=6m"], Path::new("tmpfs"), &mnt) else {
        return;
    };
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
        refused_for_storage(s, &r);
        refused = Some(i);
        break;
    }
    let refused = refused.expect("a full disk never refused a ballot");
    // Nothing stored is harmed: the counts still match the receipts. The
    // console warns the presiding staff.
    let (_, c) = mishu.get(&format!("/api/rounds/{id}/counts")).await;
    assert_eq!(c["returned"].as_u64(), Some(receipts.len() as u64), "{c}");
    assert_eq!(c["storage_trouble"], true, "{c}");

    // Space back: the refused ballot goes in, and voting carries on.
    std::fs::remove_file(&filler).unwrap();
    for t in &tablets[refused..] {
        let (s, r) = t.vote(marks.clone()).await;
        assert_eq!(s, 200, "{r}");
        receipts.push(r);
    }
    let (_, c) = mishu.get(&format!("/api/rounds/{id}/counts")).await;
    assert_eq!(
        c["storage_trouble"], false,
        "the warning goes once ballots are stored: {c}"
    );
    let (s, j) = mishu
        .post(&format!("/api/rounds/{id}/close"), json!({}))
        .await;
    assert_eq!(s, 200, "{j}");
    let tally_hash = attest_and_publish(&mishu, id).await;
    let path = bundle_file(&app, id).await;
    assert_eq!(both(&path), Outcome::Verified(tally_hash));
    every_receipt_in(&path, &receipts, 120);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disk_gone_read_only_refuses_ballots_clearly_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("disk.img");
    std::fs::File::create(&image)
        .unwrap()
        .set_len(32 << 20)
        .unwrap();
    let made = Command::new("mkfs.ext4")
        .args(["-q", "-F"])
        .arg(&image)
        .output();
    if !made.as_ref().is_ok_and(|o| o.status.success()) {
        cannot("make an ext4 image", &made);
        return;
    }
    let mnt = dir.path().join("ext4");
    let options = ["-o", "loop,errors=remount-ro"];
    let Some(mounted) = mount(&options, &image, &mnt) else {
        return;
    };
    let data = mnt.join("data");
    let passwords = child::prepare(&data).await;
    let mut server = ChildServer::new(data.clone(), dir.path().to_path_buf());
    server.start().await;
    let base = server.url("");
    let mishu = StaffClient::login(&base, "mishu", &passwords["mishu"]).await;
    let scrutineer = StaffClient::login(&base, "jianpiao1", &passwords["jianpiao1"]).await;
    let counters = [
        StaffClient::login(&base, "jipiao1", &passwords["jipiao1"]).await,
        StaffClient::login(&base, "jipiao2", &passwords["jipiao2"]).await,
    ];
    // 40 deputies: 36 on tablets, 4 on paper.
    let id = open_round(&mishu, 40).await;
    let mut tablets = vec![];
    for (number, code) in codes(&mishu).await.iter().take(36) {
        tablets.push(Tablet::check_in(&base, number, code).await);
    }
    all_present(&mishu).await;
    let papers = print_paper(&mishu, id, 4).await;
    let (s, j) = mishu
        .post(
            &format!("/api/rounds/{id}/paper/handed-out"),
            json!({"count": 4}),
        )
        .await;
    assert_eq!(s, 200, "{j}");
    let marks = json!({"P01": "for", "P03": "against"});
    let mut receipts = vec![];
    for t in &tablets[..10] {
        let (s, r) = t.vote(marks.clone()).await;
        assert_eq!(s, 200, "{r}");
        receipts.push(r);
    }
    let [c1, c2] = &counters;
    for code in &papers[..2] {
        enter_twice(c1, c2, id, code, marks.clone()).await;
    }

    // The disk fails: ext4 meets an error and turns itself read-only.
    let source = Command::new("findmnt")
        .args(["-n", "-o", "SOURCE"])
        .arg(&mnt)
        .output()
        .unwrap();
    let source = String::from_utf8(source.stdout).unwrap();
    let device = Path::new(source.trim()).file_name().unwrap().to_owned();
    std::fs::write(
        Path::new("/sys/fs/ext4")
            .join(&device)
            .join("trigger_fs_error"),
        "minsheng disk test: the disk failed",
    )
    .unwrap();
    let err = std::fs::write(data.join("probe"), "x").unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ReadOnlyFilesystem);

    // Ballots are refused clearly, with no receipt; the server stays up.
    for t in &tablets[10..13] {
        let (s, r) = t.vote(marks.clone()).await;
        refused_for_storage(s, &r);
    }
    // So is a counter's reading of a paper ballot.
    let (s, j) = enter(c1, id, &papers[2], marks.clone()).await;
    assert_eq!((s, j["code"].as_str()), (503, Some("storage")), "{j}");
    // A ballot already in still gets its own receipt back.
    let (s, again) = tablets[0].vote(marks.clone()).await;
    assert_eq!((s, &again), (200, &receipts[0]));
    // Staff actions that write are refused too, and say why.
    let (s, j) = scrutineer
        .post(&format!("/api/rounds/{id}/paper/box"), json!({"count": 4}))
        .await;
    assert_eq!((s, j["code"].as_str()), (503, Some("storage")), "{j}");
    assert!(j["error"].as_str().unwrap().contains("磁盘"), "{j}");
    assert!(server.running(), "the server fell over on a read-only disk");
    // What is stored can still be read, and matches the receipts.
    let (_, c) = mishu.get(&format!("/api/rounds/{id}/counts")).await;
    assert_eq!(c["returned"].as_u64(), Some(12), "{c}");
    assert_eq!(c["state"].as_str(), Some("open"), "{c}");
    assert_eq!(c["storage_trouble"], true, "{c}");

    // The repair staff would make: stop the server, check the filesystem,
    // mount it again, start the server on the same data.
    server.kill();
    drop(mounted);
    let checked = Command::new("e2fsck")
        .args(["-f", "-y"])
        .arg(&image)
        .output()
        .unwrap();
    assert!(
        matches!(checked.status.code(), Some(0 | 1)),
        "e2fsck: {checked:?}"
    );
    let Some(_mounted) = mount(&options, &image, &mnt) else {
        return;
    };
    server.start().await;

    // Voting resumes: the refused ballots go in now, then everyone else's.
    for t in &tablets[10..] {
        let (s, r) = t.vote(marks.clone()).await;
        assert_eq!(s, 200, "{r}");
        receipts.push(r);
    }
    for code in &papers[2..] {
        enter_twice(c1, c2, id, code, marks.clone()).await;
    }
    let (s, j) = scrutineer
        .post(&format!("/api/rounds/{id}/paper/box"), json!({"count": 4}))
        .await;
    assert_eq!(s, 200, "{j}");
    let (s, j) = mishu
        .post(&format!("/api/rounds/{id}/close"), json!({}))
        .await;
    assert_eq!(s, 200, "{j}");
    let tally_hash = attest_and_publish(&mishu, id).await;
    let path = save_bundle(&base, dir.path(), id).await;
    assert_eq!(both(&path), Outcome::Verified(tally_hash));
    every_receipt_in(&path, &receipts, 40);
}
