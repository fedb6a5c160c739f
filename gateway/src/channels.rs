//! Channel and agreement facts from the indexer's mirror (read through `osiris-mirror`),
//! cached in memory.
//!
//! At start the cache loads every channel paying this gateway's recipient and group, every
//! agreement paying the recipient for this service, the indexer's cursor (current
//! finalized block) and the service's price. It then listens on
//! the indexer's NOTIFY channel (one notification per committed block) and reloads what
//! changed since the last block it saw; a timer does the same every
//! [`REFRESH_INTERVAL`] in case a notification was lost with a connection. A channel or
//! agreement that is not cached (new since the last refresh, or someone else's) costs one
//! query. The chain is never queried.

use osiris_contract_types::agreements::AgreementId;
use osiris_contract_types::ChannelId;
use osiris_mirror::{AgreementFacts, ChannelFacts, MirrorError};
use osiris_payments::metering::{id_text, ServiceTerms};
use osiris_payments::{Refusal, Terms};
use sqlx::postgres::PgPool;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use tokio_util::sync::CancellationToken;

pub use crate::mirror_watch::REFRESH_INTERVAL;

#[derive(Debug, Default)]
struct Mirror {
    channels: HashMap<ChannelId, Arc<ChannelFacts>>,
    /// Highest `updated_block` among loaded channels: the next refresh loads what is newer.
    seen_block: u64,
    agreements: HashMap<AgreementId, Arc<AgreementFacts>>,
    /// Highest `updated_block` among loaded agreements.
    agreements_seen_block: u64,
    /// The indexer's cursor: the last finalized block it has fully mirrored.
    finalized_block: u64,
    /// The service's price per call, planck.
    price: osiris_contract_types::Balance,
}

/// The in-memory channel cache of one gateway (recipient + group).
#[derive(Debug)]
pub struct ChannelCache {
    pool: PgPool,
    recipient: String,
    group_id: String,
    org_id: String,
    service_id: String,
    mirror: RwLock<Mirror>,
}

impl ChannelCache {
    /// Loads the cache: every channel to (`recipient` SS58, `group_id`), the cursor and the price.
    pub async fn load(
        pool: PgPool,
        recipient: String,
        group_id: String,
        org_id: String,
        service_id: String,
    ) -> Result<Arc<Self>, MirrorError> {
        let cache = Arc::new(Self { pool, recipient, group_id, org_id, service_id, mirror: RwLock::default() });
        cache.refresh().await?;
        Ok(cache)
    }

    /// Reloads what changed since the last refresh: channels, agreements, cursor and price.
    pub async fn refresh(&self) -> Result<(), MirrorError> {
        let (since, agreements_since) = {
            let mirror = self.mirror.read().expect("mirror lock");
            (mirror.seen_block, mirror.agreements_seen_block)
        };
        let channels =
            osiris_mirror::channels::channels_paying(&self.pool, &self.recipient, &self.group_id, since).await?;
        let agreements = osiris_mirror::agreements::agreements_serving(
            &self.pool,
            &self.recipient,
            &self.org_id,
            &self.service_id,
            agreements_since,
        )
        .await?;
        // A ddc node (empty org_id) sells no calls: it needs only the cursor.
        let head = if self.org_id.is_empty() {
            let finalized_block = osiris_mirror::head::cursor(&self.pool).await?;
            osiris_mirror::head::Head { finalized_block, price_per_call: 0 }
        } else {
            osiris_mirror::head::head(&self.pool, &self.org_id, &self.service_id).await?
        };
        let mut mirror = self.mirror.write().expect("mirror lock");
        // A single read may have cached a newer copy while this refresh's query ran: keep it.
        for facts in channels {
            mirror.seen_block = mirror.seen_block.max(facts.updated_block);
            keep_newest(&mut mirror.channels, facts.channel_id, &Arc::new(facts), |f| f.updated_block);
        }
        for facts in agreements {
            mirror.agreements_seen_block = mirror.agreements_seen_block.max(facts.updated_block);
            keep_newest(&mut mirror.agreements, facts.agreement_id, &Arc::new(facts), |f| f.updated_block);
        }
        mirror.finalized_block = mirror.finalized_block.max(head.finalized_block);
        mirror.price = head.price_per_call;
        Ok(())
    }

