//! The group-committing audit writer, its recovery on start, and its digests.

use std::{
    fs::File,
    io::Write as _,
    path::{Path, PathBuf},
    sync::{Arc, mpsc},
    time::{Duration, Instant},
};

use arca_seal::RootKeyring;
use arca_store::{Precondition, Store, Write};
use serde_json::Value;
use tokio::sync::oneshot;

use super::{
    chain::{ChainHead, chain_hash_of_canonical},
    digest::{
        DIGESTS_FILE, Digest, DigestKey, DigestLink, DigestReason, LAST_DIGEST_KEY,
        PUBLIC_KEY_FILE, line_hash, now_rfc3339, stored_last_digest,
    },
    files::{self, LIVE_FILE, Quarantined},
    line::EventLine,
};

/// Store table holding the chain head and the last digest.
pub const HEAD_TABLE: &str = "audit.head";
/// Key of the chain head record.
pub const HEAD_KEY: &str = "head";
/// `eventName` of the record written on start when a torn final line was moved aside.
pub const TORN_TAIL_EVENT: &str = "AuditTornTailQuarantined";
/// Most events written in one batch.
const MAX_BATCH: usize = 4096;
/// Least time between two store commits of the chain head. Under load a batch is
/// written every fraction of a millisecond; committing the head after each one cost
/// a store transaction (and its sync) per batch, about a sixth of the server's CPU in
/// `bench/kms`. The copy exists to notice a tail cut off the log; trailing the file
/// by this much more leaves that check intact for everything older.
const HEAD_STORE_INTERVAL: Duration = Duration::from_millis(100);

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
    /// Directory of `audit.jsonl`, its rotated predecessors and the digests.
    pub dir: PathBuf,
    /// Rotate once the active file exceeds this many bytes.
    pub max_file_bytes: u64,
    /// Durability of each batch.
    pub durability: Durability,
    /// Longest time records stay without a signed digest (a digest is written only
    /// when records were added since the last one; at least one second).
    pub digest_interval: Duration,
}

impl AuditOptions {
    /// The default [`AuditOptions::digest_interval`].
    pub const DEFAULT_DIGEST_INTERVAL: Duration = Duration::from_secs(300);
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
    /// The digest signing key could not be sealed or unsealed.
    #[error("the audit digest key could not be sealed or unsealed")]
    Seal(#[from] arca_seal::SealError),
    /// The digest signing key is unusable.
    #[error("audit digest key: {0}")]
    DigestKey(String),
    /// The writer has stopped.
    #[error("the audit writer has stopped")]
    Stopped,
}

type Ack = oneshot::Sender<Result<(), String>>;

enum Message {
    /// Write this event, then acknowledge.
    Event(EventLine, Ack),
    /// Write a digest now (if records were added since the last one), then acknowledge.
    Digest(DigestReason, Ack),
    /// Stop at once, writing nothing more: a crash, for tests.
    #[cfg(test)]
    Crash(Ack),
}

/// Handle to the audit writer; cheap to clone.
#[derive(Clone)]
pub struct AuditLog {
    sender: mpsc::Sender<Message>,
    stored_head: Arc<HeadSlot>,
    digest_key: Arc<DigestKey>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditLog")
    }
}

