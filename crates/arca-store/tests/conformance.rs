//! One conformance suite for the `Store` trait, run against every backend.
//!
//! Each check is an `async fn` over an `Arc<dyn Store>`; `all_checks!` stamps out one
//! `#[tokio::test]` per check per backend. PostgreSQL checks need
//! `ARCA_TEST_POSTGRES_URL` (set by `./scripts/test`); without it they are skipped with a
//! banner on stderr, or fail under `ARCA_TEST_REQUIRE_ALL=1`. Each runs in a fresh
//! database of its own.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use arca_store::{Change, Precondition, SqliteStore, Store, StoreError, Write};
use tokio::sync::broadcast;

mod support;

/// Every job kind these checks schedule.
const ALL_KINDS: &[&str] = &["kms.delete", "kms.rotate", "pca.renew", "k"];

/// Every check of the suite; `$stamp` turns the list into tests for one backend.
macro_rules! all_checks {
    ($stamp:ident) => {
        $stamp!(
            get_put_roundtrip,
            versions_increment,
            absent_precondition,
            failed_batch_writes_nothing,
            batch_applies_in_order,
            delete_preconditions,
            list_prefix_and_paging,
            list_keys_with_special_characters,
            racing_writers_one_wins,
            crossing_batches_all_commit,
            change_feed_after_commit,
            jobs_schedule_claim_cancel_finish,
            jobs_claim_order_and_limit,
            concurrent_claimants_never_share_a_job,
            expired_lease_is_reclaimed,
            claims_take_only_the_named_kinds,
        );
    };
}

macro_rules! sqlite_tests {
    ($($check:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    let harness = super::SqliteHarness::new().await;
                    super::$check(harness.store.clone()).await;
                }
            )*
        }
    };
}

macro_rules! postgres_tests {
    ($($check:ident),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    let Some(database) = super::support::TestDatabase::create().await else {
                        return; // skipped, with a banner (see support::admin_url)
                    };
                    let store = arca_store::PostgresStore::connect(&database.url).await.unwrap();
                    super::$check(std::sync::Arc::new(store)).await;
                    database.drop_database().await;
                }
            )*
        }
    };
}

all_checks!(sqlite_tests);
all_checks!(postgres_tests);

// ---------------------------------------------------------------------------------
// Harnesses

/// A SQLite store in a temporary directory (removed on drop).
struct SqliteHarness {
    store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

impl SqliteHarness {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("arca.db")).await.unwrap();
        Self { store: Arc::new(store), _dir: dir }
    }
}

// ---------------------------------------------------------------------------------
// Helpers

fn put(table: &str, key: &str, value: &str, precondition: Precondition) -> Write {
    Write::put(table, key, value.as_bytes().to_vec(), precondition)
}

async fn value_of(store: &dyn Store, table: &str, key: &str) -> Option<(String, u64)> {
    store
        .get(table, key)
        .await
        .unwrap()
        .map(|record| (String::from_utf8(record.value).unwrap(), record.version))
}

async fn keys_of(
    store: &dyn Store,
    table: &str,
    prefix: &str,
    start_after: Option<&str>,
    limit: usize,
) -> Vec<String> {
    let records = store.list(table, prefix, start_after, limit).await.unwrap();
    records.into_iter().map(|record| record.key).collect()
}

fn assert_conflict(result: Result<Vec<u64>, StoreError>, table: &str, key: &str) {
    match result {
        Err(StoreError::Conflict { table: t, key: k }) => {
            assert_eq!((t.as_str(), k.as_str()), (table, key), "conflict names the failing write")
        }
        other => panic!("expected a conflict on {table}/{key}, got {other:?}"),
    }
}

async fn next_change(changes: &mut broadcast::Receiver<Change>) -> Change {
    tokio::time::timeout(Duration::from_secs(1), changes.recv())
        .await
        .expect("a change within a second")
        .expect("an open change feed")
}

async fn assert_no_change(changes: &mut broadcast::Receiver<Change>) {
    if let Ok(change) = tokio::time::timeout(Duration::from_millis(300), changes.recv()).await {
        panic!("unexpected change {change:?}");
    }
}

