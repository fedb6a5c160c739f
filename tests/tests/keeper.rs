//! Rent that collects itself: Bob and Charlie run the nodes of Dave's cluster and Dave runs
//! the keeper. Eve rents one unit and stores five units' worth: the keeper raises her
//! allocation without anyone asking, then settles her rent and pays the providers.
//!
//! The attack: Charlie's node lists an object nobody stored (a megabyte on its disk only) so
//! that Eve pays for it; the keeper counts only what every placed node holds, and her
//! allocation does not move.

use osiris_chain::contract::message;
use osiris_chain::Balance;
use osiris_contract_types::ddc::NodeId;
use osiris_e2e::{actor, actor_account as account, spawn_object_store, Market, UNIT};
use osiris_gateway_client::storage::{Source, Storage};
use osiris_keeper::{Config, Keeper};
use osiris_payments::signing::account::AccountKey;
use std::collections::BTreeMap;

/// Bytes one resource unit holds in these stories (the keeper's `bytes_per_unit`).
const BYTES_PER_UNIT: u64 = 1024;

fn keeper(market: &Market) -> Keeper {
    let config = Config {
        manager_suri: "//Dave".into(),
        bytes_per_unit: BYTES_PER_UNIT,
        settle_every_blocks: 1,
        ..Config::default()
    };
    Keeper::new(
        market.pool.clone(),
        market.osiris.ddc(),
        actor("//Dave"),
        AccountKey::from_uri("//Dave").unwrap(),
        config,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_raises_the_allocation_and_rent_is_settled_and_paid_out_without_a_call() {
    let market = Market::start().await;
    let ddc = market.osiris.ddc();
    let urls = [market.reserve_gateway_url(), market.reserve_gateway_url()];
    for (owner, url) in [("//Bob", &urls[0]), ("//Charlie", &urls[1])] {
        ddc.node_create(&actor(owner), 100, UNIT / 1_000, url).await.unwrap();
        ddc.node_trust_manager(&actor(owner), &account("//Dave"), true).await.unwrap();
    }
    let vnodes = vec![NodeId(0), NodeId(1), NodeId(0), NodeId(1)];
    let cluster = ddc.cluster_create(&actor("//Dave"), vnodes.clone(), 10, 1_000).await.unwrap().value;
    let eve = actor("//Eve");
    let bucket = ddc.bucket_create(&eve, cluster, "logs").await.unwrap().value;
    ddc.account_deposit(&eve, 50 * UNIT).await.unwrap();
    let last = ddc.bucket_alloc_into_cluster(&eve, bucket, 1).await.unwrap();
    market.wait_for_block(last.block_number).await;

    let stores = [spawn_object_store().await, spawn_object_store().await];
    let _gateways = [
        market.start_gateway(market.node_gateway_config(&urls[0], NodeId(0), "//Bob", &stores[0].url)).await,
        market.start_gateway(market.node_gateway_config(&urls[1], NodeId(1), "//Charlie", &stores[1].url)).await,
    ];
    let nodes: BTreeMap<NodeId, String> = [(NodeId(0), urls[0].clone()), (NodeId(1), urls[1].clone())].into();
    let eves = Storage {
        ddc: *ddc.address(),
        key: AccountKey::from_uri("//Eve").unwrap(),
        vnodes: vnodes.clone(),
        nodes,
        replicas: 2,
        ca_file: None,
        connections: Default::default(),
    };
    // Five objects of 1,000 bytes: 5,000 bytes, 5 units.
    for i in 0..5 {
        eves.put(bucket, &format!("log/{i}"), &Source::Bytes(vec![b'x'; 1_000].into())).await.unwrap();
    }
    // Charlie's node claims a megabyte more that nobody stored.
    let bucket_dir = stores[1].dir.path().join(bucket.to_string());
    std::fs::write(bucket_dir.join(hex::encode("log/ghost")), vec![0u8; 1 << 20]).unwrap();

    let keeper = keeper(&market);
    let report = keeper.pass().await.unwrap();
    assert_eq!(report.allocations.len(), 1, "{report:?}");
    let raised = report.allocations[0];
    assert_eq!((raised.from, raised.to, raised.bytes), (1, 5, 5_000), "the ghost counts for nothing");
    let status = ddc.bucket(bucket).await.unwrap().unwrap();
    assert_eq!(status.bucket.resource, 5, "raised on chain, by the manager's keeper");
    assert!(report.distributed.contains(&cluster), "{report:?}");

    // Blocks pass; the next pass settles Eve's rent and pays the providers.
    let before = ddc.bucket(bucket).await.unwrap().unwrap().bucket.settled_until;
    let providers_before: Balance =
        [ddc.account(&account("//Bob")).await.unwrap(), ddc.account(&account("//Charlie")).await.unwrap()]
            .iter()
            .map(|a| a.deposit)
            .sum();
    for _ in 0..3 {
        ddc.account_deposit(&actor("//Alice"), 1).await.unwrap();
    }
    let wait = ddc.account_deposit(&actor("//Alice"), 1).await.unwrap();
    market.wait_for_block(wait.block_number).await;
    let report = keeper.pass().await.unwrap();
    assert_eq!((report.allocations.len(), report.settled.as_slice()), (0, &[bucket][..]), "{report:?}");
    let after = ddc.bucket(bucket).await.unwrap().unwrap().bucket.settled_until;
    assert!(after > before, "rent settled from block {before} to {after} without Eve's call");
    let providers_after: Balance =
        [ddc.account(&account("//Bob")).await.unwrap(), ddc.account(&account("//Charlie")).await.unwrap()]
            .iter()
            .map(|a| a.deposit)
            .sum();
    assert!(providers_after > providers_before, "the providers were paid: {providers_before} → {providers_after}");
    let cluster_now = ddc.cluster(cluster).await.unwrap().unwrap();
    assert_eq!(cluster_now.revenues, 0, "everything collected was distributed");
}

/// The gas of settling 10 and 100 buckets in one batch (`Utility::force_batch`), printed for
/// the README; the batch of 100 fits in one block.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_buckets_settle_in_one_batch() {
    let market = Market::start().await;
    let ddc = market.osiris.ddc();
    let url = market.reserve_gateway_url();
    ddc.node_create(&actor("//Bob"), 1_000, UNIT / 1_000, &url).await.unwrap();
    ddc.node_trust_manager(&actor("//Bob"), &account("//Dave"), true).await.unwrap();
    let cluster = ddc.cluster_create(&actor("//Dave"), vec![NodeId(0)], 1_000, 0).await.unwrap().value;
    // An account holds at most 32 buckets: four owners rent 25 each, in a batch each.
    for owner in ["//Eve", "//Ferdie", "//Charlie", "//Alice"] {
        ddc.account_deposit(&actor(owner), 25 * UNIT).await.unwrap();
        let creates = (0..25).map(|i| (*ddc.address(), message("bucket_create", (cluster, format!("b{i}"))))).collect();
        let created = market.osiris.chain.call_batch(&actor(owner), creates).await.unwrap();
        assert_eq!((created.included.len(), created.failed.len()), (25, 0), "{:?}", created.failed.first());
    }
    let ids: Vec<_> = (0..100).map(osiris_contract_types::ddc::BucketId).collect();
    let allocations: Vec<_> = ids.iter().map(|b| (*b, 1)).collect();
    let allocated = ddc.bucket_alloc_many(&actor("//Dave"), &allocations).await.unwrap();
    assert_eq!((allocated.included.len(), allocated.failed.len()), (100, 0), "{:?}", allocated.failed.first());

    let ten = ddc.bucket_settle_many(&actor("//Dave"), &ids[..10]).await.unwrap();
    let hundred = ddc.bucket_settle_many(&actor("//Dave"), &ids).await.unwrap();
    assert_eq!((ten.included.len(), ten.failed.len()), (10, 0));
    assert_eq!((hundred.included.len(), hundred.failed.len()), (100, 0));
    let one = ddc.bucket_settle_payment(&actor("//Dave"), ids[0]).await.unwrap();
    println!(
        "settle gas, ref_time ps / proof bytes: 1 bucket {} / {}; 10 in a batch {} / {}; 100 in a batch {} / {}",
        one.gas.ref_time,
        one.gas.proof_size,
        ten.gas.ref_time,
        ten.gas.proof_size,
        hundred.gas.ref_time,
        hundred.gas.proof_size
    );
    // A block of this runtime holds 2 s of ref_time, 75 % of it for normal extrinsics.
    assert!(hundred.gas.ref_time < 1_500_000_000_000, "{}", hundred.gas.ref_time);
    let status = ddc.bucket(ids[99]).await.unwrap().unwrap();
    assert!(u64::from(status.bucket.settled_until) >= hundred.block_number.unwrap() - 1);
}

/// Audits: Charlie's node silently drops an object, Bob's rots a byte of another. The
/// keeper's challenges catch both (each node's copy judged against the other's and against
/// the digest it was stored with); the honest copies pass; the manager is alerted of the
/// failing node, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audits_catch_a_dropped_and_a_rotten_object_and_alert_the_manager() {
    let market = Market::start().await;
    let ddc = market.osiris.ddc();
    let urls = [market.reserve_gateway_url(), market.reserve_gateway_url()];
    for (owner, url) in [("//Bob", &urls[0]), ("//Charlie", &urls[1])] {
        ddc.node_create(&actor(owner), 100, UNIT / 1_000, url).await.unwrap();
        ddc.node_trust_manager(&actor(owner), &account("//Dave"), true).await.unwrap();
    }
    let vnodes = vec![NodeId(0), NodeId(1)];
    let cluster = ddc.cluster_create(&actor("//Dave"), vnodes.clone(), 10, 1_000).await.unwrap().value;
    let eve = actor("//Eve");
    let bucket = ddc.bucket_create(&eve, cluster, "archive").await.unwrap().value;
    ddc.account_deposit(&eve, 50 * UNIT).await.unwrap();
    let last = ddc.bucket_alloc_into_cluster(&eve, bucket, 10).await.unwrap();
    market.wait_for_block(last.block_number).await;
    let stores = [spawn_object_store().await, spawn_object_store().await];
    let _gateways = [
        market.start_gateway(market.node_gateway_config(&urls[0], NodeId(0), "//Bob", &stores[0].url)).await,
        market.start_gateway(market.node_gateway_config(&urls[1], NodeId(1), "//Charlie", &stores[1].url)).await,
    ];
    let nodes: BTreeMap<NodeId, String> = [(NodeId(0), urls[0].clone()), (NodeId(1), urls[1].clone())].into();
    let storage = |who: &str| Storage {
        ddc: *ddc.address(),
        key: AccountKey::from_uri(who).unwrap(),
        vnodes: vnodes.clone(),
        nodes: nodes.clone(),
        replicas: 2,
        ca_file: None,
        connections: Default::default(),
    };
    let eves = storage("//Eve");
    for key in ["a", "b", "c"] {
        eves.put(bucket, key, &Source::Bytes(vec![key.as_bytes()[0]; 3_000].into())).await.unwrap();
    }
    let file = |store: usize, key: &str| stores[store].dir.path().join(bucket.to_string()).join(hex::encode(key));
    std::fs::remove_file(file(1, "a")).unwrap();
    let mut rotten = std::fs::read(file(0, "b")).unwrap();
    rotten[1_234] ^= 0x20;
    std::fs::write(file(0, "b"), rotten).unwrap();

    // Where the alerts go.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let webhook = format!("http://{}/alerts", listener.local_addr().unwrap());
    let (sender, mut alerts) = tokio::sync::mpsc::unbounded_channel::<serde_json::Value>();
    let app = axum::Router::new().route(
        "/alerts",
        axum::routing::post(move |axum::Json(body): axum::Json<serde_json::Value>| {
            let sender = sender.clone();
            async move { sender.send(body).unwrap() }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let config = Config {
        manager_suri: "//Dave".into(),
        bytes_per_unit: BYTES_PER_UNIT,
        alert_window: 2,
        alert_failed_percent: 40,
        alert_webhook_url: Some(webhook),
        audits_per_node: 0,
        ..Config::default()
    };
    let keeper =
        Keeper::new(market.pool.clone(), ddc.clone(), actor("//Dave"), AccountKey::from_uri("//Dave").unwrap(), config);

    // Each node on each object, as the keeper's random picks would challenge them.
    let daves = storage("//Dave");
    let (bob, charlie) = (NodeId(0), NodeId(1));
    let mut results = BTreeMap::new();
    for key in ["a", "b", "c"] {
        for node in [bob, charlie] {
            let audit = keeper.audit(&daves, bucket, key, 3_000, &vnodes, node).await.unwrap().unwrap();
            results.insert((key, node), (audit.result.as_str(), audit.detail.clone()));
        }
    }
    assert_eq!(results[&("a", charlie)].0, "failed", "the dropped object: {:?}", results[&("a", charlie)]);
    assert_eq!(results[&("a", charlie)].1.as_deref(), Some("the object is missing"));
    assert_eq!(results[&("a", bob)].0, "passed");
    assert_eq!(results[&("b", bob)].0, "failed", "the rotten byte: {:?}", results[&("b", bob)]);
    assert_eq!(results[&("b", charlie)].0, "passed", "{:?}", results[&("b", charlie)]);
    assert_eq!((results[&("c", bob)].0, results[&("c", charlie)].0), ("passed", "passed"));
    let charlies = osiris_ledger::audits::of_node(&market.pool, charlie, 10).await.unwrap();
    assert_eq!((charlies.passed, charlies.failed, charlies.recent.len()), (2, 1, 3));
    // The indexer serves them too.
    let indexer = market.serve_indexer_api().await;
    let served: serde_json::Value =
        reqwest::get(format!("{indexer}/v1/ddc/nodes/1/audits?limit=2")).await.unwrap().json().await.unwrap();
    assert_eq!((served["passed"].as_u64(), served["failed"].as_u64()), (Some(2), Some(1)), "{served}");
    assert_eq!(served["recent"].as_array().unwrap().len(), 2);
    assert_eq!(served["recent"][0]["result"], "passed", "newest first: c, then b");

    // A pass audits every node at random and alerts on the ones failing too often.
    let keeper = Keeper::new(
        market.pool.clone(),
        ddc.clone(),
        actor("//Dave"),
        AccountKey::from_uri("//Dave").unwrap(),
        Config { audits_per_node: 4, ..keeper.config.clone() },
    );
    let report = keeper.pass().await.unwrap();
    assert_eq!(report.audits.len(), 8, "four challenges for each of the two nodes: {:?}", report.audits);
    let failed_on = |node: NodeId, key: &str| {
        report.audits.iter().filter(|a| a.node_id == node && a.key == key).all(|a| a.result.as_str() == "failed")
    };
    assert!(failed_on(charlie, "a") && failed_on(bob, "b"), "{:?}", report.audits);
    for alerted in &report.alerts {
        let alert = alerts.recv().await.unwrap();
        assert_eq!(
            (alert["alert"].as_str(), alert["node_id"].as_u64()),
            (Some("ddc_node_failing_audits"), Some(u64::from(alerted.0)))
        );
    }
    // The next pass alerts no node twice.
    let again = keeper.pass().await.unwrap();
    assert!(again.alerts.iter().all(|n| !report.alerts.contains(n)), "{:?} then {:?}", report.alerts, again.alerts);
}
