//! Operations on key pairs: Sign, Verify, GetPublicKey, DeriveSharedSecret (ECDH),
//! Encapsulate and Decapsulate (ML-KEM). RSA-OAEP encryption lives with the other
//! encryption operations in `crypto`.

use std::sync::Arc;

use arca_crypto::{
    SecretBytes,
    asymmetric::{self, KeyPairSpec, PrivateKey, SignInput, SigningAlgorithm},
};
use arca_gate::Caller;

use super::KmsService;
use crate::{
    KmsError,
    api::{
        DecapsulateRequest, DecapsulateResponse, DeriveSharedSecretRequest,
        DeriveSharedSecretResponse, EncapsulateRequest, EncapsulateResponse, GetPublicKeyResponse,
        KeyIdRequest, SignRequest, SignResponse, VerifyRequest, VerifyResponse,
    },
    cache::CachedKey,
    operation::Operation,
    spec::{self, KeyKind},
    validate::{self, Validator},
    wire::{Blob, SecretBlob},
};

const MESSAGE_TYPES: &[&str] = &["RAW", "DIGEST", "EXTERNAL_MU"];

/// Refuses a key whose usage is not `usage`, in AWS's words.
pub(super) fn check_usage(
    key: &CachedKey,
    usage: &str,
    operation: Operation,
) -> Result<(), KmsError> {
    if key.record.key_usage == usage {
        return Ok(());
    }
    Err(KmsError::InvalidKeyUsage(format!(
        "{} key usage is {} which is not valid for {}.",
        key.record.arn,
        key.record.key_usage,
        operation.name()
    )))
}

/// The key pair spec of a key (every key whose usage passed [`check_usage`] for a
/// pair operation has one).
fn pair_spec(key: &CachedKey) -> Result<KeyPairSpec, KmsError> {
    match key.record.kind() {
        Some(KeyKind::Pair(spec)) => Ok(spec),
        _ => Err(KmsError::InvalidKeyUsage(format!(
            "{} key spec is {} which is not an asymmetric key spec.",
            key.record.arn, key.record.key_spec
        ))),
    }
}

/// The signing algorithm of a Sign or Verify request, checked against the key and
/// the message type (a digest must be as long as the algorithm's hash).
fn check_signing(
    key: &CachedKey,
    algorithm: &str,
    message_type: Option<&str>,
    message_len: usize,
) -> Result<SigningAlgorithm, KmsError> {
    let spec = pair_spec(key)?;
    let incompatible = || {
        KmsError::InvalidKeyUsage(format!(
            "Algorithm {algorithm} is incompatible with key spec {}.",
            key.record.key_spec
        ))
    };
    let algorithm_spec = SigningAlgorithm::from_name(algorithm).ok_or_else(incompatible)?;
    if !spec.signing_algorithms().contains(&algorithm_spec) {
        return Err(incompatible());
    }
    // aws-lc-rs has no Ed25519ph yet; the key still lists it, as AWS's do.
    if algorithm_spec == SigningAlgorithm::Ed25519PhSha512 {
        return Err(KmsError::UnsupportedOperation(format!(
            "{algorithm} is not supported by this server yet; use ED25519_SHA_512."
        )));
    }
    match (message_type.unwrap_or("RAW"), algorithm_spec.digest_len()) {
        ("RAW", _) => Ok(algorithm_spec),
        ("DIGEST", Some(length)) if length == message_len => Ok(algorithm_spec),
        ("DIGEST", Some(_)) => Err(KmsError::Validation(format!(
            "Digest is invalid length for algorithm {algorithm}."
        ))),
        ("DIGEST", None) => Err(KmsError::Validation(format!(
            "MessageType DIGEST is not supported for algorithm {algorithm}."
        ))),
        _ => Err(KmsError::UnsupportedOperation(format!(
            "MessageType EXTERNAL_MU is not supported for algorithm {algorithm} by this server."
        ))),
    }
}

/// What is signed, once [`check_signing`] has accepted the message type.
fn sign_input<'a>(message_type: Option<&str>, message: &'a [u8]) -> SignInput<'a> {
    match message_type {
        Some("DIGEST") => SignInput::Digest(message),
        _ => SignInput::Raw(message),
    }
}

/// The members Sign and Verify share.
struct SigningRequest<'a> {
    key_id: &'a Option<String>,
    message: &'a Option<SecretBlob>,
    message_type: &'a Option<String>,
    algorithm: &'a Option<String>,
    grant_tokens: Option<&'a Vec<String>>,
}

