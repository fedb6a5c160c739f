//! The ddc contract in the mirror: after nodes, trust, a cluster, buckets with permissions,
//! allocations, settlements, a node replacement, a distribution and withdrawals, every
//! node, cluster, bucket and account the REST API serves — and what a node gateway reads of
//! a bucket — equals what the contract answers, also after the indexer is killed mid-way.

mod common;

use common::{deployment_file, Indexer};
use osiris_chain::account::from_ink;
use osiris_chain::ddc::Ddc;
use osiris_chain::types::ddc::Permission;
use osiris_chain::Balance;
use osiris_contract_types::ddc::NodeId;
use osiris_e2e::{actor, actor_account as account, Osiris, TestDatabase, UNIT};

const RENT: Balance = UNIT / 1_000;
const PEOPLE: [&str; 6] = ["//Alice", "//Bob", "//Charlie", "//Dave", "//Eve", "//Ferdie"];

async fn compare(ddc: &Ddc, indexer: &Indexer, pool: &sqlx::PgPool) {
    let nodes = ddc.node_list(0, 100).await.unwrap();
    let listed = indexer.ok("/v1/ddc/nodes?limit=500").await;
    assert_eq!(listed["items"].as_array().unwrap().len(), nodes.len());
    for (id, n) in nodes {
        let m = indexer.ok(&format!("/v1/ddc/nodes/{id}")).await;
        assert_eq!(m["owner"], from_ink(&n.owner).to_string(), "node {id}");
        assert_eq!(
            (m["capacity"].as_u64(), m["free_resource"].as_u64()),
            (Some(n.capacity.into()), Some(n.free_resource.into())),
            "node {id}"
        );
        assert_eq!(
            (m["rent_per_vnode"].as_str(), m["url"].as_str()),
            (Some(n.rent_per_vnode.to_string().as_str()), Some(n.url.as_str()))
        );
    }
    for (id, c) in ddc.cluster_list(0, 100).await.unwrap() {
        let m = indexer.ok(&format!("/v1/ddc/clusters/{id}")).await;
        assert_eq!(m["manager"], from_ink(&c.manager).to_string(), "cluster {id}");
        assert_eq!(m["vnodes"], serde_json::json!(c.vnodes), "cluster {id}");
        assert_eq!(
            (m["resource_per_vnode"].as_u64(), m["resource_used"].as_u64()),
            (Some(c.resource_per_vnode.into()), Some(c.resource_used.into()))
        );
        assert_eq!(
            (m["revenues"].as_str(), m["rent_per_resource"].as_str()),
            (Some(c.revenues.to_string().as_str()), Some(c.rent_per_resource.to_string().as_str()))
        );
    }
    for (id, status) in ddc.bucket_list(0, 100).await.unwrap() {
        let b = &status.bucket;
        let m = indexer.ok(&format!("/v1/ddc/buckets/{id}")).await;
        assert_eq!(m["owner"], from_ink(&b.owner).to_string(), "bucket {id}");
        assert_eq!(
            (m["resource"].as_u64(), m["settled_until"].as_u64()),
            (Some(b.resource.into()), Some(b.settled_until.into())),
            "bucket {id}"
        );
        assert_eq!(m["rent_per_block"], status.rent_per_block.to_string());
        let names =
            |list: &[osiris_chain::types::AccountId]| list.iter().map(|a| from_ink(a).to_string()).collect::<Vec<_>>();
        assert_eq!(m["readers"], serde_json::json!(names(&b.readers)));
        assert_eq!(m["writers"], serde_json::json!(names(&b.writers)));
        // The contract computes coverage at its current block; the mirror at its finalized
        // block: compare the gateway's read at the contract's block.
        let mut facts = osiris_mirror::ddc::bucket_facts(pool, id).await.unwrap().expect("the gateway's read");
        assert_eq!(facts.bucket.readers, names(&b.readers));
        let account = ddc.account(&from_ink(&b.owner)).await.unwrap();
        assert_eq!(facts.owner_deposit, account.deposit);
        assert_eq!(facts.vnodes, ddc.cluster(b.cluster_id).await.unwrap().unwrap().vnodes);
        facts.finalized_block = u64::from(status.rent_covered_until.min(u32::MAX - 1));
        let now = ddc.bucket(id).await.unwrap().unwrap();
        let rates: Vec<(Balance, u32)> = facts.owner_buckets.clone();
        let expected = osiris_chain::types::ddc::rent_covered_until(account.deposit, &rates, facts.now());
        assert_eq!(facts.rent_covered_until(), expected);
        assert_eq!(now.rent_per_block, status.rent_per_block);
    }
    for who in PEOPLE {
        let a = ddc.account(&account(who)).await.unwrap();
        let m = indexer.ok(&format!("/v1/ddc/accounts/{}", account(who))).await;
        assert_eq!(m["deposit"], a.deposit.to_string(), "{who}");
        assert_eq!(m["buckets"], serde_json::json!(a.buckets), "{who}");
    }
}

