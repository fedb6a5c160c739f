//! Off-chain unit tests of every escrow message, every error and the escrow invariant.

use crate::{escrow::Escrow, signature, ChannelClaim, EscrowError};
use ink::env::{test, DefaultEnvironment as Env};
use osiris_contract_types::{
    escrow::*, AccountId, Balance, BlockNumber, ChannelId, Nonce, PaymentSignature, SignerKey,
};
use secp256k1::{Message, PublicKey, SecretKey, SECP256K1};

const CONTRACT: [u8; 32] = [0xEE; 32];
const GROUP: &str = "default-group";

fn contract_id() -> AccountId {
    AccountId::from(CONTRACT)
}

fn alice() -> AccountId {
    test::default_accounts::<Env>().alice
}
fn bob() -> AccountId {
    test::default_accounts::<Env>().bob
}
fn eve() -> AccountId {
    test::default_accounts::<Env>().eve
}

/// A fresh escrow at [`CONTRACT`] with alice, bob and eve holding 10^15 planck of free balance each.
fn setup() -> Escrow {
    setup_at(contract_id())
}

/// A fresh escrow at `contract` (each contract account has its own storage in the test engine).
fn setup_at(contract: AccountId) -> Escrow {
    test::set_callee::<Env>(contract);
    test::set_contract::<Env>(contract);
    test::set_account_balance::<Env>(contract, 0);
    for who in [alice(), bob(), eve()] {
        test::set_account_balance::<Env>(who, 1_000_000_000_000_000);
    }
    Escrow::new()
}

fn act_as(who: AccountId) {
    test::set_caller::<Env>(who);
    test::set_value_transferred::<Env>(0);
}

fn free_balance(who: AccountId) -> Balance {
    test::get_account_balance::<Env>(who).unwrap()
}

fn deposit(escrow: &mut Escrow, who: AccountId, amount: Balance) {
    act_as(who);
    test::transfer_in::<Env>(amount);
    escrow.deposit().unwrap();
}

fn secret(byte: u8) -> SecretKey {
    SecretKey::from_slice(&[byte; 32]).unwrap()
}

fn signer_key(sk: &SecretKey) -> SignerKey {
    PublicKey::from_secret_key(SECP256K1, sk).serialize()
}

fn sign(sk: &SecretKey, channel_id: ChannelId, nonce: Nonce, amount: Balance) -> PaymentSignature {
    let digest = signature::payment_digest(&test::callee::<Env>(), channel_id, nonce, amount);
    let (rid, compact) = SECP256K1.sign_ecdsa_recoverable(&Message::from_digest(digest), sk).serialize_compact();
    let mut sig = [0u8; 65];
    sig[..64].copy_from_slice(&compact);
    sig[64] = rid.to_i32() as u8;
    sig
}

/// Alice deposits 1000 and opens channel 0 of `value` to bob, signed by key 0x11…, expiring at block 100.
fn with_channel(value: Balance) -> (Escrow, SecretKey) {
    let mut escrow = setup();
    deposit(&mut escrow, alice(), 1000);
    let sk = secret(0x11);
    act_as(alice());
    assert_eq!(escrow.open_channel(signer_key(&sk), bob(), GROUP.into(), value, 100), Ok(ChannelId(0)));
    (escrow, sk)
}

fn claim(
    channel_id: ChannelId,
    actual: Balance,
    plan: Balance,
    signature: PaymentSignature,
    is_sendback: bool,
) -> ChannelClaim {
    ChannelClaim { channel_id, actual_amount: actual, plan_amount: plan, signature, is_sendback }
}

fn last_event<E: ink::scale::Decode>() -> E {
    let event = test::recorded_events().last().expect("an event");
    E::decode(&mut &event.data[..]).expect("event of this type")
}

fn event_count() -> usize {
    test::recorded_events().count()
}

fn advance_to(block: BlockNumber) {
    while ink::env::block_number::<Env>() < block {
        test::advance_block::<Env>();
    }
}

