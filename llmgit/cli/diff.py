"""``llmgit diff``: two versions side by side."""

import sys
from enum import Enum
from typing import Annotated

import typer

from llmgit.cli.context import registry
from llmgit.cli.output import emit_json


class DiffFormat(str, Enum):
    table = "table"
    markdown = "markdown"
    json = "json"


def diff(
    ctx: typer.Context,
    old: Annotated[str, typer.Argument(metavar="REF_A", help="The base: NAME@vX.Y.Z, NAME#STAGE, NAME, ...")],
    new: Annotated[str, typer.Argument(metavar="REF_B", help="The version to compare with it (any model).")],
    fmt: Annotated[DiffFormat, typer.Option("--format", "-f", help="table, markdown or json.")] = DiffFormat.table,
) -> None:
    """Metrics (better or worse), params, card fields and weights file by file, of two versions."""
    from llmgit.core import diff_format  # noqa: PLC0415 (start-up: only this command renders diffs)

    d = registry(ctx).diff(old, new)
    if fmt is DiffFormat.json:
        emit_json(d.to_json())
    elif fmt is DiffFormat.markdown:
        sys.stdout.write(diff_format.markdown(d))
    else:
        sys.stdout.write(diff_format.text(d))


def install(app: typer.Typer) -> None:
    app.command("diff")(diff)
