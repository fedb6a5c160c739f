//! The gateway's own gRPC services (proto/osiris/gateway/v1): `PaymentChannelState` for
//! consumers who lost their local state, and `GatewayInfo` describing the service sold here.

use crate::channels::ChannelCache;
use crate::pb::{
    gateway_info_server::GatewayInfo, payment_channel_state_server::PaymentChannelState, ChannelStateReply,
    ChannelStateRequest, ServiceInfo, ServiceInfoRequest,
};
use osiris_chain::AccountId;
use osiris_contract_types::PaymentSignature;
use osiris_payments::store::PaymentStore;
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
        let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_secs();
        if now.abs_diff(timestamp) > MAX_CLOCK_SKEW_SECS {
            return Err(Status::invalid_argument(format!(
                "timestamp {timestamp} is more than {MAX_CLOCK_SKEW_SECS} s from the gateway's clock ({now})"
            )));
        }
        let signature: PaymentSignature = signature
            .try_into()
            .map_err(|s: Vec<u8>| Status::invalid_argument(format!("signature is {} bytes, expected 65", s.len())))?;
        let facts = self
            .channels
            .channel(channel_id)
            .await
            .map_err(|e| Status::unavailable(e.to_string()))?
            .ok_or_else(|| Status::not_found(format!("channel {channel_id} does not exist")))?;
        if !self.channels.is_ours(&facts) {
            return Err(Status::permission_denied(format!("channel {channel_id} is not paid to this gateway's group")));
        }
        let digest = osiris_chain::payment::channel_state_digest(&self.escrow, channel_id, timestamp);
        if osiris_chain::payment::recover_signer(&signature, &digest).ok() != Some(facts.signer) {
            return Err(Status::unauthenticated("the request is not signed by the channel's signer"));
        }
        let stored =
            self.payments.load(channel_id, facts.nonce).await.map_err(|e| crate::refusal::status(&Refusal::from(e)))?;
        // Nothing accepted at the channel's current nonce yet: the mirror's nonce, nothing signed.
        let state =
            stored.filter(|s| s.nonce >= facts.nonce).unwrap_or_else(|| PaymentState::fresh(channel_id, facts.nonce));
        // Claims the mirror does not show yet lower the value while the state is ahead of it.
        let claiming = if state.nonce > facts.nonce { state.claiming } else { 0 };
        let reply = ChannelStateReply {
            channel_id,
            current_nonce: state.nonce,
            current_signed_amount: state.amount.to_string(),
            current_signature: state.signature.map(|s| s.to_vec()).unwrap_or_default(),
            spent_amount: state.spent.to_string(),
            channel_value: facts.value.saturating_sub(claiming).to_string(),
            expiration: facts.expiration.into(),
        };
        Ok(Response::new(reply))
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
