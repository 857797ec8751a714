//! AWS Signature Version 4, pure: parsing, verification and signing, with no I/O.
//!
//! The server calls [`parse`] on the parts of a request it received, looks up the secret
//! of [`ParsedAuth::access_key_id`], and calls [`verify`]; the [`VerifiedRequest`] it gets
//! back is the proof that the signature matched (only [`verify`] can make one). Streaming
//! uploads (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`) are then decoded with a
//! [`ChunkDecoder`], which checks every chunk's signature. [`sign`] and [`presign`] are
//! the client side, for Arca's CLI and load generator.
//!
//! - [`RequestParts`]: method, raw path and query, headers, and the body hash.
//! - [`ParsedAuth`]: access key id, [`CredentialScope`], signed headers, timestamp.
//! - [`SigningKey`]: derived by [`signing_key`]; cache it per key, day, region, service.
//! - [`SigV4Error`]: one variant per AWS error code the server answers with.
//!
//! ```
//! use arca_crypto::SecretBytes;
//! use arca_sigv4::{PayloadHash, RequestParts, RequestToSign, SignedPayload, SigningParams};
//! use time::macros::datetime;
//!
//! let secret = SecretBytes::from_slice(b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
//! let now = datetime!(2015-08-30 12:36:00 UTC);
//! let body = br#"{"KeyId":"alias/demo"}"#;
//! let body_hash = arca_crypto::digest::sha256(body);
//! let headers = [("host", "kms.us-east-1.amazonaws.com"), ("x-amz-target", "TrentService.Encrypt")];
//!
//! // Client side.
//! let signed = arca_sigv4::sign(
//!     &RequestToSign { method: "POST", path: "/", query: "", headers: &headers },
//!     &SigningParams {
//!         access_key_id: "AKIDEXAMPLE",
//!         secret_access_key: &secret,
//!         security_token: None,
//!         region: "us-east-1",
//!         service: "kms",
//!         time: now,
//!     },
//!     SignedPayload::Sha256(body_hash),
//! )?;
//!
//! // Server side.
//! let mut received: Vec<(&str, &str)> = headers.to_vec();
//! received.extend(signed.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
//! let parts = RequestParts {
//!     method: "POST",
//!     path: "/",
//!     query: "",
//!     headers: &received,
//!     payload: PayloadHash::Computed(body_hash),
//! };
//! let parsed = arca_sigv4::parse(&parts, now)?;
//! assert_eq!(parsed.access_key_id(), "AKIDEXAMPLE");
//! let verified = arca_sigv4::verify(&parsed, &parts, &secret)?;
//! assert_eq!(verified.service(), "kms");
//! # Ok::<(), arca_sigv4::SigV4Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod canonical;
mod chunked;
mod error;
mod parse;
mod sign;
mod verify;

pub use canonical::{
    ALGORITHM, EMPTY_SHA256, STREAMING_PAYLOAD, SigningKey, UNSIGNED_PAYLOAD, canonical_query,
    canonical_uri, chunk_signature, signing_key, uri_encode,
};
pub use chunked::{ChunkDecoder, DEFAULT_MAX_CHUNK_SIZE, decode_chunked, encode_chunked};
pub use error::SigV4Error;
pub use parse::{
    AuthForm, CredentialScope, MAX_CLOCK_SKEW, MAX_PRESIGNED_EXPIRES, ParsedAuth, PayloadHash,
    RequestParts, format_amz_date, format_scope_date, parse, parse_amz_date,
};
pub use sign::{RequestToSign, SignedPayload, SignedRequest, SigningParams, presign, sign};
pub use verify::{
    VerifiedPayload, VerifiedRequest, canonical_request, verify, verify_unknown_access_key,
    verify_with_signing_key,
};
