"""``review`` and ``guard``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from llmgit.cli.context import registry
from llmgit.cli.output import emit_json, say
from llmgit.errors import UsageError

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
    source: Optional[str] = typer.Option(  # noqa: UP007
        None, "--source",
        help="card (registered metrics), file (--metrics-file) or prometheus (live accuracy counts).",
    ),
    metric: Optional[str] = typer.Option(None, "--metric", help="The metric to watch, e.g. accuracy (card, file)."),  # noqa: UP007
    threshold: Optional[float] = typer.Option(  # noqa: UP007
        None, "--threshold",
        help="Allowed degradation (absolute, or a fraction with --relative); with prometheus, the "
        "accuracy margin (default: deploy.min_detectable_effect).",
    ),
    relative: bool = typer.Option(False, "--relative", help="The threshold is a fraction of the previous value."),
    stage: str = typer.Option("production", "--stage", help="The stage to guard."),
    metrics_file: Optional[Path] = typer.Option(  # noqa: UP007
        None, "--metrics-file", help="Observed metrics per version (JSON: {version: {metric: value}})."
    ),
    prometheus: Optional[str] = typer.Option(  # noqa: UP007
        None, "--prometheus", envvar="LLMGIT_PROMETHEUS_URL", help="Prometheus base URL (--source prometheus)."
    ),
    window: str = typer.Option("1h", "--window", help="Count evaluations over this duration (--source prometheus)."),
    counts_file: Optional[Path] = typer.Option(  # noqa: UP007
        None, "--counts-file", help="Offline evaluation counts for --source prometheus (JSON)."
    ),
    apply: bool = typer.Option(False, "--apply", help="Roll back (or abort a canary) when degraded."),
    push: bool = typer.Option(False, "--push", help="With --apply: push the rollback."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Compare the stage holder with the previous holder (or a running canary with the holder,
    on live numbers); exit 5 (and roll back or abort with --apply) if degraded."""
    chosen = source or ("file" if metrics_file is not None else "card")
    if chosen not in ("card", "file", "prometheus"):
        raise UsageError(f"unknown --source '{chosen}'", hint="use card, file or prometheus")
    if chosen == "prometheus":
        if metric is not None or metrics_file is not None or relative:
            raise UsageError("--source prometheus judges live accuracy: drop --metric, --metrics-file and --relative")
        _guard_live(ctx, name, stage=stage, margin=threshold, prometheus=prometheus, window=window,
                    counts_file=counts_file, apply=apply, push=push, as_json=as_json)
        return
    if counts_file is not None:
        raise UsageError("--counts-file needs --source prometheus")
    if metric is None or threshold is None:
        raise UsageError(f"--source {chosen} needs --metric and --threshold",
                         hint="for example: --metric accuracy --threshold 0.02")
    if chosen == "file" and metrics_file is None:
        raise UsageError("--source file needs --metrics-file")
    g = registry(ctx).guard(name, metric=metric, threshold=threshold, relative=relative, stage=stage,
                            metrics_file=metrics_file if chosen == "file" else None, apply=apply, push=push)
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


def _guard_live(ctx: typer.Context, name: str, *, stage: str, margin: float | None,
                prometheus: str | None, window: str, counts_file: Path | None, apply: bool,
                push: bool, as_json: bool) -> None:
    from llmgit.canary import status as abtest
    from llmgit.stages.sync import guard_live

    counts = abtest.gather(name, prometheus_url=None if counts_file else prometheus, window=window,
                           counts_file=counts_file)
    g = guard_live(registry(ctx), name, counts, stage=stage, margin=margin, apply=apply, push=push)
    c = g.comparison
    if as_json:
        emit_json({
            "model": g.model, "stage": g.stage, "source": counts.source, "window": counts.window,
            "current": g.current, "baseline": g.baseline, "canary": g.canary,
            "verdict": c.verdict.value if c else None, "difference": c.difference if c else None,
            "interval": [c.interval.low, c.interval.high] if c else None,
            "p_value": c.p_value if c else None, "degraded": g.degraded, "reason": g.reason,
            "aborted": g.aborted is not None, "rolled_back": g.rollback is not None,
        })
    else:
        what = f"canary v{g.current}" if g.canary else f"v{g.current}"
        say(f"{g.model} {g.stage} {what}: {'DEGRADED' if g.degraded else 'healthy'}: {g.reason}")
        if g.aborted is not None:
            say(f"Aborted the canary {g.model} v{g.current} in {g.stage}; v{g.baseline} serves all traffic")
        elif g.rollback is not None:
            say(f"Rolled back {g.model} in {g.stage}: v{g.rollback.previous} -> v{g.rollback.version}")
        elif g.degraded:
            say(f"Run with --apply to {'abort the canary' if g.canary else f'roll back to v{g.baseline}'}")
    if g.degraded:
        raise typer.Exit(DEGRADED_EXIT)


def install(app: typer.Typer) -> None:
    app.command("review")(review)
    app.command("guard")(guard)
