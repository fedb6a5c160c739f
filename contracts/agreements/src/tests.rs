//! Off-chain unit tests of every agreements message, every path (each condition's
//! timeout included), the money invariant over random sequences, and fairness over random
//! sequences: a provider that delivered is paid, a consumer pays only for delivery.
//!
//! The actors: Alice owns the contract, Bob is a member of organization `acme` (service
//! `compute`) and publishes offers, Charlie is the consumer (secp256k1 key 0x11…), Eve is
//! a stranger (key 0x66…).

use crate::agreements::Agreements;
use crate::registry::test_registry;
use crate::AgreementError::{self, *};
use ink::env::{test, DefaultEnvironment as Env};
use osiris_contract_types::agreements::*;
use osiris_contract_types::registry::{OrgMetadata, Organization};
use osiris_contract_types::{AccountId, Balance, BlockNumber, PaymentSignature, SignerKey};
use secp256k1::{Message, PublicKey, SecretKey, SECP256K1};

const CONTRACT: [u8; 32] = [0xAA; 32];
const REGISTRY: [u8; 32] = [0xBB; 32];
const PRICE: Balance = 1_000;
const ID: AgreementId = [7; 32];
/// Blocks a metered offer's provider has to settle after the consumer terminates.
const SETTLEMENT_WINDOW: BlockNumber = 5;

fn accounts() -> test::DefaultAccounts<Env> {
    test::default_accounts::<Env>()
}
fn alice() -> AccountId {
    accounts().alice
}
fn bob() -> AccountId {
    accounts().bob
}
fn charlie() -> AccountId {
    accounts().charlie
}
fn eve() -> AccountId {
    accounts().eve
}

fn act_as(who: AccountId) {
    test::set_caller::<Env>(who);
    test::set_value_transferred::<Env>(0);
}

fn now() -> BlockNumber {
    ink::env::block_number::<Env>()
}

fn advance_to(block: BlockNumber) {
    while now() < block {
        test::advance_block::<Env>();
    }
}

fn free_balance(who: AccountId) -> Balance {
    test::get_account_balance::<Env>(who).unwrap()
}

fn secret(byte: u8) -> SecretKey {
    SecretKey::from_slice(&[byte; 32]).unwrap()
}
fn charlie_secret() -> SecretKey {
    secret(0x11)
}
fn key_of(sk: &SecretKey) -> SignerKey {
    PublicKey::from_secret_key(SECP256K1, sk).serialize()
}

fn sign(sk: &SecretKey, message: &[u8]) -> PaymentSignature {
    let digest = crate::signature::digest(message);
    let (rid, compact) = SECP256K1.sign_ecdsa_recoverable(&Message::from_digest(digest), sk).serialize_compact();
    let mut sig = [0u8; 65];
    sig[..64].copy_from_slice(&compact);
    sig[64] = rid.to_i32() as u8;
    sig
}

fn condition(kind: ConditionKind, depends_on: &[u8], time_lock: BlockNumber, timeout: BlockNumber) -> ConditionSpec {
    ConditionSpec { kind, depends_on: depends_on.to_vec(), time_lock, timeout }
}

/// The compute flow's template: lock (10 blocks), input (20), access (30), release (40).
fn compute_template() -> Vec<ConditionSpec> {
    use ConditionKind::*;
    vec![
        condition(LockPayment, &[], 0, 10),
        condition(InputAgreed, &[0], 0, 20),
        condition(AccessGranted, &[1], 0, 30),
        condition(ReleasePayment, &[0, 1, 2], 0, 40),
    ]
}

/// A metered service's template: lock (10 blocks), then release within 100.
fn metered_template() -> Vec<ConditionSpec> {
    use ConditionKind::*;
    vec![condition(LockPayment, &[], 0, 10), condition(ReleasePayment, &[0], 0, 100)]
}

/// A fresh contract at `contract` owned by Alice, with `acme` (owner Alice, member Bob,
/// service `compute`) in the registry and every actor holding 10^15 planck.
fn setup_at(contract: AccountId) -> Agreements {
    test::set_callee::<Env>(contract);
    test::set_contract::<Env>(contract);
    test::set_account_balance::<Env>(contract, 0);
    for who in [alice(), bob(), charlie(), eve()] {
        test::set_account_balance::<Env>(who, 1_000_000_000_000_000);
    }
    if test_registry::get("acme").is_none() {
        test_registry::put(Organization {
            id: "acme".into(),
            owner: alice(),
            members: vec![bob()],
            metadata: OrgMetadata { name: "Acme".into(), uri: String::new(), content_hash: [0; 32] },
            services: vec!["compute".into()],
        });
    }
    act_as(alice());
    Agreements::new(AccountId::from(REGISTRY))
}

fn setup() -> Agreements {
    setup_at(AccountId::from(CONTRACT))
}

/// Alice creates and whitelists `conditions`; Bob offers it for acme/compute at [`PRICE`].
fn with_offer(conditions: Vec<ConditionSpec>, metering: Option<Metering>) -> (Agreements, OfferId) {
    let mut c = setup();
    act_as(alice());
    let template = c.create_template(conditions).unwrap();
    c.set_template_whitelisted(template, true).unwrap();
    act_as(bob());
    let offer = c.create_offer("acme".into(), "compute".into(), template, PRICE, vec![], metering).unwrap();
    (c, offer)
}

/// `who` binds the key of `sk` as its consumer key.
fn bind(c: &mut Agreements, who: AccountId, sk: &SecretKey) -> Result<(), AgreementError> {
    act_as(who);
    let proof = sign(sk, &key_binding_message(&test::callee::<Env>(), &who));
    c.bind_consumer_key(key_of(sk), proof)
}

/// Metering by the call at `price_per_unit` planck, with a settlement window of
/// [`SETTLEMENT_WINDOW`] blocks.
fn per_call(price_per_unit: Balance) -> Option<Metering> {
    Some(Metering { unit: "call".into(), price_per_unit, settlement_window: SETTLEMENT_WINDOW })
}

/// Charlie binds its key and signs agreement [`ID`] on `offer`; Bob creates it with that signature.
fn agree(c: &mut Agreements, offer: OfferId) {
    bind(c, charlie(), &charlie_secret()).unwrap();
    let message = agreement_message(&test::callee::<Env>(), &ID, offer, &charlie(), b"params");
    let signature = sign(&charlie_secret(), &message);
    act_as(bob());
    c.create_agreement(ID, offer, charlie(), key_of(&charlie_secret()), b"params".to_vec(), Some(signature)).unwrap();
}

fn lock(c: &mut Agreements) -> Result<(), AgreementError> {
    act_as(charlie());
    test::transfer_in::<Env>(PRICE);
    c.lock_payment(ID)
}

fn input_signature(hash: &Hash32, sk: &SecretKey) -> PaymentSignature {
    sign(sk, &input_message(&test::callee::<Env>(), &ID, hash))
}

