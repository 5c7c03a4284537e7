#!/usr/bin/env bash
# Set everything up, check the house rules, then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
# The house rules (docs/architecture.md): one import direction and no cycles, lint and format, types.
scripts/check.sh
# Real Prometheus (Debian package, unpacked, no service) for the live A/B tests.
if bin=$(scripts/get-prometheus.sh); then
  export LLMGIT_PROMETHEUS_BIN="$bin"
else
  echo "warning: could not obtain Prometheus; its tests will be skipped" >&2
fi
# Debian's chromium + chromium-driver for the report's browser tests (CI runs as root).
if [ "$(id -u)" -eq 0 ]; then
  scripts/get-chromium.sh >/dev/null
elif ! scripts/get-chromium.sh >/dev/null; then
  echo "warning: no Chromium; the report's browser tests will be skipped" >&2
fi
# On every core (pytest-xdist): each test builds its own repositories, servers and ports.
exec .venv/bin/python -m pytest -n auto "$@"