impl KmsService {
    /// Runs `work` with the key's current private key. An RSA 3072 or 4096 private-key
    /// operation takes milliseconds, so it runs on the blocking pool and does not hold
    /// up other requests on the executor; the others (RSA 2048 under a millisecond,
    /// the rest microseconds) run in place, which keeps a core's worth of signing from
    /// being shared out among many threads (bench/kms measured it).
    pub(super) async fn with_private_key<T, F>(key: &Arc<CachedKey>, work: F) -> Result<T, KmsError>
    where
        T: Send + 'static,
        F: FnOnce(&PrivateKey) -> Result<T, KmsError> + Send + 'static,
    {
        let run = {
            let key = Arc::clone(key);
            move || {
                let (private, _) =
                    Self::current_material(&key)?.pair().ok_or(KmsError::Internal)?;
                work(private)
            }
        };
        let slow = matches!(
            key.record.kind(),
            Some(KeyKind::Pair(KeyPairSpec::Rsa3072 | KeyPairSpec::Rsa4096))
        );
        if slow {
            tokio::task::spawn_blocking(run)
                .await
                .map_err(|e| KmsError::internal("private key task", e))?
        } else {
            run()
        }
    }

    /// The encoded public key of a key pair.
    fn public_key(key: &CachedKey) -> Result<&[u8], KmsError> {
        let (_, public_der) = Self::current_material(key)?.pair().ok_or(KmsError::Internal)?;
        Ok(public_der)
    }

    /// The prologue of Sign and Verify: validate (`more` adds the operation's own
    /// members), resolve, authorise, and check the key, its usage and the algorithm.
    async fn signing_key(
        &self,
        caller: &Caller,
        request: SigningRequest<'_>,
        more: impl FnOnce(&mut Validator),
        operation: Operation,
    ) -> Result<(Arc<CachedKey>, SigningAlgorithm), KmsError> {
        let mut v = Validator::new();
        validate::key_id(&mut v, "keyId", request.key_id, true);
        v.required("message", request.message);
        v.secret_length("message", request.message.as_ref().map(|m| m.0.len()), 1, 4096);
        v.one_of("messageType", request.message_type.as_ref(), MESSAGE_TYPES);
        more(&mut v);
        v.required("signingAlgorithm", request.algorithm);
        v.one_of("signingAlgorithm", request.algorithm.as_ref(), spec::SIGNING_ALGORITHMS);
        validate::grant_tokens(&mut v, request.grant_tokens);
        v.finish()?;
        super::grants::check_tokens(request.grant_tokens)?;
        let key = self.key_for_action(caller, request.key_id, operation).await?;
        Self::check_usable(&key.record)?;
        check_usage(&key, spec::SIGN_VERIFY, operation)?;
        let algorithm = check_signing(
            &key,
            request.algorithm.as_deref().unwrap_or_default(),
            request.message_type.as_deref(),
            request.message.as_ref().map_or(0, |m| m.0.len()),
        )?;
        Ok((key, algorithm))
    }

    /// Sign: a signature over a message or its digest with a SIGN_VERIFY key pair.
    pub async fn sign(
        &self,
        caller: &Caller,
        input: SignRequest,
    ) -> Result<SignResponse, KmsError> {
        let request = SigningRequest {
            key_id: &input.key_id,
            message: &input.message,
            message_type: &input.message_type,
            algorithm: &input.signing_algorithm,
            grant_tokens: input.grant_tokens.as_ref(),
        };
        let (key, algorithm) = self.signing_key(caller, request, |_| {}, Operation::Sign).await?;
        if input.dry_run == Some(true) {
            return Err(KmsError::DryRunOperation);
        }
        let message = input.message.unwrap_or_default().0;
        let message_type = input.message_type;
        let signature = Self::with_private_key(&key, move |private| {
            let signed = sign_input(message_type.as_deref(), message.expose_secret());
            private.sign(algorithm, signed).map_err(|e| KmsError::internal("sign", e))
        })
        .await?;
        self.note_use(&key, Operation::Sign);
        Ok(SignResponse {
            key_id: Some(key.record.arn.clone()),
            signature: Some(Blob(signature)),
            signing_algorithm: input.signing_algorithm,
        })
    }

