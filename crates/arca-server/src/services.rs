//! The services this server runs: one registration line each, and one line more for
//! a service with its own section of the configuration file. Adding a service is a
//! crate that implements [`arca_api::Service`] and its lines here.

use std::sync::{Arc, Weak};

use arca_api::Registry;
use arca_gate::Identity;
use arca_kms::KmsService;

use crate::{admin::AdminApi, state::AppState};

/// What the services are built from.
pub(crate) struct Parts {
    pub(crate) state: Weak<AppState>,
    /// For services that call others in process on their caller's behalf.
    pub(crate) peers: arca_api::Peers,
    pub(crate) store: Arc<dyn arca_store::Store>,
    pub(crate) clock: arca_gate::Clock,
    /// The services' sections of the configuration file.
    pub(crate) configs: arca_api::ServiceConfigs,
    /// The regions this deployment serves.
    pub(crate) regions: Vec<String>,
    pub(crate) identity: Arc<Identity>,
    pub(crate) kms: Arc<KmsService>,
}

/// Sets `[kms] seed_file` (what `arca server --seed FILE` does).
pub fn set_kms_seed_file(config: &mut crate::Config, path: std::path::PathBuf) {
    let mut kms: arca_kms::KmsConfig = config.services.get(arca_kms::CONFIG.name);
    kms.seed_file = Some(path);
    config.services.insert(arca_kms::CONFIG.name, Arc::new(kms));
}

/// The services' sections of the configuration file, `[name]` each.
pub(crate) const CONFIG_SECTIONS: &[arca_api::ConfigSection] =
    &[arca_kms::CONFIG, arca_secrets::CONFIG];

/// The registry of every service.
pub(crate) fn registry(parts: Parts) -> Registry {
    let mut registry = Registry::new();
    registry.register(Arc::new(arca_kms::KmsApi(parts.kms)));
    registry.register(Arc::new(arca_secrets::SecretsApi(arca_secrets::SecretsService::new(
        parts.store,
        parts.peers,
        parts.clock,
        parts.configs.get(arca_secrets::CONFIG.name),
        parts.regions,
    ))));
    registry.register(Arc::new(arca_iam::IamApi::new(parts.identity)));
    registry.register(Arc::new(arca_iam::StsApi));
    registry.register(Arc::new(AdminApi(parts.state)));
    registry
}