impl AuditLog {
    /// Opens the log and starts the writer thread, after recovering from whatever a
    /// crash left behind:
    ///
    /// - a rotation cut short after the rotated name was made is finished;
    /// - a torn final line (of the log or the digests file) is moved into a new
    ///   quarantine file, and a [`TORN_TAIL_EVENT`] record naming it is appended;
    /// - the chain continues from the last record of the newest file, live or
    ///   rotated (the store's copy of the head and the last digest only win when they
    ///   are ahead, i.e. the log lost its tail, so the gap stays visible);
    /// - records no digest covers yet get one.
    ///
    /// The digest signing key is loaded (or created) here, sealed under `keyring`.
    pub async fn open(
        options: AuditOptions,
        store: Arc<dyn Store>,
        keyring: Arc<RootKeyring>,
    ) -> Result<Self, AuditError> {
        files::create_dir(&options.dir)?;
        let path = options.dir.join(LIVE_FILE);
        let digests_path = options.dir.join(DIGESTS_FILE);

        let rotated = files::rotated_files(&options.dir)?;
        if let Some(newest) = rotated.first()
            && files::same_file(&path, newest)
        {
            tracing::warn!(file = %newest.display(), "finishing an interrupted audit log rotation");
            std::fs::remove_file(&path)?;
            files::sync_dir(&options.dir);
        }
        let mut internal_events = Vec::new();
        for file in [&path, &digests_path] {
            if let Some(quarantined) = files::quarantine_torn_tail(file)? {
                tracing::error!(
                    file = %file.display(),
                    quarantine = quarantined.file,
                    bytes = quarantined.bytes,
                    "moved a torn final audit line aside"
                );
                internal_events.push(
                    EventLine::from_value(&torn_tail_event(&quarantined))
                        .map_err(std::io::Error::other)?,
                );
            }
        }

        let file_head = newest_file_head(&path, &rotated)?;
        let stored_head: Option<ChainHead> = match store.get(HEAD_TABLE, HEAD_KEY).await? {
            Some(record) => serde_json::from_slice(&record.value).ok(),
            None => None,
        };
        let file_digest = files::last_line_matching(&digests_path, |line| {
            let digest: Digest = serde_json::from_slice(line).ok()?;
            let line = std::str::from_utf8(line).ok()?;
            Some(DigestLink {
                number: digest.number,
                line_hash: line_hash(line),
                sequence: digest.sequence,
                hash: digest.hash,
                time: digest.time,
            })
        })?;
        let last_digest = match (file_digest, stored_last_digest(&*store).await?) {
            (Some(file), Some(stored)) if stored.number > file.number => {
                tracing::error!(
                    file = file.number,
                    stored = stored.number,
                    "the audit digests file ends before the store's copy of the last digest; continuing the numbering from the store"
                );
                stored
            }
            (None, Some(stored)) => {
                tracing::error!(
                    stored = stored.number,
                    "the audit digests file is missing or empty but the store records digests"
                );
                stored
            }
            (Some(file), _) => file,
            (None, None) => DigestLink::default(),
        };
        let mut head = file_head.unwrap_or_default();
        let digested = ChainHead { sequence: last_digest.sequence, hash: last_digest.hash.clone() };
        for (copy, other) in
            [("the store's chain head", stored_head), ("the last digest", Some(digested))]
        {
            if let Some(other) = other
                && other.sequence > head.sequence
            {
                tracing::error!(
                    file = head.sequence,
                    other = other.sequence,
                    copy,
                    "the audit log ends before a copy of its head: records were removed from its tail; continuing after the copy"
                );
                head = other;
            }
        }

        let file = files::open_append(&path)?;
        let file_len = file.metadata()?.len();
        let digests = files::open_append(&digests_path)?;
        let digests_len = digests.metadata()?.len();
        let digest_key = DigestKey::load_or_create(Arc::clone(&store), keyring).await?;
        files::write_if_changed(
            &options.dir.join(PUBLIC_KEY_FILE),
            digest_key.public_key_pem().as_bytes(),
        )?;
        files::sync_dir(&options.dir);

        let stored_head = Arc::new(HeadSlot::default());
        let runtime = tokio::runtime::Handle::current();
        let slot = Arc::clone(&stored_head);
        std::thread::Builder::new()
            .name("arca-audit-head".into())
            .spawn(move || slot.run(store, runtime))?;
        let mut options = options;
        options.digest_interval = options.digest_interval.max(Duration::from_secs(1));
        let mut writer = Writer {
            options,
            path,
            file,
            file_len,
            head,
            stored_head: Arc::clone(&stored_head),
            digests,
            digests_len,
            digest_key: Arc::clone(&digest_key),
            last_digest,
            last_digest_at: Instant::now(),
        };
        if !internal_events.is_empty() {
            writer.write_batch(internal_events)?;
        }
        writer.rotate_if_full();
        writer.write_digest(DigestReason::Start)?;
        let (sender, receiver) = mpsc::channel::<Message>();
        std::thread::Builder::new()
            .name("arca-audit".into())
            .spawn(move || writer.run(receiver))?;
        Ok(Self { sender, stored_head, digest_key })
    }

    /// The key that signs the digests (its sealed private half must be re-wrapped
    /// when the root key rotates).
    pub fn digest_key(&self) -> &Arc<DigestKey> {
        &self.digest_key
    }

