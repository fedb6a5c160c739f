//! Real calls on a dev chain appear in the indexer's REST API, and the mirror
//! agrees with what the contracts themselves answer.

mod common;

use common::{deployment_file, Indexer};
use osiris_chain::signing::channel::PaymentKey;
use osiris_chain::{
    account::to_ink,
    types::registry::{InstanceGroup, OrgMetadata, ServiceMetadata},
    AccountId, Balance,
};
use osiris_contract_types::ChannelId;
use osiris_contract_types::Nonce;
use osiris_e2e::{actor, actor_account as account, Osiris, TestDatabase, UNIT};
use serde_json::Value;

#[tokio::test]
async fn calls_show_up_in_the_rest_api_and_bad_requests_are_named() {
    let osiris = Osiris::start().await;
    let db = TestDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    let indexer = Indexer::start(&osiris, &db, &deployment_file(&osiris, dir.path())).await;
    let mut listener = sqlx::postgres::PgListener::connect(&db.url).await.unwrap();
    listener.listen("osiris_indexer").await.unwrap();
    let (registry, escrow) = (osiris.registry(), osiris.escrow());
    let (alice, bob, charlie) = (actor("//Alice"), actor("//Bob"), actor("//Charlie"));

    // A provider registers; a consumer deposits, opens a channel and pays; the provider claims.
    let meta = OrgMetadata { name: "Acme AI".into(), uri: "ipfs://acme".into(), content_hash: [7; 32] };
    registry.create_org(&alice, "acme", meta, &[]).await.unwrap();
    let group = InstanceGroup {
        id: "eu".into(),
        payment_recipient: to_ink(&account("//Charlie")),
        endpoints: vec!["http://10.0.0.5:7000".into()],
    };
    let price =
        ServiceMetadata { name: "Translate".into(), uri: String::new(), content_hash: [0; 32], price_per_call: 1_000 };
    registry.create_service(&alice, "acme", "translate", price, vec![group]).await.unwrap();
    escrow.deposit(&bob, 10 * UNIT).await.unwrap();
    let key = PaymentKey::generate();
    let expiration = osiris.chain.block_number().await.unwrap() as u32 + 500;
    let channel_id = escrow
        .open_channel(&bob, key.signer_key(), &account("//Charlie"), "eu", 4 * UNIT, expiration)
        .await
        .unwrap()
        .value;
    let claimed = escrow
        .channel_claim(
            &charlie,
            channel_id,
            3_000,
            3_000,
            key.sign(escrow.address(), channel_id, Nonce(0), 3_000),
            false,
        )
        .await
        .unwrap();
    indexer.wait_for_block(claimed.block_number).await;

    // Each committed block was announced on the NOTIFY channel, in order, up to the claim's.
    let mut announced = Vec::new();
    while announced.last() != Some(&claimed.block_number) {
        let note = tokio::time::timeout(std::time::Duration::from_secs(10), listener.recv()).await.unwrap().unwrap();
        let payload: Value = serde_json::from_str(note.payload()).unwrap();
        assert!(payload["block_hash"].as_str().unwrap().starts_with("0x"));
        announced.push(payload["block_number"].as_u64().unwrap());
    }
    assert!(announced.windows(2).all(|w| w[1] == w[0] + 1), "{announced:?}");

    // The channel, balances and service read as the contracts say.
    let channel = indexer.ok(&format!("/v1/channels/{channel_id}")).await;
    let on_chain = escrow.channel(channel_id).await.unwrap().unwrap();
    assert_eq!(channel["value"], on_chain.value.to_string());
    assert_eq!(channel["nonce"], on_chain.nonce.0);
    assert_eq!(channel["sender"], account("//Bob").to_string());
    assert_eq!(channel["recipient"], account("//Charlie").to_string());
    assert_eq!(channel["signer"], format!("0x{}", hex::encode(key.signer_key())));
    assert_eq!(channel["expiration"], expiration);
    for who in ["//Bob", "//Charlie"] {
        let balance = indexer.ok(&format!("/v1/balances/{}", account(who))).await;
        assert_eq!(balance["balance"], escrow.balance_of(&account(who)).await.unwrap().to_string(), "{who}");
    }
    let service = indexer.ok("/v1/services/acme/translate").await;
    assert_eq!(service["price_per_call"], "1000");
    assert_eq!(service["groups"][0]["payment_recipient"], account("//Charlie").to_string());
    let orgs = indexer.ok("/v1/organizations").await;
    assert_eq!(orgs["items"][0]["services"], serde_json::json!(["translate"]));
    assert_eq!(orgs["items"][0]["content_hash"], format!("0x{}", "07".repeat(32)));

    // Filters find the channel; the claim is in the event log with its fields.
    let by_sender = indexer.ok(&format!("/v1/channels?sender={}&group_id=eu", account("//Bob"))).await;
    assert_eq!(by_sender["items"].as_array().unwrap().len(), 1);
    let by_signer = indexer.ok(&format!("/v1/channels?signer=0x{}", hex::encode(key.signer_key()))).await;
    assert_eq!(by_signer["items"][0]["id"], channel_id.0);
    let claims = indexer.ok("/v1/events?contract=escrow&name=ChannelClaimed").await;
    assert_eq!(claims["items"][0]["fields"]["amount"], "3000");
    assert_eq!(claims["items"][0]["block_number"], claimed.block_number);

    // Pages of 2 walk the whole log exactly once.
    let all = indexer.ok("/v1/events?limit=500").await["items"].as_array().unwrap().clone();
    assert_eq!(all.len(), 5, "OrganizationCreated, ServiceCreated, Deposited, ChannelOpened, ChannelClaimed: {all:?}");
    let mut walked: Vec<Value> = Vec::new();
    let mut path = "/v1/events?limit=2".to_string();
    loop {
        let page = indexer.ok(&path).await;
        walked.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/events?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(walked, all);

    // Bad input is a 400 naming the parameter; unknown ids are 404.
    for (path, field) in [
        ("/v1/channels?sender=not-ss58", "sender"),
        ("/v1/channels?signer=0x12", "signer"),
        ("/v1/channels/abc", "channel_id"),
        ("/v1/events?name=NoSuchEvent", "name"),
        ("/v1/events?bogus=1", "bogus"),
        ("/v1/events?cursor=%25%25", "cursor"),
        ("/v1/events?limit=0", "limit"),
        ("/v1/events?from_block=-3", "from_block"),
        ("/v1/balances/xyz", "account"),
        ("/v1/organizations/Not%20An%20Id", "org_id"),
    ] {
        let (status, body) = indexer.get(path).await;
        assert_eq!((status, body["field"].as_str()), (400, Some(field)), "GET {path}: {body}");
    }
    let post = reqwest::Client::new().post(format!("{}/v1/channels", indexer.url)).send().await.unwrap();
    assert_eq!(post.status().as_u16(), 405);
    for path in ["/v1/channels/999", "/v1/organizations/nope", "/v1/services/acme/nope", "/v1/nowhere"] {
        let (status, body) = indexer.get(path).await;
        assert_eq!(status, 404, "GET {path}: {body}");
        assert!(body["error"].is_string());
    }

    // The API describes itself, and reports its progress.
    let openapi = indexer.ok("/openapi.json").await;
    for path in ["/v1/channels", "/v1/channels/{channel_id}", "/v1/events", "/v1/status", "/v1/balances/{account}"] {
        assert!(openapi["paths"][path].is_object(), "{path} documented");
    }
    let status = indexer.ok("/v1/status").await;
    assert_eq!(status["genesis_hash"], osiris.deployment.genesis_hash);
    let (code, metrics) = indexer.get("/metrics").await;
    assert_eq!(code, 200);
    assert!(metrics.as_str().unwrap().contains("osiris_indexer_blocks_total"), "{metrics}");
    assert!(indexer.terminate(), "SIGTERM stops the indexer cleanly");
}

/// Every channel, balance, organization and service in the mirror, as JSON, next to the contracts' own answers.
async fn compare_with_contracts(osiris: &Osiris, indexer: &Indexer, accounts: &[AccountId]) {
    let (registry, escrow) = (osiris.registry(), osiris.escrow());
    for id in (0..escrow.next_channel_id().await.unwrap().0).map(ChannelId) {
        let c = escrow.channel(id).await.unwrap().unwrap();
        let m = indexer.ok(&format!("/v1/channels/{id}")).await;
        assert_eq!(m["value"], c.value.to_string(), "channel {id}");
        assert_eq!(m["nonce"], c.nonce.0, "channel {id}");
        assert_eq!(m["expiration"], c.expiration, "channel {id}");
    }
    for a in accounts {
        let balance: Balance = escrow.balance_of(a).await.unwrap();
        assert_eq!(indexer.ok(&format!("/v1/balances/{a}")).await["balance"], balance.to_string(), "{a}");
    }
    let orgs = registry.list_orgs().await.unwrap();
    let mirrored: Vec<Value> = indexer.ok("/v1/organizations?limit=500").await["items"].as_array().unwrap().clone();
    assert_eq!(mirrored.iter().map(|o| o["id"].as_str().unwrap().to_string()).collect::<Vec<_>>(), orgs);
    for (org_id, m) in orgs.iter().zip(&mirrored) {
        let org = registry.get_org(org_id).await.unwrap().unwrap();
        assert_eq!(m["owner"], osiris_chain::account::from_ink(&org.owner).to_string());
        let members: Vec<String> = org.members.iter().map(|x| osiris_chain::account::from_ink(x).to_string()).collect();
        assert_eq!(m["members"], serde_json::json!(members), "{org_id}");
        assert_eq!(m["services"], serde_json::json!(org.services), "{org_id}");
        for service in registry.list_services(org_id).await.unwrap().unwrap() {
            let s = indexer.ok(&format!("/v1/services/{org_id}/{}", service.id)).await;
            assert_eq!(s["price_per_call"], service.metadata.price_per_call.to_string());
            let groups: Vec<Value> = service
                .groups
                .iter()
                .map(|g| serde_json::json!({ "id": g.id, "payment_recipient": osiris_chain::account::from_ink(&g.payment_recipient).to_string(), "endpoints": g.endpoints }))
                .collect();
            assert_eq!(s["groups"], serde_json::json!(groups), "{org_id}/{}", service.id);
        }
    }
}

#[tokio::test]
async fn after_a_random_sequence_of_calls_the_mirror_equals_the_contracts() {
    let osiris = Osiris::start().await;
    let db = TestDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    let indexer = Indexer::start(&osiris, &db, &deployment_file(&osiris, dir.path())).await;
    let (registry, escrow) = (osiris.registry(), osiris.escrow());
    let names = ["//Alice", "//Bob", "//Charlie", "//Dave"];
    let accounts: Vec<AccountId> = names.iter().map(|n| account(n)).collect();
    let key = PaymentKey::generate();
    let mut seed: u64 = 0x5eed_1234_abcd_0001;
    let mut rand = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let mut last_block = 0;
    for step in 0..24u64 {
        let who = rand(4) as usize;
        let other = rand(4) as usize;
        let signer = actor(names[who]);
        let org = format!("org{}", rand(3));
        let result = match rand(8) {
            0 => {
                registry
                    .create_org(
                        &signer,
                        &org,
                        OrgMetadata { name: format!("o{step}"), uri: String::new(), content_hash: [1; 32] },
                        &[accounts[other]],
                    )
                    .await
            }
            1 => {
                let group = InstanceGroup {
                    id: format!("g{}", rand(2)),
                    payment_recipient: to_ink(&accounts[other]),
                    endpoints: vec![format!("http://h{step}")],
                };
                let meta = ServiceMetadata {
                    name: "s".into(),
                    uri: String::new(),
                    content_hash: [2; 32],
                    price_per_call: u128::from(rand(1000)),
                };
                registry.create_service(&signer, &org, &format!("svc{}", rand(2)), meta, vec![group]).await
            }
            2 => registry.add_endpoints(&signer, &org, "svc0", "g0", vec![format!("http://e{step}")]).await,
            3 => registry.delete_org(&signer, &org).await,
            4 => escrow.deposit(&signer, u128::from(rand(5) + 1) * UNIT).await,
            5 => escrow
                .open_channel(
                    &signer,
                    key.signer_key(),
                    &accounts[other],
                    "g0",
                    u128::from(rand(3) + 1) * UNIT / 2,
                    10_000,
                )
                .await
                .map(|o| osiris_chain::client::CallOutcome {
                    value: (),
                    gas: o.gas,
                    block_number: o.block_number,
                    events: o.events,
                }),
            6 => escrow.transfer(&signer, &accounts[other], UNIT / 4).await,
            _ => {
                let ids = escrow.next_channel_id().await.unwrap();
                if ids == ChannelId(0) {
                    continue;
                }
                let id = rand(ids.0);
                let c = escrow.channel(ChannelId(id)).await.unwrap().unwrap();
                let amount = c.value / 3;
                let recipient = actor(names[accounts.iter().position(|a| to_ink(a) == c.recipient).unwrap()]);
                escrow
                    .channel_claim(
                        &recipient,
                        ChannelId(id),
                        amount,
                        amount,
                        key.sign(escrow.address(), ChannelId(id), c.nonce, amount),
                        rand(2) == 0,
                    )
                    .await
            }
        };
        if let Ok(outcome) = result {
            last_block = last_block.max(outcome.block_number);
        }
    }
    assert!(last_block > 0, "some calls succeeded");
    indexer.wait_for_block(last_block).await;
    compare_with_contracts(&osiris, &indexer, &accounts).await;
}
