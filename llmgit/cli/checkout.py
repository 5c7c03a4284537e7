"""``llmgit checkout``."""

import os
from pathlib import Path
from typing import Annotated

import typer

from llmgit.cli.context import registry
from llmgit.cli.options import Quiet
from llmgit.cli.output import result as emit_result
from llmgit.cli.output import say


def checkout(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(metavar="REF", help="NAME@vX.Y.Z, NAME, NAME#STAGE ...")],
    to: Annotated[
        Path | None, typer.Option("--to", help="Write the weights into this directory; the working tree is left alone.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite unsaved weights or card edits.")] = False,
    link: Annotated[
        bool,
        typer.Option(
            "--link",
            help="With --to: hard-link the files to the cache where possible, read-only (for serving directories; "
            "never write into them).",
        ),
    ] = False,
    quiet: Quiet = False,  # noqa: ARG001 (acts in its callback)
) -> None:
    """Put a version's card and weights back in the working tree, or export its weights."""
    result = registry(ctx).checkout(reference, to=to, force=force, link=link)
    v, where = result.version, os.path.normpath(result.destination)  # --to ../x: no '..' in what scripts take
    if result.in_place:
        say(f"Checked out {v.tag}: {where} and its model card are in the working tree")
    else:
        say(f"Exported {v.tag}: {result.files} file(s) into {where}")
    emit_result(where)


def install(app: typer.Typer) -> None:
    app.command("checkout")(checkout)
