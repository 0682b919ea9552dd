#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test
//! The fuzz targets (`fuzz/`), run briefly on every `cargo test`:
//!
//! 1. every input of the committed corpora through its target, and ten
//!    thousand seeded mutations of them (bit flips, cut and repeated
//!    spans, splices, JSON and QR tokens) — in-process, no tools needed;
//! 2. libFuzzer itself, each target for a few seconds over its corpus
//!    (`cargo fuzz`, which `.ci/run` installs; without it this test fails
//!    and says how to install it, and `MINSHENG_SKIP_FUZZ=1` skips it
//!    knowingly).
//!
//! The ten-minute runs are documented in the README ("Fuzzing").
//! `MINSHENG_FUZZ_ITERS` sets the mutations per target (default 10,000),
//! `MINSHENG_SEED` replays a run.

#[path = "../fuzz/bodies.rs"]
mod bodies;
mod common;

use common::rng::Rng;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// A target's committed corpus, in name order.
fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = fuzz_dir().join("corpus").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

/// Bytes that mean something to our parsers.
const TOKENS: &[&[u8]] = &[
    b"\"",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"\n",
    b"\r\n",
    b"\\",
    b"\\u0000",
    b"\\ud800",
    b"null",
    b"true",
    b"-1",
    b"0",
    b"1e999",
    b"18446744073709551616",
    b"-9223372036854775809",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xe4\xb8\x80",
    b"|",
    b"MSV1|",
    b"-",
    b"\t",
    b"\"for\"",
    b"\"against\"",
    b"\"abstain\"",
    b"PK\x03\x04",
    b"=",
    b"\"seq\":",
    b"\"prev\":",
];

fn mutate(rng: &mut Rng, input: &[u8], others: &[(PathBuf, Vec<u8>)]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..1 + rng.below(6) {
        let at = rng.below(v.len() + 1);
        match rng.below(7) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = rng.next() as u8;
            }
            2 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                v.splice(at..at, t.iter().copied());
            }
            3 if at < v.len() => {
                let end = (at + 1 + rng.below(64)).min(v.len());
                v.drain(at..end);
            }
            4 if at < v.len() => {
                let end = (at + 1 + rng.below(64)).min(v.len());
                let span = v[at..end].to_vec();
                v.splice(at..at, span);
            }
            5 if !others.is_empty() => {
                let o = &others[rng.below(others.len())].1;
                let from = rng.below(o.len() + 1);
                let end = (from + rng.below(256)).min(o.len());
                v.splice(at..at, o[from..end].iter().copied());
            }
            _ => v.truncate(at),
        }
    }
    v
}

/// Runs one input; on a panic, keeps the input and fails naming it.
fn run_one(target: &str, run: fn(&[u8]), input: &[u8], what: &str) {
    if std::panic::catch_unwind(|| run(input)).is_err() {
        let kept = std::env::temp_dir().join(format!("minsheng-fuzz-{target}-crash"));
        std::fs::write(&kept, input).unwrap();
        panic!(
            "fuzz target {target} panicked on {what}; the input is kept in {}",
            kept.display()
        );
    }
}

