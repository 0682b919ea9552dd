#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test
//! The disk, copied after every event of a round — each check-in, each
//! issuance, each ballot — and attacked copy by copy: by the bytes (is a
//! tablet's credential anywhere before its own ballot arrives?), by the
//! page images in the WAL and the file, by the order in which SQLite laid
//! out the cells of `ballots_issued`, and by matching the order of issuance
//! to the order of the log. In the usual hall (everyone holds a ballot
//! before anyone votes) nothing links a deputy to an entry better than
//! chance; after close not even the order of issuance is left.

mod common;

use common::app::{blind_for, call, codes, finish, open_round, TestApp};
use serde_json::json;

/// DB, WAL and SHM as they are on disk at this moment.
struct Snapshot {
    db: Vec<u8>,
    wal: Vec<u8>,
    shm: Vec<u8>,
}

impl Snapshot {
    fn take(app: &TestApp) -> Snapshot {
        let read = |f: &str| std::fs::read(app.data.join(f)).unwrap_or_default();
        Snapshot {
            db: read("minsheng.db"),
            wal: read("minsheng.db-wal"),
            shm: read("minsheng.db-shm"),
        }
    }

    fn contains(&self, needle: &[u8]) -> bool {
        [&self.db, &self.wal, &self.shm]
            .iter()
            .any(|b| memchr::memmem::find(b, needle).is_some())
    }

    fn page_size(&self) -> usize {
        match u16::from_be_bytes([self.db[16], self.db[17]]) {
            1 => 65536,
            n => n as usize,
        }
    }

    /// The newest image of page `no`: the last WAL frame for it (the WAL is
    /// read as an attacker would, valid or not), else the file's.
    fn page(&self, no: u32) -> Vec<u8> {
        let size = self.page_size();
        let mut found = None;
        let mut at = 32;
        while at + 24 + size <= self.wal.len() {
            let n = u32::from_be_bytes(self.wal[at..at + 4].try_into().unwrap());
            if n == no {
                found = Some(self.wal[at + 24..at + 24 + size].to_vec());
            }
            at += 24 + size;
        }
        found.unwrap_or_else(|| {
            let start = (no as usize - 1) * size;
            self.db
                .get(start..start + size)
                .unwrap_or_default()
                .to_vec()
        })
    }
}

fn varint(b: &[u8], mut at: usize) -> (u64, usize) {
    let mut v = 0u64;
    for i in 0..9 {
        let x = b[at];
        at += 1;
        if i == 8 {
            return ((v << 8) | x as u64, at);
        }
        v = (v << 7) | (x & 0x7f) as u64;
        if x & 0x80 == 0 {
            break;
        }
    }
    (v, at)
}

/// The cells of a one-page WITHOUT ROWID table (an index b-tree leaf):
/// (offset in the page, the record's second column) — here, deputy_id.
fn cells(page: &[u8], header_at: usize) -> Vec<(usize, i64)> {
    if page.get(header_at) != Some(&0x0a) {
        return vec![]; // not (yet) a leaf of this table
    }
    let count = u16::from_be_bytes([page[header_at + 3], page[header_at + 4]]) as usize;
    (0..count)
        .map(|i| {
            let p = header_at + 8 + 2 * i;
            let off = u16::from_be_bytes([page[p], page[p + 1]]) as usize;
            let (_, rec) = varint(page, off); // payload size
            let (hsize, mut t) = varint(page, rec);
            let mut types = vec![];
            while t < rec + hsize as usize {
                let (st, n) = varint(page, t);
                types.push(st);
                t = n;
            }
            // Serial types 1..6 are big-endian integers of 1,2,3,4,6,8 bytes; 8/9 are 0/1.
            let width = |st: u64| {
                [0, 1, 2, 3, 4, 6, 8, 8, 0, 0]
                    .get(st as usize)
                    .copied()
                    .unwrap_or(0)
            };
            let mut at = rec + hsize as usize;
            at += width(types[0]);
            let w = width(types[1]);
            let mut v: i64 = 0;
            for k in 0..w {
                v = (v << 8) | page[at + k] as i64;
            }
            let v = match types[1] {
                8 => 0,
                9 => 1,
                _ => v,
            };
            (off, v)
        })
        .collect()
}

/// The order in which the cells were written, as their layout betrays it:
/// SQLite fills a page's content area from the end, so later is lower.
fn layout_order(snapshot: &Snapshot, root: u32) -> Vec<i64> {
    let page = snapshot.page(root);
    let header_at = if root == 1 { 100 } else { 0 };
    let mut c = cells(&page, header_at);
    c.sort_by_key(|x| std::cmp::Reverse(x.0));
    c.into_iter().map(|(_, d)| d).collect()
}

