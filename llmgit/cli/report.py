"""``llmgit report``: the registry as a static site."""

from __future__ import annotations

from pathlib import Path
from typing import List

import typer

from llmgit.cli.context import registry
from llmgit.cli.output import say


def report(
    ctx: typer.Context,
    out: Path = typer.Option(
        Path("site"), "--out", "-o", help="Directory to write (new, empty, or an earlier report)."
    ),
    model: List[str] = typer.Option(  # noqa: UP006
        [], "--model", help="Only this model (repeatable; default: every model)."
    ),
    since: str | None = typer.Option(
        None, "--since", help="Stage history from this ISO date (start of day, UTC) or date-time on."
    ),
    manifests: bool = typer.Option(
        True, "--manifests/--no-manifests",
        help="List each version's files from DVC's manifests (the local cache, else the remote; never the weights).",
    ),
) -> None:
    """Write a self-contained static HTML report: models, versions, stage history, metric charts."""
    from llmgit import report as report_core

    options = report_core.ReportOptions(
        models=tuple(model),
        since=report_core.parse_since(since) if since is not None else None,
        manifests=manifests,
    )
    result = report_core.publish(registry(ctx), out, options)
    say(f"Wrote {result.pages} page(s) for {result.models} model(s) and {result.versions} version(s)")
    say(f"Open {result.index}")


def install(app: typer.Typer) -> None:
    app.command("report")(report)
