//! Organizations and services.

use super::error::{ApiError, ErrorBody};
use super::models::{Organization, Page, Service};
use super::params::{self, Params, ServiceCursor};
use super::AppState;
use crate::store::read::{ServiceFilter, ServiceKind, ServiceSort};
use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::IntoParams;

/// Paging over (block, index) positions; every list in creation or chain order uses it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    pub(super) limit: Option<String>,
    pub(super) cursor: Option<String>,
}

impl IntoParams for PageQuery {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        params::position_page().into()
    }
}

/// Services filter, search and paging.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceQuery {
    org_id: Option<String>,
    q: Option<String>,
    tag: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    sort: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

impl IntoParams for ServiceQuery {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            params::query("org_id", "Only services of this organization.", params::id_schema()),
            params::query(
                "q",
                "Full-text search over names and ids, tags and descriptions (web search syntax: words, \"a phrase\", \
                 or, -word); results come best first.",
                params::search_schema(),
            ),
            params::query("tag", "Only services whose metadata document has this tag.", params::tag_schema()),
            params::query(
                "type",
                "Only services selling calls (grpc, jsonrpc, process gateways), compute jobs (job gateways) or \
                 storage (a ddc node answers at one of their endpoints).",
                params::enum_schema(&ServiceKind::NAMES).build(),
            ),
            params::query(
                "sort",
                "Lowest price per call first, highest 30-day uptime first, or most consumers first (then \
                 creation order). Without it: best match first for a search, else creation order.",
                params::enum_schema(&ServiceSort::NAMES).build(),
            ),
            params::query("limit", "Page size, 1 to 500 (default 50).", params::limit_schema()),
            params::query("cursor", "`next_cursor` of the previous page.", params::service_cursor_schema()),
        ]
    }
}

/// An organization's id in the path.
#[derive(Deserialize)]
pub struct OrgPath {
    org_id: String,
}

impl IntoParams for OrgPath {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![params::path("org_id", "Organization id.", params::id_schema())]
    }
}

/// A service's ids in the path.
#[derive(Deserialize)]
pub struct ServicePath {
    org_id: String,
    service_id: String,
}

impl IntoParams for ServicePath {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            params::path("org_id", "Organization id.", params::id_schema()),
            params::path("service_id", "Service id, unique within its organization.", params::id_schema()),
        ]
    }
}

/// List organizations in creation order.
#[utoipa::path(get, path = "/v1/organizations", tag = "registry", params(PageQuery),
    responses((status = 200, body = Page<Organization>, links(
        ("first_organization" = (operation_id = "get_organization", parameters(("org_id" = "$response.body#/items/0/id")),
            description = "The first organization of the page")),
        ("first_organization_services" = (operation_id = "list_services", parameters(("org_id" = "$response.body#/items/0/id")),
            description = "The first organization's services")))),
        (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn list_organizations(
    State(s): State<AppState>,
    Params(q): Params<PageQuery>,
) -> Result<Json<Page<Organization>>, ApiError> {
    let limit = params::limit(q.limit.as_deref())?;
    let after = params::decode_cursor(q.cursor.as_deref())?;
    Ok(Json(params::page(s.store.organizations(after, limit).await?, limit)))
}

/// One organization.
#[utoipa::path(get, path = "/v1/organizations/{org_id}", tag = "registry",
    params(OrgPath),
    responses((status = 200, body = Organization, links(
        ("services" = (operation_id = "list_services", parameters(("org_id" = "$request.path.org_id")),
            description = "The organization's services")))),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn get_organization(
    State(s): State<AppState>,
    Path(OrgPath { org_id }): Path<OrgPath>,
) -> Result<Json<Organization>, ApiError> {
    let org_id = params::id("org_id", &org_id)?;
    s.store
        .organization(&org_id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no organization {org_id:?}")))
}

/// List services in creation order, best first for a search, or sorted by price, uptime or
/// consumers; optionally of one organization, with a tag, of a kind.
#[utoipa::path(get, path = "/v1/services", tag = "registry", params(ServiceQuery),
    responses((status = 200, body = Page<Service>, links(
        ("first_service" = (operation_id = "get_service",
            parameters(("org_id" = "$response.body#/items/0/org_id"), ("service_id" = "$response.body#/items/0/id")),
            description = "The first service of the page")))),
        (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn list_services(
    State(s): State<AppState>,
    Params(q): Params<ServiceQuery>,
) -> Result<Json<Page<Service>>, ApiError> {
    let filter = ServiceFilter {
        org_id: q.org_id.as_deref().map(|v| params::id("org_id", v)).transpose()?,
        search: q.q.as_deref().map(params::search).transpose()?,
        tag: q.tag.as_deref().map(params::tag).transpose()?,
        kind: q
            .kind
            .as_deref()
            .map(|v| params::one_of("type", v, &ServiceKind::NAMES).map(|k| ServiceKind::from_name(&k)))
            .transpose()?
            .flatten(),
        sort: q
            .sort
            .as_deref()
            .map(|v| params::one_of("sort", v, &ServiceSort::NAMES).map(|k| ServiceSort::from_name(&k)))
            .transpose()?
            .flatten(),
    };
    let limit = params::limit(q.limit.as_deref())?;
    let after = params::decode_cursor::<ServiceCursor>(q.cursor.as_deref())?;
    Ok(Json(params::page(s.store.services(&filter, after, limit).await?, limit)))
}

/// One service with its instance groups.
#[utoipa::path(get, path = "/v1/services/{org_id}/{service_id}", tag = "registry",
    params(ServicePath),
    responses((status = 200, body = Service, links(
        ("organization" = (operation_id = "get_organization", parameters(("org_id" = "$request.path.org_id")),
            description = "The service's organization")),
        ("first_group_channels" = (operation_id = "list_channels", parameters(("group_id" = "$response.body#/groups/0/id"),
                ("recipient" = "$response.body#/groups/0/payment_recipient")),
            description = "Channels opened to the service's first instance group")))),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn get_service(
    State(s): State<AppState>,
    Path(ServicePath { org_id, service_id }): Path<ServicePath>,
) -> Result<Json<Service>, ApiError> {
    let org_id = params::id("org_id", &org_id)?;
    let service_id = params::id("service_id", &service_id)?;
    s.store
        .service(&org_id, &service_id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no service {org_id}/{service_id}")))
}
