//! Seed files: deterministic KMS fixtures applied at start, in local-kms's YAML format
//! (`Keys` → `Symmetric` → `Aes`, `Keys` → `Asymmetric` → `Rsa` / `Ecc`, `Aliases`), so
//! existing seed files work unchanged. Arca adds two top-level members: `Region` (where
//! the keys go; default the server's region) and `AccountId` (the bootstrap account's id
//! when the store is new, so that two servers seeded from one file make the same ARNs
//! and open each other's ciphertexts).
//!
//! Applying a seed is idempotent: a key or alias that exists is left exactly as it is,
//! never overwritten, and nothing is made twice.

use std::path::Path;

use arca_crypto::{
    SecretBytes,
    asymmetric::{KeyPairSpec, PrivateKey},
};
use arca_store::{Precondition, StoreError, Write};
use serde::Deserialize;

use super::KmsService;
use crate::{
    KmsError,
    record::{
        ACCOUNT_KEYS, ALIASES, AliasRecord, KEYS, KeyManager, KeyRecord, KeyState, KeyVersion,
        Rotation, material_id, scope_prefix, store_key,
    },
};

/// A parsed seed file.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct SeedFile {
    /// Keys by kind.
    #[serde(default)]
    keys: SeedKeys,
    /// Aliases.
    #[serde(default)]
    aliases: Vec<SeedAlias>,
    /// The region the keys go to (Arca's addition).
    region: Option<String>,
    /// The bootstrap account's id for a new store (Arca's addition).
    account_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct SeedKeys {
    #[serde(default)]
    symmetric: SeedSymmetric,
    #[serde(default)]
    asymmetric: SeedAsymmetric,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct SeedSymmetric {
    #[serde(default)]
    aes: Vec<SeedAes>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct SeedAsymmetric {
    #[serde(default)]
    rsa: Vec<SeedPair>,
    #[serde(default)]
    ecc: Vec<SeedPair>,
}

/// A symmetric key: its versions' material, oldest first.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct SeedAes {
    metadata: SeedMetadata,
    #[serde(default)]
    backing_keys: Vec<String>,
    next_key_rotation: Option<String>,
}

/// A key pair, its private key in PEM.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct SeedPair {
    metadata: SeedMetadata,
    private_key_pem: String,
}

// Key material stays out of Debug output.
impl std::fmt::Debug for SeedAes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeedAes").field("metadata", &self.metadata).finish_non_exhaustive()
    }
}

impl std::fmt::Debug for SeedPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeedPair").field("metadata", &self.metadata).finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SeedMetadata {
    key_id: String,
    description: Option<String>,
    origin: Option<String>,
    key_usage: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct SeedAlias {
    alias_name: String,
    target_key_id: String,
}

/// What a seed run did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    /// Keys made.
    pub keys_created: usize,
    /// Keys that existed and were left alone.
    pub keys_existing: usize,
    /// Aliases made.
    pub aliases_created: usize,
    /// Aliases that existed and were left alone.
    pub aliases_existing: usize,
}

fn invalid(what: &str, detail: impl std::fmt::Display) -> KmsError {
    KmsError::Validation(format!("seed file: {what}: {detail}"))
}

impl SeedFile {
    /// Reads and parses a seed file.
    pub fn read(path: &Path) -> Result<Self, KmsError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| invalid(&path.display().to_string(), e))?;
        Self::parse(&text)
    }

    /// Parses a seed file's text. The error names where the file is wrong, never what
    /// it holds there: the parser's own message may quote a value, and a value here
    /// may be key material.
    pub fn parse(text: &str) -> Result<Self, KmsError> {
        serde_yaml_ng::from_str(text).map_err(|error| {
            let place = error.location().map_or_else(
                || "the file's structure".to_owned(),
                |at| format!("line {}, column {}", at.line(), at.column()),
            );
            invalid("not a seed file in local-kms's format", format!("at {place}"))
        })
    }

    /// The bootstrap account id the file asks for (`AccountId`).
    pub fn account_id(&self) -> Option<&str> {
        self.account_id.as_deref()
    }
}

