//! A cluster governed: Charlie's node loses Eve's data and fails the keeper's audits. Dave,
//! the manager, removes Charlie's node from the cluster — Charlie is paid first for what he
//! served — and moves a vnode to Ferdie's node, which repairs on its own until every object
//! is on its new placement. Then Dave hands the cluster to Alice.
//!
//! The attack: Eve, a bucket owner, tries to remove a node and to take the cluster over; both
//! are refused and nothing changes.

use osiris_chain::{ChainError, ContractError};
use osiris_contract_types::ddc::{DdcError, NodeId};
use osiris_e2e::{actor, actor_account as account, spawn_object_store, Market, ObjectStore, UNIT};
use osiris_gateway_client::storage::{placement, Source, Storage};
use osiris_keeper::{Config, Keeper};
use osiris_payments::signing::account::AccountKey;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

fn refused(result: Result<impl std::fmt::Debug, ChainError>) -> DdcError {
    match result {
        Err(ChainError::Contract(ContractError::Ddc(e))) => e,
        other => panic!("not a ddc refusal: {other:?}"),
    }
}

fn holds(store: &ObjectStore, bucket: osiris_contract_types::ddc::BucketId, key: &str) -> bool {
    store.dir.path().join(bucket.to_string()).join(hex::encode(key)).exists()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_manager_replaces_a_failing_node_and_hands_the_cluster_over() {
    let market = Market::start().await;
    let ddc = market.osiris.ddc();
    let owners = ["//Bob", "//Charlie", "//Ferdie"];
    let urls: Vec<String> = owners.iter().map(|_| market.reserve_gateway_url()).collect();
    for (owner, url) in owners.iter().zip(&urls) {
        ddc.node_create(&actor(owner), 100, UNIT / 1_000, url).await.unwrap();
        ddc.node_trust_manager(&actor(owner), &account("//Dave"), true).await.unwrap();
    }
    let (bob, charlie, ferdie) = (NodeId(0), NodeId(1), NodeId(2));
    let dave = actor("//Dave");
    let cluster = ddc.cluster_create(&dave, vec![bob, charlie, bob, charlie], 10, 1_000).await.unwrap().value;
    let eve = actor("//Eve");
    let bucket = ddc.bucket_create(&eve, cluster, "photos").await.unwrap().value;
    ddc.account_deposit(&eve, 5 * UNIT).await.unwrap();
    let last = ddc.bucket_alloc_into_cluster(&eve, bucket, 8).await.unwrap();
    market.wait_for_block(last.block_number).await;

    let stores = [spawn_object_store().await, spawn_object_store().await, spawn_object_store().await];
    let mut gateways = Vec::new();
    for (i, owner) in owners.iter().enumerate() {
        let mut config = market.node_gateway_config(&urls[i], NodeId(i as u32), owner, &stores[i].url);
        config.recipient_suri = Some(owner.to_string());
        // Bob's and Charlie's repairs are off (Charlie's node lost its data and stays so);
        // Ferdie's runs on its own.
        config.bucket_node.repair_interval_ms = if i == 2 { 200 } else { 0 };
        gateways.push(market.start_gateway(config).await);
    }
    let nodes: BTreeMap<NodeId, String> = (0..3).map(|i| (NodeId(i as u32), urls[i].clone())).collect();
    let storage = |who: &str, vnodes: &[NodeId]| Storage {
        ddc: *ddc.address(),
        key: AccountKey::from_uri(who).unwrap(),
        vnodes: vnodes.to_vec(),
        nodes: nodes.clone(),
        replicas: 2,
        ca_file: None,
        connections: Default::default(),
    };
    let eves = storage("//Eve", &[bob, charlie, bob, charlie]);
    let mut objects = BTreeMap::new();
    for i in 0..8u32 {
        let key = format!("photos/{i}.jpg");
        let bytes = vec![i as u8; 2_000 + i as usize * 100];
        eves.put(bucket, &key, &Source::Bytes(bytes.clone().into())).await.unwrap();
        objects.insert(key, bytes);
    }

    // Charlie's disk loses the bucket; the keeper's audits find it out.
    std::fs::remove_dir_all(stores[1].dir.path().join(bucket.to_string())).unwrap();
    let config = Config { manager_suri: "//Dave".into(), audit_all_objects: true, ..Config::default() };
    let keeper =
        Keeper::new(market.pool.clone(), ddc.clone(), dave.clone(), AccountKey::from_uri("//Dave").unwrap(), config);
    keeper.pass().await.unwrap();
    let audits = osiris_ledger::audits::of_node(&market.pool, charlie, 20).await.unwrap();
    assert_eq!((audits.failed, audits.passed), (8, 0), "every object is missing on Charlie's node");

    // Eve may not govern Dave's cluster.
    assert_eq!(refused(ddc.cluster_remove_node(&eve, cluster, charlie).await), DdcError::NotClusterManager);
    assert_eq!(refused(ddc.cluster_set_manager(&eve, cluster, &account("//Eve")).await), DdcError::NotClusterManager);
    assert_eq!(ddc.cluster(cluster).await.unwrap().unwrap().vnodes, [bob, charlie, bob, charlie]);

    // Eve's rent so far is collected; Dave removes Charlie's node (paying him first for his
    // two vnodes), then moves a vnode to Ferdie's node.
    ddc.bucket_settle_payment(&eve, bucket).await.unwrap();
    let charlie_before = ddc.account(&account("//Charlie")).await.unwrap().deposit;
    ddc.cluster_remove_node(&dave, cluster, charlie).await.unwrap();
    assert_eq!(ddc.cluster(cluster).await.unwrap().unwrap().vnodes, [bob, bob]);
    assert_eq!(ddc.node(charlie).await.unwrap().unwrap().free_resource, 100, "Charlie's reservation is free");
    let charlie_after = ddc.account(&account("//Charlie")).await.unwrap().deposit;
    assert!(charlie_after > charlie_before, "Charlie was paid for what he served: {charlie_before} → {charlie_after}");
    let moved = ddc.cluster_replace_node(&dave, cluster, 1, ferdie).await.unwrap();
    market.wait_for_block(moved.block_number).await;
    let after = [bob, ferdie];
    assert_eq!(ddc.cluster(cluster).await.unwrap().unwrap().vnodes, after);
    assert_eq!(refused(ddc.cluster_remove_node(&dave, cluster, charlie).await), DdcError::NodeNotInCluster);

    // Ferdie's node repairs on its own: every object ends on {Bob, Ferdie}, reads never fall back.
    let started = Instant::now();
    while !objects.keys().all(|k| holds(&stores[2], bucket, k)) {
        assert!(started.elapsed() < Duration::from_secs(20), "Ferdie's node did not get every object");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let eves = storage("//Eve", &after);
    for (key, bytes) in &objects {
        assert!(holds(&stores[0], bucket, key) && holds(&stores[2], bucket, key), "{key}");
        let mut read = Vec::new();
        let (served_by, _) = eves.get(bucket, key, &mut read).await.unwrap();
        assert_eq!((&read, served_by), (bytes, placement(key, &after, 2)[0]), "{key}");
    }

    // Dave hands the cluster to Alice: the mirror follows, Dave's calls are refused, Alice's pass.
    let handed = ddc.cluster_set_manager(&dave, cluster, &account("//Alice")).await.unwrap();
    market.wait_for_block(handed.block_number).await;
    let alices = osiris_mirror::ddc::clusters_of_manager(&market.pool, &account("//Alice").to_string()).await.unwrap();
    assert_eq!(alices.iter().map(|c| c.cluster_id).collect::<Vec<_>>(), [cluster]);
    assert_eq!(refused(ddc.cluster_remove_vnode(&dave, cluster, 0).await), DdcError::NotClusterManager);
    ddc.cluster_remove_vnode(&actor("//Alice"), cluster, 0).await.unwrap();
    assert_eq!(ddc.cluster(cluster).await.unwrap().unwrap().vnodes, [ferdie]);
    drop(gateways);
}
