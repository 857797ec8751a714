//! What a service declares about itself, and the one call every operation goes through.

use arca_gate::{Caller, CrossAccount};
use arca_seal::SealedOwner;
use arca_store::Job;

use crate::{
    ApiError, Input, PlainRequest, PlainResponse, PlainRoute, Reply, wire::rest_json::HttpRoute,
};

/// How a service is reached on the wire. A service may have several bindings (ACM PCA:
/// RPC v2 CBOR and JSON 1.1); a request is answered in the one it came in.
#[derive(Debug)]
pub enum Binding {
    /// AWS JSON 1.0 or 1.1: `X-Amz-Target: {target_prefix}.{Operation}`.
    AwsJson {
        /// e.g. `TrentService`.
        target_prefix: &'static str,
    },
    /// AWS Query: routed by the signing name, `Action={Operation}`.
    AwsQuery {
        /// The XML namespace of answers and errors.
        xmlns: &'static str,
    },
    /// REST-JSON: one route per operation.
    RestJson {
        /// The routes.
        routes: &'static [HttpRoute],
    },
    /// Smithy RPC v2 CBOR: `/service/{service_shape}/operation/{Operation}`.
    RpcV2Cbor {
        /// The service shape's name in the model, e.g. `ACMPrivateCA`.
        service_shape: &'static str,
    },
}

/// One row of a service's operation table.
#[derive(Debug)]
pub struct Operation {
    /// The operation's name in the AWS model.
    pub name: &'static str,
    /// The IAM action it is authorised as (`kms:Encrypt`); empty when it needs none
    /// (STS GetCallerIdentity).
    pub action: &'static str,
    /// True when it changes nothing (CloudTrail's `readOnly`).
    pub read_only: bool,
    /// Whether AWS lets it act on a resource of another account.
    pub cross_account: CrossAccount,
    /// The request members the audit log may keep, as named on the wire. Everything
    /// else (plaintexts, secrets, passwords, key material) never reaches the log.
    pub audit_members: &'static [&'static str],
}

/// Everything the platform needs to know about a service, as static data.
#[derive(Debug)]
pub struct Descriptor {
    /// The name used in metric labels, audit events (`{name}.amazonaws.com`) and logs.
    pub name: &'static str,
    /// The SigV4 signing names a request for it may be scoped to.
    pub signing_names: &'static [&'static str],
    /// How it is reached.
    pub bindings: &'static [Binding],
    /// The code of an internal failure (`KMSInternalException`, `ServiceFailure`, ...).
    pub internal_error_code: &'static str,
    /// The member that carries an error's message in JSON and CBOR error bodies, as the
    /// service's model names it: `message` (KMS) or `Message` (Secrets Manager).
    pub error_message_member: &'static str,
    /// Every operation it serves.
    pub operations: &'static [Operation],
}

impl Descriptor {
    /// The table row of an operation this service serves.
    pub fn operation(&self, name: &str) -> Option<&'static Operation>
    where
        Self: 'static,
    {
        self.operations.iter().find(|operation| operation.name == name)
    }

    /// The Query namespace, when the service speaks Query.
    pub fn xmlns(&self) -> Option<&'static str> {
        self.bindings.iter().find_map(|binding| match binding {
            Binding::AwsQuery { xmlns } => Some(*xmlns),
            _ => None,
        })
    }

    /// True when `signing_name` may sign requests for this service.
    pub fn signs_as(&self, signing_name: &str) -> bool {
        self.signing_names.contains(&signing_name)
    }
}

/// One operation call: who asks, for what, with what.
pub struct Call<'a> {
    /// The authenticated caller.
    pub caller: &'a Caller,
    /// The operation's table row.
    pub operation: &'static Operation,
    /// The request, decoded as far as the protocol goes.
    pub input: Input<'a>,
}

/// A service on the registry.
#[async_trait::async_trait]
pub trait Service: Send + Sync {
    /// The service's static description.
    fn descriptor(&self) -> &'static Descriptor;

    /// Runs one operation of the table.
    async fn call(&self, call: Call<'_>) -> Result<Reply, ApiError>;

    /// What the service keeps sealed under the root key, so that a root-key rotation
    /// re-wraps it and retirement counts it.
    fn sealed_owners(&self) -> Vec<&dyn SealedOwner> {
        Vec::new()
    }

    /// Plain HTTP routes this service serves outside the AWS protocols (no SigV4: the
    /// service authenticates them itself, or they are public).
    fn plain_routes(&self) -> &'static [PlainRoute] {
        &[]
    }

    /// Serves a request on one of [`Self::plain_routes`].
    async fn serve_plain(
        &self,
        route: &'static PlainRoute,
        request: PlainRequest<'_>,
    ) -> PlainResponse {
        let _ = request;
        PlainResponse::from_error(&ApiError::new(
            "NotFound",
            404,
            format!("no handler for route {}", route.name),
        ))
    }

    /// The kinds of background job this service runs. The platform's one runner claims
    /// only registered kinds, so no service leases another's jobs.
    fn job_kinds(&self) -> &'static [&'static str] {
        &[]
    }

    /// Runs one claimed job of one of [`Self::job_kinds`] and finishes it in the store
    /// when its work is done; on an error the job runs again once its lease ends.
    async fn run_job(&self, job: &Job) -> Result<(), ApiError> {
        Err(ApiError::new(
            "InternalFailure",
            500,
            format!("service {} runs no jobs of kind {}", self.descriptor().name, job.kind),
        ))
    }
}
