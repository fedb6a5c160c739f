//! The API's reads of the mirror. Pages are keyed on a unique sort key so that a
//! cursor resumes exactly after the last row returned.

use super::{escrow::channel_row, parse_planck, Store, StoreError};
use crate::api::models::{AgreementCounts, Channel, Event, Group, Organization, Reputation, Service, ServiceDetails};
use crate::api::params::ServiceCursor;
use crate::json::hex0x;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row};

/// Position of a row in creation order: (block, event index).
/// The columns of a reputation row `r` ([`reputation`] reads them; all NULL before the
/// first computation).
/// Whether service `s` is a storage node: a ddc node of its organization's owner answers at
/// one of its endpoints (the link reputation.rs counts buckets served by).
macro_rules! storage_node {
    () => {
        "EXISTS (SELECT 1 FROM service_groups g JOIN organizations o USING (org_id),
                 unnest(g.endpoints) AS e(endpoint)
            JOIN ddc_nodes n ON rtrim(n.doc->>'url', '/') = rtrim(e.endpoint, '/')
            WHERE g.org_id = s.org_id AND g.service_id = s.service_id AND n.owner = o.owner)"
    };
}

macro_rules! reputation_columns {
    () => {
        "r.consumers, r.channels, r.claimed::text AS claimed, r.agreements_active, r.agreements_fulfilled,
    r.agreements_refunded, r.agreements_terminated, r.buckets_served, r.uptime_24h, r.uptime_30d,
    to_char(r.last_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS last_seen,
    to_char(r.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS reputation_at"
    };
}

pub type CreatedKey = (i64, i32);

/// What a services list keeps: one organization's, those matching a search, a tag, a kind.
#[derive(Debug, Default, Clone)]
pub struct ServiceFilter {
    pub org_id: Option<String>,
    /// Web-search syntax, matched against names and ids, tags and descriptions.
    pub search: Option<String>,
    pub tag: Option<String>,
    pub kind: Option<ServiceKind>,
    /// The order asked for; with a search and none asked, by rank.
    pub sort: Option<ServiceSort>,
}

impl ServiceFilter {
    /// The order the list comes in.
    pub fn sort(&self) -> ServiceSort {
        match (self.sort, &self.search) {
            (Some(sort), _) => sort,
            (None, Some(_)) => ServiceSort::Rank,
            (None, None) => ServiceSort::Created,
        }
    }
}

/// The order of a services list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceSort {
    /// Creation order (the default without a search).
    Created,
    /// Best match of the search first (the default with one; without one, creation order).
    Rank,
    /// Lowest price per call first.
    Price,
    /// Most distinct consumers first.
    Consumers,
    /// Highest uptime over 30 days first.
    Uptime,
}

impl ServiceSort {
    /// The names as the `sort` parameter takes them.
    pub const NAMES: [&'static str; 3] = ["price", "uptime", "consumers"];

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "price" => Some(Self::Price),
            "uptime" => Some(Self::Uptime),
            "consumers" => Some(Self::Consumers),
            _ => None,
        }
    }

    /// `None` for creation order, else whether the key sorts descending.
    fn descending(self) -> Option<bool> {
        match self {
            Self::Created => None,
            Self::Price => Some(false),
            Self::Rank | Self::Consumers | Self::Uptime => Some(true),
        }
    }
}

/// What a service sells, by its gateway's service type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceKind {
    /// Paid calls: `grpc`, `jsonrpc` and `process` gateways that are not storage nodes.
    Calls,
    /// Compute jobs under agreements: `job` gateways.
    Jobs,
    /// Storage: a ddc node's url is one of its endpoints (its gateway serves buckets).
    Storage,
}

