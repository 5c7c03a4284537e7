"""A ``.dvc`` pointer file: what data it tracks and by which hash. Pure: parse and check.

A version's pointer comes from its tag's commit, which anyone who can push a tag writes: it is
read within bounds, its md5 must be one, and the path it tracks must be a plain relpath (DVC
writes the data's file name, beside the ``.dvc`` file)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from llmgit.core import bounded, yamlio
from llmgit.core.bounded import KIB, MAX_INT, MIB, BoundError, Limits
from llmgit.core.paths import DIR_SUFFIX, is_md5, safe_relpath, show
from llmgit.errors import InputError

LIMITS = Limits(max_bytes=MIB, max_depth=16, max_values=10_000, max_string=64 * KIB)


@dataclass(frozen=True)
class Pointer:
    """What a ``.dvc`` file says about the data it tracks."""

    path: str  # repository-relative path of the data (POSIX)
    md5: str  # content hash, without DVC's '.dir' suffix
    is_dir: bool
    size: int
    nfiles: int

    @property
    def dvc_file(self) -> str:
        return f"{self.path}.dvc"

    @property
    def oid(self) -> str:
        """The object id of the data: the md5, with ``.dir`` for a directory's manifest."""
        return self.md5 + (".dir" if self.is_dir else "")


def parse(text: str | bytes, data_path: str) -> Pointer:
    """Parse a ``.dvc`` file for the data at ``data_path`` (repo-relative, as the caller
    found it: where the data may be written is checked where it is written);
    :class:`InputError` for anything else than a pointer llmgit understands."""
    where = f"'{data_path}.dvc'"
    try:
        doc = bounded.load_yaml(text, LIMITS, where)
    except BoundError as e:
        raise InputError(str(e)) from None
    outs = doc.get("outs") if isinstance(doc, dict) else None
    out = outs[0] if isinstance(outs, list) and outs else None
    if not isinstance(out, dict) or not isinstance(out.get("md5"), str):
        raise InputError(f"{where} is not a DVC pointer file llmgit understands")
    md5: str = out["md5"]
    is_dir = md5.endswith(DIR_SUFFIX)
    if not is_md5(md5.removesuffix(DIR_SUFFIX)):
        raise InputError(f"{where} names no md5 hash llmgit understands")
    tracked = out.get("path")
    if tracked is not None and safe_relpath(tracked) is None:
        raise InputError(f"{where} tracks {show(tracked)}, which is not a path inside its folder")
    return Pointer(
        path=data_path,
        md5=md5.removesuffix(DIR_SUFFIX),
        is_dir=is_dir,
        size=_count(out.get("size"), where, "size"),
        nfiles=_count(out.get("nfiles"), where, "nfiles") or (0 if is_dir else 1),
    )


def _count(raw: object, where: str, field: str) -> int:
    """A whole number of bytes or files (absent: 0)."""
    if raw is None:
        return 0
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= MAX_INT:
        raise InputError(f"{where} has a {field} that is not a whole number of bytes or files ({show(raw)})")
    return raw


def dump(pointer: Pointer) -> str:
    """The ``.dvc`` file for ``pointer``'s data, as ``dvc add`` writes it (an md5 that YAML
    would read as a number, ``0b0101...`` or digits only, is quoted, as DVC quotes it)."""
    oid = pointer.oid if yamlio.load(pointer.oid) == pointer.oid else f"'{pointer.oid}'"
    lines = ["outs:", f"- md5: {oid}", f"  size: {pointer.size}"]
    if pointer.is_dir:
        lines.append(f"  nfiles: {pointer.nfiles}")
    lines += ["  hash: md5", f"  path: {_yaml_path(PurePosixPath(pointer.path).name)}"]
    return "\n".join(lines) + "\n"


def _yaml_path(name: str) -> str:
    """A file name as a YAML scalar: plain (as ``dvc add`` writes it) only when it starts with an
    ASCII letter and holds nothing YAML could read as another type (``.0`` is a float,
    ``on`` a boolean); else JSON-quoted, which YAML reads back as the same string."""
    plain = _PLAIN_NAME.fullmatch(name) is not None and name.lower() not in _YAML_WORDS
    return name if plain else json.dumps(name)


_PLAIN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9._-]*")
_YAML_WORDS = frozenset({"true", "false", "null", "yes", "no", "on", "off", "y", "n"})


_PLAIN_OUT_KEYS = frozenset(
    {"md5", "size", "nfiles", "hash", "path", "cache", "remote", "push", "desc", "type", "labels", "meta"}
)


def is_plain(text: str | bytes, pointer: Pointer) -> bool:
    """Whether a ``.dvc`` file tracks just ``pointer``'s data, beside it, by md5, in the cache
    (what ``dvc add`` writes): the only kind llmgit checks out without DVC."""
    try:
        doc = yamlio.load(text)
    except yamlio.YAMLError:
        return False
    if not isinstance(doc, dict) or set(doc) - {"outs", "md5", "meta"}:
        return False
    outs = doc.get("outs")
    if not isinstance(outs, list) or len(outs) != 1 or not isinstance(outs[0], dict):
        return False
    out: dict[str, Any] = outs[0]
    return (
        not set(out) - _PLAIN_OUT_KEYS
        and out.get("hash") == "md5"
        and out.get("cache", True) is True
        and out.get("path") == PurePosixPath(pointer.path).name
        and str(out.get("md5")) == pointer.oid
    )
