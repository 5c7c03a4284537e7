"""Find real ``prometheus`` and ``promtool`` binaries for the tests.

Order: ``$LLMGIT_PROMETHEUS_BIN`` (a directory holding both), then
``scripts/get-prometheus.sh``, which returns its cache at once when filled and otherwise
downloads Debian's package with ``apt-get download`` and unpacks it with ``dpkg -x`` (nothing
is installed or started). The cache directory is fixed when this module is imported, before
the per-test ``$HOME`` isolation in ``conftest.py``, so one download serves every test; the
answer is remembered for the session.
"""

from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "get-prometheus.sh"
FETCH_TIMEOUT = 300
CACHE = os.environ.get("LLMGIT_TEST_CACHE") or str(
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "llmgit-test"
)


def _has_both(directory: Path) -> bool:
    return all(os.access(directory / name, os.X_OK) for name in ("prometheus", "promtool"))


@functools.cache
def find_prometheus_bin() -> tuple[Path | None, str]:
    """``(directory with prometheus and promtool, "")`` or ``(None, why not)``."""
    explicit = os.environ.get("LLMGIT_PROMETHEUS_BIN")
    if explicit:
        if _has_both(Path(explicit)):
            return Path(explicit), ""
        return None, f"LLMGIT_PROMETHEUS_BIN={explicit} has no prometheus and promtool"
    try:
        proc = subprocess.run(
            ["bash", str(SCRIPT)],
            env={**os.environ, "LLMGIT_TEST_CACHE": CACHE},
            capture_output=True,
            text=True,
            timeout=FETCH_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, f"{SCRIPT.name} could not run: {e}"
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines or not _has_both(Path(lines[-1])):
        tail = " ".join(proc.stderr.strip().splitlines()[-2:])
        return None, f"cannot obtain Debian's prometheus package via {SCRIPT.name}: {tail}"
    return Path(lines[-1]), ""
