//! What only the SQLite backend promises: durability across reopening, several stores on
//! one file, the in-memory variant, and URL parsing in `open`.

use std::sync::Arc;

use arca_store::{Precondition, SqliteStore, Store, StoreError, Write};

/// Every job kind these tests schedule.
const ALL_KINDS: &[&str] = &["kind", "k"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn committed_records_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("arca.db");
    {
        let store = SqliteStore::open(&path).await.unwrap();
        for n in 0..50 {
            let key = format!("k{n:02}");
            store
                .commit(vec![Write::put("t", &key, vec![n; 3], Precondition::Absent)])
                .await
                .unwrap();
        }
        store
            .commit(vec![
                Write::put("t", "k00", b"again".to_vec(), Precondition::Version(1)),
                Write::delete("t", "k49", Precondition::None),
                Write::put("u", "batch", b"b".to_vec(), Precondition::None),
            ])
            .await
            .unwrap();
        store.schedule_job("job", "kind", 10, b"payload").await.unwrap();
    }
    let store = SqliteStore::open(&path).await.unwrap();
    let records = store.list("t", "", None, 100).await.unwrap();
    assert_eq!(records.len(), 49);
    assert_eq!((records[0].value.as_slice(), records[0].version), (&b"again"[..], 2));
    for (n, record) in records.iter().enumerate().skip(1) {
        assert_eq!(record.key, format!("k{n:02}"));
        assert_eq!((record.value.clone(), record.version), (vec![n as u8; 3], 1));
    }
    assert_eq!(store.get("u", "batch").await.unwrap().unwrap().value, b"b");
    let jobs = store.claim_due_jobs(10, 20, ALL_KINDS, 10).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].payload, b"payload");
}

/// Two stores on one file stand for two processes (a server and an admin command):
/// SQLite's own locking must keep their commits atomic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_on_one_file_race_safely() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("arca.db");
    let first: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).await.unwrap());
    let second: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).await.unwrap());
    first.commit(vec![Write::put("t", "k", b"v".to_vec(), Precondition::None)]).await.unwrap();
    for n in 0..20 {
        second.schedule_job(&format!("j{n}"), "k", 0, b"").await.unwrap();
    }

    let mut racers = Vec::new();
    for n in 0..8 {
        let store = if n % 2 == 0 { first.clone() } else { second.clone() };
        racers.push(tokio::spawn(async move {
            let update =
                store.commit(vec![Write::put("t", "k", vec![n], Precondition::Version(1))]).await;
            let jobs = store.claim_due_jobs(0, 1_000, ALL_KINDS, 3).await.unwrap();
            (update, jobs)
        }));
    }
    let mut wins = 0;
    let mut claimed = Vec::new();
    for racer in racers {
        let (update, jobs) = racer.await.unwrap();
        match update {
            Ok(versions) => {
                assert_eq!(versions, [2]);
                wins += 1;
            }
            Err(StoreError::Conflict { .. }) => {}
            Err(other) => panic!("unexpected error {other}"),
        }
        claimed.extend(jobs.into_iter().map(|job| job.id));
    }
    assert_eq!(wins, 1);
    claimed.sort();
    let before = claimed.len();
    claimed.dedup();
    assert_eq!(claimed.len(), before, "no job claimed twice");
    assert_eq!(second.get("t", "k").await.unwrap().unwrap().version, 2);
}

#[tokio::test]
async fn in_memory_store_works() {
    let store = SqliteStore::memory().await.unwrap();
    store.commit(vec![Write::put("t", "k", b"v".to_vec(), Precondition::Absent)]).await.unwrap();
    assert_eq!(store.get("t", "k").await.unwrap().unwrap().version, 1);
    assert_eq!(store.list("t", "", None, 10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn open_chooses_sqlite_by_url() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("by-url.db");
    let url = format!("sqlite://{}", path.display());
    {
        let store = arca_store::open(&url).await.unwrap();
        store.commit(vec![Write::put("t", "k", b"v".to_vec(), Precondition::None)]).await.unwrap();
    }
    // The short form names the same file.
    let store = arca_store::open(&format!("sqlite:{}", path.display())).await.unwrap();
    assert!(store.get("t", "k").await.unwrap().is_some());
    let memory = arca_store::open("sqlite::memory:").await.unwrap();
    assert!(memory.get("t", "k").await.unwrap().is_none());
}

#[tokio::test]
async fn open_refuses_unknown_urls_without_echoing_them() {
    for url in [
        "mysql://root:hunter2@db/arca",
        "sqlite:",
        "sqlite://",
        "sqlite:///x.db?mode=ro",
        "arca.db",
    ] {
        match arca_store::open(url).await {
            Err(StoreError::Config(message)) => {
                assert!(!message.contains("hunter2"), "{message}");
            }
            Err(other) => panic!("{url}: expected a configuration error, got {other}"),
            Ok(_) => panic!("{url}: expected a configuration error"),
        }
    }
}