#[tokio::test]
async fn the_mirror_of_ddc_equals_the_contract_across_a_crash() {
    let osiris = Osiris::start().await;
    let db = TestDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    let deployment = deployment_file(&osiris, dir.path());
    let mut indexer = Indexer::start(&osiris, &db, &deployment).await;
    let ddc = osiris.ddc();
    let (bob, charlie, dave, eve, ferdie) =
        (actor("//Bob"), actor("//Charlie"), actor("//Dave"), actor("//Eve"), actor("//Ferdie"));
    let manager = account("//Dave");

    ddc.node_create(&bob, 100, RENT, "http://bob:7000").await.unwrap();
    ddc.node_create(&charlie, 100, RENT, "http://charlie:7000").await.unwrap();
    ddc.node_create(&ferdie, 50, 2 * RENT, "http://ferdie:7000").await.unwrap();
    for provider in [&bob, &charlie, &ferdie] {
        ddc.node_trust_manager(provider, &manager, true).await.unwrap();
    }
    ddc.node_trust_manager(&ferdie, &account("//Eve"), true).await.unwrap();
    ddc.node_trust_manager(&ferdie, &account("//Eve"), false).await.unwrap();
    let cluster =
        ddc.cluster_create(&dave, vec![NodeId(0), NodeId(1), NodeId(0), NodeId(1)], 10, 1_000).await.unwrap().value;
    ddc.cluster_reserve_resource(&dave, cluster, 5).await.unwrap();

    // The indexer dies here and comes back.
    indexer.kill();
    let photos = ddc.bucket_create(&eve, cluster, "photos").await.unwrap().value;
    let logs = ddc.bucket_create(&eve, cluster, "logs").await.unwrap().value;
    ddc.account_deposit(&eve, 5 * UNIT).await.unwrap();
    ddc.bucket_alloc_into_cluster(&eve, photos, 8).await.unwrap();
    ddc.bucket_alloc_into_cluster(&dave, logs, 4).await.unwrap();
    indexer = Indexer::start(&osiris, &db, &deployment).await;

    ddc.bucket_permission(&eve, photos, &account("//Ferdie"), Permission::Reader, true).await.unwrap();
    ddc.bucket_permission(&eve, photos, &account("//Charlie"), Permission::Writer, true).await.unwrap();
    ddc.bucket_permission(&eve, photos, &account("//Charlie"), Permission::Writer, false).await.unwrap();
    ddc.bucket_settle_payment(&dave, photos).await.unwrap();
    ddc.bucket_settle_payment(&dave, logs).await.unwrap();
    ddc.cluster_replace_node(&dave, cluster, 3, NodeId(2)).await.unwrap();
    ddc.cluster_distribute_revenues(&eve, cluster).await.unwrap();
    ddc.account_withdraw(&bob, 1).await.unwrap();
    let last = ddc.account_withdraw(&eve, UNIT).await.unwrap();
    indexer.wait_for_block(last.block_number).await;

    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    compare(&ddc, &indexer, &pool).await;
    // The trust Ferdie took back is gone; filters and the event log.
    let ferdies = indexer.ok(&format!("/v1/ddc/accounts/{}", account("//Ferdie"))).await;
    assert_eq!(ferdies["trusts"], serde_json::json!([manager.to_string()]));
    let eves = indexer.ok(&format!("/v1/ddc/buckets?owner={}&cluster_id={cluster}", account("//Eve"))).await;
    assert_eq!(eves["items"].as_array().unwrap().len(), 2);
    let bobs = indexer.ok(&format!("/v1/ddc/nodes?owner={}", account("//Bob"))).await;
    assert_eq!(bobs["items"][0]["node_id"], 0);
    let daves = indexer.ok(&format!("/v1/ddc/clusters?manager={manager}")).await;
    assert_eq!(daves["items"][0]["vnodes"], serde_json::json!([0, 1, 0, 2]));
    let events = indexer.ok("/v1/events?contract=ddc&name=ClusterRevenuesDistributed").await;
    assert_eq!(events["items"][0]["fields"]["network_fee_account"], account("//Alice").to_string());
    let status = indexer.ok(&format!("/v1/ddc/buckets/{photos}")).await;
    assert_eq!(status["rent_covered"], true);

    // Bad input: a clear 400 or 404 naming the problem.
    for (path, code, field) in [
        ("/v1/ddc/nodes/abc".to_string(), 400, Some("node_id")),
        ("/v1/ddc/buckets/999".to_string(), 404, None),
        ("/v1/ddc/buckets?owner=bogus".to_string(), 400, Some("owner")),
        ("/v1/ddc/clusters?colour=red".to_string(), 400, None),
        (format!("/v1/ddc/accounts/{}x", account("//Eve")), 400, Some("account")),
    ] {
        let (status, body) = indexer.get(&path).await;
        assert_eq!(status, code, "{path}: {body}");
        assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()), "{path}: {body}");
        if let Some(field) = field {
            assert_eq!(body["field"], field, "{path}");
        }
    }
}
