//! Loading and writing the agreements contract's rows for one block (multi-row statements,
//! as for the other contracts), and the API's reads of them.

use super::{created_at, doc, json, parse_planck, to_i64, Store, StoreError};
use crate::decode::OsirisEvent;
use crate::state::agreements::{self, AgreementRow, Keys, MeteringRow, OfferRow, TemplateRow};
use crate::state::Snapshot;
use sqlx::{Postgres, QueryBuilder, Row, Transaction};

/// The agreement id column's bytes from the 0x-hex key the fold uses.
fn id_bytes(key: &str) -> Result<Vec<u8>, StoreError> {
    hex::decode(key.trim_start_matches("0x")).map_err(|_| StoreError::Corrupt("agreements"))
}

/// Loads the templates, offers, agreements and balances the block's events touch. Offers
/// are loaded before templates, since a new agreement needs its offer and a new offer its
/// template; balances last, as they include the parties of the loaded agreements.
pub(crate) async fn load(
    tx: &mut Transaction<'_, Postgres>,
    s: &mut Snapshot,
    keys: Keys,
    events: &[OsirisEvent],
) -> Result<(), StoreError> {
    let ours: Vec<&crate::decode::AgreementsEvent> = events
        .iter()
        .filter_map(|e| match e {
            OsirisEvent::Agreements(ev) => Some(ev),
            _ => None,
        })
        .collect();
    if ours.is_empty() {
        return Ok(());
    }
    if !keys.templates.is_empty() {
        let ids: Vec<i64> = keys.templates.iter().map(|t| i64::from(*t)).collect();
        s.templates = keys.templates.iter().map(|t| (*t, None)).collect();
        let rows = sqlx::query(
            "SELECT doc, created_block, created_event FROM agreement_templates WHERE template_id = ANY($1)",
        )
        .bind(&ids)
        .fetch_all(&mut **tx)
        .await?;
        for r in rows {
            let mut row: TemplateRow = doc(&r, "agreement_templates")?;
            row.created = created_at(&r)?;
            s.templates.insert(row.template_id, Some(row));
        }
    }
    if !keys.offers.is_empty() {
        let ids: Vec<i64> = keys.offers.iter().map(|o| to_i64(*o)).collect();
        s.offers = keys.offers.iter().map(|o| (*o, None)).collect();
        let rows =
            sqlx::query("SELECT doc, created_block, created_event FROM agreement_offers WHERE offer_id = ANY($1)")
                .bind(&ids)
                .fetch_all(&mut **tx)
                .await?;
        for r in rows {
            let mut row: OfferRow = doc(&r, "agreement_offers")?;
            row.created = created_at(&r)?;
            s.offers.insert(row.offer_id, Some(row));
        }
    }
    if !keys.agreements.is_empty() {
        let ids: Vec<Vec<u8>> = keys.agreements.iter().map(|k| id_bytes(k)).collect::<Result<_, _>>()?;
        s.agreements = keys.agreements.iter().map(|k| (k.clone(), None)).collect();
        let rows = sqlx::query("SELECT doc, created_block, created_event FROM agreements WHERE agreement_id = ANY($1)")
            .bind(&ids)
            .fetch_all(&mut **tx)
            .await?;
        for r in rows {
            let mut row: AgreementRow = doc(&r, "agreements")?;
            row.created = created_at(&r)?;
            s.agreements.insert(row.agreement_id.clone(), Some(row));
        }
    }
    let accounts: Vec<String> = agreements::accounts_touched(&ours, s).into_iter().collect();
    if !accounts.is_empty() {
        let rows =
            sqlx::query("SELECT account, balance::text AS balance FROM agreement_balances WHERE account = ANY($1)")
                .bind(&accounts)
                .fetch_all(&mut **tx)
                .await?;
        s.agreement_balances = accounts.into_iter().map(|a| (a, 0)).collect();
        for r in rows {
            s.agreement_balances
                .insert(r.try_get("account")?, parse_planck(r.try_get("balance")?, "agreement_balances")?);
        }
    }
    Ok(())
}

