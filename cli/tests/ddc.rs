//! `osiris node|cluster|bucket|ddc-account` as a storage market's actors use them: two
//! providers register nodes and trust Dave, Dave forms a cluster, Eve rents a bucket, the
//! rent is settled and distributed; every bad input is refused in one line.

mod common;

use common::{one_line_refusal, osiris, reply};
use osiris_contract_types::ddc::NodeId;
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

/// `osiris object …` against two ddc nodes (object stores behind gateways in bucket mode),
/// their cluster discovered from the indexer: Eve puts, fetches, lists and removes a file;
/// Ferdie, a reader, may fetch but not put; every bad input is one line and stores nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_are_stored_fetched_listed_and_removed_through_the_cli() {
    let market = Market::start().await;
    let indexer = market.serve_indexer_api().await;
    let state = market.dir.path().join("state");
    let env = [("OSIRIS_INDEXER_URL", indexer.as_str())];
    let cli = |suri: &str, args: &[&str], stdin: &[u8]| common::osiris_with(&market, &state, suri, &env, args, stdin);
    let run = |suri: &str, args: &[&str]| {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        reply(&cli(suri, &all, b""))
    };
    let refuse = |suri: &str, args: &[&str]| one_line_refusal(&cli(suri, args, b""));

    let urls = [market.reserve_gateway_url(), market.reserve_gateway_url()];
    for (who, url) in [("//Bob", &urls[0]), ("//Charlie", &urls[1])] {
        run(who, &["node", "create", "--capacity", "100", "--rent-per-vnode", "1000", "--endpoint", url]);
        run(who, &["node", "trust", "//Dave"]);
    }
    run("//Dave", &["cluster", "create", "--vnodes", "0,1,0,1", "--resource-per-vnode", "10"]);
    run("//Eve", &["ddc-account", "deposit", "1000000000"]);
    run("//Eve", &["bucket", "create", "--cluster", "0"]);
    run("//Eve", &["bucket", "alloc", "0", "8"]);
    let last = run("//Eve", &["bucket", "grant", "0", "//Ferdie", "reader"]);
    market.wait_for_block(last["block"].as_u64().unwrap()).await;
    let stores = [osiris_e2e::spawn_object_store().await, osiris_e2e::spawn_object_store().await];
    let _gateways = [
        market.start_gateway(market.node_gateway_config(&urls[0], NodeId(0), "//Bob", &stores[0].url)).await,
        market.start_gateway(market.node_gateway_config(&urls[1], NodeId(1), "//Charlie", &stores[1].url)).await,
    ];

    let file = market.dir.path().join("report.csv");
    let content: Vec<u8> = (0..200_000u32).map(|i| b"0123456789,\n"[(i % 12) as usize]).collect();
    std::fs::write(&file, &content).unwrap();
    let path = file.to_str().unwrap();
    let planned = run("//Eve", &["object", "put", "0", "q1/report.csv", path, "--dry-run"]);
    assert_eq!(planned["nodes"].as_array().unwrap().len(), 2);
    assert!(run("//Eve", &["object", "ls", "0"])["objects"].as_array().unwrap().is_empty(), "a dry run stores nothing");
    let stored = run("//Eve", &["object", "put", "0", "q1/report.csv", path]);
    assert_eq!((stored["size"].as_u64(), stored["nodes"].as_array().unwrap().len()), (Some(200_000), 2));
    let out = market.dir.path().join("back.csv");
    run("//Ferdie", &["object", "get", "0", "q1/report.csv", "--out", out.to_str().unwrap()]);
    assert_eq!(std::fs::read(&out).unwrap(), content);
    let piped = cli("//Eve", &["object", "get", "0", "q1/report.csv", "--out", "-"], b"");
    assert!(piped.status.success());
    assert_eq!(piped.stdout, content, "--out - writes only the object to stdout");
    let listed = run("//Eve", &["object", "ls", "0", "q1/"]);
    assert_eq!(listed["objects"][0]["key"], "q1/report.csv");
    assert_eq!(listed["objects"][0]["size"], 200_000);
    // The nodes flush their counts every 100 ms here.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let usage = run("//Dave", &["bucket", "usage", "0"]);
    let stored: Vec<u64> = usage.as_array().unwrap().iter().map(|u| u["stored_bytes"].as_u64().unwrap()).collect();
    assert_eq!(stored, [200_000, 200_000], "{usage}");

    // Bad inputs, each one line, nothing stored.
    assert!(refuse("//Ferdie", &["object", "put", "0", "mine.txt", path]).contains("writer"));
    assert!(refuse("//Dave", &["object", "get", "0", "q1/report.csv", "--out", "x"]).contains("may not"));
    assert!(refuse("//Eve", &["object", "put", "0", "../escape", path]).contains("object key"));
    assert!(refuse("//Eve", &["object", "put", "0", "k", "/no/such/file"]).contains("/no/such/file"));
    assert!(refuse("//Eve", &["object", "get", "99", "k", "--out", "x"]).contains("no bucket 99"));
    assert!(refuse("//Eve", &["object", "put", "0", "k", path, "--replicas", "0"]).contains("--replicas"));
    assert!(refuse("//Eve", &["object", "get", "0", "missing.txt", "--out", "x"]).contains("missing.txt"));
    let down = common::osiris_with(
        &market,
        &state,
        "//Eve",
        &[("OSIRIS_INDEXER_URL", "http://127.0.0.1:9")],
        &["object", "ls", "0"],
        b"",
    );
    assert!(one_line_refusal(&down).contains("unreachable"));
    assert_eq!(run("//Eve", &["object", "ls", "0"])["objects"].as_array().unwrap().len(), 1);

    let removed = run("//Eve", &["object", "rm", "0", "q1/report.csv"]);
    assert_eq!(removed["nodes"].as_array().unwrap().len(), 2);
    assert!(run("//Eve", &["object", "ls", "0"])["objects"].as_array().unwrap().is_empty());
    for store in &stores {
        assert_eq!(std::fs::read_dir(store.dir.path().join("0")).unwrap().count(), 0, "no file left behind");
    }
}
