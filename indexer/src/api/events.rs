//! The event log.

use super::error::{ApiError, ErrorBody};
use super::models::{Event, Page};
use super::params::{self, Params};
use super::AppState;
use crate::decode::EVENT_NAMES;
use crate::store::read::EventFilter;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

/// Event filters (combined with AND) and paging.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// `registry`, `escrow`, or the contract's SS58 address.
    contract: Option<String>,
    /// Event name, e.g. `ChannelOpened`.
    name: Option<String>,
    /// First block (inclusive).
    from_block: Option<String>,
    /// Last block (inclusive).
    to_block: Option<String>,
    /// Page size, 1 to 500 (default 50).
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// List events in chain order.
#[utoipa::path(get, path = "/v1/events", tag = "events", params(EventQuery),
    responses((status = 200, body = Page<Event>), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn list_events(
    State(s): State<AppState>,
    Params(q): Params<EventQuery>,
) -> Result<Json<Page<Event>>, ApiError> {
    let contract = match q.contract.as_deref() {
        None => None,
        Some(name @ ("registry" | "escrow")) => Some(s.contract_address(name).to_string()),
        Some(v) => Some(params::account("contract", v)?),
    };
    let event_name = match q.name {
        Some(n) if !EVENT_NAMES.contains(&n.as_str()) => {
            return Err(ApiError::field("name", format!("unknown event name {n:?}; one of {}", EVENT_NAMES.join(", "))))
        }
        n => n,
    };
    let filter = EventFilter {
        contract,
        event_name,
        from_block: q.from_block.as_deref().map(|v| params::number("from_block", v)).transpose()?,
        to_block: q.to_block.as_deref().map(|v| params::number("to_block", v)).transpose()?,
    };
    let limit = params::limit(q.limit.as_deref())?;
    let after: Option<(i64, i32)> = params::decode_cursor(q.cursor.as_deref())?;
    let rows = s.store.events(&filter, after, limit).await?;
    let rows = rows.into_iter().map(|e| ((e.block_number as i64, e.event_index as i32), e)).collect();
    Ok(Json(params::page(rows, limit)))
}
