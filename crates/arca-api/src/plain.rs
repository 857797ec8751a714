//! Plain HTTP routes a service serves besides its AWS operations, with authentication
//! of their own (or none): CRLs and OCSP answers fetched by any relying party, an HSM
//! data plane, later ACME and the XKS proxy. They bypass SigV4, so each route's
//! service decides who may call it, and the pipeline still bounds their bodies.

use http::{HeaderMap, Method};

use crate::ApiError;

/// A route: a method and a path prefix (`/crl/`), under a stable name for metrics.
#[derive(Debug)]
pub struct PlainRoute {
    /// The route's name in metric labels.
    pub name: &'static str,
    /// The HTTP method.
    pub method: &'static str,
    /// The path prefix it serves. Prefixes of different services must not overlap.
    pub path_prefix: &'static str,
}

impl PlainRoute {
    /// True when the request line belongs to this route.
    pub fn matches(&self, method: &Method, path: &str) -> bool {
        method.as_str() == self.method && path.starts_with(self.path_prefix)
    }
}

/// A request on a plain route, its body already read within the server's limits.
#[derive(Debug)]
pub struct PlainRequest<'a> {
    /// The path.
    pub path: &'a str,
    /// The query string.
    pub query: &'a str,
    /// The headers.
    pub headers: &'a HeaderMap,
    /// The body.
    pub body: &'a [u8],
}

/// The answer to a plain request.
#[derive(Debug)]
pub struct PlainResponse {
    /// The HTTP status.
    pub status: u16,
    /// The content type.
    pub content_type: &'static str,
    /// The body.
    pub body: Vec<u8>,
}

impl PlainResponse {
    /// A 200 with the given content type and body.
    pub fn ok(content_type: &'static str, body: Vec<u8>) -> Self {
        Self { status: 200, content_type, body }
    }

    /// An error as plain text (plain routes speak no AWS protocol).
    pub fn from_error(error: &ApiError) -> Self {
        Self {
            status: error.status,
            content_type: "text/plain; charset=utf-8",
            body: format!("{}: {}\n", error.code, error.message).into_bytes(),
        }
    }
}
