//! # Escrow
//!
//! Multi-party escrow with unidirectional payment channels.
//!
//! Accounts deposit planck into an escrow balance and lock some of it in
//! payment channels to a recipient (a service's instance group). The channel's
//! signer authorizes cumulative payments off-chain (see
//! `osiris_contract_types::escrow::payment_message`); the recipient claims the
//! latest authorization, which moves the nonce on; after expiration the sender
//! takes back what is left.
//!
//! Invariant: the sum of all escrow balances and all channel values equals the
//! planck the contract holds on behalf of users. Every change emits an event;
//! every failure is an [`EscrowError`].
#![cfg_attr(not(feature = "std"), no_std, no_main)]

mod balance;
mod channel;
mod claim;
mod ledger;
mod signature;
#[cfg(test)]
mod tests;

pub use osiris_contract_types::escrow::*;

#[ink::contract]
mod escrow {
    use ink::prelude::{string::String, vec::Vec};
    use ink::storage::Mapping;
    use osiris_contract_types::{escrow::*, ChannelId, PaymentSignature, SignerKey};

    /// Result of every escrow message.
    pub type Result<T> = core::result::Result<T, EscrowError>;

    #[ink(storage)]
    #[derive(Default)]
    pub struct Escrow {
        /// Escrow balance of each account, in planck.
        pub(crate) balances: Mapping<AccountId, Balance>,
        /// Payment channels by id.
        pub(crate) channels: Mapping<ChannelId, Channel>,
        /// Id the next opened channel gets.
        pub(crate) next_channel_id: ChannelId,
    }

    impl Escrow {
        #[ink(constructor)]
        pub fn new() -> Self {
            Self::default()
        }

        // --- escrow balances (balance.rs) ---

        /// Adds the transferred value to the caller's escrow balance.
        #[ink(message, payable)]
        pub fn deposit(&mut self) -> Result<()> {
            self.do_deposit()
        }

        /// Sends `amount` planck from the caller's escrow balance to the caller's account.
        #[ink(message)]
        pub fn withdraw(&mut self, amount: Balance) -> Result<()> {
            self.do_withdraw(amount)
        }

        /// Moves `amount` planck from the caller's escrow balance to `to`'s.
        #[ink(message)]
        pub fn transfer(&mut self, to: AccountId, amount: Balance) -> Result<()> {
            self.do_transfer(to, amount)
        }

        // --- channels (channel.rs) ---

        /// Opens a channel of `value` planck from the caller's escrow balance; returns its id.
        /// `expiration` is a block number after the current one.
        #[ink(message)]
        pub fn open_channel(
            &mut self,
            signer: SignerKey,
            recipient: AccountId,
            group_id: String,
            value: Balance,
            expiration: BlockNumber,
        ) -> Result<ChannelId> {
            self.do_open_channel(signer, recipient, group_id, value, expiration)
        }

        /// Deposits the transferred value and opens a channel with all of it; returns its id.
        #[ink(message, payable)]
        pub fn deposit_and_open_channel(
            &mut self,
            signer: SignerKey,
            recipient: AccountId,
            group_id: String,
            expiration: BlockNumber,
        ) -> Result<ChannelId> {
            let value = self.do_deposit_value()?;
            self.do_open_channel(signer, recipient, group_id, value, expiration)
        }

        /// Moves `amount` planck from the sender's escrow balance into the channel. Sender only.
        #[ink(message)]
        pub fn channel_add_funds(&mut self, channel_id: ChannelId, amount: Balance) -> Result<()> {
            self.do_fund_channel(channel_id, None, amount)
        }

        /// Moves the channel's expiration to `expiration` (not earlier). Sender only.
        #[ink(message)]
        pub fn channel_extend(&mut self, channel_id: ChannelId, expiration: BlockNumber) -> Result<()> {
            self.do_fund_channel(channel_id, Some(expiration), 0)
        }

        /// Both of the above in one call. Sender only.
        #[ink(message)]
        pub fn channel_extend_and_add_funds(
            &mut self,
            channel_id: ChannelId,
            expiration: BlockNumber,
            amount: Balance,
        ) -> Result<()> {
            self.do_fund_channel(channel_id, Some(expiration), amount)
        }

        // --- claims (claim.rs) ---

        /// The recipient claims `actual_amount` (≤ `plan_amount`) to its escrow balance, with the
        /// signer's `signature` over `plan_amount` at the channel's current nonce. The nonce moves on;
        /// the rest stays in the channel, or returns to the sender when `is_sendback`.
        #[ink(message)]
        pub fn channel_claim(
            &mut self,
            channel_id: ChannelId,
            actual_amount: Balance,
            plan_amount: Balance,
            signature: PaymentSignature,
            is_sendback: bool,
        ) -> Result<()> {
            self.do_claims(Vec::from([ChannelClaim { channel_id, actual_amount, plan_amount, signature, is_sendback }]))
        }

        /// Several claims in one call: all succeed or none does.
        #[ink(message)]
        pub fn multi_channel_claim(&mut self, claims: Vec<ChannelClaim>) -> Result<()> {
            if claims.is_empty() || claims.len() > MAX_MULTI_CLAIM {
                return Err(EscrowError::InvalidClaimCount);
            }
            self.do_claims(claims)
        }

        /// From the expiration block on, the sender takes back what is left in the channel.
        #[ink(message)]
        pub fn channel_claim_timeout(&mut self, channel_id: ChannelId) -> Result<()> {
            self.do_claim_timeout(channel_id)
        }

        // --- queries ---

        /// The account's escrow balance in planck (0 if it never deposited).
        #[ink(message)]
        pub fn balance_of(&self, account: AccountId) -> Balance {
            self.balances.get(account).unwrap_or(0)
        }

        /// The channel, if it exists.
        #[ink(message)]
        pub fn channel(&self, channel_id: ChannelId) -> Option<Channel> {
            self.channels.get(channel_id)
        }

        /// The id the next opened channel will get (= number of channels opened so far).
        #[ink(message)]
        pub fn next_channel_id(&self) -> ChannelId {
            self.next_channel_id
        }
    }
}

pub use escrow::{Escrow, EscrowRef, Result};
