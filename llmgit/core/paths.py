"""The rules for outside text that becomes a path: an md5 and a DVC object id (what names an
object in the cache, a directory remote and an S3 key), a relpath inside its root, and DVC's
object layout both ways. Pure: the checks that look at the file system (symbolic links on the
way to a target) live with the code that writes (:mod:`llmgit.weights.workspace`)."""

from __future__ import annotations

from pathlib import PurePosixPath

from llmgit.core.bounded import has_control

_HEX = frozenset("0123456789abcdef")
DIR_SUFFIX = ".dir"  # a directory manifest's object id: its md5 and this
MAX_RELPATH = 4096  # characters: PATH_MAX on Linux
STORE = "files/md5"  # where DVC 3 keeps objects under a cache's or a remote's root


def is_md5(text: object) -> bool:
    """Whether ``text`` is 32 lowercase hex digits."""
    return isinstance(text, str) and len(text) == 32 and set(text) <= _HEX


def is_oid(text: object) -> bool:
    """Whether ``text`` names a DVC object: an md5, with ``.dir`` for a directory manifest."""
    return isinstance(text, str) and is_md5(text.removesuffix(DIR_SUFFIX))


def safe_relpath(text: object) -> str | None:
    """``text`` as a normalised relative POSIX path inside its root (``a/./b/`` is ``a/b``),
    or None: empty, absolute, a ``..`` part, a backslash, NUL or control character, more than
    :data:`MAX_RELPATH` characters."""
    if not isinstance(text, str) or not text or len(text) > MAX_RELPATH or "\\" in text or has_control(text):
        return None
    parts = PurePosixPath(text).parts
    if not parts or text.startswith("/") or ".." in parts:
        return None
    return PurePosixPath(*parts).as_posix()


def in_git_dir(relpath: str) -> bool:
    """Whether a relpath runs through a ``.git`` folder (any case: file systems that ignore
    case take ``.GIT`` for it), where a written file can be a hook git runs."""
    return any(part.lower() == ".git" for part in relpath.split("/"))


def object_relpath(oid: str) -> str | None:
    """Where the object ``oid`` lives under a cache's or a remote's root (DVC 3's layout), or
    None when ``oid`` is not an object id."""
    return f"{STORE}/{oid[:2]}/{oid[2:]}" if is_oid(oid) else None


def oid_at(relpath: str) -> str | None:
    """The object id a path below :data:`STORE` names (``ab/cdef...``, the inverse of
    :func:`object_relpath`), or None when it is not one of DVC's objects."""
    head, sep, tail = relpath.partition("/")
    oid = head + tail
    return oid if sep and len(head) == 2 and "/" not in tail and is_oid(oid) else None


def show(text: object, limit: int = 80) -> str:
    """An outside value for a message: quoted, cut to ``limit`` characters (the CLI shows
    control characters escaped)."""
    shown = repr(text) if not isinstance(text, str) else repr(text[:limit])
    return shown + ("..." if isinstance(text, str) and len(text) > limit else "")
