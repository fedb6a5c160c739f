//! One keeper pass over the manager's clusters (see the crate docs): usage → allocations,
//! then rent settlements, then revenue distributions.

use crate::config::Config;
use crate::usage::{agreed_bytes, units, Listing};
use osiris_chain::ddc::Ddc;
use osiris_chain::{ChainError, Signer};
use osiris_contract_types::ddc::{BucketId, ClusterId, NodeId, Resource};
use osiris_gateway_client::storage::Storage;
use osiris_payments::signing::account::AccountKey;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Why a pass stopped (the next one starts over: every step is idempotent).
#[derive(Debug, thiserror::Error)]
pub enum KeeperError {
    #[error("mirror: {0}")]
    Mirror(#[from] osiris_mirror::MirrorError),
    #[error("chain: {0}")]
    Chain(#[from] ChainError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// An allocation a pass raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allocation {
    pub bucket_id: BucketId,
    /// Resource units before and after.
    pub from: Resource,
    pub to: Resource,
    /// The bytes the placed nodes agreed the bucket holds.
    pub bytes: u64,
}

/// What a pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Buckets whose usage was measured.
    pub buckets: usize,
    /// Allocations raised (submitted and not failed).
    pub allocations: Vec<Allocation>,
    /// Buckets whose rent was settled.
    pub settled: Vec<BucketId>,
    /// Clusters whose revenues were distributed.
    pub distributed: Vec<ClusterId>,
    /// Nodes that did not answer a list (their buckets' objects did not count).
    pub silent_nodes: BTreeSet<NodeId>,
    /// Dry-run gas of the pass's batches, ref_time picoseconds.
    pub gas_ref_time: u64,
    /// The audits made (and stored).
    pub audits: Vec<osiris_ledger::audits::Audit>,
    /// Nodes whose recent audits crossed the alert threshold in this pass.
    pub alerts: Vec<NodeId>,
}

impl Keeper {
    /// The keeper of `manager` (its signer and key) with `config`.
    pub fn new(pool: sqlx::PgPool, ddc: Ddc, manager: Signer, key: AccountKey, config: Config) -> Self {
        Self { pool, ddc, manager, key, config, alerted: Default::default() }
    }

    /// Challenges `target` on `key` (see [`crate::audit`]) and stores the result; `None`
    /// when the node refused the keeper.
    pub async fn audit(
        &self,
        storage: &Storage,
        bucket: BucketId,
        key: &str,
        size: u64,
        placed: &[NodeId],
        target: NodeId,
    ) -> Result<Option<osiris_ledger::audits::Audit>, KeeperError> {
        let Some(audit) = crate::audit::audit_object(storage, bucket, key, size, placed, target).await else {
            return Ok(None);
        };
        osiris_ledger::audits::record(&self.pool, &audit).await?;
        metrics::counter!("osiris_keeper_audits_total", "result" => audit.result.as_str()).increment(1);
        if audit.result != osiris_ledger::audits::AuditResult::Passed {
            tracing::warn!(
                "audit of node {target}: {} on `{key}` of bucket {bucket}: {}",
                audit.result.as_str(),
                audit.detail.as_deref().unwrap_or("")
            );
        }
        Ok(Some(audit))
    }