/// A key id a seed may use: a UUID (local-kms's only form) or a multi-Region id.
fn check_key_id(key_id: &str) -> Result<(), KmsError> {
    if crate::blob::key_uuid(key_id).is_some() {
        Ok(())
    } else {
        Err(invalid(key_id, "KeyId must be a UUID or mrk- and 32 hex digits"))
    }
}

fn parse_time(text: &str) -> Result<i64, KmsError> {
    let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|e| invalid(text, e))?;
    Ok((at.unix_timestamp_nanos() / 1_000_000) as i64)
}

impl KmsService {
    /// Applies a seed file for `account` in `default_region` (unless the file names a
    /// region): every key and alias it names that does not exist is made.
    pub async fn apply_seed(
        &self,
        seed: &SeedFile,
        account: &str,
        default_region: &str,
    ) -> Result<SeedReport, KmsError> {
        let region = seed.region.as_deref().unwrap_or(default_region);
        let mut report = SeedReport::default();
        let mut seeded = Vec::new();
        for aes in &seed.keys.symmetric.aes {
            let record = self.seed_symmetric(aes, account, region)?;
            seeded.push(record.key_id.clone());
            self.seed_key(record, &mut report).await?;
        }
        let rsa = [KeyPairSpec::Rsa2048, KeyPairSpec::Rsa3072, KeyPairSpec::Rsa4096];
        let ecc = [
            KeyPairSpec::EccNistP256,
            KeyPairSpec::EccNistP384,
            KeyPairSpec::EccNistP521,
            KeyPairSpec::EccSecgP256k1,
        ];
        let pairs = seed.keys.asymmetric.rsa.iter().map(|p| (p, &rsa[..]));
        for (pair, specs) in pairs.chain(seed.keys.asymmetric.ecc.iter().map(|p| (p, &ecc[..]))) {
            let record = self.seed_pair(pair, specs, account, region)?;
            seeded.push(record.key_id.clone());
            self.seed_key(record, &mut report).await?;
        }
        for alias in &seed.aliases {
            self.seed_alias(alias, account, region, &mut report).await?;
        }
        Ok(report)
    }

    /// Stores a seeded key unless its id is taken; an existing key is never changed.
    async fn seed_key(&self, record: KeyRecord, report: &mut SeedReport) -> Result<(), KmsError> {
        if self.store.get(KEYS, &record.store_key()).await?.is_some() {
            report.keys_existing += 1;
            return Ok(());
        }
        let value = serde_json::to_vec(&record).map_err(|e| KmsError::internal("encode key", e))?;
        let index = Self::index_key(&record);
        let written = self
            .store
            .commit(vec![
                Write::put(KEYS, &record.store_key(), value, Precondition::Absent),
                Write::put(ACCOUNT_KEYS, &index, Vec::new(), Precondition::Absent),
            ])
            .await;
        match written {
            Ok(_) => {
                self.schedule_rotation(&record).await?;
                report.keys_created += 1;
                Ok(())
            }
            // Another node seeded it first.
            Err(StoreError::Conflict { .. }) => {
                report.keys_existing += 1;
                Ok(())
            }
            Err(error) => Err(error.into()),
        }
    }

