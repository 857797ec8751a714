//! Replays the fuzz corpus (the repository's `fuzz/corpus/parse_auth/`) through `parse` and
//! `verify`, the way the `parse_auth` fuzz target feeds them: none may panic.

mod parse_auth {
    include!("../../../fuzz/harness/parse_auth.rs");
}

mod chunk_decoder {
    include!("../../../fuzz/harness/chunk_decoder.rs");
}

#[test]
fn corpus_replays_without_panic() {
    let directory =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/parse_auth");
    let mut count = 0;
    for entry in std::fs::read_dir(&directory).unwrap() {
        let path = entry.unwrap().path();
        parse_auth::run(&std::fs::read(&path).unwrap());
        count += 1;
    }
    assert!(count >= 5, "corpus at {} has {count} files", directory.display());
}

#[test]
fn chunk_corpus_replays_without_panic() {
    let directory =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/chunk_decoder");
    let mut count = 0;
    for entry in std::fs::read_dir(&directory).unwrap() {
        chunk_decoder::run(&std::fs::read(entry.unwrap().path()).unwrap());
        count += 1;
    }
    assert!(count >= 4, "corpus at {} has {count} files", directory.display());
}
