//! The canonical request, the string to sign and the signing key, as AWS defines them.

use std::fmt::Write as _;

use arca_crypto::SecretBytes;
use zeroize::Zeroize;

/// The algorithm name in headers, query strings and strings to sign.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The algorithm name in the string to sign of one `aws-chunked` chunk.
pub const CHUNK_ALGORITHM: &str = "AWS4-HMAC-SHA256-PAYLOAD";
/// The last element of every credential scope.
pub const TERMINATOR: &str = "aws4_request";
/// `x-amz-content-sha256` value for a body that is not signed.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// `x-amz-content-sha256` value for an `aws-chunked` body with signed chunks.
pub const STREAMING_PAYLOAD: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
/// SHA-256 of the empty string, in hex.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The key that signs every request of one access key, day, region and service.
///
/// Derive it with [`signing_key`]; it is safe to cache per
/// (access key, date, region, service) because it is bound to all four. Zeroized on
/// drop and `[REDACTED]` in `Debug`.
#[derive(Clone)]
pub struct SigningKey([u8; 32]);

impl SigningKey {
    /// Wraps bytes derived elsewhere (e.g. a cache that stored them).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The key bytes; every caller is a place where the key leaves its type.
    pub fn expose_secret(&self) -> &[u8; 32] {
        &self.0
    }

    pub(crate) fn hmac(&self, data: &[u8]) -> [u8; 32] {
        arca_crypto::hmac::sha256(&self.0, data)
    }
}

impl Drop for SigningKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey([REDACTED])")
    }
}

/// Derives the SigV4 signing key: `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region),
/// service), "aws4_request")`. `date` is the scope date, `YYYYMMDD`.
pub fn signing_key(secret: &SecretBytes, date: &str, region: &str, service: &str) -> SigningKey {
    let mut seed = Vec::with_capacity(4 + secret.len());
    seed.extend_from_slice(b"AWS4");
    // The secret leaves its type only to seed the HMAC chain; the copy is zeroized.
    seed.extend_from_slice(secret.expose_secret());
    let seed = SecretBytes::new(seed);
    let mut date_key = arca_crypto::hmac::sha256(seed.expose_secret(), date.as_bytes());
    let mut region_key = arca_crypto::hmac::sha256(&date_key, region.as_bytes());
    let mut service_key = arca_crypto::hmac::sha256(&region_key, service.as_bytes());
    let signing = arca_crypto::hmac::sha256(&service_key, TERMINATOR.as_bytes());
    date_key.zeroize();
    region_key.zeroize();
    service_key.zeroize();
    SigningKey(signing)
}

/// The credential scope `date/region/service/aws4_request`.
pub(crate) fn scope_string(date: &str, region: &str, service: &str) -> String {
    format!("{date}/{region}/{service}/{TERMINATOR}")
}

/// The string to sign for a request.
pub(crate) fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    let hash = hex::encode(arca_crypto::digest::sha256(canonical_request.as_bytes()));
    format!("{ALGORITHM}\n{amz_date}\n{scope}\n{hash}")
}

/// The signature of one `aws-chunked` chunk, chained to the previous signature.
pub fn chunk_signature(
    key: &SigningKey,
    amz_date: &str,
    scope: &str,
    previous_signature: &[u8; 32],
    chunk: &[u8],
) -> [u8; 32] {
    let chunk_hash = hex::encode(arca_crypto::digest::sha256(chunk));
    let previous = hex::encode(previous_signature);
    let to_sign =
        format!("{CHUNK_ALGORITHM}\n{amz_date}\n{scope}\n{previous}\n{EMPTY_SHA256}\n{chunk_hash}");
    key.hmac(to_sign.as_bytes())
}

fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~')
}

/// AWS's URI encoding: every byte but `A-Za-z0-9-_.~` becomes `%XX` (upper-case hex);
/// `/` is kept when `keep_slash`.
pub fn uri_encode(input: &[u8], keep_slash: bool, out: &mut String) {
    for &byte in input {
        if is_unreserved(byte) || (keep_slash && byte == b'/') {
            out.push(char::from(byte));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{byte:02X}");
        }
    }
}

fn percent_decode(input: &str) -> Vec<u8> {
    percent_encoding::percent_decode_str(input).collect()
}

/// The canonical URI. For S3 the path is used as received; for every other service it is
/// normalised (empty and `.` segments dropped, `..` resolved) and each segment is
/// URI-encoded again, as the AWS SDKs do when signing.
pub fn canonical_uri(raw_path: &str, service: &str) -> String {
    if service == "s3" {
        return if raw_path.is_empty() { "/".to_owned() } else { raw_path.to_owned() };
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in raw_path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut out = String::with_capacity(raw_path.len() + 8);
    for segment in &segments {
        out.push('/');
        uri_encode(segment.as_bytes(), false, &mut out);
    }
    if segments.is_empty() || raw_path.ends_with('/') {
        out.push('/');
    }
    out
}

/// Splits a raw query string into (name, value) pairs, percent-decoded.
pub(crate) fn query_pairs(raw_query: &str) -> impl Iterator<Item = (Vec<u8>, Vec<u8>)> + '_ {
    raw_query.split('&').filter(|pair| !pair.is_empty()).map(|pair| match pair.split_once('=') {
        Some((name, value)) => (percent_decode(name), percent_decode(value)),
        None => (percent_decode(pair), Vec::new()),
    })
}

