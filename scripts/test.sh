#!/usr/bin/env bash
# Sets up what is missing, then runs every test: the contracts' ink! unit tests,
# the workspace's unit tests, and the end-to-end tests (each on its own dev chain
# and its own PostgreSQL database; DATABASE_URL's server if set, else a private cluster).
# Extra arguments go to `cargo test` of the workspace (e.g. a test name filter).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
started=$SECONDS

"$ROOT/scripts/setup.sh" --background

say "import circles between modules"
python3 "$ROOT/scripts/module-cycles.py"

say "contract unit tests (ink!, Rust $CONTRACTS_RUST)"
(cd "$ROOT/contracts" && unset CARGO_TARGET_DIR RUSTUP_TOOLCHAIN && cargo test --quiet)

# Compiled before the contracts, so that a cargo-contract build started by set-up overlaps it.
say "building the workspace's tests"
(cd "$ROOT" && cargo test --workspace --no-run --quiet "$@")

say "building the contracts"
"$ROOT/scripts/build-contracts.sh"

say "workspace tests: unit and end-to-end"
(cd "$ROOT" && cargo test --workspace "$@")

say "all tests passed in $((SECONDS - started)) s"
