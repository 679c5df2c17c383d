#!/usr/bin/env bash
# What the test suite needs beyond the venv, installed when missing (`make test` runs this first):
# PostgreSQL 15's server binaries and Debian's Chromium. Quiet unless it fails.
set -euo pipefail

# The store tests run against PostgreSQL 15 too (a throwaway cluster, tests/pg.py): install the
# Debian package's server binaries when they are missing. Quiet unless it fails.
if ! command -v /usr/lib/postgresql/15/bin/initdb >/dev/null; then
  log=$(mktemp)
  if ! (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >"$log" 2>&1; then
    cat "$log" >&2
    echo "make test: could not install PostgreSQL 15 (apt-get install postgresql)" >&2
    exit 1
  fi
  rm -f "$log"
fi

# The web chat's browser test drives Debian's Chromium headless through Playwright's Python package
# (a dev dependency; Playwright's own browser download does not work here): install it when missing.
if [ ! -x /usr/bin/chromium ]; then
  log=$(mktemp)
  if ! (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) >"$log" 2>&1; then
    cat "$log" >&2
    echo "make test: could not install Chromium (apt-get install chromium chromium-driver)" >&2
    exit 1
  fi
  rm -f "$log"
fi

