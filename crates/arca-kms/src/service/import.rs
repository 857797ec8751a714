//! Bring your own key: GetParametersForImport, ImportKeyMaterial and
//! DeleteImportedKeyMaterial for keys of EXTERNAL origin, and the jobs that retire
//! import tokens after 24 hours and delete imported material when it expires.
//!
//! An import token is 32 random bytes naming a stored record that holds the RSA
//! wrapping key (sealed under the root key), the key it was issued for and its
//! wrapping algorithm. Imported material gets a key material id derived from the key
//! id and the material, so re-importing the same material finds its version again.

use arca_crypto::{
    SecretBytes,
    asymmetric::{KeyPairSpec, PrivateKey},
    rsa::RsaPadding,
};
use arca_gate::Caller;
use arca_seal::SealedBytes;
use arca_store::{Precondition, Write};
use serde::{Deserialize, Serialize};

use super::KmsService;
use crate::{
    KmsError,
    api::{
        DeleteImportedKeyMaterialRequest, GetParametersForImportRequest,
        GetParametersForImportResponse, ImportKeyMaterialRequest, KeyMaterialResponse,
    },
    operation::Operation,
    record::{KeyRecord, KeyState, KeyVersion, material_id},
    spec::KeyKind,
    validate::{self, Validator},
    wire::{Blob, Timestamp},
};

/// Store table of import tokens, keyed by the token in hex.
pub(crate) const IMPORT_TOKENS: &str = "kms.import-tokens";
/// Job kind: forget an import token whose 24 hours are over.
pub const TOKEN_EXPIRY_JOB: &str = "kms.import-token-expiry";
/// Job kind: delete imported material whose ValidTo has passed.
pub const MATERIAL_EXPIRY_JOB: &str = "kms.material-expiry";

/// How long import parameters are valid, as in AWS.
const TOKEN_LIFE_MS: i64 = 24 * 3600 * 1000;
/// How long an expired token is kept after its life, so that using it is reported as
/// expired (ExpiredImportTokenException) rather than unknown.
const TOKEN_KEPT_MS: i64 = 7 * 86_400_000;
/// The furthest ValidTo may be from now, as in AWS.
const MAX_VALID_TO_MS: i64 = 365 * 86_400_000;
const TOKEN_LEN: usize = 32;

const WRAPPING_ALGORITHMS: &[&str] = &[
    "RSAES_PKCS1_V1_5",
    "RSAES_OAEP_SHA_1",
    "RSAES_OAEP_SHA_256",
    "RSA_AES_KEY_WRAP_SHA_1",
    "RSA_AES_KEY_WRAP_SHA_256",
    "SM2PKE",
];
const EXPIRES: &str = "KEY_MATERIAL_EXPIRES";
const DOES_NOT_EXPIRE: &str = "KEY_MATERIAL_DOES_NOT_EXPIRE";
const NEW_KEY_MATERIAL: &str = "NEW_KEY_MATERIAL";
const EXISTING_KEY_MATERIAL: &str = "EXISTING_KEY_MATERIAL";

/// A stored import token.
#[derive(Serialize, Deserialize)]
struct ImportTokenRecord {
    key_id: String,
    wrapping_algorithm: String,
    wrapping_key_spec: String,
    /// The wrapping private key (PKCS#8), sealed and bound to the token.
    sealed: SealedBytes,
    valid_to: i64,
}

impl std::fmt::Debug for ImportTokenRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportTokenRecord").field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

fn token_aad(token_hex: &str) -> Vec<u8> {
    format!("kms-import-token#{token_hex}").into_bytes()
}

/// How the material was wrapped: RSA-OAEP alone, or RSA-OAEP around an AES key that
/// wraps the material with RFC 5649 key wrap (for material longer than OAEP takes).
fn unwrapping(algorithm: &str) -> Option<(RsaPadding, bool)> {
    match algorithm {
        "RSAES_OAEP_SHA_1" => Some((RsaPadding::OaepSha1, false)),
        "RSAES_OAEP_SHA_256" => Some((RsaPadding::OaepSha256, false)),
        "RSA_AES_KEY_WRAP_SHA_1" => Some((RsaPadding::OaepSha1, true)),
        "RSA_AES_KEY_WRAP_SHA_256" => Some((RsaPadding::OaepSha256, true)),
        _ => None,
    }
}

