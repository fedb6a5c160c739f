#!/usr/bin/env bash
# Installs cargo-contract (the pinned version) from source: it publishes no official
# prebuilt binary, and the build takes about 30 minutes on 2 cores, so the scripts start it
# in the background first and overlap it with the workspace build.
#   install-cargo-contract.sh          build now, in the foreground
#   install-cargo-contract.sh start    start the build in the background and return at once
#                                      (log and pid under $OSIRIS_CACHE_DIR, default ~/.cache/osiris)
#   install-cargo-contract.sh wait     wait for a background build to end, then check the version
# Every mode returns at once when the pinned version is installed already.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

cache=${OSIRIS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/osiris}
pidfile=$cache/cargo-contract-build.pid
log=$cache/cargo-contract-build.log

installed() { cargo-contract --version 2>/dev/null | grep -q " $CARGO_CONTRACT_VERSION"; }
running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
# From / so that contracts/rust-toolchain.toml does not apply to the build.
build() { cd / && cargo install cargo-contract --version "$CARGO_CONTRACT_VERSION" --locked --force; }

installed && exit 0
case "${1:-now}" in
  start)
    if running; then
      say "the cargo-contract build is already running (log: $log)"
      exit 0
    fi
    mkdir -p "$cache"
    # The pid file goes when the build ends, so a later pid reuse cannot look like a build.
    ( rc=0; build || rc=$?; rm -f "$pidfile"; exit $rc ) >"$log" 2>&1 </dev/null &
    echo $! >"$pidfile"
    say "building cargo-contract $CARGO_CONTRACT_VERSION in the background, about 30 minutes on 2 cores (log: $log)"
    ;;
  wait)
    if running; then
      say "waiting for the cargo-contract $CARGO_CONTRACT_VERSION build (log: $log)"
      while running; do sleep 1; done
    fi
    if ! installed; then
      [ -f "$log" ] && tail -n 20 "$log" >&2
      die "cargo-contract $CARGO_CONTRACT_VERSION is not installed (see the build log above, or run scripts/setup.sh)"
    fi
    ;;
  now)
    if running; then exec "$0" wait; fi
    say "building cargo-contract $CARGO_CONTRACT_VERSION from source: about 30 minutes on 2 cores"
    build
    ;;
  *) die "usage: $0 [start|wait]" ;;
esac
