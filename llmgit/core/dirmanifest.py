"""DVC's directory manifest (a ``.dir`` object): a JSON list of the files of a directory,
each with its relpath and md5 (and sometimes size and isexec). The one parser llmgit has:
whoever writes to the storage remote writes this text, so it is read within bounds, every
relpath must stay inside the directory (:func:`~llmgit.core.paths.safe_relpath`), name one
file only once and never a folder of another, and every md5 must be 32 hex digits."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

from llmgit.core import bounded
from llmgit.core.bounded import MIB, BoundError, Limits
from llmgit.core.paths import in_git_dir, is_md5, safe_relpath, show
from llmgit.errors import ManifestError

__all__ = ["LIMITS", "ManifestEntry", "dump", "is_md5", "parse", "safe_relpath"]

# a manifest of a million files is about 100 MiB; each entry is a mapping of four values
LIMITS = Limits(max_bytes=256 * MIB, max_depth=3, max_values=6_000_000, max_string=8192)


@dataclass(frozen=True)
class ManifestEntry:
    relpath: str  # POSIX, inside the directory
    md5: str
    size: int | None = None
    isexec: bool = False


def parse(data: bytes | str, where: str) -> list[ManifestEntry]:
    """The entries of a ``.dir`` object, sorted by relpath; :class:`ManifestError` naming
    ``where`` when it is not a manifest llmgit will use."""
    try:
        doc = bounded.load_json(data, LIMITS, f"the DVC manifest {where}")
    except BoundError as e:
        raise ManifestError(str(e)) from None
    if not isinstance(doc, list):
        raise ManifestError(f"the DVC manifest {where} is not a list of files")
    entries = []
    for item in doc:
        if not isinstance(item, dict):
            raise ManifestError(f"the DVC manifest {where} has an entry that is not a mapping")
        raw, md5 = item.get("relpath"), item.get("md5")
        relpath = _relpath(raw) if isinstance(raw, str) else None
        if relpath is None:
            raise ManifestError(
                f"the DVC manifest {where} names a path outside its directory: {show(item.get('relpath'))}"
            )
        if _in_git_dir(relpath):
            raise ManifestError(f"the DVC manifest {where} names a path inside a .git folder: {show(relpath)}")
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
    entries.sort(key=lambda e: e.relpath)
    _refuse_clashes(entries, where)
    return entries


@functools.lru_cache(maxsize=65536)  # the versions of a model name the same files: each checked once
def _relpath(raw: str) -> str | None:
    return safe_relpath(raw)


@functools.lru_cache(maxsize=65536)
def _in_git_dir(relpath: str) -> bool:
    return in_git_dir(relpath)


def _refuse_clashes(entries: list[ManifestEntry], where: str) -> None:
    """A relpath named twice, or a file that is also a folder of another (``a`` and ``a/b``),
    cannot be written as a directory (``entries`` sorted by relpath)."""
    files = {e.relpath for e in entries}
    if len(files) != len(entries):
        twice = next(a.relpath for a, b in zip(entries, entries[1:], strict=False) if a.relpath == b.relpath)
        raise ManifestError(f"the DVC manifest {where} names {show(twice)} twice")
    for e in entries:
        folder = e.relpath  # normalised: its folders are its prefixes up to each "/"
        while (cut := folder.rfind("/")) > 0:
            folder = folder[:cut]
            if folder in files:
                raise ManifestError(f"the DVC manifest {where} names {show(folder)} as a file and as a folder")


def dump(files: list[tuple[str, str]]) -> bytes:
    """A ``.dir`` object for ``(relpath, md5)`` pairs, byte for byte as DVC writes it (its md5
    is the directory's hash)."""
    entries = sorted(({"md5": md5, "relpath": relpath} for relpath, md5 in files), key=lambda e: e["relpath"])
    return json.dumps(entries, sort_keys=True).encode("utf-8")
