//! Fuzzes the `aws-chunked` decoder with arbitrary bodies fed in arbitrary slices; see
//! `harness/chunk_decoder.rs`.
#![no_main]

include!("../harness/chunk_decoder.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| run(data));
