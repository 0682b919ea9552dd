//! Runs both verifiers on a bundle file and reduces what they print to an
//! outcome that can be compared: the tally hash, or the failing line.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Verified(String),
    Failed { line: u64, field: String },
}

pub fn minsheng() -> Command {
    Command::new(env!("CARGO_BIN_EXE_minsheng"))
}

pub fn rust_verify(path: &Path, extra: &[&str]) -> Outcome {
    let out = minsheng()
        .arg("verify")
        .arg(path)
        .args(extra)
        .output()
        .expect("run minsheng verify");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.success() {
        let hash = stdout
            .lines()
            .rev()
            .find_map(|l| l.trim().strip_prefix("tally hash 计票结果哈希: "))
            .unwrap_or_else(|| panic!("no tally hash in {stdout}"));
        assert!(stdout.contains("VERIFIED"), "{stdout}");
        return Outcome::Verified(hash.to_string());
    }
    assert_eq!(
        out.status.code(),
        Some(1),
        "minsheng verify: {stdout}{stderr}"
    );
    // FAIL <path>:<line>: <field>: <message>
    let fail = stderr
        .lines()
        .find(|l| l.starts_with("FAIL "))
        .unwrap_or_else(|| panic!("no FAIL in {stderr}"));
    let rest = &fail[5 + path.display().to_string().len() + 1..];
    let (line, rest) = rest.split_once(": ").unwrap();
    let field = rest.split(": ").next().unwrap_or_default();
    Outcome::Failed {
        line: line.parse().unwrap(),
        field: field.to_string(),
    }
}

pub fn python_verify(path: &Path, extra: &[&str]) -> Outcome {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tools/verify_bundle.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(path)
        .args(extra)
        .output()
        .expect("python3 is needed for the independent verifier's tests");
    let stdout = String::from_utf8_lossy(&out.stdout);
    if out.status.success() {
        let hash = stdout
            .lines()
            .find_map(|l| l.strip_prefix("tally hash: "))
            .expect("tally hash");
        return Outcome::Verified(hash.to_string());
    }
    let fail = stdout
        .lines()
        .find_map(|l| l.strip_prefix("FAIL line "))
        .unwrap_or_else(|| {
            panic!(
                "python verifier: {stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    let (line, rest) = fail.split_once(": ").unwrap();
    Outcome::Failed {
        line: line.parse().unwrap(),
        field: rest.split(": ").next().unwrap_or_default().to_string(),
    }
}

/// Both verifiers, which must agree on the verdict and, for a failure, the line.
pub fn both(path: &Path) -> Outcome {
    both_with(path, &[])
}

/// Both verifiers with the same extra arguments (`--head`, `--tally-hash`).
pub fn both_with(path: &Path, extra: &[&str]) -> Outcome {
    let r = rust_verify(path, extra);
    let p = python_verify(path, extra);
    match (&r, &p) {
        (Outcome::Verified(a), Outcome::Verified(b)) => assert_eq!(a, b, "{}", path.display()),
        (Outcome::Failed { line: a, .. }, Outcome::Failed { line: b, .. }) => {
            assert_eq!(a, b, "{}: rust {r:?} python {p:?}", path.display())
        }
        _ => panic!(
            "{}: the verifiers disagree: rust {r:?}, python {p:?}",
            path.display()
        ),
    }
    r
}

/// Both verifiers over a chain of bundles, in order: both must pass.
pub fn both_pass_chain(paths: &[&Path]) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tools/verify_bundle.py");
    for mut cmd in [minsheng(), Command::new("python3")] {
        if cmd.get_program() == "python3" {
            cmd.arg(script);
        } else {
            cmd.arg("verify");
        }
        let out = cmd.args(paths).output().expect("run a verifier");
        assert!(
            out.status.success(),
            "{:?}: {}{}",
            cmd.get_program(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
