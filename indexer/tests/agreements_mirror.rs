//! The agreements contract in the mirror: after a compute flow, a metered agreement, a
//! refund, a termination and deposits, every template, offer, agreement (conditions,
//! deadlines, money) and balance the REST API serves equals what the contract answers —
//! also after the indexer is killed mid-way and restarted.

mod common;

use common::{deployment_file, Indexer};
use osiris_chain::signing::agreement::{sign_input, sign_metering};
use osiris_chain::signing::channel::PaymentKey;
use osiris_chain::{
    account::{from_ink, to_ink},
    agreements::Agreements,
    types::agreements::{AgreementId, ConditionKind, ConditionState, Metering},
    types::registry::{InstanceGroup, OrgMetadata, ServiceMetadata},
};
use osiris_e2e::{actor, actor_account as account, Osiris, TestDatabase, UNIT};
use serde_json::Value;

use osiris_e2e::condition as spec;

fn hex0x(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// Every agreement, offer, template and balance of the mirror next to the contract's own answers.
async fn compare(agreements: &Agreements, indexer: &Indexer, pool: &sqlx::PgPool, ids: &[AgreementId]) {
    let (templates, offers) = agreements.counts().await.unwrap();
    let listed = indexer.ok("/v1/agreement-templates?limit=500").await;
    assert_eq!(listed["items"].as_array().unwrap().len(), templates as usize);
    for id in 0..templates {
        let t = agreements.template(id).await.unwrap().unwrap();
        let m = indexer.ok(&format!("/v1/agreement-templates/{id}")).await;
        assert_eq!(m["whitelisted"], t.whitelisted, "template {id}");
        assert_eq!(m["conditions"].as_array().unwrap().len(), t.conditions.len(), "template {id}");
    }
    for id in 0..offers {
        let o = agreements.offer(id).await.unwrap().unwrap();
        let m = indexer.ok(&format!("/v1/offers/{id}")).await;
        assert_eq!((m["active"].as_bool(), m["price"].as_str()), (Some(o.active), Some(o.price.to_string().as_str())));
        assert_eq!(m["provider"], from_ink(&o.provider).to_string());
    }
    for id in ids {
        let a = agreements.agreement(*id).await.unwrap().unwrap();
        let m = indexer.ok(&format!("/v1/agreements/{}", hex0x(id))).await;
        let state = format!("{:?}", a.state).to_lowercase();
        assert_eq!(m["state"], state, "{}", hex0x(id));
        assert_eq!(m["locked"], a.locked.to_string(), "{}", hex0x(id));
        assert_eq!(m["paid"], a.paid.to_string(), "{}", hex0x(id));
        assert_eq!(m["metered_amount"], a.metered_amount.to_string());
        assert_eq!(m["input_hash"], a.input_hash.map_or(Value::Null, |h| Value::from(hex0x(&h))));
        assert_eq!(m["result_location"], a.result.as_ref().map_or(Value::Null, |r| Value::from(r.location.clone())));
        assert_eq!(m["termination"]["code"], a.termination.as_ref().map_or(Value::Null, |t| Value::from(t.code)));
        for (i, c) in a.conditions.iter().enumerate() {
            let mc = &m["conditions"][i];
            let state = match c.state {
                ConditionState::Unfulfilled => "unfulfilled",
                ConditionState::Fulfilled => "fulfilled",
                ConditionState::Aborted => "aborted",
            };
            assert_eq!((mc["state"].as_str(), mc["deadline"].as_u64()), (Some(state), Some(u64::from(c.deadline))));
            assert_eq!(mc["not_before"].as_u64(), Some(u64::from(c.not_before)));
        }
        // What a gateway reads of the agreement (osiris-mirror) equals the contract too.
        let facts = osiris_mirror::agreements::agreement(pool, id).await.unwrap().expect("the gateway's read");
        let offer = agreements.offer(a.offer_id).await.unwrap().unwrap();
        assert_eq!((facts.state, facts.locked, facts.consumer_key), (a.state, a.locked, a.consumer_key));
        assert_eq!((facts.metered_units, facts.metered_amount), (a.metered_units, a.metered_amount));
        assert_eq!(facts.price_per_unit, offer.metering.as_ref().map(|m| m.price_per_unit));
        assert_eq!(facts.provider, from_ink(&a.provider).to_string());
        let conditions: Vec<_> = a.conditions.iter().map(|c| (c.kind, c.state, c.deadline)).collect();
        assert_eq!(facts.conditions.iter().map(|c| (c.kind, c.state, c.deadline)).collect::<Vec<_>>(), conditions);
    }
    for who in ["//Alice", "//Bob", "//Charlie", "//Dave"] {
        let balance = agreements.balance_of(&account(who)).await.unwrap();
        let m = indexer.ok(&format!("/v1/agreement-balances/{}", account(who))).await;
        assert_eq!(m["balance"], balance.to_string(), "{who}");
    }
}

#[tokio::test]
async fn the_mirror_of_agreements_equals_the_contract_across_a_crash() {
    let osiris = Osiris::start().await;
    let db = TestDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    let deployment = deployment_file(&osiris, dir.path());
    let mut indexer = Indexer::start(&osiris, &db, &deployment).await;
    let agreements = osiris.agreements();
    let (alice, bob, charlie, dave) = (actor("//Alice"), actor("//Bob"), actor("//Charlie"), actor("//Dave"));
    let meta = OrgMetadata { name: "Acme".into(), uri: String::new(), content_hash: [0; 32] };
    osiris.registry().create_org(&alice, "acme", meta, &[account("//Bob")]).await.unwrap();
    let group = InstanceGroup { id: "g".into(), payment_recipient: to_ink(&account("//Bob")), endpoints: vec![] };
    let service = ServiceMetadata { name: "C".into(), uri: String::new(), content_hash: [0; 32], price_per_call: 1 };
    osiris.registry().create_service(&bob, "acme", "compute", service, vec![group]).await.unwrap();

    use ConditionKind::*;
    let compute = vec![
        spec(LockPayment, &[], 50),
        spec(InputAgreed, &[0], 60),
        spec(AccessGranted, &[1], 70),
        spec(ReleasePayment, &[0, 1, 2], 80),
    ];
    let short = vec![spec(LockPayment, &[], 3), spec(AccessGranted, &[0], 5), spec(ReleasePayment, &[0, 1], 7)];
    let metered = vec![spec(LockPayment, &[], 50), spec(ReleasePayment, &[0], 90)];
    let mut templates = Vec::new();
    for t in [compute, short, metered] {
        let id = agreements.create_template(&alice, t).await.unwrap().value;
        agreements.set_template_whitelisted(&alice, id, true).await.unwrap();
        templates.push(id);
    }
    let offer = |t, metering| agreements.create_offer(&bob, "acme", "compute", t, 10 * UNIT, vec![], metering);
    let compute_offer = offer(templates[0], None).await.unwrap().value;
    let short_offer = offer(templates[1], None).await.unwrap().value;
    let unit = Some(Metering { unit: "call".into(), price_per_unit: UNIT, settlement_window: 3 });
    let metered_offer = offer(templates[2], unit).await.unwrap().value;
    let withdrawn = agreements.create_offer(&bob, "acme", "compute", templates[0], UNIT, vec![55, 65, 75, 85], None);
    let withdrawn = withdrawn.await.unwrap().value;
    agreements.withdraw_offer(&bob, withdrawn).await.unwrap();

    let key = PaymentKey::generate();
    let create = |id: AgreementId, offer, who: &'static str| {
        let signer = actor(who);
        let agreements = agreements.clone();
        let key = key.clone();
        async move {
            agreements
                .create_agreement(&signer, id, offer, &account(who), key.signer_key(), b"p".to_vec(), None)
                .await
                .unwrap()
        }
    };
    // The compute flow, to the release.
    let done = [1; 32];
    create(done, compute_offer, "//Charlie").await;
    agreements.lock_payment(&charlie, done, 10 * UNIT).await.unwrap();
    agreements
        .submit_input_signature(&charlie, done, sign_input(&key, agreements.address(), &done, &[4; 32]))
        .await
        .unwrap();
    agreements.fulfil_input(&bob, done, [4; 32]).await.unwrap();

    // The indexer dies here and comes back.
    indexer.kill();
    agreements.fulfil_access(&bob, done, [5; 32], "http://gw/jobs/1").await.unwrap();
    agreements.release_payment(&bob, done).await.unwrap();
    indexer = Indexer::start(&osiris, &db, &deployment).await;

    // Metered, from a deposit, two records.
    let meter = [2; 32];
    create(meter, metered_offer, "//Dave").await;
    agreements.deposit(&dave, 12 * UNIT).await.unwrap();
    agreements.lock_payment_from_deposit(&dave, meter).await.unwrap();
    for units in [2u64, 5] {
        let amount = u128::from(units) * UNIT;
        let signature = sign_metering(&key, agreements.address(), &meter, units, amount);
        agreements.settle_metering(&bob, meter, units, amount, signature).await.unwrap();
    }
    agreements.release_payment(&bob, meter).await.unwrap();
    // Never delivered: refunded after the deadline.
    let late = [3; 32];
    create(late, short_offer, "//Charlie").await;
    agreements.lock_payment(&charlie, late, 10 * UNIT).await.unwrap();
    let deadline = agreements.agreement(late).await.unwrap().unwrap().conditions[1].deadline;
    while (osiris.chain.block_number().await.unwrap() as u32) <= deadline {
        agreements.deposit(&alice, UNIT).await.unwrap();
    }
    agreements.refund(&charlie, late).await.unwrap();
    // Terminated by the provider.
    let ended = [4; 32];
    create(ended, compute_offer, "//Charlie").await;
    agreements.lock_payment(&charlie, ended, 10 * UNIT).await.unwrap();
    let last = agreements.terminate(&bob, ended, 503, "data set withdrawn").await.unwrap();
    agreements.withdraw(&bob, UNIT).await.unwrap();
    indexer.wait_for_block(last.block_number + 1).await;

    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    compare(&agreements, &indexer, &pool, &[done, meter, late, ended]).await;
    // Filters and the metering history.
    let charlies = indexer.ok(&format!("/v1/agreements?consumer={}", account("//Charlie"))).await;
    assert_eq!(charlies["items"].as_array().unwrap().len(), 3);
    let refunded = indexer.ok("/v1/agreements?state=refunded").await;
    assert_eq!(refunded["items"][0]["agreement_id"], hex0x(&late));
    let records = indexer.ok(&format!("/v1/agreements/{}/metering", hex0x(&meter))).await;
    let paid: Vec<&str> = records["items"].as_array().unwrap().iter().map(|r| r["paid"].as_str().unwrap()).collect();
    assert_eq!(paid, [(2 * UNIT).to_string(), (3 * UNIT).to_string()]);
    let inactive = indexer.ok("/v1/offers?active=false").await;
    assert_eq!(inactive["items"][0]["offer_id"], withdrawn);
    assert_eq!(inactive["items"][0]["conditions"][0]["timeout"], 55, "the offer's own timeouts");
    let events = indexer.ok("/v1/events?contract=agreements&name=AgreementTerminated").await;
    assert_eq!(events["items"][0]["fields"]["reason"], "data set withdrawn");
}
