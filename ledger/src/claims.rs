//! Claims: the stored authorizations become planck in the recipient's escrow balance.
//!
//! One run: (1) reconcile claims left `in_progress` by an earlier run with the chain — a
//! channel nonce past the claim's nonce means it landed (`done`); otherwise it is submitted
//! again; (2) channels whose prepaid authorization has shares leased to gateway replicas
//! are **recalled** (no share is granted or extended) and the run waits, up to
//! [`Claimer::lease_wait`], for the replicas to report and return them (or for a sweep to
//! charge a dead replica's share): a claim takes only what was served, and no replica
//! serves from a share of a nonce already claimed; a channel still leased after the wait is
//! left for the next run ([`ClaimReport::deferred`]); (3) in one transaction, record a new `in_progress` claim for every channel with
//! something spent and move its payment state to the next nonce (consumers continue there;
//! `GetChannelState` tells them); (4) submit them in `multi_channel_claim` messages
//! (each all or none), several per extrinsic, and mark those that landed `done`. A crash anywhere leaves records that the next run
//! finishes, so nothing is claimed twice or forgotten.

use osiris_chain::escrow::Escrow;
use osiris_chain::{ChainError, Signer};
use osiris_contract_types::escrow::ChannelClaim;
use osiris_contract_types::{Balance, ChannelId, Nonce, PaymentSignature};
use osiris_mirror::MirrorError;
use sqlx::postgres::PgPool;
use sqlx::Row;

#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("chain: {0}")]
    Chain(#[from] ChainError),
    #[error("mirror: {0}")]
    Mirror(#[from] MirrorError),
    /// The escrow refused some `multi_channel_claim` messages (`channels` claims in all, left
    /// in progress for the next run); `claimed` others landed and are marked done.
    #[error("the escrow refused the claims of {channels} channels ({claimed} others were claimed): {reason}")]
    Refused { channels: usize, claimed: usize, reason: String },
    #[error("stored claim of channel {channel_id} is malformed: {reason}")]
    Malformed { channel_id: ChannelId, reason: String },
}

/// One claimed channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub channel_id: ChannelId,
    pub nonce: Nonce,
    /// Planck paid to the recipient.
    pub amount: Balance,
    /// The authorization's amount (≥ `amount`; the rest stays in the channel).
    pub authorized: Balance,
}

/// What a claim run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ClaimReport {
    /// Earlier in-progress claims found on chain and marked done.
    pub reconciled: Vec<Claimed>,
    /// Claims submitted by this run (new ones and earlier ones that had not landed).
    pub submitted: Vec<Claimed>,
    /// Finalized block that holds the submitted claims.
    pub block_number: Option<u64>,
    /// Channels not claimed by this run because replicas still held shares of them.
    pub deferred: Vec<ChannelId>,
    /// Extrinsics this run submitted (each several `multi_channel_claim` messages, [`ClaimBatching`]).
    pub extrinsics: usize,
    /// Their dry-run gas, summed (ref time in picoseconds, proof size in bytes).
    pub gas: osiris_chain::client::Weight,
}

impl ClaimReport {
    /// Planck claimed by this run.
    pub fn total(&self) -> Balance {
        self.submitted.iter().map(|c| c.amount).sum()
    }
}

/// Claims the channels of one recipient.
pub struct Claimer {
    pub pool: PgPool,
    pub escrow: Escrow,
    /// The channels' recipient (only it may claim).
    pub signer: Signer,
    /// How long a run waits for recalled prepaid leases to be returned or swept (the
    /// gateways' lease time plus its sweep grace and period).
    pub lease_wait: std::time::Duration,
    /// How many claims go in one message and messages in one extrinsic.
    pub batching: ClaimBatching,
}

/// How a run's claims are grouped on chain: `multi_channel_claim` messages of at most
/// `claims_per_message` claims (all or none each), up to `messages_per_extrinsic` of them in
/// one `Utility::force_batch` extrinsic (each landing or failing alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimBatching {
    pub claims_per_message: usize,
    pub messages_per_extrinsic: usize,
}

impl Default for ClaimBatching {
    fn default() -> Self {
        Self { claims_per_message: MAX_CLAIMS_PER_MESSAGE, messages_per_extrinsic: MAX_MESSAGES_PER_BATCH }
    }
}

