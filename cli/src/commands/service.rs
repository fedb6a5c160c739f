//! `osiris service …`

use super::{parse_account, parse_hash};
use crate::{
    context::GlobalArgs,
    output::{planck, Report},
};
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use osiris_chain::types::registry::{InstanceGroup, Service, ServiceMetadata};
use osiris_chain::{
    account::{from_ink, to_ink},
    AccountId, Balance,
};
use serde_json::{json, Value};

#[derive(Args)]
pub struct ServiceMetadataArgs {
    /// Price of one call, in planck.
    #[arg(long)]
    price: Balance,
    /// Display name.
    #[arg(long, default_value = "")]
    name: String,
    /// URI of the full description (API, proto files).
    #[arg(long, default_value = "")]
    uri: String,
    /// blake2-256 of the document at --uri, hex.
    #[arg(long, default_value = "", value_parser = parse_hash)]
    content_hash: [u8; 32],
}

impl From<ServiceMetadataArgs> for ServiceMetadata {
    fn from(a: ServiceMetadataArgs) -> Self {
        ServiceMetadata { name: a.name, uri: a.uri, content_hash: a.content_hash, price_per_call: a.price }
    }
}

#[derive(Args)]
pub struct GroupArgs {
    /// Instance group id.
    #[arg(long = "group")]
    group_id: String,
    /// Account that receives the group's payments.
    #[arg(long, value_parser = parse_account)]
    recipient: AccountId,
    /// Gateway endpoint URL (repeatable).
    #[arg(long = "endpoint")]
    endpoints: Vec<String>,
}

impl From<GroupArgs> for InstanceGroup {
    fn from(a: GroupArgs) -> Self {
        InstanceGroup { id: a.group_id, payment_recipient: to_ink(&a.recipient), endpoints: a.endpoints }
    }
}

#[derive(Subcommand)]
pub enum ServiceCommand {
    /// Create a service with one instance group (add more with add-group).
    Create {
        org_id: String,
        service_id: String,
        #[command(flatten)]
        metadata: ServiceMetadataArgs,
        #[command(flatten)]
        group: GroupArgs,
    },
    /// Replace a service's metadata and price.
    Update {
        org_id: String,
        service_id: String,
        #[command(flatten)]
        metadata: ServiceMetadataArgs,
    },
    /// Publish a service's metadata document: checks the JSON file (description, tags,
    /// links), then sets the service's content_hash in the registry to its blake2-256,
    /// keeping name, URI and price. Serve the same file from the service's gateways
    /// (`service.metadata_file`); the indexer shows it once their bytes match the hash.
    Describe {
        org_id: String,
        service_id: String,
        /// The document (JSON: description, tags, docs_url, contact, image_url).
        #[arg(long)]
        file: std::path::PathBuf,
    },
    /// Add an instance group.
    AddGroup {
        org_id: String,
        service_id: String,
        #[command(flatten)]
        group: GroupArgs,
    },
    /// Remove an instance group.
    RemoveGroup { org_id: String, service_id: String, group_id: String },
    /// Add endpoints to a group.
    AddEndpoints {
        org_id: String,
        service_id: String,
        group_id: String,
        #[arg(required = true)]
        endpoints: Vec<String>,
    },
    /// Remove endpoints from a group.
    RemoveEndpoints {
        org_id: String,
        service_id: String,
        group_id: String,
        #[arg(required = true)]
        endpoints: Vec<String>,
    },
    /// Delete a service.
    Delete { org_id: String, service_id: String },
    /// Show a service.
    Show { org_id: String, service_id: String },
    /// List an organization's services.
    List { org_id: String },
}