impl ServiceKind {
    /// The names as the `type` parameter takes them.
    pub const NAMES: [&'static str; 3] = ["calls", "jobs", "storage"];

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "calls" => Some(Self::Calls),
            "jobs" => Some(Self::Jobs),
            "storage" => Some(Self::Storage),
            _ => None,
        }
    }

    /// The condition on a row of [`SERVICE_TABLES`] that keeps services of this kind.
    fn condition(self) -> &'static str {
        match self {
            Self::Calls => {
                concat!(" AND d.service_type IN ('grpc', 'jsonrpc', 'process') AND NOT ", storage_node!())
            }
            Self::Jobs => " AND d.service_type = 'job'",
            Self::Storage => concat!(" AND ", storage_node!()),
        }
    }
}

/// Filters of the channel list (all optional, combined with AND).
#[derive(Debug, Default)]
pub struct ChannelFilter {
    pub sender: Option<String>,
    pub recipient: Option<String>,
    pub signer: Option<Vec<u8>>,
    pub group_id: Option<String>,
}

/// Filters of the event log.
#[derive(Debug, Default)]
pub struct EventFilter {
    /// Emitting contract, SS58.
    pub contract: Option<String>,
    pub event_name: Option<String>,
    pub from_block: Option<i64>,
    pub to_block: Option<i64>,
}

const ORG_COLUMNS: &str = concat!(
    "o.org_id, o.owner, o.members, o.name, o.uri, o.content_hash, o.created_block, o.created_event, o.updated_block,
    ARRAY(SELECT s.service_id FROM services s WHERE s.org_id = o.org_id ORDER BY s.created_block, s.created_event) AS services, ",
    reputation_columns!()
);

/// The tables an organization row is read from: the mirror's, with its reputation.
const ORG_TABLES: &str = "organizations o LEFT JOIN organization_reputation r USING (org_id)";

fn org(r: &PgRow) -> Result<Organization, StoreError> {
    Ok(Organization {
        id: r.try_get("org_id")?,
        owner: r.try_get("owner")?,
        members: r.try_get("members")?,
        name: r.try_get("name")?,
        uri: r.try_get("uri")?,
        content_hash: hex0x(&r.try_get::<Vec<u8>, _>("content_hash")?),
        services: r.try_get("services")?,
        created_block: r.try_get::<i64, _>("created_block")? as u64,
        updated_block: r.try_get::<i64, _>("updated_block")? as u64,
        reputation: reputation(r)?,
    })
}

/// The tables a service row is read from: the mirror's, with its details and reputation.
const SERVICE_TABLES: &str = "services s LEFT JOIN service_documents d USING (org_id, service_id)
    LEFT JOIN service_reputation r USING (org_id, service_id)";

const SERVICE_COLUMNS: &str = concat!(
    "s.org_id, s.service_id, s.name, s.uri, s.content_hash, s.price_per_call::text AS price,
    s.created_block, s.created_event, s.updated_block,
    d.status, d.service_type, d.document, d.detail,
    to_char(d.checked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS checked_at, ",
    reputation_columns!(),
    ", COALESCE((SELECT json_agg(json_build_object('id', g.group_id, 'payment_recipient', g.payment_recipient, 'endpoints', g.endpoints)
              ORDER BY g.position) FROM service_groups g WHERE g.org_id = s.org_id AND g.service_id = s.service_id), '[]') AS groups"
);

/// A reputation from [`reputation_columns`].
fn reputation(r: &PgRow) -> Result<Reputation, StoreError> {
    let count = |column: &str| -> Result<u64, StoreError> {
        Ok(r.try_get::<Option<i64>, _>(column)?.map_or(0, |n| u64::try_from(n).unwrap_or(0)))
    };
    let claimed: Option<String> = r.try_get("claimed")?;
    Ok(Reputation {
        consumers: count("consumers")?,
        channels: count("channels")?,
        claimed: claimed
            .map(|c| parse_planck(&c, "reputation").map(|p| p.to_string()))
            .transpose()?
            .unwrap_or("0".into()),
        agreements: AgreementCounts {
            active: count("agreements_active")?,
            fulfilled: count("agreements_fulfilled")?,
            refunded: count("agreements_refunded")?,
            terminated: count("agreements_terminated")?,
        },
        buckets_served: count("buckets_served")?,
        uptime_24h: r.try_get("uptime_24h")?,
        uptime_30d: r.try_get("uptime_30d")?,
        last_seen: r.try_get("last_seen")?,
        updated_at: r.try_get("reputation_at")?,
    })
}