/// How long a claim run waits for recalled shares when nothing else is known: three times
/// the gateway's default lease time (its lease time, its sweep grace and a sweep period).
pub const DEFAULT_LEASE_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// Most channels one `multi_channel_claim` message claims: the escrow contract's own cap
/// (it refuses more with `InvalidClaimCount`). Gas per extrinsic measured by `cargo bench
/// -p osiris-gateway --bench claims` (README, "Claims").
pub const MAX_CLAIMS_PER_MESSAGE: usize = osiris_contract_types::escrow::MAX_MULTI_CLAIM;

/// Most `multi_channel_claim` messages in one extrinsic (`Utility::force_batch`): one
/// message of [`MAX_CLAIMS_PER_MESSAGE`] claims uses a few per cent of a dev-chain block's
/// ref time (README, "Claims"), so a batch of this many stays well inside a block.
pub const MAX_MESSAGES_PER_BATCH: usize = 16;

/// How often a claim run looks whether recalled leases are back.
const LEASE_POLL: std::time::Duration = std::time::Duration::from_millis(20);

/// A started claim: what it pays and the consumer's authorization it is made with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub claimed: Claimed,
    /// The consumer's signature over `claimed.authorized` at `claimed.nonce`.
    pub signature: PaymentSignature,
}

impl Pending {
    /// The escrow's claim for this channel: what was served, under the consumer's authorization.
    fn claim(&self) -> ChannelClaim {
        ChannelClaim {
            channel_id: self.claimed.channel_id,
            actual_amount: self.claimed.amount,
            plan_amount: self.claimed.authorized,
            signature: self.signature,
            is_sendback: false,
        }
    }
}

impl Claimer {
    /// One claim run over the recipient's channels, or only `only` if given.
    pub async fn run(&self, only: Option<&[ChannelId]>) -> Result<ClaimReport, ClaimError> {
        let recipient = osiris_chain::account::account_of(&self.signer).to_string();
        // Only the recipient's channels (the mirror says which): only it may claim them.
        let mut channels = osiris_mirror::channels::channel_ids_paying(&self.pool, &recipient).await?;
        if let Some(only) = only {
            channels.retain(|id| only.contains(id));
        }
        let mut report = ClaimReport::default();
        let mut pending = Vec::new();
        for claim in in_progress(&self.pool, &channels).await? {
            let on_chain = self.escrow.channel(claim.claimed.channel_id).await?;
            if on_chain.is_some_and(|c| c.nonce > claim.claimed.nonce) {
                self.mark_done(std::slice::from_ref(&claim.claimed), None).await?;
                report.reconciled.push(claim.claimed);
            } else {
                pending.push(claim);
            }
        }
        if recall(&self.pool, &channels).await? > 0 {
            let waited_since = std::time::Instant::now();
            while still_leased(&self.pool, &channels).await? > 0 && waited_since.elapsed() < self.lease_wait {
                tokio::time::sleep(LEASE_POLL).await;
            }
        }
        report.deferred = leased(&self.pool, &channels).await?;
        pending.extend(start(&self.pool, &channels).await?);
        // Recalled rows with nothing to claim (their shares came back unused) lease again.
        sqlx::query(
            "UPDATE gateway_payments SET recalled = FALSE, version = version + 1, updated_at = now() \
             WHERE channel_id = ANY($1) AND recalled AND leases = '[]'::jsonb",
        )
        .bind(ids(&channels))
        .execute(&self.pool)
        .await?;
        if pending.is_empty() {
            return Ok(report);
        }
        // Messages of at most `claims_per_message` claims, up to `messages_per_extrinsic` of
        // them in one extrinsic; each message that lands is marked done once final. One
        // that is refused leaves its claims in progress, and the next run reconciles or
        // submits them again.
        let mut refused = Vec::new();
        let ClaimBatching { claims_per_message, messages_per_extrinsic } = self.batching;
        let per_message = claims_per_message.clamp(1, MAX_CLAIMS_PER_MESSAGE);
        for batch in pending.chunks(per_message * messages_per_extrinsic.max(1)) {
            let messages: Vec<&[Pending]> = batch.chunks(per_message).collect();
            let claims = messages.iter().map(|message| message.iter().map(Pending::claim).collect()).collect();
            let outcome = self.escrow.multi_channel_claim_batch(&self.signer, claims).await?;
            let mut landed = Vec::new();
            for (i, message) in messages.iter().enumerate() {
                let failed = outcome.failed.iter().find(|(f, _)| *f == i).map(|(_, reason)| reason.clone());
                match (outcome.skipped.contains(&i), failed) {
                    (true, _) => refused.push((message.len(), "its dry run reverted".to_string())),
                    (false, Some(reason)) => refused.push((message.len(), reason)),
                    (false, None) => landed.extend(message.iter().map(|p| p.claimed.clone())),
                }
            }
            if let Some(block_number) = outcome.block_number {
                if !landed.is_empty() {
                    self.mark_done(&landed, Some(block_number)).await?;
                }
                report.block_number = Some(block_number);
                report.extrinsics += 1;
            }
            report.gas.ref_time += outcome.gas.ref_time;
            report.gas.proof_size += outcome.gas.proof_size;
            report.submitted.extend(landed);
        }
        if let Some((_, reason)) = refused.first() {
            let channels = refused.iter().map(|(n, _)| n).sum();
            return Err(ClaimError::Refused { channels, claimed: report.submitted.len(), reason: reason.clone() });
        }
        Ok(report)
    }