/// Sum of escrow balances and channel values, which must equal what the contract holds.
fn liabilities(escrow: &Escrow, accounts: &[AccountId]) -> Balance {
    let balances: Balance = accounts.iter().map(|a| escrow.balance_of(*a)).sum();
    let channels: Balance =
        (0..escrow.next_channel_id().0).map(|id| escrow.channel(ChannelId(id)).unwrap().value).sum();
    balances + channels
}

// --- escrow balances ---

#[ink::test]
fn deposit_credits_the_caller_and_emits() {
    let mut escrow = setup();
    deposit(&mut escrow, alice(), 500);
    assert_eq!(escrow.balance_of(alice()), 500);
    assert_eq!(last_event::<Deposited>(), Deposited { account: alice(), amount: 500, balance: 500 });
    deposit(&mut escrow, alice(), 1);
    assert_eq!(escrow.balance_of(alice()), 501);
    assert_eq!(free_balance(contract_id()), 501);
}

#[ink::test]
fn deposit_of_nothing_is_refused() {
    let mut escrow = setup();
    act_as(alice());
    assert_eq!(escrow.deposit(), Err(EscrowError::ZeroAmount));
    assert_eq!(event_count(), 0);
}

#[ink::test]
fn balances_that_would_overflow_are_refused() {
    let mut escrow = setup();
    act_as(alice());
    // The value is only declared, not moved: enough to drive the escrow balance to its limit.
    test::set_value_transferred::<Env>(Balance::MAX);
    escrow.deposit().unwrap();
    test::set_value_transferred::<Env>(1);
    assert_eq!(escrow.deposit(), Err(EscrowError::Overflow));
    act_as(bob());
    test::set_value_transferred::<Env>(1);
    escrow.deposit().unwrap();
    assert_eq!(escrow.transfer(alice(), 1), Err(EscrowError::Overflow));
    assert_eq!((escrow.balance_of(alice()), escrow.balance_of(bob())), (Balance::MAX, 1));
}

#[ink::test]
fn withdraw_pays_out_and_emits() {
    let mut escrow = setup();
    deposit(&mut escrow, alice(), 500);
    let before = free_balance(alice());
    assert_eq!(escrow.withdraw(200), Ok(()));
    assert_eq!(escrow.balance_of(alice()), 300);
    assert_eq!(free_balance(alice()), before + 200);
    assert_eq!(last_event::<Withdrawn>(), Withdrawn { account: alice(), amount: 200, balance: 300 });
}

#[ink::test]
fn withdraw_errors_change_nothing() {
    let mut escrow = setup();
    deposit(&mut escrow, alice(), 500);
    let events = event_count();
    assert_eq!(escrow.withdraw(501), Err(EscrowError::InsufficientBalance));
    assert_eq!(escrow.withdraw(0), Err(EscrowError::ZeroAmount));
    act_as(bob());
    assert_eq!(escrow.withdraw(1), Err(EscrowError::InsufficientBalance));
    assert_eq!(escrow.balance_of(alice()), 500);
    assert_eq!(free_balance(contract_id()), 500);
    assert_eq!(event_count(), events);
}

#[ink::test]
fn transfer_moves_between_escrow_balances() {
    let mut escrow = setup();
    deposit(&mut escrow, alice(), 500);
    assert_eq!(escrow.transfer(bob(), 120), Ok(()));
    assert_eq!((escrow.balance_of(alice()), escrow.balance_of(bob())), (380, 120));
    assert_eq!(last_event::<Transferred>(), Transferred { from: alice(), to: bob(), amount: 120 });
    assert_eq!(escrow.transfer(bob(), 381), Err(EscrowError::InsufficientBalance));
    assert_eq!(escrow.transfer(bob(), 0), Err(EscrowError::ZeroAmount));
    assert_eq!((escrow.balance_of(alice()), escrow.balance_of(bob())), (380, 120));
}

// --- channels ---

