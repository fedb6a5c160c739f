//! The registry contract's events: which they are, their names and their fields as JSON.

use super::{decode_as, signature_topic, DecodeError};
use crate::json::{account, hex0x, planck};
use osiris_contract_types::registry as r;
use serde_json::{json, Value};

contract_events!(
    /// An event of the registry contract.
    RegistryEvent,
    r,
    [
        OrganizationCreated,
        OrganizationMetadataUpdated,
        OrganizationOwnerChanged,
        MembersAdded,
        MembersRemoved,
        OrganizationDeleted,
        ServiceCreated,
        ServiceMetadataUpdated,
        ServiceDeleted,
        GroupAdded,
        GroupRemoved,
        EndpointsAdded,
        EndpointsRemoved,
    ]
);

fn org_metadata(m: &r::OrgMetadata) -> Value {
    json!({ "name": m.name, "uri": m.uri, "content_hash": hex0x(&m.content_hash) })
}

fn service_metadata(m: &r::ServiceMetadata) -> Value {
    json!({ "name": m.name, "uri": m.uri, "content_hash": hex0x(&m.content_hash), "price_per_call": planck(m.price_per_call) })
}

fn group(g: &r::InstanceGroup) -> Value {
    json!({ "id": g.id, "payment_recipient": account(&g.payment_recipient), "endpoints": g.endpoints })
}

fn accounts(list: &[osiris_contract_types::AccountId]) -> Vec<String> {
    list.iter().map(account).collect()
}

impl RegistryEvent {
    /// The fields as JSON: accounts SS58, amounts decimal strings, hashes and keys 0x-hex.
    pub fn fields(&self) -> Value {
        use RegistryEvent::*;
        match self {
            OrganizationCreated(x) => json!({
                "org_id": x.org_id, "owner": account(&x.owner), "members": accounts(&x.members), "metadata": org_metadata(&x.metadata)
            }),
            OrganizationMetadataUpdated(x) => json!({ "org_id": x.org_id, "metadata": org_metadata(&x.metadata) }),
            OrganizationOwnerChanged(x) => json!({ "org_id": x.org_id, "new_owner": account(&x.new_owner) }),
            MembersAdded(x) => json!({ "org_id": x.org_id, "members": accounts(&x.members) }),
            MembersRemoved(x) => json!({ "org_id": x.org_id, "members": accounts(&x.members) }),
            OrganizationDeleted(x) => json!({ "org_id": x.org_id }),
            ServiceCreated(x) => json!({
                "org_id": x.org_id, "service_id": x.service_id, "metadata": service_metadata(&x.metadata),
                "groups": x.groups.iter().map(group).collect::<Vec<_>>()
            }),
            ServiceMetadataUpdated(x) => {
                json!({ "org_id": x.org_id, "service_id": x.service_id, "metadata": service_metadata(&x.metadata) })
            }
            ServiceDeleted(x) => json!({ "org_id": x.org_id, "service_id": x.service_id }),
            GroupAdded(x) => json!({ "org_id": x.org_id, "service_id": x.service_id, "group": group(&x.group) }),
            GroupRemoved(x) => json!({ "org_id": x.org_id, "service_id": x.service_id, "group_id": x.group_id }),
            EndpointsAdded(x) => json!({
                "org_id": x.org_id, "service_id": x.service_id, "group_id": x.group_id, "endpoints": x.endpoints
            }),
            EndpointsRemoved(x) => json!({
                "org_id": x.org_id, "service_id": x.service_id, "group_id": x.group_id, "endpoints": x.endpoints
            }),
        }
    }
}
