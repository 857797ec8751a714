//! In-process calls from one service to another ([`arca_api::Peers`]): the callee's
//! operation runs for the same caller (with `kms:ViaService` set by `Peers`), and the
//! call is audited and counted like a request, its source being the calling service,
//! as CloudTrail shows AWS services calling KMS for their users.

use std::time::Instant;

use arca_api::{ApiError, Call, Dispatch, Input};
use arca_gate::Caller;
use serde_json::Value;

use crate::{
    audit_event::{self, EventInput},
    state::AppState,
};

#[async_trait::async_trait]
impl Dispatch for AppState {
    async fn dispatch(
        &self,
        caller: &Caller,
        service: &str,
        operation: &str,
        document: Value,
    ) -> Result<Value, ApiError> {
        let started = Instant::now();
        let request_id = audit_event::random_uuid();
        let service = self.registry.service(service).cloned().ok_or_else(|| {
            ApiError::new("InternalFailure", 500, format!("no service {service} is registered"))
        })?;
        let descriptor = service.descriptor();
        let row = descriptor
            .operation(operation)
            .ok_or_else(|| ApiError::unknown_operation(operation))?;
        let input = Input::json(document, &request_id);
        let parameters = input.audit_members(row.audit_members);
        let result = service.call(Call { caller, operation: row, input }).await;
        let via = caller.via_service().unwrap_or_default();
        let recorded = audit_event::record(
            &self.audit,
            EventInput {
                caller,
                service: descriptor.name,
                operation: row.name,
                read_only: row.read_only,
                source_ip: via.to_string(),
                user_agent: via,
                request_id: &request_id,
                parameters: Some(parameters),
                error: result.as_ref().err().map(|e| (e.code.as_str(), e.message.as_str())),
                time_ms: self.clock.now_ms(),
            },
        )
        .await;
        if let Err(error) = recorded {
            tracing::error!(%error, request_id, "audit write failed; refusing the in-process call");
            return Err(ApiError::new(
                descriptor.internal_error_code,
                500,
                "An internal error occurred",
            ));
        }
        let code = result.as_ref().err().map(|e| e.code.as_str()).unwrap_or_default();
        self.metrics.observe(descriptor.name, row.name, code, started.elapsed());
        let reply = result?;
        serde_json::from_slice(&reply.body).map_err(|_| {
            ApiError::new(descriptor.internal_error_code, 500, "An internal error occurred")
        })
    }

    async fn post(&self, request: arca_api::OutboundPost) -> Result<u16, String> {
        crate::outbound::post(request).await
    }

    async fn record_event(&self, event: arca_api::ServiceEvent) -> Result<(), String> {
        let value = audit_event::service_event(&event, self.clock.now_ms());
        let line = arca_gate::audit::EventLine::from_value(&value).map_err(|e| e.to_string())?;
        self.audit.record(line).await.map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arca_api::Peers;
    use serde_json::json;

    use crate::{Config, Server};

    /// A key whose policy lets the account use it only through Secrets Manager.
    const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},
        {"Effect":"Deny","Principal":"*","Action":"kms:GenerateDataKey","Resource":"*",
         "Condition":{"StringNotEquals":{"kms:ViaService":"secretsmanager.us-east-1.amazonaws.com"}}}]}"#;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_service_calls_kms_for_its_caller_with_via_service_set_and_audited() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        config.server.data_dir = dir.path().join("data");
        config.server.listen = "127.0.0.1:0".parse().unwrap();
        let server = Server::start(config).await.unwrap();
        let state = server.state();
        let peers = Peers::new();
        let dispatch: Arc<dyn arca_api::Dispatch> = state.clone();
        peers.connect(Arc::downgrade(&dispatch));
        let caller = arca_gate::Caller::for_tests("111122223333", None, Vec::new());

        let created: serde_json::Value = peers
            .call(
                &caller,
                "test",
                "kms",
                "CreateKey",
                &json!({"Policy": POLICY, "BypassPolicyLockoutSafetyCheck": true}),
            )
            .await
            .unwrap();
        let key_id = created["KeyMetadata"]["KeyId"].as_str().unwrap().to_string();
        let request = json!({"KeyId": key_id, "KeySpec": "AES_256"});

        // Called as if by another service: the policy's condition does not hold.
        let refused = peers
            .call::<_, serde_json::Value>(&caller, "ebs", "kms", "GenerateDataKey", &request)
            .await
            .unwrap_err();
        assert_eq!(refused.code, "AccessDeniedException");
        // Through Secrets Manager it does.
        let key: serde_json::Value = peers
            .call(&caller, "secretsmanager", "kms", "GenerateDataKey", &request)
            .await
            .unwrap();
        assert!(key["CiphertextBlob"].is_string() && key["Plaintext"].is_string());

        // Audited like a request, with the calling service as the source.
        state.audit.close(std::time::Duration::from_secs(5)).await;
        let log: String = std::fs::read_dir(dir.path().join("data"))
            .unwrap()
            .filter_map(|entry| entry.ok())
            .filter(|entry| {
                entry.file_name().to_string_lossy().starts_with("audit")
                    && entry.file_name().to_string_lossy().ends_with(".jsonl")
                    && !entry.file_name().to_string_lossy().contains("digest")
            })
            .map(|entry| std::fs::read_to_string(entry.path()).unwrap())
            .collect();
        let events: Vec<serde_json::Value> =
            log.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
        let generate: Vec<&serde_json::Value> =
            events.iter().filter(|event| event["eventName"] == "GenerateDataKey").collect();
        assert_eq!(generate.len(), 2);
        assert_eq!(generate[1]["sourceIPAddress"], "secretsmanager.us-east-1.amazonaws.com");
        assert!(generate[1].get("errorCode").is_none());
        assert_eq!(generate[0]["errorCode"], "AccessDeniedException");
        assert!(!log.contains(key["Plaintext"].as_str().unwrap()), "no plaintext in the log");
    }
}
