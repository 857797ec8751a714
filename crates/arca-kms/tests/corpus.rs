//! Replays the fuzz corpora (the repository's `fuzz/corpus/*`) as regression tests:
//! every input must be parsed or refused without a panic.

use std::path::Path;

fn corpus(name: &str) -> Vec<Vec<u8>> {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus").join(name);
    let files: Vec<Vec<u8>> = std::fs::read_dir(&directory)
        .unwrap()
        .map(|entry| std::fs::read(entry.unwrap().path()).unwrap())
        .collect();
    assert!(files.len() >= 4, "corpus {} has {} files", directory.display(), files.len());
    files
}

#[test]
fn ciphertext_blob_corpus() {
    let mut parsed = 0;
    for input in corpus("ciphertext_blob") {
        if arca_kms::blob::CiphertextBlob::parse(&input).is_some() {
            parsed += 1;
        }
    }
    assert_eq!(parsed, 1, "exactly the well-formed seed parses");
}

#[test]
fn json_request_corpus() {
    for input in corpus("json_request") {
        arca_kms::api::decode_all_inputs(&input);
    }
}
