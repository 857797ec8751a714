-- Applied migrations are checksummed by sqlx: never edit one, add the next number.

-- Records: opaque values addressed by (table, key), versioned for optimistic concurrency.
-- COLLATE "C" makes key order byte order (code-point order for UTF-8), whatever the
-- database's locale, so `list` ranges and paging agree with the SQLite backend.
CREATE TABLE records (
    tbl     TEXT COLLATE "C" NOT NULL,
    key     TEXT COLLATE "C" NOT NULL,
    value   BYTEA  NOT NULL,
    version BIGINT NOT NULL,
    PRIMARY KEY (tbl, key)
);

-- Jobs: due-dated background work; lease_until = 0 means not leased.
CREATE TABLE jobs (
    id          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    kind        TEXT   NOT NULL,
    due_at      BIGINT NOT NULL,
    lease_until BIGINT NOT NULL DEFAULT 0,
    payload     BYTEA  NOT NULL
);

CREATE INDEX jobs_due_at ON jobs (due_at);
