//! Replays the fuzz corpus (the repository's `fuzz/corpus/parse_auth/`) through `parse` and
//! `verify`, the way the `parse_auth` fuzz target feeds them: none may panic.

use arca_crypto::SecretBytes;
use arca_sigv4::{PayloadHash, RequestParts, parse, verify};
use time::macros::datetime;

fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut fields = text.split('\0');
    let authorization = fields.next();
    let date = fields.next();
    let query = fields.next().unwrap_or("");
    let content_sha = fields.next();
    // A fifth field is a body the server hashed (presigned forms must sign it or be
    // empty); a sixth is an x-amz-target header, which must be signed.
    let body = fields.next();
    let target = fields.next();
    let body_hash = body.map(|body| arca_crypto::digest::sha256(body.as_bytes()));
    let mut headers = vec![("host", "example.amazonaws.com")];
    if let Some(value) = authorization.filter(|value| !value.is_empty()) {
        headers.push(("authorization", value));
    }
    if let Some(value) = date {
        headers.push(("x-amz-date", value));
    }
    if let Some(value) = content_sha {
        headers.push(("x-amz-content-sha256", value));
    }
    if let Some(value) = target {
        headers.push(("x-amz-target", value));
    }
    let parts = RequestParts {
        method: "POST",
        path: "/",
        query,
        headers: &headers,
        payload: body_hash.map_or(PayloadHash::NotComputed, PayloadHash::Computed),
    };
    if let Ok(parsed) = parse(&parts, datetime!(2015-08-30 12:36:00 UTC)) {
        let secret = SecretBytes::from_slice(b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        let _ = verify(&parsed, &parts, &secret);
    }
}

#[test]
fn corpus_replays_without_panic() {
    let directory =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/parse_auth");
    let mut count = 0;
    for entry in std::fs::read_dir(&directory).unwrap() {
        let path = entry.unwrap().path();
        run(&std::fs::read(&path).unwrap());
        count += 1;
    }
    assert!(count >= 5, "corpus at {} has {count} files", directory.display());
}

/// The `chunk_decoder` target's logic: the first byte picks the slice size.
fn run_chunks(data: &[u8]) {
    use arca_sigv4::{ChunkDecoder, RequestToSign, SignedPayload, SigningParams};
    let Some((&slice, body)) = data.split_first() else {
        return;
    };
    let secret = SecretBytes::from_slice(b"fuzz-secret");
    let now = datetime!(2024-01-01 00:00:00 UTC);
    let headers = [("host", "h")];
    let signed = arca_sigv4::sign(
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
    )
    .unwrap();
    let mut all: Vec<(&str, &str)> = headers.to_vec();
    all.extend(signed.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    let parts = RequestParts {
        method: "PUT",
        path: "/b/k",
        query: "",
        headers: &all,
        payload: PayloadHash::NotComputed,
    };
    let verified = verify(&parse(&parts, now).unwrap(), &parts, &secret).unwrap();
    let mut decoder = ChunkDecoder::new(&verified).unwrap().with_max_chunk_size(1 << 16);
    let mut out = Vec::new();
    for piece in body.chunks(usize::from(slice).max(1)) {
        if decoder.push(piece, &mut out).is_err() {
            return;
        }
    }
    let _ = decoder.finish();
}

#[test]
fn chunk_corpus_replays_without_panic() {
    let directory =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/chunk_decoder");
    let mut count = 0;
    for entry in std::fs::read_dir(&directory).unwrap() {
        run_chunks(&std::fs::read(entry.unwrap().path()).unwrap());
        count += 1;
    }
    assert!(count >= 4, "corpus at {} has {count} files", directory.display());
}
