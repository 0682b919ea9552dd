//! Bundle lines and whole bundles: the canonical-entry scanner, the record
//! parser and the streaming verifier must never panic, whatever the bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use minsheng::core::record::{parse_record, Entry, Manifest, ResultBody, Signed};
use minsheng::core::verify::{verify_bundle, Options};

fuzz_target!(|data: &[u8]| {
    let _ = Entry::parse_canonical(data);
    let _ = parse_record::<Entry>(data);
    let _ = parse_record::<Signed<Manifest>>(data);
    let _ = parse_record::<Signed<ResultBody>>(data);
    let opts = Options {
        threads: 1,
        ..Default::default()
    };
    let _ = verify_bundle(data, &opts, &mut |_| {});
});
