//! Calls mode: calls to the provider's service, each paid by a channel payment (escrow or
//! prepaid), a metering record under a service agreement (`osiris_payments::metering`), or
//! as a free call. Its payment metadata is parsed (INVALID_ARGUMENT, nothing charged); the
//! call is resolved against the service's API (UNIMPLEMENTED / INVALID_ARGUMENT, nothing
//! charged); the payment is checked early (mirror, rule) and its signature verified; then,
//! by [`PaymentCommit`], it is committed before the call is sent, or while the call is on
//! its way with the reply held back until it has. Either way a call is answered OK only
//! with its payment verified and committed — or, for a prepaid authorization, served from
//! this replica's share of it, reserved in the store beforehand ([`crate::leases`]).

use super::bucket_node::BUCKET_PAYMENT_TYPE;
use super::{Charge, Refused};
use crate::authorize::{Authorizer, CheckedRecord};
use crate::config::PaymentCommit;
use crate::forward::Forward;
use crate::front::body::RequestBody;
use crate::leases::{Leases, Served};
use crate::proxy::Body;
use http::{Request, Response};
use osiris_contract_types::Balance;
use osiris_ledger::versioned::Pending;
use osiris_payments::metadata::PAYMENT_TYPE;
use osiris_payments::{CallPayment, PaymentKind, PaymentState, Refusal};
use std::sync::Arc;

/// Calls mode: the authorizer of its payments and where paid calls go.
pub struct Calls {
    pub authorizer: Authorizer,
    pub forward: Forward,
    /// This replica's shares of prepaid authorizations.
    pub leases: Arc<Leases>,
}

impl Calls {
    /// Parse, resolve, check, then commit and send: a paid call's path. Answers the call
    /// with the kind of payment and the planck it was charged.
    pub async fn call(&self, request: Request<RequestBody>) -> Result<(Response<Body>, Charge), Refused> {
        let forward = &self.forward;
        if request.headers().get(PAYMENT_TYPE).is_some_and(|v| v == BUCKET_PAYMENT_TYPE) {
            return Err(Refusal::NotABucketNode.into());
        }
        let payment = CallPayment::from_headers(request.headers())?;
        let deadline = forward.deadline(request.headers());
        let call = forward.prepare(request).await.map_err(Refused::Call)?;
        // The signature is verified before the call goes out: a forged payment never
        // reaches the upstream.
        let authorizer = &self.authorizer;
        let commit = match payment {
            CallPayment::Channel(payment) if payment.kind == PaymentKind::Prepaid && self.leases.enabled() => {
                let facts = authorizer.our_channel(payment.channel_id, false).await?;
                let price = authorizer.channels.terms(authorizer.expiry_threshold).price;
                let verify = || authorizer.verify(&payment, &facts);
                // The consumer's limit, charged only for its own authorization (a stranger's
                // forged payments never use it up) and before the call takes from a share.
                let admit = || authorizer.limits.consumer_call(&facts.signer);
                match self.leases.serve(&payment, facts.clone(), verify, admit).await? {
                    Served::Leased => Commit::Leased(price),
                    Served::Direct => {
                        let checked = authorizer.check(payment).await?;
                        let charge = checked.charge;
                        Commit::Channel(authorizer.commit(checked).await?, charge)
                    }
                }
            }
            CallPayment::Channel(payment) => {
                let checked = authorizer.check(payment).await?;
                let charge = checked.charge;
                Commit::Channel(authorizer.commit(checked).await?, charge)
            }
            CallPayment::Agreement(record) => Commit::Metered(authorizer.check_metered(record).await?),
            CallPayment::Free(call) => {
                authorizer.free_call(call).await?;
                Commit::Free
            }
        };
        let charge = commit.charge();
        let send = forward.send_within(call, deadline);
        match forward.commit {
            PaymentCommit::BeforeForward => {
                self.committed(commit).await?;
                Ok((send.await, charge))
            }
            PaymentCommit::Overlapped => {
                // The commit runs while the upstream works, and nothing is answered before it is done.
                let (response, paid) = tokio::join!(send, self.committed(commit));
                // A payment lost to a racing replica: the upstream's reply is dropped.
                paid?;
                Ok((response, charge))
            }
        }
    }

    /// Waits until the payment is committed (or refused by the store's own decision).
    async fn committed(&self, commit: Commit) -> Result<(), Refusal> {
        match commit {
            Commit::Channel(pending, _) => match pending.await {
                Ok(outcome) => outcome.map(drop),
                Err(_) => Err(Refusal::Unavailable("the payment store stopped before answering".into())),
            },
            Commit::Metered(checked) => self.authorizer.commit_metered(checked).await.map(drop),
            Commit::Free | Commit::Leased(_) => Ok(()),
        }
    }
}

/// A checked payment on its way into its store. Moved once per call; boxing the metering
/// record would cost an allocation per call instead.
#[allow(clippy::large_enum_variant)]
enum Commit {
    /// A channel payment handed to the payment store's batcher, and what it charges.
    Channel(Pending<PaymentState>, Balance),
    /// A metering record, written by the metering store when awaited.
    Metered(CheckedRecord),
    /// A free call, already counted.
    Free,
    /// A prepaid call served from this replica's share (reserved beforehand), and its price.
    Leased(Balance),
}

impl Commit {
    fn charge(&self) -> Charge {
        match self {
            Self::Channel(_, price) => Some(("channel", *price)),
            Self::Metered(checked) => Some(("agreement", checked.charge)),
            Self::Free => Some(("free", 0)),
            Self::Leased(price) => Some(("channel", *price)),
        }
    }
}
