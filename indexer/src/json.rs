//! How the mirror writes values as JSON and text: accounts SS58, amounts decimal
//! strings (u128 does not fit a JSON number), hashes and keys 0x-hex.

use osiris_chain::account::from_ink;
use serde_json::Value;

/// An ink! account id as SS58 text.
pub fn account(a: &osiris_contract_types::AccountId) -> String {
    from_ink(a).to_string()
}

/// An amount in planck as a decimal string.
pub fn planck(amount: u128) -> Value {
    Value::String(amount.to_string())
}

/// Bytes (a hash, key, topic or SCALE data) as 0x-hex.
pub fn hex0x(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}
