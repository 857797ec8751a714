//! What a scan reports about one object: detections with Macie-shaped occurrences, the
//! classification status, and the Macie finding built from them.

use serde::Serialize;
use serde_json::{Value, json};

use crate::catalog::Category;

/// Where a segment of extracted text came from.
#[derive(Debug, Clone)]
pub enum Location {
    /// Unstructured text whose first line is `first_line` (1-based).
    Text {
        /// Line number of the segment's first line.
        first_line: u64,
    },
    /// A table cell (CSV, TSV, XLSX).
    Cell {
        /// Row number (1-based, the header row is 1).
        row: u64,
        /// Column number (1-based).
        column: u64,
        /// Column name from the header row.
        column_name: String,
        /// Spreadsheet cell reference (`B7`), for XLSX.
        cell_reference: Option<String>,
    },
    /// A value in a record (JSON, JSON Lines).
    Record {
        /// Record index (0-based).
        index: u64,
        /// JSON path of the value.
        json_path: String,
    },
    /// A page of a document (PDF).
    Page {
        /// Page number (1-based).
        page: u64,
        /// Line number of the segment's first line within the page.
        first_line: u64,
    },
}

/// Location of one occurrence, serialised as Macie's `Occurrences` members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Occurrence {
    /// `lineRanges` entry.
    LineRange {
        /// First line.
        start: u64,
        /// Last line.
        end: u64,
        /// Column of the first character (1-based).
        start_column: u64,
    },
    /// `cells` entry.
    Cell {
        /// Row.
        row: u64,
        /// Column.
        column: u64,
        /// Column name.
        column_name: String,
        /// Cell reference.
        cell_reference: Option<String>,
    },
    /// `records` entry.
    Record {
        /// Record index.
        record_index: u64,
        /// JSON path.
        json_path: String,
    },
    /// `pages` entry.
    Page {
        /// Page number.
        page_number: u64,
        /// Line range in the page.
        line: u64,
        /// Column.
        start_column: u64,
    },
}

/// Line (counted from 0) and column (from 1) of chosen offsets of a text, found in one
/// forward sweep however many occurrences a long segment has.
pub(crate) struct LineIndex {
    /// `(offset, newlines before it, column)`, sorted by offset.
    offsets: Vec<(usize, u64, u64)>,
}

impl LineIndex {
    pub(crate) fn new(text: &str, mut offsets: Vec<usize>) -> Self {
        offsets.sort_unstable();
        offsets.dedup();
        let bytes = text.as_bytes();
        let (mut at, mut newlines, mut line_start) = (0, 0u64, 0);
        let offsets = offsets
            .into_iter()
            .map(|offset| {
                let offset = offset.min(bytes.len());
                let between = bytes.get(at..offset).unwrap_or_default();
                newlines += memchr::memchr_iter(b'\n', between).count() as u64;
                if let Some(i) = memchr::memrchr(b'\n', between) {
                    line_start = at + i + 1;
                }
                at = offset;
                let column = text.get(line_start..offset).map_or(0, |s| s.chars().count()) as u64;
                (offset, newlines, column + 1)
            })
            .collect();
        Self { offsets }
    }

    fn line_of(&self, offset: usize) -> (u64, u64) {
        let index = self.offsets.partition_point(|(at, _, _)| *at < offset);
        self.offsets.get(index).map_or((0, 1), |(_, line, column)| (*line, *column))
    }

    /// The offsets an occurrence of `start..end` asks for.
    pub(crate) fn wanted(start: usize, end: usize) -> [usize; 2] {
        [start, end.saturating_sub(1).max(start)]
    }
}

impl Location {
    /// The occurrence of the span `start..end` of `text` at this location; `lines` holds
    /// the offsets [`LineIndex::wanted`] names.
    pub(crate) fn occurrence(&self, start: usize, end: usize, lines: &LineIndex) -> Occurrence {
        let line_of = |offset: usize| lines.line_of(offset);
        match self {
            Location::Text { first_line } => {
                let (start_line, column) = line_of(start);
                let (end_line, _) = line_of(end.saturating_sub(1).max(start));
                Occurrence::LineRange {
                    start: first_line + start_line,
                    end: first_line + end_line,
                    start_column: column,
                }
            }
            Location::Cell { row, column, column_name, cell_reference } => Occurrence::Cell {
                row: *row,
                column: *column,
                column_name: column_name.clone(),
                cell_reference: cell_reference.clone(),
            },
            Location::Record { index, json_path } => {
                Occurrence::Record { record_index: *index, json_path: json_path.clone() }
            }
            Location::Page { page, first_line } => {
                let (line, column) = line_of(start);
                Occurrence::Page {
                    page_number: *page,
                    line: first_line + line,
                    start_column: column,
                }
            }
        }
    }
}