/// Checks that `material` is key material for a key of `kind`, in the form Arca stores
/// it (a private key re-encoded as [`PrivateKey::to_private_bytes`] gives it).
fn check_material(
    kind: KeyKind,
    spec_name: &str,
    material: SecretBytes,
) -> Result<SecretBytes, KmsError> {
    let incorrect = || {
        KmsError::IncorrectKeyMaterial(format!(
            "The key material is not valid for a KMS key with key spec {spec_name}."
        ))
    };
    let length = material.len();
    match kind {
        KeyKind::Symmetric if length == 32 => Ok(material),
        KeyKind::Hmac(spec)
            if (spec.key_len()..=hmac_max_len(spec.key_len())).contains(&length) =>
        {
            Ok(material)
        }
        KeyKind::Pair(spec) => import_private_key(spec, &material).ok_or_else(incorrect),
        _ => Err(incorrect()),
    }
}

/// AWS takes HMAC key material from the hash's output length up to its block size.
fn hmac_max_len(min: usize) -> usize {
    if min <= 32 { 64 } else { 128 }
}

fn import_private_key(spec: KeyPairSpec, der: &SecretBytes) -> Option<SecretBytes> {
    PrivateKey::from_private_bytes(spec, der.expose_secret()).ok()?.to_private_bytes().ok()
}

fn check_external(record: &KeyRecord) -> Result<(), KmsError> {
    if record.origin == "EXTERNAL" {
        return Ok(());
    }
    Err(KmsError::UnsupportedOperation(format!(
        "{} origin is {} which is not valid for this operation.",
        record.arn, record.origin
    )))
}

impl KmsService {
    /// GetParametersForImport: a fresh RSA wrapping key and the token that names it.
    pub async fn get_parameters_for_import(
        &self,
        caller: &Caller,
        input: GetParametersForImportRequest,
    ) -> Result<GetParametersForImportResponse, KmsError> {
        let mut v = Validator::new();
        validate::key_id(&mut v, "keyId", &input.key_id, true);
        v.required("wrappingAlgorithm", &input.wrapping_algorithm);
        v.one_of("wrappingAlgorithm", input.wrapping_algorithm.as_ref(), WRAPPING_ALGORITHMS);
        v.required("wrappingKeySpec", &input.wrapping_key_spec);
        v.one_of(
            "wrappingKeySpec",
            input.wrapping_key_spec.as_ref(),
            &["RSA_2048", "RSA_3072", "RSA_4096", "SM2"],
        );
        v.finish()?;
        let key =
            self.key_for_action(caller, &input.key_id, Operation::GetParametersForImport).await?;
        check_external(&key.record)?;
        Self::check_not_pending_deletion(&key.record)?;
        let algorithm = input.wrapping_algorithm.unwrap_or_default();
        if unwrapping(&algorithm).is_none() {
            return Err(KmsError::UnsupportedOperation(format!(
                "Wrapping algorithm {algorithm} is not supported by this server."
            )));
        }
        let spec_name = input.wrapping_key_spec.unwrap_or_default();
        let Some(spec @ (KeyPairSpec::Rsa2048 | KeyPairSpec::Rsa3072 | KeyPairSpec::Rsa4096)) =
            KeyPairSpec::from_name(&spec_name)
        else {
            return Err(KmsError::UnsupportedOperation(format!(
                "Wrapping key spec {spec_name} is not supported by this server."
            )));
        };
        let (private, public) = super::data_key_pair::generate_pair(spec).await?;
        let token = arca_crypto::random::bytes(TOKEN_LEN);
        let token_hex = hex::encode(&token);
        let valid_to = self.now_ms() + TOKEN_LIFE_MS;
        let record = ImportTokenRecord {
            key_id: key.record.store_key(),
            wrapping_algorithm: algorithm,
            wrapping_key_spec: spec_name,
            sealed: self.keyring.seal(&token_aad(&token_hex), private.expose_secret())?,
            valid_to,
        };
        let value = serde_json::to_vec(&record)
            .map_err(|e| KmsError::internal("encode import token", e))?;
        self.store
            .commit(vec![Write::put(IMPORT_TOKENS, &token_hex, value, Precondition::Absent)])
            .await?;
        let job_id = format!("{TOKEN_EXPIRY_JOB}/{token_hex}");
        let forget_at = valid_to + TOKEN_KEPT_MS;
        self.store.schedule_job(&job_id, TOKEN_EXPIRY_JOB, forget_at, token_hex.as_bytes()).await?;
        Ok(GetParametersForImportResponse {
            key_id: Some(key.record.arn.clone()),
            import_token: Some(Blob(token)),
            public_key: Some(Blob(public)),
            parameters_valid_to: Some(Timestamp(valid_to)),
        })
    }

