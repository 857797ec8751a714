//! AWS KMS keyrings (cargo feature `kms`): strict, discovery (with an account and
//! partition filter), multi-Region-key aware, over any AWS-compatible KMS endpoint
//! through the AWS SDK for Rust.
//!
//! The keyrings are synchronous, like every keyring; [`SdkKms`] drives the SDK's async
//! calls on a small runtime of its own, so call them from plain threads (or through
//! the `asynchronous` adapters, which move the work to a blocking thread), never from inside
//! an async task.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use arca_crypto::SecretBytes;

use crate::Error;
use crate::context::EncryptionContext;
use crate::keyring::{Keyring, MultiKeyring};
use crate::materials::{DecryptionMaterials, EncryptedDataKey, EncryptionMaterials};

/// The provider id of every KMS-wrapped data key.
pub const KMS_PROVIDER_ID: &str = "aws-kms";

/// The result of `GenerateDataKey`.
#[derive(Debug)]
pub struct GeneratedDataKey {
    /// The plaintext data key.
    pub plaintext: SecretBytes,
    /// The wrapped data key.
    pub ciphertext: Vec<u8>,
    /// The ARN of the KMS key that wrapped it.
    pub key_id: String,
}

/// The result of `Encrypt`.
#[derive(Debug)]
pub struct KmsCiphertext {
    /// The wrapped data key.
    pub ciphertext: Vec<u8>,
    /// The ARN of the KMS key that wrapped it.
    pub key_id: String,
}

/// The result of `Decrypt`.
#[derive(Debug)]
pub struct KmsPlaintext {
    /// The unwrapped data key.
    pub plaintext: SecretBytes,
    /// The ARN of the KMS key that unwrapped it.
    pub key_id: String,
}

/// The three KMS calls a keyring makes; [`SdkKms`] implements them over aws-sdk-kms, and
/// tests substitute a fake.
pub trait KmsApi: Send + Sync + std::fmt::Debug {
    /// `GenerateDataKey`.
    fn generate_data_key(
        &self,
        key_id: &str,
        number_of_bytes: usize,
        context: &EncryptionContext,
        grant_tokens: &[String],
    ) -> Result<GeneratedDataKey, Error>;
    /// `Encrypt`.
    fn encrypt(
        &self,
        key_id: &str,
        plaintext: &SecretBytes,
        context: &EncryptionContext,
        grant_tokens: &[String],
    ) -> Result<KmsCiphertext, Error>;
    /// `Decrypt` with an explicit key id.
    fn decrypt(
        &self,
        key_id: &str,
        ciphertext: &[u8],
        context: &EncryptionContext,
        grant_tokens: &[String],
    ) -> Result<KmsPlaintext, Error>;
}

/// A KMS ARN: `arn:PARTITION:kms:REGION:ACCOUNT:key/ID` or `...:alias/NAME`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KmsArn {
    /// `aws`, `aws-cn`, `aws-us-gov`, ...
    pub partition: String,
    /// The Region.
    pub region: String,
    /// The account id.
    pub account: String,
    /// `key` or `alias`.
    pub resource_type: String,
    /// The key id or alias name.
    pub resource_id: String,
}

impl KmsArn {
    /// Parses a KMS ARN.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.splitn(6, ':');
        let (arn, partition, service, region, account, resource) = (
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
        );
        let (resource_type, resource_id) = resource.split_once('/')?;
        if arn != "arn"
            || service != "kms"
            || partition.is_empty()
            || region.is_empty()
            || account.is_empty()
            || resource_id.is_empty()
            || !matches!(resource_type, "key" | "alias")
        {
            return None;
        }
        Some(Self {
            partition: partition.into(),
            region: region.into(),
            account: account.into(),
            resource_type: resource_type.into(),
            resource_id: resource_id.into(),
        })
    }

    /// Whether this names a multi-Region key.
    pub fn is_multi_region_key(&self) -> bool {
        self.resource_type == "key" && self.resource_id.starts_with("mrk-")
    }

    /// The same key in another Region.
    pub fn in_region(&self, region: &str) -> Self {
        Self { region: region.into(), ..self.clone() }
    }
}

