//! Start-up: open the store, unseal the root keys, bootstrap the first account, write
//! the client configuration files, start the audit writer and the background jobs.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use arca_crypto::SecretBytes;
use arca_gate::{
    Clock, Identity, NewAccount,
    audit::{AuditLog, AuditOptions},
};
use arca_kms::KmsService;
use arca_seal::{RootKeyring, SealProvider};

use crate::{
    config::{Config, SealProviderKind},
    metrics::Metrics,
    serve, services,
    signing_cache::SigningKeyCache,
    state::AppState,
};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A file or directory could not be used.
    #[error("{0}")]
    Io(String),
    /// The store could not be opened.
    #[error("store: {0}")]
    Store(#[from] arca_store::StoreError),
    /// The root keys could not be unsealed.
    #[error("seal: {0}")]
    Seal(#[from] arca_seal::SealError),
    /// The bootstrap account could not be created.
    #[error("bootstrap: {0}")]
    Bootstrap(String),
    /// The audit log could not be opened.
    #[error("audit: {0}")]
    Audit(#[from] arca_gate::audit::AuditError),
    /// TLS material could not be loaded.
    #[error("tls: {0}")]
    Tls(String),
    /// A configuration value is out of range.
    #[error("configuration: {0}")]
    Config(String),
    /// The KMS seed file could not be read or applied.
    #[error("seed: {0}")]
    Seed(String),
}

/// File descriptors kept free of connections for the store (SQLite's files and
/// connections, or the PostgreSQL pool), the audit log, the listener and the key files.
const FD_HEADROOM: u64 = 128;

/// Raises the file-descriptor soft limit to the hard limit and returns the soft limit
/// in force (`None` when it cannot be read).
fn raise_fd_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        match rlimit::increase_nofile_limit(u64::MAX) {
            Ok(limit) => Some(limit),
            Err(error) => {
                tracing::warn!(%error, "cannot raise the file-descriptor limit");
                rlimit::getrlimit(rlimit::Resource::NOFILE).ok().map(|(soft, _)| soft)
            }
        }
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The most connections that fit under a file-descriptor limit of `fd_limit`, leaving
/// [`FD_HEADROOM`] (or half the limit, when the limit is small) for everything else.
fn connections_within(configured: usize, fd_limit: Option<u64>) -> usize {
    let Some(fd_limit) = fd_limit else { return configured };
    let room = if fd_limit > 2 * FD_HEADROOM { fd_limit - FD_HEADROOM } else { fd_limit / 2 };
    let room = usize::try_from(room).unwrap_or(usize::MAX).max(1);
    configured.min(room)
}

/// Checks the connection settings and fits `max_connections` under the raised
/// file-descriptor limit.
fn settle_connection_limits(config: &mut Config) -> Result<(), StartError> {
    let server = &mut config.server;
    for (name, value) in [
        ("header_timeout_seconds", server.header_timeout_seconds),
        ("idle_timeout_seconds", server.idle_timeout_seconds),
        ("max_connections", server.max_connections as u64),
    ] {
        if value == 0 {
            return Err(StartError::Config(format!("server.{name} must be at least 1")));
        }
    }
    let fd_limit = raise_fd_limit();
    let max_connections = connections_within(server.max_connections, fd_limit);
    if max_connections < server.max_connections {
        tracing::warn!(
            configured = server.max_connections,
            max_connections,
            fd_limit,
            "server.max_connections lowered to fit the file-descriptor limit"
        );
    }
    server.max_connections = max_connections;
    Ok(())
}

/// Creates `dir` (and missing parents) readable by its owner only (0700), and narrows
/// an existing data directory that other users can enter to 0700 (it holds the store,
/// the key file and the bootstrap credentials).
fn create_private_dir(dir: &Path) -> Result<(), StartError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| StartError::Io(format!("cannot create {}: {e}", dir.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(metadata) = std::fs::metadata(dir)
            && metadata.permissions().mode() & 0o077 != 0
        {
            match std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)) {
                Ok(()) => {
                    tracing::info!(dir = %dir.display(), "narrowed the data directory to 0700")
                }
                // Not ours to change (e.g. owned by another user): say so and go on.
                Err(error) => tracing::warn!(
                    dir = %dir.display(),
                    %error,
                    "the data directory is open to other users and cannot be narrowed to 0700"
                ),
            }
        }
    }
    Ok(())
}

/// A started server, listening.
pub struct Server {
    state: Arc<AppState>,
    listener: tokio::net::TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    /// Where the bootstrap credentials were written.
    pub credentials_path: PathBuf,
    /// Where the AWS CLI config was written.
    pub config_path: PathBuf,
}

