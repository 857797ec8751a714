//! Signed KMS calls: built once, signed once, replayed by the load loop.

use arca_crypto::SecretBytes;
use arca_sigv4::{RequestToSign, SignedPayload, SigningParams};
use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Request};
use http_body_util::Full;

/// Who signs: an access key pair and the region of the credential scope.
#[derive(Debug)]
pub struct Credentials {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: SecretBytes,
    /// The signing region.
    pub region: String,
}

/// The KMS operations the benchmark drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `Encrypt` of a 1 KiB plaintext.
    Encrypt,
    /// `GenerateDataKey` with `KeySpec` `AES_256`.
    GenerateDataKey,
}

impl Operation {
    /// The AWS operation name.
    pub fn name(self) -> &'static str {
        match self {
            Operation::Encrypt => "Encrypt",
            Operation::GenerateDataKey => "GenerateDataKey",
        }
    }

    /// The JSON body of one call under `key_id`; `variant` varies the plaintext.
    fn body(self, key_id: &str, variant: usize) -> serde_json::Value {
        match self {
            Operation::Encrypt => {
                let plaintext: Vec<u8> =
                    (0..1024).map(|index| (index * 31 + variant * 7) as u8).collect();
                let plaintext = base64::engine::general_purpose::STANDARD.encode(plaintext);
                serde_json::json!({ "KeyId": key_id, "Plaintext": plaintext })
            }
            Operation::GenerateDataKey => {
                serde_json::json!({ "KeyId": key_id, "KeySpec": "AES_256" })
            }
        }
    }
}

/// One signed request, ready to send again and again.
#[derive(Debug, Clone)]
pub struct SignedCall {
    headers: HeaderMap,
    body: Bytes,
}

impl SignedCall {
    /// Signs a KMS JSON 1.1 call of `target` (e.g. `TrentService.CreateKey`) for `host`.
    pub fn sign(
        host: &str,
        target: &str,
        body: &serde_json::Value,
        credentials: &Credentials,
    ) -> anyhow::Result<Self> {
        let body = Bytes::from(serde_json::to_vec(body)?);
        let target = format!("TrentService.{target}");
        let plain_headers = [
            ("host", host),
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", target.as_str()),
        ];
        let signed = arca_sigv4::sign(
            &RequestToSign { method: "POST", path: "/", query: "", headers: &plain_headers },
            &SigningParams {
                access_key_id: &credentials.access_key_id,
                secret_access_key: &credentials.secret_access_key,
                security_token: None,
                region: &credentials.region,
                service: "kms",
                time: time::OffsetDateTime::now_utc(),
            },
            SignedPayload::Sha256(arca_crypto::digest::sha256(&body)),
        )
        .map_err(|error| anyhow::anyhow!("signing {target}: {error}"))?;
        let mut headers = HeaderMap::new();
        let added = signed.headers.iter().map(|(name, value)| (name.as_str(), value.as_str()));
        for (name, value) in plain_headers.into_iter().chain(added) {
            headers.insert(HeaderName::from_bytes(name.as_bytes())?, HeaderValue::from_str(value)?);
        }
        Ok(Self { headers, body })
    }

    /// A pool of `count` signed calls of `operation` under `key_id`.
    pub fn pool(
        host: &str,
        operation: Operation,
        key_id: &str,
        credentials: &Credentials,
        count: usize,
    ) -> anyhow::Result<Vec<Self>> {
        (0..count)
            .map(|variant| {
                Self::sign(host, operation.name(), &operation.body(key_id, variant), credentials)
            })
            .collect()
    }

    /// The HTTP request to send (cheap: the headers are cloned, the body is shared).
    pub fn request(&self) -> Request<Full<Bytes>> {
        let mut request = Request::post("/")
            .body(Full::new(self.body.clone()))
            .expect("a POST to / with a byte body is a valid request");
        *request.headers_mut() = self.headers.clone();
        request
    }
}
