"""DVC's directory manifest (a ``.dir`` object): a JSON list of the files of a directory,
each with its relpath and md5 (and sometimes size and isexec). The one parser llmgit has:
every relpath must stay inside the directory and every md5 must be 32 hex digits."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import PurePosixPath

from llmgit.errors import ManifestError

_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class ManifestEntry:
    relpath: str  # POSIX, inside the directory
    md5: str
    size: int | None = None
    isexec: bool = False


def is_md5(text: object) -> bool:
    return isinstance(text, str) and len(text) == 32 and set(text) <= _HEX


def safe_relpath(text: object) -> str | None:
    """``text`` as a normalised relative POSIX path inside its root, or None."""
    if not isinstance(text, str) or not text or "\\" in text or "\0" in text:
        return None
    parts = PurePosixPath(text).parts
    if text.startswith("/") or any(p in ("", ".", "..") for p in parts):
        return None
    return PurePosixPath(*parts).as_posix()


def parse(data: bytes | str, where: str) -> list[ManifestEntry]:
    """The entries of a ``.dir`` object, sorted by relpath; :class:`ManifestError` naming
    ``where`` when it is not a manifest llmgit will use."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise ManifestError(f"the DVC manifest {where} is not valid JSON") from None
    if not isinstance(doc, list):
        raise ManifestError(f"the DVC manifest {where} is not a list of files")
    entries = []
    for item in doc:
        if not isinstance(item, dict):
            raise ManifestError(f"the DVC manifest {where} has an entry that is not a mapping")
        relpath, md5 = safe_relpath(item.get("relpath")), item.get("md5")
        if relpath is None:
            raise ManifestError(
                f"the DVC manifest {where} names a path outside its directory: {str(item.get('relpath'))[:80]!r}"
            )
        if not is_md5(md5):
            raise ManifestError(f"the DVC manifest {where} has an entry without an md5 hash: {relpath}")
        size = item.get("size")
        entries.append(
            ManifestEntry(
                relpath,
                str(md5),
                size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None,
                item.get("isexec") is True,
            )
        )
    return sorted(entries, key=lambda e: e.relpath)


def dump(files: list[tuple[str, str]]) -> bytes:
    """A ``.dir`` object for ``(relpath, md5)`` pairs, byte for byte as DVC writes it (its md5
    is the directory's hash)."""
    entries = sorted(({"md5": md5, "relpath": relpath} for relpath, md5 in files), key=lambda e: e["relpath"])
    return json.dumps(entries, sort_keys=True).encode("utf-8")
