#!/usr/bin/env bash
# Installs the real WebSub hub of the interop tests (flask-websub 0.4.1 + Celery, pinned in
# requirements.txt) into tests/interop/websub/.venv from PyPI. Idempotent: when the venv
# already holds exactly these requirements it returns at once (a stamp records the hash of
# requirements.txt). Output goes to stderr; safe to run from parallel tests (a lock).
#   tests/interop/websub/setup.sh            # then: .venv/bin/python hub.py
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
PYTHON=${PYTHON:-python3}
exec 9>.setup.lock
flock 9
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [[ -x .venv/bin/python && -f .venv/.installed && "$(cat .venv/.installed)" == "$want" ]]; then
  exit 0
fi
echo "setup.sh: installing flask-websub into $(pwd)/.venv" >&2
rm -rf .venv
"$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-input \
  --require-virtualenv -r requirements.txt >&2
.venv/bin/python -c 'import flask_websub.hub, celery, flask' >&2
echo "$want" > .venv/.installed
echo "setup.sh: done" >&2
