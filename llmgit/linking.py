"""Linking weights out of the DVC cache: the cache types ``init`` sets, and reflink, hardlink
or copy for exports."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

# DVC stops at the first link type its transfer into the cache supports: with reflink first on
# a file system without reflinks (ext4) it copies every byte into the cache, so llmgit puts
# reflink first only where it works.
CACHE_TYPES_REFLINK = "reflink,hardlink,symlink,copy"
CACHE_TYPES_LINKS = "hardlink,symlink,copy"


def cache_types(root: Path) -> str:
    """The link-first cache types for the file system holding ``root``'s DVC cache."""
    probe_dir = root / ".dvc" / "tmp"
    probe_dir.mkdir(parents=True, exist_ok=True)
    src, dst = probe_dir / "llmgit-reflink-probe", probe_dir / "llmgit-reflink-probe.copy"
    try:
        src.write_bytes(b"llmgit")
        return CACHE_TYPES_REFLINK if reflink(src, dst) else CACHE_TYPES_LINKS
    except OSError:
        return CACHE_TYPES_LINKS
    finally:
        src.unlink(missing_ok=True)
        dst.unlink(missing_ok=True)


def link_or_copy(src: Path, dst: Path) -> None:
    if dst.exists() or dst.is_symlink():
        dst.unlink()
    if reflink(src, dst):
        return
    try:
        os.link(src, dst)
        return
    except OSError as e:
        if e.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
            raise
    shutil.copyfile(src, dst)


def reflink(src: Path, dst: Path) -> bool:
    try:
        import fcntl
    except ImportError:
        return False
    ficlone = 0x40049409
    with open(src, "rb") as s, open(dst, "wb") as d:
        try:
            fcntl.ioctl(d.fileno(), ficlone, s.fileno())
            return True
        except OSError:
            pass
    dst.unlink()
    return False