#[ink::test]
fn open_channel_locks_funds_and_numbers_channels() {
    let (mut escrow, sk) = with_channel(300);
    assert_eq!(escrow.balance_of(alice()), 700);
    let channel = escrow.channel(ChannelId(0)).unwrap();
    assert_eq!(
        channel,
        Channel {
            sender: alice(),
            recipient: bob(),
            signer: signer_key(&sk),
            group_id: GROUP.into(),
            value: 300,
            nonce: Nonce(0),
            expiration: 100
        }
    );
    assert_eq!(
        last_event::<ChannelOpened>(),
        ChannelOpened {
            channel_id: ChannelId(0),
            sender: alice(),
            recipient: bob(),
            signer: signer_key(&sk),
            group_id: GROUP.into(),
            value: 300,
            nonce: Nonce(0),
            expiration: 100
        }
    );
    assert_eq!(escrow.open_channel(signer_key(&sk), bob(), GROUP.into(), 100, 50), Ok(ChannelId(1)));
    assert_eq!(escrow.next_channel_id(), ChannelId(2));
    assert_eq!(escrow.channel(ChannelId(2)), None);
}

#[ink::test]
fn open_channel_errors_change_nothing() {
    let (mut escrow, sk) = with_channel(300);
    let key = signer_key(&sk);
    let events = event_count();
    assert_eq!(escrow.open_channel(key, bob(), GROUP.into(), 701, 100), Err(EscrowError::InsufficientBalance));
    let now = ink::env::block_number::<Env>();
    assert_eq!(escrow.open_channel(key, bob(), GROUP.into(), 1, now), Err(EscrowError::ExpirationInPast));
    let mut bad_key = key;
    bad_key[0] = 0x04;
    assert_eq!(escrow.open_channel(bad_key, bob(), GROUP.into(), 1, 100), Err(EscrowError::InvalidSignerKey));
    assert_eq!(escrow.open_channel(key, bob(), "Bad Group".into(), 1, 100), Err(EscrowError::InvalidGroupId));
    assert_eq!(escrow.open_channel(key, bob(), String::new(), 1, 100), Err(EscrowError::InvalidGroupId));
    assert_eq!(escrow.next_channel_id(), ChannelId(1));
    assert_eq!(escrow.balance_of(alice()), 700);
    assert_eq!(event_count(), events);
}

#[ink::test]
fn deposit_and_open_channel_uses_the_transferred_value() {
    let mut escrow = setup();
    act_as(alice());
    test::transfer_in::<Env>(250);
    let key = signer_key(&secret(0x22));
    assert_eq!(escrow.deposit_and_open_channel(key, bob(), GROUP.into(), 10), Ok(ChannelId(0)));
    assert_eq!(escrow.channel(ChannelId(0)).unwrap().value, 250);
    assert_eq!(escrow.balance_of(alice()), 0);
    assert_eq!(free_balance(contract_id()), 250);
    act_as(alice());
    assert_eq!(escrow.deposit_and_open_channel(key, bob(), GROUP.into(), 10), Err(EscrowError::ZeroAmount));
}

#[ink::test]
fn sender_adds_funds_and_extends() {
    let (mut escrow, _) = with_channel(300);
    assert_eq!(escrow.channel_add_funds(ChannelId(0), 50), Ok(()));
    assert_eq!(
        last_event::<ChannelFunded>(),
        ChannelFunded { channel_id: ChannelId(0), added: 50, value: 350, expiration: 100 }
    );
    assert_eq!(escrow.channel_extend(ChannelId(0), 150), Ok(()));
    assert_eq!(
        last_event::<ChannelFunded>(),
        ChannelFunded { channel_id: ChannelId(0), added: 0, value: 350, expiration: 150 }
    );
    assert_eq!(escrow.channel_extend_and_add_funds(ChannelId(0), 150, 100), Ok(()));
    let channel = escrow.channel(ChannelId(0)).unwrap();
    assert_eq!((channel.value, channel.expiration), (450, 150));
    assert_eq!(escrow.balance_of(alice()), 550);
}

