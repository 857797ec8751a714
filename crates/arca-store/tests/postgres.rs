//! What only the PostgreSQL backend promises: several nodes on one database see each
//! other's changes and never win the same race, and the change feed survives a lost
//! connection. Without `ARCA_TEST_POSTGRES_URL` these tests are skipped with a banner
//! (see `support`), or fail under `ARCA_TEST_REQUIRE_ALL=1`.

use std::sync::Arc;
use std::time::Duration;

use arca_store::{Change, PostgresStore, Precondition, Store, StoreError, Write};
use sqlx::Connection;
use sqlx::postgres::PgConnection;
use tokio::sync::broadcast;

mod support;

/// Every job kind these tests schedule.
const ALL_KINDS: &[&str] = &["k"];

use support::TestDatabase;

async fn next_change(
    changes: &mut broadcast::Receiver<Change>,
    within: Duration,
) -> Option<Change> {
    match tokio::time::timeout(within, changes.recv()).await {
        Ok(Ok(change)) => Some(change),
        Ok(Err(error)) => panic!("change feed failed: {error}"),
        Err(_) => None,
    }
}

fn change(table: &str, key: &str) -> Change {
    Change { table: table.into(), key: key.into() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_see_each_others_changes_within_a_second() {
    let Some(database) = TestDatabase::create().await else { return };
    let (first, second) =
        tokio::join!(PostgresStore::connect(&database.url), PostgresStore::connect(&database.url));
    let (first, second) = (first.unwrap(), second.unwrap());
    let mut first_feed = first.subscribe();
    let mut second_feed = second.subscribe();

    first
        .commit(vec![Write::put("kms.keys", "k1", b"disabled".to_vec(), Precondition::None)])
        .await
        .unwrap();
    let second_sees = next_change(&mut second_feed, Duration::from_secs(1)).await;
    assert_eq!(second_sees, Some(change("kms.keys", "k1")), "the other node is told");
    // The committing node hears its own change too.
    assert_eq!(
        next_change(&mut first_feed, Duration::from_secs(1)).await,
        Some(change("kms.keys", "k1"))
    );
    // And the other node reads the new value.
    assert_eq!(second.get("kms.keys", "k1").await.unwrap().unwrap().value, b"disabled");

    second.commit(vec![Write::delete("kms.keys", "k1", Precondition::Version(1))]).await.unwrap();
    assert_eq!(
        next_change(&mut first_feed, Duration::from_secs(1)).await,
        Some(change("kms.keys", "k1"))
    );

    drop((first, second));
    database.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_racing_never_both_win() {
    let Some(database) = TestDatabase::create().await else { return };
    let nodes: Vec<Arc<dyn Store>> = vec![
        Arc::new(PostgresStore::connect(&database.url).await.unwrap()),
        Arc::new(PostgresStore::connect(&database.url).await.unwrap()),
    ];
    nodes[0].commit(vec![Write::put("t", "k", b"v".to_vec(), Precondition::None)]).await.unwrap();
    for n in 0..30 {
        nodes[1].schedule_job(&format!("j{n:02}"), "k", n, b"").await.unwrap();
    }
    let mut racers = Vec::new();
    for n in 0..10u8 {
        let store = nodes[usize::from(n % 2)].clone();
        racers.push(tokio::spawn(async move {
            let update =
                store.commit(vec![Write::put("t", "k", vec![n], Precondition::Version(1))]).await;
            let mut claimed = Vec::new();
            loop {
                let jobs = store.claim_due_jobs(100, 10_000, ALL_KINDS, 2).await.unwrap();
                if jobs.is_empty() {
                    break;
                }
                claimed.extend(jobs.into_iter().map(|job| job.id));
            }
            (update, claimed)
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
        claimed.extend(jobs);
    }
    assert_eq!(wins, 1, "exactly one node wins the race");
    claimed.sort();
    let expected: Vec<String> = (0..30).map(|n| format!("j{n:02}")).collect();
    assert_eq!(claimed, expected, "every job claimed exactly once across nodes");

    drop(nodes);
    database.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_feed_survives_a_dropped_connection() {
    let Some(database) = TestDatabase::create().await else { return };
    let store = PostgresStore::connect(&database.url).await.unwrap();
    let mut feed = store.subscribe();

    // Cut the listening connection from the server side, as a failover or a proxy would.
    let mut admin = PgConnection::connect(&database.url).await.unwrap();
    let terminated: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND query LIKE 'LISTEN%'",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert_eq!(terminated, [true], "one listening connection was cut");
    admin.close().await.unwrap();

    // Changes committed while the feed reconnects are missed, so subscribers are told
    // to resync (drop their caches) before later changes arrive.
    let (mut resynced, mut delivered) = (false, None);
    'attempts: for attempt in 0..20 {
        let key = format!("k{attempt}");
        store.commit(vec![Write::put("t", &key, b"v".to_vec(), Precondition::None)]).await.unwrap();
        while let Some(change) = next_change(&mut feed, Duration::from_millis(500)).await {
            if change.is_resync() {
                resynced = true;
            } else {
                delivered = Some(change);
                break 'attempts;
            }
        }
    }
    let delivered = delivered.expect("the change feed came back");
    assert_eq!(delivered.table, "t");
    assert!(resynced, "a resync came before the first change after the cut");

    drop(store);
    database.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_chooses_postgres_by_url() {
    let Some(database) = TestDatabase::create().await else { return };
    for scheme_url in
        [database.url.clone(), database.url.replacen("postgres://", "postgresql://", 1)]
    {
        let store = arca_store::open(&scheme_url).await.unwrap();
        store.commit(vec![Write::put("t", "k", b"v".to_vec(), Precondition::None)]).await.unwrap();
    }
    let store = arca_store::open(&database.url).await.unwrap();
    assert_eq!(store.get("t", "k").await.unwrap().unwrap().version, 2);
    drop(store);
    database.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_connection_is_a_backend_error_without_the_password() {
    // The test server, as a role that does not exist.
    let Some(admin) = support::admin_url() else { return };
    let server = admin.split_once('@').map_or(admin.as_str(), |(_, server)| server);
    let url = format!("postgres://nobody:hunter2@{server}");
    match PostgresStore::connect(&url).await {
        Err(StoreError::Backend(message)) => assert!(!message.contains("hunter2"), "{message}"),
        Err(other) => panic!("expected a backend error, got {other}"),
        Ok(_) => panic!("connected as a role that does not exist"),
    }
}

#[tokio::test]
async fn malformed_urls_do_not_leak_the_password() {
    for url in ["postgres://u:hunter2@127.0.0.1:notaport/db", "postgres://u:hunter2@[::1/db"] {
        match PostgresStore::connect(url).await {
            Err(StoreError::Backend(message)) => assert!(!message.contains("hunter2"), "{message}"),
            Err(other) => panic!("expected a backend error, got {other}"),
            Ok(_) => panic!("connected with a malformed URL"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_the_feed_cannot_carry_are_refused_before_writing() {
    let Some(database) = TestDatabase::create().await else { return };
    let store = PostgresStore::connect(&database.url).await.unwrap();
    let long_key = "k".repeat(8_000);
    let batch = vec![
        Write::put("t", "fine", b"v".to_vec(), Precondition::None),
        Write::put("t", &long_key, b"v".to_vec(), Precondition::None),
    ];
    assert!(matches!(store.commit(batch).await, Err(StoreError::Backend(_))));
    let tabbed = vec![Write::put("t\tu", "k", b"v".to_vec(), Precondition::None)];
    assert!(matches!(store.commit(tabbed).await, Err(StoreError::Backend(_))));
    assert_eq!(store.get("t", "fine").await.unwrap(), None);
    // A key in the thousands of bytes is fine.
    let key = "k".repeat(4_000);
    store.commit(vec![Write::put("t", &key, b"v".to_vec(), Precondition::None)]).await.unwrap();
    assert_eq!(store.get("t", &key).await.unwrap().unwrap().version, 1);
    drop(store);
    database.drop_database().await;
}
