//! Known-answer tests: cases of the AWS SigV4 test suite ("aws-sig-v4-test-suite", as
//! shipped in botocore's `tests/unit/auth/aws4_testsuite`) and the worked examples of the
//! Amazon S3 API reference (presigned GET; chunked PUT). Each case feeds the request as a
//! server receives it through `parse` and `verify`, with the published signature.

use arca_crypto::SecretBytes;
use arca_sigv4::{
    AuthForm, ChunkDecoder, PayloadHash, RequestParts, SigV4Error, VerifiedPayload,
    canonical_request, parse, verify,
};
use time::OffsetDateTime;
use time::macros::datetime;

const SUITE_SECRET: &[u8] = b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const SUITE_TIME: OffsetDateTime = datetime!(2015-08-30 12:36:00 UTC);
const HOST: (&str, &str) = ("Host", "example.amazonaws.com");
const DATE: (&str, &str) = ("X-Amz-Date", "20150830T123600Z");

struct Case {
    name: &'static str,
    method: &'static str,
    path: &'static str,
    query: &'static str,
    /// Headers other than Host and X-Amz-Date (which every case has).
    headers: &'static [(&'static str, &'static str)],
    body: &'static [u8],
    signed_headers: &'static str,
    signature: &'static str,
    /// The published canonical request, where the case is about canonicalisation.
    canonical_request: Option<&'static str>,
}

const HOST_DATE: &str = "host;x-amz-date";

