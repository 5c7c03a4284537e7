"""The API a command calls: the registry of ``-C DIR`` (default: the current directory)."""

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from llmgit.api.registry import Registry


def api() -> type["Registry"]:
    """The Python API's :class:`Registry` (for what needs no repository, such as ``deploy validate``)."""
    from llmgit.api.registry import Registry  # noqa: PLC0415 (start-up: --help loads no registry code)

    return Registry


def registry(ctx: typer.Context, *, strict: bool = False) -> "Registry":
    """The registry of ``-C DIR``; ``strict``: a malformed version tag is an error, not a skip."""
    root = ctx.find_root().obj
    return api()(root if isinstance(root, Path) else Path("."), strict=strict)
