//! Any bytes, under any of a few names, through format detection, extraction (text,
//! CSV, JSON, archives, XLSX/DOCX, PDF, Avro, Parquet) and detection: must not panic, must stay bounded.
#![no_main]

use std::sync::OnceLock;

use arca_scan::{Limits, ManagedSelection, ScanSettings, Scanner};
use libfuzzer_sys::fuzz_target;

fn scanner() -> &'static Scanner {
    static SCANNER: OnceLock<Scanner> = OnceLock::new();
    SCANNER.get_or_init(|| {
        // libfuzzer-sys aborts on any panic, from its panic hook, before unwinding. The
        // scanner catches panics of the third-party Parquet decoder on purpose (they become
        // SKIPPED objects), so the hook must let those unwind; a panic that escapes the
        // scanner still reaches libfuzzer-sys's catch_unwind, which aborts.
        std::panic::set_hook(Box::new(|info| eprintln!("{info}")));
        let limits = Limits { max_expanded_bytes: 64 << 20, max_in_memory_bytes: 16 << 20, ..Limits::default() };
        Scanner::new(ScanSettings { managed: ManagedSelection::All, limits, ..Default::default() })
            .unwrap_or_else(|error| panic!("catalog compiles: {error}"))
    })
}

fuzz_target!(|data: &[u8]| {
    let names = ["object", "data.csv", "data.jsonl", "archive.tgz"];
    let name = names[data.first().copied().unwrap_or(0) as usize % names.len()];
    let _ = scanner().scan_bytes(data, name);
});
