//! The public entry point: a [`Scanner`] built once from [`ScanSettings`], then used for
//! any number of objects, from any number of threads.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::sync::Arc;

use crate::ScanError;
use crate::catalog::Category;
use crate::custom::{AllowList, CustomDataIdentifier};
use crate::detect::{Collector, Detector, IdentifierKind, ManagedSelection};
use crate::extract::{Extraction, Format, Limits, Skip};
use crate::report::{CustomDetection, Detection, ObjectReport, Status, StatusCode};

/// Everything that decides what a scan detects.
#[derive(Debug, Clone, Default)]
pub struct ScanSettings {
    /// Managed identifiers to use.
    pub managed: ManagedSelection,
    /// Custom data identifiers.
    pub custom_identifiers: Vec<CustomDataIdentifier>,
    /// Allow lists.
    pub allow_lists: Vec<AllowList>,
    /// Bounds on each object.
    pub limits: Limits,
    /// Keep the matched values of reported occurrences (never by default).
    pub reveal: bool,
}

/// Metadata of an object handed to [`Scanner::scan`].
#[derive(Debug, Clone, Default)]
pub struct ObjectMeta {
    /// Name or key; its extension helps format detection.
    pub name: String,
    /// Size in bytes, when known.
    pub size: Option<u64>,
    /// Content type from the source, when known (content sniffing decides).
    pub content_type: Option<String>,
}

/// A compiled scanner. Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct Scanner {
    detector: Arc<Detector>,
    limits: Limits,
    reveal: bool,
}

impl std::fmt::Debug for Scanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scanner")
            .field("identifiers", &self.detector.identifiers.len())
            .field("limits", &self.limits)
            .finish()
    }
}

impl Scanner {
    /// Compiles the settings. Fails on unknown ids, invalid regexes or out-of-limit
    /// custom identifiers and allow lists.
    pub fn new(settings: ScanSettings) -> Result<Self, ScanError> {
        let ScanSettings { managed, custom_identifiers, allow_lists, limits, reveal } = settings;
        for identifier in &custom_identifiers {
            identifier.validate()?;
        }
        for list in &allow_lists {
            list.validate()?;
        }
        let detector = Detector::new(&managed, &custom_identifiers, &allow_lists)?;
        Ok(Self { detector: Arc::new(detector), limits, reveal })
    }

    /// Ids (managed) and names (custom) of the identifiers in use.
    pub fn identifiers(&self) -> Vec<String> {
        self.detector
            .identifiers
            .iter()
            .map(|c| match &c.kind {
                IdentifierKind::Managed { id, .. } => id.to_string(),
                IdentifierKind::Custom { name, .. } => name.clone(),
            })
            .collect()
    }

    /// Scans one object read from `reader`. Never fails: unreadable, unsupported or
    /// oversized content yields a SKIPPED or PARTIAL status with a reason.
    pub fn scan(&self, reader: &mut dyn Read, meta: &ObjectMeta) -> ObjectReport {
        let mut counted = CountingReader { inner: reader, count: 0 };
        let mut report = self
            .analyse(|extraction| extraction.scan_stream(&mut counted, &meta.name, 0, meta.size));
        report.size_classified = counted.count;
        report
    }

    /// Scans a local file. A Parquet file (magic at both ends) is read in place, its footer
    /// and pages by random access, so it is never copied into memory and the in-memory
    /// limit does not apply to it; every other file streams as in [`Scanner::scan`].
    pub fn scan_file(&self, mut file: File, meta: &ObjectMeta) -> ObjectReport {
        match parquet_file_length(&mut file) {
            Ok(Some(length)) => {
                let mut report = self.analyse(|extraction| {
                    extraction.top_format = Some(Format::Parquet);
                    extraction.scan_parquet_file(file, length).map(|()| Format::Parquet)
                });
                report.size_classified = length;
                report
            }
            Ok(None) => self.scan(&mut BufReader::with_capacity(1 << 16, file), meta),
            Err(error) => self.analyse(|_| Err(Skip(format!("READ_ERROR: {error}")))),
        }
    }

