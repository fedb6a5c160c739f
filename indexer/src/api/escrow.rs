//! Channels and escrow balances.

use super::error::{ApiError, ErrorBody};
use super::models::{Balance, Channel, Page};
use super::params::{self, Params};
use super::AppState;
use crate::store::read::ChannelFilter;
use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

/// Channel filters (combined with AND) and paging.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChannelQuery {
    /// SS58 account that funded the channel.
    sender: Option<String>,
    /// SS58 account that claims the channel.
    recipient: Option<String>,
    /// Signer key, 0x-hex (33 bytes).
    signer: Option<String>,
    /// Instance group id.
    group_id: Option<String>,
    /// Page size, 1 to 500 (default 50).
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// List channels by id.
#[utoipa::path(get, path = "/v1/channels", tag = "escrow", params(ChannelQuery),
    responses((status = 200, body = Page<Channel>), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn list_channels(
    State(s): State<AppState>,
    Params(q): Params<ChannelQuery>,
) -> Result<Json<Page<Channel>>, ApiError> {
    let filter = ChannelFilter {
        sender: q.sender.as_deref().map(|v| params::account("sender", v)).transpose()?,
        recipient: q.recipient.as_deref().map(|v| params::account("recipient", v)).transpose()?,
        signer: q.signer.as_deref().map(params::signer_key).transpose()?,
        group_id: q.group_id.as_deref().map(|v| params::id("group_id", v)).transpose()?,
    };
    let limit = params::limit(q.limit.as_deref())?;
    let after: Option<i64> = params::decode_cursor(q.cursor.as_deref())?;
    let rows = s.store.channels(&filter, after, limit).await?.into_iter().map(|c| (c.id as i64, c)).collect();
    Ok(Json(params::page(rows, limit)))
}

/// One channel.
#[utoipa::path(get, path = "/v1/channels/{channel_id}", tag = "escrow",
    params(("channel_id" = u64, Path, description = "Channel id")),
    responses((status = 200, body = Channel), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn get_channel(State(s): State<AppState>, Path(channel_id): Path<String>) -> Result<Json<Channel>, ApiError> {
    let id = params::number("channel_id", &channel_id)?;
    s.store.channel(id).await?.map(Json).ok_or_else(|| ApiError::NotFound(format!("no channel {id}")))
}

/// An account's escrow balance.
#[utoipa::path(get, path = "/v1/balances/{account}", tag = "escrow",
    params(("account" = String, Path, description = "SS58 account id")),
    responses((status = 200, body = Balance), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn get_balance(State(s): State<AppState>, Path(account): Path<String>) -> Result<Json<Balance>, ApiError> {
    let account = params::account("account", &account)?;
    let balance = s.store.balance(&account).await?;
    Ok(Json(Balance { account, balance: balance.to_string() }))
}
