//! Where the consumer finds what is for sale: services with their prices, instance
//! groups and gateway endpoints, the payment channels a payment key can pay from, and the
//! nodes of a ddc bucket's cluster.
//!
//! Read from the indexer's REST API when one is configured (`--indexer`,
//! `OSIRIS_INDEXER_URL`: one request per question), otherwise from the contracts on chain
//! (the registry's queries; channels by scanning the escrow's channel ids, which is slow
//! on a big chain and meant for a dev chain without an indexer).

use crate::context::{Connected, GlobalArgs};
use anyhow::{bail, Context, Result};
use osiris_chain::types::ddc::{BucketId, NodeId};
use osiris_chain::types::SignerKey;
use osiris_chain::{account::from_ink, AccountId, Balance, BlockNumber, ChannelId, Nonce};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// How long the indexer may take to accept a connection.
pub const INDEXER_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long one indexer request may take in all.
pub const INDEXER_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest page the indexer serves.
const INDEXER_PAGE: u32 = 500;

/// A service for sale, as the registry lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub org_id: String,
    pub service_id: String,
    pub name: String,
    /// Planck per call.
    pub price_per_call: Balance,
    /// blake2-256 of the service's API document (its proto files); services of the same
    /// API share it, which is how replicas of one API find each other.
    pub content_hash: [u8; 32],
    pub groups: Vec<GroupListing>,
}

/// An instance group: the gateways that share one payment recipient (and one payment state).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupListing {
    pub id: String,
    pub payment_recipient: AccountId,
    pub endpoints: Vec<String>,
}

/// A payment channel as the directory knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelListing {
    pub id: ChannelId,
    /// Planck locked.
    pub value: Balance,
    pub nonce: Nonce,
    /// Block from which the sender may take the rest back.
    pub expiration: BlockNumber,
}

impl Listing {
    /// `org/service`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.org_id, self.service_id)
    }
}

/// The registry and the escrow, through the indexer or the chain.
pub enum Directory {
    Indexer { url: String, http: reqwest::Client },
    Chain(Box<Connected>),
}

impl Directory {
    /// The indexer at `--indexer` when given, else the chain at `--url`.
    pub async fn open(global: &GlobalArgs) -> Result<Self> {
        match &global.indexer {
            Some(url) => Self::indexer(url),
            None => Ok(Directory::Chain(Box::new(global.connect().await?))),
        }
    }

