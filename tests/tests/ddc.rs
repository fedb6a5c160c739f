//! Storage sold by the block on a real dev chain: two providers register nodes and trust a
//! manager, the manager forms a cluster of vnodes over them, an app rents a bucket, the
//! rent is settled and distributed by vnode after the fees. The contract always holds
//! exactly the deposits plus the clusters' undistributed revenues. Gas of settling and of
//! distributing is printed for clusters of 4 and 64 vnodes.

use osiris_chain::client::CallOutcome;
use osiris_chain::ddc::Ddc;
use osiris_chain::types::ddc::{BucketSettled, ClusterRevenuesDistributed, DdcError, Permission, ProviderShare};
use osiris_chain::{contract::find_event, AccountId, Balance, ChainError, ContractError};
use osiris_contract_types::ddc::NodeId;
use osiris_e2e::{actor, actor_account as account, Osiris, UNIT};

/// Rent of one vnode, planck per block.
const RENT: Balance = UNIT / 1_000;

fn refused<T: std::fmt::Debug>(result: Result<T, ChainError>) -> DdcError {
    match result {
        Err(ChainError::Contract(ContractError::Ddc(e))) => e,
        other => panic!("expected a ddc refusal, got {other:?}"),
    }
}

fn gas<T>(what: &str, outcome: &CallOutcome<T>) {
    println!("gas of {what}: ref_time {} proof_size {}", outcome.gas.ref_time, outcome.gas.proof_size);
}

/// What the contract holds must equal the deposits of `accounts` plus every cluster's revenues.
async fn assert_money_invariant(osiris: &Osiris, ddc: &Ddc, accounts: &[AccountId]) {
    let mut liabilities: Balance = 0;
    for a in accounts {
        liabilities += ddc.account(a).await.unwrap().deposit;
    }
    for (_, cluster) in ddc.cluster_list(0, 100).await.unwrap() {
        liabilities += cluster.revenues;
    }
    let held =
        osiris.chain.free_balance(ddc.address()).await.unwrap() - osiris.chain.existential_deposit().await.unwrap();
    assert_eq!(held, liabilities, "the contract holds the deposits plus the undistributed revenues");
}

