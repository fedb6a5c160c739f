//! The harness gives each test its own database on a real PostgreSQL server,
//! and leaves nothing behind.

use osiris_e2e::TestDatabase;
use sqlx::{Connection, PgConnection, Row};

#[tokio::test]
async fn each_test_gets_its_own_empty_database_which_is_gone_afterwards() {
    let first = TestDatabase::create().await;
    let second = TestDatabase::create().await;
    assert_ne!(first.url, second.url);

    let mut conn = PgConnection::connect(&first.url).await.expect("connect to the test database");
    sqlx::query("CREATE TABLE story (line TEXT)").execute(&mut conn).await.unwrap();
    sqlx::query("INSERT INTO story VALUES ('once upon a time')").execute(&mut conn).await.unwrap();
    let row =
        sqlx::query("SELECT current_database() AS db, count(*) AS n FROM story").fetch_one(&mut conn).await.unwrap();
    assert_eq!(row.get::<String, _>("db"), first.name());
    assert_eq!(row.get::<i64, _>("n"), 1);

    // The second database does not see the first one's tables.
    let mut other = PgConnection::connect(&second.url).await.unwrap();
    let tables: i64 = sqlx::query("SELECT count(*) FROM information_schema.tables WHERE table_name = 'story'")
        .fetch_one(&mut other)
        .await
        .unwrap()
        .get(0);
    assert_eq!(tables, 0);
    other.close().await.unwrap();

    let name = first.name().to_string();
    let admin_url = second.url.clone();
    drop(first);
    let mut admin = PgConnection::connect(&admin_url).await.unwrap();
    let left: i64 = sqlx::query("SELECT count(*) FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_one(&mut admin)
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "the dropped test database {name} is gone");
}
