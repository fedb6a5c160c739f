//! Objects encrypted before they leave the owner's machine: Bob and Charlie run the nodes,
//! Eve rents a bucket, lets Ferdie and Dave read it, and stores her diary encrypted for
//! herself and Ferdie. The nodes hold only ciphertext; Eve and Ferdie read the diary.
//!
//! The attacks: Dave, allowed to read the bucket but not named by Eve, fetches the object
//! and gets ciphertext he cannot open; a node that serves one object's bytes under another
//! key (its own copy swapped on disk) is caught, not believed.

use osiris_chain::types::ddc::Permission;
use osiris_contract_types::ddc::NodeId;
use osiris_e2e::{actor, actor_account as account, spawn_object_store, Market, UNIT};
use osiris_gateway_client::sealed::SealError;
use osiris_gateway_client::storage::{Storage, StorageError};
use osiris_payments::signing::account::AccountKey;
use std::collections::BTreeMap;

fn storage(who: &str, market: &Market, nodes: &BTreeMap<NodeId, String>) -> Storage {
    Storage {
        ddc: *market.osiris.ddc().address(),
        key: AccountKey::from_uri(who).unwrap(),
        vnodes: vec![NodeId(0), NodeId(1)],
        nodes: nodes.clone(),
        replicas: 2,
        ca_file: None,
        connections: Default::default(),
    }
}

/// Whether `needle` occurs anywhere in the files under `dir`.
fn found_on_disk(dir: &std::path::Path, needle: &[u8]) -> bool {
    std::fs::read_dir(dir).unwrap().flatten().any(|entry| {
        let path = entry.path();
        if path.is_dir() {
            found_on_disk(&path, needle)
        } else {
            std::fs::read(&path).unwrap().windows(needle.len()).any(|w| w == needle)
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_keep_only_ciphertext_and_only_the_named_readers_open_it() {
    let market = Market::start().await;
    let ddc = market.osiris.ddc();
    let urls = [market.reserve_gateway_url(), market.reserve_gateway_url()];
    for (owner, url) in [("//Bob", &urls[0]), ("//Charlie", &urls[1])] {
        ddc.node_create(&actor(owner), 100, UNIT / 1_000, url).await.unwrap();
        ddc.node_trust_manager(&actor(owner), &account("//Dave"), true).await.unwrap();
    }
    let cluster = ddc.cluster_create(&actor("//Dave"), vec![NodeId(0), NodeId(1)], 10, 1_000).await.unwrap().value;
    let eve = actor("//Eve");
    let bucket = ddc.bucket_create(&eve, cluster, "private").await.unwrap().value;
    ddc.account_deposit(&eve, 5 * UNIT).await.unwrap();
    ddc.bucket_alloc_into_cluster(&eve, bucket, 8).await.unwrap();
    for reader in ["//Ferdie", "//Dave"] {
        ddc.bucket_permission(&eve, bucket, &account(reader), Permission::Reader, true).await.unwrap();
    }
    let last = ddc.account_deposit(&actor("//Alice"), 1).await.unwrap();
    market.wait_for_block(last.block_number).await;

    let stores = [spawn_object_store().await, spawn_object_store().await];
    let _gateways = [
        market.start_gateway(market.node_gateway_config(&urls[0], NodeId(0), "//Bob", &stores[0].url)).await,
        market.start_gateway(market.node_gateway_config(&urls[1], NodeId(1), "//Charlie", &stores[1].url)).await,
    ];
    let nodes: BTreeMap<NodeId, String> = [(NodeId(0), urls[0].clone()), (NodeId(1), urls[1].clone())].into();

    // Eve's diary, three chunks and a bit, encrypted for her and Ferdie.
    let diary: Vec<u8> =
        b"Dear diary, the vault code is 0451. ".iter().copied().cycle().take(200 * 1024 + 17).collect();
    let eves = storage("//Eve", &market, &nodes);
    let ferdie = AccountKey::from_uri("//Ferdie").unwrap().account();
    let reader = std::io::Cursor::new(diary.clone());
    let stored = eves.put_sealed(bucket, "diary", reader, "diary.txt", &[ferdie]).await.unwrap();
    assert_eq!(stored.nodes.len(), 2);
    assert!(stored.size > diary.len() as u64, "the nodes count the ciphertext");
    for store in &stores {
        assert!(!found_on_disk(store.dir.path(), b"vault code"), "no node's disk holds the plaintext");
    }

    // Eve and Ferdie read it; Ferdie's copy comes from whichever node answers first.
    for who in ["//Eve", "//Ferdie"] {
        let mut out = Vec::new();
        let (_, size, sealed) = storage(who, &market, &nodes).get_opened(bucket, "diary", &mut out).await.unwrap();
        assert_eq!((out == diary, size, sealed), (true, diary.len() as u64, true), "{who}");
    }

    // Dave may read the bucket, but Eve did not name him: he gets ciphertext, not the diary.
    let daves = storage("//Dave", &market, &nodes);
    let mut out = Vec::new();
    let refused = daves.get_opened(bucket, "diary", &mut out).await;
    assert!(matches!(refused, Err(StorageError::Sealed { error: SealError::NotARecipient(2), .. })), "{refused:?}");
    assert!(!out.windows(10).any(|w| w == b"vault code"));
    let mut raw = Vec::new();
    daves.get(bucket, "diary", &mut raw).await.unwrap();
    assert_eq!(raw.len() as u64, stored.size);
    assert!(!raw.windows(10).any(|w| w == b"vault code"), "the bytes he may fetch are ciphertext");

    // A node that answers for `letter` with the diary's bytes (swapped on its disk, on both
    // replicas) is caught: the bytes are bound to their key.
    let letter = std::io::Cursor::new(b"see you at noon".to_vec());
    eves.put_sealed(bucket, "letter", letter, "letter.txt", &[]).await.unwrap();
    for store in &stores {
        let dir = store.dir.path().join(bucket.to_string());
        std::fs::copy(dir.join(hex::encode("diary")), dir.join(hex::encode("letter"))).unwrap();
    }
    let mut out = Vec::new();
    let swapped = eves.get_opened(bucket, "letter", &mut out).await;
    assert!(matches!(swapped, Err(StorageError::Sealed { error: SealError::Corrupt, .. })), "{swapped:?}");
}
