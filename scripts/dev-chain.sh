#!/usr/bin/env bash
# A throw-away dev chain: substrate-contracts-node --dev on a fresh temporary base path.
#
#   scripts/dev-chain.sh start [PORT]   start in the background (PORT default: $OSIRIS_CHAIN_PORT or 9944),
#                                       wait until RPC answers, print the ws:// URL
#   scripts/dev-chain.sh stop           stop it and delete its chain data
#
# State lives in $OSIRIS_RUN_DIR (default .osiris/run): chain.pid, chain.dir, chain.log.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
run_dir=${OSIRIS_RUN_DIR:-$ROOT/.osiris/run}
mkdir -p "$run_dir"

case "${1:-}" in
  start)
    port=${2:-${OSIRIS_CHAIN_PORT:-9944}}
    if [ -f "$run_dir/chain.pid" ] && kill -0 "$(cat "$run_dir/chain.pid")" 2>/dev/null; then
      die "a dev chain is already running (pid $(cat "$run_dir/chain.pid")); run '$0 stop' first"
    fi
    base=$(mktemp -d "${TMPDIR:-/tmp}/osiris-chain.XXXXXX")
    echo "$base" >"$run_dir/chain.dir"
    # Free ports for p2p so that several dev chains can run side by side; no Prometheus, no telemetry.
    substrate-contracts-node --dev --base-path "$base" --rpc-port "$port" --port "$(free_port)" \
      --no-prometheus --no-telemetry --no-mdns >"$run_dir/chain.log" 2>&1 &
    echo $! >"$run_dir/chain.pid"
    wait_for_rpc "$port" 60 || { tail -n 20 "$run_dir/chain.log" >&2; "$0" stop; die "the dev chain did not answer on port $port"; }
    echo "ws://127.0.0.1:$port"
    ;;
  stop)
    stop_pidfile "$run_dir/chain.pid"
    if [ -f "$run_dir/chain.dir" ]; then rm -rf "$(cat "$run_dir/chain.dir")"; rm -f "$run_dir/chain.dir"; fi
    ;;
  *) echo "usage: $0 start [PORT] | stop" >&2; exit 2 ;;
esac
