//! The event log.

use super::error::{ApiError, ErrorBody};
use super::models::{Event, Page};
use super::params::{self, Params};
use super::{AppState, CONTRACT_NAMES};
use crate::decode::EVENT_NAMES;
use crate::store::read::EventFilter;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::IntoParams;

/// Event filters (combined with AND) and paging.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventQuery {
    contract: Option<String>,
    name: Option<String>,
    from_block: Option<String>,
    to_block: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

impl IntoParams for EventQuery {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let mut all = vec![
            params::query(
                "contract",
                "`registry`, `escrow`, or the contract's SS58 address.",
                params::contract_schema(),
            ),
            params::query("name", "Event name, e.g. `ChannelOpened`.", event_name_schema()),
            params::query("from_block", "First block (inclusive).", params::number_schema()),
            params::query("to_block", "Last block (inclusive).", params::number_schema()),
        ];
        all.extend(params::position_page());
        all
    }
}

/// Schema of the `name` filter: the events the contracts emit.
fn event_name_schema() -> utoipa::openapi::schema::Schema {
    params::enum_schema(&EVENT_NAMES[..]).description(Some("event name")).build().into()
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
        Some(name) if CONTRACT_NAMES.contains(&name) => Some(s.contract_address(name).to_string()),
        Some(v) => Some(params::account("contract", v)?),
    };
    let event_name = q.name.as_deref().map(|n| params::one_of("name", n, &EVENT_NAMES[..])).transpose()?;
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