/// The canonical query string: names and values decoded, re-encoded the AWS way, sorted
/// by name then value. `skip` names a parameter to leave out (`X-Amz-Signature`).
pub fn canonical_query(raw_query: &str, skip: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> = query_pairs(raw_query)
        .filter(|(name, _)| skip.is_none_or(|skip| name.as_slice() != skip.as_bytes()))
        .map(|(name, value)| {
            let mut encoded_name = String::with_capacity(name.len());
            uri_encode(&name, false, &mut encoded_name);
            let mut encoded_value = String::with_capacity(value.len());
            uri_encode(&value, false, &mut encoded_value);
            (encoded_name, encoded_value)
        })
        .collect();
    pairs.sort_unstable();
    let mut out = String::new();
    for (index, (name, value)) in pairs.iter().enumerate() {
        if index > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// Trims a header value and collapses each inner run of whitespace to one space.
pub(crate) fn push_trimmed_value(value: &str, out: &mut String) {
    let mut first = true;
    for word in value.split_ascii_whitespace() {
        if !first {
            out.push(' ');
        }
        out.push_str(word);
        first = false;
    }
}

/// The canonical headers block (each `name:value\n`) for the signed header names, in the
/// order given. Returns the name of the first signed header the request lacks, if any.
pub(crate) fn canonical_headers(
    headers: &[(&str, &str)],
    signed_headers: &[String],
) -> Result<String, String> {
    let mut out = String::new();
    for name in signed_headers {
        out.push_str(name);
        out.push(':');
        let mut found = false;
        for (header_name, value) in headers {
            if header_name.eq_ignore_ascii_case(name) {
                if found {
                    out.push(',');
                }
                push_trimmed_value(value, &mut out);
                found = true;
            }
        }
        if !found {
            return Err(name.clone());
        }
        out.push('\n');
    }
    Ok(out)
}

/// Everything that goes into a canonical request.
pub(crate) struct CanonicalInput<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub skip_query: Option<&'a str>,
    pub headers: &'a [(&'a str, &'a str)],
    pub signed_headers: &'a [String],
    pub service: &'a str,
    pub payload_hash: &'a str,
}

/// Builds the canonical request; `Err(name)` names a signed header that is absent.
pub(crate) fn canonical_request(input: &CanonicalInput<'_>) -> Result<String, String> {
    let headers = canonical_headers(input.headers, input.signed_headers)?;
    Ok(format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        input.method,
        canonical_uri(input.path, input.service),
        canonical_query(input.query, input.skip_query),
        headers,
        input.signed_headers.join(";"),
        input.payload_hash
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_paths() {
        let cases = [
            ("", "/"),
            ("/", "/"),
            ("//", "/"),
            ("/./", "/"),
            ("/example/..", "/"),
            ("/example1/example2/../..", "/"),
            ("/./example", "/example"),
            ("//example//", "/example/"),
            ("/example space/", "/example%20space/"),
            ("/example/$delete", "/example/%24delete"),
            ("/a%20b", "/a%2520b"),
            ("/\u{1234}", "/%E1%88%B4"),
            ("/../../x", "/x"),
        ];
        for (raw, expected) in cases {
            assert_eq!(canonical_uri(raw, "service"), expected, "{raw:?}");
        }
        assert_eq!(canonical_uri("/bucket//a/./b", "s3"), "/bucket//a/./b");
    }

    #[test]
    fn queries() {
        let cases = [
            ("", ""),
            ("Param2=value2&Param1=value1", "Param1=value1&Param2=value2"),
            ("Param1=value2&Param1=Value1", "Param1=Value1&Param1=value2"),
            ("acl", "acl="),
            ("a=1&&b=2", "a=1&b=2"),
            (
                "Param-3=Value3&Param=Value2&%E1%88%B4=Value1",
                "%E1%88%B4=Value1&Param=Value2&Param-3=Value3",
            ),
            ("k=a+b%20c%2f", "k=a%2Bb%20c%2F"),
            ("X-Amz-Signature=abc&z=1", "z=1"),
        ];
        for (raw, expected) in cases {
            assert_eq!(canonical_query(raw, Some("X-Amz-Signature")), expected, "{raw:?}");
        }
    }

    #[test]
    fn header_values_are_trimmed_and_joined() {
        let headers = [("My-Header1", "  a   b  "), ("my-header1", "c"), ("host", "h")];
        let signed = vec!["host".to_owned(), "my-header1".to_owned()];
        assert_eq!(canonical_headers(&headers, &signed).unwrap(), "host:h\nmy-header1:a b,c\n");
        let missing = vec!["x-absent".to_owned()];
        assert_eq!(canonical_headers(&headers, &missing).unwrap_err(), "x-absent");
    }

    #[test]
    fn signing_key_matches_the_aws_documentation_example() {
        // The IAM example of the SigV4 documentation (20120215, us-east-1, iam).
        let secret = SecretBytes::from_slice(b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        let key = signing_key(&secret, "20120215", "us-east-1", "iam");
        assert_eq!(
            hex::encode(key.expose_secret()),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
        assert_eq!(format!("{key:?}"), "SigningKey([REDACTED])");
    }
}
