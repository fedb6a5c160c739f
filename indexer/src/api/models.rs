//! What the API returns. Accounts are SS58, amounts in planck as decimal strings,
//! hashes and keys 0x-hex, block numbers integers.

use serde::Serialize;
use utoipa::ToSchema;

/// A page of results; pass `next_cursor` as `cursor` to get the next one (absent on the last page).
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Organization {
    pub id: String,
    /// SS58.
    pub owner: String,
    /// SS58, in the contract's order.
    pub members: Vec<String>,
    pub name: String,
    pub uri: String,
    /// 0x-hex, 32 bytes.
    pub content_hash: String,
    /// Service ids in creation order.
    pub services: Vec<String>,
    pub created_block: u64,
    pub updated_block: u64,
    /// Over all its services (consumers counted once).
    pub reputation: Reputation,
}

/// What happened with a service or organization, from facts only: the chain's channels,
/// claims and agreements, and the indexer's own health probes of the endpoints. Channels
/// its payment recipient opened to itself count for nothing.
#[derive(Debug, Serialize, ToSchema)]
pub struct Reputation {
    /// Distinct accounts that opened channels to its groups.
    pub consumers: u64,
    /// Channels opened to its groups.
    pub channels: u64,
    /// Planck its recipient claimed from those channels, decimal string.
    #[schema(example = "3000000000")]
    pub claimed: String,
    pub agreements: AgreementCounts,
    /// Storage buckets it serves: those of the ddc clusters holding a node of its
    /// organization's owner whose url is one of its endpoints (for an organization, of its
    /// services, each counted once).
    pub buckets_served: u64,
    /// Percent of the indexer's probes of its endpoints that found one serving, over the
    /// last 24 hours; null before the first probe.
    pub uptime_24h: Option<f64>,
    /// The same over the last 30 days.
    pub uptime_30d: Option<f64>,
    /// When a probe last found one of its endpoints serving (RFC 3339, UTC); null if never.
    pub last_seen: Option<String>,
    /// When these figures were computed (RFC 3339, UTC); null before the first time (all
    /// figures are then 0).
    pub updated_at: Option<String>,
}

/// Agreements by state.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementCounts {
    pub active: u64,
    pub fulfilled: u64,
    pub refunded: u64,
    pub terminated: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Group {
    pub id: String,
    /// SS58 account that claims the group's channels.
    pub payment_recipient: String,
    pub endpoints: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Service {
    pub org_id: String,
    pub id: String,
    pub name: String,
    pub uri: String,
    /// 0x-hex, 32 bytes.
    pub content_hash: String,
    /// Planck per call, decimal string.
    #[schema(example = "1000000000")]
    pub price_per_call: String,
    pub groups: Vec<Group>,
    pub created_block: u64,
    pub updated_block: u64,
    /// The service's metadata document, as found at its endpoints.
    pub details: ServiceDetails,
    pub reputation: Reputation,
}

/// A service's metadata document (`osiris service describe`) as the indexer found it at the
/// service's endpoints, shown only when its bytes hash to the registry's `content_hash`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceDetails {
    /// `unchecked` (not fetched yet), `none` (the registry names no document), `verified`
    /// (the fields below are the document), `mismatch` (an endpoint serves other bytes than
    /// the registry's hash names: nothing is shown), `invalid` (the hashed bytes are not a
    /// valid document), `unreachable` (no endpoint served a document).
    #[schema(example = "verified")]
    pub status: String,
    /// The gateway's service type (`grpc`, `jsonrpc`, `process` or `job`), once fetched.
    pub service_type: Option<String>,
    /// Plain text, to be shown as text.
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub docs_url: Option<String>,
    pub contact: Option<String>,
    pub image_url: Option<String>,
    /// Why the last check found no document.
    pub detail: Option<String>,
    /// When the endpoints were last asked (RFC 3339, UTC).
    pub checked_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Channel {
    pub id: u64,
    /// SS58.
    pub sender: String,
    /// SS58.
    pub recipient: String,
    /// Compressed secp256k1 key, 0x-hex (33 bytes).
    pub signer: String,
    pub group_id: String,
    /// Planck still in the channel, decimal string.
    pub value: String,
    pub nonce: u64,
    /// Block number from which the sender may take the rest back.
    pub expiration: u64,
    pub opened_block: u64,
    pub updated_block: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Balance {
    /// SS58.
    pub account: String,
    /// Escrow balance in planck, decimal string ("0" for an account that never deposited).
    pub balance: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Event {
    pub block_number: u64,
    /// Position in the block's event list.
    pub event_index: u32,
    /// 0x-hex.
    pub block_hash: String,
    pub extrinsic_index: Option<u32>,
    /// Emitting contract, SS58.
    pub contract: String,
    /// `registry` or `escrow`.
    pub contract_name: String,
    /// Absent when the event could not be decoded (it is kept raw).
    pub event_name: Option<String>,
    /// Decoded fields (accounts SS58, amounts strings).
    #[schema(value_type = Object)]
    pub fields: Option<serde_json::Value>,
    /// 0x-hex, 32 bytes each; the first is the ink! signature topic.
    pub topics: Vec<String>,
    /// SCALE bytes as emitted, 0x-hex.
    pub data: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CursorPosition {
    pub block_number: u64,
    /// 0x-hex.
    pub block_hash: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Status {
    /// 0x-hex genesis hash of the chain the mirror follows.
    pub genesis_hash: String,
    /// The last block fully in the mirror (absent before the first).
    pub cursor: Option<CursorPosition>,
    /// Latest finalized block the indexer has seen.
    pub chain_head: u64,
    /// Finalized blocks not yet in the mirror.
    pub lag_blocks: u64,
    /// Milliseconds since the oldest block not yet in the mirror was seen finalized (0 when caught up).
    pub lag_ms: u64,
}

/// What a web page needs to reach the chain the mirror follows: `GET /v1/network`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Network {
    /// 0x-hex genesis hash of the chain.
    pub genesis_hash: String,
    /// A node's RPC URL for web pages (`ws://` or `wss://`): the indexer's
    /// `public_node_url`, else the URL the contracts were deployed through.
    pub node_url: String,
    /// SS58 addresses of the contracts.
    pub registry: String,
    pub escrow: String,
    pub agreements: Option<String>,
    pub ddc: Option<String>,
    /// Where each contract's ink! metadata (its ABI, as cargo-contract writes it) is
    /// served, relative to the indexer: `/contracts/osiris_escrow/osiris_escrow.json`.
    pub metadata_path: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: String,
}
