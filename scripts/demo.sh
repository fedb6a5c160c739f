#!/usr/bin/env bash
# The main job, end to end on this machine: set-up, a dev chain, PostgreSQL (DATABASE_URL's
# server, or a private cluster), the contracts deployed, the indexer following the chain.
# Alice registers organization `acme` with three services paid to Charlie — primes (a gRPC
# server), text (a JSON-RPC endpoint) and stats (a program run per call) — and starts each
# example service with an Osiris gateway in front. Bob opens one payment channel to the
# group and calls the services through the gateways with `osiris call`, in shell pipes;
# Dave, who knows only the name acme/text, finds it through the indexer, opens a channel on
# the way, and runs one request on two providers of the text API (acme's and Eve's globex)
# to compare their outputs. Eve also runs a TLS gateway (a certificate from her own CA)
# giving each consumer two free calls a day: Dave makes two free calls over https and his
# third falls back to a paid one. Charlie claims what the gateways accepted. Then Alice sells
# computation on acme's data under an agreement: Dave signs it and locks the price, uploads
# his algorithm to Alice's job gateway, which agrees its hash on chain, runs it next to
# the data and registers the outputs for Dave, who fetches and checks them; Alice is paid
# on release. Charlie sells metered access to primes: Dave pays each call with a signed
# metering record and Charlie settles exactly what was used. A last agreement is never
# delivered and Dave takes his money back after its deadline. The balances before and
# after are printed. The indexer serves the market's web page; the demo ends by printing its
# URL, and with --keep leaves the whole stack running for a person to use it (Ctrl-C ends it).
# Exits non-zero if any step fails; leaves no process behind.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
keep=false
case "${1:-}" in
  --keep) keep=true ;;
  "") ;;
  *) die "usage: $0 [--keep]" ;;
esac

"$ROOT/scripts/setup.sh" --background

say "building the osiris CLI, the indexer, the gateway, the example services and the contracts"
(cd "$ROOT" && cargo build --quiet -p osiris-cli -p osiris-indexer -p osiris-gateway -p osiris-keeper -p osiris-examples)
target=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
bin="$target/debug"
"$ROOT/scripts/build-contracts.sh"
"$ROOT/scripts/build-web.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/osiris-demo.XXXXXX")
export OSIRIS_RUN_DIR="$work/run"
mkdir -p "$OSIRIS_RUN_DIR"
started_pids=()
cleanup() {
  for pid in "${started_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${started_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  "$ROOT/scripts/dev-chain.sh" stop || true
  "$ROOT/scripts/dev-db.sh" stop || true
  rm -rf "$work"
}
trap cleanup EXIT
# start NAME COMMAND...: runs a background process logging to $OSIRIS_RUN_DIR/NAME.log.
start() {
  local name=$1; shift
  "$@" >"$OSIRIS_RUN_DIR/$name.log" 2>&1 &
  started_pids+=($!)
}
# wait_for NAME CHECK...: retries CHECK for up to 60 s; prints NAME's log and fails if it never passes.
wait_for() {
  local name=$1; shift
  for _ in $(seq 600); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  cat "$OSIRIS_RUN_DIR/$name.log" >&2; die "$name did not start"
}

say "before the chain is up: a command that needs it says so in one line, at once"
down_url="ws://127.0.0.1:$(free_port)"
if OSIRIS_NODE_URL="$down_url" "$bin/osiris" account //Bob 2>"$work/down.err"; then
  die "osiris account succeeded without a node"
fi
cat "$work/down.err"

say "starting a dev chain"
export OSIRIS_NODE_URL=$("$ROOT/scripts/dev-chain.sh" start "$(free_port)")
export OSIRIS_DEPLOYMENT="$work/deployment.json"
export OSIRIS_CONSUMER_DIR="$work/bob"
echo "node: $OSIRIS_NODE_URL"

