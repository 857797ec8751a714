//! Secrets Manager errors, one variant per AWS error code this service returns.

use arca_api::ApiError;

/// A Secrets Manager failure as the client sees it: an AWS error code and a message.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretsError {
    /// A member violated a model constraint, or a name is malformed (AWS answers both
    /// as `ValidationException`).
    #[error("{0}")]
    Validation(String),
    /// A parameter value is not valid for the operation.
    #[error("{0}")]
    InvalidParameter(String),
    /// The request is not valid in the secret's current state.
    #[error("{0}")]
    InvalidRequest(String),
    /// The secret, version or staging label does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The secret or version already exists.
    #[error("{0}")]
    Exists(String),
    /// A quota was reached.
    #[error("{0}")]
    LimitExceeded(String),
    /// KMS could not encrypt the value.
    #[error("{0}")]
    EncryptionFailure(String),
    /// KMS could not decrypt the value.
    #[error("{0}")]
    DecryptionFailure(String),
    /// A resource policy is not a valid policy document.
    #[error("{0}")]
    MalformedPolicy(String),
    /// `BlockPublicPolicy` refused a policy that grants public access.
    #[error("{0}")]
    PublicPolicy(String),
    /// A `NextToken` is not one this listing issued.
    #[error("{0}")]
    InvalidNextToken(String),
    /// The caller may not do what it asked.
    #[error("{0}")]
    AccessDenied(String),
    /// Something failed inside the server; the details are in the server log only.
    #[error("An error occurred on the server side.")]
    Internal,
}

impl SecretsError {
    /// The AWS error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "ValidationException",
            Self::InvalidParameter(_) => "InvalidParameterException",
            Self::InvalidRequest(_) => "InvalidRequestException",
            Self::NotFound(_) => "ResourceNotFoundException",
            Self::Exists(_) => "ResourceExistsException",
            Self::LimitExceeded(_) => "LimitExceededException",
            Self::EncryptionFailure(_) => "EncryptionFailure",
            Self::DecryptionFailure(_) => "DecryptionFailure",
            Self::MalformedPolicy(_) => "MalformedPolicyDocumentException",
            Self::PublicPolicy(_) => "PublicPolicyException",
            Self::InvalidNextToken(_) => "InvalidNextTokenException",
            Self::AccessDenied(_) => "AccessDeniedException",
            Self::Internal => "InternalServiceError",
        }
    }

    /// The HTTP status AWS answers the code with.
    pub fn status(&self) -> u16 {
        match self {
            Self::Internal => 500,
            _ => 400,
        }
    }

    /// The secret AWS's ResourceNotFoundException names for a missing secret.
    pub(crate) fn no_secret() -> Self {
        Self::NotFound("Secrets Manager can't find the specified secret.".into())
    }

    /// The answer for operations on a secret scheduled for deletion.
    pub(crate) fn marked_for_deletion() -> Self {
        Self::InvalidRequest(
            "You can't perform this operation on the secret because it was marked for deletion."
                .into(),
        )
    }
}

impl From<arca_api::validate::ValidationErrors> for SecretsError {
    fn from(errors: arca_api::validate::ValidationErrors) -> Self {
        Self::Validation(ApiError::from(errors).message)
    }
}

impl From<arca_store::StoreError> for SecretsError {
    fn from(error: arca_store::StoreError) -> Self {
        tracing::error!(%error, "secrets: store failure");
        Self::Internal
    }
}

impl From<SecretsError> for ApiError {
    fn from(error: SecretsError) -> Self {
        ApiError::new(error.code(), error.status(), error.to_string())
    }
}
