// What the `chunk_decoder` fuzz target runs on each input, shared with
// `crates/arca-sigv4/tests/corpus.rs`, which replays the corpus through it: arbitrary
// `aws-chunked` bodies, fed in arbitrary slices (the first byte picks the slice size),
// for a verified streaming request. None may panic.

pub fn run(data: &[u8]) {
    use arca_sigv4::{
        ChunkDecoder, PayloadHash, RequestParts, RequestToSign, SignedPayload, SigningParams,
    };
    let Some((&slice, body)) = data.split_first() else {
        return;
    };
    let secret = arca_crypto::SecretBytes::from_slice(b"fuzz-secret");
    let now = time::macros::datetime!(2024-01-01 00:00:00 UTC);
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
}
