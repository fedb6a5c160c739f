//! # osiris-mirror
//!
//! The PostgreSQL mirror of the Osiris contracts, declared once for every program that
//! touches it: the schema (`../migrations`, applied by [`migrate`]), the indexer's NOTIFY
//! channel ([`NOTIFY_CHANNEL`]) and the reads the gateway and the CLI make of the
//! indexer's tables ([`channels`], [`agreements`], [`ddc`], [`head`]). The indexer writes these tables; nothing
//! else does.

pub mod agreements;
pub mod channels;
pub mod ddc;
pub mod head;

pub use agreements::AgreementFacts;
pub use channels::ChannelFacts;
use osiris_contract_types::Balance;
use sqlx::postgres::PgPool;

/// The channel the indexer NOTIFYs after each committed block. Payload (JSON):
/// `{"block_number": 12, "block_hash": "0x…", "events": 3}`, delivered only on commit.
pub const NOTIFY_CHANNEL: &str = "osiris_indexer";

/// The schema: every migration under `../migrations` (the mirror's tables and the gateways').
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Applies the pending migrations (idempotent; safe to run from several programs at once,
/// sqlx takes an advisory lock).
pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}

/// Errors of reading the mirror.
#[derive(Debug, thiserror::Error)]
pub enum MirrorError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The service is not (yet) in the mirror.
    #[error("the mirror has no service {org_id}/{service_id} (is the indexer running and caught up?)")]
    NoService { org_id: String, service_id: String },
    /// A value the indexer would never write (hand edits, or another program's table).
    #[error("the mirror holds a malformed {field}: {value}")]
    Malformed { field: &'static str, value: String },
}

/// Parses a `NUMERIC(39,0)` planck amount read as text (`column::text`).
pub fn parse_planck(field: &'static str, text: &str) -> Result<Balance, MirrorError> {
    text.parse().map_err(|_| MirrorError::Malformed { field, value: text.to_string() })
}

/// A `BIGINT` column holding a u64 (block numbers, ids, nonces are written from u64 < 2^63).
pub fn to_u64(field: &'static str, value: i64) -> Result<u64, MirrorError> {
    u64::try_from(value).map_err(|_| MirrorError::Malformed { field, value: value.to_string() })
}

/// An amount in planck as a decimal string in JSON documents (JSON numbers cannot hold u128):
/// `#[serde(with = "planck_text")]`.
pub mod planck_text {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&value.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}
