//! Signed digests of the chain head, the key pair that signs them, and their checks.
//!
//! A digest says "the chain reached sequence S with hash H at time T", signed with the
//! server's ECDSA P-256 key. Digests go to their own file ([`DIGESTS_FILE`]), one JSON
//! object a line, and are chained too: each names the SHA-256 of the line before it
//! (`previousDigestHash`) and counts on by one (`number`). The private key lives in the
//! store only sealed under the root key; the public key is in the store and, for
//! offline checkers, in [`PUBLIC_KEY_FILE`] beside the log.

use std::{collections::BTreeMap, sync::Arc};

use arca_crypto::{
    SecretBytes,
    ecdsa::{EcdsaCurve, EcdsaSigningKey, EcdsaVerifyingKey},
};
use arca_seal::{RootKeyring, SealedBytes};
use arca_store::{Precondition, Store, StoreError, Write};
use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    AuditError,
    chain::{ChainVerifier, GENESIS_HASH, TORN_FINAL_LINE},
};

/// The digests file, beside the log files.
pub const DIGESTS_FILE: &str = "audit.digests.jsonl";
/// The digest signing key's public half (SubjectPublicKeyInfo, PEM), beside the log.
pub const PUBLIC_KEY_FILE: &str = "audit.digest-key.pem";
/// Store table of the digest signing key.
pub const DIGEST_KEY_TABLE: &str = "audit.digest-key";
/// Its one record.
const DIGEST_KEY_RECORD: &str = "current";
/// Key (in the chain head table) of the store's copy of the last digest written.
pub const LAST_DIGEST_KEY: &str = "digest";
/// The only signature algorithm digests use.
pub const SIGNATURE_ALGORITHM: &str = "ECDSA_P256_SHA256";
/// Prefixed to the canonical digest before signing, so the signature means nothing
/// else.
const SIGNING_CONTEXT: &[u8] = b"arca-audit-digest-v1\n";

/// Why a digest was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DigestReason {
    /// The periodic digest.
    Interval,
    /// The live file was rotated.
    Rotation,
    /// The server started with records no digest covered yet (e.g. after a crash).
    Start,
    /// Clean shutdown.
    Shutdown,
}

/// One signed digest line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Digest {
    /// Format version (1).
    pub digest_version: u32,
    /// 1, 2, ... along the digests file.
    pub number: u64,
    /// When it was written (RFC 3339, UTC).
    pub time: String,
    /// Sequence of the last record it covers.
    pub sequence: u64,
    /// That record's hash.
    pub hash: String,
    /// SHA-256 (hex) of the previous digest's line; [`GENESIS_HASH`] for the first.
    pub previous_digest_hash: String,
    /// Why it was written.
    pub reason: DigestReason,
    /// Which key signed it ([`DigestKey::key_id`]).
    pub key_id: String,
    /// [`SIGNATURE_ALGORITHM`].
    pub signature_algorithm: String,
    /// Base64 DER ECDSA signature over the context string and the canonical JSON of
    /// every other member (keys sorted).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub signature: String,
}

impl Digest {
    /// The bytes the signature covers.
    fn signed_message(&self) -> Result<Vec<u8>, serde_json::Error> {
        let mut value = serde_json::to_value(self)?;
        if let Value::Object(map) = &mut value {
            map.remove("signature");
        }
        let mut message = SIGNING_CONTEXT.to_vec();
        message.extend_from_slice(&serde_json::to_vec(&value)?);
        Ok(message)
    }

    /// The line as written: canonical JSON (keys sorted), no newline.
    pub fn to_line(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(&serde_json::to_value(self)?)
    }

    /// Checks the signature with `key`.
    pub fn verify(&self, key: &EcdsaVerifyingKey) -> bool {
        let Ok(signature) = BASE64.decode(&self.signature) else { return false };
        let Ok(message) = self.signed_message() else { return false };
        self.signature_algorithm == SIGNATURE_ALGORITHM
            && key.verify_message(&message, &signature).is_ok()
    }
}

/// The link a new digest continues from: the last one written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DigestLink {
    /// Its number (0 before the first).
    pub number: u64,
    /// SHA-256 (hex) of its line.
    pub line_hash: String,
    /// The sequence it covers.
    pub sequence: u64,
    /// The hash of the record at that sequence.
    pub hash: String,
    /// When it was written.
    pub time: String,
}

impl Default for DigestLink {
    fn default() -> Self {
        Self {
            number: 0,
            line_hash: GENESIS_HASH.into(),
            sequence: 0,
            hash: GENESIS_HASH.into(),
            time: String::new(),
        }
    }
}

