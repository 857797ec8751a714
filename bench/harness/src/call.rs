//! Signed AWS JSON 1.1 calls: built once, signed once, replayed by the load loop.

use arca_crypto::SecretBytes;
use arca_sigv4::{RequestToSign, SignedPayload, SigningParams};
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

/// An AWS JSON 1.1 service: how its requests are signed and addressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonService {
    /// The SigV4 signing name (`kms`, `secretsmanager`).
    pub signing_name: &'static str,
    /// What `X-Amz-Target` puts before the operation (`TrentService`, `secretsmanager`).
    pub target_prefix: &'static str,
}

/// One signed request, ready to send again and again.
#[derive(Debug, Clone)]
pub struct SignedCall {
    headers: HeaderMap,
    body: Bytes,
}

impl SignedCall {
    /// Signs a JSON 1.1 call of `service`'s `operation` (e.g. `CreateKey`) for `host`.
    pub fn sign(
        host: &str,
        service: JsonService,
        operation: &str,
        body: &serde_json::Value,
        credentials: &Credentials,
    ) -> anyhow::Result<Self> {
        let body = Bytes::from(serde_json::to_vec(body)?);
        let target = format!("{}.{operation}", service.target_prefix);
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
                service: service.signing_name,
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

    /// The HTTP request to send (cheap: the headers are cloned, the body is shared).
    pub fn request(&self) -> Request<Full<Bytes>> {
        let mut request = Request::post("/")
            .body(Full::new(self.body.clone()))
            .expect("a POST to / with a byte body is a valid request");
        *request.headers_mut() = self.headers.clone();
        request
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_the_target_and_the_service() {
        let credentials = Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".to_owned(),
            secret_access_key: SecretBytes::new(b"secret".to_vec()),
            region: "eu-west-1".to_owned(),
        };
        let service =
            JsonService { signing_name: "secretsmanager", target_prefix: "secretsmanager" };
        let body = serde_json::json!({ "SecretId": "bench-secret" });
        let call = SignedCall::sign("127.0.0.1:1", service, "GetSecretValue", &body, &credentials)
            .expect("signed");
        let request = call.request();
        let header = |name: &str| request.headers()[name].to_str().expect("ASCII").to_owned();
        assert_eq!(header("x-amz-target"), "secretsmanager.GetSecretValue");
        assert_eq!(header("content-type"), "application/x-amz-json-1.1");
        assert_eq!(header("host"), "127.0.0.1:1");
        let authorization = header("authorization");
        assert!(
            authorization.contains("/eu-west-1/secretsmanager/aws4_request"),
            "{authorization}"
        );
    }
}
