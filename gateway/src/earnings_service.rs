//! `ProviderEarnings` (proto/osiris/gateway/v1): the payment recipient's view of what its
//! channels hold unclaimed in this gateway's database, and claims it submits from its own
//! wallet (the market's provider view). Only the recipient's signed requests are answered
//! (`osiris_payments::signing::provider`); the mirror, never the chain, tells which started
//! claims have landed.

use crate::pb::provider_earnings_server::ProviderEarnings;
use crate::pb::{ChannelEarnings, Earnings, ProviderRequest};
use crate::state_service::MAX_CLOCK_SKEW_SECS;
use osiris_chain::AccountId;
use osiris_ledger::claims::{self, ClaimError, Earning, EarningStatus};
use osiris_payments::signing::provider::{is_recipients, SIGNATURE_BYTES};
use sqlx::PgPool;
use std::time::{SystemTime, UNIX_EPOCH};
use tonic::{Request, Response, Status};

/// The service over the gateway's database, for `recipient`'s channels in `escrow`.
#[derive(Clone)]
pub struct EarningsService {
    pub pool: PgPool,
    pub escrow: AccountId,
    pub recipient: AccountId,
}

impl EarningsService {
    /// Passes a request signed by the recipient for `op` within the allowed clock skew.
    fn authenticate(&self, request: &ProviderRequest, op: &str) -> Result<(), Status> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_secs();
        if now.abs_diff(request.timestamp) > MAX_CLOCK_SKEW_SECS {
            return Err(Status::invalid_argument(format!(
                "timestamp {} is more than {MAX_CLOCK_SKEW_SECS} s from the gateway's clock ({now})",
                request.timestamp
            )));
        }
        let signature: [u8; SIGNATURE_BYTES] = request.signature.as_slice().try_into().map_err(|_| {
            Status::invalid_argument(format!(
                "signature: {} bytes, expected {SIGNATURE_BYTES}",
                request.signature.len()
            ))
        })?;
        if !is_recipients(&signature, &self.escrow, &self.recipient, op, request.timestamp) {
            return Err(Status::unauthenticated(format!(
                "only the payment recipient {} may see or claim its earnings here",
                self.recipient
            )));
        }
        Ok(())
    }

    async fn earnings(&self) -> Result<Earnings, Status> {
        let rows = claims::earnings(&self.pool, &self.recipient.to_string()).await.map_err(unavailable)?;
        let total: u128 = rows.iter().map(|e| e.spent).sum();
        Ok(Earnings { channels: rows.into_iter().map(reply_row).collect(), total: total.to_string() })
    }
}

fn reply_row(e: Earning) -> ChannelEarnings {
    // Only a started claim's authorization is handed out: claiming a channel's latest one
    // without the gateway moving it to the next nonce would leave later calls at a nonce
    // the contract no longer pays.
    let signature = match e.status {
        EarningStatus::Claiming => e.signature.map(|s| s.to_vec()).unwrap_or_default(),
        EarningStatus::Unclaimed => Vec::new(),
    };
    ChannelEarnings {
        channel_id: e.channel_id.0,
        nonce: e.nonce.0,
        spent: e.spent.to_string(),
        authorized: e.authorized.to_string(),
        signature,
        expiration: e.expiration,
        status: e.status.as_str().into(),
    }
}

fn unavailable(error: ClaimError) -> Status {
    Status::unavailable(format!("earnings: {error}"))
}

#[tonic::async_trait]
impl ProviderEarnings for EarningsService {
    async fn list_earnings(&self, request: Request<ProviderRequest>) -> Result<Response<Earnings>, Status> {
        self.authenticate(request.get_ref(), "list")?;
        claims::reconcile_from_mirror(&self.pool, &self.recipient.to_string()).await.map_err(unavailable)?;
        Ok(Response::new(self.earnings().await?))
    }

    async fn prepare_claim(&self, request: Request<ProviderRequest>) -> Result<Response<Earnings>, Status> {
        self.authenticate(request.get_ref(), "claim")?;
        let recipient = self.recipient.to_string();
        claims::reconcile_from_mirror(&self.pool, &recipient).await.map_err(unavailable)?;
        let channels = osiris_mirror::channels::channel_ids_paying(&self.pool, &recipient)
            .await
            .map_err(|e| Status::unavailable(format!("mirror: {e}")))?;
        let started = claims::start(&self.pool, &channels).await.map_err(unavailable)?;
        tracing::info!(claims = started.len(), "claims started for the recipient's wallet");
        Ok(Response::new(self.earnings().await?))
    }
}
