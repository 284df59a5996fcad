#!/usr/bin/env bash
# Seeds each fuzz target's corpus from the fixtures (run from the repository root or fuzz/).
set -euo pipefail
cd "$(dirname "$0")"
fx=../fixtures
mkdir -p corpus/atom_decode corpus/pump_decode corpus/as2_decode corpus/feed_decode
find "$fx" -name '*.xml' -o -name '*.atom' | while read -r f; do cp "$f" "corpus/atom_decode/$(basename "$f")"; done
find "$fx" -name '*.as.json' -o -path '*/pump/*.json' | while read -r f; do cp "$f" "corpus/pump_decode/$(basename "$f")"; done
find "$fx" -name '*.as2.json' -o -path '*/as2/*.json' -o -name 'mastodon-post-activity.json' | while read -r f; do cp "$f" "corpus/as2_decode/$(basename "$f")"; done
find "$fx" \( -path "*/feeds/*" -o -name "*.atom" \) -type f | while read -r f; do cp "$f" "corpus/feed_decode/$(basename "$f")"; done
for d in corpus/*; do echo "$d: $(ls "$d" | wc -l) seeds"; done
