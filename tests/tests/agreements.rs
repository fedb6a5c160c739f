//! Service agreements on a real dev chain: Bob, a member of `acme`, sells computation on
//! his data under an agreement. Charlie signs the agreement off-chain and Bob creates it;
//! Charlie locks the price, both agree on the algorithm's hash, Bob delivers and is paid.
//! A stranger cannot publish offers (the agreements contract asks the registry), a forged
//! input is refused on chain, a late provider means a refund, and metered service pays
//! exactly what the consumer signed.

use osiris_chain::signing::agreement::{sign_agreement, sign_input, sign_key_binding, sign_metering};
use osiris_chain::signing::channel::PaymentKey;
use osiris_chain::{
    account::to_ink,
    client::CallOutcome,
    types::agreements::{AgreementError, AgreementState, ConditionKind, ConditionState, Metering, ResultRegistered},
    types::registry::{InstanceGroup, OrgMetadata, ServiceMetadata},
    ChainError, ContractError,
};
use osiris_e2e::{actor, actor_account as account, Osiris, UNIT};

const PRICE: u128 = 5 * UNIT;

use osiris_e2e::condition as spec;

fn refused<T: std::fmt::Debug>(result: Result<T, ChainError>) -> AgreementError {
    match result {
        Err(ChainError::Contract(ContractError::Agreements(e))) => e,
        other => panic!("expected an agreements refusal, got {other:?}"),
    }
}

fn gas<T>(what: &str, outcome: &CallOutcome<T>) {
    println!("gas of {what}: ref_time {} proof_size {}", outcome.gas.ref_time, outcome.gas.proof_size);
}

/// Alice registers `acme` with Bob as a member and the service `compute`.
async fn acme(osiris: &Osiris) {
    let registry = osiris.registry();
    let meta = OrgMetadata { name: "Acme data".into(), uri: String::new(), content_hash: [0; 32] };
    registry.create_org(&actor("//Alice"), "acme", meta, &[account("//Bob")]).await.unwrap();
    let group = InstanceGroup {
        id: "jobs".into(),
        payment_recipient: to_ink(&account("//Bob")),
        endpoints: vec!["http://127.0.0.1:1".into()],
    };
    let metadata =
        ServiceMetadata { name: "Compute".into(), uri: String::new(), content_hash: [0; 32], price_per_call: 1 };
    registry.create_service(&actor("//Bob"), "acme", "compute", metadata, vec![group]).await.unwrap();
}

