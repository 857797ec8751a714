//! `[kms]`: the KMS service's section of the configuration file.
//!
//! ```toml
//! [kms]
//! cache_ttl_seconds = 30        # longest a cached key or alias lives without a change notice
//! alias_cache_capacity = 10000  # most alias targets kept in memory
//! ```

use std::time::Duration;

use arca_api::{ConfigSection, SectionConfig};
use serde::Deserialize;

/// The section's declaration, listed beside the service's registration.
pub const CONFIG: ConfigSection = ConfigSection::of::<KmsConfig>("kms");

/// Longest TTL accepted: past an hour a lost change notification would leave a revoked
/// key or policy usable for too long.
const MAX_CACHE_TTL_SECONDS: u64 = 3600;

/// `[kms]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KmsConfig {
    /// How long a cached key (record, policy, material) or alias target may be used
    /// without a change notification; the backstop should the change feed lose one.
    pub cache_ttl_seconds: u64,
    /// Most alias targets cached at once; past it an arbitrary entry makes room.
    pub alias_cache_capacity: usize,
    /// A seed file (local-kms's YAML format) applied at every start: keys and aliases it
    /// names that do not exist yet are made; existing ones are left as they are.
    pub seed_file: Option<std::path::PathBuf>,
}

impl Default for KmsConfig {
    fn default() -> Self {
        Self { cache_ttl_seconds: 30, alias_cache_capacity: 10_000, seed_file: None }
    }
}

impl KmsConfig {
    /// [`KmsConfig::cache_ttl_seconds`] as a duration.
    pub fn cache_ttl(&self) -> Duration {
        Duration::from_secs(self.cache_ttl_seconds)
    }
}

impl SectionConfig for KmsConfig {
    fn validate(&self) -> Result<(), String> {
        if !(1..=MAX_CACHE_TTL_SECONDS).contains(&self.cache_ttl_seconds) {
            return Err(format!(
                "cache_ttl_seconds must be between 1 and {MAX_CACHE_TTL_SECONDS}, not {}",
                self.cache_ttl_seconds
            ));
        }
        if self.alias_cache_capacity == 0 {
            return Err("alias_cache_capacity must be at least 1".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<KmsConfig, String> {
        let (_, parsed) = CONFIG.parse(text)?;
        parsed.downcast_ref::<KmsConfig>().cloned().ok_or_else(|| "wrong type".into())
    }

    #[test]
    fn the_section_is_read_and_checked() {
        assert_eq!(parse("").unwrap(), KmsConfig::default());
        let config = parse("[kms]\ncache_ttl_seconds = 5\n").unwrap();
        assert_eq!(config.cache_ttl(), Duration::from_secs(5));
        assert_eq!(config.alias_cache_capacity, 10_000);
        assert!(parse("[kms]\ncache_ttl_seconds = 0\n").unwrap_err().contains("cache_ttl_seconds"));
        assert!(parse("[kms]\ncache_ttl_seconds = 7200\n").is_err());
        assert!(parse("[kms]\nalias_cache_capacity = 0\n").is_err());
        let error = parse("[kms]\ncache_ttl = 5\n").unwrap_err();
        assert!(error.contains("cache_ttl") && error.contains("line 2"), "{error}");
    }
}