/// Writes back what the block changed: upserts every touched row, appends metering records.
pub(crate) async fn write(tx: &mut Transaction<'_, Postgres>, s: &Snapshot, block: i64) -> Result<(), StoreError> {
    let templates: Vec<&TemplateRow> = s.templates.values().flatten().collect();
    if !templates.is_empty() {
        let mut q = QueryBuilder::<Postgres>::new(
            "INSERT INTO agreement_templates (template_id, whitelisted, doc, created_block, created_event, updated_block) ",
        );
        q.push_values(templates, |mut b, t| {
            b.push_bind(i64::from(t.template_id))
                .push_bind(t.whitelisted)
                .push_bind(json(t))
                .push_bind(to_i64(t.created.0))
                .push_bind(t.created.1 as i32)
                .push_bind(block);
        });
        q.push(
            " ON CONFLICT (template_id) DO UPDATE SET whitelisted = EXCLUDED.whitelisted, doc = EXCLUDED.doc,
              updated_block = EXCLUDED.updated_block",
        );
        q.build().execute(&mut **tx).await?;
    }
    let offers: Vec<&OfferRow> = s.offers.values().flatten().collect();
    if !offers.is_empty() {
        let mut q = QueryBuilder::<Postgres>::new(
            "INSERT INTO agreement_offers (offer_id, provider, org_id, service_id, active, doc, created_block, created_event, updated_block) ",
        );
        q.push_values(offers, |mut b, o| {
            b.push_bind(to_i64(o.offer_id))
                .push_bind(&o.provider)
                .push_bind(&o.org_id)
                .push_bind(&o.service_id)
                .push_bind(o.active)
                .push_bind(json(o))
                .push_bind(to_i64(o.created.0))
                .push_bind(o.created.1 as i32)
                .push_bind(block);
        });
        q.push(
            " ON CONFLICT (offer_id) DO UPDATE SET active = EXCLUDED.active, doc = EXCLUDED.doc,
              updated_block = EXCLUDED.updated_block",
        );
        q.build().execute(&mut **tx).await?;
    }
    let rows: Vec<&AgreementRow> = s.agreements.values().flatten().collect();
    if !rows.is_empty() {
        let ids: Vec<Vec<u8>> = rows.iter().map(|r| id_bytes(&r.agreement_id)).collect::<Result<_, _>>()?;
        let mut q = QueryBuilder::<Postgres>::new(
            "INSERT INTO agreements (agreement_id, offer_id, consumer, provider, org_id, service_id, state, doc,
             created_block, created_event, updated_block) ",
        );
        q.push_values(rows.iter().zip(ids), |mut b, (r, id)| {
            b.push_bind(id)
                .push_bind(to_i64(r.offer_id))
                .push_bind(&r.consumer)
                .push_bind(&r.provider)
                .push_bind(&r.org_id)
                .push_bind(&r.service_id)
                .push_bind(&r.state)
                .push_bind(json(*r))
                .push_bind(to_i64(r.created.0))
                .push_bind(r.created.1 as i32)
                .push_bind(block);
        });
        q.push(
            " ON CONFLICT (agreement_id) DO UPDATE SET state = EXCLUDED.state, doc = EXCLUDED.doc,
              updated_block = EXCLUDED.updated_block",
        );
        q.build().execute(&mut **tx).await?;
    }
    if !s.metering.is_empty() {
        let ids: Vec<Vec<u8>> = s.metering.iter().map(|m| id_bytes(&m.agreement_id)).collect::<Result<_, _>>()?;
        let mut q = QueryBuilder::<Postgres>::new(
            "INSERT INTO agreement_metering (agreement_id, block_number, event_index, units, amount, paid) ",
        );
        q.push_values(s.metering.iter().zip(ids), |mut b, (m, id)| {
            b.push_bind(id)
                .push_bind(to_i64(m.block_number))
                .push_bind(m.event_index as i32)
                .push_bind(to_i64(m.units))
                .push_bind(m.amount.to_string())
                .push_unseparated("::numeric")
                .push_bind(m.paid.to_string())
                .push_unseparated("::numeric");
        });
        q.build().execute(&mut **tx).await?;
    }
    if !s.agreement_balances.is_empty() {
        let mut q = QueryBuilder::<Postgres>::new("INSERT INTO agreement_balances (account, balance, updated_block) ");
        q.push_values(&s.agreement_balances, |mut b, (account, balance)| {
            b.push_bind(account).push_bind(balance.to_string()).push_unseparated("::numeric").push_bind(block);
        });
        q.push(
            " ON CONFLICT (account) DO UPDATE SET balance = EXCLUDED.balance, updated_block = EXCLUDED.updated_block",
        );
        q.build().execute(&mut **tx).await?;
    }
    Ok(())
}

/// Filters of the agreements list (combined with AND).
#[derive(Debug, Default)]
pub struct AgreementFilter {
    pub consumer: Option<String>,
    pub provider: Option<String>,
    pub org_id: Option<String>,
    pub service_id: Option<String>,
    pub state: Option<String>,
}

/// Filters of the offers list (combined with AND).
#[derive(Debug, Default)]
pub struct OfferFilter {
    pub provider: Option<String>,
    pub org_id: Option<String>,
    pub service_id: Option<String>,
    pub active: Option<bool>,
}

