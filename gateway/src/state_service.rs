//! The gateway's own gRPC services (proto/osiris/gateway/v1): `PaymentChannelState` and
//! `AgreementState` for consumers who lost their local state, and `GatewayInfo`
//! describing the service sold here.

use crate::channels::ChannelCache;
use crate::pb::{
    agreement_state_server::AgreementState, gateway_info_server::GatewayInfo,
    payment_channel_state_server::PaymentChannelState, AgreementStateReply, AgreementStateRequest, ChannelStateReply,
    ChannelStateRequest, ServiceInfo, ServiceInfoRequest,
};
use osiris_chain::AccountId;
use osiris_contract_types::agreements::AgreementId;
use osiris_contract_types::{ChannelId, PaymentSignature};
use osiris_ledger::MeteringStore;
use osiris_ledger::PaymentStore;
use osiris_mirror::AgreementFacts;
use osiris_payments::{PaymentState, Refusal};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tonic::{Request, Response, Status};

/// Largest difference between a state request's timestamp and the gateway's clock, seconds.
pub const MAX_CLOCK_SKEW_SECS: u64 = 300;

#[derive(Clone)]
pub struct ChannelStateService {
    pub channels: Arc<ChannelCache>,
    pub payments: PaymentStore,
    pub escrow: AccountId,
}

#[tonic::async_trait]
impl PaymentChannelState for ChannelStateService {
    async fn get_channel_state(
        &self,
        request: Request<ChannelStateRequest>,
    ) -> Result<Response<ChannelStateReply>, Status> {
        let ChannelStateRequest { channel_id, timestamp, signature } = request.into_inner();
        let channel_id = ChannelId(channel_id);
        let signature = fresh_signature(timestamp, signature)?;
        let facts = self
            .channels
            .channel(channel_id)
            .await
            .map_err(|e| Status::unavailable(e.to_string()))?
            .ok_or_else(|| Status::not_found(format!("channel {channel_id} does not exist")))?;
        if !self.channels.is_ours(&facts) {
            return Err(Status::permission_denied(format!("channel {channel_id} is not paid to this gateway's group")));
        }
        let digest = osiris_payments::signing::channel::channel_state_digest(&self.escrow, channel_id, timestamp);
        if osiris_payments::signing::channel::recover_signer(&signature, &digest).ok() != Some(facts.signer) {
            return Err(Status::unauthenticated("the request is not signed by the channel's signer"));
        }
        let stored =
            self.payments.load(&channel_id, &facts).await.map_err(|e| crate::refusal::status(&Refusal::from(e)))?;
        // Nothing accepted at the channel's current nonce yet: the mirror's nonce, nothing signed.
        let state =
            stored.filter(|s| s.nonce >= facts.nonce).unwrap_or_else(|| PaymentState::fresh(channel_id, facts.nonce));
        // Claims the mirror does not show yet lower the value while the state is ahead of it.
        let claiming = if state.nonce > facts.nonce { state.claiming } else { 0 };
        let reply = ChannelStateReply {
            channel_id: channel_id.0,
            current_nonce: state.nonce.0,
            current_signed_amount: state.amount.to_string(),
            current_signature: state.signature.map(|s| s.to_vec()).unwrap_or_default(),
            // Shares leased to replicas count as spent: they are not the consumer's to use
            // until returned (the calls served from them are reported within a lease time).
            spent_amount: (state.spent + state.leased()).to_string(),
            channel_value: facts.value.saturating_sub(claiming).to_string(),
            expiration: facts.expiration.into(),
        };
        Ok(Response::new(reply))
    }
}

/// The request's signature, if its timestamp is within [`MAX_CLOCK_SKEW_SECS`] of the clock.
pub(crate) fn fresh_signature(timestamp: u64, signature: Vec<u8>) -> Result<PaymentSignature, Status> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_secs();
    if now.abs_diff(timestamp) > MAX_CLOCK_SKEW_SECS {
        return Err(Status::invalid_argument(format!(
            "timestamp {timestamp} is more than {MAX_CLOCK_SKEW_SECS} s from the gateway's clock ({now})"
        )));
    }
    signature
        .try_into()
        .map_err(|s: Vec<u8>| Status::invalid_argument(format!("signature is {} bytes, expected 65", s.len())))
}

/// An agreement id from a request's bytes: INVALID_ARGUMENT unless 32 bytes.
pub(crate) fn parse_agreement_id(bytes: Vec<u8>) -> Result<AgreementId, Status> {
    bytes
        .try_into()
        .map_err(|b: Vec<u8>| Status::invalid_argument(format!("agreement_id is {} bytes, expected 32", b.len())))
}

