//! Properties: what `sign` and `presign` produce, `parse` and `verify` accept; changing
//! any signed part afterwards makes verification fail. Plus the error cases of `parse`.

use arca_crypto::SecretBytes;
use arca_sigv4::{
    PayloadHash, RequestParts, RequestToSign, SigV4Error, SignedPayload, SigningParams, parse,
    presign, sign, verify,
};
use proptest::prelude::*;
use time::OffsetDateTime;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2024-01-01 10:00:00 UTC);

fn params<'a>(secret: &'a SecretBytes, service: &'static str) -> SigningParams<'a> {
    SigningParams {
        access_key_id: "AKIAARCATEST",
        secret_access_key: secret,
        security_token: None,
        region: "us-east-1",
        service,
        time: NOW,
    }
}

/// A path as it goes on the wire: segments of unreserved characters and escapes.
fn path_strategy() -> impl Strategy<Value = String> {
    proptest::collection::vec("[A-Za-z0-9._~-]{1,8}|%[0-9A-F]{2}", 0..5)
        .prop_map(|segments| format!("/{}", segments.join("/")))
}

fn query_strategy() -> impl Strategy<Value = String> {
    proptest::collection::vec(("[A-Za-z0-9_-]{1,6}", "[A-Za-z0-9%_.~-]{0,8}"), 0..4).prop_map(
        |pairs| {
            pairs
                .into_iter()
                .map(|(name, value)| format!("{name}={}", value.replace('%', "%25")))
                .collect::<Vec<_>>()
                .join("&")
        },
    )
}

fn headers_strategy() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::vec(("x-[a-z]{1,6}", "[ -~]{0,12}"), 0..4)
}

fn method_strategy() -> impl Strategy<Value = String> {
    prop_oneof![Just("GET"), Just("POST"), Just("PUT"), Just("DELETE"), Just("HEAD")]
        .prop_map(str::to_owned)
}

struct Request {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header_refs(&self) -> Vec<(&str, &str)> {
        self.headers.iter().map(|(name, value)| (name.as_str(), value.as_str())).collect()
    }
}

fn signed_request(request: &Request, secret: &SecretBytes, service: &'static str) -> Request {
    let mut headers = request.headers.clone();
    headers.push(("host".to_owned(), "arca.example".to_owned()));
    let refs: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let signed = sign(
        &RequestToSign {
            method: &request.method,
            path: &request.path,
            query: &request.query,
            headers: &refs,
        },
        &params(secret, service),
        SignedPayload::Sha256(arca_crypto::digest::sha256(&request.body)),
    )
    .unwrap();
    headers.extend(signed.headers);
    Request {
        method: request.method.clone(),
        path: request.path.clone(),
        query: request.query.clone(),
        headers,
        body: request.body.clone(),
    }
}

fn check(request: &Request, secret: &SecretBytes) -> Result<(), SigV4Error> {
    let headers = request.header_refs();
    let parts = RequestParts {
        method: &request.method,
        path: &request.path,
        query: &request.query,
        headers: &headers,
        payload: PayloadHash::Computed(arca_crypto::digest::sha256(&request.body)),
    };
    let parsed = parse(&parts, NOW)?;
    verify(&parsed, &parts, secret).map(|_| ())
}

fn flip_byte(text: &str, index: usize) -> String {
    let mut bytes = text.as_bytes().to_vec();
    let index = index % bytes.len();
    bytes[index] = if bytes[index] == b'A' { b'B' } else { b'A' };
    String::from_utf8_lossy(&bytes).into_owned()
}

