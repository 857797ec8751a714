/// Why a cryptographic operation failed. Deliberately coarse: callers map every
/// variant of a failed open to one opaque answer so that no oracle leaks.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    /// A key had a length the algorithm does not accept.
    #[error("invalid key length")]
    InvalidKeyLength,
    /// Authenticated decryption or verification failed (wrong key, AAD, tag or data).
    #[error("authentication failed")]
    AuthenticationFailed,
    /// An input was malformed (too short, bad nonce length, bad parameters).
    #[error("invalid input")]
    InvalidInput,
    /// The underlying library refused for a reason it does not explain.
    #[error("cryptographic operation failed")]
    Unspecified,
}

impl From<aws_lc_rs::error::Unspecified> for CryptoError {
    fn from(_: aws_lc_rs::error::Unspecified) -> Self {
        CryptoError::Unspecified
    }
}