    /// The channel: from memory, or with one query if it is not cached (then cached if it is ours).
    /// `None` if the mirror does not know it.
    pub async fn channel(&self, channel_id: ChannelId) -> Result<Option<Arc<ChannelFacts>>, MirrorError> {
        if let Some(facts) = self.mirror.read().expect("mirror lock").channels.get(&channel_id) {
            return Ok(Some(facts.clone()));
        }
        self.channel_from_mirror(channel_id).await
    }

    /// The channel as the mirror holds it now, bypassing the cache (which it then updates
    /// if the channel is ours and the copy is newer): for a refusal a newer copy could turn
    /// around. `None` if the mirror does not know it.
    pub async fn channel_from_mirror(&self, channel_id: ChannelId) -> Result<Option<Arc<ChannelFacts>>, MirrorError> {
        let Some(facts) = osiris_mirror::channels::channel(&self.pool, channel_id).await? else {
            return Ok(None);
        };
        let facts = Arc::new(facts);
        if self.is_ours(&facts) {
            keep_newest(&mut self.mirror.write().expect("mirror lock").channels, channel_id, &facts, |f| {
                f.updated_block
            });
        }
        Ok(Some(facts))
    }

    /// The agreement: from memory, or with one query if it is not cached (then cached if it
    /// pays this gateway's recipient for its service). `None` if the mirror does not know it.
    pub async fn agreement(&self, agreement_id: &AgreementId) -> Result<Option<Arc<AgreementFacts>>, MirrorError> {
        if let Some(facts) = self.mirror.read().expect("mirror lock").agreements.get(agreement_id) {
            return Ok(Some(facts.clone()));
        }
        self.agreement_from_mirror(agreement_id).await
    }

    /// The agreement's facts that pass `rule` (which returns what it decided): the cached
    /// copy, or, when the rule refuses it for a reason a newer copy could turn around (a
    /// payment locked a moment ago: [`Refusal::may_pass_on_newer_facts`]), the mirror's copy
    /// decided again. The one way agreement-backed calls and jobs decide from the cache.
    ///
    /// Errors: the rule's refusal; [`Refusal::UnknownAgreement`] when the mirror does not
    /// know the agreement; [`Refusal::Unavailable`] when the mirror cannot be read.
    pub async fn decide_agreement<T>(
        &self,
        agreement_id: &AgreementId,
        rule: impl Fn(&AgreementFacts) -> Result<T, Refusal>,
    ) -> Result<(Arc<AgreementFacts>, T), Refusal> {
        let unknown = || Refusal::UnknownAgreement(id_text(agreement_id));
        let unavailable = |e: MirrorError| Refusal::Unavailable(e.to_string());
        let facts = self.agreement(agreement_id).await.map_err(unavailable)?.ok_or_else(unknown)?;
        match rule(&facts) {
            Ok(decided) => Ok((facts, decided)),
            Err(refusal) if refusal.may_pass_on_newer_facts() => {
                let facts = self.agreement_from_mirror(agreement_id).await.map_err(unavailable)?.ok_or_else(unknown)?;
                let decided = rule(&facts)?;
                Ok((facts, decided))
            }
            Err(refusal) => Err(refusal),
        }
    }

