#!/usr/bin/env bash
# Install (first time), lint (ruff, mypy; configured in pyproject.toml) and
# run the whole test suite: service tests, AppTest page tests and
# headless-Chromium browser tests, then the service and page tests on
# PostgreSQL.  Installs Debian's chromium, fonts-noto-cjk and postgresql
# when missing (needs root, as on CI).  A lint finding fails
# the run before any test.  Extra arguments go to pytest, e.g. -k push, or
# -m "not browser and not slow" for the fast suite.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "missing Debian packages: ${need[*]} (browser and PostgreSQL tests will be skipped outside CI)" >&2
  fi
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
.venv/bin/ruff check --output-format concise .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/python -m pytest -q -p no:cacheprovider "$@" tests
# The service and page tests again on PostgreSQL (issue 20): a throw-away
# cluster of Debian's postgresql on a Unix socket (tests/pg_cluster.py).
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  SGLD_TEST_BACKEND=postgres exec .venv/bin/python -m pytest -q -p no:cacheprovider \
    -m "not browser and not slow" "$@" tests
elif [ "${CI:-}" = true ]; then
  echo "CI: Debian's postgresql is missing, the PostgreSQL pass cannot run" >&2
  exit 1
else
  echo "postgresql not installed: the PostgreSQL pass is skipped" >&2
fi
