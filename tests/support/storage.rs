//! ddc nodes for the storage stories: an object store per node (in this process, on a
//! directory of its own) and a gateway in bucket mode in front of it.

use crate::{actor_account, Market};
use osiris_contract_types::ddc::NodeId;
use osiris_gateway::buckets::BucketNodeConfig;
use osiris_gateway::config::{Config, ServiceConfig, ServiceType};
use tokio_util::sync::CancellationToken;

/// An object store serving a temporary directory until dropped.
pub struct ObjectStore {
    pub url: String,
    pub dir: tempfile::TempDir,
    stop: CancellationToken,
}

impl Drop for ObjectStore {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Starts an object store (examples/src/objects.rs) on a port of its own.
pub async fn spawn_object_store() -> ObjectStore {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the object store");
    let url = format!("http://{}", listener.local_addr().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let stop = CancellationToken::new();
    let (root, token) = (dir.path().to_path_buf(), stop.clone());
    tokio::spawn(async move {
        osiris_examples::objects::serve_until(listener, root, token.cancelled_owned()).await.expect("object store")
    });
    ObjectStore { url, dir, stop }
}

impl Market {
    /// Binds a listener for a gateway to come (port 0), kept for [`Market::start_gateway`];
    /// its URL, to register as a node's URL first.
    pub fn reserve_gateway_url(&self) -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a gateway listener");
        let address = listener.local_addr().unwrap();
        self.reserved.lock().unwrap().insert(address, listener);
        format!("http://{address}")
    }

    /// A bucket-mode gateway configuration: ddc node `node_id` of `owner` (a secret URI), at
    /// `url`, in front of the object store at `object_store`.
    pub fn node_gateway_config(&self, url: &str, node_id: NodeId, owner: &str, object_store: &str) -> Config {
        Config {
            listen: url.trim_start_matches("http://").parse().unwrap(),
            public_endpoint: url.to_string(),
            database_url: self.db.url.clone(),
            node_url: self.osiris.node.url.clone(),
            deployment: self.deployment_file.clone(),
            recipient: Some(actor_account(owner).to_string()),
            bucket_node: BucketNodeConfig { node_id: Some(node_id), usage_flush_ms: 100, ..Default::default() },
            service: ServiceConfig {
                service_type: ServiceType::Grpc,
                endpoint: object_store.to_string(),
                ..ServiceConfig::default()
            },
            ..Config::default()
        }
    }
}
