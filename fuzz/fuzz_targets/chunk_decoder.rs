//! Fuzzes the `aws-chunked` decoder: arbitrary bodies, fed in arbitrary slices, for a
//! verified streaming request. The first byte picks the slice size.
#![no_main]

use arca_crypto::SecretBytes;
use arca_sigv4::{
    ChunkDecoder, PayloadHash, RequestParts, RequestToSign, SignedPayload, SigningParams,
};
use libfuzzer_sys::fuzz_target;
use time::macros::datetime;

fuzz_target!(|data: &[u8]| {
    let Some((&slice, body)) = data.split_first() else {
        return;
    };
    let secret = SecretBytes::from_slice(b"fuzz-secret");
    let now = datetime!(2024-01-01 00:00:00 UTC);
    let headers = [("host", "h")];
    let Ok(signed) = arca_sigv4::sign(
        &RequestToSign { method: "PUT", path: "/b/k", query: "", headers: &headers },
        &SigningParams {
            access_key_id: "AKID",
            secret_access_key: &secret,
            security_token: None,
            region: "us-east-1",
            service: "s3",
            time: now,
        },
        SignedPayload::StreamingSigned,
    ) else {
        return;
    };
    let mut all: Vec<(&str, &str)> = headers.to_vec();
    all.extend(signed.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    let parts = RequestParts {
        method: "PUT",
        path: "/b/k",
        query: "",
        headers: &all,
        payload: PayloadHash::NotComputed,
    };
    let Ok(parsed) = arca_sigv4::parse(&parts, now) else { return };
    let Ok(verified) = arca_sigv4::verify(&parsed, &parts, &secret) else { return };
    let Ok(decoder) = ChunkDecoder::new(&verified) else { return };
    let mut decoder = decoder.with_max_chunk_size(1 << 16);
    let mut out = Vec::new();
    for piece in body.chunks(usize::from(slice).max(1)) {
        if decoder.push(piece, &mut out).is_err() {
            return;
        }
    }
    let _ = decoder.finish();
});
