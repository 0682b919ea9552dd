#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench: a panic is a failed run
//! A full hall under load: `minsheng serve` as its own process (so its
//! memory is its own), a round with 3,000 deputies, every tablet checked in
//! and holding its ballot, then all 3,000 ballots submitted over 3,000 open
//! connections — first all in the same instant, then (a fresh server, the
//! same hall) at 2,000 ballots a second. Prints for each the throughput,
//! the latency of a durable submission (p50/p99/max), the CPU spent per
//! ballot and the server's peak RSS; then `openssl speed`'s RSA rate, to
//! say how fast this machine is running.
//!
//!     cargo bench --bench hall_load            # 3,000 deputies
//!     cargo bench --bench hall_load -- 500     # another size
//!
//! Targets on a 2-core machine: ≥ 2,000 ballots/s, p99 < 250 ms at that
//! rate, RSS < 100 MB, with `synchronous=FULL` (the server's only mode). In
//! the instant burst the last receipt waits for all the others: its p99 is
//! the burst's whole duration, printed as the worst case.

use minsheng::core::issuing::{BlindRequest, IssuingKey};
use minsheng::core::record::ElectionId;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;
use common::{answer, Server};

/// CPU seconds (user + system) a process has used so far, from /proc.
fn cpu_secs(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name (which may hold spaces) in parentheses.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|w| w.parse().unwrap_or(0.0))
        .collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 here; in ticks of 1/100 s.
    (f.get(11).copied().unwrap_or(0.0) + f.get(12).copied().unwrap_or(0.0)) / 100.0
}

/// One HTTP/1.1 request on a kept-alive connection, written and read by
/// hand: a load generator light enough not to starve the server it shares
/// two cores with. Returns the status and the body.
async fn http_call(
    conn: &mut tokio::net::TcpStream,
    method: &str,
    path: &str,
    body: &[u8],
) -> (u16, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: hall\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    conn.write_all(&req).await.unwrap();
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        let k = conn.read(&mut chunk).await.unwrap();
        assert!(k > 0, "connection closed");
        buf.extend_from_slice(&chunk[..k]);
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
        let status: u16 = head[9..12].parse().unwrap();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map(|v| v.trim().parse().unwrap())
            .unwrap_or(0);
        while buf.len() < end + 4 + len {
            let k = conn.read(&mut chunk).await.unwrap();
            assert!(k > 0, "connection closed");
            buf.extend_from_slice(&chunk[..k]);
        }
        return (status, buf[end + 4..end + 4 + len].to_vec());
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// The rate the hall is held to: ballots a second, offered.
const TARGET_RATE: f64 = 2000.0;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(3000);
    // Twice, each on a fresh server: every ballot sent in the same instant
    // (the worst a hall can do), then the same hall at the target rate, each
    // tablet sending at its moment whatever came before (open loop; a
    // ballot's latency counts from its moment, so a late sender cannot hide
    // a slow server).
    hall(n, None).await;
    println!();
    hall(n, Some(TARGET_RATE)).await;
    if let Some(rate) = common::openssl::openssl_rsa2048_verify_rate() {
        println!(
            "this machine now: openssl speed rsa2048 verifies {rate:.0}/s on one core (a quiet one of this kind: ~45,000)"
        );
    }
    println!("targets: ≥ {TARGET_RATE:.0} ballots/s, p99 < 250 ms at that rate, RSS < 100 MB");
}