# The actors: Alice deploys and owns the organization, Charlie is paid for the services, Bob uses them.
osiris() { "$bin/osiris" "$@"; }
as_alice() { OSIRIS_SURI=//Alice osiris "$@"; }
as_bob() { OSIRIS_SURI=//Bob osiris "$@"; }
as_charlie() { OSIRIS_SURI=//Charlie osiris "$@"; }
# Dave knows only service names: he finds them through the indexer and keeps his own state.
as_dave() { OSIRIS_SURI=//Dave OSIRIS_INDEXER_URL="$indexer_url" OSIRIS_CONSUMER_DIR="$work/dave" osiris "$@"; }
# Eve sells the text API too, from her own organization.
as_eve() { OSIRIS_SURI=//Eve osiris "$@"; }
json_field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d'+sys.argv[1]))" "$1"; }

say "deploying the contracts"
as_alice deploy

say "starting PostgreSQL and the indexer"
export DATABASE_URL=$("$ROOT/scripts/dev-db.sh" start)
indexer_url="http://127.0.0.1:$(free_port)"
# Service details checked every second, endpoints probed every 2 s (the defaults: 5 s and a minute).
start indexer env OSIRIS_INDEXER_LISTEN="${indexer_url#http://}" OSIRIS_INDEXER_DESCRIBE_INTERVAL_MS=1000 \
  OSIRIS_INDEXER_REPUTATION_INTERVAL_MS=2000 OSIRIS_INDEXER_WEB_DIR="$ROOT/web/dist" \
  OSIRIS_INDEXER_CONTRACTS_DIR="$ROOT/contracts/target/ink" RUST_LOG=warn "$bin/osiris-indexer"
wait_for indexer curl -sf "$indexer_url/health"
echo "indexer: $indexer_url (database $DATABASE_URL)"

# service NAME TYPE PRICE [API_HASH]: registers acme/NAME with group `default` paid to Charlie at a
# gateway on a free port; API_HASH (the blake2-256 of its proto file) lets replicas of one API find each other.
declare -A gateway_url
service() {
  local name=$1 type=$2 price=$3 api=${4:-}
  gateway_url[$name]="http://127.0.0.1:$(free_port)"
  as_alice service create acme "$name" --name "$name ($type)" --price "$price" --content-hash "$api" \
    --group default --recipient //Charlie --endpoint "${gateway_url[$name]}"
}
text_api=$(b2sum -l 256 "$ROOT/proto/examples/text.proto" | cut -d' ' -f1)
say "Alice registers organization 'acme' and three services, paid to Charlie"
as_alice org create acme --name "Acme compute"
service primes grpc 1000000000     # 1 milli-unit per call
service text jsonrpc 2000000000 "$text_api"
service stats process 3000000000

say "Alice describes primes for the market: the document's hash goes to the registry, its gateway will serve the file"
cat >"$work/primes.json" <<'JSON'
{"description": "Factorizes integers up to 2^64 and tells whether they are prime.", "tags": ["math", "primes"], "docs_url": "https://acme.example/primes", "contact": "mailto:ops@acme.example"}
JSON
as_alice service describe acme primes --file "$work/primes.json"

say "starting the example services and a gateway in front of each"
primes_addr="127.0.0.1:$(free_port)"
text_addr="127.0.0.1:$(free_port)"
start primes-grpc "$bin/primes-grpc" --listen "$primes_addr"
start text-jsonrpc "$bin/text-jsonrpc" --listen "$text_addr"
# gateway NAME TYPE UPSTREAM_KEY=VALUE: writes NAME's gateway config and starts it.
gateway() {
  local name=$1 type=$2 upstream=$3 proto=$4
  cat >"$work/gateway-$name.toml" <<TOML
listen = "${gateway_url[$name]#http://}"
recipient_suri = "//Charlie"
database_url = "$DATABASE_URL"
[service]
org_id = "acme"
service_id = "$name"
group_id = "default"
service_type = "$type"
$upstream
proto_files = ["$ROOT/proto/examples/$proto"]
proto_includes = ["$ROOT/proto"]
${5:-}
TOML
  start "gateway-$name" env RUST_LOG=info,sqlx=warn "$bin/osiris-gateway" --config "$work/gateway-$name.toml"
}
gateway primes grpc "endpoint = \"http://$primes_addr\"" primes.proto "metadata_file = \"$work/primes.json\""
gateway text jsonrpc "endpoint = \"http://$text_addr/\"" text.proto
gateway stats process "command = [\"$bin/stats-process\"]" stats.proto
for name in primes text stats; do
  wait_for "gateway-$name" grep -q "listening on" "$OSIRIS_RUN_DIR/gateway-$name.log"
  echo "gateway $name: ${gateway_url[$name]}"
done

say "the market: the indexer fetched primes' document from its gateway, checked it against the registry's hash, and finds it by a word"
wait_for indexer sh -c "curl -sf '$indexer_url/v1/services/acme/primes' | grep -q '\"status\":\"verified\"'"
curl -sf "$indexer_url/v1/services/acme/primes" | jq -c '.details | {status, description, tags}'
echo "search 'factorize':"
curl -sf "$indexer_url/v1/services?q=factorize" | jq -r '.items[] | "  \(.org_id)/\(.id): \(.details.description)"'

say "balances before"
as_bob account; as_charlie account

say "Bob deposits 1 unit and opens a channel of it to acme's group 'default' (paid to Charlie)"
as_bob key generate --out "$work/bob-payment.key"
channel=$(as_bob channel open --deposit --recipient //Charlie --group default --value 1000000000000 \
  --key-file "$work/bob-payment.key" --expires-in 1000 --json | json_field '["channel_id"]')
as_bob channel show "$channel"
for name in primes text stats; do
  as_bob gateway add "$name" --url "${gateway_url[$name]}" --channel "$channel" --key-file "$work/bob-payment.key"
done
for _ in $(seq 100); do curl -sf "$indexer_url/v1/channels/$channel" >/dev/null && break; sleep 0.1; done

say "Bob calls the services through their gateways, paying each call from the channel"
echo '{"number": 600851475143}' | as_bob call primes Factorize
for n in 97 1001 65536 999999937; do echo "{\"number\": $n}" | as_bob call primes Factorize; done
say "…and in a pipe: the text's word counts, summarized by the stats program"
echo '{"text": "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs! Who wins?", "top": 4}' \
  | as_bob call text Analyze \
  | tee >(cat >&2) \
  | jq -c '{values: [.topWords[].count], percentiles: [50, 90]}' \
  | as_bob call stats Summarize
paid=$(json_field '["amount"]' <"$OSIRIS_CONSUMER_DIR/channel-$channel.json")
expected=$((5 * 1000000000 + 2000000000 + 3000000000))
[ "$paid" = "$expected" ] || die "Bob's channel record says $paid planck signed, expected $expected"
echo "Bob signed $paid planck for 7 calls"

say "Dave knows only the name acme/text: he looks it up and pays from a channel he opens on the way"
as_dave services
as_dave key generate --out "$work/dave-payment.key" >/dev/null
export OSIRIS_PAYMENT_KEY_FILE="$work/dave-payment.key"
if echo '{"text": "hello"}' | as_dave call acme/text Analyze 2>"$work/no-channel.txt"; then
  die "a call without a channel was served"
fi
cat "$work/no-channel.txt"
echo '{"text": "Dave found this service by its name.", "top": 2}' \
  | as_dave call acme/text Analyze --open-channel 100000000000

say "Eve sells the same text API from her organization 'globex'; Dave asks both and compares"
eve_text_addr="127.0.0.1:$(free_port)"
eve_gateway_url="http://127.0.0.1:$(free_port)"
start eve-text-jsonrpc "$bin/text-jsonrpc" --listen "$eve_text_addr"
as_eve org create globex --name "Globex text"
as_eve service create globex text --name "text (jsonrpc)" --price 2000000000 --content-hash "$text_api" \
  --group eve --recipient //Eve --endpoint "$eve_gateway_url"
cat >"$work/gateway-eve.toml" <<TOML
listen = "${eve_gateway_url#http://}"
recipient_suri = "//Eve"
database_url = "$DATABASE_URL"
[service]
org_id = "globex"
service_id = "text"
group_id = "eve"
service_type = "jsonrpc"
endpoint = "http://$eve_text_addr/"
proto_files = ["$ROOT/proto/examples/text.proto"]
proto_includes = ["$ROOT/proto"]
TOML
start gateway-eve env RUST_LOG=info,sqlx=warn "$bin/osiris-gateway" --config "$work/gateway-eve.toml"
wait_for gateway-eve grep -q "listening on" "$OSIRIS_RUN_DIR/gateway-eve.log"
echo '{"text": "Two providers, one answer. One answer!", "top": 2}' \
  | as_dave call acme/text Analyze --replicas 2 --quorum 2 --open-channel 100000000000
unset OSIRIS_PAYMENT_KEY_FILE
expected_dave=$((2 * 2000000000))

say "Eve sells the text API on the internet too: a TLS gateway (her own CA's certificate) giving each consumer she vouches for 2 free calls a day"
if command -v openssl >/dev/null; then
  tls_port=$(free_port)
  tls_url="https://localhost:$tls_port"
  # Eve's CA, and a certificate it issues for localhost (what an ACME client would renew).
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=Eve demo CA" \
    -keyout "$work/eve-ca.key" -out "$work/eve-ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
    -keyout "$work/eve-tls.key" -out "$work/eve-tls.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost\n' >"$work/eve-tls.ext"
  openssl x509 -req -in "$work/eve-tls.csr" -CA "$work/eve-ca.pem" -CAkey "$work/eve-ca.key" -CAcreateserial \
    -days 2 -extfile "$work/eve-tls.ext" -out "$work/eve-tls.pem" 2>/dev/null
  as_eve service create globex text-tls --name "text over TLS (jsonrpc)" --price 2000000000 --content-hash "$text_api" \
    --group eve-tls --recipient //Eve --endpoint "$tls_url"
  cat >"$work/gateway-eve-tls.toml" <<TOML
listen = "127.0.0.1:$tls_port"
public_endpoint = "$tls_url"
recipient_suri = "//Eve"
database_url = "$DATABASE_URL"
[tls]
cert_file = "$work/eve-tls.pem"
key_file = "$work/eve-tls.key"
[free_calls]
per_period = 2
period_secs = 86400
[service]
org_id = "globex"
service_id = "text-tls"
group_id = "eve-tls"
service_type = "jsonrpc"
endpoint = "http://$eve_text_addr/"
proto_files = ["$ROOT/proto/examples/text.proto"]
proto_includes = ["$ROOT/proto"]
TOML
  start gateway-eve-tls env RUST_LOG=info,sqlx=warn "$bin/osiris-gateway" --config "$work/gateway-eve-tls.toml"
  wait_for gateway-eve-tls grep -q "listening on" "$OSIRIS_RUN_DIR/gateway-eve-tls.log"
  grep -o "listening on .*" "$OSIRIS_RUN_DIR/gateway-eve-tls.log" | head -1
  # A payment key costs nothing to make, so Eve's free calls go to keys she vouched for:
  # she signs Dave a token for his key. Dave trusts Eve's CA.
  dave_signer=$(as_dave --json key show --key-file "$work/dave-payment.key" | json_field '["signer_key"]')
  dave_token=$(as_eve free-call token globex/text-tls --consumer-key "$dave_signer" --valid-days 7)
  echo "Eve vouches for Dave's key $dave_signer: token ${dave_token:0:24}…"
  echo "Mallory's fresh key, without a token, gets no free call:"
  as_bob key generate --out "$work/farmer.key" >/dev/null
  echo '{"text": "farming"}' | OSIRIS_CA_FILE="$work/eve-ca.pem" as_dave call globex/text-tls Analyze --free \
    --key-file "$work/farmer.key" --state-dir "$work/farmer" >"$work/farmer.txt" 2>&1 || true
  grep "no free call" "$work/farmer.txt" || die "a fresh key without a token was not told it needs one"
  for n in 1 2 3; do
    echo "{\"text\": \"Free call number $n, over TLS.\", \"top\": 1}" \
      | OSIRIS_CA_FILE="$work/eve-ca.pem" as_dave call globex/text-tls Analyze --free --free-token "$dave_token" \
          --key-file "$work/dave-payment.key" --open-channel 100000000000 2>&1
  done
  grep -q '"outcome":"accepted"\|outcome="accepted"\|outcome=accepted' "$OSIRIS_RUN_DIR/gateway-eve-tls.log" \
    || die "the TLS gateway logged no accepted call"
  echo "the TLS gateway's log of each call (request id, outcome, planck):"
  grep "osiris_gateway::calls" "$OSIRIS_RUN_DIR/gateway-eve-tls.log" | sed 's/^/  /'
else
  echo "openssl not found: skipping the TLS scene"
fi

say "Mallory tries to pay from Bob's channel with her own key: the gateway refuses"
as_bob key generate --out "$work/mallory.key" >/dev/null
if echo '{"number": 10}' | as_bob call "${gateway_url[primes]}" Factorize --channel "$channel" \
     --key-file "$work/mallory.key" --state-dir "$work/mallory" 2>"$work/refused.txt"; then
  die "a call signed by the wrong key was accepted"
fi
cat "$work/refused.txt"

say "Charlie claims everything the gateways accepted"
as_charlie claim
claimed=$(as_charlie escrow balance --json | json_field '["balance"]')
[ "$claimed" = "$((expected + expected_dave))" ] \
  || die "Charlie's escrow balance is $claimed planck, expected $((expected + expected_dave))"

say "Bob goes on calling after the claim (the channel moved to nonce 1)"
echo '{"number": 123456789}' | as_bob call primes Factorize
as_bob channel show "$channel"

say "Bob prepays 200 calls and makes them one after another: the gateway serves them from its share of the authorization, one database write per share of 64 calls rather than one per call"
writes_before=$("$PG_BIN/psql" -qtA "$DATABASE_URL" -c "SELECT version FROM gateway_payments WHERE channel_id = $channel")
echo '{"number": 97}' | as_bob call primes Factorize --prepaid-calls 200 --repeat 200
writes_after=$("$PG_BIN/psql" -qtA "$DATABASE_URL" -c "SELECT version FROM gateway_payments WHERE channel_id = $channel")
echo "the channel's payment row was written $((writes_after - writes_before)) times for 200 calls"
[ $((writes_after - writes_before)) -lt 50 ] || die "prepaid calls were written one by one, not by shares"

say "Alice sells computation on acme's weather data: a job gateway runs the algorithm Dave sends next to the data, under an agreement"
jobs_url="http://127.0.0.1:$(free_port)"
as_alice service create acme jobs --name "jobs (job)" --price 1 --group default --recipient //Alice --endpoint "$jobs_url"
mkdir -p "$work/compute/data" "$work/compute/algorithm"
# Jobs run sandboxed (bubblewrap) as an unprivileged user, who must reach the data and the
# job directories; as a non-root user the gateway can only run jobs as itself.
chmod 711 "$work"
job_user_lines='job_user = "nobody"'
[ "$(id -u)" = 0 ] || job_user_lines=$'job_user = "'"$(id -u)"$'"\njob_allow_unsafe_user = true'
# The provider's data set, and the consumer's algorithm (statistics of its second column).
printf 'day,temperature\n1,12.5\n2,14.0\n3,9.5\n4,16.0\n' >"$work/compute/data/weather.csv"
cat >"$work/compute/algorithm/main.py" <<'PY'
import csv, os, statistics, sys
data, out = sys.argv[1], sys.argv[2]
values = [float(r["temperature"]) for r in csv.DictReader(open(os.path.join(data, "weather.csv")))]
print(f"read {len(values)} rows of weather.csv")
with open(os.path.join(out, "stats.txt"), "w") as f:
    f.write(f"rows={len(values)} mean={statistics.mean(values):.2f} stdev={statistics.stdev(values):.2f}\n")
PY
# The runner gets the algorithm, data and output directories, in a bubblewrap sandbox: an
# empty environment, no network, nothing of the host but /usr; limits are the gateway's.
cat >"$work/gateway-jobs.toml" <<TOML
listen = "${jobs_url#http://}"
recipient_suri = "//Alice"
database_url = "$DATABASE_URL"
[service]
org_id = "acme"
service_id = "jobs"
group_id = "default"
service_type = "job"
job_runner = ["sh", "-c", "exec python3 \"\$1/main.py\" \"\$2\" \"\$3\"", "runner"]
job_data_dir = "$work/compute/data"
job_work_dir = "$work/compute/jobs"
job_time_limit_secs = 60
job_memory_limit_mib = 1024
job_cpu_limit_secs = 60
job_sandbox = "bubblewrap"
$job_user_lines
TOML
start gateway-jobs env RUST_LOG=info,sqlx=warn "$bin/osiris-gateway" --config "$work/gateway-jobs.toml"
wait_for gateway-jobs grep -q "listening on" "$OSIRIS_RUN_DIR/gateway-jobs.log"
compute_template=$(as_alice --json agreement template create --condition lock:50 --condition input:100 \
  --condition access:150 --condition release:200 | json_field '["template_id"]')
as_alice agreement template whitelist "$compute_template"
compute_offer=$(as_alice --json agreement offer create acme jobs --template "$compute_template" --price 5000000000000 \
  | json_field '["offer_id"]')
# Dave binds his payment key to his account first: Alice can only create agreements that
# name the key Dave's own transaction bound, never one she made up.
as_dave agreement bind-key --key-file "$work/dave-payment.key"
signed=$(as_dave --json agreement sign --offer "$compute_offer" --key-file "$work/dave-payment.key" --params "data=weather.csv")
agreement=$(json_field '["agreement_id"]' <<<"$signed")
as_alice agreement create --offer "$compute_offer" --id "$agreement" --params "data=weather.csv" \
  --consumer "$(json_field '["consumer"]' <<<"$signed")" --consumer-key "$(json_field '["consumer_key"]' <<<"$signed")" \
  --signature "$(json_field '["signature"]' <<<"$signed")"
as_dave agreement lock "$agreement"
wait_for indexer sh -c "curl -sf '$indexer_url/v1/agreements/$agreement' | grep -q '\"locked\":\"5000000000000\"'"
dave_job() { as_dave job "$1" acme/jobs --agreement "$agreement" --key-file "$work/dave-payment.key" "${@:2}"; }
# Dave signs his files' hash on chain and uploads them; the gateway agrees the input, runs the job.
(cd "$work/compute/algorithm" && dave_job start --files main.py)
dave_job logs
dave_job status
# The outputs, checked against the result hash the gateway registered on chain for Dave.
dave_job fetch --out "$work/compute/outputs"
cat "$work/compute/outputs/stats.txt"
grep -q "rows=4 mean=13.00" "$work/compute/outputs/stats.txt" || die "the job's outputs are not the statistics of the data"
as_alice agreement release "$agreement"
as_dave --json agreement show "$agreement" | json_field '["state"]'
paid_alice=$(as_alice --json agreement balance | json_field '["balance"]')
[ "$paid_alice" = 5000000000000 ] || die "Alice holds $paid_alice planck in the agreements contract, expected 5000000000000"

say "Charlie (now a member of acme) sells metered access to primes: Dave locks 10 calls' worth, pays each call with a signed metering record, and Charlie settles exactly what was used"
as_alice org add-members acme //Charlie
metered_template=$(as_alice --json agreement template create --condition lock:100 --condition release:500 \
  | json_field '["template_id"]')
as_alice agreement template whitelist "$metered_template"
metered_offer=$(as_charlie --json agreement offer create acme primes --template "$metered_template" \
  --price 10000000000 --unit call --price-per-unit 1000000000 | json_field '["offer_id"]')
metered=$(as_dave --json agreement create --offer "$metered_offer" --key-file "$work/dave-payment.key" \
  | json_field '["agreement_id"]')
as_dave agreement lock "$metered"
wait_for indexer sh -c "curl -sf '$indexer_url/v1/agreements/$metered' | grep -q '\"locked\":\"10000000000\"'"
for number in 91 97 1001; do
  echo "{\"number\": $number}" | as_dave call acme/primes Factorize --agreement "$metered" --key-file "$work/dave-payment.key"
done
as_charlie agreement settle --from-gateways
as_charlie agreement release "$metered"
metered_paid=$(as_dave --json agreement show "$metered" | json_field '["paid"]')
[ "$metered_paid" = 3000000000 ] || die "Charlie was paid $metered_paid planck for 3 metered calls, expected 3000000000"
echo "Charlie was paid $metered_paid planck for 3 metered calls; the rest of the lock went back to Dave"

say "A second agreement whose provider never delivers: after the deadline Dave takes his payment back"
late_template=$(as_alice --json agreement template create --condition lock:3 --condition access:6 --condition release:8 \
  | json_field '["template_id"]')
as_alice agreement template whitelist "$late_template"
late_offer=$(as_alice --json agreement offer create acme jobs --template "$late_template" --price 1000000000000 \
  | json_field '["offer_id"]')
late=$(as_dave --json agreement create --offer "$late_offer" --key-file "$work/dave-payment.key" | json_field '["agreement_id"]')
as_dave agreement lock "$late"
if as_dave agreement refund "$late" 2>"$work/early.txt"; then die "a refund before the deadline was accepted"; fi
cat "$work/early.txt"
# The dev chain seals a block per transaction: a few transfers let the access deadline pass.
for _ in $(seq 7); do as_alice escrow deposit 1 >/dev/null; done
as_dave agreement refund "$late"
as_dave agreement balance

say "Storage sold by the block: Ferdie and Charlie run ddc nodes (an object store behind a gateway in bucket mode) and trust Alice, their cluster's manager"
as_ferdie() { OSIRIS_SURI=//Ferdie osiris "$@"; }
# Eve finds her bucket's nodes through the indexer.
as_eve_storage() { OSIRIS_SURI=//Eve OSIRIS_INDEXER_URL="$indexer_url" osiris "$@"; }
declare -A node_id node_url
for provider in Ferdie Charlie; do
  node_url[$provider]="http://127.0.0.1:$(free_port)"
  node_id[$provider]=$(OSIRIS_SURI="//$provider" osiris --json node create --capacity 100 \
    --rent-per-vnode 1000000000 --endpoint "${node_url[$provider]}" | json_field '["node_id"]')
  OSIRIS_SURI="//$provider" osiris node trust //Alice
  store_addr="127.0.0.1:$(free_port)"
  mkdir -p "$work/objects-$provider"
  start "object-store-$provider" "$bin/object-store" --listen "$store_addr" --dir "$work/objects-$provider"
  cat >"$work/gateway-node-$provider.toml" <<TOML
listen = "${node_url[$provider]#http://}"
recipient_suri = "//$provider"
database_url = "$DATABASE_URL"
[bucket_node]
node_id = ${node_id[$provider]}
repair_interval_ms = 1000
[service]
service_type = "grpc"
endpoint = "http://$store_addr"
TOML
  start "gateway-node-$provider" env RUST_LOG=info,sqlx=warn "$bin/osiris-gateway" --config "$work/gateway-node-$provider.toml"
done
for provider in Ferdie Charlie; do
  wait_for "gateway-node-$provider" grep -q "listening on" "$OSIRIS_RUN_DIR/gateway-node-$provider.log"
  echo "$provider's node ${node_id[$provider]}: ${node_url[$provider]}"
done
f=${node_id[Ferdie]}; c=${node_id[Charlie]}
cluster=$(as_alice --json cluster create --vnodes "$f,$c,$f,$c" --resource-per-vnode 10 --manager-fee-bp 1000 \
  | json_field '["cluster_id"]')
as_alice cluster show "$cluster"

say "Eve rents a bucket of 8 units in the cluster, deposits 1 unit for its rent and stores a file with 2 replicas"
bucket=$(as_eve --json bucket create --cluster "$cluster" --metadata '{"name":"eve-docs"}' | json_field '["bucket_id"]')
as_eve ddc-account deposit 1000000000000
as_eve bucket alloc "$bucket" 8
as_eve bucket grant "$bucket" //Bob reader
head -c 300000 /dev/urandom >"$work/eve-data.bin"
as_eve_storage object put "$bucket" reports/2026.bin "$work/eve-data.bin" --dry-run
as_eve_storage object put "$bucket" reports/2026.bin "$work/eve-data.bin"
as_eve_storage object put "$bucket" README.md "$ROOT/README.md"
as_eve_storage object ls "$bucket"
as_eve_storage object get "$bucket" reports/2026.bin --out "$work/eve-data.back"
cmp "$work/eve-data.bin" "$work/eve-data.back" && echo "the file read back is identical"
echo "Bob, a reader, reads; his write is refused:"
OSIRIS_SURI=//Bob OSIRIS_INDEXER_URL="$indexer_url" osiris object get "$bucket" README.md --out "$work/bob-readme.md"
if echo "hi" | OSIRIS_SURI=//Bob OSIRIS_INDEXER_URL="$indexer_url" osiris object put "$bucket" bob.txt - 2>"$work/bob-put.err"; then
  die "a reader's write was accepted"
fi
cat "$work/bob-put.err"

say "Eve stores her diary encrypted for herself and Bob: the nodes hold only ciphertext; Bob decrypts, Dave (granted read) cannot"
as_eve bucket grant "$bucket" //Dave reader
printf 'Dear diary: the vault code is 0451.\n%.0s' $(seq 2000) >"$work/diary.txt"
as_eve_storage object put "$bucket" diary.txt "$work/diary.txt" --encrypt --recipient //Bob
if grep -rqa "vault code" "$work/objects-Ferdie" "$work/objects-Charlie"; then die "a node's disk holds the diary's plaintext"; fi
echo "no node's disk holds a byte of the diary's plaintext"
OSIRIS_SURI=//Bob OSIRIS_INDEXER_URL="$indexer_url" osiris object get "$bucket" diary.txt --out "$work/bob-diary.txt"
cmp "$work/diary.txt" "$work/bob-diary.txt" && echo "Bob's copy is the diary"
if OSIRIS_SURI=//Dave OSIRIS_INDEXER_URL="$indexer_url" osiris object get "$bucket" diary.txt --out "$work/dave-diary.txt" 2>"$work/dave-get.err"; then
  die "Dave opened a diary not encrypted for him"
fi
cat "$work/dave-get.err"

say "Ferdie's disk loses the bucket: his node's repair copies every object back from Charlie's replica"
rm -rf "$work/objects-Ferdie/$bucket"
repaired=false
for _ in $(seq 100); do
  if [ "$(ls "$work/objects-Ferdie/$bucket" 2>/dev/null | wc -l)" -eq "$(ls "$work/objects-Charlie/$bucket" | wc -l)" ]; then
    repaired=true; break
  fi
  sleep 0.2
done
$repaired || die "Ferdie's node did not repair the bucket"
as_alice cluster repair-status "$cluster"
as_eve_storage object get "$bucket" reports/2026.bin --out "$work/eve-data.repaired"
cmp "$work/eve-data.bin" "$work/eve-data.repaired" && echo "the repaired replicas read back identical"

say "Alice runs the cluster's keeper: it measures Eve's bucket from what both nodes agree they hold (one unit = 32 KiB here), raises her allocation, settles her rent, pays the providers and audits both nodes, with nobody calling"
cat >"$work/keeper.toml" <<TOML
manager_suri = "//Alice"
bytes_per_unit = 32768
settle_every_blocks = 1
TOML
bucket_line() {
  as_alice --json bucket show "$bucket" | python3 -c 'import json,sys; b=json.load(sys.stdin); print("bucket %s: %s units allocated, rent settled until block %s" % (b["bucket_id"], b["resource"], b["settled_until"]))'
}
bucket_line
"$bin/osiris-keeper" --config "$work/keeper.toml" --once
bucket_line
echo "a byte of reports/2026.bin rots on Charlie's disk; the keeper's next pass (auditing every object this time) catches it:"
python3 - "$work/objects-Charlie/$bucket/$(python3 -c 'print(b"reports/2026.bin".hex())')" <<'PY'
import sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
data[4242] ^= 0x01
open(path, "wb").write(data)
PY
echo "audit_all_objects = true" >>"$work/keeper.toml"
"$bin/osiris-keeper" --config "$work/keeper.toml" --once
as_alice node audits "${node_id[Charlie]}" --limit 5

say "Charlie's node goes down: Eve's read falls back to Ferdie's replica"
pkill -f "gateway-node-Charlie.toml" || true
sleep 0.5
as_eve_storage object get "$bucket" reports/2026.bin --out "$work/eve-data.again"
cmp "$work/eve-data.bin" "$work/eve-data.again" && echo "still identical, from the surviving replica"
echo "what each node counted for the bucket (bytes stored, in, out):"
sleep 1.5
as_alice bucket usage "$bucket" | sed 's/^/  /'

say "Rent is settled (twice: the second pays only the blocks since) and distributed: 1 % network fee to Alice (the deployer), 10 % manager fee to Alice, the rest by vnode"
as_alice bucket settle "$bucket"
as_alice bucket settle "$bucket"
as_alice cluster distribute "$cluster"
for who in //Eve //Ferdie //Charlie //Alice; do as_alice ddc-account show "$who"; done

say "balances after"
as_bob account; as_charlie account

say "the market's figures, from facts only (channels, claims, agreements on chain; the indexer's own health probes)"
sleep 2.5  # one more reputation pass after the last claims
curl -sf "$indexer_url/v1/services?sort=consumers&limit=3" \
  | jq -r '.items[] | "  \(.org_id)/\(.id): \(.reputation.consumers) consumers, \(.reputation.channels) channels, \(.reputation.claimed) planck claimed, uptime \(if .reputation.uptime_24h then (.reputation.uptime_24h * 10 | round / 10) else "?" end) % (probes since before its gateway started)"'
echo "(acme's three services share the group 'default' paid to Charlie, and so its channels: a channel is opened to a (recipient, group) pair)"
say "demo complete: Charlie earned $claimed planck for 9 calls through 3 gateways and $metered_paid planck for 3 metered calls; Alice $paid_alice planck for a compute job her gateway ran; Dave got his undelivered job's payment back; Eve's file lives on two ddc nodes whose providers were paid its rent"

say "the market's web page: the indexer serves it beside its API, with the chain and contract ABIs a page signs with"
curl -sf "$indexer_url/" | grep -o '<title>[^<]*</title>'
curl -sf "$indexer_url/v1/network" | jq -c '{node_url, escrow}'
curl -sf -H 'Accept-Encoding: gzip' -o /dev/null -w '  escrow contract metadata: %{size_download} bytes gzip\n' \
  "$indexer_url/contracts/osiris_escrow/osiris_escrow.json"
echo "market: $indexer_url/ (browse without a wallet; on this dev chain pick a dev account: Bob and Dave buy, Charlie is paid for acme's services)"
if $keep; then
  say "the stack stays up for you (--keep): open $indexer_url/ in a browser; Ctrl-C ends it all"
  trap 'exit 0' INT TERM
  while sleep 3600; do :; done
fi
