-- Applied migrations are checksummed by sqlx: never edit one, add the next number.

-- Records: opaque values addressed by (table, key), versioned for optimistic concurrency.
-- WITHOUT ROWID clusters rows by the primary key, which is how `list` reads them.
CREATE TABLE records (
    tbl     TEXT    NOT NULL,
    key     TEXT    NOT NULL,
    value   BLOB    NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (tbl, key)
) WITHOUT ROWID;

-- Jobs: due-dated background work; lease_until = 0 means not leased.
CREATE TABLE jobs (
    id          TEXT    NOT NULL PRIMARY KEY,
    kind        TEXT    NOT NULL,
    due_at      INTEGER NOT NULL,
    lease_until INTEGER NOT NULL DEFAULT 0,
    payload     BLOB    NOT NULL
);

CREATE INDEX jobs_due_at ON jobs (due_at);