/// Charlie signs the input `hash` and Bob submits it: InputAgreed is fulfilled.
fn agree_on_input(c: &mut Agreements, hash: Hash32) {
    act_as(charlie());
    c.submit_input_signature(ID, input_signature(&hash, &charlie_secret())).unwrap();
    act_as(bob());
    c.fulfil_input(ID, hash).unwrap();
}

fn meter(c: &mut Agreements, units: u64, amount: Balance, sk: &SecretKey) -> Result<(), AgreementError> {
    let signature = sign(sk, &metering_message(&test::callee::<Env>(), &ID, units, amount));
    act_as(bob());
    c.settle_metering(ID, units, amount, signature)
}

fn state(c: &Agreements) -> AgreementState {
    c.agreement(ID).unwrap().state
}

fn condition_states(c: &Agreements) -> Vec<ConditionState> {
    c.agreement(ID).unwrap().conditions.iter().map(|c| c.state).collect()
}

/// Everything the contract owes: every balance plus every active agreement's lock.
fn liabilities(c: &Agreements, ids: &[AgreementId]) -> Balance {
    let balances: Balance = [alice(), bob(), charlie(), eve()].iter().map(|a| c.balance_of(*a)).sum();
    let locked: Balance = ids.iter().filter_map(|id| c.agreement(*id)).map(|a| a.locked).sum();
    balances + locked
}

// --- templates ---

#[ink::test]
fn templates_are_made_by_the_owner_and_must_be_well_formed() {
    use ConditionKind::*;
    let mut c = setup();
    act_as(bob());
    assert_eq!(c.create_template(compute_template()), Err(NotOwner));
    act_as(alice());
    let bad = [
        vec![],
        vec![condition(ReleasePayment, &[], 0, 5)],
        vec![condition(InputAgreed, &[], 0, 5), condition(ReleasePayment, &[0], 0, 5)],
        vec![condition(LockPayment, &[], 0, 5), condition(AccessGranted, &[0], 0, 5)],
        vec![condition(LockPayment, &[1], 0, 5), condition(ReleasePayment, &[0], 0, 5)],
        vec![condition(LockPayment, &[], 0, 5), condition(ReleasePayment, &[], 0, 5)],
        vec![condition(LockPayment, &[], 0, 5), condition(ReleasePayment, &[0, 0], 0, 5)],
        vec![condition(LockPayment, &[], 5, 5), condition(ReleasePayment, &[0], 0, 5)],
        vec![condition(LockPayment, &[], 0, 0), condition(ReleasePayment, &[0], 0, 5)],
        vec![
            condition(LockPayment, &[], 0, 5),
            condition(LockPayment, &[0], 0, 5),
            condition(ReleasePayment, &[0, 1], 0, 5),
        ],
    ];
    for conditions in bad {
        assert_eq!(c.create_template(conditions.clone()), Err(InvalidTemplate), "{conditions:?}");
    }
    assert_eq!(c.create_template(compute_template()), Ok(0));
    assert_eq!(c.create_template(metered_template()), Ok(1));
    assert_eq!(c.template(0).unwrap(), Template { conditions: compute_template(), whitelisted: false });
    act_as(bob());
    assert_eq!(c.set_template_whitelisted(0, true), Err(NotOwner));
    act_as(alice());
    assert_eq!(c.set_template_whitelisted(9, true), Err(TemplateNotFound));
    c.set_template_whitelisted(0, true).unwrap();
    assert!(c.template(0).unwrap().whitelisted);
    assert_eq!(c.counts(), (2, 0));
    assert_eq!(c.owner(), alice());
    assert_eq!(c.registry(), AccountId::from(REGISTRY));
}

// --- offers ---

#[ink::test]
fn offers_need_a_whitelisted_template_a_member_and_sound_terms() {
    let mut c = setup();
    act_as(alice());
    let template = c.create_template(compute_template()).unwrap();
    act_as(bob());
    let offer = |c: &mut Agreements, price: Balance, timeouts: Vec<BlockNumber>, metering: Option<Metering>| {
        c.create_offer("acme".into(), "compute".into(), template, price, timeouts, metering)
    };
    assert_eq!(offer(&mut c, PRICE, vec![], None), Err(TemplateNotWhitelisted));
    act_as(alice());
    c.set_template_whitelisted(template, true).unwrap();
    act_as(bob());
    assert_eq!(c.create_offer("acme".into(), "compute".into(), 9, PRICE, vec![], None), Err(TemplateNotFound));
    assert_eq!(offer(&mut c, 0, vec![], None), Err(InvalidOffer));
    assert_eq!(offer(&mut c, PRICE, vec![5, 5], None), Err(InvalidOffer), "one timeout per condition");
    assert_eq!(offer(&mut c, PRICE, vec![5, 0, 5, 5], None), Err(InvalidOffer));
    let empty_unit = Some(Metering { unit: String::new(), price_per_unit: 1, settlement_window: 1 });
    assert_eq!(offer(&mut c, PRICE, vec![], empty_unit), Err(InvalidOffer));
    let free_unit = Some(Metering { unit: "call".into(), price_per_unit: 0, settlement_window: 1 });
    assert_eq!(offer(&mut c, PRICE, vec![], free_unit), Err(InvalidOffer));
    let no_window = Some(Metering { unit: "call".into(), price_per_unit: 1, settlement_window: 0 });
    assert_eq!(offer(&mut c, PRICE, vec![], no_window), Err(InvalidOffer), "a provider needs time to settle");
    let long_unit = Some(Metering { unit: "x".repeat(MAX_TEXT_LEN + 1), price_per_unit: 1, settlement_window: 1 });
    assert_eq!(offer(&mut c, PRICE, vec![], long_unit), Err(TextTooLong));
    assert_eq!(
        c.create_offer("acme".into(), "storage".into(), template, PRICE, vec![], None),
        Err(NotOrganizationMember),
        "acme sells no such service"
    );
    assert_eq!(c.create_offer("Bad Id".into(), "compute".into(), template, PRICE, vec![], None), Err(InvalidOffer));
    act_as(eve());
    assert_eq!(offer(&mut c, PRICE, vec![], None), Err(NotOrganizationMember));
    // The member and the owner may.
    act_as(bob());
    assert_eq!(offer(&mut c, PRICE, vec![11, 21, 31, 41], None), Ok(0));
    act_as(alice());
    assert_eq!(offer(&mut c, PRICE, vec![], None), Ok(1));
    let published = c.offer(0).unwrap();
    assert_eq!((published.provider, published.price, published.timeouts.len()), (bob(), PRICE, 4));
    assert_eq!(ink::env::test::recorded_events().count(), 4, "template created, whitelisted, two offers");

    // Withdrawing: provider only, once; then no new agreements.
    act_as(eve());
    assert_eq!(c.withdraw_offer(0), Err(NotProvider));
    assert_eq!(c.withdraw_offer(7), Err(OfferNotFound));
    act_as(bob());
    c.withdraw_offer(0).unwrap();
    assert_eq!(c.withdraw_offer(0), Err(OfferInactive));
    act_as(charlie());
    let key = key_of(&charlie_secret());
    assert_eq!(c.create_agreement(ID, 0, charlie(), key, vec![], None), Err(OfferInactive));
    // Taking the template off the whitelist stops agreements on its other offers too.
    act_as(alice());
    c.set_template_whitelisted(template, false).unwrap();
    act_as(charlie());
    assert_eq!(c.create_agreement(ID, 1, charlie(), key, vec![], None), Err(TemplateNotWhitelisted));
}

