#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 300) each, two at a time, after seeding the
# corpora from fixtures/. Needs cargo-fuzz (`cargo install cargo-fuzz`); the stable toolchain
# is used with RUSTC_BOOTSTRAP=1 for the sanitizer flags. Crashes land in fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-300}
./seed.sh
export RUSTC_BOOTSTRAP=1
targets=(atom_decode pump_decode as2_decode feed_decode)
for t in "${targets[@]}"; do cargo fuzz build -O "$t"; done
run() { cargo fuzz run -O "$1" "corpus/$1" -- -max_total_time="$secs" -rss_limit_mb=2048 -max_len=262144 2>&1 | tail -n 5 | sed "s/^/[$1] /"; }
run "${targets[0]}" & run "${targets[1]}" & wait
run "${targets[2]}" & run "${targets[3]}" & wait
