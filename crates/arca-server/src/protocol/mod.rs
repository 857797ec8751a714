//! The AWS wire protocols: how requests are decoded and answers and errors encoded.
//! Services never see any of this.

pub mod json;
pub mod query;
pub mod xml;

/// An error as the client will see it: AWS error code, message and HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The AWS error code (`NotFoundException`, `SignatureDoesNotMatch`, ...).
    pub code: String,
    /// The message.
    pub message: String,
    /// The HTTP status.
    pub status: u16,
}

impl ApiError {
    /// An error with the given code, status and message.
    pub fn new(code: impl Into<String>, status: u16, message: impl Into<String>) -> Self {
        Self { code: code.into(), message: message.into(), status }
    }

    /// True for errors the client caused (4xx).
    pub fn is_client_error(&self) -> bool {
        self.status < 500
    }
}

/// Which wire protocol a request arrived in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// AWS JSON 1.1 (`X-Amz-Target`).
    Json,
    /// AWS Query (form body, XML answers).
    Query,
}
