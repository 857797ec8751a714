//! The writer, its recovery and its digests, end to end on a temporary directory.

use std::{path::Path, sync::Arc, time::Duration};

use arca_seal::{RootKeyring, SealProvider};
use arca_store::{Precondition, Store, Write};
use serde_json::Value;

use super::*;

struct Fixture {
    dir: tempfile::TempDir,
    store: Arc<dyn Store>,
    keyring: Arc<RootKeyring>,
}

impl Fixture {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(arca_store::SqliteStore::memory().await.unwrap());
        let keyring = RootKeyring::unseal(
            Arc::clone(&store),
            &SealProvider::File { path: dir.path().join("root.key") },
        )
        .await
        .unwrap();
        Self { dir, store, keyring }
    }

    /// The audit directory: created by the writer, below the temporary directory.
    fn audit_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("audit")
    }

    fn options(&self, max_file_bytes: u64) -> AuditOptions {
        AuditOptions {
            dir: self.audit_dir(),
            max_file_bytes,
            durability: Durability::Fsync,
            digest_interval: AuditOptions::DEFAULT_DIGEST_INTERVAL,
        }
    }

    async fn open(&self, options: AuditOptions) -> AuditLog {
        AuditLog::open(options, Arc::clone(&self.store), Arc::clone(&self.keyring)).await.unwrap()
    }

    fn path(&self, name: &str) -> std::path::PathBuf {
        self.audit_dir().join(name)
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap()
    }

    /// The rotated files, then the live one: chain order.
    fn chain_files(&self) -> Vec<std::path::PathBuf> {
        let mut rotated: Vec<_> = std::fs::read_dir(self.audit_dir())
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| {
                let name = path.file_name().unwrap().to_str().unwrap();
                name.starts_with("audit-") && name.ends_with(".jsonl")
            })
            .collect();
        rotated.sort();
        rotated.push(self.path(LIVE_FILE));
        rotated
    }

    fn records(&self) -> Vec<Value> {
        self.chain_files()
            .iter()
            .flat_map(|path| {
                std::fs::read_to_string(path)
                    .unwrap()
                    .lines()
                    .map(|line| serde_json::from_str(line).unwrap())
                    .collect::<Vec<Value>>()
            })
            .collect()
    }

    /// `arca audit verify` in miniature: the chain, the digests and their coverage.
    async fn verify(&self) -> Vec<String> {
        let (_, der) = stored_public_key(&*self.store).await.unwrap().unwrap();
        let (_, key) = verifying_key(&der).unwrap();
        let digests = std::fs::read_to_string(self.path(DIGESTS_FILE)).unwrap_or_default();
        let check = check_digests(&digests, Some(&key));
        let mut problems = check.problems.clone();
        let mut chain = ChainVerifier::new(None);
        for digest in &check.trusted {
            chain.watch(digest.sequence);
        }
        for file in self.chain_files() {
            problems.extend(chain.check_text(&std::fs::read_to_string(file).unwrap()));
        }
        problems.extend(check_coverage(&check.trusted, &chain));
        problems
    }

    fn digests(&self) -> Vec<Digest> {
        self.read(DIGESTS_FILE).lines().map(|line| serde_json::from_str(line).unwrap()).collect()
    }
}

