//! Replays the fuzz corpus (`fuzz/corpus/parse_auth/`) through `parse` and `verify`, the
//! way the `parse_auth` fuzz target feeds them: none may panic.

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
    let parts = RequestParts {
        method: "POST",
        path: "/",
        query,
        headers: &headers,
        payload: PayloadHash::NotComputed,
    };
    if let Ok(parsed) = parse(&parts, datetime!(2015-08-30 12:36:00 UTC)) {
        let secret = SecretBytes::from_slice(b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        let _ = verify(&parsed, &parts, &secret);
    }
}

#[test]
fn corpus_replays_without_panic() {
    let directory = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/parse_auth");
    let mut count = 0;
    for entry in std::fs::read_dir(&directory).unwrap() {
        let path = entry.unwrap().path();
        run(&std::fs::read(&path).unwrap());
        count += 1;
    }
    assert!(count >= 5, "corpus at {} has {count} files", directory.display());
}
