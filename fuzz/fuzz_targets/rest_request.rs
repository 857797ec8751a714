//! Fuzzes REST-JSON routing and input assembly; see `harness/rest_request.rs`.
#![no_main]

include!("../harness/rest_request.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| run(data));
