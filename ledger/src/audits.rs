//! Audits of ddc nodes (`ddc_audits`, migrations/0016): what the keeper's challenges found,
//! per node, for `osiris node audits` and the keeper's alert.

use osiris_contract_types::ddc::{BucketId, NodeId};
use sqlx::{PgPool, Row};

/// How a node answered one challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditResult {
    /// Its proof matched the other replicas' and its copy is intact.
    Passed,
    /// The object is missing, altered since it was stored, or its proof differs from what
    /// the other replicas agree on.
    Failed,
    /// It and the one other replica both claim an intact copy but their proofs differ.
    Disputed,
    /// It did not answer.
    Unreachable,
}

impl AuditResult {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::Disputed => "disputed",
            Self::Unreachable => "unreachable",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [Self::Passed, Self::Failed, Self::Disputed, Self::Unreachable].into_iter().find(|r| r.as_str() == text)
    }
}

/// One challenge and its result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audit {
    pub node_id: NodeId,
    pub bucket_id: BucketId,
    pub key: String,
    /// The challenged range: its first byte and length.
    pub range_start: u64,
    pub range_bytes: u64,
    pub result: AuditResult,
    pub detail: Option<String>,
    /// RFC 3339, UTC (empty before it is stored).
    pub audited_at: String,
}

/// A node's audits: totals by result, and the most recent ones (newest first).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeAudits {
    pub passed: u64,
    pub failed: u64,
    pub disputed: u64,
    pub unreachable: u64,
    pub recent: Vec<Audit>,
}

/// Stores an audit.
pub async fn record(pool: &PgPool, audit: &Audit) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO ddc_audits (node_id, bucket_id, object_key, range_start, range_bytes, result, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(i64::from(audit.node_id.0))
    .bind(i64::from(audit.bucket_id.0))
    .bind(&audit.key)
    .bind(i64::try_from(audit.range_start).unwrap_or(i64::MAX))
    .bind(i64::try_from(audit.range_bytes).unwrap_or(i64::MAX))
    .bind(audit.result.as_str())
    .bind(&audit.detail)
    .execute(pool)
    .await?;
    Ok(())
}

/// Node `node`'s totals and its `limit` most recent audits.
pub async fn of_node(pool: &PgPool, node: NodeId, limit: i64) -> Result<NodeAudits, sqlx::Error> {
    let mut audits = NodeAudits::default();
    let totals = sqlx::query("SELECT result, count(*) AS n FROM ddc_audits WHERE node_id = $1 GROUP BY result")
        .bind(i64::from(node.0))
        .fetch_all(pool)
        .await?;
    for row in totals {
        let n = u64::try_from(row.try_get::<i64, _>("n")?).unwrap_or(0);
        match AuditResult::parse(&row.try_get::<String, _>("result")?) {
            Some(AuditResult::Passed) => audits.passed = n,
            Some(AuditResult::Failed) => audits.failed = n,
            Some(AuditResult::Disputed) => audits.disputed = n,
            Some(AuditResult::Unreachable) => audits.unreachable = n,
            None => {}
        }
    }
    audits.recent = recent(pool, node, limit).await?;
    Ok(audits)
}

/// Node `node`'s `limit` most recent audits, newest first.
pub async fn recent(pool: &PgPool, node: NodeId, limit: i64) -> Result<Vec<Audit>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT bucket_id, object_key, range_start, range_bytes, result, detail,
                to_char(audited_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS audited_at
         FROM ddc_audits WHERE node_id = $1 ORDER BY audit_id DESC LIMIT $2",
    )
    .bind(i64::from(node.0))
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            let result: String = r.try_get("result")?;
            Ok(Audit {
                node_id: node,
                bucket_id: BucketId(u32::try_from(r.try_get::<i64, _>("bucket_id")?).unwrap_or(u32::MAX)),
                key: r.try_get("object_key")?,
                range_start: u64::try_from(r.try_get::<i64, _>("range_start")?).unwrap_or(0),
                range_bytes: u64::try_from(r.try_get::<i64, _>("range_bytes")?).unwrap_or(0),
                result: AuditResult::parse(&result).ok_or_else(|| sqlx::Error::Decode(result.into()))?,
                detail: r.try_get("detail")?,
                audited_at: r.try_get("audited_at")?,
            })
        })
        .collect()
}
