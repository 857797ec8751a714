//! The multi-node backend: several Arca nodes on one PostgreSQL database.

use std::time::Duration;

use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnection, PgListener, PgPool, PgPoolOptions, PgRow};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use crate::sql::{
    KeyRange, backend, changes_of, job_from_row, limit_to_sql, record_from_row, version_from_sql,
    version_to_sql,
};
use crate::{Change, Job, Precondition, Record, Store, StoreError, Write, WriteOp};

/// The `LISTEN`/`NOTIFY` channel of the change feed; payloads are `table\tkey`.
const CHANNEL: &str = "arca_changes";
/// PostgreSQL refuses notification payloads of 8000 bytes or more.
const MAX_PAYLOAD_BYTES: usize = 7999;
/// Connections per node.
const MAX_CONNECTIONS: u32 = 10;
/// How long to wait for a connection (at start-up: for the server to come up).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// Changes buffered per subscriber before a slow one starts lagging.
const CHANGE_CAPACITY: usize = 1024;
/// How often a commit that lost a deadlock is retried (it was rolled back entirely).
const DEADLOCK_RETRIES: usize = 3;
/// Longest pause between attempts to re-establish the change feed.
const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(5);

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// The multi-node [`Store`]: a PostgreSQL database shared by every node.
///
/// A commit is one transaction. Preconditions are checked by the writes themselves
/// under row locks (`INSERT ... ON CONFLICT DO NOTHING` for [`Precondition::Absent`],
/// `UPDATE`/`DELETE ... WHERE version = $n` for [`Precondition::Version`]), so two nodes
/// racing on a record cannot both win. The change feed is `NOTIFY arca_changes`, sent
/// inside the transaction so that it fires only on commit, and received by a background
/// `LISTEN` task on every node (this one included) that reconnects when its connection
/// drops; changes committed while it is down are missed, so caches keep a short TTL as
/// the backstop. Jobs are claimed with `FOR UPDATE SKIP LOCKED`.
///
/// Keys and table names must not contain NUL (PostgreSQL text cannot), table names
/// must not contain a tab (the feed's separator), and a table name and key together
/// must fit a notification (under 8000 bytes); such writes fail with
/// [`StoreError::Backend`] before anything is written.
pub struct PostgresStore {
    pool: PgPool,
    changes: broadcast::Sender<Change>,
    /// The `LISTEN` task, stopped when the store is dropped.
    listener: JoinHandle<()>,
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://USER:PASSWORD@HOST:PORT/DB`),
    /// brings its schema up to date, and starts listening for changes before returning,
    /// so that no change committed after `connect` returns is missed.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect(url)
            .await
            .map_err(backend("connect to PostgreSQL"))?;
        // sqlx holds an advisory lock while migrating, so nodes starting together are fine.
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|error| StoreError::Backend(format!("migrate PostgreSQL schema: {error}")))?;
        let listener = listen(url).await.map_err(backend("listen for changes"))?;
        let (changes, _) = broadcast::channel(CHANGE_CAPACITY);
        let listener = tokio::spawn(forward_changes(listener, url.to_owned(), changes.clone()));
        Ok(Self { pool, changes, listener })
    }

    /// One attempt at a commit; an `Err` is a database failure (the transaction is
    /// rolled back when it is dropped), `Ok(Err(_))` a precondition that failed.
    async fn commit_once(&self, writes: &[Write]) -> Result<Result<Vec<u64>, StoreError>, Failure> {
        let mut transaction = self.pool.begin().await.map_err(failure("begin commit"))?;
        let locks = record_locks(writes);
        // Batches that touch the same records in different orders would deadlock on
        // row locks (and wait out deadlock_timeout before one is aborted). Taking an
        // advisory lock per record, in one global order, first, rules that out. A
        // batch of one record holds at most one row lock and cannot close a cycle.
        if locks.len() > 1 {
            sqlx::query("SELECT pg_advisory_xact_lock(id) FROM unnest($1::bigint[]) AS id")
                .bind(locks)
                .execute(&mut *transaction)
                .await
                .map_err(failure("lock records"))?;
        }
        let mut versions = Vec::with_capacity(writes.len());
        for write in writes {
            match apply(&mut transaction, write).await? {
                Some(version) => match version_from_sql(version) {
                    Ok(version) => versions.push(version),
                    // Corrupt data: dropping the transaction rolls it back.
                    Err(corrupt) => return Ok(Err(corrupt)),
                },
                None => {
                    transaction.rollback().await.map_err(failure("roll back commit"))?;
                    return Ok(Err(StoreError::Conflict {
                        table: write.table.clone(),
                        key: write.key.clone(),
                    }));
                }
            }
        }
        // One round trip for all notifications; unnest yields them in array order.
        let payloads: Vec<String> = changes_of(writes).iter().map(payload).collect();
        sqlx::query("SELECT pg_notify($1, change) FROM unnest($2::text[]) AS change")
            .bind(CHANNEL)
            .bind(payloads)
            .execute(&mut *transaction)
            .await
            .map_err(failure("notify changes"))?;
        transaction.commit().await.map_err(failure("commit"))?;
        Ok(Ok(versions))
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

/// A database failure and the operation it interrupted.
struct Failure {
    operation: &'static str,
    error: sqlx::Error,
}

fn failure(operation: &'static str) -> impl FnOnce(sqlx::Error) -> Failure {
    move |error| Failure { operation, error }
}

impl Failure {
    /// Whether PostgreSQL chose this transaction as a deadlock victim, after which it
    /// is safe to run it again.
    fn is_deadlock(&self) -> bool {
        matches!(&self.error, sqlx::Error::Database(database) if database.code().as_deref() == Some("40P01"))
    }

    fn into_store_error(self) -> StoreError {
        backend(self.operation)(self.error)
    }
}

/// Applies one write, checking its precondition: the new version (0 for a delete),
/// or `None` when the precondition does not hold.
async fn apply(transaction: &mut PgConnection, write: &Write) -> Result<Option<i64>, Failure> {
    let Write { table, key, op, precondition } = write;
    let version: Option<i64> = match (op, precondition) {
        (WriteOp::Put(value), Precondition::None) => Some(
            sqlx::query_scalar(
                "INSERT INTO records (tbl, key, value, version) VALUES ($1, $2, $3, 1) \
                 ON CONFLICT (tbl, key) DO UPDATE \
                 SET value = EXCLUDED.value, version = records.version + 1 \
                 RETURNING version",
            )
            .bind(table)
            .bind(key)
            .bind(value.as_slice())
            .fetch_one(&mut *transaction)
            .await
            .map_err(failure("put record"))?,
        ),
        (WriteOp::Put(value), Precondition::Absent) => sqlx::query_scalar(
            "INSERT INTO records (tbl, key, value, version) VALUES ($1, $2, $3, 1) \
             ON CONFLICT (tbl, key) DO NOTHING RETURNING version",
        )
        .bind(table)
        .bind(key)
        .bind(value.as_slice())
        .fetch_optional(&mut *transaction)
        .await
        .map_err(failure("put record"))?,
        (WriteOp::Put(value), Precondition::Version(expected)) => {
            let Some(expected) = version_to_sql(*expected) else { return Ok(None) };
            sqlx::query_scalar(
                "UPDATE records SET value = $3, version = version + 1 \
                 WHERE tbl = $1 AND key = $2 AND version = $4 RETURNING version",
            )
            .bind(table)
            .bind(key)
            .bind(value.as_slice())
            .bind(expected)
            .fetch_optional(&mut *transaction)
            .await
            .map_err(failure("put record"))?
        }
        (WriteOp::Delete, Precondition::None) => {
            sqlx::query("DELETE FROM records WHERE tbl = $1 AND key = $2")
                .bind(table)
                .bind(key)
                .execute(&mut *transaction)
                .await
                .map_err(failure("delete record"))?;
            Some(0)
        }
        (WriteOp::Delete, Precondition::Absent) => {
            // Nothing to delete; the record must simply not be there.
            let exists: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM records WHERE tbl = $1 AND key = $2)",
            )
            .bind(table)
            .bind(key)
            .fetch_one(&mut *transaction)
            .await
            .map_err(failure("read record"))?;
            (!exists).then_some(0)
        }
        (WriteOp::Delete, Precondition::Version(expected)) => {
            let Some(expected) = version_to_sql(*expected) else { return Ok(None) };
            let deleted =
                sqlx::query("DELETE FROM records WHERE tbl = $1 AND key = $2 AND version = $3")
                    .bind(table)
                    .bind(key)
                    .bind(expected)
                    .execute(&mut *transaction)
                    .await
                    .map_err(failure("delete record"))?;
            (deleted.rows_affected() == 1).then_some(0)
        }
    };
    Ok(version)
}