    /// Opens the token and unwraps the material with the token's wrapping key.
    async fn unwrap_material(
        &self,
        key_id: &str,
        token: &[u8],
        wrapped: Vec<u8>,
    ) -> Result<SecretBytes, KmsError> {
        let invalid = || {
            KmsError::InvalidImportToken("The import token is not valid for this KMS key.".into())
        };
        if token.len() != TOKEN_LEN {
            return Err(invalid());
        }
        let token_hex = hex::encode(token);
        let stored = self.store.get(IMPORT_TOKENS, &token_hex).await?.ok_or_else(invalid)?;
        let record: ImportTokenRecord = serde_json::from_slice(&stored.value)
            .map_err(|e| KmsError::internal("decode import token", e))?;
        if record.key_id != key_id {
            return Err(invalid());
        }
        if record.valid_to <= self.now_ms() {
            return Err(KmsError::ExpiredImportToken("The import token has expired.".into()));
        }
        let (padding, key_wrap) =
            unwrapping(&record.wrapping_algorithm).ok_or(KmsError::Internal)?;
        let spec = KeyPairSpec::from_name(&record.wrapping_key_spec).ok_or(KmsError::Internal)?;
        let private_bytes = self.keyring.open(&token_aad(&token_hex), &record.sealed)?;
        tokio::task::spawn_blocking(move || {
            let private = PrivateKey::from_private_bytes(spec, private_bytes.expose_secret())
                .map_err(|e| KmsError::internal("wrapping key", e))?;
            let modulus_len = match spec {
                KeyPairSpec::Rsa2048 => 256,
                KeyPairSpec::Rsa3072 => 384,
                _ => 512,
            };
            let result = if key_wrap {
                // The RSA-OAEP-wrapped AES key, then the material under RFC 5649 key wrap.
                if wrapped.len() <= modulus_len {
                    return Err(KmsError::InvalidCiphertext);
                }
                let (wrapped_key, wrapped_material) = wrapped.split_at(modulus_len);
                private.decrypt(padding, wrapped_key).and_then(|aes_key| {
                    arca_crypto::key_wrap::unwrap_padded(aes_key.expose_secret(), wrapped_material)
                })
            } else {
                private.decrypt(padding, &wrapped)
            };
            result.map_err(|_| KmsError::InvalidCiphertext)
        })
        .await
        .map_err(|e| KmsError::internal("unwrap task", e))?
    }

