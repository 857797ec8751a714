//! The one error type of the crate.

/// Everything that can go wrong in `arca-esdk`.
///
/// Decryption has exactly one failure answer, [`Error::DecryptionFailed`], whatever the
/// cause (malformed bytes, a wrong key, a tampered tag or signature, a policy refusal),
/// so that a caller learns nothing that would help forge a message.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The message could not be decrypted: it is malformed, was tampered with, is refused
    /// by the configured policy, or no keyring could unwrap its data key.
    #[error("unable to decrypt the message")]
    DecryptionFailed,
    /// A caller-supplied value or configuration is not acceptable.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The request conflicts with the commitment policy (for example a non-committing
    /// suite asked for under a policy that requires commitment).
    #[error("commitment policy violation: {0}")]
    CommitmentPolicy(String),
    /// No keyring could produce or wrap a data key for encryption.
    #[error("unable to obtain encryption materials: {0}")]
    EncryptionMaterials(String),
    /// A cryptographic primitive failed during encryption.
    #[error("cryptographic failure during encryption")]
    Crypto,
    /// Reading the input or writing the output failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// A call to an AWS KMS endpoint failed.
    #[error("AWS KMS call failed: {0}")]
    Kms(String),
}

impl From<arca_crypto::CryptoError> for Error {
    fn from(_: arca_crypto::CryptoError) -> Self {
        Error::Crypto
    }
}

/// The reason a message was refused, kept inside the crate for tests and never shown
/// to callers (they see [`Error::DecryptionFailed`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reject(pub(crate) &'static str);

/// Result of an internal parsing or verification step.
pub(crate) type Checked<T> = Result<T, Reject>;

impl From<Reject> for Error {
    fn from(_: Reject) -> Self {
        Error::DecryptionFailed
    }
}

/// A failure while reading a message: a refusal, or the input itself failing.
#[derive(Debug)]
pub(crate) enum ReadFailure {
    /// The bytes are not an acceptable message (the reason is for debugging only).
    Reject(#[allow(dead_code)] Reject),
    /// The reader failed (other than by ending early, which is a refusal).
    Io(std::io::Error),
}

impl From<Reject> for ReadFailure {
    fn from(reject: Reject) -> Self {
        ReadFailure::Reject(reject)
    }
}

impl From<std::io::Error> for ReadFailure {
    fn from(error: std::io::Error) -> Self {
        if error.kind() == std::io::ErrorKind::UnexpectedEof {
            ReadFailure::Reject(Reject("truncated message"))
        } else {
            ReadFailure::Io(error)
        }
    }
}

impl From<ReadFailure> for Error {
    fn from(failure: ReadFailure) -> Self {
        match failure {
            ReadFailure::Reject(_) => Error::DecryptionFailed,
            ReadFailure::Io(error) => Error::Io(error),
        }
    }
}