    async fn mark_done(&self, claims: &[Claimed], block_number: Option<u64>) -> Result<(), ClaimError> {
        let channels: Vec<i64> = claims.iter().map(|c| c.channel_id.0 as i64).collect();
        let nonces: Vec<i64> = claims.iter().map(|c| c.nonce.0 as i64).collect();
        sqlx::query(
            "UPDATE gateway_claims g SET status = 'done', finished_at = now(), block_number = $3 \
             FROM unnest($1::bigint[], $2::bigint[]) AS d(channel_id, nonce) \
             WHERE g.channel_id = d.channel_id AND g.nonce = d.nonce",
        )
        .bind(channels)
        .bind(nonces)
        .bind(block_number.map(|b| b as i64))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// The claims started on `channels` and not yet known to have landed.
pub async fn in_progress(pool: &PgPool, channels: &[ChannelId]) -> Result<Vec<Pending>, ClaimError> {
    let rows = sqlx::query(
        "SELECT g.channel_id, g.nonce, g.amount::text AS amount, g.spent::text AS spent, g.signature \
         FROM gateway_claims g \
         WHERE g.status = 'in_progress' AND g.channel_id = ANY($1) ORDER BY g.channel_id",
    )
    .bind(ids(channels))
    .fetch_all(pool)
    .await?;
    rows.iter().map(pending_from_row).collect()
}

/// Marks the rows of `channels` with prepaid shares leased to replicas `recalled` (a new
/// row version, so replicas deciding on the old one read it again); how many.
pub async fn recall(pool: &PgPool, channels: &[ChannelId]) -> Result<u64, ClaimError> {
    let done = sqlx::query(
        "UPDATE gateway_payments SET recalled = TRUE, version = version + 1, updated_at = now() \
         WHERE channel_id = ANY($1) AND leases <> '[]'::jsonb AND NOT recalled",
    )
    .bind(ids(channels))
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

async fn still_leased(pool: &PgPool, channels: &[ChannelId]) -> Result<usize, ClaimError> {
    Ok(leased(pool, channels).await?.len())
}

/// The channels among `channels` whose rows hold leased shares.
pub async fn leased(pool: &PgPool, channels: &[ChannelId]) -> Result<Vec<ChannelId>, ClaimError> {
    let rows: Vec<i64> = sqlx::query_scalar(
        "SELECT channel_id FROM gateway_payments WHERE channel_id = ANY($1) AND leases <> '[]'::jsonb ORDER BY channel_id",
    )
    .bind(ids(channels))
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|id| ChannelId(id as u64)).collect())
}

/// Records new claims of `channels` (those with something spent, no claim in progress and
/// no share leased to a replica)
/// and moves them to the next nonce (a new row version, so that a payment decided on the old
/// row is not written), in one transaction; the started claims.
pub async fn start(pool: &PgPool, channels: &[ChannelId]) -> Result<Vec<Pending>, ClaimError> {
    let mut tx = pool.begin().await?;
    // First lock the rows due, in a statement of its own: the statements after it read
    // them under a snapshot taken once the locks are held, so they see the last write
    // committed before the lock. (One statement that locks in a CTE and reads the same
    // table in another reads the snapshot from before the lock: a payment committed in
    // between would be left out of the claim and then wiped by the nonce move.)
    let due: Vec<i64> = sqlx::query_scalar(
        "SELECT p.channel_id FROM gateway_payments p \
         WHERE p.channel_id = ANY($1) AND p.spent > 0 AND p.signature IS NOT NULL \
           AND p.leases = '[]'::jsonb \
           AND NOT EXISTS (SELECT 1 FROM gateway_claims g \
                           WHERE g.channel_id = p.channel_id AND g.status = 'in_progress') \
         FOR UPDATE OF p",
    )
    .bind(ids(channels))
    .fetch_all(&mut *tx)
    .await?;
    if due.is_empty() {
        tx.commit().await?;
        return Ok(Vec::new());
    }
    let rows = sqlx::query(
        "WITH recorded AS ( \
             INSERT INTO gateway_claims (channel_id, nonce, amount, signature, spent, status) \
             SELECT p.channel_id, p.nonce, p.amount, p.signature, p.spent, 'in_progress' \
             FROM gateway_payments p WHERE p.channel_id = ANY($1) \
             RETURNING channel_id, nonce, amount::text AS amount, spent::text AS spent, signature) \
         UPDATE gateway_payments p SET nonce = p.nonce + 1, amount = 0, signature = NULL, spent = 0, calls = 0, \
             recalled = FALSE, version = p.version + 1, updated_at = now() \
         FROM recorded r WHERE p.channel_id = r.channel_id \
         RETURNING r.channel_id, r.nonce, r.amount, r.spent, r.signature",
    )
    .bind(&due)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    rows.iter().map(pending_from_row).collect()
}

/// Claims every `interval` until `shutdown` (the gateway's periodic task); logs each run.
pub async fn claim_periodically(
    claimer: Claimer,
    interval: std::time::Duration,
    shutdown: tokio_util::sync::CancellationToken,
    on_result: impl Fn(Result<&ClaimReport, &ClaimError>) + Send + 'static,
) {
    loop {
        tokio::select! { _ = shutdown.cancelled() => return, _ = tokio::time::sleep(interval) => {} }
        let result = claimer.run(None).await;
        match &result {
            Ok(report) if !report.submitted.is_empty() || !report.reconciled.is_empty() => {
                metrics::counter!("osiris_gateway_claims_total", "result" => "ok").increment(1);
                metrics::counter!("osiris_gateway_claimed_planck_total")
                    .increment(u64::try_from(report.total()).unwrap_or(u64::MAX));
                tracing::info!(
                    "claimed {} planck from {} channel(s) (block {:?}); {} earlier claim(s) reconciled",
                    report.total(),
                    report.submitted.len(),
                    report.block_number,
                    report.reconciled.len()
                )
            }
            Ok(_) => {}
            Err(e) => {
                metrics::counter!("osiris_gateway_claims_total", "result" => "failed").increment(1);
                tracing::warn!("periodic claim: {e}")
            }
        }
        on_result(result.as_ref());
    }
}

/// Money accepted on a channel and not claimed yet (no claim started for its nonce).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unclaimed {
    pub channel_id: ChannelId,
    /// Planck spent by calls at the channel's current nonce.
    pub spent: Balance,
    /// The block from which the sender may take the channel back.
    pub expiration: u64,
}

