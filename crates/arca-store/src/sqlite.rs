//! The embedded backend: one SQLite file in WAL mode, durable at every commit.

use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use tokio::sync::{Mutex, broadcast};

use crate::sql::{
    KeyRange, backend, changes_of, job_from_row, limit_to_sql, record_from_row, version_from_sql,
    version_to_sql,
};
use crate::{Change, Job, Precondition, Record, Store, StoreError, Write, WriteOp};

/// How long a connection waits for another writer (e.g. an admin command on the same
/// file) before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Concurrent readers; WAL lets them run beside the writer.
const READERS: u32 = 4;
/// Changes buffered per subscriber before a slow one starts lagging.
const CHANGE_CAPACITY: usize = 1024;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// Creates the database file with mode 0600 when missing, and narrows an existing
/// database file and its `-wal`/`-shm` companions to 0600.
fn make_private(path: &Path) -> Result<(), StoreError> {
    let io = |error: std::io::Error| {
        StoreError::Config(format!("cannot create {} with mode 0600: {error}", path.display()))
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for suffix in ["", "-wal", "-shm"] {
            let mut file = path.as_os_str().to_owned();
            file.push(suffix);
            let file = std::path::PathBuf::from(file);
            let Ok(metadata) = std::fs::metadata(&file) else { continue };
            if metadata.permissions().mode() & 0o077 != 0 {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                    .map_err(io)?;
                tracing::info!(file = %file.display(), "narrowed the database file's mode to 0600");
            }
        }
    }
    Ok(())
}

