//! Calls from one service to another, in process, on behalf of the caller: Secrets
//! Manager asking KMS for a data key, as AWS services do. The callee sees the same
//! caller with `kms:ViaService` (`{via}.{region}.amazonaws.com`) and
//! `kms:CallerAccount` set as AWS sets them, and the platform authorises, audits and
//! counts the call like any request.

use std::{
    sync::{Arc, OnceLock, Weak},
    time::Duration,
};

use arca_gate::Caller;
use serde::{Serialize, de::DeserializeOwned};

use crate::ApiError;

/// What the platform offers for in-process calls (the server implements it).
#[async_trait::async_trait]
pub trait Dispatch: Send + Sync {
    /// Runs `operation` of the service named `service` for `caller` with a JSON input
    /// document, and returns its JSON output.
    async fn dispatch(
        &self,
        caller: &Caller,
        service: &str,
        operation: &str,
        input: serde_json::Value,
    ) -> Result<serde_json::Value, ApiError>;

    /// Sends an outbound HTTP POST for a service (a webhook) and returns the answer's
    /// status; only the server speaks HTTP.
    async fn post(&self, request: OutboundPost) -> Result<u16, String>;

    /// Records an event of a service's own (no request made it) in the audit log.
    async fn record_event(&self, event: ServiceEvent) -> Result<(), String>;
}

/// Something a service did on its own for an account, recorded in the audit log as
/// CloudTrail records AWS service events (`eventType` `AwsServiceEvent`): Secrets
/// Manager's `RotationStarted`, `RotationSucceeded`, `RotationFailed`.
#[derive(Debug, Clone)]
pub struct ServiceEvent {
    /// The service's signing name (`secretsmanager`).
    pub service: &'static str,
    /// The event's name.
    pub name: &'static str,
    /// The account it concerns.
    pub account: String,
    /// The region.
    pub region: String,
    /// `serviceEventDetails`: what happened, never a secret value.
    pub details: serde_json::Map<String, serde_json::Value>,
}

/// An HTTP POST a service sends out (rotation webhooks, event targets).
#[derive(Clone)]
pub struct OutboundPost {
    /// `http://` URL.
    pub url: String,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// The body (sent as `application/json`).
    pub body: Vec<u8>,
    /// The longest the whole exchange may take.
    pub timeout: Duration,
}

impl std::fmt::Debug for OutboundPost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Bodies and headers may carry secrets (signatures, event payloads).
        f.debug_struct("OutboundPost").field("url", &self.url).finish_non_exhaustive()
    }
}

/// A service's handle on the others. Cheap to clone; the server fills it in once
/// every service is registered.
#[derive(Clone, Default)]
pub struct Peers(Arc<OnceLock<Weak<dyn Dispatch>>>);

impl std::fmt::Debug for Peers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() { "Peers(connected)" } else { "Peers(unset)" })
    }
}

impl Peers {
    /// A handle to be connected later with [`Peers::connect`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Connects the handle to the server's dispatcher (once; later calls are ignored).
    pub fn connect(&self, dispatch: Weak<dyn Dispatch>) {
        let _ = self.0.set(dispatch);
    }

    /// Calls `operation` of `service` as `caller`, through the service `via` (the
    /// calling service's signing name, e.g. `secretsmanager`).
    pub async fn call<I: Serialize, O: DeserializeOwned>(
        &self,
        caller: &Caller,
        via: &str,
        service: &str,
        operation: &str,
        input: &I,
    ) -> Result<O, ApiError> {
        let unavailable = || ApiError::new("InternalFailure", 500, "The server is stopping");
        let dispatch = self.0.get().and_then(Weak::upgrade).ok_or_else(unavailable)?;
        let caller = caller.via(format!("{via}.{}.amazonaws.com", caller.region()));
        let document = serde_json::to_value(input)
            .map_err(|_| ApiError::new("InternalFailure", 500, "An internal error occurred"))?;
        let output = dispatch.dispatch(&caller, service, operation, document).await?;
        serde_json::from_value(output)
            .map_err(|_| ApiError::new("InternalFailure", 500, "An internal error occurred"))
    }

    /// Records a service event in the audit log.
    pub async fn record_event(&self, event: ServiceEvent) -> Result<(), String> {
        let dispatch = self
            .0
            .get()
            .and_then(Weak::upgrade)
            .ok_or_else(|| "the server is stopping".to_string())?;
        dispatch.record_event(event).await
    }

    /// Sends an outbound POST through the server; the answer's status.
    pub async fn post(&self, request: OutboundPost) -> Result<u16, String> {
        let dispatch = self
            .0
            .get()
            .and_then(Weak::upgrade)
            .ok_or_else(|| "the server is stopping".to_string())?;
        dispatch.post(request).await
    }
}