impl std::fmt::Display for KmsArn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "arn:{}:kms:{}:{}:{}/{}",
            self.partition, self.region, self.account, self.resource_type, self.resource_id
        )
    }
}

/// Whether a configured key identifier and a stored ARN name the same key, treating
/// replicas of a multi-Region key in different Regions as the same key.
pub fn mrk_match(configured: &str, stored: &str) -> bool {
    if configured == stored {
        return true;
    }
    match (KmsArn::parse(configured), KmsArn::parse(stored)) {
        (Some(a), Some(b)) => {
            a.is_multi_region_key()
                && b.is_multi_region_key()
                && a.partition == b.partition
                && a.account == b.account
                && a.resource_type == b.resource_type
                && a.resource_id == b.resource_id
        }
        _ => false,
    }
}

fn key_arn_of(edk: &EncryptedDataKey) -> Option<(String, KmsArn)> {
    if edk.provider_id != KMS_PROVIDER_ID {
        return None;
    }
    let text = std::str::from_utf8(&edk.provider_info).ok()?;
    let arn = KmsArn::parse(text)?;
    (arn.resource_type == "key").then(|| (text.to_string(), arn))
}

/// A keyring bound to one KMS key (multi-Region-key aware on decrypt).
#[derive(Debug, Clone)]
pub struct AwsKmsKeyring {
    key_id: String,
    kms: Arc<dyn KmsApi>,
    grant_tokens: Vec<String>,
}

impl AwsKmsKeyring {
    /// A keyring for `key_id` (a key ARN to decrypt; any identifier to encrypt).
    pub fn new(key_id: impl Into<String>, kms: Arc<dyn KmsApi>) -> Result<Self, Error> {
        let key_id = key_id.into();
        if key_id.is_empty() {
            return Err(Error::InvalidArgument("a KMS key id is required".into()));
        }
        Ok(Self { key_id, kms, grant_tokens: Vec::new() })
    }

    /// Adds grant tokens to every call.
    pub fn with_grant_tokens(mut self, grant_tokens: Vec<String>) -> Self {
        self.grant_tokens = grant_tokens;
        self
    }
}

fn check_kms_arn(key_id: &str) -> Result<(), Error> {
    match KmsArn::parse(key_id) {
        Some(arn) if arn.resource_type == "key" => Ok(()),
        _ => Err(Error::Kms(format!("KMS returned an invalid key ARN {key_id:?}"))),
    }
}

impl Keyring for AwsKmsKeyring {
    fn on_encrypt(&self, mut materials: EncryptionMaterials) -> Result<EncryptionMaterials, Error> {
        let context = &materials.encryption_context;
        match &materials.plaintext_data_key {
            None => {
                let generated = self.kms.generate_data_key(
                    &self.key_id,
                    materials.suite.data_key_len(),
                    context,
                    &self.grant_tokens,
                )?;
                check_kms_arn(&generated.key_id)?;
                if generated.plaintext.len() != materials.suite.data_key_len() {
                    return Err(Error::Kms(
                        "GenerateDataKey returned a key of the wrong length".into(),
                    ));
                }
                materials.encrypted_data_keys.push(EncryptedDataKey {
                    provider_id: KMS_PROVIDER_ID.into(),
                    provider_info: generated.key_id.into_bytes(),
                    ciphertext: generated.ciphertext,
                });
                materials.plaintext_data_key = Some(generated.plaintext);
            }
            Some(data_key) => {
                let wrapped =
                    self.kms.encrypt(&self.key_id, data_key, context, &self.grant_tokens)?;
                check_kms_arn(&wrapped.key_id)?;
                materials.encrypted_data_keys.push(EncryptedDataKey {
                    provider_id: KMS_PROVIDER_ID.into(),
                    provider_info: wrapped.key_id.into_bytes(),
                    ciphertext: wrapped.ciphertext,
                });
            }
        }
        Ok(materials)
    }

