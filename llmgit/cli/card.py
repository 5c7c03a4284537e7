"""``llmgit card validate|render``."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from llmgit.cli.context import registry
from llmgit.cli.options import HELP
from llmgit.cli.output import result, say
from llmgit.errors import InputError, UsageError
from llmgit.infra.files import write_atomic

app = typer.Typer(help="Model cards: validate and render.", no_args_is_help=True, context_settings=HELP)


@app.command("validate")
def validate(
    ctx: typer.Context,
    reference: Annotated[
        str | None,
        typer.Argument(metavar="REF", help="NAME (the working-tree card) or NAME@vX.Y.Z (a version's card)."),
    ] = None,
    file: Annotated[Path | None, typer.Option("--file", help="Validate this card file.")] = None,
) -> None:
    """Check a model card against the schema."""
    if reference is None and file is None:
        raise InputError("give a model reference or --file")
    problems = registry(ctx).validate_card(reference, file)
    if problems:
        for p in problems:
            sys.stderr.write(f"  {p}\n")
        raise InputError(f"the model card has {len(problems)} problem(s)")
    say("The model card is valid.")


@app.command("render")
def render(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(metavar="REF", help="NAME@vX.Y.Z, NAME or NAME#STAGE.")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file.")] = None,
) -> None:
    """The model card as Hugging Face README Markdown."""
    text = registry(ctx).card_markdown(reference)
    if out is None:
        sys.stdout.write(text)
    else:
        _write(out, text)
        say(f"Wrote {out}")
        result(out)


def _write(out: Path, text: str) -> None:
    """``--out``: a regular file, replaced atomically; a directory, a device or a pipe is
    refused (opening a FIFO to write blocks until someone reads it)."""
    if out.is_dir():
        raise UsageError(f"'--out' names a directory, not a file: '{out}'")
    if out.exists() and not out.is_file():
        raise UsageError(
            f"'--out' names a special file (a device or a pipe), not a regular file: '{out}'",
            hint="leave out --out to write to standard output",
        )
    try:
        write_atomic(out, text.encode("utf-8"))
    except OSError as e:
        raise UsageError(f"cannot write '{out}': {e.strerror or e}") from None
