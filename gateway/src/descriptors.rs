//! The service's protobuf API, compiled at start from its .proto files (protox, no protoc).

pub use osiris_gateway_client::Api;
use prost::Message;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum DescriptorError {
    #[error("compiling {files:?} (includes {includes:?}): {reason}")]
    Compile { files: Vec<PathBuf>, includes: Vec<PathBuf>, reason: String },
    #[error(transparent)]
    Invalid(#[from] osiris_gateway_client::api::InvalidDescriptors),
    #[error("the service type `{0}` needs proto_files")]
    Missing(&'static str),
}

/// Compiles `files` with import paths `includes` (each file must be under one of them;
/// none given: the files' own directories).
pub fn compile(files: &[PathBuf], includes: &[PathBuf]) -> Result<Api, DescriptorError> {
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
    Ok(Api::from_descriptor_set(&fds.encode_to_vec())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proto_dir() -> PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../proto")
    }

    #[test]
    fn compiles_the_example_api_and_finds_methods() {
        // Absolute paths: figment's Jail in the config tests changes this process's directory meanwhile.
        let api = compile(&[proto_dir().join("examples/text.proto")], &[proto_dir()]).unwrap();
        assert_eq!(api.services(), vec!["osiris.examples.text.v1.TextStats".to_string()]);
        let method = api.method("/osiris.examples.text.v1.TextStats/Analyze").unwrap();
        assert_eq!(method.input().full_name(), "osiris.examples.text.v1.AnalyzeRequest");
        assert!(api.method("/osiris.examples.text.v1.TextStats/Nope").is_none());
        assert!(api.method("garbage").is_none());
        assert!(compile(&[proto_dir().join("examples/missing.proto")], &[proto_dir()]).is_err());
    }
}
