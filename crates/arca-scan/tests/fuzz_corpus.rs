//! Replays the fuzz seed corpus (the repository's `fuzz/corpus/extract`) through the
//! scanner under every name the fuzz target uses: no input may panic.

use arca_scan::{Limits, ManagedSelection, ScanSettings, Scanner};

#[test]
fn seed_corpus_replays_without_panics() {
    let limits =
        Limits { max_expanded_bytes: 64 << 20, max_in_memory_bytes: 16 << 20, ..Limits::default() };
    let scanner =
        Scanner::new(ScanSettings { managed: ManagedSelection::All, limits, ..Default::default() })
            .unwrap();
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/extract");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&corpus).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        for name in ["object", "data.csv", "data.jsonl", "archive.tgz"] {
            let _ = scanner.scan_bytes(&data, name);
        }
        // Every prefix of each seed, too: truncation is the commonest corruption.
        for cut in (0..data.len()).step_by((data.len() / 16).max(1)) {
            let _ = scanner.scan_bytes(&data[..cut], "object");
        }
        replayed += 1;
    }
    assert!(replayed >= 10, "corpus has {replayed} seeds");
}

#[test]
fn seeds_find_what_they_hold() {
    let scanner =
        Scanner::new(ScanSettings { managed: ManagedSelection::All, ..Default::default() })
            .unwrap();
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/extract");
    for (file, expected) in [
        ("text.txt", "USA_SOCIAL_SECURITY_NUMBER"),
        ("table.csv", "USA_SOCIAL_SECURITY_NUMBER"),
        ("doc.json", "USA_SOCIAL_SECURITY_NUMBER"),
        ("lines.jsonl", "GITHUB_TOKEN"),
        ("book.xlsx", "USA_SOCIAL_SECURITY_NUMBER"),
        ("nested.tgz", "USA_SOCIAL_SECURITY_NUMBER"),
        ("page.pdf", "USA_SOCIAL_SECURITY_NUMBER"),
        ("rows.avro", "USA_SOCIAL_SECURITY_NUMBER"),
        ("rows.parquet", "USA_SOCIAL_SECURITY_NUMBER"),
    ] {
        let data = std::fs::read(corpus.join(file)).unwrap();
        let report = scanner.scan_bytes(&data, file);
        assert!(report.detections.iter().any(|d| d.r#type == expected), "{file}: {report:?}");
    }
}

#[test]
fn a_parquet_file_that_panics_the_decoder_is_skipped() {
    // Found by the fuzzer: the parquet crate asserts on this page instead of returning an
    // error; the scanner turns the panic into a skipped object.
    let scanner =
        Scanner::new(ScanSettings { managed: ManagedSelection::All, ..Default::default() })
            .unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus/extract/decoder-panic.parquet");
    let report = scanner.scan_bytes(&std::fs::read(path).unwrap(), "object");
    assert_eq!(report.status.code, arca_scan::StatusCode::Skipped, "{report:?}");
    let reason = report.status.reason.unwrap_or_default();
    assert!(reason.starts_with("INVALID_FILE: Parquet"), "{reason}");
}
