#!/usr/bin/env bash
# Install the test dependencies and run every test.
#   VENV=path   the virtual environment to create or reuse (default: .venv)
# Browser tests need Debian's chromium (/usr/bin/chromium); this script installs it with
# apt-get when it is missing and it can (Debian, as root or with password-less sudo); the browser
# tests skip otherwise. Their screenshots and the server logs go to artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
VENV=$VENV DEV=1 bash scripts/setup.sh
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null; then
  AS_ROOT=""
  if [ "$(id -u)" != 0 ]; then AS_ROOT="sudo -n"; fi
  apt_chromium() { $AS_ROOT env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; }
  if [ -z "$AS_ROOT" ] || sudo -n true 2>/dev/null; then
    echo "installing Debian's chromium for the browser tests (apt-get)"
    apt_chromium || ($AS_ROOT apt-get update -q >/dev/null 2>&1 && apt_chromium) \
      || echo "note: could not install chromium; browser tests will be skipped"
  else
    echo "note: /usr/bin/chromium is missing and apt-get needs root; browser tests will be skipped"
  fi
fi
exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@"
