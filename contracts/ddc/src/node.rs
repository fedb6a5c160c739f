//! Nodes and the providers' trust in managers.

use crate::{ddc::Ddc, DdcError, Result};
use ink::codegen::Env;
use ink::prelude::string::String;
use osiris_contract_types::ddc::*;
use osiris_contract_types::{AccountId, Balance};

impl Ddc {
    pub(crate) fn do_node_create(
        &mut self,
        capacity: Resource,
        rent_per_vnode: Balance,
        url: String,
    ) -> Result<NodeId> {
        check_url(&url)?;
        let owner = self.env().caller();
        let node_id = self.next_node_id;
        self.next_node_id = node_id.checked_next().ok_or(DdcError::Overflow)?;
        let node = Node { owner, capacity, free_resource: capacity, rent_per_vnode, url: url.clone() };
        self.nodes.insert(node_id, &node);
        self.env().emit_event(NodeCreated { node_id, owner, capacity, rent_per_vnode, url });
        Ok(node_id)
    }

    pub(crate) fn do_node_change_params(
        &mut self,
        node_id: NodeId,
        capacity: Resource,
        rent_per_vnode: Balance,
        url: String,
    ) -> Result<()> {
        check_url(&url)?;
        let mut node = self.nodes.get(node_id).ok_or(DdcError::NodeNotFound)?;
        if node.owner != self.env().caller() {
            return Err(DdcError::NotNodeOwner);
        }
        let reserved = node.capacity.checked_sub(node.free_resource).ok_or(DdcError::Overflow)?;
        node.free_resource = capacity.checked_sub(reserved).ok_or(DdcError::CapacityBelowReserved)?;
        node.capacity = capacity;
        node.rent_per_vnode = rent_per_vnode;
        node.url = url.clone();
        self.nodes.insert(node_id, &node);
        self.env().emit_event(NodeChanged {
            node_id,
            capacity,
            free_resource: node.free_resource,
            rent_per_vnode,
            url,
        });
        Ok(())
    }

    pub(crate) fn do_trust(&mut self, manager: AccountId, trusted: bool) -> Result<()> {
        let provider = self.env().caller();
        if trusted {
            self.trust.insert((provider, manager), &());
        } else {
            self.trust.remove((provider, manager));
        }
        self.env().emit_event(ManagerTrustChanged { provider, manager, trusted });
        Ok(())
    }
}

/// A node URL: 1..=`MAX_DDC_TEXT_LEN` bytes.
fn check_url(url: &str) -> Result<()> {
    if url.is_empty() || url.len() > MAX_DDC_TEXT_LEN {
        return Err(DdcError::InvalidText);
    }
    Ok(())
}
