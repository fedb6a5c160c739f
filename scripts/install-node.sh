#!/usr/bin/env bash
# Installs substrate-contracts-node $CONTRACTS_NODE_VERSION (the dev chain) unless it is
# already there at that version. First from the project's prebuilt release archive
# (Linux x86-64: substrate-contracts-node-linux.tar.gz, macOS: -mac-universal.tar.gz, as
# its release workflow publishes them), checked against the SHA-256 pinned below and then
# with `--version`; if that fails, it says why and builds from source with cargo (about 75
# minutes on 2 cores).
#
# Environment:
#   OSIRIS_NODE_ARCHIVE_URL   the archive to download instead of the release's (any URL curl takes)
#   OSIRIS_NODE_ARCHIVE_SHA256  its SHA-256 (hex); required with OSIRIS_NODE_ARCHIVE_URL
#   OSIRIS_INSTALL_DIR        where to put the binary (default: cargo's bin directory)
#   OSIRIS_NODE_NO_SOURCE_BUILD=1  fail instead of building from source when the archive fails
set -euo pipefail
. "$(dirname "$0")/lib.sh"

bin_dir=${OSIRIS_INSTALL_DIR:-${CARGO_HOME:-$HOME/.cargo}/bin}
node="$bin_dir/substrate-contracts-node"
mkdir -p "$bin_dir"
has_version() { "$1" --version 2>/dev/null | grep -q " $CONTRACTS_NODE_VERSION"; }
if has_version "$node"; then
  exit 0
fi

release="https://github.com/paritytech/substrate-contracts-node/releases/download/v$CONTRACTS_NODE_VERSION"
# The release archives' SHA-256, pinned: a download that differs (a tampered mirror, a
# replaced release asset) is refused before anything in it runs. The Linux digest is the one
# Nix derivations of this release pin; no digest of the macOS archive is known to us, so
# macOS builds from source unless OSIRIS_NODE_ARCHIVE_SHA256 names one.
LINUX_ARCHIVE_SHA256=a631b4e83dd05e4beaccbd770be709ac41914183d443116c2e4d244161590265
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) default_url="$release/substrate-contracts-node-linux.tar.gz" default_sha256=$LINUX_ARCHIVE_SHA256 ;;
  Darwin-*) default_url="$release/substrate-contracts-node-mac-universal.tar.gz" default_sha256="" ;;
  *) default_url="" default_sha256="" ;;
esac
if [ -n "${OSIRIS_NODE_ARCHIVE_URL:-}" ]; then
  url=$OSIRIS_NODE_ARCHIVE_URL
  sha256=${OSIRIS_NODE_ARCHIVE_SHA256:-}
else
  url=$default_url
  sha256=${OSIRIS_NODE_ARCHIVE_SHA256:-$default_sha256}
fi

# sha256_of FILE: its SHA-256 in lower-case hex (GNU coreutils or macOS shasum).
sha256_of() {
  if command -v sha256sum >/dev/null; then sha256sum "$1"; else shasum -a 256 "$1"; fi | cut -d' ' -f1
}

# install_from DIR: downloads $url into DIR, checks it and installs its node; prints why not on failure.
install_from() {
  local tmp=$1
  curl -fsSL --connect-timeout 10 --max-time 600 -o "$tmp/node.tar.gz" "$url" 2>"$tmp/curl.err" \
    || { echo "downloading $url failed: $(tail -n1 "$tmp/curl.err")"; return 1; }
  [ -n "$sha256" ] || { echo "no SHA-256 is pinned for $url (set OSIRIS_NODE_ARCHIVE_SHA256)"; return 1; }
  local actual
  actual=$(sha256_of "$tmp/node.tar.gz")
  [ "$actual" = "$(echo "$sha256" | tr 'A-F' 'a-f')" ] \
    || { echo "$url has SHA-256 $actual, not the pinned $sha256: refused"; return 1; }
  tar -xzf "$tmp/node.tar.gz" -C "$tmp" 2>"$tmp/tar.err" \
    || { echo "$url is not a .tar.gz archive: $(tail -n1 "$tmp/tar.err")"; return 1; }
  local found
  found=$(find "$tmp" -type f -name substrate-contracts-node | head -n1)
  [ -n "$found" ] || { echo "$url holds no substrate-contracts-node executable"; return 1; }
  chmod +x "$found"
  has_version "$found" \
    || { echo "the archive's node reports '$("$found" --version 2>&1 | head -n1)', not $CONTRACTS_NODE_VERSION"; return 1; }
  install -m 0755 "$found" "$node"
}

# download_archive: installs from $url in a temporary directory, which is removed whatever
# happens (no trap: it must not depend on which function returns last).
download_archive() {
  [ -n "$url" ] || { echo "no prebuilt archive for $(uname -s) $(uname -m)"; return 1; }
  local tmp status=0
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/osiris-node.XXXXXX")
  install_from "$tmp" || status=$?
  rm -rf "$tmp"
  return "$status"
}

say "installing substrate-contracts-node $CONTRACTS_NODE_VERSION from ${url:-(no archive)}"
started=$SECONDS
if why=$(download_archive); then
  say "installed $node from the release archive in $((SECONDS - started)) s"
  exit 0
fi
say "the prebuilt archive did not work: $why"
[ "${OSIRIS_NODE_NO_SOURCE_BUILD:-}" != 1 ] || die "not building from source (OSIRIS_NODE_NO_SOURCE_BUILD=1)"

say "building substrate-contracts-node $CONTRACTS_NODE_VERSION from source instead: about 75 minutes on 2 cores"
registry_src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/index.crates.io-* 2>/dev/null | head -n1)
registry_src=${registry_src:-${CARGO_HOME:-$HOME/.cargo}/registry/src/index.crates.io-1949cf8c6b5b557f}
# The runtime's Wasm builder must use the crate's own Cargo.lock, and Rust 1.86 for the runtime Wasm
# (../shared/TOOLCHAIN.md, "Building contracts-node from crates.io").
(cd / && WASM_BUILD_WORKSPACE_HINT="$registry_src/contracts-node-$CONTRACTS_NODE_VERSION" \
   WASM_BUILD_TOOLCHAIN="$CONTRACTS_RUST" \
   cargo install contracts-node --version "$CONTRACTS_NODE_VERSION" --locked --force --root "$(dirname "$bin_dir")")