pub async fn run(global: &GlobalArgs, command: ServiceCommand) -> Result<Report> {
    let registry = global.connect().await?.registry();
    let signer = || global.signer();
    Ok(match command {
        ServiceCommand::Create { org_id, service_id, metadata, group } => {
            let outcome =
                registry.create_service(&signer()?, &org_id, &service_id, metadata.into(), vec![group.into()]).await?;
            Report::call(
                format!("created service {org_id}/{service_id}"),
                &outcome,
                json!({ "org_id": org_id, "service_id": service_id }),
            )
        }
        ServiceCommand::Update { org_id, service_id, metadata } => {
            let outcome = registry.update_service_metadata(&signer()?, &org_id, &service_id, metadata.into()).await?;
            Report::call(
                format!("updated service {org_id}/{service_id}"),
                &outcome,
                json!({ "org_id": org_id, "service_id": service_id }),
            )
        }
        ServiceCommand::Describe { org_id, service_id, file } => {
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let document = osiris_gateway_client::document::parse(&bytes)
                .with_context(|| format!("{} is not a service document", file.display()))?;
            let hash = osiris_gateway_client::document::content_hash(&bytes);
            let service = registry
                .get_service(&org_id, &service_id)
                .await?
                .with_context(|| format!("no service {org_id}/{service_id}"))?;
            let metadata = ServiceMetadata { content_hash: hash, ..service.metadata };
            let outcome = registry.update_service_metadata(&signer()?, &org_id, &service_id, metadata).await?;
            Report::call(
                format!(
                    "described service {org_id}/{service_id}: content hash 0x{} ({} tags); serve {} from its gateways \
                     (service.metadata_file)",
                    hex::encode(hash),
                    document.tags.len(),
                    file.display()
                ),
                &outcome,
                json!({ "org_id": org_id, "service_id": service_id, "content_hash": format!("0x{}", hex::encode(hash)) }),
            )
        }
        ServiceCommand::AddGroup { org_id, service_id, group } => {
            let group_id = group.group_id.clone();
            let outcome = registry.add_group(&signer()?, &org_id, &service_id, group.into()).await?;
            Report::call(
                format!("added group {group_id} to {org_id}/{service_id}"),
                &outcome,
                json!({ "group_id": group_id }),
            )
        }
        ServiceCommand::RemoveGroup { org_id, service_id, group_id } => {
            let outcome = registry.remove_group(&signer()?, &org_id, &service_id, &group_id).await?;
            Report::call(
                format!("removed group {group_id} from {org_id}/{service_id}"),
                &outcome,
                json!({ "group_id": group_id }),
            )
        }
        ServiceCommand::AddEndpoints { org_id, service_id, group_id, endpoints } => {
            let outcome =
                registry.add_endpoints(&signer()?, &org_id, &service_id, &group_id, endpoints.clone()).await?;
            Report::call(
                format!("added {} endpoint(s) to group {group_id}", endpoints.len()),
                &outcome,
                json!({ "endpoints": endpoints }),
            )
        }
        ServiceCommand::RemoveEndpoints { org_id, service_id, group_id, endpoints } => {
            let outcome =
                registry.remove_endpoints(&signer()?, &org_id, &service_id, &group_id, endpoints.clone()).await?;
            Report::call(
                format!("removed {} endpoint(s) from group {group_id}", endpoints.len()),
                &outcome,
                json!({ "endpoints": endpoints }),
            )
        }
        ServiceCommand::Delete { org_id, service_id } => {
            let outcome = registry.delete_service(&signer()?, &org_id, &service_id).await?;
            Report::call(
                format!("deleted service {org_id}/{service_id}"),
                &outcome,
                json!({ "org_id": org_id, "service_id": service_id }),
            )
        }
        ServiceCommand::Show { org_id, service_id } => {
            let service = registry
                .get_service(&org_id, &service_id)
                .await?
                .with_context(|| format!("no service {org_id}/{service_id}"))?;
            let json = service_json(&service);
            Report::new(serde_json::to_string_pretty(&json)?, json)
        }
        ServiceCommand::List { org_id } => {
            let services =
                registry.list_services(&org_id).await?.with_context(|| format!("no organization {org_id:?}"))?;
            let json: Vec<Value> = services.iter().map(service_json).collect();
            let text = services
                .iter()
                .map(|s| format!("{}/{} {} planck/call", s.org_id, s.id, s.metadata.price_per_call))
                .collect::<Vec<_>>();
            Report::new(text.join("\n"), json!(json))
        }
    })
}

/// A service as JSON: SS58 accounts, amounts as strings.
pub fn service_json(s: &Service) -> Value {
    json!({
        "org_id": s.org_id,
        "id": s.id,
        "name": s.metadata.name,
        "uri": s.metadata.uri,
        "content_hash": format!("0x{}", hex::encode(s.metadata.content_hash)),
        "price_per_call": planck(s.metadata.price_per_call),
        "groups": s.groups.iter().map(|g| json!({
            "id": g.id,
            "payment_recipient": from_ink(&g.payment_recipient),
            "endpoints": g.endpoints,
        })).collect::<Vec<_>>(),
    })
}
