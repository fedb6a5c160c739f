//! Claims by the recipient and timeout claims by the sender.

use crate::{escrow::Escrow, ledger::Ledger, signature, EscrowError, Result};
use ink::codegen::Env;
use ink::prelude::vec::Vec;
use osiris_contract_types::{escrow::*, Balance, ChannelId, Nonce};

/// A claim checked against its channel: the channel as it will be stored and what moves where.
struct Settlement {
    channel_id: ChannelId,
    channel: Channel,
    claimed_nonce: Nonce,
    paid: Balance,
    sent_back: Balance,
}

impl Escrow {
    /// Checks every claim, then applies all of them; any failure applies none.
    pub(crate) fn do_claims(&mut self, claims: Vec<ChannelClaim>) -> Result<()> {
        let mut settlements: Vec<Settlement> = Vec::with_capacity(claims.len());
        for claim in &claims {
            if settlements.iter().any(|s| s.channel_id == claim.channel_id) {
                return Err(EscrowError::DuplicateChannel);
            }
            settlements.push(self.settle(claim)?);
        }
        let mut ledger = Ledger::default();
        for s in &settlements {
            ledger.credit(self, s.channel.recipient, s.paid)?;
            ledger.credit(self, s.channel.sender, s.sent_back)?;
        }
        ledger.commit(self);
        for s in settlements {
            self.channels.insert(s.channel_id, &s.channel);
            self.env().emit_event(ChannelClaimed {
                channel_id: s.channel_id,
                recipient: s.channel.recipient,
                nonce: s.claimed_nonce,
                amount: s.paid,
                sent_back: s.sent_back,
                value: s.channel.value,
                new_nonce: s.channel.nonce,
            });
        }
        Ok(())
    }

    /// Checks one claim by the caller and computes its effect without writing anything.
    fn settle(&self, claim: &ChannelClaim) -> Result<Settlement> {
        let mut channel = self.channels.get(claim.channel_id).ok_or(EscrowError::ChannelNotFound)?;
        if channel.recipient != self.env().caller() {
            return Err(EscrowError::NotChannelRecipient);
        }
        if claim.plan_amount > channel.value {
            return Err(EscrowError::AmountExceedsChannelValue);
        }
        if claim.actual_amount > claim.plan_amount {
            return Err(EscrowError::ActualExceedsPlanned);
        }
        let digest =
            signature::payment_digest(&self.env().account_id(), claim.channel_id, channel.nonce, claim.plan_amount);
        if !signature::is_signed_by(&claim.signature, &digest, &channel.signer) {
            return Err(EscrowError::InvalidSignature);
        }
        let claimed_nonce = channel.nonce;
        channel.nonce = claimed_nonce.checked_next().ok_or(EscrowError::Overflow)?;
        channel.value = channel.value.checked_sub(claim.actual_amount).ok_or(EscrowError::Overflow)?;
        let sent_back = if claim.is_sendback { core::mem::take(&mut channel.value) } else { 0 };
        Ok(Settlement { channel_id: claim.channel_id, channel, claimed_nonce, paid: claim.actual_amount, sent_back })
    }

    pub(crate) fn do_claim_timeout(&mut self, channel_id: ChannelId) -> Result<()> {
        let mut channel = self.channels.get(channel_id).ok_or(EscrowError::ChannelNotFound)?;
        if channel.sender != self.env().caller() {
            return Err(EscrowError::NotChannelSender);
        }
        if self.env().block_number() < channel.expiration {
            return Err(EscrowError::ChannelNotExpired);
        }
        channel.nonce = channel.nonce.checked_next().ok_or(EscrowError::Overflow)?;
        let amount = core::mem::take(&mut channel.value);
        let mut ledger = Ledger::default();
        ledger.credit(self, channel.sender, amount)?;
        ledger.commit(self);
        self.channels.insert(channel_id, &channel);
        self.env().emit_event(ChannelTimeoutClaimed {
            channel_id,
            sender: channel.sender,
            amount,
            new_nonce: channel.nonce,
        });
        Ok(())
    }
}
