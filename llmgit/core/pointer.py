"""A ``.dvc`` pointer file: what data it tracks and by which hash. Pure: parse and check."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from llmgit.core import yamlio
from llmgit.core.dirmanifest import is_md5
from llmgit.errors import InputError


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
    """Parse a ``.dvc`` file for the data at ``data_path`` (repo-relative)."""
    try:
        doc = yamlio.load(text)
        out = doc["outs"][0]
        md5 = str(out["md5"])
        size = int(out.get("size") or 0)
        nfiles = out.get("nfiles")
    except (yamlio.YAMLError, KeyError, IndexError, TypeError, ValueError, AttributeError):
        raise InputError(f"'{data_path}.dvc' is not a DVC pointer file llmgit understands") from None
    is_dir = md5.endswith(".dir")
    if not is_md5(md5.removesuffix(".dir")):
        raise InputError(f"'{data_path}.dvc' names no md5 hash llmgit understands")
    return Pointer(
        path=data_path,
        md5=md5.removesuffix(".dir"),
        is_dir=is_dir,
        size=size,
        nfiles=int(nfiles or (0 if is_dir else 1)),
    )


def dump(pointer: Pointer) -> str:
    """The ``.dvc`` file for ``pointer``'s data, as ``dvc add`` writes it."""
    lines = ["outs:", f"- md5: {pointer.oid}", f"  size: {pointer.size}"]
    if pointer.is_dir:
        lines.append(f"  nfiles: {pointer.nfiles}")
    lines += ["  hash: md5", f"  path: {_yaml_path(PurePosixPath(pointer.path).name)}"]
    return "\n".join(lines) + "\n"


def _yaml_path(name: str) -> str:
    """A file name as a YAML scalar: plain when YAML reads it back as the same string."""
    plain = name.replace("-", "").replace("_", "").replace(".", "").isalnum() and not name[:1].isdigit()
    return (
        name if plain and name.lower() not in ("true", "false", "null", "yes", "no", "on", "off") else json.dumps(name)
    )


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
