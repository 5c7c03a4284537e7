#!/usr/bin/env bash
# Set everything up, then run the demo: a temporary git repository with a local DVC remote.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec .venv/bin/python scripts/demo.py "$@"