/// The embedded [`Store`]: a SQLite database file.
///
/// Writes go through a single connection (SQLite has one writer at a time anyway), in
/// `BEGIN IMMEDIATE` transactions so that a second process on the same file waits
/// instead of failing mid-transaction. `synchronous=FULL` makes each commit durable
/// before it returns. The change feed is in-process only: another process writing the
/// same file is not seen by this one's subscribers.
pub struct SqliteStore {
    /// Exactly one connection.
    writer: SqlitePool,
    /// Read-only work; the same pool as `writer` for an in-memory database.
    reader: SqlitePool,
    /// Held across commit and publish, so subscribers see changes in commit order.
    write_lock: Mutex<()>,
    changes: broadcast::Sender<Change>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` and brings its schema
    /// up to date.
    ///
    /// The file is created readable and writable by its owner only (0600) before
    /// SQLite opens it, and an existing file (with its `-wal` and `-shm`) is narrowed
    /// to 0600: SQLite gives the `-wal` and `-shm` files it creates the database
    /// file's mode, and all three hold every record the server keeps.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref();
        make_private(path)?;
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(backend("open SQLite database"))?;
        migrate(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(READERS)
            .connect_with(options)
            .await
            .map_err(backend("open SQLite database"))?;
        Ok(Self::from_pools(writer, reader))
    }

    /// A private in-memory database, gone when the store is dropped: for tests of the
    /// layers above.
    pub async fn memory() -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new().in_memory(true).foreign_keys(true);
        // One connection that is never recycled: the database lives only as long as it.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(backend("open in-memory SQLite database"))?;
        migrate(&pool).await?;
        Ok(Self::from_pools(pool.clone(), pool))
    }

    fn from_pools(writer: SqlitePool, reader: SqlitePool) -> Self {
        let (changes, _) = broadcast::channel(CHANGE_CAPACITY);
        Self { writer, reader, write_lock: Mutex::new(()), changes }
    }

    /// Checks and applies `writes` in one transaction; `Ok(Err(conflict))` means the
    /// transaction must be rolled back.
    async fn apply(
        transaction: &mut sqlx::SqliteConnection,
        writes: &[Write],
    ) -> Result<Result<Vec<u64>, StoreError>, StoreError> {
        let mut versions = Vec::with_capacity(writes.len());
        for write in writes {
            let current: Option<i64> =
                sqlx::query_scalar("SELECT version FROM records WHERE tbl = ? AND key = ?")
                    .bind(&write.table)
                    .bind(&write.key)
                    .fetch_optional(&mut *transaction)
                    .await
                    .map_err(backend("read record version"))?;
            let holds = match write.precondition {
                Precondition::None => true,
                Precondition::Absent => current.is_none(),
                Precondition::Version(expected) => {
                    current.is_some() && current == version_to_sql(expected)
                }
            };
            if !holds {
                return Ok(Err(StoreError::Conflict {
                    table: write.table.clone(),
                    key: write.key.clone(),
                }));
            }
            match &write.op {
                WriteOp::Put(value) => {
                    let next = match current {
                        Some(version) => version.checked_add(1).ok_or_else(|| {
                            StoreError::Backend("corrupt record: version overflow".into())
                        })?,
                        None => 1,
                    };
                    sqlx::query(
                        "INSERT INTO records (tbl, key, value, version) VALUES (?, ?, ?, ?) \
                         ON CONFLICT (tbl, key) DO UPDATE \
                         SET value = excluded.value, version = excluded.version",
                    )
                    .bind(&write.table)
                    .bind(&write.key)
                    .bind(value.as_slice())
                    .bind(next)
                    .execute(&mut *transaction)
                    .await
                    .map_err(backend("put record"))?;
                    versions.push(version_from_sql(next)?);
                }
                WriteOp::Delete => {
                    sqlx::query("DELETE FROM records WHERE tbl = ? AND key = ?")
                        .bind(&write.table)
                        .bind(&write.key)
                        .execute(&mut *transaction)
                        .await
                        .map_err(backend("delete record"))?;
                    versions.push(0);
                }
            }
        }
        Ok(Ok(versions))
    }
}

async fn migrate(pool: &SqlitePool) -> Result<(), StoreError> {
    MIGRATOR
        .run(pool)
        .await
        .map_err(|error| StoreError::Backend(format!("migrate SQLite schema: {error}")))
}

#[async_trait]
impl Store for SqliteStore {
    async fn get(&self, table: &str, key: &str) -> Result<Option<Record>, StoreError> {
        let row: Option<SqliteRow> =
            sqlx::query("SELECT key, value, version FROM records WHERE tbl = ? AND key = ?")
                .bind(table)
                .bind(key)
                .fetch_optional(&self.reader)
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
        let (conditions, _) = range.conditions(|_| "?".into());
        let sql = format!(
            "SELECT key, value, version FROM records WHERE tbl = ? AND {conditions} \
             ORDER BY key LIMIT ?"
        );
        let mut query = sqlx::query(&sql).bind(table).bind(&range.lower);
        if let Some(upper) = &range.upper {
            query = query.bind(upper);
        }
        let rows = query
            .bind(limit_to_sql(limit))
            .fetch_all(&self.reader)
            .await
            .map_err(backend("list records"))?;
        rows.iter().map(record_from_row).collect()
    }

    async fn commit(&self, writes: Vec<Write>) -> Result<Vec<u64>, StoreError> {
        if writes.is_empty() {
            return Ok(Vec::new());
        }
        let _writing = self.write_lock.lock().await;
        let mut transaction =
            self.writer.begin_with("BEGIN IMMEDIATE").await.map_err(backend("begin commit"))?;
        match Self::apply(&mut transaction, &writes).await? {
            Ok(versions) => {
                transaction.commit().await.map_err(backend("commit"))?;
                for change in changes_of(&writes) {
                    // No subscriber is not an error.
                    let _ = self.changes.send(change);
                }
                Ok(versions)
            }
            Err(conflict) => {
                transaction.rollback().await.map_err(backend("roll back commit"))?;
                Err(conflict)
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
            "INSERT INTO jobs (id, kind, due_at, lease_until, payload) VALUES (?, ?, ?, 0, ?) \
             ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, due_at = excluded.due_at, \
             lease_until = 0, payload = excluded.payload",
        )
        .bind(id)
        .bind(kind)
        .bind(due_at)
        .bind(payload)
        .execute(&self.writer)
        .await
        .map_err(backend("schedule job"))?;
        Ok(())
    }

    async fn cancel_job(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM jobs WHERE id = ?")
            .bind(id)
            .execute(&self.writer)
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
        // One placeholder per kind (?4, ?5, ...): kinds are few, fixed by the services.
        let placeholders: Vec<String> = (0..kinds.len()).map(|i| format!("?{}", i + 4)).collect();
        let statement = format!(
            "UPDATE jobs SET lease_until = ?1 WHERE id IN ( \
                 SELECT id FROM jobs WHERE due_at <= ?2 AND lease_until <= ?2 \
                 AND kind IN ({}) \
                 ORDER BY due_at, id LIMIT ?3) \
             RETURNING id, kind, due_at, payload",
            placeholders.join(", ")
        );
        // One statement, so the choice and the lease are atomic even against another
        // process on the same file.
        let mut query =
            sqlx::query(&statement).bind(lease_until).bind(now).bind(limit_to_sql(limit));
        for kind in kinds {
            query = query.bind(*kind);
        }
        let rows = query.fetch_all(&self.writer).await.map_err(backend("claim jobs"))?;
        let mut jobs = rows.iter().map(job_from_row).collect::<Result<Vec<Job>, _>>()?;
        // RETURNING has no defined order.
        jobs.sort_by(|a, b| (a.due_at, &a.id).cmp(&(b.due_at, &b.id)));
        Ok(jobs)
    }

    async fn finish_job(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM jobs WHERE id = ?")
            .bind(id)
            .execute(&self.writer)
            .await
            .map_err(backend("finish job"))?;
        Ok(())
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    fn companions(path: &Path) -> Vec<std::path::PathBuf> {
        ["", "-wal", "-shm"]
            .iter()
            .map(|suffix| {
                let mut file = path.as_os_str().to_owned();
                file.push(suffix);
                std::path::PathBuf::from(file)
            })
            .collect()
    }

    #[tokio::test]
    async fn the_database_and_its_wal_and_shm_are_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("arca.db");
        let store = SqliteStore::open(&path).await.unwrap();
        store.commit(vec![Write::put("t", "k", b"v".to_vec(), Precondition::None)]).await.unwrap();
        for file in companions(&path) {
            assert!(file.exists(), "{} missing", file.display());
            assert_eq!(mode(&file), 0o600, "{}", file.display());
        }
    }

    #[tokio::test]
    async fn an_existing_world_readable_database_is_narrowed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("arca.db");
        let store = SqliteStore::open(&path).await.unwrap();
        store.commit(vec![Write::put("t", "k", b"v".to_vec(), Precondition::None)]).await.unwrap();
        for file in companions(&path) {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        let again = SqliteStore::open(&path).await.unwrap();
        assert_eq!(again.get("t", "k").await.unwrap().unwrap().value, b"v");
        for file in companions(&path) {
            assert_eq!(mode(&file), 0o600, "{}", file.display());
        }
        drop(store);
    }
}