// --- creation ---

#[ink::test]
fn agreements_are_created_by_the_consumer_or_with_its_signature() {
    let (mut c, offer) = with_offer(compute_template(), None);
    let key = key_of(&charlie_secret());
    let callee = test::callee::<Env>();
    // Bob names a key Charlie's account never bound: even with a good signature by that
    // key (one Bob made up, or Charlie's own), refused.
    let made_up = secret(0x55);
    let by_made_up = sign(&made_up, &agreement_message(&callee, &ID, offer, &charlie(), b"p"));
    act_as(bob());
    assert_eq!(
        c.create_agreement(ID, offer, charlie(), key_of(&made_up), b"p".to_vec(), Some(by_made_up)),
        Err(ConsumerKeyNotBound)
    );
    let by_charlie = sign(&charlie_secret(), &agreement_message(&callee, &ID, offer, &charlie(), b"p"));
    assert_eq!(
        c.create_agreement(ID, offer, charlie(), key, b"p".to_vec(), Some(by_charlie)),
        Err(ConsumerKeyNotBound)
    );
    // A binding needs the key's own proof over the binding account; a bad key is refused.
    act_as(charlie());
    let for_eve = sign(&charlie_secret(), &key_binding_message(&callee, &eve()));
    assert_eq!(c.bind_consumer_key(key, for_eve), Err(InvalidSignature));
    assert_eq!(c.bind_consumer_key([9; 33], [0; 65]), Err(InvalidKey));
    assert_eq!(bind(&mut c, eve(), &made_up), Ok(()));
    assert_eq!((c.consumer_key(charlie()), c.consumer_key(eve())), (None, Some(key_of(&made_up))));
    bind(&mut c, charlie(), &charlie_secret()).unwrap();
    assert_eq!(c.consumer_key(charlie()), Some(key));
    // Bob with a signature by another key, or over other parameters, is refused.
    act_as(bob());
    let by_eve = sign(&secret(0x66), &agreement_message(&callee, &ID, offer, &charlie(), b"p"));
    assert_eq!(c.create_agreement(ID, offer, charlie(), key, b"p".to_vec(), Some(by_eve)), Err(InvalidSignature));
    let other_params = sign(&charlie_secret(), &agreement_message(&callee, &ID, offer, &charlie(), b"q"));
    assert_eq!(c.create_agreement(ID, offer, charlie(), key, b"p".to_vec(), Some(other_params)), Err(InvalidSignature));
    assert_eq!(c.create_agreement(ID, offer, charlie(), key, b"p".to_vec(), None), Err(InvalidSignature));
    // A stranger may not create it for the consumer.
    act_as(eve());
    assert_eq!(c.create_agreement(ID, offer, charlie(), key, vec![], None), Err(NotParty));
    // The consumer itself needs no signature; bad keys, long parameters and reused ids are refused.
    act_as(charlie());
    assert_eq!(c.create_agreement(ID, offer, charlie(), [9; 33], vec![], None), Err(InvalidKey));
    assert_eq!(c.create_agreement(ID, offer, charlie(), key, vec![0; MAX_TEXT_LEN + 1], None), Err(TextTooLong));
    assert_eq!(c.create_agreement(ID, 5, charlie(), key, vec![], None), Err(OfferNotFound));
    advance_to(3);
    c.create_agreement(ID, offer, charlie(), key, vec![], None).unwrap();
    assert_eq!(c.create_agreement(ID, offer, charlie(), key, vec![], None), Err(AgreementExists));
    let agreement = c.agreement(ID).unwrap();
    assert_eq!((agreement.consumer, agreement.provider, agreement.created), (charlie(), bob(), 3));
    let deadlines: Vec<BlockNumber> = agreement.conditions.iter().map(|c| c.deadline).collect();
    assert_eq!(deadlines, [13, 23, 33, 43], "windows count from creation");
    assert!(agreement.conditions.iter().all(|c| c.state == ConditionState::Unfulfilled));
}

// --- the compute flow ---

#[ink::test]
fn the_compute_flow_locks_agrees_delivers_and_pays_the_provider() {
    let (mut c, offer) = with_offer(compute_template(), None);
    agree(&mut c, offer);
    lock(&mut c).unwrap();
    assert_eq!(c.agreement(ID).unwrap().locked, PRICE);
    assert_eq!(free_balance(test::callee::<Env>()), PRICE);

    // Charlie signs the hash of the algorithm it uploaded; Bob submits the hash of what it received.
    let hash: Hash32 = [0x42; 32];
    agree_on_input(&mut c, hash);
    assert_eq!(c.agreement(ID).unwrap().input_hash, Some(hash));
    c.fulfil_access(ID, [0x99; 32], "https://gw.acme/jobs/7/outputs".into()).unwrap();
    c.release_payment(ID).unwrap();

    let done = c.agreement(ID).unwrap();
    assert_eq!(done.state, AgreementState::Fulfilled);
    assert!(done.conditions.iter().all(|c| c.state == ConditionState::Fulfilled));
    assert_eq!(done.result.unwrap().location, "https://gw.acme/jobs/7/outputs");
    assert_eq!((done.locked, done.paid), (0, PRICE));
    assert_eq!(c.balance_of(bob()), PRICE);
    // Bob withdraws his pay.
    let before = free_balance(bob());
    act_as(bob());
    c.withdraw(PRICE).unwrap();
    assert_eq!(free_balance(bob()), before + PRICE);
    assert_eq!(free_balance(test::callee::<Env>()), 0);
    assert_eq!(c.release_payment(ID), Err(AgreementNotActive));
}

