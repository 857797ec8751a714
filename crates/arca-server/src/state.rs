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
    /// The handle services use to call each other in process (connected at start).
    pub peers: arca_api::Peers,
}

/// How long a claimed job stays leased to this node.
const JOB_LEASE_MS: i64 = 60_000;

/// Jobs claimed at a time.
const JOB_BATCH: usize = 32;

impl AppState {
    /// Runs every due background job of every registered kind once (after the clock
    /// moves in tests, and on a timer). Jobs are claimed from the store, so on several
    /// nodes each runs once; each goes to the service that registered its kind.
    pub async fn run_jobs_now(&self) {
        let owners = self.registry.job_kinds();
        let kinds: Vec<&str> = owners.iter().map(|(kind, _)| *kind).collect();
        loop {
            let now = self.clock.now_ms();
            let jobs =
                match self.store.claim_due_jobs(now, now + JOB_LEASE_MS, &kinds, JOB_BATCH).await {
                    Ok(jobs) => jobs,
                    Err(error) => {
                        tracing::warn!(%error, "claiming background jobs failed");
                        return;
                    }
                };
            let mut finished = 0;
            for job in &jobs {
                let Some((_, service)) = owners.iter().find(|(kind, _)| *kind == job.kind) else {
                    continue;
                };
                match service.run_job(job).await {
                    Ok(()) => finished += 1,
                    Err(error) => tracing::warn!(
                        job = %job.id,
                        service = service.descriptor().name,
                        code = error.code,
                        "background job failed; it runs again when its lease ends"
                    ),
                }
            }
            // A full batch may mean more are due; a batch of failures is left to the
            // timer so that a failing job is not retried in a tight loop.
            if jobs.len() < JOB_BATCH || finished == 0 {
                return;
            }
        }
    }
}
