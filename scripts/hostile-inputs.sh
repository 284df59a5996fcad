#!/usr/bin/env bash
# Feeds hostile inputs to `ostatus-bridge translate` and prints, for each, the exit code,
# the first line of the error, wall time and peak memory (GNU time). Used for BENCHMARKS.md.
# Usage: scripts/hostile-inputs.sh [path/to/ostatus-bridge]
set -uo pipefail
bin=${1:-target/release/ostatus-bridge}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 - "$dir" <<'PY'
import sys, os
d = sys.argv[1]
A = 'xmlns="http://www.w3.org/2005/Atom" xmlns:activity="http://activitystrea.ms/spec/1.0/"'
def w(name, data):
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data if isinstance(data, bytes) else data.encode())
w('malformed.atom', f'<entry {A}><id>x</id><title>t</oops></entry>')
w('wrong-root.atom', f'<rss {A}><channel/></rss>')
w('billion-laughs.atom', '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">' + ''.join(f'<!ENTITY lol{i} "' + f'&lol{i-1};'*10 + '">' for i in range(1,10)).replace('&lol0;','&lol;') + f']>\n<entry {A}>&lol9;</entry>')
w('many-attributes.atom', f'<entry {A} ' + ' '.join(f'a{i}="x"' for i in range(100000)) + '/>')
w('many-xmlns.atom', f'<entry {A} ' + ' '.join(f'xmlns:p{i}="urn:x:{i}"' for i in range(100000)) + '/>')
w('deep.atom', f'<entry {A}>' + '<x>'*200000 + '</x>'*200000 + '</entry>')
w('invalid-utf8.atom', f'<entry {A}><id>'.encode() + b'\xff\xfe' + b'</id></entry>')
w('oversized.atom', f'<entry {A}><content>'.encode() + b'a' * (17 * 1024 * 1024) + b'</content></entry>')
w('deep.json', '{"@context":"https://www.w3.org/ns/activitystreams","type":"Note","x":' + '['*100000 + ']'*100000 + '}')
w('malformed.json', '{"@context":"https://www.w3.org/ns/activitystreams","type":"Create",')
w('missing-type.json', '{"@context":"https://www.w3.org/ns/activitystreams","id":"https://x.example/1"}')
w('wrong-kind.json', '{"@context":"https://www.w3.org/ns/activitystreams","type":"Note","content":7}')
w('pump-deep.json', '{"verb":"post","object":' + '{"object":'*100000 + '1' + '}'*100000 + '}')
PY
printf '%-22s %-5s %-8s %-9s %s\n' input exit seconds peak-KiB message
for f in "$dir"/*; do
  name=$(basename "$f")
  case "$name" in *.json) from=$([ "${name#pump}" != "$name" ] && echo pump || echo as2) ;; *) from=atom ;; esac
  out=$( { /usr/bin/time -f '%e %M' "$bin" translate --from "$from" --to as2 "$f" >/dev/null 2>"$dir/.err"; echo "rc=$?"; } 2>&1 )
  rc=$(echo "$out" | grep -o 'rc=[0-9]*' | cut -d= -f2)
  tm=$(tail -1 "$dir/.err")
  msg=$(head -1 "$dir/.err" | sed "s|$dir/||" | cut -c1-110)
  printf '%-22s %-5s %-8s %-9s %s\n' "$name" "$rc" $tm "$msg"
done
