//! Custom data identifiers and allow lists, read from the same JSON bodies as Macie's
//! `CreateCustomDataIdentifier` and `CreateAllowList`.

use serde::{Deserialize, Serialize};

use crate::ScanError;

/// A severity threshold of a custom data identifier (Macie's `SeverityLevel`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeverityLevel {
    /// Minimum number of occurrences for this severity.
    pub occurrences_threshold: u64,
    /// `LOW`, `MEDIUM` or `HIGH`.
    pub severity: String,
}

/// A custom data identifier (the body of `CreateCustomDataIdentifier`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomDataIdentifier {
    /// Display name.
    pub name: String,
    /// Regular expression, at most 512 characters.
    pub regex: String,
    /// Optional description.
    #[serde(default)]
    pub description: Option<String>,
    /// Up to 50 keywords (3-90 characters each); one must be near a match.
    #[serde(default)]
    pub keywords: Option<Vec<String>>,
    /// Up to 10 words; a match containing one is ignored (case-sensitive).
    #[serde(default)]
    pub ignore_words: Option<Vec<String>>,
    /// Keyword proximity, 1-300 characters (default 50).
    #[serde(default)]
    pub maximum_match_distance: Option<u32>,
    /// Severity thresholds (default: MEDIUM from one occurrence).
    #[serde(default)]
    pub severity_levels: Option<Vec<SeverityLevel>>,
    /// Tags (ignored by the scanner).
    #[serde(default)]
    pub tags: Option<serde_json::Value>,
    /// Idempotency token (ignored).
    #[serde(default)]
    pub client_token: Option<String>,
    /// Id assigned by a Macie service, if any.
    #[serde(default)]
    pub id: Option<String>,
}

impl CustomDataIdentifier {
    /// Checks Macie's limits on the definition.
    pub fn validate(&self) -> Result<(), ScanError> {
        let invalid = |message: &str| {
            Err(ScanError::InvalidCustomIdentifier {
                name: self.name.clone(),
                message: message.to_string(),
            })
        };
        if self.name.is_empty() || self.name.len() > 128 {
            return invalid("name must be 1-128 characters");
        }
        if self.regex.is_empty() || self.regex.len() > 512 {
            return invalid("regex must be 1-512 characters");
        }
        if let Some(keywords) = &self.keywords
            && (keywords.len() > 50 || keywords.iter().any(|k| k.len() < 3 || k.len() > 90))
        {
            return invalid("up to 50 keywords of 3-90 characters");
        }
        if let Some(words) = &self.ignore_words
            && (words.len() > 10 || words.iter().any(|k| k.len() < 4 || k.len() > 90))
        {
            return invalid("up to 10 ignore words of 4-90 characters");
        }
        if let Some(distance) = self.maximum_match_distance
            && !(1..=300).contains(&distance)
        {
            return invalid("maximumMatchDistance must be 1-300");
        }
        if let Some(levels) = &self.severity_levels
            && (levels.len() > 3
                || levels.iter().any(|l| !matches!(l.severity.as_str(), "LOW" | "MEDIUM" | "HIGH")))
        {
            return invalid("up to 3 severity levels of LOW, MEDIUM or HIGH");
        }
        regex::Regex::new(&self.regex).map_err(|error| ScanError::InvalidPattern {
            id: self.name.clone(),
            message: error.to_string(),
        })?;
        Ok(())
    }

    /// The identifier's ARN-like reference used in findings.
    pub fn arn(&self) -> String {
        let id = self.id.clone().unwrap_or_else(|| self.name.to_lowercase().replace(' ', "-"));
        format!("arn:aws:macie2:local:000000000000:custom-data-identifier/{id}")
    }

    /// The severity of `count` occurrences, or `None` when below the lowest threshold.
    pub fn severity(levels: &[SeverityLevel], count: u64) -> Option<String> {
        if levels.is_empty() {
            return (count >= 1).then(|| "MEDIUM".to_string());
        }
        levels
            .iter()
            .filter(|l| count >= l.occurrences_threshold)
            .max_by_key(|l| l.occurrences_threshold)
            .map(|l| l.severity.clone())
    }

