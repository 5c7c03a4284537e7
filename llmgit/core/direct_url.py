"""PEP 610 ``direct_url.json``: where an installed distribution came from, and the pip
requirement that installs the same thing elsewhere. Pure: the caller reads the file.

The file is outside data (any installer writes it, anyone can edit it), and what comes out of
it goes into a workflow's shell code, so it is parsed within caps and every value is checked:
the URL's scheme, no whitespace, quotes or control characters in it, a git commit as 40 or 64
hex digits, an archive's sha256 as 64 hex digits.

What can be pinned:

- a git checkout (``vcs_info``) over https or ssh: ``llmgit @ git+URL@COMMIT``;
- an archive (``archive_info``: a wheel or sdist downloaded from an index's file host or any
  https URL) with the sha256 the installer recorded: ``llmgit @ URL#sha256=HEX``, which pip
  checks against the bytes it downloads before it installs them.

Everything else (a local directory, an editable install, a ``file:`` URL, another VCS, an
archive without a sha256) is :class:`Unpinnable`, with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from llmgit.core.bounded import KIB, BoundError, Limits, load_json

FILE = "direct_url.json"
MAX_BYTES = 16 * KIB
LIMITS = Limits(max_bytes=MAX_BYTES, max_depth=4, max_values=64, max_string=2 * KIB)
MAX_URL = 2 * KIB
VCS_SCHEMES = ("https", "ssh")
ARCHIVE_SCHEMES = ("https",)
_COMMIT = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")  # SHA-1 or SHA-256 object names
_SHA256 = re.compile(r"[0-9a-f]{64}")
# what a URL may hold here: no whitespace, quotes, backslashes, '$', '`' or control characters
_URL_CHARS = re.compile(r"[A-Za-z0-9._~:/?#\[\]@!&()*+,;=%-]+")


class Unpinnable(ValueError):
    """The file says where the distribution came from, but not in a form another machine can
    install exactly (one sentence)."""


@dataclass(frozen=True)
class DirectUrl:
    """A pinnable origin: a git commit, or an archive with its sha256."""

    url: str
    commit: str = ""  # vcs: the commit installed
    sha256: str = ""  # archive: the sha256 the installer recorded

    @property
    def kind(self) -> str:
        return "vcs" if self.commit else "archive"

    def requirement(self, name: str) -> str:
        """The PEP 508 requirement that installs exactly this (no shell quoting)."""
        if self.commit:
            return f"{name} @ git+{self.url}@{self.commit}"
        return f"{name} @ {self.url}#sha256={self.sha256}"


def _mapping(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BoundError(f"{what} must be a JSON object")
    return value


def _url(raw: Any, schemes: tuple[str, ...], what: str) -> str:
    if not isinstance(raw, str) or not raw:
        raise BoundError(f"{what} must be a non-empty string")
    if len(raw) > MAX_URL:
        raise BoundError(f"{what} is longer than {MAX_URL} characters")
    if not _URL_CHARS.fullmatch(raw):
        raise BoundError(f"{what} holds characters a URL here may not (whitespace, quotes, '$', '`', controls)")
    parts = urlsplit(raw)
    if parts.scheme == "file" or not parts.scheme:
        raise Unpinnable(f"it was installed from a local path ({raw})")
    if parts.scheme not in schemes:
        raise Unpinnable(f"its URL scheme '{parts.scheme}:' is not one of {', '.join(schemes)}")
    if not parts.hostname:
        raise BoundError(f"{what} names no host")
    if parts.password or (parts.username and parts.scheme != "ssh"):
        raise Unpinnable("its URL holds credentials, which must not go into a workflow")
    if parts.fragment or parts.query:
        raise BoundError(f"{what} must have no query or fragment")
    return raw


def parse(text: str | bytes, source: str = FILE) -> DirectUrl:
    """The pinnable origin ``text`` records; :class:`BoundError` when the file is malformed,
    :class:`Unpinnable` when it is well formed but names nothing another machine can install
    exactly."""
    data = _mapping(load_json(text, LIMITS, source), source)
    raw_url = data.get("url")
    vcs, archive, local = data.get("vcs_info"), data.get("archive_info"), data.get("dir_info")
    if sum(x is not None for x in (vcs, archive, local)) != 1:
        raise BoundError(f"{source} must hold exactly one of vcs_info, archive_info and dir_info")
    if local is not None:
        editable = _mapping(local, f"{source}: dir_info").get("editable") is True
        raise Unpinnable(
            f"it is {'an editable install' if editable else 'installed'} from a local directory ({raw_url})"
        )
    if vcs is not None:
        info = _mapping(vcs, f"{source}: vcs_info")
        if info.get("vcs") != "git":
            raise Unpinnable(f"it was installed from a {str(info.get('vcs'))[:20]!r} checkout; only git is pinned")
        url = _url(raw_url, VCS_SCHEMES, f"{source}: url")
        commit = info.get("commit_id")
        if not isinstance(commit, str) or not _COMMIT.fullmatch(commit):
            raise BoundError(f"{source}: vcs_info.commit_id must be a commit id of 40 or 64 hex digits")
        return DirectUrl(url, commit=commit)
    info = _mapping(archive, f"{source}: archive_info")
    url = _url(raw_url, ARCHIVE_SCHEMES, f"{source}: url")
    hashes = info.get("hashes")
    sha = _mapping(hashes, f"{source}: archive_info.hashes").get("sha256") if hashes is not None else None
    legacy = info.get("hash")
    if sha is None and isinstance(legacy, str) and legacy.startswith("sha256="):
        sha = legacy.removeprefix("sha256=")
    if sha is None:
        raise Unpinnable("its archive has no recorded sha256 to pin it by")
    if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
        raise BoundError(f"{source}: archive_info's sha256 must be 64 lowercase hex digits")
    return DirectUrl(url, sha256=sha)