/// Macie's classification status codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StatusCode {
    /// Fully analysed.
    Complete,
    /// Partly analysed (some entries or bytes skipped).
    Partial,
    /// Not analysed.
    Skipped,
}

/// The classification status of an object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    /// Code.
    pub code: StatusCode,
    /// Why the object was partial or skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One type of sensitive data found in an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    /// Managed identifier id, or the custom identifier's name.
    pub r#type: String,
    /// Category.
    pub category: Category,
    /// Custom identifier ARN and severity thresholds, for custom identifiers.
    pub custom: Option<CustomDetection>,
    /// Number of occurrences.
    pub count: u64,
    /// Up to 15 occurrences.
    pub occurrences: Vec<Occurrence>,
    /// The matched values of those occurrences, only when revealing.
    pub samples: Vec<String>,
}

/// Custom identifier details of a detection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomDetection {
    /// ARN.
    pub arn: String,
    /// Severity computed from the identifier's thresholds (`None`: below the lowest).
    pub severity: Option<String>,
}

/// A skipped part of an object (an archive entry, a nested file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedPart {
    /// Path of the part inside the object.
    pub path: String,
    /// Why.
    pub reason: String,
}

/// Everything a scan reports about one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectReport {
    /// Status.
    pub status: Status,
    /// MIME type detected from content.
    pub mime_type: String,
    /// Bytes of the object analysed (compressed size for archives, as Macie reports).
    pub size_classified: u64,
    /// Detections, managed then custom.
    pub detections: Vec<Detection>,
    /// Parts skipped inside the object.
    pub skipped_parts: Vec<SkippedPart>,
}

/// Finding severity (Macie's `SeverityDescription`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Severity {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

impl Severity {
    /// Parses `low`/`medium`/`high` in any case.
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            _ => None,
        }
    }
    /// Macie's score (1-3).
    pub fn score(self) -> u8 {
        match self {
            Severity::Low => 1,
            Severity::Medium => 2,
            Severity::High => 3,
        }
    }
    /// Display name.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Low => "Low",
            Severity::Medium => "Medium",
            Severity::High => "High",
        }
    }
}

impl ObjectReport {
    /// True when anything sensitive was found (custom identifiers below their lowest
    /// severity threshold do not count, as in Macie).
    pub fn has_findings(&self) -> bool {
        self.detections.iter().any(|d| d.custom.as_ref().is_none_or(|c| c.severity.is_some()))
    }

    /// The finding severity: credentials High; financial Medium below 100 occurrences,
    /// High from 100; personal Low below 100, Medium below 1000, High from 1000; custom
    /// identifiers by their thresholds; the highest across categories.
    pub fn severity(&self) -> Option<Severity> {
        let mut totals = [0u64; 3];
        let mut best: Option<Severity> = None;
        for detection in &self.detections {
            match (&detection.custom, detection.category) {
                (Some(custom), _) => {
                    let severity = custom.severity.as_deref().and_then(Severity::parse);
                    best = best.max(severity);
                }
                (None, Category::Credentials) => totals[0] += detection.count,
                (None, Category::FinancialInformation) => totals[1] += detection.count,
                (None, Category::PersonalInformation | Category::CustomIdentifier) => {
                    totals[2] += detection.count
                }
            }
        }
        let [credentials, financial, personal] = totals;
        if credentials > 0 {
            best = best.max(Some(Severity::High));
        }
        if financial > 0 {
            best = best.max(Some(if financial >= 100 { Severity::High } else { Severity::Medium }));
        }
        if personal > 0 {
            best = best.max(Some(match personal {
                0..100 => Severity::Low,
                100..1000 => Severity::Medium,
                _ => Severity::High,
            }));
        }
        best
    }

    /// Macie's finding type: `SensitiveData:S3Object/Personal`, `/Financial`,
    /// `/Credentials`, `/CustomIdentifier` or `/Multiple`.
    pub fn finding_type(&self) -> &'static str {
        let mut kinds: Vec<&str> = self
            .detections
            .iter()
            .filter(|d| d.custom.as_ref().is_none_or(|c| c.severity.is_some()))
            .map(|d| match (&d.custom, d.category) {
                (Some(_), _) | (None, Category::CustomIdentifier) => "CustomIdentifier",
                (None, Category::Credentials) => "Credentials",
                (None, Category::FinancialInformation) => "Financial",
                (None, Category::PersonalInformation) => "Personal",
            })
            .collect();
        kinds.sort_unstable();
        kinds.dedup();
        match kinds.as_slice() {
            ["Credentials"] => "SensitiveData:S3Object/Credentials",
            ["Financial"] => "SensitiveData:S3Object/Financial",
            ["Personal"] => "SensitiveData:S3Object/Personal",
            ["CustomIdentifier"] => "SensitiveData:S3Object/CustomIdentifier",
            _ => "SensitiveData:S3Object/Multiple",
        }
    }
}

