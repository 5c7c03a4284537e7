"""Registry URIs: ``llmgit:///abs/path``, ``llmgit:relative/path``, ``llmgit:.`` (``llmgit:``
alone is the working directory)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

SCHEME = "llmgit"


class BadUri(ValueError):
    pass


def repository(uri: str) -> Path:
    """The directory a registry URI names (not checked here)."""
    parts = urlsplit(uri)
    if parts.scheme != SCHEME:
        raise BadUri(f"'{uri}' is not an llmgit registry URI (llmgit:///path/to/repo)")
    if parts.netloc not in ("", "localhost"):
        raise BadUri(f"'{uri}' names a host; an llmgit registry is a local git repository: llmgit:///path/to/repo")
    if parts.query or parts.fragment:
        raise BadUri(f"'{uri}' has a query or fragment; write llmgit:///path/to/repo")
    path = unquote(parts.path)
    if "\0" in path:
        raise BadUri("a registry URI cannot hold a NUL character")
    return Path(path or ".")
