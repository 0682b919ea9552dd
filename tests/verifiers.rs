#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test
//! `minsheng verify` and `tools/verify_bundle.py` on the conformance vectors,
//! on bundles the Rust chain and tally code builds, and on every kind of
//! single change to them: they must agree, line for line.

mod common;

use common::verifiers::{both, minsheng, python_verify, rust_verify, Outcome};
use minsheng::core::record::{MarkSet, ThresholdBase};
use minsheng::sample::{write_sample, SampleSpec};
use std::path::{Path, PathBuf};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs/spec/v1/vectors")
        .join(name)
}

const GOOD: &[(&str, &str)] = &[
    (
        "good-basic.jsonl",
        "46d9b42ff48c7a8e21ee72c25e56a9fb923da396fec64c88d84aada28f15337c",
    ),
    (
        "good-tie.jsonl",
        "ca51888a06b6cfe1be3e012fcd6b3c78083484d91aee8873c0a9c345e4c8dcbd",
    ),
    (
        "good-shortfall.jsonl",
        "9173ef5baa3d3585e79bfdb134b31aec9ac750b4557403f2207297de9ab6fd5d",
    ),
    (
        "good-void_round.jsonl",
        "459d5b9dd59e984c0b3ce9c364df18efe0b1b73ac7ff1e4ab3723b43fe8b84ca",
    ),
    (
        "good-empty.jsonl",
        "6c759957777abe671c52193d9b7b9e2c71278562a13b04996037ed3984328e8e",
    ),
];

const BAD: &[(&str, u64, &str)] = &[
    ("bad-altered-entry.jsonl", 5, "prev"),
    ("bad-dropped-entry.jsonl", 6, "seq"),
    ("bad-tally.jsonl", 17, "body.tally.C02.for"),
    ("bad-scrutineer-signature.jsonl", 17, "signatures[1]"),
    ("bad-reused-credential.jsonl", 5, "credential"),
    ("bad-over-cap-counted.jsonl", 14, "void"),
];

#[test]
fn good_vectors_verify_with_their_listed_tally_hash_in_both_verifiers() {
    for (name, hash) in GOOD {
        assert_eq!(
            both(&data(name)),
            Outcome::Verified(hash.to_string()),
            "{name}"
        );
        // The observer's hash is checked against the bundle's.
        let given = ["--tally-hash", hash];
        assert_eq!(
            rust_verify(&data(name), &given),
            Outcome::Verified(hash.to_string())
        );
        assert_eq!(
            python_verify(&data(name), &given),
            Outcome::Verified(hash.to_string())
        );
        let wrong = [
            "--tally-hash",
            "0000000000000000000000000000000000000000000000000000000000000000",
        ];
        assert!(
            matches!(rust_verify(&data(name), &wrong), Outcome::Failed { field, .. } if field == "tally hash")
        );
        assert!(
            matches!(python_verify(&data(name), &wrong), Outcome::Failed { field, .. } if field == "tally hash")
        );
    }
}

#[test]
fn bad_vectors_fail_at_the_named_line_and_field_in_both_verifiers() {
    for (name, line, field) in BAD {
        let want = Outcome::Failed {
            line: *line,
            field: field.to_string(),
        };
        assert_eq!(rust_verify(&data(name), &[]), want, "{name}");
        assert_eq!(python_verify(&data(name), &[]), want, "{name}");
    }
}

#[test]
fn the_expected_authority_key_is_enforced() {
    let authority = "682cf77463272e9c6e69692efa8620bf890130e2eae7c84e33dd9eae760e1f2d";
    let other = "cad2011d003b55fb9a9ce7de6eb6d5fe2ba7227423ad46d23b162414d90143b5";
    let f = data("good-basic.jsonl");
    assert!(matches!(
        rust_verify(&f, &["--authority-key", authority]),
        Outcome::Verified(_)
    ));
    assert!(matches!(
        python_verify(&f, &["--authority-key", authority]),
        Outcome::Verified(_)
    ));
    let want = Outcome::Failed {
        line: 1,
        field: "body.authority_key".into(),
    };
    assert_eq!(rust_verify(&f, &["--authority-key", other]), want);
    assert_eq!(python_verify(&f, &["--authority-key", other]), want);
}

