#!/usr/bin/env bash
# Sets up what is missing, then runs every test: the contracts' ink! unit tests,
# the workspace's unit tests, and the end-to-end tests (each on its own dev chain
# and its own PostgreSQL database; DATABASE_URL's server if set, else one private cluster
# for the run). The workspace's tests run under cargo-nextest: every test is a process of
# its own and as many run at once as there are cores, across test binaries (cargo test
# runs the binaries one after another, and most hold one end-to-end story).
# Extra arguments go to `cargo nextest run` of the workspace (e.g. a test name filter).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
started=$SECONDS

"$ROOT/scripts/setup.sh" --background

say "import circles between modules; the README's security table is tests/attacks.toml"
python3 "$ROOT/scripts/module-cycles.py"
python3 "$ROOT/scripts/attacks.py" check "$ROOT/README.md"

say "contract unit tests (ink!, Rust $CONTRACTS_RUST)"
contract_log=$(mktemp "${TMPDIR:-/tmp}/osiris-contract-tests.XXXXXX")
# Each test's line is kept for the attack table; only the rest is shown.
(cd "$ROOT/contracts" && unset CARGO_TARGET_DIR RUSTUP_TOOLCHAIN && cargo test 2>&1) | tee "$contract_log" \
  | { grep -v -e '^test .* \.\.\. ok$' -e '^$' -e '^running [0-9]* tests$' || true; }

# Compiled before the contracts, so that a cargo-contract build started by set-up overlaps it.
say "building the workspace's tests"
(cd "$ROOT" && cargo nextest run --workspace --no-run "$@")

say "building the contracts"
"$ROOT/scripts/build-contracts.sh"
# The market's browser test (tests/tests/market_web.rs) serves web/dist.
"$ROOT/scripts/build-web.sh"

if [ -n "${DATABASE_URL:-}" ]; then
  export OSIRIS_TEST_DATABASE_URL=$DATABASE_URL
  unset DATABASE_URL
else
  # One server for every test process (each test still gets a database of its own). Its
  # URL goes in OSIRIS_TEST_DATABASE_URL, not DATABASE_URL, which the programs under test
  # read and would then prefer to their test's database.
  export OSIRIS_RUN_DIR=${OSIRIS_RUN_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/osiris-test-run.XXXXXX")}
  OSIRIS_TEST_DATABASE_URL=$("$ROOT/scripts/dev-db.sh" start)
  export OSIRIS_TEST_DATABASE_URL
  trap '"$ROOT/scripts/dev-db.sh" stop; rm -rf "$OSIRIS_RUN_DIR"' EXIT
fi

say "workspace tests: unit and end-to-end (cargo-nextest)"
status=0
(cd "$ROOT" && cargo nextest run --workspace --no-fail-fast "$@") || status=$?
if [ $# -eq 0 ]; then
  say "the attack suite: each attack's tests ran and passed"
  # The store is the workspace's target/nextest (.config/nextest.toml), whatever CARGO_TARGET_DIR says.
  python3 "$ROOT/scripts/attacks.py" table "$ROOT/target/nextest/default/junit.xml" "$contract_log" || status=1
fi
rm -f "$contract_log"
[ "$status" -eq 0 ] || exit "$status"
say "documentation tests"
(cd "$ROOT" && cargo test --workspace --doc --quiet)

say "all tests passed in $((SECONDS - started)) s"
