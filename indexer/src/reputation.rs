//! Reputation from facts only: the indexer probes every registered endpoint's gRPC health
//! (`grpc.health.v1.Health/Check`, the whole server) and keeps the results by hour, then
//! recomputes each service's and organization's figures from the mirror and those probes
//! (migrations/0013). Nobody rates anybody: every figure is something that happened on
//! chain or something the indexer saw itself.
//!
//! What counts (see the migration's comments): channels opened to a service's groups'
//! (recipient, group) pairs by another account than the recipient — a provider paying
//! itself raises nothing —, their distinct senders, what the recipient claimed from them,
//! the agreements of the service by state, and uptime over 24 h and 30 d (percent of probes
//! that found an endpoint serving) with the last time any of its endpoints was seen up.
//! Services of one provider that share a group id share their channels (channels are
//! opened to a (recipient, group) pair, not to a service), so each counts them. Storage
//! (migrations/0014): a service serves the buckets of every ddc cluster holding a node
//! whose url is one of its endpoints and whose owner owns the service's organization (an
//! endpoint is anybody's to write down, a node's owner is not); an organization, those of
//! its services, once each.

use osiris_gateway_client::GatewayClient;
use sqlx::postgres::PgPool;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

/// Longest a probe waits for an endpoint (connection and answer).
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(5);
/// Most endpoints probed at once.
pub const PROBES_AT_ONCE: usize = 16;

/// Why a pass could not finish (the next one tries again).
#[derive(Debug, thiserror::Error)]
pub enum ReputationError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// One probe's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub endpoint: String,
    pub up: bool,
    pub latency_ms: Option<i32>,
    /// Why it is not up.
    pub detail: Option<String>,
}

/// Probes the endpoints and recomputes the figures every `interval`; see the module docs.
pub struct Reputation {
    pub pool: PgPool,
    pub interval: Duration,
}

impl Reputation {
    /// Runs passes until `shutdown`; a failed pass is logged and retried.
    pub async fn run(self, shutdown: CancellationToken) {
        loop {
            if let Err(e) = self.pass().await {
                tracing::warn!("reputation: {e}");
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(self.interval) => {}
            }
        }
    }

    /// Probes every registered endpoint once, stores the results, then recomputes the
    /// figures; returns the probes.
    pub async fn pass(&self) -> Result<Vec<Probe>, ReputationError> {
        let endpoints: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT unnest(endpoints) FROM service_groups ORDER BY 1")
                .fetch_all(&self.pool)
                .await?;
        let mut probes = Vec::with_capacity(endpoints.len());
        for chunk in endpoints.chunks(PROBES_AT_ONCE) {
            probes.extend(futures::future::join_all(chunk.iter().map(|e| probe(e))).await);
        }
        for p in &probes {
            record(&self.pool, p).await?;
        }
        self.refresh().await?;
        Ok(probes)
    }

