//! Server configuration: defaults, then the TOML file, then environment variables,
//! then command-line flags, parsed into one validated struct.

use std::{net::SocketAddr, path::PathBuf};

use serde::Deserialize;

use arca_gate::audit::Durability;

/// The sections the server itself reads; the others belong to services, each
/// declared beside its registration (`services.rs`).
const SERVER_SECTIONS: &[&str] = &["server", "store", "seal", "audit", "log"];

/// Everything the server needs to start.
///
/// Unknown top-level sections are refused by [`Config::from_toml`] (the services'
/// sections are not fields here), unknown keys inside a section by the section's type.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Listening and HTTP settings.
    pub server: ServerSection,
    /// Where records live.
    pub store: StoreSection,
    /// Where the root key's protection comes from.
    pub seal: SealSection,
    /// The audit log.
    pub audit: AuditSection,
    /// Logging.
    pub log: LogSection,
    /// The services' own sections (`[kms]`, ...), parsed by their declarations.
    #[serde(skip)]
    pub services: arca_api::ServiceConfigs,
}

/// `[server]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSection {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Directory for the embedded store, key file, audit log and credentials.
    pub data_dir: PathBuf,
    /// The region written to the bootstrap `config` file.
    pub region: String,
    /// The regions this deployment serves: a request whose SigV4 credential scope names
    /// any other region is refused before its signature is checked, so a region string
    /// never reaches an ARN, a store key or a metric unless it is one of these.
    pub regions: Vec<String>,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// Longest time a request body may take to arrive in full; a slower body gets 408.
    pub body_timeout_seconds: u64,
    /// The endpoint URL clients use (written to `DATA_DIR/config`); derived from
    /// `listen` when empty.
    pub public_url: String,
    /// TLS; plain HTTP when absent.
    pub tls: Option<TlsSection>,
    /// Test-only: start with the clock this many seconds ahead and allow the admin
    /// AdvanceClock call. Never set in production.
    pub danger_clock_offset_seconds: Option<i64>,
    /// How long graceful shutdown waits for in-flight requests.
    pub shutdown_grace_seconds: u64,
    /// How long a client has to send an HTTP/1 request's headers (also the longest
    /// wait for the next request on a keep-alive connection) or finish a TLS handshake.
    pub header_timeout_seconds: u64,
    /// A connection on which the client sends nothing for this long is closed.
    pub idle_timeout_seconds: u64,
    /// Most connections open at once; lowered at start to fit the file-descriptor
    /// limit. When all are open, the oldest idle one is closed to make room.
    pub max_connections: usize,
}

/// `[server.tls]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSection {
    /// PEM certificate chain.
    pub cert_file: PathBuf,
    /// PEM private key.
    pub key_file: PathBuf,
}

/// `[store]`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSection {
    /// `sqlite://PATH` or `postgres://...`; empty means SQLite in the data directory.
    pub url: String,
}

/// `[seal]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SealSection {
    /// `file` or `passphrase`.
    pub provider: SealProviderKind,
    /// The key file of the `file` provider (default `DATA_DIR/root.key`).
    pub key_file: Option<PathBuf>,
    /// Environment variable holding the passphrase of the `passphrase` provider.
    pub passphrase_env: String,
    /// Or a file holding it.
    pub passphrase_file: Option<PathBuf>,
}

/// The seal providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SealProviderKind {
    /// A 0600 key file.
    File,
    /// Argon2id over a passphrase.
    Passphrase,
}

/// `[audit]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditSection {
    /// Directory of `audit.jsonl` (default: the data directory).
    pub dir: Option<PathBuf>,
    /// Rotate the active file beyond this size.
    pub max_file_bytes: u64,
    /// `fsync` (default) or `flush`.
    pub durability: Durability,
    /// Longest time, in seconds, audit records stay without a signed digest of the
    /// chain head (digests are also written at rotation, start and shutdown).
    pub digest_interval_seconds: u64,
}

/// `[log]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSection {
    /// `text` or `json`.
    pub format: LogFormat,
    /// A tracing filter, e.g. `info` or `arca_server=debug,info`.
    pub level: String,
}

/// Log output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The AWS region names served by default: every commercial, GovCloud and China region
/// (botocore's `endpoints.json`, `aws`, `aws-us-gov` and `aws-cn` partitions).
pub const STANDARD_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "cn-north-1",
    "cn-northwest-1",
];

impl ServerSection {
    /// Whether `region` is one this deployment serves.
    pub fn serves_region(&self, region: &str) -> bool {
        self.regions.iter().any(|served| served == region)
    }
}