proptest! {
    #[test]
    fn signed_requests_verify_and_tampering_fails(
        method in method_strategy(),
        path in path_strategy(),
        query in query_strategy(),
        headers in headers_strategy(),
        body in proptest::collection::vec(any::<u8>(), 0..64),
        service in prop_oneof![Just("kms"), Just("s3"), Just("iam")],
        index in any::<usize>(),
    ) {
        let secret = SecretBytes::from_slice(b"secret-key-for-property-tests");
        let request = signed_request(&Request { method, path, query, headers, body }, &secret, service);
        prop_assert_eq!(check(&request, &secret), Ok(()));

        // An unknown access key fails the same way, after the same work.
        {
            let headers = request.header_refs();
            let parts = RequestParts { method: &request.method, path: &request.path, query: &request.query, headers: &headers, payload: PayloadHash::Computed(arca_crypto::digest::sha256(&request.body)) };
            let parsed = parse(&parts, NOW).unwrap();
            prop_assert_eq!(arca_sigv4::verify_unknown_access_key(&parsed, &parts), SigV4Error::SignatureDoesNotMatch);
        }
        // A different secret fails.
        let other = SecretBytes::from_slice(b"secret-key-for-property-testz");
        prop_assert_eq!(check(&request, &other), Err(SigV4Error::SignatureDoesNotMatch));

        // Any change to the method, body, or a signed header value fails.
        let mut tampered = Request { method: format!("{}X", request.method), ..clone(&request) };
        prop_assert!(check(&tampered, &secret).is_err());
        tampered = Request { body: [request.body.clone(), vec![0]].concat(), ..clone(&request) };
        prop_assert!(check(&tampered, &secret).is_err());
        let signed_values: Vec<usize> = (0..request.headers.len())
            .filter(|&i| request.headers[i].0 != "authorization" && !request.headers[i].1.trim().is_empty())
            .collect();
        let target = signed_values[index % signed_values.len()];
        tampered = clone(&request);
        let value = tampered.headers[target].1.trim().to_owned();
        tampered.headers[target].1 = flip_byte(&value, index);
        if tampered.headers[target].1 != value {
            prop_assert!(check(&tampered, &secret).is_err(), "header {} changed", tampered.headers[target].0);
        }
        // A changed query or path byte fails (unless it decodes to the same canonical form).
        if !request.query.is_empty() {
            tampered = Request { query: flip_byte(&request.query, index), ..clone(&request) };
            if arca_sigv4::canonical_query(&tampered.query, None) != arca_sigv4::canonical_query(&request.query, None) {
                prop_assert!(check(&tampered, &secret).is_err());
            }
        }
        tampered = Request { path: format!("{}z", request.path), ..clone(&request) };
        prop_assert!(check(&tampered, &secret).is_err());
        // Flipping any byte of the Authorization header never verifies, except in the
        // access key id, which is not signed (it selects the secret).
        let auth_index = request.headers.iter().position(|(name, _)| name == "authorization").unwrap();
        let authorization = &request.headers[auth_index].1;
        let akid = authorization.find("AKIAARCATEST").unwrap();
        let mut position = index % authorization.len();
        if (akid..akid + "AKIAARCATEST".len()).contains(&position) {
            position = akid - 1;
        }
        tampered = clone(&request);
        tampered.headers[auth_index].1 = flip_byte(authorization, position);
        prop_assert!(check(&tampered, &secret).is_err());
    }

    #[test]
    fn presigned_requests_verify_and_tampering_fails(
        method in method_strategy(),
        path in path_strategy(),
        query in query_strategy(),
        expires in 1u32..=604_800,
        index in any::<usize>(),
        token in proptest::option::of("[A-Za-z0-9/+=]{1,40}"),
    ) {
        let secret = SecretBytes::from_slice(b"another-secret");
        let headers = [("host", "arca.example")];
        let signing = SigningParams { security_token: token.as_deref(), ..params(&secret, "s3") };
        let query = presign(
            &RequestToSign { method: &method, path: &path, query: &query, headers: &headers },
            &signing,
            expires,
        ).unwrap();
        let request = Request {
            method, path, query,
            headers: vec![("host".to_owned(), "arca.example".to_owned())],
            body: Vec::new(),
        };
        prop_assert_eq!(check(&request, &secret), Ok(()));
        let tampered = Request { query: flip_byte(&request.query, index), ..clone(&request) };
        if arca_sigv4::canonical_query(&tampered.query, None) != arca_sigv4::canonical_query(&request.query, None) {
            prop_assert!(check(&tampered, &secret).is_err());
        }
    }

    #[test]
    fn parse_never_panics(
        authorization in "\\PC{0,200}",
        query in "\\PC{0,200}",
        date in "\\PC{0,20}",
    ) {
        let headers = [("host", "h"), ("authorization", authorization.as_str()), ("x-amz-date", date.as_str())];
        let parts = RequestParts { method: "GET", path: "/", query: &query, headers: &headers, payload: PayloadHash::NotComputed };
        let _ = parse(&parts, NOW);
        let parts = RequestParts { headers: &headers[..1], ..parts };
        let _ = parse(&parts, NOW);
    }
}

fn clone(request: &Request) -> Request {
    Request {
        method: request.method.clone(),
        path: request.path.clone(),
        query: request.query.clone(),
        headers: request.headers.clone(),
        body: request.body.clone(),
    }
}