    fn on_decrypt(
        &self,
        mut materials: DecryptionMaterials,
        encrypted_data_keys: &[EncryptedDataKey],
    ) -> Result<DecryptionMaterials, Error> {
        if materials.plaintext_data_key.is_some() {
            return Ok(materials);
        }
        for edk in encrypted_data_keys {
            let Some((stored, _)) = key_arn_of(edk) else {
                continue;
            };
            if !mrk_match(&self.key_id, &stored) {
                continue;
            }
            let Ok(result) = self.kms.decrypt(
                &self.key_id,
                &edk.ciphertext,
                &materials.encryption_context,
                &self.grant_tokens,
            ) else {
                continue;
            };
            if result.key_id != self.key_id
                || result.plaintext.len() != materials.suite.data_key_len()
            {
                continue;
            }
            materials.plaintext_data_key = Some(result.plaintext);
            return Ok(materials);
        }
        Err(Error::DecryptionFailed)
    }
}

/// Which KMS keys a discovery keyring may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveryFilter {
    /// The partition, e.g. `aws`.
    pub partition: String,
    /// The allowed account ids (at least one).
    pub account_ids: Vec<String>,
}

/// A decrypt-only keyring that asks KMS to unwrap any `aws-kms` data key whose key ARN
/// passes the filter; with a Region set, multi-Region keys are used through their
/// replica in that Region.
#[derive(Debug, Clone)]
pub struct AwsKmsDiscoveryKeyring {
    kms: Arc<dyn KmsApi>,
    filter: Option<DiscoveryFilter>,
    region: Option<String>,
    grant_tokens: Vec<String>,
}

impl AwsKmsDiscoveryKeyring {
    /// A discovery keyring; `region` makes it multi-Region-key aware.
    pub fn new(
        kms: Arc<dyn KmsApi>,
        filter: Option<DiscoveryFilter>,
        region: Option<String>,
    ) -> Result<Self, Error> {
        if let Some(filter) = &filter
            && (filter.partition.is_empty() || filter.account_ids.is_empty())
        {
            return Err(Error::InvalidArgument(
                "a discovery filter needs a partition and at least one account".into(),
            ));
        }
        Ok(Self { kms, filter, region, grant_tokens: Vec::new() })
    }
}

impl Keyring for AwsKmsDiscoveryKeyring {
    fn on_encrypt(&self, _materials: EncryptionMaterials) -> Result<EncryptionMaterials, Error> {
        Err(Error::EncryptionMaterials("a KMS discovery keyring cannot encrypt".into()))
    }

    fn on_decrypt(
        &self,
        mut materials: DecryptionMaterials,
        encrypted_data_keys: &[EncryptedDataKey],
    ) -> Result<DecryptionMaterials, Error> {
        if materials.plaintext_data_key.is_some() {
            return Ok(materials);
        }
        for edk in encrypted_data_keys {
            let Some((stored, arn)) = key_arn_of(edk) else {
                continue;
            };
            if let Some(filter) = &self.filter
                && (arn.partition != filter.partition || !filter.account_ids.contains(&arn.account))
            {
                continue;
            }
            let key_id = match &self.region {
                Some(region) if arn.is_multi_region_key() => arn.in_region(region).to_string(),
                _ => stored,
            };
            let Ok(result) = self.kms.decrypt(
                &key_id,
                &edk.ciphertext,
                &materials.encryption_context,
                &self.grant_tokens,
            ) else {
                continue;
            };
            if result.key_id != key_id || result.plaintext.len() != materials.suite.data_key_len() {
                continue;
            }
            materials.plaintext_data_key = Some(result.plaintext);
            return Ok(materials);
        }
        Err(Error::DecryptionFailed)
    }
}