fn cases() -> Vec<Case> {
    let plain = |name, method, path, query, signature| Case {
        name,
        method,
        path,
        query,
        headers: &[],
        body: b"",
        signed_headers: HOST_DATE,
        signature,
        canonical_request: None,
    };
    vec![
        Case {
            canonical_request: Some(
                "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\
                 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
            ..plain(
                "get-vanilla",
                "GET",
                "/",
                "",
                "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            )
        },
        plain(
            "get-vanilla-query-order-key-case",
            "GET",
            "/",
            "Param2=value2&Param1=value1",
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
        ),
        plain(
            "get-vanilla-query-order-key",
            "GET",
            "/",
            "Param1=value2&Param1=Value1",
            "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1",
        ),
        plain(
            "get-vanilla-query-order-value",
            "GET",
            "/",
            "Param1=value2&Param1=value1",
            "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694",
        ),
        Case {
            canonical_request: Some(
                "GET\n/\n%E1%88%B4=Value1&Param=Value2&Param-3=Value3\nhost:example.amazonaws.com\n\
                 x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\
                 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
            ..plain(
                "get-vanilla-query-order-encoded",
                "GET",
                "/",
                "Param-3=Value3&Param=Value2&%E1%88%B4=Value1",
                "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac",
            )
        },
        plain(
            "get-vanilla-query-unreserved",
            "GET",
            "/",
            "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197",
        ),
        plain(
            "get-vanilla-utf8-query",
            "GET",
            "/",
            "\u{1234}=bar",
            "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
        ),
        plain(
            "get-vanilla-empty-query-key",
            "GET",
            "/",
            "Param1=value1",
            "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb",
        ),
        plain(
            "get-unreserved",
            "GET",
            "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            "",
            "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
        ),
        plain(
            "get-utf8",
            "GET",
            "/\u{1234}",
            "",
            "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85",
        ),
        plain(
            "get-relative",
            "GET",
            "/example/..",
            "",
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        ),
        plain(
            "get-relative-relative",
            "GET",
            "/example1/example2/../..",
            "",
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        ),
        plain(
            "get-slash",
            "GET",
            "//",
            "",
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        ),
        plain(
            "get-slash-dot-slash",
            "GET",
            "/./",
            "",
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        ),
        plain(
            "get-slash-pointless-dot",
            "GET",
            "/./example",
            "",
            "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5",
        ),
        plain(
            "get-slashes",
            "GET",
            "//example//",
            "",
            "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84",
        ),
        plain(
            "get-space",
            "GET",
            "/example space/",
            "",
            "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741",
        ),
        plain(
            "get-special-character",
            "GET",
            "/example/$delete",
            "",
            "a853c9b21b528b19643d00910d35b83a10c366a10833ceefb45edd6c80e40f27",
        ),
        Case {
            headers: &[("My-Header1", " value1"), ("My-Header2", " \"a   b   c\"")],
            signed_headers: "host;my-header1;my-header2;x-amz-date",
            canonical_request: Some(
                "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\n\
                 x-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\n\
                 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
            ..plain(
                "get-header-value-trim",
                "GET",
                "/",
                "",
                "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
            )
        },
        Case {
            headers: &[
                ("My-Header1", "value2"),
                ("My-Header1", "value2"),
                ("My-Header1", "value1"),
            ],
            signed_headers: "host;my-header1;x-amz-date",
            canonical_request: Some(
                "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value2,value2,value1\n\
                 x-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\n\
                 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
            ..plain(
                "get-header-key-duplicate",
                "GET",
                "/",
                "",
                "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
            )
        },
        Case {
            headers: &[
                ("My-Header1", "value4"),
                ("My-Header1", "value1"),
                ("My-Header1", "value3"),
                ("My-Header1", "value2"),
            ],
            signed_headers: "host;my-header1;x-amz-date",
            ..plain(
                "get-header-value-order",
                "GET",
                "/",
                "",
                "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01",
            )
        },
        Case {
            headers: &[("My-Header1", "value1\n  value2\n     value3")],
            signed_headers: "host;my-header1;x-amz-date",
            ..plain(
                "get-header-value-multiline",
                "GET",
                "/",
                "",
                "cfd34249e4b1c8d6b91ef74165d41a32e5fab3306300901bb65a51a73575eefd",
            )
        },
        plain(
            "post-vanilla",
            "POST",
            "/",
            "",
            "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
        ),
        plain(
            "post-header-key-case",
            "POST",
            "/",
            "",
            "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
        ),
        plain(
            "post-vanilla-query",
            "POST",
            "/",
            "Param1=value1",
            "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
        ),
        Case {
            headers: &[("My-Header1", "value1")],
            signed_headers: "host;my-header1;x-amz-date",
            ..plain(
                "post-header-key-sort",
                "POST",
                "/",
                "",
                "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c",
            )
        },
        Case {
            headers: &[("My-Header1", "VALUE1")],
            signed_headers: "host;my-header1;x-amz-date",
            ..plain(
                "post-header-value-case",
                "POST",
                "/",
                "",
                "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d",
            )
        },
        Case {
            headers: &[("Content-Type", "application/x-www-form-urlencoded")],
            body: b"Param1=value1",
            signed_headers: "content-type;host;x-amz-date",
            canonical_request: Some(
                "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\n\
                 x-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n\
                 9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
            ),
            ..plain(
                "post-x-www-form-urlencoded",
                "POST",
                "/",
                "",
                "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
            )
        },
        Case {
            headers: &[("Content-Type", "application/x-www-form-urlencoded; charset=utf8")],
            body: b"Param1=value1",
            signed_headers: "content-type;host;x-amz-date",
            ..plain(
                "post-x-www-form-urlencoded-parameters",
                "POST",
                "/",
                "",
                "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe",
            )
        },
        Case {
            headers: &[(
                "X-Amz-Security-Token",
                "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==",
            )],
            signed_headers: "host;x-amz-date;x-amz-security-token",
            ..plain(
                "post-sts-header-before",
                "POST",
                "/",
                "",
                "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead",
            )
        },
    ]
}

fn authorization(case: &Case) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
         SignedHeaders={}, Signature={}",
        case.signed_headers, case.signature
    )
}

#[test]
fn aws_test_suite_vectors_verify() {
    let secret = SecretBytes::from_slice(SUITE_SECRET);
    let cases = cases();
    assert!(cases.len() >= 30);
    for case in &cases {
        let authorization = authorization(case);
        let mut headers = vec![HOST, DATE];
        headers.extend_from_slice(case.headers);
        headers.push(("Authorization", &authorization));
        let parts = RequestParts {
            method: case.method,
            path: case.path,
            query: case.query,
            headers: &headers,
            payload: PayloadHash::Computed(arca_crypto::digest::sha256(case.body)),
        };
        let parsed =
            parse(&parts, SUITE_TIME).unwrap_or_else(|error| panic!("{}: {error}", case.name));
        assert_eq!(parsed.access_key_id(), "AKIDEXAMPLE");
        assert_eq!(parsed.region(), "us-east-1");
        assert_eq!(parsed.service(), "service");
        if let Some(expected) = case.canonical_request {
            assert_eq!(canonical_request(&parsed, &parts).unwrap(), expected, "{}", case.name);
        }
        let verified = verify(&parsed, &parts, &secret)
            .unwrap_or_else(|error| panic!("{}: {error}", case.name));
        assert_eq!(verified.payload(), VerifiedPayload::Verified);

        // The wrong secret fails, and so does the right secret on a different body.
        let wrong = SecretBytes::from_slice(b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ");
        assert_eq!(verify(&parsed, &parts, &wrong).unwrap_err(), SigV4Error::SignatureDoesNotMatch);
        let other_body = RequestParts {
            payload: PayloadHash::Computed(arca_crypto::digest::sha256(b"x")),
            ..parts
        };
        assert_eq!(
            verify(&parsed, &other_body, &secret).unwrap_err(),
            SigV4Error::SignatureDoesNotMatch,
            "{}",
            case.name
        );
    }
}

/// S3 API reference, "Authenticating Requests: Using Query Parameters": GET /test.txt.
#[test]
fn s3_presigned_get_example() {
    let secret = SecretBytes::from_slice(b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    let query = "X-Amz-Algorithm=AWS4-HMAC-SHA256\
        &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
        &X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\
        &X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
    let headers = [("host", "examplebucket.s3.amazonaws.com")];
    let parts = RequestParts {
        method: "GET",
        path: "/test.txt",
        query,
        headers: &headers,
        payload: PayloadHash::Computed(arca_crypto::digest::sha256(b"")),
    };
    let now = datetime!(2013-05-24 12:00:00 UTC);
    let parsed = parse(&parts, now).unwrap();
    assert_eq!(parsed.form(), AuthForm::Presigned { expires: 86400 });
    assert_eq!(parsed.access_key_id(), "AKIAIOSFODNN7EXAMPLE");
    assert_eq!(
        canonical_request(&parsed, &parts).unwrap(),
        "GET\n/test.txt\nX-Amz-Algorithm=AWS4-HMAC-SHA256\
         &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
         &X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\n\
         host:examplebucket.s3.amazonaws.com\n\nhost\nUNSIGNED-PAYLOAD"
    );
    let verified = verify(&parsed, &parts, &secret).unwrap();
    assert_eq!(verified.payload(), VerifiedPayload::Unsigned);

    // One second past the 24 hours, the URL has expired; 16 minutes early, not yet valid.
    let late = datetime!(2013-05-25 00:00:01 UTC);
    assert!(matches!(parse(&parts, late), Err(SigV4Error::RequestExpired { .. })));
    let early = datetime!(2013-05-23 23:44:00 UTC);
    assert!(matches!(parse(&parts, early), Err(SigV4Error::RequestExpired { .. })));
    assert!(parse(&parts, datetime!(2013-05-23 23:46:00 UTC)).is_ok());

    // The signing side reproduces the published URL.
    let signed = arca_sigv4::presign(
        &arca_sigv4::RequestToSign {
            method: "GET",
            path: "/test.txt",
            query: "",
            headers: &headers,
        },
        &arca_sigv4::SigningParams {
            access_key_id: "AKIAIOSFODNN7EXAMPLE",
            secret_access_key: &secret,
            security_token: None,
            region: "us-east-1",
            service: "s3",
            time: datetime!(2013-05-24 00:00:00 UTC),
        },
        86400,
    )
    .unwrap();
    assert_eq!(signed, query);
}

/// S3 API reference, "Signature Calculations for the Authorization Header: Transferring
/// Payload in Multiple Chunks": PUT of 66,560 bytes of 'a' in chunks of 64 KiB.
#[test]
fn s3_chunked_upload_example() {
    let secret = SecretBytes::from_slice(b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    let authorization = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,\
        SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;\
        x-amz-decoded-content-length;x-amz-storage-class,\
        Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
    let headers = [
        ("host", "s3.amazonaws.com"),
        ("x-amz-date", "20130524T000000Z"),
        ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ("authorization", authorization),
        ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
        ("content-encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "66560"),
        ("content-length", "66824"),
    ];
    let parts = RequestParts {
        method: "PUT",
        path: "/examplebucket/chunkObject.txt",
        query: "",
        headers: &headers,
        payload: PayloadHash::NotComputed,
    };
    let parsed = parse(&parts, datetime!(2013-05-24 00:05:00 UTC)).unwrap();
    let verified = verify(&parsed, &parts, &secret).unwrap();
    assert_eq!(verified.payload(), VerifiedPayload::StreamingSigned);

    let first = "10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n";
    let second =
        "400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n";
    let last = "0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n";
    let mut body = Vec::new();
    body.extend_from_slice(first.as_bytes());
    body.extend(std::iter::repeat_n(b'a', 65536));
    body.extend_from_slice(b"\r\n");
    body.extend_from_slice(second.as_bytes());
    body.extend(std::iter::repeat_n(b'a', 1024));
    body.extend_from_slice(b"\r\n");
    body.extend_from_slice(last.as_bytes());
    assert_eq!(body.len(), 66824);

    // Whole, and fed in pieces of several sizes.
    let decoded = arca_sigv4::decode_chunked(&verified, &body).unwrap();
    assert_eq!(decoded, vec![b'a'; 66560]);
    for piece in [1, 7, 100, 4096, 65536, 70000] {
        let mut decoder = ChunkDecoder::new(&verified).unwrap();
        let mut out = Vec::new();
        for slice in body.chunks(piece) {
            decoder.push(slice, &mut out).unwrap();
        }
        assert_eq!(decoder.finish().unwrap(), 66560);
        assert_eq!(out.len(), 66560);
    }

    // A changed data byte breaks that chunk; a truncated body never finishes.
    let mut tampered = body.clone();
    tampered[200] = b'b';
    assert_eq!(
        arca_sigv4::decode_chunked(&verified, &tampered).unwrap_err(),
        SigV4Error::SignatureDoesNotMatch
    );
    let truncated = &body[..body.len() - last.len()];
    assert!(matches!(
        arca_sigv4::decode_chunked(&verified, truncated),
        Err(SigV4Error::InvalidChunk { .. })
    ));
    // Dropping the first chunk breaks the chain.
    let skipped = &body[first.len() + 65536 + 2..];
    assert_eq!(
        arca_sigv4::decode_chunked(&verified, skipped).unwrap_err(),
        SigV4Error::SignatureDoesNotMatch
    );
    // Trailing bytes after the final chunk are refused.
    let mut trailing = body.clone();
    trailing.extend_from_slice(b"x");
    assert!(matches!(
        arca_sigv4::decode_chunked(&verified, &trailing),
        Err(SigV4Error::InvalidChunk { .. })
    ));
}
