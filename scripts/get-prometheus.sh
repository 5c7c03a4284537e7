#!/usr/bin/env bash
# Fetch Debian's `prometheus` package and unpack it (no install, no service) into a cache.
# Prints the directory holding the `prometheus` and `promtool` binaries. Idempotent: a second
# run only prints the path. Cache: $LLMGIT_TEST_CACHE/prometheus, by default
# ~/.cache/llmgit-test/prometheus. Used by tests/prometheus_bin.py and by CI.
set -euo pipefail
# shellcheck source=lib/apt.sh
. "$(dirname "$0")/lib/apt.sh"

cache="${LLMGIT_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/llmgit-test}/prometheus"
bin="$cache/root/usr/bin"
if [ -x "$bin/prometheus" ] && [ -x "$bin/promtool" ]; then
  echo "$bin"
  exit 0
fi

mkdir -p "$cache/download"
cd "$cache/download"
rm -f ./prometheus_*.deb
if ! apt_get download prometheus >&2; then
  # An empty or stale package list: refresh it when we may (root), then try once more.
  if [ "$(id -u)" -ne 0 ]; then
    echo "get-prometheus: 'apt-get download prometheus' failed; run 'apt-get update' as root" >&2
    exit 1
  fi
  apt_get update -qq >&2  # waits while another package manager holds the list lock
  apt_get download prometheus >&2
fi
deb=$(ls ./prometheus_*.deb | head -n 1)

rm -rf "$cache/root.tmp"
mkdir -p "$cache/root.tmp"
dpkg -x "$deb" "$cache/root.tmp"
rm -rf "$cache/root"
mv "$cache/root.tmp" "$cache/root"
rm -f "$deb"
test -x "$bin/prometheus" && test -x "$bin/promtool"
echo "$bin"
