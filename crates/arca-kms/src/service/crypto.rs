//! Cryptographic operations on symmetric keys: Encrypt, Decrypt, ReEncrypt,
//! GenerateDataKey(WithoutPlaintext), GenerateRandom. These are the hot paths: after
//! the first use of a key they touch only the cache.

use arca_crypto::SecretBytes;
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
    cache::CachedKey,
    validate::{self, ENCRYPTION_ALGORITHMS, Validator},
    wire::{Blob, EncryptionContext, SecretBlob},
};

const SYMMETRIC_DEFAULT: &str = "SYMMETRIC_DEFAULT";

fn validate_context(v: &mut Validator, member: &str, context: Option<&EncryptionContext>) {
    for (key, value) in context.into_iter().flatten() {
        v.length(&format!("{member}.key"), Some(key), 1, 8192);
        v.length(&format!("{member}.value"), Some(value), 0, 8192);
    }
}

fn check_algorithm(algorithm: Option<&String>) -> Result<(), KmsError> {
    match algorithm.map(String::as_str) {
        None | Some(SYMMETRIC_DEFAULT) => Ok(()),
        Some(other) => Err(KmsError::InvalidKeyUsage(format!(
            "The encryption algorithm {other} is not supported by symmetric keys."
        ))),
    }
}

impl KmsService {
    /// Seals `plaintext` under the key's current version.
    fn seal(
        key: &CachedKey,
        plaintext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Vec<u8>, KmsError> {
        let version = key.record.current_version().ok_or(KmsError::Internal)?;
        let material = key.materials.get(&version.version).ok_or(KmsError::Internal)?;
        let key_id = uuid::Uuid::parse_str(&key.record.key_id)
            .map_err(|e| KmsError::internal("key id", e))?;
        let mut nonce = [0u8; arca_crypto::aead::NONCE_LEN];
        arca_crypto::random::fill(&mut nonce);
        let mut out = Vec::with_capacity(blob::blob_len(plaintext.len()));
        out.extend_from_slice(&CiphertextBlob::header(key_id, version.version));
        out.extend_from_slice(&nonce);
        let body_start = out.len();
        out.extend_from_slice(plaintext);
        let aad = blob::aad(&key.record.arn, version.version, context);
        let tag = material
            .seal_in_place(&nonce, &aad, &mut out[body_start..])
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
    ) -> Result<std::sync::Arc<CachedKey>, KmsError> {
        let parsed = CiphertextBlob::parse(bytes).ok_or(KmsError::InvalidCiphertext)?;
        let key = match self.load(&parsed.key_id.to_string()).await? {
            Some(key) if key.record.region == caller.region => key,
            _ => return Err(KmsError::InvalidCiphertext),
        };
        if let Some(expected) = expected {
            let named = self.resolve(caller, expected).await?;
            if named.record.key_id != key.record.key_id {
                return Err(KmsError::IncorrectKey);
            }
        }
        Ok(key)
    }

    /// Opens a blob with the key version it names; every failure is the same error.
    fn open(
        key: &CachedKey,
        bytes: &[u8],
        context: &EncryptionContext,
    ) -> Result<(SecretBytes, u32), KmsError> {
        let parsed = CiphertextBlob::parse(bytes).ok_or(KmsError::InvalidCiphertext)?;
        let material = key.materials.get(&parsed.version).ok_or(KmsError::InvalidCiphertext)?;
        let aad = blob::aad(&key.record.arn, parsed.version, context);
        let mut buffer = SecretBytes::from_slice(parsed.sealed);
        let plaintext_len = material
            .open_in_place(&parsed.nonce, &aad, buffer.expose_secret_mut())
            .map_err(|_| KmsError::InvalidCiphertext)?
            .len();
        buffer.expose_secret_mut().truncate(plaintext_len);
        Ok((buffer, parsed.version))
    }

    fn material_id(key: &CachedKey, version: u32) -> Option<String> {
        key.record.versions.iter().find(|v| v.version == version).map(|v| v.material_id.clone())
    }

    /// Encrypt: up to 4096 bytes under a symmetric key.
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
        let context = input.encryption_context.unwrap_or_default();
        let key = self.resolve(caller, input.key_id.as_deref().unwrap_or_default()).await?;
        self.authorize(caller, &key, "kms:Encrypt", Some(&context))?;
        Self::check_usable(&key.record)?;
        check_algorithm(input.encryption_algorithm.as_ref())?;
        if input.dry_run == Some(true) {
            return Err(KmsError::DryRunOperation);
        }
        let plaintext = input.plaintext.unwrap_or_default();
        let blob = Self::seal(&key, plaintext.0.expose_secret(), &context)?;
        Ok(EncryptResponse {
            ciphertext_blob: Some(Blob(blob)),
            key_id: Some(key.record.arn.clone()),
            encryption_algorithm: Some(SYMMETRIC_DEFAULT.into()),
        })
    }