    /// ImportKeyMaterial: first material, the same material again (after deletion or
    /// expiry), or new material for an on-demand rotation of a symmetric key.
    pub async fn import_key_material(
        &self,
        caller: &Caller,
        input: ImportKeyMaterialRequest,
    ) -> Result<KeyMaterialResponse, KmsError> {
        let mut v = Validator::new();
        validate::key_id(&mut v, "keyId", &input.key_id, true);
        v.required("importToken", &input.import_token);
        v.blob_length("importToken", input.import_token.as_ref().map(|t| t.0.len()), 1, 6144);
        v.required("encryptedKeyMaterial", &input.encrypted_key_material);
        v.blob_length(
            "encryptedKeyMaterial",
            input.encrypted_key_material.as_ref().map(|m| m.0.len()),
            1,
            6144,
        );
        v.one_of("expirationModel", input.expiration_model.as_ref(), &[EXPIRES, DOES_NOT_EXPIRE]);
        v.one_of(
            "importType",
            input.import_type.as_ref(),
            &[NEW_KEY_MATERIAL, EXISTING_KEY_MATERIAL],
        );
        v.length("keyMaterialDescription", input.key_material_description.as_ref(), 0, 256);
        v.chars(
            "keyMaterialDescription",
            input.key_material_description.as_ref(),
            "^[a-zA-Z0-9:/_\\s.-]+$",
            |c| c.is_ascii_alphanumeric() || c.is_whitespace() || ":/_.-".contains(c),
        );
        v.length("keyMaterialId", input.key_material_id.as_ref(), 64, 64);
        v.chars(
            "keyMaterialId",
            input.key_material_id.as_ref(),
            "^[a-f0-9]+$",
            |c| matches!(c, 'a'..='f' | '0'..='9'),
        );
        v.finish()?;
        let key = self.key_for_action(caller, &input.key_id, Operation::ImportKeyMaterial).await?;
        check_external(&key.record)?;
        Self::check_not_pending_deletion(&key.record)?;
        let kind = key.record.kind().ok_or(KmsError::Internal)?;
        let model = input.expiration_model.unwrap_or_else(|| EXPIRES.into());
        let now = self.now_ms();
        let valid_to = match (model.as_str(), input.valid_to) {
            (EXPIRES, None) => {
                return Err(KmsError::Validation(
                    "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES"
                        .into(),
                ));
            }
            (EXPIRES, Some(Timestamp(at))) if at <= now || at > now + MAX_VALID_TO_MS => {
                return Err(KmsError::Validation(
                    "The validTo date must be in the future and at most 365 days from now.".into(),
                ));
            }
            (EXPIRES, Some(Timestamp(at))) => Some(at),
            (_, Some(_)) => {
                return Err(KmsError::Validation(
                    "A validTo date must not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE"
                        .into(),
                ));
            }
            (_, None) => None,
        };
        let symmetric = kind == KeyKind::Symmetric;
        if !symmetric
            && (input.import_type.is_some()
                || input.key_material_id.is_some()
                || input.key_material_description.is_some())
        {
            return Err(KmsError::Validation(
                "ImportType, KeyMaterialId and KeyMaterialDescription are only valid for symmetric encryption keys."
                    .into(),
            ));
        }
        let token = input.import_token.unwrap_or_default().0;
        let wrapped = input.encrypted_key_material.unwrap_or_default().0;
        let material = self.unwrap_material(&key.record.store_key(), &token, wrapped).await?;
        let material = check_material(kind, &key.record.key_spec, material)?;
        let id = material_id(&key.record.key_id, &material);
        if input.key_material_id.as_ref().is_some_and(|expected| *expected != id) {
            return Err(KmsError::IncorrectKeyMaterial(
                "The key material does not have the KeyMaterialId given.".into(),
            ));
        }
        let import_type = input.import_type;
        let description = input.key_material_description;
        let keyring = &self.keyring;
        let record = self
            .update_key(&key.record.store_key(), |record, now| {
                Self::check_not_pending_deletion(record)?;
                let new = match import_type.as_deref() {
                    Some(kind) => kind == NEW_KEY_MATERIAL,
                    None => record.versions.is_empty(),
                };
                if new && input.key_material_id.is_some() {
                    return Err(KmsError::Validation(
                        "KeyMaterialId cannot be given with ImportType NEW_KEY_MATERIAL.".into(),
                    ));
                }
                let known = record.versions.iter().chain(record.pending_import.as_ref());
                let existing = known.clone().find(|v| v.material_id == id).map(|v| v.version);
                let version = match (new, existing) {
                    (false, Some(version)) => version,
                    (false, None) => {
                        return Err(KmsError::IncorrectKeyMaterial(
                            "The key material is not the key material previously imported into this KMS key."
                                .into(),
                        ));
                    }
                    (true, Some(_)) => {
                        return Err(KmsError::IncorrectKeyMaterial(
                            "This key material was already imported into this KMS key; import it with ImportType EXISTING_KEY_MATERIAL."
                                .into(),
                        ));
                    }
                    (true, None) if record.versions.is_empty() => 1,
                    (true, None) if !symmetric => {
                        return Err(KmsError::UnsupportedOperation(
                            "Only symmetric encryption keys take new key material.".into(),
                        ));
                    }
                    (true, None) => {
                        if let Some(pending) = &record.pending_import {
                            return Err(KmsError::InvalidState(format!(
                                "New key material (id: {id}) cannot be imported into KMS key {}, because another key material (id: {}) is pending rotation.",
                                record.key_id, pending.material_id
                            )));
                        }
                        record.versions.last().map_or(1, |v| v.version + 1)
                    }
                };
                let sealed = keyring
                    .seal(&KeyRecord::material_aad(&record.arn, version), material.expose_secret())?;
                let known = record.versions.iter().chain(record.pending_import.as_ref());
                if !known.clone().any(|v| v.version == version) {
                    let fresh = KeyVersion::new(version, id.clone(), now, sealed.clone());
                    if record.versions.is_empty() {
                        record.versions.push(fresh);
                    } else {
                        record.pending_import = Some(fresh);
                    }
                }
                let target = record
                    .versions
                    .iter_mut()
                    .chain(record.pending_import.as_mut())
                    .find(|v| v.version == version)
                    .ok_or(KmsError::Internal)?;
                target.sealed = Some(sealed);
                target.expiration_model = Some(model.clone());
                target.valid_to = valid_to;
                if description.is_some() {
                    target.description.clone_from(&description);
                }
                if record.state == KeyState::PendingImport && record.has_current_material() {
                    record.state = KeyState::Enabled;
                }
                Ok(Vec::new())
            })
            .await?;
        if let Some(at) = valid_to {
            let payload = format!("{}/{id}", record.store_key());
            let job_id = format!("{MATERIAL_EXPIRY_JOB}/{payload}");
            self.store.schedule_job(&job_id, MATERIAL_EXPIRY_JOB, at, payload.as_bytes()).await?;
        }
        Ok(KeyMaterialResponse { key_id: Some(record.arn), key_material_id: Some(id) })
    }

