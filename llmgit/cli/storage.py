"""Storage commands: push, pull, verify, publish, pin, unpin, tier, restore, cost, lifecycle."""

import sys
from collections.abc import Sequence
from typing import Annotated

import typer

from llmgit.cli.context import registry
from llmgit.cli.options import HELP, Jobs, Json, Quiet, Strict
from llmgit.cli.output import emit_json, human_size, result, say, table
from llmgit.core.refs import version_tag
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
    unpurge: Annotated[
        bool,
        typer.Option(
            "--unpurge",
            help="Bring back purged versions: upload their weights from this clone's cache (which must hold every "
            "file) and record in the ledger that they are no longer purged. Needs REF.",
        ),
    ] = False,
    overwrite: Annotated[
        bool,
        typer.Option(
            "--overwrite",
            help="Upload every object again, also those the remote has (each checked against its name first): "
            "replaces copies that 'verify --deep' found damaged.",
        ),
    ] = False,
    quiet: Quiet = False,  # noqa: ARG001 (acts in its callback)
) -> None:
    """Upload weights to the storage remote (verified), then push the git refs atomically.

    The weights of versions the lifecycle purged are skipped (their tags are pushed); only
    --unpurge stores them again."""
    r = registry(ctx).push(*(references or []), jobs=jobs, unpurge=unpurge, overwrite=overwrite)
    for note in _skip_notes([(s.tag, s.state, s.since) for s in r.skipped], named=bool(references)):
        say(f"note: {note}")
    for tag in r.unpurged:
        say(f"Brought back the weights of {tag}: the ledger no longer lists it as purged")
    if r.git_remote is None:
        say(f"Pushed the weights of {len(r.versions)} version(s); no git remote, so no refs were pushed")
    else:
        say(f"Pushed the weights of {len(r.versions)} version(s), then {len(r.refs)} ref(s) to {r.git_remote}")
    result(*r.versions)


def _skip_notes(skipped: Sequence[tuple[str, str, str]], *, named: bool) -> list[str]:
    """The notes for the versions whose weights ``push`` skipped ((tag, purged | purging, since)):
    one per version pushed by name, one for all of them in a push of everything."""
    if named:
        return [
            f"skipped the weights of {tag}: purged on {since[:10]} by the lifecycle; "
            f"'llmgit push {tag} --unpurge' brings them back"
            if state == "purged"
            else f"skipped the weights of {tag}: a purge of it is under way ('llmgit lifecycle apply')"
            for tag, state, since in skipped
        ]
    going = sum(1 for _, state, _ in skipped if state != "purged")
    counts = [
        f"{n} {what}"
        for n, what in ((len(skipped) - going, "purged version(s)"), (going, "version(s) being purged"))
        if n
    ]
    return [f"skipped the weights of {' and '.join(counts)} ('llmgit verify --all' lists them)"] if counts else []


def pull(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(metavar="REF", help="The version whose weights to fetch.")],
    jobs: Jobs = None,
    quiet: Quiet = False,  # noqa: ARG001 (acts in its callback)
) -> None:
    """Fetch a version's weights into the local cache (fails fast on archived or purged weights)."""
    v = registry(ctx).pull(reference, jobs=jobs)
    say(f"Fetched the weights of {v.tag} into the local cache")
    result(v.tag)


def verify(
    ctx: typer.Context,
    references: Annotated[list[str] | None, typer.Argument(metavar="[REF]...", help="Versions to check.")] = None,
    all_versions: Annotated[bool, typer.Option("--all", help="Check every version.")] = False,
    deep: Annotated[bool, typer.Option("--deep", help="Download and re-hash every object.")] = False,
    as_json: Json = False,
    strict: Strict = False,
) -> None:
    """Check every object of a version is on the remote with the right size (and hash)."""
    if not references and not all_versions:
        raise UsageError("name versions to verify, or pass --all")
    reports = registry(ctx, strict=strict).verify(*(references or []), deep=deep)
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
                    "purged": r.purged,
                    "purge_in_progress": r.purging,
                }
                for r in reports
            ]
        )
    else:
        for r in reports:  # the report is the result (stdout), as fsck's
            state = "purged" if r.purged else "purge in progress" if r.purging else "ok" if r.ok else "FAILED"
            lines = [f"{r.version}: {state} ({r.files} file(s){', hashes checked' if r.checked_hashes else ''})"]
            lines += [f"  missing: {label}" for label in r.missing]
            lines += [f"  corrupt: {label}" for label in r.corrupt]
            lines += [f"  archived (restore before reading): {label}" for label in r.archived]
            result(*lines)
    if any(r.missing or r.corrupt for r in reports):
        damaged = [r.version for r in reports if r.missing or r.corrupt]
        raise OperationFailed(
            "some objects are missing or corrupt on the storage remote",
            hint="upload good copies from a clone whose cache holds them (checked as they are read): "
            f"llmgit push {damaged[0] if len(damaged) == 1 else 'REF'} --overwrite",
        )
    unfinished = [r.version for r in reports if r.purging]
    if unfinished:
        raise OperationFailed(
            f"the purge of {', '.join(unfinished)} started and did not finish", hint="finish it: llmgit lifecycle apply"
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
    result(r.uri)


def pin(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(metavar="REF", help="The version to exempt from lifecycle.")],
    reason: Annotated[str, typer.Option("--reason", "-r", help="Why.")] = "",
    push_refs: PushRefs = False,
) -> None:
    """Exempt a version from lifecycle rules."""
    reg = registry(ctx)
    changed = reg.pin(reference, reason, push=push_refs)
    say(f"Pinned {reference}" if changed else f"{reference} was already pinned")
    result(reg.get(reference).tag)


def unpin(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(metavar="REF", help="The version to unpin.")],
    push_refs: PushRefs = False,
) -> None:
    """Let lifecycle rules apply to a version again."""
    reg = registry(ctx)
    changed = reg.unpin(reference, push=push_refs)
    say(f"Unpinned {reference}" if changed else f"{reference} was not pinned")
    result(reg.get(reference).tag)


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
    result(r.version)


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
    result(r.version)


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
                f"{m.versions} ({m.purged} purged)" if m.purged else m.versions,
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
                a.blocked or _note(a.kind, a.reason, len(a.shared)),
            ]
            for a in p.actions
        ],
    )


def _note(kind: str, reason: str, shared: int) -> str:
    """The plan's NOTE column: why an unfinished or repeated purge runs, else what is kept."""
    if kind in ("finish-purge", "re-purge") or not shared:
        return reason
    return f"{shared} shared object(s) kept"


@lifecycle_app.command("apply")
def lifecycle_apply(
    ctx: typer.Context,
    push_refs: Annotated[bool, typer.Option("--push", help="Push the archive and ledger commits.")] = False,
) -> None:
    """Carry out the plan (idempotent; rerun to resume after an interruption, a purge included)."""
    r = registry(ctx).lifecycle_apply(push=push_refs)
    for a in r.done:
        say(f"{a.kind} {a.model}@v{a.version}: {len(a.oids)} object(s), {human_size(a.bytes)} ({a.rule})")
    result(*(f"{a.kind} {version_tag(a.model, a.version)}" for a in r.done))
    for a in r.skipped:
        say(f"skipped {a.kind} {a.model}@v{a.version}: {a.blocked}")
    if not r.done and not r.skipped:
        say("Nothing to do")


def install(app: typer.Typer) -> None:
    for command in (push, pull, verify, publish, pin, unpin, tier, restore, cost):
        app.command(command.__name__)(command)
    app.add_typer(lifecycle_app, name="lifecycle")