/// A service's details from its `service_documents` columns (all NULL before the first check).
fn details(r: &PgRow) -> Result<ServiceDetails, StoreError> {
    let status: Option<String> = r.try_get("status")?;
    let document: Option<serde_json::Value> = r.try_get("document")?;
    let document: Option<osiris_gateway_client::document::ServiceDocument> =
        document.map(serde_json::from_value).transpose().map_err(|_| StoreError::Corrupt("service_documents"))?;
    Ok(ServiceDetails {
        status: status.unwrap_or_else(|| "unchecked".into()),
        service_type: r.try_get("service_type")?,
        tags: document.as_ref().map(|d| d.tags.clone()).unwrap_or_default(),
        docs_url: document.as_ref().and_then(|d| d.docs_url.clone()),
        contact: document.as_ref().and_then(|d| d.contact.clone()),
        image_url: document.as_ref().and_then(|d| d.image_url.clone()),
        description: document.map(|d| d.description),
        detail: r.try_get("detail")?,
        checked_at: r.try_get("checked_at")?,
    })
}

fn service(r: &PgRow) -> Result<Service, StoreError> {
    let groups: serde_json::Value = r.try_get("groups")?;
    let groups = groups
        .as_array()
        .ok_or(StoreError::Corrupt("service_groups"))?
        .iter()
        .map(|g| Group {
            id: g["id"].as_str().unwrap_or_default().to_string(),
            payment_recipient: g["payment_recipient"].as_str().unwrap_or_default().to_string(),
            endpoints: g["endpoints"]
                .as_array()
                .map(|a| a.iter().filter_map(|e| e.as_str().map(str::to_string)).collect())
                .unwrap_or_default(),
        })
        .collect();
    Ok(Service {
        org_id: r.try_get("org_id")?,
        id: r.try_get("service_id")?,
        name: r.try_get("name")?,
        uri: r.try_get("uri")?,
        content_hash: hex0x(&r.try_get::<Vec<u8>, _>("content_hash")?),
        price_per_call: {
            let price: String = r.try_get("price")?;
            parse_planck(&price, "services")?.to_string()
        },
        groups,
        details: details(r)?,
        reputation: reputation(r)?,
        created_block: r.try_get::<i64, _>("created_block")? as u64,
        updated_block: r.try_get::<i64, _>("updated_block")? as u64,
    })
}

/// A channel row as the API shows it (the row is read as ingestion reads it).
fn channel(r: &PgRow) -> Result<Channel, StoreError> {
    let c = channel_row(r)?;
    Ok(Channel {
        id: c.channel_id.0,
        sender: c.sender,
        recipient: c.recipient,
        signer: hex0x(&c.signer),
        group_id: c.group_id,
        value: c.value.to_string(),
        nonce: c.nonce.0,
        expiration: u64::from(c.expiration),
        opened_block: c.opened_block,
        updated_block: r.try_get::<i64, _>("updated_block")? as u64,
    })
}

const CHANNEL_COLUMNS: &str =
    "channel_id, sender, recipient, signer, group_id, value::text AS value, nonce, expiration, opened_block, updated_block";

fn event(r: &PgRow) -> Result<Event, StoreError> {
    Ok(Event {
        block_number: r.try_get::<i64, _>("block_number")? as u64,
        event_index: r.try_get::<i32, _>("event_index")? as u32,
        block_hash: hex0x(&r.try_get::<Vec<u8>, _>("block_hash")?),
        extrinsic_index: r.try_get::<Option<i32>, _>("extrinsic_index")?.map(|i| i as u32),
        contract: r.try_get("contract")?,
        contract_name: r.try_get("contract_name")?,
        event_name: r.try_get("event_name")?,
        fields: r.try_get("fields")?,
        topics: r.try_get::<Vec<Vec<u8>>, _>("topics")?.iter().map(|t| hex0x(t)).collect(),
        data: hex0x(&r.try_get::<Vec<u8>, _>("data")?),
    })
}