    /// As `TestCustomDataIdentifier`: the number of matches in `sample_text`.
    pub fn test(&self, sample_text: &str) -> Result<u64, ScanError> {
        self.validate()?;
        let detector = crate::detect::Detector::new(
            &crate::ManagedSelection::None,
            std::slice::from_ref(self),
            &[],
        )?;
        let mut hits = Vec::new();
        detector.detect(sample_text, "", false, &mut hits);
        Ok(hits.len() as u64)
    }
}

/// An S3 object holding an allow list's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct S3WordsList {
    /// Bucket name.
    pub bucket_name: String,
    /// Object key (for local scans: a path to a file, one word per line).
    pub object_key: String,
}

/// Allow list criteria: a regex or a word list.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AllowListCriteria {
    /// Text that fully matches this regex is not reported.
    #[serde(default)]
    pub regex: Option<String>,
    /// Words list stored in S3.
    #[serde(default)]
    pub s3_words_list: Option<S3WordsList>,
    /// Arca extension: the words inline.
    #[serde(default)]
    pub words: Option<Vec<String>>,
}

/// An allow list (the body of `CreateAllowList`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AllowList {
    /// Display name.
    pub name: String,
    /// Criteria.
    pub criteria: AllowListCriteria,
    /// Optional description.
    #[serde(default)]
    pub description: Option<String>,
    /// Tags (ignored).
    #[serde(default)]
    pub tags: Option<serde_json::Value>,
    /// Idempotency token (ignored).
    #[serde(default)]
    pub client_token: Option<String>,
}

impl AllowList {
    /// Words of the list given inline (`criteria.words`); the `arca scan` command fills
    /// them from a local file named by `s3WordsList.objectKey` (fetching the words from S3
    /// is not implemented yet).
    pub fn words(&self) -> Vec<String> {
        self.criteria
            .words
            .clone()
            .unwrap_or_default()
            .into_iter()
            .map(|w| w.trim().to_string())
            .filter(|w| !w.is_empty())
            .collect()
    }

    /// Checks Macie's limits (regex up to 512 characters; a list needs regex or words).
    pub fn validate(&self) -> Result<(), ScanError> {
        let has_words = self.criteria.words.is_some() || self.criteria.s3_words_list.is_some();
        match (&self.criteria.regex, has_words) {
            (Some(regex), _) if regex.is_empty() || regex.len() > 512 => {
                Err(ScanError::InvalidAllowList {
                    name: self.name.clone(),
                    message: "regex must be 1-512 characters".into(),
                })
            }
            (None, false) => Err(ScanError::InvalidAllowList {
                name: self.name.clone(),
                message: "criteria need regex or s3WordsList".into(),
            }),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_function_counts_matches() {
        let identifier: CustomDataIdentifier = serde_json::from_str(
            r#"{"name":"order","regex":"ORD-[0-9]{4}","keywords":["order"],"maximumMatchDistance":10}"#,
        )
        .unwrap();
        assert_eq!(
            identifier.test("order ORD-1234 and order: ORD-9999, far away text ORD-0000").unwrap(),
            2
        );
    }

    #[test]
    fn limits_are_checked() {
        let mut identifier: CustomDataIdentifier =
            serde_json::from_str(r#"{"name":"x","regex":"a+"}"#).unwrap();
        assert!(identifier.validate().is_ok());
        identifier.maximum_match_distance = Some(301);
        assert!(identifier.validate().is_err());
        identifier.maximum_match_distance = None;
        identifier.regex = "a".repeat(513);
        assert!(identifier.validate().is_err());
    }

    #[test]
    fn severity_thresholds() {
        let levels = vec![
            SeverityLevel { occurrences_threshold: 1, severity: "LOW".into() },
            SeverityLevel { occurrences_threshold: 50, severity: "HIGH".into() },
        ];
        assert_eq!(CustomDataIdentifier::severity(&levels, 3).as_deref(), Some("LOW"));
        assert_eq!(CustomDataIdentifier::severity(&levels, 60).as_deref(), Some("HIGH"));
        assert_eq!(CustomDataIdentifier::severity(&[], 1).as_deref(), Some("MEDIUM"));
    }
}
