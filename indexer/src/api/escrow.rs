//! Channels and escrow balances.

use super::error::{ApiError, ErrorBody};
use super::models::{Balance, Channel, Page};
use super::params::{self, Params};
use super::AppState;
use crate::store::read::ChannelFilter;
use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::IntoParams;

/// Channel filters (combined with AND) and paging.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelQuery {
    sender: Option<String>,
    recipient: Option<String>,
    signer: Option<String>,
    group_id: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

impl IntoParams for ChannelQuery {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            params::query("sender", "SS58 account that funded the channel.", params::account_schema()),
            params::query("recipient", "SS58 account that claims the channel.", params::account_schema()),
            params::query(
                "signer",
                "The channel's payment signer key, 0x-hex (33 bytes).",
                params::signer_key_schema(),
            ),
            params::query("group_id", "Instance group id.", params::id_schema()),
            params::query("limit", "Page size, 1 to 500 (default 50).", params::limit_schema()),
            params::query("cursor", "`next_cursor` of the previous page.", params::number_cursor_schema()),
        ]
    }
}

/// A channel's id in the path.
#[derive(Deserialize)]
pub struct ChannelPath {
    channel_id: String,
}

impl IntoParams for ChannelPath {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![params::path("channel_id", "Channel id.", params::number_schema())]
    }
}

/// An account in the path.
#[derive(Deserialize)]
pub struct AccountPath {
    pub(super) account: String,
}

impl IntoParams for AccountPath {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![params::path("account", "SS58 account id.", params::account_schema())]
    }
}

/// List channels by id.
#[utoipa::path(get, path = "/v1/channels", tag = "escrow", params(ChannelQuery),
    responses((status = 200, body = Page<Channel>, links(
        ("first_channel" = (operation_id = "get_channel", parameters(("channel_id" = "$response.body#/items/0/id")),
            description = "The first channel of the page")),
        ("first_sender_balance" = (operation_id = "get_balance", parameters(("account" = "$response.body#/items/0/sender")),
            description = "The escrow balance of the first channel's sender")))),
        (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
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
    params(ChannelPath),
    responses((status = 200, body = Channel, links(
        ("sender_balance" = (operation_id = "get_balance", parameters(("account" = "$response.body#/sender")),
            description = "The escrow balance of the channel's sender")),
        ("sender_channels" = (operation_id = "list_channels", parameters(("sender" = "$response.body#/sender")),
            description = "Every channel the sender opened")))),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn get_channel(
    State(s): State<AppState>,
    Path(ChannelPath { channel_id }): Path<ChannelPath>,
) -> Result<Json<Channel>, ApiError> {
    let id = params::number("channel_id", &channel_id)?;
    s.store.channel(id).await?.map(Json).ok_or_else(|| ApiError::NotFound(format!("no channel {id}")))
}

/// An account's escrow balance.
#[utoipa::path(get, path = "/v1/balances/{account}", tag = "escrow",
    params(AccountPath),
    responses((status = 200, body = Balance, links(
        ("channels_sent" = (operation_id = "list_channels", parameters(("sender" = "$request.path.account")),
            description = "Channels this account opened")),
        ("channels_received" = (operation_id = "list_channels", parameters(("recipient" = "$request.path.account")),
            description = "Channels this account claims")))),
        (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn get_balance(
    State(s): State<AppState>,
    Path(AccountPath { account }): Path<AccountPath>,
) -> Result<Json<Balance>, ApiError> {
    let account = params::account("account", &account)?;
    let balance = s.store.balance(&account).await?;
    Ok(Json(Balance { account, balance: balance.to_string() }))
}
