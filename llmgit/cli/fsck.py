"""``llmgit fsck``."""

import sys
from typing import Annotated

import typer

from llmgit.cli.context import registry
from llmgit.cli.options import Json, Quiet
from llmgit.cli.output import emit_json, say
from llmgit.errors import OperationFailed


def fsck(
    ctx: typer.Context,
    references: Annotated[
        list[str] | None, typer.Argument(metavar="[REF]...", help="Versions to check (default: every version).")
    ] = None,
    deep: Annotated[
        bool, typer.Option("--deep", help="Hash every object, not only those whose stat signature changed.")
    ] = False,
    repair: Annotated[
        bool,
        typer.Option(
            "--repair",
            help="Move corrupt objects aside (into the cache's llmgit-quarantine folder) and fetch good copies of "
            "what damaged versions lack from the storage remote.",
        ),
    ] = False,
    as_json: Json = False,
    quiet: Quiet = False,  # noqa: ARG001 (acts in its callback)
) -> None:
    """Check the local cache: every cached object of every version against its name, and list
    malformed version tags (which listings skip).

    Exit 0 when every version is intact, not cached at all, or repaired; 1 when damage is left
    or a version tag is malformed."""
    report = registry(ctx).fsck(*(references or []), deep=deep, repair=repair)
    if as_json:
        emit_json(
            {
                "ok": report.ok,
                "objects": report.objects,
                "hashed": report.hashed,
                "deep": report.deep,
                "quarantine": str(report.quarantine),
                "versions": [
                    {
                        "version": v.version,
                        "state": v.state,
                        "files": v.files,
                        "missing": list(v.missing),
                        "corrupt": list(v.corrupt),
                        "repaired": list(v.repaired),
                        "error": v.error or None,
                    }
                    for v in report.versions
                ],
                "malformed": [{"tag": m.tag, "reason": m.reason} for m in report.malformed],
                "malformed_records": list(report.records),
            }
        )
    else:
        out = _line
        for v in report.versions:
            out(f"{v.version}: {v.state} ({v.files} file(s))")
            for label in v.corrupt:
                out(f"  corrupt: {label}" + (" (moved aside, fetched again)" if label in v.repaired else ""))
            for label in v.missing:
                out(f"  missing: {label}" + (" (fetched)" if label in v.repaired else ""))
            if v.error:
                out(f"  not repaired: {v.error}")
        for m in report.malformed:
            out(f"{m.tag}: malformed ({m.reason})")
        for line in report.records:
            out(f"malformed: {line}")
        say(f"Checked {report.objects} object(s), hashed {report.hashed}")
        if any(v.corrupt for v in report.versions) and repair:
            say(f"Corrupt objects were moved to {report.quarantine}")
    damaged = [v.version for v in report.versions if not v.ok]
    if report.records and not damaged and not report.malformed:
        raise OperationFailed(
            f"{len(report.records)} stage or ledger record(s) are malformed and left out of every listing",
            hint="repair them with a commit on the branch named (for example 'git revert' of the bad commit)",
        )
    if report.malformed and not damaged:
        tags = [m.tag for m in report.malformed]
        raise OperationFailed(
            f"{len(tags)} version tag(s) are malformed and left out of every listing: {', '.join(tags[:5])}",
            hint="whoever pushed them must replace them ('git tag -d TAG' drops this clone's copy)",
        )
    if not report.ok:
        raise OperationFailed(
            f"{len(damaged)} version(s) have corrupt or missing objects in the local cache: {', '.join(damaged[:5])}",
            hint="repair them from the storage remote: llmgit fsck --repair"
            if not repair
            else "the remote has no good copy: push one from a clone whose cache has it, or register the weights again",
        )


def _line(text: str) -> None:
    sys.stdout.write(text + "\n")


def install(app: typer.Typer) -> None:
    app.command("fsck")(fsck)
