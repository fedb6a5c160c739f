//! A ddc node's repair progress (`gateway_repair`, migrations/0015): the cursor of its
//! running pass (bucket, last key done), so that a restarted gateway resumes where it
//! stopped, and the totals of its passes, which `osiris cluster repair-status` shows.

use osiris_contract_types::ddc::{BucketId, NodeId};
use sqlx::{PgPool, Row};

/// Where a node's repair pass is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepairCursor {
    /// The bucket being walked; `None`: the next pass starts from the first one.
    pub bucket_id: Option<BucketId>,
    /// The last object key done in it ("" before the first).
    pub after_key: String,
}

/// What repair did since the cursor was last saved (added to the totals).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RepairCounts {
    pub checked: u64,
    pub copied: u64,
    pub removed: u64,
    pub bytes_copied: u64,
    pub failures: u64,
}

impl RepairCounts {
    pub fn add(&mut self, other: RepairCounts) {
        self.checked += other.checked;
        self.copied += other.copied;
        self.removed += other.removed;
        self.bytes_copied += other.bytes_copied;
        self.failures += other.failures;
    }
}

/// A node's repair as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct RepairStatus {
    pub node_id: NodeId,
    pub cursor: RepairCursor,
    /// Passes completed.
    pub passes: u64,
    /// When the running pass started and the last one completed (RFC 3339, UTC).
    pub pass_started_at: Option<String>,
    pub last_pass_at: Option<String>,
    /// Totals over every pass.
    pub totals: RepairCounts,
    pub last_error: Option<String>,
    pub updated_at: String,
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The node's cursor (the start of a pass when it never repaired).
pub async fn cursor(pool: &PgPool, node: NodeId) -> Result<RepairCursor, sqlx::Error> {
    let row = sqlx::query("SELECT bucket_id, after_key FROM gateway_repair WHERE node_id = $1")
        .bind(i64::from(node.0))
        .fetch_optional(pool)
        .await?;
    let Some(row) = row else { return Ok(RepairCursor::default()) };
    let bucket: Option<i64> = row.try_get("bucket_id")?;
    Ok(RepairCursor {
        bucket_id: bucket.and_then(|b| u32::try_from(b).ok()).map(BucketId),
        after_key: row.try_get("after_key")?,
    })
}

/// Saves the cursor and adds `counts` to the totals; `pass_done` also counts a completed
/// pass (the cursor is then the start of the next), `pass_started` stamps a new pass,
/// `error` is kept as the last error (cleared by `None` only when a pass completes).
pub async fn save(
    pool: &PgPool,
    node: NodeId,
    cursor: &RepairCursor,
    counts: RepairCounts,
    pass_started: bool,
    pass_done: bool,
    error: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO gateway_repair AS r (node_id, bucket_id, after_key, pass_started_at, passes, last_pass_at,
             objects_checked, objects_copied, objects_removed, bytes_copied, failures, last_error, updated_at)
         VALUES ($1, $2, $3, CASE WHEN $4 THEN now() END, CASE WHEN $5 THEN 1 ELSE 0 END, CASE WHEN $5 THEN now() END,
                 $6, $7, $8, $9, $10, $11, now())
         ON CONFLICT (node_id) DO UPDATE SET
             bucket_id = EXCLUDED.bucket_id, after_key = EXCLUDED.after_key,
             pass_started_at = CASE WHEN $4 THEN now() ELSE r.pass_started_at END,
             passes = r.passes + EXCLUDED.passes,
             last_pass_at = COALESCE(EXCLUDED.last_pass_at, r.last_pass_at),
             objects_checked = r.objects_checked + EXCLUDED.objects_checked,
             objects_copied = r.objects_copied + EXCLUDED.objects_copied,
             objects_removed = r.objects_removed + EXCLUDED.objects_removed,
             bytes_copied = r.bytes_copied + EXCLUDED.bytes_copied,
             failures = r.failures + EXCLUDED.failures,
             last_error = CASE WHEN $11 IS NOT NULL THEN $11 WHEN $5 THEN NULL ELSE r.last_error END,
             updated_at = now()",
    )
    .bind(i64::from(node.0))
    .bind(cursor.bucket_id.map(|b| i64::from(b.0)))
    .bind(&cursor.after_key)
    .bind(pass_started)
    .bind(pass_done)
    .bind(count(counts.checked))
    .bind(count(counts.copied))
    .bind(count(counts.removed))
    .bind(count(counts.bytes_copied))
    .bind(count(counts.failures))
    .bind(error)
    .execute(pool)
    .await?;
    Ok(())
}

/// The repair status of each of `nodes` that ever repaired, by node id.
pub async fn status(pool: &PgPool, nodes: &[NodeId]) -> Result<Vec<RepairStatus>, sqlx::Error> {
    let ids: Vec<i64> = nodes.iter().map(|n| i64::from(n.0)).collect();
    let time = |c: &str| format!("to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS {c}");
    let rows = sqlx::query(&format!(
        "SELECT node_id, bucket_id, after_key, passes, objects_checked, objects_copied, objects_removed,
                bytes_copied, failures, last_error, {}, {}, {}
         FROM gateway_repair WHERE node_id = ANY($1) ORDER BY node_id",
        time("pass_started_at"),
        time("last_pass_at"),
        time("updated_at")
    ))
    .bind(&ids)
    .fetch_all(pool)
    .await?;
    let n = |r: &sqlx::postgres::PgRow, c: &str| -> Result<u64, sqlx::Error> {
        Ok(u64::try_from(r.try_get::<i64, _>(c)?).unwrap_or(0))
    };
    rows.iter()
        .map(|r| {
            let node: i64 = r.try_get("node_id")?;
            let bucket: Option<i64> = r.try_get("bucket_id")?;
            Ok(RepairStatus {
                node_id: NodeId(u32::try_from(node).unwrap_or(u32::MAX)),
                cursor: RepairCursor {
                    bucket_id: bucket.and_then(|b| u32::try_from(b).ok()).map(BucketId),
                    after_key: r.try_get("after_key")?,
                },
                passes: n(r, "passes")?,
                pass_started_at: r.try_get("pass_started_at")?,
                last_pass_at: r.try_get("last_pass_at")?,
                totals: RepairCounts {
                    checked: n(r, "objects_checked")?,
                    copied: n(r, "objects_copied")?,
                    removed: n(r, "objects_removed")?,
                    bytes_copied: n(r, "bytes_copied")?,
                    failures: n(r, "failures")?,
                },
                last_error: r.try_get("last_error")?,
                updated_at: r.try_get("updated_at")?,
            })
        })
        .collect()
}
