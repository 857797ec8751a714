//! The group-committing audit writer.

use std::{
    fs::{File, OpenOptions},
    io::{Read, Seek, SeekFrom, Write as _},
    path::{Path, PathBuf},
    sync::{Arc, mpsc},
};

use arca_store::{Precondition, Store, Write};
use serde_json::Value;
use tokio::sync::oneshot;

use super::chain::{ChainHead, chain_hash_of_canonical};

/// Store table and key holding the chain head.
pub const HEAD_TABLE: &str = "audit.head";
/// Key of the chain head record.
pub const HEAD_KEY: &str = "head";
/// Most events written in one batch.
const MAX_BATCH: usize = 4096;

/// How hard a batch is pushed to disk before requests are acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Durability {
    /// `fsync` after every batch (the default): an acknowledged request's event survives power loss.
    Fsync,
    /// Write to the OS only: survives a crash of Arca, not of the machine.
    Flush,
}

/// Where and how the audit log is written.
#[derive(Debug, Clone)]
pub struct AuditOptions {
    /// Directory of `audit.jsonl` and its rotated predecessors.
    pub dir: PathBuf,
    /// Rotate once the active file exceeds this many bytes.
    pub max_file_bytes: u64,
    /// Durability of each batch.
    pub durability: Durability,
}

/// Why an event could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The log file could not be written.
    #[error("audit log write failed: {0}")]
    Io(#[from] std::io::Error),
    /// The chain head could not be stored.
    #[error("audit chain head could not be stored: {0}")]
    Store(#[from] arca_store::StoreError),
    /// The writer has stopped.
    #[error("the audit writer has stopped")]
    Stopped,
}

type Pending = (Value, oneshot::Sender<Result<(), String>>);

/// Handle to the audit writer; cheap to clone.
#[derive(Clone)]
pub struct AuditLog {
    sender: mpsc::Sender<Pending>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditLog")
    }
}

impl AuditLog {
    /// Opens the log, resumes the chain from the file's tail or the stored head, and
    /// starts the writer thread.
    pub async fn open(options: AuditOptions, store: Arc<dyn Store>) -> Result<Self, AuditError> {
        std::fs::create_dir_all(&options.dir)?;
        let path = options.dir.join("audit.jsonl");
        let stored_head: Option<ChainHead> = match store.get(HEAD_TABLE, HEAD_KEY).await? {
            Some(record) => serde_json::from_slice(&record.value).ok(),
            None => None,
        };
        let file_head = last_link(&path)?;
        let head = match (file_head, stored_head) {
            (Some(file), Some(stored)) if file.sequence >= stored.sequence => file,
            (Some(file), Some(stored)) => {
                tracing::error!(
                    file = file.sequence,
                    stored = stored.sequence,
                    "audit log tail is shorter than the stored chain head; continuing from the stored head"
                );
                stored
            }
            (Some(file), None) => file,
            (None, Some(stored)) => stored,
            (None, None) => ChainHead::default(),
        };
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let (sender, receiver) = mpsc::channel::<Pending>();
        let runtime = tokio::runtime::Handle::current();
        let mut writer = Writer { options, path, file, head, store, runtime };
        std::thread::Builder::new()
            .name("arca-audit".into())
            .spawn(move || writer.run(receiver))?;
        Ok(Self { sender })
    }

    /// Records one event and waits until it is durable (per the configured durability).
    pub async fn record(&self, event: Value) -> Result<(), AuditError> {
        let (ack, done) = oneshot::channel();
        self.sender.send((event, ack)).map_err(|_| AuditError::Stopped)?;
        match done.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(message)) => Err(AuditError::Io(std::io::Error::other(message))),
            Err(_) => Err(AuditError::Stopped),
        }
    }
}

struct Writer {
    options: AuditOptions,
    path: PathBuf,
    file: File,
    head: ChainHead,
    store: Arc<dyn Store>,
    runtime: tokio::runtime::Handle,
}

impl Writer {
    fn run(&mut self, receiver: mpsc::Receiver<Pending>) {
        while let Ok(first) = receiver.recv() {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match receiver.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
            let (events, acks): (Vec<Value>, Vec<_>) = batch.into_iter().unzip();
            let outcome = self.write_batch(events).map_err(|e| {
                tracing::error!(error = %e, "audit batch failed; refusing the requests it carried");
                e.to_string()
            });
            for ack in acks {
                let _ = ack.send(outcome.clone());
            }
        }
    }

    fn write_batch(&mut self, events: Vec<Value>) -> Result<(), AuditError> {
        let mut buffer = Vec::with_capacity(events.len() * 768);
        let mut head = self.head.clone();
        for mut event in events {
            let sequence = head.sequence + 1;
            if let Value::Object(map) = &mut event {
                map.insert("sequence".into(), sequence.into());
                map.insert("previousHash".into(), head.hash.clone().into());
            }
            // Serialise once: the canonical form (keys sorted, no hash) is hashed, and
            // the line is that same text with the hash member appended.
            let canonical = serde_json::to_vec(&event).map_err(std::io::Error::other)?;
            let hash = chain_hash_of_canonical(&head.hash, &canonical);
            let Some((closing, body)) = canonical.split_last() else {
                return Err(AuditError::Io(std::io::Error::other("empty audit event")));
            };
            debug_assert_eq!(*closing, b'}');
            buffer.extend_from_slice(body);
            buffer.extend_from_slice(b",\"hash\":\"");
            buffer.extend_from_slice(hash.as_bytes());
            buffer.extend_from_slice(b"\"}\n");
            head = ChainHead { sequence, hash };
        }
        self.file.write_all(&buffer)?;
        match self.options.durability {
            Durability::Fsync => self.file.sync_data()?,
            Durability::Flush => self.file.flush()?,
        }
        let value = serde_json::to_vec(&head).map_err(std::io::Error::other)?;
        let store = Arc::clone(&self.store);
        self.runtime.block_on(store.commit(vec![Write::put(
            HEAD_TABLE,
            HEAD_KEY,
            value,
            Precondition::None,
        )]))?;
        self.head = head;
        if self.file.metadata()?.len() >= self.options.max_file_bytes {
            self.rotate()?;
        }
        Ok(())
    }

    /// Renames the active file after the last sequence it holds and starts a new one.
    fn rotate(&mut self) -> Result<(), AuditError> {
        let rotated = self.options.dir.join(format!("audit-{:012}.jsonl", self.head.sequence));
        std::fs::rename(&self.path, &rotated)?;
        self.file = OpenOptions::new().create(true).append(true).open(&self.path)?;
        if let Ok(dir) = File::open(&self.options.dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

/// The chain link of the last complete line of `path`, if any.
fn last_link(path: &Path) -> Result<Option<ChainHead>, AuditError> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error.into()),
    };
    let length = file.metadata()?.len();
    let start = length.saturating_sub(1 << 20);
    file.seek(SeekFrom::Start(start))?;
    let mut tail = String::new();
    file.read_to_string(&mut tail)?;
    let Some(line) = tail.lines().rev().find(|line| !line.trim().is_empty()) else {
        return Ok(None);
    };
    let value: Value = serde_json::from_str(line).map_err(std::io::Error::other)?;
    let sequence = value.get("sequence").and_then(Value::as_u64);
    let hash = value.get("hash").and_then(Value::as_str);
    Ok(sequence.zip(hash).map(|(sequence, hash)| ChainHead { sequence, hash: hash.to_string() }))
}