fn seal_provider(config: &Config) -> Result<SealProvider, StartError> {
    let data_dir = &config.server.data_dir;
    match config.seal.provider {
        SealProviderKind::File => Ok(SealProvider::File {
            path: config.seal.key_file.clone().unwrap_or_else(|| data_dir.join("root.key")),
        }),
        SealProviderKind::Passphrase => {
            let passphrase =
                match (&config.seal.passphrase_file, std::env::var(&config.seal.passphrase_env)) {
                    (Some(path), _) => std::fs::read(path)
                        .map(|mut bytes| {
                            while bytes.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                                bytes.pop();
                            }
                            SecretBytes::new(bytes)
                        })
                        .map_err(|e| {
                            StartError::Io(format!("cannot read {}: {e}", path.display()))
                        })?,
                    (None, Ok(value)) => SecretBytes::new(value.into_bytes()),
                    (None, Err(_)) => {
                        return Err(StartError::Io(format!(
                            "the passphrase seal needs ${} or seal.passphrase_file",
                            config.seal.passphrase_env
                        )));
                    }
                };
            Ok(SealProvider::Passphrase { passphrase, salt_path: data_dir.join("seal.salt") })
        }
    }
}

/// Writes `contents` to `path` with mode 0600, atomically.
fn write_private(path: &Path, contents: &str) -> Result<(), StartError> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let temporary = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let io = |e: std::io::Error| StartError::Io(format!("cannot write {}: {e}", path.display()));
    let mut file = options.open(&temporary).map_err(io)?;
    file.write_all(contents.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)?;
    std::fs::rename(&temporary, path).map_err(io)
}

fn write_client_files(
    config: &Config,
    account: &NewAccount,
) -> Result<(PathBuf, PathBuf), StartError> {
    let data_dir = &config.server.data_dir;
    let credentials_path = data_dir.join("credentials");
    let config_path = data_dir.join("config");
    // The bootstrap secret leaves its type once, into the owner-only credentials file.
    let secret = String::from_utf8_lossy(account.secret_access_key.expose_secret()).into_owned();
    write_private(
        &credentials_path,
        &format!(
            "[default]\naws_access_key_id = {}\naws_secret_access_key = {secret}\n",
            account.access_key_id
        ),
    )?;
    write_private(
        &config_path,
        &format!(
            "[default]\nregion = {}\nendpoint_url = {}\n",
            config.server.region,
            config.endpoint_url()
        ),
    )?;
    Ok((credentials_path, config_path))
}

impl Server {
    /// Opens everything and binds the listener; call [`Server::run_until`] to serve.
    pub async fn start(mut config: Config) -> Result<Self, StartError> {
        settle_connection_limits(&mut config)?;
        let data_dir = config.server.data_dir.clone();
        create_private_dir(&data_dir)?;
        let store = arca_store::open(&config.store_url()).await?;
        let keyring = RootKeyring::unseal(Arc::clone(&store), &seal_provider(&config)?).await?;
        let clock =
            Clock::with_offset_ms(config.server.danger_clock_offset_seconds.unwrap_or(0) * 1000);
        if clock.offset_ms() != 0 {
            tracing::warn!(
                offset_seconds = clock.offset_ms() / 1000,
                "DANGER: the server clock is offset (test mode)"
            );
        }
        let identity = Identity::new(Arc::clone(&store), Arc::clone(&keyring), clock.clone());
        // A KMS seed file may fix the bootstrap account's id (when the store is new).
        let kms_config: arca_kms::KmsConfig = config.services.get(arca_kms::CONFIG.name);
        let seed = kms_config
            .seed_file
            .as_deref()
            .map(arca_kms::SeedFile::read)
            .transpose()
            .map_err(|e| StartError::Seed(e.to_string()))?;
        let seed_account = seed.as_ref().and_then(|seed| seed.account_id());
        let account = identity
            .ensure_bootstrap_as(seed_account)
            .await
            .map_err(|e| StartError::Bootstrap(e.to_string()))?;
        if let Some(wanted) = seed_account.filter(|wanted| **wanted != account.account_id) {
            tracing::warn!(
                seed_account = wanted,
                account = %account.account_id,
                "the seed file's AccountId applies to a new store only; this store's bootstrap account keeps its id"
            );
        }
        let (credentials_path, config_path) = write_client_files(&config, &account)?;
        let kms = KmsService::with_config(
            Arc::clone(&store),
            Arc::clone(&keyring),
            clock.clone(),
            &kms_config,
        );
        if let Some(seed) = &seed {
            let report = kms
                .apply_seed(seed, &account.account_id, &config.server.region)
                .await
                .map_err(|e| StartError::Seed(e.to_string()))?;
            tracing::info!(
                keys_created = report.keys_created,
                keys_existing = report.keys_existing,
                aliases_created = report.aliases_created,
                aliases_existing = report.aliases_existing,
                "applied the KMS seed file"
            );
        }
        let audit = AuditLog::open(
            AuditOptions {
                dir: config.audit.dir.clone().unwrap_or_else(|| data_dir.clone()),
                max_file_bytes: config.audit.max_file_bytes,
                durability: config.audit.durability,
                digest_interval: Duration::from_secs(config.audit.digest_interval_seconds),
            },
            Arc::clone(&store),
            Arc::clone(&keyring),
        )
        .await?;
        let tls = config.server.tls.as_ref().map(serve::tls_acceptor).transpose()?;
        let listener = tokio::net::TcpListener::bind(config.server.listen).await.map_err(|e| {
            StartError::Io(format!("cannot listen on {}: {e}", config.server.listen))
        })?;
        let peers = arca_api::Peers::new();
        let state = Arc::new_cyclic(|weak| AppState {
            registry: services::registry(services::Parts {
                state: weak.clone(),
                peers: peers.clone(),
                identity: Arc::clone(&identity),
                kms: Arc::clone(&kms),
                store: Arc::clone(&store),
                clock: clock.clone(),
                configs: config.services.clone(),
                regions: config.server.regions.clone(),
            }),
            config,
            store,
            keyring,
            identity,
            kms,
            audit,
            clock,
            metrics: Metrics::default(),
            signing_keys: SigningKeyCache::default(),
            peers,
        });
        let dispatch: Arc<dyn arca_api::Dispatch> = state.clone();
        state.peers.connect(Arc::downgrade(&dispatch));
        Ok(Self { state, listener, tls, credentials_path, config_path })
    }

