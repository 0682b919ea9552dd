//! Uploaded tables (CSV in any encoding, XLSX) and the rows read from them.
#![no_main]
use libfuzzer_sys::fuzz_target;
use minsheng::sheets::Sheet;

fuzz_target!(|data: &[u8]| {
    if let Ok(sheet) = Sheet::read(data) {
        let _ = minsheng::hall::parse_roster(&sheet);
        let _ = minsheng::hall::parse_candidates(&sheet);
    }
});
