# Sourced by scripts/get-*.sh: `apt_get ARGS...` is apt-get that waits, for a bounded time,
# while another package manager (unattended-upgrades, a second CI step, a person) holds the
# dpkg or apt locks, instead of failing at once with exit 100.
#
# LLMGIT_APT_LOCK_WAIT: the most seconds to wait in all (default 300). apt-get itself waits
# for the dpkg frontend lock (DPkg::Lock::Timeout); the package-list lock of `apt-get update`
# has no such option, so a run that failed on a lock is retried every few seconds until the
# time is up. Any other failure is returned at once, with apt-get's own messages.

apt_get() {
  local wait_s="${LLMGIT_APT_LOCK_WAIT:-300}"
  local deadline=$((SECONDS + wait_s)) log rc
  log=$(mktemp)
  while :; do
    rc=0
    apt-get -o DPkg::Lock::Timeout="$wait_s" "$@" 2>"$log" || rc=$?
    if [ "$rc" -eq 0 ] || ! grep -qE "Could not get lock|Unable to lock|Unable to acquire" "$log" \
      || [ "$SECONDS" -ge "$deadline" ]; then
      cat "$log" >&2
      rm -f "$log"
      return "$rc"
    fi
    echo "apt-get: another package manager holds a lock; waiting (up to ${wait_s}s in all) ..." >&2
    sleep 3
  done
}