    /// The server's shared state (for in-process tests).
    #[cfg(test)]
    pub(crate) fn state(&self) -> Arc<AppState> {
        Arc::clone(&self.state)
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> Option<std::net::SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Serves until `shutdown` resolves, then drains in-flight requests.
    pub async fn run_until(self, shutdown: impl std::future::Future<Output = ()>) {
        let Self { state, listener, tls, .. } = self;
        let invalidation = [state.kms.spawn_invalidation(), state.identity.spawn_invalidation()];
        let jobs = spawn_jobs(Arc::clone(&state));
        let keyring_reload = spawn_keyring_reload(Arc::clone(&state));
        serve::serve(listener, tls, Arc::clone(&state), shutdown).await;
        if !state.audit.close(Duration::from_secs(10)).await {
            tracing::warn!(
                "the audit log's closing digest or the store's copy of its head was not written"
            );
        }
        jobs.abort();
        keyring_reload.abort();
        for task in invalidation {
            task.abort();
        }
    }
}

/// Runs due background jobs every second (any node may claim any job).
fn spawn_jobs(state: Arc<AppState>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            state.run_jobs_now().await;
        }
    })
}

/// Reloads the root keyring when another node rotates it, and forgets derived
/// signing keys when identities change.
fn spawn_keyring_reload(state: Arc<AppState>) -> tokio::task::JoinHandle<()> {
    let mut changes = state.store.subscribe();
    tokio::spawn(async move {
        loop {
            match changes.recv().await {
                Ok(change) if change.table == "seal.root-keys" => {
                    if let Err(error) = state.keyring.reload().await {
                        tracing::error!(%error, "root keyring reload failed");
                    }
                }
                Ok(change) if change.table.starts_with("iam.") => state.signing_keys.clear(),
                Ok(change) if !change.is_resync() => {}
                // Missed changes (a lagging feed, or a lost and re-established one).
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    let _ = state.keyring.reload().await;
                    state.signing_keys.clear();
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_fit_under_the_descriptor_limit() {
        assert_eq!(connections_within(4096, None), 4096);
        assert_eq!(connections_within(4096, Some(1_048_576)), 4096);
        assert_eq!(connections_within(4096, Some(1024)), 1024 - FD_HEADROOM as usize);
        assert_eq!(connections_within(4096, Some(256)), 128);
        assert_eq!(connections_within(8, Some(256)), 8);
        assert_eq!(connections_within(4096, Some(1)), 1);
    }

    #[cfg(unix)]
    #[test]
    fn the_data_directory_is_created_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("a").join("data");
        create_private_dir(&dir).unwrap();
        for created in [parent.path().join("a"), dir] {
            let mode = std::fs::metadata(&created).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{}", created.display());
        }
    }

    #[cfg(unix)]
    #[test]
    fn an_existing_open_data_directory_is_narrowed() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        create_private_dir(dir.path()).unwrap();
        let mode = std::fs::metadata(dir.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
    }

    #[test]
    fn zero_timeouts_are_refused() {
        let mut config = Config::default();
        config.server.idle_timeout_seconds = 0;
        assert!(matches!(settle_connection_limits(&mut config), Err(StartError::Config(_))));
    }
}
