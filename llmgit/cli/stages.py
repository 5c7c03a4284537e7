"""Stage commands: promote, rollback, sync, stages, history, fetch."""

import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from llmgit.cli.context import registry
from llmgit.cli.options import Json, Name, Reason
from llmgit.cli.output import emit_json, result, say, table
from llmgit.core.refs import version_tag
from llmgit.errors import BadRecord, SkippedRecord, UsageError
from llmgit.stages.requests import PromoteRequest

if TYPE_CHECKING:
    from llmgit.core.plan import Plan
    from llmgit.store.transitions import TransitionResult

Push = Annotated[bool, typer.Option("--push", help="Push weights, then the branch and tags (atomic).")]
Strict = Annotated[
    bool, typer.Option("--strict", help="A malformed stage entry or stage file is an error, not a skipped warning.")
]


@contextmanager
def strict_records(strict: bool) -> Iterator[None]:
    """``--strict``: the first record the listing would skip with a ``warning:`` is an error."""
    if not strict:
        yield
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error", SkippedRecord)
        try:
            yield
        except SkippedRecord as w:
            hint = "; ".join(h for h in (w.hint, "without --strict it is skipped with a warning") if h)
            raise BadRecord(w.message.removeprefix("skipped "), hint=hint) from None


def _describe(plan: "Plan") -> None:
    for c in plan.archived:
        say(f"  archived {c.model} v{c.version} ({c.reason})")
    for c in plan.unarchived:
        say(f"  took {c.model} v{c.version} out of the archive")
    if plan.tags:
        say(f"  moved tag(s): {', '.join(plan.tags)}")


def _ended(r: "TransitionResult") -> None:
    if r.canary_ended:
        say(f"  ended the canary {r.model} v{r.canary_ended} first (recorded as canary-abort)")


def _result_json(r: "TransitionResult") -> dict[str, object]:
    return {
        "model": r.model,
        "stage": r.stage,
        "version": r.version,
        "previous": r.previous,
        "mode": r.mode,
        "commit": r.commit,
        "branch": r.branch,
        "pushed": r.pushed,
        "archived": [c.version for c in r.plan.archived],
        "tags": list(r.plan.tags),
        "body_file": str(r.body_file) if r.body_file else None,
        "pr_url": r.pr_url,
        "canary_ended": r.canary_ended,
        "note": r.note or None,
    }


def promote(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(metavar="REF", help="The version to promote, e.g. NAME@v1.1.0.")],
    to: Annotated[str, typer.Option("--to", help="Target stage, e.g. staging or production.")],
    reason: Reason = "",
    direct: Annotated[bool, typer.Option("--direct", help="Commit to the stage branch now.")] = False,
    pr: Annotated[bool, typer.Option("--pr", help="Propose the change on a branch for a pull request.")] = False,
    skip_previous: Annotated[
        bool,
        typer.Option(
            "--skip-staging", "--skip-previous-stage", help="Allow a version that was never in the previous stage."
        ),
    ] = False,
    push: Push = False,
    open_pr: Annotated[bool, typer.Option("--open", help="With --pr --push: open the PR with gh.")] = False,
    body_file: Annotated[
        Path | None, typer.Option("--body-file", help="Where --pr writes the pull-request body (Markdown).")
    ] = None,
    as_json: Json = False,
) -> None:
    """Promote a version to a stage, directly or through a pull request."""
    if direct and pr:
        raise UsageError("choose one of --direct and --pr")
    mode = "direct" if direct else "pr" if pr else None
    r = registry(ctx).promote(
        PromoteRequest(
            reference,
            to,
            reason=reason,
            mode=mode,
            skip_previous_stage=skip_previous,
            push=push,
            open_pr=open_pr,
            body_file=body_file,
        )
    )
    if as_json:
        emit_json(_result_json(r))
        return
    if r.noop:
        say(f"{r.model} v{r.version} already holds {r.stage}; nothing to do")
        result(version_tag(r.model, r.version))
    elif r.mode == "pr":
        say(f"Proposed {r.model} v{r.version} for {r.stage} on branch {r.branch}")
        say(f"  pull-request body: {r.body_file}")
        _ended(r)
        if r.pr_url:
            say(f"  opened {r.pr_url}")
        elif r.pushed:
            say(f"  pushed; open a pull request from {r.branch} into the {r.stage} stage branch")
        else:
            say(f"  push it with: git push origin {r.branch} (or rerun with --push)")
        result(r.pr_url or r.branch)
    else:
        was = f" (was v{r.previous})" if r.previous else ""
        say(f"Promoted {r.model} v{r.version} to {r.stage}{was}" + (", pushed" if r.pushed else ""))
        _ended(r)
        _describe(r.plan)
        result(version_tag(r.model, r.version))