    /// Recomputes `service_reputation` and `organization_reputation` from the mirror and
    /// the stored probes (and forgets deleted services and organizations).
    pub async fn refresh(&self) -> Result<(), ReputationError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(&format!(
            "{FACTS}
             INSERT INTO service_reputation AS r (org_id, service_id, consumers, channels, claimed, agreements_active,
                 agreements_fulfilled, agreements_refunded, agreements_terminated, buckets_served, uptime_24h, uptime_30d, last_seen, updated_at)
             SELECT s.org_id, s.service_id, COALESCE(m.consumers, 0), COALESCE(m.channels, 0), COALESCE(m.claimed, 0),
                    COALESCE(d.active, 0), COALESCE(d.fulfilled, 0), COALESCE(d.refunded, 0), COALESCE(d.terminated, 0),
                    COALESCE(b.buckets, 0), u.uptime_24h, u.uptime_30d, u.last_seen, now()
             FROM services s
             LEFT JOIN (SELECT org_id, service_id, count(DISTINCT sender) AS consumers, count(*) AS channels,
                               COALESCE(sum(claimed), 0) AS claimed
                        FROM ch GROUP BY 1, 2) m USING (org_id, service_id)
             LEFT JOIN (SELECT org_id, service_id, {AGREEMENT_COUNTS} FROM agreements GROUP BY 1, 2) d
                   USING (org_id, service_id)
             LEFT JOIN (SELECT org_id, service_id, count(*) AS buckets FROM served GROUP BY 1, 2) b
                   USING (org_id, service_id)
             LEFT JOIN (SELECT org_id, service_id, {UPTIME} FROM ends
                        LEFT JOIN eu USING (endpoint) LEFT JOIN endpoint_status st USING (endpoint)
                        GROUP BY 1, 2) u USING (org_id, service_id)
             ON CONFLICT (org_id, service_id) DO UPDATE SET {UPDATE}"
        ))
        .execute(&mut *tx)
        .await?;
        sqlx::query(&format!(
            "{FACTS}
             INSERT INTO organization_reputation AS r (org_id, consumers, channels, claimed, agreements_active,
                 agreements_fulfilled, agreements_refunded, agreements_terminated, buckets_served, uptime_24h, uptime_30d, last_seen, updated_at)
             SELECT o.org_id, COALESCE(m.consumers, 0), COALESCE(m.channels, 0), COALESCE(m.claimed, 0),
                    COALESCE(d.active, 0), COALESCE(d.fulfilled, 0), COALESCE(d.refunded, 0), COALESCE(d.terminated, 0),
                    COALESCE(b.buckets, 0), u.uptime_24h, u.uptime_30d, u.last_seen, now()
             FROM organizations o
             LEFT JOIN (SELECT org_id, count(DISTINCT sender) AS consumers, count(DISTINCT channel_id) AS channels,
                               COALESCE(sum(claimed) FILTER (WHERE first), 0) AS claimed
                        FROM (SELECT *, row_number() OVER (PARTITION BY org_id, channel_id) = 1 AS first FROM ch) x
                        GROUP BY 1) m USING (org_id)
             LEFT JOIN (SELECT org_id, {AGREEMENT_COUNTS} FROM agreements GROUP BY 1) d USING (org_id)
             LEFT JOIN (SELECT org_id, count(DISTINCT bucket_id) AS buckets FROM served GROUP BY 1) b USING (org_id)
             LEFT JOIN (SELECT org_id, {UPTIME} FROM (SELECT DISTINCT org_id, endpoint FROM ends) e
                        LEFT JOIN eu USING (endpoint) LEFT JOIN endpoint_status st USING (endpoint)
                        GROUP BY 1) u USING (org_id)
             ON CONFLICT (org_id) DO UPDATE SET {UPDATE}"
        ))
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM service_reputation r WHERE NOT EXISTS
               (SELECT 1 FROM services s WHERE s.org_id = r.org_id AND s.service_id = r.service_id)",
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM organization_reputation r WHERE NOT EXISTS (SELECT 1 FROM organizations o WHERE o.org_id = r.org_id)")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The facts both figures are computed from: `ch`, each channel opened to a service's
/// groups by another account than the recipient, with what was claimed from it; `ends`,
/// each endpoint of a service; `served`, each bucket of a cluster holding a ddc node of the
/// organization's owner at one of a service's endpoints (a JSON array contains its elements: `vnodes @> node_id`);
/// `eu`, each endpoint's probes and successes over 24 h and 30 d.
const FACTS: &str =
    "WITH pairs AS (SELECT DISTINCT org_id, service_id, payment_recipient, group_id FROM service_groups),
     claims AS (SELECT (fields->>'channel_id')::bigint AS channel_id, sum((fields->>'amount')::numeric) AS claimed
                FROM events WHERE contract_name = 'escrow' AND event_name = 'ChannelClaimed' GROUP BY 1),
     ch AS (SELECT p.org_id, p.service_id, c.channel_id, c.sender, COALESCE(cl.claimed, 0) AS claimed
            FROM pairs p JOIN channels c ON c.recipient = p.payment_recipient AND c.group_id = p.group_id
                                        AND c.sender <> c.recipient
            LEFT JOIN claims cl ON cl.channel_id = c.channel_id),
     ends AS (SELECT DISTINCT g.org_id, g.service_id, e.endpoint
              FROM service_groups g, unnest(g.endpoints) AS e(endpoint)),
     served AS (SELECT DISTINCT e.org_id, e.service_id, b.bucket_id
                FROM ends e JOIN organizations o USING (org_id)
                JOIN ddc_nodes n ON rtrim(n.doc->>'url', '/') = rtrim(e.endpoint, '/') AND n.owner = o.owner
                JOIN ddc_clusters c ON c.doc->'vnodes' @> to_jsonb(n.node_id)
                JOIN ddc_buckets b ON b.cluster_id = c.cluster_id),
     eu AS (SELECT endpoint,
                   sum(up) FILTER (WHERE hour >= now() - interval '24 hours') AS up24,
                   sum(probes) FILTER (WHERE hour >= now() - interval '24 hours') AS n24,
                   sum(up) FILTER (WHERE hour >= now() - interval '30 days') AS up30,
                   sum(probes) FILTER (WHERE hour >= now() - interval '30 days') AS n30
            FROM endpoint_probes_hourly GROUP BY 1)";

/// Agreements by state, as columns.
const AGREEMENT_COUNTS: &str = "count(*) FILTER (WHERE state = 'active') AS active,
    count(*) FILTER (WHERE state = 'fulfilled') AS fulfilled,
    count(*) FILTER (WHERE state = 'refunded') AS refunded,
    count(*) FILTER (WHERE state = 'terminated') AS terminated";

/// Uptime of the `endpoint`s of a group (joined with `eu` and `endpoint_status`), percent,
/// over 24 h and 30 d, and when one of them was last seen serving.
const UPTIME: &str = "100.0 * sum(eu.up24) / NULLIF(sum(eu.n24), 0) AS uptime_24h,
    100.0 * sum(eu.up30) / NULLIF(sum(eu.n30), 0) AS uptime_30d, max(st.last_seen) AS last_seen";

/// The columns an upsert replaces.
const UPDATE: &str = "consumers = EXCLUDED.consumers, channels = EXCLUDED.channels, claimed = EXCLUDED.claimed,
    agreements_active = EXCLUDED.agreements_active, agreements_fulfilled = EXCLUDED.agreements_fulfilled,
    agreements_refunded = EXCLUDED.agreements_refunded, agreements_terminated = EXCLUDED.agreements_terminated,
    buckets_served = EXCLUDED.buckets_served, uptime_24h = EXCLUDED.uptime_24h, uptime_30d = EXCLUDED.uptime_30d, last_seen = EXCLUDED.last_seen,
    updated_at = EXCLUDED.updated_at";

/// Asks `endpoint` whether it is serving, within [`PROBE_TIMEOUT`].
pub async fn probe(endpoint: &str) -> Probe {
    let started = Instant::now();
    let check = async {
        let client = GatewayClient::connect(endpoint).await.map_err(|e| e.to_string())?;
        let reply = HealthClient::new(client.channel())
            .check(HealthCheckRequest { service: String::new() })
            .await
            .map_err(|s| format!("{}: {}", s.code(), s.message()))?;
        match reply.into_inner().status() {
            ServingStatus::Serving => Ok(()),
            other => Err(format!("health: {}", other.as_str_name())),
        }
    };
    let outcome = tokio::time::timeout(PROBE_TIMEOUT, check)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {} s", PROBE_TIMEOUT.as_secs())));
    let latency_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
    match outcome {
        Ok(()) => Probe { endpoint: endpoint.to_string(), up: true, latency_ms: Some(latency_ms), detail: None },
        Err(detail) => Probe { endpoint: endpoint.to_string(), up: false, latency_ms: None, detail: Some(detail) },
    }
}

/// Adds a probe to its endpoint's hour and sets the endpoint's last status.
async fn record(pool: &PgPool, p: &Probe) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO endpoint_probes_hourly AS h (endpoint, hour, probes, up)
         VALUES ($1, date_trunc('hour', now()), 1, $2)
         ON CONFLICT (endpoint, hour) DO UPDATE SET probes = h.probes + 1, up = h.up + EXCLUDED.up",
    )
    .bind(&p.endpoint)
    .bind(i32::from(p.up))
    .execute(pool)
    .await?;
    sqlx::query(
        "INSERT INTO endpoint_status AS s (endpoint, up, probed_at, last_seen, latency_ms, detail)
         VALUES ($1, $2, now(), CASE WHEN $2 THEN now() END, $3, $4)
         ON CONFLICT (endpoint) DO UPDATE SET up = EXCLUDED.up, probed_at = EXCLUDED.probed_at,
             last_seen = COALESCE(EXCLUDED.last_seen, s.last_seen), latency_ms = EXCLUDED.latency_ms, detail = EXCLUDED.detail",
    )
    .bind(&p.endpoint)
    .bind(p.up)
    .bind(p.latency_ms)
    .bind(&p.detail)
    .execute(pool)
    .await?;
    Ok(())
}
