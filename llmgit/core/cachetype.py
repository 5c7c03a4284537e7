"""DVC cache types, as ``init --cache-type`` takes them and ``.dvc/config`` holds them: a
comma-separated list of ``reflink``, ``copy``, ``hardlink`` and ``symlink``, tried in order.

``reflink`` and ``copy`` give the working tree files of its own; ``hardlink`` and ``symlink``
make working-tree files the cache's objects, so a program that rewrites one in place rewrites
a registered version (llmgit warns, and checks the objects before it trusts them).
"""

from __future__ import annotations

from llmgit.errors import UsageError

DEFAULT = ("reflink", "copy")  # DVC's own default: a clone where the file system has them, else a copy
COPY_TYPES = frozenset({"reflink", "copy"})
LINK_TYPES = frozenset({"hardlink", "symlink"})
# What llmgit's init once wrote: found in a registry it is not the user's choice, and a plain
# ``init`` replaces it with DEFAULT (never kept, never written again).
LEGACY_WRITTEN = ("hardlink", "symlink", "copy")
_ALL = ("reflink", "copy", "hardlink", "symlink")


def parse(text: str) -> tuple[str, ...]:
    """The cache types in ``text`` (``reflink,copy``), validated; raises UsageError."""
    kinds = tuple(k.strip() for k in text.split(","))
    if not text.strip() or any(not k for k in kinds):
        raise UsageError(f"cache type '{text}' is empty or has an empty entry", hint=f"use e.g. {','.join(DEFAULT)}")
    unknown = [k for k in kinds if k not in _ALL]
    if unknown:
        raise UsageError(f"unknown cache type '{unknown[0]}'", hint=f"choose from {', '.join(_ALL)} (comma-separated)")
    if len(set(kinds)) != len(kinds):
        raise UsageError(f"cache type '{text}' names a type twice")
    return kinds


def links(kinds: tuple[str, ...] | list[str]) -> bool:
    """Whether a cache type can link working-tree files to the cache."""
    return any(k in LINK_TYPES for k in kinds)


def text(kinds: tuple[str, ...] | list[str]) -> str:
    return ",".join(kinds)