fn event(n: u64) -> EventLine {
    EventLine::from_value(&serde_json::json!({ "eventName": "Encrypt", "n": n })).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resumes_after_a_rotation_with_an_empty_live_file() {
    let fixture = Fixture::new().await;
    // Every batch fills the file: each record ends up in its own rotated file.
    let log = fixture.open(fixture.options(1)).await;
    for n in 1..=3 {
        log.record(event(n)).await.unwrap();
    }
    log.crash().await;
    assert!(log.sync_head(Duration::from_secs(5)).await);
    let rotated_before: Vec<_> = fixture
        .chain_files()
        .iter()
        .filter(|path| path.file_name().unwrap() != LIVE_FILE)
        .map(|path| (path.clone(), std::fs::read(path).unwrap()))
        .collect();
    assert_eq!(rotated_before.len(), 3);
    assert_eq!(fixture.read(LIVE_FILE), "");
    // The store's copy of the head lags (it is written off the request path).
    let lagging = serde_json::to_vec(&ChainHead {
        sequence: 1,
        hash: fixture.records()[0]["hash"].as_str().unwrap().to_string(),
    })
    .unwrap();
    fixture
        .store
        .commit(vec![Write::put(HEAD_TABLE, HEAD_KEY, lagging, Precondition::None)])
        .await
        .unwrap();

    let log = fixture.open(fixture.options(1)).await;
    for n in 4..=5 {
        log.record(event(n)).await.unwrap();
    }
    assert!(log.close(Duration::from_secs(5)).await);
    let sequences: Vec<u64> =
        fixture.records().iter().map(|r| r["sequence"].as_u64().unwrap()).collect();
    assert_eq!(sequences, [1, 2, 3, 4, 5]);
    for (path, bytes) in rotated_before {
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "{} was overwritten", path.display());
    }
    assert_eq!(fixture.verify().await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_never_replaces_an_existing_file() {
    let fixture = Fixture::new().await;
    let log = fixture.open(fixture.options(1)).await;
    log.record(event(1)).await.unwrap();
    log.crash().await;
    // A file already holds the name the next rotation would choose.
    let squatter = fixture.path(&files::rotated_name(2, 1));
    std::fs::write(&squatter, b"not to be lost\n").unwrap();
    let log = fixture.open(fixture.options(1)).await;
    log.record(event(2)).await.unwrap();
    log.crash().await; // after the rotation, which follows the acknowledgement
    assert_eq!(std::fs::read(&squatter).unwrap(), b"not to be lost\n");
    let moved = fixture.read(&files::rotated_name(2, 2));
    assert_eq!(serde_json::from_str::<Value>(moved.trim()).unwrap()["sequence"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torn_tail_is_quarantined_and_named_in_the_chain() {
    let fixture = Fixture::new().await;
    let log = fixture.open(fixture.options(1 << 20)).await;
    for n in 1..=2 {
        log.record(event(n)).await.unwrap();
    }
    log.crash().await;
    let torn = br#"{"eventName":"Encrypt","sequ"#;
    let mut live = std::fs::OpenOptions::new().append(true).open(fixture.path(LIVE_FILE)).unwrap();
    std::io::Write::write_all(&mut live, torn).unwrap();
    drop(live);

    let mut chain = ChainVerifier::new(None);
    let problems = chain.check_text(&fixture.read(LIVE_FILE));
    assert_eq!(problems, [format!("line 3: {TORN_FINAL_LINE}")]);

    let log = fixture.open(fixture.options(1 << 20)).await;
    log.record(event(3)).await.unwrap();
    assert!(log.close(Duration::from_secs(5)).await);
    let records = fixture.records();
    let notice = &records[2];
    assert_eq!(notice["eventName"], TORN_TAIL_EVENT);
    assert_eq!(notice["sequence"], 3);
    let data = &notice["additionalEventData"];
    assert_eq!(data["logFile"], LIVE_FILE);
    assert_eq!(data["tornBytes"], torn.len());
    let quarantine = data["quarantineFile"].as_str().unwrap();
    assert!(quarantine.starts_with("audit.torn-"), "{quarantine}");
    assert_eq!(std::fs::read(fixture.path(quarantine)).unwrap(), torn);
    assert_eq!(records[3]["n"], 3);
    assert_eq!(fixture.verify().await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_tail_is_detected_by_the_digest() {
    let fixture = Fixture::new().await;
    let log = fixture.open(fixture.options(1 << 20)).await;
    for n in 1..=3 {
        log.record(event(n)).await.unwrap();
    }
    assert!(log.close(Duration::from_secs(5)).await);
    log.crash().await;
    let digest = fixture.digests().pop().unwrap();
    assert_eq!((digest.sequence, digest.reason), (3, DigestReason::Shutdown));
    assert_eq!(fixture.verify().await, Vec::<String>::new());

    let text = fixture.read(LIVE_FILE);
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(fixture.path(LIVE_FILE), format!("{}\n", lines[..2].join("\n"))).unwrap();
    assert_eq!(
        fixture.verify().await,
        [format!(
            "tail removed: digest {} at {} covers sequence 3 but the log ends at sequence 2",
            digest.number, digest.time
        )]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_and_removed_digests_are_reported() {
    let fixture = Fixture::new().await;
    let log = fixture.open(fixture.options(1)).await;
    for n in 1..=3 {
        log.record(event(n)).await.unwrap();
    }
    log.crash().await;
    let text = fixture.read(DIGESTS_FILE);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "one digest per rotation");

    // A digest whose covered record was swapped and re-hashed cannot keep its signature.
    let mut forged: Value = serde_json::from_str(lines[2]).unwrap();
    forged["sequence"] = 2.into();
    let tampered = format!("{}\n{}\n{forged}\n", lines[0], lines[1]);
    std::fs::write(fixture.path(DIGESTS_FILE), tampered).unwrap();
    let problems = fixture.verify().await;
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].starts_with("digest line 3 (digest 3 at "), "{problems:?}");
    assert!(problems[0].contains("the signature does not verify"), "{problems:?}");

    let removed = format!("{}\n{}\n", lines[0], lines[2]);
    std::fs::write(fixture.path(DIGESTS_FILE), removed).unwrap();
    let problems = fixture.verify().await;
    assert!(
        problems.iter().any(|p| p.contains("digest 3 follows digest 1: digests were removed")),
        "{problems:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn digests_are_periodic_only_while_records_are_added() {
    let fixture = Fixture::new().await;
    let mut options = fixture.options(1 << 20);
    options.digest_interval = Duration::from_secs(1);
    let log = fixture.open(options).await;
    assert_eq!(fixture.read(DIGESTS_FILE), "", "nothing to cover yet");
    log.record(event(1)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let digests = fixture.digests();
    assert_eq!(digests.len(), 1);
    assert_eq!((digests[0].sequence, digests[0].reason), (1, DigestReason::Interval));
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(fixture.digests().len(), 1, "no new records, no new digest");
    assert!(log.close(Duration::from_secs(5)).await);
    assert_eq!(fixture.digests().len(), 1, "the last digest already covers everything");
    let stored = stored_last_digest(&*fixture.store).await.unwrap().unwrap();
    assert_eq!((stored.number, stored.sequence), (1, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_leaves_records_a_start_digest_covers() {
    let fixture = Fixture::new().await;
    let log = fixture.open(fixture.options(1 << 20)).await;
    log.record(event(1)).await.unwrap();
    log.crash().await;
    assert_eq!(fixture.read(DIGESTS_FILE), "");
    let log = fixture.open(fixture.options(1 << 20)).await;
    let digests = fixture.digests();
    assert_eq!((digests[0].sequence, digests[0].reason), (1, DigestReason::Start));
    log.crash().await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_files_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let fixture = Fixture::new().await;
    let log = fixture.open(fixture.options(1)).await;
    log.record(event(1)).await.unwrap();
    log.crash().await;
    std::fs::write(fixture.path(LIVE_FILE), b"{\"torn").unwrap();
    let log = fixture.open(fixture.options(1)).await;
    log.crash().await;
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&fixture.audit_dir()), 0o700);
    let mut names = Vec::new();
    for entry in std::fs::read_dir(fixture.audit_dir()).unwrap() {
        let path = entry.unwrap().path();
        names.push(path.file_name().unwrap().to_string_lossy().into_owned());
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
    names.sort();
    for expected in [LIVE_FILE, DIGESTS_FILE, PUBLIC_KEY_FILE, "audit-000000000001.jsonl"] {
        assert!(names.iter().any(|name| name == expected), "{expected} in {names:?}");
    }
    assert!(names.iter().any(|name| name.starts_with("audit.torn-")), "{names:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_digest_key_is_sealed_and_rewrapped_under_the_root_key() {
    let fixture = Fixture::new().await;
    let log = fixture.open(fixture.options(1 << 20)).await;
    let key_id = log.digest_key().key_id().to_string();
    let counts = log.digest_key().count_sealed_by_root_version().await.unwrap();
    assert_eq!(counts.into_iter().collect::<Vec<_>>(), [(1, 1)]);
    let pem = fixture.read(PUBLIC_KEY_FILE);
    assert_eq!(verifying_key(pem.as_bytes()).unwrap().0, key_id);

    fixture.keyring.rotate().await.unwrap();
    assert_eq!(log.digest_key().rewrap().await.unwrap(), 1);
    assert_eq!(log.digest_key().rewrap().await.unwrap(), 0);
    let counts = log.digest_key().count_sealed_by_root_version().await.unwrap();
    assert_eq!(counts.into_iter().collect::<Vec<_>>(), [(2, 1)]);
    fixture.keyring.retire_older(&[]).await.unwrap();
    log.crash().await;
    let log = fixture.open(fixture.options(1 << 20)).await;
    assert_eq!(log.digest_key().key_id(), key_id);
}