impl Default for ServerSection {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 7070)),
            data_dir: PathBuf::from("./arca-data"),
            region: "us-east-1".into(),
            regions: STANDARD_REGIONS.iter().map(|region| region.to_string()).collect(),
            max_body_bytes: 1 << 20,
            body_timeout_seconds: 30,
            public_url: String::new(),
            tls: None,
            danger_clock_offset_seconds: None,
            shutdown_grace_seconds: 30,
            header_timeout_seconds: 10,
            idle_timeout_seconds: 60,
            max_connections: 4096,
        }
    }
}

impl Default for SealSection {
    fn default() -> Self {
        Self {
            provider: SealProviderKind::File,
            key_file: None,
            passphrase_env: "ARCA_SEAL_PASSPHRASE".into(),
            passphrase_file: None,
        }
    }
}

impl Default for AuditSection {
    fn default() -> Self {
        Self {
            dir: None,
            max_file_bytes: 64 << 20,
            durability: Durability::Fsync,
            digest_interval_seconds: 300,
        }
    }
}

impl Default for LogSection {
    fn default() -> Self {
        Self { format: LogFormat::Text, level: "info".into() }
    }
}

/// Why the configuration is not usable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML for this schema.
    #[error("invalid configuration in {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// The settings contradict each other or a value is out of range.
    #[error("invalid configuration: {0}")]
    Invalid(String),
    /// An environment variable has an unusable value.
    #[error("invalid value of environment variable {name}: {message}")]
    Env {
        /// The variable.
        name: &'static str,
        /// Why.
        message: String,
    },
}