    /// Decrypt: the key comes from the blob; KeyId, when given, must match it.
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
        check_algorithm(input.encryption_algorithm.as_ref())?;
        let context = input.encryption_context.unwrap_or_default();
        let bytes = input.ciphertext_blob.unwrap_or_default().0;
        let key = self.blob_key(caller, &bytes, input.key_id.as_deref()).await?;
        self.authorize(caller, &key, "kms:Decrypt", Some(&context))?;
        Self::check_usable(&key.record)?;
        if input.dry_run == Some(true) {
            return Err(KmsError::DryRunOperation);
        }
        let (plaintext, version) = Self::open(&key, &bytes, &context)?;
        Ok(DecryptResponse {
            key_id: Some(key.record.arn.clone()),
            plaintext: Some(SecretBlob(plaintext)),
            encryption_algorithm: Some(SYMMETRIC_DEFAULT.into()),
            key_material_id: Self::material_id(&key, version),
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
        check_algorithm(input.source_encryption_algorithm.as_ref())?;
        check_algorithm(input.destination_encryption_algorithm.as_ref())?;
        let source_context = input.source_encryption_context.unwrap_or_default();
        let destination_context = input.destination_encryption_context.unwrap_or_default();
        let bytes = input.ciphertext_blob.unwrap_or_default().0;
        let source = self.blob_key(caller, &bytes, input.source_key_id.as_deref()).await?;
        self.authorize(caller, &source, "kms:ReEncryptFrom", Some(&source_context))?;
        let destination =
            self.resolve(caller, input.destination_key_id.as_deref().unwrap_or_default()).await?;
        self.authorize(caller, &destination, "kms:ReEncryptTo", Some(&destination_context))?;
        Self::check_usable(&source.record)?;
        Self::check_usable(&destination.record)?;
        if input.dry_run == Some(true) {
            return Err(KmsError::DryRunOperation);
        }
        let (plaintext, source_version) = Self::open(&source, &bytes, &source_context)?;
        let blob = Self::seal(&destination, plaintext.expose_secret(), &destination_context)?;
        Ok(ReEncryptResponse {
            ciphertext_blob: Some(Blob(blob)),
            source_key_id: Some(source.record.arn.clone()),
            key_id: Some(destination.record.arn.clone()),
            source_encryption_algorithm: Some(SYMMETRIC_DEFAULT.into()),
            destination_encryption_algorithm: Some(SYMMETRIC_DEFAULT.into()),
            source_key_material_id: Self::material_id(&source, source_version),
            destination_key_material_id: destination
                .record
                .current_version()
                .map(|v| v.material_id.clone()),
        })
    }

    /// GenerateDataKey.
    pub async fn generate_data_key(
        &self,
        caller: &Caller,
        input: GenerateDataKeyRequest,
    ) -> Result<GenerateDataKeyResponse, KmsError> {
        self.data_key(caller, input, "kms:GenerateDataKey", true).await
    }

    /// GenerateDataKeyWithoutPlaintext.
    pub async fn generate_data_key_without_plaintext(
        &self,
        caller: &Caller,
        input: GenerateDataKeyRequest,
    ) -> Result<GenerateDataKeyResponse, KmsError> {
        self.data_key(caller, input, "kms:GenerateDataKeyWithoutPlaintext", false).await
    }

    async fn data_key(
        &self,
        caller: &Caller,
        input: GenerateDataKeyRequest,
        action: &str,
        return_plaintext: bool,
    ) -> Result<GenerateDataKeyResponse, KmsError> {
        let mut v = Validator::new();
        validate::key_id(&mut v, "keyId", &input.key_id, true);
        validate_context(&mut v, "encryptionContext", input.encryption_context.as_ref());
        v.range("numberOfBytes", input.number_of_bytes, 1, 1024);
        v.one_of("keySpec", input.key_spec.as_ref(), &["AES_256", "AES_128"]);
        validate::grant_tokens(&mut v, input.grant_tokens.as_ref());
        v.finish()?;
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
        let key = self.resolve(caller, input.key_id.as_deref().unwrap_or_default()).await?;
        self.authorize(caller, &key, action, Some(&context))?;
        Self::check_usable(&key.record)?;
        if input.dry_run == Some(true) {
            return Err(KmsError::DryRunOperation);
        }
        let data_key = SecretBytes::random(length);
        let blob = Self::seal(&key, data_key.expose_secret(), &context)?;
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
        self.authorize_account(caller, "kms:GenerateRandom")?;
        if input.custom_key_store_id.is_some() {
            return Err(KmsError::UnsupportedOperation(
                "Custom key stores are not supported yet.".into(),
            ));
        }
        let length = input.number_of_bytes.unwrap_or(32) as usize;
        Ok(GenerateRandomResponse { plaintext: Some(SecretBlob(SecretBytes::random(length))) })
    }
}
