//! A consumer pays a provider through an escrow payment channel on a real dev chain:
//! the whole lifecycle, and every way a claim can be refused.

use osiris_chain::signing::channel::PaymentKey;
use osiris_chain::{
    contract::message,
    escrow::Escrow,
    types::escrow::{ChannelClaim, EscrowError},
    AccountId, Balance, BlockNumber, Chain, ChainError, ContractError,
};
use osiris_contract_types::ChannelId;
use osiris_contract_types::Nonce;
use osiris_e2e::{actor, actor_account as account, Osiris, UNIT};

const GROUP: &str = "default";

async fn now(chain: &Chain) -> BlockNumber {
    chain.block_number().await.unwrap() as BlockNumber
}

/// What the escrow contract holds must equal its users' escrow balances plus the value of all channels.
async fn assert_escrow_invariant(osiris: &Osiris, accounts: &[AccountId]) {
    let escrow = osiris.escrow();
    let mut liabilities: Balance = 0;
    for a in accounts {
        liabilities += escrow.balance_of(a).await.unwrap();
    }
    for id in (0..escrow.next_channel_id().await.unwrap().0).map(ChannelId) {
        liabilities += escrow.channel(id).await.unwrap().unwrap().value;
    }
    let held =
        osiris.chain.free_balance(escrow.address()).await.unwrap() - osiris.chain.existential_deposit().await.unwrap();
    assert_eq!(
        held, liabilities,
        "contract balance (less the existential deposit) equals escrow balances + channel values"
    );
}

