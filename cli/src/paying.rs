//! One paid call at one gateway: read its service info, sign the payment from the
//! consumer's record of the channel, call, and keep the new record on success.

use crate::consumer::ConsumerState;
use anyhow::Context;
use osiris_chain::signing::channel::PaymentKey;
use osiris_chain::{ChannelId, Nonce};
use osiris_gateway_client::pb::ServiceInfo;
use osiris_gateway_client::{find_method, AgreementPayer, Api, ChannelPayer, FreeCaller, GatewayClient};
use osiris_payments::signing::free_call_token::FreeCallToken;
use osiris_payments::PaymentKind;
use serde_json::Value;
use tonic::Code;

/// Why a call at one gateway did not return a reply.
#[derive(Debug)]
pub enum Failure {
    /// The gateway is down, unreachable, or not the one the registry lists; another
    /// endpoint of the same group may serve the call (the same payment is sent again).
    Endpoint(anyhow::Error),
    /// The call itself was refused (bad request, no funds, unknown method…): trying
    /// another endpoint would get the same answer.
    Call(anyhow::Error),
}

impl Failure {
    pub fn into_error(self) -> anyhow::Error {
        match self {
            Failure::Endpoint(e) | Failure::Call(e) => e,
        }
    }
}

/// What one paid call needs besides the gateway.
pub struct CallSpec<'a> {
    /// `Method` or `package.Service/Method`.
    pub method: &'a str,
    pub request: &'a Value,
    pub channel_id: ChannelId,
    pub key: &'a PaymentKey,
    pub state: &'a ConsumerState,
    /// Sign this many calls' worth at once (a prepaid authorization).
    pub prepaid_calls: Option<u32>,
    /// Calls to make one after another (≥ 1); prepaid ones all under one authorization.
    pub repeat: u32,
}

/// Connects to `url` and returns the gateway's client and service info.
pub async fn open(url: &str) -> Result<(GatewayClient, ServiceInfo), Failure> {
    let client = GatewayClient::connect(url).await.map_err(|e| Failure::Endpoint(e.into()))?;
    let info = client.service_info().await.map_err(|s| classify(url, s))?;
    Ok((client, info))
}

/// Pays for one call at the gateway and returns its reply. When the gateway is ahead of
/// the consumer's record (a claim moved the nonce, or the record was lost), takes the
/// gateway's view once and pays again.
pub async fn call(
    url: &str,
    client: &GatewayClient,
    info: &ServiceInfo,
    spec: &CallSpec<'_>,
) -> Result<Value, Failure> {
    let price: u128 = info.price_per_call.parse().context("the gateway's price").map_err(Failure::Endpoint)?;
    let escrow = osiris_chain::parse_account(&info.escrow).map_err(|e| Failure::Endpoint(e.into()))?;
    let api = Api::from_descriptor_set(&info.descriptor_set).context("the gateway's API").map_err(Failure::Endpoint)?;
    let method = find_method(&api, spec.method).map_err(|e| Failure::Call(e.into()))?;
    let record = spec.state.channel(&info.escrow, spec.channel_id).map_err(Failure::Call)?;
    let (nonce, amount) = record.unwrap_or((Nonce(0), 0));
    let mut payer = ChannelPayer { key: spec.key.clone(), escrow, channel_id: spec.channel_id, nonce, amount };

    let mut resynced = false;
    loop {
        let payment = match spec.prepaid_calls {
            Some(calls) => {
                payer.amount += price * u128::from(calls.max(1));
                payer.authorization(PaymentKind::Prepaid)
            }
            None => payer.pay(price),
        };
        match client.call_json(&method, spec.request.clone(), Some(&payment)).await {
            Ok(mut reply) => {
                let started = std::time::Instant::now();
                let mut outcome = Ok(());
                for _ in 1..spec.repeat {
                    let next = match spec.prepaid_calls {
                        Some(_) => payment.clone(),
                        None => payer.pay(price),
                    };
                    match client.call_json(&method, spec.request.clone(), Some(&next)).await {
                        Ok(answer) => reply = answer,
                        Err(status) => {
                            if spec.prepaid_calls.is_none() {
                                // Not accepted: the next call signs this amount again.
                                payer.amount -= price;
                            }
                            outcome = Err(classify(url, status));
                            break;
                        }
                    }
                }
                spec.state
                    .save_channel(&info.escrow, spec.channel_id, payer.nonce, payer.amount)
                    .map_err(Failure::Call)?;
                outcome?;
                if spec.repeat > 1 {
                    let elapsed = started.elapsed();
                    eprintln!(
                        "{} calls answered; the {} after the first in {:.1} ms ({:.0} calls/s)",
                        spec.repeat,
                        spec.repeat - 1,
                        elapsed.as_secs_f64() * 1e3,
                        f64::from(spec.repeat - 1) / elapsed.as_secs_f64()
                    );
                }
                return Ok(reply);
            }
            Err(status) if !resynced && matches!(status.code(), Code::Aborted | Code::AlreadyExists) => {
                let current = client
                    .channel_state(&payer.key, &payer.escrow, spec.channel_id)
                    .await
                    .map_err(|s| classify(url, s))?;
                payer.resync(&current).map_err(|e| Failure::Call(e.into()))?;
                resynced = true;
            }
            Err(status) => return Err(classify(url, status)),
        }
    }
}

