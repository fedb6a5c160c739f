#!/usr/bin/env bash
# The main job, end to end on this machine, with what exists of Osiris today:
# set-up, a dev chain, PostgreSQL (DATABASE_URL's server, or a private cluster),
# the contracts deployed, the indexer following the chain, a provider registers a
# service, a consumer deposits and opens a payment channel to the service's group,
# signs payment authorizations off-chain for three calls, the provider claims them,
# the indexer's REST API shows the channel, and the balances before and after are printed.
# Exits non-zero if any step fails; leaves no process behind.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$ROOT/scripts/setup.sh"

say "building the osiris CLI, the indexer and the contracts"
(cd "$ROOT" && cargo build --quiet -p osiris-cli -p osiris-indexer)
target=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
osiris_bin="$target/debug/osiris"
indexer_bin="$target/debug/osiris-indexer"
"$ROOT/scripts/build-contracts.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/osiris-demo.XXXXXX")
export OSIRIS_RUN_DIR="$work/run"
cleanup() {
  stop_pidfile "$OSIRIS_RUN_DIR/indexer.pid"
  "$ROOT/scripts/dev-chain.sh" stop || true
  "$ROOT/scripts/dev-db.sh" stop || true
  rm -rf "$work"
}
trap cleanup EXIT

say "starting a dev chain"
export OSIRIS_NODE_URL=$("$ROOT/scripts/dev-chain.sh" start "$(free_port)")
export OSIRIS_DEPLOYMENT="$work/deployment.json"
echo "node: $OSIRIS_NODE_URL"

# The actors: Alice deploys and owns the organization, Charlie is paid for the service, Bob consumes it.
osiris() { "$osiris_bin" "$@"; }
as_alice() { OSIRIS_SURI=//Alice osiris "$@"; }
as_bob() { OSIRIS_SURI=//Bob osiris "$@"; }
as_charlie() { OSIRIS_SURI=//Charlie osiris "$@"; }
json_field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d'+sys.argv[1]))" "$1"; }

say "deploying the contracts"
as_alice deploy

say "starting PostgreSQL and the indexer"
export DATABASE_URL=$("$ROOT/scripts/dev-db.sh" start)
indexer_url="http://127.0.0.1:$(free_port)"
OSIRIS_INDEXER_LISTEN=${indexer_url#http://} RUST_LOG=warn "$indexer_bin" >"$OSIRIS_RUN_DIR/indexer.log" 2>&1 &
echo $! >"$OSIRIS_RUN_DIR/indexer.pid"
for _ in $(seq 300); do curl -sf "$indexer_url/health" >/dev/null && break; sleep 0.1; done
curl -sf "$indexer_url/health" >/dev/null || { cat "$OSIRIS_RUN_DIR/indexer.log" >&2; die "the indexer did not start"; }
echo "indexer: $indexer_url (database $DATABASE_URL)"

say "Alice registers organization 'acme' and service 'translate' (price 1 milli-unit per call), paid to Charlie"
as_alice org create acme --name "Acme AI"
as_alice service create acme translate --name "Translate EN-FR" --price 1000000000 \
  --group eu --recipient //Charlie --endpoint http://127.0.0.1:7000

say "Bob looks the service up"
service=$(osiris service show acme translate --json)
price=$(json_field '["price_per_call"]' <<<"$service")
recipient=$(json_field '["groups"][0]["payment_recipient"]' <<<"$service")
group=$(json_field '["groups"][0]["id"]' <<<"$service")
echo "price $price planck per call, group $group, recipient $recipient"

say "balances before"
as_bob account; as_charlie account

say "Bob deposits 10 units and opens a channel of 5 units to the group"
as_bob key generate --out "$work/bob-payment.key"
as_bob escrow deposit 10000000000000
channel=$(as_bob channel open --recipient "$recipient" --group "$group" --value 5000000000000 \
  --key-file "$work/bob-payment.key" --expires-in 1000 --json | json_field '["channel_id"]')
as_bob channel show "$channel"

say "Bob signs a payment for each of three calls (cumulative amounts, off-chain)"
amount=0
for call in 1 2 3; do
  amount=$((amount + price))
  signature=$(as_bob sign --key-file "$work/bob-payment.key" --channel "$channel" --amount "$amount")
  echo "call $call: authorizes $amount planck: $signature"
done

say "Charlie claims the latest authorization ($amount planck)"
claim_block=$(as_charlie --json channel claim "$channel" --amount "$amount" --signature "$signature" | json_field '["block"]')
echo "claimed in block #$claim_block"
say "Charlie tries to claim it again: the escrow refuses the replay"
if as_charlie channel claim "$channel" --amount "$amount" --signature "$signature"; then
  die "a replayed authorization was accepted"
fi

say "balances after"
as_bob account; as_charlie account

say "the indexer's mirror of the channel (GET $indexer_url/v1/channels/$channel)"
for _ in $(seq 100); do
  indexed=$(curl -sf "$indexer_url/v1/status" | json_field '["cursor"]["block_number"]' 2>/dev/null || echo 0)
  [ "$indexed" -ge "$claim_block" ] && break; sleep 0.1
done
mirrored=$(curl -sf "$indexer_url/v1/channels/$channel")
python3 -m json.tool <<<"$mirrored"
[ "$(json_field '["nonce"]' <<<"$mirrored")" = 1 ] || die "the indexer does not show the claim"
claimed=$(as_charlie escrow balance --json | json_field '["balance"]')
[ "$claimed" = "$amount" ] || die "Charlie's escrow balance is $claimed, expected $amount"
say "demo complete: Charlie earned $claimed planck for 3 calls"
