"""``llmgit card validate|render``."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from llmgit.cli.context import registry
from llmgit.cli.options import HELP
from llmgit.cli.output import say
from llmgit.errors import InputError

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
        out.write_text(text, encoding="utf-8")
        say(f"Wrote {out}")
