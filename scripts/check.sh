#!/usr/bin/env bash
# The house rules, checked before the tests (docs/architecture.md): import-linter's contracts
# (the layers, independent feature packages, no cycles), ruff's lint and format, and mypy.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/lint-imports --no-logo --cache-dir .import_linter_cache
.venv/bin/ruff check --quiet .
.venv/bin/ruff format --check --quiet .
.venv/bin/mypy
