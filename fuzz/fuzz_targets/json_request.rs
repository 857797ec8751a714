//! Fuzzes the JSON decoding of KMS request bodies into every operation's input type
//! (see `tests/corpus.rs`, which replays the corpus the same way).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    arca_kms::api::decode_all_inputs(data);
});