    /// Verify: checks a signature with the key's public key. A signature that does not
    /// verify is `KMSInvalidSignatureException`, as in AWS.
    pub async fn verify(
        &self,
        caller: &Caller,
        input: VerifyRequest,
    ) -> Result<VerifyResponse, KmsError> {
        let request = SigningRequest {
            key_id: &input.key_id,
            message: &input.message,
            message_type: &input.message_type,
            algorithm: &input.signing_algorithm,
            grant_tokens: input.grant_tokens.as_ref(),
        };
        let signature = &input.signature;
        let more = |v: &mut Validator| {
            v.required("signature", signature);
            v.blob_length("signature", signature.as_ref().map(|s| s.0.len()), 1, 6144);
        };
        let (key, algorithm) = self.signing_key(caller, request, more, Operation::Verify).await?;
        if input.dry_run == Some(true) {
            return Err(KmsError::DryRunOperation);
        }
        let message = input.message.unwrap_or_default().0;
        let valid = asymmetric::verify(
            pair_spec(&key)?,
            Self::public_key(&key)?,
            algorithm,
            sign_input(input.message_type.as_deref(), message.expose_secret()),
            &input.signature.unwrap_or_default().0,
        )
        .map_err(|e| KmsError::internal("verify", e))?;
        if !valid {
            return Err(KmsError::InvalidSignature);
        }
        self.note_use(&key, Operation::Verify);
        Ok(VerifyResponse {
            key_id: Some(key.record.arn.clone()),
            signature_valid: Some(true),
            signing_algorithm: input.signing_algorithm,
        })
    }

    /// GetPublicKey: the public half of a key pair, with what the key may do.
    pub async fn get_public_key(
        &self,
        caller: &Caller,
        input: KeyIdRequest,
    ) -> Result<GetPublicKeyResponse, KmsError> {
        let mut v = Validator::new();
        validate::grant_tokens(&mut v, input.grant_tokens.as_ref());
        v.finish()?;
        super::grants::check_tokens(input.grant_tokens.as_ref())?;
        let key = self.key_for_action(caller, &input.key_id, Operation::GetPublicKey).await?;
        Self::check_usable(&key.record)?;
        let record = &key.record;
        let Some(kind @ KeyKind::Pair(_)) = record.kind() else {
            return Err(KmsError::UnsupportedOperation(format!(
                "{} key spec is {} which has no public key.",
                record.arn, record.key_spec
            )));
        };
        let algorithms = spec::algorithms(kind, &record.key_usage);
        Ok(GetPublicKeyResponse {
            key_id: Some(record.arn.clone()),
            public_key: Some(Blob(Self::public_key(&key)?.to_vec())),
            customer_master_key_spec: Some(record.key_spec.clone()),
            key_spec: Some(record.key_spec.clone()),
            key_usage: Some(record.key_usage.clone()),
            encryption_algorithms: algorithms.encryption,
            signing_algorithms: algorithms.signing,
            key_agreement_algorithms: algorithms.key_agreement,
            encapsulation_algorithms: algorithms.encapsulation,
        })
    }

    /// DeriveSharedSecret: ECDH between a KEY_AGREEMENT key and a peer's public key.
    pub async fn derive_shared_secret(
        &self,
        caller: &Caller,
        input: DeriveSharedSecretRequest,
    ) -> Result<DeriveSharedSecretResponse, KmsError> {
        let mut v = Validator::new();
        validate::key_id(&mut v, "keyId", &input.key_id, true);
        v.required("keyAgreementAlgorithm", &input.key_agreement_algorithm);
        v.one_of("keyAgreementAlgorithm", input.key_agreement_algorithm.as_ref(), &["ECDH"]);
        v.required("publicKey", &input.public_key);
        v.blob_length("publicKey", input.public_key.as_ref().map(|k| k.0.len()), 1, 8192);
        validate::grant_tokens(&mut v, input.grant_tokens.as_ref());
        v.finish()?;
        super::grants::check_tokens(input.grant_tokens.as_ref())?;
        let key = self.key_for_action(caller, &input.key_id, Operation::DeriveSharedSecret).await?;
        Self::check_usable(&key.record)?;
        check_usage(&key, spec::KEY_AGREEMENT, Operation::DeriveSharedSecret)?;
        refuse_recipient(input.recipient.as_ref())?;
        if input.dry_run == Some(true) {
            return Err(KmsError::DryRunOperation);
        }
        let peer = input.public_key.unwrap_or_default().0;
        let secret = Self::with_private_key(&key, move |private| {
            // AWS answers a peer key it cannot use with an empty ValidationException.
            private.derive_shared_secret(&peer).map_err(|_| KmsError::Validation(String::new()))
        })
        .await?;
        self.note_use(&key, Operation::DeriveSharedSecret);
        Ok(DeriveSharedSecretResponse {
            key_id: Some(key.record.arn.clone()),
            shared_secret: Some(SecretBlob(secret)),
            key_agreement_algorithm: Some("ECDH".into()),
            key_origin: Some(key.record.origin.clone()),
        })
    }

