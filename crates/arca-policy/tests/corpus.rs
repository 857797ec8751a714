//! Replays the fuzz corpus (the repository's `fuzz/corpus/parse_policy/`) through parsing,
//! serialisation and evaluation, as the `parse_policy` fuzz target does: none may panic,
//! and every document that parses must parse back from its serialisation.

mod parse_policy {
    include!("../../../fuzz/harness/parse_policy.rs");
}

#[test]
fn corpus_replays_without_panic() {
    let directory =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/parse_policy");
    let mut count = 0;
    for entry in std::fs::read_dir(&directory).unwrap() {
        parse_policy::run(&std::fs::read(entry.unwrap().path()).unwrap());
        count += 1;
    }
    assert!(count >= 5, "corpus at {} has {count} files", directory.display());
}
