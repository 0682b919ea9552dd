//! The upstream audit log as `audit-verify` reads it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = minsheng::upstream::audit::verify(text.lines());
});
