"""Writing the report's pages into a directory, replacing an earlier report as a whole.

A directory is only written when it is new, empty, or holds an earlier report (it carries
the marker file): an unrelated directory is never overwritten.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from llmgit.errors import UsageError
from llmgit.report.pages import Page

MARKER = ".llmgit-report"
MARKER_TEXT = "This directory is written by 'llmgit report' and replaced as a whole on every run.\n"


def check_target(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UsageError(f"'{out}' exists and is not a directory", hint="give --out a new or empty directory")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise UsageError(
            f"'{out}' is not empty and holds no llmgit report",
            hint="give --out a new or empty directory, or remove this one first",
        )


def write(pages: Sequence[Page], out: Path) -> Path:
    """Write ``pages`` under ``out`` (built beside it, then swapped in); returns the index."""
    out = Path(os.path.abspath(out))
    check_target(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for page in pages:
            target = staging / page.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(page.html, encoding="utf-8")
        (staging / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
        staging.chmod(0o755)
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
            os.replace(out, old / "site")
        os.replace(staging, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out / "index.html"
