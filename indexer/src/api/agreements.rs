//! Agreement templates, offers, agreements (with their conditions), metering records and
//! balances in the agreements contract.

use super::error::{ApiError, ErrorBody};
use super::escrow::AccountPath;
use super::models::{Balance, Page};
use super::params::{self, Params};
use super::registry::PageQuery;
use super::AppState;
use crate::state::agreements::{AgreementRow, MeteringRow, OfferRow, TemplateRow};
use crate::store::agreements::{AgreementFilter, OfferFilter};
use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::IntoParams;

/// The states an agreement can be in.
pub const AGREEMENT_STATES: [&str; 4] = ["active", "fulfilled", "refunded", "terminated"];

/// Paging over ids.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdPageQuery {
    limit: Option<String>,
    cursor: Option<String>,
}

impl IntoParams for IdPageQuery {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            params::query("limit", "Page size, 1 to 500 (default 50).", params::limit_schema()),
            params::query("cursor", "`next_cursor` of the previous page.", params::number_cursor_schema()),
        ]
    }
}

/// Offer filters (combined with AND) and paging.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfferQuery {
    provider: Option<String>,
    org_id: Option<String>,
    service_id: Option<String>,
    active: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

impl IntoParams for OfferQuery {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            params::query("provider", "SS58 account that published the offer.", params::account_schema()),
            params::query("org_id", "Organization id.", params::id_schema()),
            params::query("service_id", "Service id.", params::id_schema()),
            params::query(
                "active",
                "Only offers taking (true) or not taking (false) agreements.",
                params::boolean_schema(),
            ),
            params::query("limit", "Page size, 1 to 500 (default 50).", params::limit_schema()),
            params::query("cursor", "`next_cursor` of the previous page.", params::number_cursor_schema()),
        ]
    }
}

/// Agreement filters (combined with AND) and paging.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgreementQuery {
    consumer: Option<String>,
    provider: Option<String>,
    org_id: Option<String>,
    service_id: Option<String>,
    state: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

impl IntoParams for AgreementQuery {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let mut all = vec![
            params::query("consumer", "SS58 account of the consumer.", params::account_schema()),
            params::query("provider", "SS58 account of the provider.", params::account_schema()),
            params::query("org_id", "Organization id of the offer's service.", params::id_schema()),
            params::query("service_id", "Service id of the offer.", params::id_schema()),
            params::query(
                "state",
                "The agreement's state.",
                params::enum_schema(&AGREEMENT_STATES).description(Some("agreement state")).build(),
            ),
        ];
        all.extend(params::position_page());
        all
    }
}

/// A template's id in the path.
#[derive(Deserialize)]
pub struct TemplatePath {
    template_id: String,
}

impl IntoParams for TemplatePath {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![params::path("template_id", "Template id.", params::number_schema())]
    }
}

/// An offer's id in the path.
#[derive(Deserialize)]
pub struct OfferPath {
    offer_id: String,
}

impl IntoParams for OfferPath {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![params::path("offer_id", "Offer id.", params::number_schema())]
    }
}

/// An agreement's id in the path.
#[derive(Deserialize)]
pub struct AgreementPath {
    agreement_id: String,
}

impl IntoParams for AgreementPath {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![params::path("agreement_id", "Agreement id, 0x-hex (32 bytes).", params::agreement_id_schema())]
    }
}