fn sample(dir: &Path, name: &str, spec: &SampleSpec) -> (PathBuf, String) {
    let path = dir.join(name);
    let out = write_sample(spec, std::fs::File::create(&path).unwrap()).unwrap();
    (path, out.tally_hash.to_hex())
}

#[test]
fn bundles_built_by_the_chain_and_tally_code_verify_in_both() {
    let dir = tempfile::tempdir().unwrap();
    let specs = [
        ("default.jsonl", SampleSpec::default()),
        (
            "empty.jsonl",
            SampleSpec {
                ballots: 0,
                ..SampleSpec::default()
            },
        ),
        (
            "for-only.jsonl",
            SampleSpec {
                marks: MarkSet::ForOnly,
                candidates: 6,
                seats: 2,
                ballots: 60,
                ..SampleSpec::default()
            },
        ),
        (
            "present-base.jsonl",
            SampleSpec {
                threshold_base: ThresholdBase::Present,
                ballots: 90,
                ..SampleSpec::default()
            },
        ),
        (
            "paper-heavy.jsonl",
            SampleSpec {
                paper_every: 2,
                ballots: 400,
                seed: 7,
                ..SampleSpec::default()
            },
        ),
        (
            "one-seat.jsonl",
            SampleSpec {
                candidates: 3,
                seats: 1,
                ballots: 31,
                seed: 3,
                ..SampleSpec::default()
            },
        ),
    ];
    for (name, spec) in specs {
        let (path, hash) = sample(dir.path(), name, &spec);
        assert_eq!(both(&path), Outcome::Verified(hash), "{name}");
    }
}

/// Every kind of single change to a good bundle is caught by both, at the same line.
#[test]
fn any_single_change_is_caught_by_both_at_the_same_line() {
    // v1, and v2 with its issuer signatures and issued roll.
    let key = std::sync::Arc::new(minsheng::keys::IssuingSecret::generate(2048).unwrap());
    for issuing in [None, Some(key)] {
        single_changes(SampleSpec {
            ballots: 12,
            candidates: 5,
            seats: 3,
            paper_every: 3,
            issuing,
            ..SampleSpec::default()
        });
    }
}

/// The same for a 满意度测评 (review-record-v2's good vector).
#[test]
fn any_single_change_to_a_review_is_caught_by_both_at_the_same_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("review.jsonl");
    let vectors = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/spec/v2/vectors");
    std::fs::copy(vectors.join("good-review.jsonl"), &path).unwrap();
    let readme = std::fs::read_to_string(vectors.join("README.md")).unwrap();
    let hash = readme
        .lines()
        .find(|l| l.starts_with("| good-review.jsonl |"))
        .and_then(|l| l.split('|').nth(2))
        .unwrap()
        .trim()
        .to_string();
    caught(
        dir.path(),
        &path,
        hash,
        &[
            ("\"satisfied\"", "\"unsatisfied\""),
            ("\"unsatisfied\"", "\"basically_satisfied\""),
            ("\"basically_satisfied\"", "\"satisfied\""),
            ("\"unclear\"", "\"satisfied\""),
            ("\"tablet\"", "\"paper\""),
            ("\"void\":null", "\"void\":\"unreadable\""),
        ],
        &[
            ("\"present\":", 1),
            ("\"issued\":", -1),
            ("\"threshold\":", 1),
            ("\"valid\":", -1),
            ("\"no_opinion\":", 1),
        ],
        ("民生项目1", "民生项目一"),
    );
}

fn single_changes(spec: SampleSpec) {
    let dir = tempfile::tempdir().unwrap();
    let (path, hash) = sample(dir.path(), "base.jsonl", &spec);
    caught(
        dir.path(),
        &path,
        hash,
        &[
            ("\"for\"", "\"against\""),
            ("\"against\"", "\"for\""),
            ("\"tablet\"", "\"paper\""),
            ("\"void\":null", "\"void\":\"unreadable\""),
        ],
        &[
            ("\"present\":", 1i64),
            ("\"issued\":", -1),
            ("\"threshold\":", 1),
            ("\"unfilled\":", 1),
            ("\"valid\":", -1),
        ],
        ("样例民生项目1", "样例民生项目一"),
    );
}

