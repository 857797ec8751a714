// What the `parse_auth` fuzz target runs on each input, shared with
// `crates/arca-sigv4/tests/corpus.rs`, which replays the corpus through it.
//
// Input layout: the bytes are split on NUL into authorization, x-amz-date, query and
// x-amz-content-sha256 (missing parts are absent headers), then an optional body the
// server hashed (presigned forms must sign it or be empty) and an x-amz-target header
// (which must be signed). `parse`, then `verify` of what parses, may not panic.

pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut fields = text.split('\0');
    let authorization = fields.next();
    let date = fields.next();
    let query = fields.next().unwrap_or("");
    let content_sha = fields.next();
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
    let parts = arca_sigv4::RequestParts {
        method: "POST",
        path: "/",
        query,
        headers: &headers,
        payload: body_hash
            .map_or(arca_sigv4::PayloadHash::NotComputed, arca_sigv4::PayloadHash::Computed),
    };
    let now = time::macros::datetime!(2015-08-30 12:36:00 UTC);
    if let Ok(parsed) = arca_sigv4::parse(&parts, now) {
        let secret =
            arca_crypto::SecretBytes::from_slice(b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        let _ = arca_sigv4::verify(&parsed, &parts, &secret);
    }
}
