//! Storage sold by the block, end to end: two providers run ddc nodes (an object store
//! behind a gateway in bucket mode), a manager forms a cluster of four vnodes over them,
//! Eve rents a bucket and stores a file with two replicas. Ferdie may read but not write,
//! Dave may do neither; forged signatures are refused, and so are replays (to the same
//! node, to the other node, after a restart); a node replaced out of
//! the cluster stops serving the bucket; a read survives a stopped node; a bucket whose
//! owner's deposit ran out is refused; each node counts the bucket's bytes in PostgreSQL.

use osiris_chain::ddc::Ddc;
use osiris_chain::types::ddc::Permission;
use osiris_chain::{AccountId, Balance};
use osiris_contract_types::ddc::BucketId;
use osiris_contract_types::ddc::NodeId;
use osiris_e2e::{actor, actor_account as account, spawn_object_store, Market, UNIT};
use osiris_gateway_client::pb::storage::object_store_client::ObjectStoreClient;
use osiris_gateway_client::pb::storage::GetRequest;
use osiris_gateway_client::storage::{Source, Storage, StorageError};
use osiris_payments::buckets::BucketRequest;
use osiris_payments::signing::account::AccountKey;
use std::collections::BTreeMap;
use tonic::Code;

/// Rent of one vnode, planck per block.
const RENT: Balance = UNIT / 1_000;

fn storage(market: &Market, who: &str, vnodes: Vec<NodeId>, nodes: &BTreeMap<NodeId, String>) -> Storage {
    Storage {
        ddc: *market.osiris.ddc().address(),
        key: AccountKey::from_uri(who).unwrap(),
        vnodes,
        nodes: nodes.clone(),
        replicas: 2,
        ca_file: None,
        connections: Default::default(),
    }
}

/// The gRPC code and `osiris-refusal` of a failed storage call (OK and no reason when it
/// passed).
fn refusal(result: Result<impl std::fmt::Debug, StorageError>) -> (Code, String) {
    match result {
        Ok(_) => (Code::Ok, String::new()),
        Err(StorageError::Node { status, .. }) => {
            let label = status.metadata().get("osiris-refusal").and_then(|v| v.to_str().ok()).unwrap_or("");
            (status.code(), label.to_string())
        }
        other => panic!("expected a node's refusal, got {other:?}"),
    }
}