/// Every variant of the bundle at `path` with one change — a line dropped,
/// repeated or swapped, a mark or field changed, the result edited after
/// signing — fails in both verifiers.
fn caught(
    dir: &Path,
    path: &Path,
    hash: String,
    swaps: &[(&str, &str)],
    fields: &[(&str, i64)],
    renamed: (&str, &str),
) {
    assert_eq!(
        both(path),
        Outcome::Verified(hash),
        "the unchanged bundle verifies"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let n = lines.len();
    let mut variants: Vec<(String, Vec<String>)> = vec![];
    let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    for i in 1..n - 1 {
        let mut v = own(&lines);
        v.remove(i);
        variants.push((format!("drop line {}", i + 1), v));
        let mut v = own(&lines);
        v.insert(i, lines[i].to_string());
        variants.push((format!("repeat line {}", i + 1), v));
        if i + 1 < n - 1 {
            let mut v = own(&lines);
            v.swap(i, i + 1);
            variants.push((format!("swap lines {} and {}", i + 1, i + 2), v));
        }
        for &(from, to) in swaps {
            if lines[i].contains(from) {
                let mut v = own(&lines);
                v[i] = lines[i].replacen(from, to, 1);
                variants.push((format!("line {}: {from} -> {to}", i + 1), v));
            }
        }
    }
    for &(field, delta) in fields {
        let last = lines[n - 1];
        let at = last.find(field).unwrap() + field.len();
        let digits: String = last[at..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        let value: i64 = digits.parse().unwrap();
        let mut v = own(&lines);
        v[n - 1] = format!(
            "{}{}{}",
            &last[..at],
            value + delta,
            &last[at + digits.len()..]
        );
        variants.push((format!("result {field} {delta:+}"), v));
    }
    let mut v = own(&lines);
    v[0] = lines[0].replacen(renamed.0, renamed.1, 1);
    variants.push(("manifest candidate renamed".into(), v));
    let mut v = own(&lines);
    v[n - 1] = lines[n - 1].replacen(
        "\"closed_at\":\"2027-01-12T10:40:00+08:00\"",
        "\"closed_at\":\"2027-01-12T10:41:00+08:00\"",
        1,
    );
    assert_ne!(v[n - 1], lines[n - 1]);
    variants.push(("result closed_at changed after signing".into(), v));
    let mut v = own(&lines);
    v.pop();
    variants.push(("result line missing".into(), v));

    assert!(variants.len() > 40);
    for (what, v) in variants {
        let p = dir.join("variant.jsonl");
        std::fs::write(&p, v.join("\n") + "\n").unwrap();
        let outcome = both(&p);
        assert!(
            matches!(outcome, Outcome::Failed { .. }),
            "{what}: not caught"
        );
    }
}

#[test]
fn verify_names_what_went_wrong_for_unreadable_input() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    assert_eq!(
        rust_verify(&empty, &[]),
        Outcome::Failed {
            line: 1,
            field: "manifest".into()
        }
    );
    assert_eq!(
        python_verify(&empty, &[]),
        Outcome::Failed {
            line: 1,
            field: "manifest".into()
        }
    );
    let out = minsheng()
        .args(["verify", "/no/such/file.jsonl"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot open"));
    let out = minsheng()
        .args(["verify", "x", "--head", "nonsense"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn keygen_writes_a_private_key_0600_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let run = || {
        minsheng()
            .args(["keygen", "authority", "--dir"])
            .arg(dir.path())
            .output()
            .unwrap()
    };
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let key = dir.path().join("authority.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let before = std::fs::read(&key).unwrap();
    let second = run();
    assert_eq!(second.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&second.stderr).contains("never overwritten"));
    assert_eq!(std::fs::read(&key).unwrap(), before);
}
