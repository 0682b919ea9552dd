//! Uploaded tables (CSV in any encoding, XLSX) and the rows read from them.
//! What is done with the input is in `../bodies.rs` (shared with the smoke
//! test that `cargo test` runs).
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../bodies.rs"]
#[allow(dead_code)]
mod bodies;

fuzz_target!(|data: &[u8]| bodies::sheets(data));
