"""Storage commands: push, pull, verify, publish, pin, unpin, tier, restore, cost, lifecycle."""

import sys
from typing import Annotated

import typer

from llmgit.cli.context import registry
from llmgit.cli.options import HELP, Jobs, Json, Quiet
from llmgit.cli.output import emit_json, human_size, say, table
from llmgit.errors import OperationFailed, UsageError

lifecycle_app = typer.Typer(
    help="Retention rules: plan and apply archiving, tiering and purging.", no_args_is_help=True, context_settings=HELP
)
PushRefs = Annotated[bool, typer.Option("--push", help="Push the ledger.")]


def push(
    ctx: typer.Context,
    references: Annotated[
        list[str] | None,
        typer.Argument(metavar="[REF]...", help="Versions to push (default: all, with stage branches and tags)."),
    ] = None,
    jobs: Jobs = None,
    quiet: Quiet = False,  # noqa: ARG001 (acts in its callback)
) -> None:
    """Upload weights to the storage remote (verified), then push the git refs atomically."""
    r = registry(ctx).push(*(references or []), jobs=jobs)
    if r.git_remote is None:
        say(f"Pushed the weights of {len(r.versions)} version(s); no git remote, so no refs were pushed")
    else:
        say(f"Pushed the weights of {len(r.versions)} version(s), then {len(r.refs)} ref(s) to {r.git_remote}")


def pull(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(metavar="REF", help="The version whose weights to fetch.")],
    jobs: Jobs = None,
    quiet: Quiet = False,  # noqa: ARG001 (acts in its callback)
) -> None:
    """Fetch a version's weights into the local cache (fails fast on archived weights)."""
    v = registry(ctx).pull(reference, jobs=jobs)
    say(f"Fetched the weights of {v.tag} into the local cache")


def verify(
    ctx: typer.Context,
    references: Annotated[list[str] | None, typer.Argument(metavar="[REF]...", help="Versions to check.")] = None,
    all_versions: Annotated[bool, typer.Option("--all", help="Check every version.")] = False,
    deep: Annotated[bool, typer.Option("--deep", help="Download and re-hash every object.")] = False,
    as_json: Json = False,
) -> None:
    """Check every object of a version is on the remote with the right size (and hash)."""
    if not references and not all_versions:
        raise UsageError("name versions to verify, or pass --all")
    reports = registry(ctx).verify(*(references or []), deep=deep)
    if as_json:
        emit_json(
            [
                {
                    "version": r.version,
                    "files": r.files,
                    "ok": r.ok,
                    "missing": list(r.missing),
                    "corrupt": list(r.corrupt),
                    "archived": list(r.archived),
                    "purged": "purged" in r.details,
                }
                for r in reports
            ]
        )
    else:
        for r in reports:
            state = "purged" if "purged" in r.details else "ok" if r.ok else "FAILED"
            say(f"{r.version}: {state} ({r.files} file(s){', hashes checked' if r.checked_hashes else ''})")
            for label in r.missing:
                say(f"  missing: {label}")
            for label in r.corrupt:
                say(f"  corrupt: {label}")
            for label in r.archived:
                say(f"  archived (restore before reading): {label}")
    if not all(r.ok for r in reports):
        raise OperationFailed(
            "some objects are missing or corrupt on the storage remote",
            hint="push them again from a clone that has them: llmgit push REF",
        )


def publish(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(metavar="REF", help="The version to publish.")],
    to: Annotated[str, typer.Option("--to", help="Destination prefix: s3://bucket/prefix or a directory.")],
    push_refs: Annotated[bool, typer.Option("--push", help="Push the ledger record.")] = False,
    quiet: Quiet = False,  # noqa: ARG001 (acts in its callback)
) -> None:
    """Copy a version's files (server-side) to PREFIX/NAME/vX.Y.Z/ with a manifest."""
    r = registry(ctx).publish(reference, to, push=push_refs)
    say(f"Published {r.version} to {r.uri} ({r.copied} copied, {r.unchanged} already there)")


def pin(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(metavar="REF", help="The version to exempt from lifecycle.")],
    reason: Annotated[str, typer.Option("--reason", "-r", help="Why.")] = "",
    push_refs: PushRefs = False,
) -> None:
    """Exempt a version from lifecycle rules."""
    changed = registry(ctx).pin(reference, reason, push=push_refs)
    say(f"Pinned {reference}" if changed else f"{reference} was already pinned")


