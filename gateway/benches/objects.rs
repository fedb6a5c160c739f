//! Object store benchmark: puts and gets of 1 MiB objects made directly to the object
//! store (the baseline) and through a gateway in bucket mode (each request signed by the
//! caller's sr25519 key, decided from the mirror, its bytes counted): requests per second
//! and MiB/s, and their ratio to direct in the same run. Clients, store and gateway share
//! this process (and the machine's cores).
//!
//! `cargo bench -p osiris-gateway --bench objects` starts a dev chain, PostgreSQL and the
//! indexer (the e2e harness), registers a node, a cluster of one vnode and a bucket, and
//! runs the object store and the gateway in this process. Each mode: `OBJECTS` sequential
//! puts, then `OBJECTS` sequential gets, then `CLIENTS` clients doing the same at once.
//! Environment: `OSIRIS_BENCH_OBJECTS` (default 64), `OSIRIS_BENCH_OBJECT_KIB` (default 1024).
//!
//! Then encryption: the same puts and gets through the gateway sealed on the client
//! (`put_sealed`, `get_opened`), as a ratio to plain ones in the same run.
//!
//! Then repair: a second node joins a cluster of both, the objects are stored on both, the
//! second node's disk loses them and its repair pass copies them back (no rate limit):
//! MiB/s and objects/s. Then audits: the keeper challenges the first node `AUDITS` times on
//! random objects (each challenge also goes to the other replica): milliseconds per audit.
//!
//! Then memory: an object of 64 MiB, then one of `OSIRIS_BENCH_STREAM_MIB` (default 1,024),
//! streamed through the gateway from a reader (as `osiris object put -` streams standard
//! input): this process's peak resident memory (VmHWM) after each, which stays flat when
//! nothing holds an object whole.