/// [`KmsApi`] over the AWS SDK for Rust, for AWS KMS or any compatible endpoint (Arca's).
#[derive(Debug, Clone)]
pub struct SdkKms {
    client: aws_sdk_kms::Client,
}

fn runtime() -> Result<&'static tokio::runtime::Runtime, Error> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("arca-esdk-kms")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| Error::Kms(format!("cannot start the KMS runtime: {e}")))
}

impl SdkKms {
    /// A client from the usual AWS configuration chain (environment, profile), with an
    /// optional Region and endpoint override.
    pub fn new(region: Option<&str>, endpoint: Option<&str>) -> Result<Self, Error> {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(region) = region {
            loader = loader.region(aws_config::Region::new(region.to_string()));
        }
        if let Some(endpoint) = endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        let config = runtime()?.block_on(loader.load());
        Ok(Self { client: aws_sdk_kms::Client::new(&config) })
    }

    /// A client from a ready SDK client.
    pub fn from_client(client: aws_sdk_kms::Client) -> Self {
        Self { client }
    }
}

fn context_map(context: &EncryptionContext) -> Option<HashMap<String, String>> {
    (!context.is_empty())
        .then(|| context.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
}

fn kms_error<E: std::fmt::Display>(operation: &str) -> impl Fn(E) -> Error + '_ {
    move |error| Error::Kms(format!("{operation}: {error}"))
}

impl KmsApi for SdkKms {
    fn generate_data_key(
        &self,
        key_id: &str,
        number_of_bytes: usize,
        context: &EncryptionContext,
        grant_tokens: &[String],
    ) -> Result<GeneratedDataKey, Error> {
        let bytes = i32::try_from(number_of_bytes).map_err(|_| Error::Kms("key length".into()))?;
        let call = self
            .client
            .generate_data_key()
            .key_id(key_id)
            .number_of_bytes(bytes)
            .set_encryption_context(context_map(context))
            .set_grant_tokens((!grant_tokens.is_empty()).then(|| grant_tokens.to_vec()));
        let output = runtime()?.block_on(call.send()).map_err(|e| {
            kms_error("GenerateDataKey")(aws_sdk_kms::error::DisplayErrorContext(e))
        })?;
        Ok(GeneratedDataKey {
            plaintext: SecretBytes::new(
                output.plaintext.map(|b| b.into_inner()).unwrap_or_default(),
            ),
            ciphertext: output.ciphertext_blob.map(|b| b.into_inner()).unwrap_or_default(),
            key_id: output.key_id.unwrap_or_default(),
        })
    }

    fn encrypt(
        &self,
        key_id: &str,
        plaintext: &SecretBytes,
        context: &EncryptionContext,
        grant_tokens: &[String],
    ) -> Result<KmsCiphertext, Error> {
        let call = self
            .client
            .encrypt()
            .key_id(key_id)
            .plaintext(aws_sdk_kms::primitives::Blob::new(plaintext.expose_secret().to_vec()))
            .set_encryption_context(context_map(context))
            .set_grant_tokens((!grant_tokens.is_empty()).then(|| grant_tokens.to_vec()));
        let output = runtime()?
            .block_on(call.send())
            .map_err(|e| kms_error("Encrypt")(aws_sdk_kms::error::DisplayErrorContext(e)))?;
        Ok(KmsCiphertext {
            ciphertext: output.ciphertext_blob.map(|b| b.into_inner()).unwrap_or_default(),
            key_id: output.key_id.unwrap_or_default(),
        })
    }