fn change(table: &str, key: &str) -> Change {
    Change { table: table.into(), key: key.into() }
}

// ---------------------------------------------------------------------------------
// Records

async fn get_put_roundtrip(store: Arc<dyn Store>) {
    let store = &*store;
    assert_eq!(store.get("t", "a").await.unwrap(), None);
    assert_eq!(store.commit(vec![put("t", "a", "one", Precondition::None)]).await.unwrap(), [1]);
    assert_eq!(value_of(store, "t", "a").await, Some(("one".into(), 1)));
    // Tables are separate namespaces.
    assert_eq!(store.get("u", "a").await.unwrap(), None);
    // Binary values round-trip byte for byte.
    let binary: Vec<u8> = (0..=255).collect();
    store.commit(vec![Write::put("t", "bin", binary.clone(), Precondition::None)]).await.unwrap();
    assert_eq!(store.get("t", "bin").await.unwrap().unwrap().value, binary);
    // An empty value is a value.
    store.commit(vec![Write::put("t", "empty", Vec::new(), Precondition::None)]).await.unwrap();
    assert_eq!(store.get("t", "empty").await.unwrap().unwrap().value, Vec::<u8>::new());
    // An empty commit does nothing.
    assert_eq!(store.commit(Vec::new()).await.unwrap(), Vec::<u64>::new());
}

async fn versions_increment(store: Arc<dyn Store>) {
    let store = &*store;
    for expected in 1..=3 {
        let versions = store.commit(vec![put("t", "k", "v", Precondition::None)]).await.unwrap();
        assert_eq!(versions, [expected]);
    }
    assert_eq!(
        store.commit(vec![put("t", "k", "four", Precondition::Version(3))]).await.unwrap(),
        [4]
    );
    assert_conflict(
        store.commit(vec![put("t", "k", "x", Precondition::Version(3))]).await,
        "t",
        "k",
    );
    assert_conflict(
        store.commit(vec![put("t", "k", "x", Precondition::Version(u64::MAX))]).await,
        "t",
        "k",
    );
    assert_eq!(value_of(store, "t", "k").await, Some(("four".into(), 4)));
    assert_eq!(
        store.commit(vec![Write::delete("t", "k", Precondition::Version(4))]).await.unwrap(),
        [0]
    );
    assert_eq!(store.get("t", "k").await.unwrap(), None);
    // A record put after a delete starts again at version 1.
    assert_eq!(
        store.commit(vec![put("t", "k", "again", Precondition::Absent)]).await.unwrap(),
        [1]
    );
    // A version precondition on a missing record is a conflict.
    assert_conflict(
        store.commit(vec![put("t", "missing", "x", Precondition::Version(1))]).await,
        "t",
        "missing",
    );
}

async fn absent_precondition(store: Arc<dyn Store>) {
    let store = &*store;
    store.commit(vec![put("t", "a", "first", Precondition::Absent)]).await.unwrap();
    assert_conflict(
        store.commit(vec![put("t", "a", "second", Precondition::Absent)]).await,
        "t",
        "a",
    );
    assert_eq!(value_of(store, "t", "a").await, Some(("first".into(), 1)));
    // The same key in another table is absent.
    store.commit(vec![put("u", "a", "other", Precondition::Absent)]).await.unwrap();
}

async fn failed_batch_writes_nothing(store: Arc<dyn Store>) {
    let store = &*store;
    store.commit(vec![put("t", "a", "a1", Precondition::None)]).await.unwrap();
    store.commit(vec![put("t", "gone", "g1", Precondition::None)]).await.unwrap();
    let batch = vec![
        put("t", "b", "b1", Precondition::Absent),
        put("u", "c", "c1", Precondition::None),
        Write::delete("t", "gone", Precondition::Version(1)),
        put("t", "a", "a2", Precondition::Version(1)),
        put("t", "a", "a3", Precondition::Version(7)),
        put("t", "d", "d1", Precondition::None),
    ];
    assert_conflict(store.commit(batch).await, "t", "a");
    assert_eq!(store.get("t", "b").await.unwrap(), None);
    assert_eq!(store.get("u", "c").await.unwrap(), None);
    assert_eq!(store.get("t", "d").await.unwrap(), None);
    assert_eq!(value_of(store, "t", "gone").await, Some(("g1".into(), 1)));
    assert_eq!(value_of(store, "t", "a").await, Some(("a1".into(), 1)));
    assert_eq!(keys_of(store, "t", "", None, 100).await, ["a", "gone"]);
}