/// A fixed shuffle (the test must not be flaky): 0..n by a multiplier.
fn shuffle(n: usize, k: usize) -> Vec<usize> {
    (0..n).map(|i| (i * k + 7) % n).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_of_the_disk_after_every_event_link_no_deputy_to_a_ballot() {
    const N: usize = 30;
    let app = TestApp::spawn().await;
    let staff = app.login().await;
    let id = open_round(&staff, N).await;
    let codes = codes(&staff).await;
    let (_, deps) = staff.get("/api/deputies").await;
    let deputy_id = |number: &str| -> i64 {
        deps["deputies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["number"] == number)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let root: u32 = rusqlite::Connection::open(app.data.join("minsheng.db"))
        .unwrap()
        .query_row(
            "SELECT rootpage FROM sqlite_schema WHERE name = 'ballots_issued'",
            [],
            |r| r.get(0),
        )
        .unwrap();

    // The hall: every deputy checks in and takes a ballot, in one order
    // (a copy of the disk after each step)...
    let issue_order = shuffle(N, 7);
    let mut tablets = vec![];
    let mut before_vote: Vec<Snapshot> = vec![];
    for &i in &issue_order {
        let (number, code) = &codes[i];
        let c = TestApp::client();
        let (s, _) = call(
            &c,
            "POST",
            format!("{}/api/tablet/checkin", app.base),
            "",
            Some(json!({"number": number, "code": code})),
        )
        .await;
        assert_eq!(s, 200);
        before_vote.push(Snapshot::take(&app));
        let (_, st) = call(
            &c,
            "GET",
            format!("{}/api/tablet/state", app.base),
            "",
            None,
        )
        .await;
        let req = blind_for(&st["round"]);
        let (s, b) = call(
            &c,
            "POST",
            format!("{}/api/tablet/ballot", app.base),
            "",
            Some(json!({"blinded": req.blinded_hex()})),
        )
        .await;
        assert_eq!(s, 200, "{b}");
        before_vote.push(Snapshot::take(&app));
        tablets.push((i, req.credential, finish(&req, &b)));
    }
    // The layout attack works on a mid-vote copy: it gives the order of issue.
    let mid = before_vote.last().unwrap();
    let issued_ids: Vec<i64> = issue_order
        .iter()
        .map(|&i| deputy_id(&codes[i].0))
        .collect();
    assert_eq!(
        layout_order(mid, root),
        issued_ids,
        "the attack is real: a copy taken while voting shows the order of issue"
    );

    // ...and votes in another.
    let vote_order = shuffle(N, 11);
    let anon = reqwest::Client::new();
    let mut log: Vec<usize> = vec![]; // deputy index of each entry, in log order
    let mut after_vote: Vec<Snapshot> = vec![];
    for &k in &vote_order {
        let (i, credential, signature) = &tablets[k];
        let p = i % 5 + 1;
        let (s, j) = call(
            &anon,
            "POST",
            format!("{}/api/ballots", app.base),
            "",
            Some(json!({"round_id": id, "credential": credential.to_hex(),
                        "signature": signature, "marks": {format!("P{p:02}"): "for"}})),
        )
        .await;
        assert_eq!(s, 200, "{j}");
        log.push(*i);
        after_vote.push(Snapshot::take(&app));
    }

    // 1. Blind issuance: no copy taken before a deputy's ballot arrived holds
    //    that deputy's credential or signature, in any form.
    for (idx, (i, credential, signature)) in tablets.iter().enumerate() {
        let voted_at = log.iter().position(|x| x == i).unwrap();
        let forms: [Vec<u8>; 3] = [
            credential.0.to_vec(),
            credential.to_hex().into_bytes(),
            signature.as_bytes().to_vec(),
        ];
        for s in before_vote.iter().chain(after_vote.iter().take(voted_at)) {
            for f in &forms {
                assert!(
                    !s.contains(f),
                    "deputy {idx}'s credential on disk before their ballot"
                );
            }
        }
    }

    // 2. Matching by order: pair the k-th deputy issued with the k-th entry
    //    (the best an attacker has, when everyone held a ballot before
    //    anyone voted). It does no better than chance (about 1 of 30).
    let right = issue_order.iter().zip(&log).filter(|(a, b)| a == b).count();
    assert!(right <= 3, "issue order ↔ log order matched {right} of {N}");
    // Nor does pairing each entry with the deputy issued just before the
    // copy in which it first appears (all were issued before any vote).
    let firsts: Vec<usize> = log.iter().map(|_| *issue_order.last().unwrap()).collect();
    let right = firsts.iter().zip(&log).filter(|(a, b)| a == b).count();
    assert!(right <= 1, "{right}");

    // 3. After close: the layout gives the key order only; the blinded
    //    messages' hashes and the check-in sessions are gone; the WAL is empty.
    let blinded: Vec<String> = {
        let db = rusqlite::Connection::open(app.data.join("minsheng.db")).unwrap();
        let mut st = db.prepare("SELECT blinded FROM ballots_issued").unwrap();
        st.query_map([], |r| r.get::<_, Option<String>>(0))
            .unwrap()
            .filter_map(|r| r.unwrap())
            .collect()
    };
    assert_eq!(blinded.len(), N, "kept while open, for retries");
    let (s, j) = staff
        .post(&format!("/api/rounds/{id}/close"), json!({}))
        .await;
    assert_eq!(s, 200, "{j}");
    let closed = Snapshot::take(&app);
    let mut sorted = issued_ids.clone();
    sorted.sort();
    assert_eq!(
        layout_order(&closed, root),
        sorted,
        "after close: key order, not the order of issue"
    );
    assert!(
        closed.wal.len() <= 32,
        "the WAL is truncated at close ({} bytes)",
        closed.wal.len()
    );
    for h in &blinded {
        assert!(
            !closed.contains(h.as_bytes()),
            "a blinded hash outlives the round"
        );
    }
    let sessions: i64 = rusqlite::Connection::open(app.data.join("minsheng.db"))
        .unwrap()
        .query_row("SELECT COUNT(*) FROM tablet_sessions", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sessions, 0);
}
