#!/usr/bin/env bash
# Create (or reuse) a virtual environment and install cnnviz's requirements into it.
#   VENV=path  where the environment lives (default: .venv)
#   DEV=1      also install the test requirements (requirements-dev.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY=${PYTHON:-python3}
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip
# torch first, pinned: an unpinned torch pulls a different build of several GB
"$VENV/bin/python" -m pip install -q torch==2.14.1 torchvision==0.29.1
if [ "${DEV:-0}" = 1 ]; then
  "$VENV/bin/python" -m pip install -q -r requirements-dev.txt
else
  "$VENV/bin/python" -m pip install -q -r requirements.txt
fi
