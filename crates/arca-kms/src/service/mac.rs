//! GenerateMac and VerifyMac with HMAC keys. Verification compares in constant time
//! (inside aws-lc).

use std::sync::Arc;

use arca_gate::Caller;

use super::{KmsService, asymmetric::check_usage};
use crate::{
    KmsError,
    api::{GenerateMacRequest, GenerateMacResponse, VerifyMacRequest, VerifyMacResponse},
    cache::CachedKey,
    operation::Operation,
    spec::{self, HmacSpec, KeyKind},
    validate::{self, Validator},
    wire::{Blob, SecretBlob},
};

/// The key's HMAC spec, checked against the requested algorithm, in AWS's words.
fn hmac_spec(key: &CachedKey, algorithm: &str) -> Result<HmacSpec, KmsError> {
    match key.record.kind() {
        Some(KeyKind::Hmac(spec)) if spec.algorithm() == algorithm => Ok(spec),
        _ => Err(KmsError::InvalidKeyUsage(format!(
            "Algorithm {algorithm} is incompatible with key spec {}.",
            key.record.key_spec
        ))),
    }
}

impl KmsService {
    /// The HMAC key of the key's current version.
    fn hmac_key(key: &CachedKey) -> Result<&[u8], KmsError> {
        let secret = Self::current_material(key)?.hmac_key().ok_or(KmsError::Internal)?;
        Ok(secret.expose_secret())
    }

    /// The prologue of GenerateMac and VerifyMac: validate (`more` adds the operation's
    /// own members), resolve, authorise, and check the key, its usage and the algorithm.
    #[allow(clippy::too_many_arguments)]
    async fn mac_key(
        &self,
        caller: &Caller,
        key_id: &Option<String>,
        message: &Option<SecretBlob>,
        algorithm: &Option<String>,
        grant_tokens: Option<&Vec<String>>,
        more: impl FnOnce(&mut Validator),
        operation: Operation,
    ) -> Result<(Arc<CachedKey>, HmacSpec), KmsError> {
        let mut v = Validator::new();
        v.required("message", message);
        v.secret_length("message", message.as_ref().map(|m| m.0.len()), 1, 4096);
        validate::key_id(&mut v, "keyId", key_id, true);
        v.required("macAlgorithm", algorithm);
        v.one_of("macAlgorithm", algorithm.as_ref(), spec::MAC_ALGORITHMS);
        more(&mut v);
        validate::grant_tokens(&mut v, grant_tokens);
        v.finish()?;
        super::grants::check_tokens(grant_tokens)?;
        let key = self.key_for_action(caller, key_id, operation).await?;
        Self::check_usable(&key.record)?;
        check_usage(&key, spec::GENERATE_VERIFY_MAC, operation)?;
        let spec = hmac_spec(&key, algorithm.as_deref().unwrap_or_default())?;
        Ok((key, spec))
    }

    /// GenerateMac: the HMAC of a message of up to 4096 bytes.
    pub async fn generate_mac(
        &self,
        caller: &Caller,
        input: GenerateMacRequest,
    ) -> Result<GenerateMacResponse, KmsError> {
        let (key, spec) = self
            .mac_key(
                caller,
                &input.key_id,
                &input.message,
                &input.mac_algorithm,
                input.grant_tokens.as_ref(),
                |_| {},
                Operation::GenerateMac,
            )
            .await?;
        if input.dry_run == Some(true) {
            return Err(KmsError::DryRunOperation);
        }
        let message = input.message.unwrap_or_default().0;
        let mac =
            arca_crypto::hmac::sign(spec.hash(), Self::hmac_key(&key)?, message.expose_secret());
        self.note_use(&key, Operation::GenerateMac);
        Ok(GenerateMacResponse {
            mac: Some(Blob(mac)),
            mac_algorithm: input.mac_algorithm,
            key_id: Some(key.record.arn.clone()),
        })
    }

    /// VerifyMac: a MAC that does not match is `KMSInvalidMacException`, as in AWS.
    pub async fn verify_mac(
        &self,
        caller: &Caller,
        input: VerifyMacRequest,
    ) -> Result<VerifyMacResponse, KmsError> {
        let mac = &input.mac;
        let more = |v: &mut Validator| {
            v.required("mac", mac);
            v.blob_length("mac", mac.as_ref().map(|m| m.0.len()), 1, 6144);
        };
        let (key, spec) = self
            .mac_key(
                caller,
                &input.key_id,
                &input.message,
                &input.mac_algorithm,
                input.grant_tokens.as_ref(),
                more,
                Operation::VerifyMac,
            )
            .await?;
        if input.dry_run == Some(true) {
            return Err(KmsError::DryRunOperation);
        }
        let message = input.message.unwrap_or_default().0;
        let mac = input.mac.unwrap_or_default().0;
        let key_bytes = Self::hmac_key(&key)?;
        if !arca_crypto::hmac::verify(spec.hash(), key_bytes, message.expose_secret(), &mac) {
            return Err(KmsError::InvalidMac);
        }
        self.note_use(&key, Operation::VerifyMac);
        Ok(VerifyMacResponse {
            key_id: Some(key.record.arn.clone()),
            mac_valid: Some(true),
            mac_algorithm: input.mac_algorithm,
        })
    }
}