impl Store {
    /// Organizations in creation order after `after`; returns `limit` rows at most and each row's key.
    pub async fn organizations(
        &self,
        after: Option<CreatedKey>,
        limit: i64,
    ) -> Result<Vec<(CreatedKey, Organization)>, StoreError> {
        let (b, e) = after.unwrap_or((-1, -1));
        let rows = sqlx::query(&format!(
            "SELECT {ORG_COLUMNS} FROM {ORG_TABLES} WHERE (o.created_block, o.created_event) > ($1, $2)
             ORDER BY o.created_block, o.created_event LIMIT $3"
        ))
        .bind(b)
        .bind(e)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok(((r.try_get("created_block")?, r.try_get("created_event")?), org(r)?))).collect()
    }

    pub async fn organization(&self, org_id: &str) -> Result<Option<Organization>, StoreError> {
        let row = sqlx::query(&format!("SELECT {ORG_COLUMNS} FROM {ORG_TABLES} WHERE o.org_id = $1"))
            .bind(org_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(org).transpose()
    }

    /// Services in creation order, optionally of one organization.
    /// Services matching `filter`, after `after`, in `filter.sort`'s order: creation
    /// order, or by a key (best rank, lowest price, most consumers, highest 30-day uptime)
    /// then creation order. Keys are integers (`ts_rank` × 10⁶, planck, count, uptime in
    /// hundredths of a percent × 100), so that pages are exact.
    pub async fn services(
        &self,
        filter: &ServiceFilter,
        after: Option<ServiceCursor>,
        limit: i64,
    ) -> Result<Vec<(ServiceCursor, Service)>, StoreError> {
        let sort = filter.sort();
        let mut q = QueryBuilder::<Postgres>::new(format!(
            "SELECT *, x.sort_key::text AS sort_text FROM (SELECT {SERVICE_COLUMNS}, "
        ));
        match (sort, &filter.search) {
            (ServiceSort::Rank, Some(text)) => {
                q.push("(ts_rank(d.search, websearch_to_tsquery('english', ")
                    .push_bind(text)
                    .push(")) * 1000000)::bigint::numeric AS sort_key");
            }
            (ServiceSort::Price, _) => drop(q.push("s.price_per_call AS sort_key")),
            (ServiceSort::Consumers, _) => drop(q.push("COALESCE(r.consumers, 0)::numeric AS sort_key")),
            (ServiceSort::Uptime, _) => drop(q.push("COALESCE(round(r.uptime_30d * 10000), 0)::numeric AS sort_key")),
            _ => drop(q.push("0::numeric AS sort_key")),
        }
        q.push(format!(" FROM {SERVICE_TABLES} WHERE TRUE"));
        if let Some(org_id) = &filter.org_id {
            q.push(" AND s.org_id = ").push_bind(org_id);
        }
        if let Some(text) = &filter.search {
            q.push(" AND d.search @@ websearch_to_tsquery('english', ").push_bind(text).push(")");
        }
        if let Some(tag) = &filter.tag {
            q.push(" AND d.document -> 'tags' ? ").push_bind(tag);
        }
        if let Some(kind) = filter.kind {
            q.push(kind.condition());
        }
        q.push(") x WHERE ");
        let (b, e) = after.as_ref().map_or((-1, -1), ServiceCursor::position);
        match (sort.descending(), &after) {
            (None, _) | (Some(_), None) => {
                q.push("(x.created_block, x.created_event) > (").push_bind(b).push(", ").push_bind(e).push(")");
            }
            (Some(descending), Some(cursor)) => {
                // A position cursor given to a sorted list starts at its top.
                let key = match cursor {
                    ServiceCursor::Keyed(key, _, _) => key.clone(),
                    ServiceCursor::Position(..) => (if descending { "Infinity" } else { "-Infinity" }).to_string(),
                };
                q.push(if descending { "(x.sort_key < " } else { "(x.sort_key > " });
                q.push_bind(key.clone()).push("::numeric OR (x.sort_key = ").push_bind(key).push("::numeric");
                q.push(" AND (x.created_block, x.created_event) > (").push_bind(b).push(", ").push_bind(e).push(")))");
            }
        }
        q.push(match sort.descending() {
            None => " ORDER BY x.created_block, x.created_event LIMIT ",
            Some(true) => " ORDER BY x.sort_key DESC, x.created_block, x.created_event LIMIT ",
            Some(false) => " ORDER BY x.sort_key, x.created_block, x.created_event LIMIT ",
        });
        q.push_bind(limit);
        let rows = q.build().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                let (b, e) = (r.try_get("created_block")?, r.try_get("created_event")?);
                let cursor = match sort.descending() {
                    None => ServiceCursor::Position(b, e),
                    Some(_) => {
                        let key: String = r.try_get("sort_text")?;
                        ServiceCursor::Keyed(key, b, e)
                    }
                };
                Ok((cursor, service(r)?))
            })
            .collect()
    }

    pub async fn service(&self, org_id: &str, service_id: &str) -> Result<Option<Service>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {SERVICE_COLUMNS} FROM {SERVICE_TABLES} WHERE s.org_id = $1 AND s.service_id = $2"
        ))
        .bind(org_id)
        .bind(service_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(service).transpose()
    }

    /// Channels by id, filtered, after channel id `after`.
    pub async fn channels(
        &self,
        filter: &ChannelFilter,
        after: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Channel>, StoreError> {
        let mut q =
            QueryBuilder::<Postgres>::new(format!("SELECT {CHANNEL_COLUMNS} FROM channels WHERE channel_id > "));
        q.push_bind(after.unwrap_or(-1));
        if let Some(v) = &filter.sender {
            q.push(" AND sender = ").push_bind(v);
        }
        if let Some(v) = &filter.recipient {
            q.push(" AND recipient = ").push_bind(v);
        }
        if let Some(v) = &filter.signer {
            q.push(" AND signer = ").push_bind(v);
        }
        if let Some(v) = &filter.group_id {
            q.push(" AND group_id = ").push_bind(v);
        }
        q.push(" ORDER BY channel_id LIMIT ").push_bind(limit);
        q.build().fetch_all(&self.pool).await?.iter().map(channel).collect()
    }

    pub async fn channel(&self, channel_id: i64) -> Result<Option<Channel>, StoreError> {
        let row = sqlx::query(&format!("SELECT {CHANNEL_COLUMNS} FROM channels WHERE channel_id = $1"))
            .bind(channel_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(channel).transpose()
    }

    /// Escrow balance in planck (0 for an account the mirror has never seen).
    pub async fn balance(&self, account: &str) -> Result<u128, StoreError> {
        let row = sqlx::query("SELECT balance::text AS balance FROM escrow_balances WHERE account = $1")
            .bind(account)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => parse_planck(r.try_get("balance")?, "escrow_balances"),
            None => Ok(0),
        }
    }

    /// Events in chain order after position `after`.
    pub async fn events(
        &self,
        filter: &EventFilter,
        after: Option<CreatedKey>,
        limit: i64,
    ) -> Result<Vec<Event>, StoreError> {
        let (b, e) = after.unwrap_or((-1, -1));
        let mut q = QueryBuilder::<Postgres>::new("SELECT * FROM events WHERE (block_number, event_index) > (");
        q.push_bind(b).push(", ").push_bind(e).push(")");
        if let Some(v) = &filter.contract {
            q.push(" AND contract = ").push_bind(v);
        }
        if let Some(v) = &filter.event_name {
            q.push(" AND event_name = ").push_bind(v);
        }
        if let Some(v) = filter.from_block {
            q.push(" AND block_number >= ").push_bind(v);
        }
        if let Some(v) = filter.to_block {
            q.push(" AND block_number <= ").push_bind(v);
        }
        q.push(" ORDER BY block_number, event_index LIMIT ").push_bind(limit);
        q.build().fetch_all(&self.pool).await?.iter().map(event).collect()
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}
