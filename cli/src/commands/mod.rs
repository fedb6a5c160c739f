//! One module per command group.

pub mod account;
pub mod agreement;
pub mod call;
pub mod channel;
pub mod ddc;
pub mod deploy;
pub mod escrow;
pub mod free_call;
pub mod job;
pub mod key;
pub mod object;
pub mod org;
pub mod service;
pub mod services;

/// Parses a 32-byte hash given as 64 hex digits (with or without `0x`); empty means all zero.
pub fn parse_hash(text: &str) -> Result<[u8; 32], String> {
    if text.is_empty() {
        return Ok([0; 32]);
    }
    let bytes = hex::decode(text.trim_start_matches("0x")).map_err(|e| e.to_string())?;
    bytes.try_into().map_err(|_| "a hash is 32 bytes (64 hex digits)".to_string())
}

/// Parses an account: SS58, or a dev secret URI such as `//Bob`.
pub fn parse_account(text: &str) -> Result<osiris_chain::AccountId, String> {
    osiris_chain::parse_account(text).map_err(|e| e.to_string())
}
