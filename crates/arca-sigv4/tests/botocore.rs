//! Requests signed by botocore (the AWS SDK for Python), captured as a server receives
//! them (`testdata/botocore.json`, made by `testdata/gen_botocore.py`): KMS and Secrets
//! Manager JSON, STS and IAM Query, an S3 GET with an awkward key, an S3 presigned URL,
//! and a session token. Each must verify, and fail with any byte of its body changed.

use arca_crypto::SecretBytes;
use arca_sigv4::{
    PayloadHash, RequestParts, SigV4Error, VerifiedPayload, parse, parse_amz_date, verify,
};

#[test]
fn botocore_signed_requests_verify() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/botocore.json");
    let fixture: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let secret = SecretBytes::from_slice(fixture["secret_access_key"].as_str().unwrap().as_bytes());
    let now = parse_amz_date(fixture["now"].as_str().unwrap()).unwrap();
    let requests = fixture["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 7);
    for request in requests {
        let name = request["name"].as_str().unwrap();
        let headers: Vec<(&str, &str)> = request["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|pair| (pair[0].as_str().unwrap(), pair[1].as_str().unwrap()))
            .collect();
        let body = hex::decode(request["body_hex"].as_str().unwrap()).unwrap();
        let parts = RequestParts {
            method: request["method"].as_str().unwrap(),
            path: request["path"].as_str().unwrap(),
            query: request["query"].as_str().unwrap(),
            headers: &headers,
            payload: PayloadHash::Computed(arca_crypto::digest::sha256(&body)),
        };
        let parsed = parse(&parts, now).unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(parsed.access_key_id(), fixture["access_key_id"].as_str().unwrap(), "{name}");
        let verified =
            verify(&parsed, &parts, &secret).unwrap_or_else(|error| panic!("{name}: {error}"));
        let service = name.split('-').next().unwrap();
        assert_eq!(verified.service(), service, "{name}");
        if name == "s3-presigned-get" {
            assert_eq!(verified.payload(), VerifiedPayload::Unsigned);
        } else {
            assert_eq!(verified.payload(), VerifiedPayload::Verified, "{name}");
        }
        if name.contains("session-token") {
            assert_eq!(verified.security_token(), Some("FwoGZXIvYXdzEXAMPLE/token+=="));
        }
        if !body.is_empty() {
            let mut changed = body.clone();
            changed[body.len() / 2] ^= 1;
            let tampered = RequestParts {
                payload: PayloadHash::Computed(arca_crypto::digest::sha256(&changed)),
                ..parts
            };
            assert_eq!(
                verify(&parsed, &tampered, &secret).unwrap_err(),
                SigV4Error::SignatureDoesNotMatch,
                "{name}"
            );
        }
    }
}