#[ink::test]
fn conditions_wait_for_their_dependencies_and_time_locks() {
    use ConditionKind::*;
    let template = vec![
        condition(LockPayment, &[], 0, 10),
        condition(AccessGranted, &[0], 5, 30),
        condition(ReleasePayment, &[0, 1], 0, 40),
    ];
    let (mut c, offer) = with_offer(template, None);
    agree(&mut c, offer);
    act_as(bob());
    assert_eq!(c.fulfil_access(ID, [1; 32], "loc".into()), Err(DependencyNotFulfilled));
    assert_eq!(c.release_payment(ID), Err(DependencyNotFulfilled));
    assert_eq!(c.fulfil_input(ID, [1; 32]), Err(InputSignatureMissing));
    act_as(charlie());
    assert_eq!(c.submit_input_signature(ID, [0; 65]), Err(NoSuchCondition));
    lock(&mut c).unwrap();
    act_as(bob());
    assert_eq!(c.fulfil_access(ID, [1; 32], "loc".into()), Err(TimeLocked));
    assert_eq!(c.fulfil_access(ID, [1; 32], "x".repeat(MAX_TEXT_LEN + 1)), Err(TextTooLong));
    advance_to(5);
    c.fulfil_access(ID, [1; 32], "loc".into()).unwrap();
    assert_eq!(c.fulfil_access(ID, [1; 32], "loc".into()), Err(ConditionNotUnfulfilled));
    // Delivered: anyone may release, and the pay goes to the provider.
    act_as(eve());
    c.release_payment(ID).unwrap();
    assert_eq!((c.balance_of(bob()), c.balance_of(eve())), (PRICE, 0));
}

#[ink::test]
fn an_input_the_consumer_did_not_sign_is_refused() {
    let (mut c, offer) = with_offer(compute_template(), None);
    agree(&mut c, offer);
    lock(&mut c).unwrap();
    act_as(charlie());
    c.submit_input_signature(ID, input_signature(&[0x42; 32], &charlie_secret())).unwrap();
    act_as(bob());
    assert_eq!(c.fulfil_input(ID, [0x43; 32]), Err(InvalidSignature), "another file set");
    // A signature by another key over the right hash is refused too.
    act_as(charlie());
    c.submit_input_signature(ID, input_signature(&[0x42; 32], &secret(0x66))).unwrap();
    act_as(bob());
    assert_eq!(c.fulfil_input(ID, [0x42; 32]), Err(InvalidSignature));
    let mut bad_recovery = input_signature(&[0x42; 32], &charlie_secret());
    bad_recovery[64] = 4;
    act_as(charlie());
    c.submit_input_signature(ID, bad_recovery).unwrap();
    act_as(bob());
    assert_eq!(c.fulfil_input(ID, [0x42; 32]), Err(InvalidSignature));
    act_as(eve());
    assert_eq!(c.submit_input_signature(ID, [0; 65]), Err(NotConsumer));
    assert_eq!(c.fulfil_input(ID, [0x42; 32]), Err(NotProvider));
    assert_eq!(condition_states(&c)[1], ConditionState::Unfulfilled);
}

#[ink::test]
fn payment_is_locked_once_for_exactly_the_price() {
    let (mut c, offer) = with_offer(compute_template(), None);
    agree(&mut c, offer);
    act_as(charlie());
    test::transfer_in::<Env>(PRICE - 1);
    assert_eq!(c.lock_payment(ID), Err(WrongAmount));
    test::set_account_balance::<Env>(test::callee::<Env>(), 0); // on chain the Err reverts the transfer
    assert_eq!(c.lock_payment_from_deposit(ID), Err(InsufficientDeposit));
    act_as(eve());
    assert_eq!(c.lock_payment_from_deposit(ID), Err(NotConsumer));
    // From a deposit.
    act_as(charlie());
    test::transfer_in::<Env>(PRICE + 5);
    c.deposit().unwrap();
    act_as(charlie());
    c.lock_payment_from_deposit(ID).unwrap();
    assert_eq!((c.balance_of(charlie()), c.agreement(ID).unwrap().locked), (5, PRICE));
    assert_eq!(c.lock_payment_from_deposit(ID), Err(ConditionNotUnfulfilled));
    assert_eq!(lock(&mut c), Err(ConditionNotUnfulfilled));
    assert_eq!(c.lock_payment(ID), Err(ConditionNotUnfulfilled));
    assert_eq!(c.lock_payment([1; 32]), Err(AgreementNotFound));
}

// --- timeouts and refunds ---

/// Runs the compute flow up to (not including) condition `stop`, lets its deadline pass,
/// and checks that the consumer gets back what was locked.
fn times_out_at(stop: usize) {
    let (mut c, offer) = with_offer(compute_template(), None);
    agree(&mut c, offer);
    let hash = [0x42; 32];
    if stop > 0 {
        lock(&mut c).unwrap();
    }
    if stop > 1 {
        agree_on_input(&mut c, hash);
    }
    if stop > 2 {
        act_as(bob());
        c.fulfil_access(ID, [9; 32], "loc".into()).unwrap();
    }
    assert!(stop < 3, "after delivery there is no refund");
    let deadline = c.agreement(ID).unwrap().conditions[stop].deadline;
    if stop > 0 {
        act_as(charlie());
        advance_to(deadline);
        assert_eq!(c.refund(ID), Err(RefundNotAllowed), "not before the deadline has passed");
    }
    advance_to(deadline + 1);
    if stop == 1 {
        act_as(charlie());
        c.submit_input_signature(ID, input_signature(&hash, &charlie_secret())).unwrap();
    }
    // The late condition can no longer be fulfilled.
    act_as(bob());
    let late = match stop {
        0 => {
            act_as(charlie());
            c.lock_payment_from_deposit(ID)
        }
        1 => c.fulfil_input(ID, hash),
        _ => c.fulfil_access(ID, [9; 32], "loc".into()),
    };
    assert_eq!(late, Err(ConditionTimedOut));
    act_as(bob());
    assert_eq!(c.refund(ID), Err(NotConsumer));
    act_as(charlie());
    c.refund(ID).unwrap();
    let refunded = if stop > 0 { PRICE } else { 0 };
    assert_eq!((state(&c), c.balance_of(charlie()), c.balance_of(bob())), (AgreementState::Refunded, refunded, 0));
    assert_eq!(condition_states(&c)[stop], ConditionState::Aborted);
    assert_eq!(c.refund(ID), Err(AgreementNotActive));
}

#[ink::test]
fn when_the_lock_times_out_the_agreement_ends_with_nothing_to_refund() {
    times_out_at(0);
}

#[ink::test]
fn when_the_input_times_out_the_consumer_is_refunded() {
    times_out_at(1);
}

#[ink::test]
fn when_access_times_out_the_consumer_is_refunded() {
    times_out_at(2);
}

/// Changed with issue 21: this test used to assert that a consumer takes the whole lock
/// back when the release's deadline passes, after the provider delivered. Now a late release
/// still pays the provider, and the consumer can neither refund nor terminate its way out.
#[ink::test]
fn when_the_release_is_late_the_provider_that_delivered_is_still_paid() {
    let (mut c, offer) = with_offer(compute_template(), None);
    agree(&mut c, offer);
    lock(&mut c).unwrap();
    let hash = [0x42; 32];
    agree_on_input(&mut c, hash);
    c.fulfil_access(ID, [9; 32], "loc".into()).unwrap();
    let deadline = c.agreement(ID).unwrap().conditions[3].deadline;
    advance_to(deadline + 10);
    act_as(charlie());
    assert_eq!(c.refund(ID), Err(RefundNotAllowed), "no refund after delivery");
    assert_eq!((state(&c), c.agreement(ID).unwrap().locked), (AgreementState::Active, PRICE));
    // Anyone (here Eve) may release it, deadline or not: the lock is Bob's.
    act_as(eve());
    c.release_payment(ID).unwrap();
    assert_eq!((state(&c), c.balance_of(bob()), c.balance_of(charlie())), (AgreementState::Fulfilled, PRICE, 0));
}

