//! Fuzzes the ciphertext blob parser: any bytes parse or are refused, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(blob) = arca_kms::blob::CiphertextBlob::parse(data) {
        assert!(blob.sealed.len() >= 16);
    }
});
