//! Settlements: the latest metering record each agreement's consumer signed becomes planck
//! in the provider's balance in the agreements contract (`settle_metering`).
//!
//! One run settles, for every active agreement of the provider, the stored record when it
//! owes more than the mirror shows settled. Records are cumulative and the contract pays
//! only what a record owes beyond the last settled one, so a run that crashes, or runs
//! again before the mirror has caught up, pays nothing twice: the contract refuses a record
//! that is not above the settled one (`StaleMeteringRecord`), which counts as settled.

use osiris_chain::agreements::Agreements;
use osiris_chain::{ChainError, ContractError, Signer};
use osiris_contract_types::agreements::{AgreementError, AgreementId};
use osiris_contract_types::{Balance, PaymentSignature};
use sqlx::postgres::PgPool;
use sqlx::Row;

#[derive(Debug, thiserror::Error)]
pub enum SettleError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("chain: {0}")]
    Chain(#[from] ChainError),
    #[error("stored metering record of agreement {agreement_id} is malformed: {field}")]
    Malformed { agreement_id: String, field: &'static str },
}

/// One agreement's settlement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    pub agreement_id: AgreementId,
    /// The record's cumulative units and planck.
    pub units: u64,
    pub amount: Balance,
    /// Whether this run's extrinsic paid it (`false`: it was already settled on chain).
    pub submitted: bool,
    /// Finalized block holding the settlement, when submitted.
    pub block_number: Option<u64>,
}

/// Settles the agreements of one provider.
pub struct Settler {
    pub pool: PgPool,
    pub agreements: Agreements,
    /// The provider (only it may settle).
    pub signer: Signer,
}

const OWED: &str = "\
SELECT m.agreement_id, m.units, m.amount::text AS amount, m.signature
FROM gateway_metering m JOIN agreements a ON a.agreement_id = m.agreement_id
WHERE a.provider = $1 AND a.state = 'active' AND m.amount > (a.doc->>'metered_amount')::numeric
  AND (cardinality($2::bytea[]) = 0 OR m.agreement_id = ANY($2))
ORDER BY m.agreement_id";

impl Settler {
    /// One settlement run over the provider's agreements, or only `only` if not empty.
    pub async fn run(&self, only: &[AgreementId]) -> Result<Vec<Settled>, SettleError> {
        let provider = osiris_chain::account::account_of(&self.signer).to_string();
        let only: Vec<Vec<u8>> = only.iter().map(|id| id.to_vec()).collect();
        let rows = sqlx::query(OWED).bind(&provider).bind(&only).fetch_all(&self.pool).await?;
        let mut settled = Vec::new();
        for row in rows {
            let id: Vec<u8> = row.try_get("agreement_id")?;
            let agreement_id: AgreementId = id.clone().try_into().map_err(|_| SettleError::Malformed {
                agreement_id: format!("0x{}", hex::encode(&id)),
                field: "agreement_id",
            })?;
            let malformed = |field| SettleError::Malformed {
                agreement_id: osiris_payments::metering::id_text(&agreement_id),
                field,
            };
            let units: i64 = row.try_get("units")?;
            let units = u64::try_from(units).map_err(|_| malformed("units"))?;
            let amount: String = row.try_get("amount")?;
            let amount: Balance = amount.parse().map_err(|_| malformed("amount"))?;
            let signature: Vec<u8> = row.try_get("signature")?;
            let signature = PaymentSignature::try_from(signature).map_err(|_| malformed("signature"))?;
            let outcome = self.agreements.settle_metering(&self.signer, agreement_id, units, amount, signature).await;
            let (submitted, block_number) = match outcome {
                Ok(outcome) => (true, Some(outcome.block_number)),
                Err(e)
                    if e.contract_error() == Some(ContractError::Agreements(AgreementError::StaleMeteringRecord)) =>
                {
                    (false, None)
                }
                Err(e) => return Err(e.into()),
            };
            settled.push(Settled { agreement_id, units, amount, submitted, block_number });
        }
        Ok(settled)
    }
}

/// Runs a settlement every `interval` until `shutdown`; failures are logged and retried next time.
pub async fn settle_periodically(
    settler: Settler,
    interval: std::time::Duration,
    shutdown: tokio_util::sync::CancellationToken,
) {
    loop {
        tokio::select! { _ = shutdown.cancelled() => return, _ = tokio::time::sleep(interval) => {} }
        match settler.run(&[]).await {
            Ok(settled) => {
                for s in settled.iter().filter(|s| s.submitted) {
                    tracing::info!(
                        "settled agreement {} at {} units, {} planck (block {:?})",
                        osiris_payments::metering::id_text(&s.agreement_id),
                        s.units,
                        s.amount,
                        s.block_number
                    );
                }
            }
            Err(e) => tracing::warn!("periodic settlement: {e}"),
        }
    }
}