#[ink::test]
fn an_agreement_never_paid_for_can_be_abandoned_at_once() {
    let (mut c, offer) = with_offer(compute_template(), None);
    agree(&mut c, offer);
    act_as(charlie());
    c.refund(ID).unwrap();
    assert_eq!(state(&c), AgreementState::Refunded);
    assert!(condition_states(&c).iter().all(|s| *s == ConditionState::Aborted));
}

// --- metering ---

#[ink::test]
fn metered_usage_is_paid_once_up_to_the_lock_and_the_rest_refunded() {
    let (mut c, offer) = with_offer(metered_template(), per_call(10));
    agree(&mut c, offer);
    let sk = charlie_secret();
    assert_eq!(meter(&mut c, 1, 10, &sk), Err(MeteringExceedsLocked), "nothing locked yet");
    lock(&mut c).unwrap();
    meter(&mut c, 3, 30, &sk).unwrap();
    assert_eq!((c.balance_of(bob()), c.agreement(ID).unwrap().locked), (30, PRICE - 30));
    // The same record, an earlier one, or one with fewer units never pays again.
    assert_eq!(meter(&mut c, 3, 30, &sk), Err(StaleMeteringRecord));
    assert_eq!(meter(&mut c, 2, 20, &sk), Err(StaleMeteringRecord));
    assert_eq!(meter(&mut c, 2, 40, &sk), Err(StaleMeteringRecord));
    // More than the units are worth, more than is locked, or signed by another key: refused.
    assert_eq!(meter(&mut c, 5, 60, &sk), Err(MeteringExceedsLocked));
    assert_eq!(meter(&mut c, 200, PRICE + 1, &sk), Err(MeteringExceedsLocked));
    assert_eq!(meter(&mut c, 5, 50, &secret(0x66)), Err(InvalidSignature));
    act_as(eve());
    assert_eq!(c.settle_metering(ID, 5, 50, [0; 65]), Err(NotProvider));
    // A later record supersedes: only the difference is paid.
    meter(&mut c, 7, 70, &sk).unwrap();
    let agreement = c.agreement(ID).unwrap();
    assert_eq!((agreement.metered_units, agreement.metered_amount, agreement.paid), (7, 70, 70));
    // At the release the provider keeps exactly what was metered; the consumer gets the rest.
    act_as(bob());
    // Only the provider ends a metered agreement by releasing (the consumer would cut off
    // the settlements with it).
    act_as(charlie());
    assert_eq!(c.release_payment(ID), Err(NotProvider));
    act_as(eve());
    assert_eq!(c.release_payment(ID), Err(NotProvider));
    act_as(bob());
    c.release_payment(ID).unwrap();
    assert_eq!((c.balance_of(bob()), c.balance_of(charlie())), (70, PRICE - 70));
    assert_eq!(meter(&mut c, 8, 80, &sk), Err(AgreementNotActive));
}

#[ink::test]
fn a_consumer_that_terminates_a_metered_agreement_waits_out_the_settlement_window() {
    let (mut c, offer) = with_offer(metered_template(), per_call(10));
    agree(&mut c, offer);
    let sk = charlie_secret();
    lock(&mut c).unwrap();
    meter(&mut c, 2, 20, &sk).unwrap();
    // Charlie has signed records up to 9 calls; Bob has settled 2 when Charlie terminates
    // and asks for the rest at once.
    act_as(charlie());
    assert_eq!(c.refund(ID), Err(RefundNotAllowed), "a metered lock is taken back only through termination");
    advance_to(20);
    c.terminate(ID, 7, "leaving".into()).unwrap();
    let terminating = c.agreement(ID).unwrap();
    assert_eq!((terminating.state, terminating.settle_until), (AgreementState::Active, Some(20 + SETTLEMENT_WINDOW)));
    assert_eq!(c.refund(ID), Err(RefundNotAllowed), "the window is open");
    assert_eq!(c.terminate(ID, 7, "again".into()), Err(AgreementTerminating));
    assert_eq!(c.lock_payment_from_deposit(ID), Err(AgreementTerminating));
    // Inside the window Bob settles the last record Charlie signed.
    advance_to(20 + SETTLEMENT_WINDOW);
    assert_eq!(c.refund(ID), Err(RefundNotAllowed), "its last block is still Bob's");
    meter(&mut c, 9, 90, &sk).unwrap();
    advance_to(21 + SETTLEMENT_WINDOW);
    act_as(charlie());
    c.refund(ID).unwrap();
    let ended = c.agreement(ID).unwrap();
    assert_eq!((ended.state, ended.paid, ended.locked), (AgreementState::Terminated, 90, 0));
    assert_eq!((c.balance_of(bob()), c.balance_of(charlie())), (90, PRICE - 90));
}

#[ink::test]
fn a_provider_may_close_a_terminating_metered_agreement_early_and_keeps_what_it_settled() {
    let (mut c, offer) = with_offer(metered_template(), per_call(10));
    agree(&mut c, offer);
    lock(&mut c).unwrap();
    act_as(charlie());
    c.terminate(ID, 1, "done".into()).unwrap();
    meter(&mut c, 4, 40, &charlie_secret()).unwrap();
    act_as(bob());
    c.release_payment(ID).unwrap();
    assert_eq!((state(&c), c.balance_of(bob()), c.balance_of(charlie())), (AgreementState::Fulfilled, 40, PRICE - 40));
}

#[ink::test]
fn metering_records_are_for_metered_offers_only() {
    let (mut c, offer) = with_offer(compute_template(), None);
    agree(&mut c, offer);
    lock(&mut c).unwrap();
    assert_eq!(meter(&mut c, 1, 10, &charlie_secret()), Err(NotMetered));
}

// --- termination ---

#[ink::test]
fn a_provider_that_gives_up_refunds_the_consumer() {
    let (mut c, offer) = with_offer(compute_template(), None);
    agree(&mut c, offer);
    lock(&mut c).unwrap();
    act_as(eve());
    assert_eq!(c.terminate(ID, 1, "no".into()), Err(NotParty));
    act_as(bob());
    assert_eq!(c.terminate(ID, 1, "x".repeat(MAX_TEXT_LEN + 1)), Err(TextTooLong));
    c.terminate(ID, 503, "data set unavailable".into()).unwrap();
    let ended = c.agreement(ID).unwrap();
    assert_eq!(ended.state, AgreementState::Terminated);
    assert_eq!(ended.termination, Some(Termination { by: bob(), code: 503, reason: "data set unavailable".into() }));
    assert_eq!((c.balance_of(charlie()), c.balance_of(bob())), (PRICE, 0));
    assert_eq!(c.terminate(ID, 1, String::new()), Err(AgreementNotActive));
}