/// List templates by id.
#[utoipa::path(get, path = "/v1/agreement-templates", tag = "agreements", params(IdPageQuery),
    responses((status = 200, body = Page<TemplateRow>, links(
        ("first_template" = (operation_id = "get_template", parameters(("template_id" = "$response.body#/items/0/template_id")),
            description = "The first template of the page")))),
        (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn list_templates(
    State(s): State<AppState>,
    Params(q): Params<IdPageQuery>,
) -> Result<Json<Page<TemplateRow>>, ApiError> {
    let limit = params::limit(q.limit.as_deref())?;
    let after: Option<i64> = params::decode_cursor(q.cursor.as_deref())?;
    Ok(Json(params::page(s.store.templates(after, limit).await?, limit)))
}

/// One template.
#[utoipa::path(get, path = "/v1/agreement-templates/{template_id}", tag = "agreements", params(TemplatePath),
    responses((status = 200, body = TemplateRow), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn get_template(
    State(s): State<AppState>,
    Path(TemplatePath { template_id }): Path<TemplatePath>,
) -> Result<Json<TemplateRow>, ApiError> {
    let id = params::number("template_id", &template_id)?;
    s.store.template(id).await?.map(Json).ok_or_else(|| ApiError::NotFound(format!("no template {id}")))
}

/// List offers by id.
#[utoipa::path(get, path = "/v1/offers", tag = "agreements", params(OfferQuery),
    responses((status = 200, body = Page<OfferRow>, links(
        ("first_offer" = (operation_id = "get_offer", parameters(("offer_id" = "$response.body#/items/0/offer_id")),
            description = "The first offer of the page")),
        ("first_offer_template" = (operation_id = "get_template",
            parameters(("template_id" = "$response.body#/items/0/template_id")),
            description = "The first offer's template")))),
        (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn list_offers(
    State(s): State<AppState>,
    Params(q): Params<OfferQuery>,
) -> Result<Json<Page<OfferRow>>, ApiError> {
    let filter = OfferFilter {
        provider: q.provider.as_deref().map(|v| params::account("provider", v)).transpose()?,
        org_id: q.org_id.as_deref().map(|v| params::id("org_id", v)).transpose()?,
        service_id: q.service_id.as_deref().map(|v| params::id("service_id", v)).transpose()?,
        active: q.active.as_deref().map(|v| params::boolean("active", v)).transpose()?,
    };
    let limit = params::limit(q.limit.as_deref())?;
    let after: Option<i64> = params::decode_cursor(q.cursor.as_deref())?;
    Ok(Json(params::page(s.store.offers(&filter, after, limit).await?, limit)))
}

/// One offer, with its template's conditions under its own timeouts.
#[utoipa::path(get, path = "/v1/offers/{offer_id}", tag = "agreements", params(OfferPath),
    responses((status = 200, body = OfferRow, links(
        ("agreements" = (operation_id = "list_agreements", parameters(("provider" = "$response.body#/provider")),
            description = "The provider's agreements")))),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn get_offer(
    State(s): State<AppState>,
    Path(OfferPath { offer_id }): Path<OfferPath>,
) -> Result<Json<OfferRow>, ApiError> {
    let id = params::number("offer_id", &offer_id)?;
    s.store.offer(id).await?.map(Json).ok_or_else(|| ApiError::NotFound(format!("no offer {id}")))
}

/// List agreements in creation order.
#[utoipa::path(get, path = "/v1/agreements", tag = "agreements", params(AgreementQuery),
    responses((status = 200, body = Page<AgreementRow>, links(
        ("first_agreement" = (operation_id = "get_agreement",
            parameters(("agreement_id" = "$response.body#/items/0/agreement_id")),
            description = "The first agreement of the page")),
        ("first_agreement_metering" = (operation_id = "list_metering",
            parameters(("agreement_id" = "$response.body#/items/0/agreement_id")),
            description = "The first agreement's metering records")),
        ("first_consumer_balance" = (operation_id = "get_agreement_balance",
            parameters(("account" = "$response.body#/items/0/consumer")),
            description = "The first agreement's consumer's balance in the contract")))),
        (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn list_agreements(
    State(s): State<AppState>,
    Params(q): Params<AgreementQuery>,
) -> Result<Json<Page<AgreementRow>>, ApiError> {
    let filter = AgreementFilter {
        consumer: q.consumer.as_deref().map(|v| params::account("consumer", v)).transpose()?,
        provider: q.provider.as_deref().map(|v| params::account("provider", v)).transpose()?,
        org_id: q.org_id.as_deref().map(|v| params::id("org_id", v)).transpose()?,
        service_id: q.service_id.as_deref().map(|v| params::id("service_id", v)).transpose()?,
        state: q.state.as_deref().map(|v| params::one_of("state", v, &AGREEMENT_STATES)).transpose()?,
    };
    let limit = params::limit(q.limit.as_deref())?;
    let after: Option<(i64, i32)> = params::decode_cursor(q.cursor.as_deref())?;
    Ok(Json(params::page(s.store.agreements(&filter, after, limit).await?, limit)))
}

/// One agreement: its conditions with their states and deadlines, input, result, metering, termination.
#[utoipa::path(get, path = "/v1/agreements/{agreement_id}", tag = "agreements", params(AgreementPath),
    responses((status = 200, body = AgreementRow, links(
        ("offer" = (operation_id = "get_offer", parameters(("offer_id" = "$response.body#/offer_id")),
            description = "The offer it was made on")),
        ("metering" = (operation_id = "list_metering", parameters(("agreement_id" = "$request.path.agreement_id")),
            description = "Its settled metering records")))),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn get_agreement(
    State(s): State<AppState>,
    Path(AgreementPath { agreement_id }): Path<AgreementPath>,
) -> Result<Json<AgreementRow>, ApiError> {
    let id = params::agreement_id(&agreement_id)?;
    s.store.agreement(&id).await?.map(Json).ok_or_else(|| ApiError::NotFound(format!("no agreement {agreement_id}")))
}

/// An agreement's settled metering records in chain order (empty for an unknown agreement).
#[utoipa::path(get, path = "/v1/agreements/{agreement_id}/metering", tag = "agreements",
    params(AgreementPath, PageQuery),
    responses((status = 200, body = Page<MeteringRow>), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn list_metering(
    State(s): State<AppState>,
    Path(AgreementPath { agreement_id }): Path<AgreementPath>,
    Params(q): Params<PageQuery>,
) -> Result<Json<Page<MeteringRow>>, ApiError> {
    let id = params::agreement_id(&agreement_id)?;
    let limit = params::limit(q.limit.as_deref())?;
    let after: Option<(i64, i32)> = params::decode_cursor(q.cursor.as_deref())?;
    Ok(Json(params::page(s.store.metering(&id, after, limit).await?, limit)))
}

/// An account's balance in the agreements contract (payments and refunds credited there).
#[utoipa::path(get, path = "/v1/agreement-balances/{account}", tag = "agreements", params(AccountPath),
    responses((status = 200, body = Balance), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn get_agreement_balance(
    State(s): State<AppState>,
    Path(AccountPath { account }): Path<AccountPath>,
) -> Result<Json<Balance>, ApiError> {
    let account = params::account("account", &account)?;
    let balance = s.store.agreement_balance(&account).await?;
    Ok(Json(Balance { account, balance: balance.to_string() }))
}