    /// DeleteImportedKeyMaterial: the current material, or the one named; without its
    /// current material the key waits for an import again.
    pub async fn delete_imported_key_material(
        &self,
        caller: &Caller,
        input: DeleteImportedKeyMaterialRequest,
    ) -> Result<KeyMaterialResponse, KmsError> {
        let mut v = Validator::new();
        validate::key_id(&mut v, "keyId", &input.key_id, true);
        v.length("keyMaterialId", input.key_material_id.as_ref(), 64, 64);
        v.finish()?;
        let key = self
            .key_for_action(caller, &input.key_id, Operation::DeleteImportedKeyMaterial)
            .await?;
        check_external(&key.record)?;
        Self::check_not_pending_deletion(&key.record)?;
        let wanted = input.key_material_id;
        let mut deleted = None;
        let record = self
            .update_key(&key.record.store_key(), |record, _| {
                Self::check_not_pending_deletion(record)?;
                let id = match &wanted {
                    Some(id) => id.clone(),
                    None => match record.current_version() {
                        Some(current) => current.material_id.clone(),
                        None => return Ok(Vec::new()),
                    },
                };
                let Some(version) = record
                    .versions
                    .iter_mut()
                    .chain(record.pending_import.as_mut())
                    .find(|v| v.material_id == id)
                else {
                    return Err(KmsError::NotFound(format!(
                        "Key material {id} is not associated with {}.",
                        record.arn
                    )));
                };
                forget_material(version);
                deleted = Some(id);
                if !record.has_current_material() {
                    record.state = KeyState::PendingImport;
                }
                Ok(Vec::new())
            })
            .await?;
        Ok(KeyMaterialResponse { key_id: Some(record.arn), key_material_id: deleted })
    }