fn refused(result: Result<impl std::fmt::Debug, ChainError>) -> EscrowError {
    match result {
        Err(ChainError::Contract(ContractError::Escrow(e))) => e,
        other => panic!("expected an escrow refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_channel_lives_from_deposit_to_claims_and_timeout() {
    let osiris = Osiris::start().await;
    let escrow = osiris.escrow();
    let (bob, charlie) = (actor("//Bob"), actor("//Charlie"));
    let (consumer, provider) = (account("//Bob"), account("//Charlie"));
    let key = PaymentKey::generate();

    // Bob, the consumer, deposits 10 units into escrow.
    let free_before = osiris.chain.free_balance(&consumer).await.unwrap();
    escrow.deposit(&bob, 10 * UNIT).await.unwrap();
    assert_eq!(escrow.balance_of(&consumer).await.unwrap(), 10 * UNIT);
    assert!(osiris.chain.free_balance(&consumer).await.unwrap() <= free_before - 10 * UNIT);

    // He opens a channel of 4 units to Charlie's group, signed by his payment key.
    let expiration = now(&osiris.chain).await + 1_000;
    let opened = escrow.open_channel(&bob, key.signer_key(), &provider, GROUP, 4 * UNIT, expiration).await.unwrap();
    let channel_id = opened.value;
    let channel = escrow.channel(channel_id).await.unwrap().unwrap();
    assert_eq!((channel.value, channel.nonce, channel.expiration), (4 * UNIT, Nonce(0), expiration));
    assert_eq!(channel.signer, key.signer_key());
    assert_eq!(escrow.balance_of(&consumer).await.unwrap(), 6 * UNIT);

    // He tops it up and extends it.
    escrow.channel_add_funds(&bob, channel_id, UNIT).await.unwrap();
    escrow.channel_extend(&bob, channel_id, expiration + 500).await.unwrap();
    escrow.channel_extend_and_add_funds(&bob, channel_id, expiration + 600, UNIT).await.unwrap();
    let channel = escrow.channel(channel_id).await.unwrap().unwrap();
    assert_eq!((channel.value, channel.expiration), (6 * UNIT, expiration + 600));
    assert_eq!(escrow.balance_of(&consumer).await.unwrap(), 4 * UNIT);

    // Bob signs off-chain for 2 units; Charlie claims them.
    let signature = key.sign(escrow.address(), channel_id, Nonce(0), 2 * UNIT);
    escrow.channel_claim(&charlie, channel_id, 2 * UNIT, 2 * UNIT, signature, false).await.unwrap();
    assert_eq!(escrow.balance_of(&provider).await.unwrap(), 2 * UNIT);
    let channel = escrow.channel(channel_id).await.unwrap().unwrap();
    assert_eq!((channel.value, channel.nonce), (4 * UNIT, Nonce(1)));

    // A second channel, then one multi-channel claim settles both.
    let second = escrow.open_channel(&bob, key.signer_key(), &provider, GROUP, UNIT, expiration).await.unwrap().value;
    let claims = vec![
        ChannelClaim {
            channel_id,
            actual_amount: UNIT,
            plan_amount: UNIT,
            signature: key.sign(escrow.address(), channel_id, Nonce(1), UNIT),
            is_sendback: false,
        },
        ChannelClaim {
            channel_id: second,
            actual_amount: UNIT / 2,
            plan_amount: UNIT / 2,
            signature: key.sign(escrow.address(), second, Nonce(0), UNIT / 2),
            is_sendback: true,
        },
    ];
    escrow.multi_channel_claim(&charlie, claims).await.unwrap();
    assert_eq!(escrow.balance_of(&provider).await.unwrap(), 3 * UNIT + UNIT / 2);
    assert_eq!(escrow.channel(second).await.unwrap().unwrap().value, 0);
    assert_eq!(
        escrow.balance_of(&consumer).await.unwrap(),
        3 * UNIT + UNIT / 2,
        "the second channel's rest went back to Bob"
    );
    assert_escrow_invariant(&osiris, &[consumer, provider]).await;

    // Charlie withdraws his earnings to his free balance.
    let free_before = osiris.chain.free_balance(&provider).await.unwrap();
    escrow.withdraw(&charlie, 3 * UNIT).await.unwrap();
    let gained = osiris.chain.free_balance(&provider).await.unwrap() - free_before;
    assert!(gained > 3 * UNIT - UNIT / 10 && gained <= 3 * UNIT, "3 units less fees, got {gained}");

    // A short channel expires; Bob takes back what is left.
    let short = escrow
        .open_channel(&bob, key.signer_key(), &provider, GROUP, UNIT, now(&osiris.chain).await + 3)
        .await
        .unwrap()
        .value;
    assert_eq!(refused(escrow.channel_claim_timeout(&bob, short).await), EscrowError::ChannelNotExpired);
    while now(&osiris.chain).await < escrow.channel(short).await.unwrap().unwrap().expiration {
        osiris.chain.transfer(&actor("//Alice"), &account("//Ferdie"), UNIT).await.unwrap();
        // one block per extrinsic
    }
    let before = escrow.balance_of(&consumer).await.unwrap();
    escrow.channel_claim_timeout(&bob, short).await.unwrap();
    assert_eq!(escrow.balance_of(&consumer).await.unwrap(), before + UNIT);
    let channel = escrow.channel(short).await.unwrap().unwrap();
    assert_eq!((channel.value, channel.nonce), (0, Nonce(1)));
    assert_escrow_invariant(&osiris, &[consumer, provider]).await;
}

/// Everything observable about the channel and the three parties.
async fn snapshot(chain: &Chain, escrow: &Escrow, channel_id: ChannelId) -> (String, Vec<Balance>) {
    let channel = format!("{:?}", escrow.channel(channel_id).await.unwrap());
    let mut balances = vec![chain.free_balance(escrow.address()).await.unwrap()];
    for who in ["//Bob", "//Charlie", "//Eve"] {
        balances.push(escrow.balance_of(&account(who)).await.unwrap());
    }
    (channel, balances)
}

#[tokio::test]
async fn bad_claims_are_refused_with_their_typed_errors_and_change_nothing() {
    let osiris = Osiris::start().await;
    let escrow = osiris.escrow();
    let (bob, charlie, eve) = (actor("//Bob"), actor("//Charlie"), actor("//Eve"));
    let key = PaymentKey::generate();
    escrow.deposit(&bob, 5 * UNIT).await.unwrap();
    let expiration = now(&osiris.chain).await + 1_000;
    let channel_id = escrow
        .open_channel(&bob, key.signer_key(), &account("//Charlie"), GROUP, 2 * UNIT, expiration)
        .await
        .unwrap()
        .value;
    let good = key.sign(escrow.address(), channel_id, Nonce(0), UNIT);
    escrow.channel_claim(&charlie, channel_id, UNIT, UNIT, good, false).await.unwrap();
    let before = snapshot(&osiris.chain, &escrow, channel_id).await;

    let mut forged = key.sign(escrow.address(), channel_id, Nonce(1), UNIT);
    forged[5] ^= 0xff;
    let over = key.sign(escrow.address(), channel_id, Nonce(1), 3 * UNIT);
    let fair = key.sign(escrow.address(), channel_id, Nonce(1), UNIT / 2);
    let cases: Vec<(&str, osiris_chain::Signer, Vec<u8>, EscrowError)> = vec![
        (
            "a forged signature",
            charlie.clone(),
            message("channel_claim", (channel_id, UNIT, UNIT, forged, false)),
            EscrowError::InvalidSignature,
        ),
        (
            "a replayed nonce",
            charlie.clone(),
            message("channel_claim", (channel_id, UNIT, UNIT, good, false)),
            EscrowError::InvalidSignature,
        ),
        (
            "more than the channel holds",
            charlie.clone(),
            message("channel_claim", (channel_id, 3 * UNIT, 3 * UNIT, over, false)),
            EscrowError::AmountExceedsChannelValue,
        ),
        (
            "a stranger's claim",
            eve.clone(),
            message("channel_claim", (channel_id, UNIT / 2, UNIT / 2, fair, false)),
            EscrowError::NotChannelRecipient,
        ),
        (
            "a timeout claim before expiry",
            bob.clone(),
            message("channel_claim_timeout", (channel_id,)),
            EscrowError::ChannelNotExpired,
        ),
    ];
    for (story, who, data, expected) in cases {
        // The client's dry run names the contract's typed error and submits nothing …
        let dry = osiris
            .chain
            .dry_run(&osiris_chain::account::account_of(&who), escrow.address(), 0, data.clone())
            .await
            .unwrap();
        assert!(dry.reverted, "{story}: the contract reverts");
        let decoded: Result<(), EscrowError> = osiris_chain::contract::decode_return(&dry.data, "claim").unwrap();
        assert_eq!(decoded, Err(expected), "{story}");
        // … and forced onto the chain anyway, the contract refuses it there and nothing changes.
        let forced = osiris.chain.submit_call(&who, escrow.address(), 0, data).await;
        match forced {
            Err(ChainError::Dispatch(reason)) => assert!(reason.contains("ContractReverted"), "{story}: {reason}"),
            other => panic!("{story}: expected the extrinsic to fail, got {other:?}"),
        }
        assert_eq!(snapshot(&osiris.chain, &escrow, channel_id).await, before, "{story} changed nothing");
    }

    // The typed client surfaces the same errors without submitting.
    assert_eq!(
        refused(escrow.channel_claim(&charlie, channel_id, UNIT, UNIT, good, false).await),
        EscrowError::InvalidSignature
    );
    assert_eq!(
        refused(escrow.channel_claim(&eve, channel_id, UNIT / 2, UNIT / 2, fair, false).await),
        EscrowError::NotChannelRecipient
    );
    assert_eq!(refused(escrow.channel_claim_timeout(&bob, channel_id).await), EscrowError::ChannelNotExpired);
    assert_eq!(snapshot(&osiris.chain, &escrow, channel_id).await, before);
}
