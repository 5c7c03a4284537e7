"""``ab``: canary A/B tests on a stage: start, status (the live verdict), promote, abort."""

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from llmgit.cli.context import registry
from llmgit.cli.options import HELP, Json, Name
from llmgit.cli.output import emit_json, result, say, table
from llmgit.core.refs import version_tag

if TYPE_CHECKING:
    from llmgit.store.canaries import CanaryResult

app = typer.Typer(
    help="Canary A/B tests: start, status (live verdict), promote, abort.", no_args_is_help=True, context_settings=HELP
)

PROMETHEUS_ENV = "LLMGIT_PROMETHEUS_URL"
_VERDICT = {"promote": "PROMOTE", "rollback": "ROLL BACK", "keep-collecting": "KEEP COLLECTING"}  # Verdict values

Stage = Annotated[str, typer.Option("--stage", help="The stage the canary runs in.")]
Reason = Annotated[str, typer.Option("--reason", "-r", help="Why: recorded on the stage branch.")]
Push = Annotated[bool, typer.Option("--push", help="Push weights, then the stage branch and tags (atomic).")]


def _report(r: "CanaryResult", done: str) -> None:
    say(done + (", pushed" if r.pushed else ""))
    for c in r.plan.archived:
        say(f"  archived {r.model} v{c.version} ({c.reason})")
    if r.plan.tags:
        say(f"  moved tag(s): {', '.join(r.plan.tags)}")
    if r.files:
        say(f"  manifests on {r.branch.removeprefix('refs/heads/')}: {', '.join(r.files)}")


@app.command("start")
def start(
    ctx: typer.Context,
    name: Name,
    candidate: Annotated[str, typer.Option("--candidate", "-c", help="The version to canary, e.g. 1.3.0.")],
    percent: Annotated[int, typer.Option("--percent", "-p", help="Its share of the traffic, 1 to 99.")],
    stage: Stage = "production",
    serving_mode: Annotated[
        str | None, typer.Option("--serving-mode", help="knative (default) or standard (KServe 0.20 spec.canary).")
    ] = None,
    reason: Reason = "",
    skip_previous: Annotated[
        bool,
        typer.Option(
            "--skip-staging", "--skip-previous-stage", help="Allow a candidate that was never in the previous stage."
        ),
    ] = False,
    push: Push = False,
    as_json: Json = False,
) -> None:
    """Send a share of a stage's traffic to a candidate (again: change the share)."""
    r = registry(ctx).ab_start(
        name,
        candidate,
        percent,
        stage=stage,
        mode=serving_mode,
        reason=reason,
        skip_previous_stage=skip_previous,
        push=push,
    )
    if as_json:
        emit_json(r.to_json())
    elif r.action == "noop":
        say(f"The canary {name} v{r.candidate} already runs at {r.percent}% in {r.stage}; nothing to do")
        result(version_tag(name, r.candidate))
    else:
        verb = "Started canary" if r.action == "start" else "Moved canary"
        _report(
            r,
            f"{verb} {name} v{r.candidate} {'at' if r.action == 'start' else 'to'} {r.percent}% "
            f"in {r.stage} (stable v{r.stable}, {r.mode})",
        )
        result(version_tag(name, r.candidate))


@app.command("status")
def status(
    ctx: typer.Context,
    name: Name,
    prometheus: Annotated[
        str | None,
        typer.Option("--prometheus", envvar=PROMETHEUS_ENV, help="Prometheus base URL, e.g. http://127.0.0.1:9090."),
    ] = None,
    window: Annotated[str, typer.Option("--window", help="Count evaluations over this Prometheus duration.")] = "1h",
    counts_file: Annotated[
        Path | None, typer.Option("--counts-file", help='Offline counts (JSON: {version: {"correct": N, "total": N}}).')
    ] = None,
    stage: Stage = "production",
    mde: Annotated[
        float | None, typer.Option("--mde", help="Minimum detectable effect (default: deploy.min_detectable_effect).")
    ] = None,
    alpha: Annotated[float | None, typer.Option("--alpha", help="Significance level (default: deploy.alpha).")] = None,
    as_json: Json = False,
) -> None:
    """The live verdict: per-arm accuracy, the difference with its interval, promote / roll back / keep collecting."""
    s = registry(ctx).ab_status(
        name,
        prometheus_url=None if counts_file else prometheus,
        window=window,
        counts_file=counts_file,
        stage=stage,
        alpha=alpha,
        mde=mde,
    )
    if as_json:
        emit_json(s.to_json())
        return
    c, level, counts = s.comparison, f"{s.confidence * 100:g}%", s.counts
    out = sys.stdout.write
    out(f"{s.model} in {s.stage}: canary v{s.candidate} at {s.percent}% ({s.mode}) since {s.since}\n")
    out(f"source: {counts.source}" + (f", last {counts.window}" if counts.window else "") + "\n\n")
    table(
        ["ARM", "VERSION", "REQUESTS", "CORRECT", "ACCURACY", f"{level} CI"],
        [
            [
                role,
                version,
                f"{arm.total:.0f}",
                f"{arm.correct:.0f}",
                f"{arm.accuracy:.4f}",
                f"[{ci.low:.4f}, {ci.high:.4f}]",
            ]
            for role, version, arm, ci in s.arm_rows()
        ],
    )
    out(
        f"\ndifference (candidate - stable): {c.difference:+.4f}, {level} CI "
        f"[{c.interval.low:+.4f}, {c.interval.high:+.4f}]\n"
    )
    out(f"two-proportion test: z = {c.z:.2f}, p = {c.p_value:.3g}\n")
    out(f"verdict: {_VERDICT[c.verdict.value]}: {c.reason}\n")
    where = f" --stage {s.stage}" if s.stage != "production" else ""
    if c.verdict.value == "keep-collecting":
        out(
            f"needed: {c.required_per_arm} evaluations per version to detect a drop of {c.mde:g} "
            f"(alpha {c.alpha:g}, power {c.power:.0%}); still {c.remaining_candidate} of "
            f"v{s.candidate} and {c.remaining_stable} of v{s.stable}\n"
        )
    elif c.verdict.value == "promote":
        say(f"next: llmgit ab promote {name}{where}")
    else:
        say(f'next: llmgit ab abort {name} --reason "..."{where}')


@app.command("promote")
def promote(
    ctx: typer.Context,
    name: Name,
    stage: Stage = "production",
    reason: Reason = "",
    push: Push = False,
    as_json: Json = False,
) -> None:
    """The candidate takes the stage; the old holder is archived."""
    r = registry(ctx).ab_promote(name, stage=stage, reason=reason, push=push)
    if as_json:
        emit_json(r.to_json())
        return
    _report(r, f"Promoted canary {name} v{r.candidate} to {r.stage} (was v{r.stable})")
    result(version_tag(name, r.candidate))


@app.command("abort")
def abort(
    ctx: typer.Context,
    name: Name,
    stage: Stage = "production",
    reason: Reason = "",
    push: Push = False,
    as_json: Json = False,
) -> None:
    """End the canary: all traffic back to the stage holder."""
    r = registry(ctx).ab_abort(name, stage=stage, reason=reason, push=push)
    if as_json:
        emit_json(r.to_json())
        return
    if r.action == "noop":
        say(r.note)
    else:
        _report(r, f"Aborted canary {name} v{r.candidate} in {r.stage}; v{r.stable} serves all traffic")
    result(version_tag(name, r.stable))
