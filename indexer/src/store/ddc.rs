//! Loading and writing the ddc contract's rows for one block (multi-row statements, as for
//! the other contracts), and the API's reads of them.

use super::{created_at, doc, json, parse_planck, Store, StoreError};
use crate::decode::{DdcEvent, OsirisEvent};
use crate::state::ddc::{self, BucketRow, ClusterRow, Keys, NodeRow};
use crate::state::Snapshot;
use serde::de::DeserializeOwned;
use sqlx::{Postgres, QueryBuilder, Row, Transaction};
use std::collections::{HashMap, HashSet};

/// Loads `ids` of `table` (keyed by `id_column`) as documents, each set `None` first.
async fn load_docs<T: DeserializeOwned, Id: Copy + Eq + std::hash::Hash + From<u32> + Into<u32>>(
    tx: &mut Transaction<'_, Postgres>,
    table: &'static str,
    id_column: &'static str,
    ids: &HashSet<Id>,
    into: &mut HashMap<Id, Option<T>>,
    set_created: impl Fn(&mut T, crate::state::Position),
    id_of: impl Fn(&T) -> Id,
) -> Result<(), StoreError> {
    let wanted: Vec<i64> = ids.iter().filter(|id| !into.contains_key(id)).map(|id| i64::from((*id).into())).collect();
    if wanted.is_empty() {
        return Ok(());
    }
    for id in &wanted {
        into.insert(Id::from(*id as u32), None);
    }
    let sql = format!("SELECT doc, created_block, created_event FROM {table} WHERE {id_column} = ANY($1)");
    let rows = sqlx::query(&sql).bind(&wanted).fetch_all(&mut **tx).await?;
    for r in rows {
        let mut row: T = doc(&r, table)?;
        set_created(&mut row, created_at(&r)?);
        into.insert(id_of(&row), Some(row));
    }
    Ok(())
}

/// Loads the nodes, clusters, buckets, deposits and trust the block's events touch:
/// buckets first (an allocation reaches its cluster), then clusters (a reservation reaches
/// their nodes, a distribution their manager), then nodes and deposits.
pub(crate) async fn load(
    tx: &mut Transaction<'_, Postgres>,
    s: &mut Snapshot,
    mut keys: Keys,
    events: &[OsirisEvent],
) -> Result<(), StoreError> {
    if keys.is_empty() {
        return Ok(());
    }
    let ours: Vec<&DdcEvent> = events
        .iter()
        .filter_map(|e| match e {
            OsirisEvent::Ddc(ev) => Some(ev),
            _ => None,
        })
        .collect();
    load_docs(tx, "ddc_buckets", "bucket_id", &keys.buckets, &mut s.ddc_buckets, |r, c| r.created = c, |r| r.bucket_id)
        .await?;
    keys.clusters.extend(ddc::clusters_of_buckets(s));
    load_docs(
        tx,
        "ddc_clusters",
        "cluster_id",
        &keys.clusters,
        &mut s.ddc_clusters,
        |r, c| r.created = c,
        |r| r.cluster_id,
    )
    .await?;
    let (nodes, accounts) = ddc::nodes_and_accounts_of_clusters(&ours, s);
    keys.nodes.extend(nodes);
    keys.accounts.extend(accounts);
    load_docs(tx, "ddc_nodes", "node_id", &keys.nodes, &mut s.ddc_nodes, |r, c| r.created = c, |r| r.node_id).await?;
    if !keys.accounts.is_empty() {
        let accounts: Vec<String> = keys.accounts.into_iter().collect();
        let rows = sqlx::query("SELECT account, deposit::text AS deposit FROM ddc_accounts WHERE account = ANY($1)")
            .bind(&accounts)
            .fetch_all(&mut **tx)
            .await?;
        let mut found: HashMap<String, u128> = HashMap::new();
        for r in rows {
            found.insert(r.try_get("account")?, parse_planck(r.try_get("deposit")?, "ddc_accounts")?);
        }
        // Accounts without a row are created by the block (deposit 0 until its events say).
        for account in accounts {
            let deposit = found.get(&account).copied();
            s.ddc_deposits.insert(account, deposit.unwrap_or(0));
        }
    }
    // Trust is written as the events say, whatever it was before: nothing to load.
    Ok(())
}

