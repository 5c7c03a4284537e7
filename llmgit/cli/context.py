"""Opening the registry a command works on (from ``-C``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from llmgit.store.store import Registry


def registry(ctx: typer.Context) -> Registry:
    from llmgit.store.store import Registry  # imported when a command runs, not for --help

    root = ctx.find_root().obj
    return Registry(root if isinstance(root, Path) else Path("."))
