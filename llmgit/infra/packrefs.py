"""Removing loose tag files that ``packed-refs`` already holds, after ``git pack-refs --all
--no-prune`` (:func:`llmgit.infra.git.pack_refs_if_loose`): git's own pruning takes one ref
transaction per tag, a minute for 100,000 of them."""

from __future__ import annotations

import os
from pathlib import Path


def _packed_tags(common: Path) -> dict[bytes, bytes]:
    """Tag name (below ``refs/tags/``) -> object id, from ``packed-refs`` (one line per ref,
    ``OID REFNAME``; ``#`` header and ``^`` peeled lines skipped)."""
    found: dict[bytes, bytes] = {}
    try:
        with open(common / "packed-refs", "rb") as f:
            for line in f:
                oid, _, ref = line.rstrip(b"\n").partition(b" ")
                if ref.startswith(b"refs/tags/"):
                    found[ref[len(b"refs/tags/") :]] = oid
    except OSError:
        return {}
    return found


def prune_loose_tags(common: Path) -> int:
    """Remove each loose tag file (directly in ``refs/tags``) whose value ``packed-refs``
    holds: the ref reads the same after. Each is removed under git's lock (``REF.lock``,
    taken as a hard link to the ref, so no file is created): a git command moving that ref
    at the same moment either holds the lock first (the ref is kept) or retries until ours is gone, as
    with ``git pack-refs`` itself. Returns how many were removed."""
    packed = _packed_tags(common)
    removed = 0
    try:
        entries = list(os.scandir(common / "refs" / "tags"))
    except OSError:
        return 0
    for e in entries:
        name = os.fsencode(e.name)
        want = packed.get(name)
        if want is None or name.endswith(b".lock") or not e.is_file(follow_symlinks=False):
            continue
        lock = e.path + ".lock"
        try:
            os.link(e.path, lock)
        except OSError:  # held by a git command (or gone): left as it is
            continue
        try:
            with open(e.path, "rb") as f:
                value = f.read(128).strip()
            if value == want:
                os.unlink(e.path)
                removed += 1
        except OSError:
            pass
        finally:
            try:
                os.unlink(lock)
            except OSError:
                pass
    return removed