/// Writes back what the block changed: upserts every touched row; trust rows are inserted
/// or deleted.
pub(crate) async fn write(tx: &mut Transaction<'_, Postgres>, s: &Snapshot, block: i64) -> Result<(), StoreError> {
    let nodes: Vec<&NodeRow> = s.ddc_nodes.values().flatten().collect();
    if !nodes.is_empty() {
        let mut q = QueryBuilder::<Postgres>::new(
            "INSERT INTO ddc_nodes (node_id, owner, doc, created_block, created_event, updated_block) ",
        );
        q.push_values(nodes, |mut b, n| {
            b.push_bind(i64::from(n.node_id.0))
                .push_bind(&n.owner)
                .push_bind(json(n))
                .push_bind(n.created.0 as i64)
                .push_bind(n.created.1 as i32)
                .push_bind(block);
        });
        q.push(" ON CONFLICT (node_id) DO UPDATE SET doc = EXCLUDED.doc, updated_block = EXCLUDED.updated_block");
        q.build().execute(&mut **tx).await?;
    }
    let clusters: Vec<&ClusterRow> = s.ddc_clusters.values().flatten().collect();
    if !clusters.is_empty() {
        let mut q = QueryBuilder::<Postgres>::new(
            "INSERT INTO ddc_clusters (cluster_id, manager, doc, created_block, created_event, updated_block) ",
        );
        q.push_values(clusters, |mut b, c| {
            b.push_bind(i64::from(c.cluster_id.0))
                .push_bind(&c.manager)
                .push_bind(json(c))
                .push_bind(c.created.0 as i64)
                .push_bind(c.created.1 as i32)
                .push_bind(block);
        });
        q.push(" ON CONFLICT (cluster_id) DO UPDATE SET manager = EXCLUDED.manager, doc = EXCLUDED.doc, updated_block = EXCLUDED.updated_block");
        q.build().execute(&mut **tx).await?;
    }
    let buckets: Vec<&BucketRow> = s.ddc_buckets.values().flatten().collect();
    if !buckets.is_empty() {
        let mut q = QueryBuilder::<Postgres>::new(
            "INSERT INTO ddc_buckets (bucket_id, owner, cluster_id, doc, created_block, created_event, updated_block) ",
        );
        q.push_values(buckets, |mut b, r| {
            b.push_bind(i64::from(r.bucket_id.0))
                .push_bind(&r.owner)
                .push_bind(i64::from(r.cluster_id.0))
                .push_bind(json(r))
                .push_bind(r.created.0 as i64)
                .push_bind(r.created.1 as i32)
                .push_bind(block);
        });
        q.push(" ON CONFLICT (bucket_id) DO UPDATE SET doc = EXCLUDED.doc, updated_block = EXCLUDED.updated_block");
        q.build().execute(&mut **tx).await?;
    }
    if !s.ddc_deposits.is_empty() {
        let mut q = QueryBuilder::<Postgres>::new("INSERT INTO ddc_accounts (account, deposit, updated_block) ");
        q.push_values(&s.ddc_deposits, |mut b, (account, deposit)| {
            b.push_bind(account).push_bind(deposit.to_string()).push_unseparated("::numeric").push_bind(block);
        });
        q.push(
            " ON CONFLICT (account) DO UPDATE SET deposit = EXCLUDED.deposit, updated_block = EXCLUDED.updated_block",
        );
        q.build().execute(&mut **tx).await?;
    }
    for ((provider, manager), trusted) in &s.ddc_trust {
        let sql = if *trusted {
            "INSERT INTO ddc_trust (provider, manager, updated_block) VALUES ($1, $2, $3)
             ON CONFLICT (provider, manager) DO UPDATE SET updated_block = EXCLUDED.updated_block"
        } else {
            "DELETE FROM ddc_trust WHERE provider = $1 AND manager = $2 AND $3::bigint IS NOT NULL"
        };
        sqlx::query(sql).bind(provider).bind(manager).bind(block).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Filters of the ddc lists (combined with AND; each list uses the ones that apply).
#[derive(Debug, Default)]
pub struct DdcFilter {
    pub owner: Option<String>,
    pub manager: Option<String>,
    pub cluster_id: Option<i64>,
}

/// A ddc account as the API returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DdcAccount {
    pub deposit: u128,
    pub buckets: Vec<u32>,
    /// Managers this account (as a provider) trusts.
    pub trusts: Vec<String>,
}

impl Store {
    /// Nodes by id after `after`, filtered by owner.
    pub async fn ddc_nodes(&self, f: &DdcFilter, after: Option<i64>, limit: i64) -> Result<Vec<NodeRow>, StoreError> {
        let mut q = QueryBuilder::<Postgres>::new("SELECT doc FROM ddc_nodes WHERE node_id > ");
        q.push_bind(after.unwrap_or(-1));
        if let Some(v) = &f.owner {
            q.push(" AND owner = ").push_bind(v.clone());
        }
        q.push(" ORDER BY node_id LIMIT ").push_bind(limit);
        q.build().fetch_all(&self.pool).await?.iter().map(|r| doc(r, "ddc_nodes")).collect()
    }

    pub async fn ddc_node(&self, id: i64) -> Result<Option<NodeRow>, StoreError> {
        let row =
            sqlx::query("SELECT doc FROM ddc_nodes WHERE node_id = $1").bind(id).fetch_optional(&self.pool).await?;
        row.map(|r| doc(&r, "ddc_nodes")).transpose()
    }

    /// Clusters by id after `after`, filtered by manager.
    pub async fn ddc_clusters(
        &self,
        f: &DdcFilter,
        after: Option<i64>,
        limit: i64,
    ) -> Result<Vec<ClusterRow>, StoreError> {
        let mut q = QueryBuilder::<Postgres>::new("SELECT doc FROM ddc_clusters WHERE cluster_id > ");
        q.push_bind(after.unwrap_or(-1));
        if let Some(v) = &f.manager {
            q.push(" AND manager = ").push_bind(v.clone());
        }
        q.push(" ORDER BY cluster_id LIMIT ").push_bind(limit);
        q.build().fetch_all(&self.pool).await?.iter().map(|r| doc(r, "ddc_clusters")).collect()
    }

    pub async fn ddc_cluster(&self, id: i64) -> Result<Option<ClusterRow>, StoreError> {
        let row = sqlx::query("SELECT doc FROM ddc_clusters WHERE cluster_id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| doc(&r, "ddc_clusters")).transpose()
    }

    /// Buckets by id after `after`, filtered by owner and cluster.
    pub async fn ddc_buckets(
        &self,
        f: &DdcFilter,
        after: Option<i64>,
        limit: i64,
    ) -> Result<Vec<BucketRow>, StoreError> {
        let mut q = QueryBuilder::<Postgres>::new("SELECT doc FROM ddc_buckets WHERE bucket_id > ");
        q.push_bind(after.unwrap_or(-1));
        if let Some(v) = &f.owner {
            q.push(" AND owner = ").push_bind(v.clone());
        }
        if let Some(v) = f.cluster_id {
            q.push(" AND cluster_id = ").push_bind(v);
        }
        q.push(" ORDER BY bucket_id LIMIT ").push_bind(limit);
        q.build().fetch_all(&self.pool).await?.iter().map(|r| doc(r, "ddc_buckets")).collect()
    }

    /// An account's deposit, the buckets it owns and the managers it trusts.
    pub async fn ddc_account(&self, account: &str) -> Result<DdcAccount, StoreError> {
        let row = sqlx::query(
            "SELECT (SELECT deposit::text FROM ddc_accounts WHERE account = $1) AS deposit,
                    ARRAY(SELECT bucket_id FROM ddc_buckets WHERE owner = $1 ORDER BY bucket_id) AS buckets,
                    ARRAY(SELECT manager FROM ddc_trust WHERE provider = $1 ORDER BY manager) AS trusts",
        )
        .bind(account)
        .fetch_one(&self.pool)
        .await?;
        let deposit: Option<String> = row.try_get("deposit")?;
        let buckets: Vec<i64> = row.try_get("buckets")?;
        Ok(DdcAccount {
            deposit: deposit.map(|d| parse_planck(&d, "ddc_accounts")).transpose()?.unwrap_or(0),
            buckets: buckets.into_iter().map(|b| b as u32).collect(),
            trusts: row.try_get("trusts")?,
        })
    }
}
