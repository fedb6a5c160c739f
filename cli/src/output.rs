//! What a command prints: a line of text for people, or a JSON document with `--json`.

use osiris_chain::client::{CallOutcome, Weight};
use serde_json::{json, Value};

/// A command's result in both forms.
pub struct Report {
    pub text: String,
    pub json: Value,
}

impl Report {
    pub fn new(text: impl Into<String>, json: Value) -> Self {
        Self { text: text.into(), json }
    }

    /// A report of a finalized call: `text` plus the block and gas, with `fields` merged into the JSON.
    pub fn call<T>(text: impl Into<String>, outcome: &CallOutcome<T>, fields: Value) -> Self {
        let mut json = json!({ "block": outcome.block_number, "gas": gas(&outcome.gas) });
        if let (Value::Object(out), Value::Object(extra)) = (&mut json, fields) {
            out.extend(extra);
        }
        let text = format!(
            "{} (block #{}, gas ref_time {} proof_size {})",
            text.into(),
            outcome.block_number,
            outcome.gas.ref_time,
            outcome.gas.proof_size
        );
        Self { text, json }
    }

    pub fn print(&self, json: bool) {
        if json {
            println!("{}", serde_json::to_string_pretty(&self.json).expect("JSON serializes"));
        } else if !self.text.is_empty() {
            println!("{}", self.text);
        }
    }
}

fn gas(w: &Weight) -> Value {
    json!({ "ref_time": w.ref_time, "proof_size": w.proof_size })
}

/// Prints an error to stderr: `error: …` with its causes, or `{"error": …}` with `--json`.
/// A contract refusal also carries its typed error name.
pub fn print_error(error: &anyhow::Error, json: bool) {
    let contract_error =
        error.downcast_ref::<osiris_chain::ChainError>().and_then(|e| e.contract_error()).map(|e| match e {
            osiris_chain::ContractError::Escrow(e) => format!("{e:?}"),
            osiris_chain::ContractError::Registry(e) => format!("{e:?}"),
            osiris_chain::ContractError::Agreements(e) => format!("{e:?}"),
            osiris_chain::ContractError::Ddc(e) => format!("{e:?}"),
        });
    if json {
        eprintln!("{}", json!({ "error": format!("{error:#}"), "contract_error": contract_error }));
    } else {
        eprintln!("error: {error:#}");
    }
}

/// Bytes as the CLI prints ids, keys, hashes and signatures: `0x` and lower-case hex.
pub fn hex0x(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// Amounts are printed as decimal strings in JSON (u128 does not fit a JSON number).
pub fn planck(amount: u128) -> Value {
    Value::String(amount.to_string())
}