fn parse_header(authorization: &str, date: &str) -> Result<arca_sigv4::ParsedAuth, SigV4Error> {
    let headers = [("host", "h"), ("x-amz-date", date), ("authorization", authorization)];
    let parts = RequestParts {
        method: "GET",
        path: "/",
        query: "",
        headers: &headers,
        payload: PayloadHash::NotComputed,
    };
    parse(&parts, NOW)
}

const SIG: &str = "Signature=0000000000000000000000000000000000000000000000000000000000000000";

#[test]
fn parse_errors_name_the_problem() {
    let good_credential = "Credential=AKID/20240101/us-east-1/kms/aws4_request";
    let incomplete =
        |authorization: &str, date: &str, needle: &str| match parse_header(authorization, date) {
            Err(SigV4Error::IncompleteSignature { reason }) => {
                assert!(reason.contains(needle), "{reason:?} lacks {needle:?}")
            }
            other => panic!("{authorization}: {other:?}"),
        };
    incomplete(
        &format!("AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, {SIG}"),
        "20240101T100000Z",
        "'Credential'",
    );
    incomplete(
        &format!("AWS4-HMAC-SHA256 {good_credential}, {SIG}"),
        "20240101T100000Z",
        "'SignedHeaders'",
    );
    incomplete(
        &format!("AWS4-HMAC-SHA256 {good_credential}, SignedHeaders=host;x-amz-date"),
        "20240101T100000Z",
        "'Signature'",
    );
    incomplete(
        &format!("AWS4-HMAC-SHA256 {good_credential}, SignedHeaders=x-amz-date, {SIG}"),
        "20240101T100000Z",
        "'Host'",
    );
    incomplete(
        &format!("AWS4-HMAC-SHA256 {good_credential}, SignedHeaders=host, {SIG}"),
        "20240101T100000Z",
        "'x-amz-date' must be a 'SignedHeader'",
    );
    incomplete(
        &format!(
            "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/kms/aws5_request, SignedHeaders=host;x-amz-date, {SIG}"
        ),
        "20240101T100000Z",
        "terminator",
    );
    incomplete(
        &format!(
            "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1, SignedHeaders=host;x-amz-date, {SIG}"
        ),
        "20240101T100000Z",
        "Credential should be scoped",
    );

    let ok = format!("AWS4-HMAC-SHA256 {good_credential}, SignedHeaders=host;x-amz-date, {SIG}");
    let parsed = parse_header(&ok, "20240101T100000Z").unwrap();
    assert_eq!(parsed.scope().service, "kms");
    assert_eq!(parsed.signed_headers(), ["host", "x-amz-date"]);

    assert!(matches!(
        parse_header("AWS AKID:c2lnbmF0dXJl", "20240101T100000Z"),
        Err(SigV4Error::UnsupportedAlgorithm { .. })
    ));
    assert!(matches!(
        parse_header(&ok, "2024-01-01T10:00:00Z"),
        Err(SigV4Error::InvalidDate { .. })
    ));
    match parse_header(&ok, "20240102T000100Z") {
        Err(error @ SigV4Error::ScopeDateMismatch { .. }) => assert_eq!(
            error.to_string(),
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: \
             '20240101' != '20240102', from '20240102T000100Z'."
        ),
        other => panic!("{other:?}"),
    }
    match parse_header(&ok, "20240101T094400Z") {
        Err(error @ SigV4Error::RequestExpired { .. }) => assert_eq!(
            error.to_string(),
            "Signature expired: 20240101T094400Z is now earlier than 20240101T094500Z (20240101T100000Z - 15 min.)"
        ),
        other => panic!("{other:?}"),
    }
    assert!(parse_header(&ok, "20240101T094500Z").is_ok());
    assert!(parse_header(&ok, "20240101T101500Z").is_ok());
    match parse_header(&ok, "20240101T101600Z") {
        Err(error @ SigV4Error::RequestExpired { .. }) => {
            assert!(
                error
                    .to_string()
                    .starts_with("Signature not yet current: 20240101T101600Z is still later than")
            )
        }
        other => panic!("{other:?}"),
    }

    let nothing = RequestParts {
        method: "GET",
        path: "/",
        query: "a=b",
        headers: &[("host", "h")],
        payload: PayloadHash::NotComputed,
    };
    assert_eq!(parse(&nothing, NOW).unwrap_err(), SigV4Error::MissingAuthentication);
}

