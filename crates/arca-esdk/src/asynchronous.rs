//! Async adapters (cargo feature `async`): the synchronous core run on tokio's blocking
//! pool, with `AsyncRead`/`AsyncWrite` bridged to `Read`/`Write`, so an async server never
//! blocks its reactor on AES-GCM, hashing, RSA or KMS calls.
//!
//! The streaming guarantees of [`Client::decrypt_stream`] hold unchanged: only an `Ok`
//! return means that what was written is authentic.

use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::io::SyncIoBridge;

use crate::{
    Client, CryptographicMaterialsManager, DecryptOptions, DecryptedMessage, EncryptOptions, Error,
    MessageHeader,
};

fn join_error(error: tokio::task::JoinError) -> Error {
    Error::Io(std::io::Error::other(error))
}

/// [`Client::encrypt`] on the blocking pool.
pub async fn encrypt(
    client: Client,
    cmm: Arc<dyn CryptographicMaterialsManager>,
    plaintext: Vec<u8>,
    options: EncryptOptions,
) -> Result<(Vec<u8>, MessageHeader), Error> {
    tokio::task::spawn_blocking(move || client.encrypt(&*cmm, &plaintext, &options))
        .await
        .map_err(join_error)?
}

/// [`Client::decrypt`] on the blocking pool.
pub async fn decrypt(
    client: Client,
    cmm: Arc<dyn CryptographicMaterialsManager>,
    message: Vec<u8>,
    options: DecryptOptions,
) -> Result<(Vec<u8>, DecryptedMessage), Error> {
    tokio::task::spawn_blocking(move || client.decrypt(&*cmm, &message, &options))
        .await
        .map_err(join_error)?
}

/// [`Client::encrypt_stream`] from an `AsyncRead` into an `AsyncWrite`; returns the
/// header and hands the reader and writer back.
pub async fn encrypt_stream<R, W>(
    client: Client,
    cmm: Arc<dyn CryptographicMaterialsManager>,
    options: EncryptOptions,
    input: R,
    output: W,
) -> Result<(MessageHeader, R, W), Error>
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let mut reader = SyncIoBridge::new(input);
    let mut writer = SyncIoBridge::new(output);
    tokio::task::spawn_blocking(move || {
        let header = client.encrypt_stream(&*cmm, &options, &mut reader, &mut writer)?;
        writer.shutdown()?;
        Ok((header, reader.into_inner(), writer.into_inner()))
    })
    .await
    .map_err(join_error)?
}

/// [`Client::decrypt_stream`] from an `AsyncRead` into an `AsyncWrite`. On `Err`, discard
/// whatever reached the writer.
pub async fn decrypt_stream<R, W>(
    client: Client,
    cmm: Arc<dyn CryptographicMaterialsManager>,
    options: DecryptOptions,
    input: R,
    output: W,
) -> Result<(DecryptedMessage, R, W), Error>
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let mut reader = SyncIoBridge::new(input);
    let mut writer = SyncIoBridge::new(output);
    tokio::task::spawn_blocking(move || {
        let decrypted = client.decrypt_stream(&*cmm, &options, &mut reader, &mut writer)?;
        writer.shutdown()?;
        Ok((decrypted, reader.into_inner(), writer.into_inner()))
    })
    .await
    .map_err(join_error)?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DefaultCmm;
    use crate::keyring::RawAesKeyring;
    use arca_crypto::SecretBytes;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn async_round_trips() {
        let keyring = RawAesKeyring::new("ns", "k", SecretBytes::new(vec![7; 32])).unwrap();
        let cmm: Arc<dyn CryptographicMaterialsManager> =
            Arc::new(DefaultCmm::from_keyring(keyring));
        let client = Client::default();
        let (message, _) =
            encrypt(client, cmm.clone(), b"async".to_vec(), EncryptOptions::default())
                .await
                .unwrap();
        let (plaintext, _) =
            decrypt(client, cmm.clone(), message, DecryptOptions::default()).await.unwrap();
        assert_eq!(plaintext, b"async");

        let data = vec![9u8; 100_000];
        let (_, _, message) = encrypt_stream(
            client,
            cmm.clone(),
            EncryptOptions::default(),
            std::io::Cursor::new(data.clone()),
            Vec::new(),
        )
        .await
        .unwrap();
        let (_, _, plaintext) = decrypt_stream(
            client,
            cmm.clone(),
            DecryptOptions::default(),
            std::io::Cursor::new(message.clone()),
            Vec::new(),
        )
        .await
        .unwrap();
        assert_eq!(plaintext, data);
        let truncated = message[..message.len() - 1].to_vec();
        assert!(
            decrypt_stream(
                client,
                cmm,
                DecryptOptions::default(),
                std::io::Cursor::new(truncated),
                Vec::new()
            )
            .await
            .is_err()
        );
    }
}