    /// Encapsulate: a fresh shared secret and its ML-KEM encapsulation to the key.
    pub async fn encapsulate(
        &self,
        caller: &Caller,
        input: EncapsulateRequest,
    ) -> Result<EncapsulateResponse, KmsError> {
        let mut v = Validator::new();
        validate::key_id(&mut v, "keyId", &input.key_id, true);
        v.required("encapsulationAlgorithm", &input.encapsulation_algorithm);
        v.one_of("encapsulationAlgorithm", input.encapsulation_algorithm.as_ref(), &["ML_KEM"]);
        validate::grant_tokens(&mut v, input.grant_tokens.as_ref());
        v.finish()?;
        super::grants::check_tokens(input.grant_tokens.as_ref())?;
        let key = self.key_for_action(caller, &input.key_id, Operation::Encapsulate).await?;
        Self::check_usable(&key.record)?;
        check_usage(&key, spec::ENCAPSULATE_DECAPSULATE, Operation::Encapsulate)?;
        if input.dry_run == Some(true) {
            return Err(KmsError::DryRunOperation);
        }
        let (ciphertext, secret) =
            asymmetric::encapsulate(pair_spec(&key)?, Self::public_key(&key)?)
                .map_err(|e| KmsError::internal("encapsulate", e))?;
        self.note_use(&key, Operation::Encapsulate);
        Ok(EncapsulateResponse {
            key_id: Some(key.record.arn.clone()),
            shared_secret: Some(SecretBlob(secret)),
            shared_secret_ciphertext_blob: Some(Blob(ciphertext)),
            encapsulation_algorithm: Some("ML_KEM".into()),
        })
    }

    /// Decapsulate: the shared secret an ML-KEM encapsulation to the key carries.
    pub async fn decapsulate(
        &self,
        caller: &Caller,
        input: DecapsulateRequest,
    ) -> Result<DecapsulateResponse, KmsError> {
        let mut v = Validator::new();
        validate::key_id(&mut v, "keyId", &input.key_id, true);
        v.required("sharedSecretCiphertextBlob", &input.shared_secret_ciphertext_blob);
        v.blob_length(
            "sharedSecretCiphertextBlob",
            input.shared_secret_ciphertext_blob.as_ref().map(|b| b.0.len()),
            1,
            6144,
        );
        v.required("encapsulationAlgorithm", &input.encapsulation_algorithm);
        v.one_of("encapsulationAlgorithm", input.encapsulation_algorithm.as_ref(), &["ML_KEM"]);
        validate::grant_tokens(&mut v, input.grant_tokens.as_ref());
        v.finish()?;
        super::grants::check_tokens(input.grant_tokens.as_ref())?;
        let key = self.key_for_action(caller, &input.key_id, Operation::Decapsulate).await?;
        Self::check_usable(&key.record)?;
        check_usage(&key, spec::ENCAPSULATE_DECAPSULATE, Operation::Decapsulate)?;
        if input.dry_run == Some(true) {
            return Err(KmsError::DryRunOperation);
        }
        let ciphertext = input.shared_secret_ciphertext_blob.unwrap_or_default().0;
        let secret: SecretBytes = Self::with_private_key(&key, move |private| {
            private.decapsulate(&ciphertext).map_err(|_| KmsError::InvalidCiphertext)
        })
        .await?;
        self.note_use(&key, Operation::Decapsulate);
        Ok(DecapsulateResponse {
            key_id: Some(key.record.arn.clone()),
            shared_secret: Some(SecretBlob(secret)),
            encapsulation_algorithm: Some("ML_KEM".into()),
        })
    }
}

/// Arca has no Nitro Enclaves attestation, so it cannot honour a `Recipient`: it
/// refuses rather than return in plaintext what the caller wanted sealed to an enclave.
pub(super) fn refuse_recipient(recipient: Option<&serde_json::Value>) -> Result<(), KmsError> {
    match recipient {
        None | Some(serde_json::Value::Null) => Ok(()),
        Some(_) => Err(KmsError::UnsupportedOperation(
            "Recipient (Nitro Enclaves attestation) is not supported by this server.".into(),
        )),
    }
}