/// A node gateway's cached bucket facts follow the mirror within moments (it hears each
/// block's NOTIFY): `attempt` until it refuses, for up to [`NOTIFY_WAIT`].
async fn eventually<F, Fut>(mut attempt: F) -> (Code, String)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = (Code, String)>,
{
    let started = std::time::Instant::now();
    loop {
        let outcome = attempt().await;
        if outcome.0 != Code::Ok || started.elapsed() > NOTIFY_WAIT {
            return outcome;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Longest a node gateway may take to hear of a block.
const NOTIFY_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

async fn settle_blocks(market: &Market, ddc: &Ddc, blocks: u32) -> u64 {
    let mut last = 0;
    for _ in 0..blocks {
        last = ddc.account_deposit(&actor("//Alice"), 1).await.unwrap().block_number;
    }
    market.wait_for_block(last).await;
    last
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bucket_is_stored_on_two_nodes_and_served_only_to_whom_it_should() {
    let market = Market::start().await;
    let ddc = market.osiris.ddc();
    let (bob, charlie, dave, eve, ferdie) =
        (actor("//Bob"), actor("//Charlie"), actor("//Dave"), actor("//Eve"), actor("//Ferdie"));

    // Bob and Charlie register a node each, at their gateways' addresses, and trust Dave.
    let urls = [market.reserve_gateway_url(), market.reserve_gateway_url()];
    ddc.node_create(&bob, 100, RENT, &urls[0]).await.unwrap();
    ddc.node_create(&charlie, 100, RENT, &urls[1]).await.unwrap();
    ddc.node_create(&actor("//Alice"), 100, RENT, "http://127.0.0.1:9").await.unwrap();
    for provider in [&bob, &charlie, &actor("//Alice")] {
        ddc.node_trust_manager(provider, &account("//Dave"), true).await.unwrap();
    }
    let cluster = ddc.cluster_create(&dave, [0, 1, 0, 1].map(NodeId).to_vec(), 10, 1_000).await.unwrap().value;

    // Eve's bucket: 8 units, 5 UNIT deposited, Ferdie may read.
    let bucket = ddc.bucket_create(&eve, cluster, "photos").await.unwrap().value;
    ddc.account_deposit(&eve, 5 * UNIT).await.unwrap();
    ddc.bucket_alloc_into_cluster(&eve, bucket, 8).await.unwrap();
    let last = ddc.bucket_permission(&eve, bucket, &account("//Ferdie"), Permission::Reader, true).await.unwrap();
    market.wait_for_block(last.block_number).await;

    // Each provider runs an object store behind a gateway in bucket mode.
    let stores = [spawn_object_store().await, spawn_object_store().await];
    let gateway0 = market.start_gateway(market.node_gateway_config(&urls[0], NodeId(0), "//Bob", &stores[0].url)).await;
    let gateway1 =
        market.start_gateway(market.node_gateway_config(&urls[1], NodeId(1), "//Charlie", &stores[1].url)).await;
    let nodes: BTreeMap<NodeId, String> = [(NodeId(0), urls[0].clone()), (NodeId(1), urls[1].clone())].into();

    // Eve stores a 300 KiB file: both nodes hold it, and it reads back whole.
    let photo: Vec<u8> = (0..300 * 1024u32).map(|i| (i * 7 % 251) as u8).collect();
    let path = market.dir.path().join("cat.jpg");
    std::fs::write(&path, &photo).unwrap();
    let eves = storage(&market, "//Eve", [0, 1, 0, 1].map(NodeId).to_vec(), &nodes);
    let stored = eves.put(bucket, "photos/cat.jpg", &Source::File(path)).await.unwrap();
    assert_eq!((stored.size, stored.nodes.len()), (photo.len() as u64, 2));
    for store in &stores {
        let file = store.dir.path().join(bucket.to_string()).join(hex::encode("photos/cat.jpg"));
        assert_eq!(std::fs::read(file).unwrap(), photo, "each replica holds the object");
    }
    let mut read = Vec::new();
    eves.get(bucket, "photos/cat.jpg", &mut read).await.unwrap();
    assert_eq!(read, photo);
    let (listed, missing) = eves.list(bucket, "photos/").await.unwrap();
    assert_eq!((listed.len(), listed[0].size, missing.len()), (1, photo.len() as u64, 0));
    // A put, a get and a list made one connection to each node, no more.
    assert_eq!(eves.connections.len().await, 2);

    // Input that fails half-way (a disk error, a broken pipe) stores nothing anywhere: the
    // uploads are cancelled, not ended, so no replica commits a truncated object.
    let broken = eves.put_reader(bucket, "photos/half.jpg", FailingReader { left: 200 * 1024 }, "camera").await;
    assert!(matches!(&broken, Err(StorageError::Source { path, .. }) if path == "camera"), "{broken:?}");
    let (listed, _) = eves.list(bucket, "photos/").await.unwrap();
    assert_eq!(listed.iter().map(|o| o.key.as_str()).collect::<Vec<_>>(), ["photos/cat.jpg"]);
    for store in &stores {
        assert!(!store.dir.path().join(bucket.to_string()).join(hex::encode("photos/half.jpg")).exists());
    }

    // Ferdie reads; he may not write. Dave, a stranger, may do neither.
    let ferdies = storage(&market, "//Ferdie", [0, 1, 0, 1].map(NodeId).to_vec(), &nodes);
    let mut read = Vec::new();
    ferdies.get(bucket, "photos/cat.jpg", &mut read).await.unwrap();
    assert_eq!(read.len(), photo.len());
    let note = Source::Bytes(bytes::Bytes::from_static(b"hi"));
    let refused = ferdies.put(bucket, "notes/ferdie.txt", &note).await;
    assert!(refused.as_ref().unwrap_err().to_string().contains("writer"), "{refused:?}");
    assert_eq!(refusal(refused), (Code::PermissionDenied, "bucket_forbidden".into()));
    let daves = storage(&market, "//Dave", [0, 1, 0, 1].map(NodeId).to_vec(), &nodes);
    assert_eq!(
        refusal(daves.get(bucket, "photos/cat.jpg", &mut Vec::new()).await),
        (Code::PermissionDenied, "bucket_forbidden".into())
    );

    // A captured request replayed to the same node is refused; a signature by someone else
    // than the account it names is refused.
    let channel = osiris_gateway_client::GatewayClient::connect(&urls[0]).await.unwrap().channel();
    let key = AccountKey::from_uri("//Eve").unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
    let signed = |signer: &AccountKey, account: AccountId| {
        let signature = signer.sign_bucket_request(ddc.address(), NodeId(0), bucket, "get", "photos/cat.jpg", now);
        let meta =
            BucketRequest { bucket_id: bucket, key: "photos/cat.jpg".into(), account, timestamp_ms: now, signature };
        let mut headers = http::HeaderMap::new();
        meta.to_headers(&mut headers);
        headers
    };
    let request = |headers: &http::HeaderMap| {
        let mut request = tonic::Request::new(GetRequest {});
        *request.metadata_mut() = tonic::metadata::MetadataMap::from_headers(headers.clone());
        request
    };
    let mut client = ObjectStoreClient::new(channel);
    let captured = signed(&key, key.account());
    let mut stream = client.get(request(&captured)).await.unwrap().into_inner();
    let mut received = 0;
    while let Some(chunk) = stream.message().await.unwrap() {
        received += chunk.data.len();
    }
    assert_eq!(received, photo.len());
    let again = client.get(request(&captured)).await.unwrap_err();
    assert_eq!(again.code(), Code::AlreadyExists, "{again:?}");
    let forged = signed(&AccountKey::from_uri("//Dave").unwrap(), key.account());
    let forged = client.get(request(&forged)).await.unwrap_err();
    assert_eq!(forged.code(), Code::Unauthenticated, "{forged:?}");
    drop(client);

    // Mallory, who captured the request, sends it to the bucket's other node: it is signed
    // for node 0, so it does not verify there. Node 0 restarts (its memory is gone) and
    // still refuses it: the signatures it served are in PostgreSQL.
    let channel1 = osiris_gateway_client::GatewayClient::connect(&urls[1]).await.unwrap().channel();
    let elsewhere = ObjectStoreClient::new(channel1).get(request(&captured)).await.unwrap_err();
    assert_eq!(elsewhere.code(), Code::Unauthenticated, "{elsewhere:?}");
    let config0 = gateway0.config.clone();
    gateway0.stop().await;
    let gateway0 = market.start_gateway(config0).await;
    let restarted = osiris_e2e::gateway_when_up(&urls[0]).await.channel();
    let after_restart = ObjectStoreClient::new(restarted).get(request(&captured)).await.unwrap_err();
    assert_eq!(after_restart.code(), Code::AlreadyExists, "{after_restart:?}");
    let mut read = Vec::new();
    eves.get(bucket, "photos/cat.jpg", &mut read).await.unwrap();
    assert_eq!(read, photo, "nothing was lost: Eve reads her photo");

    // Each node counted the bucket's bytes: what it stores, what came in and went out.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let usage = osiris_ledger::bucket_usage::of_bucket(&market.pool, bucket).await.unwrap();
    assert_eq!(usage.len(), 2, "{usage:?}");
    for u in &usage {
        assert_eq!(u.stored_bytes, photo.len() as u64);
        assert!(u.bytes_in >= photo.len() as u64, "{u:?}");
    }
    let served: u64 = usage.iter().map(|u| u.bytes_out).sum();
    assert!(served >= 3 * photo.len() as u64, "three gets were served: {usage:?}");

    // Dave moves both of node 1's vnodes to Alice's node: node 1 no longer serves the bucket.
    ddc.cluster_replace_node(&dave, cluster, 1, NodeId(2)).await.unwrap();
    let moved = ddc.cluster_replace_node(&dave, cluster, 3, NodeId(2)).await.unwrap();
    market.wait_for_block(moved.block_number).await;
    let only1: BTreeMap<NodeId, String> = [(NodeId(1), urls[1].clone())].into();
    let at_node1 = storage(&market, "//Eve", vec![NodeId(1)], &only1);
    // Node 1 cached the bucket's facts; it drops them when it hears the block's NOTIFY.
    let refused = eventually(|| async { refusal(at_node1.get(bucket, "photos/cat.jpg", &mut Vec::new()).await) }).await;
    assert_eq!(refused, (Code::FailedPrecondition, "bucket_not_on_node".into()));

    // Node 1's gateway stops: with the old map, a read falls back to node 0.
    gateway1.stop().await;
    let mut read = Vec::new();
    let (served_by, size) = eves.get(bucket, "photos/cat.jpg", &mut read).await.unwrap();
    assert_eq!((served_by, size, read == photo), (NodeId(0), photo.len() as u64, true));

    // Ferdie's own bucket, with rent for two blocks: once they pass, it is refused.
    let own = ddc.bucket_create(&ferdie, cluster, "scratch").await.unwrap().value;
    ddc.bucket_alloc_into_cluster(&ferdie, own, 1).await.unwrap();
    let rate = ddc.bucket(own).await.unwrap().unwrap().rent_per_block;
    ddc.account_deposit(&ferdie, 2 * rate).await.unwrap();
    settle_blocks(&market, &ddc, 4).await;
    let only0: BTreeMap<NodeId, String> = [(NodeId(0), urls[0].clone())].into();
    let broke = storage(&market, "//Ferdie", vec![NodeId(0)], &only0);
    let (code, label) = refusal(broke.put(own, "x", &Source::Bytes(bytes::Bytes::from_static(b"x"))).await.map(drop));
    assert_eq!((code, label.as_str()), (Code::FailedPrecondition, "bucket_rent_unpaid"));
    let status = ddc.bucket(own).await.unwrap().unwrap();
    assert!(u64::from(status.rent_covered_until) < market.osiris.chain.block_number().await.unwrap());

    // Bad input to the API is refused before anything is stored.
    let bad = eves.put(bucket, "../escape", &Source::Bytes(bytes::Bytes::from_static(b"x"))).await;
    assert!(matches!(bad, Err(StorageError::BadKey(_))), "{bad:?}");
    let unknown = storage(&market, "//Eve", vec![NodeId(0)], &only0);
    let missing = unknown.get(BucketId(99), "k", &mut Vec::new()).await.unwrap_err();
    assert!(missing.to_string().contains("bucket 99 does not exist"), "{missing}");
    drop(gateway0);
}

/// Yields `left` bytes, then fails like a disk or a pipe that broke.
struct FailingReader {
    left: usize,
}

impl tokio::io::AsyncRead for FailingReader {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if self.left == 0 {
            return std::task::Poll::Ready(Err(std::io::Error::other("the input broke")));
        }
        let n = self.left.min(buf.remaining()).min(10_000);
        buf.put_slice(&vec![7u8; n]);
        self.left -= n;
        std::task::Poll::Ready(Ok(()))
    }
}
