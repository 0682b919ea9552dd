//! Unit tests of `record`, beside it.
use super::*;
use crate::core::canon::{reference, to_canonical_string};

pub(crate) fn vector_lines(name: &str) -> Vec<String> {
    let path = format!("{}/docs/spec/v1/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn every_record_type_serialises_canonically() {
    let lines = vector_lines("good-basic.jsonl");
    assert_eq!(lines.len(), 17);
    let manifest: Signed<Manifest> = parse_record(lines[0].as_bytes()).unwrap();
    let entries: Vec<Entry> = lines[1..16]
        .iter()
        .map(|l| parse_record(l.as_bytes()).unwrap())
        .collect();
    let result: Signed<ResultBody> = parse_record(lines[16].as_bytes()).unwrap();
    let check = |ours: String, line: &str| {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(ours, reference::canonical(&v));
        assert_eq!(ours, line, "the vectors are stored in canonical form");
    };
    check(to_canonical_string(&manifest), &lines[0]);
    for (e, l) in entries.iter().zip(&lines[1..16]) {
        check(to_canonical_string(e), l);
    }
    check(to_canonical_string(&result), &lines[16]);
    assert_eq!(manifest.body_hash(), result.body.manifest);
}

#[test]
fn parse_errors_name_the_field() {
    let lines = vector_lines("good-basic.jsonl");
    let cases: &[(&str, &str, &str)] = &[
        ("\"seats\":4", "\"seats\":4.5", "body.rules.seats"),
        (
            "\"seats\":4",
            "\"seats\":9007199254740992",
            "body.rules.seats",
        ),
        ("\"round\":1", "\"round\":1,\"extra\":1", "body.extra"),
        ("\"id\":\"C02\"", "\"id\":\"C 2\"", "body.candidates[1].id"),
        ("\"previous_result\":null,", "", "body"),
        (
            "\"opened_at\":\"2027-01-12T10:00:00+08:00\"",
            "\"opened_at\":\"2027-01-12 10:00\"",
            "body.opened_at",
        ),
        (
            "\"opened_at\":\"2027-01-12T10:00:00+08:00\"",
            "\"opened_at\":\"2027-01-12t10:00:00+08:00\"",
            "body.opened_at",
        ),
        (
            "\"marks\":[\"for\",\"against\",\"abstain\"]",
            "\"marks\":[\"for\",\"abstain\"]",
            "body.rules.marks",
        ),
    ];
    for (from, to, field) in cases {
        let bad = lines[0].replacen(from, to, 1);
        assert_ne!(bad, lines[0], "{from}");
        let err = parse_record::<Signed<Manifest>>(bad.as_bytes()).unwrap_err();
        assert_eq!(err.field, *field, "{to}: {err}");
    }
}

#[test]
fn manifest_check_finds_semantic_faults() {
    let lines = vector_lines("good-basic.jsonl");
    let good: Signed<Manifest> = parse_record(lines[0].as_bytes()).unwrap();
    assert_eq!(good.body.check(), Ok(()));
    let mut m = good.body.clone();
    m.candidates[3].id = m.candidates[1].id;
    assert_eq!(m.check().unwrap_err().field, "candidates[3].id");
    let mut m = good.body.clone();
    std::sync::Arc::make_mut(&mut m.credentials).swap(2, 3);
    assert_eq!(m.check().unwrap_err().field, "credentials[3]");
    let mut m = good.body.clone();
    let c = std::sync::Arc::make_mut(&mut m.credentials);
    c[5] = c[4];
    assert!(m.check().unwrap_err().message.contains("repeats"));
    let mut m = good.body.clone();
    m.round = 2;
    assert_eq!(m.check().unwrap_err().field, "previous_result");
    let mut m = good.body;
    m.rules.seats = 0;
    assert_eq!(m.check().unwrap_err().field, "rules.seats");
}

#[test]
fn marks_refuse_a_project_marked_twice() {
    let e = r#"{"C01":"for","C01":"against"}"#;
    assert!(serde_json::from_str::<Marks>(e).is_err());
    let m: Marks = serde_json::from_str(r#"{"C02":"for","C01":"against"}"#).unwrap();
    assert_eq!(to_canonical_string(&m), r#"{"C01":"against","C02":"for"}"#);
}

#[test]
fn ids_sort_in_byte_order_as_canonical_json_requires() {
    let ids = ["C9", "C10", "C1", "B", "AB", "a", "A-", "A_", "A0"];
    let mut ours: Vec<CandidateId> = ids.iter().map(|s| CandidateId::parse(s).unwrap()).collect();
    ours.sort();
    let mut bytes: Vec<&str> = ids.to_vec();
    bytes.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    assert_eq!(ours.iter().map(|c| c.as_str()).collect::<Vec<_>>(), bytes);
    let m = Marks::new(ours.iter().map(|c| (*c, Mark::For)).rev().collect()).unwrap();
    let v: serde_json::Value = serde_json::to_value(&m).unwrap();
    assert_eq!(to_canonical_string(&m), reference::canonical(&v));
}

#[test]
fn canonical_fast_path_accepts_exactly_the_canonical_form() {
    let mut lines: Vec<String> = vec![];
    for v in [
        "good-basic.jsonl",
        "good-tie.jsonl",
        "good-void_round.jsonl",
    ] {
        let all = vector_lines(v);
        lines.extend(all[1..all.len() - 1].iter().cloned());
    }
    assert!(lines.len() > 30);
    for line in &lines {
        let fast =
            Entry::parse_canonical(line.as_bytes()).expect("canonical lines take the fast path");
        assert_eq!(fast, parse_record::<Entry>(line.as_bytes()).unwrap());
        assert_eq!(to_canonical_string(&fast), *line);
    }
    // Every variant is either refused by the fast path or, if accepted,
    // is its own canonical form: a line it accepts can be hashed as is.
    let base = &lines[0];
    let mut variants = vec![
        base.replacen(':', ": ", 1),
        base.replacen("\"round\":1", "\"round\":01", 1),
        base.replacen("\"round\":1", "\"round\":1.0", 1),
        base.replacen("\"seq\":1", "\"seq\":-1", 1),
        base.replacen("\"seq\":1", "\"seq\":9007199254740992", 1),
        base.replacen("C01", "C\\u0030 1", 1),
        base.replacen("\"for\"", "\"fo\\u0072\"", 1),
        base.replacen("{\"channel\"", "{ \"channel\"", 1),
        format!("{base} "),
        format!("{base}x"),
        base.to_uppercase(),
        base.replacen("\"void\":null", "\"void\":\"over_cap\"", 1),
        base.replacen("\"channel\":\"tablet\"", "\"channel\":\"paper\"", 1),
        base[..base.len() - 1].to_string(),
    ];
    // A mark key out of order, and a repeated key.
    variants.push(base.replacen("\"C01\"", "\"C99\"", 1));
    variants.push(base.replacen("\"C02\"", "\"C01\"", 1));
    let mut accepted = 0;
    for v in &variants {
        if let Some(e) = Entry::parse_canonical(v.as_bytes()) {
            accepted += 1;
            assert_eq!(to_canonical_string(&e), *v, "accepted a non-canonical line");
        }
    }
    assert_eq!(
        accepted, 2,
        "only the two still-canonical edits are accepted"
    );
}

#[test]
fn identifiers_are_checked() {
    assert!(ElectionId::parse("shiguai-2027").is_ok());
    assert!(ElectionId::parse("Shiguai").is_err());
    assert!(ElectionId::parse(&"a".repeat(65)).is_err());
    assert!(CandidateId::parse(&"a".repeat(32)).is_ok());
    assert!(CandidateId::parse("").is_err());
    assert!(CandidateId::parse("项目").is_err());
}

/// A v2 manifest with RFC 9474's test key as its issuing key.
fn v2_manifest() -> Manifest {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/spec/v2/vectors/good-review.jsonl"
    ))
    .unwrap();
    let m: Signed<Manifest> = parse_record(text.lines().next().unwrap().as_bytes()).unwrap();
    m.body
}

#[test]
fn a_review_manifest_rates_every_project_and_only_in_v2() {
    let m = v2_manifest();
    assert!(m.is_review());
    assert_eq!(m.check(), Ok(()));
    let field = |f: &dyn Fn(&mut Manifest)| {
        let mut m = v2_manifest();
        f(&mut m);
        m.check().map_err(|e| e.field)
    };
    assert_eq!(field(&|m| m.rules.seats = 3), Err("rules.seats".into()));
    assert_eq!(field(&|m| m.rules.max_for = 1), Err("rules.seats".into()));
    assert_eq!(
        field(&|m| m.rules.shortfall = Shortfall::Revote),
        Err("rules.shortfall".into())
    );
    assert_eq!(
        field(&|m| {
            m.kind = ManifestType::V1;
            m.issuing_key = None;
        }),
        Err("rules.marks".into()),
        "a review is a v2 round"
    );
    for base in [ThresholdBase::Present, ThresholdBase::TotalDeputies] {
        assert_eq!(field(&|m| m.rules.threshold_base = base), Ok(()));
    }
    // `valid` is a review's base, never a vote's.
    assert_eq!(
        field(&|m| {
            m.rules.marks = MarkSet::ForAgainstAbstain;
            m.rules.max_for = 2;
        }),
        Err("rules.threshold_base".into())
    );
}

#[test]
fn review_marks_are_a_reviews_and_unclear_is_papers() {
    use Channel::{Paper, Tablet};
    let r = MarkSet::Review;
    for m in [Mark::Satisfied, Mark::BasicallySatisfied, Mark::Unsatisfied] {
        assert!(r.allows(m, Tablet) && r.allows(m, Paper));
        assert!(!MarkSet::ForAgainstAbstain.allows(m, Paper));
        assert_eq!(Mark::parse(m.as_str()), Some(m));
    }
    for m in [Mark::For, Mark::Against, Mark::Abstain] {
        assert!(!r.allows(m, Paper), "{m:?}");
    }
    assert!(r.allows(Mark::Unclear, Paper) && !r.allows(Mark::Unclear, Tablet));
    assert_eq!(Mark::parse("maybe"), None);
    let marks: MarkSet =
        serde_json::from_str(r#"["satisfied","basically_satisfied","unsatisfied"]"#).unwrap();
    assert_eq!(marks, MarkSet::Review);
    assert!(serde_json::from_str::<MarkSet>(r#"["unsatisfied","satisfied"]"#).is_err());
}
