//! Service details: the describer fetches each service's metadata document from the
//! service's own endpoints (`ServiceInfo.metadata_document` of its gateways), keeps it only
//! if its bytes hash to the registry's `content_hash` (blake2-256,
//! `osiris_gateway_client::document`), and writes one row per service to `service_documents`
//! (migrations/0012) with the search vector the REST API's `q` matches.
//!
//! A service is due for a check when it has no row, when the registry's `content_hash` or
//! name differs from the row's, or when its last check failed to reach a document more than
//! [`RECHECK_AFTER_SECS`] ago. A verified document is never fetched again for the same hash:
//! the hash pins its content. Nothing here is on the ingestion path: a slow or hostile
//! endpoint delays only its own service's details, by at most [`FETCH_TIMEOUT`] per endpoint.

use osiris_gateway_client::document::{self, ServiceDocument};
use osiris_gateway_client::GatewayClient;
use sqlx::postgres::PgPool;
use sqlx::Row;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Longest the describer waits for one endpoint (connection and answer).
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// A check that found no document (unreachable, mismatch) is repeated after this many seconds.
pub const RECHECK_AFTER_SECS: f64 = 60.0;
/// Most services checked in one pass.
pub const SERVICES_PER_PASS: i64 = 32;
/// Most endpoints tried per service in one check.
pub const ENDPOINTS_PER_SERVICE: usize = 4;

/// What a check of one service found (`service_documents.status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// The registry names no document (its `content_hash` is all zero).
    None,
    /// An endpoint served bytes hashing to `content_hash` that parse as a document.
    Verified { endpoint: String, document: ServiceDocument },
    /// An endpoint served other bytes than the registry's hash names: not shown.
    Mismatch { endpoint: String, served: [u8; 32] },
    /// The bytes hash right but are not a document (the provider published a bad file).
    Invalid { endpoint: String, reason: String },
    /// No endpoint answered with a document.
    Unreachable { reason: String },
}

impl Found {
    /// The status as stored and served.
    pub fn status(&self) -> &'static str {
        match self {
            Found::None => "none",
            Found::Verified { .. } => "verified",
            Found::Mismatch { .. } => "mismatch",
            Found::Invalid { .. } => "invalid",
            Found::Unreachable { .. } => "unreachable",
        }
    }
}

/// Why a pass could not run (the next one tries again).
#[derive(Debug, thiserror::Error)]
pub enum DescribeError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// One service due for a check.
struct Due {
    org_id: String,
    service_id: String,
    name: String,
    content_hash: Vec<u8>,
    endpoints: Vec<String>,
}

/// Keeps `service_documents` in step with the registry; see the module docs.
pub struct Describer {
    pub pool: PgPool,
    /// Pause between passes.
    pub interval: Duration,
}

impl Describer {
    /// Runs passes every `interval` until `shutdown`; a failed pass is logged and retried.
    pub async fn run(self, shutdown: CancellationToken) {
        loop {
            match self.pass().await {
                Ok(0) => {}
                Ok(checked) => tracing::debug!(checked, "service details checked"),
                Err(e) => tracing::warn!("service details: {e}"),
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(self.interval) => {}
            }
        }
    }

