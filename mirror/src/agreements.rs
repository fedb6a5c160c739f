//! Service agreements as the mirror's `agreements` and `agreement_offers` tables hold them
//! (migrations/0004): what a gateway needs to decide an agreement-backed call.
//!
//! The indexer writes each agreement as a JSON document (`doc`) beside its filter columns;
//! the names of states and condition kinds are the ones it writes ([`kind_name`],
//! [`state_name`], declared once in `osiris_payments::facts` for both sides).

use crate::{parse_planck, to_u64, MirrorError};
use osiris_contract_types::agreements::{AgreementId, AgreementState, ConditionKind, ConditionState};
use osiris_contract_types::{BlockNumber, SignerKey};
pub use osiris_payments::facts::{condition_state_name, kind_name, state_name, AgreementFacts, ConditionFacts};
use sqlx::postgres::{PgPool, PgRow};
use sqlx::Row;

fn parse_kind(text: &str) -> Result<ConditionKind, MirrorError> {
    [
        ConditionKind::LockPayment,
        ConditionKind::InputAgreed,
        ConditionKind::AccessGranted,
        ConditionKind::ReleasePayment,
    ]
    .into_iter()
    .find(|k| kind_name(*k) == text)
    .ok_or_else(|| MirrorError::Malformed { field: "agreements.doc.conditions.kind", value: text.into() })
}

fn parse_state(text: &str) -> Result<AgreementState, MirrorError> {
    [AgreementState::Active, AgreementState::Fulfilled, AgreementState::Refunded, AgreementState::Terminated]
        .into_iter()
        .find(|s| state_name(*s) == text)
        .ok_or_else(|| MirrorError::Malformed { field: "agreements.state", value: text.into() })
}

fn parse_condition_state(text: &str) -> Result<ConditionState, MirrorError> {
    [ConditionState::Unfulfilled, ConditionState::Fulfilled, ConditionState::Aborted]
        .into_iter()
        .find(|s| condition_state_name(*s) == text)
        .ok_or_else(|| MirrorError::Malformed { field: "agreements.doc.conditions.state", value: text.into() })
}

const SELECT: &str = "\
SELECT a.agreement_id, a.consumer, a.provider, a.org_id, a.service_id, a.state, a.updated_block,
       a.doc->>'consumer_key' AS consumer_key, a.doc->>'locked' AS locked,
       (a.doc->>'metered_units')::bigint AS metered_units, a.doc->>'metered_amount' AS metered_amount,
       a.doc->'conditions' AS conditions, (a.doc->>'settle_until')::bigint AS settle_until,
       o.doc->>'price_per_unit' AS price_per_unit, o.doc->>'metering_unit' AS metering_unit
FROM agreements a JOIN agreement_offers o ON o.offer_id = a.offer_id";

/// One agreement, `None` if the mirror does not know it.
pub async fn agreement(pool: &PgPool, agreement_id: &AgreementId) -> Result<Option<AgreementFacts>, MirrorError> {
    let row = sqlx::query(&format!("{SELECT} WHERE a.agreement_id = $1"))
        .bind(agreement_id.as_slice())
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(facts_from_row).transpose()
}

/// The agreements paying `provider` (SS58) for `org_id/service_id`, changed at or after block `since`.
pub async fn agreements_serving(
    pool: &PgPool,
    provider: &str,
    org_id: &str,
    service_id: &str,
    since: u64,
) -> Result<Vec<AgreementFacts>, MirrorError> {
    let sql =
        format!("{SELECT} WHERE a.provider = $1 AND a.org_id = $2 AND a.service_id = $3 AND a.updated_block >= $4");
    let rows = sqlx::query(&sql)
        .bind(provider)
        .bind(org_id)
        .bind(service_id)
        .bind(i64::try_from(since).unwrap_or(i64::MAX))
        .fetch_all(pool)
        .await?;
    rows.iter().map(facts_from_row).collect()
}

fn malformed(field: &'static str, value: impl Into<String>) -> MirrorError {
    MirrorError::Malformed { field, value: value.into() }
}

fn facts_from_row(row: &PgRow) -> Result<AgreementFacts, MirrorError> {
    let id: Vec<u8> = row.try_get("agreement_id")?;
    let agreement_id: AgreementId =
        id.try_into().map_err(|v: Vec<u8>| malformed("agreements.agreement_id", hex::encode(v)))?;
    let key: Option<String> = row.try_get("consumer_key")?;
    let key = key.unwrap_or_default();
    let consumer_key: SignerKey = hex::decode(key.trim_start_matches("0x"))
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| malformed("agreements.doc.consumer_key", key.clone()))?;
    let planck = |field: &'static str, text: Option<String>| parse_planck(field, text.as_deref().unwrap_or(""));
    let price_per_unit: Option<String> = row.try_get("price_per_unit")?;
    let units: Option<i64> = row.try_get("metered_units")?;
    let conditions: serde_json::Value = row.try_get("conditions")?;
    let conditions = conditions
        .as_array()
        .ok_or_else(|| malformed("agreements.doc.conditions", conditions.to_string()))?
        .iter()
        .map(|c| {
            let text = |name: &str| c.get(name).and_then(|v| v.as_str()).unwrap_or_default();
            let deadline = c.get("deadline").and_then(|v| v.as_u64()).and_then(|d| BlockNumber::try_from(d).ok());
            Ok(ConditionFacts {
                kind: parse_kind(text("kind"))?,
                state: parse_condition_state(text("state"))?,
                deadline: deadline.ok_or_else(|| malformed("agreements.doc.conditions.deadline", c.to_string()))?,
            })
        })
        .collect::<Result<Vec<_>, MirrorError>>()?;
    let state: String = row.try_get("state")?;
    Ok(AgreementFacts {
        agreement_id,
        consumer: row.try_get("consumer")?,
        consumer_key,
        provider: row.try_get("provider")?,
        org_id: row.try_get("org_id")?,
        service_id: row.try_get("service_id")?,
        state: parse_state(&state)?,
        locked: planck("agreements.doc.locked", row.try_get("locked")?)?,
        metered_units: to_u64("agreements.doc.metered_units", units.unwrap_or(-1))?,
        metered_amount: planck("agreements.doc.metered_amount", row.try_get("metered_amount")?)?,
        price_per_unit: price_per_unit.map(|p| parse_planck("agreement_offers.doc.price_per_unit", &p)).transpose()?,
        metering_unit: row.try_get("metering_unit")?,
        conditions,
        settle_until: row
            .try_get::<Option<i64>, _>("settle_until")?
            .map(|b| u32::try_from(b).map_err(|_| malformed("agreements.doc.settle_until", b.to_string())))
            .transpose()?,
        updated_block: to_u64("agreements.updated_block", row.try_get("updated_block")?)?,
    })
}
