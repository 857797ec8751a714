//! Model constraints checked as AWS checks them, with AWS's message text, in one place
//! for every service: `1 validation error detected: Value 'x' at 'keyId' failed to
//! satisfy constraint: Member must have length less than or equal to 2048`. A service
//! checks each member of its typed input against the model's constraints and turns
//! [`ValidationErrors`] into its own error (`ValidationException`, or IAM's
//! `ValidationError`).

/// Every violation of one request, as AWS words them.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ValidationErrors(pub String);

/// Collects constraint violations for one request.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<String>,
}

fn quoted(value: &str) -> String {
    format!("'{value}'")
}

impl Validator {
    /// A validator with no violations yet.
    pub fn new() -> Self {
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
    pub fn constraint(&mut self, member: &str, constraint: &str) {
        self.push(None, member, constraint);
    }

    /// A required member; returns it when present.
    pub fn required<'a, T>(&mut self, member: &str, value: &'a Option<T>) -> Option<&'a T> {
        if value.is_none() {
            self.push(Some("null".into()), member, "Member must not be null");
        }
        value.as_ref()
    }

    /// A string length range (in characters, as the model counts them).
    pub fn length(&mut self, member: &str, value: Option<&String>, min: usize, max: usize) {
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
    pub fn secret_length(&mut self, member: &str, length: Option<usize>, min: usize, max: usize) {
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
    pub fn blob_length(&mut self, member: &str, length: Option<usize>, min: usize, max: usize) {
        self.secret_length(member, length, min, max);
    }

    /// An integer range.
    pub fn range(&mut self, member: &str, value: Option<i64>, min: i64, max: i64) {
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
    pub fn one_of(&mut self, member: &str, value: Option<&String>, allowed: &[&str]) {
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
    pub fn chars(
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
    pub fn list_length<T>(&mut self, member: &str, value: Option<&Vec<T>>, min: usize, max: usize) {
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

    /// Ends validation: `Ok`, or every violation in one message.
    pub fn finish(self) -> Result<(), ValidationErrors> {
        match self.errors.len() {
            0 => Ok(()),
            1 => Err(ValidationErrors(format!("1 validation error detected: {}", self.errors[0]))),
            n => Err(ValidationErrors(format!(
                "{n} validation errors detected: {}",
                self.errors.join("; ")
            ))),
        }
    }
}

impl From<ValidationErrors> for crate::ApiError {
    fn from(errors: ValidationErrors) -> Self {
        crate::ApiError::new("ValidationException", 400, errors.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_follow_aws() {
        let mut v = Validator::new();
        v.range("numberOfBytes", Some(2000), 1, 1024);
        assert_eq!(
            v.finish().unwrap_err().0,
            "1 validation error detected: Value '2000' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024"
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
