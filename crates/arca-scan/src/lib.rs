//! Arca's sensitive-data discovery engine: finds personal data, financial data and
//! credentials in objects, the way Amazon Macie's classification does.
//!
//! The engine is pure and synchronous: a [`Scanner`] is compiled once from
//! [`ScanSettings`] (managed identifier selection, [`CustomDataIdentifier`]s,
//! [`AllowList`]s, [`Limits`]) and then takes objects as byte streams with
//! [`ObjectMeta`], returning an [`ObjectReport`]: per identifier a count and up to 15
//! occurrences located as Macie locates them (line ranges, cells, records, pages), and a
//! classification status. [`macie_finding`] turns a report into a Macie-shaped finding.
//!
//! - [`catalog`]: the managed data identifiers (Macie's ids and keyword rules, plus
//!   credential formats and Chinese identifiers), validated by the check algorithms in
//!   [`validators`].
//! - Formats are detected by content: text, CSV/TSV, JSON, JSON Lines, XML/HTML, EML,
//!   XLSX, DOCX, PDF (text streams), Avro, Parquet (rows as records, columns as JSON
//!   paths), gzip, zip and tar (nested, bounded).
//! - Sources that do I/O sit behind features: `cli` (the `arca scan` command, local
//!   files) and `s3` (S3-compatible buckets).
//!
//! ```
//! use arca_scan::{ManagedSelection, ScanSettings, Scanner};
//!
//! let scanner = Scanner::new(ScanSettings { managed: ManagedSelection::All, ..Default::default() }).unwrap();
//! let report = scanner.scan_bytes(b"name,ssn\nAlice,536-22-8726\n", "people.csv");
//! assert_eq!(report.detections[0].r#type, "USA_SOCIAL_SECURITY_NUMBER");
//! assert_eq!(report.mime_type, "text/csv");
//! ```
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod automaton;
mod avro;
pub mod catalog;
mod custom;
mod detect;
mod error;
mod extract;
pub mod gate;
mod office;
mod parquet_rows;
mod pdf;
mod report;
mod scanner;
pub mod validators;

#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "cli")]
mod cli_sarif;
#[cfg(feature = "s3")]
pub mod s3;

pub use catalog::{Category, KeywordRule};
pub use custom::{AllowList, AllowListCriteria, CustomDataIdentifier, S3WordsList, SeverityLevel};
pub use detect::{KEYWORD_DISTANCE, MAX_OCCURRENCES, ManagedSelection};
pub use error::ScanError;
pub use extract::{Format, Limits, sniff};
pub use report::{
    CustomDetection, Detection, Location, ObjectRef, ObjectReport, Occurrence, Severity,
    SkippedPart, Status, StatusCode, macie_finding,
};
pub use scanner::{ObjectMeta, ScanSettings, Scanner};
