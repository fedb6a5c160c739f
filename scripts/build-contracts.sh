#!/usr/bin/env bash
# Builds the contracts to optimized Wasm with cargo-contract (Rust 1.86 via contracts/rust-toolchain.toml)
# and prints each one's size. Artifacts: contracts/target/ink/osiris_<name>/osiris_<name>.{wasm,json,contract}
set -euo pipefail
. "$(dirname "$0")/lib.sh"
"$ROOT/scripts/install-cargo-contract.sh" wait
cd "$ROOT/contracts"
unset CARGO_TARGET_DIR RUSTUP_TOOLCHAIN
for c in registry escrow agreements ddc; do
  cargo contract build --release --quiet --manifest-path "$c/Cargo.toml" 2> >(grep -v "the \`name\` field in the \`\[lib\]\` section" >&2)
  printf '%-9s %6d bytes optimized Wasm\n' "$c" "$(stat -c %s "target/ink/osiris_$c/osiris_$c.wasm")"
done