/// Where the object lives, for the finding's `resourcesAffected`.
#[derive(Debug, Clone, Default)]
pub struct ObjectRef {
    /// Bucket name (S3 sources).
    pub bucket: Option<String>,
    /// Object key (S3) or path relative to the scanned root.
    pub key: String,
    /// Local path (local sources).
    pub path: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// ETag (S3).
    pub etag: Option<String>,
    /// Last modification (RFC 3339).
    pub last_modified: Option<String>,
    /// Version id (S3).
    pub version_id: Option<String>,
}

fn occurrences_json(occurrences: &[Occurrence]) -> Value {
    let mut line_ranges = Vec::new();
    let mut cells = Vec::new();
    let mut records = Vec::new();
    let mut pages = Vec::new();
    for occurrence in occurrences {
        match occurrence {
            Occurrence::LineRange { start, end, start_column } => {
                line_ranges.push(json!({"start": start, "end": end, "startColumn": start_column}));
            }
            Occurrence::Cell { row, column, column_name, cell_reference } => {
                cells.push(json!({"row": row, "column": column, "columnName": column_name, "cellReference": cell_reference}));
            }
            Occurrence::Record { record_index, json_path } => {
                records.push(json!({"recordIndex": record_index, "jsonPath": json_path}));
            }
            Occurrence::Page { page_number, line, start_column } => pages.push(json!({
                "pageNumber": page_number,
                "lineRange": {"start": line, "end": line, "startColumn": start_column}
            })),
        }
    }
    let mut out = serde_json::Map::new();
    if !line_ranges.is_empty() {
        out.insert("lineRanges".into(), Value::Array(line_ranges));
    }
    if !cells.is_empty() {
        out.insert("cells".into(), Value::Array(cells));
    }
    if !records.is_empty() {
        out.insert("records".into(), Value::Array(records));
    }
    if !pages.is_empty() {
        out.insert("pages".into(), Value::Array(pages));
    }
    Value::Object(out)
}