    /// The agreement as the mirror holds it now, bypassing the cache (which it then updates
    /// if the agreement is this gateway's and the copy is newer). `None` if the mirror does
    /// not know it.
    pub async fn agreement_from_mirror(
        &self,
        agreement_id: &AgreementId,
    ) -> Result<Option<Arc<AgreementFacts>>, MirrorError> {
        let Some(facts) = osiris_mirror::agreements::agreement(&self.pool, agreement_id).await? else {
            return Ok(None);
        };
        let facts = Arc::new(facts);
        if facts.provider == self.recipient && facts.org_id == self.org_id && facts.service_id == self.service_id {
            keep_newest(&mut self.mirror.write().expect("mirror lock").agreements, *agreement_id, &facts, |f| {
                f.updated_block
            });
        }
        Ok(Some(facts))
    }

    /// The terms an agreement-backed call is decided under now: this gateway's service and
    /// provider, the finalized block the mirror holds, and `expiry_threshold` blocks.
    pub fn service_terms(&self, expiry_threshold: u32) -> ServiceTerms {
        let finalized_block = self.mirror.read().expect("mirror lock").finalized_block;
        ServiceTerms {
            org_id: self.org_id.clone(),
            service_id: self.service_id.clone(),
            provider: self.recipient.clone(),
            finalized_block,
            expiry_threshold,
        }
    }

    /// The recipient this gateway's channels pay, SS58.
    pub fn recipient(&self) -> &str {
        &self.recipient
    }

    /// Whether the channel pays this gateway's recipient for its group.
    pub fn is_ours(&self, facts: &ChannelFacts) -> bool {
        facts.recipient == self.recipient && facts.group_id == self.group_id
    }

    /// The terms a payment is decided under now: the price and the finalized block the
    /// mirror holds, and `expiry_threshold` blocks.
    pub fn terms(&self, expiry_threshold: u32) -> Terms {
        let mirror = self.mirror.read().expect("mirror lock");
        Terms { price: mirror.price, finalized_block: mirror.finalized_block, expiry_threshold }
    }

    /// The last finalized block the mirror holds (the indexer's cursor at the last refresh).
    pub fn finalized_block(&self) -> u64 {
        self.mirror.read().expect("mirror lock").finalized_block
    }

    /// The service's price per call, planck, as the registry says.
    pub fn price(&self) -> osiris_contract_types::Balance {
        self.mirror.read().expect("mirror lock").price
    }

    /// Keeps the cache fresh until `shutdown`: refresh on every NOTIFY and every
    /// [`REFRESH_INTERVAL`] ([`crate::mirror_watch`]).
    pub async fn follow(self: Arc<Self>, shutdown: CancellationToken) {
        let pool = self.pool.clone();
        crate::mirror_watch::watch(&pool, shutdown, || self.refresh_logged()).await
    }

    async fn refresh_logged(&self) {
        if let Err(e) = self.refresh().await {
            tracing::warn!("refreshing the channel cache: {e}");
        }
    }
}

/// Stores `facts` under `key` unless the map already holds a copy from a later block (the
/// indexer writes a block in one transaction, so two copies of one block are the same).
fn keep_newest<K: std::hash::Hash + Eq, F>(
    map: &mut HashMap<K, Arc<F>>,
    key: K,
    facts: &Arc<F>,
    updated_block: impl Fn(&F) -> u64,
) {
    let entry = map.entry(key).or_insert_with(|| facts.clone());
    if updated_block(entry) <= updated_block(facts) {
        *entry = facts.clone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_from_an_earlier_block_never_replaces_a_later_one() {
        let block = |f: &(u64, &str)| f.0;
        let mut map = HashMap::new();
        keep_newest(&mut map, 1, &Arc::new((5, "locked")), block);
        // A refresh whose query ran before the lock was indexed arrives last.
        keep_newest(&mut map, 1, &Arc::new((4, "created")), block);
        assert_eq!(*map[&1], (5, "locked"));
        keep_newest(&mut map, 1, &Arc::new((6, "released")), block);
        assert_eq!(*map[&1], (6, "released"));
        keep_newest(&mut map, 2, &Arc::new((1, "new")), block);
        assert_eq!(map.len(), 2);
    }
}
