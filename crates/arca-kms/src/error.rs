//! KMS errors, one variant per AWS error code this service returns.

/// A KMS failure as the client sees it: an AWS error code and a message.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KmsError {
    /// A member violated a model constraint (AWS's "N validation errors detected: ...").
    #[error("{0}")]
    Validation(String),
    /// The key or alias does not exist (in this account and region).
    #[error("{0}")]
    NotFound(String),
    /// The key is disabled.
    #[error("{0}")]
    Disabled(String),
    /// The key's state does not allow the operation.
    #[error("{0}")]
    InvalidState(String),
    /// The ciphertext, its context or its key is wrong: one opaque answer for every case.
    #[error("")]
    InvalidCiphertext,
    /// A signature did not verify (Verify answers with this error, never with
    /// `SignatureValid: false`).
    #[error("")]
    InvalidSignature,
    /// A MAC did not verify.
    #[error("")]
    InvalidMac,
    /// Imported key material is not valid for the key, or not the material imported
    /// before.
    #[error("{0}")]
    IncorrectKeyMaterial(String),
    /// An import token is not one issued for this key.
    #[error("{0}")]
    InvalidImportToken(String),
    /// An import token's 24 hours are over.
    #[error("{0}")]
    ExpiredImportToken(String),
    /// A grant token is not one this service issued.
    #[error("{0}")]
    InvalidGrantToken(String),
    /// A grant id names no grant of the key.
    #[error("{0}")]
    InvalidGrantId(String),
    /// The ciphertext was made under a different key than the one the caller named.
    #[error("The key ID in the request does not identify a CMK that can perform this operation.")]
    IncorrectKey,
    /// The key's usage or spec does not support the operation.
    #[error("{0}")]
    InvalidKeyUsage(String),
    /// An alias name is malformed or reserved.
    #[error("{0}")]
    InvalidAliasName(String),
    /// The resource already exists.
    #[error("{0}")]
    AlreadyExists(String),
    /// A quota was reached.
    #[error("{0}")]
    LimitExceeded(String),
    /// A key policy is not valid.
    #[error("{0}")]
    MalformedPolicyDocument(String),
    /// An ARN is malformed or names another region/partition.
    #[error("{0}")]
    InvalidArn(String),
    /// A paging marker is not one this service issued.
    #[error("{0}")]
    InvalidMarker(String),
    /// A tag is malformed or a reserved tag key was used.
    #[error("{0}")]
    Tag(String),
    /// The operation is not supported for this key or request.
    #[error("{0}")]
    UnsupportedOperation(String),
    /// DryRun was set and the request would have succeeded.
    #[error("The request would have succeeded, but the DryRun option is set.")]
    DryRunOperation,
    /// The caller is not authorised.
    #[error("{0}")]
    AccessDenied(String),
    /// A concurrent change conflicted (e.g. two on-demand rotations at once).
    #[error("{0}")]
    Conflict(String),
    /// An internal failure; its details are logged, never returned.
    #[error("An internal error occurred")]
    Internal,
}

impl KmsError {
    /// The AWS error code (`__type`).
    pub fn code(&self) -> &'static str {
        match self {
            KmsError::Validation(_) => "ValidationException",
            KmsError::NotFound(_) => "NotFoundException",
            KmsError::Disabled(_) => "DisabledException",
            KmsError::InvalidState(_) => "KMSInvalidStateException",
            KmsError::InvalidCiphertext => "InvalidCiphertextException",
            KmsError::InvalidSignature => "KMSInvalidSignatureException",
            KmsError::InvalidMac => "KMSInvalidMacException",
            KmsError::IncorrectKeyMaterial(_) => "IncorrectKeyMaterialException",
            KmsError::InvalidGrantToken(_) => "InvalidGrantTokenException",
            KmsError::InvalidGrantId(_) => "InvalidGrantIdException",
            KmsError::InvalidImportToken(_) => "InvalidImportTokenException",
            KmsError::ExpiredImportToken(_) => "ExpiredImportTokenException",
            KmsError::IncorrectKey => "IncorrectKeyException",
            KmsError::InvalidKeyUsage(_) => "InvalidKeyUsageException",
            KmsError::InvalidAliasName(_) => "InvalidAliasNameException",
            KmsError::AlreadyExists(_) => "AlreadyExistsException",
            KmsError::LimitExceeded(_) => "LimitExceededException",
            KmsError::MalformedPolicyDocument(_) => "MalformedPolicyDocumentException",
            KmsError::InvalidArn(_) => "InvalidArnException",
            KmsError::InvalidMarker(_) => "InvalidMarkerException",
            KmsError::Tag(_) => "TagException",
            KmsError::UnsupportedOperation(_) => "UnsupportedOperationException",
            KmsError::DryRunOperation => "DryRunOperationException",
            KmsError::AccessDenied(_) => "AccessDeniedException",
            KmsError::Conflict(_) => "ConflictException",
            KmsError::Internal => "KMSInternalException",
        }
    }

    /// The HTTP status AWS uses for this code.
    pub fn status(&self) -> u16 {
        match self {
            KmsError::Internal => 500,
            _ => 400,
        }
    }

    pub(crate) fn internal(context: &str, error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "kms internal error: {context}");
        KmsError::Internal
    }
}

impl From<arca_api::validate::ValidationErrors> for KmsError {
    fn from(errors: arca_api::validate::ValidationErrors) -> Self {
        KmsError::Validation(errors.0)
    }
}

impl From<arca_store::StoreError> for KmsError {
    fn from(error: arca_store::StoreError) -> Self {
        KmsError::internal("store", error)
    }
}

impl From<arca_seal::SealError> for KmsError {
    fn from(error: arca_seal::SealError) -> Self {
        KmsError::internal("seal", error)
    }
}

impl From<arca_gate::AccessDenied> for KmsError {
    fn from(denied: arca_gate::AccessDenied) -> Self {
        KmsError::AccessDenied(denied.to_string())
    }
}
