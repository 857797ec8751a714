//! The one error type of this crate.

/// Why a policy document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The document is not a valid policy (AWS: `MalformedPolicyDocument`, or
    /// `MalformedPolicyDocumentException` in KMS). The reason reads like AWS's.
    #[error("{reason}")]
    Malformed {
        /// What is wrong, e.g. `Policy document should not specify a principal.`.
        reason: String,
    },

    /// The document is longer than allowed (AWS IAM: `LimitExceeded`; KMS:
    /// `LimitExceededException` / `MalformedPolicyDocumentException`).
    #[error("Cannot exceed quota for PolicySize: {max}")]
    TooLarge {
        /// The size of the document in characters.
        size: usize,
        /// The largest size allowed.
        max: usize,
    },
}

impl PolicyError {
    pub(crate) fn malformed(reason: impl Into<String>) -> Self {
        Self::Malformed { reason: reason.into() }
    }
}
