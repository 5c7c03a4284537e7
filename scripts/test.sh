#!/usr/bin/env bash
# Set everything up, then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
# Real Prometheus (Debian package, unpacked, no service) for the live A/B tests.
if bin=$(scripts/get-prometheus.sh); then
  export LLMGIT_PROMETHEUS_BIN="$bin"
else
  echo "warning: could not obtain Prometheus; its tests will be skipped" >&2
fi
exec .venv/bin/python -m pytest "$@"
