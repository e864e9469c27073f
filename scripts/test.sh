#!/usr/bin/env bash
# Install the test dependencies and run every test.
#   VENV=path   the virtual environment to create or reuse (default: .venv)
# Browser tests need Debian's chromium (/usr/bin/chromium); this script installs it with
# apt-get when it is missing and it can (root, Debian), and the browser tests skip otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
VENV=$VENV DEV=1 bash scripts/setup.sh
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  (apt-get install -y -q chromium >/dev/null 2>&1 || (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1)) \
    || echo "note: could not install chromium; browser tests will be skipped"
fi
exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@"