    /// Job: forget an import token whose life is over.
    pub(super) async fn expire_import_token(&self, token_hex: &str) -> Result<(), KmsError> {
        self.store
            .commit(vec![Write::delete(IMPORT_TOKENS, token_hex, Precondition::None)])
            .await?;
        Ok(())
    }

    /// Job: delete imported material whose ValidTo has passed (payload `KEYID/MATERIALID`).
    pub(super) async fn expire_material(&self, payload: &str) -> Result<(), KmsError> {
        let Some((key_id, id)) = payload.split_once('/') else { return Ok(()) };
        if self.store.get(crate::record::KEYS, key_id).await?.is_none() {
            return Ok(());
        }
        self.update_key(key_id, |record, now| {
            let due = |v: &KeyVersion| {
                v.material_id == id && v.sealed.is_some() && v.valid_to.is_some_and(|at| at <= now)
            };
            // Re-imported material has a later ValidTo (and a job of its own).
            if let Some(version) =
                record.versions.iter_mut().chain(record.pending_import.as_mut()).find(|v| due(v))
            {
                forget_material(version);
                tracing::info!(key = %record.arn, material = id, "imported key material expired");
            }
            if record.state != KeyState::PendingDeletion && !record.has_current_material() {
                record.state = KeyState::PendingImport;
            }
            Ok(Vec::new())
        })
        .await?;
        Ok(())
    }
}

/// Drops a version's sealed material and its import terms; its id stays, so the same
/// material can be imported again.
fn forget_material(version: &mut KeyVersion) {
    version.sealed = None;
    version.expiration_model = None;
    version.valid_to = None;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::HmacSpec;

    #[test]
    fn material_ids_depend_on_key_and_material_only() {
        let material = SecretBytes::from_slice(&[9u8; 32]);
        let id = material_id("key-a", &material);
        assert_eq!(id.len(), 64);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(id, material_id("key-a", &SecretBytes::from_slice(&[9u8; 32])));
        assert_ne!(id, material_id("key-b", &material));
        assert_ne!(id, material_id("key-a", &SecretBytes::from_slice(&[8u8; 32])));
    }

    #[test]
    fn material_must_fit_the_key_spec() {
        let ok = |kind, len| check_material(kind, "S", SecretBytes::random(len)).is_ok();
        assert!(ok(KeyKind::Symmetric, 32));
        assert!(!ok(KeyKind::Symmetric, 16));
        assert!(ok(KeyKind::Hmac(HmacSpec::Sha224), 28));
        assert!(ok(KeyKind::Hmac(HmacSpec::Sha224), 64));
        assert!(!ok(KeyKind::Hmac(HmacSpec::Sha224), 27));
        assert!(!ok(KeyKind::Hmac(HmacSpec::Sha256), 65));
        assert!(ok(KeyKind::Hmac(HmacSpec::Sha512), 128));
        assert!(!ok(KeyKind::Hmac(HmacSpec::Sha512), 63));
        let p256 = PrivateKey::generate(KeyPairSpec::EccNistP256).unwrap();
        let der = p256.to_pkcs8_der().unwrap();
        assert!(check_material(KeyKind::Pair(KeyPairSpec::EccNistP256), "S", der).is_ok());
        let der = p256.to_pkcs8_der().unwrap();
        assert!(check_material(KeyKind::Pair(KeyPairSpec::EccNistP384), "S", der).is_err());
    }
}
