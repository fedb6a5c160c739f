//! Status, health and metrics.

use super::error::{ApiError, ErrorBody};
use super::models::{CursorPosition, Health, Network, Status};
use super::AppState;
use axum::extract::State;
use axum::Json;

/// Where ingestion stands.
#[utoipa::path(get, path = "/v1/status", tag = "indexer",
    responses((status = 200, body = Status), (status = 503, body = ErrorBody)))]
pub async fn status(State(s): State<AppState>) -> Result<Json<Status>, ApiError> {
    let cursor = s.store.cursor().await?;
    let (head, _, _, lag_ms) = s.progress.snapshot();
    let cursor_block = cursor.as_ref().map_or(0, |c| c.block_number);
    let head = head.max(cursor_block);
    Ok(Json(Status {
        genesis_hash: s.genesis_hash.clone(),
        cursor: cursor
            .map(|c| CursorPosition { block_number: c.block_number, block_hash: crate::json::hex0x(&c.block_hash) }),
        chain_head: head,
        lag_blocks: head - cursor_block,
        lag_ms,
    }))
}

/// Whether the indexer and its database answer.
#[utoipa::path(get, path = "/health", tag = "indexer",
    responses((status = 200, body = Health), (status = 503, body = ErrorBody)))]
pub async fn health(State(s): State<AppState>) -> Result<Json<Health>, ApiError> {
    s.store.ping().await?;
    Ok(Json(Health { status: "ok".into() }))
}

/// Prometheus metrics: `osiris_indexer_blocks_total`, `osiris_indexer_events_total`,
/// `osiris_indexer_lag_blocks`, `osiris_indexer_block_seconds`.
#[utoipa::path(get, path = "/metrics", tag = "indexer",
    responses((status = 200, description = "Prometheus text exposition format", content_type = "text/plain", body = String)))]
pub async fn metrics(State(s): State<AppState>) -> String {
    s.metrics.as_ref().map(|m| m.render()).unwrap_or_default()
}

/// The chain and contracts this indexer mirrors, for web pages that sign transactions.
#[utoipa::path(get, path = "/v1/network", tag = "indexer", responses((status = 200, body = Network)))]
pub async fn network(State(s): State<AppState>) -> Json<Network> {
    Json(Network {
        genesis_hash: s.genesis_hash.clone(),
        node_url: s.node_url.clone(),
        registry: s.registry.clone(),
        escrow: s.escrow.clone(),
        agreements: s.agreements.clone(),
        ddc: s.ddc.clone(),
        metadata_path: format!("{}/osiris_{{name}}/osiris_{{name}}.json", super::site::CONTRACTS_PATH),
    })
}
