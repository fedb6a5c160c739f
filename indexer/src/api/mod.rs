//! The REST API over the mirror (axum), documented by an OpenAPI 3 document
//! generated from this code and served at `/openapi.json`.
//!
//! Read endpoints live under `/v1`; `/health`, `/metrics` (Prometheus text) and
//! `/openapi.json` beside them. Errors are JSON `{"error", "field"}`: 400 for bad
//! input, 404 for unknown ids and paths, 405 for methods other than GET, 503 when the
//! database is unreachable. Web pages of the configured origins may read it ([`cors`]).

mod agreements;
pub mod cors;
mod ddc;
pub mod error;
mod escrow;
mod events;
pub mod models;
pub mod openapi;
pub mod params;
mod registry;
pub mod site;
mod status;

use crate::follower::Progress;
use crate::store::Store;
use axum::routing::get;
use axum::Router;
use error::ApiError;
use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::Arc;

/// The contracts the `contract` filter of the event log names.
pub const CONTRACT_NAMES: [&str; 4] = ["registry", "escrow", "agreements", "ddc"];

/// What handlers share.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub progress: Arc<Progress>,
    /// 0x-hex genesis hash of the followed chain.
    pub genesis_hash: String,
    pub metrics: Option<PrometheusHandle>,
    /// SS58 addresses of the contracts.
    pub registry: String,
    pub escrow: String,
    /// SS58 of the agreements contract, when the deployment has one.
    pub agreements: Option<String>,
    /// SS58 of the ddc contract, when the deployment has one.
    pub ddc: Option<String>,
    /// The node URL web pages are told to use (`GET /v1/network`).
    pub node_url: String,
}

/// The API's routes, readable from web pages of `origins` (`*`: any; see [`cors`]).
/// With `site`, the web application and the contracts' metadata are served beside it
/// ([`site`]); every answer is compressed (gzip or brotli) when the client accepts it.
pub fn app(state: AppState, origins: &[String], site: Option<&site::Site>) -> Result<Router, cors::BadOrigin> {
    let router = match site {
        Some(site) => router(state).fallback_service(site.service()),
        None => router(state),
    };
    let router = router.layer(tower_http::compression::CompressionLayer::new());
    Ok(match cors::layer(origins)? {
        Some(cors) => router.layer(cors),
        None => router,
    })
}

/// The API's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/organizations", get(registry::list_organizations))
        .route("/v1/organizations/{org_id}", get(registry::get_organization))
        .route("/v1/services", get(registry::list_services))
        .route("/v1/services/{org_id}/{service_id}", get(registry::get_service))
        .route("/v1/channels", get(escrow::list_channels))
        .route("/v1/channels/{channel_id}", get(escrow::get_channel))
        .route("/v1/balances/{account}", get(escrow::get_balance))
        .route("/v1/events", get(events::list_events))
        .route("/v1/agreement-templates", get(agreements::list_templates))
        .route("/v1/agreement-templates/{template_id}", get(agreements::get_template))
        .route("/v1/offers", get(agreements::list_offers))
        .route("/v1/offers/{offer_id}", get(agreements::get_offer))
        .route("/v1/agreements", get(agreements::list_agreements))
        .route("/v1/agreements/{agreement_id}", get(agreements::get_agreement))
        .route("/v1/agreements/{agreement_id}/metering", get(agreements::list_metering))
        .route("/v1/agreement-balances/{account}", get(agreements::get_agreement_balance))
        .route("/v1/ddc/nodes", get(ddc::list_nodes))
        .route("/v1/ddc/nodes/{node_id}", get(ddc::get_node))
        .route("/v1/ddc/nodes/{node_id}/audits", get(ddc::get_node_audits))
        .route("/v1/ddc/clusters", get(ddc::list_clusters))
        .route("/v1/ddc/clusters/{cluster_id}", get(ddc::get_cluster))
        .route("/v1/ddc/buckets", get(ddc::list_buckets))
        .route("/v1/ddc/buckets/{bucket_id}", get(ddc::get_bucket))
        .route("/v1/ddc/accounts/{account}", get(ddc::get_ddc_account))
        .route("/v1/status", get(status::status))
        .route("/v1/network", get(status::network))
        .route("/health", get(status::health))
        .route("/metrics", get(status::metrics))
        .route("/openapi.json", get(openapi::serve))
        // Unknown API paths answer in JSON even when the site serves everything else.
        .route(
            "/v1/{*rest}",
            axum::routing::any(|| async { ApiError::NotFound("no such endpoint; see /openapi.json".into()) }),
        )
        .fallback(|| async { ApiError::NotFound("no such endpoint; see /openapi.json".into()) })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .with_state(state)
}

impl AppState {
    /// The API's state over `store` for `deployment`'s contracts.
    pub fn new(
        store: Store,
        progress: Arc<Progress>,
        deployment: &osiris_chain::Deployment,
        metrics: Option<PrometheusHandle>,
    ) -> Self {
        AppState {
            store,
            progress,
            genesis_hash: deployment.genesis_hash.clone(),
            metrics,
            registry: deployment.registry.address.to_string(),
            escrow: deployment.escrow.address.to_string(),
            agreements: deployment.agreements.as_ref().map(|a| a.address.to_string()),
            ddc: deployment.ddc.as_ref().map(|a| a.address.to_string()),
            node_url: deployment.node_url.clone(),
        }
    }

    /// The address of a contract by name (`registry`, `escrow`, `agreements` or `ddc`; an
    /// undeployed contract has none, and matches no event).
    fn contract_address(&self, name: &str) -> &str {
        match name {
            "registry" => &self.registry,
            "escrow" => &self.escrow,
            "ddc" => self.ddc.as_deref().unwrap_or(""),
            _ => self.agreements.as_deref().unwrap_or(""),
        }
    }
}