async fn batch_applies_in_order(store: Arc<dyn Store>) {
    let store = &*store;
    let batch = vec![
        put("t", "k", "1", Precondition::Absent),
        put("t", "k", "2", Precondition::Version(1)),
        put("t", "other", "o", Precondition::None),
        Write::delete("t", "k", Precondition::Version(2)),
        put("t", "k", "3", Precondition::Absent),
        put("t", "k", "4", Precondition::None),
    ];
    assert_eq!(store.commit(batch).await.unwrap(), [1, 2, 1, 0, 1, 2]);
    assert_eq!(value_of(store, "t", "k").await, Some(("4".into(), 2)));
}

async fn delete_preconditions(store: Arc<dyn Store>) {
    let store = &*store;
    // Deleting a missing record is fine, unless a version is required.
    assert_eq!(store.commit(vec![Write::delete("t", "x", Precondition::None)]).await.unwrap(), [0]);
    assert_eq!(
        store.commit(vec![Write::delete("t", "x", Precondition::Absent)]).await.unwrap(),
        [0]
    );
    assert_conflict(
        store.commit(vec![Write::delete("t", "x", Precondition::Version(1))]).await,
        "t",
        "x",
    );
    store.commit(vec![put("t", "x", "v", Precondition::None)]).await.unwrap();
    assert_conflict(
        store.commit(vec![Write::delete("t", "x", Precondition::Absent)]).await,
        "t",
        "x",
    );
    assert_conflict(
        store.commit(vec![Write::delete("t", "x", Precondition::Version(2))]).await,
        "t",
        "x",
    );
    assert!(store.get("t", "x").await.unwrap().is_some());
    assert_eq!(store.commit(vec![Write::delete("t", "x", Precondition::None)]).await.unwrap(), [0]);
    assert_eq!(store.get("t", "x").await.unwrap(), None);
}

async fn list_prefix_and_paging(store: Arc<dyn Store>) {
    let store = &*store;
    let mut batch: Vec<Write> =
        (1..=25).map(|n| put("t", &format!("a/{n:02}"), "v", Precondition::None)).collect();
    batch.push(put("t", "a", "v", Precondition::None));
    batch.push(put("t", "a0", "v", Precondition::None));
    batch.push(put("t", "b/01", "v", Precondition::None));
    batch.push(put("u", "a/00", "v", Precondition::None));
    store.commit(batch).await.unwrap();

    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = keys_of(store, "t", "a/", cursor.as_deref(), 10).await;
        if page.is_empty() {
            break;
        }
        cursor = page.last().cloned();
        pages.push(page);
    }
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [10, 10, 5]);
    let all: Vec<String> = pages.concat();
    let expected: Vec<String> = (1..=25).map(|n| format!("a/{n:02}")).collect();
    assert_eq!(all, expected);

    // The records carry their values and versions.
    let records = store.list("t", "a/", None, 1).await.unwrap();
    assert_eq!((records[0].value.as_slice(), records[0].version), (&b"v"[..], 1));
    // An empty prefix lists the whole table, in key order.
    assert_eq!(keys_of(store, "t", "", None, 100).await.len(), 28);
    assert_eq!(keys_of(store, "t", "", Some("a0"), 100).await, ["b/01"]);
    // A cursor before the prefix does not widen the range; one after it empties it.
    assert_eq!(keys_of(store, "t", "a/", Some("a"), 2).await, ["a/01", "a/02"]);
    assert_eq!(keys_of(store, "t", "a/", Some("a/99"), 10).await, Vec::<String>::new());
    assert_eq!(keys_of(store, "t", "a/", None, 0).await, Vec::<String>::new());
    assert_eq!(keys_of(store, "t", "zz", None, 10).await, Vec::<String>::new());
    assert_eq!(keys_of(store, "t", "a", None, 100).await.len(), 27);
    assert_eq!(keys_of(store, "u", "a/", None, 10).await, ["a/00"]);
}

