//! SARIF 2.1.0 output of `arca scan`, for code-scanning tools.

use serde_json::{Value, json};

use crate::cli::Scanned;
use crate::{Occurrence, Severity};

/// The SARIF log of the scanned objects with findings.
pub(crate) fn sarif(results: &[Scanned]) -> Value {
    let mut rules: Vec<String> = Vec::new();
    let mut sarif_results = Vec::new();
    for scanned in results.iter().filter(|s| s.report.has_findings()) {
        let uri = scanned.object.path.clone().unwrap_or_else(|| {
            format!(
                "s3://{}/{}",
                scanned.object.bucket.clone().unwrap_or_default(),
                scanned.object.key
            )
        });
        let level = match scanned.report.severity() {
            Some(Severity::High) => "error",
            Some(Severity::Medium) => "warning",
            _ => "note",
        };
        for detection in &scanned.report.detections {
            if !rules.contains(&detection.r#type) {
                rules.push(detection.r#type.clone());
            }
            let locations: Vec<Value> = detection
                .occurrences
                .iter()
                .map(|occurrence| {
                    let region = match occurrence {
                        Occurrence::LineRange { start, end, start_column } => {
                            json!({"startLine": start, "endLine": end, "startColumn": start_column})
                        }
                        Occurrence::Page { line, start_column, .. } => json!({"startLine": line, "startColumn": start_column}),
                        Occurrence::Cell { row, column, .. } => json!({"startLine": row, "startColumn": column}),
                        Occurrence::Record { record_index, .. } => json!({"startLine": record_index + 1}),
                    };
                    json!({"physicalLocation": {"artifactLocation": {"uri": uri}, "region": region}})
                })
                .collect();
            sarif_results.push(json!({
                "ruleId": detection.r#type,
                "level": level,
                "message": {"text": format!("{} occurrence(s) of {} in {}", detection.count, detection.r#type, uri)},
                "locations": locations,
                "properties": {"count": detection.count, "category": detection.category},
            }));
        }
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "arca scan",
                "informationUri": "https://github.com/arca",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules.iter().map(|id| json!({"id": id, "name": id, "shortDescription": {"text": format!("Sensitive data: {id}")}})).collect::<Vec<_>>(),
            }},
            "results": sarif_results,
        }]
    })
}
