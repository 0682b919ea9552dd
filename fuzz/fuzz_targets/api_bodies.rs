//! JSON bodies the API takes — the public suggestion form included — and
//! the rules applied to them.
#![no_main]
use libfuzzer_sys::fuzz_target;
use minsheng::core::record::parse_record;
use minsheng::hall::RoundDraft;
use minsheng::paper::Reading;
use minsheng::upstream::model::{Assessment, Meeting, ProjectDoc, SuggestionInput};

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = parse_record::<SuggestionInput>(data) {
        let _ = s.problems();
    }
    if let Ok(p) = parse_record::<ProjectDoc>(data) {
        let _ = p.problems();
        let _ = p.lines();
    }
    if let Ok(a) = parse_record::<Assessment>(data) {
        let _ = a.problems();
    }
    let _ = parse_record::<Meeting>(data);
    if let Ok(r) = parse_record::<Reading>(data) {
        let _ = r.normalized().marks();
    }
    let _ = parse_record::<RoundDraft>(data);
    let _ = serde_json::from_slice::<serde_json::Value>(data);
});