    /// The indexer's REST API at `url`.
    pub fn indexer(url: &str) -> Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(INDEXER_CONNECT_TIMEOUT)
            .timeout(INDEXER_REQUEST_TIMEOUT)
            .build()
            .context("building the HTTP client")?;
        Ok(Directory::Indexer { url: url.trim_end_matches('/').to_string(), http })
    }

    /// Where answers come from, for messages.
    pub fn source(&self) -> String {
        match self {
            Directory::Indexer { url, .. } => format!("the indexer at {url}"),
            Directory::Chain(_) => "the registry on chain".to_string(),
        }
    }

    /// One service, or `None` when the registry has no such service.
    pub async fn service(&self, org_id: &str, service_id: &str) -> Result<Option<Listing>> {
        match self {
            Directory::Indexer { .. } => {
                let path = format!("/v1/services/{org_id}/{service_id}");
                Ok(self.get::<IndexedService>(&path, &[]).await?.map(IndexedService::into_listing).transpose()?)
            }
            Directory::Chain(connected) => {
                let service = connected.registry().get_service(org_id, service_id).await?;
                Ok(service.map(|s| chain_listing(org_id, s)))
            }
        }
    }

    /// Every service for sale, in the registry's order.
    pub async fn services(&self) -> Result<Vec<Listing>> {
        match self {
            Directory::Indexer { .. } => {
                let all: Vec<IndexedService> = self.every_page("/v1/services", Vec::new()).await?;
                all.into_iter().map(IndexedService::into_listing).collect()
            }
            Directory::Chain(connected) => {
                let registry = connected.registry();
                let mut all = Vec::new();
                for org_id in registry.list_orgs().await? {
                    for service in registry.list_services(&org_id).await?.unwrap_or_default() {
                        all.push(chain_listing(&org_id, service));
                    }
                }
                Ok(all)
            }
        }
    }

    /// Channels signed by `signer` to `recipient` for `group_id`, oldest first.
    pub async fn channels(
        &self,
        signer: &SignerKey,
        recipient: &AccountId,
        group_id: &str,
    ) -> Result<Vec<ChannelListing>> {
        match self {
            Directory::Indexer { .. } => {
                let filter = vec![
                    ("signer", format!("0x{}", hex::encode(signer))),
                    ("recipient", recipient.to_string()),
                    ("group_id", group_id.to_string()),
                ];
                let all: Vec<IndexedChannel> = self.every_page("/v1/channels", filter).await?;
                all.into_iter().map(IndexedChannel::into_listing).collect()
            }
            Directory::Chain(connected) => {
                let escrow = connected.escrow();
                let mut all = Vec::new();
                for id in (0..escrow.next_channel_id().await?.0).map(ChannelId) {
                    let Some(c) = escrow.channel(id).await? else { continue };
                    if &c.signer == signer && from_ink(&c.recipient) == *recipient && c.group_id == group_id {
                        all.push(ChannelListing { id, value: c.value, nonce: c.nonce, expiration: c.expiration });
                    }
                }
                Ok(all)
            }
        }
    }

    /// The latest finalized block the directory knows.
    pub async fn head(&self) -> Result<BlockNumber> {
        let head = match self {
            Directory::Indexer { .. } => {
                let status: Status = self.get("/v1/status", &[]).await?.context("the indexer has no /v1/status")?;
                status.chain_head
            }
            Directory::Chain(connected) => connected.chain.block_number().await?,
        };
        BlockNumber::try_from(head).context("block number beyond u32")
    }

    /// Whether the directory (hence the gateways' mirror, when it is the indexer) has channel `id`.
    pub async fn has_channel(&self, id: ChannelId) -> Result<bool> {
        match self {
            Directory::Indexer { .. } => {
                Ok(self.get::<IndexedChannel>(&format!("/v1/channels/{id}"), &[]).await?.is_some())
            }
            Directory::Chain(connected) => Ok(connected.escrow().channel(id).await?.is_some()),
        }
    }

    /// Every item of the indexer's list at `path` with `query`, page after page.
    async fn every_page<T: for<'de> Deserialize<'de>>(
        &self,
        path: &str,
        mut query: Vec<(&str, String)>,
    ) -> Result<Vec<T>> {
        query.push(("limit", INDEXER_PAGE.to_string()));
        let mut all = Vec::new();
        loop {
            let page: Page<T> = self.get(path, &query).await?.with_context(|| format!("the indexer has no {path}"))?;
            all.extend(page.items);
            match page.next_cursor {
                Some(next) => {
                    query.retain(|(k, _)| *k != "cursor");
                    query.push(("cursor", next));
                }
                None => return Ok(all),
            }
        }
    }

    /// The node each vnode of `bucket`'s cluster lives on (vnode i → `vnodes[i]`), and each
    /// of those nodes' URL. Errors name what does not exist.
    pub async fn ddc_cluster_of(&self, bucket: BucketId) -> Result<(Vec<NodeId>, BTreeMap<NodeId, String>)> {
        let vnodes = match self {
            Directory::Indexer { .. } => {
                let b: IndexedBucket = self
                    .get(&format!("/v1/ddc/buckets/{bucket}"), &[])
                    .await?
                    .with_context(|| format!("no bucket {bucket} (per {})", self.source()))?;
                let c: IndexedCluster = self
                    .get(&format!("/v1/ddc/clusters/{}", b.cluster_id), &[])
                    .await?
                    .with_context(|| format!("no cluster {}", b.cluster_id))?;
                c.vnodes
            }
            Directory::Chain(connected) => {
                let ddc = connected.ddc()?;
                let b = ddc.bucket(bucket).await?.with_context(|| format!("no bucket {bucket}"))?;
                let cluster_id = b.bucket.cluster_id;
                ddc.cluster(cluster_id).await?.with_context(|| format!("no cluster {cluster_id}"))?.vnodes
            }
        };
        let mut nodes = BTreeMap::new();
        for node in &vnodes {
            if nodes.contains_key(node) {
                continue;
            }
            let url = match self {
                Directory::Indexer { .. } => {
                    let n: IndexedNode = self
                        .get(&format!("/v1/ddc/nodes/{node}"), &[])
                        .await?
                        .with_context(|| format!("no node {node}"))?;
                    n.url
                }
                Directory::Chain(connected) => {
                    connected.ddc()?.node(*node).await?.with_context(|| format!("no node {node}"))?.url
                }
            };
            nodes.insert(*node, url);
        }
        Ok((vnodes, nodes))
    }

    /// GET a JSON document from the indexer (`query` percent-encoded): `None` on 404; any
    /// other failure names the URL. The chain directory has no HTTP side and says so.
    pub async fn get<T: for<'de> Deserialize<'de>>(&self, path: &str, query: &[(&str, String)]) -> Result<Option<T>> {
        let Directory::Indexer { url, http } = self else {
            bail!("{path} is served by the indexer: pass --indexer or set OSIRIS_INDEXER_URL")
        };
        let full = format!("{url}{path}");
        let response = http.get(&full).query(query).send().await.map_err(|e| {
            let cause = std::error::Error::source(&e).map_or_else(|| e.to_string(), |s| s.to_string());
            anyhow::anyhow!(
                "indexer {url} unreachable: {cause} (set --indexer / OSIRIS_INDEXER_URL, or unset it to ask the chain)"
            )
        })?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let body = response.text().await.with_context(|| format!("reading {full}"))?;
        if !status.is_success() {
            bail!("indexer {url}: GET {path} answered {status}: {body}");
        }
        serde_json::from_str(&body).map(Some).with_context(|| format!("indexer {url}: GET {path}: unexpected body"))
    }
}

