//! Organizations and services.

use super::error::{ApiError, ErrorBody};
use super::models::{Organization, Page, Service};
use super::params::{self, Params};
use super::AppState;
use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

/// Paging parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1 to 500 (default 50).
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// Services filter and paging.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ServiceQuery {
    /// Only services of this organization.
    org_id: Option<String>,
    /// Page size, 1 to 500 (default 50).
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// List organizations in creation order.
#[utoipa::path(get, path = "/v1/organizations", tag = "registry", params(PageQuery),
    responses((status = 200, body = Page<Organization>), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
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
    params(("org_id" = String, Path, description = "Organization id")),
    responses((status = 200, body = Organization), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn get_organization(
    State(s): State<AppState>,
    Path(org_id): Path<String>,
) -> Result<Json<Organization>, ApiError> {
    let org_id = params::id("org_id", &org_id)?;
    s.store
        .organization(&org_id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no organization {org_id:?}")))
}

/// List services in creation order, optionally of one organization.
#[utoipa::path(get, path = "/v1/services", tag = "registry", params(ServiceQuery),
    responses((status = 200, body = Page<Service>), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn list_services(
    State(s): State<AppState>,
    Params(q): Params<ServiceQuery>,
) -> Result<Json<Page<Service>>, ApiError> {
    let org_id = q.org_id.as_deref().map(|v| params::id("org_id", v)).transpose()?;
    let limit = params::limit(q.limit.as_deref())?;
    let after = params::decode_cursor(q.cursor.as_deref())?;
    Ok(Json(params::page(s.store.services(org_id.as_deref(), after, limit).await?, limit)))
}

/// One service with its instance groups.
#[utoipa::path(get, path = "/v1/services/{org_id}/{service_id}", tag = "registry",
    params(("org_id" = String, Path, description = "Organization id"), ("service_id" = String, Path, description = "Service id")),
    responses((status = 200, body = Service), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn get_service(
    State(s): State<AppState>,
    Path((org_id, service_id)): Path<(String, String)>,
) -> Result<Json<Service>, ApiError> {
    let org_id = params::id("org_id", &org_id)?;
    let service_id = params::id("service_id", &service_id)?;
    s.store
        .service(&org_id, &service_id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no service {org_id}/{service_id}")))
}
