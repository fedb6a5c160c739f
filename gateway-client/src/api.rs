//! A service's protobuf API as a reflection pool: from the encoded `FileDescriptorSet` a
//! gateway serves (`ServiceInfo.descriptor_set`), or compiled by the gateway from .proto files.

use prost_reflect::{DescriptorPool, MethodDescriptor};

/// The descriptor set does not decode into a consistent pool.
#[derive(Debug, thiserror::Error)]
#[error("the descriptor set is invalid: {0}")]
pub struct InvalidDescriptors(pub String);

/// A service API: a reflection pool and the encoded `FileDescriptorSet` it came from.
#[derive(Debug, Clone)]
pub struct Api {
    pub pool: DescriptorPool,
    pub descriptor_set: Vec<u8>,
}

impl Api {
    /// From an encoded `FileDescriptorSet` (e.g. `ServiceInfo.descriptor_set`).
    pub fn from_descriptor_set(bytes: &[u8]) -> Result<Self, InvalidDescriptors> {
        let pool = DescriptorPool::decode(bytes).map_err(|e| InvalidDescriptors(e.to_string()))?;
        Ok(Self { pool, descriptor_set: bytes.to_vec() })
    }

    /// The method of a gRPC path `/package.Service/Method`, if the API has it.
    pub fn method(&self, path: &str) -> Option<MethodDescriptor> {
        let (service, method) = path.strip_prefix('/')?.split_once('/')?;
        self.pool.get_service_by_name(service)?.methods().find(|m| m.name() == method)
    }

    /// Fully qualified names of the API's services.
    pub fn services(&self) -> Vec<String> {
        self.pool.services().map(|s| s.full_name().to_string()).collect()
    }

    /// Every method's name, service by service.
    pub fn method_names(&self) -> Vec<String> {
        self.pool.services().flat_map(|s| s.methods().map(|m| m.name().to_string()).collect::<Vec<_>>()).collect()
    }
}