def unpin(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(metavar="REF", help="The version to unpin.")],
    push_refs: PushRefs = False,
) -> None:
    """Let lifecycle rules apply to a version again."""
    changed = registry(ctx).unpin(reference, push=push_refs)
    say(f"Unpinned {reference}" if changed else f"{reference} was not pinned")


def tier(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(metavar="REF", help="The version to tier.")],
    to: Annotated[str, typer.Option("--to", help="Storage class, e.g. GLACIER, DEEP_ARCHIVE, STANDARD.")],
) -> None:
    """Move a version's weights to another S3 storage class (shared objects are skipped)."""
    r = registry(ctx).tier(reference, to)
    say(
        f"{r.version}: {len(r.moved)} object(s) moved to {r.storage_class} ({human_size(r.bytes_moved)}), "
        f"{len(r.already)} already there, {len(r.shared)} shared with live versions kept"
    )


def restore(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(metavar="REF", help="The version to restore.")],
    days: Annotated[int, typer.Option("--days", help="How long the restored copy stays readable.")] = 7,
) -> None:
    """Start restoring a version's archived weights and report the state of each object."""
    r = registry(ctx).restore(reference, days)
    counts: dict[str, int] = {}
    for state in r.states.values():
        counts[state] = counts.get(state, 0) + 1
    say(f"{r.version}: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))


def cost(ctx: typer.Context, as_json: Json = False) -> None:
    """GB and $/month by storage class and by model; the saving if the lifecycle plan ran."""
    r = registry(ctx).cost_report()
    if as_json:
        emit_json(r.to_json())
        return
    sys.stdout.write(f"Storage remote: {r.remote}\n\n")
    table(
        ["CLASS", "SIZE", "GB", "$/MONTH"],
        [[c, human_size(b), f"{b / 2**30:.3f}", _money(r.monthly_by_class[c])] for c, b in r.bytes_by_class.items()],
    )
    sys.stdout.write("\n")
    table(
        ["MODEL", "VERSIONS", "SIZE", "$/MONTH", "SHARED WITH OTHER MODELS"],
        [
            [
                m.model,
                m.versions,
                human_size(sum(m.bytes_by_class.values())),
                _money(m.monthly),
                human_size(m.shared_bytes),
            ]
            for m in r.models
        ],
    )
    sys.stdout.write(
        f"\nTotal: ${_money(r.monthly)}/month; after `llmgit lifecycle apply`: "
        f"${_money(r.after_plan_monthly)}/month (saving ${_money(r.saving)}, {r.saving_ratio:.0%})\n"
    )


def _money(dollars: float) -> str:
    """Cents for real amounts; more digits for the tiny ones small test registries cost."""
    return f"{dollars:,.2f}" if dollars >= 10 else f"{dollars:.4f}"


@lifecycle_app.command("plan")
def lifecycle_plan(ctx: typer.Context, as_json: Json = False) -> None:
    """What the retention rules would do, with reasons and bytes; changes nothing."""
    p = registry(ctx).lifecycle_plan()
    if as_json:
        emit_json({"now": p.now, "actions": [a.to_json() for a in p.actions]})
        return
    if not p.actions:
        say("Nothing to do: no version is due for archiving, tiering or purging")
        return
    table(
        ["ACTION", "VERSION", "RULE", "AGE", "OBJECTS", "BYTES", "NOTE"],
        [
            [
                a.kind,
                f"{a.model}@v{a.version}",
                a.rule,
                f"{a.age_days}d",
                len(a.oids),
                human_size(a.bytes),
                a.blocked or (f"{len(a.shared)} shared object(s) kept" if a.shared else a.reason),
            ]
            for a in p.actions
        ],
    )


@lifecycle_app.command("apply")
def lifecycle_apply(
    ctx: typer.Context,
    push_refs: Annotated[bool, typer.Option("--push", help="Push the archive and ledger commits.")] = False,
) -> None:
    """Carry out the plan (idempotent; rerun to resume after an interruption)."""
    r = registry(ctx).lifecycle_apply(push=push_refs)
    for a in r.done:
        say(f"{a.kind} {a.model}@v{a.version}: {len(a.oids)} object(s), {human_size(a.bytes)} ({a.rule})")
    for a in r.skipped:
        say(f"skipped {a.kind} {a.model}@v{a.version}: {a.blocked}")
    if not r.done and not r.skipped:
        say("Nothing to do")


def install(app: typer.Typer) -> None:
    for command in (push, pull, verify, publish, pin, unpin, tier, restore, cost):
        app.command(command.__name__)(command)
    app.add_typer(lifecycle_app, name="lifecycle")
