#!/usr/bin/env bash
# Install Debian's Chromium and its WebDriver for the report's browser tests (idempotent:
# nothing happens when both are there). Needs root for apt-get; prints where they are.
set -euo pipefail

chromium=/usr/bin/chromium
driver=/usr/bin/chromedriver
if [ -x "$chromium" ] && [ -x "$driver" ]; then
  echo "$chromium $driver"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "get-chromium: Chromium is missing; run as root: apt-get install chromium chromium-driver" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -qq --no-install-recommends chromium chromium-driver >&2; then
  apt-get update -qq >&2  # an empty or stale package list
  apt-get install -y -qq --no-install-recommends chromium chromium-driver >&2
fi
test -x "$chromium" && test -x "$driver"
echo "$chromium $driver"
