#!/usr/bin/env bash
# Instruction counts (callgrind) of tokenising, decoding and translating the generated feed
# of benches/common/feed.rs, one pass each: repeatable whatever else the machine runs.
# Needs valgrind. Prints one line per phase and the ratios to tokenising.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --bench translate_ir --no-run 2>/dev/null
bin=$(ls -t target/release/deps/translate_ir-* | grep -v '\.d$' | head -n 1)
out=$(mktemp -d)
declare -A ir
for phase in phase_tokenise phase_atom_decode phase_atom_to_as2; do
  valgrind --tool=callgrind --collect-atstart=no --toggle-collect="*$phase*" \
    --callgrind-out-file="$out/$phase.out" "$bin" >/dev/null 2>"$out/$phase.log"
  ir[$phase]=$(grep -m1 '^summary:' "$out/$phase.out" | awk '{print $2}')
  echo "$phase: ${ir[$phase]} instructions"
done
tok=${ir[phase_tokenise]}
for phase in phase_atom_decode phase_atom_to_as2; do
  awk -v a="${ir[$phase]}" -v b="$tok" -v p="$phase" 'BEGIN { printf "%s / tokenise: %.2fx\n", p, a / b }'
done
rm -rf "$out"