    fn seed_record(
        &self,
        metadata: &SeedMetadata,
        account: &str,
        region: &str,
        spec: &str,
        usage: &str,
    ) -> Result<KeyRecord, KmsError> {
        check_key_id(&metadata.key_id)?;
        let origin = metadata.origin.clone().unwrap_or_else(|| "AWS_KMS".into());
        if origin != "AWS_KMS" && origin != "EXTERNAL" {
            return Err(invalid(
                &metadata.key_id,
                format!("Origin {origin} is not AWS_KMS or EXTERNAL"),
            ));
        }
        let arn = format!("arn:aws:kms:{region}:{account}:key/{}", metadata.key_id);
        Ok(KeyRecord {
            key_id: metadata.key_id.clone(),
            arn,
            account_id: account.to_string(),
            region: region.to_string(),
            creation_date: self.now_ms(),
            description: metadata.description.clone().unwrap_or_default(),
            key_usage: usage.to_string(),
            key_spec: spec.to_string(),
            origin,
            key_manager: KeyManager::Customer,
            state: KeyState::Enabled,
            deletion_date: None,
            pending_window_days: None,
            policy: crate::default_key_policy(account),
            tags: Vec::new(),
            rotation: Rotation { enabled: false, period_days: 365, next_rotation: None },
            versions: Vec::new(),
            pending_import: None,
            multi_region: None,
        })
    }

    /// A version of `material` for the seeded key, sealed; its id is derived from the
    /// key id and material, so every server seeded from the file agrees on it.
    fn seed_version(
        &self,
        record: &KeyRecord,
        version: u32,
        material: &SecretBytes,
    ) -> Result<KeyVersion, KmsError> {
        let sealed = self
            .keyring
            .seal(&KeyRecord::material_aad(&record.arn, version), material.expose_secret())?;
        let mut made = KeyVersion::new(
            version,
            material_id(&record.key_id, material),
            record.creation_date,
            sealed,
        );
        if version > 1 {
            made.rotation_type = Some("AUTOMATIC".into());
        }
        Ok(made)
    }

    fn seed_symmetric(
        &self,
        aes: &SeedAes,
        account: &str,
        region: &str,
    ) -> Result<KeyRecord, KmsError> {
        let key_id = &aes.metadata.key_id;
        let mut record = self.seed_record(
            &aes.metadata,
            account,
            region,
            "SYMMETRIC_DEFAULT",
            "ENCRYPT_DECRYPT",
        )?;
        if aes.metadata.key_usage.as_deref().is_some_and(|usage| usage != "ENCRYPT_DECRYPT") {
            return Err(invalid(key_id, "an AES key's KeyUsage is ENCRYPT_DECRYPT"));
        }
        let external = record.origin == "EXTERNAL";
        match (external, aes.backing_keys.len()) {
            (false, 0) => return Err(invalid(key_id, "BackingKeys must hold one or more keys")),
            (true, n) if n > 1 => {
                return Err(invalid(key_id, "an EXTERNAL key takes at most one backing key"));
            }
            _ => {}
        }
        for (index, hex_key) in aes.backing_keys.iter().enumerate() {
            let material = SecretBytes::new(
                hex::decode(hex_key.trim()).ok().filter(|bytes| bytes.len() == 32).ok_or_else(
                    || invalid(key_id, "a backing key is not 64 hex digits (256 bits)"),
                )?,
            );
            let mut version = self.seed_version(&record, index as u32 + 1, &material)?;
            if external {
                version.expiration_model = Some("KEY_MATERIAL_DOES_NOT_EXPIRE".into());
            }
            record.versions.push(version);
        }
        if external && record.versions.is_empty() {
            record.state = KeyState::PendingImport;
        }
        if let Some(next) = &aes.next_key_rotation {
            if external {
                return Err(invalid(key_id, "EXTERNAL keys do not rotate automatically"));
            }
            record.rotation.enabled = true;
            record.rotation.next_rotation = Some(parse_time(next)?);
        }
        Ok(record)
    }

