//! Choosing a backend from a store URL.

use std::sync::Arc;

use crate::{SqliteStore, Store, StoreError};

/// Opens the store named by `url`:
///
/// - `sqlite://PATH` or `sqlite:PATH`: the embedded SQLite file at `PATH` (created if
///   missing; `sqlite:///var/lib/arca/arca.db` is absolute, `sqlite://arca.db` relative);
///   `sqlite::memory:` is a private in-memory database. `PATH` is taken literally (no
///   percent-decoding, no query parameters).
/// - `postgres://...` or `postgresql://...`: a PostgreSQL database shared by nodes.
///
/// The schema is migrated on open. Error messages never repeat the URL, which may
/// hold a password.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if let Some(rest) = url.strip_prefix("sqlite:") {
        let path = rest.strip_prefix("//").unwrap_or(rest);
        if path.contains('?') {
            return Err(StoreError::Config("a sqlite store URL takes no query parameters".into()));
        }
        if path.is_empty() {
            return Err(StoreError::Config("a sqlite store URL needs a file path".into()));
        }
        if path == ":memory:" {
            return Ok(Arc::new(SqliteStore::memory().await?));
        }
        return Ok(Arc::new(SqliteStore::open(path).await?));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Arc::new(crate::PostgresStore::connect(url).await?));
    }
    Err(StoreError::Config(
        "unsupported store URL: use sqlite://PATH or postgres://USER@HOST/DB".into(),
    ))
}
