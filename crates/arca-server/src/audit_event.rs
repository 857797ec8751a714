//! Building the CloudTrail-shaped event of one request. The request members it is given
//! are only those on the operation's allow list in the service registry
//! ([`arca_api::Input::audit_members`]), so plaintexts, ciphertexts, keys, secrets and
//! passwords never reach the log; here they are bounded in size.

use serde_json::{Map, Value};

use arca_gate::{
    Caller,
    audit::{AuditLog, EventLine, EventLineError},
};

/// Bounds on what one event keeps of the request members, whatever the caller sent:
/// a string's characters, the entries of one object or list, the nesting depth, and the
/// bytes of all recorded text together. An event that was cut says so in
/// `requestParametersTruncated`.
const MAX_STRING_CHARS: usize = 256;
const MAX_ENTRIES: usize = 64;
const MAX_DEPTH: usize = 4;
const MAX_TOTAL_BYTES: usize = 8 * 1024;
const MAX_MESSAGE_BYTES: usize = 1024;

/// What the pipeline knows about an authenticated request when it records it (requests
/// that fail authentication are counted, not recorded).
pub struct EventInput<'a> {
    /// The authenticated caller.
    pub caller: &'a Caller,
    /// `kms`, `iam`, `sts`, `arca`.
    pub service: &'a str,
    /// The operation name.
    pub operation: &'a str,
    /// CloudTrail's `readOnly`, from the operation's table row.
    pub read_only: bool,
    /// Client address.
    pub source_ip: String,
    /// User-Agent header.
    pub user_agent: &'a str,
    /// The request id.
    pub request_id: &'a str,
    /// The request members the operation's table row allows into the log.
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

/// CloudTrail's `userIdentity`, members in sorted order (the chain's canonical form).
#[derive(serde::Serialize)]
struct UserIdentity<'a> {
    #[serde(rename = "accessKeyId")]
    access_key_id: &'a str,
    #[serde(rename = "accountId")]
    account_id: &'a str,
    arn: &'a str,
    #[serde(rename = "principalId")]
    principal_id: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(rename = "userName")]
    user_name: &'a str,
}

/// A new random id, from aws-lc's generator (`Uuid::new_v4` asks the kernel each time).
pub fn random_uuid() -> String {
    let mut bytes = [0u8; 16];
    arca_crypto::random::fill(&mut bytes);
    uuid::Builder::from_random_bytes(bytes).into_uuid().to_string()
}

/// Builds the event and records it: `Err` (the reason, for the server's log) when it
/// could not be written, and then the request must not take effect.
pub async fn record(audit: &AuditLog, input: EventInput<'_>) -> Result<(), String> {
    let event = build(input).map_err(|error| error.to_string())?;
    audit.record(event).await.map_err(|error| error.to_string())
}

/// The event as CloudTrail would write it, serialised on the request's own task (see
/// [`EventLine`]): members in sorted order, nothing built twice.
pub fn build(input: EventInput<'_>) -> Result<EventLine, EventLineError> {
    let event_time = event_time(input.time_ms);
    let caller = input.caller;
    let mut bounds = Bounds { bytes_left: MAX_TOTAL_BYTES, truncated: false };
    let parameters = input.parameters.map(|members| {
        let recorded: Map<String, Value> =
            members.into_iter().map(|(name, value)| (lower_camel(&name), value)).collect();
        bounds.keep(Value::Object(recorded), 0)
    });
    let user_identity = UserIdentity {
        access_key_id: caller.access_key_id(),
        account_id: caller.account_id(),
        arn: caller.principal_arn(),
        principal_id: caller.user_id(),
        kind: if caller.is_account_root() { "Root" } else { "IAMUser" },
        user_name: caller.user_name(),
    };
    let mut line = EventLine::builder();
    line.member("awsRegion", caller.region())?;
    if let Some((code, message)) = input.error {
        line.member("errorCode", code)?;
        // Validation messages may echo what the caller sent: the same bounds apply.
        let mut message_bounds = Bounds { bytes_left: MAX_MESSAGE_BYTES, truncated: false };
        line.member(
            "errorMessage",
            &message_bounds.keep_text_within(message.to_string(), MAX_MESSAGE_BYTES),
        )?;
    }
    line.member("eventCategory", "Management")?
        .member("eventID", &random_uuid())?
        .member("eventName", input.operation)?
        .member("eventSource", &format!("{}.amazonaws.com", input.service))?
        .member("eventTime", &event_time)?
        .member("eventType", "AwsApiCall")?
        .member("eventVersion", "1.08")?
        .member("managementEvent", &true)?
        .member("readOnly", &input.read_only)?
        .member("recipientAccountId", caller.account_id())?
        .member("requestID", input.request_id)?
        .member("requestParameters", &parameters.unwrap_or(Value::Null))?;
    if bounds.truncated {
        line.member("requestParametersTruncated", &true)?;
    }
    line.member("responseElements", &Value::Null)?
        .member("sourceIPAddress", &input.source_ip)?
        .member("userAgent", input.user_agent)?
        .member("userIdentity", &user_identity)?;
    Ok(line.finish())
}

