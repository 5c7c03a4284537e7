"""Files in and out: atomic writes, and reading a file a user names (metrics, params, cards)
as text, refusing what is not a regular file before opening it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from llmgit.errors import InputError


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``."""
    tmp = path.with_name(f".{path.name}.llmgit-tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def read_input(path: Path, what: str) -> str:
    """The UTF-8 text of a ``what`` file (a FIFO, device or directory is refused unopened)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise InputError(f"{what} file '{path}' does not exist") from None
    except OSError as e:
        raise InputError(f"cannot read {what} file '{path}': {e.strerror}") from None
    if not stat.S_ISREG(mode):
        raise InputError(f"{what} file '{path}' is not a regular file")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read {what} file '{path}': {e}") from None
