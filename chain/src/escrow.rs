//! Typed client of the escrow contract. Each state-changing method dry-runs
//! first (a refusal is a [`ChainError::Contract`] holding the [`EscrowError`] and
//! submits nothing), then waits until its block is finalized.

use crate::{
    account::to_ink,
    client::CallOutcome,
    contract::{find_event, message},
    AccountId, Balance, BlockNumber, Chain, ChainError, ChannelId, Signer,
};
use osiris_contract_types::{
    escrow::{Channel, ChannelClaim, ChannelOpened, EscrowError},
    PaymentSignature, SignerKey,
};

/// The escrow contract at `address`.
#[derive(Clone)]
pub struct Escrow {
    chain: Chain,
    address: AccountId,
}

impl Escrow {
    pub fn new(chain: Chain, address: AccountId) -> Self {
        Self { chain, address }
    }

    /// The contract's account.
    pub fn address(&self) -> &AccountId {
        &self.address
    }

    async fn call(
        &self,
        signer: &Signer,
        value: Balance,
        data: Vec<u8>,
        what: &'static str,
    ) -> Result<CallOutcome<()>, ChainError> {
        self.chain.call::<(), EscrowError>(signer, &self.address, value, data, what).await
    }

    /// Deposits `amount` planck of the signer's free balance into its escrow balance.
    pub async fn deposit(&self, signer: &Signer, amount: Balance) -> Result<CallOutcome<()>, ChainError> {
        self.call(signer, amount, message("deposit", ()), "deposit").await
    }

    /// Withdraws `amount` planck of the signer's escrow balance to its free balance.
    pub async fn withdraw(&self, signer: &Signer, amount: Balance) -> Result<CallOutcome<()>, ChainError> {
        self.call(signer, 0, message("withdraw", (amount,)), "withdraw").await
    }

    /// Moves `amount` planck of escrow balance from the signer to `to`.
    pub async fn transfer(
        &self,
        signer: &Signer,
        to: &AccountId,
        amount: Balance,
    ) -> Result<CallOutcome<()>, ChainError> {
        self.call(signer, 0, message("transfer", (to_ink(to), amount)), "transfer").await
    }

    /// Opens a channel of `value` planck from the signer's escrow balance; the outcome's value is the channel id
    /// (read from the `ChannelOpened` event of the finalized block).
    pub async fn open_channel(
        &self,
        sender: &Signer,
        signer_key: SignerKey,
        recipient: &AccountId,
        group_id: &str,
        value: Balance,
        expiration: BlockNumber,
    ) -> Result<CallOutcome<ChannelId>, ChainError> {
        let data = message("open_channel", (signer_key, to_ink(recipient), group_id, value, expiration));
        let outcome = self.chain.call::<ChannelId, EscrowError>(sender, &self.address, 0, data, "open_channel").await?;
        self.with_opened_channel(outcome)
    }

    /// Deposits `value` planck and opens a channel with all of it; the outcome's value is the channel id.
    pub async fn deposit_and_open_channel(
        &self,
        sender: &Signer,
        signer_key: SignerKey,
        recipient: &AccountId,
        group_id: &str,
        value: Balance,
        expiration: BlockNumber,
    ) -> Result<CallOutcome<ChannelId>, ChainError> {
        let data = message("deposit_and_open_channel", (signer_key, to_ink(recipient), group_id, expiration));
        let outcome = self
            .chain
            .call::<ChannelId, EscrowError>(sender, &self.address, value, data, "deposit_and_open_channel")
            .await?;
        self.with_opened_channel(outcome)
    }

    fn with_opened_channel(&self, mut outcome: CallOutcome<ChannelId>) -> Result<CallOutcome<ChannelId>, ChainError> {
        let opened: ChannelOpened =
            find_event(&outcome.events, &self.address).ok_or(ChainError::MissingEvent("ChannelOpened"))?;
        outcome.value = opened.channel_id;
        Ok(outcome)
    }

