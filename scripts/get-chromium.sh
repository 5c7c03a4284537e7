#!/usr/bin/env bash
# Install Debian's Chromium and its WebDriver for the report's browser tests (idempotent:
# nothing happens when both are there). Needs root for apt-get; prints where they are. When
# another package manager holds the dpkg or apt locks it waits for them, at most
# $LLMGIT_APT_LOCK_WAIT seconds (default 300; scripts/lib/apt.sh).
set -euo pipefail
# shellcheck source=lib/apt.sh
. "$(dirname "$0")/lib/apt.sh"

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
if ! apt_get install -y -qq --no-install-recommends chromium chromium-driver >&2; then
  apt_get update -qq >&2  # an empty or stale package list
  apt_get install -y -qq --no-install-recommends chromium chromium-driver >&2
fi
test -x "$chromium" && test -x "$driver"
echo "$chromium $driver"
