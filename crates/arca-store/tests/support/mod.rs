//! A fresh PostgreSQL database per test, from `ARCA_TEST_POSTGRES_URL`.
//!
//! Without that variable the PostgreSQL tests are skipped, loudly: a banner on stderr
//! (past the test harness's output capture) names what was not run and why. With
//! `ARCA_TEST_REQUIRE_ALL=1`, as the full `./scripts/test` sets, they fail instead, so
//! a run that claims to cover everything never skips.

use std::io::Write as _;
use std::sync::Once;

use sqlx::Connection;
use sqlx::Executor;
use sqlx::postgres::PgConnection;

/// The server every PostgreSQL test uses, or `None` when none is configured and skipping
/// is allowed (the caller returns at once). Missing while `ARCA_TEST_REQUIRE_ALL` is set,
/// the test fails: a PostgreSQL check that silently passes would hide a broken backend.
pub fn admin_url() -> Option<String> {
    match std::env::var("ARCA_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if skipping_is_forbidden() => panic!(
            "PostgreSQL tests need a server and ARCA_TEST_REQUIRE_ALL forbids skipping them: \
             set ARCA_TEST_POSTGRES_URL or run ./scripts/test"
        ),
        _ => {
            announce_skip();
            None
        }
    }
}

/// Whether `ARCA_TEST_REQUIRE_ALL` asks for every test to run (any value but empty or `0`).
fn skipping_is_forbidden() -> bool {
    std::env::var("ARCA_TEST_REQUIRE_ALL").is_ok_and(|value| !value.is_empty() && value != "0")
}

/// Prints the skip banner once per test binary. It writes to the stderr handle itself:
/// `eprintln!` inside a test is captured and shown only when the test fails.
fn announce_skip() {
    static BANNER: Once = Once::new();
    BANNER.call_once(|| {
        let binary = std::env::args().next().unwrap_or_default();
        let binary = binary.rsplit('/').next().unwrap_or_default();
        let binary = binary.rsplit_once('-').map_or(binary, |(name, _hash)| name);
        let _ = writeln!(
            std::io::stderr().lock(),
            "\n{rule}\nSKIPPED: the PostgreSQL store tests of arca-store/tests/{binary}.rs did not run: \
             ARCA_TEST_POSTGRES_URL is not set.\n  They pass without checking anything. \
             Run ./scripts/test (it starts a private PostgreSQL),\n  or set \
             ARCA_TEST_POSTGRES_URL; ARCA_TEST_REQUIRE_ALL=1 makes this a failure.\n{rule}",
            rule = "!".repeat(88),
        );
    });
}

/// A database of its own for one test, dropped by [`TestDatabase::drop_database`].
pub struct TestDatabase {
    /// The URL of the new database.
    pub url: String,
    admin_url: String,
    name: String,
}

impl TestDatabase {
    /// A new database on the test server, or `None` when PostgreSQL tests are skipped
    /// (see [`admin_url`]).
    pub async fn create() -> Option<Self> {
        let admin_url = admin_url()?;
        let name = format!("arca_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|error| panic!("cannot reach ARCA_TEST_POSTGRES_URL: {error}"));
        // UTF-8 whatever the cluster's default, so keys may be any text, and a linguistic
        // (ICU) default collation, under which "pa" sorts before "pX": the suite then
        // proves the schema's byte-order keys hold whatever locale a database has.
        let create = format!(
            "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' \
             LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'"
        );
        admin.execute(create.as_str()).await.unwrap();
        admin.close().await.unwrap();
        Some(Self { url: with_database(&admin_url, &name), admin_url, name })
    }

    /// Drops the database, closing whatever connections a store left open.
    pub async fn drop_database(self) {
        let mut admin = PgConnection::connect(&self.admin_url).await.unwrap();
        admin
            .execute(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name).as_str())
            .await
            .unwrap();
        admin.close().await.unwrap();
    }
}

/// `url` with its database name replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let authority = base.find("://").map_or(0, |index| index + 3);
    let server = match base[authority..].find('/') {
        Some(slash) => &base[..authority + slash],
        None => base,
    };
    format!("{server}/{database}{query}")
}

#[test]
fn database_names_are_replaced() {
    assert_eq!(with_database("postgres://a@h:1/postgres", "x"), "postgres://a@h:1/x");
    assert_eq!(with_database("postgres://a@h:1", "x"), "postgres://a@h:1/x");
    assert_eq!(
        with_database("postgres://a@h/db?sslmode=disable", "x"),
        "postgres://a@h/x?sslmode=disable"
    );
}
