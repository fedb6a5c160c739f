//! The OpenAPI 3 document, generated from the handlers' annotations.

use super::error::ErrorBody;
use super::models::*;
use axum::Json;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Osiris indexer",
        description = "Read-only mirror of the Osiris contracts (registry, escrow) on finalized blocks."
    ),
    paths(
        super::registry::list_organizations,
        super::registry::get_organization,
        super::registry::list_services,
        super::registry::get_service,
        super::escrow::list_channels,
        super::escrow::get_channel,
        super::escrow::get_balance,
        super::events::list_events,
        super::status::status,
        super::status::health,
        super::status::metrics,
    ),
    components(schemas(
        ErrorBody,
        Organization,
        Service,
        Group,
        Channel,
        Balance,
        Event,
        Status,
        CursorPosition,
        Health
    ))
)]
pub struct ApiDoc;

/// `GET /openapi.json`
pub async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
