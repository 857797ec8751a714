//! Model constraints checked as AWS checks them, with AWS's message format:
//! `1 validation error detected: Value 'x' at 'keyId' failed to satisfy constraint:
//! Member must have length less than or equal to 2048`.

use crate::KmsError;

/// Collects constraint violations for one request.
#[derive(Default)]
pub(crate) struct Validator {
    errors: Vec<String>,
}

fn quoted(value: &str) -> String {
    format!("'{value}'")
}

impl Validator {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    fn push(&mut self, shown: Option<String>, member: &str, constraint: &str) {
        let value = match shown {
            Some(shown) => format!("Value {shown} at '{member}'"),
            None => format!("Value at '{member}'"),
        };
        self.errors.push(format!("{value} failed to satisfy constraint: {constraint}"));
    }

    /// A constraint on a member as a whole, without echoing its value.
    pub(crate) fn constraint(&mut self, member: &str, constraint: &str) {
        self.push(None, member, constraint);
    }

    /// A required member; returns it when present.
    pub(crate) fn required<'a, T>(&mut self, member: &str, value: &'a Option<T>) -> Option<&'a T> {
        if value.is_none() {
            self.push(Some("null".into()), member, "Member must not be null");
        }
        value.as_ref()
    }

    /// A string length range (in characters, as the model counts them).
    pub(crate) fn length(&mut self, member: &str, value: Option<&String>, min: usize, max: usize) {
        let Some(value) = value else { return };
        let length = value.chars().count();
        if length < min {
            self.push(
                Some(quoted(value)),
                member,
                &format!("Member must have length greater than or equal to {min}"),
            );
        } else if length > max {
            self.push(
                Some(quoted(value)),
                member,
                &format!("Member must have length less than or equal to {max}"),
            );
        }
    }

    /// A sensitive blob's length: AWS leaves the value out of the message.
    pub(crate) fn secret_length(
        &mut self,
        member: &str,
        length: Option<usize>,
        min: usize,
        max: usize,
    ) {
        let Some(length) = length else { return };
        if length < min {
            self.push(
                None,
                member,
                &format!("Member must have length greater than or equal to {min}"),
            );
        } else if length > max {
            self.push(
                None,
                member,
                &format!("Member must have length less than or equal to {max}"),
            );
        }
    }

    /// A non-secret blob's length (the value is shown as AWS shows binary: not at all).
    pub(crate) fn blob_length(
        &mut self,
        member: &str,
        length: Option<usize>,
        min: usize,
        max: usize,
    ) {
        self.secret_length(member, length, min, max);
    }

    /// An integer range.
    pub(crate) fn range(&mut self, member: &str, value: Option<i64>, min: i64, max: i64) {
        let Some(value) = value else { return };
        if value < min {
            self.push(
                Some(quoted(&value.to_string())),
                member,
                &format!("Member must have value greater than or equal to {min}"),
            );
        } else if value > max {
            self.push(
                Some(quoted(&value.to_string())),
                member,
                &format!("Member must have value less than or equal to {max}"),
            );
        }
    }

    /// An enum member.
    pub(crate) fn one_of(&mut self, member: &str, value: Option<&String>, allowed: &[&str]) {
        let Some(value) = value else { return };
        if !allowed.contains(&value.as_str()) {
            self.push(
                Some(quoted(value)),
                member,
                &format!("Member must satisfy enum value set: [{}]", allowed.join(", ")),
            );
        }
    }

    /// A pattern given as a predicate over characters, with the model's pattern text.
    pub(crate) fn chars(
        &mut self,
        member: &str,
        value: Option<&String>,
        pattern: &str,
        allowed: impl Fn(char) -> bool,
    ) {
        let Some(value) = value else { return };
        if !value.chars().all(allowed) {
            self.push(
                Some(quoted(value)),
                member,
                &format!("Member must satisfy regular expression pattern: {pattern}"),
            );
        }
    }

    /// A list's length.
    pub(crate) fn list_length<T>(
        &mut self,
        member: &str,
        value: Option<&Vec<T>>,
        min: usize,
        max: usize,
    ) {
        let Some(value) = value else { return };
        if value.len() < min {
            self.push(
                None,
                member,
                &format!("Member must have length greater than or equal to {min}"),
            );
        } else if value.len() > max {
            self.push(
                None,
                member,
                &format!("Member must have length less than or equal to {max}"),
            );
        }
    }

    /// Ends validation: `Ok` or one ValidationException listing every violation.
    pub(crate) fn finish(self) -> Result<(), KmsError> {
        match self.errors.len() {
            0 => Ok(()),
            1 => Err(KmsError::Validation(format!(
                "1 validation error detected: {}",
                self.errors[0]
            ))),
            n => Err(KmsError::Validation(format!(
                "{n} validation errors detected: {}",
                self.errors.join("; ")
            ))),
        }
    }
}

/// Key id constraint used by almost every operation.
pub(crate) fn key_id(
    validator: &mut Validator,
    member: &str,
    value: &Option<String>,
    required: bool,
) {
    if required {
        validator.required(member, value);
    }
    validator.length(member, value.as_ref(), 1, 2048);
}

/// Paging members shared by every List operation.
pub(crate) fn paging(validator: &mut Validator, limit: Option<i64>, marker: Option<&String>) {
    validator.range("limit", limit, 1, 1000);
    validator.length("marker", marker, 1, 1024);
    validator.chars("marker", marker, "[\\u0020-\\u00FF]*", |c| ('\u{20}'..='\u{ff}').contains(&c));
}

/// Grant tokens: at most 10, each 1-8192 characters.
pub(crate) fn grant_tokens(validator: &mut Validator, tokens: Option<&Vec<String>>) {
    validator.list_length("grantTokens", tokens, 0, 10);
    for token in tokens.into_iter().flatten() {
        validator.length("grantTokens.member", Some(token), 1, 8192);
    }
}

/// The encryption algorithm enum.
pub(crate) const ENCRYPTION_ALGORITHMS: &[&str] =
    &["SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "SM2PKE"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_follow_aws() {
        let mut v = Validator::new();
        v.range("numberOfBytes", Some(2000), 1, 1024);
        assert_eq!(
            v.finish().unwrap_err(),
            KmsError::Validation("1 validation error detected: Value '2000' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024".into())
        );
        let mut v = Validator::new();
        v.required::<String>("keyId", &None);
        v.secret_length("plaintext", Some(5000), 1, 4096);
        let message = v.finish().unwrap_err().to_string();
        assert!(message.starts_with("2 validation errors detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null; "));
        assert!(message.ends_with("Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096"));
    }

    #[test]
    fn enums_list_allowed_values() {
        let mut v = Validator::new();
        v.one_of("keySpec", Some(&"AES_512".to_string()), &["AES_256", "AES_128"]);
        assert!(
            v.finish()
                .unwrap_err()
                .to_string()
                .contains("Member must satisfy enum value set: [AES_256, AES_128]")
        );
    }
}
