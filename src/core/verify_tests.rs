//! Unit tests of `verify`, beside it.
use super::*;

// The conformance vectors' table lives in tests/verifiers.rs, which runs
// both verifiers on it.

#[test]
fn one_worker_or_many_give_the_same_answer() {
    let path = format!(
        "{}/docs/spec/v1/vectors/good-basic.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    for threads in [1, 2, 7] {
        let opts = Options {
            threads,
            ..Options::default()
        };
        let v = verify_bundle(std::fs::File::open(&path).unwrap(), &opts, &mut |_| {}).unwrap();
        assert_eq!(v.entries, 15);
    }
}

#[test]
fn truncated_and_garbage_input_fails_cleanly() {
    let good = std::fs::read(format!(
        "{}/docs/spec/v1/vectors/good-basic.jsonl",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let opts = Options::default();
    for cut in [0, 1, 100, 4000, good.len() / 2, good.len() - 2] {
        let r = verify_bundle(&good[..cut], &opts, &mut |_| {});
        assert!(r.is_err(), "cut at {cut}");
    }
    for junk in [
        &b"\n\n\n"[..],
        b"{}",
        b"null\n",
        b"[1,2]\n{\"a\":1}",
        &[0xff, 0xfe, b'\n'],
    ] {
        assert!(verify_bundle(junk, &opts, &mut |_| {}).is_err());
    }
}

#[test]
fn given_tally_hash_authority_key_and_head_are_checked() {
    let path = format!(
        "{}/docs/spec/v1/vectors/good-basic.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    let open = || std::fs::File::open(&path).unwrap();
    let wrong = Hash::of_bytes(b"wrong");
    let e = verify_bundle(
        open(),
        &Options {
            tally_hash: Some(wrong),
            ..Default::default()
        },
        &mut |_| {},
    )
    .unwrap_err();
    assert_eq!((e.line, e.field.as_str()), (17, "tally hash"));
    let e = verify_bundle(
        open(),
        &Options {
            authority_key: Some(PublicKey([9; 32])),
            ..Default::default()
        },
        &mut |_| {},
    )
    .unwrap_err();
    assert_eq!((e.line, e.field.as_str()), (1, "body.authority_key"));
    let text = std::fs::read_to_string(&path).unwrap();
    let third: Entry = serde_json::from_str(text.lines().nth(3).unwrap()).unwrap();
    let h3 = Hash::of(&third);
    assert!(verify_bundle(
        open(),
        &Options {
            head: Some((3, h3)),
            ..Default::default()
        },
        &mut |_| {}
    )
    .is_ok());
    let e = verify_bundle(
        open(),
        &Options {
            head: Some((4, h3)),
            ..Default::default()
        },
        &mut |_| {},
    )
    .unwrap_err();
    assert_eq!((e.line, e.field.as_str()), (5, "head"));
    let e = verify_bundle(
        open(),
        &Options {
            head: Some((99, h3)),
            ..Default::default()
        },
        &mut |_| {},
    )
    .unwrap_err();
    assert_eq!(e.field, "head");
}