async fn list_keys_with_special_characters(store: Arc<dyn Store>) {
    let store = &*store;
    let keys = [
        "p%",
        "p%1",
        "p%2",
        "p_x",
        "pa",
        "pX",
        "p\\",
        "p\\%",
        "p'q",
        "é/1",
        "é/2",
        "e/1",
        "f",
        "日本/a",
        "日本語",
        "\u{D7FF}a",
        "\u{E000}b",
        "\u{10FFFF}z",
        "😀/1",
        "😀😀",
        "tab\there",
    ];
    let batch = keys.iter().map(|key| put("t", key, key, Precondition::Absent)).collect();
    store.commit(batch).await.unwrap();

    assert_eq!(keys_of(store, "t", "p%", None, 100).await, ["p%", "p%1", "p%2"]);
    assert_eq!(keys_of(store, "t", "p_", None, 100).await, ["p_x"]);
    assert_eq!(keys_of(store, "t", "p\\", None, 100).await, ["p\\", "p\\%"]);
    assert_eq!(keys_of(store, "t", "p'", None, 100).await, ["p'q"]);
    assert_eq!(keys_of(store, "t", "é", None, 100).await, ["é/1", "é/2"]);
    assert_eq!(keys_of(store, "t", "e", None, 100).await, ["e/1"]);
    assert_eq!(keys_of(store, "t", "日本", None, 100).await, ["日本/a", "日本語"]);
    assert_eq!(keys_of(store, "t", "\u{D7FF}", None, 100).await, ["\u{D7FF}a"]);
    assert_eq!(keys_of(store, "t", "\u{10FFFF}", None, 100).await, ["\u{10FFFF}z"]);
    assert_eq!(keys_of(store, "t", "😀", None, 100).await, ["😀/1", "😀😀"]);
    assert_eq!(keys_of(store, "t", "tab\t", None, 100).await, ["tab\there"]);
    for key in keys {
        assert_eq!(value_of(store, "t", key).await, Some((key.to_owned(), 1)), "key {key:?}");
    }

    // The whole table comes back in code-point (= UTF-8 byte) order, page by page.
    let mut expected: Vec<String> = keys.iter().map(|key| key.to_string()).collect();
    expected.sort();
    let mut listed = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = keys_of(store, "t", "", cursor.as_deref(), 4).await;
        if page.is_empty() {
            break;
        }
        cursor = page.last().cloned();
        listed.extend(page);
    }
    assert_eq!(listed, expected);
}

async fn racing_writers_one_wins(store: Arc<dyn Store>) {
    store.commit(vec![put("t", "k", "base", Precondition::None)]).await.unwrap();
    let mut racers = Vec::new();
    for n in 0..8 {
        let store = store.clone();
        racers.push(tokio::spawn(async move {
            let update =
                store.commit(vec![put("t", "k", &format!("update {n}"), Precondition::Version(1))]);
            let create =
                store.commit(vec![put("t", "new", &format!("create {n}"), Precondition::Absent)]);
            (update.await, create.await)
        }));
    }
    let (mut updates, mut creates) = (Vec::new(), Vec::new());
    for racer in racers {
        let (update, create) = racer.await.unwrap();
        updates.push(update);
        creates.push(create);
    }
    for (outcomes, key, won_version) in [(updates, "k", 2), (creates, "new", 1)] {
        let winners: Vec<&Vec<u64>> =
            outcomes.iter().filter_map(|outcome| outcome.as_ref().ok()).collect();
        assert_eq!(winners, [&vec![won_version]], "exactly one writer of {key} wins");
        for outcome in outcomes.iter().filter(|outcome| outcome.is_err()) {
            assert!(matches!(outcome, Err(StoreError::Conflict { .. })), "{outcome:?}");
        }
        let record = store.get("t", key).await.unwrap().unwrap();
        assert_eq!(record.version, won_version);
    }
}

