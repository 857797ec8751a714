//! A fresh PostgreSQL database per test, from `ARCA_TEST_POSTGRES_URL`.

use sqlx::Connection;
use sqlx::Executor;
use sqlx::postgres::PgConnection;

/// The server every PostgreSQL test uses. Missing, the test fails: a PostgreSQL check
/// that silently passes would hide a broken backend.
pub fn admin_url() -> String {
    match std::env::var("ARCA_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "PostgreSQL tests need a server: set ARCA_TEST_POSTGRES_URL or run ./scripts/test"
        ),
    }
}

/// A database of its own for one test, dropped by [`TestDatabase::drop_database`].
pub struct TestDatabase {
    /// The URL of the new database.
    pub url: String,
    admin_url: String,
    name: String,
}

impl TestDatabase {
    pub async fn create() -> Self {
        let admin_url = admin_url();
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
        Self { url: with_database(&admin_url, &name), admin_url, name }
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