fn chain_listing(org_id: &str, s: osiris_chain::types::registry::Service) -> Listing {
    Listing {
        org_id: org_id.to_string(),
        service_id: s.id,
        name: s.metadata.name,
        price_per_call: s.metadata.price_per_call,
        content_hash: s.metadata.content_hash,
        groups: s
            .groups
            .into_iter()
            .map(|g| GroupListing {
                id: g.id,
                payment_recipient: from_ink(&g.payment_recipient),
                endpoints: g.endpoints,
            })
            .collect(),
    }
}

// The indexer's JSON (see its OpenAPI document).

/// A page of an indexer list.
#[derive(Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize)]
struct IndexedGroup {
    id: String,
    payment_recipient: String,
    endpoints: Vec<String>,
}

#[derive(Deserialize)]
struct IndexedService {
    org_id: String,
    id: String,
    name: String,
    content_hash: String,
    price_per_call: String,
    groups: Vec<IndexedGroup>,
}

impl IndexedService {
    fn into_listing(self) -> Result<Listing> {
        let hash = hex::decode(self.content_hash.trim_start_matches("0x")).ok().and_then(|b| b.try_into().ok());
        Ok(Listing {
            content_hash: hash.with_context(|| format!("indexer: content_hash of {}/{}", self.org_id, self.id))?,
            price_per_call: self.price_per_call.parse().context("indexer: price_per_call")?,
            groups: self
                .groups
                .into_iter()
                .map(|g| {
                    Ok(GroupListing {
                        payment_recipient: osiris_chain::parse_account(&g.payment_recipient)?,
                        id: g.id,
                        endpoints: g.endpoints,
                    })
                })
                .collect::<Result<_>>()?,
            org_id: self.org_id,
            service_id: self.id,
            name: self.name,
        })
    }
}

#[derive(Deserialize)]
struct IndexedChannel {
    id: ChannelId,
    value: String,
    nonce: Nonce,
    expiration: u64,
}

impl IndexedChannel {
    fn into_listing(self) -> Result<ChannelListing> {
        Ok(ChannelListing {
            id: self.id,
            value: self.value.parse().context("indexer: channel value")?,
            nonce: self.nonce,
            expiration: BlockNumber::try_from(self.expiration).context("indexer: channel expiration")?,
        })
    }
}

#[derive(Deserialize)]
struct Status {
    chain_head: u64,
}

/// A bucket as the indexer serves it (the fields the CLI reads).
#[derive(Deserialize)]
struct IndexedBucket {
    cluster_id: u32,
}

/// A cluster as the indexer serves it (the fields the CLI reads).
#[derive(Deserialize)]
struct IndexedCluster {
    vnodes: Vec<NodeId>,
}

/// A node as the indexer serves it (the fields the CLI reads).
#[derive(Deserialize)]
struct IndexedNode {
    url: String,
}
