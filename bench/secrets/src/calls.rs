//! The Secrets Manager calls the benchmark makes: the secret it creates, the operations
//! it drives, and what a good answer to each holds (signed and replayed by
//! `arca-bench-harness`).

use arca_bench_harness::{Credentials, JsonService, SignedCall};
use bytes::Bytes;

/// Secrets Manager on the wire: signing name `secretsmanager`,
/// `X-Amz-Target: secretsmanager.*`.
pub const SECRETS_MANAGER: JsonService =
    JsonService { signing_name: "secretsmanager", target_prefix: "secretsmanager" };

/// The name of the secret the benchmark creates on each target.
pub const SECRET_NAME: &str = "bench-secret";

/// The length of its `SecretString`, in bytes.
pub const SECRET_BYTES: usize = 256;

/// The ARN the echo server's answer names (the echo server checks nothing).
const ECHO_ARN: &str = "arn:aws:secretsmanager:us-east-1:000000000000:secret:bench-secret-AbCdEf";

/// The secret's value: a database credential as a JSON document of exactly
/// [`SECRET_BYTES`] bytes.
pub fn secret_string() -> String {
    let head = r#"{"engine":"postgres","host":"db.bench.internal","port":5432,"username":"bench","password":""#;
    let tail = r#""}"#;
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let password: String =
        alphabet.chars().cycle().step_by(7).take(SECRET_BYTES - head.len() - tail.len()).collect();
    format!("{head}{password}{tail}")
}

/// A fresh `ClientRequestToken` (a random UUID, as the AWS SDKs make one): Secrets
/// Manager requires one of a raw request that writes a version.
pub fn client_request_token() -> String {
    let mut random = arca_crypto::random::bytes(16);
    random[6] = (random[6] & 0x0f) | 0x40;
    random[8] = (random[8] & 0x3f) | 0x80;
    let hex: String = random.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// The secret as a target created it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secret {
    /// Its full ARN, as CreateSecret (or PutSecretValue) answered.
    pub arn: String,
}

impl Secret {
    /// The secret the echo server pretends to hold.
    pub fn echo() -> Self {
        Secret { arn: ECHO_ARN.to_owned() }
    }
}

/// The Secrets Manager operations the benchmark drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `GetSecretValue` of the current version, the secret named by its name.
    GetSecretValue,
    /// `GetSecretValue` of the current version, the secret named by its full ARN.
    GetSecretValueByArn,
    /// `DescribeSecret`, the secret named by its name.
    DescribeSecret,
}

impl Operation {
    /// Every operation, in the order the table shows them.
    pub const ALL: [Operation; 3] =
        [Operation::GetSecretValue, Operation::GetSecretValueByArn, Operation::DescribeSecret];

    /// The AWS operation name.
    pub fn action(self) -> &'static str {
        match self {
            Operation::GetSecretValue | Operation::GetSecretValueByArn => "GetSecretValue",
            Operation::DescribeSecret => "DescribeSecret",
        }
    }

    /// The row's label.
    pub fn name(self) -> &'static str {
        match self {
            Operation::GetSecretValue => "GetSecretValue",
            Operation::GetSecretValueByArn => "GetSecretValue by ARN",
            Operation::DescribeSecret => "DescribeSecret",
        }
    }

    /// The JSON body of one call on `secret`.
    fn body(self, secret: &Secret) -> serde_json::Value {
        let secret_id = match self {
            Operation::GetSecretValue | Operation::DescribeSecret => SECRET_NAME,
            Operation::GetSecretValueByArn => secret.arn.as_str(),
        };
        serde_json::json!({ "SecretId": secret_id })
    }

    /// Whether one answer (`status`, `body`) is what a good server says about `secret`;
    /// `Err` says what is wrong.
    pub fn check(
        self,
        status: http::StatusCode,
        body: &[u8],
        secret: &Secret,
    ) -> Result<(), String> {
        let text = || String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
        if status != http::StatusCode::OK {
            return Err(format!("{}: HTTP {status}: {}", self.name(), text()));
        }
        let answer: serde_json::Value = serde_json::from_slice(body).map_err(|error| {
            format!("{}: the answer is not JSON ({error}): {}", self.name(), text())
        })?;
        let field = |name: &str| answer.get(name).and_then(serde_json::Value::as_str);
        let wrong = |what: &str| Err(format!("{}: {what}: {}", self.name(), text()));
        if field("Name") != Some(SECRET_NAME) {
            return wrong("the answer does not name bench-secret");
        }
        if field("ARN") != Some(secret.arn.as_str()) {
            return wrong(&format!("the answer's ARN is not {}", secret.arn));
        }
        match self {
            Operation::GetSecretValue | Operation::GetSecretValueByArn => {
                if field("SecretString") != Some(secret_string().as_str()) {
                    return wrong("SecretString is not the value the benchmark stored");
                }
            }
            Operation::DescribeSecret => {}
        }
        Ok(())
    }
}