#[tokio::test]
async fn a_consumer_buys_a_compute_job_under_an_agreement_and_the_provider_is_paid() {
    let osiris = Osiris::start().await;
    acme(&osiris).await;
    let agreements = osiris.agreements();
    let (alice, bob, charlie, eve) = (actor("//Alice"), actor("//Bob"), actor("//Charlie"), actor("//Eve"));

    // Alice (the owner) whitelists the compute template.
    use ConditionKind::*;
    let template = vec![
        spec(LockPayment, &[], 50),
        spec(InputAgreed, &[0], 100),
        spec(AccessGranted, &[1], 150),
        spec(ReleasePayment, &[0, 1, 2], 200),
    ];
    assert_eq!(refused(agreements.create_template(&bob, template.clone()).await), AgreementError::NotOwner);
    let template_id = agreements.create_template(&alice, template).await.unwrap().value;
    agreements.set_template_whitelisted(&alice, template_id, true).await.unwrap();

    // Eve is not in acme: the registry says so through the contract. Bob is.
    let offer = |who| agreements.create_offer(who, "acme", "compute", template_id, PRICE, vec![], None);
    assert_eq!(refused(offer(&eve).await), AgreementError::NotOrganizationMember);
    let offer_id = offer(&bob).await.unwrap().value;

    // Charlie signs the agreement; Bob creates it with that signature, once Charlie's
    // account bound the key (a key Bob made up is refused).
    let key = PaymentKey::generate();
    let id = [0x5a; 32];
    let signature =
        sign_agreement(&key, agreements.address(), &id, offer_id, &account("//Charlie"), b"dataset=weather");
    let forged =
        sign_agreement(&PaymentKey::generate(), agreements.address(), &id, offer_id, &account("//Charlie"), b"");
    let charlie_id = account("//Charlie");
    let create = |sig| {
        agreements.create_agreement(
            &bob,
            id,
            offer_id,
            &charlie_id,
            key.signer_key(),
            b"dataset=weather".to_vec(),
            Some(sig),
        )
    };
    assert_eq!(refused(create(signature).await), AgreementError::ConsumerKeyNotBound);
    let proof = sign_key_binding(&key, agreements.address(), &charlie_id);
    agreements.bind_consumer_key(&charlie, key.signer_key(), proof).await.unwrap();
    assert_eq!(agreements.consumer_key(&charlie_id).await.unwrap(), Some(key.signer_key()));
    assert_eq!(refused(create(forged).await), AgreementError::InvalidSignature);
    let signature =
        sign_agreement(&key, agreements.address(), &id, offer_id, &account("//Charlie"), b"dataset=weather");
    let created = create(signature).await.unwrap();
    gas("create_agreement", &created);

    // Charlie locks the price: the contract now holds it.
    let before = osiris.chain.free_balance(agreements.address()).await.unwrap();
    let locked = agreements.lock_payment(&charlie, id, PRICE).await.unwrap();
    gas("lock_payment", &locked);
    assert_eq!(osiris.chain.free_balance(agreements.address()).await.unwrap(), before + PRICE);

    // Charlie signs the hash of the algorithm he uploaded; Bob must submit exactly that hash.
    let algorithm_hash = osiris_chain::contract::blake2_256(b"print(mean(csv))");
    agreements
        .submit_input_signature(&charlie, id, sign_input(&key, agreements.address(), &id, &algorithm_hash))
        .await
        .unwrap();
    let other_files = osiris_chain::contract::blake2_256(b"print(secret_rows(csv))");
    assert_eq!(refused(agreements.fulfil_input(&bob, id, other_files).await), AgreementError::InvalidSignature);
    let input = agreements.fulfil_input(&bob, id, algorithm_hash).await.unwrap();
    gas("fulfil_input", &input);

    // Bob registers the outputs, owned by Charlie, then releases the payment.
    let outputs = osiris_chain::contract::blake2_256(b"mean,12.5\n");
    let access = agreements.fulfil_access(&bob, id, outputs, "http://gw.acme/jobs/1/outputs").await.unwrap();
    gas("fulfil_access", &access);
    let registered: ResultRegistered =
        osiris_chain::contract::find_event(&access.events, agreements.address()).expect("ResultRegistered");
    assert_eq!((registered.owner, registered.hash), (to_ink(&account("//Charlie")), outputs));
    // Delivered: Charlie can no longer take the payment back.
    assert_eq!(refused(agreements.refund(&charlie, id).await), AgreementError::RefundNotAllowed);
    let released = agreements.release_payment(&bob, id).await.unwrap();
    gas("release_payment", &released);

    let agreement = agreements.agreement(id).await.unwrap().unwrap();
    assert_eq!(agreement.state, AgreementState::Fulfilled);
    assert!(agreement.conditions.iter().all(|c| c.state == ConditionState::Fulfilled));
    assert_eq!(agreements.balance_of(&account("//Bob")).await.unwrap(), PRICE);
    let bob_free = osiris.chain.free_balance(&account("//Bob")).await.unwrap();
    agreements.withdraw(&bob, PRICE).await.unwrap();
    assert!(osiris.chain.free_balance(&account("//Bob")).await.unwrap() > bob_free + PRICE - UNIT / 10, "minus fees");
}