#[ink::test]
fn funding_errors_change_nothing() {
    let (mut escrow, _) = with_channel(300);
    let events = event_count();
    assert_eq!(escrow.channel_add_funds(ChannelId(0), 701), Err(EscrowError::InsufficientBalance));
    assert_eq!(escrow.channel_add_funds(ChannelId(0), 0), Err(EscrowError::ZeroAmount));
    assert_eq!(escrow.channel_add_funds(ChannelId(9), 1), Err(EscrowError::ChannelNotFound));
    assert_eq!(escrow.channel_extend(ChannelId(0), 99), Err(EscrowError::ExpirationDecrease));
    assert_eq!(escrow.channel_extend_and_add_funds(ChannelId(0), 99, 1), Err(EscrowError::ExpirationDecrease));
    act_as(bob());
    assert_eq!(escrow.channel_add_funds(ChannelId(0), 1), Err(EscrowError::NotChannelSender));
    assert_eq!(escrow.channel_extend(ChannelId(0), 200), Err(EscrowError::NotChannelSender));
    let channel = escrow.channel(ChannelId(0)).unwrap();
    assert_eq!((channel.value, channel.expiration), (300, 100));
    assert_eq!(escrow.balance_of(alice()), 700);
    assert_eq!(event_count(), events);
}

// --- claims ---

#[ink::test]
fn recipient_claims_a_signed_amount_and_the_nonce_moves_on() {
    let (mut escrow, sk) = with_channel(300);
    act_as(bob());
    assert_eq!(escrow.channel_claim(ChannelId(0), 120, 120, sign(&sk, ChannelId(0), Nonce(0), 120), false), Ok(()));
    assert_eq!(escrow.balance_of(bob()), 120);
    let channel = escrow.channel(ChannelId(0)).unwrap();
    assert_eq!((channel.value, channel.nonce), (180, Nonce(1)));
    assert_eq!(
        last_event::<ChannelClaimed>(),
        ChannelClaimed {
            channel_id: ChannelId(0),
            recipient: bob(),
            nonce: Nonce(0),
            amount: 120,
            sent_back: 0,
            value: 180,
            new_nonce: Nonce(1)
        }
    );
    // The consumer continues at nonce 1 with a fresh cumulative amount.
    assert_eq!(escrow.channel_claim(ChannelId(0), 30, 40, sign(&sk, ChannelId(0), Nonce(1), 40), false), Ok(()));
    assert_eq!(escrow.balance_of(bob()), 150);
    assert_eq!(escrow.channel(ChannelId(0)).unwrap().value, 150);
}

#[ink::test]
fn claim_with_sendback_returns_the_rest_to_the_sender() {
    let (mut escrow, sk) = with_channel(300);
    act_as(bob());
    assert_eq!(escrow.channel_claim(ChannelId(0), 100, 100, sign(&sk, ChannelId(0), Nonce(0), 100), true), Ok(()));
    assert_eq!((escrow.balance_of(bob()), escrow.balance_of(alice())), (100, 900));
    assert_eq!(escrow.channel(ChannelId(0)).unwrap().value, 0);
    assert_eq!(last_event::<ChannelClaimed>().sent_back, 200);
}

