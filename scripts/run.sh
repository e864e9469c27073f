#!/usr/bin/env bash
# Install everything and start the app on the embedded data and the shipped checkpoints.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
VENV=$VENV bash scripts/setup.sh
exec "$VENV/bin/python" scripts/serve.py "$@"
