//! What each fuzz target does with its input: one function per target,
//! shared by the libFuzzer binaries in `fuzz_targets/` and by
//! `tests/fuzz_smoke.rs` (which replays the committed corpora and mutations
//! of them under `cargo test`). Each must never panic, whatever the bytes.

use minsheng::core::credential::{Credential, QrBallot};
use minsheng::core::record::{parse_record, ElectionId, Entry, Manifest, ResultBody, Signed};
use minsheng::core::verify::{verify_bundle, Options};
use minsheng::hall::RoundDraft;
use minsheng::paper::Reading;
use minsheng::sheets::Sheet;
use minsheng::upstream::model::{Assessment, Meeting, ProjectDoc, SuggestionInput};

/// What a target does with one input.
pub type Target = fn(&[u8]);

/// The targets by name, as `cargo fuzz run <name>` knows them.
pub const TARGETS: [(&str, Target); 5] = [
    ("bundle", bundle),
    ("qr_and_credentials", qr_and_credentials),
    ("sheets", sheets),
    ("api_bodies", api_bodies),
    ("audit_log", audit_log),
];

/// Bundle lines and whole bundles: the canonical-entry scanner, the record
/// parser and the streaming verifier.
pub fn bundle(data: &[u8]) {
    let _ = Entry::parse_canonical(data);
    let _ = parse_record::<Entry>(data);
    let _ = parse_record::<Signed<Manifest>>(data);
    let _ = parse_record::<Signed<ResultBody>>(data);
    let opts = Options {
        threads: 1,
        ..Default::default()
    };
    let _ = verify_bundle(data, &opts, &mut |_| {});
}

/// What a USB scanner or a person types: QR text and credentials.
pub fn qr_and_credentials(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Credential::parse(text);
    let _ = QrBallot::parse(text);
    if let Ok(e) = ElectionId::parse("shiguai-2027") {
        let _ = minsheng::paper::read_code(text, &e, 1);
    }
}

/// Uploaded tables (CSV in any encoding, XLSX) and the rows read from them.
pub fn sheets(data: &[u8]) {
    if let Ok(sheet) = Sheet::read(data) {
        let _ = minsheng::hall::parse_roster(&sheet);
        let _ = minsheng::hall::parse_candidates(&sheet);
    }
    // An import's file, read a row at a time as the import reads it.
    if let Ok(rows) = minsheng::sheets::RowReader::from_read(std::io::Cursor::new(data.to_vec())) {
        let _ = rows.column(&["标题"]);
        for row in rows.take(10_000) {
            if row.is_err() {
                break;
            }
        }
    }
}

/// JSON bodies the API takes — the public suggestion form included — read
/// by the server's own body reader (duplicate keys and unknown fields
/// refused), and the rules applied to them.
pub fn api_bodies(data: &[u8]) {
    use minsheng::web::error::parse_json;
    if let Ok(s) = parse_json::<SuggestionInput>(data) {
        let _ = s.problems();
    }
    if let Ok(p) = parse_json::<ProjectDoc>(data) {
        let _ = p.problems();
        let _ = p.lines();
    }
    if let Ok(a) = parse_json::<Assessment>(data) {
        let _ = a.problems();
    }
    let _ = parse_json::<Meeting>(data);
    if let Ok(r) = parse_json::<Reading>(data) {
        let _ = r.normalized().marks();
    }
    if let Ok(d) = parse_json::<RoundDraft>(data) {
        let _ = d.check();
    }
    let _ = parse_record::<RoundDraft>(data);
    let _ = minsheng::web::error::no_duplicate_keys(data);
}

/// The upstream audit log as `audit-verify` reads it.
pub fn audit_log(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = minsheng::upstream::audit::verify(text.lines());
}