    /// Waits (up to `timeout`) until the chain head in the store has caught up with
    /// every event written.
    pub async fn sync_head(&self, timeout: Duration) -> bool {
        let slot = Arc::clone(&self.stored_head);
        tokio::task::spawn_blocking(move || slot.wait_stored(timeout)).await.unwrap_or(false)
    }

    /// Call on shutdown, after the last request: writes a digest covering every
    /// record (so none can vanish unnoticed) and waits (up to `timeout` each) for it
    /// and the store's copies of the head. False when either did not happen.
    pub async fn close(&self, timeout: Duration) -> bool {
        let (ack, done) = oneshot::channel();
        let digest = match self.sender.send(Message::Digest(DigestReason::Shutdown, ack)) {
            Ok(()) => match tokio::time::timeout(timeout, done).await {
                Ok(Ok(Ok(()))) => true,
                Ok(Ok(Err(error))) => {
                    tracing::error!(%error, "the audit digest at shutdown could not be written");
                    false
                }
                Ok(Err(_)) | Err(_) => false,
            },
            Err(_) => false,
        };
        self.sync_head(timeout).await && digest
    }

    /// Records one event and waits until it is durable (per the configured durability).
    pub async fn record(&self, event: EventLine) -> Result<(), AuditError> {
        let (ack, done) = oneshot::channel();
        self.sender.send(Message::Event(event, ack)).map_err(|_| AuditError::Stopped)?;
        match done.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(message)) => Err(AuditError::Io(std::io::Error::other(message))),
            Err(_) => Err(AuditError::Stopped),
        }
    }

    /// Stops the writer as a crash would: no digest, no more writes.
    #[cfg(test)]
    pub(super) async fn crash(&self) {
        let (ack, done) = oneshot::channel();
        if self.sender.send(Message::Crash(ack)).is_ok() {
            let _ = done.await;
        }
    }
}

/// The link of the newest record on disk: the live file's last record, else the
/// newest rotated file's (the live file is empty right after a rotation).
fn newest_file_head(live: &Path, rotated: &[PathBuf]) -> Result<Option<ChainHead>, AuditError> {
    let mut newest = files::last_link(live)?;
    for file in rotated {
        if let Some(link) = files::last_link(file)? {
            if newest.as_ref().is_none_or(|head| link.sequence > head.sequence) {
                newest = Some(link);
            }
            break;
        }
    }
    Ok(newest)
}

/// The chain record saying where a torn final line went.
fn torn_tail_event(quarantined: &Quarantined) -> Value {
    serde_json::json!({
        "eventVersion": "1.08",
        "userIdentity": { "type": "ArcaInternal" },
        "eventTime": now_rfc3339(),
        "eventSource": "arca.internal",
        "eventName": TORN_TAIL_EVENT,
        "awsRegion": "",
        "requestParameters": Value::Null,
        "responseElements": Value::Null,
        "additionalEventData": {
            "logFile": quarantined.from,
            "quarantineFile": quarantined.file,
            "tornBytes": quarantined.bytes,
            "tornSha256": quarantined.sha256,
        },
        "eventID": uuid::Uuid::new_v4().to_string(),
        "readOnly": false,
        "eventType": "ArcaInternal",
        "managementEvent": true,
        "recipientAccountId": "",
        "eventCategory": "Management",
    })
}

struct Writer {
    options: AuditOptions,
    path: PathBuf,
    file: File,
    /// Bytes in `file` (to rotate, and to cut a failed write back off).
    file_len: u64,
    head: ChainHead,
    stored_head: Arc<HeadSlot>,
    digests: File,
    digests_len: u64,
    digest_key: Arc<DigestKey>,
    last_digest: DigestLink,
    last_digest_at: Instant,
}

/// The newest chain head and digest waiting to be copied into the store.
///
/// The store copies exist to detect a cut-off tail; they may trail the files (the
/// writer resumes from the files themselves), so they are written by their own
/// thread, off the path that acknowledges requests: one store commit per batch would
/// double the latency of every audited request. Copies that arrive while a commit
/// runs are coalesced into the next one.
#[derive(Default)]
struct HeadSlot {
    latest: std::sync::Mutex<Copies>,
    ready: std::sync::Condvar,
    /// (last generation published, last generation stored).
    progress: std::sync::Mutex<(u64, u64)>,
    stored: std::sync::Condvar,
}

#[derive(Default)]
struct Copies {
    head: Option<ChainHead>,
    digest: Option<DigestLink>,
    generation: u64,
}

