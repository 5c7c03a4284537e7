"""``llmgit report``: the registry as a static site."""

from pathlib import Path
from typing import Annotated

import typer

from llmgit.cli.context import registry
from llmgit.cli.options import Strict
from llmgit.cli.output import result as emit_result
from llmgit.cli.output import say
from llmgit.report.options import ReportOptions, parse_since


def report(
    ctx: typer.Context,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Directory to write (new, empty, or an earlier report).")
    ] = Path("site"),
    model: Annotated[
        list[str] | None, typer.Option("--model", help="Only this model (repeatable; default: every model).")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Stage history from this ISO date (start of day, UTC) or date-time on."),
    ] = None,
    manifests: Annotated[
        bool,
        typer.Option(
            "--manifests/--no-manifests",
            help="List each version's files from DVC's manifests (the local cache, else the remote; never the weights).",
        ),
    ] = True,
    strict: Strict = False,
) -> None:
    """Write a self-contained static HTML report: models, versions, stage history, metric charts."""
    options = ReportOptions(
        models=tuple(model or ()), since=parse_since(since) if since is not None else None, manifests=manifests
    )
    result = registry(ctx, strict=strict).report(out, options)
    say(f"Wrote {result.pages} page(s) for {result.models} model(s) and {result.versions} version(s)")
    emit_result(result.index)


def install(app: typer.Typer) -> None:
    app.command("report")(report)