    /// Whether `node` just crossed the alert threshold (its last `alert_window` audits
    /// failed or were disputed more than `alert_failed_percent` of the time); if so the
    /// alert is logged and POSTed to `alert_webhook_url`. A node alerts once until it
    /// recovers.
    async fn check_alert(&self, node: NodeId) -> Result<bool, KeeperError> {
        use osiris_ledger::audits::AuditResult;
        let window = self.config.alert_window.max(1);
        let recent = osiris_ledger::audits::recent(&self.pool, node, window as i64).await?;
        let bad = recent.iter().filter(|a| matches!(a.result, AuditResult::Failed | AuditResult::Disputed)).count();
        let over = recent.len() == window && bad * 100 > window * self.config.alert_failed_percent as usize;
        let newly = {
            let mut alerted = self.alerted.lock().expect("alerted lock");
            if over {
                alerted.insert(node)
            } else {
                alerted.remove(&node) && false
            }
        };
        if newly {
            tracing::error!("ALERT: ddc node {node} failed {bad} of its last {window} audits");
            metrics::counter!("osiris_keeper_alerts_total").increment(1);
            if let Some(url) = &self.config.alert_webhook_url {
                let body = serde_json::json!({
                    "alert": "ddc_node_failing_audits", "node_id": node, "failed": bad, "window": window,
                    "threshold_percent": self.config.alert_failed_percent,
                });
                if let Err(e) = reqwest::Client::new().post(url).json(&body).send().await {
                    tracing::warn!("the alert could not be delivered to {url}: {e}");
                }
            }
        }
        Ok(newly)
    }
}

/// The manager's keeper.
pub struct Keeper {
    pub pool: sqlx::PgPool,
    pub ddc: Ddc,
    pub manager: Signer,
    /// The manager's key, signing its bucket lists.
    pub key: AccountKey,
    pub config: Config,
    /// Nodes over the alert threshold (alerted once until they recover).
    pub alerted: std::sync::Mutex<BTreeSet<NodeId>>,
}

impl Keeper {
    /// Runs a pass every `interval_ms` until `shutdown`; a failed pass is logged.
    pub async fn run(self, shutdown: CancellationToken) {
        loop {
            match self.pass().await {
                Ok(report) => tracing::info!(
                    "keeper pass: {} buckets measured, {} allocations raised, {} settled, {} clusters distributed",
                    report.buckets,
                    report.allocations.len(),
                    report.settled.len(),
                    report.distributed.len()
                ),
                Err(e) => tracing::warn!("keeper pass stopped: {e}"),
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(Duration::from_millis(self.config.interval_ms)) => {}
            }
        }
    }