    /// Adds `amount` planck from the sender's escrow balance to the channel.
    pub async fn channel_add_funds(
        &self,
        sender: &Signer,
        channel_id: ChannelId,
        amount: Balance,
    ) -> Result<CallOutcome<()>, ChainError> {
        self.call(sender, 0, message("channel_add_funds", (channel_id, amount)), "channel_add_funds").await
    }

    /// Moves the channel's expiration to block `expiration`.
    pub async fn channel_extend(
        &self,
        sender: &Signer,
        channel_id: ChannelId,
        expiration: BlockNumber,
    ) -> Result<CallOutcome<()>, ChainError> {
        self.call(sender, 0, message("channel_extend", (channel_id, expiration)), "channel_extend").await
    }

    /// Extends the channel to block `expiration` and adds `amount` planck.
    pub async fn channel_extend_and_add_funds(
        &self,
        sender: &Signer,
        channel_id: ChannelId,
        expiration: BlockNumber,
        amount: Balance,
    ) -> Result<CallOutcome<()>, ChainError> {
        let data = message("channel_extend_and_add_funds", (channel_id, expiration, amount));
        self.call(sender, 0, data, "channel_extend_and_add_funds").await
    }

    /// The recipient claims `actual_amount` of a `plan_amount` authorization (see the contract).
    pub async fn channel_claim(
        &self,
        recipient: &Signer,
        channel_id: ChannelId,
        actual_amount: Balance,
        plan_amount: Balance,
        signature: PaymentSignature,
        is_sendback: bool,
    ) -> Result<CallOutcome<()>, ChainError> {
        let data = message("channel_claim", (channel_id, actual_amount, plan_amount, signature, is_sendback));
        self.call(recipient, 0, data, "channel_claim").await
    }

    /// Several claims in one extrinsic; all or none.
    pub async fn multi_channel_claim(
        &self,
        recipient: &Signer,
        claims: Vec<ChannelClaim>,
    ) -> Result<CallOutcome<()>, ChainError> {
        self.call(recipient, 0, message("multi_channel_claim", (claims,)), "multi_channel_claim").await
    }

    /// Several `multi_channel_claim` messages (each a list of claims, all or none) in one
    /// extrinsic (`Utility::force_batch`, see [`crate::Chain::call_batch`]): a message whose
    /// dry run reverts is left out, one that fails on chain is rolled back alone, the others
    /// land. Indices in the outcome are those of `messages`.
    pub async fn multi_channel_claim_batch(
        &self,
        recipient: &Signer,
        messages: Vec<Vec<ChannelClaim>>,
    ) -> Result<crate::BatchOutcome, ChainError> {
        let calls =
            messages.into_iter().map(|claims| (self.address, message("multi_channel_claim", (claims,)))).collect();
        self.chain.call_batch(recipient, calls).await
    }

    /// The sender takes back what is left in an expired channel.
    pub async fn channel_claim_timeout(
        &self,
        sender: &Signer,
        channel_id: ChannelId,
    ) -> Result<CallOutcome<()>, ChainError> {
        self.call(sender, 0, message("channel_claim_timeout", (channel_id,)), "channel_claim_timeout").await
    }

    /// The account's escrow balance in planck.
    pub async fn balance_of(&self, account: &AccountId) -> Result<Balance, ChainError> {
        self.chain.query(&self.address, message("balance_of", (to_ink(account),)), "balance_of").await
    }

    /// The channel, if it exists.
    pub async fn channel(&self, channel_id: ChannelId) -> Result<Option<Channel>, ChainError> {
        self.chain.query(&self.address, message("channel", (channel_id,)), "channel").await
    }

    /// The id the next channel will get.
    pub async fn next_channel_id(&self) -> Result<ChannelId, ChainError> {
        self.chain.query(&self.address, message("next_channel_id", ()), "next_channel_id").await
    }
}
