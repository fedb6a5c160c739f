//! `osiris org …`

use super::{parse_account, parse_hash};
use crate::{context::GlobalArgs, output::Report};
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use osiris_chain::types::registry::{OrgMetadata, Organization};
use osiris_chain::{account::from_ink, AccountId};
use serde_json::{json, Value};

#[derive(Args)]
pub struct OrgMetadataArgs {
    /// Display name.
    #[arg(long)]
    name: String,
    /// URI of the full description.
    #[arg(long, default_value = "")]
    uri: String,
    /// blake2-256 of the document at --uri, hex.
    #[arg(long, default_value = "", value_parser = parse_hash)]
    content_hash: [u8; 32],
}

impl From<OrgMetadataArgs> for OrgMetadata {
    fn from(a: OrgMetadataArgs) -> Self {
        OrgMetadata { name: a.name, uri: a.uri, content_hash: a.content_hash }
    }
}

#[derive(Subcommand)]
pub enum OrgCommand {
    /// Create an organization owned by the signer.
    Create {
        org_id: String,
        #[command(flatten)]
        metadata: OrgMetadataArgs,
        /// Members (repeatable).
        #[arg(long = "member", value_parser = parse_account)]
        members: Vec<AccountId>,
    },
    /// Replace an organization's metadata.
    Update {
        org_id: String,
        #[command(flatten)]
        metadata: OrgMetadataArgs,
    },
    /// Hand the organization to a new owner.
    ChangeOwner {
        org_id: String,
        #[arg(value_parser = parse_account)]
        new_owner: AccountId,
    },
    /// Add members.
    AddMembers {
        org_id: String,
        #[arg(required = true, value_parser = parse_account)]
        members: Vec<AccountId>,
    },
    /// Remove members.
    RemoveMembers {
        org_id: String,
        #[arg(required = true, value_parser = parse_account)]
        members: Vec<AccountId>,
    },
    /// Delete an organization and its services.
    Delete { org_id: String },
    /// Show an organization.
    Show { org_id: String },
    /// List organization ids.
    List,
}

pub async fn run(global: &GlobalArgs, command: OrgCommand) -> Result<Report> {
    let registry = global.connect().await?.registry();
    let signer = || global.signer();
    Ok(match command {
        OrgCommand::Create { org_id, metadata, members } => {
            let outcome = registry.create_org(&signer()?, &org_id, metadata.into(), &members).await?;
            Report::call(format!("created organization {org_id}"), &outcome, json!({ "org_id": org_id }))
        }
        OrgCommand::Update { org_id, metadata } => {
            let outcome = registry.update_org_metadata(&signer()?, &org_id, metadata.into()).await?;
            Report::call(format!("updated organization {org_id}"), &outcome, json!({ "org_id": org_id }))
        }
        OrgCommand::ChangeOwner { org_id, new_owner } => {
            let outcome = registry.change_org_owner(&signer()?, &org_id, &new_owner).await?;
            Report::call(
                format!("{org_id} is now owned by {new_owner}"),
                &outcome,
                json!({ "org_id": org_id, "owner": new_owner }),
            )
        }
        OrgCommand::AddMembers { org_id, members } => {
            let outcome = registry.add_org_members(&signer()?, &org_id, &members).await?;
            Report::call(
                format!("added {} member(s) to {org_id}", members.len()),
                &outcome,
                json!({ "org_id": org_id }),
            )
        }
        OrgCommand::RemoveMembers { org_id, members } => {
            let outcome = registry.remove_org_members(&signer()?, &org_id, &members).await?;
            Report::call(
                format!("removed {} member(s) from {org_id}", members.len()),
                &outcome,
                json!({ "org_id": org_id }),
            )
        }
        OrgCommand::Delete { org_id } => {
            let outcome = registry.delete_org(&signer()?, &org_id).await?;
            Report::call(format!("deleted organization {org_id}"), &outcome, json!({ "org_id": org_id }))
        }
        OrgCommand::Show { org_id } => {
            let org = registry.get_org(&org_id).await?.with_context(|| format!("no organization {org_id:?}"))?;
            let json = org_json(&org);
            Report::new(serde_json::to_string_pretty(&json)?, json)
        }
        OrgCommand::List => {
            let ids = registry.list_orgs().await?;
            Report::new(ids.join("\n"), json!(ids))
        }
    })
}

/// An organization as JSON: SS58 accounts, hex hash.
pub fn org_json(org: &Organization) -> Value {
    json!({
        "id": org.id,
        "owner": from_ink(&org.owner),
        "members": org.members.iter().map(from_ink).collect::<Vec<_>>(),
        "name": org.metadata.name,
        "uri": org.metadata.uri,
        "content_hash": format!("0x{}", hex::encode(org.metadata.content_hash)),
        "services": org.services,
    })
}
