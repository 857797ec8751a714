//! Encryption operations: Encrypt, Decrypt, ReEncrypt (under symmetric keys and RSA
//! ENCRYPT_DECRYPT keys), GenerateDataKey(WithoutPlaintext), GenerateRandom. These are
//! the hot paths: after the first use of a key they touch only the cache.

use std::sync::Arc;

use arca_crypto::{SecretBytes, rsa::RsaPadding};
use arca_gate::Caller;

use super::KmsService;
use crate::{
    KmsError,
    api::{
        DecryptRequest, DecryptResponse, EncryptRequest, EncryptResponse, GenerateDataKeyRequest,
        GenerateDataKeyResponse, GenerateRandomRequest, GenerateRandomResponse, ReEncryptRequest,
        ReEncryptResponse,
    },
    blob::{self, CiphertextBlob},
    cache::{CachedKey, VersionMaterial},
    operation::Operation,
    record::store_key,
    spec::{self, KeyKind, SYMMETRIC_DEFAULT},
    validate::{self, ENCRYPTION_ALGORITHMS, Validator},
    wire::{Blob, EncryptionContext, SecretBlob},
};

/// The most bytes (UTF-8, keys and values together) an encryption context may hold,
/// as AWS KMS bounds it: it travels in every audit record and is matched against key
/// policy conditions on every request.
pub(crate) const MAX_CONTEXT_BYTES: usize = 8192;
/// The most pairs an encryption context may hold (Arca's bound: each pair is a
/// condition key of its own).
pub(crate) const MAX_CONTEXT_PAIRS: usize = 64;

pub(super) fn validate_context(
    v: &mut Validator,
    member: &str,
    context: Option<&EncryptionContext>,
) {
    let Some(context) = context else { return };
    if context.len() > MAX_CONTEXT_PAIRS {
        v.constraint(
            member,
            &format!("Member must have at most {MAX_CONTEXT_PAIRS} key-value pairs"),
        );
        return;
    }
    let size: usize = context.iter().map(|(key, value)| key.len() + value.len()).sum();
    if size > MAX_CONTEXT_BYTES {
        v.constraint(
            member,
            &format!(
                "Member must have a total size of keys and values less than or equal to {MAX_CONTEXT_BYTES} bytes"
            ),
        );
        return;
    }
    for (key, value) in context {
        v.length(&format!("{member}.key"), Some(key), 1, 8192);
        v.length(&format!("{member}.value"), Some(value), 0, 8192);
    }
}

/// How a key encrypts for one request: Arca's blob format under a symmetric key, or
/// RSA-OAEP under an RSA ENCRYPT_DECRYPT key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sealing {
    Symmetric,
    Oaep(RsaPadding),
}

/// Checks that `key` can encrypt or decrypt (`operation_name`) with `algorithm` and
/// the request's encryption context, and says how.
fn sealing(
    key: &CachedKey,
    algorithm: Option<&String>,
    context: &EncryptionContext,
    operation_name: &str,
) -> Result<Sealing, KmsError> {
    let record = &key.record;
    let kind = record.kind().ok_or(KmsError::Internal)?;
    if record.key_usage != spec::ENCRYPT_DECRYPT {
        return Err(KmsError::InvalidKeyUsage(format!(
            "{} key usage is {} which is not valid for {operation_name}.",
            record.arn, record.key_usage
        )));
    }
    let algorithm = algorithm.map(String::as_str).unwrap_or(SYMMETRIC_DEFAULT);
    match kind {
        KeyKind::Symmetric if algorithm == SYMMETRIC_DEFAULT => Ok(Sealing::Symmetric),
        KeyKind::Symmetric => Err(KmsError::InvalidKeyUsage(format!(
            "The encryption algorithm {algorithm} is not supported by symmetric keys."
        ))),
        _ => match spec::oaep_padding(algorithm) {
            // An encryption context is bound only by symmetric encryption.
            Some(_) if !context.is_empty() => Err(KmsError::Validation(
                "EncryptionContext is not supported with asymmetric KMS keys.".into(),
            )),
            Some(padding) if kind.is_rsa() => Ok(Sealing::Oaep(padding)),
            _ => Err(KmsError::InvalidKeyUsage(format!(
                "The encryption algorithm {algorithm} is not supported by key spec {}.",
                record.key_spec
            ))),
        },
    }
}

