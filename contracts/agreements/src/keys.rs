//! Consumer keys bound to accounts: the secp256k1 key an account signs agreements, inputs
//! and metering records with, set by the account's own transaction.

use crate::signature::{is_compressed_key, is_signed_by};
use crate::{agreements::Agreements, AgreementError, Result};
use ink::codegen::Env;
use osiris_contract_types::agreements::*;
use osiris_contract_types::{PaymentSignature, SignerKey};

impl Agreements {
    /// Binds `key` to the caller: `signature` is the key's over
    /// `key_binding_message(contract, caller)`, so nobody binds a key it cannot sign with. A
    /// later binding replaces the key for agreements created after it.
    pub(crate) fn do_bind_consumer_key(&mut self, key: SignerKey, signature: PaymentSignature) -> Result<()> {
        if !is_compressed_key(&key) {
            return Err(AgreementError::InvalidKey);
        }
        let account = self.env().caller();
        if !is_signed_by(&signature, &key_binding_message(&self.env().account_id(), &account), &key) {
            return Err(AgreementError::InvalidSignature);
        }
        self.consumer_keys.insert(account, &key);
        self.env().emit_event(ConsumerKeyBound { account, key });
        Ok(())
    }
}
