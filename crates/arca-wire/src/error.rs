//! An error as the client sees it, whatever the protocol.

/// An AWS error: code, message and HTTP status. The fault side (client or server) follows
/// from the status, as in AWS's models.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The AWS error code (`NotFoundException`, `SignatureDoesNotMatch`, ...).
    pub code: String,
    /// The message.
    pub message: String,
    /// The HTTP status.
    pub status: u16,
    /// The member JSON and CBOR error bodies carry the message in (`message` unless the
    /// answering service's model says otherwise).
    pub message_member: &'static str,
}

impl ApiError {
    /// An error with the given code, status and message.
    pub fn new(code: impl Into<String>, status: u16, message: impl Into<String>) -> Self {
        Self { code: code.into(), message: message.into(), status, message_member: "message" }
    }

    /// The same error with its message in `member` (`Message` for services whose
    /// models name it so).
    pub fn with_message_member(mut self, member: &'static str) -> Self {
        self.message_member = member;
        self
    }

    /// True for errors the client caused (4xx).
    pub fn is_client_error(&self) -> bool {
        self.status < 500
    }

    /// The request named an operation the service does not serve.
    pub fn unknown_operation(operation: &str) -> Self {
        Self::new(
            "UnknownOperationException",
            400,
            format!("Operation {} is not supported.", truncate(operation)),
        )
    }
}

/// Caps client-supplied text echoed in an error message.
pub fn truncate(value: &str) -> String {
    value.chars().take(64).collect()
}