/// The padding of an RSA sealing, `None` for the symmetric one.
fn sealing_padding(sealing: Sealing) -> Option<RsaPadding> {
    match sealing {
        Sealing::Symmetric => None,
        Sealing::Oaep(padding) => Some(padding),
    }
}

impl KmsService {
    /// Seals `plaintext` under the key's current version, with a data key of its own
    /// (blob format 2: HKDF from the version's material and a random salt).
    pub(super) fn seal(
        key: &CachedKey,
        plaintext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Vec<u8>, KmsError> {
        let version = key.record.current_version().ok_or(KmsError::Internal)?;
        let material = key.materials.get(&version.version).ok_or(KmsError::Internal)?;
        let key_id = blob::key_uuid(&key.record.key_id)
            .ok_or_else(|| KmsError::internal("key id", &key.record.key_id))?;
        // Salt and nonce from one call to the generator (this is the hot path).
        let mut random = [0u8; blob::SALT_LEN + arca_crypto::aead::NONCE_LEN];
        arca_crypto::random::fill(&mut random);
        let (salt, nonce) = random.split_at(blob::SALT_LEN);
        let salt: &[u8; blob::SALT_LEN] = salt.try_into().map_err(|_| KmsError::Internal)?;
        let nonce: &[u8; arca_crypto::aead::NONCE_LEN] =
            nonce.try_into().map_err(|_| KmsError::Internal)?;
        let header = CiphertextBlob::header(key_id, version.version, salt);
        let data_key = material.data_key(salt, &header)?;
        let mut out = Vec::with_capacity(blob::blob_len(plaintext.len()));
        out.extend_from_slice(&header);
        out.extend_from_slice(nonce);
        let body_start = out.len();
        out.extend_from_slice(plaintext);
        let aad = blob::aad_v2(&header, &key.record.ciphertext_binding(), context);
        let tag = data_key
            .seal_in_place(nonce, &aad, &mut out[body_start..])
            .map_err(|e| KmsError::internal("seal", e))?;
        out.extend_from_slice(&tag);
        Ok(out)
    }

    /// Finds the key a blob names and checks the caller's expectations, without
    /// opening it yet (authorisation comes first).
    async fn blob_key(
        &self,
        caller: &Caller,
        bytes: &[u8],
        expected: Option<&str>,
        operation: Operation,
    ) -> Result<std::sync::Arc<CachedKey>, KmsError> {
        let parsed = CiphertextBlob::parse(bytes).ok_or(KmsError::InvalidCiphertext)?;
        let stored_as = store_key(&blob::key_id_of(parsed.key_id), caller.region());
        let key = match self.load(&stored_as).await? {
            Some(key) if key.record.region == caller.region() => key,
            _ => return Err(KmsError::InvalidCiphertext),
        };
        if let Some(expected) = expected {
            let named = self.resolve(caller, expected, operation).await?;
            if named.record.key_id != key.record.key_id {
                return Err(KmsError::IncorrectKey);
            }
        }
        Ok(key)
    }

    /// Opens a blob of either format with the key version it names; every failure is
    /// the same error.
    fn open(
        key: &CachedKey,
        bytes: &[u8],
        context: &EncryptionContext,
    ) -> Result<(SecretBytes, u32), KmsError> {
        let parsed = CiphertextBlob::parse(bytes).ok_or(KmsError::InvalidCiphertext)?;
        let material = key.materials.get(&parsed.version).ok_or(KmsError::InvalidCiphertext)?;
        let mut buffer = SecretBytes::from_slice(parsed.sealed);
        let opened = match parsed.salt {
            Some(salt) => {
                let data_key = material
                    .data_key(&salt, parsed.header)
                    .map_err(|_| KmsError::InvalidCiphertext)?;
                let aad = blob::aad_v2(parsed.header, &key.record.ciphertext_binding(), context);
                data_key.open_in_place(&parsed.nonce, &aad, buffer.expose_secret_mut())
            }
            None => {
                let aad = blob::aad(&key.record.ciphertext_binding(), parsed.version, context);
                material.v1_key().ok_or(KmsError::InvalidCiphertext)?.open_in_place(
                    &parsed.nonce,
                    &aad,
                    buffer.expose_secret_mut(),
                )
            }
        };
        let plaintext_len = opened.map_err(|_| KmsError::InvalidCiphertext)?.len();
        buffer.expose_secret_mut().truncate(plaintext_len);
        Ok((buffer, parsed.version))
    }

    fn material_id(key: &CachedKey, version: u32) -> Option<String> {
        key.record.versions.iter().find(|v| v.version == version).map(|v| v.material_id.clone())
    }

    /// The key of the version that encrypts now, as a key pair.
    pub(super) fn current_material(key: &CachedKey) -> Result<&VersionMaterial, KmsError> {
        let version = key.record.current_version().ok_or(KmsError::Internal)?;
        key.materials.get(&version.version).ok_or(KmsError::Internal)
    }

    /// Refuses a plaintext longer than RSA-OAEP takes with this key and padding, in
    /// AWS's words.
    fn check_fits(key: &CachedKey, sealing: Sealing, length: usize) -> Result<(), KmsError> {
        let Sealing::Oaep(padding) = sealing else { return Ok(()) };
        let spec = key.record.kind().and_then(|kind| match kind {
            KeyKind::Pair(spec) => Some(spec),
            _ => None,
        });
        let max = spec
            .and_then(|spec| arca_crypto::asymmetric::max_oaep_plaintext(spec, padding))
            .ok_or(KmsError::Internal)?;
        if length > max {
            return Err(KmsError::Validation(format!(
                "Algorithm {} and key spec {} cannot encrypt data larger than {max} bytes.",
                spec::oaep_name(padding),
                key.record.key_spec
            )));
        }
        Ok(())
    }

    /// Encrypts `plaintext` the way `sealing` says.
    fn seal_for(
        key: &CachedKey,
        sealing: Sealing,
        plaintext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Vec<u8>, KmsError> {
        match sealing {
            Sealing::Symmetric => Self::seal(key, plaintext, context),
            Sealing::Oaep(padding) => {
                Self::check_fits(key, sealing, plaintext.len())?;
                let (_, public_der) =
                    Self::current_material(key)?.pair().ok_or(KmsError::Internal)?;
                arca_crypto::asymmetric::encrypt(public_der, padding, plaintext)
                    .map_err(|e| KmsError::internal("rsa encrypt", e))
            }
        }
    }

    /// Finds and authorises the key that decrypts a Decrypt or ReEncrypt source: the
    /// one an Arca blob names or, for RSA-OAEP, the one KeyId names (an RSA ciphertext
    /// carries no key id).
    #[allow(clippy::too_many_arguments)]
    async fn source_key(
        &self,
        caller: &Caller,
        bytes: &[u8],
        key_id: Option<&str>,
        algorithm: Option<&String>,
        context: &EncryptionContext,
        operation: Operation,
        operation_name: &str,
    ) -> Result<(Arc<CachedKey>, Sealing), KmsError> {
        let asymmetric = algorithm.is_some_and(|name| name != SYMMETRIC_DEFAULT);
        let key = match key_id {
            Some(key_id) if asymmetric => self.resolve(caller, key_id, operation).await?,
            None if asymmetric => {
                return Err(KmsError::Validation(
                    "KeyId is required for asymmetric decryption.".into(),
                ));
            }
            _ => self.blob_key(caller, bytes, key_id, operation).await?,
        };
        self.authorize(caller, &key, operation, Some(context))?;
        Self::check_usable(&key.record)?;
        let sealing = sealing(&key, algorithm, context, operation_name)?;
        Ok((key, sealing))
    }

    /// Decrypts with a key [`Self::source_key`] found; the version is `None` for RSA.
    async fn open_with(
        key: &Arc<CachedKey>,
        sealing: Sealing,
        bytes: Vec<u8>,
        context: &EncryptionContext,
    ) -> Result<(SecretBytes, Option<u32>), KmsError> {
        match sealing {
            Sealing::Symmetric => Self::open(key, &bytes, context)
                .map(|(plaintext, version)| (plaintext, Some(version))),
            Sealing::Oaep(padding) => {
                let plaintext = Self::with_private_key(key, move |private| {
                    private
                        .decrypt(padding, &bytes)
                        // AWS's RSAES_OAEP_SHA_1 also opens SHA-256 OAEP ciphertexts
                        // (LocalStack's AWS-validated test_symmetric_encrypt_offline_
                        // decrypt_online encrypts with SHA-256 and decrypts with SHA_1).
                        .or_else(|_| match padding {
                            RsaPadding::OaepSha1 => private.decrypt(RsaPadding::OaepSha256, &bytes),
                            _ => Err(arca_crypto::CryptoError::AuthenticationFailed),
                        })
                        .map_err(|_| KmsError::InvalidCiphertext)
                })
                .await?;
                Ok((plaintext, None))
            }
        }
    }

    /// Encrypt: up to 4096 bytes under a symmetric key, or what RSA-OAEP takes under an
    /// RSA key.
    pub async fn encrypt(
        &self,
        caller: &Caller,
        input: EncryptRequest,
    ) -> Result<EncryptResponse, KmsError> {
        let mut v = Validator::new();
        validate::key_id(&mut v, "keyId", &input.key_id, true);
        v.required("plaintext", &input.plaintext);
        v.secret_length("plaintext", input.plaintext.as_ref().map(|p| p.0.len()), 1, 4096);
        validate_context(&mut v, "encryptionContext", input.encryption_context.as_ref());
        validate::grant_tokens(&mut v, input.grant_tokens.as_ref());
        v.one_of("encryptionAlgorithm", input.encryption_algorithm.as_ref(), ENCRYPTION_ALGORITHMS);
        v.finish()?;
        super::grants::check_tokens(input.grant_tokens.as_ref())?;
        let context = input.encryption_context.unwrap_or_default();
        let key = self
            .authorized_key(
                caller,
                input.key_id.as_deref().unwrap_or_default(),
                Operation::Encrypt,
                Some(&context),
            )
            .await?;
        Self::check_usable(&key.record)?;
        let sealing = sealing(&key, input.encryption_algorithm.as_ref(), &context, "Encrypt")?;
        let plaintext = input.plaintext.unwrap_or_default();
        Self::check_fits(&key, sealing, plaintext.0.len())?;
        if input.dry_run == Some(true) {
            return Err(KmsError::DryRunOperation);
        }
        let blob = Self::seal_for(&key, sealing, plaintext.0.expose_secret(), &context)?;
        self.note_use(&key, Operation::Encrypt);
        Ok(EncryptResponse {
            ciphertext_blob: Some(Blob(blob)),
            key_id: Some(key.record.arn.clone()),
            encryption_algorithm: Some(spec::algorithm_name(sealing_padding(sealing)).into()),
        })
    }

    /// Decrypt: the key comes from the blob; KeyId, when given, must match it. RSA
    /// ciphertexts need KeyId and the algorithm.
    pub async fn decrypt(
        &self,
        caller: &Caller,
        input: DecryptRequest,
    ) -> Result<DecryptResponse, KmsError> {
        let mut v = Validator::new();
        v.required("ciphertextBlob", &input.ciphertext_blob);
        v.blob_length("ciphertextBlob", input.ciphertext_blob.as_ref().map(|b| b.0.len()), 1, 6144);
        validate_context(&mut v, "encryptionContext", input.encryption_context.as_ref());
        validate::key_id(&mut v, "keyId", &input.key_id, false);
        validate::grant_tokens(&mut v, input.grant_tokens.as_ref());
        v.one_of("encryptionAlgorithm", input.encryption_algorithm.as_ref(), ENCRYPTION_ALGORITHMS);
        v.finish()?;
        super::grants::check_tokens(input.grant_tokens.as_ref())?;
        let context = input.encryption_context.unwrap_or_default();
        let bytes = input.ciphertext_blob.unwrap_or_default().0;
        let (key, sealing) = self
            .source_key(
                caller,
                &bytes,
                input.key_id.as_deref(),
                input.encryption_algorithm.as_ref(),
                &context,
                Operation::Decrypt,
                "Decrypt",
            )
            .await?;
        if input.dry_run == Some(true) {
            return Err(KmsError::DryRunOperation);
        }
        let (plaintext, version) = Self::open_with(&key, sealing, bytes, &context).await?;
        self.note_use(&key, Operation::Decrypt);
        Ok(DecryptResponse {
            key_id: Some(key.record.arn.clone()),
            plaintext: Some(SecretBlob(plaintext)),
            encryption_algorithm: Some(spec::algorithm_name(sealing_padding(sealing)).into()),
            key_material_id: version.and_then(|version| Self::material_id(&key, version)),
        })
    }

    /// ReEncrypt: decrypt under the source key and encrypt under the destination key,
    /// without the plaintext leaving the service.
    pub async fn re_encrypt(
        &self,
        caller: &Caller,
        input: ReEncryptRequest,
    ) -> Result<ReEncryptResponse, KmsError> {
        let mut v = Validator::new();
        v.required("ciphertextBlob", &input.ciphertext_blob);
        v.blob_length("ciphertextBlob", input.ciphertext_blob.as_ref().map(|b| b.0.len()), 1, 6144);
        validate_context(
            &mut v,
            "sourceEncryptionContext",
            input.source_encryption_context.as_ref(),
        );
        validate_context(
            &mut v,
            "destinationEncryptionContext",
            input.destination_encryption_context.as_ref(),
        );
        validate::key_id(&mut v, "sourceKeyId", &input.source_key_id, false);
        validate::key_id(&mut v, "destinationKeyId", &input.destination_key_id, true);
        v.one_of(
            "sourceEncryptionAlgorithm",
            input.source_encryption_algorithm.as_ref(),
            ENCRYPTION_ALGORITHMS,
        );
        v.one_of(
            "destinationEncryptionAlgorithm",
            input.destination_encryption_algorithm.as_ref(),
            ENCRYPTION_ALGORITHMS,
        );
        validate::grant_tokens(&mut v, input.grant_tokens.as_ref());
        v.finish()?;
        super::grants::check_tokens(input.grant_tokens.as_ref())?;
        let source_context = input.source_encryption_context.unwrap_or_default();
        let destination_context = input.destination_encryption_context.unwrap_or_default();
        let bytes = input.ciphertext_blob.unwrap_or_default().0;
        let (source, source_sealing) = self
            .source_key(
                caller,
                &bytes,
                input.source_key_id.as_deref(),
                input.source_encryption_algorithm.as_ref(),
                &source_context,
                Operation::ReEncryptFrom,
                "ReEncrypt",
            )
            .await?;
        let destination = self
            .authorized_key(
                caller,
                input.destination_key_id.as_deref().unwrap_or_default(),
                Operation::ReEncryptTo,
                Some(&destination_context),
            )
            .await?;
        Self::check_usable(&destination.record)?;
        let destination_sealing = sealing(
            &destination,
            input.destination_encryption_algorithm.as_ref(),
            &destination_context,
            "ReEncrypt",
        )?;
        if input.dry_run == Some(true) {
            return Err(KmsError::DryRunOperation);
        }
        let (plaintext, source_version) =
            Self::open_with(&source, source_sealing, bytes, &source_context).await?;
        let blob = Self::seal_for(
            &destination,
            destination_sealing,
            plaintext.expose_secret(),
            &destination_context,
        )?;
        let destination_version = match destination_sealing {
            Sealing::Symmetric => {
                destination.record.current_version().map(|v| v.material_id.clone())
            }
            Sealing::Oaep(_) => None,
        };
        self.note_use(&source, Operation::ReEncryptFrom);
        self.note_use(&destination, Operation::ReEncryptTo);
        Ok(ReEncryptResponse {
            ciphertext_blob: Some(Blob(blob)),
            source_key_id: Some(source.record.arn.clone()),
            key_id: Some(destination.record.arn.clone()),
            source_encryption_algorithm: Some(
                spec::algorithm_name(sealing_padding(source_sealing)).into(),
            ),
            destination_encryption_algorithm: Some(
                spec::algorithm_name(sealing_padding(destination_sealing)).into(),
            ),
            source_key_material_id: source_version
                .and_then(|version| Self::material_id(&source, version)),
            destination_key_material_id: destination_version,
        })
    }

    /// The key a data key operation seals under: resolved, authorised with the
    /// request's encryption context, enabled, and a symmetric encryption key.
    pub(super) async fn data_key_target(
        &self,
        caller: &Caller,
        key_id: Option<&str>,
        context: &EncryptionContext,
        operation: Operation,
    ) -> Result<Arc<CachedKey>, KmsError> {
        let key = self
            .authorized_key(caller, key_id.unwrap_or_default(), operation, Some(context))
            .await?;
        Self::check_usable(&key.record)?;
        Self::check_symmetric(&key, operation)?;
        Ok(key)
    }

    /// Refuses a key that cannot seal Arca blobs (for the data key operations).
    fn check_symmetric(key: &CachedKey, operation: Operation) -> Result<(), KmsError> {
        let record = &key.record;
        let name = operation.name();
        if record.key_usage != spec::ENCRYPT_DECRYPT {
            return Err(KmsError::InvalidKeyUsage(format!(
                "{} key usage is {} which is not valid for {name}.",
                record.arn, record.key_usage
            )));
        }
        if record.kind() != Some(KeyKind::Symmetric) {
            return Err(KmsError::InvalidKeyUsage(format!(
                "{} key spec is {} which is not valid for {name}.",
                record.arn, record.key_spec
            )));
        }
        Ok(())
    }

    /// GenerateDataKey.
    pub async fn generate_data_key(
        &self,
        caller: &Caller,
        input: GenerateDataKeyRequest,
    ) -> Result<GenerateDataKeyResponse, KmsError> {
        self.data_key(caller, input, Operation::GenerateDataKey, true).await
    }

    /// GenerateDataKeyWithoutPlaintext.
    pub async fn generate_data_key_without_plaintext(
        &self,
        caller: &Caller,
        input: GenerateDataKeyRequest,
    ) -> Result<GenerateDataKeyResponse, KmsError> {
        self.data_key(caller, input, Operation::GenerateDataKeyWithoutPlaintext, false).await
    }

    async fn data_key(
        &self,
        caller: &Caller,
        input: GenerateDataKeyRequest,
        operation: Operation,
        return_plaintext: bool,
    ) -> Result<GenerateDataKeyResponse, KmsError> {
        let mut v = Validator::new();
        validate::key_id(&mut v, "keyId", &input.key_id, true);
        validate_context(&mut v, "encryptionContext", input.encryption_context.as_ref());
        v.range("numberOfBytes", input.number_of_bytes, 1, 1024);
        v.one_of("keySpec", input.key_spec.as_ref(), &["AES_256", "AES_128"]);
        validate::grant_tokens(&mut v, input.grant_tokens.as_ref());
        v.finish()?;
        super::grants::check_tokens(input.grant_tokens.as_ref())?;
        let length = match (input.number_of_bytes, input.key_spec.as_deref()) {
            (Some(_), Some(_)) => {
                return Err(KmsError::Validation(
                    "Please specify either number of bytes or key spec, but not both.".into(),
                ));
            }
            (None, None) => {
                return Err(KmsError::Validation(
                    "Please specify either number of bytes or key spec.".into(),
                ));
            }
            (Some(bytes), None) => bytes as usize,
            (None, Some("AES_128")) => 16,
            (None, Some(_)) => 32,
        };
        let context = input.encryption_context.unwrap_or_default();
        let key =
            self.data_key_target(caller, input.key_id.as_deref(), &context, operation).await?;
        if input.dry_run == Some(true) {
            return Err(KmsError::DryRunOperation);
        }
        let data_key = SecretBytes::random(length);
        let blob = Self::seal(&key, data_key.expose_secret(), &context)?;
        self.note_use(&key, operation);
        Ok(GenerateDataKeyResponse {
            ciphertext_blob: Some(Blob(blob)),
            plaintext: return_plaintext.then(|| SecretBlob(data_key)),
            key_id: Some(key.record.arn.clone()),
            key_material_id: key.record.current_version().map(|v| v.material_id.clone()),
        })
    }

    /// GenerateRandom.
    pub async fn generate_random(
        &self,
        caller: &Caller,
        input: GenerateRandomRequest,
    ) -> Result<GenerateRandomResponse, KmsError> {
        let mut v = Validator::new();
        v.range("numberOfBytes", input.number_of_bytes, 1, 1024);
        v.length("customKeyStoreId", input.custom_key_store_id.as_ref(), 1, 64);
        v.finish()?;
        // Optional in the model, required by the service (AWS's recorded answer).
        let Some(number_of_bytes) = input.number_of_bytes else {
            return Err(KmsError::Validation("NumberOfBytes is required.".into()));
        };
        self.authorize_account(caller, Operation::GenerateRandom)?;
        if input.custom_key_store_id.is_some() {
            return Err(KmsError::UnsupportedOperation(
                "Custom key stores are not supported yet.".into(),
            ));
        }
        let length = number_of_bytes as usize;
        Ok(GenerateRandomResponse { plaintext: Some(SecretBlob(SecretBytes::random(length))) })
    }
}

#[cfg(test)]
mod tests {
    use std::{collections::BTreeMap, sync::Arc};

    use arca_policy::Policy;
    use arca_seal::SealedBytes;

    use super::*;
    use crate::{
        cache::VersionMaterial,
        record::{KeyManager, KeyRecord, KeyState, KeyVersion, Rotation},
    };

    const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";
    const ARN: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const MATERIAL: [u8; 32] = [7u8; 32];

    fn key() -> CachedKey {
        let record = KeyRecord {
            key_id: KEY_ID.into(),
            arn: ARN.into(),
            account_id: "111122223333".into(),
            region: "us-east-1".into(),
            creation_date: 0,
            description: String::new(),
            key_usage: "ENCRYPT_DECRYPT".into(),
            key_spec: "SYMMETRIC_DEFAULT".into(),
            origin: "AWS_KMS".into(),
            key_manager: KeyManager::Customer,
            state: KeyState::Enabled,
            deletion_date: None,
            pending_window_days: None,
            policy: crate::default_key_policy("111122223333"),
            tags: Vec::new(),
            rotation: Rotation::default(),
            versions: vec![KeyVersion::new(
                1,
                "00".repeat(32),
                0,
                SealedBytes::from_vec(Vec::new()),
            )],
            pending_import: None,
            multi_region: None,
        };
        let policy =
            Policy::parse_resource(&record.policy, arca_policy::MAX_KEY_POLICY_SIZE).unwrap();
        let mut materials = BTreeMap::new();
        materials.insert(1, VersionMaterial::new(SecretBytes::from_slice(&MATERIAL)).unwrap());
        CachedKey::new(record, Arc::new(policy), materials)
    }

    fn context(pairs: &[(&str, &str)]) -> EncryptionContext {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// A blob in the original format, sealed as the code before format 2 sealed it:
    /// directly under the version's material.
    fn v1_blob(plaintext: &[u8], context: &EncryptionContext) -> Vec<u8> {
        let material = arca_crypto::aead::AesGcmKey::from_bytes(&MATERIAL).unwrap();
        let nonce = [3u8; 12];
        let mut out = CiphertextBlob::header_v1(uuid::Uuid::parse_str(KEY_ID).unwrap(), 1).to_vec();
        out.extend_from_slice(&nonce);
        let start = out.len();
        out.extend_from_slice(plaintext);
        let tag =
            material.seal_in_place(&nonce, &blob::aad(ARN, 1, context), &mut out[start..]).unwrap();
        out.extend_from_slice(&tag);
        out
    }

    #[test]
    fn seals_format_2_with_a_fresh_salt_each_time() {
        let key = key();
        let context = context(&[("tenant", "red")]);
        let one = KmsService::seal(&key, b"same plaintext", &context).unwrap();
        let two = KmsService::seal(&key, b"same plaintext", &context).unwrap();
        assert_eq!(one[0], blob::FORMAT_V2);
        assert_eq!(one.len(), blob::blob_len(14));
        assert_ne!(one, two);
        assert_ne!(
            CiphertextBlob::parse(&one).unwrap().salt,
            CiphertextBlob::parse(&two).unwrap().salt
        );
        for sealed in [&one, &two] {
            let (plaintext, version) = KmsService::open(&key, sealed, &context).unwrap();
            assert_eq!((plaintext.expose_secret(), version), (&b"same plaintext"[..], 1));
        }
    }

    #[test]
    fn still_opens_format_1_blobs() {
        let key = key();
        let context = context(&[("purpose", "old")]);
        let old = v1_blob(b"written before format 2", &context);
        let (plaintext, version) = KmsService::open(&key, &old, &context).unwrap();
        assert_eq!((plaintext.expose_secret(), version), (&b"written before format 2"[..], 1));
        assert!(matches!(
            KmsService::open(&key, &old, &EncryptionContext::new()),
            Err(KmsError::InvalidCiphertext)
        ));
    }

    /// Every way a blob can be wrong is the same opaque error.
    #[test]
    fn every_tampering_is_invalid_ciphertext() {
        let key = key();
        let context = context(&[("k", "v")]);
        let good = KmsService::seal(&key, b"secret", &context).unwrap();
        let salt_at = 21;
        let mut cases = Vec::new();
        for index in [0, 1, 17, 20, salt_at, salt_at + 31, blob::HEADER_V2_LEN, good.len() - 1] {
            let mut bad = good.clone();
            bad[index] ^= 1;
            cases.push(bad);
        }
        // A format 2 body relabelled as format 1 (without its salt).
        let mut relabelled = good.clone();
        relabelled[0] = blob::FORMAT_V1;
        relabelled.drain(21..21 + blob::SALT_LEN);
        cases.push(relabelled);
        cases.push(good[..good.len() - 1].to_vec());
        for bad in &cases {
            assert!(matches!(
                KmsService::open(&key, bad, &context),
                Err(KmsError::InvalidCiphertext)
            ));
        }
        assert!(matches!(
            KmsService::open(&key, &good, &self::context(&[("k", "w")])),
            Err(KmsError::InvalidCiphertext)
        ));
    }

    #[test]
    fn encryption_context_size_is_bounded() {
        let mut v = Validator::new();
        let big: EncryptionContext = context(&[("a", &"x".repeat(MAX_CONTEXT_BYTES))]);
        validate_context(&mut v, "encryptionContext", Some(&big));
        let message = v.finish().unwrap_err().to_string();
        assert!(message.contains("total size"), "{message}");

        let mut v = Validator::new();
        let many: EncryptionContext =
            (0..=MAX_CONTEXT_PAIRS).map(|i| (format!("k{i}"), String::new())).collect();
        validate_context(&mut v, "encryptionContext", Some(&many));
        assert!(v.finish().is_err());

        let mut v = Validator::new();
        let fits: EncryptionContext =
            (0..MAX_CONTEXT_PAIRS).map(|i| (format!("k{i:03}"), "v".repeat(100))).collect();
        validate_context(&mut v, "encryptionContext", Some(&fits));
        assert!(v.finish().is_ok());
    }
}
