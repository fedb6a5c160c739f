//! `osiris node|cluster|bucket|ddc-account` as a storage market's actors use them: two
//! providers register nodes and trust Dave, Dave forms a cluster, Eve rents a bucket, the
//! rent is settled and distributed; every bad input is refused in one line.

mod common;

use common::{one_line_refusal, osiris, reply};
use osiris_e2e::Market;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_is_rented_and_paid_through_the_cli() {
    let market = Market::start().await;
    let state = market.dir.path().join("state");
    let run = |suri: &str, args: &[&str]| {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        reply(&osiris(&market, &state, suri, &all, b""))
    };
    let refuse = |suri: &str, args: &[&str]| one_line_refusal(&osiris(&market, &state, suri, args, b""));

    assert_eq!(
        run(
            "//Bob",
            &["node", "create", "--capacity", "100", "--rent-per-vnode", "1000", "--endpoint", "https://bob:7000"]
        )["node_id"],
        0
    );
    assert_eq!(
        run(
            "//Charlie",
            &["node", "create", "--capacity", "100", "--rent-per-vnode", "1000", "--endpoint", "https://charlie:7000"]
        )["node_id"],
        1
    );
    let untrusted = refuse("//Dave", &["cluster", "create", "--vnodes", "0,1", "--resource-per-vnode", "10"]);
    assert!(untrusted.contains("ManagerNotTrusted") && untrusted.contains("osiris node trust"), "{untrusted}");
    run("//Bob", &["node", "trust", "//Dave"]);
    run("//Charlie", &["node", "trust", "//Dave"]);
    let cluster = run(
        "//Dave",
        &["cluster", "create", "--vnodes", "0,1,0,1", "--resource-per-vnode", "10", "--manager-fee-bp", "1000"],
    );
    assert_eq!(cluster["cluster_id"], 0);
    let shown = run("//Dave", &["cluster", "show", "0"]);
    assert_eq!(
        (shown["vnodes"].clone(), shown["capacity"].clone()),
        (serde_json::json!([0, 1, 0, 1]), Value::from(40))
    );
    assert_eq!(run("//Alice", &["node", "list"]).as_array().unwrap().len(), 2);

    // Eve deposits, rents a bucket of 8 units and lets Ferdie read it.
    run("//Eve", &["ddc-account", "deposit", "1000000000"]);
    assert_eq!(run("//Eve", &["bucket", "create", "--cluster", "0", "--metadata", "photos"])["bucket_id"], 0);
    run("//Eve", &["bucket", "alloc", "0", "8"]);
    run("//Eve", &["bucket", "grant", "0", "//Ferdie", "reader"]);
    let bucket = run("//Eve", &["bucket", "show", "0"]);
    assert_eq!(bucket["resource"], 8);
    assert_eq!(bucket["rent_per_block"], "800");
    assert_eq!(bucket["readers"].as_array().unwrap().len(), 1);

    // Dave collects the rent and distributes it; Bob sees his share in his ddc account.
    let settled = run("//Dave", &["bucket", "settle", "0"]);
    assert_ne!(settled["paid"], "0");
    let distributed = run("//Alice", &["cluster", "distribute", "0"]);
    assert_eq!(distributed["shares"].as_array().unwrap().len(), 2);
    let bob_share = distributed["shares"][0]["amount"].as_str().unwrap().to_string();
    let bob = run("//Bob", &["ddc-account", "show"]);
    assert_eq!(bob["deposit"], bob_share);

    // Bad inputs, each one line, nothing changed.
    assert!(
        refuse("//Eve", &["bucket", "grant", "0", "//Ferdie", "owner"]).contains("`owner` is not `reader` or `writer`")
    );
    assert!(refuse("//Eve", &["bucket", "show", "99"]).contains("no bucket 99"));
    assert!(refuse("//Alice", &["bucket", "alloc", "0", "1"]).contains("NotBucketOwnerOrManager"));
    assert!(refuse("//Bob", &["node", "trust", "not-an-account"]).contains("not-an-account"));
    assert!(refuse("//Bob", &["node", "create", "--capacity", "many", "--rent-per-vnode", "1", "--endpoint", "u"])
        .contains("many"));
    assert!(refuse("//Eve", &["ddc-account", "withdraw", "2000000000"]).contains("InsufficientDeposit"));
    assert_eq!(run("//Eve", &["bucket", "show", "0"])["resource"], 8);
}
