//! The server's shared state: every service and the machinery around them.

use std::sync::Arc;

use arca_api::Registry;
use arca_gate::{Clock, Identity, audit::AuditLog};
use arca_kms::KmsService;
use arca_seal::RootKeyring;
use arca_store::Store;

use crate::{config::Config, metrics::Metrics, signing_cache::SigningKeyCache};

/// Shared by every request.
pub struct AppState {
    /// The configuration the server started with.
    pub config: Config,
    /// The store.
    pub store: Arc<dyn Store>,
    /// The root keyring.
    pub keyring: Arc<RootKeyring>,
    /// Accounts, users, keys.
    pub identity: Arc<Identity>,
    /// Key management.
    pub kms: Arc<KmsService>,
    /// Every service the pipeline routes to.
    pub registry: Registry,
    /// The audit writer.
    pub audit: AuditLog,
    /// The server clock.
    pub clock: Clock,
    /// Request metrics.
    pub metrics: Metrics,
    /// Derived SigV4 signing keys.
    pub signing_keys: SigningKeyCache,
}

impl AppState {
    /// Runs every due background job once (after the clock moves in tests, and on a timer).
    pub async fn run_jobs_now(&self) {
        loop {
            match self.kms.run_due_jobs().await {
                Ok(0) => break,
                Ok(_) => continue,
                Err(error) => {
                    tracing::warn!(code = error.code(), "background jobs failed");
                    break;
                }
            }
        }
    }
}