/// Calls once under a service agreement at the gateway: starts from the gateways' latest
/// accepted metering record (`GetAgreementState`), signs the next one (one unit more, its
/// price more when metered) and pays the call with it. A record another call used first
/// (ALREADY_EXISTS) is signed again from the new latest once.
pub async fn call_agreement(
    url: &str,
    client: &GatewayClient,
    info: &ServiceInfo,
    spec: &AgreementCall<'_>,
) -> Result<Value, Failure> {
    if info.agreements.is_empty() {
        return Err(Failure::Call(anyhow::anyhow!(
            "gateway {url} takes no agreements (its deployment has no agreements contract)"
        )));
    }
    let contract = osiris_chain::parse_account(&info.agreements).map_err(|e| Failure::Endpoint(e.into()))?;
    let api = Api::from_descriptor_set(&info.descriptor_set).context("the gateway's API").map_err(Failure::Endpoint)?;
    let method = find_method(&api, spec.method).map_err(|e| Failure::Call(e.into()))?;
    let mut retried = false;
    loop {
        let state =
            client.agreement_state(spec.key, &contract, &spec.agreement_id).await.map_err(|s| classify(url, s))?;
        if state.state != "active" {
            return Err(Failure::Call(anyhow::anyhow!(
                "agreement 0x{} is {}, not active",
                hex::encode(spec.agreement_id),
                state.state
            )));
        }
        let mut payer =
            AgreementPayer::from_state(spec.key.clone(), contract, &state).map_err(|e| Failure::Call(e.into()))?;
        let record = payer.pay();
        match client.call_json(&method, spec.request.clone(), Some(&record)).await {
            Ok(reply) => return Ok(reply),
            Err(status) if !retried && status.code() == Code::AlreadyExists => retried = true,
            Err(status) => return Err(classify(url, status)),
        }
    }
}

/// How a free call ended, when the gateway answered.
pub enum FreeOutcome {
    Reply(Value),
    /// The consumer's free calls are used up (or the service offers none): pay instead.
    /// The gateway's message.
    NotFree(String),
}

/// What a free call needs besides the gateway.
pub struct FreeCallSpec<'a> {
    /// `Method` or `package.Service/Method`.
    pub method: &'a str,
    pub request: &'a Value,
    /// The consumer's payment key: it signs the call and identifies the consumer.
    pub key: &'a PaymentKey,
    /// The provider's token for the key, where the gateway asks for one.
    pub token: Option<FreeCallToken>,
}

/// One free call at the gateway, signed by the consumer's payment key.
pub async fn call_free(
    url: &str,
    client: &GatewayClient,
    info: &ServiceInfo,
    spec: &FreeCallSpec<'_>,
) -> Result<FreeOutcome, Failure> {
    let (method, request, key) = (spec.method, spec.request, spec.key);
    if info.free_calls_per_period == 0 {
        return Ok(FreeOutcome::NotFree(format!("{}/{} offers no free calls", info.org_id, info.service_id)));
    }
    if info.free_calls_need_token && spec.token.is_none() {
        return Ok(FreeOutcome::NotFree(format!(
            "{}/{}'s free calls need a token from its provider for your key (--free-token)",
            info.org_id, info.service_id
        )));
    }
    let escrow = osiris_chain::parse_account(&info.escrow).map_err(|e| Failure::Endpoint(e.into()))?;
    let api = Api::from_descriptor_set(&info.descriptor_set).context("the gateway's API").map_err(Failure::Endpoint)?;
    let method = find_method(&api, method).map_err(|e| Failure::Call(e.into()))?;
    let caller =
        FreeCaller::new(key.clone(), escrow, info.org_id.clone(), info.service_id.clone()).with_token(spec.token);
    match client.call_json(&method, request.clone(), Some(&caller.call())).await {
        Ok(reply) => Ok(FreeOutcome::Reply(reply)),
        Err(status) => {
            let reason = status.metadata().get(FREE_REFUSAL_HEADER).and_then(|v| v.to_str().ok());
            if matches!(
                reason,
                Some(
                    "free_calls_used_up"
                        | "no_free_calls"
                        | "free_call_budget_spent"
                        | "free_call_token_required"
                        | "free_call_token_expired"
                )
            ) {
                Ok(FreeOutcome::NotFree(status.message().to_string()))
            } else {
                Err(classify(url, status))
            }
        }
    }
}

/// The response header naming a refusal's reason (`osiris-refusal`).
const FREE_REFUSAL_HEADER: &str = "osiris-refusal";

/// What one agreement-backed call needs besides the gateway.
pub struct AgreementCall<'a> {
    /// `Method` or `package.Service/Method`.
    pub method: &'a str,
    pub request: &'a Value,
    pub agreement_id: osiris_chain::types::agreements::AgreementId,
    /// The consumer's agreement key.
    pub key: &'a PaymentKey,
}

/// UNAVAILABLE (a transport failure, or a gateway without its database) is the endpoint's
/// fault; every other status is the call's.
fn classify(url: &str, status: tonic::Status) -> Failure {
    let error = anyhow::anyhow!("gateway {url}: {:?}: {}", status.code(), status.message());
    if status.code() == Code::Unavailable {
        Failure::Endpoint(error)
    } else {
        Failure::Call(error)
    }
}
