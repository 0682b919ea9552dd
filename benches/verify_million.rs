#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test
//! `cargo bench --bench verify_million`: writes a 1,000,000-ballot bundle
//! (12 candidates, about 490 MB) and times `minsheng verify` on it next to
//! `openssl dgst -sha256` of the same file — the floor: reading and hashing
//! the bytes once with the CPU's SHA instructions. Prints both, the ratio,
//! entries/s and peak memory. Targets: within 3x of the floor, under 128 MB.
//!
//! MINSHENG_BENCH_BALLOTS=N changes the size; the bundle is kept in
//! target/bench-data and reused while its size matches.
//!
//! Then tally-record-v2: a 100,000-ballot bundle (MINSHENG_BENCH_V2_BALLOTS)
//! whose tablet ballots each carry an RSA-2048 issuer signature, timed next
//! to `openssl speed rsa2048`'s verification rate on the same machine. The
//! floor is the signatures alone, verified by openssl on every core:
//! tablet ballots ÷ (openssl verify/s × cores). Goal: within 1.5x of it.

use minsheng::sample::{write_sample, SampleSpec};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

#[path = "common/openssl.rs"]
mod openssl;
use openssl::openssl_rsa2048_verify_rate;

/// Runs a command under python3's `resource` module, which reports the
/// child's own wall time and peak RSS exactly (no sampling).
fn measure(cmd: &[&str]) -> (f64, u64) {
    let script = "import resource,subprocess,sys,time\n\
                  t=time.perf_counter()\n\
                  r=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL)\n\
                  e=time.perf_counter()-t\n\
                  print(e, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode)";
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(cmd)
        .output()
        .expect("python3 runs the timer");
    let text = String::from_utf8_lossy(&out.stdout);
    let f: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(
        f.get(2),
        Some(&"0"),
        "{cmd:?} failed: {text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (f[0].parse().expect("seconds"), f[1].parse().expect("KiB"))
}

/// The bundle at `path` and its tally hash, written once (kept in
/// target/bench-data and reused while it is there).
fn cached_bundle(path: &Path, spec: &dyn Fn() -> SampleSpec) -> String {
    let hash_path = path.with_extension("tally");
    if let (Ok(h), Ok(_)) = (std::fs::read_to_string(&hash_path), std::fs::metadata(path)) {
        return h.trim().to_string();
    }
    let spec = spec();
    println!("writing {} ({} ballots) ...", path.display(), spec.ballots);
    let t = std::time::Instant::now();
    let f = std::fs::File::create(path).expect("create bundle");
    let out = write_sample(&spec, f).expect("write bundle");
    std::fs::write(&hash_path, out.tally_hash.to_hex()).expect("write tally hash");
    println!(
        "  {} bytes in {:.1} s",
        out.bytes,
        t.elapsed().as_secs_f64()
    );
    out.tally_hash.to_hex()
}

fn best_of(n: usize, cmd: &[&str]) -> (f64, u64) {
    (0..n)
        .map(|_| measure(cmd))
        .fold((f64::MAX, 0), |(t, m), (t2, m2)| (t.min(t2), m.max(m2)))
}

fn main() {
    let ballots: u64 = std::env::var("MINSHENG_BENCH_BALLOTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).expect("bench data dir");
    let path: PathBuf = dir.join(format!("sample-{ballots}.jsonl"));
    let spec = SampleSpec {
        ballots,
        candidates: 12,
        seats: 10,
        ..SampleSpec::default()
    };
    let expected = cached_bundle(&path, &|| spec.clone());
    let bytes = std::fs::metadata(&path).expect("bundle").len();
    let file = path.to_str().expect("utf-8 path");
    // Warm the page cache so both commands read from memory.
    let _ = std::fs::read(&path).map(|b| b.len());

    let bin = env!("CARGO_BIN_EXE_minsheng");
    let (floor, floor_kib) = best_of(3, &["openssl", "dgst", "-sha256", file]);
    let (verify, verify_kib) = best_of(
        3,
        &[bin, "verify", "--quiet", "--tally-hash", &expected, file],
    );
    let mb = bytes as f64 / 1e6;
    println!("bundle            {ballots} ballots, 12 candidates, {mb:.0} MB");
    println!(
        "machine           {} cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    println!(
        "openssl sha256    {floor:.3} s  ({:.0} MB/s, peak {} MB)",
        mb / floor,
        floor_kib / 1024
    );
    println!(
        "minsheng verify   {verify:.3} s  ({:.0} MB/s, peak {} MB)",
        mb / verify,
        verify_kib / 1024
    );
    println!(
        "ratio             {:.2}x the floor (target <= 3x)",
        verify / floor
    );
    println!("entries/s         {:.0}", ballots as f64 / verify);
    println!(
        "peak memory       {:.1} MB (target < 128 MB)",
        verify_kib as f64 / 1024.0
    );
    v2(&dir, bin);
}

/// The v2 part: RSA-PSS issuer signatures on every tablet ballot.
fn v2(dir: &Path, bin: &str) {
    let ballots: u64 = std::env::var("MINSHENG_BENCH_V2_BALLOTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let path = dir.join(format!("sample-v2-{ballots}.jsonl"));
    let expected = cached_bundle(&path, &|| {
        let key = minsheng::keys::IssuingSecret::generate(2048).expect("issuing key");
        SampleSpec {
            ballots,
            candidates: 12,
            seats: 10,
            issuing: Some(Arc::new(key)),
            ..SampleSpec::default()
        }
    });
    let file = path.to_str().expect("utf-8 path");
    let _ = std::fs::read(&path).map(|b| b.len());
    let tablets = ballots - ballots / 10; // every 10th ballot is on paper
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // openssl's own RSA-2048 verification rate, one core.
    let rate = openssl_rsa2048_verify_rate().expect("openssl speed prints sign/s and verify/s");
    let floor = tablets as f64 / (rate * cores as f64);
    let (verify, kib) = best_of(
        3,
        &[bin, "verify", "--quiet", "--tally-hash", &expected, file],
    );
    println!("v2 bundle         {ballots} ballots ({tablets} tablet ballots with an RSA-2048 issuer signature)");
    println!("openssl verify    {rate:.0} RSA-2048 verifications/s on one core ({cores} cores)");
    let arithmetic = minsheng::keys::IssuingSecret::generate(2048)
        .ok()
        .and_then(|k| k.public_key().verifier().ok())
        .map_or("?", |v| v.arithmetic());
    println!("our RSA check     {arithmetic} arithmetic on this CPU");
    println!("floor             {floor:.3} s  (tablet signatures ÷ openssl's rate × cores)");
    println!("minsheng verify   {verify:.3} s  (peak {} MB)", kib / 1024);
    println!(
        "v2 ratio          {:.2}x the floor (goal <= 1.5x)",
        verify / floor
    );
}
