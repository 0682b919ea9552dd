//! What a USB scanner or a person types: QR text and credentials.
#![no_main]
use libfuzzer_sys::fuzz_target;
use minsheng::core::credential::{Credential, QrBallot};
use minsheng::core::record::ElectionId;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Credential::parse(text);
    let _ = QrBallot::parse(text);
    if let Ok(e) = ElectionId::parse("shiguai-2027") {
        let _ = minsheng::paper::read_code(text, &e, 1);
    }
});