#[test]
fn every_corpus_input_and_thousands_of_mutations_pass_every_target() {
    let iters: usize = std::env::var("MINSHENG_FUZZ_ITERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000);
    let seed = Rng::seed();
    eprintln!("fuzz smoke: {iters} mutations per target, MINSHENG_SEED={seed}");
    for (n, (target, run)) in bodies::TARGETS.into_iter().enumerate() {
        let inputs = corpus(target);
        assert!(
            inputs.len() >= 10,
            "{target}: the committed corpus is missing"
        );
        for (path, bytes) in &inputs {
            run_one(target, run, bytes, &path.display().to_string());
        }
        // Each target its own stream from the one seed.
        let mut rng = Rng(seed.wrapping_mul(n as u64 + 1) | 1);
        for i in 0..iters {
            let base = &inputs[rng.below(inputs.len())].1;
            let m = mutate(&mut rng, base, &inputs);
            run_one(
                target,
                run,
                &m,
                &format!("mutation {i} (MINSHENG_SEED={seed})"),
            );
        }
        eprintln!(
            "  {target}: {} corpus inputs, {iters} mutations",
            inputs.len()
        );
    }
}

/// `-max_total_time` for each target's libFuzzer run here.
const LIBFUZZER_SECONDS: u32 = 8;

#[test]
fn libfuzzer_runs_every_target_over_its_corpus() {
    if std::env::var_os("MINSHENG_SKIP_FUZZ").is_some() {
        eprintln!("SKIPPED: libFuzzer smoke run (MINSHENG_SKIP_FUZZ is set)");
        return;
    }
    // `cargo` as the shell finds it (not `$CARGO`, the toolchain's own):
    // the fuzz build is then the one `cargo fuzz run` by hand reuses.
    let cargo = "cargo";
    let has_fuzz = Command::new(cargo)
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        has_fuzz,
        "cargo-fuzz is not installed: `cargo install cargo-fuzz --locked` \
         (as .ci/run does), or set MINSHENG_SKIP_FUZZ=1 to skip this knowingly"
    );
    // The stable toolchain builds it with RUSTC_BOOTSTRAP; `-s none`: Rust's
    // own checks stand in for a sanitizer.
    // Without what `cargo test` sets for its tests (CARGO_PKG_*, CARGO_MANIFEST_DIR,
    // …), so the fuzz build is the one `cargo fuzz run` from a shell makes and reuses.
    let from_cargo_test: Vec<String> = std::env::vars()
        .map(|(k, _)| k)
        .filter(|k| {
            const SET_FOR_TESTS: [&str; 8] = [
                "CARGO_PKG_",
                "CARGO_MANIFEST_",
                "CARGO_CRATE_",
                "CARGO_BIN_",
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_TARGET_TMPDIR",
                "CARGO_RUSTC_CURRENT_DIR",
                "OUT_DIR",
            ];
            k == "CARGO" || SET_FOR_TESTS.iter().any(|p| k.starts_with(p))
        })
        .collect();
    let fuzz = |args: &[&std::ffi::OsStr]| {
        let mut c = Command::new(cargo);
        for k in &from_cargo_test {
            c.env_remove(k);
        }
        c.current_dir(fuzz_dir())
            .env("RUSTC_BOOTSTRAP", "1")
            .arg("fuzz")
            .args(args)
            .output()
            .unwrap()
    };
    let built = fuzz(&["build".as_ref(), "-s".as_ref(), "none".as_ref()]);
    assert!(
        built.status.success(),
        "cargo fuzz build failed:\n{}",
        String::from_utf8_lossy(&built.stderr)
    );
    for (target, _) in bodies::TARGETS {
        let scratch = tempfile::tempdir().unwrap();
        let found = scratch.path().join("new");
        std::fs::create_dir(&found).unwrap();
        let committed = fuzz_dir().join("corpus").join(target);
        let time = format!("-max_total_time={LIBFUZZER_SECONDS}");
        let prefix = format!("-artifact_prefix={}/", scratch.path().display());
        // New inputs go to the scratch dir: the committed corpus is only read.
        let ran = fuzz(&[
            "run".as_ref(),
            "-s".as_ref(),
            "none".as_ref(),
            target.as_ref(),
            found.as_ref(),
            committed.as_ref(),
            "--".as_ref(),
            time.as_ref(),
            prefix.as_ref(),
            "-print_final_stats=1".as_ref(),
        ]);
        let said = String::from_utf8_lossy(&ran.stderr);
        assert!(
            ran.status.success(),
            "libFuzzer found a failure in {target}:\n{}",
            said.lines()
                .rev()
                .take(40)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n")
        );
        let execs = said
            .lines()
            .find_map(|l| l.strip_prefix("stat::number_of_executed_units:"))
            .map(str::trim)
            .unwrap_or("?");
        eprintln!("  libFuzzer {target}: {LIBFUZZER_SECONDS} s, {execs} inputs run, nothing found");
    }
}