/// Builds a Macie-shaped finding (as `GetFindings` returns it) for an object with
/// detections. `id` and `created_at` are supplied by the caller (a job or the CLI).
pub fn macie_finding(
    report: &ObjectReport,
    object: &ObjectRef,
    id: &str,
    created_at: &str,
) -> Value {
    let mut by_category: std::collections::BTreeMap<Category, Vec<&Detection>> = Default::default();
    let mut custom = Vec::new();
    for detection in &report.detections {
        if detection.custom.is_some() {
            custom.push(detection);
        } else {
            by_category.entry(detection.category).or_default().push(detection);
        }
    }
    let detection_json = |d: &Detection| {
        let mut value = json!({"type": d.r#type, "count": d.count, "occurrences": occurrences_json(&d.occurrences)});
        if !d.samples.is_empty()
            && let Some(map) = value.as_object_mut()
        {
            map.insert("values".into(), json!(d.samples));
        }
        value
    };
    let sensitive_data: Vec<Value> = by_category
        .iter()
        .map(|(category, detections)| {
            json!({
                "category": category,
                "detections": detections.iter().map(|d| detection_json(d)).collect::<Vec<_>>(),
                "totalCount": detections.iter().map(|d| d.count).sum::<u64>(),
            })
        })
        .collect();
    let custom_json: Vec<Value> = custom
        .iter()
        .map(|d| {
            let mut value = json!({
                "arn": d.custom.as_ref().map(|c| c.arn.clone()),
                "name": d.r#type,
                "count": d.count,
                "occurrences": occurrences_json(&d.occurrences),
            });
            if !d.samples.is_empty()
                && let Some(map) = value.as_object_mut()
            {
                map.insert("values".into(), json!(d.samples));
            }
            value
        })
        .collect();
    let additional = report.detections.iter().any(|d| d.count as usize > d.occurrences.len());
    let severity = report.severity().unwrap_or(Severity::Low);
    let finding_type = report.finding_type();
    let total: u64 = report.detections.iter().map(|d| d.count).sum();
    let bucket = object.bucket.clone().unwrap_or_default();
    let extension = object
        .key
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_string())
        .filter(|ext| !ext.contains('/'));
    json!({
        "schemaVersion": "1.0",
        "id": id,
        "accountId": "000000000000",
        "partition": "aws",
        "region": "local",
        "category": "CLASSIFICATION",
        "type": finding_type,
        "title": format!("The object contains {}", finding_type.rsplit('/').next().unwrap_or("sensitive").to_lowercase().replace("multiple", "multiple types of sensitive") + " information."),
        "description": format!("The object contains {total} occurrences of sensitive data."),
        "severity": {"description": severity.name(), "score": severity.score()},
        "createdAt": created_at,
        "updatedAt": created_at,
        "count": 1,
        "archived": false,
        "sample": false,
        "classificationDetails": {
            "originType": "SENSITIVE_DATA_DISCOVERY_JOB",
            "result": {
                "status": report.status,
                "mimeType": report.mime_type,
                "sizeClassified": report.size_classified,
                "additionalOccurrences": additional,
                "sensitiveData": sensitive_data,
                "customDataIdentifiers": {"detections": custom_json, "totalCount": custom.iter().map(|d| d.count).sum::<u64>()},
            }
        },
        "resourcesAffected": {
            "s3Bucket": {"name": bucket, "arn": object.bucket.as_ref().map(|b| format!("arn:aws:s3:::{b}"))},
            "s3Object": {
                "bucketArn": object.bucket.as_ref().map(|b| format!("arn:aws:s3:::{b}")),
                "key": object.key,
                "path": object.path.clone().unwrap_or_else(|| format!("{bucket}/{}", object.key)),
                "extension": extension,
                "size": object.size,
                "eTag": object.etag,
                "lastModified": object.last_modified,
                "versionId": object.version_id,
                "publicAccess": false,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detection(r#type: &str, category: Category, count: u64) -> Detection {
        Detection {
            r#type: r#type.into(),
            category,
            custom: None,
            count,
            occurrences: vec![Occurrence::LineRange { start: 2, end: 2, start_column: 6 }],
            samples: Vec::new(),
        }
    }

    fn report(detections: Vec<Detection>) -> ObjectReport {
        ObjectReport {
            status: Status { code: StatusCode::Complete, reason: None },
            mime_type: "text/plain".into(),
            size_classified: 42,
            detections,
            skipped_parts: Vec::new(),
        }
    }

    #[test]
    fn severity_follows_macie() {
        let check = |detections, expected| assert_eq!(report(detections).severity(), expected);
        check(
            vec![detection("USA_SOCIAL_SECURITY_NUMBER", Category::PersonalInformation, 99)],
            Some(Severity::Low),
        );
        check(
            vec![detection("USA_SOCIAL_SECURITY_NUMBER", Category::PersonalInformation, 100)],
            Some(Severity::Medium),
        );
        check(
            vec![detection("USA_SOCIAL_SECURITY_NUMBER", Category::PersonalInformation, 1000)],
            Some(Severity::High),
        );
        check(
            vec![detection("CREDIT_CARD_NUMBER", Category::FinancialInformation, 1)],
            Some(Severity::Medium),
        );
        check(
            vec![detection("CREDIT_CARD_NUMBER", Category::FinancialInformation, 100)],
            Some(Severity::High),
        );
        check(vec![detection("PKCS", Category::Credentials, 1)], Some(Severity::High));
        check(vec![], None);
    }

    #[test]
    fn finding_shape() {
        let mut with_custom = detection("Employee ID", Category::CustomIdentifier, 3);
        with_custom.custom =
            Some(CustomDetection { arn: "arn:x".into(), severity: Some("LOW".into()) });
        let report = report(vec![
            detection("USA_SOCIAL_SECURITY_NUMBER", Category::PersonalInformation, 20),
            with_custom,
        ]);
        assert_eq!(report.finding_type(), "SensitiveData:S3Object/Multiple");
        let object = ObjectRef {
            key: "hr/a.txt".into(),
            path: Some("/data/hr/a.txt".into()),
            size: 42,
            ..Default::default()
        };
        let finding = macie_finding(&report, &object, "f1", "2026-01-01T00:00:00Z");
        let result = &finding["classificationDetails"]["result"];
        assert_eq!(result["status"], json!({"code": "COMPLETE"}));
        assert_eq!(result["additionalOccurrences"], json!(true));
        assert_eq!(
            result["sensitiveData"],
            json!([{
                "category": "PERSONAL_INFORMATION",
                "detections": [{"type": "USA_SOCIAL_SECURITY_NUMBER", "count": 20,
                    "occurrences": {"lineRanges": [{"start": 2, "end": 2, "startColumn": 6}]}}],
                "totalCount": 20
            }])
        );
        assert_eq!(result["customDataIdentifiers"]["detections"][0]["arn"], json!("arn:x"));
        assert_eq!(result["customDataIdentifiers"]["totalCount"], json!(3));
        assert_eq!(finding["resourcesAffected"]["s3Object"]["path"], json!("/data/hr/a.txt"));
        assert_eq!(finding["resourcesAffected"]["s3Object"]["extension"], json!("txt"));
        assert_eq!(finding["severity"], json!({"description": "Low", "score": 1}));
        assert!(finding.get("values").is_none() && !finding.to_string().contains("\"values\""));
    }
}
