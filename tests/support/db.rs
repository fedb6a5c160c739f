//! A fresh PostgreSQL database per test.
//!
//! The server is [`SERVER_URL`]'s when that is set (`scripts/test.sh` starts one server
//! for all its test processes), else DATABASE_URL's; otherwise one private cluster per
//! test process (initdb into a temporary directory, trust auth, run as the `postgres`
//! user when we are root) listening only on a UNIX socket in that directory: no TCP port
//! to pick, so parallel test processes cannot race for one. A small reaper process stops
//! the cluster and deletes its directory once the test process is gone, however it ends.

use sqlx::{Connection, Executor, PgConnection};
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

/// Set (to anything) before the first database is created: the private cluster keeps
/// PostgreSQL's default durability (`fsync` on) instead of the tests' `fsync=off`.
pub const DURABLE: &str = "OSIRIS_TEST_PG_DURABLE";

/// The admin URL of a server for the tests' databases. Not DATABASE_URL: the programs the
/// tests start read that one, and it would take them away from their test's database.
pub const SERVER_URL: &str = "OSIRIS_TEST_DATABASE_URL";

/// Admin URL (database `postgres`) of the server tests create their databases on.
fn server_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        std::env::var(SERVER_URL).or_else(|_| std::env::var("DATABASE_URL")).unwrap_or_else(|_| start_private_cluster())
    })
}

fn pg_bin() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| d.flatten().map(|e| e.path().join("bin")).filter(|p| p.join("initdb").exists()).collect())
        .unwrap_or_default();
    versions.sort();
    versions.pop().expect("PostgreSQL server binaries under /usr/lib/postgresql/*/bin (scripts/setup.sh)")
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// `sh -c script` as the postgres user when we are root.
fn as_postgres(script: &str) -> Command {
    let mut command = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", "sh", "-c", script]);
        c
    } else {
        let mut c = Command::new("sh");
        c.args(["-c", script]);
        c
    };
    command.stdin(std::process::Stdio::null());
    command
}

fn start_private_cluster() -> String {
    let dir = tempfile::Builder::new().prefix("osiris-test-db").tempdir().expect("temp dir").keep();
    if is_root() {
        let status = Command::new("chown").arg("postgres:").arg(&dir).status().expect("chown");
        assert!(status.success(), "chown of {} to postgres failed", dir.display());
    }
    let (bin, d) = (pg_bin(), dir.display().to_string());
    let bin = bin.display();
    // `-h ''`: no TCP listener at all; the socket lives in the cluster's private directory.
    // Tests do not need durability against power loss; benchmarks that measure it ask for it.
    let fsync = if std::env::var_os(DURABLE).is_some() { "" } else { "-c fsync=off" };
    let script = format!(
        "{bin}/initdb -D {d}/data -U postgres --auth=trust -E UTF8 >{d}/initdb.log 2>&1 && \
         {bin}/pg_ctl -D {d}/data -l {d}/server.log -w -t 60 -o \"-h '' -k {d} {fsync} -c max_connections=200\" start >/dev/null"
    );
    let status = as_postgres(&script).status().expect("run initdb/pg_ctl");
    if !status.success() {
        let log = std::fs::read_to_string(dir.join("server.log"))
            .or_else(|_| std::fs::read_to_string(dir.join("initdb.log")));
        panic!("private PostgreSQL cluster did not start in {d}: {}", log.unwrap_or_default());
    }
    // The reaper: waits for this test process to end, then stops the cluster and removes it.
    let reaper = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; \
         {stop}; rm -rf {d}",
        pid = std::process::id(),
        stop = if is_root() {
            format!("runuser -u postgres -- {bin}/pg_ctl -D {d}/data -m fast -w stop >/dev/null 2>&1")
        } else {
            format!("{bin}/pg_ctl -D {d}/data -m fast -w stop >/dev/null 2>&1")
        },
    );
    let mut command = Command::new("setsid");
    command.args(["sh", "-c", &reaper]).stdin(std::process::Stdio::null()).stdout(std::process::Stdio::null());
    command.spawn().expect("spawn the cluster reaper");
    format!("postgres://postgres@localhost/postgres?host={d}")
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let (server, _) =
        base.rsplit_once('/').filter(|(s, _)| s.contains("://") && !s.ends_with('/')).unwrap_or((base, ""));
    match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    }
}

/// A database that exists for one test, dropped (with its connections) when this is dropped.
pub struct TestDatabase {
    /// URL of this test's own database.
    pub url: String,
    name: String,
}

impl TestDatabase {
    /// Creates a uniquely named empty database.
    pub async fn create() -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let name = format!("osiris_test_{}_{}_{nanos}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
        let admin = server_url();
        let mut conn = PgConnection::connect(admin).await.unwrap_or_else(|e| panic!("connect to {admin}: {e}"));
        conn.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("CREATE DATABASE");
        conn.close().await.ok();
        Self { url: with_database(admin, &name), name }
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (admin, name) = (server_url().to_string(), self.name.clone());
        // Drop may run inside a runtime; do the async work on a thread of its own.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                let mut conn = PgConnection::connect(&admin).await?;
                conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await?;
                conn.close().await
            })
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("warning: could not drop test database {}: {e}", self.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_names_are_swapped_in_urls() {
        assert_eq!(with_database("postgres://u@h:5/postgres", "t1"), "postgres://u@h:5/t1");
        assert_eq!(
            with_database("postgres://u@h:5/postgres?sslmode=disable", "t1"),
            "postgres://u@h:5/t1?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h:5", "t1"), "postgres://u@h:5/t1");
        assert_eq!(
            with_database("postgres://postgres@localhost/postgres?host=/tmp/x", "t1"),
            "postgres://postgres@localhost/t1?host=/tmp/x"
        );
    }
}