/// What the channels paying `recipient` for `group_id` hold unclaimed, per channel.
pub async fn unclaimed(pool: &PgPool, recipient: &str, group_id: &str) -> Result<Vec<Unclaimed>, ClaimError> {
    let rows = sqlx::query(
        "SELECT p.channel_id, p.spent::text AS spent, c.expiration
         FROM gateway_payments p JOIN channels c ON c.channel_id = p.channel_id
         WHERE c.recipient = $1 AND c.group_id = $2 AND p.spent > 0
           AND NOT EXISTS (SELECT 1 FROM gateway_claims k WHERE k.channel_id = p.channel_id AND k.nonce = p.nonce)
         ORDER BY p.channel_id",
    )
    .bind(recipient)
    .bind(group_id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            let channel_id = ChannelId(row.try_get::<i64, _>("channel_id")? as u64);
            let spent: String = row.try_get("spent")?;
            let expiration: i64 = row.try_get("expiration")?;
            Ok(Unclaimed {
                channel_id,
                spent: spent
                    .parse()
                    .map_err(|_| ClaimError::Malformed { channel_id, reason: format!("spent `{spent}`") })?,
                expiration: u64::try_from(expiration).unwrap_or(0),
            })
        })
        .collect()
}

fn ids(channels: &[ChannelId]) -> Vec<i64> {
    channels.iter().map(|id| id.0 as i64).collect()
}