    /// One pass over the manager's clusters.
    pub async fn pass(&self) -> Result<PassReport, KeeperError> {
        let manager = self.key.account().to_string();
        let head = osiris_mirror::ddc::head_block(&self.pool).await?;
        let mut report = PassReport::default();
        let (mut allocations, mut settles) = (Vec::new(), Vec::new());
        let mut active = Vec::new();
        for cluster in osiris_mirror::ddc::clusters_of_manager(&self.pool, &manager).await? {
            if !self.config.clusters.is_empty() && !self.config.clusters.contains(&cluster.cluster_id.0) {
                continue;
            }
            let ids: Vec<NodeId> = cluster.vnodes.iter().copied().collect::<BTreeSet<_>>().into_iter().collect();
            let storage = Storage {
                ddc: *self.ddc.address(),
                key: self.key.clone(),
                vnodes: cluster.vnodes.clone(),
                nodes: osiris_mirror::ddc::node_urls(&self.pool, &ids).await?,
                replicas: self.config.replicas,
                ca_file: self.config.ca_file.clone(),
                connections: Default::default(),
            };
            let mut touched = cluster.revenues > 0;
            let mut candidates: BTreeMap<NodeId, Vec<(BucketId, String, u64, Vec<NodeId>)>> = BTreeMap::new();
            for bucket in osiris_mirror::ddc::cluster_buckets(&self.pool, cluster.cluster_id).await? {
                let mut listings: BTreeMap<NodeId, Listing> = BTreeMap::new();
                for &node in &ids {
                    let listed = match storage.list_node(node, bucket.bucket_id).await {
                        Ok(objects) => Some(objects.into_iter().map(|o| (o.key, o.size)).collect()),
                        Err(e) => {
                            tracing::debug!("bucket {} on node {node}: {e}", bucket.bucket_id);
                            report.silent_nodes.insert(node);
                            None
                        }
                    };
                    listings.insert(node, listed);
                }
                report.buckets += 1;
                // Audit candidates: every object some placed node lists, for each node placed.
                let mut sizes: BTreeMap<&String, u64> = BTreeMap::new();
                for listing in listings.values().flatten() {
                    for (key, size) in listing {
                        let s = sizes.entry(key).or_insert(*size);
                        *s = (*s).min(*size);
                    }
                }
                for (key, size) in sizes {
                    let placed = osiris_gateway_client::storage::placement(key, &cluster.vnodes, self.config.replicas);
                    for node in &placed {
                        candidates.entry(*node).or_default().push((
                            bucket.bucket_id,
                            key.clone(),
                            size,
                            placed.clone(),
                        ));
                    }
                }
                let bytes = agreed_bytes(&listings, &cluster.vnodes, self.config.replicas);
                let needed = units(bytes, self.config.bytes_per_unit);
                if needed > bucket.resource {
                    // An allocation settles the rent first: no separate settlement needed.
                    allocations.push(Allocation {
                        bucket_id: bucket.bucket_id,
                        from: bucket.resource,
                        to: needed,
                        bytes,
                    });
                    touched = true;
                } else if bucket.resource > 0
                    && head.saturating_sub(u64::from(bucket.settled_until))
                        >= u64::from(self.config.settle_every_blocks)
                {
                    settles.push(bucket.bucket_id);
                    touched = true;
                }
            }
            if touched {
                active.push(cluster.cluster_id);
            }
            for (node, objects) in candidates {
                let picks: Vec<_> = if self.config.audit_all_objects {
                    objects
                } else {
                    use rand::seq::SliceRandom;
                    let mut rng = rand::thread_rng();
                    (0..self.config.audits_per_node).filter_map(|_| objects.choose(&mut rng).cloned()).collect()
                };
                let audited = !picks.is_empty();
                for (bucket, key, size, placed) in picks {
                    if let Some(audit) = self.audit(&storage, bucket, &key, size, &placed, node).await? {
                        report.audits.push(audit);
                    }
                }
                if audited && self.check_alert(node).await? {
                    report.alerts.push(node);
                }
            }
        }
        if !allocations.is_empty() {
            let batch: Vec<(BucketId, Resource)> = allocations.iter().map(|a| (a.bucket_id, a.to)).collect();
            let outcome = self.ddc.bucket_alloc_many(&self.manager, &batch).await?;
            report.gas_ref_time += outcome.gas.ref_time;
            for (i, allocation) in allocations.into_iter().enumerate() {
                if outcome.included.contains(&i) && !outcome.failed.iter().any(|(f, _)| *f == i) {
                    metrics::counter!("osiris_keeper_allocations_total").increment(1);
                    report.allocations.push(allocation);
                } else {
                    tracing::warn!("bucket {}: allocation of {} units refused", allocation.bucket_id, allocation.to);
                }
            }
        }
        if !settles.is_empty() {
            let outcome = self.ddc.bucket_settle_many(&self.manager, &settles).await?;
            report.gas_ref_time += outcome.gas.ref_time;
            for (i, bucket) in settles.into_iter().enumerate() {
                if outcome.included.contains(&i) && !outcome.failed.iter().any(|(f, _)| *f == i) {
                    metrics::counter!("osiris_keeper_settlements_total").increment(1);
                    report.settled.push(bucket);
                }
            }
        }
        for cluster in active {
            match self.ddc.cluster_distribute_revenues(&self.manager, cluster).await {
                Ok(outcome) => {
                    report.gas_ref_time += outcome.gas.ref_time;
                    metrics::counter!("osiris_keeper_distributions_total").increment(1);
                    report.distributed.push(cluster);
                }
                // Nothing to distribute is the contract's typed refusal, not a fault.
                Err(ChainError::Contract(e)) => tracing::debug!("cluster {cluster}: no distribution: {e}"),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(report)
    }
}