/// A pool of `count` signed calls of `operation` on `secret` (the bodies are the same;
/// each is signed on its own).
pub fn pool(
    host: &str,
    operation: Operation,
    secret: &Secret,
    credentials: &Credentials,
    count: usize,
) -> anyhow::Result<Vec<SignedCall>> {
    let body = operation.body(secret);
    (0..count)
        .map(|_| SignedCall::sign(host, SECRETS_MANAGER, operation.action(), &body, credentials))
        .collect()
}

/// One signed call of `operation` with `body` (the set-up calls: CreateSecret,
/// PutSecretValue).
pub fn sign(
    host: &str,
    operation: &str,
    body: &serde_json::Value,
    credentials: &Credentials,
) -> anyhow::Result<SignedCall> {
    SignedCall::sign(host, SECRETS_MANAGER, operation, body, credentials)
}

/// The echo server's answer: a GetSecretValue answer of the benchmark's secret, so that
/// the ceiling moves as many bytes as a real answer.
pub fn echo_body() -> Bytes {
    let answer = serde_json::json!({
        "ARN": ECHO_ARN,
        "Name": SECRET_NAME,
        "VersionId": "00000000-0000-0000-0000-000000000000",
        "SecretString": secret_string(),
        "VersionStages": ["AWSCURRENT"],
        "CreatedDate": 1_765_000_000.0,
    });
    Bytes::from(serde_json::to_vec(&answer).expect("a JSON value serialises"))
}

#[cfg(test)]
mod tests {
    use http::StatusCode;

    use super::*;

    #[test]
    fn the_secret_is_a_256_byte_json_document() {
        let value = secret_string();
        assert_eq!(value.len(), SECRET_BYTES);
        let document: serde_json::Value = serde_json::from_str(&value).expect("JSON");
        assert_eq!(document["username"], "bench");
    }

    #[test]
    fn request_tokens_are_fresh_uuids() {
        let token = client_request_token();
        assert_eq!(token.len(), 36);
        let groups: Vec<usize> = token.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
        assert_eq!(token.as_bytes()[14], b'4');
        assert_ne!(token, client_request_token());
    }

    #[test]
    fn calls_name_the_secret_by_name_or_arn() {
        let secret = Secret::echo();
        let check = |operation: Operation, expected: serde_json::Value| {
            assert_eq!(operation.body(&secret), expected, "{operation:?}");
        };
        check(Operation::GetSecretValue, serde_json::json!({ "SecretId": "bench-secret" }));
        check(Operation::GetSecretValueByArn, serde_json::json!({ "SecretId": ECHO_ARN }));
        check(Operation::DescribeSecret, serde_json::json!({ "SecretId": "bench-secret" }));
    }

    #[test]
    fn checks_answers() {
        let secret = Secret::echo();
        let good_value = echo_body();
        let good_description =
            serde_json::to_vec(&serde_json::json!({ "ARN": ECHO_ARN, "Name": "bench-secret" }))
                .expect("JSON");
        let other_value = serde_json::to_vec(&serde_json::json!({
            "ARN": ECHO_ARN, "Name": "bench-secret", "SecretString": "{}",
        }))
        .expect("JSON");
        let unknown = br#"{"__type":"UnknownOperationException"}"#;
        let check =
            |operation: Operation, status: StatusCode, body: &[u8], expected: Option<&str>| {
                let outcome = operation.check(status, body, &secret);
                match expected {
                    None => assert_eq!(outcome, Ok(()), "{operation:?}"),
                    Some(part) => {
                        let error = outcome.expect_err("a bad answer");
                        assert!(error.contains(part), "{operation:?}: {error}");
                    }
                }
            };
        check(Operation::GetSecretValue, StatusCode::OK, &good_value, None);
        check(Operation::GetSecretValueByArn, StatusCode::OK, &good_value, None);
        check(Operation::DescribeSecret, StatusCode::OK, &good_description, None);
        check(Operation::GetSecretValue, StatusCode::OK, &good_description, Some("SecretString"));
        check(Operation::GetSecretValue, StatusCode::OK, &other_value, Some("SecretString"));
        check(Operation::GetSecretValue, StatusCode::BAD_REQUEST, unknown, Some("HTTP 400"));
        check(Operation::DescribeSecret, StatusCode::OK, b"not json", Some("not JSON"));
        let other_arn = Secret { arn: format!("{ECHO_ARN}x") };
        assert!(
            Operation::DescribeSecret.check(StatusCode::OK, &good_description, &other_arn).is_err()
        );
    }
}
