//! What the two SQL backends share: error mapping, key ranges for `list`, version
//! conversions, and the change list of a commit.

use crate::{Change, StoreError, Write};

/// Maps a sqlx error to [`StoreError::Backend`], naming the operation that failed.
///
/// Only the database's code and message are kept, never bound values: values may be
/// sealed secrets, and keys are already named by the caller where it matters.
pub(crate) fn backend(operation: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |error| {
        let detail = match &error {
            sqlx::Error::Database(database) => match database.code() {
                Some(code) => format!("database error {code}: {}", database.message()),
                None => format!("database error: {}", database.message()),
            },
            other => other.to_string(),
        };
        StoreError::Backend(format!("{operation}: {detail}"))
    }
}

/// A stored version (a signed SQL integer) as the trait's `u64`; a negative one is
/// corrupt data, reported rather than wrapped.
pub(crate) fn version_from_sql(version: i64) -> Result<u64, StoreError> {
    u64::try_from(version)
        .map_err(|_| StoreError::Backend("corrupt record: negative version".into()))
}

/// A caller's `u64` as a SQL integer; `None` if it is beyond any stored version, so it
/// can never match (a `Precondition::Version` on it is a conflict).
pub(crate) fn version_to_sql(version: u64) -> Option<i64> {
    i64::try_from(version).ok()
}

/// A `usize` limit as a SQL `LIMIT`, saturating.
pub(crate) fn limit_to_sql(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// The key bounds of a `list` call: keys starting with a prefix, after a paging cursor.
///
/// A range on the key (rather than `LIKE`) needs no escaping of `%` and `_` and is
/// answered from the primary-key index. Both backends compare keys as bytes (SQLite's
/// BINARY collation, PostgreSQL's `COLLATE "C"`), and UTF-8 byte order is code-point
/// order, so the bounds are computed on `char`s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyRange {
    /// The lower bound.
    pub lower: String,
    /// Whether the lower bound itself is included (`>=`) or not (`>`).
    pub lower_inclusive: bool,
    /// The exclusive upper bound, if any key can lie above the prefix's keys.
    pub upper: Option<String>,
}

impl KeyRange {
    pub(crate) fn new(prefix: &str, start_after: Option<&str>) -> Self {
        let (lower, lower_inclusive) = match start_after {
            Some(cursor) if cursor >= prefix => (cursor.to_owned(), false),
            _ => (prefix.to_owned(), true),
        };
        Self { lower, lower_inclusive, upper: prefix_successor(prefix) }
    }

    /// The `WHERE` conditions on `key` after `tbl = <first placeholder>`, with
    /// placeholders produced by `placeholder(n)` for n = 2, 3, ...; bind `lower` then
    /// `upper` (when present) in that order.
    pub(crate) fn conditions(&self, placeholder: impl Fn(usize) -> String) -> (String, usize) {
        let operator = if self.lower_inclusive { ">=" } else { ">" };
        let mut sql = format!("key {operator} {}", placeholder(2));
        let mut next = 3;
        if self.upper.is_some() {
            sql.push_str(&format!(" AND key < {}", placeholder(next)));
            next += 1;
        }
        (sql, next)
    }
}

/// The least string greater than every string that starts with `prefix`, or `None`
/// when no such string exists (empty prefix, or only `char::MAX`s).
fn prefix_successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = next_char(last) {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// The next Unicode scalar value, skipping the surrogate gap.
fn next_char(c: char) -> Option<char> {
    match c {
        '\u{D7FF}' => Some('\u{E000}'),
        char::MAX => None,
        other => char::from_u32(u32::from(other) + 1),
    }
}

/// The changes a successful commit publishes: one per record written, in the order of
/// first write. PostgreSQL folds identical notifications within a transaction, so both
/// backends fold repeated writes to one record the same way.
pub(crate) fn changes_of(writes: &[Write]) -> Vec<Change> {
    let mut changes: Vec<Change> = Vec::with_capacity(writes.len());
    for write in writes {
        let seen =
            changes.iter().any(|change| change.table == write.table && change.key == write.key);
        if !seen {
            changes.push(Change { table: write.table.clone(), key: write.key.clone() });
        }
    }
    changes
}

/// A record row (`key, value, version`), decoded without panicking.
pub(crate) fn record_from_row<R>(row: &R) -> Result<crate::Record, StoreError>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let key: String = row.try_get(0).map_err(backend("decode record"))?;
    let value: Vec<u8> = row.try_get(1).map_err(backend("decode record"))?;
    let version: i64 = row.try_get(2).map_err(backend("decode record"))?;
    Ok(crate::Record { key, value, version: version_from_sql(version)? })
}

/// A job row (`id, kind, due_at, payload`), decoded without panicking.
pub(crate) fn job_from_row<R>(row: &R) -> Result<crate::Job, StoreError>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(crate::Job {
        id: row.try_get(0).map_err(backend("decode job"))?,
        kind: row.try_get(1).map_err(backend("decode job"))?,
        due_at: row.try_get(2).map_err(backend("decode job"))?,
        payload: row.try_get(3).map_err(backend("decode job"))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_successor(prefix: &str, expected: Option<&str>) {
        assert_eq!(prefix_successor(prefix).as_deref(), expected, "prefix {prefix:?}");
    }

    #[test]
    fn successors() {
        check_successor("", None);
        check_successor("a", Some("b"));
        check_successor("ab%", Some("ab&"));
        check_successor("k_", Some("k`"));
        check_successor("\u{7F}", Some("\u{80}"));
        check_successor("x\u{D7FF}", Some("x\u{E000}"));
        check_successor("x\u{10FFFF}", Some("y"));
        check_successor("\u{10FFFF}\u{10FFFF}", None);
        check_successor("é", Some("ê"));
    }

    #[test]
    fn ranges() {
        let range = KeyRange::new("a/", Some("a/3"));
        assert_eq!(
            range,
            KeyRange { lower: "a/3".into(), lower_inclusive: false, upper: Some("a0".into()) }
        );
        // A cursor before the prefix does not widen the range.
        let range = KeyRange::new("b", Some("a"));
        assert_eq!(
            range,
            KeyRange { lower: "b".into(), lower_inclusive: true, upper: Some("c".into()) }
        );
        let (sql, next) = range.conditions(|n| format!("${n}"));
        assert_eq!((sql.as_str(), next), ("key >= $2 AND key < $3", 4));
        let (sql, next) = KeyRange::new("", None).conditions(|_| "?".into());
        assert_eq!((sql.as_str(), next), ("key >= ?", 3));
    }

    #[test]
    fn changes_fold_repeated_records() {
        let writes = vec![
            Write::delete("t", "a", crate::Precondition::None),
            Write::delete("t", "b", crate::Precondition::None),
            Write::delete("t", "a", crate::Precondition::None),
            Write::delete("u", "a", crate::Precondition::None),
        ];
        let keys: Vec<(String, String)> =
            changes_of(&writes).into_iter().map(|change| (change.table, change.key)).collect();
        assert_eq!(
            keys,
            vec![("t".into(), "a".into()), ("t".into(), "b".into()), ("u".into(), "a".into())]
        );
    }
}