    fn decrypt(
        &self,
        key_id: &str,
        ciphertext: &[u8],
        context: &EncryptionContext,
        grant_tokens: &[String],
    ) -> Result<KmsPlaintext, Error> {
        let call = self
            .client
            .decrypt()
            .key_id(key_id)
            .ciphertext_blob(aws_sdk_kms::primitives::Blob::new(ciphertext.to_vec()))
            .set_encryption_context(context_map(context))
            .set_grant_tokens((!grant_tokens.is_empty()).then(|| grant_tokens.to_vec()));
        let output = runtime()?
            .block_on(call.send())
            .map_err(|e| kms_error("Decrypt")(aws_sdk_kms::error::DisplayErrorContext(e)))?;
        Ok(KmsPlaintext {
            plaintext: SecretBytes::new(
                output.plaintext.map(|b| b.into_inner()).unwrap_or_default(),
            ),
            key_id: output.key_id.unwrap_or_default(),
        })
    }
}

/// Builds a KMS keyring from `--wrapping-keys provider=aws-kms ...` settings: `key=`
/// (repeatable: a multi-keyring whose first key generates), or `discovery=true` with an
/// optional `discovery-account=` (repeatable) and `discovery-partition=` filter;
/// `region=` and `endpoint=` configure the client (by default each key's client uses
/// the Region of its ARN).
#[cfg(feature = "cli")]
pub(crate) fn keyring_from_cli(settings: &[(&str, &str)]) -> anyhow::Result<Arc<dyn Keyring>> {
    let mut keys = Vec::new();
    let mut accounts = Vec::new();
    let (mut discovery, mut partition, mut region, mut endpoint) = (false, None, None, None);
    for (name, value) in settings {
        match *name {
            "key" => keys.push(value.to_string()),
            "discovery" => {
                discovery = match *value {
                    "true" => true,
                    "false" => false,
                    other => anyhow::bail!("discovery= must be true or false, not {other:?}"),
                }
            }
            "discovery-account" => accounts.push(value.to_string()),
            "discovery-partition" => partition = Some(value.to_string()),
            "region" => region = Some(value.to_string()),
            "endpoint" => endpoint = Some(value.to_string()),
            other => anyhow::bail!("--wrapping-keys: unknown aws-kms setting {other}="),
        }
    }
    if discovery {
        if !keys.is_empty() {
            anyhow::bail!("discovery=true cannot be combined with key=");
        }
        let filter = match (partition, accounts.is_empty()) {
            (None, true) => None,
            (Some(partition), false) => Some(DiscoveryFilter { partition, account_ids: accounts }),
            _ => anyhow::bail!(
                "a discovery filter needs both discovery-account= and discovery-partition="
            ),
        };
        let kms = Arc::new(SdkKms::new(region.as_deref(), endpoint.as_deref())?);
        return Ok(Arc::new(AwsKmsDiscoveryKeyring::new(kms, filter, region)?));
    }
    if keys.is_empty() {
        anyhow::bail!("provider=aws-kms needs key= (or discovery=true)");
    }
    let mut clients: HashMap<Option<String>, Arc<dyn KmsApi>> = HashMap::new();
    let mut keyrings: Vec<Arc<dyn Keyring>> = Vec::new();
    for key in keys {
        let key_region = region.clone().or_else(|| KmsArn::parse(&key).map(|arn| arn.region));
        let kms = match clients.get(&key_region) {
            Some(kms) => kms.clone(),
            None => {
                let kms: Arc<dyn KmsApi> =
                    Arc::new(SdkKms::new(key_region.as_deref(), endpoint.as_deref())?);
                clients.insert(key_region, kms.clone());
                kms
            }
        };
        keyrings.push(Arc::new(AwsKmsKeyring::new(key, kms)?));
    }
    if keyrings.len() == 1 {
        return keyrings.pop().ok_or_else(|| anyhow::anyhow!("no keyring"));
    }
    Ok(Arc::new(MultiKeyring::from_list(keyrings)?))
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use arca_crypto::aead::AesGcmKey;

    use super::*;
    use crate::{AlgorithmSuite, Client, DecryptOptions, DefaultCmm, EncryptOptions};

    /// An in-memory KMS: each key ARN has an AES key; ciphertexts name their key.
    #[derive(Debug, Default)]
    struct FakeKms {
        keys: HashMap<String, Vec<u8>>,
        calls: Mutex<Vec<String>>,
    }

    impl FakeKms {
        fn with_keys(arns: &[&str]) -> Self {
            let mut keys = HashMap::new();
            for (index, arn) in arns.iter().enumerate() {
                // Replicas of one multi-Region key share material.
                let parsed = KmsArn::parse(arn).unwrap();
                let seed = if parsed.is_multi_region_key() { 200 } else { index as u8 };
                keys.insert(arn.to_string(), vec![seed; 32]);
            }
            Self { keys, calls: Mutex::default() }
        }

        fn key(&self, key_id: &str) -> Result<AesGcmKey, Error> {
            let material =
                self.keys.get(key_id).ok_or_else(|| Error::Kms("NotFoundException".into()))?;
            Ok(AesGcmKey::from_bytes(material).unwrap())
        }
    }

    impl KmsApi for FakeKms {
        fn generate_data_key(
            &self,
            key_id: &str,
            n: usize,
            context: &EncryptionContext,
            tokens: &[String],
        ) -> Result<GeneratedDataKey, Error> {
            let plaintext = SecretBytes::random(n);
            let wrapped = self.encrypt(key_id, &plaintext, context, tokens)?;
            Ok(GeneratedDataKey {
                plaintext,
                ciphertext: wrapped.ciphertext,
                key_id: wrapped.key_id,
            })
        }

        fn encrypt(
            &self,
            key_id: &str,
            plaintext: &SecretBytes,
            context: &EncryptionContext,
            _: &[String],
        ) -> Result<KmsCiphertext, Error> {
            self.calls.lock().unwrap().push(format!("Encrypt {key_id}"));
            let sealed = self
                .key(key_id)?
                .seal_random_nonce(&context.serialize()?, plaintext.expose_secret())?;
            Ok(KmsCiphertext { ciphertext: sealed, key_id: key_id.to_string() })
        }

        fn decrypt(
            &self,
            key_id: &str,
            ciphertext: &[u8],
            context: &EncryptionContext,
            _: &[String],
        ) -> Result<KmsPlaintext, Error> {
            self.calls.lock().unwrap().push(format!("Decrypt {key_id}"));
            let plaintext = self
                .key(key_id)?
                .open_combined(&context.serialize()?, ciphertext)
                .map_err(|_| Error::Kms("InvalidCiphertextException".into()))?;
            Ok(KmsPlaintext { plaintext, key_id: key_id.to_string() })
        }
    }

    const KEY_A: &str = "arn:aws:kms:us-east-1:111122223333:key/a";
    const KEY_B: &str = "arn:aws:kms:us-east-1:444455556666:key/b";
    const MRK_EAST: &str = "arn:aws:kms:us-east-1:111122223333:key/mrk-1";
    const MRK_WEST: &str = "arn:aws:kms:us-west-2:111122223333:key/mrk-1";

    fn fake() -> Arc<FakeKms> {
        Arc::new(FakeKms::with_keys(&[KEY_A, KEY_B, MRK_EAST, MRK_WEST]))
    }

    fn encrypt_with(keyring: impl Keyring + 'static) -> Vec<u8> {
        let options = EncryptOptions {
            encryption_context: [("dept", "x")].into_iter().collect(),
            ..Default::default()
        };
        Client::default()
            .encrypt(&DefaultCmm::from_keyring(keyring), b"kms secret", &options)
            .unwrap()
            .0
    }

    fn decrypts(keyring: impl Keyring + 'static, message: &[u8]) -> bool {
        Client::default()
            .decrypt(&DefaultCmm::from_keyring(keyring), message, &DecryptOptions::default())
            .is_ok_and(|(p, _)| p == b"kms secret")
    }

    #[test]
    fn parses_arns_and_matches_multi_region_keys() {
        let arn = KmsArn::parse(MRK_EAST).unwrap();
        assert!(arn.is_multi_region_key());
        assert_eq!(arn.in_region("us-west-2").to_string(), MRK_WEST);
        assert!(KmsArn::parse("arn:aws:s3:us-east-1:1:key/a").is_none());
        assert!(KmsArn::parse("alias/foo").is_none());
        assert!(mrk_match(MRK_EAST, MRK_WEST));
        assert!(!mrk_match(KEY_A, "arn:aws:kms:us-west-2:111122223333:key/a"));
        assert!(mrk_match(KEY_A, KEY_A));
    }

    #[test]
    fn strict_keyring_round_trip_and_refusals() {
        let kms = fake();
        let message = encrypt_with(AwsKmsKeyring::new(KEY_A, kms.clone()).unwrap());
        assert!(decrypts(AwsKmsKeyring::new(KEY_A, kms.clone()).unwrap(), &message));
        assert!(!decrypts(AwsKmsKeyring::new(KEY_B, kms.clone()).unwrap(), &message));
        let (_, header) = Client::default()
            .decrypt(
                &DefaultCmm::from_keyring(AwsKmsKeyring::new(KEY_A, kms.clone()).unwrap()),
                &message,
                &DecryptOptions::default(),
            )
            .unwrap();
        assert_eq!(header.header.encrypted_data_keys[0].provider_id, "aws-kms");
        assert_eq!(header.header.encrypted_data_keys[0].provider_info, KEY_A.as_bytes());
        // The strict keyring for B never called KMS for A's data key.
        assert!(!kms.calls.lock().unwrap().iter().any(|c| c == &format!("Decrypt {KEY_B}")));
    }

    #[test]
    fn multi_region_keys_decrypt_through_a_replica() {
        let kms = fake();
        let message = encrypt_with(AwsKmsKeyring::new(MRK_EAST, kms.clone()).unwrap());
        assert!(decrypts(AwsKmsKeyring::new(MRK_WEST, kms.clone()).unwrap(), &message));
        assert!(decrypts(
            AwsKmsDiscoveryKeyring::new(kms.clone(), None, Some("us-west-2".into())).unwrap(),
            &message
        ));
        assert!(kms.calls.lock().unwrap().iter().any(|c| c == &format!("Decrypt {MRK_WEST}")));
    }

    #[test]
    fn discovery_filter_and_multi_keyring() {
        let kms = fake();
        let multi = MultiKeyring::from_list(vec![
            Arc::new(AwsKmsKeyring::new(KEY_A, kms.clone()).unwrap()) as Arc<dyn Keyring>,
            Arc::new(AwsKmsKeyring::new(KEY_B, kms.clone()).unwrap()),
        ])
        .unwrap();
        let message = encrypt_with(multi);
        assert!(decrypts(AwsKmsKeyring::new(KEY_B, kms.clone()).unwrap(), &message));
        let filter = |account: &str| {
            Some(DiscoveryFilter { partition: "aws".into(), account_ids: vec![account.into()] })
        };
        assert!(decrypts(
            AwsKmsDiscoveryKeyring::new(kms.clone(), filter("444455556666"), None).unwrap(),
            &message
        ));
        assert!(!decrypts(
            AwsKmsDiscoveryKeyring::new(kms.clone(), filter("999999999999"), None).unwrap(),
            &message
        ));
        let wrong_partition = Some(DiscoveryFilter {
            partition: "aws-cn".into(),
            account_ids: vec!["111122223333".into()],
        });
        assert!(!decrypts(
            AwsKmsDiscoveryKeyring::new(kms.clone(), wrong_partition, None).unwrap(),
            &message
        ));
        let discovery = AwsKmsDiscoveryKeyring::new(kms, None, None).unwrap();
        let options = EncryptOptions {
            suite: Some(AlgorithmSuite::Aes256GcmHkdfSha512CommitKey),
            ..Default::default()
        };
        assert!(
            Client::default()
                .encrypt(&DefaultCmm::from_keyring(discovery), b"x", &options)
                .is_err()
        );
    }
}