#[tokio::test]
async fn a_late_provider_means_a_refund_and_metering_pays_exactly_what_was_signed() {
    let osiris = Osiris::start().await;
    acme(&osiris).await;
    let agreements = osiris.agreements();
    let (alice, bob, charlie) = (actor("//Alice"), actor("//Bob"), actor("//Charlie"));
    use ConditionKind::*;
    // Access must be granted within 6 blocks of creation (each call here is a block).
    let short = vec![spec(LockPayment, &[], 4), spec(AccessGranted, &[0], 6), spec(ReleasePayment, &[0, 1], 8)];
    let metered = vec![spec(LockPayment, &[], 50), spec(ReleasePayment, &[0], 500)];
    let short_id = agreements.create_template(&alice, short).await.unwrap().value;
    let metered_id = agreements.create_template(&alice, metered).await.unwrap().value;
    agreements.set_template_whitelisted(&alice, short_id, true).await.unwrap();
    agreements.set_template_whitelisted(&alice, metered_id, true).await.unwrap();
    let late_offer =
        agreements.create_offer(&bob, "acme", "compute", short_id, PRICE, vec![], None).await.unwrap().value;
    let unit = Some(Metering { unit: "call".into(), price_per_unit: UNIT / 100, settlement_window: 10 });
    let metered_offer =
        agreements.create_offer(&bob, "acme", "compute", metered_id, PRICE, vec![], unit).await.unwrap().value;
    let key = PaymentKey::generate();
    let charlie_id = account("//Charlie");

    // Charlie creates the agreement himself, locks from a deposit; Bob never delivers.
    let late = [0x1a; 32];
    agreements.create_agreement(&charlie, late, late_offer, &charlie_id, key.signer_key(), vec![], None).await.unwrap();
    agreements.deposit(&charlie, PRICE).await.unwrap();
    agreements.lock_payment_from_deposit(&charlie, late).await.unwrap();
    assert_eq!(agreements.balance_of(&charlie_id).await.unwrap(), 0);
    assert_eq!(refused(agreements.refund(&charlie, late).await), AgreementError::RefundNotAllowed);
    let deadline = agreements.agreement(late).await.unwrap().unwrap().conditions[1].deadline;
    while (osiris.chain.block_number().await.unwrap() as u32) <= deadline {
        osiris.chain.transfer(&alice, &account("//Ferdie"), UNIT).await.unwrap();
    }
    assert_eq!(
        refused(agreements.fulfil_access(&bob, late, [1; 32], "too late").await),
        AgreementError::ConditionTimedOut
    );
    agreements.refund(&charlie, late).await.unwrap();
    assert_eq!(agreements.balance_of(&charlie_id).await.unwrap(), PRICE, "the whole lock came back");
    assert_eq!(agreements.agreement(late).await.unwrap().unwrap().state, AgreementState::Refunded);

    // Metered: two cumulative records; the older one cannot pay again; the rest goes back.
    let metered_agreement = [0x2b; 32];
    agreements
        .create_agreement(&charlie, metered_agreement, metered_offer, &charlie_id, key.signer_key(), vec![], None)
        .await
        .unwrap();
    agreements.lock_payment_from_deposit(&charlie, metered_agreement).await.unwrap();
    let record = |units: u64| {
        let amount = u128::from(units) * UNIT / 100;
        (units, amount, sign_metering(&key, agreements.address(), &metered_agreement, units, amount))
    };
    let (u, a, s) = record(3);
    agreements.settle_metering(&bob, metered_agreement, u, a, s).await.unwrap();
    let (u, a, s) = record(10);
    agreements.settle_metering(&bob, metered_agreement, u, a, s).await.unwrap();
    let (u, a, s) = record(3);
    assert_eq!(
        refused(agreements.settle_metering(&bob, metered_agreement, u, a, s).await),
        AgreementError::StaleMeteringRecord
    );
    agreements.release_payment(&bob, metered_agreement).await.unwrap();
    assert_eq!(agreements.balance_of(&account("//Bob")).await.unwrap(), 10 * UNIT / 100);
    assert_eq!(agreements.balance_of(&charlie_id).await.unwrap(), PRICE - 10 * UNIT / 100);

    // The contract holds exactly what it owes (nothing is locked any more).
    let held = osiris.chain.free_balance(agreements.address()).await.unwrap()
        - osiris.chain.existential_deposit().await.unwrap();
    assert_eq!(held, PRICE);
}
