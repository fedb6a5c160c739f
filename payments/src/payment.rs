//! A call's payment.

use crate::AccountId;
use osiris_contract_types::{Balance, ChannelId, Nonce, PaymentSignature, SignerKey};

/// How a call pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentKind {
    /// A fresh authorization per call: the amount rises by at least the price.
    Escrow,
    /// One authorization drawn down by many calls, the price per call.
    Prepaid,
}

impl PaymentKind {
    /// The `osiris-payment-type` value.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Escrow => "escrow",
            Self::Prepaid => "prepaid",
        }
    }
}

/// A call's payment: an authorization of `amount` planck (cumulative) at `nonce` of
/// `channel_id`, signed by the channel's signer (see [`crate::signing::channel`] for the bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub kind: PaymentKind,
    pub channel_id: ChannelId,
    pub nonce: Nonce,
    /// Cumulative planck authorized at `nonce`.
    pub amount: Balance,
    /// 65-byte recoverable secp256k1 signature `r ‖ s ‖ v`.
    pub signature: PaymentSignature,
}

impl Payment {
    /// Whether the signature is `signer`'s authorization of this amount at this nonce for
    /// `escrow` (the same check the escrow contract makes at claim time).
    pub fn is_signed_by(&self, signer: &SignerKey, escrow: &AccountId) -> bool {
        crate::signing::channel::is_authorized(
            &self.signature,
            signer,
            escrow,
            self.channel_id,
            self.nonce,
            self.amount,
        )
    }
}
