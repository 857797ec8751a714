//! The AWS wire protocols, each decoded and encoded in one place, as the Smithy protocol
//! specifications define them. Pure: no I/O and nothing of the server, so the codecs
//! build and fuzz on their own.
//!
//! - [`json`]: `awsJson1_0` / `awsJson1_1`, `POST /` with `X-Amz-Target: Prefix.Operation`;
//! - [`query`] (with [`xml`]): `awsQuery`, a form body with `Action`, XML answers;
//! - [`rest_json`]: `restJson1`, operations routed by method and URI template, members
//!   bound to labels, the query string, headers and the payload;
//! - [`cbor`]: `smithy-rpc-v2-cbor`, `POST /service/{Service}/operation/{Operation}`.
//!
//! [`Protocol::detect`] decides from the request line and headers alone, before
//! authentication, so that even a refusal is answered in the protocol the request came in.

pub mod cbor;
mod error;
pub mod json;
pub mod query;
pub mod rest_json;
pub mod validate;
pub mod xml;

pub use error::{ApiError, truncate};

use http::HeaderMap;

/// Which wire protocol a request arrived in, and so the one its answer is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// AWS JSON 1.0 (`X-Amz-Target`, `application/x-amz-json-1.0`).
    AwsJson1_0,
    /// AWS JSON 1.1 (`X-Amz-Target`, `application/x-amz-json-1.1`).
    AwsJson1_1,
    /// AWS Query (form body or query string, XML answers).
    AwsQuery,
    /// REST-JSON (method + URI routing).
    RestJson1,
    /// Smithy RPC v2 CBOR.
    RpcV2Cbor,
}

impl Protocol {
    /// The protocol of a request, from its method, path and headers.
    pub fn detect(path: &str, headers: &HeaderMap) -> Self {
        let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
        if header("smithy-protocol") == Some(cbor::PROTOCOL_HEADER_VALUE) {
            return Self::RpcV2Cbor;
        }
        if headers.contains_key("x-amz-target") {
            return match header("content-type") {
                Some(content_type) if content_type.starts_with(json::CONTENT_TYPE_1_0) => {
                    Self::AwsJson1_0
                }
                _ => Self::AwsJson1_1,
            };
        }
        // Query requests always go to the root path; every REST-JSON operation has one
        // of its own.
        if path.is_empty() || path == "/" { Self::AwsQuery } else { Self::RestJson1 }
    }

    /// True for the two JSON RPC protocols.
    pub fn is_aws_json(self) -> bool {
        matches!(self, Self::AwsJson1_0 | Self::AwsJson1_1)
    }

    /// The content type of answers.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::AwsJson1_0 => json::CONTENT_TYPE_1_0,
            Self::AwsJson1_1 => json::CONTENT_TYPE,
            Self::AwsQuery => query::CONTENT_TYPE,
            Self::RestJson1 => rest_json::CONTENT_TYPE,
            Self::RpcV2Cbor => cbor::CONTENT_TYPE,
        }
    }

    /// Encodes an error body in this protocol. `xmlns` is the Query namespace of the
    /// service answering (or of the one the request was scoped to).
    pub fn error_body(self, error: &ApiError, xmlns: &str, request_id: &str) -> Vec<u8> {
        match self {
            Self::AwsJson1_0 | Self::AwsJson1_1 => json::error_body(error),
            Self::AwsQuery => query::error_body(error, xmlns, request_id).into_bytes(),
            Self::RestJson1 => rest_json::error_body(error),
            Self::RpcV2Cbor => cbor::error_body(error),
        }
    }

    /// Headers an answer in this protocol carries besides its content type (for errors:
    /// REST-JSON's `X-Amzn-ErrorType`).
    pub fn extra_headers(self, error: Option<&ApiError>) -> Vec<(&'static str, String)> {
        let mut headers = Vec::new();
        if self == Self::RpcV2Cbor {
            headers.push(("smithy-protocol", cbor::PROTOCOL_HEADER_VALUE.to_string()));
        }
        if let (Self::RestJson1, Some(error)) = (self, error) {
            headers.push(("x-amzn-errortype", error.code.clone()));
        }
        headers
    }

    /// A stable name for logs and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Self::AwsJson1_0 => "awsJson1_0",
            Self::AwsJson1_1 => "awsJson1_1",
            Self::AwsQuery => "awsQuery",
            Self::RestJson1 => "restJson1",
            Self::RpcV2Cbor => "rpcv2Cbor",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn detects_each_protocol() {
        let target = ("x-amz-target", "TrentService.Encrypt");
        assert_eq!(Protocol::detect("/", &headers(&[target])), Protocol::AwsJson1_1);
        assert_eq!(
            Protocol::detect(
                "/",
                &headers(&[target, ("content-type", "application/x-amz-json-1.0")])
            ),
            Protocol::AwsJson1_0
        );
        assert_eq!(Protocol::detect("/", &headers(&[])), Protocol::AwsQuery);
        assert_eq!(Protocol::detect("/jobs/abc", &headers(&[])), Protocol::RestJson1);
        assert_eq!(
            Protocol::detect(
                "/service/ACMPrivateCA/operation/ListCertificateAuthorities",
                &headers(&[("smithy-protocol", "rpc-v2-cbor")])
            ),
            Protocol::RpcV2Cbor
        );
    }
}