use bytes::Bytes;
use osiris_contract_types::ddc::BucketId;
use osiris_contract_types::ddc::NodeId;
use osiris_e2e::{actor, actor_account, spawn_object_store, Market, UNIT};
use osiris_gateway_client::storage::{Source, Storage};
use osiris_payments::signing::account::AccountKey;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const CLIENTS: usize = 4;
/// Audits timed.
const AUDITS: usize = 50;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Requests per second of `objects` puts then gets of `object` by each of `clients` clients at once
/// (concurrent futures on this task: the storage client's futures borrow it).
async fn measure(storage: &Storage, bucket: BucketId, object: Bytes, objects: usize, clients: usize) -> (f64, f64) {
    let requests = (objects * clients) as f64;
    let source = Source::Bytes(object.clone());
    let started = Instant::now();
    futures::future::join_all((0..clients).map(|c| {
        let source = &source;
        async move {
            for i in 0..objects {
                storage.put(bucket, &format!("c{c}/o{i}"), source).await.expect("put");
            }
        }
    }))
    .await;
    let put = requests / started.elapsed().as_secs_f64();
    let started = Instant::now();
    let object = &object;
    futures::future::join_all((0..clients).map(|c| async move {
        for i in 0..objects {
            let mut out = Vec::with_capacity(object.len());
            storage.get(bucket, &format!("c{c}/o{i}"), &mut out).await.expect("get");
            assert_eq!(out.len(), object.len());
        }
    }))
    .await;
    (put, requests / started.elapsed().as_secs_f64())
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let objects = env_or("OSIRIS_BENCH_OBJECTS", 64);
    let kib = env_or("OSIRIS_BENCH_OBJECT_KIB", 1024);
    let market = Market::start().await;
    let ddc = market.osiris.ddc();
    let (bob, eve) = (actor("//Bob"), actor("//Eve"));
    let url = market.reserve_gateway_url();
    ddc.node_create(&bob, 1_000, UNIT / 1_000, &url).await.unwrap();
    ddc.node_trust_manager(&bob, &actor_account("//Bob"), true).await.unwrap();
    let cluster = ddc.cluster_create(&bob, vec![NodeId(0)], 100, 0).await.unwrap().value;
    let bucket = ddc.bucket_create(&eve, cluster, "bench").await.unwrap().value;
    ddc.account_deposit(&eve, 10 * UNIT).await.unwrap();
    let last = ddc.bucket_alloc_into_cluster(&eve, bucket, 10).await.unwrap();
    market.wait_for_block(last.block_number).await;
    let store = spawn_object_store().await;
    let _gateway = market.start_gateway(market.node_gateway_config(&url, NodeId(0), "//Bob", &store.url)).await;

    let storage = |node_url: &str| Storage {
        ddc: *ddc.address(),
        key: AccountKey::from_uri("//Eve").unwrap(),
        vnodes: vec![NodeId(0)],
        nodes: BTreeMap::from([(NodeId(0), node_url.to_string())]),
        replicas: 1,
        ca_file: None,
        connections: Default::default(),
    };
    // The store reads the bucket and key from the same metadata; it ignores the signature.
    let (direct, gateway) = (storage(&store.url), storage(&url));
    let object: Bytes = (0..kib * 1024).map(|i| (i % 251) as u8).collect::<Vec<u8>>().into();
    // Warm-up: connections, caches, files.
    measure(&direct, bucket, object.clone(), 2, 1).await;
    measure(&gateway, bucket, object.clone(), 2, 1).await;
    println!("{objects} objects of {kib} KiB per client; requests/s and MiB/s (ratio to direct)");
    let mib = |rps: f64| rps * kib as f64 / 1024.0;
    for clients in [1, CLIENTS] {
        let (dp, dg) = measure(&direct, bucket, object.clone(), objects, clients).await;
        let (gp, gg) = measure(&gateway, bucket, object.clone(), objects, clients).await;
        println!(
            "{clients} client(s): direct put {dp:.0}/s ({:.0} MiB/s) get {dg:.0}/s ({:.0} MiB/s); \
             gateway put {gp:.0}/s ({:.0} MiB/s, {:.2}×) get {gg:.0}/s ({:.0} MiB/s, {:.2}×)",
            mib(dp),
            mib(dg),
            mib(gp),
            gp / dp,
            mib(gg),
            gg / dg
        );
    }
    // Encryption: sealed on the client, through the same gateway, against plain puts and
    // gets of new keys made the same way in the same phase.
    {
        let started = Instant::now();
        for i in 0..objects {
            let reader = std::io::Cursor::new(object.clone());
            gateway.put_reader(bucket, &format!("plain/{i}"), reader, "bench").await.expect("plain put");
        }
        let plain_put = objects as f64 / started.elapsed().as_secs_f64();
        let started = Instant::now();
        for i in 0..objects {
            let mut out = Vec::with_capacity(object.len());
            gateway.get(bucket, &format!("plain/{i}"), &mut out).await.expect("plain get");
        }
        let plain_get = objects as f64 / started.elapsed().as_secs_f64();
        let started = Instant::now();
        for i in 0..objects {
            let reader = std::io::Cursor::new(object.clone());
            gateway.put_sealed(bucket, &format!("sealed/{i}"), reader, "bench", &[]).await.expect("sealed put");
        }
        let sealed_put = objects as f64 / started.elapsed().as_secs_f64();
        let started = Instant::now();
        for i in 0..objects {
            let mut out = Vec::with_capacity(object.len());
            let (_, size, sealed) = gateway.get_opened(bucket, &format!("sealed/{i}"), &mut out).await.expect("open");
            assert!(sealed && size == object.len() as u64);
        }
        let sealed_get = objects as f64 / started.elapsed().as_secs_f64();
        println!(
            "encrypted, 1 client: put {:.0} MiB/s ({:.2}× plain {:.0} MiB/s), get {:.0} MiB/s ({:.2}× plain {:.0} MiB/s)",
            mib(sealed_put),
            sealed_put / plain_put,
            mib(plain_put),
            mib(sealed_get),
            sealed_get / plain_get,
            mib(plain_get)
        );
    }

    // Repair and audits: node 1 joins node 0 in a cluster of two; a bucket there holds the
    // objects on both; node 1 loses its disk and repairs.
    {
        let charlie = actor("//Charlie");
        let url1 = market.reserve_gateway_url();
        ddc.node_create(&charlie, 1_000, UNIT / 1_000, &url1).await.unwrap();
        ddc.node_trust_manager(&charlie, &actor_account("//Bob"), true).await.unwrap();
        let pair = ddc.cluster_create(&bob, vec![NodeId(0), NodeId(1)], 100, 0).await.unwrap().value;
        let shared = ddc.bucket_create(&eve, pair, "repair").await.unwrap().value;
        let last = ddc.bucket_alloc_into_cluster(&eve, shared, 10).await.unwrap();
        market.wait_for_block(last.block_number).await;
        let store1 = spawn_object_store().await;
        let _gateway1 =
            market.start_gateway(market.node_gateway_config(&url1, NodeId(1), "//Charlie", &store1.url)).await;
        let both = Storage {
            vnodes: vec![NodeId(0), NodeId(1)],
            nodes: BTreeMap::from([(NodeId(0), url.clone()), (NodeId(1), url1.clone())]),
            replicas: 2,
            ..storage(&url)
        };
        let source = Source::Bytes(object.clone());
        for i in 0..objects {
            both.put(shared, &format!("r/{i}"), &source).await.expect("put on both");
        }
        std::fs::remove_dir_all(store1.dir.path().join(shared.to_string())).unwrap();
        let node1 = std::sync::Arc::new(osiris_gateway::buckets::BucketNode::new(
            NodeId(1),
            *ddc.address(),
            market.pool.clone(),
            60_000,
        ));
        let channel = tonic::transport::Channel::from_shared(store1.url.clone()).unwrap().connect_lazy();
        let repair = osiris_gateway::repair::Repair::new(
            node1,
            osiris_gateway_client::pb::storage::object_store_client::ObjectStoreClient::new(channel),
            AccountKey::from_uri("//Charlie").unwrap(),
            2,
            None,
            Duration::from_secs(60),
            std::num::NonZeroU32::new(u32::MAX).unwrap(),
        );
        let started = Instant::now();
        let report = repair.pass().await.expect("repair pass");
        let seconds = started.elapsed().as_secs_f64();
        assert_eq!(report.counts.copied as usize, objects);
        println!(
            "repair: {} objects, {} MiB copied in {:.2} s: {:.0} MiB/s, {:.0} objects/s",
            report.counts.copied,
            report.counts.bytes_copied >> 20,
            seconds,
            (report.counts.bytes_copied >> 20) as f64 / seconds,
            report.counts.copied as f64 / seconds
        );

        let config = osiris_keeper::Config { manager_suri: "//Bob".into(), ..Default::default() };
        let keeper = osiris_keeper::Keeper::new(
            market.pool.clone(),
            ddc.clone(),
            bob.clone(),
            AccountKey::from_uri("//Bob").unwrap(),
            config,
        );
        let auditor = Storage { key: AccountKey::from_uri("//Bob").unwrap(), ..both };
        let started = Instant::now();
        for i in 0..AUDITS {
            let key = format!("r/{}", i % objects);
            let audit = keeper
                .audit(&auditor, shared, &key, object.len() as u64, &[NodeId(0), NodeId(1)], NodeId(0))
                .await
                .expect("audit")
                .expect("not refused");
            assert_eq!(audit.result.as_str(), "passed");
        }
        println!(
            "audits: {:.1} ms per challenge of a {kib} KiB object on two replicas (each hashes the whole object), 32 bytes back",
            started.elapsed().as_secs_f64() * 1000.0 / AUDITS as f64
        );
    }

    let stream_mib = env_or("OSIRIS_BENCH_STREAM_MIB", 1024);
    if stream_mib > 0 {
        for mib in [64, stream_mib] {
            let started = Instant::now();
            let stored = gateway
                .put_reader(bucket, &format!("stream/{mib}"), Pattern { left: mib << 20 }, "generated")
                .await
                .expect("streamed put");
            assert_eq!(stored.size, (mib as u64) << 20);
            println!(
                "streamed put of {mib} MiB through the gateway: {:.0} MiB/s; peak resident memory of this process {} MiB",
                mib as f64 / started.elapsed().as_secs_f64(),
                peak_rss_kib() / 1024
            );
        }
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
}

/// This process's peak resident memory (VmHWM), KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// `left` bytes of a repeating pattern, made as they are read.
struct Pattern {
    left: usize,
}

impl tokio::io::AsyncRead for Pattern {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let n = self.left.min(buf.remaining());
        let start = self.left;
        buf.put_slice(&(0..n).map(|i| ((start - i) % 251) as u8).collect::<Vec<u8>>());
        self.left -= n;
        std::task::Poll::Ready(Ok(()))
    }
}
