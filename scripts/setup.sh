#!/usr/bin/env bash
# Installs what Osiris needs, skipping whatever is already there at the pinned version:
# Debian packages, Rust 1.86.0 for the contracts, cargo-contract 5.0.3 (built from source:
# it publishes no official prebuilt binary) and substrate-contracts-node 0.42.0 (from its
# release archive, see install-node.sh). Safe to run again and again.
#   setup.sh                everything, in the foreground
#   setup.sh --background   starts the cargo-contract build in the background and returns;
#                           scripts/build-contracts.sh waits for it (demo.sh and test.sh
#                           build the workspace meanwhile)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
background=false
case "${1:-}" in
  --background) background=true ;;
  "") ;;
  *) die "usage: $0 [--background]" ;;
esac

# --- Debian packages ---
# bubblewrap: the sandbox a job gateway runs consumers' code in. chromium: the browser the
# market's web test drives (Playwright cannot download its own here). nodejs/npm build the
# market's web application when the machine has no Node.js of its own.
packages=(protobuf-compiler clang libclang-dev postgresql zstd curl python3 bubblewrap chromium)
command -v npm >/dev/null || packages+=(nodejs npm)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# docker-compose only parses docker-compose.yml for a test (`docker-compose config`): without
# its recommended Docker engine, which is neither installed nor needed.
if ! dpkg -s docker-compose >/dev/null 2>&1; then
  say "installing docker-compose (to check docker-compose.yml; no Docker engine)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose >/dev/null
fi

# --- Rust for the contracts ---
command -v rustup >/dev/null || die "rustup is required (https://rustup.rs)"
if ! rustup toolchain list | grep -q "^$CONTRACTS_RUST"; then
  say "installing Rust $CONTRACTS_RUST for the contracts (about a minute)"
  rustup toolchain install "$CONTRACTS_RUST" --profile minimal >/dev/null
fi
installed=$(rustup component list --toolchain "$CONTRACTS_RUST" --installed)
for c in rust-src clippy rustfmt; do
  grep -q "^$c" <<<"$installed" || rustup component add "$c" --toolchain "$CONTRACTS_RUST" >/dev/null
done
rustup target list --toolchain "$CONTRACTS_RUST" --installed | grep -q wasm32-unknown-unknown \
  || rustup target add wasm32-unknown-unknown --toolchain "$CONTRACTS_RUST" >/dev/null

# Cargo installs run from / so that contracts/rust-toolchain.toml does not apply to them.
cargo_bin=${CARGO_HOME:-$HOME/.cargo}/bin
export PATH="$cargo_bin:$PATH"

# --- cargo-contract: built from source (in the background with --background) ---
if $background; then
  "$ROOT/scripts/install-cargo-contract.sh" start
else
  "$ROOT/scripts/install-cargo-contract.sh"
fi

# --- cargo-nextest, the test runner: a checked prebuilt copy (seconds), else from source ---
"$ROOT/scripts/install-nextest.sh"

# --- the dev chain: the release archive (seconds), else from source (about 75 minutes) ---
substrate-contracts-node --version 2>/dev/null | grep -q " $CONTRACTS_NODE_VERSION" || "$ROOT/scripts/install-node.sh"

[ -x "$PG_BIN/initdb" ] || die "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin"
if cargo-contract --version 2>/dev/null | grep -q " $CARGO_CONTRACT_VERSION"; then
  tools="cargo-contract $CARGO_CONTRACT_VERSION"
else
  tools="cargo-contract $CARGO_CONTRACT_VERSION (building in the background)"
fi
say "set-up complete: $tools, substrate-contracts-node $CONTRACTS_NODE_VERSION, Rust $CONTRACTS_RUST, PostgreSQL in $PG_BIN"
