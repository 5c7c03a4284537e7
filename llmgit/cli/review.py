"""``review`` and ``guard``."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from llmgit.cli.context import registry
from llmgit.cli.options import Json, Name
from llmgit.cli.output import emit_json, result, say
from llmgit.errors import Degraded, OperationFailed
from llmgit.stages.requests import GuardRequest


def review(
    ctx: typer.Context,
    stage: Annotated[str, typer.Option("--stage", help="The stage branch to compare with.")] = "production",
    head: Annotated[
        str | None,
        typer.Option("--head", help="Proposed revision (default: the one llmgit/promote/* branch for the stage)."),
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the Markdown to a file.")] = None,
    as_json: Json = False,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 when a check fails.")] = False,
) -> None:
    """Markdown for a pull request: what changes, metric deltas, card changes, checks."""
    r = registry(ctx).review(stage, head)
    if as_json:
        emit_json(r.to_json())
    elif out is not None:
        out.write_text(r.markdown, encoding="utf-8")
        say(f"Wrote {out}")
        result(out)
    else:
        sys.stdout.write(r.markdown)
    if strict and not r.ok:
        raise OperationFailed("some review checks failed")


def guard(
    ctx: typer.Context,
    name: Name,
    source: Annotated[
        str | None,
        typer.Option(
            "--source", help="card (registered metrics), file (--metrics-file) or prometheus (live accuracy counts)."
        ),
    ] = None,
    metric: Annotated[
        str | None, typer.Option("--metric", help="The metric to watch, e.g. accuracy (card, file).")
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option(
            "--threshold",
            help="Allowed degradation (absolute, or a fraction with --relative); with prometheus, the "
            "accuracy margin (default: deploy.min_detectable_effect).",
        ),
    ] = None,
    relative: Annotated[
        bool, typer.Option("--relative", help="The threshold is a fraction of the previous value.")
    ] = False,
    stage: Annotated[str, typer.Option("--stage", help="The stage to guard.")] = "production",
    metrics_file: Annotated[
        Path | None,
        typer.Option("--metrics-file", help="Observed metrics per version (JSON: {version: {metric: value}})."),
    ] = None,
    prometheus: Annotated[
        str | None,
        typer.Option("--prometheus", envvar="LLMGIT_PROMETHEUS_URL", help="Prometheus base URL (--source prometheus)."),
    ] = None,
    window: Annotated[
        str, typer.Option("--window", help="Count evaluations over this duration (--source prometheus).")
    ] = "1h",
    counts_file: Annotated[
        Path | None, typer.Option("--counts-file", help="Offline evaluation counts for --source prometheus (JSON).")
    ] = None,
    apply: Annotated[bool, typer.Option("--apply", help="Roll back (or abort a canary) when degraded.")] = False,
    push: Annotated[bool, typer.Option("--push", help="With --apply: push the rollback.")] = False,
    as_json: Json = False,
) -> None:
    """Compare the stage holder with the previous holder (or a running canary with the holder,
    on live numbers); exit 5 (and roll back or abort with --apply) if degraded."""
    g = registry(ctx).guard_on(
        GuardRequest(
            name,
            source=source,
            metric=metric,
            threshold=threshold,
            relative=relative,
            stage=stage,
            metrics_file=metrics_file,
            prometheus_url=prometheus,
            window=window,
            counts_file=counts_file,
            apply=apply,
            push=push,
        )
    )
    if g.kind == "live":
        c = g.comparison
        if as_json:
            emit_json(
                {
                    "model": g.model,
                    "stage": g.stage,
                    "source": g.source,
                    "window": g.window,
                    "current": g.current,
                    "baseline": g.baseline,
                    "canary": g.canary,
                    "verdict": c.verdict.value if c else None,
                    "difference": c.difference if c else None,
                    "interval": [c.interval.low, c.interval.high] if c else None,
                    "p_value": c.p_value if c else None,
                    "degraded": g.degraded,
                    "reason": g.reason,
                    "aborted": g.aborted is not None,
                    "rolled_back": g.rollback is not None,
                }
            )
        else:
            what = f"canary v{g.current}" if g.canary else f"v{g.current}"
            state = "DEGRADED" if g.degraded else "nothing to restore" if g.baseline is None else "healthy"
            result(f"{g.model} {g.stage} {what}: {state}: {g.reason}")
            if g.aborted is not None:
                say(f"Aborted the canary {g.model} v{g.current} in {g.stage}; v{g.baseline} serves all traffic")
            elif g.rollback is not None:
                say(f"Rolled back {g.model} in {g.stage}: v{g.rollback.previous} -> v{g.rollback.version}")
                if g.rollback.canary_ended:
                    say(f"  ended the canary v{g.rollback.canary_ended} first (recorded as canary-abort)")
            elif g.degraded:
                say(f"Run with --apply to {'abort the canary' if g.canary else f'roll back to v{g.baseline}'}")
    elif as_json:
        emit_json(
            {
                "model": g.model,
                "stage": g.stage,
                "metric": g.metric,
                "direction": g.direction,
                "current": g.current,
                "previous": g.previous,
                "current_value": g.current_value,
                "previous_value": g.previous_value,
                "threshold": g.threshold,
                "relative": g.relative,
                "degraded": g.degraded,
                "rolled_back": g.rollback is not None,
                "reason": g.reason,
            }
        )
    else:
        state = "DEGRADED" if g.degraded else "nothing to restore" if g.previous is None else "healthy"
        result(f"{g.model} {g.stage} v{g.current}: {state}: {g.reason}")
        if g.rollback is not None:
            say(f"Rolled back {g.model} in {g.stage}: v{g.rollback.previous} -> v{g.rollback.version}")
            if g.rollback.canary_ended:
                say(f"  ended the canary v{g.rollback.canary_ended} first (recorded as canary-abort)")
        elif g.degraded:
            say(f"Run with --apply to roll back to v{g.previous}")
    if g.degraded:
        raise typer.Exit(Degraded.exit_code)


def install(app: typer.Typer) -> None:
    app.command("review")(review)
    app.command("guard")(guard)
