//! What a channel's payments have reached at its current nonce.

use crate::payment::Payment;
use osiris_contract_types::{Balance, ChannelId, Nonce, PaymentSignature};

/// A channel's payment state at its current nonce, as the payment store holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentState {
    pub channel_id: ChannelId,
    /// The nonce the next authorization must use.
    pub nonce: Nonce,
    /// Last accepted cumulative amount at `nonce`, planck (0 if none).
    pub amount: Balance,
    /// The last accepted authorization's signature; `None` when nothing is accepted at `nonce`.
    pub signature: Option<PaymentSignature>,
    /// What the calls served at `nonce` cost, planck, ≤ `amount`: what a claim takes.
    pub spent: Balance,
    /// Calls served at `nonce`.
    pub calls: u64,
    /// Planck of this gateway's claims the mirror does not show yet (in progress, or landed
    /// after the mirror's last block): they lower the channel's value while `nonce` is
    /// ahead of the mirror's.
    pub claiming: Balance,
    /// Shares of the prepaid authorization at `nonce` reserved by gateway replicas
    /// ([`crate::lease`]); what they hold is neither spent nor available to other calls.
    pub leases: Vec<PrepaidLease>,
    /// A claim waits for the leases to be returned: none is extended or granted at `nonce`.
    pub recalled: bool,
}

/// Which gateway replica holds a lease: a random id drawn at the replica's start, so that a
/// restarted replica never mistakes a share of its previous life for a live one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReplicaId(pub u64);

impl std::fmt::Display for ReplicaId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl std::str::FromStr for ReplicaId {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        u64::from_str_radix(s, 16).map(Self)
    }
}

/// A replica's share of a prepaid authorization, as the payment store holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrepaidLease {
    pub replica: ReplicaId,
    /// Planck reserved for the replica's calls and not yet reported served.
    pub reserved: Balance,
    /// Unix ms (the replica's clock) from which the replica serves no call from the share;
    /// a share not returned by then plus the sweep's grace is charged in full.
    pub expires_ms: u64,
}

impl PaymentState {
    /// Nothing accepted yet at `nonce`.
    pub fn fresh(channel_id: ChannelId, nonce: Nonce) -> Self {
        Self {
            channel_id,
            nonce,
            amount: 0,
            signature: None,
            spent: 0,
            calls: 0,
            claiming: 0,
            leases: Vec::new(),
            recalled: false,
        }
    }

    /// Planck reserved by the replicas' leases.
    pub fn leased(&self) -> Balance {
        self.leases.iter().map(|l| l.reserved).sum()
    }

    /// Whether `payment` is exactly the stored authorization (its signature was verified
    /// when it was stored, so it need not be verified again).
    pub fn holds(&self, payment: &Payment) -> bool {
        self.nonce == payment.nonce && self.amount == payment.amount && self.signature == Some(payment.signature)
    }
}
