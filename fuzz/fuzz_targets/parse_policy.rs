//! Fuzzes policy parsing, serialisation and evaluation with arbitrary documents; see
//! `harness/parse_policy.rs`.
#![no_main]

include!("../harness/parse_policy.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| run(data));