/// One hall of `n` deputies: check-in, issuance, then every ballot at once
/// (`pace` None) or at `pace` ballots a second.
async fn hall(n: usize, pace: Option<f64>) {
    match pace {
        None => println!("hall_load: {n} deputies, every ballot in the same instant"),
        Some(r) => println!("hall_load: {n} deputies, ballots sent at {r:.0} a second"),
    }
    let server = Server::start("hall_load").await;
    let base = server.base.clone();
    let port = base.rsplit(':').next().unwrap().to_string();
    let http = reqwest::Client::builder().build().unwrap();
    // Staff: roster, round, open.
    let (staff, csrf) = server.login("mishu").await;
    let mut roster = String::from("编号,姓名,代表团,座位\n");
    for i in 1..=n {
        roster.push_str(&format!("{i:05},代表{i},第{}代表团,{i}\n", i % 12 + 1));
    }
    let r = staff
        .post(format!("{base}/api/deputies/import"))
        .header("X-CSRF-Token", &csrf)
        .body(roster)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let candidates: Vec<Value> = (1..=12)
        .map(|i| json!({"id": format!("P{i:02}"), "name": format!("民生项目{i}"), "lead_unit": "区住建局",
                        "investment_yuan": 1_000_000 * i, "deadline": "2027-12-31", "summary": "负载测试"}))
        .collect();
    let draft = json!({"title": "负载测试", "assembly": "测试大会", "candidates": candidates,
        "rules": {"seats": 10, "max_for": 10, "marks": ["for","against","abstain"], "threshold_base": "total_deputies", "shortfall": "accept"}});
    let round: Value = answer(
        staff
            .post(format!("{base}/api/rounds"))
            .header("X-CSRF-Token", &csrf)
            .json(&draft),
    )
    .await;
    let round_id = round["id"].as_i64().unwrap();
    let codes = answer(staff.get(format!("{base}/api/deputies/codes"))).await;
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

    // Every tablet checks in (not timed: the morning's work).
    println!(
        "server peak RSS after login, roster: {:.1} MB",
        server.peak_rss_mb()
    );
    let setup = Instant::now();
    let gate = Arc::new(tokio::sync::Semaphore::new(32));
    let mut tasks = vec![];
    for (number, code) in codes {
        let (http, base, gate) = (http.clone(), base.clone(), gate.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.unwrap();
            let r = http
                .post(format!("{base}/api/tablet/checkin"))
                .json(&json!({"number": number, "code": code}))
                .send()
                .await
                .unwrap();
            r.headers()
                .get("set-cookie")
                .unwrap()
                .to_str()
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .to_string()
        }));
    }
    let mut cookies = Vec::with_capacity(n);
    for t in tasks {
        cookies.push(t.await.unwrap());
    }
    println!(
        "setup: {n} check-ins in {:.1} s",
        setup.elapsed().as_secs_f64()
    );

    // The round opens (a new issuing key) and every tablet blinds its own
    // credential and has it signed: the hall holding its ballots.
    let opening = Instant::now();
    let r = staff
        .post(format!("{base}/api/rounds/{round_id}/open"))
        .header("X-CSRF-Token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let opened = opening.elapsed();
    let state = answer(http.get(format!("{base}/api/tablet/state"))).await;
    let key: IssuingKey = serde_json::from_value(state["round"]["issuing_key"].clone()).unwrap();
    let arithmetic = key.verifier().map_or("?", |v| v.arithmetic());
    let eid = ElectionId::parse(state["round"]["election_id"].as_str().unwrap()).unwrap();
    // Each tablet blinds its credential on its own CPU; here all 3,000 share
    // this machine's cores with the server, so that work is done first and
    // timed apart (one tablet's share is what a deputy waits for).
    let blinding = Instant::now();
    let mut reqs = Vec::with_capacity(n);
    let mut jobs = vec![];
    let per = n.div_ceil(cores()).max(1);
    for part in (0..n).collect::<Vec<_>>().chunks(per) {
        let (key, count) = (key.clone(), part.len());
        jobs.push(tokio::task::spawn_blocking(move || {
            (0..count)
                .map(|_| BlindRequest::new(&key, &eid, 1).unwrap())
                .collect::<Vec<_>>()
        }));
    }
    for j in jobs {
        reqs.extend(j.await.unwrap());
    }
    let blind_all = blinding.elapsed();
    let one_tablet = blind_all.mul_f64(cores() as f64 / n as f64);
    // Then every tablet asks at once (64 in flight), and the server signs.
    let asking = Instant::now();
    let gate = Arc::new(tokio::sync::Semaphore::new(64));
    let mut tasks = vec![];
    for (cookie, req) in cookies.into_iter().zip(reqs) {
        let (http, base, gate) = (http.clone(), base.clone(), gate.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.unwrap();
            let b: Value = answer(
                http.post(format!("{base}/api/tablet/ballot"))
                    .header("cookie", cookie)
                    .json(&json!({"blinded": req.blinded_hex()})),
            )
            .await;
            let blind = hex::decode(b["blind_signature"].as_str().unwrap()).unwrap();
            (req, blind)
        }));
    }
    let mut signed = Vec::with_capacity(n);
    for t in tasks {
        signed.push(t.await.unwrap());
    }
    let served = asking.elapsed();
    let credentials: Vec<(String, String)> = signed
        .into_iter()
        .map(|(req, blind)| {
            (
                req.credential.to_hex(),
                req.finish(&blind).unwrap().to_hex(),
            )
        })
        .collect();
    let holding = opened + one_tablet + served;
    println!(
        "issuance: round opened (issuing key made) in {:.2} s; one tablet's blinding {:.0} ms (all {n} here on {} cores: {:.2} s); the server signed all {n} in {:.2} s",
        opened.as_secs_f64(),
        one_tablet.as_secs_f64() * 1e3,
        cores(),
        blind_all.as_secs_f64(),
        served.as_secs_f64()
    );
    println!(
        "every tablet holding a blindly signed ballot {:.2} s after opening began (target <= 5 s) (server peak RSS so far {:.1} MB)",
        holding.as_secs_f64(),
        server.peak_rss_mb()
    );

    // 3,000 connections, each opened and warm, then every ballot at once
    // or each at its moment.
    let addr = format!("127.0.0.1:{port}");
    let warm = Arc::new(tokio::sync::Barrier::new(n + 1));
    let barrier = Arc::new(tokio::sync::Barrier::new(n + 1));
    let go: Arc<std::sync::OnceLock<tokio::time::Instant>> = Arc::default();
    let mut tasks = vec![];
    for (i, (credential, signature)) in credentials.into_iter().enumerate() {
        let (addr, warm, barrier, go) = (addr.clone(), warm.clone(), barrier.clone(), go.clone());
        tasks.push(tokio::spawn(async move {
            // One connection per tablet, kept alive: the tablet page polls
            // its state on it, then sends the ballot on it.
            let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
            conn.set_nodelay(true).unwrap();
            let (status, _) = http_call(&mut conn, "GET", "/api/tablet/state", b"").await;
            assert_eq!(status, 200);
            let marks: serde_json::Map<String, Value> = (1..=12)
                .map(|p| {
                    let m = match (i + p) % 3 {
                        0 => "for",
                        1 => "against",
                        _ => "abstain",
                    };
                    (format!("P{p:02}"), json!(m))
                })
                .collect();
            let body = serde_json::to_vec(
                &json!({"round_id": round_id, "credential": credential, "signature": signature, "marks": marks}),
            )
            .unwrap();
            warm.wait().await;
            barrier.wait().await;
            let t = match (pace, go.get()) {
                (Some(rate), Some(&start)) => {
                    let moment = start + Duration::from_secs_f64(i as f64 / rate);
                    tokio::time::sleep_until(moment).await;
                    moment.into_std()
                }
                _ => Instant::now(),
            };
            let (status, _) = http_call(&mut conn, "POST", "/api/ballots", &body).await;
            let ok = status == 200;
            // The tablet stays connected (it goes on polling): the
            // connection is closed after the burst, not inside it.
            (t.elapsed(), ok, conn)
        }));
    }
    warm.wait().await;
    println!(
        "{n} connections open and warm: server peak RSS {:.1} MB",
        server.peak_rss_mb()
    );
    let pid = server.child.id().to_string();
    let (server_cpu, own_cpu) = (cpu_secs(&pid), cpu_secs("self"));
    let _ = go.set(tokio::time::Instant::now());
    barrier.wait().await;
    let start = Instant::now();
    let mut latencies = Vec::with_capacity(n);
    let mut failed = 0;
    let mut open = Vec::with_capacity(n);
    for t in tasks {
        let (d, ok, conn) = t.await.unwrap();
        latencies.push(d);
        failed += usize::from(!ok);
        open.push(conn);
    }
    let wall = start.elapsed();
    let (server_cpu, own_cpu) = (cpu_secs(&pid) - server_cpu, cpu_secs("self") - own_cpu);
    drop(open);
    latencies.sort();

    let counts: Value = answer(staff.get(format!("{base}/api/rounds/{round_id}/counts"))).await;
    assert_eq!(failed, 0, "every ballot gets a receipt");
    assert_eq!(counts["returned"].as_u64(), Some(n as u64));
    println!(
        "submit: {n} ballots over {n} concurrent connections {} in {:.3} s = {:.0} ballots/s (synchronous=FULL)",
        pace.map_or("at once".to_string(), |r| format!("at {r:.0}/s")),
        wall.as_secs_f64(),
        n as f64 / wall.as_secs_f64()
    );
    println!(
        "latency of a durable submission: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.99)),
        ms(*latencies.last().unwrap())
    );
    println!(
        "CPU while voting: server {:.0} µs a ballot, this load generator {:.0} µs a ballot ({:.2} s of {:.2} s × {} cores)",
        server_cpu * 1e6 / n as f64,
        own_cpu * 1e6 / n as f64,
        server_cpu + own_cpu,
        wall.as_secs_f64(),
        cores()
    );
    println!("server peak RSS: {:.1} MB", server.peak_rss_mb());
    println!(
        "the server's RSA check of a ballot: {} arithmetic",
        arithmetic
    );
}
