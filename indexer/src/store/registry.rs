//! The registry contract's rows: organizations, services and their groups.

use super::{created_at, parse_planck, to_i64, StoreError};
use crate::state::registry::Keys;
use crate::state::{GroupRow, OrgRow, ServiceRow, Snapshot};
use sqlx::{Postgres, QueryBuilder, Row, Transaction};

/// Loads the organizations and services `keys` name into `s` (`None` for those not mirrored).
pub(crate) async fn load(tx: &mut Transaction<'_, Postgres>, s: &mut Snapshot, keys: Keys) -> Result<(), StoreError> {
    if !keys.orgs.is_empty() {
        load_orgs(tx, s, keys.orgs.into_iter().collect()).await?;
    }
    if !keys.services.is_empty() {
        load_services(tx, s, keys.services.into_iter().unzip()).await?;
    }
    Ok(())
}

async fn load_orgs(tx: &mut Transaction<'_, Postgres>, s: &mut Snapshot, ids: Vec<String>) -> Result<(), StoreError> {
    s.orgs = ids.iter().map(|id| (id.clone(), None)).collect();
    let rows = sqlx::query(
        "SELECT org_id, owner, members, name, uri, content_hash, created_block, created_event FROM organizations WHERE org_id = ANY($1)",
    )
    .bind(&ids)
    .fetch_all(&mut **tx)
    .await?;
    for r in rows {
        let row = OrgRow {
            org_id: r.try_get("org_id")?,
            owner: r.try_get("owner")?,
            members: r.try_get("members")?,
            name: r.try_get("name")?,
            uri: r.try_get("uri")?,
            content_hash: r.try_get("content_hash")?,
            created: created_at(&r)?,
        };
        s.orgs.insert(row.org_id.clone(), Some(row));
    }
    Ok(())
}

async fn load_services(
    tx: &mut Transaction<'_, Postgres>,
    s: &mut Snapshot,
    (orgs, services): (Vec<String>, Vec<String>),
) -> Result<(), StoreError> {
    s.services = orgs.iter().cloned().zip(services.iter().cloned()).map(|k| (k, None)).collect();
    let rows = sqlx::query(
        "SELECT s.org_id, s.service_id, s.name, s.uri, s.content_hash, s.price_per_call::text AS price, s.created_block, s.created_event
         FROM services s JOIN UNNEST($1::text[], $2::text[]) AS k(org_id, service_id) USING (org_id, service_id)",
    )
    .bind(&orgs)
    .bind(&services)
    .fetch_all(&mut **tx)
    .await?;
    for r in rows {
        let row = ServiceRow {
            org_id: r.try_get("org_id")?,
            service_id: r.try_get("service_id")?,
            name: r.try_get("name")?,
            uri: r.try_get("uri")?,
            content_hash: r.try_get("content_hash")?,
            price_per_call: parse_planck(r.try_get("price")?, "services")?,
            groups: Vec::new(),
            created: created_at(&r)?,
        };
        s.services.insert((row.org_id.clone(), row.service_id.clone()), Some(row));
    }
    let rows = sqlx::query(
        "SELECT g.org_id, g.service_id, g.group_id, g.payment_recipient, g.endpoints
         FROM service_groups g JOIN UNNEST($1::text[], $2::text[]) AS k(org_id, service_id) USING (org_id, service_id)
         ORDER BY g.org_id, g.service_id, g.position",
    )
    .bind(&orgs)
    .bind(&services)
    .fetch_all(&mut **tx)
    .await?;
    for r in rows {
        let key = (r.try_get::<String, _>("org_id")?, r.try_get::<String, _>("service_id")?);
        if let Some(Some(service)) = s.services.get_mut(&key) {
            service.groups.push(GroupRow {
                group_id: r.try_get("group_id")?,
                payment_recipient: r.try_get("payment_recipient")?,
                endpoints: r.try_get("endpoints")?,
            });
        }
    }
    Ok(())
}