#[test]
fn presigned_expiry_bounds_and_date_header() {
    let query = |expires: &str| {
        format!(
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20240101%2Fus-east-1%2Fs3%2Faws4_request\
             &X-Amz-Date=20240101T100000Z&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host&X-Amz-{SIG}"
        )
    };
    let parse_query = |query: &str| {
        let headers = [("host", "h")];
        let parts = RequestParts {
            method: "GET",
            path: "/",
            query,
            headers: &headers,
            payload: PayloadHash::NotComputed,
        };
        parse(&parts, NOW)
    };
    assert!(parse_query(&query("1")).is_ok());
    assert!(parse_query(&query("604800")).is_ok());
    for bad in ["0", "604801", "-1", "abc"] {
        assert!(
            matches!(parse_query(&query(bad)), Err(SigV4Error::IncompleteSignature { .. })),
            "{bad}"
        );
    }
    let both = RequestParts {
        method: "GET",
        path: "/",
        query: &query("60"),
        headers: &[("host", "h"), ("authorization", "AWS4-HMAC-SHA256 x")],
        payload: PayloadHash::NotComputed,
    };
    assert!(matches!(parse(&both, NOW), Err(SigV4Error::IncompleteSignature { .. })));

    // The HTTP Date header stands in for x-amz-date.
    let headers = [
        ("host", "h"),
        ("date", "Mon, 01 Jan 2024 10:00:00 GMT"),
        (
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/kms/aws4_request, SignedHeaders=date;host, Signature=0000000000000000000000000000000000000000000000000000000000000000",
        ),
    ];
    let parts = RequestParts {
        method: "GET",
        path: "/",
        query: "",
        headers: &headers,
        payload: PayloadHash::NotComputed,
    };
    assert_eq!(parse(&parts, NOW).unwrap().amz_date(), "20240101T100000Z");
}