#[ink::test]
fn bad_claims_are_refused_and_change_nothing() {
    let (mut escrow, sk) = with_channel(300);
    act_as(bob());
    let good = sign(&sk, ChannelId(0), Nonce(0), 100);
    let mut forged = good;
    forged[10] ^= 0x01;
    let mut bad_recovery_id = good;
    bad_recovery_id[64] = 5;
    let events = event_count();
    assert_eq!(escrow.channel_claim(ChannelId(0), 100, 100, forged, false), Err(EscrowError::InvalidSignature));
    assert_eq!(
        escrow.channel_claim(ChannelId(0), 100, 100, bad_recovery_id, false),
        Err(EscrowError::InvalidSignature)
    );
    assert_eq!(
        escrow.channel_claim(ChannelId(0), 100, 100, sign(&secret(0x33), ChannelId(0), Nonce(0), 100), false),
        Err(EscrowError::InvalidSignature)
    );
    assert_eq!(escrow.channel_claim(ChannelId(0), 100, 99, good, false), Err(EscrowError::ActualExceedsPlanned));
    assert_eq!(
        escrow.channel_claim(ChannelId(0), 301, 301, sign(&sk, ChannelId(0), Nonce(0), 301), false),
        Err(EscrowError::AmountExceedsChannelValue)
    );
    // A signature for one amount does not authorize another.
    assert_eq!(escrow.channel_claim(ChannelId(0), 150, 150, good, false), Err(EscrowError::InvalidSignature));
    assert_eq!(escrow.channel_claim(ChannelId(7), 100, 100, good, false), Err(EscrowError::ChannelNotFound));
    act_as(eve());
    assert_eq!(escrow.channel_claim(ChannelId(0), 100, 100, good, false), Err(EscrowError::NotChannelRecipient));
    act_as(alice());
    assert_eq!(escrow.channel_claim(ChannelId(0), 100, 100, good, false), Err(EscrowError::NotChannelRecipient));
    assert_eq!(
        escrow.channel(ChannelId(0)).unwrap(),
        Channel { value: 300, nonce: Nonce(0), ..escrow.channel(ChannelId(0)).unwrap() }
    );
    assert_eq!((escrow.balance_of(bob()), escrow.balance_of(alice())), (0, 700));
    assert_eq!(event_count(), events);
}

#[ink::test]
fn a_claimed_authorization_cannot_be_replayed() {
    let (mut escrow, sk) = with_channel(300);
    act_as(bob());
    let sig = sign(&sk, ChannelId(0), Nonce(0), 100);
    assert_eq!(escrow.channel_claim(ChannelId(0), 100, 100, sig, false), Ok(()));
    assert_eq!(escrow.channel_claim(ChannelId(0), 100, 100, sig, false), Err(EscrowError::InvalidSignature));
    assert_eq!(escrow.balance_of(bob()), 100);
    assert_eq!(escrow.channel(ChannelId(0)).unwrap().nonce, Nonce(1));
}

#[ink::test]
fn multi_channel_claim_settles_all_or_nothing() {
    let (mut escrow, sk) = with_channel(300);
    act_as(alice());
    assert_eq!(escrow.open_channel(signer_key(&sk), bob(), GROUP.into(), 200, 100), Ok(ChannelId(1)));
    act_as(bob());
    let first = claim(ChannelId(0), 100, 100, sign(&sk, ChannelId(0), Nonce(0), 100), false);
    let second = claim(ChannelId(1), 50, 50, sign(&sk, ChannelId(1), Nonce(0), 50), true);
    let events = event_count();
    // One bad claim: nothing is applied.
    let bad = claim(ChannelId(1), 50, 50, sign(&sk, ChannelId(1), Nonce(0), 60), true);
    assert_eq!(escrow.multi_channel_claim(Vec::from([first.clone(), bad])), Err(EscrowError::InvalidSignature));
    assert_eq!(
        escrow.multi_channel_claim(Vec::from([first.clone(), first.clone()])),
        Err(EscrowError::DuplicateChannel)
    );
    assert_eq!(escrow.multi_channel_claim(Vec::new()), Err(EscrowError::InvalidClaimCount));
    let too_many = (0..=MAX_MULTI_CLAIM as u64).map(|id| claim(ChannelId(id), 0, 0, [0; 65], false)).collect();
    assert_eq!(escrow.multi_channel_claim(too_many), Err(EscrowError::InvalidClaimCount));
    assert_eq!(escrow.balance_of(bob()), 0);
    assert_eq!(event_count(), events);
    // Both good claims: both applied.
    assert_eq!(escrow.multi_channel_claim(Vec::from([first, second])), Ok(()));
    assert_eq!(escrow.balance_of(bob()), 150);
    assert_eq!(escrow.balance_of(alice()), 500 + 150);
    assert_eq!(
        (escrow.channel(ChannelId(0)).unwrap().nonce, escrow.channel(ChannelId(1)).unwrap().nonce),
        (Nonce(1), Nonce(1))
    );
    assert_eq!(event_count(), events + 2);
}