/// Writes `s`'s organizations and services back: deletes what is gone, upserts what exists.
pub(crate) async fn write(tx: &mut Transaction<'_, Postgres>, s: &Snapshot, block: i64) -> Result<(), StoreError> {
    let gone: Vec<&String> = s.orgs.iter().filter(|(_, v)| v.is_none()).map(|(k, _)| k).collect();
    if !gone.is_empty() {
        sqlx::query("DELETE FROM organizations WHERE org_id = ANY($1)").bind(gone).execute(&mut **tx).await?;
    }
    let orgs: Vec<&OrgRow> = s.orgs.values().flatten().collect();
    if !orgs.is_empty() {
        let mut q = QueryBuilder::<Postgres>::new(
            "INSERT INTO organizations (org_id, owner, members, name, uri, content_hash, created_block, created_event, updated_block) ",
        );
        q.push_values(orgs, |mut b, o| {
            b.push_bind(&o.org_id)
                .push_bind(&o.owner)
                .push_bind(&o.members)
                .push_bind(&o.name)
                .push_bind(&o.uri)
                .push_bind(&o.content_hash)
                .push_bind(to_i64(o.created.0))
                .push_bind(o.created.1 as i32)
                .push_bind(block);
        });
        q.push(
            " ON CONFLICT (org_id) DO UPDATE SET owner = EXCLUDED.owner, members = EXCLUDED.members, name = EXCLUDED.name,
              uri = EXCLUDED.uri, content_hash = EXCLUDED.content_hash, updated_block = EXCLUDED.updated_block",
        );
        q.build().execute(&mut **tx).await?;
    }

    // Services: delete every touched one's groups (and the deleted services), then write what exists.
    if !s.services.is_empty() {
        let (orgs, ids): (Vec<String>, Vec<String>) = s.services.keys().cloned().unzip();
        sqlx::query(
            "DELETE FROM service_groups g USING UNNEST($1::text[], $2::text[]) AS k(org_id, service_id)
             WHERE g.org_id = k.org_id AND g.service_id = k.service_id",
        )
        .bind(&orgs)
        .bind(&ids)
        .execute(&mut **tx)
        .await?;
        let (gone_orgs, gone_ids): (Vec<String>, Vec<String>) =
            s.services.iter().filter(|(_, v)| v.is_none()).map(|(k, _)| k.clone()).unzip();
        if !gone_orgs.is_empty() {
            sqlx::query(
                "DELETE FROM services s USING UNNEST($1::text[], $2::text[]) AS k(org_id, service_id)
                 WHERE s.org_id = k.org_id AND s.service_id = k.service_id",
            )
            .bind(&gone_orgs)
            .bind(&gone_ids)
            .execute(&mut **tx)
            .await?;
        }
    }
    let services: Vec<&ServiceRow> = s.services.values().flatten().collect();
    if !services.is_empty() {
        let mut q = QueryBuilder::<Postgres>::new(
            "INSERT INTO services (org_id, service_id, name, uri, content_hash, price_per_call, created_block, created_event, updated_block) ",
        );
        q.push_values(&services, |mut b, v| {
            b.push_bind(&v.org_id)
                .push_bind(&v.service_id)
                .push_bind(&v.name)
                .push_bind(&v.uri)
                .push_bind(&v.content_hash)
                .push_bind(v.price_per_call.to_string())
                .push_unseparated("::numeric")
                .push_bind(to_i64(v.created.0))
                .push_bind(v.created.1 as i32)
                .push_bind(block);
        });
        q.push(
            " ON CONFLICT (org_id, service_id) DO UPDATE SET name = EXCLUDED.name, uri = EXCLUDED.uri,
              content_hash = EXCLUDED.content_hash, price_per_call = EXCLUDED.price_per_call, updated_block = EXCLUDED.updated_block",
        );
        q.build().execute(&mut **tx).await?;
        let groups: Vec<(&ServiceRow, usize, &GroupRow)> =
            services.iter().flat_map(|v| v.groups.iter().enumerate().map(move |(i, g)| (*v, i, g))).collect();
        if !groups.is_empty() {
            let mut q = QueryBuilder::<Postgres>::new(
                "INSERT INTO service_groups (org_id, service_id, group_id, position, payment_recipient, endpoints) ",
            );
            q.push_values(groups, |mut b, (v, i, g)| {
                b.push_bind(&v.org_id)
                    .push_bind(&v.service_id)
                    .push_bind(&g.group_id)
                    .push_bind(i as i32)
                    .push_bind(&g.payment_recipient)
                    .push_bind(&g.endpoints);
            });
            q.build().execute(&mut **tx).await?;
        }
    }
    Ok(())
}