    /// Runs one extraction and turns its outcome into a report (`size_classified` is left
    /// to the caller, who knows how the bytes were read).
    fn analyse(
        &self,
        extract: impl FnOnce(&mut Extraction<'_, '_>) -> Result<Format, Skip>,
    ) -> ObjectReport {
        let mut collector = Collector::new(&self.detector, self.reveal);
        let mut extraction = Extraction {
            collector: &mut collector,
            limits: self.limits,
            expanded: 0,
            skipped: Vec::new(),
            truncated: None,
            top_format: None,
        };
        let outcome = extract(&mut extraction);
        let skipped_parts = std::mem::take(&mut extraction.skipped);
        let truncated = extraction.truncated.take();
        let format = extraction.top_format.unwrap_or(Format::Text);
        let detections = self.detections(&collector);
        let status = match outcome {
            Err(Skip(reason)) if detections.is_empty() => {
                Status { code: StatusCode::Skipped, reason: Some(reason) }
            }
            Err(Skip(reason)) => Status { code: StatusCode::Partial, reason: Some(reason) },
            Ok(_) => match (skipped_parts.first(), truncated) {
                (_, Some(reason)) => Status { code: StatusCode::Partial, reason: Some(reason) },
                (Some(part), None) => Status {
                    code: StatusCode::Partial,
                    reason: Some(format!(
                        "{} part(s) skipped, first {}: {}",
                        skipped_parts.len(),
                        part.path,
                        part.reason
                    )),
                },
                (None, None) => Status { code: StatusCode::Complete, reason: None },
            },
        };
        ObjectReport {
            status,
            mime_type: format.mime_type().to_string(),
            size_classified: 0,
            detections,
            skipped_parts,
        }
    }

    /// Scans an object already in memory.
    pub fn scan_bytes(&self, bytes: &[u8], name: &str) -> ObjectReport {
        let meta = ObjectMeta {
            name: name.to_string(),
            size: Some(bytes.len() as u64),
            content_type: None,
        };
        self.scan(&mut std::io::Cursor::new(bytes), &meta)
    }

    fn detections(&self, collector: &Collector<'_>) -> Vec<Detection> {
        let mut out = Vec::new();
        for (identifier, tally) in self.detector.identifiers.iter().zip(&collector.tallies) {
            if tally.count == 0 {
                continue;
            }
            let (r#type, category, custom) = match &identifier.kind {
                IdentifierKind::Managed { id, category } => (id.to_string(), *category, None),
                IdentifierKind::Custom { name, arn, severity_levels } => (
                    name.clone(),
                    Category::CustomIdentifier,
                    Some(CustomDetection {
                        arn: arn.clone(),
                        severity: CustomDataIdentifier::severity(severity_levels, tally.count),
                    }),
                ),
            };
            out.push(Detection {
                r#type,
                category,
                custom,
                count: tally.count,
                occurrences: tally.occurrences.clone(),
                samples: tally.samples.clone(),
            });
        }
        out
    }
}

struct CountingReader<'a> {
    inner: &'a mut dyn Read,
    count: u64,
}

impl Read for CountingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

/// The length of `file` when it is Parquet (`PAR1` at its start and its end), with the
/// file rewound either way.
fn parquet_file_length(file: &mut File) -> std::io::Result<Option<u64>> {
    let length = file.seek(SeekFrom::End(0))?;
    let mut head = [0u8; 4];
    let mut tail = [0u8; 4];
    let is_parquet = length >= 12 && {
        file.seek(SeekFrom::Start(0))?;
        file.read_exact(&mut head)?;
        file.seek(SeekFrom::End(-4))?;
        file.read_exact(&mut tail)?;
        &head == b"PAR1" && &tail == b"PAR1"
    };
    file.seek(SeekFrom::Start(0))?;
    Ok(is_parquet.then_some(length))
}