def rollback(
    ctx: typer.Context,
    name: Name,
    to: Annotated[
        str | None, typer.Option("--to", help="Version to go back to (default: the previous holder of the stage).")
    ] = None,
    stage: Annotated[str, typer.Option("--stage", help="The stage to roll back.")] = "production",
    reason: Reason = "",
    push: Annotated[bool, typer.Option("--push", help="Push the stage branch and tags (atomic).")] = False,
    as_json: Json = False,
) -> None:
    """Move a stage back to an earlier version; the rolled-back one is archived."""
    r = registry(ctx).rollback(name, stage=stage, to=to, reason=reason, push=push)
    if as_json:
        emit_json(_result_json(r))
        return
    if r.noop:
        say(r.note)
        if r.hint:
            say(f"hint: {r.hint}")
        result(version_tag(r.model, r.version))
        return
    say(f"Rolled back {r.model} in {r.stage}: v{r.previous} -> v{r.version}" + (", pushed" if r.pushed else ""))
    _ended(r)
    _describe(r.plan)
    for w in r.warnings:
        say(f"warning: {w}")
    result(version_tag(r.model, r.version))


def sync(
    ctx: typer.Context,
    push: Annotated[bool, typer.Option("--push", help="Push the tags and archive (atomic).")] = False,
) -> None:
    """Point the stage tags at what the stage branches say (after a PR merged)."""
    r = registry(ctx).sync(push=push)
    if not r.changed:
        say("Stage tags and archive already match the stage branches")
        return
    say("Synced the stage tags with the stage branches" + (", pushed" if r.pushed else ""))
    _describe(r.plan)
    result(*r.plan.tags)


def stages(ctx: typer.Context, as_json: Json = False, strict: Strict = False) -> None:
    """Every model: which version holds each stage."""
    reg = registry(ctx)
    with strict_records(strict):
        data = reg.stages()
    if as_json:
        emit_json(data)
        return
    if not data:
        say("No model holds a stage yet; see 'llmgit promote --help'.")
        return
    cols = list(reg.settings.stages)
    rows = [
        [name, *[", ".join(f"v{v}" for v in held.get(s, [])) or "-" for s in cols], len(held.get("archived", []))]
        for name, held in data.items()
    ]
    table(["MODEL", *[c.upper() for c in cols], "ARCHIVED"], rows)


def history(
    ctx: typer.Context,
    name: Name,
    stage: Annotated[str | None, typer.Option("--stage", help="Only this stage.")] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="Show who held each stage at this ISO date (end of day) or date-time.")
    ] = None,
    as_json: Json = False,
    strict: Strict = False,
) -> None:
    """Who promoted what to which stage, when and why; rollbacks and archiving too."""
    reg = registry(ctx)
    if at is not None:
        with strict_records(strict):
            held = reg.holders_at(name, at, stage=stage)
        if as_json:
            emit_json({s: e.to_json() for s, e in held.items()})
            return
        if not held:
            say(f"No stage of '{name}' was held at {at}")
        for s, e in held.items():
            sys.stdout.write(
                f"{s}: v{e.version} since {e.when} ({e.action} by {e.by}"
                + (f", committed by {e.committer}" if e.committer != e.by else "")
                + (f"; {e.reason}" if e.reason else "")
                + ")\n"
            )
        return
    with strict_records(strict):
        events = reg.history(name, stage=stage)
    if as_json:
        emit_json([e.to_json() for e in events])
        return
    rows = [
        [
            e.when[:19].replace("T", " "),
            e.stage,
            e.action,
            f"v{e.previous} -> v{e.version}" if e.previous else f"v{e.version}",
            e.by.split(" <")[0],
            e.reason,
        ]
        for e in events
    ]
    table(["WHEN", "STAGE", "ACTION", "VERSION", "BY", "REASON"], rows)


def fetch(ctx: typer.Context) -> None:
    """Fetch stage branches, new version tags and moved stage tags from the git remote."""
    r = registry(ctx).fetch()
    say(
        f"Fetched: {len(r.stage_branches)} stage branch(es) fast-forwarded, "
        f"{len(r.stage_tags)} stage tag(s) updated, {len(r.version_tags)} new version tag(s)"
    )
    for c in r.conflicts:
        say(f"warning: version tag {c} differs on the remote; the local one was kept")
    result(*r.stage_branches, *r.stage_tags, *r.version_tags)


def install(app: typer.Typer) -> None:
    for command in (promote, rollback, sync, stages, history, fetch):
        app.command(command.__name__)(command)
