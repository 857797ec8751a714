//! Fuzzes `arca_sigv4::parse` and `verify` with arbitrary header values and query
//! strings; see `harness/parse_auth.rs`.
#![no_main]

include!("../harness/parse_auth.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| run(data));
