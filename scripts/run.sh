#!/usr/bin/env bash
# Install everything and start the app on the embedded data and the shipped checkpoints.
set -euo pipefail
cd "$(dirname "$0")/.."
# `--replicas [N]` (anywhere among the options): N server processes behind nginx on one port,
# default one per core; the other options go to scripts/replicas.py (--port, --host, --base-port).
for arg in "$@"; do
    if [[ "$arg" == --replicas || "$arg" == --replicas=* ]]; then
        VENV=${VENV:-.venv}
        VENV=$VENV bash scripts/setup.sh
        exec "$VENV/bin/python" scripts/replicas.py "$@"
    fi
done
VENV=${VENV:-.venv}
VENV=$VENV bash scripts/setup.sh
exec "$VENV/bin/python" scripts/serve.py "$@"