    /// Checks the services due (at most [`SERVICES_PER_PASS`], concurrently) and forgets
    /// the rows of deleted services; returns how many services were checked.
    pub async fn pass(&self) -> Result<usize, DescribeError> {
        sqlx::query(
            "DELETE FROM service_documents d WHERE NOT EXISTS
               (SELECT 1 FROM services s WHERE s.org_id = d.org_id AND s.service_id = d.service_id)",
        )
        .execute(&self.pool)
        .await?;
        let rows = sqlx::query(
            "SELECT s.org_id, s.service_id, s.name, s.content_hash,
                    COALESCE((SELECT array_agg(u.e ORDER BY g.position, u.o)
                              FROM service_groups g, unnest(g.endpoints) WITH ORDINALITY AS u(e, o)
                              WHERE g.org_id = s.org_id AND g.service_id = s.service_id), '{}') AS endpoints
             FROM services s LEFT JOIN service_documents d USING (org_id, service_id)
             WHERE d.org_id IS NULL OR d.content_hash <> s.content_hash OR d.name <> s.name
                OR (d.status IN ('unreachable', 'mismatch') AND d.checked_at < now() - make_interval(secs => $1))
             ORDER BY d.checked_at NULLS FIRST, s.created_block, s.created_event
             LIMIT $2",
        )
        .bind(RECHECK_AFTER_SECS)
        .bind(SERVICES_PER_PASS)
        .fetch_all(&self.pool)
        .await?;
        let due = rows
            .iter()
            .map(|r| {
                Ok(Due {
                    org_id: r.try_get("org_id")?,
                    service_id: r.try_get("service_id")?,
                    name: r.try_get("name")?,
                    content_hash: r.try_get("content_hash")?,
                    endpoints: r.try_get("endpoints")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let checks = due.iter().map(|d| async move { (d, check(d).await) });
        let results = futures::future::join_all(checks).await;
        for (due, (found, service_type)) in &results {
            let service = Described {
                org_id: &due.org_id,
                service_id: &due.service_id,
                name: &due.name,
                content_hash: &due.content_hash,
                service_type: service_type.as_deref(),
            };
            record(&self.pool, &service, found).await?;
        }
        Ok(results.len())
    }
}

/// Fetches and checks one service's document from its endpoints, in the registry's order;
/// also returns the service type the first matching gateway reported.
async fn check(due: &Due) -> (Found, Option<String>) {
    let mut service_type = None;
    let mut mismatch = None;
    let mut last_error = String::from("the service lists no endpoints");
    let zero = due.content_hash.iter().all(|b| *b == 0);
    for endpoint in due.endpoints.iter().take(ENDPOINTS_PER_SERVICE) {
        let info = match fetch_info(endpoint).await {
            Ok(info) => info,
            Err(e) => {
                last_error = format!("{endpoint}: {e}");
                continue;
            }
        };
        if info.org_id != due.org_id || info.service_id != due.service_id {
            last_error = format!("{endpoint} sells {}/{}, not this service", info.org_id, info.service_id);
            continue;
        }
        service_type.get_or_insert(info.service_type.clone());
        if zero {
            return (Found::None, service_type);
        }
        if info.metadata_document.is_empty() {
            last_error = format!("{endpoint} serves no metadata document");
            continue;
        }
        let served = document::content_hash(&info.metadata_document);
        if served[..] != due.content_hash[..] {
            mismatch.get_or_insert(Found::Mismatch { endpoint: endpoint.clone(), served });
            continue;
        }
        let found = match document::parse(&info.metadata_document) {
            Ok(document) => Found::Verified { endpoint: endpoint.clone(), document },
            Err(e) => Found::Invalid { endpoint: endpoint.clone(), reason: e.to_string() },
        };
        return (found, service_type);
    }
    if zero {
        return (Found::None, service_type);
    }
    (mismatch.unwrap_or(Found::Unreachable { reason: last_error }), service_type)
}

/// `ServiceInfo` of the gateway at `endpoint`, within [`FETCH_TIMEOUT`].
async fn fetch_info(endpoint: &str) -> Result<osiris_gateway_client::pb::ServiceInfo, String> {
    let fetch = async {
        let client = GatewayClient::connect(endpoint).await.map_err(|e| e.to_string())?;
        client.service_info().await.map_err(|s| format!("{}: {}", s.code(), s.message()))
    };
    tokio::time::timeout(FETCH_TIMEOUT, fetch)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {} s", FETCH_TIMEOUT.as_secs())))
}

/// The service a check was made for: the registry's values it was checked against.
pub struct Described<'a> {
    pub org_id: &'a str,
    pub service_id: &'a str,
    pub name: &'a str,
    pub content_hash: &'a [u8],
    /// As its gateway reported it.
    pub service_type: Option<&'a str>,
}

/// Writes a check's row, with the search vector: the service's name and ids (weight A),
/// the document's tags (B) and description (C). The one writer of `service_documents`.
pub async fn record(pool: &PgPool, due: &Described<'_>, found: &Found) -> Result<(), sqlx::Error> {
    let (document, endpoint, detail) = match found {
        Found::None => (None, None, None),
        Found::Verified { endpoint, document } => (Some(document), Some(endpoint.clone()), None),
        Found::Mismatch { endpoint, served } => (
            None,
            Some(endpoint.clone()),
            Some(format!(
                "{endpoint} serves a document hashing to 0x{}, not the registry's content_hash 0x{}",
                hex::encode(served),
                hex::encode(due.content_hash)
            )),
        ),
        Found::Invalid { endpoint, reason } => (None, Some(endpoint.clone()), Some(reason.clone())),
        Found::Unreachable { reason } => (None, None, Some(reason.clone())),
    };
    let tags: Vec<String> = document.map(|d| d.tags.clone()).unwrap_or_default();
    let description = document.map(|d| d.description.clone()).unwrap_or_default();
    let json = document.map(|d| serde_json::to_value(d).expect("a document serializes"));
    sqlx::query(
        "INSERT INTO service_documents AS d
             (org_id, service_id, content_hash, name, status, service_type, document, search, endpoint, detail, checked_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7,
                 setweight(to_tsvector('english', $4 || ' ' || replace($2, '-', ' ') || ' ' || replace($1, '-', ' ')), 'A')
                 || setweight(to_tsvector('english', array_to_string($8::text[], ' ')), 'B')
                 || setweight(to_tsvector('english', $9), 'C'),
                 $10, $11, now())
         ON CONFLICT (org_id, service_id) DO UPDATE SET
             content_hash = EXCLUDED.content_hash, name = EXCLUDED.name, status = EXCLUDED.status,
             service_type = COALESCE(EXCLUDED.service_type, d.service_type), document = EXCLUDED.document,
             search = EXCLUDED.search, endpoint = EXCLUDED.endpoint, detail = EXCLUDED.detail, checked_at = now()",
    )
    .bind(due.org_id)
    .bind(due.service_id)
    .bind(due.content_hash)
    .bind(due.name)
    .bind(found.status())
    .bind(due.service_type)
    .bind(json)
    .bind(&tags)
    .bind(&description)
    .bind(endpoint)
    .bind(detail)
    .execute(pool)
    .await?;
    Ok(())
}
