//! Replays the fuzz corpora (the repository's `fuzz/corpus/{cbor_body,rest_request}/`)
//! through the harnesses the fuzz targets run (`fuzz/harness/`), so what fuzzing found
//! stays fixed in ordinary test runs: none may panic.

mod cbor_body {
    include!("../../../fuzz/harness/cbor_body.rs");
}

mod rest_request {
    include!("../../../fuzz/harness/rest_request.rs");
}

fn replay(target: &str, run: fn(&[u8])) {
    let directory =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus").join(target);
    let mut count = 0;
    for entry in std::fs::read_dir(&directory).unwrap() {
        run(&std::fs::read(entry.unwrap().path()).unwrap());
        count += 1;
    }
    assert!(count >= 8, "{target}: only {count} corpus files");
}

#[test]
fn cbor_body_corpus_replays_without_panic() {
    replay("cbor_body", cbor_body::run);
}

#[test]
fn rest_request_corpus_replays_without_panic() {
    replay("rest_request", rest_request::run);
}