impl Config {
    /// Reads the TOML file (if any) over the defaults, then applies environment
    /// overrides (`ARCA_LISTEN`, `ARCA_DATA_DIR`, `ARCA_REGION`, `ARCA_STORE_URL`,
    /// `ARCA_LOG_FORMAT`, `ARCA_LOG_LEVEL`, `ARCA_AUDIT_DURABILITY`).
    pub fn load(file: Option<&std::path::Path>) -> Result<Self, ConfigError> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
                Self::from_toml(&text)
                    .map_err(|message| ConfigError::Parse { path: path.to_path_buf(), message })?
            }
            None => Config::default(),
        };
        config.apply_env(|name| std::env::var(name).ok())?;
        config.validate()?;
        Ok(config)
    }

    /// Parses a configuration file's text: the server's sections, then each declared
    /// service section. A top-level section nobody declared is refused with its line.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let sections = crate::services::CONFIG_SECTIONS;
        let tables: std::collections::BTreeMap<toml::Spanned<String>, serde::de::IgnoredAny> =
            toml::from_str(text).map_err(|e| e.to_string())?;
        for table in tables.keys() {
            let name = table.get_ref().as_str();
            if !SERVER_SECTIONS.contains(&name) && !sections.iter().any(|s| s.name == name) {
                let line =
                    text.get(..table.span().start).unwrap_or_default().matches('\n').count() + 1;
                let known: Vec<&str> = SERVER_SECTIONS
                    .iter()
                    .copied()
                    .chain(sections.iter().map(|s| s.name))
                    .collect();
                return Err(format!(
                    "unknown section `{name}` at line {line}, expected one of: {}",
                    known.join(", ")
                ));
            }
        }
        let mut config: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        for section in sections {
            let (name, parsed) = section.parse(text)?;
            config.services.insert(name, parsed);
        }
        Ok(config)
    }

    /// Checks what the types cannot: the served regions are well-formed region names and
    /// include the bootstrap region.
    fn validate(&self) -> Result<(), ConfigError> {
        let server = &self.server;
        if server.regions.is_empty() {
            return Err(ConfigError::Invalid(
                "server.regions must name at least one region".into(),
            ));
        }
        for region in &server.regions {
            let well_formed = !region.is_empty()
                && region.len() <= 32
                && region
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !well_formed {
                return Err(ConfigError::Invalid(format!(
                    "server.regions: '{region}' is not a region name (lower-case letters, digits and '-')"
                )));
            }
        }
        if !server.serves_region(&server.region) {
            return Err(ConfigError::Invalid(format!(
                "server.region '{}' is not one of server.regions",
                server.region
            )));
        }
        if server.body_timeout_seconds == 0 {
            return Err(ConfigError::Invalid(
                "server.body_timeout_seconds must be at least 1".into(),
            ));
        }
        Ok(())
    }

    fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(listen) = var("ARCA_LISTEN") {
            self.server.listen = listen
                .parse()
                .map_err(|e| ConfigError::Env { name: "ARCA_LISTEN", message: format!("{e}") })?;
        }
        if let Some(dir) = var("ARCA_DATA_DIR") {
            self.server.data_dir = dir.into();
        }
        if let Some(region) = var("ARCA_REGION") {
            self.server.region = region;
        }
        if let Some(url) = var("ARCA_STORE_URL") {
            self.store.url = url;
        }
        if let Some(level) = var("ARCA_LOG_LEVEL") {
            self.log.level = level;
        }
        if let Some(format) = var("ARCA_LOG_FORMAT") {
            self.log.format = match format.as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                other => {
                    return Err(ConfigError::Env {
                        name: "ARCA_LOG_FORMAT",
                        message: format!("'{other}' is not text or json"),
                    });
                }
            };
        }
        if let Some(durability) = var("ARCA_AUDIT_DURABILITY") {
            self.audit.durability = match durability.as_str() {
                "fsync" => Durability::Fsync,
                "flush" => Durability::Flush,
                other => {
                    return Err(ConfigError::Env {
                        name: "ARCA_AUDIT_DURABILITY",
                        message: format!("'{other}' is not fsync or flush"),
                    });
                }
            };
        }
        Ok(())
    }

    /// The store URL, defaulting to SQLite in the data directory.
    pub fn store_url(&self) -> String {
        if self.store.url.is_empty() {
            format!("sqlite://{}", self.server.data_dir.join("arca.db").display())
        } else {
            self.store.url.clone()
        }
    }

    /// The URL clients should use.
    pub fn endpoint_url(&self) -> String {
        if !self.server.public_url.is_empty() {
            return self.server.public_url.clone();
        }
        let scheme = if self.server.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.server.listen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_environment() {
        let config: Config = toml::from_str(
            r#"
            [server]
            listen = "0.0.0.0:8443"
            [store]
            url = "postgres://db/arca"
            [audit]
            durability = "flush"
            digest_interval_seconds = 60
            "#,
        )
        .unwrap();
        assert_eq!(config.server.listen.port(), 8443);
        assert_eq!(config.store_url(), "postgres://db/arca");
        assert_eq!(config.audit.durability, Durability::Flush);
        assert_eq!(config.audit.digest_interval_seconds, 60);
        let mut config = config;
        config
            .apply_env(|name| (name == "ARCA_LISTEN").then(|| "127.0.0.1:9000".to_string()))
            .unwrap();
        assert_eq!(config.server.listen.port(), 9000);
    }

    #[test]
    fn regions_are_validated() {
        let mut config = Config::default();
        assert!(config.validate().is_ok());
        assert!(config.server.serves_region("eu-west-1"));
        assert!(!config.server.serves_region("us-east-1:111122223333"));
        config.server.regions = vec!["eu-west-1".into()];
        assert!(config.validate().is_err(), "the bootstrap region must be served");
        config.server.region = "eu-west-1".into();
        assert!(config.validate().is_ok());
        config.server.regions.push("EU WEST".into());
        assert!(config.validate().is_err());
    }

    #[test]
    fn unknown_fields_are_refused() {
        let message = Config::from_toml("[server]\nlisten_on = \"x\"").unwrap_err();
        assert!(message.contains("listen_on") && message.contains("line 2"), "{message}");
        let message = Config::from_toml("[server]\n\n[kms]\ncache_ttl = 5\n").unwrap_err();
        assert!(message.contains("cache_ttl") && message.contains("line 4"), "{message}");
        let message = Config::from_toml("[log]\nlevel = \"info\"\n[secret]\nx = 1\n").unwrap_err();
        assert!(message.contains("`secret`") && message.contains("line 3"), "{message}");
        let message = Config::from_toml("listen = \"x\"\n").unwrap_err();
        assert!(message.contains("`listen`") && message.contains("line 1"), "{message}");
    }

    #[test]
    fn a_service_section_reaches_its_service() {
        let config = Config::from_toml("[kms]\ncache_ttl_seconds = 7\n").unwrap();
        let kms: arca_kms::KmsConfig = config.services.get(arca_kms::CONFIG.name);
        assert_eq!(kms.cache_ttl_seconds, 7);
        let kms: arca_kms::KmsConfig = Config::default().services.get(arca_kms::CONFIG.name);
        assert_eq!(kms, arca_kms::KmsConfig::default());
        let every_server_section =
            SERVER_SECTIONS.iter().map(|name| format!("[{name}]\n")).collect::<String>();
        assert!(Config::from_toml(&every_server_section).is_ok());
    }

    #[test]
    fn sample_configuration_parses() {
        let text = include_str!("../../../arca.sample.toml");
        let config = Config::from_toml(text).unwrap();
        assert!(config.store_url().starts_with("postgres://"));
    }
}
