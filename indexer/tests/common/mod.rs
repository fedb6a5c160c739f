//! Running the real `osiris-indexer` binary against a test chain and database.
//! Shared by the indexer test binaries; each uses only part of it.
#![allow(dead_code)]

use osiris_e2e::{die_with_parent, logged_address_of, Osiris, TestDatabase};
use serde_json::Value;
use sqlx::{Connection, PgConnection, Row};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An `osiris-indexer` process; killed (SIGKILL) on drop.
pub struct Indexer {
    child: Child,
    pub url: String,
    http: reqwest::Client,
}

/// Writes the deployment file of `osiris` into `dir`.
pub fn deployment_file(osiris: &Osiris, dir: &std::path::Path) -> PathBuf {
    let path = dir.join("deployment.json");
    osiris.deployment.save(&path).unwrap();
    path
}

impl Indexer {
    /// Starts the indexer on port 0 (it binds, then logs the address it got on stdout) and waits
    /// until its API answers.
    pub async fn start(osiris: &Osiris, db: &TestDatabase, deployment: &std::path::Path) -> Self {
        Self::start_with(osiris, db, deployment, &[]).await
    }

    /// [`start`](Self::start) with extra command-line arguments (`--api-only`).
    pub async fn start_with(osiris: &Osiris, db: &TestDatabase, deployment: &std::path::Path, args: &[&str]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_osiris-indexer"));
        command
            .args(args)
            .env("DATABASE_URL", &db.url)
            .env("OSIRIS_NODE_URL", &osiris.node.url)
            .env("OSIRIS_DEPLOYMENT", deployment)
            .env("OSIRIS_INDEXER_LISTEN", "127.0.0.1:0")
            .env("RUST_LOG", "warn,osiris_indexer=info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped());
        let mut child = die_with_parent(&mut command).spawn().expect("start osiris-indexer");
        let address = logged_address_of(child.stdout.take().expect("piped stdout (the log)"), "listen=")
            .expect("the indexer exited before it listened");
        let indexer = Self { child, url: format!("http://{address}"), http: reqwest::Client::new() };
        let started = Instant::now();
        while !indexer
            .http
            .get(format!("{}/health", indexer.url))
            .send()
            .await
            .map(|r| r.status().is_success())
            .unwrap_or(false)
        {
            assert!(started.elapsed() < Duration::from_secs(60), "the indexer did not answer on {}", indexer.url);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        indexer
    }

    /// GET `path`; returns the status code and the JSON body.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let response = self.http.get(format!("{}{path}", self.url)).send().await.expect("request");
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        (status, serde_json::from_str(&body).unwrap_or(Value::String(body)))
    }

    /// GET `path`, expecting 200.
    pub async fn ok(&self, path: &str) -> Value {
        let (status, body) = self.get(path).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// Waits until the mirror holds block `number`.
    pub async fn wait_for_block(&self, number: u64) {
        let started = Instant::now();
        loop {
            let status = self.ok("/v1/status").await;
            if status["cursor"]["block_number"].as_u64().is_some_and(|b| b >= number) {
                return;
            }
            assert!(started.elapsed() < Duration::from_secs(60), "the indexer did not reach block {number}: {status}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Kills the process with SIGKILL, as a crash would.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Stops the process with SIGTERM and waits for it to exit; returns whether it exited cleanly.
    pub fn terminate(mut self) -> bool {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        self.child.wait().unwrap().success()
    }
}

impl Drop for Indexer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every mirrored table as JSON rows in key order (the cursor without its timestamp).
pub async fn dump(url: &str) -> Vec<(String, Value)> {
    let mut conn = PgConnection::connect(url).await.unwrap();
    let tables = [
        ("indexer_cursor", "SELECT genesis_hash, block_number, block_hash FROM indexer_cursor", "block_number"),
        ("events", "SELECT * FROM events", "block_number, event_index"),
        ("organizations", "SELECT * FROM organizations", "org_id"),
        ("services", "SELECT * FROM services", "org_id, service_id"),
        ("service_groups", "SELECT * FROM service_groups", "org_id, service_id, position"),
        ("escrow_balances", "SELECT * FROM escrow_balances", "account"),
        ("channels", "SELECT * FROM channels", "channel_id"),
    ];
    let mut out = Vec::new();
    for (name, select, order) in tables {
        let sql = format!("SELECT COALESCE(json_agg(t ORDER BY {order}), '[]')::text FROM ({select}) t");
        let text: String = sqlx::query(&sql).fetch_one(&mut conn).await.unwrap().get(0);
        out.push((name.to_string(), serde_json::from_str(&text).unwrap()));
    }
    conn.close().await.unwrap();
    out
}
