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
    serve,
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
    pub async fn start(config: Config) -> Result<Self, StartError> {
        let data_dir = config.server.data_dir.clone();
        std::fs::create_dir_all(&data_dir)
            .map_err(|e| StartError::Io(format!("cannot create {}: {e}", data_dir.display())))?;
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
        let account =
            identity.ensure_bootstrap().await.map_err(|e| StartError::Bootstrap(e.to_string()))?;
        let (credentials_path, config_path) = write_client_files(&config, &account)?;
        let kms = KmsService::new(Arc::clone(&store), Arc::clone(&keyring), clock.clone());
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
        let state = Arc::new(AppState {
            config,
            store,
            keyring,
            identity,
            kms,
            audit,
            clock,
            metrics: Metrics::default(),
            signing_keys: SigningKeyCache::default(),
        });
        Ok(Self { state, listener, tls, credentials_path, config_path })
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
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    let _ = state.keyring.reload().await;
                    state.signing_keys.clear();
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    })
}