/// Batches that write the same records in opposite orders may deadlock on PostgreSQL;
/// the loser is retried, so without preconditions every batch commits.
async fn crossing_batches_all_commit(store: Arc<dyn Store>) {
    let mut writers = Vec::new();
    for n in 0..4 {
        let store = store.clone();
        writers.push(tokio::spawn(async move {
            let keys = if n % 2 == 0 { ["a", "b", "c"] } else { ["c", "b", "a"] };
            for _ in 0..10 {
                let batch = keys.iter().map(|key| put("t", key, "v", Precondition::None)).collect();
                store.commit(batch).await.unwrap();
            }
        }));
    }
    for writer in writers {
        writer.await.unwrap();
    }
    for key in ["a", "b", "c"] {
        assert_eq!(value_of(&*store, "t", key).await, Some(("v".into(), 40)));
    }
}

async fn change_feed_after_commit(store: Arc<dyn Store>) {
    let mut changes = store.subscribe();
    store
        .commit(vec![
            put("t", "a", "1", Precondition::None),
            put("t", "b", "1", Precondition::None),
            put("t", "a", "2", Precondition::None),
            Write::delete("u", "c", Precondition::None),
        ])
        .await
        .unwrap();
    // One change per record written, in the order of first write.
    assert_eq!(next_change(&mut changes).await, change("t", "a"));
    assert_eq!(next_change(&mut changes).await, change("t", "b"));
    assert_eq!(next_change(&mut changes).await, change("u", "c"));

    // A failed commit publishes nothing.
    assert_conflict(store.commit(vec![put("t", "a", "x", Precondition::Absent)]).await, "t", "a");
    assert_no_change(&mut changes).await;

    // A change is published only once the commit is visible.
    let reader = store.clone();
    let mut watcher = store.subscribe();
    let watch = tokio::spawn(async move {
        let seen = next_change(&mut watcher).await;
        (seen, reader.get("t", "late").await.unwrap().map(|record| record.version))
    });
    store.commit(vec![put("t", "late", "v", Precondition::None)]).await.unwrap();
    assert_eq!(watch.await.unwrap(), (change("t", "late"), Some(1)));
}

// ---------------------------------------------------------------------------------
// Jobs

fn ids(jobs: &[arca_store::Job]) -> Vec<&str> {
    jobs.iter().map(|job| job.id.as_str()).collect()
}

async fn jobs_schedule_claim_cancel_finish(store: Arc<dyn Store>) {
    let store = &*store;
    store.schedule_job("j1", "kms.delete", 100, b"one").await.unwrap();
    store.schedule_job("j2", "kms.rotate", 200, b"two").await.unwrap();
    store.schedule_job("j3", "kms.rotate", 300, b"three").await.unwrap();

    assert_eq!(store.claim_due_jobs(50, 1_000, ALL_KINDS, 10).await.unwrap(), []);
    let claimed = store.claim_due_jobs(150, 1_000, ALL_KINDS, 10).await.unwrap();
    assert_eq!(
        claimed,
        [arca_store::Job {
            id: "j1".into(),
            kind: "kms.delete".into(),
            due_at: 100,
            payload: b"one".to_vec()
        }]
    );
    // j1 is leased, j2 is now due.
    assert_eq!(ids(&store.claim_due_jobs(250, 1_000, ALL_KINDS, 10).await.unwrap()), ["j2"]);

    // Rescheduling replaces kind, due time and payload.
    store.schedule_job("j3", "pca.renew", 50, b"new").await.unwrap();
    let claimed = store.claim_due_jobs(250, 1_000, ALL_KINDS, 10).await.unwrap();
    assert_eq!(
        claimed,
        [arca_store::Job {
            id: "j3".into(),
            kind: "pca.renew".into(),
            due_at: 50,
            payload: b"new".to_vec()
        }]
    );

    // Cancelling removes a job, leased or not; a missing one is fine.
    store.cancel_job("j2").await.unwrap();
    store.cancel_job("j2").await.unwrap();
    store.cancel_job("never").await.unwrap();
    // Finishing removes a claimed job.
    store.finish_job("j1").await.unwrap();
    // Once every lease has run out, only j3 is left.
    assert_eq!(ids(&store.claim_due_jobs(2_000, 3_000, ALL_KINDS, 10).await.unwrap()), ["j3"]);
    store.finish_job("j3").await.unwrap();
    assert_eq!(store.claim_due_jobs(i64::MAX, i64::MAX, ALL_KINDS, 10).await.unwrap(), []);
}