    fn seed_pair(
        &self,
        pair: &SeedPair,
        specs: &[KeyPairSpec],
        account: &str,
        region: &str,
    ) -> Result<KeyRecord, KmsError> {
        let key_id = &pair.metadata.key_id;
        let private = PrivateKey::from_pem(pair.private_key_pem.as_bytes(), specs)
            .map_err(|_| invalid(key_id, "PrivateKeyPem is not a private key of this kind"))?;
        let spec = private.spec();
        let usage = pair.metadata.key_usage.clone().unwrap_or_else(|| "SIGN_VERIFY".into());
        let kind = crate::spec::KeyKind::Pair(spec);
        if !kind.usages().contains(&usage.as_str()) {
            return Err(invalid(
                key_id,
                format!("KeyUsage {usage} is not valid for {}", spec.name()),
            ));
        }
        let mut record = self.seed_record(&pair.metadata, account, region, spec.name(), &usage)?;
        let material = private.to_private_bytes().map_err(|e| KmsError::internal("seed key", e))?;
        let mut version = self.seed_version(&record, 1, &material)?;
        if record.origin == "EXTERNAL" {
            version.expiration_model = Some("KEY_MATERIAL_DOES_NOT_EXPIRE".into());
        }
        record.versions.push(version);
        Ok(record)
    }

    async fn seed_alias(
        &self,
        alias: &SeedAlias,
        account: &str,
        region: &str,
        report: &mut SeedReport,
    ) -> Result<(), KmsError> {
        let name = &alias.alias_name;
        if !name.starts_with("alias/") || name.starts_with("alias/aws/") {
            return Err(invalid(name, "an alias name starts with alias/ and not alias/aws/"));
        }
        let scoped = format!("{}{name}", scope_prefix(account, region));
        if self.store.get(ALIASES, &scoped).await?.is_some() {
            report.aliases_existing += 1;
            return Ok(());
        }
        let target = &alias.target_key_id;
        if self.store.get(KEYS, &store_key(target, region)).await?.is_none() {
            return Err(invalid(name, format!("TargetKeyId {target} is not a key")));
        }
        let now = self.now_ms();
        let record = AliasRecord {
            alias_name: name.clone(),
            target_key_id: target.clone(),
            creation_date: now,
            last_updated_date: now,
        };
        let value =
            serde_json::to_vec(&record).map_err(|e| KmsError::internal("encode alias", e))?;
        match self
            .store
            .commit(vec![Write::put(ALIASES, &scoped, value, Precondition::Absent)])
            .await
        {
            Ok(_) => report.aliases_created += 1,
            Err(StoreError::Conflict { .. }) => report.aliases_existing += 1,
            Err(error) => return Err(error.into()),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_local_kms_seed_files_and_arca_additions() {
        let seed = SeedFile::parse(
            r#"
AccountId: "123456789012"
Region: eu-west-2
Keys:
  Symmetric:
    Aes:
      - Metadata:
          KeyId: bc436485-5092-42b8-92a3-0aa8b93536dc
          Description: first
        NextKeyRotation: "2030-01-01T00:00:00+00:00"
        BackingKeys:
          - 0000000000000000000000000000000000000000000000000000000000000001
Aliases:
  - AliasName: alias/testing
    TargetKeyId: bc436485-5092-42b8-92a3-0aa8b93536dc
"#,
        )
        .unwrap();
        assert_eq!(seed.account_id(), Some("123456789012"));
        assert_eq!(seed.region.as_deref(), Some("eu-west-2"));
        assert_eq!(seed.keys.symmetric.aes.len(), 1);
        assert_eq!(seed.aliases[0].alias_name, "alias/testing");
        assert!(!format!("{seed:?}").contains("0000000000000000000000000001"));
        assert!(SeedFile::parse("Keys:\n  Unknown: []\n").is_err());
        // A misplaced value is located, not quoted (it may be key material).
        let secret = "5cdaead27fe7da2de47945d73cd6d79e36494e73802f3cd3869f1d2cb0b5d7a9";
        let misplaced = format!(
            "Keys:\n  Symmetric:\n    Aes:\n      - Metadata:\n          KeyId: x\n        BackingKeys: {secret}\n"
        );
        let message = SeedFile::parse(&misplaced).unwrap_err().to_string();
        assert!(message.contains("line 6") && !message.contains(secret), "{message}");
        assert!(SeedFile::parse("- not a map").is_err());
    }
}