#[tokio::test]
async fn a_bucket_pays_rent_that_the_cluster_distributes_by_vnode() {
    let osiris = Osiris::start().await;
    let ddc = osiris.ddc();
    let (bob, charlie, dave, eve) = (actor("//Bob"), actor("//Charlie"), actor("//Dave"), actor("//Eve"));
    let manager = account("//Dave");
    let everyone = ["//Alice", "//Bob", "//Charlie", "//Dave", "//Eve"].map(account);

    // Two providers register a node each and trust Dave, the manager.
    let bob_node = ddc.node_create(&bob, 100, RENT, "https://bob.example:7000").await.unwrap().value;
    let charlie_node = ddc.node_create(&charlie, 100, RENT, "https://charlie.example:7000").await.unwrap().value;
    assert_eq!((bob_node, charlie_node), (NodeId(0), NodeId(1)));
    assert_eq!(
        refused(ddc.cluster_create(&dave, vec![NodeId(0), NodeId(1)], 10, 1_000).await),
        DdcError::ManagerNotTrusted
    );
    ddc.node_trust_manager(&bob, &manager, true).await.unwrap();
    ddc.node_trust_manager(&charlie, &manager, true).await.unwrap();
    assert!(ddc.trusts(&account("//Bob"), &manager).await.unwrap());

    // Dave's cluster: four vnodes, three on Bob's node and one on Charlie's, 10 units each.
    let cluster_id =
        ddc.cluster_create(&dave, vec![NodeId(0), NodeId(0), NodeId(0), NodeId(1)], 10, 1_000).await.unwrap().value;
    let cluster = ddc.cluster(cluster_id).await.unwrap().unwrap();
    assert_eq!((cluster.capacity(), cluster.rent_per_resource), (40, 4 * RENT / 40));
    assert_eq!(ddc.node(bob_node).await.unwrap().unwrap().free_resource, 70);
    assert_eq!(refused(ddc.cluster_reserve_resource(&eve, cluster_id, 1).await), DdcError::NotClusterManager);

    // Eve rents a bucket of 8 units and deposits for it.
    let bucket_id = ddc.bucket_create(&eve, cluster_id, "{\"name\":\"photos\"}").await.unwrap().value;
    ddc.account_deposit(&eve, 10 * UNIT).await.unwrap();
    ddc.bucket_alloc_into_cluster(&eve, bucket_id, 8).await.unwrap();
    assert_eq!(
        refused(ddc.bucket_alloc_into_cluster(&eve, bucket_id, 41).await),
        DdcError::InsufficientClusterResource
    );
    ddc.bucket_permission(&eve, bucket_id, &account("//Ferdie"), Permission::Reader, true).await.unwrap();
    let status = ddc.bucket(bucket_id).await.unwrap().unwrap();
    let rate = status.rent_per_block;
    assert_eq!(rate, 8 * (4 * RENT / 40));
    assert!(status.rent_covered_until > osiris.chain.block_number().await.unwrap() as u32);
    assert_eq!(status.bucket.readers, vec![osiris_chain::account::to_ink(&account("//Ferdie"))]);
    assert_money_invariant(&osiris, &ddc, &everyone).await;

    // Dave settles twice: the second settle pays only the blocks since the first.
    let first = ddc.bucket_settle_payment(&dave, bucket_id).await.unwrap();
    gas("bucket_settle_payment (4 vnodes)", &first);
    let first: BucketSettled = find_event(&first.events, ddc.address()).unwrap();
    let second = ddc.bucket_settle_payment(&dave, bucket_id).await.unwrap();
    let second: BucketSettled = find_event(&second.events, ddc.address()).unwrap();
    assert!(first.paid > 0);
    assert_eq!(second.paid, rate * Balance::from(second.settled_until - first.settled_until), "settled once");
    let revenues = first.paid + second.paid;
    assert_eq!(ddc.cluster(cluster_id).await.unwrap().unwrap().revenues, revenues);
    assert_money_invariant(&osiris, &ddc, &everyone).await;

    // Anyone may distribute: 1 % network fee (to Alice, who deployed), 10 % to Dave, the
    // rest split per vnode — three parts to Bob, one to Charlie.
    let distributed = ddc.cluster_distribute_revenues(&eve, cluster_id).await.unwrap();
    gas("cluster_distribute_revenues (4 vnodes)", &distributed);
    let event: ClusterRevenuesDistributed = find_event(&distributed.events, ddc.address()).unwrap();
    let network_fee = revenues * 100 / 10_000;
    let manager_fee = revenues * 1_000 / 10_000;
    let per_vnode = (revenues - network_fee - manager_fee) / 4;
    assert_eq!((event.total, event.network_fee, event.manager_fee), (revenues, network_fee, manager_fee));
    assert_eq!(
        event.shares,
        vec![
            ProviderShare {
                provider: osiris_chain::account::to_ink(&account("//Bob")),
                vnodes: 3,
                amount: 3 * per_vnode
            },
            ProviderShare {
                provider: osiris_chain::account::to_ink(&account("//Charlie")),
                vnodes: 1,
                amount: per_vnode
            },
        ]
    );
    assert_eq!(ddc.account(&account("//Bob")).await.unwrap().deposit, 3 * per_vnode);
    assert_eq!(ddc.account(&account("//Charlie")).await.unwrap().deposit, per_vnode);
    assert_eq!(ddc.account(&manager).await.unwrap().deposit, manager_fee);
    assert_eq!(ddc.account(&account("//Alice")).await.unwrap().deposit, network_fee);
    assert_money_invariant(&osiris, &ddc, &everyone).await;

    // Charlie's node leaves: its vnode moves to Bob's node; Charlie withdraws his earnings.
    ddc.cluster_replace_node(&dave, cluster_id, 3, bob_node).await.unwrap();
    assert_eq!(ddc.cluster(cluster_id).await.unwrap().unwrap().vnodes, [0, 0, 0, 0].map(NodeId));
    ddc.account_withdraw(&charlie, per_vnode).await.unwrap();
    assert_eq!(refused(ddc.account_withdraw(&charlie, 1).await), DdcError::InsufficientDeposit);
    assert_money_invariant(&osiris, &ddc, &everyone).await;
}

#[tokio::test]
async fn settling_and_distributing_a_cluster_of_64_vnodes() {
    let osiris = Osiris::start().await;
    let ddc = osiris.ddc();
    let (bob, charlie, dave, eve) = (actor("//Bob"), actor("//Charlie"), actor("//Dave"), actor("//Eve"));
    for provider in [&bob, &charlie] {
        ddc.node_create(provider, 1_000, RENT, "https://node.example:7000").await.unwrap();
        ddc.node_trust_manager(provider, &account("//Dave"), true).await.unwrap();
    }
    let vnodes: Vec<NodeId> = (0..64).map(|i| NodeId(i % 2)).collect();
    let cluster_id = ddc.cluster_create(&dave, vnodes, 10, 500).await.unwrap().value;
    let bucket_id = ddc.bucket_create(&eve, cluster_id, "").await.unwrap().value;
    ddc.account_deposit(&eve, 10 * UNIT).await.unwrap();
    ddc.bucket_alloc_into_cluster(&eve, bucket_id, 600).await.unwrap();
    osiris.chain.block_number().await.unwrap();
    let settled = ddc.bucket_settle_payment(&dave, bucket_id).await.unwrap();
    gas("bucket_settle_payment (64 vnodes)", &settled);
    let distributed = ddc.cluster_distribute_revenues(&dave, cluster_id).await.unwrap();
    gas("cluster_distribute_revenues (64 vnodes)", &distributed);
    let event: ClusterRevenuesDistributed = find_event(&distributed.events, ddc.address()).unwrap();
    assert_eq!(event.shares.iter().map(|s| s.vnodes).collect::<Vec<_>>(), vec![32, 32]);
    assert_eq!(event.shares[0].amount, event.shares[1].amount);
    let everyone = ["//Alice", "//Bob", "//Charlie", "//Dave", "//Eve"].map(account);
    assert_money_invariant(&osiris, &ddc, &everyone).await;
}
