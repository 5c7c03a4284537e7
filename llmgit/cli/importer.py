"""``llmgit import gto``: stage branches and history from an existing GTO registry's tags."""

import sys
from typing import Annotated

import typer

from llmgit.cli.context import registry
from llmgit.cli.options import HELP, Json
from llmgit.cli.output import emit_json, result, say, table
from llmgit.errors import UsageError

app = typer.Typer(help="Bring an existing registry's history into llmgit.", no_args_is_help=True, context_settings=HELP)


def _stage_map(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        gto, sep, ours = pair.partition("=")
        if not sep or not gto or not ours:
            raise UsageError(
                f"--stage '{pair}' is not of the form GTO_STAGE=STAGE", hint="for example --stage prod=production"
            )
        mapping[gto] = ours
    return mapping


@app.command("gto")
def gto(
    ctx: typer.Context,
    apply: Annotated[
        bool, typer.Option("--apply", help="Write the stage branches and pointers (default: report only).")
    ] = False,
    stage: Annotated[
        list[str] | None,
        typer.Option("--stage", "-s", help="Map a GTO stage to an llmgit stage, e.g. prod=production (repeatable)."),
    ] = None,
    as_json: Json = False,
) -> None:
    """Rebuild stage branches, their history and NAME#STAGE pointers from GTO tags (which stay untouched)."""
    r = registry(ctx).import_gto(apply=apply, stage_map=_stage_map(stage or []))
    if as_json:
        emit_json(r.to_json())
        return
    say(f"Read {r.tags_read} GTO tag(s)")
    rows = [
        [
            e.when[:19].replace("T", " "),
            e.stage,
            e.model,
            f"v{e.previous} -> v{e.version}"
            if e.previous and e.action != "remove"
            else (f"removed v{e.version}" if e.action == "remove" else f"v{e.version}"),
            e.by.split(" <")[0],
            e.reason,
        ]
        for e in r.transitions
    ]
    if rows:  # the preview is a dry run's result; once applied, the refs written are
        table(["WHEN", "STAGE", "MODEL", "CHANGE", "BY", "WHY"], rows, sys.stderr if r.applied else None)
    for s, held in r.holders.items():
        for model, version in held.items():
            say(f"{model}#{s} -> v{version}")
    for model, archived in r.archived.items():
        say(f"{model}: archived " + ", ".join(f"v{v}" for v in archived))
    for p in r.problems:
        say(f"{'error' if p.blocking else 'skipped'}: {p.tag}: {p.reason}")
    if r.applied:
        say(f"Imported: {', '.join(r.branches) or 'no stage branch'}; pointers: {', '.join(r.pointers) or 'none'}")
        result(*r.branches, *r.pointers)
    elif rows:
        say("Dry run: nothing was changed; run with --apply to write the stage branches and pointers")
    else:
        say("Nothing to import")


def install(root: typer.Typer) -> None:
    root.add_typer(app, name="import")
