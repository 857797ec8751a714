//! Fuzzes the RPC v2 CBOR request decoder; see `harness/cbor_body.rs`.
#![no_main]

include!("../harness/cbor_body.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| run(data));