/// CloudTrail's `eventTime`: RFC 3339, to the second.
fn event_time(time_ms: i64) -> String {
    let time = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(time_ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    time.replace_nanosecond(0)
        .unwrap_or(time)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A service's own event as CloudTrail writes one (`eventType` `AwsServiceEvent`, the
/// service as the identity that acted).
pub fn service_event(event: &arca_api::ServiceEvent, time_ms: i64) -> Value {
    let event_time = event_time(time_ms);
    let source = format!("{}.amazonaws.com", event.service);
    serde_json::json!({
        "awsRegion": event.region,
        "eventCategory": "Management",
        "eventID": random_uuid(),
        "eventName": event.name,
        "eventSource": source,
        "eventTime": event_time,
        "eventType": "AwsServiceEvent",
        "eventVersion": "1.08",
        "managementEvent": true,
        "readOnly": false,
        "recipientAccountId": event.account,
        "serviceEventDetails": Value::Object(event.details.clone()),
        "sourceIPAddress": source,
        "userAgent": source,
        "userIdentity": { "accountId": event.account, "invokedBy": source },
    })
}

/// Cuts request members down to the bounds above, remembering whether it cut anything.
struct Bounds {
    bytes_left: usize,
    truncated: bool,
}

impl Bounds {
    fn keep(&mut self, value: Value, depth: usize) -> Value {
        match value {
            Value::String(text) => Value::String(self.keep_text(text)),
            Value::Array(items) => {
                if depth >= MAX_DEPTH {
                    self.truncated = true;
                    return Value::Null;
                }
                let mut kept = Vec::new();
                for item in items {
                    if kept.len() == MAX_ENTRIES || self.bytes_left == 0 {
                        self.truncated = true;
                        break;
                    }
                    kept.push(self.keep(item, depth + 1));
                }
                Value::Array(kept)
            }
            Value::Object(members) => {
                if depth >= MAX_DEPTH {
                    self.truncated = true;
                    return Value::Null;
                }
                let mut kept = Map::new();
                for (name, member) in members {
                    if kept.len() == MAX_ENTRIES || self.bytes_left == 0 {
                        self.truncated = true;
                        break;
                    }
                    let name = self.keep_text(name);
                    let member = self.keep(member, depth + 1);
                    kept.insert(name, member);
                }
                Value::Object(kept)
            }
            scalar => scalar,
        }
    }

    fn keep_text(&mut self, text: String) -> String {
        self.keep_text_within(text, MAX_STRING_CHARS)
    }

    fn keep_text_within(&mut self, text: String, max_chars: usize) -> String {
        let allowed = self.bytes_left.min(max_chars * 4);
        let mut end = 0;
        for (count, (index, character)) in text.char_indices().enumerate() {
            if count == max_chars || index + character.len_utf8() > allowed {
                break;
            }
            end = index + character.len_utf8();
        }
        self.bytes_left -= end;
        if end < text.len() {
            self.truncated = true;
            return text[..end].to_string();
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_reach_the_event() {
        let body: Value = serde_json::from_str(
            r#"{"KeyId":"alias/app","Plaintext":"c2VjcmV0","CiphertextBlob":"AAAA","EncryptionContext":{"a":"b"},"SecretAccessKey":"x","PolicyDocument":"{}","Policy":"{}"}"#,
        )
        .unwrap();
        // The members come from the registry's table row, as the pipeline takes them.
        let row = arca_kms::DESCRIPTOR.operation("Encrypt").unwrap();
        let parameters = arca_api::Input::json(body, "rid").audit_members(row.audit_members);
        let caller = caller();
        let event = build(EventInput {
            caller: &caller,
            service: "kms",
            operation: "Encrypt",
            read_only: row.read_only,
            source_ip: "127.0.0.1".into(),
            user_agent: "test",
            request_id: "rid",
            parameters: Some(parameters),
            error: Some(("AccessDeniedException", "denied")),
            time_ms: 0,
        });
        let event = parsed(&event.unwrap());
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
        assert_eq!(event["awsRegion"], "us-east-1");
        assert!(event.get("requestParametersTruncated").is_none());
    }

    fn caller() -> Caller {
        Caller::for_tests("111122223333", Some("alice"), Vec::new())
    }

    /// The event as the log holds it (with its chain members).
    fn parsed(line: &EventLine) -> Value {
        serde_json::from_str(&line.canonical(arca_gate::audit::GENESIS_HASH, 1)).unwrap()
    }

    fn event_with(parameters: Value) -> Value {
        let caller = caller();
        let line = build(EventInput {
            caller: &caller,
            service: "kms",
            operation: "CreateKey",
            read_only: false,
            source_ip: String::new(),
            user_agent: "",
            request_id: "rid",
            parameters: parameters.as_object().cloned(),
            error: Some(("AccessDeniedException", "denied")),
            time_ms: 0,
        })
        .unwrap();
        parsed(&line)
    }

    #[test]
    fn large_members_are_cut_and_the_event_says_so() {
        let event = event_with(serde_json::json!({"Description": "d".repeat(1 << 20)}));
        assert_eq!(
            event["requestParameters"]["description"].as_str().unwrap().len(),
            MAX_STRING_CHARS
        );
        assert_eq!(event["requestParametersTruncated"], true);

        let context: Map<String, Value> =
            (0..60_000).map(|i| (format!("k{i}"), Value::String("v".repeat(100)))).collect();
        let event = event_with(serde_json::json!({"EncryptionContext": context}));
        let recorded = event["requestParameters"]["encryptionContext"].as_object().unwrap();
        assert!(recorded.len() <= MAX_ENTRIES);
        assert!(event.to_string().len() < MAX_TOTAL_BYTES + 2048, "{}", event.to_string().len());
        assert_eq!(event["requestParametersTruncated"], true);
    }

    /// `arca audit verify` re-serialises each line as a sorted map: the members built
    /// here must come out in exactly that form, or every record would fail its hash.
    #[test]
    fn the_built_event_is_in_canonical_form() {
        let caller = caller();
        for error in [None, Some(("AccessDeniedException", "denied"))] {
            let parameters =
                serde_json::json!({"KeyId": "k", "EncryptionContext": {"z": "1", "a": "2"}});
            let line = build(EventInput {
                caller: &caller,
                service: "kms",
                operation: "Encrypt",
                read_only: false,
                source_ip: "10.0.0.1".into(),
                user_agent: "ua \"quoted\"",
                request_id: "rid",
                parameters: parameters.as_object().cloned(),
                error,
                time_ms: 1_700_000_000_123,
            })
            .unwrap();
            let text = line.canonical(arca_gate::audit::GENESIS_HASH, 1);
            let value: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(serde_json::to_string(&value).unwrap(), text);
            assert_eq!(value["userIdentity"]["type"], "IAMUser");
            assert_eq!(value["eventTime"], "2023-11-14T22:13:20Z");
            assert_eq!(value["errorCode"].as_str(), error.map(|(code, _)| code));
        }
    }

    #[test]
    fn text_is_cut_on_a_character_boundary() {
        let event = event_with(serde_json::json!({"Description": "é".repeat(300)}));
        assert_eq!(
            event["requestParameters"]["description"].as_str().unwrap().chars().count(),
            MAX_STRING_CHARS
        );
    }
}
