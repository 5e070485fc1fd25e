#!/usr/bin/env bash
# Install (first time) and run 审管联动系统.  In demo mode (the default) the
# first start creates the database with a demo dataset.
# Extra arguments go to `streamlit run`, e.g. --server.port 8600.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
.venv/bin/python manage.py check-config >/dev/null  # refuses a production start without its keys
exec .venv/bin/streamlit run server.py "$@"
