//! Secret names and ARNs: what a name may contain, the ARN with its random suffix, and
//! how a `SecretId` (a name, a full ARN or a partial ARN) is read.

use crate::SecretsError;

/// The characters AWS allows in a name besides ASCII letters and digits.
const NAME_PUNCTUATION: &str = "/_+=.@-";

/// The random part AWS appends to a name in the ARN: a hyphen and six characters.
const SUFFIX_LEN: usize = 6;

/// Checks a secret name as CreateSecret does (after the model's length checks).
pub(crate) fn check_name(name: &str) -> Result<(), SecretsError> {
    if name.chars().all(|c| c.is_ascii_alphanumeric() || NAME_PUNCTUATION.contains(c)) {
        Ok(())
    } else {
        Err(SecretsError::Validation(
            "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!"
                .into(),
        ))
    }
}

/// A new ARN for `name`: AWS's form with a random six-character suffix.
pub(crate) fn new_arn(region: &str, account: &str, name: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut suffix = String::with_capacity(SUFFIX_LEN);
    while suffix.len() < SUFFIX_LEN {
        let mut byte = [0u8; 1];
        arca_crypto::random::fill(&mut byte);
        // 52 * 4 = 208: bytes at or above it are redrawn, so every letter is equally likely.
        if byte[0] < 208 {
            suffix.push(char::from(ALPHABET[usize::from(byte[0] % 52)]));
        }
    }
    format!("arn:aws:secretsmanager:{region}:{account}:secret:{name}-{suffix}")
}

/// The ARN a secret would have without its suffix (authorisation of a request for a
/// secret that does not exist names this).
pub(crate) fn unsuffixed_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:secretsmanager:{region}:{account}:secret:{name}")
}

/// The name part of a full ARN (`...:secret:NAME-XXXXXX` gives `NAME`).
pub(crate) fn name_of_arn(arn: &str) -> &str {
    let rest = arn.split_once(":secret:").map_or(arn, |(_, rest)| rest);
    rest.get(..rest.len().saturating_sub(SUFFIX_LEN + 1)).unwrap_or(rest)
}

/// What a `SecretId` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SecretRef {
    /// A name in the caller's account and region.
    Name(String),
    /// An ARN: its account, region and what follows `:secret:` (a name with its
    /// suffix, or a name alone for a partial ARN).
    Arn {
        /// The ARN as given.
        arn: String,
        /// Its account.
        account: String,
        /// Its region.
        region: String,
        /// What follows `:secret:`.
        rest: String,
    },
}

impl SecretRef {
    /// Reads a `SecretId`. Anything that starts `arn:` must be a Secrets Manager
    /// secret ARN.
    pub(crate) fn parse(secret_id: &str) -> Result<Self, SecretsError> {
        if !secret_id.starts_with("arn:") {
            check_name(secret_id)?;
            return Ok(Self::Name(secret_id.to_string()));
        }
        let parts: Vec<&str> = secret_id.splitn(7, ':').collect();
        match parts.as_slice() {
            ["arn", _partition, "secretsmanager", region, account, "secret", rest]
                if !rest.is_empty() && !region.is_empty() && account.len() == 12 =>
            {
                Ok(Self::Arn {
                    arn: secret_id.to_string(),
                    account: (*account).to_string(),
                    region: (*region).to_string(),
                    rest: (*rest).to_string(),
                })
            }
            _ => Err(SecretsError::InvalidParameter(
                "Invalid secret ARN: the ARN is not a Secrets Manager secret ARN.".into(),
            )),
        }
    }

    /// The names a lookup should try, most specific first: for an ARN, the name
    /// without a six-character suffix (a full ARN), then the whole rest (a partial ARN).
    pub(crate) fn candidate_names(&self) -> Vec<&str> {
        match self {
            Self::Name(name) => vec![name.as_str()],
            Self::Arn { rest, .. } => {
                let mut names = Vec::with_capacity(2);
                if let Some((name, suffix)) = rest.rsplit_once('-')
                    && suffix.len() == SUFFIX_LEN
                    && !name.is_empty()
                {
                    names.push(name);
                }
                names.push(rest.as_str());
                names
            }
        }
    }

    /// True when a secret with `arn` is the one this reference names.
    pub(crate) fn matches(&self, arn: &str) -> bool {
        match self {
            Self::Name(_) => true,
            // A full ARN must be the secret's; a partial one is its unsuffixed prefix.
            Self::Arn { arn: given, .. } => {
                given == arn
                    || (arn.len() == given.len() + SUFFIX_LEN + 1
                        && arn.starts_with(given.as_str())
                        && arn.as_bytes().get(given.len()) == Some(&b'-'))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_allow_aws_punctuation_only() {
        assert!(check_name("Valid/_+=.@-Name").is_ok());
        for bad in ["Inv Name", " Inv*Name? ", "a!b", "ü"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn arns_carry_a_six_letter_suffix_and_parse_back() {
        let arn = new_arn("us-east-1", "111122223333", "db/prod");
        assert!(arn.starts_with("arn:aws:secretsmanager:us-east-1:111122223333:secret:db/prod-"));
        assert_eq!(name_of_arn(&arn), "db/prod");
        let full = SecretRef::parse(&arn).unwrap();
        assert_eq!(full.candidate_names(), vec!["db/prod", arn.split(":secret:").nth(1).unwrap()]);
        assert!(full.matches(&arn));
        let partial =
            SecretRef::parse(&unsuffixed_arn("us-east-1", "111122223333", "db/prod")).unwrap();
        assert_eq!(partial.candidate_names(), vec!["db/prod"]);
        assert!(partial.matches(&arn));
        assert!(
            !partial
                .matches("arn:aws:secretsmanager:us-east-1:111122223333:secret:db/prod2-abcdef")
        );
    }

    #[test]
    fn other_arns_are_refused() {
        assert!(SecretRef::parse("arn:aws:kms:us-east-1:111122223333:key/abc").is_err());
        assert_eq!(SecretRef::parse("plain").unwrap(), SecretRef::Name("plain".into()));
    }
}