#[ink::test]
fn a_consumer_cannot_terminate_its_way_out_of_a_locked_payment_before_a_timeout() {
    let (mut c, offer) = with_offer(compute_template(), None);
    agree(&mut c, offer);
    lock(&mut c).unwrap();
    let hash = [0x42; 32];
    agree_on_input(&mut c, hash);
    // Bob is running the job (access due by block 30): Charlie may not leave with the lock.
    act_as(charlie());
    assert_eq!(c.terminate(ID, 1, "changed my mind".into()), Err(RefundNotAllowed));
    assert_eq!(c.refund(ID), Err(RefundNotAllowed));
    assert_eq!((state(&c), c.agreement(ID).unwrap().locked), (AgreementState::Active, PRICE));
    // Once access is late, leaving with a reason refunds, like a refund.
    advance_to(31);
    c.terminate(ID, 408, "no result in time".into()).unwrap();
    assert_eq!((state(&c), c.balance_of(charlie()), c.balance_of(bob())), (AgreementState::Terminated, PRICE, 0));
}

#[ink::test]
fn a_consumer_that_leaves_after_delivery_still_pays() {
    use ConditionKind::*;
    let template = vec![
        condition(LockPayment, &[], 0, 10),
        condition(AccessGranted, &[0], 0, 30),
        condition(ReleasePayment, &[0, 1], 0, 40),
    ];
    let (mut c, offer) = with_offer(template, None);
    agree(&mut c, offer);
    lock(&mut c).unwrap();
    act_as(bob());
    c.fulfil_access(ID, [5; 32], "loc".into()).unwrap();
    act_as(charlie());
    c.terminate(ID, 1, "done with it".into()).unwrap();
    assert_eq!((c.balance_of(charlie()), c.balance_of(bob())), (0, PRICE));
    assert_eq!(condition_states(&c), [ConditionState::Fulfilled, ConditionState::Fulfilled, ConditionState::Aborted]);
}

// --- balances ---

#[ink::test]
fn deposits_and_withdrawals_are_checked() {
    let mut c = setup();
    act_as(charlie());
    assert_eq!(c.deposit(), Err(ZeroAmount));
    test::transfer_in::<Env>(500);
    c.deposit().unwrap();
    assert_eq!(c.withdraw(0), Err(ZeroAmount));
    assert_eq!(c.withdraw(501), Err(InsufficientDeposit));
    let before = free_balance(charlie());
    c.withdraw(200).unwrap();
    assert_eq!((c.balance_of(charlie()), free_balance(charlie())), (300, before + 200));
}

// --- the invariant ---

/// Names of the randomized sequence's operations.
const OPERATIONS: [&str; 11] = [
    "deposit",
    "withdraw",
    "create_agreement",
    "lock_payment_from_deposit",
    "submit_input_signature + fulfil_input",
    "fulfil_access",
    "settle_metering",
    "release_payment",
    "refund",
    "terminate",
    "advance_block",
];
/// Smallest share of its attempts each fallible message must have succeeded, percent.
const MIN_SUCCESS_PERCENT: u32 = 3;

/// Random sequences over a plain and a metered offer by three accounts: after each step
/// the contract holds exactly what it owes (balances plus active locks). Counts what
/// succeeded, so that it cannot pass by every operation failing.
#[ink::test]
fn the_money_invariant_holds_under_random_operations() {
    use ConditionKind::*;
    let mut succeeded = [0u32; 11];
    let mut attempted = [0u32; 11];
    const STEPS: u32 = 250;
    const SEEDS: u64 = 6;
    for seed in 1..=SEEDS {
        let contract = AccountId::from([0xC0 + seed as u8; 32]);
        let mut c = setup_at(contract);
        act_as(alice());
        let short = vec![
            condition(LockPayment, &[], 0, 10),
            condition(InputAgreed, &[0], 0, 20),
            condition(AccessGranted, &[1], 0, 30),
            condition(ReleasePayment, &[0, 1, 2], 0, 40),
        ];
        let plain = c.create_template(short).unwrap();
        let metered = c
            .create_template(vec![condition(LockPayment, &[], 0, 10), condition(ReleasePayment, &[0], 0, 40)])
            .unwrap();
        c.set_template_whitelisted(plain, true).unwrap();
        c.set_template_whitelisted(metered, true).unwrap();
        act_as(bob());
        c.create_offer("acme".into(), "compute".into(), plain, 100, vec![], None).unwrap();
        let unit = Some(Metering { unit: "call".into(), price_per_unit: 7, settlement_window: 3 });
        c.create_offer("acme".into(), "compute".into(), metered, 100, vec![], unit).unwrap();

        let people = [charlie(), eve(), bob()];
        let secrets = [charlie_secret(), secret(0x66), secret(0x77)];
        let mut ids: Vec<AgreementId> = Vec::new();
        let mut rng = XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        for _ in 0..STEPS {
            let who = rng.below(3) as usize;
            // Mostly an active agreement, sometimes a fresh id or an ended one.
            let active: Vec<AgreementId> = ids
                .iter()
                .copied()
                .filter(|id| c.agreement(*id).is_some_and(|a| a.state == AgreementState::Active))
                .collect();
            let id = match rng.below(10) {
                0..=6 if !active.is_empty() => active[rng.below(active.len() as u64) as usize],
                7 if !ids.is_empty() => ids[rng.below(ids.len() as u64) as usize],
                _ => {
                    let mut fresh = [0u8; 32];
                    fresh[..8].copy_from_slice(&rng.below(u64::MAX).to_le_bytes());
                    fresh
                }
            };
            let agreement = c.agreement(id);
            let consumer = agreement.as_ref().map_or(people[who], |a| a.consumer);
            let consumer_secret = &secrets[people.iter().position(|p| *p == consumer).unwrap_or(0)];
            // The right party three times in four, anyone else otherwise.
            let wrong_party = rng.below(4) == 0;
            let party = |right: AccountId| if wrong_party { people[who] } else { right };
            // Six times in ten the step the agreement waits for, so that sequences get deep.
            let next_step = agreement.as_ref().filter(|a| a.state == AgreementState::Active).map(|a| {
                let open = |kind| a.conditions.iter().any(|c| c.kind == kind && c.state == ConditionState::Unfulfilled);
                if open(LockPayment) {
                    3
                } else if open(InputAgreed) {
                    4
                } else if open(AccessGranted) {
                    5
                } else if a.offer_id == 1 && rng.below(2) == 0 {
                    6
                } else {
                    7
                }
            });
            let operation = match next_step {
                Some(step) if rng.below(10) < 6 => step,
                _ => rng.below(11) as usize,
            };
            act_as(people[who]);
            let outcome = match operation {
                0 => {
                    let amount = 100 + rng.below(200) as Balance;
                    test::transfer_in::<Env>(amount);
                    c.deposit()
                }
                1 => c.withdraw(rng.below(120) as Balance),
                2 => {
                    let key = key_of(&secrets[who]);
                    let r = c.create_agreement(id, rng.below(3), people[who], key, vec![], None);
                    if r.is_ok() {
                        ids.push(id);
                    }
                    r
                }
                3 => {
                    act_as(party(consumer));
                    c.lock_payment_from_deposit(id)
                }
                4 => {
                    let hash = [rng.below(2) as u8; 32];
                    act_as(consumer);
                    let _ =
                        c.submit_input_signature(id, sign(consumer_secret, &input_message(&contract, &id, &[0; 32])));
                    act_as(party(bob()));
                    c.fulfil_input(id, hash)
                }
                5 => {
                    act_as(party(bob()));
                    c.fulfil_access(id, [3; 32], "loc".into())
                }
                6 => {
                    let done = agreement.as_ref().map_or(0, |a| a.metered_units);
                    let units = done + rng.below(5);
                    let amount = (Balance::from(units) * 7).saturating_sub(rng.below(3) as Balance);
                    let signature = sign(consumer_secret, &metering_message(&contract, &id, units, amount));
                    act_as(party(bob()));
                    c.settle_metering(id, units, amount, signature)
                }
                7 => {
                    act_as(party(bob()));
                    c.release_payment(id)
                }
                8 => {
                    act_as(party(consumer));
                    c.refund(id)
                }
                9 => c.terminate(id, 1, "random".into()),
                _ => {
                    test::advance_block::<Env>();
                    Ok(())
                }
            };
            attempted[operation] += 1;
            if outcome.is_ok() {
                succeeded[operation] += 1;
            }
            assert_eq!(free_balance(contract), liabilities(&c, &ids), "seed {seed}");
        }
    }
    for (i, name) in OPERATIONS.iter().enumerate() {
        println!("{name}: {} of {} succeeded", succeeded[i], attempted[i]);
    }
    let total: u32 = succeeded.iter().sum();
    assert_eq!(attempted.iter().sum::<u32>(), SEEDS as u32 * STEPS);
    assert_eq!(succeeded[0], attempted[0], "every deposit succeeds");
    assert_eq!(succeeded[10], attempted[10], "every block advance succeeds");
    for i in 1..10 {
        let (ok, tried) = (succeeded[i], attempted[i]);
        assert!(ok * 100 >= tried * MIN_SUCCESS_PERCENT, "{}: only {ok} of {tried} succeeded", OPERATIONS[i]);
        assert!(ok < tried, "{}: none of {tried} attempts was refused", OPERATIONS[i]);
    }
    assert!(total >= 400, "only {total} of {} operations succeeded", SEEDS as u32 * STEPS);
}