#[ink::test]
fn sender_takes_back_the_rest_only_from_expiration_on() {
    let (mut escrow, sk) = with_channel(300);
    act_as(bob());
    assert_eq!(escrow.channel_claim(ChannelId(0), 100, 100, sign(&sk, ChannelId(0), Nonce(0), 100), false), Ok(()));
    act_as(alice());
    advance_to(99);
    assert_eq!(escrow.channel_claim_timeout(ChannelId(0)), Err(EscrowError::ChannelNotExpired));
    advance_to(100);
    act_as(eve());
    assert_eq!(escrow.channel_claim_timeout(ChannelId(0)), Err(EscrowError::NotChannelSender));
    assert_eq!(escrow.channel_claim_timeout(ChannelId(1)), Err(EscrowError::ChannelNotFound));
    assert_eq!(escrow.balance_of(alice()), 700);
    act_as(alice());
    assert_eq!(escrow.channel_claim_timeout(ChannelId(0)), Ok(()));
    assert_eq!(escrow.balance_of(alice()), 900);
    assert_eq!(
        last_event::<ChannelTimeoutClaimed>(),
        ChannelTimeoutClaimed { channel_id: ChannelId(0), sender: alice(), amount: 200, new_nonce: Nonce(2) }
    );
    // Authorizations of the old nonce are dead.
    act_as(bob());
    assert_eq!(
        escrow.channel_claim(ChannelId(0), 0, 0, sign(&sk, ChannelId(0), Nonce(1), 0), false),
        Err(EscrowError::InvalidSignature)
    );
}

// --- signatures ---

/// The test vector shared with `osiris-chain` (`payment::tests`): the same key and
/// message must give the same digest and signature off-chain and on chain.
#[ink::test]
fn payment_authorization_test_vector() {
    let escrow = AccountId::from([0x42; 32]);
    let digest = signature::payment_digest(&escrow, ChannelId(7), Nonce(3), 1_000_000_000_000);
    assert_eq!(hex(&digest), TEST_VECTOR_DIGEST);
    let sk = secret(0x11);
    let (rid, compact) = SECP256K1.sign_ecdsa_recoverable(&Message::from_digest(digest), &sk).serialize_compact();
    let mut sig = [0u8; 65];
    sig[..64].copy_from_slice(&compact);
    sig[64] = rid.to_i32() as u8;
    assert_eq!(hex(&sig), TEST_VECTOR_SIGNATURE);
    assert!(signature::is_signed_by(&sig, &digest, &signer_key(&sk)));
}

const TEST_VECTOR_DIGEST: &str = "50585ff13e71df926965a60764ca9b33de406ba5e598fdc9ff9b73f1c00226e1";
const TEST_VECTOR_SIGNATURE: &str = "f1a55e3360d7817c8f96ba8abd2822dd340d91a87b85f5bd55ee8d7e3e34ebea23dba13e3de41998166a3a0ce2177faf2b9b4b74e9cfbb25b138c4b4bce1a39301";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// --- the invariant ---

/// Names of the randomized sequence's operations (`rng.below(9)` picks 0..=8; 5 and 6 are
/// both `channel_claim`, counted as 5).
const OPERATIONS: [&str; 9] = [
    "deposit",
    "withdraw",
    "transfer",
    "open_channel",
    "channel_extend_and_add_funds",
    "channel_claim",
    "(channel_claim)",
    "channel_claim_timeout",
    "advance_block",
];
/// Smallest share of its attempts each fallible message must have succeeded, percent.
const MIN_SUCCESS_PERCENT: u32 = 5;

