//! Building the CloudTrail-shaped event of one request. Only members on an allow list
//! are copied from the request, so plaintexts, ciphertexts, keys, secrets and
//! passwords can never reach the log.

use serde_json::{Map, Value};

use arca_gate::Caller;

/// Request members that are safe to record, as sent (PascalCase).
const RECORDED_MEMBERS: &[&str] = &[
    "KeyId",
    "EncryptionContext",
    "SourceEncryptionContext",
    "DestinationEncryptionContext",
    "KeySpec",
    "NumberOfBytes",
    "AliasName",
    "TargetKeyId",
    "SourceKeyId",
    "DestinationKeyId",
    "PendingWindowInDays",
    "RotationPeriodInDays",
    "Description",
    "KeyUsage",
    "Origin",
    "CustomerMasterKeySpec",
    "EncryptionAlgorithm",
    "SourceEncryptionAlgorithm",
    "DestinationEncryptionAlgorithm",
    "Limit",
    "PolicyName",
    "TagKeys",
    "Tags",
    "DryRun",
    "BypassPolicyLockoutSafetyCheck",
    "IncludeKeyMaterial",
    "UserName",
    "AccessKeyId",
    "Name",
    "MaxItems",
    "Seconds",
];

/// What the pipeline knows about a request when it records it.
pub struct EventInput<'a> {
    /// The authenticated caller, if authentication succeeded.
    pub caller: Option<&'a Caller>,
    /// The access key id the request claimed (even when unknown).
    pub access_key_id: Option<&'a str>,
    /// `kms`, `iam`, `sts`, `arca`.
    pub service: &'a str,
    /// The operation name.
    pub operation: &'a str,
    /// Region of the request.
    pub region: &'a str,
    /// Client address.
    pub source_ip: String,
    /// User-Agent header.
    pub user_agent: &'a str,
    /// The request id.
    pub request_id: &'a str,
    /// The parsed request members (JSON body or Query params).
    pub parameters: Option<Map<String, Value>>,
    /// Error code and message when the request failed.
    pub error: Option<(&'a str, &'a str)>,
    /// Event time (Unix ms).
    pub time_ms: i64,
}

fn lower_camel(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The event as CloudTrail would write it.
pub fn build(input: EventInput<'_>) -> Value {
    let time =
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(input.time_ms) * 1_000_000)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let event_time = time
        .replace_nanosecond(0)
        .unwrap_or(time)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let user_identity = match input.caller {
        Some(caller) => serde_json::json!({
            "type": if caller.is_account_root { "Root" } else { "IAMUser" },
            "principalId": caller.user_id,
            "arn": caller.principal_arn,
            "accountId": caller.account_id,
            "accessKeyId": caller.access_key_id,
            "userName": caller.user_name,
        }),
        None => {
            serde_json::json!({ "type": "Unknown", "accessKeyId": input.access_key_id.unwrap_or_default() })
        }
    };
    let parameters = input.parameters.map(|members| {
        let recorded: Map<String, Value> = members
            .into_iter()
            .filter(|(name, _)| RECORDED_MEMBERS.contains(&name.as_str()))
            .map(|(name, value)| (lower_camel(&name), value))
            .collect();
        Value::Object(recorded)
    });
    let read_only =
        ["Describe", "List", "Get"].iter().any(|prefix| input.operation.starts_with(prefix));
    let mut event = serde_json::json!({
        "eventVersion": "1.08",
        "userIdentity": user_identity,
        "eventTime": event_time,
        "eventSource": format!("{}.amazonaws.com", input.service),
        "eventName": input.operation,
        "awsRegion": input.region,
        "sourceIPAddress": input.source_ip,
        "userAgent": input.user_agent,
        "requestParameters": parameters.unwrap_or(Value::Null),
        "responseElements": Value::Null,
        "requestID": input.request_id,
        "eventID": uuid::Uuid::new_v4().to_string(),
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": input.caller.map(|c| c.account_id.clone()).unwrap_or_default(),
        "eventCategory": "Management",
    });
    if let Some((code, message)) = input.error {
        event["errorCode"] = code.into();
        event["errorMessage"] = message.into();
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_reach_the_event() {
        let parameters: Map<String, Value> = serde_json::from_str(
            r#"{"KeyId":"alias/app","Plaintext":"c2VjcmV0","CiphertextBlob":"AAAA","EncryptionContext":{"a":"b"},"SecretAccessKey":"x","PolicyDocument":"{}","Policy":"{}"}"#,
        )
        .unwrap();
        let event = build(EventInput {
            caller: None,
            access_key_id: Some("AKIAEXAMPLE"),
            service: "kms",
            operation: "Encrypt",
            region: "us-east-1",
            source_ip: "127.0.0.1".into(),
            user_agent: "test",
            request_id: "rid",
            parameters: Some(parameters),
            error: Some(("AccessDeniedException", "denied")),
            time_ms: 0,
        });
        let text = event.to_string();
        assert!(
            !text.contains("c2VjcmV0")
                && !text.contains("SecretAccessKey")
                && !text.contains("AAAA")
        );
        assert_eq!(event["requestParameters"]["keyId"], "alias/app");
        assert_eq!(event["requestParameters"]["encryptionContext"]["a"], "b");
        assert_eq!(event["errorCode"], "AccessDeniedException");
        assert_eq!(event["eventSource"], "kms.amazonaws.com");
    }
}
