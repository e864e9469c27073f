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
# glibc reads GLIBC_TUNABLES only when a process starts: tune malloc for image-sized arrays before Python
# starts (cnnviz/runtime.py says why and what it measured; CNNVIZ_MALLOC_TUNE=0 turns it off).
tunables=$("$VENV/bin/python" -m cnnviz.runtime --print-tunables)
if [ -n "$tunables" ]; then
  export GLIBC_TUNABLES="$tunables"
fi
exec "$VENV/bin/python" scripts/serve.py "$@"