/// Random sequences of every message by three accounts: after each step the
/// contract holds exactly the sum of escrow balances and channel values. The test also
/// counts what succeeded: every deposit, and a real share of every other message, so
/// that it cannot pass by every operation failing.
#[ink::test]
fn escrow_invariant_holds_under_random_operations() {
    let mut succeeded = [0u32; 9];
    let mut attempted = [0u32; 9];
    for seed in 1..=8u64 {
        let contract = AccountId::from([0xC0 + seed as u8; 32]);
        let mut escrow = setup_at(contract);
        let accounts = [alice(), bob(), eve()];
        let keys = [secret(0x11), secret(0x12), secret(0x13)];
        let mut rng = XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        for _step in 0..300 {
            let who = rng.below(3) as usize;
            let other = rng.below(3) as usize;
            let amount = rng.below(400) as Balance;
            let channels = escrow.next_channel_id();
            let channel_id = ChannelId(if channels == ChannelId(0) { 0 } else { rng.below(channels.0 + 1) });
            act_as(accounts[who]);
            let operation = rng.below(9) as usize;
            // A refusal must leave the state untouched, which the invariant below checks.
            let outcome = match operation {
                0 => {
                    test::transfer_in::<Env>(amount);
                    escrow.deposit()
                }
                1 => escrow.withdraw(amount),
                2 => escrow.transfer(accounts[other], amount),
                3 => {
                    let expiration = ink::env::block_number::<Env>() + rng.below(20) as BlockNumber;
                    escrow
                        .open_channel(signer_key(&keys[who]), accounts[other], GROUP.into(), amount, expiration)
                        .map(|_| ())
                }
                4 => escrow.channel_extend_and_add_funds(channel_id, ink::env::block_number::<Env>() + 10, amount),
                5 | 6 => match escrow.channel(channel_id) {
                    Some(c) => {
                        let plan = amount.min(c.value + 1);
                        let signer = &keys[rng.below(3) as usize];
                        let sig = sign(signer, channel_id, c.nonce, plan);
                        act_as(if rng.below(4) == 0 { accounts[other] } else { c.recipient });
                        escrow.channel_claim(
                            channel_id,
                            plan - rng.below(plan as u64 + 1) as Balance,
                            plan,
                            sig,
                            rng.below(2) == 0,
                        )
                    }
                    None => escrow.channel_claim_timeout(channel_id),
                },
                7 => escrow.channel_claim_timeout(channel_id),
                _ => {
                    test::advance_block::<Env>();
                    Ok(())
                }
            };
            let counted = if operation == 6 { 5 } else { operation };
            attempted[counted] += 1;
            if outcome.is_ok() {
                succeeded[counted] += 1;
            }
            assert_eq!(free_balance(contract), liabilities(&escrow, &accounts), "seed {seed}");
        }
    }
    for (i, name) in OPERATIONS.iter().enumerate().filter(|(i, _)| *i != 6) {
        println!("{name}: {} of {} succeeded", succeeded[i], attempted[i]);
    }
    let total: u32 = succeeded.iter().sum();
    assert_eq!(attempted.iter().sum::<u32>(), 8 * 300);
    // Deposits and block advances cannot fail.
    assert_eq!(succeeded[0], attempted[0], "every deposit succeeds");
    assert_eq!(succeeded[8], attempted[8], "every block advance succeeds");
    // Every other message succeeded a real share of its attempts and was refused in others
    // (the sequence reaches both the money moves and the refusals).
    for i in [1, 2, 3, 4, 5, 7] {
        let (ok, tried) = (succeeded[i], attempted[i]);
        assert!(ok * 100 >= tried * MIN_SUCCESS_PERCENT, "{}: only {ok} of {tried} succeeded", OPERATIONS[i]);
        assert!(ok < tried, "{}: none of {tried} attempts was refused", OPERATIONS[i]);
    }
    assert!(total >= 1_000, "only {total} of 2400 operations succeeded");
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
