#!/usr/bin/env bash
# Builds the market's web application into web/dist (the indexer serves it at `/`),
# installing its Node packages from the committed lock file first (`npm ci`) when they are
# missing or older than the lock file. The protobuf types in web/src/gen are committed;
# `npm run generate` (buf) remakes them from proto/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
command -v npm >/dev/null \
  || die "Node.js and npm are needed to build the market's web application (scripts/setup.sh installs them)"
cd "$ROOT/web"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing the web application's packages (npm ci, from web/package-lock.json)"
  npm ci --no-audit --no-fund --loglevel=error
fi
say "building the market's web application (type check, then web/dist)"
npm run --silent build >/dev/null
