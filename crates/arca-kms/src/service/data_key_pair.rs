//! GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext: a fresh key pair whose
//! private key (PKCS#8 DER) is returned sealed under a symmetric KMS key, and in the
//! clear unless the caller asked for it not to be.

use arca_crypto::{
    SecretBytes,
    asymmetric::{KeyPairSpec, PrivateKey},
};
use arca_gate::Caller;

use super::{KmsService, asymmetric::refuse_recipient, crypto::validate_context};
use crate::{
    KmsError,
    api::{GenerateDataKeyPairRequest, GenerateDataKeyPairResponse},
    operation::Operation,
    spec,
    validate::{self, Validator},
    wire::{Blob, SecretBlob},
};

/// A fresh key pair of `spec` as (PKCS#8 private key, DER public key). RSA generation
/// takes up to seconds, so it runs on the blocking pool.
pub(super) async fn generate_pair(spec: KeyPairSpec) -> Result<(SecretBytes, Vec<u8>), KmsError> {
    tokio::task::spawn_blocking(move || {
        let private = PrivateKey::generate(spec).map_err(|e| KmsError::internal("generate", e))?;
        let pkcs8 = private.to_pkcs8_der().map_err(|_| {
            KmsError::UnsupportedOperation(format!(
                "KeyPairSpec {} is not supported for data key pairs by this server.",
                spec.name()
            ))
        })?;
        let public = private.public_key_der().map_err(|e| KmsError::internal("public key", e))?;
        Ok((pkcs8, public))
    })
    .await
    .map_err(|e| KmsError::internal("generate task", e))?
}

impl KmsService {
    /// GenerateDataKeyPair.
    pub async fn generate_data_key_pair(
        &self,
        caller: &Caller,
        input: GenerateDataKeyPairRequest,
    ) -> Result<GenerateDataKeyPairResponse, KmsError> {
        self.data_key_pair(caller, input, Operation::GenerateDataKeyPair, true).await
    }

    /// GenerateDataKeyPairWithoutPlaintext.
    pub async fn generate_data_key_pair_without_plaintext(
        &self,
        caller: &Caller,
        input: GenerateDataKeyPairRequest,
    ) -> Result<GenerateDataKeyPairResponse, KmsError> {
        self.data_key_pair(caller, input, Operation::GenerateDataKeyPairWithoutPlaintext, false)
            .await
    }

    async fn data_key_pair(
        &self,
        caller: &Caller,
        input: GenerateDataKeyPairRequest,
        operation: Operation,
        return_plaintext: bool,
    ) -> Result<GenerateDataKeyPairResponse, KmsError> {
        let mut v = Validator::new();
        validate_context(&mut v, "encryptionContext", input.encryption_context.as_ref());
        validate::key_id(&mut v, "keyId", &input.key_id, true);
        v.required("keyPairSpec", &input.key_pair_spec);
        v.one_of("keyPairSpec", input.key_pair_spec.as_ref(), spec::DATA_KEY_PAIR_SPECS);
        validate::grant_tokens(&mut v, input.grant_tokens.as_ref());
        v.finish()?;
        super::grants::check_tokens(input.grant_tokens.as_ref())?;
        let context = input.encryption_context.unwrap_or_default();
        let key =
            self.data_key_target(caller, input.key_id.as_deref(), &context, operation).await?;
        refuse_recipient(input.recipient.as_ref())?;
        let name = input.key_pair_spec.unwrap_or_default();
        let pair_spec = KeyPairSpec::from_name(&name).ok_or_else(|| {
            KmsError::UnsupportedOperation(format!(
                "KeyPairSpec {name} is not supported by this server."
            ))
        })?;
        if input.dry_run == Some(true) {
            return Err(KmsError::DryRunOperation);
        }
        let (private, public) = generate_pair(pair_spec).await?;
        let sealed = Self::seal(&key, private.expose_secret(), &context)?;
        self.note_use(&key, operation);
        Ok(GenerateDataKeyPairResponse {
            private_key_ciphertext_blob: Some(Blob(sealed)),
            private_key_plaintext: return_plaintext.then(|| SecretBlob(private)),
            public_key: Some(Blob(public)),
            key_id: Some(key.record.arn.clone()),
            key_pair_spec: Some(name),
            key_material_id: key.record.current_version().map(|v| v.material_id.clone()),
        })
    }
}
