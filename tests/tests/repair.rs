//! Storage that repairs itself: Bob and Charlie run the nodes of Dave's cluster, Eve keeps
//! a dozen objects there with two replicas. Charlie's disk loses the bucket: his node's
//! repair copies every object back from Bob's. Then Dave moves a vnode onto Ferdie's new
//! node: Ferdie's gateway copies what the new placement gives it on its own, Charlie's
//! removes what is no longer his, and every object ends up on exactly its placement's
//! nodes, so reads never fall back. A pass cut short resumes from its cursor.
//!
//! The attack: Bob, whose node may read the cluster's buckets to repair, writes into Eve's
//! bucket on Charlie's node; it is refused and nothing changes.

use osiris_contract_types::ddc::{BucketId, NodeId};
use osiris_e2e::{actor, actor_account as account, spawn_object_store, Market, ObjectStore, UNIT};
use osiris_gateway::buckets::BucketNode;
use osiris_gateway::repair::Repair;
use osiris_gateway_client::pb::storage::object_store_client::ObjectStoreClient;
use osiris_gateway_client::storage::{placement, Source, Storage};
use osiris_ledger::repair::RepairCursor;
use osiris_payments::signing::account::AccountKey;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tonic::Code;

fn storage(who: &str, market: &Market, vnodes: &[NodeId], nodes: &BTreeMap<NodeId, String>) -> Storage {
    Storage {
        ddc: *market.osiris.ddc().address(),
        key: AccountKey::from_uri(who).unwrap(),
        vnodes: vnodes.to_vec(),
        nodes: nodes.clone(),
        replicas: 2,
        ca_file: None,
        connections: Default::default(),
    }
}

/// The repair of node `id` (owned by `owner`) in front of `store`, as its gateway runs it.
fn repair(market: &Market, id: NodeId, owner: &str, store: &ObjectStore) -> Repair {
    let ddc = *market.osiris.ddc().address();
    let node = Arc::new(BucketNode::new(id, ddc, market.pool.clone(), 60_000));
    let channel = tonic::transport::Channel::from_shared(store.url.clone()).unwrap().connect_lazy();
    let rate = std::num::NonZeroU32::new(8 * 1024 * 1024).unwrap();
    let owner = AccountKey::from_uri(owner).unwrap();
    Repair::new(node, ObjectStoreClient::new(channel), owner, 2, None, Duration::from_secs(60), rate)
}

