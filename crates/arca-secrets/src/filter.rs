//! ListSecrets filters as AWS applies them: values of one filter are alternatives,
//! filters all apply; a leading `!` negates a value. `name`, `tag-key`, `tag-value`,
//! `primary-region` and `owning-service` are case-sensitive prefix matches; `description`
//! matches when every word of the value begins a word of the description, ignoring
//! case; `all` tries the value against every attribute that way.

use crate::{SecretsError, api::Filter, record::SecretRecord};

const KEYS: &[&str] =
    &["description", "name", "tag-key", "tag-value", "primary-region", "owning-service", "all"];

/// Checks filters against the model (keys, at most 10 values of 1-512 characters).
pub(crate) fn check(filters: &[Filter]) -> Result<(), SecretsError> {
    if filters.len() > 10 {
        return Err(SecretsError::InvalidParameter("You can specify at most 10 filters.".into()));
    }
    for filter in filters {
        let key = filter.key.as_deref().unwrap_or_default();
        if !KEYS.contains(&key) {
            return Err(SecretsError::InvalidParameter(format!(
                "Invalid filter key: '{key}'. Valid keys are: {}.",
                KEYS.join(", ")
            )));
        }
        let values = filter.values.as_deref().unwrap_or_default();
        if values.is_empty() || values.len() > 10 {
            return Err(SecretsError::InvalidParameter(
                "A filter must have between 1 and 10 values.".into(),
            ));
        }
        if values.iter().any(|v| v.is_empty() || v.chars().count() > 512) {
            return Err(SecretsError::InvalidParameter(
                "A filter value must have between 1 and 512 characters.".into(),
            ));
        }
    }
    Ok(())
}

/// True when `record` passes every filter.
pub(crate) fn matches(record: &SecretRecord, filters: &[Filter]) -> bool {
    filters.iter().all(|filter| {
        let key = filter.key.as_deref().unwrap_or_default();
        let values = filter.values.as_deref().unwrap_or_default();
        let (negated, positive): (Vec<&String>, Vec<&String>) =
            values.iter().partition(|v| v.starts_with('!'));
        let positive_ok =
            positive.is_empty() || positive.iter().any(|value| matches_value(record, key, value));
        let negated_ok =
            negated.iter().all(|value| !matches_value(record, key, value.trim_start_matches('!')));
        positive_ok && negated_ok
    })
}

fn matches_value(record: &SecretRecord, key: &str, value: &str) -> bool {
    let tag_keys = || record.tags.iter().filter_map(|t| t.key.as_deref());
    let tag_values = || record.tags.iter().filter_map(|t| t.value.as_deref());
    match key {
        "name" => record.name.starts_with(value),
        "description" => words_match(record.description.as_deref().unwrap_or_default(), value),
        "tag-key" => tag_keys().any(|k| k.starts_with(value)),
        "tag-value" => tag_values().any(|v| v.starts_with(value)),
        "primary-region" => record.primary_region.as_deref().is_some_and(|r| r.starts_with(value)),
        "owning-service" => false,
        "all" => {
            words_match(&record.name, value)
                || words_match(record.description.as_deref().unwrap_or_default(), value)
                || tag_keys().any(|k| words_match(k, value))
                || tag_values().any(|v| words_match(v, value))
        }
        _ => false,
    }
}

/// Every word of `value` begins some word of `text`, ignoring case. Words are split on
/// whitespace and on `/`, `_`, `-`, `.` in `text`.
fn words_match(text: &str, value: &str) -> bool {
    let text = text.to_lowercase();
    let words: Vec<&str> =
        text.split(|c: char| c.is_whitespace()).filter(|w| !w.is_empty()).collect();
    value
        .to_lowercase()
        .split_whitespace()
        .all(|wanted| words.iter().any(|word| word.starts_with(wanted)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(name: &str, description: &str) -> SecretRecord {
        SecretRecord {
            name: name.into(),
            description: Some(description.into()),
            ..Default::default()
        }
    }

    fn filter(key: &str, values: &[&str]) -> Filter {
        Filter {
            key: Some(key.into()),
            values: Some(values.iter().map(|v| v.to_string()).collect()),
        }
    }

    #[test]
    fn names_match_by_prefix_and_descriptions_by_words() {
        let one = secret("testing1/one-1", "a secret");
        let two = secret("/testing2/two-1", "an secret");
        let three = secret("testing3/three-1", "asecret");
        let four = secret("/testing4/four-1", "thesecret");
        let all = [&one, &two, &three, &four];
        let names = |filters: &[Filter]| -> Vec<String> {
            all.iter().filter(|s| matches(s, filters)).map(|s| s.name.clone()).collect()
        };
        assert_eq!(names(&[filter("name", &["/"])]), vec!["/testing2/two-1", "/testing4/four-1"]);
        assert_eq!(names(&[filter("name", &["!/"])]), vec!["testing1/one-1", "testing3/three-1"]);
        assert!(names(&[filter("name", &["testing1 one"])]).is_empty());
        assert_eq!(names(&[filter("description", &["a"])]).len(), 3);
        assert_eq!(names(&[filter("description", &["!a"])]), vec!["/testing4/four-1"]);
        assert_eq!(names(&[filter("description", &["a secret"])]).len(), 2);
        assert_eq!(names(&[filter("description", &["!c"])]).len(), 4);
        assert!(names(&[filter("description", &["a"]), filter("name", &["an"])]).is_empty());
    }

    #[test]
    fn unknown_keys_and_empty_values_are_refused() {
        assert!(check(&[filter("colour", &["x"])]).is_err());
        assert!(check(&[filter("name", &[])]).is_err());
        assert!(check(&[filter("name", &["x"])]).is_ok());
    }
}
