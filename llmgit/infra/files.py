"""Small file helpers shared by the writing modules."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``."""
    tmp = path.with_name(f".{path.name}.llmgit-tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
