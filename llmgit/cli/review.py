"""``review`` and ``guard``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from llmgit.cli.context import registry
from llmgit.cli.output import emit_json, say

DEGRADED_EXIT = 5


def review(
    ctx: typer.Context,
    stage: str = typer.Option("production", "--stage", help="The stage branch to compare with."),
    head: Optional[str] = typer.Option(  # noqa: UP007
        None, "--head", help="Proposed revision (default: the one llmgit/promote/* branch for the stage)."
    ),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write the Markdown to a file."),  # noqa: UP007
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 when a check fails."),
) -> None:
    """Markdown for a pull request: what changes, metric deltas, card changes, checks."""
    r = registry(ctx).review(stage, head)
    if as_json:
        emit_json(r.to_json())
    elif out is not None:
        out.write_text(r.markdown, encoding="utf-8")
        say(f"Wrote {out}")
    else:
        sys.stdout.write(r.markdown)
    if strict and not r.ok:
        say("error: some review checks failed")
        raise typer.Exit(1)


def guard(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", help="Model name."),
    metric: str = typer.Option(..., "--metric", help="The metric to watch, e.g. accuracy."),
    threshold: float = typer.Option(..., "--threshold", help="Allowed degradation (absolute, or a fraction with --relative)."),
    relative: bool = typer.Option(False, "--relative", help="The threshold is a fraction of the previous value."),
    stage: str = typer.Option("production", "--stage", help="The stage to guard."),
    metrics_file: Optional[Path] = typer.Option(  # noqa: UP007
        None, "--metrics-file", help="Observed metrics per version (JSON: {version: {metric: value}})."
    ),
    apply: bool = typer.Option(False, "--apply", help="Roll back when degraded."),
    push: bool = typer.Option(False, "--push", help="With --apply: push the rollback."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Compare the stage holder with the previous holder; exit 5 (and roll back with --apply) if degraded."""
    g = registry(ctx).guard(name, metric=metric, threshold=threshold, relative=relative, stage=stage,
                            metrics_file=metrics_file, apply=apply, push=push)
    if as_json:
        emit_json({
            "model": g.model, "stage": g.stage, "metric": g.metric, "direction": g.direction,
            "current": g.current, "previous": g.previous, "current_value": g.current_value,
            "previous_value": g.previous_value, "threshold": g.threshold, "relative": g.relative,
            "degraded": g.degraded, "rolled_back": g.rollback is not None, "reason": g.reason,
        })
    else:
        state = "DEGRADED" if g.degraded else "healthy"
        say(f"{g.model} {g.stage} v{g.current}: {state}: {g.reason}")
        if g.rollback is not None:
            say(f"Rolled back {g.model} in {g.stage}: v{g.rollback.previous} -> v{g.rollback.version}")
        elif g.degraded:
            say(f"Run with --apply to roll back to v{g.previous}")
    if g.degraded:
        raise typer.Exit(DEGRADED_EXIT)


def install(app: typer.Typer) -> None:
    app.command("review")(review)
    app.command("guard")(guard)