/// The keys each store holds in `bucket`.
fn on_disk(stores: &[(NodeId, &ObjectStore)], bucket: BucketId) -> BTreeMap<String, BTreeSet<NodeId>> {
    let mut held: BTreeMap<String, BTreeSet<NodeId>> = BTreeMap::new();
    for (node, store) in stores {
        let Ok(entries) = std::fs::read_dir(store.dir.path().join(bucket.to_string())) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if let Ok(key) = hex::decode(&name) {
                held.entry(String::from_utf8(key).unwrap()).or_default().insert(*node);
            }
        }
    }
    held
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_lost_its_data_or_joined_the_cluster_gets_exactly_its_placement() {
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
        // Ferdie's gateway repairs on its own; the others' passes are run by the story.
        if i == 2 {
            config.recipient_suri = Some(owner.to_string());
            config.bucket_node.repair_interval_ms = 200;
        } else {
            config.bucket_node.repair_interval_ms = 0;
        }
        gateways.push(market.start_gateway(config).await);
    }
    let nodes: BTreeMap<NodeId, String> = (0..3).map(|i| (NodeId(i as u32), urls[i].clone())).collect();

    // Eve stores a dozen objects on their two replicas.
    let before = [bob, charlie, bob, charlie];
    let eves = storage("//Eve", &market, &before, &nodes);
    let mut objects = BTreeMap::new();
    for i in 0..12u32 {
        let key = format!("photos/{i:02}.jpg");
        let bytes: Vec<u8> = (0..(1_000 + i * 7_919)).map(|j| (j * (i + 3) % 251) as u8).collect();
        eves.put(bucket, &key, &Source::Bytes(bytes.clone().into())).await.unwrap();
        objects.insert(key, bytes);
    }
    let all: [(NodeId, &ObjectStore); 3] = [(bob, &stores[0]), (charlie, &stores[1]), (ferdie, &stores[2])];
    let both: BTreeSet<NodeId> = [bob, charlie].into();
    assert!(on_disk(&all, bucket).values().all(|held| *held == both));

    // Charlie's disk loses the bucket. His node's repair copies every object back.
    std::fs::remove_dir_all(stores[1].dir.path().join(bucket.to_string())).unwrap();
    let charlies = repair(&market, charlie, "//Charlie", &stores[1]);
    let report = charlies.pass().await.unwrap();
    assert_eq!((report.counts.checked, report.counts.copied, report.counts.failures), (12, 12, 0), "{report:?}");
    let size: u64 = objects.values().map(|b| b.len() as u64).sum();
    assert_eq!(report.counts.bytes_copied, size);
    for (key, bytes) in &objects {
        let copy = std::fs::read(stores[1].dir.path().join(bucket.to_string()).join(hex::encode(key))).unwrap();
        assert_eq!(&copy, bytes, "{key} is whole on Charlie's node");
    }
    // A second pass finds nothing to do.
    let again = charlies.pass().await.unwrap();
    assert_eq!((again.counts.checked, again.counts.copied, again.counts.removed), (12, 0, 0));

    // A pass that stopped (a crash) resumes from its cursor: the disk is lost again, the
    // cursor says the pass had done the keys up to photos/05.jpg of this bucket.
    std::fs::remove_dir_all(stores[1].dir.path().join(bucket.to_string())).unwrap();
    let cursor = RepairCursor { bucket_id: Some(bucket), after_key: "photos/05.jpg".into() };
    osiris_ledger::repair::save(&market.pool, charlie, &cursor, Default::default(), false, false, None).await.unwrap();
    let resumed = charlies.pass().await.unwrap();
    assert_eq!((resumed.counts.checked, resumed.counts.copied), (6, 6), "only the keys after the cursor");
    let next = charlies.pass().await.unwrap();
    assert_eq!((next.counts.checked, next.counts.copied), (12, 6), "the next pass starts over and finds the rest");

    // Bob's node may read Eve's bucket (to repair) but never write it.
    let bobs = storage("//Bob", &market, &before, &nodes);
    let write = bobs.put(bucket, "photos/00.jpg", &Source::Bytes(b"defaced".to_vec().into())).await;
    let status = match write {
        Err(osiris_gateway_client::storage::StorageError::Node { status, .. }) => status,
        other => panic!("a peer's write was not refused: {other:?}"),
    };
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    let mut read = Vec::new();
    eves.get(bucket, "photos/00.jpg", &mut read).await.unwrap();
    assert_eq!(read, objects["photos/00.jpg"], "nothing changed");

    // Dave moves vnode 3 onto Ferdie's node: placements change.
    let moved = ddc.cluster_replace_node(&dave, cluster, 3, ferdie).await.unwrap();
    market.wait_for_block(moved.block_number).await;
    let after = [bob, charlie, bob, ferdie];
    let wanted: BTreeMap<String, BTreeSet<NodeId>> =
        objects.keys().map(|k| (k.clone(), placement(k, &after, 2).into_iter().collect())).collect();
    let ferdies_share = wanted.values().filter(|n| n.contains(&ferdie)).count();
    assert!(ferdies_share > 0, "some objects move to Ferdie's node");

    // Ferdie's gateway copies its share on its own.
    let started = Instant::now();
    loop {
        let held = on_disk(&all, bucket);
        let on_ferdie = held.values().filter(|n| n.contains(&ferdie)).count();
        if on_ferdie == ferdies_share {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "Ferdie's node holds {on_ferdie} of {ferdies_share}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Charlie's removes what is no longer his (every placed node holds it now).
    let report = charlies.pass().await.unwrap();
    assert_eq!(report.counts.removed as usize, ferdies_share, "{report:?}");
    assert_eq!(repair(&market, bob, "//Bob", &stores[0]).pass().await.unwrap().counts.copied, 0);

    // Every object is on exactly its placement's nodes; every read is served by the first.
    assert_eq!(on_disk(&all, bucket), wanted);
    let eves = storage("//Eve", &market, &after, &nodes);
    for (key, bytes) in &objects {
        let mut read = Vec::new();
        let (served_by, _) = eves.get(bucket, key, &mut read).await.unwrap();
        assert_eq!((&read, served_by), (bytes, placement(key, &after, 2)[0]), "{key} without a fall-back");
    }

    // Each node's repair is on record for `osiris cluster repair-status`.
    let status = osiris_ledger::repair::status(&market.pool, &[bob, charlie, ferdie]).await.unwrap();
    let charlie_status = status.iter().find(|s| s.node_id == charlie).unwrap();
    assert_eq!(charlie_status.passes, 5);
    assert_eq!((charlie_status.totals.copied, charlie_status.totals.removed), (24, ferdies_share as u64));
    let ferdie_status = status.iter().find(|s| s.node_id == ferdie).unwrap();
    assert_eq!(ferdie_status.totals.copied as usize, ferdies_share);
    drop(gateways);
}