async fn claims_take_only_the_named_kinds(store: Arc<dyn Store>) {
    let store = &*store;
    store.schedule_job("mine", "kms.delete", 10, b"").await.unwrap();
    store.schedule_job("theirs", "pca.renew", 5, b"").await.unwrap();
    // A claimant of KMS kinds never leases another service's job, even an earlier one.
    assert_eq!(ids(&store.claim_due_jobs(20, 100, &["kms.delete"], 10).await.unwrap()), ["mine"]);
    assert_eq!(store.claim_due_jobs(20, 100, &[], 10).await.unwrap(), []);
    assert_eq!(ids(&store.claim_due_jobs(20, 100, &["pca.renew"], 10).await.unwrap()), ["theirs"]);
}

async fn jobs_claim_order_and_limit(store: Arc<dyn Store>) {
    let store = &*store;
    for (id, due_at) in [("e", 5), ("a", 3), ("d", 1), ("b", 3), ("c", 9)] {
        store.schedule_job(id, "k", due_at, b"").await.unwrap();
    }
    assert_eq!(store.claim_due_jobs(10, 100, ALL_KINDS, 0).await.unwrap(), []);
    assert_eq!(ids(&store.claim_due_jobs(10, 100, ALL_KINDS, 2).await.unwrap()), ["d", "a"]);
    assert_eq!(ids(&store.claim_due_jobs(10, 100, ALL_KINDS, 2).await.unwrap()), ["b", "e"]);
    assert_eq!(ids(&store.claim_due_jobs(8, 100, ALL_KINDS, 2).await.unwrap()), Vec::<&str>::new());
    assert_eq!(ids(&store.claim_due_jobs(10, 100, ALL_KINDS, 2).await.unwrap()), ["c"]);
    // A job due exactly now is due.
    store.schedule_job("now", "k", 20, b"").await.unwrap();
    assert_eq!(ids(&store.claim_due_jobs(20, 100, ALL_KINDS, 5).await.unwrap()), ["now"]);
}

async fn concurrent_claimants_never_share_a_job(store: Arc<dyn Store>) {
    for n in 0..40 {
        store.schedule_job(&format!("job-{n:02}"), "k", n, b"p").await.unwrap();
    }
    let mut claimants = Vec::new();
    for _ in 0..6 {
        let store = store.clone();
        claimants.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let jobs = store.claim_due_jobs(1_000, 60_000, ALL_KINDS, 3).await.unwrap();
                if jobs.is_empty() {
                    return mine;
                }
                mine.extend(jobs.into_iter().map(|job| job.id));
            }
        }));
    }
    let mut all = Vec::new();
    for claimant in claimants {
        all.extend(claimant.await.unwrap());
    }
    let distinct: BTreeSet<&String> = all.iter().collect();
    assert_eq!(all.len(), 40, "every job claimed exactly once: {all:?}");
    assert_eq!(distinct.len(), 40);
}

async fn expired_lease_is_reclaimed(store: Arc<dyn Store>) {
    let store = &*store;
    store.schedule_job("j", "k", 100, b"p").await.unwrap();
    assert_eq!(ids(&store.claim_due_jobs(100, 500, ALL_KINDS, 10).await.unwrap()), ["j"]);
    assert_eq!(store.claim_due_jobs(400, 900, ALL_KINDS, 10).await.unwrap(), []);
    assert_eq!(store.claim_due_jobs(499, 900, ALL_KINDS, 10).await.unwrap(), []);
    // The lease runs until 500; from then on another claimant may take the job.
    assert_eq!(ids(&store.claim_due_jobs(500, 900, ALL_KINDS, 10).await.unwrap()), ["j"]);
    assert_eq!(store.claim_due_jobs(800, 1_200, ALL_KINDS, 10).await.unwrap(), []);
    assert_eq!(ids(&store.claim_due_jobs(950, 1_200, ALL_KINDS, 10).await.unwrap()), ["j"]);
    store.finish_job("j").await.unwrap();
    assert_eq!(store.claim_due_jobs(5_000, 6_000, ALL_KINDS, 10).await.unwrap(), []);
}
