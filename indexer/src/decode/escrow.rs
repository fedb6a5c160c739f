//! The escrow contract's events: which they are, their names and their fields as JSON.

use super::{decode_as, signature_topic, DecodeError};
use crate::json::{account, hex0x, planck};
use osiris_contract_types::escrow as e;
use serde_json::{json, Value};

contract_events!(
    /// An event of the escrow contract.
    EscrowEvent,
    e,
    [
        Deposited,
        Withdrawn,
        Transferred,
        ChannelOpened,
        ChannelFunded,
        ChannelClaimed,
        ChannelTimeoutClaimed,
    ]
);

impl EscrowEvent {
    /// The fields as JSON: accounts SS58, amounts decimal strings, hashes and keys 0x-hex.
    pub fn fields(&self) -> Value {
        use EscrowEvent::*;
        match self {
            Deposited(x) => {
                json!({ "account": account(&x.account), "amount": planck(x.amount), "balance": planck(x.balance) })
            }
            Withdrawn(x) => {
                json!({ "account": account(&x.account), "amount": planck(x.amount), "balance": planck(x.balance) })
            }
            Transferred(x) => json!({ "from": account(&x.from), "to": account(&x.to), "amount": planck(x.amount) }),
            ChannelOpened(x) => json!({
                "channel_id": x.channel_id, "sender": account(&x.sender), "recipient": account(&x.recipient),
                "signer": hex0x(&x.signer), "group_id": x.group_id, "value": planck(x.value),
                "nonce": x.nonce, "expiration": x.expiration
            }),
            ChannelFunded(x) => json!({
                "channel_id": x.channel_id, "added": planck(x.added), "value": planck(x.value), "expiration": x.expiration
            }),
            ChannelClaimed(x) => json!({
                "channel_id": x.channel_id, "recipient": account(&x.recipient), "nonce": x.nonce, "amount": planck(x.amount),
                "sent_back": planck(x.sent_back), "value": planck(x.value), "new_nonce": x.new_nonce
            }),
            ChannelTimeoutClaimed(x) => json!({
                "channel_id": x.channel_id, "sender": account(&x.sender), "amount": planck(x.amount), "new_nonce": x.new_nonce
            }),
        }
    }
}
