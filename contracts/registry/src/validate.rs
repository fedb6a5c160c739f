//! Input checks shared by the registry's messages.

use crate::{InstanceGroup, OrgMetadata, RegistryError, ServiceMetadata, MAX_ENDPOINTS, MAX_NAME_LEN, MAX_URI_LEN};
use ink::prelude::string::String;
use osiris_contract_types::is_valid_id;

pub(crate) fn id(id: &str) -> Result<(), RegistryError> {
    is_valid_id(id).then_some(()).ok_or(RegistryError::InvalidId)
}

fn text(name: &str, uri: &str) -> Result<(), RegistryError> {
    (name.len() <= MAX_NAME_LEN && uri.len() <= MAX_URI_LEN).then_some(()).ok_or(RegistryError::InvalidMetadata)
}

pub(crate) fn org_metadata(m: &OrgMetadata) -> Result<(), RegistryError> {
    text(&m.name, &m.uri)
}

pub(crate) fn service_metadata(m: &ServiceMetadata) -> Result<(), RegistryError> {
    text(&m.name, &m.uri)
}

/// Endpoints must be non-empty, at most [`MAX_URI_LEN`] bytes, and unique among themselves and `existing`.
pub(crate) fn endpoints(new: &[String], existing: &[String]) -> Result<(), RegistryError> {
    for (i, e) in new.iter().enumerate() {
        if e.is_empty() || e.len() > MAX_URI_LEN {
            return Err(RegistryError::InvalidMetadata);
        }
        if existing.contains(e) || new[..i].contains(e) {
            return Err(RegistryError::EndpointExists);
        }
    }
    if existing.len().saturating_add(new.len()) > MAX_ENDPOINTS {
        return Err(RegistryError::TooMany);
    }
    Ok(())
}

/// A group's id and endpoints are valid and its id is not among `existing`.
pub(crate) fn group(g: &InstanceGroup, existing: &[InstanceGroup]) -> Result<(), RegistryError> {
    id(&g.id)?;
    if existing.iter().any(|e| e.id == g.id) {
        return Err(RegistryError::GroupExists);
    }
    endpoints(&g.endpoints, &[])
}