impl HeadSlot {
    fn publish(&self, update: impl FnOnce(&mut Copies)) {
        let mut latest = self.latest.lock().unwrap_or_else(|p| p.into_inner());
        update(&mut latest);
        latest.generation += 1;
        self.progress.lock().unwrap_or_else(|p| p.into_inner()).0 = latest.generation;
        drop(latest);
        self.ready.notify_one();
    }

    /// Waits until everything published is in the store, or `timeout` passes.
    fn wait_stored(&self, timeout: Duration) -> bool {
        let progress = self.progress.lock().unwrap_or_else(|p| p.into_inner());
        let (progress, _) = self
            .stored
            .wait_timeout_while(progress, timeout, |(published, stored)| stored < published)
            .unwrap_or_else(|p| p.into_inner());
        progress.1 >= progress.0
    }

    fn run(&self, store: Arc<dyn Store>, runtime: tokio::runtime::Handle) {
        let mut last_commit: Option<Instant> = None;
        loop {
            if let Some(wait) = last_commit
                .map(|at| HEAD_STORE_INTERVAL.saturating_sub(at.elapsed()))
                .filter(|wait| !wait.is_zero())
            {
                // Copies published meanwhile are coalesced into the next commit.
                std::thread::sleep(wait);
            }
            let (head, digest, generation) = {
                let mut latest = self.latest.lock().unwrap_or_else(|p| p.into_inner());
                while latest.head.is_none() && latest.digest.is_none() {
                    latest = self.ready.wait(latest).unwrap_or_else(|p| p.into_inner());
                }
                (latest.head.take(), latest.digest.take(), latest.generation)
            };
            let mut writes = Vec::new();
            for (key, value) in [
                (HEAD_KEY, head.as_ref().and_then(|head| serde_json::to_vec(head).ok())),
                (LAST_DIGEST_KEY, digest.as_ref().and_then(|link| serde_json::to_vec(link).ok())),
            ] {
                if let Some(value) = value {
                    writes.push(Write::put(HEAD_TABLE, key, value, Precondition::None));
                }
            }
            last_commit = Some(Instant::now());
            match runtime.block_on(store.commit(writes)) {
                Ok(_) => {
                    let mut progress = self.progress.lock().unwrap_or_else(|p| p.into_inner());
                    progress.1 = progress.1.max(generation);
                    self.stored.notify_all();
                }
                Err(error) => tracing::error!(
                    %error,
                    sequence = head.map(|head| head.sequence),
                    "audit chain head could not be stored"
                ),
            }
        }
    }
}

impl Writer {
    fn run(&mut self, receiver: mpsc::Receiver<Message>) {
        loop {
            let first = match self.digest_due_in() {
                Some(wait) => match receiver.recv_timeout(wait) {
                    Ok(message) => message,
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        self.write_digest_logged(DigestReason::Interval);
                        continue;
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                },
                None => match receiver.recv() {
                    Ok(message) => message,
                    Err(_) => break,
                },
            };
            let mut events = Vec::new();
            let mut acks = Vec::new();
            let mut requests = Vec::new();
            let mut next = Some(first);
            while let Some(message) = next.take() {
                match message {
                    Message::Event(event, ack) => {
                        events.push(event);
                        acks.push(ack);
                    }
                    Message::Digest(reason, ack) => requests.push((reason, ack)),
                    #[cfg(test)]
                    Message::Crash(ack) => {
                        let _ = ack.send(Ok(()));
                        return;
                    }
                }
                if events.len() < MAX_BATCH {
                    next = receiver.try_recv().ok();
                }
            }
            if !events.is_empty() {
                let outcome = self.write_batch(events).map_err(|e| {
                    tracing::error!(error = %e, "audit batch failed; refusing the requests it carried");
                    e.to_string()
                });
                for ack in acks {
                    let _ = ack.send(outcome.clone());
                }
                self.rotate_if_full();
            }
            for (reason, ack) in requests {
                let _ = ack.send(self.write_digest(reason).map(|_| ()).map_err(|e| e.to_string()));
            }
            if self.digest_due_in().is_some_and(|wait| wait.is_zero()) {
                self.write_digest_logged(DigestReason::Interval);
            }
        }
        // Every handle is gone: the server is stopping.
        self.write_digest_logged(DigestReason::Shutdown);
    }

