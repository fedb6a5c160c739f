//! Opening, funding and extending payment channels.

use crate::{escrow::Escrow, ledger::Ledger, EscrowError, Result};
use ink::codegen::Env;
use ink::prelude::string::String;
use osiris_contract_types::{escrow::*, is_valid_id, AccountId, Balance, BlockNumber, ChannelId, Nonce, SignerKey};

impl Escrow {
    pub(crate) fn do_open_channel(
        &mut self,
        signer: SignerKey,
        recipient: AccountId,
        group_id: String,
        value: Balance,
        expiration: BlockNumber,
    ) -> Result<ChannelId> {
        if !is_valid_id(&group_id) {
            return Err(EscrowError::InvalidGroupId);
        }
        if !osiris_contract_types::signature::is_compressed_key(&signer) {
            return Err(EscrowError::InvalidSignerKey);
        }
        if expiration <= self.env().block_number() {
            return Err(EscrowError::ExpirationInPast);
        }
        let sender = self.env().caller();
        let channel_id = self.next_channel_id;
        let next = channel_id.checked_next().ok_or(EscrowError::Overflow)?;
        let mut ledger = Ledger::default();
        ledger.debit(self, sender, value)?;
        ledger.commit(self);
        let channel =
            Channel { sender, recipient, signer, group_id: group_id.clone(), value, nonce: Nonce(0), expiration };
        self.channels.insert(channel_id, &channel);
        self.next_channel_id = next;
        self.env().emit_event(ChannelOpened {
            channel_id,
            sender,
            recipient,
            signer,
            group_id,
            value,
            nonce: Nonce(0),
            expiration,
        });
        Ok(channel_id)
    }

    /// Adds `amount` from the sender's escrow balance and, if given, moves the expiration.
    /// `amount` may be 0 only when extending.
    pub(crate) fn do_fund_channel(
        &mut self,
        channel_id: ChannelId,
        expiration: Option<BlockNumber>,
        amount: Balance,
    ) -> Result<()> {
        let mut channel = self.channels.get(channel_id).ok_or(EscrowError::ChannelNotFound)?;
        if channel.sender != self.env().caller() {
            return Err(EscrowError::NotChannelSender);
        }
        if expiration.is_none() && amount == 0 {
            return Err(EscrowError::ZeroAmount);
        }
        if let Some(expiration) = expiration {
            if expiration < channel.expiration {
                return Err(EscrowError::ExpirationDecrease);
            }
            channel.expiration = expiration;
        }
        channel.value = channel.value.checked_add(amount).ok_or(EscrowError::Overflow)?;
        let mut ledger = Ledger::default();
        ledger.debit(self, channel.sender, amount)?;
        ledger.commit(self);
        self.channels.insert(channel_id, &channel);
        self.env().emit_event(ChannelFunded {
            channel_id,
            added: amount,
            value: channel.value,
            expiration: channel.expiration,
        });
        Ok(())
    }
}