/// SHA-256 (hex) of a digest line.
pub fn line_hash(line: &str) -> String {
    let mut hasher = arca_crypto::digest::Hasher::new(arca_crypto::digest::HashAlgorithm::Sha256);
    hasher.update(line.as_bytes());
    hex::encode(hasher.finish())
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DigestKeyRecord {
    key_id: String,
    algorithm: String,
    /// SubjectPublicKeyInfo DER, base64.
    public_key: String,
    /// PKCS#8 DER, sealed under the root key with [`sealing_aad`].
    sealed_private_key: SealedBytes,
    created: String,
}

fn sealing_aad(key_id: &str) -> Vec<u8> {
    format!("arca:audit-digest-key:{key_id}").into_bytes()
}

/// The id of a public key: the first 16 bytes of the SHA-256 of its DER, in hex.
fn key_id_of(public_key_der: &[u8]) -> String {
    let mut hasher = arca_crypto::digest::Hasher::new(arca_crypto::digest::HashAlgorithm::Sha256);
    hasher.update(public_key_der);
    hex::encode(&hasher.finish()[..16])
}

/// The server's digest signing key: generated on first start, kept in the store with
/// its private half sealed under the root key.
pub struct DigestKey {
    store: Arc<dyn Store>,
    keyring: Arc<RootKeyring>,
    signing: EcdsaSigningKey,
    public_key_der: Vec<u8>,
    key_id: String,
}

impl std::fmt::Debug for DigestKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DigestKey").field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

impl DigestKey {
    /// Loads the key from the store, creating it on first start (another node racing
    /// to create it wins and this one loads its key).
    pub async fn load_or_create(
        store: Arc<dyn Store>,
        keyring: Arc<RootKeyring>,
    ) -> Result<Arc<Self>, AuditError> {
        for _ in 0..2 {
            if let Some(record) = store.get(DIGEST_KEY_TABLE, DIGEST_KEY_RECORD).await? {
                let record: DigestKeyRecord = serde_json::from_slice(&record.value)
                    .map_err(|e| AuditError::DigestKey(format!("unreadable record: {e}")))?;
                let private =
                    keyring.open(&sealing_aad(&record.key_id), &record.sealed_private_key)?;
                let signing = EcdsaSigningKey::from_der(EcdsaCurve::P256, private.expose_secret())
                    .map_err(|e| AuditError::DigestKey(e.to_string()))?;
                let public_key_der =
                    signing.public_key_der().map_err(|e| AuditError::DigestKey(e.to_string()))?;
                let key_id = key_id_of(&public_key_der);
                if key_id != record.key_id {
                    return Err(AuditError::DigestKey(
                        "the stored private key does not match its key id".into(),
                    ));
                }
                return Ok(Arc::new(Self { store, keyring, signing, public_key_der, key_id }));
            }
            let signing = EcdsaSigningKey::generate(EcdsaCurve::P256)
                .map_err(|e| AuditError::DigestKey(e.to_string()))?;
            let public_key_der =
                signing.public_key_der().map_err(|e| AuditError::DigestKey(e.to_string()))?;
            let key_id = key_id_of(&public_key_der);
            let private: SecretBytes =
                signing.to_pkcs8_der().map_err(|e| AuditError::DigestKey(e.to_string()))?;
            let record = DigestKeyRecord {
                key_id: key_id.clone(),
                algorithm: SIGNATURE_ALGORITHM.into(),
                public_key: BASE64.encode(&public_key_der),
                sealed_private_key: keyring.seal(&sealing_aad(&key_id), private.expose_secret())?,
                created: now_rfc3339(),
            };
            let value = serde_json::to_vec(&record).map_err(std::io::Error::other)?;
            match store
                .commit(vec![Write::put(
                    DIGEST_KEY_TABLE,
                    DIGEST_KEY_RECORD,
                    value,
                    Precondition::Absent,
                )])
                .await
            {
                Ok(_) => {
                    tracing::info!(key_id, "created the audit digest signing key");
                    return Ok(Arc::new(Self { store, keyring, signing, public_key_der, key_id }));
                }
                Err(StoreError::Conflict { .. }) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(AuditError::DigestKey("the key record changed while it was being created".into()))
    }

    /// The key's id, named in every digest it signs.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The public key as a PEM SubjectPublicKeyInfo document.
    pub fn public_key_pem(&self) -> String {
        public_key_pem(&self.public_key_der)
    }

    /// Signs `digest` in place (sets its key id, algorithm and signature).
    pub fn sign(&self, digest: &mut Digest) -> Result<(), AuditError> {
        digest.key_id = self.key_id.clone();
        digest.signature_algorithm = SIGNATURE_ALGORITHM.into();
        digest.signature.clear();
        let message = digest.signed_message().map_err(std::io::Error::other)?;
        let signature = self
            .signing
            .sign_message(&message)
            .map_err(|e| AuditError::DigestKey(e.to_string()))?;
        digest.signature = BASE64.encode(signature);
        Ok(())
    }

    /// How many values this key keeps sealed under each root key version (its one
    /// private key).
    pub async fn count_sealed_by_root_version(&self) -> Result<BTreeMap<u32, u64>, AuditError> {
        let mut counts = BTreeMap::new();
        if let Some(record) = self.store.get(DIGEST_KEY_TABLE, DIGEST_KEY_RECORD).await? {
            let record: DigestKeyRecord = serde_json::from_slice(&record.value)
                .map_err(|e| AuditError::DigestKey(format!("unreadable record: {e}")))?;
            if let Some(version) = record.sealed_private_key.root_version() {
                *counts.entry(version).or_insert(0) += 1;
            }
        }
        Ok(counts)
    }

    /// Re-seals the private key under the current root key version when it is under
    /// an older one; returns how many values were re-sealed (0 or 1).
    pub async fn rewrap(&self) -> Result<usize, AuditError> {
        for _ in 0..5 {
            let Some(row) = self.store.get(DIGEST_KEY_TABLE, DIGEST_KEY_RECORD).await? else {
                return Ok(0);
            };
            let mut record: DigestKeyRecord = serde_json::from_slice(&row.value)
                .map_err(|e| AuditError::DigestKey(format!("unreadable record: {e}")))?;
            if !self.keyring.needs_rewrap(&record.sealed_private_key) {
                return Ok(0);
            }
            let aad = sealing_aad(&record.key_id);
            let private = self.keyring.open(&aad, &record.sealed_private_key)?;
            record.sealed_private_key = self.keyring.seal(&aad, private.expose_secret())?;
            let value = serde_json::to_vec(&record).map_err(std::io::Error::other)?;
            match self
                .store
                .commit(vec![Write::put(
                    DIGEST_KEY_TABLE,
                    DIGEST_KEY_RECORD,
                    value,
                    Precondition::Version(row.version),
                )])
                .await
            {
                Ok(_) => return Ok(1),
                // Another node re-sealed it meanwhile: look again.
                Err(StoreError::Conflict { .. }) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(AuditError::DigestKey("the key record kept changing during the re-wrap".into()))
    }
}

/// The public digest key kept in the store, for checkers: `(key id, SPKI DER)`.
pub async fn stored_public_key(store: &dyn Store) -> Result<Option<(String, Vec<u8>)>, AuditError> {
    let Some(record) = store.get(DIGEST_KEY_TABLE, DIGEST_KEY_RECORD).await? else {
        return Ok(None);
    };
    let record: DigestKeyRecord = serde_json::from_slice(&record.value)
        .map_err(|e| AuditError::DigestKey(format!("unreadable record: {e}")))?;
    let der = BASE64
        .decode(&record.public_key)
        .map_err(|e| AuditError::DigestKey(format!("unreadable public key: {e}")))?;
    Ok(Some((record.key_id, der)))
}

/// The store's copy of the last digest written (it may trail the digests file).
pub async fn stored_last_digest(store: &dyn Store) -> Result<Option<DigestLink>, AuditError> {
    Ok(store
        .get(super::HEAD_TABLE, LAST_DIGEST_KEY)
        .await?
        .and_then(|record| serde_json::from_slice(&record.value).ok()))
}

/// PEM for a SubjectPublicKeyInfo DER document.
pub fn public_key_pem(der: &[u8]) -> String {
    let encoded = BASE64.encode(der);
    let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
    for chunk in encoded.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(chunk));
        pem.push('\n');
    }
    pem.push_str("-----END PUBLIC KEY-----\n");
    pem
}

/// A digest verifying key from PEM (`PUBLIC KEY`) or DER bytes, with its key id.
pub fn verifying_key(bytes: &[u8]) -> Result<(String, EcdsaVerifyingKey), AuditError> {
    let der = match std::str::from_utf8(bytes) {
        Ok(text) if text.contains("-----BEGIN PUBLIC KEY-----") => {
            let body: String = text
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty() && !line.starts_with("-----"))
                .collect();
            BASE64.decode(body).map_err(|e| AuditError::DigestKey(format!("bad PEM: {e}")))?
        }
        _ => bytes.to_vec(),
    };
    let key = EcdsaVerifyingKey::from_public_point(EcdsaCurve::P256, &der)
        .map_err(|_| AuditError::DigestKey("not an ECDSA P-256 public key".into()))?;
    Ok((key_id_of(&der), key))
}

/// The outcome of checking a digests file.
#[derive(Debug, Default)]
pub struct DigestCheck {
    /// One `digest line N: reason` per problem.
    pub problems: Vec<String>,
    /// The digests whose signatures verified, in order.
    pub trusted: Vec<Digest>,
    /// The last well-formed digest.
    pub last: Option<DigestLink>,
    /// Lines read.
    pub lines: u64,
}

/// Checks a digests file's text: each line a digest, chained to the one before it,
/// signed by `key` (when `None`, signatures cannot be checked and nothing is trusted).
pub fn check_digests(text: &str, key: Option<&EcdsaVerifyingKey>) -> DigestCheck {
    let mut check = DigestCheck::default();
    let mut previous: Option<DigestLink> = None;
    let terminated = text.ends_with('\n');
    let lines: Vec<&str> = text.split_terminator('\n').collect();
    for (index, line) in lines.iter().enumerate() {
        let number = index + 1;
        check.lines += 1;
        let parsed: Option<Digest> =
            serde_json::from_str(line).ok().filter(|digest: &Digest| digest.digest_version == 1);
        let Some(digest) = parsed else {
            if !terminated && number == lines.len() {
                check.problems.push(format!("digest line {number}: {TORN_FINAL_LINE}"));
            } else {
                check.problems.push(format!("digest line {number}: not a digest"));
            }
            continue;
        };
        let at = format!("digest line {number} (digest {} at {})", digest.number, digest.time);
        match &previous {
            None if digest.number != 1 => check.problems.push(format!(
                "{at}: the digests file begins at digest {}: earlier digests were removed",
                digest.number
            )),
            None if digest.previous_digest_hash != GENESIS_HASH => check
                .problems
                .push(format!("{at}: the first digest does not start the digest chain")),
            Some(previous) if digest.number != previous.number + 1 => check.problems.push(format!(
                "{at}: digest {} follows digest {}: digests were removed or reordered",
                digest.number, previous.number
            )),
            Some(previous) if digest.previous_digest_hash != previous.line_hash => check
                .problems
                .push(format!("{at}: previousDigestHash does not match the digest before it")),
            _ => {}
        }
        match key {
            Some(key) if digest.verify(key) => check.trusted.push(digest.clone()),
            Some(_) => check.problems.push(format!(
                "{at}: the signature does not verify with the server's digest key (signed by key {})",
                digest.key_id
            )),
            None => {}
        }
        let link = DigestLink {
            number: digest.number,
            line_hash: line_hash(line),
            sequence: digest.sequence,
            hash: digest.hash.clone(),
            time: digest.time.clone(),
        };
        previous = Some(link.clone());
        check.last = Some(link);
    }
    check
}

/// Compares trusted digests with the checked chain: the log must reach the newest
/// digest's sequence, and every digested record it holds must have the digest's hash.
/// The chain must have watched every digest's sequence ([`ChainVerifier::watch`]).
pub fn check_coverage(trusted: &[Digest], chain: &ChainVerifier) -> Vec<String> {
    let mut problems = Vec::new();
    let end = chain.head().map_or(0, |head| head.sequence);
    let first = chain.first_sequence().unwrap_or(1);
    if let Some(newest) =
        trusted.iter().filter(|d| d.sequence > end).max_by_key(|d| (d.sequence, d.number))
    {
        problems.push(format!(
            "tail removed: digest {} at {} covers sequence {} but the log ends at sequence {end}",
            newest.number, newest.time, newest.sequence
        ));
    }
    for digest in trusted.iter().filter(|d| d.sequence >= first && d.sequence <= end) {
        match chain.watched_hash(digest.sequence) {
            None => problems.push(format!(
                "digest {} at {}: the record at sequence {} it covers is missing from the log",
                digest.number, digest.time, digest.sequence
            )),
            Some(hash) if hash != digest.hash => problems.push(format!(
                "digest {} at {}: the record at sequence {} differs from the one it covers",
                digest.number, digest.time, digest.sequence
            )),
            Some(_) => {}
        }
    }
    problems
}

/// Now, RFC 3339, whole seconds, UTC.
pub(super) fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    now.replace_nanosecond(0)
        .unwrap_or(now)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