    fn write_batch(&mut self, events: Vec<EventLine>) -> Result<(), AuditError> {
        let mut buffer = Vec::with_capacity(events.len() * 1024);
        let mut head = self.head.clone();
        for event in events {
            let sequence = head.sequence + 1;
            // The canonical form (keys sorted, no hash) is written in place and hashed;
            // the line is that same text with the hash member appended.
            let start = buffer.len();
            event.write_canonical(&mut buffer, &head.hash, sequence);
            let hash = chain_hash_of_canonical(&head.hash, &buffer[start..]);
            buffer.pop(); // the closing brace
            buffer.extend_from_slice(b",\"hash\":\"");
            buffer.extend_from_slice(hash.as_bytes());
            buffer.extend_from_slice(b"\"}\n");
            head = ChainHead { sequence, hash };
        }
        let written = self.file.write_all(&buffer).and_then(|()| match self.options.durability {
            Durability::Fsync => self.file.sync_data(),
            Durability::Flush => self.file.flush(),
        });
        if let Err(error) = written {
            // Leave no partial line for the next batch to follow.
            let _ = self.file.set_len(self.file_len);
            return Err(error.into());
        }
        self.file_len += buffer.len() as u64;
        self.stored_head.publish(|copies| copies.head = Some(head.clone()));
        self.head = head;
        Ok(())
    }

    /// Rotates a full live file and signs a digest of what it ends with. Runs after
    /// the batch was acknowledged; a failed rotation is retried after the next batch
    /// (the records are durable either way).
    fn rotate_if_full(&mut self) {
        if self.file_len == 0 || self.file_len < self.options.max_file_bytes {
            return;
        }
        match self.rotate() {
            Ok(()) => self.write_digest_logged(DigestReason::Rotation),
            Err(error) => tracing::error!(%error, "audit log rotation failed"),
        }
    }

    /// Gives the live file the name of the last sequence it holds (never an existing
    /// file's name) and starts a new one.
    fn rotate(&mut self) -> Result<(), AuditError> {
        files::rotate_into_free_name(&self.path, &self.options.dir, self.head.sequence)?;
        self.file = files::open_append(&self.path)?;
        self.file_len = 0;
        files::sync_dir(&self.options.dir);
        Ok(())
    }

    /// How long until the periodic digest is due; `None` while every record is covered.
    fn digest_due_in(&self) -> Option<Duration> {
        (self.head.sequence > self.last_digest.sequence).then(|| {
            (self.last_digest_at + self.options.digest_interval)
                .saturating_duration_since(Instant::now())
        })
    }

    fn write_digest_logged(&mut self, reason: DigestReason) {
        if let Err(error) = self.write_digest(reason) {
            tracing::error!(%error, ?reason, "the audit digest could not be written");
        }
    }

    /// Signs and appends a digest of the chain head, unless the last one covers it.
    /// Returns whether one was written.
    fn write_digest(&mut self, reason: DigestReason) -> Result<bool, AuditError> {
        if self.head.sequence <= self.last_digest.sequence {
            return Ok(false);
        }
        if self.options.durability == Durability::Flush {
            // A digest must not vouch for records a power cut could still take.
            self.file.sync_data()?;
        }
        let mut digest = Digest {
            digest_version: 1,
            number: self.last_digest.number + 1,
            time: now_rfc3339(),
            sequence: self.head.sequence,
            hash: self.head.hash.clone(),
            previous_digest_hash: self.last_digest.line_hash.clone(),
            reason,
            key_id: String::new(),
            signature_algorithm: String::new(),
            signature: String::new(),
        };
        self.digest_key.sign(&mut digest)?;
        let line = digest.to_line().map_err(std::io::Error::other)?;
        let mut bytes = line.clone().into_bytes();
        bytes.push(b'\n');
        let written = self.digests.write_all(&bytes).and_then(|()| self.digests.sync_data());
        if let Err(error) = written {
            let _ = self.digests.set_len(self.digests_len);
            return Err(error.into());
        }
        self.digests_len += bytes.len() as u64;
        self.last_digest = DigestLink {
            number: digest.number,
            line_hash: line_hash(&line),
            sequence: digest.sequence,
            hash: digest.hash,
            time: digest.time,
        };
        self.last_digest_at = Instant::now();
        let link = self.last_digest.clone();
        self.stored_head.publish(|copies| copies.digest = Some(link));
        Ok(true)
    }
}
