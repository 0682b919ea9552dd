#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench: a panic is a failed run
//! A year's 12345 export through `minsheng serve` as its own process: a
//! 200,000-call CSV uploaded, checked (dry run) and imported, the same calls
//! as XLSX (streamed a cell at a time), the server's peak memory meanwhile,
//! then the suggestion list at that size: the first page, a search and a
//! filter, as the workbench asks for them; then the hot topics.
//!
//!     cargo bench --bench import_year            # 200,000 calls
//!     cargo bench --bench import_year -- 50000   # another size
//!
//! Targets on a 2-core machine: server RSS < 150 MB during the import; the
//! list's first page < 200 ms at 100,000 and more.

use std::time::{Duration, Instant};

mod common;
use common::{answer, Server};

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(200_000);
    let server = Server::start("import_year").await;
    let base = server.base.clone();
    let (c, csrf) = server.login("gongzuozu").await;
    let r = c
        .post(format!("{base}/api/upstream/year"))
        .header("X-CSRF-Token", &csrf)
        .json(&serde_json::json!({"year": 2027, "collection_opened": "2026-07-15"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let file = minsheng::sample::hotline_export(0, n);
    println!(
        "export: {n} calls, {:.1} MB CSV; server RSS before: {:.1} MB",
        file.len() as f64 / 1e6,
        server.peak_rss_mb()
    );
    let q = "channel=hotline&ticket=工单编号&time=来电时间&title=诉求标题&text=诉求内容&town=所属街镇&village=所属社区&category=诉求类别&contact=联系电话";
    for dry in [true, false] {
        let t = Instant::now();
        let r: serde_json::Value = c
            .post(format!(
                "{base}/api/upstream/suggestions/import?{q}&dry_run={dry}"
            ))
            .header("X-CSRF-Token", &csrf)
            .body(file.clone())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let s = t.elapsed().as_secs_f64();
        assert_eq!(r["error_count"], 0, "{r}");
        println!(
            "{}: {} rows in {s:.1} s = {:.0} rows/s (imported {}, already there {}); server peak RSS {:.1} MB",
            if dry { "dry run (upload, read, check)" } else { "import (upload, check, write)" },
            r["rows"],
            n as f64 / s,
            r["imported"],
            r["already"],
            server.peak_rss_mb()
        );
    }
    let t = Instant::now();
    let r: serde_json::Value = answer(
        c.post(format!("{base}/api/upstream/suggestions/import?{q}"))
            .header("X-CSRF-Token", &csrf)
            .body(file),
    )
    .await;
    println!(
        "the same export again: {} already there, {} imported, in {:.1} s",
        r["already"],
        r["imported"],
        t.elapsed().as_secs_f64()
    );

    // The same calls as the XLSX the hotline's system also exports: read a
    // cell at a time (a dry run reads and checks every row), then imported
    // (every call already there).
    // Every call's text its own and long, as callers' words are (the
    // shared-strings table then holds every one of them): about 60 MB.
    let xlsx = {
        let csv = minsheng::sample::hotline_export(0, n);
        let (asks, _) = minsheng::sample::hotline_corpus(n, 7);
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut details = |len: usize| -> String {
            (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    char::from_u32(0x4e00 + (seed % 3000) as u32).unwrap_or('的')
                })
                .collect()
        };
        let mut book = rust_xlsxwriter::Workbook::new();
        let ws = book.add_worksheet();
        for (r, line) in String::from_utf8(csv).unwrap().lines().enumerate() {
            for (col, cell) in line.split(',').enumerate() {
                match (r, col) {
                    (1.., 3) => ws.write(
                        r as u32,
                        3,
                        format!("{}（详情：{}）", asks[r - 1].text, details(170)),
                    ),
                    _ => ws.write(r as u32, col as u16, cell),
                }
                .unwrap();
            }
        }
        book.save_to_buffer().unwrap()
    };
    for dry in [true, false] {
        let t = Instant::now();
        let r: serde_json::Value = answer(
            c.post(format!(
                "{base}/api/upstream/suggestions/import?{q}&dry_run={dry}"
            ))
            .header("X-CSRF-Token", &csrf)
            .body(xlsx.clone()),
        )
        .await;
        let s = t.elapsed().as_secs_f64();
        assert_eq!(r["error_count"], 0, "{r}");
        println!(
            "XLSX ({:.1} MB) {}: {} rows in {s:.1} s = {:.0} rows/s (imported {}, already there {}); server peak RSS {:.1} MB",
            xlsx.len() as f64 / 1e6,
            if dry { "dry run" } else { "import" },
            r["rows"],
            n as f64 / s,
            r["imported"],
            r["already"],
            server.peak_rss_mb()
        );
    }

    // The list at this size, as the workbench asks for it (median of 9).
    for (what, query) in [
        ("first page", "page=1&per=100"),
        ("page 500", "page=500&per=100"),
        ("search 路灯 (2 chars, a scan)", "q=%E8%B7%AF%E7%81%AF"),
        (
            "search 暖气不热 (through the index)",
            "q=%E6%9A%96%E6%B0%94%E4%B8%8D%E7%83%AD",
        ),
        (
            "filter town + category",
            "town=%E4%BA%94%E5%BD%93%E5%8F%AC%E9%95%87&category=%E4%BE%9B%E6%B0%B4",
        ),
    ] {
        let mut times: Vec<Duration> = vec![];
        let mut found = serde_json::Value::Null;
        for _ in 0..9 {
            let t = Instant::now();
            let r: serde_json::Value =
                answer(c.get(format!("{base}/api/upstream/suggestions?{query}"))).await;
            times.push(t.elapsed());
            found = r["found"].clone();
        }
        times.sort();
        println!(
            "list at {n}: {what}: {:.0} ms (found {found})",
            times[4].as_secs_f64() * 1000.0
        );
    }
    // 热点难点 over the whole year, as the workbench asks for it.
    let t = Instant::now();
    let r: serde_json::Value = answer(c.get(format!("{base}/api/upstream/hot"))).await;
    println!(
        "hot topics over the {n} imported calls (server): {:.1} s, {} groups; server peak RSS {:.1} MB",
        t.elapsed().as_secs_f64(),
        r["topics"].as_array().map_or(0, Vec::len),
        server.peak_rss_mb()
    );
    // The grouping alone on the scored corpora (known topics, both hands),
    // in this process, as the server calls it (no road list).
    type Corpus = fn(usize, u64) -> (Vec<minsheng::upstream::hot::Ask>, Vec<usize>);
    let hands: [(&str, Corpus); 2] = [
        ("worded", minsheng::sample::hotline_corpus),
        ("composed", minsheng::sample::hotline_corpus_composed),
    ];
    for (hand, corpus) in hands {
        for size in [10_000, 100_000, 200_000] {
            let (asks, _) = corpus(size, 7);
            let t = Instant::now();
            let topics = minsheng::upstream::hot::hot_topics(&asks, &[]);
            println!(
                "hot topics, {hand} corpus of {size} calls: {:.1} s, {} groups",
                t.elapsed().as_secs_f64(),
                topics.len()
            );
        }
    }
    println!("targets: server RSS < 150 MB during the import; first page < 200 ms; 100,000 calls grouped in ≤ 10 s");
}
