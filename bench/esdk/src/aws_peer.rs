//! The official Rust AWS Encryption SDK (`aws-esdk` from crates.io) as a peer: the same
//! raw keyrings as Arca's, driven synchronously over a current-thread runtime.
//!
//! `aws-esdk` encrypts and decrypts whole messages in memory (it has no streaming API),
//! so the benchmark measures it on a size it can hold.

use std::collections::HashMap;

use aws_esdk::material_providers::client as mpl_client;
use aws_esdk::material_providers::types::keyring::KeyringRef;
use aws_esdk::material_providers::types::material_providers_config::MaterialProvidersConfig;
use aws_esdk::material_providers::types::{
    AesWrappingAlg, EsdkAlgorithmSuiteId, EsdkCommitmentPolicy, PaddingScheme,
};
use aws_esdk::types::aws_encryption_sdk_config::AwsEncryptionSdkConfig;
use aws_smithy_types::Blob;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// One `aws-esdk` client per commitment policy, and a runtime to drive them.
pub struct AwsEsdk {
    runtime: tokio::runtime::Runtime,
    mpl: mpl_client::Client,
    forbid: aws_esdk::Client,
    require_allow: aws_esdk::Client,
    require_require: aws_esdk::Client,
}

/// The `aws-esdk` name of a suite id.
pub fn suite(id: u16) -> EsdkAlgorithmSuiteId {
    match id {
        0x0014 => EsdkAlgorithmSuiteId::AlgAes128GcmIv12Tag16NoKdf,
        0x0046 => EsdkAlgorithmSuiteId::AlgAes192GcmIv12Tag16NoKdf,
        0x0078 => EsdkAlgorithmSuiteId::AlgAes256GcmIv12Tag16NoKdf,
        0x0114 => EsdkAlgorithmSuiteId::AlgAes128GcmIv12Tag16HkdfSha256,
        0x0146 => EsdkAlgorithmSuiteId::AlgAes192GcmIv12Tag16HkdfSha256,
        0x0178 => EsdkAlgorithmSuiteId::AlgAes256GcmIv12Tag16HkdfSha256,
        0x0214 => EsdkAlgorithmSuiteId::AlgAes128GcmIv12Tag16HkdfSha256EcdsaP256,
        0x0346 => EsdkAlgorithmSuiteId::AlgAes192GcmIv12Tag16HkdfSha384EcdsaP384,
        0x0378 => EsdkAlgorithmSuiteId::AlgAes256GcmIv12Tag16HkdfSha384EcdsaP384,
        0x0478 => EsdkAlgorithmSuiteId::AlgAes256GcmHkdfSha512CommitKey,
        0x0578 => EsdkAlgorithmSuiteId::AlgAes256GcmHkdfSha512CommitKeyEcdsaP384,
        other => panic!("no such suite 0x{other:04x}"),
    }
}

/// The `aws-esdk` name of an RSA padding, by the `arca encrypt` spelling.
pub fn padding(name: &str) -> PaddingScheme {
    match name {
        "pkcs1" => PaddingScheme::Pkcs1,
        "oaep-sha1" => PaddingScheme::OaepSha1Mgf1,
        "oaep-sha256" => PaddingScheme::OaepSha256Mgf1,
        "oaep-sha384" => PaddingScheme::OaepSha384Mgf1,
        "oaep-sha512" => PaddingScheme::OaepSha512Mgf1,
        other => panic!("no such padding {other}"),
    }
}

fn client(policy: EsdkCommitmentPolicy) -> Result<aws_esdk::Client, BoxError> {
    let config = AwsEncryptionSdkConfig::builder().commitment_policy(policy).build()?;
    Ok(aws_esdk::Client::from_conf(config)?)
}

