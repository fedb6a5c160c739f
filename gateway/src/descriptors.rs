//! The service's protobuf API, compiled at start from its .proto files (protox, no protoc).

use prost::Message;
use prost_reflect::{DescriptorPool, MethodDescriptor};
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum DescriptorError {
    #[error("compiling {files:?} (includes {includes:?}): {reason}")]
    Compile { files: Vec<PathBuf>, includes: Vec<PathBuf>, reason: String },
    #[error("the descriptor set is invalid: {0}")]
    Invalid(String),
    #[error("the service type `{0}` needs proto_files")]
    Missing(&'static str),
}

/// The compiled API: a reflection pool and the encoded `FileDescriptorSet` (served to consumers).
#[derive(Debug, Clone)]
pub struct Api {
    pub pool: DescriptorPool,
    pub descriptor_set: Vec<u8>,
}

impl Api {
    /// Compiles `files` with import paths `includes` (each file must be under one of them).
    pub fn compile(files: &[PathBuf], includes: &[PathBuf]) -> Result<Self, DescriptorError> {
        let includes: Vec<PathBuf> = if includes.is_empty() {
            files.iter().filter_map(|f| f.parent().map(PathBuf::from)).collect()
        } else {
            includes.to_vec()
        };
        let fds = protox::compile(files, &includes).map_err(|e| DescriptorError::Compile {
            files: files.to_vec(),
            includes: includes.clone(),
            reason: e.to_string(),
        })?;
        let descriptor_set = fds.encode_to_vec();
        let pool =
            DescriptorPool::decode(descriptor_set.as_slice()).map_err(|e| DescriptorError::Invalid(e.to_string()))?;
        Ok(Self { pool, descriptor_set })
    }

    /// From an encoded `FileDescriptorSet` (e.g. `ServiceInfo.descriptor_set`).
    pub fn from_descriptor_set(bytes: &[u8]) -> Result<Self, DescriptorError> {
        let pool = DescriptorPool::decode(bytes).map_err(|e| DescriptorError::Invalid(e.to_string()))?;
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiles_the_example_api_and_finds_methods() {
        let api = Api::compile(&["../proto/examples/text.proto".into()], &["../proto".into()]).unwrap();
        assert_eq!(api.services(), vec!["osiris.examples.text.v1.TextStats".to_string()]);
        let method = api.method("/osiris.examples.text.v1.TextStats/Analyze").unwrap();
        assert_eq!(method.input().full_name(), "osiris.examples.text.v1.AnalyzeRequest");
        assert!(api.method("/osiris.examples.text.v1.TextStats/Nope").is_none());
        assert!(api.method("garbage").is_none());
        assert!(Api::compile(&["../proto/examples/missing.proto".into()], &["../proto".into()]).is_err());
    }
}
