"""Opening the registry a command works on (from ``-C``)."""

from __future__ import annotations

from pathlib import Path

import typer

from llmgit.registry import Registry


def registry(ctx: typer.Context) -> Registry:
    root = ctx.find_root().obj
    return Registry(root if isinstance(root, Path) else Path("."))