/// The agreement as the mirror holds it: NOT_FOUND if it does not know it.
pub(crate) async fn agreement_facts(
    channels: &ChannelCache,
    agreement_id: &AgreementId,
) -> Result<Arc<AgreementFacts>, Status> {
    channels
        .agreement(agreement_id)
        .await
        .map_err(|e| Status::unavailable(e.to_string()))?
        .ok_or_else(|| unknown_agreement(agreement_id))
}

fn unknown_agreement(agreement_id: &AgreementId) -> Status {
    Status::not_found(format!(
        "agreement {} does not exist (or the indexer has not seen it yet)",
        osiris_payments::metering::id_text(agreement_id)
    ))
}

/// The agreement of a request its consumer signed: the timestamp must be fresh, the
/// agreements contract known (`contract`, NOT_FOUND without one), the agreement in the
/// mirror, and `signature` its consumer key's over `digest(contract, agreement_id, timestamp)`
/// (UNAUTHENTICATED otherwise).
pub(crate) async fn signed_by_consumer(
    channels: &ChannelCache,
    contract: Option<&AccountId>,
    agreement_id: &AgreementId,
    timestamp: u64,
    signature: Vec<u8>,
    digest: fn(&AccountId, &AgreementId, u64) -> [u8; 32],
) -> Result<Arc<AgreementFacts>, Status> {
    let signature = fresh_signature(timestamp, signature)?;
    let contract = contract.ok_or_else(|| unknown_agreement(agreement_id))?;
    let facts = agreement_facts(channels, agreement_id).await?;
    let digest = digest(contract, agreement_id, timestamp);
    if osiris_payments::signing::channel::recover_signer(&signature, &digest).ok() != Some(facts.consumer_key) {
        return Err(Status::unauthenticated("the request is not signed by the agreement's consumer key"));
    }
    Ok(facts)
}

/// Serves the latest accepted metering record of an agreement to its consumer.
#[derive(Clone)]
pub struct AgreementStateService {
    pub channels: Arc<ChannelCache>,
    pub metering: MeteringStore,
    /// The agreements contract; `None` when the deployment has none.
    pub contract: Option<AccountId>,
}

#[tonic::async_trait]
impl AgreementState for AgreementStateService {
    async fn get_agreement_state(
        &self,
        request: Request<AgreementStateRequest>,
    ) -> Result<Response<AgreementStateReply>, Status> {
        let AgreementStateRequest { agreement_id, timestamp, signature } = request.into_inner();
        let agreement_id = parse_agreement_id(agreement_id)?;
        let digest = osiris_payments::signing::agreement::agreement_state_digest;
        let facts =
            signed_by_consumer(&self.channels, self.contract.as_ref(), &agreement_id, timestamp, signature, digest)
                .await?;
        let stored =
            self.metering.load(&agreement_id, &facts).await.map_err(|e| crate::refusal::status(&Refusal::from(e)))?;
        // The chain's settled record is the floor (e.g. settled from another store).
        let (units, amount, signature, calls) = match stored {
            Some(s) if s.units >= facts.metered_units => (s.units, s.amount, s.signature.to_vec(), s.calls),
            _ => (facts.metered_units, facts.metered_amount, Vec::new(), 0),
        };
        Ok(Response::new(AgreementStateReply {
            agreement_id: agreement_id.to_vec(),
            units,
            amount: amount.to_string(),
            signature,
            calls,
            state: osiris_mirror::agreements::state_name(facts.state).into(),
            locked: facts.locked.to_string(),
            settled_amount: facts.metered_amount.to_string(),
            price_per_unit: facts.price_per_unit.map(|p| p.to_string()).unwrap_or_default(),
            metering_unit: facts.metering_unit.clone().unwrap_or_default(),
        }))
    }
}

/// Serves [`ServiceInfo`], its price read from the mirror at each request.
#[derive(Clone)]
pub struct InfoService {
    pub channels: Arc<ChannelCache>,
    /// Everything but the price.
    pub info: ServiceInfo,
}

#[tonic::async_trait]
impl GatewayInfo for InfoService {
    async fn get_service_info(&self, _: Request<ServiceInfoRequest>) -> Result<Response<ServiceInfo>, Status> {
        let mut info = self.info.clone();
        info.price_per_call = self.channels.price().to_string();
        Ok(Response::new(info))
    }
}