#[test]
fn payload_hash_rules() {
    let secret = SecretBytes::from_slice(b"k");
    let body = b"hello";
    let hash = arca_crypto::digest::sha256(body);
    let request =
        RequestToSign { method: "PUT", path: "/b/k", query: "", headers: &[("host", "h")] };
    let run = |payload: SignedPayload, server: PayloadHash, extra: Option<(&str, &str)>| {
        let signed = sign(&request, &params(&secret, "s3"), payload).unwrap();
        let mut headers: Vec<(&str, &str)> = vec![("host", "h")];
        headers.extend(signed.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        if let Some(extra) = extra {
            headers.push(extra);
        }
        let parts = RequestParts {
            method: "PUT",
            path: "/b/k",
            query: "",
            headers: &headers,
            payload: server,
        };
        let parsed = parse(&parts, NOW)?;
        verify(&parsed, &parts, &secret).map(|verified| verified.payload())
    };
    use arca_sigv4::VerifiedPayload as V;
    assert_eq!(
        run(SignedPayload::Sha256(hash), PayloadHash::Computed(hash), None),
        Ok(V::Verified)
    );
    assert!(run(SignedPayload::Sha256(hash), PayloadHash::NotComputed, None).is_err());
    assert_eq!(run(SignedPayload::Unsigned, PayloadHash::Computed(hash), None), Ok(V::Unsigned));
    assert_eq!(
        run(SignedPayload::StreamingSigned, PayloadHash::NotComputed, None),
        Ok(V::StreamingSigned)
    );
    let hex_hash = hex::encode(hash);
    let other = arca_crypto::digest::sha256(b"other");
    // A declared hash (signed as a header) is checked against the computed one.
    let declared = |server| {
        let headers = [("host", "h"), ("x-amz-content-sha256", hex_hash.as_str())];
        let signed = sign(
            &RequestToSign { headers: &headers, ..request },
            &params(&secret, "s3"),
            SignedPayload::Sha256(hash),
        )
        .unwrap();
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        all.extend(signed.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        let parts =
            RequestParts { method: "PUT", path: "/b/k", query: "", headers: &all, payload: server };
        let parsed = parse(&parts, NOW).unwrap();
        verify(&parsed, &parts, &secret).map(|verified| verified.payload())
    };
    assert_eq!(declared(PayloadHash::Computed(hash)), Ok(V::Verified));
    assert_eq!(declared(PayloadHash::NotComputed), Ok(V::Declared(hash)));
    assert_eq!(declared(PayloadHash::Computed(other)), Err(SigV4Error::ContentSha256Mismatch));
}

#[test]
fn chunked_round_trip_with_own_encoder() {
    let secret = SecretBytes::from_slice(b"k");
    let request =
        RequestToSign { method: "PUT", path: "/b/k", query: "", headers: &[("host", "h")] };
    let signed = sign(&request, &params(&secret, "s3"), SignedPayload::StreamingSigned).unwrap();
    let body = arca_sigv4::encode_chunked(
        &signed.signing_key,
        &signed.amz_date,
        &signed.scope,
        &signed.signature,
        &[b"abc", b"defg"],
    );
    let mut headers: Vec<(&str, &str)> = vec![("host", "h")];
    headers.extend(signed.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    let parts = RequestParts {
        method: "PUT",
        path: "/b/k",
        query: "",
        headers: &headers,
        payload: PayloadHash::NotComputed,
    };
    let verified = verify(&parse(&parts, NOW).unwrap(), &parts, &secret).unwrap();
    assert_eq!(arca_sigv4::decode_chunked(&verified, &body).unwrap(), b"abcdefg");
    // A request signed for a plain body cannot be decoded as chunks.
    let plain = sign(&request, &params(&secret, "s3"), SignedPayload::Unsigned).unwrap();
    let mut headers: Vec<(&str, &str)> = vec![("host", "h")];
    headers.extend(plain.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    let parts = RequestParts { headers: &headers, ..parts };
    let verified = verify(&parse(&parts, NOW).unwrap(), &parts, &secret).unwrap();
    assert!(arca_sigv4::ChunkDecoder::new(&verified).is_err());
}

/// Every `x-amz-*` header sent must be signed, in both forms: an unsigned `x-amz-target`
/// could be swapped in a captured request (DescribeKey into DisableKey).
#[test]
fn unsigned_amz_headers_are_refused() {
    let secret = SecretBytes::from_slice(b"k");
    let body_hash = arca_crypto::digest::sha256(b"{}");
    let signed_headers = [("host", "kms.us-east-1.amazonaws.com")];
    let request = RequestToSign { method: "POST", path: "/", query: "", headers: &signed_headers };
    let signed = sign(&request, &params(&secret, "kms"), SignedPayload::Sha256(body_hash)).unwrap();
    let check = |extra: (&str, &str)| {
        let mut headers: Vec<(&str, &str)> = signed_headers.to_vec();
        headers.extend(signed.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        headers.push(extra);
        let parts = RequestParts {
            method: "POST",
            path: "/",
            query: "",
            headers: &headers,
            payload: PayloadHash::Computed(body_hash),
        };
        parse(&parts, NOW).map(|_| ())
    };
    assert_eq!(
        check(("X-Amz-Target", "TrentService.DisableKey")),
        Err(SigV4Error::UnsignedHeader { name: "x-amz-target".into() })
    );
    assert!(matches!(
        check(("x-amz-security-token", "forged")),
        Err(SigV4Error::UnsignedHeader { .. })
    ));
    assert_eq!(check(("content-type", "application/x-amz-json-1.1")), Ok(()));

    let query = presign(
        &RequestToSign { method: "POST", path: "/", query: "", headers: &signed_headers },
        &params(&secret, "kms"),
        300,
    )
    .unwrap();
    let headers =
        [("host", "kms.us-east-1.amazonaws.com"), ("x-amz-target", "TrentService.Decrypt")];
    let parts = RequestParts {
        method: "POST",
        path: "/",
        query: &query,
        headers: &headers,
        payload: PayloadHash::Computed(body_hash),
    };
    assert!(matches!(parse(&parts, NOW), Err(SigV4Error::UnsignedHeader { .. })));
}

/// A presigned request signs `UNSIGNED-PAYLOAD`: `verify` says so for a body it did not
/// sign, so that the server can refuse any body but an empty one.
#[test]
fn presigned_body_is_reported_unsigned() {
    use arca_sigv4::VerifiedPayload as V;
    let secret = SecretBytes::from_slice(b"k");
    let headers = [("host", "iam.amazonaws.com")];
    let query = presign(
        &RequestToSign { method: "POST", path: "/", query: "Action=ListUsers", headers: &headers },
        &params(&secret, "iam"),
        300,
    )
    .unwrap();
    let payload = |body: &[u8]| {
        let parts = RequestParts {
            method: "POST",
            path: "/",
            query: &query,
            headers: &headers,
            payload: PayloadHash::Computed(arca_crypto::digest::sha256(body)),
        };
        verify(&parse(&parts, NOW).unwrap(), &parts, &secret).map(|v| v.payload())
    };
    assert_eq!(payload(b""), Ok(V::Unsigned));
    assert_eq!(payload(b"Action=CreateUser&UserName=mallory"), Ok(V::Unsigned));
}
