//! The crate's error type.

/// Everything that can go wrong while building a scanner or reading settings.
/// Problems inside one object (corrupt archive, unsupported format) are not errors:
/// they are reported as the object's SKIPPED or PARTIAL status.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// A managed identifier id not in the catalog.
    #[error("unknown managed data identifier: {0}")]
    UnknownIdentifier(String),
    /// A regular expression that does not compile.
    #[error("invalid pattern in {id}: {message}")]
    InvalidPattern {
        /// The identifier or list naming the pattern.
        id: String,
        /// The compiler's message.
        message: String,
    },
    /// A custom data identifier outside Macie's limits.
    #[error("invalid custom data identifier {name}: {message}")]
    InvalidCustomIdentifier {
        /// Its name.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// An allow list outside Macie's limits.
    #[error("invalid allow list {name}: {message}")]
    InvalidAllowList {
        /// Its name.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// Settings JSON that does not parse.
    #[error("invalid settings: {0}")]
    Settings(String),
    /// Reading an object failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}