/// A small deterministic generator for the randomized sequence.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

// --- fairness ---

/// What the randomized fairness test remembers of each agreement: the highest metering
/// record the consumer signed (the service it received) and when the consumer terminated.
#[derive(Default, Clone, Copy)]
struct Delivered {
    signed_units: u64,
    signed_amount: Balance,
    terminated_at: Option<BlockNumber>,
}

/// Names of the fairness sequence's operations.
const FAIR_OPERATIONS: [&str; 11] = [
    "lock",
    "agree input",
    "grant access",
    "consumer signs a metering record (a call served)",
    "provider settles the latest record",
    "release (anyone)",
    "refund (mostly the consumer)",
    "consumer terminates",
    "provider terminates",
    "advance blocks",
    "create agreement",
];

/// Random sequences of both sides' (and a stranger's) moves over a plain and a metered
/// offer. After every step: a plain agreement has paid the provider only if every delivery
/// condition was fulfilled, and once they were, the provider has been paid the price or the
/// price is still locked for it; a metered agreement has paid exactly what was settled and
/// never more than the consumer's key signed. A consumer's refund of a metered lock comes
/// only after the settlement window. At the end, every delivered plain agreement still
/// active is released by a stranger to the provider, and every metered one still active
/// settles the consumer's latest record. Counts successes so it cannot pass by refusals.
#[ink::test]
fn a_provider_that_delivered_is_paid_and_a_consumer_pays_only_for_delivery() {
    use ConditionKind::*;
    const SEEDS: u64 = 8;
    const STEPS: u32 = 200;
    const UNIT_PRICE: Balance = 7;
    const OFFER_PRICE: Balance = 100;
    const WINDOW: BlockNumber = 4;
    let mut succeeded = [0u32; 11];
    let mut attempted = [0u32; 11];
    for seed in 1..=SEEDS {
        let contract = AccountId::from([0xD0 + seed as u8; 32]);
        let mut c = setup_at(contract);
        act_as(alice());
        let plain = c
            .create_template(vec![
                condition(LockPayment, &[], 0, 10),
                condition(InputAgreed, &[0], 0, 20),
                condition(AccessGranted, &[1], 0, 30),
                condition(ReleasePayment, &[0, 1, 2], 0, 40),
            ])
            .unwrap();
        let metered = c
            .create_template(vec![condition(LockPayment, &[], 0, 10), condition(ReleasePayment, &[0], 0, 60)])
            .unwrap();
        c.set_template_whitelisted(plain, true).unwrap();
        c.set_template_whitelisted(metered, true).unwrap();
        act_as(bob());
        let plain_offer = c.create_offer("acme".into(), "compute".into(), plain, OFFER_PRICE, vec![], None).unwrap();
        let unit = Some(Metering { unit: "call".into(), price_per_unit: UNIT_PRICE, settlement_window: WINDOW });
        let metered_offer =
            c.create_offer("acme".into(), "compute".into(), metered, OFFER_PRICE, vec![], unit).unwrap();
        bind(&mut c, charlie(), &charlie_secret()).unwrap();
        test::transfer_in::<Env>(100_000);
        c.deposit().unwrap();

        let mut rng = XorShift(seed.wrapping_mul(0xA24B_AED4_963E_E407));
        let mut ids: Vec<(AgreementId, bool)> = Vec::new();
        let mut delivered: std::collections::HashMap<AgreementId, Delivered> = Default::default();
        for step in 0..STEPS {
            // Weighted so that agreements live long enough to be delivered: the steps that
            // move an agreement on are likelier than the ones that end it.
            const WEIGHTS: [u64; 11] = [12, 10, 10, 16, 10, 6, 5, 3, 2, 8, 6];
            let mut pick = rng.below(WEIGHTS.iter().sum());
            let mut operation = 0;
            while pick >= WEIGHTS[operation] {
                pick -= WEIGHTS[operation];
                operation += 1;
            }
            if ids.is_empty() {
                operation = 10;
            }
            // Mostly an active agreement, sometimes any.
            let active: Vec<(AgreementId, bool)> = ids
                .iter()
                .copied()
                .filter(|(id, _)| c.agreement(*id).is_some_and(|a| a.state == AgreementState::Active))
                .collect();
            let pool = if !active.is_empty() && rng.below(10) < 8 { &active } else { &ids };
            let (id, is_metered) = pool.get(rng.below(pool.len() as u64) as usize).copied().unwrap_or(([0; 32], false));
            let before = c.agreement(id);
            let was_locked = before.as_ref().is_some_and(|a| a.locked > 0);
            let memory = delivered.entry(id).or_default();
            let outcome = match operation {
                0 => {
                    act_as(charlie());
                    c.lock_payment_from_deposit(id)
                }
                1 => {
                    let hash = [0x42; 32];
                    act_as(charlie());
                    let _ =
                        c.submit_input_signature(id, sign(&charlie_secret(), &input_message(&contract, &id, &hash)));
                    act_as(bob());
                    c.fulfil_input(id, hash)
                }
                2 => {
                    act_as(bob());
                    c.fulfil_access(id, [3; 32], "loc".into())
                }
                3 => match &before {
                    // The gateway serves a call only on an active, locked, not terminating
                    // metered agreement with room in the lock; the consumer then signs it.
                    Some(a)
                        if is_metered
                            && a.state == AgreementState::Active
                            && a.settle_until.is_none()
                            && a.locked > 0
                            && memory.signed_amount + UNIT_PRICE <= OFFER_PRICE =>
                    {
                        memory.signed_units += 1;
                        memory.signed_amount += UNIT_PRICE;
                        Ok(())
                    }
                    _ => Err(AgreementNotActive),
                },
                4 => {
                    let (units, amount) = (memory.signed_units, memory.signed_amount);
                    let signature = sign(&charlie_secret(), &metering_message(&contract, &id, units, amount));
                    act_as(bob());
                    c.settle_metering(id, units, amount, signature)
                }
                5 => {
                    act_as([bob(), charlie(), eve()][rng.below(3) as usize]);
                    c.release_payment(id)
                }
                6 => {
                    act_as(if rng.below(4) == 0 { eve() } else { charlie() });
                    c.refund(id)
                }
                7 => {
                    act_as(charlie());
                    let r = c.terminate(id, 1, "consumer leaves".into());
                    if r.is_ok() {
                        memory.terminated_at = Some(now());
                    }
                    r
                }
                8 => {
                    act_as(bob());
                    c.terminate(id, 2, "provider leaves".into())
                }
                9 => {
                    advance_to(now() + 1 + rng.below(6) as BlockNumber);
                    Ok(())
                }
                _ => {
                    let mut fresh = [0u8; 32];
                    fresh[..4].copy_from_slice(&(step + seed as u32 * 1_000).to_le_bytes());
                    let is_metered = rng.below(2) == 0;
                    let offer = if is_metered { metered_offer } else { plain_offer };
                    let key = key_of(&charlie_secret());
                    let r = if rng.below(2) == 0 {
                        act_as(charlie());
                        c.create_agreement(fresh, offer, charlie(), key, vec![], None)
                    } else {
                        let signature =
                            sign(&charlie_secret(), &agreement_message(&contract, &fresh, offer, &charlie(), b""));
                        act_as(bob());
                        c.create_agreement(fresh, offer, charlie(), key, vec![], Some(signature))
                    };
                    if r.is_ok() {
                        ids.push((fresh, is_metered));
                    }
                    r
                }
            };
            attempted[operation] += 1;
            if outcome.is_ok() {
                succeeded[operation] += 1;
            }
            // A refund of a metered lock: only after the consumer's termination's window.
            if operation == 6 && outcome.is_ok() && is_metered && was_locked {
                let terminated = delivered[&id].terminated_at.expect("a metered lock refunded without termination");
                assert!(now() > terminated + WINDOW, "seed {seed}: refunded at {} inside the window", now());
            }
            for (id, is_metered) in &ids {
                let a = c.agreement(*id).unwrap();
                if *is_metered {
                    let signed = delivered.get(id).copied().unwrap_or_default();
                    assert_eq!(a.paid, a.metered_amount, "seed {seed}: a metered agreement pays what was settled");
                    assert!(a.metered_amount <= signed.signed_amount, "seed {seed}: paid more than was signed");
                } else {
                    let done = a
                        .conditions
                        .iter()
                        .filter(|c| c.kind.is_delivery())
                        .all(|c| c.state == ConditionState::Fulfilled);
                    assert!(a.paid == 0 || done, "seed {seed}: the consumer paid for work not delivered");
                    assert!(
                        !done
                            || a.paid == OFFER_PRICE
                            || (a.state == AgreementState::Active && a.locked == OFFER_PRICE),
                        "seed {seed}: a delivered agreement ended without paying the provider: {a:?}"
                    );
                }
            }
            assert_eq!(free_balance(contract), liabilities(&c, &ids.iter().map(|(id, _)| *id).collect::<Vec<_>>()));
        }
        // What a provider that delivered can still collect, it collects.
        for (id, is_metered) in &ids {
            let a = c.agreement(*id).unwrap();
            if a.state != AgreementState::Active {
                continue;
            }
            if *is_metered {
                let signed = delivered.get(id).copied().unwrap_or_default();
                if signed.signed_amount > a.metered_amount {
                    let signature = sign(
                        &charlie_secret(),
                        &metering_message(&contract, id, signed.signed_units, signed.signed_amount),
                    );
                    act_as(bob());
                    c.settle_metering(*id, signed.signed_units, signed.signed_amount, signature).unwrap();
                }
                assert_eq!(c.agreement(*id).unwrap().paid, signed.signed_amount);
            } else if a.conditions.iter().filter(|c| c.kind.is_delivery()).all(|c| c.state == ConditionState::Fulfilled)
            {
                act_as(eve());
                c.release_payment(*id).unwrap();
                assert_eq!(c.agreement(*id).unwrap().paid, OFFER_PRICE);
            }
        }
    }
    for (i, name) in FAIR_OPERATIONS.iter().enumerate() {
        println!("{name}: {} of {} succeeded", succeeded[i], attempted[i]);
    }
    for i in 0..11 {
        assert!(succeeded[i] > 0, "{}: none of {} attempts succeeded", FAIR_OPERATIONS[i], attempted[i]);
    }
    for i in [0, 1, 2, 4, 5, 6, 7, 8] {
        assert!(succeeded[i] < attempted[i], "{}: no attempt was refused", FAIR_OPERATIONS[i]);
    }
    let total: u32 = succeeded.iter().sum();
    assert!(total >= SEEDS as u32 * STEPS / 4, "only {total} operations succeeded");
}