impl AwsEsdk {
    /// Clients for the three commitment policies.
    pub fn new() -> Result<Self, BoxError> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        Ok(Self {
            runtime,
            mpl: mpl_client::Client::from_conf(MaterialProvidersConfig::builder().build()?)?,
            forbid: client(EsdkCommitmentPolicy::ForbidEncryptAllowDecrypt)?,
            require_allow: client(EsdkCommitmentPolicy::RequireEncryptAllowDecrypt)?,
            require_require: client(EsdkCommitmentPolicy::RequireEncryptRequireDecrypt)?,
        })
    }

    /// A raw AES keyring over `key` (16, 24 or 32 bytes).
    pub fn raw_aes(&self, namespace: &str, name: &str, key: &[u8]) -> Result<KeyringRef, BoxError> {
        let alg = match key.len() {
            16 => AesWrappingAlg::AlgAes128GcmIv12Tag16,
            24 => AesWrappingAlg::AlgAes192GcmIv12Tag16,
            _ => AesWrappingAlg::AlgAes256GcmIv12Tag16,
        };
        let builder = self
            .mpl
            .create_raw_aes_keyring()
            .key_namespace(namespace)
            .key_name(name)
            .wrapping_key(key.to_vec())
            .wrapping_alg(alg);
        Ok(self.runtime.block_on(builder.send())?)
    }

    /// A raw RSA keyring from PEM documents (SPKI public key, PKCS#8 private key).
    pub fn raw_rsa(
        &self,
        namespace: &str,
        name: &str,
        padding_scheme: PaddingScheme,
        public_pem: Option<&[u8]>,
        private_pem: Option<&[u8]>,
    ) -> Result<KeyringRef, BoxError> {
        let mut builder = self
            .mpl
            .create_raw_rsa_keyring()
            .key_namespace(namespace)
            .key_name(name)
            .padding_scheme(padding_scheme);
        if let Some(pem) = public_pem {
            builder = builder.public_key(pem.to_vec());
        }
        if let Some(pem) = private_pem {
            builder = builder.private_key(pem.to_vec());
        }
        Ok(self.runtime.block_on(builder.send())?)
    }

    /// A multi-keyring: the generator and children.
    pub fn multi(
        &self,
        generator: KeyringRef,
        children: Vec<KeyringRef>,
    ) -> Result<KeyringRef, BoxError> {
        let builder = self.mpl.create_multi_keyring().generator(generator).child_keyrings(children);
        Ok(self.runtime.block_on(builder.send())?)
    }

    /// Encrypts `plaintext` whole under `suite_id` (committing suites under
    /// REQUIRE_ENCRYPT_REQUIRE_DECRYPT, the others under FORBID_ENCRYPT_ALLOW_DECRYPT).
    pub fn encrypt(
        &self,
        keyring: &KeyringRef,
        suite_id: u16,
        frame_length: u32,
        context: &HashMap<String, String>,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, BoxError> {
        let client = if suite_id >= 0x0478 { &self.require_require } else { &self.forbid };
        let call = client
            .encrypt()
            .plaintext(Blob::new(plaintext))
            .keyring(keyring.clone())
            .encryption_context(context.clone())
            .algorithm_suite_id(suite(suite_id))
            .frame_length(i64::from(frame_length))
            .send();
        let output = self.runtime.block_on(call)?;
        Ok(output.ciphertext.ok_or("aws-esdk returned no ciphertext")?.into_inner())
    }

    /// Decrypts a whole message under REQUIRE_ENCRYPT_ALLOW_DECRYPT (any suite), giving
    /// the plaintext, or the error `aws-esdk` refused it with.
    pub fn decrypt(
        &self,
        keyring: &KeyringRef,
        context: &HashMap<String, String>,
        message: &[u8],
    ) -> Result<Vec<u8>, BoxError> {
        let call = self
            .require_allow
            .decrypt()
            .ciphertext(Blob::new(message))
            .keyring(keyring.clone())
            .encryption_context(context.clone())
            .send();
        let output = self.runtime.block_on(call)?;
        Ok(output.plaintext.ok_or("aws-esdk returned no plaintext")?.into_inner())
    }
}