impl Store {
    /// Templates by id after `after`.
    pub async fn templates(&self, after: Option<i64>, limit: i64) -> Result<Vec<(i64, TemplateRow)>, StoreError> {
        let rows = sqlx::query(
            "SELECT template_id, doc FROM agreement_templates WHERE template_id > $1 ORDER BY template_id LIMIT $2",
        )
        .bind(after.unwrap_or(-1))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((r.try_get("template_id")?, doc(r, "agreement_templates")?))).collect()
    }

    pub async fn template(&self, id: i64) -> Result<Option<TemplateRow>, StoreError> {
        let row = sqlx::query("SELECT doc FROM agreement_templates WHERE template_id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| doc(&r, "agreement_templates")).transpose()
    }

    /// Offers by id after `after`, filtered.
    pub async fn offers(
        &self,
        f: &OfferFilter,
        after: Option<i64>,
        limit: i64,
    ) -> Result<Vec<(i64, OfferRow)>, StoreError> {
        let mut q = QueryBuilder::<Postgres>::new("SELECT offer_id, doc FROM agreement_offers WHERE offer_id > ");
        q.push_bind(after.unwrap_or(-1));
        if let Some(v) = &f.provider {
            q.push(" AND provider = ").push_bind(v.clone());
        }
        if let Some(v) = &f.org_id {
            q.push(" AND org_id = ").push_bind(v.clone());
        }
        if let Some(v) = &f.service_id {
            q.push(" AND service_id = ").push_bind(v.clone());
        }
        if let Some(v) = f.active {
            q.push(" AND active = ").push_bind(v);
        }
        q.push(" ORDER BY offer_id LIMIT ").push_bind(limit);
        let rows = q.build().fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok((r.try_get("offer_id")?, doc(r, "agreement_offers")?))).collect()
    }

    pub async fn offer(&self, id: i64) -> Result<Option<OfferRow>, StoreError> {
        let row = sqlx::query("SELECT doc FROM agreement_offers WHERE offer_id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| doc(&r, "agreement_offers")).transpose()
    }

    /// Agreements in creation order after `after`, filtered.
    pub async fn agreements(
        &self,
        f: &AgreementFilter,
        after: Option<(i64, i32)>,
        limit: i64,
    ) -> Result<Vec<((i64, i32), AgreementRow)>, StoreError> {
        let (b, e) = after.unwrap_or((-1, -1));
        let mut q = QueryBuilder::<Postgres>::new(
            "SELECT created_block, created_event, doc FROM agreements WHERE (created_block, created_event) > (",
        );
        q.push_bind(b).push(", ").push_bind(e).push(")");
        for (column, value) in [
            ("consumer", &f.consumer),
            ("provider", &f.provider),
            ("org_id", &f.org_id),
            ("service_id", &f.service_id),
            ("state", &f.state),
        ] {
            if let Some(v) = value {
                q.push(format!(" AND {column} = ")).push_bind(v.clone());
            }
        }
        q.push(" ORDER BY created_block, created_event LIMIT ").push_bind(limit);
        let rows = q.build().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| Ok(((r.try_get("created_block")?, r.try_get("created_event")?), doc(r, "agreements")?)))
            .collect()
    }

    pub async fn agreement(&self, id: &[u8]) -> Result<Option<AgreementRow>, StoreError> {
        let row = sqlx::query("SELECT doc FROM agreements WHERE agreement_id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| doc(&r, "agreements")).transpose()
    }

    /// An agreement's settled metering records in chain order after `after`.
    pub async fn metering(
        &self,
        id: &[u8],
        after: Option<(i64, i32)>,
        limit: i64,
    ) -> Result<Vec<((i64, i32), MeteringRow)>, StoreError> {
        let (b, e) = after.unwrap_or((-1, -1));
        let rows = sqlx::query(
            "SELECT block_number, event_index, units, amount::text AS amount, paid::text AS paid FROM agreement_metering
             WHERE agreement_id = $1 AND (block_number, event_index) > ($2, $3) ORDER BY block_number, event_index LIMIT $4",
        )
        .bind(id)
        .bind(b)
        .bind(e)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let (block, index): (i64, i32) = (r.try_get("block_number")?, r.try_get("event_index")?);
                let row = MeteringRow {
                    agreement_id: crate::json::hex0x(id),
                    units: r.try_get::<i64, _>("units")? as u64,
                    amount: parse_planck(r.try_get("amount")?, "agreement_metering")?,
                    paid: parse_planck(r.try_get("paid")?, "agreement_metering")?,
                    block_number: block as u64,
                    event_index: index as u32,
                };
                Ok(((block, index), row))
            })
            .collect()
    }

    /// An account's balance in the agreements contract (0 when it has none).
    pub async fn agreement_balance(&self, account: &str) -> Result<u128, StoreError> {
        let row = sqlx::query("SELECT balance::text AS balance FROM agreement_balances WHERE account = $1")
            .bind(account)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => parse_planck(r.try_get("balance")?, "agreement_balances"),
            None => Ok(0),
        }
    }
}
