#!/usr/bin/env bash
# Build the documentation site offline and strictly (a warning fails the build) into
# build/docs/ (or the directory given). The CLI and Python API references are generated
# from the code by docs/hooks.py during the build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
out=${1:-build/docs}
NO_MKDOCS_2_WARNING=1 exec .venv/bin/python -m mkdocs build --strict --clean --site-dir "$out"
