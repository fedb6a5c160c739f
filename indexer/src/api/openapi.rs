//! The OpenAPI 3 document, generated from the handlers' annotations.

use super::error::ErrorBody;
use super::models::*;
use axum::Json;
use serde_json::Value;
use std::sync::OnceLock;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Osiris indexer",
        description = "Read-only mirror of the Osiris contracts (registry, escrow, agreements, ddc) on finalized blocks."
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
        super::agreements::list_templates,
        super::agreements::get_template,
        super::agreements::list_offers,
        super::agreements::get_offer,
        super::agreements::list_agreements,
        super::agreements::get_agreement,
        super::agreements::list_metering,
        super::agreements::get_agreement_balance,
        super::ddc::list_nodes,
        super::ddc::get_node,
        super::ddc::get_node_audits,
        super::ddc::list_clusters,
        super::ddc::get_cluster,
        super::ddc::list_buckets,
        super::ddc::get_bucket,
        super::ddc::get_ddc_account,
        super::status::status,
        super::status::network,
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
        Network,
        CursorPosition,
        Health,
        crate::state::agreements::TemplateRow,
        crate::state::agreements::ConditionTerms,
        crate::state::agreements::OfferRow,
        crate::state::agreements::AgreementRow,
        crate::state::agreements::ConditionRow,
        crate::state::agreements::Termination,
        crate::state::agreements::MeteringRow,
        crate::state::ddc::NodeRow,
        super::ddc::NodeAudits,
        super::ddc::AuditItem,
        crate::state::ddc::ClusterRow,
        crate::state::ddc::BucketRow,
        super::ddc::BucketStatus,
        super::ddc::DdcAccount
    ))
)]
pub struct ApiDoc;

/// The document as served: utoipa 5.5 writes a link's `operationId` and `operationRef`
/// in snake case, which OpenAPI tools do not read, so they are renamed here.
pub fn document() -> Value {
    let mut document = serde_json::to_value(ApiDoc::openapi()).expect("the OpenAPI document serializes");
    if let Some(paths) = document["paths"].as_object_mut() {
        let operations = paths.values_mut().filter_map(Value::as_object_mut).flat_map(|item| item.values_mut());
        let responses = operations.filter_map(|op| op["responses"].as_object_mut()).flat_map(|r| r.values_mut());
        for links in responses.filter_map(|r| r.get_mut("links")).filter_map(Value::as_object_mut) {
            for link in links.values_mut().filter_map(Value::as_object_mut) {
                for (from, to) in [("operation_id", "operationId"), ("operation_ref", "operationRef")] {
                    if let Some(value) = link.remove(from) {
                        link.insert(to.to_string(), value);
                    }
                }
            }
        }
    }
    document
}

/// `GET /openapi.json`
pub async fn serve() -> Json<Value> {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    Json(DOCUMENT.get_or_init(document).clone())
}

#[cfg(test)]
mod tests {
    #[test]
    fn links_name_their_operation_in_camel_case() {
        let document = super::document();
        let link = &document["paths"]["/v1/channels"]["get"]["responses"]["200"]["links"]["first_channel"];
        assert_eq!(link["operationId"], "get_channel");
        assert!(link.get("operation_id").is_none());
        let param = &document["paths"]["/v1/channels/{channel_id}"]["get"]["parameters"][0];
        assert_eq!((param["name"].as_str(), param["required"].as_bool()), (Some("channel_id"), Some(true)));
    }
}