/// The advisory lock ids of the records `writes` touch, sorted and without repeats.
///
/// Every node must compute the same id for a record, so the hash is spelled out here
/// (64-bit FNV-1a over table, NUL, key; NUL cannot occur in PostgreSQL text) rather
/// than taken from std, whose hashers may change between releases. Two records that
/// share an id merely serialise their commits.
fn record_locks(writes: &[Write]) -> Vec<i64> {
    const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut ids: Vec<i64> = writes
        .iter()
        .map(|write| {
            let bytes = write.table.bytes().chain([0]).chain(write.key.bytes());
            let hash = bytes
                .fold(FNV_OFFSET, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(FNV_PRIME));
            i64::from_ne_bytes(hash.to_ne_bytes())
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The notification payload of a change.
fn payload(change: &Change) -> String {
    format!("{}\t{}", change.table, change.key)
}

/// The change named by a notification payload, if it is well formed.
fn parse_payload(payload: &str) -> Option<Change> {
    let (table, key) = payload.split_once('\t')?;
    Some(Change { table: table.to_owned(), key: key.to_owned() })
}

/// A listener subscribed to the change channel.
async fn listen(url: &str) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Forwards notifications to `changes` until the store is dropped (which aborts this
/// task), re-establishing the listener whenever it fails.
async fn forward_changes(
    mut listener: PgListener,
    url: String,
    changes: broadcast::Sender<Change>,
) {
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => match parse_payload(notification.payload()) {
                // No subscriber is not an error.
                Some(change) => drop(changes.send(change)),
                None => tracing::warn!("ignoring a malformed change notification"),
            },
            Ok(None) => {
                tracing::warn!(
                    "change feed connection lost and re-established; changes in between were missed"
                );
                drop(changes.send(Change::resync()));
            }
            Err(error) => {
                tracing::warn!(error = %backend("receive changes")(error), "change feed failed; reconnecting");
                listener = reconnect(&url).await;
                tracing::info!("change feed re-established; changes in between were missed");
                drop(changes.send(Change::resync()));
            }
        }
    }
}

/// A fresh listener, retrying with growing pauses until PostgreSQL is back.
async fn reconnect(url: &str) -> PgListener {
    let mut delay = Duration::from_millis(100);
    loop {
        tokio::time::sleep(delay).await;
        match listen(url).await {
            Ok(listener) => return listener,
            Err(error) => {
                tracing::warn!(error = %backend("reconnect change feed")(error), "change feed still down");
                delay = (delay * 2).min(MAX_RECONNECT_DELAY);
            }
        }
    }
}

#[async_trait]
impl Store for PostgresStore {
    async fn get(&self, table: &str, key: &str) -> Result<Option<Record>, StoreError> {
        let row: Option<PgRow> =
            sqlx::query("SELECT key, value, version FROM records WHERE tbl = $1 AND key = $2")
                .bind(table)
                .bind(key)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend("get record"))?;
        row.as_ref().map(record_from_row).transpose()
    }

    async fn list(
        &self,
        table: &str,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let range = KeyRange::new(prefix, start_after);
        let (conditions, limit_placeholder) = range.conditions(|n| format!("${n}"));
        let sql = format!(
            "SELECT key, value, version FROM records WHERE tbl = $1 AND {conditions} \
             ORDER BY key LIMIT ${limit_placeholder}"
        );
        let mut query = sqlx::query(&sql).bind(table).bind(&range.lower);
        if let Some(upper) = &range.upper {
            query = query.bind(upper);
        }
        let rows = query
            .bind(limit_to_sql(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(backend("list records"))?;
        rows.iter().map(record_from_row).collect()
    }

    async fn commit(&self, writes: Vec<Write>) -> Result<Vec<u64>, StoreError> {
        if writes.is_empty() {
            return Ok(Vec::new());
        }
        for write in &writes {
            if write.table.contains('\t') {
                return Err(StoreError::Backend(format!(
                    "table name {:?} contains a tab, the change feed's separator",
                    write.table
                )));
            }
            if write.table.len() + 1 + write.key.len() > MAX_PAYLOAD_BYTES {
                return Err(StoreError::Backend(format!(
                    "key in {} too long for the change feed ({} bytes)",
                    write.table,
                    write.key.len()
                )));
            }
        }
        let mut attempt = 0;
        loop {
            match self.commit_once(&writes).await {
                Ok(outcome) => return outcome,
                Err(failure) if failure.is_deadlock() && attempt < DEADLOCK_RETRIES => {
                    attempt += 1;
                    tracing::debug!(attempt, "commit lost a deadlock; retrying");
                }
                Err(failure) => return Err(failure.into_store_error()),
            }
        }
    }

    fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    async fn schedule_job(
        &self,
        id: &str,
        kind: &str,
        due_at: i64,
        payload: &[u8],
    ) -> Result<(), StoreError> {
        // Rescheduling replaces the job, lease included.
        sqlx::query(
            "INSERT INTO jobs (id, kind, due_at, lease_until, payload) VALUES ($1, $2, $3, 0, $4) \
             ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, due_at = EXCLUDED.due_at, \
             lease_until = 0, payload = EXCLUDED.payload",
        )
        .bind(id)
        .bind(kind)
        .bind(due_at)
        .bind(payload)
        .execute(&self.pool)
        .await
        .map_err(backend("schedule job"))?;
        Ok(())
    }

    async fn cancel_job(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM jobs WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(backend("cancel job"))?;
        Ok(())
    }

    async fn claim_due_jobs(
        &self,
        now: i64,
        lease_until: i64,
        kinds: &[&str],
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        if limit == 0 || kinds.is_empty() {
            return Ok(Vec::new());
        }
        let kinds: Vec<String> = kinds.iter().map(|kind| (*kind).to_string()).collect();
        // SKIP LOCKED: concurrent claimants take disjoint jobs instead of queueing on
        // each other's row locks; a row leased meanwhile fails the re-checked WHERE.
        let rows = sqlx::query(
            "WITH due AS ( \
                 SELECT id FROM jobs WHERE due_at <= $2 AND lease_until <= $2 \
                 AND kind = ANY($4) \
                 ORDER BY due_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) \
             UPDATE jobs SET lease_until = $1 FROM due WHERE jobs.id = due.id \
             RETURNING jobs.id, jobs.kind, jobs.due_at, jobs.payload",
        )
        .bind(lease_until)
        .bind(now)
        .bind(limit_to_sql(limit))
        .bind(kinds)
        .fetch_all(&self.pool)
        .await
        .map_err(backend("claim jobs"))?;
        let mut jobs = rows.iter().map(job_from_row).collect::<Result<Vec<Job>, _>>()?;
        // RETURNING has no defined order.
        jobs.sort_by(|a, b| (a.due_at, &a.id).cmp(&(b.due_at, &b.id)));
        Ok(jobs)
    }

    async fn finish_job(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM jobs WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(backend("finish job"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_locks_are_stable_sorted_and_distinct() {
        let writes = [
            Write::delete("t", "b", Precondition::None),
            Write::delete("t", "a", Precondition::None),
            Write::delete("t", "b", Precondition::None),
        ];
        let locks = record_locks(&writes);
        assert_eq!(locks.len(), 2);
        assert!(locks[0] < locks[1]);
        // Pinned: nodes of different builds must agree (FNV-1a of "t\0a").
        let expected = 0x566d_d519_43ee_5048_u64;
        assert_eq!(record_locks(&writes[1..2]), [i64::from_ne_bytes(expected.to_ne_bytes())]);
        // The separator keeps ("ab", "c") and ("a", "bc") apart.
        assert_ne!(
            record_locks(&[Write::delete("ab", "c", Precondition::None)]),
            record_locks(&[Write::delete("a", "bc", Precondition::None)])
        );
    }

    #[test]
    fn payloads_round_trip() {
        for (table, key) in [("kms.keys", "123"), ("t", ""), ("t", "a\tb"), ("t", "日本")] {
            let change = Change { table: table.into(), key: key.into() };
            assert_eq!(parse_payload(&payload(&change)), Some(change));
        }
        assert_eq!(parse_payload("no separator"), None);
    }
}