fn pending_from_row(row: &sqlx::postgres::PgRow) -> Result<Pending, ClaimError> {
    let channel_id = ChannelId(row.try_get::<i64, _>("channel_id")? as u64);
    let malformed = |reason: String| ClaimError::Malformed { channel_id, reason };
    let amount: String = row.try_get("amount")?;
    let spent: String = row.try_get("spent")?;
    let signature: Vec<u8> = row.try_get("signature")?;
    Ok(Pending {
        claimed: Claimed {
            channel_id,
            nonce: Nonce(row.try_get::<i64, _>("nonce")? as u64),
            amount: spent.parse().map_err(|_| malformed(format!("spent {spent}")))?,
            authorized: amount.parse().map_err(|_| malformed(format!("amount {amount}")))?,
        },
        signature: signature.try_into().map_err(|_| malformed("signature is not 65 bytes".into()))?,
    })
}

/// Where a channel's earnings stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EarningStatus {
    /// Accepted payments with no claim started.
    Unclaimed,
    /// A claim started and not yet seen on chain (in the mirror).
    Claiming,
}

impl EarningStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unclaimed => "unclaimed",
            Self::Claiming => "claiming",
        }
    }
}

/// One channel's earnings at one nonce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Earning {
    pub channel_id: ChannelId,
    pub nonce: Nonce,
    /// Planck the accepted calls cost (a claim's actual amount).
    pub spent: Balance,
    /// Planck the consumer signed for (a claim's plan amount).
    pub authorized: Balance,
    /// The consumer's signature over `authorized` at `nonce`.
    pub signature: Option<PaymentSignature>,
    /// Block from which the sender may take the channel back.
    pub expiration: u64,
    pub status: EarningStatus,
}

/// Marks done the started claims of `recipient`'s channels that the mirror shows landed
/// (the channel's nonce moved past the claim's: only a claim moves it); how many. Reads
/// the mirror, never the chain, so a gateway may run it while serving.
pub async fn reconcile_from_mirror(pool: &PgPool, recipient: &str) -> Result<u64, ClaimError> {
    let done = sqlx::query(
        "UPDATE gateway_claims g SET status = 'done', finished_at = now() \
         FROM channels c \
         WHERE g.status = 'in_progress' AND c.channel_id = g.channel_id AND c.recipient = $1 AND c.nonce > g.nonce",
    )
    .bind(recipient)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// What `recipient`'s channels hold: payments not claimed yet, and claims started and not
/// yet in the mirror, by channel then nonce.
pub async fn earnings(pool: &PgPool, recipient: &str) -> Result<Vec<Earning>, ClaimError> {
    let rows = sqlx::query(
        "SELECT p.channel_id, p.nonce, p.spent::text AS spent, p.amount::text AS amount, p.signature, \
                c.expiration, FALSE AS claiming \
         FROM gateway_payments p JOIN channels c ON c.channel_id = p.channel_id \
         WHERE c.recipient = $1 AND p.spent > 0 \
           AND NOT EXISTS (SELECT 1 FROM gateway_claims k WHERE k.channel_id = p.channel_id AND k.nonce = p.nonce) \
         UNION ALL \
         SELECT g.channel_id, g.nonce, g.spent::text, g.amount::text, g.signature, c.expiration, TRUE \
         FROM gateway_claims g JOIN channels c ON c.channel_id = g.channel_id \
         WHERE c.recipient = $1 AND g.status = 'in_progress' \
         ORDER BY channel_id, nonce",
    )
    .bind(recipient)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            let channel_id = ChannelId(row.try_get::<i64, _>("channel_id")? as u64);
            let malformed = |reason: String| ClaimError::Malformed { channel_id, reason };
            let spent: String = row.try_get("spent")?;
            let amount: String = row.try_get("amount")?;
            let signature: Option<Vec<u8>> = row.try_get("signature")?;
            let signature = signature
                .map(|s| PaymentSignature::try_from(s).map_err(|_| malformed("signature is not 65 bytes".into())))
                .transpose()?;
            Ok(Earning {
                channel_id,
                nonce: Nonce(row.try_get::<i64, _>("nonce")? as u64),
                spent: spent.parse().map_err(|_| malformed(format!("spent `{spent}`")))?,
                authorized: amount.parse().map_err(|_| malformed(format!("amount `{amount}`")))?,
                signature,
                expiration: u64::try_from(row.try_get::<i64, _>("expiration")?).unwrap_or(0),
                status: if row.try_get("claiming")? { EarningStatus::Claiming } else { EarningStatus::Unclaimed },
            })
        })
        .collect()
}
